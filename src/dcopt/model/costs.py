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
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import COST_ITEMS, PENALTY_ITEMS, ModelData


def init(m: pyo.ConcreteModel) -> None:
    m._cost_parts = {item: [] for item in (*COST_ITEMS, *PENALTY_ITEMS)}


def add_terms(m: pyo.ConcreteModel, d: ModelData, family: str, var: pyo.Var) -> None:
    """Add every cost item's coefficients for variable family `family`."""
    for item in (*COST_ITEMS, *PENALTY_ITEMS):
        coefs = d.cost_coef[item].get(family)
        if coefs:
            m._cost_parts[item].append(pyo.quicksum(c * var[k] for k, c in coefs.items()))


def add_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """`cost[item]` (M$, NPV) for every item, and `tco` = their sum.

    An elastic model (`d.elastic`) adds `penalty[item]` for priced unmet
    demand and broken limits; they are in the objective, never in the TCO.
    """
    m.COST_ITEMS = pyo.Set(initialize=COST_ITEMS, ordered=True)

    def cost_rule(m, item):
        return pyo.quicksum(m._cost_parts[item]) + d.cost_const.get(item, 0.0)

    m.cost = pyo.Expression(m.COST_ITEMS, rule=cost_rule)
    total = pyo.quicksum(m.cost[i] for i in COST_ITEMS)
    if d.elastic is not None:
        m.PENALTY_ITEMS = pyo.Set(initialize=PENALTY_ITEMS, ordered=True)
        m.penalty = pyo.Expression(m.PENALTY_ITEMS, rule=lambda m, item: pyo.quicksum(m._cost_parts[item]))
        total = d.elastic.tco_weight * total + pyo.quicksum(m.penalty[i] for i in PENALTY_ITEMS)
    m.tco = pyo.Objective(expr=total, sense=pyo.minimize)
