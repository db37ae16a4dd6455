"""Reports of section-8 solutions (SPEC 8.1-8.8, the "Report" items of issues 11-15).

Each panel appears only when the solution has something for it, carries its numbers as a table,
and those numbers are the Solution's: the checks below recompute them from the Solution's fields
and, where the report could get them wrong, from the instance (losses, prices, rates, limits).

Solutions come from tiny instances, solved by `dcopt.solve` with the independent check on:
tests/data/every-feature.json (with its scenarios, and without them), the section-8 reference
cases shipped in tests/reference_cases/v2, and two built with tests/tiny2.py. The known-answer
tests at the end give the numbers a planner reads off each panel, worked out by hand.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest
import tiny2
from click.testing import CliRunner
from refcases import shipped_dir
from test_report import PLAN_CHARTS, assert_self_contained, chart_ids, close, parse
from test_v2_scenarios import hedge_instance

from dcopt import load_instance, solve
from dcopt.cli.main import main
from dcopt.instance import semantics as sem
from dcopt.model.items import item_label
from dcopt.report import solution_report_html
from dcopt.report.html import fmt
from dcopt.report.plan_report import timeline_chart
from dcopt.report.sections8 import with_section8
from dcopt.results.writers import read_solution, write_json

DATA = Path(__file__).resolve().parent / "data"

EXPECTED = {
    "every-feature-one-future": ["gpu-survival", "block-pipeline", "fabric-ports", "job-placement",
                                 "job-throughput", "supply-mix", "supply-cost"],
    "v2_job_span_two_sites": ["job-placement", "job-throughput", "dci-routes"],
    "v2_failures": ["gpu-survival"],
    "v2_grid_upgrade": ["power-stack"],
    "v2_onsite_generation": ["power-stack", "energy-sources"],
    "v2_fabric_ports": ["fabric-ports"],
    "v2_colocation": ["supply-mix", "supply-cost"],
    "v2_rental": ["supply-mix", "supply-cost"],
    "v2_market_resale": [],
    "v2_lead_time": [],  # the site without a lead time wins: nothing ordered ahead
    "lead-time": ["block-pipeline"],
    "existing-failing": ["gpu-survival"],
    "v2_scenarios": ["scenario-tco", "scenario-fleet", "scenario-sites"],
    "every-feature": ["scenario-tco", "scenario-fleet", "scenario-sites",
                      *[f"case1-{c}" for c in ("gpu-survival", "block-pipeline", "fabric-ports", "job-placement",
                                               "job-throughput", "supply-mix", "supply-cost")],
                      *[f"case2-{c}" for c in ("gpu-survival", "block-pipeline", "power-stack", "energy-sources",
                                               "fabric-ports", "job-placement", "job-throughput", "supply-mix",
                                               "supply-cost")]],
}
"""The section-8 charts of each report, in page order (the v1.1 charts come with them)."""


# =========================================================================== solutions

def existing_failing() -> dict:
    """2026-2027: 16 GPUs of g bought in 2024 (two units, in the one existing block), failing at
    10 %/year, and no GPU on sale: training 8 a year is served by the survivors, 16 * 0.9 ** 2 =
    12.96 in 2026 and 11.664 in 2027 (selling a unit would leave 8 * 0.81 < 8)."""
    return tiny2.instance(
        years=(2026, 2027), gpus=[tiny2.gpu(annual_failure_rate=0.1, last_year=2025)], training={"2026": 8, "2027": 8},
        existing={"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}],
                  "deployments": [{"site": "s1", "cooling": "air", "rack_kw": 20, "gpu": "g", "fabric": "eth",
                                   "purchase_year": 2024, "gpus": 16, "price_usd_per_gpu": 10000}]},
        name="existing-failing")


def lead_time() -> dict:
    """2026-2027, r = 0: training 96 in 2027 only, and the one site takes a year to build a block."""
    return tiny2.instance(years=(2026, 2027), sites=[tiny2.site(build_lead_time_years=1)], training={"2027": 96},
                          name="lead-time")


BUILT = {"existing-failing": existing_failing, "lead-time": lead_time}
"""Instances built here with tests/tiny2.py."""


def instance_data(name: str) -> dict:
    if name in BUILT:
        return BUILT[name]()
    if name.startswith("every-feature"):
        data = json.loads((DATA / "every-feature.json").read_text(encoding="utf-8"))
        if name == "every-feature-one-future":
            data.pop("scenarios")
            data["name"] += " (one future)"
        return data
    return json.loads((shipped_dir("v2") / f"{name}.json").read_text(encoding="utf-8"))


@functools.cache
def solved(name: str):
    inst = load_instance(instance_data(name))
    s = solve(inst)  # the plan goes through the independent check (dcopt.check) as always
    assert s.has_plan and s.status == "optimal", s.message
    return s, inst


@functools.cache
def report(name: str) -> str:
    s, inst = solved(name)
    return solution_report_html(s, inst)


def tables(name: str) -> dict[str, list[list[object]]]:
    """Each table of the report by name, header row dropped."""
    return {k: v[1:] for k, v in parse(report(name)).tables.items()}


def section8_ids(text: str) -> list[str]:
    return [c for c in chart_ids(text) if c not in PLAN_CHARTS]


def panels(name: str):
    """(solution, chart id prefix) of every plan the report draws section-8 panels for."""
    s, _ = solved(name)
    if s.scenarios is None:
        return [(s, "")]
    return [(c.solution, f"case{i}-") for i, c in enumerate(s.scenarios.cases, start=1)]


def approx(a, b) -> bool:
    return close(a, b)


def _cell(v):
    """A table value as the page's parser reads it back (numbers as floats, None and text as text)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return fmt(v)
    return float(v)


