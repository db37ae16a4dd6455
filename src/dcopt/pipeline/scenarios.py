"""Scenario solutions (SPEC 8.8): the expected TCO and breakdown, the shared first stage, each case.

The top-level fields of a scenario `Solution` are the expectation: `tco_usd`
and `costs_npv_usd` are probability-weighted over the cases (so they still
sum), `costs_nominal_usd` and each site's `costs_npv_usd` likewise; the plan
fields (sites, purchases, ...) hold the decisions of the years before the reveal year, which every case
shares, and `years` the first-stage years. `scenarios.cases` has each case's
complete solution.
"""

from __future__ import annotations

from collections import defaultdict

from ..instance.schema import Instance
from ..plan.format import Plan
from ..results.solution import CaseResult, ScenarioResults, SiteResult, Solution
from .extract import CaseExtract


def first_stage(plan: Plan, reveal: int, lead: dict[str, int]) -> Plan:
    """The decisions of `plan` taken before `reveal` (a lead-time block by its decision year)."""
    early = lambda y: y < reveal
    return plan.model_copy(update={
        "openings": [o for o in plan.openings if early(o.year)],
        "fabrics": [a for a in plan.fabrics if early(a.year)],
        "builds": [b for b in plan.builds if early(b.year - lead.get(b.site, 0))],
        "purchases": [q for q in plan.purchases if early(q.year)],
        "retirements": [r for r in plan.retirements if early(r.year)],
        "grid_upgrades": [u for u in plan.grid_upgrades if early(u.year)],
        "onsite_builds": [g for g in plan.onsite_builds if early(g.year)],
        "onsite_generation": [g for g in plan.onsite_generation if early(g.year)],
        "routes_lit": [r for r in plan.routes_lit if early(r.year)],
        "links": [li for li in plan.links if early(li.year)],
        "job_placements": [x for x in plan.job_placements if early(x.year)],
        "rentals": [r for r in plan.rentals if early(r.year)],
        "allocations": [], "job_allocations": [], "rental_allocations": [],
    })


BY_YEAR_SITE_FIELDS = tuple(name for name, f in SiteResult.model_fields.items() if f.annotation == dict[int, float])
"""The per-year fields of a `SiteResult` (built_it_mw, ..., gpus, delivered, emissions_t): a
first-stage site keeps their years before the reveal."""


def _first_stage_site(site, reveal: int, lead: int, costs_npv_usd: dict[str, float]):
    keep = lambda by_year: {y: v for y, v in by_year.items() if y < reveal}
    return site.model_copy(update={
        "open_year": site.open_year if site.open_year is not None and site.open_year < reveal else None,
        "blocks": [b for b in site.blocks if b.year is None or b.year - lead < reveal],
        "fabrics": [f for f in site.fabrics if f.year is None or f.year < reveal],
        "upgrades": [u for u in site.upgrades if u.year < reveal],
        **{name: keep(getattr(site, name)) for name in BY_YEAR_SITE_FIELDS},
        "costs_npv_usd": costs_npv_usd,
    })


def _expected_site_costs(probs: list[float], solutions: list[Solution]) -> dict[str, dict[str, float]]:
    """Each site's cost items, probability-weighted over the cases (like the solution's)."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for p, sol in zip(probs, solutions):
        for site in sol.sites:
            for item, usd in site.costs_npv_usd.items():
                out[site.name][item] += p * usd
    return {name: dict(items) for name, items in out.items()}


def expected_solution(inst: Instance, extracts: list[CaseExtract], solutions: list[Solution]) -> Solution:
    sc = inst.scenarios
    probs = [e.data.ctx.case.probability for e in extracts]
    npv: dict[str, float] = defaultdict(float)
    nominal: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for p, sol in zip(probs, solutions):
        for item, usd in sol.costs_npv_usd.items():
            npv[item] += p * usd
        for item, by_year in sol.costs_nominal_usd.items():
            for y, usd in by_year.items():
                nominal[item][y] += p * usd
    lead = {s.name: s.build_lead_time_years for s in inst.sites}
    first = first_stage(solutions[0].plan(), sc.reveal_year, lead)
    base = solutions[0]
    tco = sum(p * s.tco_usd for p, s in zip(probs, solutions))
    cases = [CaseResult(name=e.data.ctx.case.name, probability=p, solution=s)
             for e, p, s in zip(extracts, probs, solutions)]
    purchases = [q for q in base.purchases if q.year < sc.reveal_year]
    site_costs = _expected_site_costs(probs, solutions)
    return base.model_copy(update={
        "tco_usd": tco,
        "costs_npv_usd": dict(npv),
        "costs_nominal_usd": {i: dict(v) for i, v in nominal.items()},
        "sites": [_first_stage_site(s, sc.reveal_year, lead.get(s.name, 0), site_costs.get(s.name, {}))
                  for s in base.sites],
        "purchases": purchases,
        "retirements": [r for r in base.retirements if r.year < sc.reveal_year],
        "allocations": [],
        "years": [y for y in base.years if y.year < sc.reveal_year],
        "unmet_demand": [u for s in solutions for u in s.unmet_demand],
        "unmet_penalty_usd": sum(p * s.unmet_penalty_usd for p, s in zip(probs, solutions)),
        "grid_upgrades": first.grid_upgrades, "onsite_builds": first.onsite_builds,
        "onsite_generation": first.onsite_generation, "routes_lit": first.routes_lit, "links": first.links,
        "job_placements": first.job_placements, "job_allocations": [], "rentals": first.rentals,
        "rental_allocations": [], "jobs": [], "routes": [], "rented": [],
        "scenarios": ScenarioResults(reveal_year=sc.reveal_year, expected_tco_usd=tco, cases=cases),
    })
