r"""Budget: the gross capex of each year (SPEC 7.2, 8.1, 8.3, 8.4), undiscounted.

Constraints
    ``budget[t]``: the gross capex tallied in year :math:`t` (site opening,
    fabric fixed, blocks in their decision year, deployments, routes lit and
    links, grid upgrades, on-site generation) :math:`\le`
    ``annual_capex_budget_usd`` (plus ``budget_excess[t]``, M$, at a penalty
    in an elastic model). Rentals and colocation fees are opex and not in it.

The capex of each key is the mutable parameter ``capex_<family>[k]`` (M$),
taken from the family's ``capex_usd`` tally; every key's capex falls in one
year.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model import costs
from ..model.context import BUDGET_EXCESS_WEIGHT_PER_MUSD, USD_PER_MUSD

FAMILIES = ("open", "fab", "build", "buy", "lit", "links", "upgrade", "gen")
"""Variable families that can carry capex, in the order of their rows' terms."""


def capex_by_key(d, family: str) -> tuple[dict, dict]:
    """Per key of `family`: its gross capex (M$) and the year it falls in."""
    tally = d.tallies.get(family)
    value: dict = {}
    year: dict = {}
    if tally is None:
        return value, year
    arr = tally.values.get("capex_usd")
    decision = d.decision_year.get(family)
    for i, key in enumerate(tally.keys):
        if arr is not None and arr[i].any():
            col = int(arr[i].nonzero()[0][0])
            value[key], year[key] = arr[i, col] / USD_PER_MUSD, tally.years[col]
        else:
            value[key], year[key] = 0.0, decision(key) if decision is not None else key[-1]
    return value, year


def add(m: pyo.Block, d) -> None:
    budget = d.ctx.inst.finance.annual_capex_budget_usd
    if budget is None:
        return
    by_year: dict[int, list] = {t: [] for t in d.ctx.years}
    for family in FAMILIES:
        var = getattr(m, family, None)
        if var is None:
            continue
        keys = list(var.keys())
        value, year = capex_by_key(d, family)
        param = pyo.Param(keys, initialize={k: value.get(k, 0.0) for k in keys}, mutable=True, within=pyo.Reals)
        m.add_component(f"capex_{family}", param)
        for key in keys:
            by_year[year[key]].append(param[key] * var[key])
    m.budget_musd = pyo.Param(initialize=budget / USD_PER_MUSD, mutable=True, within=pyo.Reals)
    rows = [t for t in d.ctx.years if by_year[t]]
    elastic = d.ctx.limits
    if elastic:
        m.budget_excess = pyo.Var(rows, domain=pyo.NonNegativeReals)
        costs.add_penalty(m, "relaxation", "budget_excess", m.budget_excess,
                          dict.fromkeys(rows, BUDGET_EXCESS_WEIGHT_PER_MUSD))

    def budget_row(m, t):
        excess = m.budget_excess[t] if elastic else 0
        return pyo.quicksum(by_year[t]) <= m.budget_musd + excess

    m.budget = pyo.Constraint(rows, rule=budget_row)


def update(m: pyo.Block, d) -> None:
    """Set the budget and every capex coefficient from `d` (same index sets)."""
    budget = d.ctx.inst.finance.annual_capex_budget_usd
    if budget is None:
        return
    m.budget_musd.set_value(budget / USD_PER_MUSD)
    for family in FAMILIES:
        param = m.component(f"capex_{family}")
        if param is None:
            continue
        value, _ = capex_by_key(d, family)
        param.store_values({k: value.get(k, 0.0) for k in param}, check=False)
