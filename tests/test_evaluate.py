"""`dcopt evaluate` (issue 3, item 2): cost a plan the user brings, optimise only its
allocation, report broken limits and unmet demand; `--compare` explains the difference
to the optimum item by item and site by site. Plus the plan file format (docs, errors).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, cases_dir, small_instance

import dcopt
from dcopt.cli.main import main
from dcopt.docgen import plan_format_markdown
from dcopt.model.items import SPEC5_ITEMS as COST_ITEMS
from dcopt.plan.costing import cost_plan, cost_plan_by_site
from dcopt.plan.format import Plan
from dcopt.plan.io import load_plan
from dcopt.studies.evaluate import evaluate

QUICKSTART = REPO / "instances" / "quickstart.json"
QUICKSTART_PLAN = REPO / "instances" / "quickstart-plan.json"
PERF_TRAIN = 1.0 * 0.9 * 0.9  # small_instance: g1 training throughput per GPU on eth
PERF_INFER = 1.0 * 0.9


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(tmp_path: Path, data: dict, name: str) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def small_plan(gpus: int = 64, blocks: int = 1) -> dict:
    """A plan for small_instance(): open s1, eth, `blocks` air/20 blocks, `gpus` g1 in 2026."""
    return {
        "openings": [{"site": "s1", "year": 2026}],
        "fabrics": [{"site": "s1", "fabric": "eth", "year": 2026}],
        "builds": [{"site": "s1", "cooling": "air", "rack_kw": 20, "year": 2026, "blocks": blocks}],
        "purchases": [{"site": "s1", "cooling": "air", "rack_kw": 20, "gpu": "g1", "fabric": "eth",
                       "year": 2026, "gpus": gpus, "life_years": 3}],
    }


# ----------------------------------------------------------------------------- the example plan


def test_example_plan_is_feasible_and_costed(tmp_path):
    out = tmp_path / "ev.json"
    result = run("evaluate", QUICKSTART, QUICKSTART_PLAN, "-o", out)
    assert result.exit_code == 0, result.output
    assert "meets all demand within every limit" in result.output
    ev = json.loads(out.read_text())
    inst = dcopt.load_instance(QUICKSTART)
    plan = load_plan(QUICKSTART_PLAN, inst)
    costs = cost_plan(inst, plan)
    assert ev["feasible"] and ev["broken_limits"] == [] and ev["unmet_demand"] == []
    assert ev["tco_usd"] == pytest.approx(costs.tco_usd, rel=1e-12)
    assert ev["costs_npv_usd"] == pytest.approx(costs.npv_usd, rel=1e-12)
    for y in ev["years"]:  # the allocation meets every demand
        assert y["training_delivered"] == pytest.approx(y["training_demand"], rel=1e-6)
        for r, need in y["inference_demand"].items():
            assert y["inference_delivered"][r] == pytest.approx(need, rel=1e-6)


def test_example_plan_is_not_the_optimum():
    inst = dcopt.load_instance(QUICKSTART)
    ev = evaluate(inst, load_plan(QUICKSTART_PLAN, inst))
    assert ev.tco_usd > 1.2 * dcopt.solve(inst).tco_usd


# ----------------------------------------------------------------------------- costs and allocation

SMALL_CASES = ["gen-019.json", "gen-037.json", "gen-039.json", "h3_existing_retirement.json"]


@pytest.mark.parametrize("name", SMALL_CASES)
def test_the_optimum_evaluated_as_a_plan(tmp_path, name):
    """A solution JSON is accepted as a plan: same TCO, feasible (its allocation is redone),
    and the per-site costs add up to the totals, item by item."""
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found")
    inst = dcopt.load_instance(folder / name)
    solution = dcopt.solve(inst)
    path = tmp_path / "solution.json"
    path.write_text(solution.model_dump_json())
    plan = load_plan(path, inst)
    ev = evaluate(inst, plan)
    assert ev.feasible, (ev.broken_limits, ev.unmet_demand)
    assert ev.tco_usd == pytest.approx(solution.tco_usd, rel=1e-9)
    by_site = cost_plan_by_site(inst, plan)
    assert set(by_site) == {s.name for s in inst.sites}
    for item in COST_ITEMS:
        total = sum(c.npv_usd[item] for c in by_site.values())
        assert total == pytest.approx(ev.costs_npv_usd[item], rel=1e-9, abs=1e-6), item
        nominal = sum(c.nominal_usd[item] for c in by_site.values())
        assert nominal == pytest.approx(cost_plan(inst, plan).nominal_usd[item], rel=1e-9, abs=1e-6)


def test_unmet_demand_too_few_gpus(tmp_path):
    inst = write(tmp_path, small_instance(), "inst.json")  # training 50 in 2026
    plan = write(tmp_path, small_plan(gpus=48), "plan.json")
    out = tmp_path / "ev.json"
    result = run("evaluate", inst, plan, "-o", out)
    assert result.exit_code == 1
    ev = json.loads(out.read_text())
    assert not ev["feasible"] and ev["broken_limits"] == []
    [unmet] = ev["unmet_demand"]
    assert (unmet["workload"], unmet["year"], unmet["demand"]) == ("training", 2026, 50)
    assert unmet["unmet"] == pytest.approx(50 - 48 * PERF_TRAIN, rel=1e-9)
    assert "2026 training: 11.12 of 50 short" in result.output


def test_allocation_serves_regions_only_from_sites_that_serve_them():
    """s1 serves us-east only; 64 GPUs for training 50 (61.7 GPUs), us-east 10 (11.1 GPUs) and
    eu 5 (no site). Least unmet throughput: us-east first (0.9 per GPU against 0.81)."""
    data = small_instance()
    data["demand"]["inference"] = [{"region": "us-east", "perf": {"2026": 10}},
                                   {"region": "eu", "perf": {"2026": 5}}]
    inst = dcopt.load_instance(data)
    ev = evaluate(inst, Plan.model_validate(small_plan(gpus=64)))
    unmet = {u.workload: u.unmet for u in ev.unmet_demand}
    to_us = 10 / PERF_INFER
    assert unmet["eu"] == pytest.approx(5)
    assert "us-east" not in unmet
    assert unmet["training"] == pytest.approx(50 - (64 - to_us) * PERF_TRAIN, rel=1e-9)
    assert sum(a.gpus for a in ev.allocations) == pytest.approx(64)
    assert not [a for a in ev.allocations if a.workload == "eu"]


def test_broken_limits_are_listed(tmp_path):
    inst = write(tmp_path, small_instance(), "inst.json")  # grid 0.2 MW: one block of 0.15 MW
    plan = small_plan(gpus=64, blocks=3)
    plan["purchases"][0]["life_years"] = 4  # not a life choice ([3])
    result = run("evaluate", inst, write(tmp_path, plan, "plan.json"))
    assert result.exit_code == 1
    assert "grid [s1, 2026]: facility power 0.45 MW exceeds the grid limit 0.2 MW" in result.output
    assert "life [s1, g1 on eth in air/20, 2026]" in result.output
    assert "Unmet demand" not in result.output


def test_plan_allocations_are_replaced():
    inst = dcopt.load_instance(small_instance())
    plan = small_plan()
    plan["allocations"] = [{"site": "s1", "gpu": "g1", "fabric": "eth", "year": 2026,
                            "workload": "training", "gpus": 1}]
    ev = evaluate(inst, Plan.model_validate(plan))
    assert ev.feasible and any("replaced" in n for n in ev.notes)


# ----------------------------------------------------------------------------- --compare


def test_compare_explains_the_difference(tmp_path):
    out = tmp_path / "ev.json"
    result = run("evaluate", QUICKSTART, QUICKSTART_PLAN, "--compare", "-o", out)
    assert result.exit_code == 0, result.output
    ev = json.loads(out.read_text())
    c = ev["comparison"]
    assert c["optimum_status"] == "optimal"
    diff = ev["tco_usd"] - c["optimum_tco_usd"]
    assert c["difference_usd"] == pytest.approx(diff, rel=1e-9)
    assert c["optimum"]["tco_usd"] == pytest.approx(c["optimum_tco_usd"])
    # item by item, site by site and by group, the differences add up to the whole
    assert sum(d["difference_usd"] for d in c["by_item"]) == pytest.approx(diff, rel=1e-6)
    assert sum(d["difference_usd"] for d in c["by_site_item"]) == pytest.approx(diff, rel=1e-6)
    assert sum(d["difference_usd"] for d in c["by_group"]) == pytest.approx(diff, rel=1e-6)
    sizes = [abs(d["difference_usd"]) for d in c["by_site_item"]]
    assert sizes == sorted(sizes, reverse=True)
    top = c["by_group"][0]
    assert top["site"] == "tx-abilene" and top["group"].startswith("GPUs")
    assert c["summary"].startswith(f"Your plan pays {diff / 1e6:,.2f} M$ more than the optimum")
    assert f"{top['difference_usd'] / 1e6:,.2f} M$ of it in GPUs at site tx-abilene" in c["summary"]
    assert "Compared with the optimum:" in result.output and c["summary"] in result.output
    b200 = sum(p["gpus"] for p in json.loads(QUICKSTART_PLAN.read_text())["purchases"] if p["gpu"] == "B200")
    assert any(line.startswith("GPUs bought: yours") and f"{b200:,} B200" in line for line in c["decisions"])


def test_compare_with_no_optimum(tmp_path):
    data = small_instance()
    data["finance"]["annual_capex_budget_usd"] = 2_000_000
    inst = write(tmp_path, data, "inst.json")
    result = run("evaluate", inst, write(tmp_path, small_plan(), "plan.json"), "--compare")
    assert result.exit_code == 1
    assert "budget [2026]: capex 3,608,000 USD exceeds the budget 2,000,000 USD" in result.output
    assert "No optimum to compare with: no plan exists" in result.output
    assert "budget binds in 2026" in result.output


# ----------------------------------------------------------------------------- the plan file


@pytest.mark.parametrize(("edit", "path", "words"), [
    (lambda p: p.update(extra=1), "extra", "unknown key 'extra'"),
    (lambda p: p["purchases"][0].update(gpuz=p["purchases"][0].pop("gpu")), "purchases[0].gpuz",
     "did you mean 'gpu'"),
    (lambda p: p["purchases"][0].pop("life_years"), "purchases[0].life_years", "required key is missing"),
    (lambda p: p["builds"][0].update(blocks=0), "builds[0].blocks", "must be >= 1"),
    (lambda p: p["openings"][0].update(year="2026x"), "openings[0].year", "whole number"),
    (lambda p: p["purchases"][0].update(gpu="H999"), "purchases[0].gpu", "unknown gpu 'H999'"),
    (lambda p: p["builds"][0].update(rack_kw=25), "builds[0].rack_kw", "no rack density of 25 kW"),
    (lambda p: p["fabrics"][0].update(fabric="ib"), "fabrics[0].fabric", "unknown fabric 'ib'"),
    (lambda p: p["openings"][0].update(year=2030), "openings[0].year", "outside the horizon 2026-2026"),
    (lambda p: p.update(retirements=[{"deployment": 3, "year": 2026, "gpus": 8}]),
     "retirements[0].deployment", "no existing deployment 3"),
])
def test_invalid_plan_exits_2_with_the_json_path(tmp_path, edit, path, words):
    inst = write(tmp_path, small_instance(), "inst.json")
    plan = small_plan()
    edit(plan)
    result = run("evaluate", inst, write(tmp_path, plan, "plan.json"))
    assert result.exit_code == 2
    assert "invalid plan" in result.stderr
    lines = result.stderr.splitlines()
    at = [i for i, x in enumerate(lines) if x.strip().startswith(f"{path}:")]
    assert at, result.stderr
    problem = " ".join(lines[at[0]:at[0] + 2])  # the problem and its fix
    assert words in problem, result.stderr


def test_malformed_or_missing_plan_file(tmp_path):
    inst = write(tmp_path, small_instance(), "inst.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"openings": [}')
    result = run("evaluate", inst, bad)
    assert result.exit_code == 2 and "invalid plan" in result.stderr and "line 1, column 15" in result.stderr
    result = run("evaluate", inst, tmp_path / "missing.json")
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_solution_without_a_plan_is_not_a_plan(tmp_path):
    data = small_instance()
    data["finance"]["annual_capex_budget_usd"] = 2_000_000
    inst = write(tmp_path, data, "inst.json")
    solution = tmp_path / "solution.json"
    assert run("solve", inst, "-o", solution).exit_code == 1
    result = run("evaluate", inst, solution)
    assert result.exit_code == 2 and "has_plan: the solution has no plan" in result.stderr


def test_plan_format_doc_is_up_to_date():
    # the checkout's docs, not the installed package's neighbourhood (CI installs a wheel)
    committed = (REPO / "docs" / "plan-format.md").read_text(encoding="utf-8")
    assert committed == plan_format_markdown(), \
        "docs/plan-format.md is stale: run python -m dcopt.docgen"


def test_plan_format_doc_lists_every_field():
    text = plan_format_markdown()
    for model in (Plan, *[f.annotation.__args__[0] for f in Plan.model_fields.values()
                          if getattr(f.annotation, "__args__", None)]):
        for name in getattr(model, "model_fields", {}):
            assert f"| `{name}` |" in text, name
