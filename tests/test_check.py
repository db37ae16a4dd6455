"""`dcopt check` (issue 3, item 1): it catches each kind of defect injected into a valid
solution JSON, naming the constraint and the place; and every reference case, solved and
then checked, shows 0 violations and the same TCO within 1e-6.

Each defect test solves a small instance once (module fixtures), writes the solution,
edits the JSON and runs `dcopt check` through the CLI.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, small_instance
from refcases import case_path, ids, reference_cases

import dcopt
from dcopt.cli.main import main
from dcopt.plan.check import check_solution
from dcopt.results.writers import read_solution, write_json

QUICKSTART = REPO / "tests" / "data" / "quickstart-frozen.json"  # the v0.1 catalog inline: a known plan


def run_check(instance: Path, solution: Path):
    return CliRunner().invoke(main, ["check", str(instance), str(solution)], catch_exceptions=False)


@pytest.fixture(scope="module")
def quickstart_solution(tmp_path_factory) -> dict:
    """The optimum of instances/quickstart.json as solution JSON: 1 site, blocks, fabrics, and
    purchases of several models, VR200-NVL72 (on sale from 2027) among them."""
    path = tmp_path_factory.mktemp("check") / "quickstart.json"
    write_json(dcopt.solve(QUICKSTART), path)
    return json.loads(path.read_text())


def case_file(name: str) -> Path:
    """A v1.1 reference case by name (the shared one when present, else the shipped copy)."""
    return case_path(name)


@pytest.fixture(scope="module")
def brownfield_solution() -> dict:
    """h3: existing 'old' GPUs (bought 2022, max life 5, so all gone by 2027) retired in two steps."""
    solution = dcopt.solve(case_file("h3_existing_retirement.json"), mip_gap=1e-9)
    return json.loads(solution.model_dump_json())


def check_edited(tmp_path: Path, instance: Path, solution: dict, edit) -> tuple[int, str]:
    data = copy.deepcopy(solution)
    edit(data)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    result = run_check(instance, path)
    return result.exit_code, result.output


def test_valid_solution_is_consistent(tmp_path, quickstart_solution):
    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, lambda d: None)
    assert code == 0, out
    assert "consistent" in out and "violation:" not in out


def _purchase(d: dict, gpu: str, year: int) -> dict:
    return next(p for p in d["purchases"] if p["gpu"] == gpu and p["year"] == year)


def _where(p: dict) -> str:
    """How the check names a purchase's design: 'GPU on FABRIC in COOLING/RACK'."""
    return f"{p['gpu']} on {p['fabric']} in {p['cooling']}/{p['rack_kw']:g}"


def test_purchase_count_changed(tmp_path, quickstart_solution):
    big = max(quickstart_solution["purchases"], key=lambda p: p["gpus"])
    assert big["gpus"] > 100

    def edit(d):
        next(p for p in d["purchases"] if p == big)["gpus"] = 8  # most of them allocated

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert f"alloc_cap [tx-abilene, {big['gpu']} on {big['fabric']}, {big['year']}]" in out
    assert "cost item deployments" in out


def test_block_removed(tmp_path, quickstart_solution):
    site = next(s for s in quickstart_solution["sites"] if s["name"] == "tx-abilene")
    first = min(site["blocks"], key=lambda b: b["year"])
    assert first["blocks"] >= 1 and first["it_mw"] == 5.0

    def edit(d):
        next(s for s in d["sites"] if s["name"] == "tx-abilene")["blocks"] = []

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert f"hall_capacity [tx-abilene, {first['cooling']}/{first['rack_kw']:g}, {first['year']}]" in out
    assert "built halls hold 0 kW" in out
    assert "cost item blocks" in out


def test_cost_item_altered(tmp_path, quickstart_solution):
    def edit(d):
        d["costs_npv_usd"]["energy"] += 12_345.0

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("cost item energy"))
    assert "difference 12,345.00" in line
    assert "violation:" not in out and "0 violations" in out  # the plan itself is untouched


def test_tco_altered(tmp_path, quickstart_solution):
    def edit(d):
        d["tco_usd"] *= 1.001

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert "cost item tco" in out


def test_retirement_moved_within_its_years(tmp_path, brownfield_solution):
    """The 8 GPUs retired at the start of 2026 retire in 2027 instead: still legal, but every
    running cost and the retirement credit change."""
    def edit(d):
        r = next(r for r in d["retirements"] if r["year"] == 2026)
        r["year"] = 2027

    assert {(r["year"], r["gpus"]) for r in brownfield_solution["retirements"]} == {(2026, 8), (2027, 24)}
    code, out = check_edited(tmp_path, case_file("h3_existing_retirement.json"), brownfield_solution, edit)
    assert code == 1
    assert "cost item existing_retirement" in out
    assert "cost item energy" in out


def test_retirement_moved_past_its_deadline(tmp_path, brownfield_solution):
    def edit(d):
        r = next(r for r in d["retirements"] if r["year"] == 2027)
        r["year"] = 2028

    code, out = check_edited(tmp_path, case_file("h3_existing_retirement.json"), brownfield_solution, edit)
    assert code == 1
    assert "retire_year [deployment 0, 2028]: retirement in 2028, allowed 2026..2027" in out