# =========================================================================== the panels are there

@pytest.mark.parametrize("name", list(EXPECTED))
def test_section8_panels_appear_with_their_numbers(name, tmp_path):
    text = report(name)
    assert section8_ids(text) == EXPECTED[name]
    assert [c for c in chart_ids(text) if c in PLAN_CHARTS] == PLAN_CHARTS
    assert_self_contained(text)
    shown = tables(name)
    for cid in EXPECTED[name]:
        fig = text[text.index(f'<figure class="chart" id="{cid}"'):]
        fig = fig[:fig.index("</figure>")]
        assert "<svg" in fig and "How to read:" in fig, cid
        assert shown.get(cid), f"{cid}: no numbers behind the chart"
        assert any(isinstance(v, float) and v != 0 for row in shown[cid] for v in row), f"{cid}: all zero"
    # every figure comes from the Solution: the solution file alone gives the same panels, numbers and all
    s, _ = solved(name)
    write_json(s, tmp_path / "s.json")
    bare = {c.id: c for _, _, cs, _ in with_section8([], read_solution(tmp_path / "s.json"), None, None)
            for c in cs}
    assert list(bare) == EXPECTED[name]
    for cid, c in bare.items():
        if not cid.startswith("scenario-"):  # the scenario fleet's colours, not numbers, use the instance
            assert [[_cell(v) for v in r] for r in c.table.rows] == shown[cid], cid


def test_a_v11_solution_gets_no_section8_panel():
    from conftest import small_instance

    text = solution_report_html(solve(load_instance(small_instance())))
    assert chart_ids(text) == PLAN_CHARTS


# =========================================================================== jobs and routes

JOB_REPORTS = ["every-feature-one-future", "v2_job_span_two_sites", "every-feature"]


def _route_km(inst, a: str, b: str) -> float:
    return next(r.distance_km for r in inst.dci_routes if {r.a, r.b} == {a, b})


@pytest.mark.parametrize("name", JOB_REPORTS)
def test_job_placement_is_the_solutions(name):
    _, inst = solved(name)
    jobs = {j.name: j for j in inst.demand.training_jobs}
    for s, prefix in panels(name):
        rows = tables(name)[prefix + "job-placement"]
        want = sorted((j.job, j.year, j.home, x.site, x.gpus, x.loss, x.delivered) for j in s.jobs for x in j.sites)
        got = sorted((r[0], int(r[1]), r[3], r[5], r[7], r[8], r[9]) for r in rows)
        assert len(got) == len(want) > 0
        for g, w in zip(got, want):
            assert g[:4] == w[:4] and all(approx(a, b) for a, b in zip(g[4:], w[4:])), (g, w)
        for job, year, _, home, _, site, role, gpus, loss, _ in rows:
            assert (role == "home") == (site == home)
            want_loss = 0.0 if site == home else sem.remote_loss(jobs[job].remote_loss_by_km,
                                                                 _route_km(inst, home, site))
            assert approx(loss, want_loss), (job, year, site)


@pytest.mark.parametrize("name", JOB_REPORTS)
def test_job_throughput_against_demand(name):
    _, inst = solved(name)
    for s, prefix in panels(name):
        by = {(r[1], int(r[0])): r for r in tables(name)[prefix + "job-throughput"]}
        for y in s.years:
            for job, need in y.job_demand.items():
                _, _, demand, got, home, remote = by[(job, y.year)]
                assert approx(demand, need) and approx(got, y.job_delivered[job])
                assert approx(home + remote, got) and got >= demand - 1e-6
        if s is solved(name)[0]:  # one future: the demand is the instance's
            for j in inst.demand.training_jobs:
                for y in s.years:
                    assert approx(by[(j.name, y.year)][2], sem.demand_value(j.perf, y.year))


