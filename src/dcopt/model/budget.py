r"""Budget: the gross capex of each year (SPEC 7.2), undiscounted.

Constraints
    ``budget[t]``: site opening + fabric fixed + blocks + deployments of year
    :math:`t` :math:`\le` ``annual_capex_budget_usd`` (plus ``budget_excess[t]``, M$,
    at a penalty in an elastic model).
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData
from . import costs

FAMILIES = ("open", "fab", "build", "buy")


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    if d.budget_musd is None:
        return
    by_year: dict[int, list] = {t: [] for t in d.years}
    for family in FAMILIES:
        var = getattr(m, family)
        for key, c in d.capex_musd.get(family, {}).items():
            if c != 0.0:
                by_year[key[-2] if family == "buy" else key[-1]].append(c * var[key])
    rows = [t for t in d.years if by_year[t]]
    elastic = d.elastic is not None and d.elastic.limits
    if elastic:
        m.budget_excess = pyo.Var(rows, domain=pyo.NonNegativeReals)
        costs.add_terms(m, d, "budget_excess", m.budget_excess)

    def budget(m, t):
        excess = m.budget_excess[t] if elastic else 0
        return pyo.quicksum(by_year[t]) <= d.budget_musd + excess

    m.budget = pyo.Constraint(rows, rule=budget)