def test_gpu_bought_outside_its_sale_years(tmp_path, quickstart_solution):
    vr = _purchase(quickstart_solution, "VR200-NVL72", 2027)

    def edit(d):
        _purchase(d, "VR200-NVL72", 2027)["year"] = 2026  # on sale from 2027

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert (f"sale_years [tx-abilene, {_where(vr)}, 2026]: "
            "VR200-NVL72 is on sale 2027-2040, not in 2026") in out


def test_grid_limit_exceeded(tmp_path, quickstart_solution):
    def edit(d):
        site = next(s for s in d["sites"] if s["name"] == "tx-abilene")
        site["blocks"][0]["blocks"] = 6  # 6 x 5 MW x PUE 1.12 = 33.6 MW > 30 MW

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert "grid [tx-abilene, 2026]: facility power 33.6 MW exceeds the grid limit 30 MW" in out


def test_demand_left_unmet(tmp_path, quickstart_solution):
    def edit(d):
        d["allocations"] = [a for a in d["allocations"]
                            if not (a["year"] == 2027 and a["workload"] == "training")]

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert "training_demand [2027]: delivered 0 of 4500" in out


def test_inference_demand_left_unmet(tmp_path, quickstart_solution):
    def edit(d):
        for a in d["allocations"]:
            if a["year"] == 2028 and a["workload"] == "us":
                a["gpus"] /= 2

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert "inference_demand [us, 2028]" in out


def test_unknown_name_and_year_outside_horizon_are_reported_not_a_crash(tmp_path, quickstart_solution):
    """A plan entry naming an unknown GPU, or a year outside the horizon, used to crash the
    costing (exit 3); it is a violation, and the costs are recomputed without it."""
    def edit(d):
        d["purchases"][0]["gpu"] = "H999"
        d["purchases"][1]["year"] = 2020

    code, out = check_edited(tmp_path, QUICKSTART, quickstart_solution, edit)
    assert code == 1
    assert "names [tx-abilene, H999" in out
    assert f"horizon [tx-abilene, {_where(quickstart_solution['purchases'][1])}, 2020]" in out
    assert "left out of the recomputed costs" in out


def test_gpu_outside_sale_years_with_a_year_map_price(tmp_path):
    """A GPU priced by a year map has no price outside its sale years: the check reports the
    purchase instead of crashing (the costing uses the nearest listed year's price)."""
    inst = json.loads(case_file("h1_single_year_resale.json").read_text())
    inst["catalog"]["gpus"][0]["price_usd_per_gpu"] = {"2026": 20000}
    inst["finance"]["annual_capex_budget_usd"] = 1e9  # the budget check costs the plan too
    inst_path = tmp_path / "inst.json"
    inst_path.write_text(json.dumps(inst))
    solution = dcopt.solve(inst_path)
    data = json.loads(solution.model_dump_json())
    data["purchases"][0]["year"] = 2025
    inst["horizon"]["start_year"] = 2025
    inst["demand"]["training"] = {"2026": 50}
    inst_path.write_text(json.dumps(inst))
    code, out = check_edited(tmp_path, inst_path, data, lambda d: None)
    assert code == 1
    assert "sale_years [s1, g1 on eth in air/20, 2025]: g1 is on sale 2026-2026, not in 2025" in out


# ----------------------------------------------------------------------------- every reference case

CASES = reference_cases()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_reference_case_solved_then_checked(tmp_path, case):
    """Each case once: the shipped copies and ../shared/cases (see refcases.py)."""
    expected = case.expected
    solution = dcopt.solve(case.path, mip_gap=1e-9)
    path = tmp_path / "solution.json"
    write_json(solution, path)
    result = run_check(case.path, path)
    report = check_solution(dcopt.load_instance(case.path), read_solution(path))
    assert report.violations == [] and report.cost_differences == []
    if expected["tco_usd"] is None:
        assert not solution.has_plan and "nothing to check" in result.output
        assert result.exit_code == 1 and "consistent" not in result.output
        return
    assert result.exit_code == 0, result.output
    assert "consistent" in result.output
    assert report.recomputed_tco_usd == pytest.approx(report.reported_tco_usd, rel=1e-6)
    assert report.recomputed_tco_usd == pytest.approx(expected["tco_usd"], rel=1e-6)


def test_a_solution_without_a_plan_has_nothing_to_check(tmp_path):
    """Not "consistent" (issue 9): nothing was checked, exit 1."""
    inst = small_instance()
    inst["demand"]["training"] = {"2026": 1e6}  # far beyond the grid
    inst_path = tmp_path / "inst.json"
    inst_path.write_text(json.dumps(inst))
    solution = dcopt.solve(inst_path, diagnose=False)
    assert not solution.has_plan
    path = tmp_path / "solution.json"
    write_json(solution, path)
    result = run_check(inst_path, path)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == ("nothing to check: the solution has no plan (status infeasible: "
                                     "no plan exists: the instance is infeasible)")
    assert not check_solution(dcopt.load_instance(inst_path), solution).ok
