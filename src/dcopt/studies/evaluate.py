"""Cost a plan the user brings (`dcopt evaluate`).

A plan (:class:`dcopt.plan.format.Plan`) fixes every decision but the
allocation; :func:`dcopt.studies.allocation.allocate` chooses that (the least
unmet demand). :func:`evaluate` then reports the TCO and its breakdown by item,
year and site from the model's own tallies (`plan_totals`: the costs the model
gives the same decisions), every limit the plan breaks
(:func:`dcopt.plan.check.check_plan`) and the demand it leaves unmet.

With scenarios (SPEC 8.8) each case's plan (a `ScenarioPlan`, or one `Plan`
for every case) is evaluated against the case's own instance
(:func:`dcopt.instance.scenarios.case_instance`); the evaluation reports the
expected TCO and costs and every case's, and flags decisions before the
reveal year that differ between cases.

Reading plans is :mod:`dcopt.plan.io`; the comparison with the optimum is
:mod:`dcopt.studies.compare`; the result models are
:mod:`dcopt.results.evaluation` and their text :mod:`dcopt.results.evaluation_writers`.
The plan file format is docs/plan-format.md (``python -m dcopt.docgen``).
"""

from __future__ import annotations

import json
from collections import defaultdict

from ..instance import semantics as sem
from ..instance.scenarios import case_instance
from ..instance.schema import Instance
from ..pipeline.assemble import (
    job_results,
    nominal_by_year,
    purchase_results,
    rental_results,
    retirement_results,
    route_results,
    site_results,
    year_results,
)
from ..pipeline.scenarios import first_stage
from ..pipeline.totals import plan_totals
from ..plan.check import check_plan
from ..plan.format import Plan, ScenarioPlan
from ..plan.io import AnyPlan, raise_reference_problems
from ..results.evaluation import BrokenLimit, CaseEvaluation, Evaluation, ScenarioEvaluation
from ..results.solution import UnmetDemand
from ..version import __version__
from .allocation import allocate

UNMET_TOL = 1e-6
"""Unmet demand below this fraction of the demand (or absolute, below 1) is solver noise."""


def evaluate(inst: Instance, plan: AnyPlan, plan_source: str = "") -> Evaluation:
    """Cost `plan` (its decisions as given), optimise its allocation, list what it breaks."""
    raise_reference_problems(inst, plan, plan_source)
    if inst.scenarios is not None:
        return evaluate_scenarios(inst, plan, plan_source)
    assert isinstance(plan, Plan)  # a ScenarioPlan for an instance without scenarios is a PlanError
    return evaluate_plan(inst, plan, plan_source)


def evaluate_plan(inst: Instance, plan: Plan, plan_source: str = "") -> Evaluation:
    """One plan against an instance without scenarios (names and years already checked)."""
    notes = []
    if plan.allocations or plan.job_allocations or plan.rental_allocations:
        notes.append("the plan's own allocations are replaced by the allocation that leaves the least "
                     "demand unmet")
    chosen = allocate(inst, plan)
    full = chosen.applied_to(plan)
    violations = check_plan(inst, full, chosen.unmet)
    d, costs = plan_totals(inst, full)
    unmet_rows = _unmet_rows(inst, chosen.unmet)
    broken = [BrokenLimit(constraint=v.constraint, where=v.where, message=v.message, amount=v.amount)
              for v in violations]
    return Evaluation(
        dcopt_version=__version__, instance_name=inst.name, plan_source=plan_source,
        feasible=not broken and not unmet_rows,
        tco_usd=costs.tco_usd, costs_npv_usd=dict(costs.npv_usd), costs_nominal_usd=nominal_by_year(costs),
        costs_by_site_npv_usd={s.name: costs.site_npv_usd(s.name) for s in inst.sites},
        broken_limits=broken, unmet_demand=unmet_rows, notes=notes + chosen.notes,
        sites=site_results(d, full, costs), purchases=purchase_results(inst, full),
        retirements=retirement_results(inst, full), allocations=chosen.allocations,
        job_placements=chosen.placements, job_allocations=chosen.job_allocations,
        rental_allocations=chosen.rental_allocations, years=year_results(d, full, costs),
        jobs=job_results(d, full), routes=route_results(d, full), rented=rental_results(d, full),
    )


