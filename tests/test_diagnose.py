"""Infeasibility diagnosis (issue 3, item 3): one tiny infeasible instance per cause, each
with its key facts (year, region or site, the numbers) asserted in `solution.diagnosis`;
and `--allow-unmet`, which prices the shortfall instead of failing.

Every instance is conftest's `small_instance()` (the shape of shared/cases/h1) with one
change. Its numbers, which the expected values below are computed from:

    GPU g1: 1.0 kW + network 0.025 W/Gbps x 400 Gb/s = 1.01 kW per GPU, 8 GPUs a unit
            (8.08 kW), 20_000 USD + network 5 USD/Gbps x 400 = 22_000 USD per GPU
    training throughput per GPU: 1.0 x efficiency 0.9 x availability 0.9 = 0.81
    site s1: blocks of 0.1 MW IT at PUE 1.5 (0.15 MW of facility power each), grid 0.2 MW,
             opening 1_000_000 USD, fabric 100_000 USD,
             block capex 0.1 x (8e6 + 1000 x 500 + 1000 / 20 x 50_000) = 1_100_000 USD
    demand: training 50 in 2026
"""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner
from conftest import small_instance

import dcopt
from dcopt.cli.main import main

PERF = 1.0 * 0.9 * 0.9  # training throughput per GPU
UNIT_KW = 8 * (1.0 + 0.025 * 400 / 1000)  # 8.08 kW per unit of 8 GPUs
BLOCK_KW, PUE = 100.0, 1.5


def units_for(demand: float) -> int:
    return math.ceil(demand / PERF / 8)


def solve_infeasible(inst: dict) -> list[str]:
    solution = dcopt.solve(inst)
    assert solution.status == "infeasible" and not solution.has_plan, solution.message
    assert solution.diagnosis
    return solution.diagnosis


def line_with(diagnosis: list[str], *words: str) -> str:
    """The one diagnosis line containing every word."""
    found = [line for line in diagnosis if all(w in line for w in words)]
    assert found, f"no line with {words} in:\n" + "\n".join(diagnosis)
    return found[0]


def test_grid_too_small_at_a_site():
    inst = small_instance()
    inst["sites"][0]["max_facility_mw"] = 0.1  # below one block's 0.15 MW
    inst["demand"]["training"] = {"2026": 100}
    diagnosis = solve_infeasible(inst)
    line_with(diagnosis, "training demand in 2026 cannot be met", "100 of 100")
    blocks = math.ceil(units_for(100) * UNIT_KW / BLOCK_KW)  # 16 units = 129.3 kW: 2 blocks
    needed_mw = blocks * BLOCK_KW / 1000 * PUE  # 0.3 MW
    line = line_with(diagnosis, "grid limit binds at site 's1'", "max_facility_mw 0.1")
    assert f"{needed_mw - 0.1:.4g} MW more" in line and f"({needed_mw:.4g} MW)" in line
    line_with(diagnosis, "cannot be served", "binding: grid limits max_facility_mw")


def test_grid_partly_binding():
    inst = small_instance()  # grid 0.2 MW: one block of 0.15 MW fits, not two
    inst["demand"]["training"] = {"2026": 100}
    diagnosis = solve_infeasible(inst)
    in_one_block = math.floor(BLOCK_KW / UNIT_KW) * 8 * PERF  # 12 units: 77.76
    line_with(diagnosis, "training demand in 2026", f"{100 - in_one_block:.6g} of 100")
    line_with(diagnosis, "grid limit binds at site 's1'", f"{0.3 - 0.2:.4g} MW more", "max_facility_mw 0.2")


def test_power_available_too_late():
    inst = small_instance()
    inst["horizon"] = {"start_year": 2026, "end_year": 2027}
    inst["catalog"]["gpus"][0]["last_year"] = 2027
    inst["sites"][0]["power_available_year"] = 2027
    inst["demand"]["training"] = {"2026": 50, "2027": 50}
    diagnosis = solve_infeasible(inst)
    line_with(diagnosis, "training demand in 2026 cannot be met", "50 of 50")
    assert not [line for line in diagnosis if "demand in 2027" in line]  # 2027 can be served
    line_with(diagnosis, "power_available_year binds at site 's1'", "built in 2026",
              "power is available in 2027")
    line = line_with(diagnosis, "power_available_year binds at site 's1'", "bought in 2026")
    assert f"({units_for(50) * 8} GPUs)" in line
    line_with(diagnosis, "cannot be served", "binding: power_available_year")


