r"""Budget: the gross capex of each year (SPEC 7.2), undiscounted.

Constraints
    ``budget[t]``: site opening + fabric fixed + blocks + deployments of year
    :math:`t` :math:`\le` ``annual_capex_budget_usd`` (plus ``budget_excess[t]``, M$,
    at a penalty in an elastic model).
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model import costs
from ..model.data import ModelData

FAMILIES = ("open", "fab", "build", "buy")


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    if d.budget_musd is None:
        return
    by_year: dict[int, list] = {t: [] for t in d.years}
    for family in FAMILIES:
        var = getattr(m, family)
        keys = list(var.keys())
        capex = d.capex_musd.get(family, {})
        param = pyo.Param(keys, initialize={k: capex.get(k, 0.0) for k in keys}, mutable=True,
                          within=pyo.Reals)
        m.add_component(f"capex_{family}", param)
        for key in keys:
            by_year[_year(family, key)].append(param[key] * var[key])
    m.budget_musd = pyo.Param(initialize=d.budget_musd, mutable=True, within=pyo.Reals)
    rows = [t for t in d.years if by_year[t]]
    elastic = d.elastic is not None and d.elastic.limits
    if elastic:
        m.budget_excess = pyo.Var(rows, domain=pyo.NonNegativeReals)
        costs.add_terms(m, d, "budget_excess", m.budget_excess)

    def budget(m, t):
        excess = m.budget_excess[t] if elastic else 0
        return pyo.quicksum(by_year[t]) <= m.budget_musd + excess

    m.budget = pyo.Constraint(rows, rule=budget)


def _year(family: str, key: tuple) -> int:
    return key[4] if family == "buy" else key[-1]


def update(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Set the budget and every capex coefficient from `d` (same index sets)."""
    if d.budget_musd is None:
        return
    m.budget_musd.set_value(d.budget_musd)
    for family in FAMILIES:
        capex = d.capex_musd.get(family, {})
        param = m.component(f"capex_{family}")
        param.store_values({k: capex.get(k, 0.0) for k in param}, check=False)
