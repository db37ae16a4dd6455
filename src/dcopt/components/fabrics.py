r"""Fabrics: bringing a scale-out fabric to a site, and its size limit.

Data
    Fabric keys :math:`(s, f, y)` where a purchase could use the fabric and no
    existing deployment already brought it.

Variables
    ``fab_by[s, f, t]`` binary: fabric :math:`f` is at :math:`s` by year
    :math:`t` (non-decreasing).

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

    ``fabric_size[s, f, t]`` (SPEC 8.6, a fabric with ``max_gpus_per_site``):
    :math:`n_g \sum_{h,g} A_{s,h,g,f,t} \le` ``max_gpus_per_site`` (installed
    GPUs, existing and failed ones included).

Tallies (per arrival)
    ``fabric_fixed`` in the year it comes (gross capex); ``facility_salvage``.
    Fabric maintenance (SPEC 8.6) is tallied on the units that run on it
    (:mod:`.fleet`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs, cumulative
from ..model.context import Context
from ..model.keys import FabKey
from ..model.tally import Tally, build_tally


@dataclass
class FabricsData:
    fab_keys: list[FabKey]
    present: dict[str, list[str]]  # fabrics present from the start (existing deployments)
    tallies: dict[str, Tally] = field(default_factory=dict)


def prepare(ctx: Context, fleet) -> FabricsData:
    present: dict[str, list[str]] = {}
    for dep in ctx.inst.existing.deployments:
        mine = present.setdefault(dep.site, [])
        if dep.fabric not in mine:
            mine.append(dep.fabric)
    usable = fleet.usable_fabrics()
    keys = [FabKey(s.name, f.name, y) for s in ctx.inst.sites for f in ctx.inst.catalog.fabrics
            if f.name in usable[s.name] and f.name not in present.get(s.name, []) for y in ctx.years]
    d = FabricsData(fab_keys=keys, present=present)
    d.tallies["fab"] = build_tally("fab", keys, ctx.all_years, lambda k: arrival_amounts(ctx, k),
                                   site_of=lambda k: k[0])
    return d


def arrival_amounts(ctx: Context, key: FabKey) -> Iterator[tuple[str, int, float]]:
    usd = ctx.fabrics[key.fabric].site_fixed_capex_usd
    yield "fabric_fixed", key.year, usd
    yield "capex_usd", key.year, usd
    yield "facility_salvage", ctx.salvage_year, -usd * sem.residual(
        ctx.salvage_year - key.year, ctx.inst.finance.facility_life_years)


def add(m: pyo.Block, d) -> None:
    fd = d.fabrics
    cumulative.add(m, fd.fab_keys, 3, index="FAB", by="fab_by", step="fab", monotone="fab_monotone",
                   domain=pyo.Binary)
    pairs = list(dict.fromkeys((s, f) for s, f, _ in fd.fab_keys))
    m.FAB_PAIR = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    opens = set(d.halls.open_sites)
    m.fab_needs_open = pyo.Constraint(
        [(s, f, t) for s, f in pairs if s not in opens for t in d.ctx.years],
        rule=lambda m, s, f, t: m.fab_by[s, f, t] <= m.open_by[s, t],
    )
    costs.add_tally_terms(m, d, "fab", m.fab)


def _loads(m: pyo.Block, d, weight) -> dict[tuple[str, str, int], list]:
    """(site, fabric, year) -> [(weight of one unit, fleet key)] over the units active then."""
    rows: dict[tuple[str, str, int], list] = {}
    for fk in d.fleet.fleet_keys:
        s, _h, g, f = fk
        for t in d.ctx.years:
            if (fk, t) in m.ACTIVE:
                rows.setdefault((s, f, t), []).append((weight(g, f), fk))
    return rows


def add_link(m: pyo.Block, d) -> None:
    """Purchases need their fabric present, and a fabric holds at most its size: needs the
    active units of :mod:`.fleet`."""
    fab_pairs = set(m.FAB_PAIR)
    rows = {k: v for k, v in _loads(m, d, lambda g, f: d.fleet.unit_mw[g, f]).items()
            if (k[0], k[1]) in fab_pairs}

    def fab_link(m, s, f, t):
        load = pyo.quicksum(u * m.active_units[fk + (t,)] for u, fk in rows[s, f, t])
        return load <= d.halls.site_max_it_mw[s] * m.fab_by[s, f, t]

    m.fab_link = pyo.Constraint(list(rows), rule=fab_link)
    sized = {f.name for f in d.ctx.fabrics.values() if f.max_gpus_per_site is not None}
    if not sized:
        return
    gpus = {k: v for k, v in _loads(m, d, lambda g, f: d.ctx.gpus[g].unit_gpus).items() if k[1] in sized}

    def fabric_size(m, s, f, t):
        installed = pyo.quicksum(n * m.active_units[fk + (t,)] for n, fk in gpus[s, f, t])
        return installed <= d.ctx.fabrics[f].max_gpus_per_site

    m.fabric_size = pyo.Constraint(list(gpus), rule=fabric_size)