def _unmet_rows(inst: Instance, unmet: dict[tuple[str, int], float]) -> list[UnmetDemand]:
    need = {(sem.TRAINING, t): sem.demand_value(inst.demand.training, t) for t in inst.years}
    need |= {(d.region, t): sem.demand_value(d.perf, t) for d in inst.demand.inference for t in inst.years}
    need |= {(j.name, t): sem.demand_value(j.perf, t) for j in inst.demand.training_jobs for t in inst.years}
    return [UnmetDemand(workload=w, year=t, demand=need[(w, t)], unmet=v)
            for (w, t), v in unmet.items() if v > UNMET_TOL * max(1.0, need[(w, t)])]


# --------------------------------------------------------------------------- scenarios


def evaluate_scenarios(inst: Instance, plan: AnyPlan, plan_source: str = "") -> Evaluation:
    """Each case's plan against the case's instance; the expected TCO and costs."""
    sc = inst.scenarios
    assert sc is not None
    notes = []
    if isinstance(plan, ScenarioPlan):
        plans = {c.case: c.plan for c in plan.cases}
    else:
        plans = {c.name: plan for c in sc.cases}
        notes.append("the plan is a single plan: it is applied to every scenario case")
    cases = [CaseEvaluation(name=c.name, probability=c.probability,
                            evaluation=evaluate_plan(case_instance(inst, c), plans[c.name], plan_source))
             for c in sc.cases]
    shared = shared_decision_breaks(inst, plans)
    broken = shared + [b.model_copy(update={"case": c.name}) for c in cases for b in c.evaluation.broken_limits]
    unmet = [u for c in cases for u in c.evaluation.unmet_demand]
    tco = sum(c.probability * c.evaluation.tco_usd for c in cases)
    return Evaluation(
        dcopt_version=__version__, instance_name=inst.name, plan_source=plan_source,
        feasible=not broken and not unmet, tco_usd=tco,
        costs_npv_usd=_expected(cases, lambda e: e.costs_npv_usd),
        costs_nominal_usd=_expected_by_year(cases),
        costs_by_site_npv_usd={s.name: _expected(cases, lambda e, s=s.name: e.costs_by_site_npv_usd[s])
                               for s in inst.sites},
        broken_limits=broken, unmet_demand=unmet, notes=notes,
        scenarios=ScenarioEvaluation(reveal_year=sc.reveal_year, expected_tco_usd=tco, cases=cases),
    )


def _expected(cases: list[CaseEvaluation], of) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for c in cases:
        for item, usd in of(c.evaluation).items():
            out[item] += c.probability * usd
    return dict(out)


def _expected_by_year(cases: list[CaseEvaluation]) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for c in cases:
        for item, by_year in c.evaluation.costs_nominal_usd.items():
            for y, usd in by_year.items():
                out[item][y] += c.probability * usd
    return {item: dict(v) for item, v in out.items()}


def shared_decision_breaks(inst: Instance, plans: dict[str, Plan]) -> list[BrokenLimit]:
    """Decisions before the reveal year that differ between cases (SPEC 8.8, 8.10.12), one per
    case and kind of decision, against the first case."""
    sc = inst.scenarios
    assert sc is not None
    lead = {s.name: s.build_lead_time_years for s in inst.sites}
    early = {name: first_stage(p, sc.reveal_year, lead) for name, p in plans.items()}
    first = sc.cases[0].name
    out = []
    for case in [c.name for c in sc.cases[1:]]:
        for family in Plan.model_fields:
            if _entries(early[case], family) != _entries(early[first], family):
                out.append(BrokenLimit(
                    constraint="shared_decisions", where=f"{family}, before {sc.reveal_year}",
                    message=f"case {case} differs from case {first} in its {family} before the reveal year "
                            f"{sc.reveal_year}; those decisions must be the same in every case"))
    return out


def _entries(plan: Plan, family: str) -> list[str]:
    """A family's entries in a form that compares equal when the decisions are equal."""
    def rounded(x):
        if isinstance(x, float):
            return float(f"{x:.9g}")
        if isinstance(x, dict):
            return {k: rounded(v) for k, v in x.items()}
        if isinstance(x, list):
            return [rounded(v) for v in x]
        return x

    return sorted(json.dumps(rounded(e.model_dump()), sort_keys=True) for e in getattr(plan, family) or [])
