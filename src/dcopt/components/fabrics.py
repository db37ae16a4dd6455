r"""Fabrics: bringing a scale-out fabric to a site.

Variables
    ``fab_by[s, f, t]`` binary: fabric :math:`f` is at :math:`s` by year
    :math:`t` (non-decreasing); only where a purchase could use it and no
    existing deployment already brought it.

Expressions
    ``fab[s, f, y]`` :math:`= fab\_by_{s,f,y} - fab\_by_{s,f,y-1}`: first
    deployed in year :math:`y` (at most once).

Constraints
    ``fab_monotone[s, f, t]``: :math:`fab\_by_{s,f,t-1} \le fab\_by_{s,f,t}`.

    ``fab_needs_open[s, f, t]``: :math:`fab\_by_{s,f,t} \le open\_by_{s,t}`
    (SPEC 7.3).

    ``fab_link[s, f, t]`` (purchases need their fabric; one row per site,
    fabric and year instead of one per purchase):

    .. math:: \sum_{h,g} u_{g,f}\, A_{s,h,g,f,t} \le \bar P^{IT}_s\, fab\_by_{s,f,t}

    with :math:`\bar P^{IT}_s` the largest IT MW the site can ever hold, which
    hall capacity already bounds the left side by.

Costs
    ``fabric_fixed`` in the year it comes; ``facility_salvage``.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model import costs, cumulative
from ..model.data import ModelData


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    cumulative.add(m, d.fab_keys, 3, index="FAB", by="fab_by", step="fab", monotone="fab_monotone",
                   domain=pyo.Binary)
    pairs = list(dict.fromkeys((s, f) for s, f, _ in d.fab_keys))
    m.FAB_PAIR = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    opens = set(d.open_sites)
    m.fab_needs_open = pyo.Constraint(
        [(s, f, t) for s, f in pairs if s not in opens for t in d.years],
        rule=lambda m, s, f, t: m.fab_by[s, f, t] <= m.open_by[s, t],
    )
    costs.add_terms(m, d, "fab", m.fab)


def add_link(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Purchases need their fabric present: needs the active units of :mod:`.fleet`."""
    fab_pairs = set(m.FAB_PAIR)
    rows: dict[tuple[str, str, int], list] = {}
    for fk in d.fleet_keys:
        s, _h, g, f = fk
        if (s, f) not in fab_pairs:
            continue
        for t in d.years:
            if (fk, t) in m.ACTIVE:
                rows.setdefault((s, f, t), []).append((d.unit_mw[g, f], fk))

    def fab_link(m, s, f, t):
        load = pyo.quicksum(u * m.active_units[fk + (t,)] for u, fk in rows[s, f, t])
        return load <= d.site_max_it_mw[s] * m.fab_by[s, f, t]

    m.fab_link = pyo.Constraint(list(rows), rule=fab_link)
