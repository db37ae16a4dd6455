r"""Costs: named NPV expressions, one per item of SPEC section 5, and their sum.

Each component module registers its variables' coefficients with
:func:`add_terms`; :func:`add_objective` then creates

.. math::

    \mathrm{cost}_i = \sum_{\text{families } v} \sum_k c_{i,v,k}\, v_k + C_i
    \qquad
    \min\ \mathrm{TCO} = \sum_i \mathrm{cost}_i

in M$, where :math:`c_{i,v,k}` is the NPV coefficient of variable :math:`v_k`
in item :math:`i` (prepared in :mod:`dcopt.data`) and :math:`C_i` the constant
part from existing assets. The reported breakdown is these expressions,
so it always sums to the TCO.

The coefficients are mutable parameters (``coef_<item>_<family>[k]``,
``cost_const[i]``): a sweep point that changes prices, the discount rate or
carbon updates them in place (:func:`update`) instead of rebuilding.
"""

from __future__ import annotations

import pyomo.environ as pyo

from .data import COST_ITEMS, FAMILY_ITEMS, PENALTY_ITEMS, ModelData


def init(m: pyo.ConcreteModel) -> None:
    m._cost_parts = {item: [] for item in (*COST_ITEMS, *PENALTY_ITEMS)}


def add_terms(m: pyo.ConcreteModel, d: ModelData, family: str, var) -> None:
    """Add every cost item's (mutable) coefficients for variable family `family`."""
    keys = list(var.keys())
    if not keys:
        return
    for item in FAMILY_ITEMS[family]:
        coefs = d.cost_coef[item].get(family, {})
        values = {k: coefs.get(k, 0.0) for k in keys}
        param = pyo.Param(keys, initialize=values, mutable=True, within=pyo.Reals)
        m.add_component(f"coef_{item}_{family}", param)
        m._cost_parts[item].append(pyo.quicksum(param[k] * var[k] for k in keys))


def update(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Set every cost coefficient from `d` (same index sets as the model's)."""
    for item in (*COST_ITEMS, *PENALTY_ITEMS):
        for family, fam_items in FAMILY_ITEMS.items():
            param = m.component(f"coef_{item}_{family}")
            if item not in fam_items or param is None:
                continue
            coefs = d.cost_coef[item].get(family, {})
            param.store_values({k: coefs.get(k, 0.0) for k in param}, check=False)
    m.cost_const.store_values({i: d.cost_const.get(i, 0.0) for i in COST_ITEMS}, check=False)


def add_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """`cost[item]` (M$, NPV) for every item, and `tco` = their sum.

    An elastic model (`d.elastic`) adds `penalty[item]` for priced unmet
    demand and broken limits; they are in the objective, never in the TCO.
    """
    m.COST_ITEMS = pyo.Set(initialize=COST_ITEMS, ordered=True)
    m.cost_const = pyo.Param(m.COST_ITEMS, initialize=lambda m, i: d.cost_const.get(i, 0.0),
                             mutable=True, within=pyo.Reals)

    def cost_rule(m, item):
        return pyo.quicksum(m._cost_parts[item]) + m.cost_const[item]

    m.cost = pyo.Expression(m.COST_ITEMS, rule=cost_rule)
    total = pyo.quicksum(m.cost[i] for i in COST_ITEMS)
    if d.elastic is not None:
        m.PENALTY_ITEMS = pyo.Set(initialize=PENALTY_ITEMS, ordered=True)
        m.penalty = pyo.Expression(m.PENALTY_ITEMS, rule=lambda m, item: pyo.quicksum(m._cost_parts[item]))
        total = d.elastic.tco_weight * total + pyo.quicksum(m.penalty[i] for i in PENALTY_ITEMS)
    m.tco = pyo.Objective(expr=total, sense=pyo.minimize)
