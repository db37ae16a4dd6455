r"""Cumulative ("by year t") variables, shared by sites, halls and fabrics.

For keys :math:`(k, t)`, a variable :math:`x^{by}_{k,t}` says how much of a thing
exists by year :math:`t`; it never decreases, and the amount added in year
:math:`y` is an expression:

    ``<monotone>[k, t]``: :math:`x^{by}_{k,t-1} \le x^{by}_{k,t}`

    ``<step>[k, y]`` :math:`= x^{by}_{k,y} - x^{by}_{k,y-1}` (the previous term 0
    when :math:`(k, y-1)` is not a key).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo


def add(m: pyo.ConcreteModel, keys: list[tuple], dimen: int, *, index: str, by: str, step: str,
        monotone: str, **var_options: Any) -> None:
    """Add the set `index` of `keys` (last element the year), the variable `by` over it
    (`var_options`: domain, bounds), its `monotone` rows and its `step` expression."""
    setattr(m, index, pyo.Set(initialize=keys, dimen=dimen, ordered=True))
    keyset = getattr(m, index)
    setattr(m, by, pyo.Var(keyset, **var_options))
    x = getattr(m, by)

    def before(k: tuple) -> tuple:
        return (*k[:-1], k[-1] - 1)

    setattr(m, monotone, pyo.Constraint([k for k in keys if before(k) in keyset],
                                        rule=lambda m, *k: x[before(k)] <= x[k]))
    setattr(m, step, pyo.Expression(keyset, rule=lambda m, *k: x[k] - (x[before(k)] if before(k) in keyset
                                                                       else 0)))
