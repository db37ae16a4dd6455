"""Pyomo model with a loaded incumbent -> `Plan` and cost items (USD).

Integer decisions are rounded to whole numbers first (SPEC 7.20), so the
reported costs are those of the plan as written, which an independent
recomputation from the plan reproduces.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model.data import COST_ITEMS, USD_PER_MUSD, ModelData
from ..plan.format import (
    Allocation,
    BlockBuild,
    FabricArrival,
    Plan,
    Purchase,
    Retirement,
    SiteOpening,
)

ALLOC_EPS = 1e-9


def round_integers(m: pyo.ConcreteModel) -> None:
    for v in m.component_data_objects(pyo.Var, descend_into=True):
        if v.is_integer():
            v.set_value(round(v.value or 0.0), skip_validation=True)


def drop_idle_fixed_decisions(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Undo site openings with no blocks and fabric arrivals with no purchases
    when that does not raise the TCO (a zero-cost opening is a tie the solver
    breaks arbitrarily; a planner should not see a site "opened" with nothing
    in it). Removing them keeps every constraint satisfied."""
    built = {k[0] for k, _ in _positive(m.build)}
    used = {(s, f) for (s, _, _, f, _, _), _ in _positive(m.buy)}

    def net_cost(family: str, key: object) -> float:
        return sum(d.cost_coef[item].get(family, {}).get(key, 0.0) for item in COST_ITEMS)

    for (s, f, y), _ in list(_positive(m.fab)):
        if (s, f) not in used and net_cost("fab", (s, f, y)) >= 0:
            for key in m.FAB:
                if key[:2] == (s, f):
                    m.fab_by[key].set_value(0)
    for (s, y), _ in list(_positive(m.open)):
        fabs_here = any(k[0] == s for k, _ in _positive(m.fab))
        if s not in built and not fabs_here and net_cost("open", (s, y)) >= 0:
            for key in m.OPEN:
                if key[0] == s:
                    m.opened[key].set_value(0)


def _positive(component):
    """(key, whole number) of a variable or expression family's positive entries."""
    for key, item in component.items():
        value = pyo.value(item, exception=False)
        if value is not None and value > 0.5:
            yield key, round(value)


def plan_from_model(m: pyo.ConcreteModel, d: ModelData) -> Plan:
    """The decisions of the (rounded) incumbent."""
    builds = []
    for (s, h, y), n in _positive(m.build):
        cooling, rack_kw = d.designs[h]
        builds.append(BlockBuild(site=s, cooling=cooling, rack_kw=rack_kw, year=y, blocks=n))
    purchases = []
    for (s, h, g, f, y, life), n in _positive(m.buy):
        cooling, rack_kw = d.designs[h]
        purchases.append(Purchase(site=s, cooling=cooling, rack_kw=rack_kw, gpu=g, fabric=f, year=y,
                                  gpus=n * d.gpu_unit_gpus[g], life_years=life))
    retirements = [
        Retirement(deployment=e, year=y, gpus=n * d.gpu_unit_gpus[d.existing[e].gpu])
        for (e, y), n in _positive(m.retire)
    ]
    allocations = [
        Allocation(site=s, gpu=g, fabric=f, year=t, workload=w, gpus=float(v.value))
        for (s, g, f, t, w), v in m.alloc.items()
        if v.value is not None and v.value > ALLOC_EPS
    ]
    return Plan(
        openings=[SiteOpening(site=s, year=y) for (s, y), _ in _positive(m.open)],
        fabrics=[FabricArrival(site=s, fabric=f, year=y) for (s, f, y), _ in _positive(m.fab)],
        builds=builds,
        purchases=purchases,
        retirements=retirements,
        allocations=allocations,
    )


def cost_items_usd(m: pyo.ConcreteModel) -> dict[str, float]:
    """NPV of each cost item: the model's named expressions at the current values, in USD."""
    return {item: pyo.value(m.cost[item]) * USD_PER_MUSD for item in COST_ITEMS}