def test_dci_routes_used_against_installed():
    s, inst = solved("v2_job_span_two_sites")
    rows = tables("v2_job_span_two_sites")["dci-routes"]
    header = parse(report("v2_job_span_two_sites")).tables["dci-routes"][0]
    optics = [h[len("links:"):] for h in header if h.startswith("links:")]
    gbps = {o.name: o.gbps for o in inst.catalog.dci_optics}
    want = {(r.a, r.b, y.year): y for r in s.routes for y in r.years}
    assert len(rows) == len(want) > 0
    for row in rows:
        a, b, km, _, year = row[:5]
        y = want[(a, b, int(year))]
        links, installed, used = row[5:5 + len(optics)], row[-2], row[-1]
        assert approx(km, _route_km(inst, a, b))
        assert approx(installed, y.gbps_installed) and approx(used, y.gbps_used) and used <= installed + 1e-9
        assert approx(installed, sum(n * gbps[o] for o, n in zip(optics, links)))
    assert any(r[-1] > 0 for r in rows)


# =========================================================================== lifecycle

SURVIVAL_REPORTS = ["v2_failures", "every-feature-one-future", "every-feature", "existing-failing"]


@pytest.mark.parametrize("name", SURVIVAL_REPORTS)
def test_surviving_gpus_by_vintage(name):
    _, inst = solved(name)
    rate = {g.name: g.annual_failure_rate for g in inst.catalog.gpus}
    for s, prefix in panels(name):
        rows = tables(name)[prefix + "gpu-survival"]
        installed: dict[int, float] = defaultdict(float)
        for year, gpu, vintage, n, alive, failed in rows:
            installed[int(year)] += n
            assert approx(n - alive, failed) and alive <= n + 1e-9
            bought = [p for p in s.purchases if p.gpu == gpu and f"bought {p.year}" == vintage
                      and p.year <= year < p.resale_year]
            if bought:
                want = sum(p.gpus * (1 - rate[gpu]) ** (year - p.year) for p in bought)
                assert approx(alive, want), (year, gpu, vintage)
            existing = [d for d in s.existing_deployments if d.gpu == gpu and vintage == f"existing, {d.purchase_year}"]
            if existing:
                retired = {d.index: sum(r.gpus for r in s.retirements if r.deployment == d.index and r.year <= year)
                           for d in existing}
                want = sum((d.gpus - retired[d.index]) * (1 - rate[gpu]) ** (year - d.purchase_year) for d in existing)
                assert approx(alive, want), (year, gpu, vintage)
        for y in s.years:
            assert approx(installed.get(y.year, 0.0), sum(y.active_gpus.values()))
        assert any(r[5] > 0 for r in rows), "no failure shown"


@pytest.mark.parametrize("name", ["v2_market_resale", "v2_resale_fee_existing_market"])
def test_refresh_timeline_gives_each_sales_market_price(name):
    s, inst = solved(name)
    maps = {g.name: g.resale_usd_per_gpu for g in inst.catalog.gpus if g.resale_usd_per_gpu}
    header = parse(report(name)).tables["refresh-timeline"][0]
    assert header[-1] == "market_usd_per_gpu"
    rows = tables(name)["refresh-timeline"]
    assert rows
    for r in rows:
        gpu, to_year, price = r[1], int(r[6]), r[8]
        assert approx(price, maps[gpu][str(to_year)]) and f"at {price:,.0f} $/GPU" in r[7]
    # a solution file written before the Solution carried the prices: from the instance when given
    old = s.model_copy(update={
        "purchases": [p.model_copy(update={"market_usd_per_gpu": None}) for p in s.purchases],
        "retirements": [r.model_copy(update={"market_usd_per_gpu": None}) for r in s.retirements],
        "existing_deployments": [d.model_copy(update={"end_market_usd_per_gpu": None})
                                 for d in s.existing_deployments]})
    assert [[_cell(v) for v in r] for r in timeline_chart(old, inst).table.rows] == rows
    assert timeline_chart(old, None).table.header[-1] == "how_it_ends"


@pytest.mark.parametrize("name", ["every-feature-one-future", "every-feature"])
def test_blocks_ordered_against_commissioned(name):
    _, inst = solved(name)
    lead = {x.name: x.build_lead_time_years for x in inst.sites}
    for s, prefix in panels(name):
        rows = tables(name)[prefix + "block-pipeline"]
        built = sorted((x.name, b.cooling, b.rack_kw, b.blocks, b.year) for x in s.sites if lead[x.name]
                       for b in x.blocks if b.year is not None)
        assert sorted((r[0], r[1], r[2], r[3], int(r[6])) for r in rows) == built and built
        for site, *_, ordered, done in rows:
            assert int(done) - int(ordered) == lead[site]


# =========================================================================== power

@pytest.mark.parametrize("name", ["v2_grid_upgrade", "v2_onsite_generation", "every-feature"])
def test_power_stack_is_the_grid_limit_upgrades_and_onsite_mw(name):
    _, inst = solved(name)
    upgrade_mw = {(x.name, u.name): u.mw for x in inst.sites for u in x.grid_upgrades}
    base = {x.name: x.max_facility_mw for x in inst.sites}
    for s, prefix in panels(name):
        if prefix + "power-stack" not in tables(name):
            continue
        for site, year, grid, up, limit, onsite, available, built, _, _ in tables(name)[prefix + "power-stack"]:
            x = next(x for x in s.sites if x.name == site)
            taken = sum(upgrade_mw[(site, u.upgrade)] for u in s.grid_upgrades if u.site == site and u.year <= year)
            assert approx(grid, base[site]) and approx(up, taken) and approx(limit, base[site] + taken)
            assert approx(limit, x.grid_limit_mw[int(year)]) and approx(onsite, x.onsite_mw[int(year)])
            assert approx(onsite, sum(g.mw for g in s.onsite_builds if g.site == site and g.year <= year))
            assert approx(available, limit + onsite) and built <= available + 1e-9


