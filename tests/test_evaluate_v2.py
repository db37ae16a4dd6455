"""`dcopt evaluate` of SPEC 8 plans (issue 10 item 4, issues 11-15 "evaluate accepts plans
with ..."): a solved v2 reference case's plan evaluated costs what the solve said; the
allocation shares surviving GPUs between pooled demand, training jobs (placements, distance
loss, DCI capacity) and rented GPUs; scenario plans are evaluated case by case.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import cases_dir

import dcopt
from dcopt.cli.main import main
from dcopt.pipeline import solve as pipeline_solve
from dcopt.plan.format import Plan, ScenarioPlan
from dcopt.plan.io import PlanError, load_plan
from dcopt.solver.lp import ArrayLp, solve_lp
from dcopt.studies.evaluate import evaluate

V2 = ["v2_job_span_two_sites", "v2_job_one_model_binding", "v2_job_mixed_models", "v2_rental",
      "v2_onsite_generation", "v2_grid_upgrade", "v2_failures", "v2_scenarios", "v2_colocation",
      "v2_fabric_ports", "v2_market_resale", "v2_lead_time"]


@pytest.fixture
def solved():
    """Solve a v2 case by name: its instance and solution (checked independently, as every
    solve's plan is)."""
    folder = cases_dir()

    def solve(name: str):
        inst = dcopt.load_instance(folder / "v2" / f"{name}.json")
        return inst, pipeline_solve.Pipeline().solve(inst)

    return solve


def plan_file(tmp_path: Path, solution: dcopt.Solution) -> Path:
    """The solution's plan written as a plan JSON (a scenario plan with scenarios)."""
    plan = solution.scenario_plan() or solution.plan()
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json(indent=1))
    return path


def expected_tco(name: str) -> float:
    return json.loads((cases_dir() / "v2" / "expected.json").read_text())[f"{name}.json"]["tco_usd"]


def plan_of(solution: dcopt.Solution, **changes) -> Plan:
    return solution.plan().model_copy(update=changes)


# ----------------------------------------------------------------------------- solved plans


@pytest.mark.parametrize("name", V2)
def test_v2_plan_costs_what_the_solve_said(tmp_path, solved, name):
    """The solve's decisions written as a plan JSON and evaluated: the same TCO, item by item,
    and the allocation evaluate chooses meets all demand."""
    inst, solution = solved(name)
    assert solution.tco_usd == pytest.approx(expected_tco(name), rel=1e-6)
    plan = load_plan(plan_file(tmp_path, solution), inst)
    ev = evaluate(inst, plan)
    assert ev.tco_usd == pytest.approx(solution.tco_usd, rel=1e-9)
    assert ev.costs_npv_usd == pytest.approx(solution.costs_npv_usd, rel=1e-9, abs=1e-6)
    assert ev.unmet_demand == []
    for c in (ev.scenarios.cases if ev.scenarios else []):
        [mine] = [x for x in solution.scenarios.cases if x.name == c.name]
        assert c.evaluation.tco_usd == pytest.approx(mine.solution.tco_usd, rel=1e-9)


@pytest.mark.parametrize("name", V2)
def test_v2_plan_is_feasible(tmp_path, solved, name):
    inst, solution = solved(name)
    ev = evaluate(inst, load_plan(plan_file(tmp_path, solution), inst))
    assert ev.feasible, (ev.broken_limits, ev.unmet_demand)


def test_job_placement_and_dci_links_are_reported(solved):
    """v2_job_span_two_sites: home B (96 GPUs), remote A over 50 km (loss 0.10), 100 Gb/s per
    remote GPU on two 400ZR links: 96 + 4.44 x 0.9 = 100."""
    inst, solution = solved("v2_job_span_two_sites")
    ev = evaluate(inst, solution.plan())
    [job] = ev.jobs
    assert (job.home, job.gpu, job.delivered) == ("B", "g", pytest.approx(100))
    at = {s.site: s for s in job.sites}
    assert at["B"].gpus == pytest.approx(96) and at["A"].gpus == pytest.approx(4 / 0.9)
    assert at["A"].loss == pytest.approx(0.10)
    [route] = ev.routes
    assert route.years[0].gbps_installed == 800 and route.years[0].gbps_used == pytest.approx(400 / 0.9)
    assert "Training jobs" in ev.text() and "2026 llm: home B, g" in ev.text()


# ----------------------------------------------------------------------------- rules a plan breaks


@pytest.mark.parametrize(("links", "unmet"), [(2, 0.0), (1, 100 - 96 - 4 * 0.9), (0, 4.0)])
def test_dci_capacity_limits_the_remote_gpus(solved, links, unmet):
    """One 400ZR link carries 4 remote GPUs (3.6 delivered), none carries no remote GPU."""
    inst, solution = solved("v2_job_span_two_sites")
    installed = [li.model_copy(update={"links": links}) for li in solution.links] if links else []
    ev = evaluate(inst, plan_of(solution, links=installed))
    short = {(u.workload, u.year): u.unmet for u in ev.unmet_demand}
    assert short.get(("llm", 2026), 0.0) == pytest.approx(unmet, abs=1e-9)
    assert ev.feasible == (unmet == 0)


