r"""Sites: opening.

Variables
    ``open[s, y]`` binary: site :math:`s` opens in year :math:`y`; only for
    sites without existing blocks that can build something.

Expressions
    ``open_by[s, t]`` :math:`= \sum_{y \le t} open_{s,y}`, or 1 for a site
    opened by its existing blocks.

Constraints
    ``open_once[s]``: :math:`\sum_y open_{s,y} \le 1`.

Costs
    ``site_opening`` in the opening year, ``facility_salvage`` at the end.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData
from . import costs


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    m.OPEN = pyo.Set(initialize=d.open_keys, dimen=2, ordered=True)
    m.open = pyo.Var(m.OPEN, domain=pyo.Binary)
    closed = list(dict.fromkeys(s for s, _ in d.open_keys))
    m.open_once = pyo.Constraint(
        closed, rule=lambda m, s: pyo.quicksum(m.open[s, y] for y in d.years) <= 1
    )
    opens = set(d.open_sites)

    def open_by(m, s, t):
        if s in opens:
            return 1
        return pyo.quicksum((m.open[s, y] for y in d.years if y <= t and (s, y) in m.OPEN), start=0)

    m.open_by = pyo.Expression(d.sites, d.years, rule=open_by)
    costs.add_terms(m, d, "open", m.open)
