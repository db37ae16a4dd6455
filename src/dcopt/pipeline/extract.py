"""A solved model -> each case's plan, its tallied totals and the `Solution` views.

Integer decisions are rounded to whole numbers first (SPEC 7.20, 8.10.1), so
the reported costs are those of the plan as written, which an independent
recomputation from the plan reproduces. Idle zero-cost openings are undone
(a tie the solver breaks arbitrarily; a planner should not see a site
"opened" with nothing in it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from ..model.context import USD_PER_MUSD
from ..model.data import ModelData
from ..model.items import COST_ITEMS
from ..model.planmap import (
    PlanTotals,
    Values,
    plan_from_values,
    round_integers,
    totals,
    values_from_model,
)
from ..plan.format import Plan
from ..results.solution import UnmetDemand


@dataclass
class CaseExtract:
    """One case's plan, its values and totals, and the model's own cost items."""

    data: ModelData
    values: Values
    plan: Plan
    totals: PlanTotals
    model_npv_usd: dict[str, float]
    unmet: list[UnmetDemand]
    unmet_penalty_usd: float


def extract_cases(blocks: list[tuple[ModelData, pyo.Block]]) -> list[CaseExtract]:
    """Each case's plan: integers rounded, idle openings undone (with scenarios, one decided
    before the reveal year only when it is idle in every case, so the cases still share it)."""
    for _, block in blocks:
        round_integers(block)
    idle = [idle_openings(block, d) for d, block in blocks]
    reveal = blocks[0][0].ctx.case.reveal_year
    if reveal is not None:
        shared = [(set.intersection(*(i[0] for i in idle)), set.intersection(*(i[1] for i in idle)))]
        idle = [({k for k in fabs if k[2] >= reveal} | shared[0][0], {k for k in opens if k[1] >= reveal} | shared[0][1])
                for fabs, opens in idle]
    for (d, block), (fabs, opens) in zip(blocks, idle):
        undo_openings(block, fabs, opens)
    return [_extract(block, d) for d, block in blocks]


def _extract(block: pyo.Block, d: ModelData) -> CaseExtract:
    x = values_from_model(block, d)
    model_npv = {item: pyo.value(block.cost[item]) * USD_PER_MUSD for item in d.items}
    unmet, penalty = _unmet(block, d)
    return CaseExtract(d, x, plan_from_values(d, x), totals(d, x), model_npv, unmet, penalty)


def idle_openings(m: pyo.Block, d: ModelData) -> tuple[set[tuple], set[tuple]]:
    """Fabric arrivals (site, fabric, year) no purchase uses and site openings (site, year) with
    nothing at the site, whose undoing does not raise the TCO (a zero-cost opening is a tie
    the solver breaks arbitrarily; a planner should not see a site "opened" with nothing in
    it). Removing them keeps every constraint satisfied."""
    built = {k[0] for k, _ in _positive(m.build)}
    used = {(k[0], k[3]) for k, _ in _positive(m.buy)}
    for family in ("upgrade", "gen", "lit"):
        comp = m.component(family)
        if comp is not None:
            built |= {e for k, _ in _positive(comp) for e in (k[:2] if family == "lit" else k[:1])}

    def net_cost(family: str, key: tuple) -> float:
        tally = d.tallies[family]
        return sum(float(tally.row(key, item) @ d.ctx.disc_vec) for item in COST_ITEMS if item in tally.values)

    fabs = {k for k, _ in _positive(m.fab) if (k[0], k[1]) not in used and net_cost("fab", k) >= 0}
    opens = set()
    for (s, y), _ in _positive(m.open):
        fabs_here = any(k[0] == s and k not in fabs for k, _ in _positive(m.fab))
        if s not in built and not fabs_here and net_cost("open", (s, y)) >= 0:
            opens.add((s, y))
    return fabs, opens


def undo_openings(m: pyo.Block, fabs: set[tuple], opens: set[tuple]) -> None:
    for s, f, _ in fabs:
        for key in m.FAB:
            if key[:2] == (s, f):
                m.fab_by[key].set_value(0)
    for s, _ in opens:
        for key in m.OPEN:
            if key[0] == s:
                m.opened[key].set_value(0)


def _positive(component):
    for key, item in component.items():
        value = pyo.value(item, exception=False)
        if value is not None and value > 0.5:
            yield key, round(value)


def _unmet(m: pyo.Block, d: ModelData) -> tuple[list[UnmetDemand], float]:
    out = []
    for name, need in (("unmet", d.demand.need), ("job_unmet", d.jobs.need)):
        var = m.component(name)
        if var is None:
            continue
        for key, v in var.items():
            if (v.value or 0.0) > 1e-9 * max(1.0, need[key]):
                out.append(UnmetDemand(workload=key[0], year=key[1], demand=need[key], unmet=float(v.value)))
    if not hasattr(m, "penalty"):
        return out, 0.0
    return out, pyo.value(m.penalty["unmet_demand"]) * USD_PER_MUSD

