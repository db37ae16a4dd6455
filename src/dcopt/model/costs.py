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

from ..data import COST_ITEMS, ModelData


def init(m: pyo.ConcreteModel) -> None:
    m._cost_parts = {item: [] for item in COST_ITEMS}


def add_terms(m: pyo.ConcreteModel, d: ModelData, family: str, var: pyo.Var) -> None:
    """Add every cost item's coefficients for variable family `family`."""
    for item in COST_ITEMS:
        coefs = d.cost_coef[item].get(family)
        if coefs:
            m._cost_parts[item].append(pyo.quicksum(c * var[k] for k, c in coefs.items()))


def add_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """`cost[item]` (M$, NPV) for every item, and `tco` = their sum."""
    m.COST_ITEMS = pyo.Set(initialize=COST_ITEMS, ordered=True)

    def cost_rule(m, item):
        return pyo.quicksum(m._cost_parts[item]) + d.cost_const[item]

    m.cost = pyo.Expression(m.COST_ITEMS, rule=cost_rule)
    m.tco = pyo.Objective(expr=pyo.quicksum(m.cost[i] for i in COST_ITEMS), sense=pyo.minimize)
