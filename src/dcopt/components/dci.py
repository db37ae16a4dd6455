r"""Data-centre interconnect: fibre routes lit between sites and the ZR links on them (SPEC 8.1).

Data
    Routes :math:`(a, b)` that some training job can use (within the reach of
    its ``remote_loss_by_km`` and spanning more than one site) between sites
    that can be open; link keys :math:`(a, b, o, y)` for optics reaching the
    route's distance, :math:`y \ge first_o`, where some job needs DCI bandwidth.

Variables
    ``lit_by[a, b, t]`` binary: the route is lit by :math:`t` (non-decreasing);
    ``lit[a, b, y]`` its step (lit in :math:`y`, at most once).

    ``links_by[a, b, o, t]`` integer: links of optic :math:`o` installed by
    :math:`t` (links never retire, SPEC 8.10.6); ``links[a, b, o, y]`` its step.

Constraints
    ``lit_needs_open[a, b, t]``: :math:`lit\_by_{a,b,t} \le open\_by_{a,t}` and
    :math:`\le open\_by_{b,t}` (both sites open by the year it is lit).

    ``links_need_lit[a, b, o, t]``: :math:`links\_by_{a,b,o,t} \le \bar n\, lit\_by_{a,b,t}`.

    The capacity row ``dci_capacity[a, b, t]`` needs the jobs' allocations and
    lives in :mod:`.jobs`.

Tallies
    ``lit``: ``dci`` the route's ``fixed_capex_usd`` in the year lit (gross
    capex) and its ``usd_per_year`` every year from then on. ``links`` (per
    link): ``dci`` ``capex_usd_per_link`` in its year (gross capex),
    ``facility_salvage`` :math:`-capex\, res(T+1-y, life_o)` at :math:`T+1`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs, cumulative
from ..model.context import Context
from ..model.keys import LinkKey, RouteYear
from ..model.tally import Tally, build_tally


@dataclass
class DciData:
    routes: dict[frozenset[str], tuple[str, str]]  # usable routes: pair -> (a, b) as written
    distance_km: dict[tuple[str, str], float]
    lit_keys: list[RouteYear]
    link_keys: list[LinkKey]
    link_ub: dict[tuple[str, str, str], int]
    tallies: dict[str, Tally] = field(default_factory=dict)

    def route(self, x: str, y: str) -> tuple[str, str] | None:
        return self.routes.get(frozenset((x, y)))


def most_gpus(ctx: Context, halls, fleet, site: str) -> float:
    """More GPUs than a site can ever hold: its largest IT load on the least power-hungry
    unit, plus its existing GPUs."""
    best = 0.0
    for g in ctx.gpus.values():
        least = min(fleet.unit_mw[(g.name, f)] for f in ctx.fabrics)
        best = max(best, math.floor(halls.site_max_it_mw[site] / least + 1e-9) * g.unit_gpus)
    return best + sum(dep.gpus for dep in ctx.inst.existing.deployments if dep.site == site)


def usable_for(job, distance_km: float) -> bool:
    return job.max_sites >= 2 and sem.remote_loss(job.remote_loss_by_km, distance_km) is not None


def prepare(ctx: Context, halls, sites, fleet) -> DciData:
    can_open = set(halls.open_sites) | {k.site for k in sites.open_keys}
    jobs = ctx.inst.demand.training_jobs
    d = DciData(routes={}, distance_km={}, lit_keys=[], link_keys=[], link_ub={})
    for r in ctx.inst.dci_routes:
        users = [j for j in jobs if usable_for(j, r.distance_km)]
        if not users or r.a not in can_open or r.b not in can_open:
            continue
        d.routes[frozenset((r.a, r.b))] = (r.a, r.b)
        d.distance_km[(r.a, r.b)] = r.distance_km
        d.lit_keys += [RouteYear(r.a, r.b, y) for y in ctx.years]
        gbps = max((j.dci_gbps_per_gpu for j in users), default=0.0)
        if gbps <= 0:
            continue
        gpus = most_gpus(ctx, halls, fleet, r.a) + most_gpus(ctx, halls, fleet, r.b)
        for o in ctx.inst.catalog.dci_optics:
            if o.max_km < r.distance_km:
                continue
            d.link_ub[(r.a, r.b, o.name)] = max(1, math.ceil(gbps * gpus / o.gbps - 1e-9))
            d.link_keys += [LinkKey(r.a, r.b, o.name, y) for y in ctx.years
                            if o.first_year is None or y >= o.first_year]
    site_of = lambda k: k[0]
    d.tallies["lit"] = build_tally("lit", d.lit_keys, ctx.all_years, lambda k: lit_amounts(ctx, k), site_of)
    d.tallies["links"] = build_tally("links", d.link_keys, ctx.all_years, lambda k: link_amounts(ctx, k), site_of)
    return d


def _route(ctx: Context, a: str, b: str):
    return next(r for r in ctx.inst.dci_routes if frozenset((r.a, r.b)) == frozenset((a, b)))


def lit_amounts(ctx: Context, key: RouteYear) -> Iterator[tuple[str, int, float]]:
    r = _route(ctx, key.a, key.b)
    yield "dci", key.year, r.fixed_capex_usd
    yield "capex_usd", key.year, r.fixed_capex_usd
    for t in ctx.years:
        if t >= key.year:
            yield "dci", t, r.usd_per_year


def link_amounts(ctx: Context, key: LinkKey) -> Iterator[tuple[str, int, float]]:
    o = next(x for x in ctx.inst.catalog.dci_optics if x.name == key.optic)
    yield "dci", key.year, o.capex_usd_per_link
    yield "capex_usd", key.year, o.capex_usd_per_link
    yield "facility_salvage", ctx.salvage_year, -o.capex_usd_per_link * sem.residual(
        ctx.salvage_year - key.year, o.life_years)


def add(m: pyo.Block, d) -> None:
    dd = d.dci
    if not dd.lit_keys:
        return
    cumulative.add(m, dd.lit_keys, 3, index="LIT", by="lit_by", step="lit", monotone="lit_monotone",
                   domain=pyo.Binary)
    cumulative.add(m, dd.link_keys, 4, index="LINKS", by="links_by", step="links", monotone="links_monotone",
                   domain=pyo.NonNegativeIntegers, bounds=lambda m, a, b, o, t: (0, dd.link_ub[a, b, o]))
    opens = set(d.halls.open_sites)
    rows = [(a, b, t, end) for a, b, t in dd.lit_keys for end in (a, b) if end not in opens]
    m.lit_needs_open = pyo.Constraint(rows, rule=lambda m, a, b, t, end: m.lit_by[a, b, t] <= m.open_by[end, t])
    m.links_need_lit = pyo.Constraint(
        list(dd.link_keys), rule=lambda m, a, b, o, t: m.links_by[a, b, o, t] <= dd.link_ub[a, b, o] * m.lit_by[a, b, t])
    costs.add_tally_terms(m, d, "lit", m.lit)
    costs.add_tally_terms(m, d, "links", m.links)
