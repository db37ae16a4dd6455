"""The independent check of SPEC section 8 (`dcopt check`, `check_plan`, `check_solution`).

Every v2 reference case, solved, passes the check (tests/test_reference_cases_v2.py,
through `dcopt check` too); here a defect injected into a solved plan, one per rule
family of section 8, is caught with the constraint's name and place.

The defect tests solve a tiny v2 case (in well under a second) and edit its plan.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import small_instance
from refcases import case_path

import dcopt
from dcopt.cli.main import main
from dcopt.instance.scenarios import case_instance
from dcopt.model.items import SPEC5_ITEMS, reported_items
from dcopt.plan.check import check_plan, check_solution, costable_part, reference_problems
from dcopt.plan.costing import cost_plan
from dcopt.plan.format import Plan
from dcopt.results.solution import Solution


def v2_file(name: str) -> Path:
    """A v2 reference case by name (the shared one when present, else the shipped copy)."""
    return case_path(name, "v2")


# ----------------------------------------------------------------------------- cases found by the check


def test_v1_solutions_keep_the_13_items_of_spec_5(cases):
    inst = dcopt.load_instance(cases / "h3_existing_retirement.json")
    assert reported_items(inst) == SPEC5_ITEMS and len(SPEC5_ITEMS) == 13
    solution = dcopt.solve(inst, mip_gap=1e-9)
    assert set(cost_plan(inst, solution.plan()).npv_usd) == set(SPEC5_ITEMS)
    assert check_solution(inst, solution).ok


def test_job_left_unmet_in_full_needs_no_home():
    """With --allow-unmet a job no site can host is left unmet, without a home; the check
    accepts the plan (the pipeline would raise otherwise) and still wants a home for a job
    whose demand is only partly unmet."""
    inst = dcopt.load_instance(v2_file("v2_infeasible_job_gpu_not_on_sale.json"))
    solution = dcopt.solve(inst, allow_unmet_usd_per_perf=1e7, diagnose=False)
    [unmet] = solution.unmet_demand
    assert (unmet.workload, unmet.year, unmet.unmet) == ("j", 2026, 10.0)
    assert solution.job_placements == [] and check_solution(inst, solution).ok
    found = [str(v) for v in check_plan(inst, solution.plan(), {("j", 2026): 9.0})]
    assert "job_home [j, 2026]: j has demand in 2026 but no home site" in found


def test_existing_blocks_above_the_grid_limit_take_the_upgrade():
    """Grid 0.2 MW; two existing air blocks of 0.1 MW at PUE 1.5 draw 0.3 MW; upgrade 'sub'
    (+0.1 MW, 50000 USD) is the only way to meet the grid limit (SPEC 4, 7.6, 8.3). Found by
    the check: the model once gave such a site (no room for a new block) no grid rows and
    no upgrade variables."""
    data = small_instance()
    data["existing"] = {"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 2}]}
    data["sites"][0]["grid_upgrades"] = [{"name": "sub", "mw": 0.1, "capex_usd": 50000}]
    solution = dcopt.solve(data, mip_gap=1e-9)
    assert [(u.upgrade, u.year) for u in solution.grid_upgrades] == [("sub", 2026)]


# ----------------------------------------------------------------------------- injected defects


def solved(name: str) -> tuple[dcopt.Instance, Solution]:
    inst = dcopt.load_instance(v2_file(name))
    solution = dcopt.solve(inst, mip_gap=1e-9)
    assert solution.has_plan
    assert check_plan(inst, solution.plan()) == []
    return inst, solution


@pytest.fixture(scope="module")
def span():
    """Job 'llm' homed at B spans A over route A - B (lit 2026, 2 links of 400ZR: 800 Gb/s);
    4.44 GPUs at A need 444 Gb/s."""
    return solved("v2_job_span_two_sites.json")


def edited(plan: Plan, edit) -> Plan:
    data = plan.model_dump()
    edit(data)
    return Plan.model_validate(data)


def violations(inst, plan: Plan, edit) -> list[str]:
    return [str(v) for v in check_plan(inst, edited(plan, edit))]


def one(found: list[str], start: str) -> str:
    hits = [v for v in found if v.startswith(start)]
    assert hits, found
    return hits[0]


def test_job_allocation_at_a_site_the_job_does_not_span(span):
    inst, solution = span

    def edit(d):
        d["job_placements"][0]["remote_sites"] = []

    found = violations(inst, solution.plan(), edit)
    assert "job_span [llm, 2026, A, g on eth]" in one(found, "job_span")
    assert "which llm does not span in 2026 (home B)" in one(found, "job_span")


def test_span_on_an_unlit_route(span):
    inst, solution = span
    found = violations(inst, solution.plan(), lambda d: d.update(routes_lit=[]))
    assert one(found, "span_lit [llm, 2026, A]").endswith("llm spans B - A, a route not lit by 2026")
    assert one(found, "link_lit [A - B, 400zr, 2026]")
    costs = cost_plan(inst, edited(solution.plan(), lambda d: d.update(routes_lit=[])))
    assert costs.npv_usd["dci"] < solution.costs_npv_usd["dci"]


def test_links_short_of_the_dci_traffic(span):
    inst, solution = span

    def edit(d):
        d["links"][0]["links"] = 1  # 400 Gb/s for 444

    found = violations(inst, solution.plan(), edit)
    assert one(found, "dci_capacity [A - B, 2026]").endswith("jobs need 444.444 Gb/s, links installed carry 400 Gb/s")


def test_route_lit_before_a_site_opens_and_job_short(span):
    inst, solution = span

    def edit(d):
        d["openings"] = [o for o in d["openings"] if o["site"] != "A"] + [{"site": "A", "year": 2027}]
        d["job_allocations"] = [a for a in d["job_allocations"] if a["site"] == "B"]

    plan = edited(solution.plan(), edit)
    problems = reference_problems(inst, plan)
    assert problems == [("openings[1].year", "year 2027 is outside the horizon 2026-2026")]
    found = [str(v) for v in check_plan(inst, plan)]
    assert one(found, "open [A - B, 2026]").endswith("route lit in 2026 but A is not open by then")
    assert one(found, "job_demand [llm, 2026]").endswith("delivered 96 of 100")


def test_job_without_a_home(span):
    inst, solution = span
    found = violations(inst, solution.plan(), lambda d: d.update(job_placements=[]))
    assert "job_home [llm, 2026]: llm has demand in 2026 but no home site" in found


def test_job_on_a_second_gpu_model():
    inst, solution = solved("v2_job_one_model_binding.json")  # all 'b'; 'a' is capped at 64 a year

    def edit(d):
        d["purchases"].append({**d["purchases"][0], "gpu": "a", "gpus": 8})
        d["job_allocations"].append({**d["job_allocations"][0], "gpu": "a", "gpus": 8.0})

    found = violations(inst, solution.plan(), edit)
    assert "job_model [job, 2026, s1, a on eth]: job runs on b in 2026, not a" in one(found, "job_model")
    assert "job_model [job, 2026]: job runs on one GPU model, it is given a, b" in found


def test_purchase_above_a_supply_cap():
    inst, solution = solved("v2_supply_cap.json")  # at most 40 GPUs in 2027

    def edit(d):
        next(p for p in d["purchases"] if p["year"] == 2027)["gpus"] = 48

    found = violations(inst, solution.plan(), edit)
    assert "supply_cap [g, 2027]: 48 GPUs bought, the supply cap is 40" in found


def test_order_below_min_order_gpus():
    inst, solution = solved("v2_min_order.json")  # 80 GPUs in 2026; orders of at least 60

    def edit(d):
        d["purchases"][0]["gpus"] = 40
        d["purchases"].append({**d["purchases"][0], "year": 2027, "gpus": 40, "life_years": 1})

    found = violations(inst, solution.plan(), edit)
    assert "min_order [s1, g, 2026]: an order of 40 GPUs, below min_order_gpus 60" in found
    assert "min_order [s1, g, 2027]: an order of 40 GPUs, below min_order_gpus 60" in found
    assert not [v for v in found if v.startswith("training_demand")]


def test_block_commissioned_before_its_coolings_first_year():
    inst, solution = solved("v2_cooling_compat.json")  # imm from 2027; the GPU may use dlc or imm

    def edit(d):
        d["builds"][0]["cooling"] = "imm"
        d["purchases"][0]["cooling"] = "imm"

    found = violations(inst, solution.plan(), edit)
    assert one(found, "technology_year [s1, imm/20, 2026]").endswith(
        "halls of imm/20 can be commissioned from 2027, not in 2026")


def test_gpu_in_a_cooling_or_rack_its_servers_cannot_use():
    inst, solution = solved("v2_cooling_compat.json")  # cooling [dlc, imm], max_rack_kw 50

    def edit(d):
        d["builds"][0]["cooling"] = "air"
        d["purchases"][0]["cooling"] = "air"
        d["builds"].append({**d["builds"][0], "cooling": "dlc", "rack_kw": 100.0})
        d["purchases"].append({**d["purchases"][0], "cooling": "dlc", "rack_kw": 100.0, "gpus": 8})

    found = violations(inst, solution.plan(), edit)
    assert one(found, "gpu_cooling [s1, g on eth in air/20, 2026]").endswith("g's servers use dlc, imm, not air")
    assert one(found, "max_rack_kw [s1, g on eth in dlc/100, 2026]")


def test_on_site_energy_above_capacity():
    inst, solution = solved("v2_onsite_generation.json")

    def edit(d):
        d["onsite_generation"][0]["mwh"] *= 1.2  # the option runs at capacity factor 0.9 already

    found = violations(inst, solution.plan(), edit)
    assert "MWh generated, 0.211111 MW built give at most 1664.4 MWh" in one(found, "onsite_capacity [s1, gas, 2026]")


def test_on_site_energy_above_the_sites_use_and_mw_above_max():
    inst, solution = solved("v2_onsite_generation.json")  # E = 2 * 8.76 * 0.8 * 152 ... MWh

    def edit(d):
        d["onsite_builds"][0]["mw"] = 0.6  # max_mw 0.5
        d["onsite_generation"][0]["mwh"] = 4000.0

    found = violations(inst, solution.plan(), edit)
    assert one(found, "onsite_max_mw [s1, gas]").endswith("0.6 MW built, max_mw is 0.5")
    assert one(found, "onsite_energy [s1, 2026]").startswith("onsite_energy [s1, 2026]: 4000 MWh generated")


def test_grid_year_above_the_limit_without_its_upgrade():
    inst, solution = solved("v2_grid_upgrade.json")  # 0.25 MW of blocks on 0.13 + 0.15 MW
    found = violations(inst, solution.plan(), lambda d: d.update(grid_upgrades=[]))
    assert ("grid [s1, 2026]: facility power 0.25 MW exceeds the grid limit 0.13 MW "
            "(max_facility_mw 0.13 + upgrades 0 + on-site 0)") in found


def test_grid_upgrade_taken_twice():
    inst, solution = solved("v2_grid_upgrade.json")

    def edit(d):
        d["grid_upgrades"].append(dict(d["grid_upgrades"][0]))

    found = violations(inst, solution.plan(), edit)
    assert "upgrade_once [s1, sub]: grid upgrade taken 2 times" in found


def test_rental_above_max_gpus_and_rented_gpus_serving_a_job():
    _, solution = solved("v2_rental.json")  # at most 60 GPUs rented

    def edit(d):
        d["rentals"][0]["gpus"] = 70.0
        d["rental_allocations"].append({"rental": "cloud", "year": 2026, "workload": "llm", "gpus": 1.0})

    plan = edited(solution.plan(), edit)
    data = json.loads(v2_file("v2_rental.json").read_text())
    data["demand"]["training_jobs"] = [{"name": "llm", "perf": {"2026": 0}}]  # a job without demand
    found = [str(v) for v in check_plan(dcopt.load_instance(data), plan)]
    assert "rental_max_gpus [cloud, 2026]: 70 GPUs rented, max_gpus is 60" in found
    assert "rental_jobs [cloud, 2026, llm]: rented GPUs never serve training jobs" in found


def test_rental_cost_and_rented_gpus_short():
    inst, solution = solved("v2_rental.json")

    def edit(d):
        d["rentals"][0]["gpus"] = 1.0

    plan = edited(solution.plan(), edit)
    found = [str(v) for v in check_plan(inst, plan)]
    assert one(found, "rental_alloc_cap [cloud, 2026]").endswith("4.67836 rented GPUs allocated, 1 rented")
    assert cost_plan(inst, plan).npv_usd["rental"] == pytest.approx(8760 * 1.5 * 1.0)


def test_allocation_above_the_surviving_gpus():
    inst, solution = solved("v2_failures.json")  # 10 % fail each year; 64 + 8 bought for 2027

    def edit(d):
        d["purchases"] = [p for p in d["purchases"] if p["year"] != 2027]

    found = violations(inst, solution.plan(), edit)
    assert "alloc_cap [s1, g on eth, 2027]: 64 GPUs allocated, 57.6 active and working" in found


def test_fabric_above_max_gpus_per_site():
    inst, solution = solved("v2_fabric_ports.json")  # pf holds at most 48 GPUs at a site

    def edit(d):
        for p in d["purchases"]:
            p["fabric"] = "pf"
        for a in d["allocations"]:
            a["fabric"] = "pf"

    found = violations(inst, solution.plan(), edit)
    assert "fabric_max_gpus [s1, pf, 2026]: 96 GPUs installed on pf, max_gpus_per_site is 48" in found


def test_block_decided_before_its_site_opens():
    inst, solution = solved("v2_lead_time.json")  # 'slow' has a lead time of one year

    def edit(d):
        for entry in (*d["openings"], *d["fabrics"], *d["builds"], *d["purchases"], *d["allocations"]):
            entry["site"] = "slow"

    found = violations(inst, solution.plan(), edit)
    assert "open [slow, air/20, 2027]: blocks decided in 2026 but the site is not open by then" in found
    costs = cost_plan(inst, edited(solution.plan(), edit))
    assert costs.nominal_usd["blocks"][0] > 0 and costs.nominal_usd["blocks"][1] == 0  # paid in 2026


def test_block_decided_before_the_horizon():
    inst, solution = solved("v2_lead_time.json")

    def edit(d):
        d["openings"] = [{"site": "slow", "year": 2026}]
        d["builds"] = [{"site": "slow", "cooling": "air", "rack_kw": 20.0, "year": 2026, "blocks": 1}]

    plan = edited(solution.plan(), edit)
    found = [str(v) for v in check_plan(inst, plan)]
    assert ("lead_time [slow, air/20, 2026]: blocks commissioned in 2026 with a lead time of 1 years are "
            "decided in 2025, before the horizon starts in 2026") in found
    message = "blocks commissioned in 2026 are decided in 2025 (lead time 1 years), before the horizon 2026-2027"
    assert reference_problems(inst, plan) == [("builds[0].year", message)]
    assert costable_part(inst, plan).builds == []


# ----------------------------------------------------------------------------- scenarios


@pytest.fixture(scope="module")
def scenarios() -> tuple[dcopt.Instance, dict]:
    """v2_scenarios: reveal 2027; 'high' buys again in 2027, 'low' does not."""
    inst = dcopt.load_instance(v2_file("v2_scenarios.json"))
    solution = dcopt.solve(inst, mip_gap=1e-9)
    assert solution.scenarios is not None
    return inst, json.loads(solution.model_dump_json())


def check_data(inst, data: dict):
    return check_solution(inst, Solution.model_validate(data))


def case_solution(data: dict, name: str) -> dict:
    return next(c for c in data["scenarios"]["cases"] if c["name"] == name)["solution"]


def test_scenario_solution_is_consistent(scenarios):
    inst, data = scenarios
    report = check_data(inst, data)
    assert report.ok, report.text()
    probs = {c.name: c.probability for c in inst.scenarios.cases}
    case_tco = {c["name"]: cost_plan(case_instance(inst, c["name"]),
                                     Solution.model_validate(c["solution"]).plan()).tco_usd
                for c in data["scenarios"]["cases"]}
    assert report.recomputed_tco_usd == pytest.approx(sum(probs[c] * v for c, v in case_tco.items()), rel=1e-12)
    assert case_tco["high"] > case_tco["low"]


def test_scenario_case_whose_first_stage_purchase_differs(scenarios):
    inst, data = scenarios[0], copy.deepcopy(scenarios[1])
    high = case_solution(data, "high")
    p = next(p for p in high["purchases"] if p["year"] == 2026)
    p["gpus"] += 8
    report = check_data(inst, data)
    found = [str(v) for v in report.violations]
    hit = one(found, "scenario_first_stage [case low vs case high: buy (s1, air, 20.0, g, eth, 2026, 2)]")
    assert hit.endswith("case high has 72, case low 64: decisions before the reveal year must be the same in "
                        "every case")
    assert any(c.item.startswith("case high: deployments") for c in report.cost_differences)
    assert any(c.item == "expected tco" for c in report.cost_differences)


def test_scenario_second_stage_may_differ_but_the_expected_tco_must_add_up(scenarios):
    inst, data = scenarios[0], copy.deepcopy(scenarios[1])
    assert case_solution(data, "high")["purchases"] != case_solution(data, "low")["purchases"]
    data["tco_usd"] += 1000.0
    data["scenarios"]["expected_tco_usd"] += 1000.0
    report = check_data(inst, data)
    assert report.violations == []
    assert {c.item for c in report.cost_differences} == {"expected tco", "scenarios.expected_tco_usd"}


def test_scenario_case_checked_against_its_own_instance(scenarios):
    """'high' doubles 2027 training: its 2027 purchase removed leaves that case short."""
    inst, data = scenarios[0], copy.deepcopy(scenarios[1])
    high = case_solution(data, "high")
    high["purchases"] = [p for p in high["purchases"] if p["year"] != 2027]
    found = [str(v) for v in check_data(inst, data).violations]
    assert one(found, "alloc_cap [case high: s1, g on eth, 2027]")


def test_dcopt_check_on_a_scenario_solution(tmp_path, scenarios):
    _, data = scenarios
    path = tmp_path / "solution.json"
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["check", str(v2_file("v2_scenarios.json")), str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "consistent" in result.output


def test_the_check_stays_independent_of_the_model():
    """The check and its costing read the instance and the plan only: no model, components,
    pipeline or solver (the cost item registry `dcopt.model.items` excepted)."""
    import ast

    import dcopt.plan

    folder = Path(dcopt.plan.__file__).parent
    for module in ("check", "costing", "format"):
        tree = ast.parse((folder / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [("dcopt." if node.level else "") + (node.module or "")]
                if node.level == 1:
                    names = [f"dcopt.plan.{node.module}"]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert name == "dcopt.model.items" or not name.startswith(
                    ("dcopt.model", "dcopt.components", "dcopt.pipeline", "dcopt.solver", "pyomo", "highspy")), \
                    (module, name)
