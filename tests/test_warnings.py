"""Warnings about valid instances certain or likely to fail (issue 9): `dcopt.instance.warnings`,
printed by `dcopt validate` (still exit 0) and by `dcopt solve` before solving, and listed
first in the diagnosis of an infeasible instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, cases_dir, small_instance

import dcopt
from dcopt.cli.main import main
from dcopt.instance.warnings import warnings


def kinds(data: dict) -> dict[str, str]:
    """{path: kind} of the warnings of an instance dict."""
    return {w.path: w.kind for w in warnings(dcopt.load_instance(data))}


def unserved() -> dict:
    data = small_instance()
    data["demand"]["inference"] = [{"region": "europe", "perf": {"2026": 10}}]
    return data


def test_a_plain_instance_has_no_warnings():
    assert warnings(dcopt.load_instance(small_instance())) == []


def test_shipped_instances_and_reference_cases_have_no_warnings():
    files = sorted((REPO / "instances").glob("*.json"))
    folder = cases_dir()
    if folder is not None:
        files += sorted(folder.glob("*.json"))
    files = [f for f in files if f.name != "expected.json" and not f.name.endswith("-plan.json")]
    found = {f.name: [str(w) for w in warnings(dcopt.load_instance(f))] for f in files}
    assert not {name: w for name, w in found.items() if w}


def test_inference_demand_in_a_region_no_site_serves():
    [w] = warnings(dcopt.load_instance(unserved()))
    assert (w.path, w.kind) == ("demand.inference[0].region", "unserved_demand")
    assert "'europe'" in w.message and "2026" in w.message and "infeasible" in w.message
    assert "us-east" in w.message  # the regions that are served


def test_a_near_miss_region_name_is_suggested():
    data = unserved()
    data["demand"]["inference"][0]["region"] = "us-eats"
    [w] = warnings(dcopt.load_instance(data))
    assert "did you mean 'us-east'?" in w.message


def test_a_region_in_demand_that_no_site_names():
    data = small_instance()
    data["demand"]["inference"] = [{"region": "europe", "perf": {"2026": 0, "2031": 5}}]
    assert kinds(data) == {"demand.inference[0].region": "unknown_region",
                           "demand.inference[0].perf": "demand_outside_horizon"}


def test_demand_years_outside_the_horizon():
    data = small_instance()
    data["demand"]["training"].update({"2024": 3, "2030": 1, "2031": 0})
    [w] = warnings(dcopt.load_instance(data))
    assert (w.path, w.kind) == ("demand.training", "demand_outside_horizon")
    assert "2024, 2030" in w.message and "2031" not in w.message and "2026-2026" in w.message


def test_coefficients_spanning_more_than_1e9():
    data = small_instance()
    data["demand"]["training"] = {"2026": 1e11}  # against 0.008 MW per unit: a spread of 1e13
    [w] = warnings(dcopt.load_instance(data))
    assert (w.path, w.kind) == ("demand.training.2026", "numerics")
    assert "1e13" in w.message and "0.00808" in w.message


def test_coefficients_spanning_beyond_floats():
    data = small_instance()
    data["finance"]["annual_capex_budget_usd"] = 1e9  # capex enters the budget rows
    data["sites"][0]["site_fixed_capex_usd"] = 1e-310  # 1e-316 M$, against the block capex in M$
    [w] = warnings(dcopt.load_instance(data))
    assert (w.path, w.kind) == ("sites[0].site_fixed_capex_usd", "numerics")
    assert "more than 1e308" in w.message


def test_a_site_that_could_hold_more_than_1e9_units():
    data = small_instance()
    data["catalog"]["gpus"][0].update(system_kw_per_gpu=0.01, unit_gpus=1)
    data["catalog"]["fabrics"][0]["watts_per_gbps"] = 0
    data["sites"][0].update(max_facility_mw=1e5, block_mw=1e4)
    found = {w.path: w for w in warnings(dcopt.load_instance(data))}
    assert found["sites[0].max_facility_mw"].kind == "numerics"
    assert "purchase units" in found["sites[0].max_facility_mw"].message


# --------------------------------------------------------------------------- the CLI


def write(tmp_path: Path, data: dict) -> Path:
    file = tmp_path / "inst.json"
    file.write_text(json.dumps(data))
    return file


def test_validate_prints_warnings_and_exits_0(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(write(tmp_path, unserved()))])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout and "1 warning" in result.stdout
    assert "warning: demand.inference[0].region: no site serves region 'europe'" in result.stderr


def test_validate_without_warnings_prints_none(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(write(tmp_path, small_instance()))])
    assert result.exit_code == 0 and result.stderr == "" and "warning" not in result.stdout.split(": valid")[1]


def test_solve_prints_warnings_before_solving(tmp_path):
    data = small_instance()
    data["demand"]["training"]["2031"] = 5
    result = CliRunner().invoke(main, ["solve", str(write(tmp_path, data)), "--mip-gap", "1e-3"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: demand.training: year 2031 is outside the horizon")


# --------------------------------------------------------------------------- the diagnosis


@pytest.fixture(scope="module")
def unserved_diagnosis() -> list[str]:
    """quickstart with inference demand in 'europe', which no site serves (the issue's example)."""
    data = json.loads((REPO / "instances" / "quickstart.json").read_text())
    data["demand"]["inference"].append({"region": "europe", "perf": {"2026": 100, "2027": 200}})
    data["demand"]["training"]["2031"] = 5
    solution = dcopt.solve(dcopt.load_instance(data, base_dir=REPO / "instances"), mip_gap=1e-3)
    assert solution.status == "infeasible"
    return solution.diagnosis


def test_diagnosis_lists_certain_causes_first(unserved_diagnosis):
    first = unserved_diagnosis[:3]
    assert "no site serves region 'europe'" in first[0] and "2026" in first[0]
    assert "no site serves region 'europe'" in first[1] and "2027" in first[1]
    assert first[2].startswith("warning: demand.training: year 2031")
    later = unserved_diagnosis[3:]
    assert later and not any("no site serves" in line or line.startswith("warning") for line in later)
