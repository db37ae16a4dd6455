r"""Sites: opening.

Variables
    ``opened[s, t]`` binary: site :math:`s` is open by year :math:`t`
    (non-decreasing in :math:`t`); only for sites without existing blocks
    that can build something. Branching on "open by t" splits the search
    better than branching on the opening year.

Expressions
    ``open[s, y]`` :math:`= opened_{s,y} - opened_{s,y-1}`: opens in year :math:`y`
    (at most once, since ``opened`` is binary and non-decreasing).

    ``open_by[s, t]`` :math:`= opened_{s,t}`, or 1 for a site opened by its
    existing blocks.

Constraints
    ``open_monotone[s, t]``: :math:`opened_{s,t-1} \le opened_{s,t}`.

Costs
    ``site_opening`` in the opening year, ``facility_salvage`` at the end.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model import costs, cumulative
from ..model.data import ModelData


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    cumulative.add(m, d.open_keys, 2, index="OPEN", by="opened", step="open", monotone="open_monotone",
                   domain=pyo.Binary)
    opens = set(d.open_sites)

    def open_by(m, s, t):
        if s in opens:
            return 1
        return m.opened[s, t] if (s, t) in m.OPEN else 0

    m.open_by = pyo.Expression(d.sites, d.years, rule=open_by)
    costs.add_terms(m, d, "open", m.open)
