r"""Halls: blocks of a hall design (cooling, rack density), floor space and hall capacity.

Data
    Hall designs :math:`h = (k, d)` with :math:`d \le k_{max}`; per site the
    designs that can hold units (cooling allowed, or holding existing blocks
    or units); the buildable designs after dropping dominated ones; block
    capex :math:`K_{s,h}`; PUE; existing blocks :math:`E_{s,h}`; build keys
    with their bounds. A block commissioned in :math:`y` is decided and paid
    in :math:`y - L_s` (SPEC 8.3, lead time :math:`L_s`), needs
    :math:`y \ge` ``power_available_year`` and the technology years of its
    cooling and density (SPEC 8.5, 8.10.10).

Variables
    ``built[s, h, t]`` integer: blocks of design :math:`h` commissioned at
    :math:`s` by year :math:`t` (non-decreasing).

Expressions
    ``build[s, h, y]`` :math:`= built_{s,h,y} - built_{s,h,y-1}`: blocks
    commissioned in year :math:`y`.

    ``blocks_by[s, h, t]`` :math:`= E_{s,h} + built_{s,h,t}` (blocks never close).

Constraints
    ``build_monotone[s, h, t]``: :math:`built_{s,h,t-1} \le built_{s,h,t}`.

    ``build_needs_open[s, t]`` (sites with a lead time only): blocks
    commissioned by :math:`t` were decided by :math:`t - L_s`, when the site
    must be open: :math:`\sum_h built_{s,h,t} \le \bar n_s\, open\_by_{s,t-L_s}`.
    Without a lead time the grid row (:mod:`.power`) says it.

    ``floor_space[s]``: :math:`\sum_h blocks\_by_{s,h,T} \le` ``max_blocks``.

    ``hall_capacity[s, h, t]`` (rated power, pooled per site and design):

    .. math:: \sum_{g,f} u_{g,f}\, A_{s,h,g,f,t} \le B_s\, blocks\_by_{s,h,t}

    with :math:`u_{g,f}` the MW of one unit (GPU and network power) and
    :math:`A` the active units (:mod:`.fleet`).

Tallies (per block)
    Owned site: ``blocks`` :math:`K_{s,h}` in the decision year (and gross
    capex); ``fixed_opex`` :math:`opex_s B_s` and ``facility_maintenance``
    :math:`m^{fac} K_{s,h}` every year from :math:`y`; ``facility_salvage``
    :math:`-K_{s,h}\, res(T+1-y, L^{fac})` at :math:`T+1`. Colocation site
    (SPEC 8.7, 8.10.7): no block capex, maintenance or salvage; ``colocation``
    :math:`12 \cdot 1000\, B_s\, fee_s` and ``fixed_opex`` every year from
    :math:`y`. Existing blocks (a fixed family) pay the recurring items every year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs, cumulative
from ..model.context import KW_PER_MW, Context
from ..model.items import COST_ITEMS
from ..model.keys import BuildKey
from ..model.tally import Tally, build_tally

MONTHS = 12.0


@dataclass
class HallsData:
    designs: dict[str, tuple[str, float]]  # design id -> (cooling, rack_kw), every catalog design
    site_designs: dict[str, list[str]]  # designs that can hold units at a site (buildable or held)
    buildable: dict[str, list[str]]  # designs new blocks may be built of, per site
    held: dict[str, set[str]]  # designs holding existing blocks or units, per site
    pue: dict[tuple[str, str], float]  # (site, design)
    block_capex_usd: dict[tuple[str, str], float]
    existing_blocks: dict[tuple[str, str], int]
    open_sites: list[str]  # open from the start (existing blocks)
    build_keys: list[BuildKey]
    build_ub: dict[BuildKey, int]
    site_max_it_mw: dict[str, float]  # largest IT MW the site can ever have
    lead: dict[str, int]
    relaxed: dict[BuildKey, str] = field(default_factory=dict)  # elastic: the rule a key breaks
    tallies: dict[str, Tally] = field(default_factory=dict)

    def decision_year(self, key: BuildKey) -> int:
        return key.year - self.lead[key.site]


# --------------------------------------------------------------------------- data


def grid_headroom_mw(ctx: Context, site_name: str) -> float:
    """The most facility MW a site can ever draw: its grid limit, every upgrade and all
    on-site generation it could build."""
    s = ctx.sites[site_name]
    return s.max_facility_mw + sum(u.mw for u in s.grid_upgrades) + sum(p.max_mw for p in s.onsite_power)


def prepare(ctx: Context, loose_facility_mw: float) -> HallsData:
    """Designs, buildable designs and build keys of every site. `loose_facility_mw`: in an
    elastic model with limits, block bounds stay finite but do not repeat the grid limit."""
    cat = ctx.inst.catalog
    designs = {sem.design_id(k.name, d.rack_kw): (k.name, d.rack_kw)
               for k in cat.cooling for d in cat.densities if sem.is_design(k, d)}
    existing: dict[tuple[str, str], int] = defaultdict(int)
    for b in ctx.inst.existing.blocks:
        existing[(b.site, sem.design_id(b.cooling, b.rack_kw))] += b.blocks
    existing = {k: v for k, v in existing.items() if v > 0}
    dep_designs: dict[str, set[str]] = defaultdict(set)
    for dep in ctx.inst.existing.deployments:
        dep_designs[dep.site].add(sem.design_id(dep.cooling, dep.rack_kw))
    d = HallsData(designs=designs, site_designs={}, buildable={}, held={}, pue={}, block_capex_usd={},
                  existing_blocks=existing, open_sites=[], build_keys=[], build_ub={}, site_max_it_mw={},
                  lead={s.name: s.build_lead_time_years for s in ctx.inst.sites})
    for s in ctx.inst.sites:
        _prepare_site(ctx, d, s.name, dep_designs[s.name], loose_facility_mw)
    d.tallies["build"] = build_tally("build", d.build_keys, ctx.all_years, lambda k: block_amounts(ctx, d, k),
                                     site_of=lambda k: k[0])
    exist_keys = list(existing)
    d.tallies["existing_blocks"] = build_tally("existing_blocks", exist_keys, ctx.all_years,
                                               lambda k: existing_block_amounts(ctx, d, k), site_of=lambda k: k[0])
    return d


def _allowed(ctx: Context, site_name: str) -> set[str]:
    s = ctx.sites[site_name]
    return set(s.allowed_cooling) if s.allowed_cooling is not None else set(ctx.coolings)


def build_years(ctx: Context, site_name: str, design: tuple[str, float]) -> list[int]:
    """Commissioning years of new blocks of `design` at a site: from the power year (unless
    relaxed), after the lead time, from the technology year of its cooling and density."""
    s = ctx.sites[site_name]
    first = sem.technology_year(ctx.coolings[design[0]], ctx.densities[design[1]])
    return [y for y in ctx.years
            if (y >= s.power_available_year or "power_year" in ctx.relax)
            and y - s.build_lead_time_years >= ctx.y0
            and (first is None or y >= first)]


def _prepare_site(ctx: Context, d: HallsData, site_name: str, dep_designs: set[str],
                  loose_facility_mw: float) -> None:
    s = ctx.sites[site_name]
    allowed = _allowed(ctx, site_name)
    held = {h for (site, h) in d.existing_blocks if site == site_name} | dep_designs
    d.held[site_name] = held
    site_designs = [h for h in d.designs if d.designs[h][0] in allowed or h in held]
    for h, (k, rack) in d.designs.items():  # every design, also for costing plans that break rules
        d.pue[(site_name, h)] = sem.site_pue(s, ctx.coolings[k])
        d.block_capex_usd[(site_name, h)] = sem.block_capex_usd(s, ctx.coolings[k], ctx.densities[rack])
    mine = {h: n for (site, h), n in d.existing_blocks.items() if site == site_name}
    n_existing = sum(mine.values())
    if n_existing > 0:
        d.open_sites.append(site_name)
    grid_used = sum(d.pue[(site_name, h)] * s.block_mw * n for h, n in mine.items())
    grid_left = max(0.0, grid_headroom_mw(ctx, site_name) - grid_used)
    floor_left = None if s.max_blocks is None else max(0, s.max_blocks - n_existing)
    if ctx.limits:
        grid_left = max(grid_left, loose_facility_mw + 2 * s.block_mw * ctx.max_pue)
        floor_left = None
    candidates: dict[str, int] = {}
    years_of: dict[str, list[int]] = {}
    for h in site_designs:
        if d.designs[h][0] not in allowed:
            continue
        ub = sem.max_blocks_under_grid(grid_left, d.pue[(site_name, h)], s.block_mw)
        if floor_left is not None:
            ub = min(ub, floor_left)
        years_of[h] = build_years(ctx, site_name, d.designs[h])
        if ub > 0 and years_of[h]:
            candidates[h] = ub
    d.buildable[site_name] = undominated(ctx, d, site_name, candidates, held, years_of)
    most_new = 0
    for h in d.buildable[site_name]:
        most_new = max(most_new, candidates[h])
        for y in years_of[h]:
            key = BuildKey(site_name, h, y)
            d.build_keys.append(key)
            d.build_ub[key] = candidates[h]
            early = s.power_available_year - y
            if early > 0:
                d.relaxed[key] = f"built {early} year(s) before power is available"
    d.site_designs[site_name] = [h for h in site_designs if h in d.buildable[site_name] or h in held]
    d.site_max_it_mw[site_name] = s.block_mw * (n_existing + most_new)


def block_amounts(ctx: Context, d: HallsData, key: BuildKey) -> Iterator[tuple[str, int, float]]:
    """Unit tally of one block commissioned in `key.year` (decided `lead` years before)."""
    s = ctx.sites[key.site]
    cap = d.block_capex_usd[(key.site, key.design)]
    paid = key.year - d.lead[key.site]
    yield from _recurring(ctx, d, key.site, key.design, key.year)
    if s.colocation_usd_per_kw_month is None:
        yield "blocks", paid, cap
        yield "capex_usd", paid, cap
        yield "facility_salvage", ctx.salvage_year, -cap * sem.residual(
            ctx.salvage_year - key.year, ctx.inst.finance.facility_life_years)


def existing_block_amounts(ctx: Context, d: HallsData, key: tuple[str, str]) -> Iterator[tuple[str, int, float]]:
    """Unit tally of one existing block: its recurring costs every year (no capex, no salvage)."""
    return _recurring(ctx, d, key[0], key[1], ctx.y0)


def _recurring(ctx: Context, d: HallsData, site_name: str, design: str, first: int
               ) -> Iterator[tuple[str, range, float]]:
    """The yearly items and quantities of one block from year `first` to the end."""
    s = ctx.sites[site_name]
    years = range(max(first, ctx.y0), ctx.salvage_year)
    yield "built_it_mw", years, s.block_mw
    yield "built_facility_mw", years, d.pue[(site_name, design)] * s.block_mw
    yield "fixed_opex", years, s.fixed_opex_usd_per_mw_year * s.block_mw
    if s.colocation_usd_per_kw_month is None:
        cap = d.block_capex_usd[(site_name, design)]
        yield "facility_maintenance", years, ctx.inst.finance.facility_maintenance_frac_per_year * cap
    else:
        yield "colocation", years, MONTHS * KW_PER_MW * s.block_mw * s.colocation_usd_per_kw_month


def _block_npv(ctx: Context, d: HallsData, key: BuildKey) -> float:
    """NPV of all cost items of one block."""
    total = 0.0
    for name, year, amount in block_amounts(ctx, d, key):
        if name not in COST_ITEMS:
            continue
        if isinstance(year, range):
            total += sum(amount * ctx.disc[t] for t in year)
        else:
            total += amount * ctx.disc[year]
    return total


def undominated(ctx: Context, d: HallsData, site: str, candidates: dict[str, int], held: set[str],
                years_of: dict[str, list[int]]) -> list[str]:
    """Buildable designs that no other design dominates.

    Design A dominates design B at a site when A can host every GPU B can
    (`semantics.fits`: cooling lists, liquid, ``min_rack_kw`` and
    ``max_rack_kw``), can be built in every year B can (technology years,
    SPEC 8.5), A's PUE there is no higher (so every unit's energy and carbon
    cost no more, on-site generation covers no less, and the grid allows at
    least as many blocks) and A's blocks cost no more: in the NPV of all
    cost items together and in gross capex (the budget), for every build
    year. Any plan building B is then matched by one building A instead, at
    no higher TCO, so B is dropped for new builds. Of two equal designs the
    first in catalog order stays. A design holding existing blocks or units
    at the site is kept (its existing capacity is pooled with new blocks of
    the design). Checked per instance, never assumed: negative discount
    rates or odd rack prices keep designs.
    """
    order = list(candidates)
    gpus = list(ctx.gpus.values())

    def hosts(h: str) -> frozenset[int]:
        k, rack = d.designs[h]
        return frozenset(i for i, g in enumerate(gpus) if sem.fits(g, ctx.coolings[k], ctx.densities[rack]))

    host = {h: hosts(h) for h in order}
    npv = {(h, y): _block_npv(ctx, d, BuildKey(site, h, y)) for h in order for y in years_of[h]}
    liquid = {h: ctx.coolings[d.designs[h][0]].liquid for h in order}

    def key(h: str) -> tuple:
        return (host[h], d.block_capex_usd[(site, h)], d.pue[(site, h)], liquid[h], tuple(years_of[h]),
                tuple(npv[(h, y)] for y in years_of[h]))

    def dominates(a: str, b: str) -> bool:
        if liquid[b] and not liquid[a]:
            return False
        if d.pue[(site, a)] > d.pue[(site, b)] or candidates[a] < candidates[b] or not host[a] >= host[b]:
            return False
        if d.block_capex_usd[(site, a)] > d.block_capex_usd[(site, b)]:
            return False
        if not set(years_of[a]) >= set(years_of[b]):
            return False
        if any(npv[(a, y)] > npv[(b, y)] for y in years_of[b]):
            return False
        return key(a) != key(b) or order.index(a) < order.index(b)

    return [h for h in order if h in held or not any(dominates(o, h) for o in order if o != h)]


# --------------------------------------------------------------------------- model


def add(m: pyo.Block, d) -> None:
    h = d.halls
    cumulative.add(m, h.build_keys, 3, index="BUILD", by="built", step="build", monotone="build_monotone",
                   domain=pyo.NonNegativeIntegers, bounds=lambda m, *k: (0, h.build_ub[k]))
    m.SITE_DESIGN = pyo.Set(
        initialize=[(s, x) for s in d.ctx.site_names for x in h.site_designs[s]], dimen=2, ordered=True
    )

    def blocks_by(m, s, x, t):
        existing = h.existing_blocks.get((s, x), 0)
        return existing + m.built[s, x, t] if (s, x, t) in m.BUILD else existing

    m.blocks_by = pyo.Expression(m.SITE_DESIGN, d.ctx.years, rule=blocks_by)
    _add_lead_open_rows(m, d)
    costs.add_tally_terms(m, d, "build", m.build)
    costs.add_fixed_terms(m, d, "existing_blocks", h.existing_blocks)
    costs.add_penalty(m, "relaxation", "build", m.build,
                      {k: d.ctx.sites[k[0]].block_mw * (d.ctx.sites[k[0]].power_available_year - k[2])
                       for k in h.relaxed})


def _add_lead_open_rows(m: pyo.Block, d) -> None:
    h = d.halls
    opens = set(h.open_sites)
    rows = [(s, t) for s in d.ctx.site_names if h.lead[s] > 0 and s not in opens
            for t in d.ctx.years if any((s, x, t) in m.BUILD for x in h.buildable[s])]

    def build_needs_open(m, s, t):
        most = sum(h.build_ub[(s, x, t)] for x in h.buildable[s] if (s, x, t) in m.BUILD)
        return pyo.quicksum(m.built[s, x, t] for x in h.buildable[s] if (s, x, t) in m.BUILD) <= \
            most * m.open_by[s, t - h.lead[s]]

    m.build_needs_open = pyo.Constraint(rows, rule=build_needs_open)


def add_floor_space(m: pyo.Block, d) -> None:
    h = d.halls
    has_build = {k.site for k in h.build_keys}
    floor_sites = [s for s in d.ctx.site_names if s in has_build and d.ctx.sites[s].max_blocks is not None]
    elastic = d.ctx.limits
    if elastic:
        m.floor_excess = pyo.Var(floor_sites, domain=pyo.NonNegativeIntegers)
        costs.add_penalty(m, "relaxation", "floor_excess", m.floor_excess,
                          {s: d.ctx.sites[s].block_mw for s in floor_sites})

    def floor_space(m, s):
        excess = m.floor_excess[s] if elastic else 0
        total = pyo.quicksum(m.blocks_by[s, x, d.ctx.y_end] for x in h.site_designs[s])
        return total <= d.ctx.sites[s].max_blocks + excess

    m.floor_space = pyo.Constraint(floor_sites, rule=floor_space)


def add_capacity(m: pyo.Block, d) -> None:
    """Hall capacity: needs the active units of :mod:`.fleet`."""
    rows: dict[tuple[str, str, int], list] = {}
    for fk in d.fleet.fleet_keys:
        s, x, g, f = fk
        for t in d.ctx.years:
            if (fk, t) in d.fleet.active_index:
                rows.setdefault((s, x, t), []).append((d.fleet.unit_mw[g, f], fk))

    def hall_capacity(m, s, x, t):
        load = pyo.quicksum(u * m.active_units[fk + (t,)] for u, fk in rows[s, x, t])
        return load <= d.ctx.sites[s].block_mw * m.blocks_by[s, x, t]

    m.hall_capacity = pyo.Constraint(list(rows), rule=hall_capacity)