def test_floor_space():
    inst = small_instance()
    inst["sites"][0].update(max_facility_mw=10, max_blocks=1)
    inst["demand"]["training"] = {"2026": 100}
    diagnosis = solve_infeasible(inst)
    delivered = math.floor(BLOCK_KW / UNIT_KW) * 8 * PERF  # 12 units in one block: 77.76
    line_with(diagnosis, "training demand in 2026 cannot be met", f"{100 - delivered:.6g} of 100")
    line_with(diagnosis, "floor space binds at site 's1'", "1 more block(s) than max_blocks 1",
              "(2 blocks)")


def test_no_gpu_on_sale_in_a_demand_year():
    inst = small_instance()
    inst["horizon"] = {"start_year": 2026, "end_year": 2027}
    inst["options"]["life_choices_years"] = [1]  # a 2026 purchase cannot run in 2027
    inst["demand"]["training"] = {"2026": 50, "2027": 50}  # g1 is on sale in 2026 only
    diagnosis = solve_infeasible(inst)
    line_with(diagnosis, "training demand in 2027 cannot be met", "50 of 50")
    line = line_with(diagnosis, "GPU sale years bind", "g1", "bought in 2027", "sale years 2026-2026")
    assert f"({units_for(50) * 8} GPUs)" in line
    line_with(diagnosis, "cannot be served", "binding: GPU sale years")


def test_port_speed_faster_than_every_fabric():
    inst = small_instance()
    inst["catalog"]["gpus"][0]["nic_gbps"] = 1600  # eth serves up to 800
    diagnosis = solve_infeasible(inst)
    line_with(diagnosis, "training demand in 2026 cannot be met", "50 of 50")
    line_with(diagnosis, "port speed binds", "g1 needs 1600 Gb/s", "eth", "up to 800 Gb/s")
    line_with(diagnosis, "cannot be served", "binding: port speeds")


def test_budget_too_small():
    inst = small_instance()
    inst["finance"]["annual_capex_budget_usd"] = 2_000_000
    diagnosis = solve_infeasible(inst)
    line_with(diagnosis, "training demand in 2026 cannot be met", "50 of 50")
    capex = 1_000_000 + 100_000 + 1_100_000 + units_for(50) * 8 * 22_000  # 3_608_000
    line_with(diagnosis, "budget binds in 2026", f"capex {capex - 2_000_000:,.0f} USD above",
              "2,000,000", f"({capex:,.0f} USD)")


def test_region_no_site_serves():
    inst = small_instance()
    inst["demand"]["inference"] = [{"region": "eu", "perf": {"2026": 20}}]
    diagnosis = solve_infeasible(inst)
    line_with(diagnosis, "inference demand of region 'eu' in 2026 cannot be met", "20 of 20")
    line_with(diagnosis, "no site serves region 'eu'")
    assert not [line for line in diagnosis if "training demand" in line]  # training is served


def test_cli_prints_the_diagnosis_and_exits_1(tmp_path):
    import json

    inst = small_instance()
    inst["finance"]["annual_capex_budget_usd"] = 2_000_000
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(inst))
    result = CliRunner().invoke(main, ["solve", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "infeasible" in result.output and "budget binds in 2026" in result.output


# ----------------------------------------------------------------------------- --allow-unmet


def test_allow_unmet_prices_the_shortfall():
    inst = small_instance()
    inst["sites"][0].update(max_facility_mw=10, max_blocks=1)
    inst["demand"]["training"] = {"2026": 100}
    price = 1e7  # USD per unit of throughput: dearer than any GPU, so every GPU that fits is bought
    solution = dcopt.solve(inst, allow_unmet_usd_per_perf=price)
    assert solution.has_plan and solution.status == "optimal"
    delivered = math.floor(BLOCK_KW / UNIT_KW) * 8 * PERF
    [unmet] = solution.unmet_demand
    assert (unmet.workload, unmet.year, unmet.demand) == ("training", 2026, 100)
    assert unmet.unmet == pytest.approx(100 - delivered, rel=1e-6)
    assert solution.unmet_penalty_usd == pytest.approx((100 - delivered) * price, rel=1e-6)
    assert solution.tco_usd == pytest.approx(sum(solution.costs_npv_usd.values()), rel=1e-12)


def test_allow_unmet_cli(tmp_path):
    import json

    inst = small_instance()
    inst["demand"]["inference"] = [{"region": "eu", "perf": {"2026": 20}}]
    path, out = tmp_path / "inst.json", tmp_path / "out.json"
    path.write_text(json.dumps(inst))
    result = CliRunner().invoke(main, ["solve", str(path), "--allow-unmet", "1e6", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["unmet_demand"] == [{"workload": "eu", "year": 2026, "demand": 20.0, "unmet": 20.0}]
    check = CliRunner().invoke(main, ["check", str(path), str(out)], catch_exceptions=False)
    assert check.exit_code == 0, check.output