@pytest.mark.parametrize("name", ["v2_onsite_generation", "every-feature"])
def test_energy_and_emissions_by_source(name):
    _, inst = solved(name)
    carbon = {(x.name, p.name): p.carbon_kg_per_mwh for x in inst.sites for p in x.onsite_power}
    for s, prefix in panels(name):
        if prefix + "energy-sources" not in tables(name):
            continue
        sums: dict[int, list[float]] = defaultdict(lambda: [0.0] * 4)
        for site, year, *values in tables(name)[prefix + "energy-sources"]:
            sums[int(year)] = [a + b for a, b in zip(sums[int(year)], values)]
            fuel = sum(g.mwh * carbon[(site, g.option)] / 1000 for g in s.onsite_generation
                       if g.site == site and g.year == year)
            assert approx(values[3], fuel)
        for y in s.years:
            grid, onsite, grid_t, onsite_t = sums[y.year]
            assert approx(grid, y.grid_mwh) and approx(onsite, y.onsite_mwh)
            assert approx(grid + onsite, y.energy_mwh) and approx(grid_t + onsite_t, y.emissions_t)
        assert any(v[1] > 0 for v in sums.values())


@pytest.mark.parametrize("name", ["v2_fabric_ports", "every-feature-one-future"])
def test_fabric_panel_gpus_by_port_speed(name):
    s, inst = solved(name)
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    gpus = {g.name: g for g in inst.catalog.gpus}
    want: dict[tuple, float] = defaultdict(float)
    for p in s.purchases:
        port = sem.port_option(fabrics[p.fabric], gpus[p.gpu])
        want[(p.fabric, None if port is None else port.gbps, gpus[p.gpu].nic_ports)] += p.gpus
    rows = tables(name)["fabric-ports"]
    got = {(f, None if g in ("", None) or (isinstance(g, float) and math.isnan(g)) else g, int(n)): bought
           for f, g, n, bought, _ in rows}
    assert got == pytest.approx(dict(want)) and any(k[1] is not None for k in got)


# =========================================================================== supply

SUPPLY_REPORTS = ["v2_colocation", "v2_rental", "every-feature-one-future", "every-feature"]


@pytest.mark.parametrize("name", SUPPLY_REPORTS)
def test_supply_mix_adds_up_to_the_fleet_and_delivery(name):
    _, inst = solved(name)
    colo = {x.name for x in inst.sites if x.colocation_usd_per_kw_month is not None}
    for s, prefix in panels(name):
        rows = {int(r[0]): r for r in tables(name)[prefix + "supply-mix"]}
        for y in s.years:
            _, own, colocated, rented, own_d, colo_d, rent_d = rows[y.year]
            assert approx(own + colocated, sum(y.active_gpus.values())) and approx(rented, y.rented_gpus)
            assert approx(colocated, sum(x.gpus.get(y.year, 0.0) for x in s.sites if x.name in colo))
            total = y.training_delivered + sum(y.inference_delivered.values()) + sum(y.job_delivered.values())
            assert approx(own_d + colo_d + rent_d, total)
            assert approx(rent_d, sum(sum(r.delivered.values()) for r in s.rented if r.year == y.year))


@pytest.mark.parametrize("name", SUPPLY_REPORTS)
def test_cost_per_delivered_unit_of_each_supply(name):
    for s, prefix in panels(name):
        rows = {r[0]: r for r in tables(name)[prefix + "supply-cost"]}
        assert approx(rows["all"][1], s.tco_usd)
        parts = [rows[k][1] for k in ("owned", "colocated", "rented") if k in rows]
        assert approx(sum(parts), s.tco_usd)
        if "rented" in rows:
            assert approx(rows["rented"][1], s.costs_npv_usd.get("rental", 0.0))
        for _, cost, delivered, per in rows.values():
            assert per is None or isinstance(per, str) or approx(per, cost / delivered)


# =========================================================================== scenarios