def test_remote_site_needs_a_lit_route(solved):
    inst, solution = solved("v2_job_span_two_sites")
    ev = evaluate(inst, plan_of(solution, routes_lit=[]))
    [u] = ev.unmet_demand
    assert (u.workload, u.unmet) == ("llm", pytest.approx(4.0))
    assert any("remote site A gets no GPUs: its route is not lit by 2026" in n for n in ev.notes)
    assert "2026 training job llm: 4 of 100 short" in ev.text()


def test_unplaced_job_is_placed_at_one_site(solved):
    """Without job_placements, evaluate places the job at one site (the rule of
    docs/plan-format.md): B, the site with most eligible GPUs; A's 8 GPUs stay unused."""
    inst, solution = solved("v2_job_span_two_sites")
    ev = evaluate(inst, plan_of(solution, job_placements=[]))
    [placed] = ev.job_placements
    assert (placed.home, placed.gpu, placed.remote_sites) == ("B", "g", [])
    assert any("not placed by the plan; evaluated at B with g" in n for n in ev.notes)
    [u] = ev.unmet_demand
    assert u.unmet == pytest.approx(4.0)
    assert ev.tco_usd == pytest.approx(solution.tco_usd, rel=1e-9)  # placements cost nothing


def test_unplaced_single_model_job_chooses_its_model(solved):
    """v2_job_one_model_binding with 48 'b' (perf 2) and 32 'a' (perf 1) and no placement: mixed
    they would give 128, one model gives at most 96 ('b'): 4 short."""
    inst, solution = solved("v2_job_one_model_binding")
    [b] = solution.plan().purchases
    bought = [b.model_copy(update={"gpus": 48}), b.model_copy(update={"gpu": "a", "gpus": 32})]
    ev = evaluate(inst, plan_of(solution, purchases=bought, job_placements=[]))
    [placed] = ev.job_placements
    assert (placed.home, placed.gpu) == ("s1", "b")
    assert {a.gpu for a in ev.job_allocations} == {"b"}
    [u] = ev.unmet_demand
    assert (u.workload, u.unmet) == ("job", pytest.approx(4.0))


def test_failed_gpus_are_not_allocated(solved):
    """v2_failures (10 % a year): without the 2028 purchase, 64 x 0.81 + 8 x 0.9 = 59.04 of 64."""
    inst, solution = solved("v2_failures")
    plan = solution.plan()
    ev = evaluate(inst, plan.model_copy(update={"purchases": [q for q in plan.purchases if q.year < 2028]}))
    [u] = ev.unmet_demand
    assert (u.workload, u.year) == ("training", 2028)
    assert u.unmet == pytest.approx(64 - 64 * 0.81 - 8 * 0.9, rel=1e-9)


def test_rented_gpus_serve_pooled_training(solved):
    """v2_rental: 96 owned GPUs and 4.68 rented at 0.95 x 0.9 give 100; without the rental 4 short."""
    inst, solution = solved("v2_rental")
    ev = evaluate(inst, solution.plan())
    assert not ev.unmet_demand
    [r] = ev.rental_allocations
    assert (r.rental, r.workload, r.gpus) == ("cloud", "training", pytest.approx(4 / (0.95 * 0.9)))
    ev = evaluate(inst, plan_of(solution, rentals=[]))
    [u] = ev.unmet_demand
    assert u.unmet == pytest.approx(4.0)


@pytest.mark.parametrize(("entry", "path", "words"), [
    ({"job_placements": [{"job": "llm2", "year": 2026, "home": "B"}]}, "job_placements[0].job",
     "unknown job 'llm2'"),
    ({"job_placements": [{"job": "llm", "year": 2026, "home": "B", "remote_sites": ["C"]}]},
     "job_placements[0].remote_sites[0]", "unknown site 'C'"),
    ({"links": [{"a": "A", "b": "B", "optic": "800zr", "year": 2026, "links": 1}]}, "links[0].optic",
     "unknown optic '800zr'"),
    ({"routes_lit": [{"a": "A", "b": "A", "year": 2026}]}, "routes_lit[0]", "no dci_routes entry between A and A"),
    ({"rentals": [{"rental": "cloud", "year": 2026, "gpus": 1}]}, "rentals[0].rental", "unknown rental"),
])
def test_invalid_section8_entries_name_their_json_path(tmp_path, entry, path, words):
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(entry))
    result = CliRunner().invoke(main, ["evaluate", str(folder / "v2" / "v2_job_span_two_sites.json"), str(plan)])
    assert result.exit_code == 2, result.output
    assert f"{path}: {words}" in result.stderr


# ----------------------------------------------------------------------------- scenarios


