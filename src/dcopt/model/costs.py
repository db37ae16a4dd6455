r"""Costs: named NPV expressions, one per cost item, and their sum, from the components' tallies.

Each component registers a variable family with :func:`add_tally_terms`; its
tally (`dcopt.model.tally`) gives, per key and year, the nominal USD of every
cost item for one unit of the variable. :func:`add_objective` then creates

.. math::

    \mathrm{cost}_i = \sum_{\text{families } v} \sum_k c_{i,v,k}\, v_k + C_i,
    \qquad c_{i,v,k} = \sum_y u_{i,v,k,y}\, \delta_y,
    \qquad \min\ \mathrm{TCO} = \sum_i \mathrm{cost}_i

in M$, with :math:`C_i` the part of fixed families (existing blocks and
deployments, :func:`add_fixed_terms`). The reported breakdown is these
expressions, so it always sums to the TCO; plan costing multiplies the same
tallies by the plan's values.

The coefficients are mutable parameters (``coef_<item>_<family>[k]``,
``cost_const[i]``): a sweep point that changes prices, the discount rate or
carbon updates them in place (:func:`update`) instead of rebuilding.

Penalties of an elastic model (:func:`add_penalty`: priced unmet demand and
broken limits) are in the objective, never in the TCO.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyomo.environ as pyo

from .context import USD_PER_MUSD
from .items import COST_ITEMS, PENALTY_ITEMS


def init(m: pyo.Block) -> None:
    m._cost_parts = {item: [] for item in (*COST_ITEMS, *PENALTY_ITEMS)}
    m._cost_const = defaultdict(float)


def _npv_musd(d, family: str, item: str) -> dict:
    tally = d.tallies[family]
    values = tally.npv(item, d.ctx.disc_vec) / USD_PER_MUSD
    return dict(zip(tally.keys, values.tolist()))


def cost_names(d, family: str) -> list[str]:
    tally = d.tallies.get(family)
    return [] if tally is None else [n for n in tally.values if n in COST_ITEMS]


def add_tally_terms(m: pyo.Block, d, family: str, var) -> None:
    """Add every cost item's (mutable) NPV coefficients of variable family `family`."""
    keys = list(var.keys())
    if not keys:
        return
    for item in cost_names(d, family):
        coefs = _npv_musd(d, family, item)
        param = pyo.Param(keys, initialize={k: coefs.get(k, 0.0) for k in keys}, mutable=True, within=pyo.Reals)
        m.add_component(f"coef_{item}_{family}", param)
        m._cost_parts[item].append(pyo.quicksum(param[k] * var[k] for k in keys))


def add_fixed_terms(m: pyo.Block, d, family: str, values: dict) -> None:
    """Costs of a fixed family (its units given by the instance, not decided)."""
    for item, usd in fixed_costs(d, family, values).items():
        m._cost_const[item] += usd
    m._fixed = {**getattr(m, "_fixed", {}), family: values}


def fixed_costs(d, family: str, values: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in cost_names(d, family):
        coefs = _npv_musd(d, family, item)
        out[item] = sum(values[k] * coefs[k] for k in values if k in coefs)
    return out


def add_penalty(m: pyo.Block, item: str, family: str, var, coef: dict) -> None:
    """A penalty term of an elastic model: `coef[k]` (model units) per unit of `var[k]`."""
    terms = [c * var[k] for k, c in coef.items() if c != 0.0 and k in var]
    if terms:
        m._cost_parts[item].append(pyo.quicksum(terms))


def add_objective(m: pyo.Block, d, items: tuple[str, ...], sense: bool = True) -> None:
    """`cost[item]` (M$, NPV) for every reported item, and `tco` = their sum; the objective
    (when `sense`) minimises it, plus the penalties of an elastic model."""
    m.COST_ITEMS = pyo.Set(initialize=items, ordered=True)
    m.cost_const = pyo.Param(m.COST_ITEMS, initialize=lambda m, i: m._cost_const.get(i, 0.0),
                             mutable=True, within=pyo.Reals)
    m.cost = pyo.Expression(m.COST_ITEMS, rule=lambda m, i: pyo.quicksum(m._cost_parts[i]) + m.cost_const[i])
    m.tco_expr = pyo.Expression(expr=pyo.quicksum(m.cost[i] for i in items))
    total = m.tco_expr
    if d.ctx.elastic is not None:
        m.PENALTY_ITEMS = pyo.Set(initialize=PENALTY_ITEMS, ordered=True)
        m.penalty = pyo.Expression(m.PENALTY_ITEMS, rule=lambda m, item: pyo.quicksum(m._cost_parts[item]))
        total = d.ctx.elastic.tco_weight * total + pyo.quicksum(m.penalty[i] for i in PENALTY_ITEMS)
    m.objective_expr = pyo.Expression(expr=total)
    if sense:
        m.tco = pyo.Objective(expr=m.objective_expr, sense=pyo.minimize)


def update(m: pyo.Block, d) -> None:
    """Set every cost coefficient from `d` (same index sets as the model's)."""
    for family in d.tallies:
        for item in cost_names(d, family):
            param = m.component(f"coef_{item}_{family}")
            if param is None:
                continue
            coefs = _npv_musd(d, family, item)
            param.store_values({k: coefs.get(k, 0.0) for k in param}, check=False)
    const: dict[str, float] = defaultdict(float)
    for family, values in getattr(m, "_fixed", {}).items():
        for item, usd in fixed_costs(d, family, values).items():
            const[item] += usd
    m.cost_const.store_values({i: const.get(i, 0.0) for i in m.COST_ITEMS}, check=False)


def site_quantity(m: pyo.Block, d, name: str, rows: list[tuple[str, int]]) -> dict[tuple[str, int], object]:
    """Per (site, year) of `rows`: the model's expression of tallied quantity `name` (e.g.
    the facility energy in MWh) over every variable and fixed family at the site."""
    want = set(rows)
    parts: dict[tuple[str, int], list] = defaultdict(list)
    consts: dict[tuple[str, int], float] = defaultdict(float)
    fixed = getattr(m, "_fixed", {})
    for family, tally in d.tallies.items():
        arr = tally.values.get(name)
        if arr is None or tally.site_of is None:
            continue
        var = m.component(family)
        rows_nz, cols_nz = np.nonzero(arr)
        for i, j in zip(rows_nz.tolist(), cols_nz.tolist()):
            key = tally.keys[i]
            st = (tally.site_of(key), tally.years[j])
            if st not in want:
                continue
            if family in fixed:
                consts[st] += float(arr[i, j]) * fixed[family].get(key, 0)
            elif var is not None and key in var:
                parts[st].append(float(arr[i, j]) * var[key])
    return {st: pyo.quicksum(parts.get(st, []), start=consts.get(st, 0.0)) for st in rows}


def total_quantity(m: pyo.Block, d, name: str):
    """The model's expression of tallied quantity `name` summed over every key and horizon
    year (e.g. the emissions of the plan, t CO2)."""
    parts: list = []
    const = 0.0
    fixed = getattr(m, "_fixed", {})
    for family, tally in d.tallies.items():
        arr = tally.values.get(name)
        if arr is None:
            continue
        per_key = arr[:, :-1].sum(axis=1)  # the salvage year carries no quantities
        var = m.component(family)
        for key, amount in zip(tally.keys, per_key.tolist()):
            if amount == 0.0:
                continue
            if family in fixed:
                const += amount * fixed[family].get(key, 0)
            elif var is not None and key in var:
                parts.append(amount * var[key])
    return pyo.quicksum(parts, start=const)
