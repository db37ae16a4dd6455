r"""Power: the grid limit of each site, grid upgrades (SPEC 8.3) and on-site generation (SPEC 8.4).

Data
    Upgrade keys :math:`(s, u, y)`, :math:`y \ge \max(S, first_u)`; generation
    keys :math:`(s, p, y)`, :math:`y \ge first_p`; only at sites that can
    build blocks or have existing ones.

Variables
    ``upgraded[s, u, t]`` binary: upgrade :math:`u` taken by :math:`t`
    (non-decreasing); ``upgrade[s, u, y]`` its step (taken in :math:`y`).

    ``gen_by[s, p, t]`` :math:`\in [0, max_p]` MW of option :math:`p` built
    by :math:`t` (non-decreasing); ``gen[s, p, y]`` its step.

    ``egen[s, p, t] \ge 0`` MWh generated.

Constraints
    ``grid[s, t]`` (grid limit, and blocks need the site open):

    .. math:: \sum_h pue_{s,h}\, B_s\, blocks\_by_{s,h,t} \le P^{max}_s\, open\_by_{s,t}
              + \sum_u mw_u\, upgraded_{s,u,t} + \sum_p gen\_by_{s,p,t}

    For a site without upgrades or generation and open from the start only
    :math:`t = T` is needed (blocks only accumulate). An elastic model adds
    ``grid_excess[s]`` (MW) at a penalty.

    ``upgrade_needs_open[s, u, t]``: :math:`upgraded_{s,u,t} \le open\_by_{s,t}`;
    ``gen_needs_open[s, p, t]``: :math:`gen\_by_{s,p,t} \le max_p\, open\_by_{s,t}`.

    ``gen_energy[s, p, t]``: :math:`egen_{s,p,t} \le 8760\, cf_p\, gen\_by_{s,p,t}`.

    ``onsite_energy[s, t]``: :math:`\sum_p egen_{s,p,t} \le E_{s,t}`, the
    facility energy of the site's active units (their ``energy_mwh`` tallies).

Tallies
    ``upgrade``: ``grid_upgrades`` :math:`capex_u` in :math:`y` (and gross
    capex), ``facility_salvage`` :math:`-capex_u\, res(T+1-y, L^{fac})`.
    ``gen`` (per MW): ``onsite_capex`` in :math:`y` (and gross capex),
    ``onsite_fixed_opex`` every year from :math:`y`, ``facility_salvage``.
    ``egen`` (per MWh): ``energy`` :math:`fuel_p - elec_{s,t}`, ``carbon``
    :math:`carbonprice\,(kg_p - kg_s)/1000`, emissions :math:`(kg_p - kg_s)/1000`
    t, grid energy :math:`-1`, on-site energy :math:`+1`: the grid part of the
    site's energy is priced at the grid, the generated part at its fuel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs, cumulative
from ..model.context import Context
from ..model.keys import GenKey, UpgradeKey
from ..model.tally import Tally, build_tally


@dataclass
class PowerData:
    upgrade_keys: list[UpgradeKey]
    gen_keys: list[GenKey]
    egen_keys: list[GenKey]
    gen_max_mw: dict[tuple[str, str], float]
    tallies: dict[str, Tally] = field(default_factory=dict)

    def varying_sites(self) -> set[str]:
        """Sites whose grid limit changes over time (upgrades or generation)."""
        return {k.site for k in self.upgrade_keys} | {k.site for k in self.gen_keys}


def prepare(ctx: Context, halls) -> PowerData:
    powered = {k.site for k in halls.build_keys} | set(halls.open_sites)
    d = PowerData(upgrade_keys=[], gen_keys=[], egen_keys=[], gen_max_mw={})
    for s in ctx.inst.sites:
        if s.name not in powered:
            continue
        for u in s.grid_upgrades:
            first = max(ctx.y0, u.first_year if u.first_year is not None else ctx.y0)
            d.upgrade_keys += [UpgradeKey(s.name, u.name, y) for y in ctx.years if y >= first]
        for p in s.onsite_power:
            if p.max_mw <= 0:
                continue
            first = max(ctx.y0, p.first_year if p.first_year is not None else ctx.y0)
            years = [y for y in ctx.years if y >= first]
            d.gen_keys += [GenKey(s.name, p.name, y) for y in years]
            d.egen_keys += [GenKey(s.name, p.name, y) for y in years]
            d.gen_max_mw[(s.name, p.name)] = p.max_mw
    site_of = lambda k: k[0]
    d.tallies["upgrade"] = build_tally("upgrade", d.upgrade_keys, ctx.all_years,
                                       lambda k: upgrade_amounts(ctx, k), site_of)
    d.tallies["gen"] = build_tally("gen", d.gen_keys, ctx.all_years, lambda k: gen_amounts(ctx, k), site_of)
    d.tallies["egen"] = build_tally("egen", d.egen_keys, ctx.all_years, lambda k: egen_amounts(ctx, k), site_of)
    return d


def _upgrade(ctx: Context, key: UpgradeKey):
    return next(u for u in ctx.sites[key.site].grid_upgrades if u.name == key.upgrade)


def _option(ctx: Context, key: GenKey):
    return next(p for p in ctx.sites[key.site].onsite_power if p.name == key.option)


def upgrade_amounts(ctx: Context, key: UpgradeKey) -> Iterator[tuple[str, int, float]]:
    usd = _upgrade(ctx, key).capex_usd
    yield "grid_upgrades", key.year, usd
    yield "capex_usd", key.year, usd
    yield "facility_salvage", ctx.salvage_year, -usd * sem.residual(
        ctx.salvage_year - key.year, ctx.inst.finance.facility_life_years)


def gen_amounts(ctx: Context, key: GenKey) -> Iterator[tuple[str, int, float]]:
    """One MW of on-site generation built in `key.year`."""
    p = _option(ctx, key)
    yield "onsite_capex", key.year, p.capex_usd_per_mw
    yield "capex_usd", key.year, p.capex_usd_per_mw
    for t in ctx.years:
        if t >= key.year:
            yield "onsite_fixed_opex", t, p.fixed_opex_usd_per_mw_year
    yield "facility_salvage", ctx.salvage_year, -p.capex_usd_per_mw * sem.residual(
        ctx.salvage_year - key.year, ctx.inst.finance.facility_life_years)


def egen_amounts(ctx: Context, key: GenKey) -> Iterator[tuple[str, int, float]]:
    """One MWh generated on site in `key.year`, instead of one from the grid."""
    p = _option(ctx, key)
    s = ctx.sites[key.site]
    t = key.year
    yield "energy", t, p.fuel_usd_per_mwh - ctx.electricity_usd_per_mwh(s, t)
    extra_t = (p.carbon_kg_per_mwh - s.carbon_kg_per_mwh) / 1000.0
    yield "carbon", t, ctx.inst.finance.carbon_price_usd_per_t * extra_t
    yield "emissions_t", t, extra_t
    yield "grid_mwh", t, -1.0
    yield "onsite_mwh", t, 1.0


# --------------------------------------------------------------------------- model


def add_capacity(m: pyo.Block, d) -> None:
    """Upgrades and generation MW (before the grid rows that use them)."""
    pw = d.power
    cumulative.add(m, pw.upgrade_keys, 3, index="UPGRADE", by="upgraded", step="upgrade",
                   monotone="upgrade_monotone", domain=pyo.Binary)
    cumulative.add(m, pw.gen_keys, 3, index="GEN", by="gen_by", step="gen", monotone="gen_monotone",
                   domain=pyo.NonNegativeReals, bounds=lambda m, s, p, t: (0, pw.gen_max_mw[s, p]))
    opens = set(d.halls.open_sites)
    m.upgrade_needs_open = pyo.Constraint(
        [k for k in pw.upgrade_keys if k.site not in opens],
        rule=lambda m, s, u, t: m.upgraded[s, u, t] <= m.open_by[s, t])
    m.gen_needs_open = pyo.Constraint(
        [k for k in pw.gen_keys if k.site not in opens],
        rule=lambda m, s, p, t: m.gen_by[s, p, t] <= pw.gen_max_mw[s, p] * m.open_by[s, t])
    costs.add_tally_terms(m, d, "upgrade", m.upgrade)
    costs.add_tally_terms(m, d, "gen", m.gen)


def add_grid(m: pyo.Block, d) -> None:
    h, pw = d.halls, d.power
    varying = pw.varying_sites()
    opens = set(h.open_sites)
    has_build = {k.site for k in h.build_keys} | (opens & varying)
    first_build: dict[str, int] = {}
    for k in h.build_keys:
        first_build[k.site] = min(first_build.get(k.site, k.year), k.year)

    def grid_rows():
        for s in d.ctx.site_names:
            if s not in has_build:
                continue
            if s in opens:
                years = d.ctx.years if s in varying else [d.ctx.y_end]
            else:
                years = [t for t in d.ctx.years if t >= first_build[s]]
            # an existing site whose limit grows needs every year; one that only
            # builds later is capped from its first build on
            for t in years:
                yield s, t

    elastic = d.ctx.limits
    if elastic:
        m.grid_excess = pyo.Var(sorted(has_build, key=d.ctx.site_names.index), domain=pyo.NonNegativeReals)
        costs.add_penalty(m, "relaxation", "grid_excess", m.grid_excess, dict.fromkeys(has_build, 1.0))
    upgrades: dict[str, list[UpgradeKey]] = {}
    for k in pw.upgrade_keys:
        upgrades.setdefault(k.site, []).append(k)
    gens: dict[str, list[GenKey]] = {}
    for k in pw.gen_keys:
        gens.setdefault(k.site, []).append(k)

    def grid(m, s, t):
        site = d.ctx.sites[s]
        used = pyo.quicksum(h.pue[s, x] * site.block_mw * m.blocks_by[s, x, t] for x in h.site_designs[s])
        limit = site.max_facility_mw * m.open_by[s, t]
        more = [_upgrade(d.ctx, k).mw * m.upgraded[k] for k in upgrades.get(s, ()) if k.year == t]
        more += [m.gen_by[k] for k in gens.get(s, ()) if k.year == t]
        excess = m.grid_excess[s] if elastic else 0
        return used <= limit + pyo.quicksum(more, start=0) + excess

    m.grid = pyo.Constraint(list(grid_rows()), rule=grid)


def add_energy(m: pyo.Block, d) -> None:
    """Generation: needs the sites' facility energy, hence the fleet's tallies."""
    pw = d.power
    if not pw.egen_keys:
        return
    m.EGEN = pyo.Set(initialize=pw.egen_keys, dimen=3, ordered=True)
    m.egen = pyo.Var(m.EGEN, domain=pyo.NonNegativeReals)

    def gen_energy(m, s, p, t):
        cf = next(o for o in d.ctx.sites[s].onsite_power if o.name == p).capacity_factor
        return m.egen[s, p, t] <= sem.HOURS_PER_YEAR * cf * m.gen_by[s, p, t]

    m.gen_energy = pyo.Constraint(m.EGEN, rule=gen_energy)
    rows = sorted({(k.site, k.year) for k in pw.egen_keys},
                  key=lambda st: (d.ctx.site_names.index(st[0]), st[1]))
    energy = costs.site_quantity(m, d, "energy_mwh", rows)

    def onsite_energy(m, s, t):
        return pyo.quicksum(m.egen[k] for k in pw.egen_keys if k.site == s and k.year == t) <= energy[s, t]

    m.onsite_energy = pyo.Constraint(rows, rule=onsite_energy)
    costs.add_tally_terms(m, d, "egen", m.egen)