def test_single_plan_for_scenarios_is_applied_to_every_case(solved):
    """v2_scenarios with the 'low' case's plan for both: case 'high' lacks 64 of its 128 in 2027."""
    inst, solution = solved("v2_scenarios")
    low = next(c for c in solution.scenarios.cases if c.name == "low").solution.plan()
    ev = evaluate(inst, low)
    assert any("applied to every scenario case" in n for n in ev.notes)
    cases = {c.name: c.evaluation for c in ev.scenarios.cases}
    assert cases["low"].feasible and not cases["high"].feasible
    [u] = cases["high"].unmet_demand
    assert (u.year, u.unmet) == (2027, pytest.approx(64))
    assert ev.tco_usd == pytest.approx(0.3 * cases["high"].tco_usd + 0.7 * cases["low"].tco_usd, rel=1e-12)
    assert ev.text().startswith(inst.name) and "Expected TCO" in ev.text()


def test_scenario_plans_must_share_their_early_decisions(solved):
    inst, solution = solved("v2_scenarios")
    plans = solution.scenario_plan()
    high = plans.cases[0].plan
    bought = [q.model_copy(update={"gpus": q.gpus + 8}) if q.year == 2026 else q for q in high.purchases]
    changed = ScenarioPlan(cases=[plans.cases[0].model_copy(update={"plan": high.model_copy(
        update={"purchases": bought})}), plans.cases[1]])
    ev = evaluate(inst, changed)
    shared = [b for b in ev.broken_limits if b.constraint == "shared_decisions"]
    assert [b.where for b in shared] == ["purchases, before 2027"] and not ev.feasible


def test_scenario_plan_names_every_case(solved):
    inst, solution = solved("v2_scenarios")
    plans = solution.scenario_plan()
    with pytest.raises(PlanError, match="cases: no plan for case"):
        evaluate(inst, ScenarioPlan(cases=plans.cases[:1]))
    with pytest.raises(PlanError, match=r"cases\[0\].case: unknown case 'mid'"):
        evaluate(inst, ScenarioPlan(cases=[plans.cases[0].model_copy(update={"case": "mid"}), plans.cases[1]]))


# ----------------------------------------------------------------------------- the CLI


def test_cli_compare_on_a_v2_case(tmp_path, solved):
    """v2_job_span_two_sites with a third 400ZR link: 2,000 USD more DCI, 1,600 more salvage
    (life 5, one year used), so 400 USD more than the optimum (r = 0)."""
    _, solution = solved("v2_job_span_two_sites")
    links = [li.model_copy(update={"links": li.links + 1}) for li in solution.links]
    plan = tmp_path / "plan.json"
    plan.write_text(plan_of(solution, links=links).model_dump_json())
    out = tmp_path / "ev.json"
    case = cases_dir() / "v2" / "v2_job_span_two_sites.json"
    result = CliRunner().invoke(main, ["evaluate", str(case), str(plan), "--compare", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ev = json.loads(out.read_text())
    c = ev["comparison"]
    assert c["optimum_tco_usd"] == pytest.approx(expected_tco("v2_job_span_two_sites"), rel=1e-6)
    assert c["difference_usd"] == pytest.approx(400, rel=1e-6)
    by_item = {d["item"]: d["difference_usd"] for d in c["by_item"]}
    assert by_item == {"dci": pytest.approx(2000), "facility_salvage": pytest.approx(-1600)}
    assert "more on data-centre interconnect" in c["summary"]
    assert "Compared with the optimum:" in result.output and "Training jobs" in result.output


def test_cli_scenario_solution_as_plan(tmp_path, solved):
    _, solution = solved("v2_scenarios")
    path = tmp_path / "solution.json"
    path.write_text(solution.model_dump_json())
    result = CliRunner().invoke(main, ["evaluate", str(cases_dir() / "v2" / "v2_scenarios.json"), str(path)])
    assert result.exit_code == 0, result.output
    assert "Expected TCO" in result.output and "case high (probability 0.3)" in result.output


# ----------------------------------------------------------------------------- the solver function


def test_solve_lp_from_arrays_and_highs_lp():
    """min 1.2 x + y  s.t.  x + 2 y >= 3,  x <= 1:  y = 1.5; with y integer, y = 2."""
    lp = ArrayLp(cost=np.array([1.2, 1.0]), col_lower=np.zeros(2), col_upper=np.array([1.0, np.inf]),
                 row_lower=np.array([3.0]), row_upper=np.array([np.inf]), start=np.array([0, 1, 2]),
                 index=np.array([0, 0]), value=np.array([1.0, 2.0]))
    for given in (lp, lp.to_highs()):
        r = solve_lp(given)
        assert r.optimal and r.x == pytest.approx([0.0, 1.5]) and r.objective == pytest.approx(1.5)
    lp.row_upper = np.array([2.0])
    assert not solve_lp(lp).optimal and solve_lp(lp).status == "Infeasible"
    lp.row_upper, lp.integer = np.array([np.inf]), np.array([False, True])
    assert solve_lp(lp).x == pytest.approx([0.0, 2.0])