@pytest.mark.parametrize("name", ["v2_scenarios", "every-feature"])
def test_scenarios_section(name):
    s, _ = solved(name)
    sc = s.scenarios
    shown = tables(name)
    header = parse(report(name)).tables["scenario-tco"][0]
    col = {n: header.index(n) for n in [*(c.name for c in sc.cases), "expected"]}
    tco = {r[0]: r for r in shown["scenario-tco"]}
    for c in sc.cases:
        assert approx(tco["probability"][col[c.name]], c.probability)
        assert approx(tco["tco_usd"][col[c.name]], c.solution.tco_usd)
        for item, usd in c.solution.costs_npv_usd.items():
            assert approx(tco[item][col[c.name]], usd) and tco[item][1] == item_label(item)
    for item, usd in s.costs_npv_usd.items():
        assert approx(tco[item][col["expected"]], usd)
    assert approx(tco["tco_usd"][col["expected"]], sum(c.probability * c.solution.tco_usd for c in sc.cases))
    assert approx(tco["tco_usd"][col["expected"]], s.tco_usd)
    fleet = {(r[0], int(r[1]), r[2]): r[3] for r in shown["scenario-fleet"]}
    assert fleet == pytest.approx({(c.name, y.year, g): n for c in sc.cases for y in c.solution.years
                                   for g, n in y.active_gpus.items()})
    mw = {(r[0], r[1], int(r[2])): r[3] for r in shown["scenario-sites"]}
    for c in sc.cases:
        for x in c.solution.sites:
            for year, v in x.built_it_mw.items():
                assert approx(mw.get((c.name, x.name, year), 0.0), v)
    # the first stage: decisions before the reveal, shared by every case
    first = [r for r in shown["scenario-first-stage"] if r[1] == "buy GPUs"]
    assert sorted((int(r[0]), r[2], r[4]) for r in first) == sorted((p.year, p.site, p.gpus) for p in s.purchases)
    for c in sc.cases:
        early = sorted((p.year, p.site, p.gpu, p.gpus) for p in c.solution.purchases if p.year < sc.reveal_year)
        assert early == sorted((p.year, p.site, p.gpu, p.gpus) for p in s.purchases)
    after = {r[0]: r for r in shown["scenario-after-reveal"]}
    for c in sc.cases:
        assert after[c.name][5] == sum(p.gpus for p in c.solution.purchases if p.year >= sc.reveal_year)
    text = report(name)
    assert ("not computed" in text) == (sc.evpi_usd is None)


def card(text: str, label: str) -> str:
    """The value shown on the headline card `label`."""
    start = text.index(f"{label}</div>")
    return text[start:].split('<div class="value">', 1)[1].split("</div>", 1)[0]


def test_evpi_and_vss_from_dcopt_solve_scenario_value(tmp_path):
    """`dcopt solve --scenario-value --report` on the hedging instance of test_v2_scenarios.py (its
    docstrings have the arithmetic): the stochastic optimum hedges with 2 slow blocks, 717_740;
    each case alone, boom builds 3 slow blocks (1_065_360) and flat 1 (355_120), so
    EVPI = 717_740 - 0.5 * (1_065_360 + 355_120) = 7_500. The mean-value instance (2027 demand
    0.5 * 288 + 0.5 * 96 = 192, two blocks) builds 2 slow blocks (20_000 < 10_000 + 15_000): the
    stochastic first stage, so holding it in every case costs the stochastic optimum, VSS = 0."""
    path, out = tmp_path / "hedge.json", tmp_path / "hedge.html"
    path.write_text(json.dumps(hedge_instance()), encoding="utf-8")
    result = CliRunner().invoke(main, ["solve", str(path), "--scenario-value", "--report", str(out), "-q"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert card(text, "Expected total cost (present value)") == "717,740 USD"
    assert card(text, "Expected value of perfect information (EVPI)") == "7,500 USD"
    assert card(text, "Value of the stochastic solution (VSS)") == "0 USD"
    assert "not computed" not in text
    first = [r for r in {k: v[1:] for k, v in parse(text).tables.items()}["scenario-first-stage"]
             if r[1] == "build halls"]
    assert [(int(r[0]), r[2], r[4]) for r in first] == [(2026, "slow", 2.0)]  # decided 2026, in service 2027


# =========================================================================== the Solution's new fields

@pytest.mark.parametrize("name", ["every-feature-one-future", "v2_colocation", "v2_rental", "v2_onsite_generation",
                                  "v2_job_span_two_sites", "every-feature"])
def test_solution_figures_by_site_add_up(name):
    for s, _ in panels(name):
        for y in s.years:
            t = y.year
            assert approx(sum(x.gpus.get(t, 0.0) for x in s.sites), sum(y.active_gpus.values()))
            assert approx(sum(x.emissions_t.get(t, 0.0) for x in s.sites), y.emissions_t)
            assert approx(sum(x.onsite_emissions_t.get(t, 0.0) for x in s.sites), y.onsite_emissions_t)
            pooled = y.training_delivered + sum(y.inference_delivered.values()) + sum(y.job_delivered.values())
            rented = sum(sum(r.delivered.values()) for r in s.rented if r.year == t)
            assert approx(sum(x.delivered.get(t, 0.0) for x in s.sites) + rented, pooled)
        by_site = sum(v for x in s.sites for v in x.costs_npv_usd.values())
        assert approx(by_site + s.costs_npv_usd.get("rental", 0.0), s.tco_usd)


@pytest.mark.parametrize("name", ["v2_scenarios", "every-feature"])
def test_a_scenario_solutions_sites_are_the_first_stage_and_the_expected_costs(name):
    """The top-level sites of a scenario solution: per-year figures of the years before the reveal
    only, upgrades taken before it, and each site's costs the expectation over the cases."""
    s, _ = solved(name)
    sc = s.scenarios
    for x in s.sites:
        for field in ("built_it_mw", "gpus", "delivered", "emissions_t", "onsite_emissions_t", "grid_limit_mw"):
            assert all(t < sc.reveal_year for t in getattr(x, field)), (x.name, field)
        assert all(u.year < sc.reveal_year for u in x.upgrades)
        for item, usd in x.costs_npv_usd.items():
            want = sum(c.probability * next(y for y in c.solution.sites if y.name == x.name).costs_npv_usd[item]
                       for c in sc.cases)
            assert approx(usd, want), (x.name, item)
    by_site = sum(v for x in s.sites for v in x.costs_npv_usd.values())
    assert approx(by_site + s.costs_npv_usd.get("rental", 0.0), s.tco_usd)


@pytest.mark.parametrize("name", ["every-feature-one-future", "v2_failures", "v2_market_resale", "v2_fabric_ports",
                                  "v2_grid_upgrade", "v2_resale_fee_existing_market", "every-feature",
                                  "existing-failing"])
def test_solution_section8_fields_are_the_instances(name):
    _, inst = solved(name)
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    sites = {x.name: x for x in inst.sites}
    end = inst.horizon.end_year + 1
    for s, _ in panels(name):
        for p in s.purchases:
            g = gpus[p.gpu]
            assert p.market_usd_per_gpu == sem.year_value(g.resale_usd_per_gpu, p.resale_year)
            assert p.surviving_gpus == ({} if g.annual_failure_rate == 0 else pytest.approx(
                {t: p.gpus * (1 - g.annual_failure_rate) ** (t - p.year) for t in range(p.year, p.resale_year)}))
            port = sem.port_option(fabrics[p.fabric], g)
            assert p.port_gbps == (None if port is None else port.gbps) and p.ports_per_gpu == g.nic_ports
        for d in s.existing_deployments:
            assert d.annual_failure_rate == gpus[d.gpu].annual_failure_rate
            assert d.surviving_frac == ({} if d.annual_failure_rate == 0 else pytest.approx(
                {t: (1 - d.annual_failure_rate) ** (t - d.purchase_year) for t in inst.years}))
            assert d.end_market_usd_per_gpu == sem.year_value(gpus[d.gpu].resale_usd_per_gpu, end)
        for r in s.retirements:
            assert r.market_usd_per_gpu == sem.year_value(gpus[r.gpu].resale_usd_per_gpu, r.year)
        for x in s.sites:
            site = sites[x.name]
            assert x.build_lead_time_years == site.build_lead_time_years
            assert x.colocation_usd_per_kw_month == site.colocation_usd_per_kw_month
            options = {u.name: u for u in site.grid_upgrades}
            taken = [u for u in s.grid_upgrades if u.site == x.name]
            want = sorted(((u.upgrade, u.year, options[u.upgrade].mw, options[u.upgrade].capex_usd) for u in taken),
                          key=lambda u: (u[1], u[0]))
            assert [(u.upgrade, u.year, u.mw, u.capex_usd) for u in x.upgrades] == want


# =========================================================================== known answers, by hand

def rows_of(name: str, cid: str) -> list[dict[str, object]]:
    """The rows of a chart's table as {column: value}."""
    header, *rows = parse(report(name)).tables[cid]
    return [dict(zip(header, r)) for r in rows]


def test_job_span_panels_show_the_home_the_remote_site_and_the_dci_gbps():
    """v2_job_span_two_sites: job 'llm' needs 100 in 2026; site A holds 64 GPUs, site B 96. The job
    must span: homed at B, B's 96 GPUs give 96, A's GPUs 50 km away give 1 - 0.10 each (SPEC's
    default loss table: 0.05 up to 10 km, 0.10 up to 1,000 km), so A needs 4 / 0.9 = 4.44 GPUs
    (one 8-GPU unit bought) and 100 Gb/s each: 444.4 Gb/s, two 400ZR links (800 Gb/s; one gives
    400 Gb/s, 4 GPUs, 3.6 < 4). Homed at A (64 GPUs at most), B would send at least 36 / 0.9 = 40
    remote GPUs, 4,000 Gb/s: ten 400ZR links instead of two, for the same GPUs and halls."""
    place = rows_of("v2_job_span_two_sites", "job-placement")
    assert {(r["job"], r["year"], r["home"], r["gpu"]) for r in place} == {("llm", 2026, "B", "g")}
    by_site = {r["site"]: r for r in place}
    assert by_site["B"]["role"] == "home" and by_site["B"]["loss"] == 0
    assert by_site["A"]["role"] == "remote" and approx(by_site["A"]["loss"], 0.10)
    assert approx(by_site["A"]["delivered"], 0.9 * by_site["A"]["gpus"])
    assert approx(by_site["A"]["delivered"] + by_site["B"]["delivered"], 100)
    assert 4 / 0.9 - 1e-9 <= by_site["A"]["gpus"] <= 8 and by_site["B"]["gpus"] <= 96
    (thr,) = rows_of("v2_job_span_two_sites", "job-throughput")
    assert (thr["job"], thr["year"], thr["demand"]) == ("llm", 2026, 100) and approx(thr["delivered"], 100)
    assert approx(thr["delivered_remote"], by_site["A"]["delivered"])
    (route,) = rows_of("v2_job_span_two_sites", "dci-routes")
    assert (route["a"], route["b"], route["distance_km"], route["lit_year"], route["year"]) == ("A", "B", 50, 2026, 2026)
    assert route["links:400zr"] == 2 and route["gbps_installed"] == 800
    assert approx(route["gbps_used"], 100 * by_site["A"]["gpus"]) and route["gbps_used"] >= 4000 / 9 - 1e-6


def test_survival_panel_known_answer():
    """v2_failures: 10 %/year failures, training 64 a year: 8 units in 2026, then one unit in 2027
    (64 * 0.9 = 57.6 < 64) and one in 2028 (57.6 * 0.9 + 8 * 0.9 = 59.04 < 64)."""
    rows = {(r["year"], r["vintage"]): (r["installed"], r["surviving"], r["failed"])
            for r in rows_of("v2_failures", "gpu-survival")}
    want = {(2026, "bought 2026"): (64, 64, 0), (2027, "bought 2026"): (64, 57.6, 6.4),
            (2027, "bought 2027"): (8, 8, 0), (2028, "bought 2026"): (64, 51.84, 12.16),
            (2028, "bought 2027"): (8, 7.2, 0.8), (2028, "bought 2028"): (8, 8, 0)}
    assert rows.keys() == want.keys()
    for k, v in want.items():
        assert all(approx(a, b) for a, b in zip(rows[k], v)), k


def test_survival_panel_of_existing_gpus():
    """existing_failing(): 16 GPUs bought 2024 at 10 %/year: 12.96 working in 2026, 11.664 in 2027."""
    rows = {r["year"]: r for r in rows_of("existing-failing", "gpu-survival")}
    assert set(rows) == {2026, 2027} and {r["vintage"] for r in rows.values()} == {"existing, 2024"}
    assert approx(rows[2026]["installed"], 16) and approx(rows[2026]["surviving"], 12.96)
    assert approx(rows[2027]["installed"], 16) and approx(rows[2027]["surviving"], 11.664)
    assert approx(rows[2027]["failed"], 16 - 11.664)


def test_refresh_timeline_market_price_known_answer():
    """v2_market_resale: the 64 GPUs bought in 2026 for two years are sold in 2028 at the map's 3,000 $."""
    (row,) = rows_of("v2_market_resale", "refresh-timeline")
    assert (row["gpu"], row["gpus"], row["from_year"], row["to_year"]) == ("g", 64, 2026, 2028)
    assert row["market_usd_per_gpu"] == 3000 and row["how_it_ends"].endswith("at 3,000 $/GPU")


def test_block_pipeline_known_answer():
    """lead_time(): the 96 GPUs of 2027 need one block (12 units); with a one-year lead it is ordered
    and paid in 2026 and commissioned in 2027."""
    (row,) = rows_of("lead-time", "block-pipeline")
    assert (row["site"], row["blocks"], row["it_mw"]) == ("s1", 1, 0.1)
    assert (row["ordered_year"], row["commissioned_year"]) == (2026, 2027)


def test_power_stack_known_answers():
    """v2_grid_upgrade: 150 GPUs need two 0.1 MW blocks, 0.25 MW with PUE 1.25, over the 0.13 MW
    grid; the 'sub' upgrade (+0.15 MW, 60_000) beats opening s2 (150_000): 0.28 MW available.
    v2_onsite_generation: 152 GPUs (19 units) in two blocks draw E = 152 kW * 1.25 * 8,760 h =
    1,664.4 MWh. Gas at 50 $/MWh + 400 kg * 50 $/t = 70 $/MWh beats the grid's 120 + 5 = 125, and a
    MW of gas (1 M$, mostly salvaged, 20_000 $/year) generates 0.9 * 8,760 MWh, saving far more:
    all of E is generated on site, 1,664.4 / (0.9 * 8,760) = 0.2111 MW built, 665.76 t CO2."""
    (up,) = rows_of("v2_grid_upgrade", "power-stack")
    assert (up["site"], up["year"], up["upgrades_taken"]) == ("s1", 2026, "sub (+0.15 MW)")
    assert approx(up["base_grid_mw"], 0.13) and approx(up["upgrades_mw"], 0.15) and approx(up["grid_limit_mw"], 0.28)
    assert approx(up["facility_mw"], 0.25) and up["onsite_mw"] == 0
    (gen,) = rows_of("v2_onsite_generation", "power-stack")
    energy = 152 * 1.25 * 8.76
    assert approx(gen["grid_limit_mw"], 0.13) and approx(gen["onsite_mw"], energy / (0.9 * 8760))
    assert approx(gen["available_mw"], 0.13 + energy / (0.9 * 8760)) and approx(gen["facility_mw"], 0.25)
    (src,) = rows_of("v2_onsite_generation", "energy-sources")
    assert approx(src["onsite_mwh"], energy) and src["grid_mwh"] == 0
    assert approx(src["onsite_emissions_t"], energy * 0.4) and src["grid_emissions_t"] == 0


def test_fabric_ports_known_answer():
    """v2_fabric_ports: training 96 with 2 x 400G NICs; fabric 'pf' (400G ports) is capped at 48
    GPUs a site, the other 48 go on 'eth2' (priced per Gb/s, no port option)."""
    rows = {r["fabric"]: r for r in rows_of("v2_fabric_ports", "fabric-ports")}
    assert rows["pf"]["port_gbps"] == 400 and rows["pf"]["ports_per_gpu"] == 2 and rows["pf"]["gpus_bought"] == 48
    assert rows["eth2"]["port_gbps"] == "" and rows["eth2"]["gpus_bought"] == 48


def test_supply_panels_known_answers():
    """v2_rental: training 100; the owned site holds at most 96 GPUs; the 4 left come from the cloud
    at 0.95 efficiency and 0.9 availability: 4 / 0.855 = 4.678 GPUs at 13,140 $/GPU-year =
    61,473.68 $, 15,368.42 $ per unit delivered.
    v2_colocation: the colocation site's fees beat the owned site's 3 M$/MW shell: all 64 GPUs
    colocated both years, and the cost per unit is the TCO over 128 units delivered."""
    (mix,) = rows_of("v2_rental", "supply-mix")
    assert (mix["owned_gpus"], mix["colocated_gpus"], mix["owned_delivered"]) == (96, 0, 96)
    assert approx(mix["rented_gpus"], 4 / 0.855) and approx(mix["rented_delivered"], 4)
    cost = {r["supply"]: r for r in rows_of("v2_rental", "supply-cost")}
    assert approx(cost["rented"]["cost_npv_usd"], 4 / 0.855 * 13140)
    assert approx(cost["rented"]["usd_per_unit"], 4 / 0.855 * 13140 / 4)
    assert approx(cost["all"]["cost_npv_usd"], 436_593.6842105263)  # the case's expected TCO
    colo = rows_of("v2_colocation", "supply-mix")
    assert [(r["year"], r["owned_gpus"], r["colocated_gpus"], r["rented_gpus"]) for r in colo] == [
        (2026, 0, 64, 0), (2027, 0, 64, 0)]
    cost = {r["supply"]: r for r in rows_of("v2_colocation", "supply-cost")}
    assert set(cost) == {"colocated", "all"} and approx(cost["colocated"]["usd_per_unit"], 768_738.2479338843 / 128)


def test_scenarios_section_known_answer():
    """v2_scenarios (r = 0, reveal 2027): both cases share 2026's site, block and 64 GPUs bought for two
    years. 'low' (p 0.7) does nothing more: block 100_000 - salvage 80_000, GPUs 640_000 - resale
    320_000 (book value at age 2), energy 2 * 64 * 1_095: 480_160. 'high' (p 0.3) needs 128 GPUs in
    2027: a second block (100_000 - 90_000) and 64 GPUs at 15_000 resold at 0.75 (240_000 net),
    energy 70_080 more: 800_240. Expected: 0.3 * 800_240 + 0.7 * 480_160 = 576_184."""
    tco = {r["item"]: r for r in rows_of("v2_scenarios", "scenario-tco")}
    assert (tco["probability"]["high"], tco["probability"]["low"]) == (0.3, 0.7)
    assert (tco["tco_usd"]["high"], tco["tco_usd"]["low"]) == (800_240, 480_160)
    assert approx(tco["tco_usd"]["expected"], 576_184)
    assert tco["blocks"]["description"] == item_label("blocks") and tco["blocks"]["high"] == 200_000
    first = sorted((r["year"], r["decision"], r["amount"]) for r in rows_of("v2_scenarios", "scenario-first-stage"))
    assert first == [(2026, "build halls", 1), (2026, "buy GPUs", 64), (2026, "open site", 1)]
    after = {r["case"]: r for r in rows_of("v2_scenarios", "scenario-after-reveal")}
    assert (after["high"]["GPUs bought"], after["high"]["IT MW ordered"]) == ("g 64", 0.1)
    assert (after["low"]["GPUs bought"], after["low"]["IT MW ordered"]) == ("-", 0)
    fleet = {(r["case"], r["year"]): r["gpus"] for r in rows_of("v2_scenarios", "scenario-fleet")}
    assert fleet == {("high", 2026): 64, ("high", 2027): 128, ("low", 2026): 64, ("low", 2027): 64}
