r"""Fleet and refresh: GPU purchases with a service life, retirement of existing
units, the active (and surviving) units of every year, supply caps and minimum orders.

Data
    Purchase keys :math:`(s, h, g, f, y, l)` only where a purchase may exist:
    :math:`g` on sale in :math:`y`; :math:`y \ge` ``power_available_year``;
    :math:`h` holds units at :math:`s` and its cooling is allowed there;
    :math:`g` fits :math:`h` (`semantics.fits`: liquid, cooling list, rack
    kW range, SPEC 8.5); :math:`g` attaches to :math:`f` (port speed and
    options, SPEC 8.6) and :math:`y \ge` the fabric's ``first_year``;
    :math:`l` a life choice :math:`\le` ``max_life_years``, lives past the
    horizon merged into :math:`l' = \min(l, T + 1 - y)`. Existing
    deployments :math:`e` with :math:`N_e` units and deadline :math:`Y^*_e`.

Variables
    ``buy[s, h, g, f, y, l]`` integer: units (``unit_gpus`` GPUs each) bought
    in :math:`y`, running :math:`y .. y+l-1`.

    ``retire[e, y]`` integer: units of existing deployment :math:`e` retired
    at the start of year :math:`y \le Y^*_e`.

    ``order[s, g, y]`` binary (SPEC 8.3, only for a ``min_order_gpus`` above
    ``unit_gpus``): an order of :math:`g` at :math:`s` in :math:`y`.

Expressions
    ``active_units[s, h, g, f, t]``:

    .. math:: A_{s,h,g,f,t} = \sum_{y \le t < y + l} buy_{s,h,g,f,y,l}
              + \sum_{e \in (s,h,g,f)} \Big(N_e - \sum_{y \le t} retire_{e,y}\Big)

    ``surviving_units[s, h, g, f, t]`` (GPUs with a failure rate, SPEC 8.2):
    :math:`A` with each purchase and existing deployment weighted by
    :math:`q = (1 - afr_g)^{t - y}`.

Constraints
    ``retire_all[e]``: :math:`\sum_y retire_{e,y} = N_e` when
    :math:`Y^*_e \le T` (all gone by the deadline), else :math:`\le N_e`.

    ``supply_cap[g, y]``: :math:`n_g \sum_{s,h,f,l} buy_{s,h,g,f,y,l} \le cap_{g,y}`.

    ``order_min[s, g, y]``, ``order_max[s, g, y]``:
    :math:`min_g\, order \le n_g \sum_{h,f,l} buy \le M_{s,g}\, order`.

Tallies
    ``buy`` (per unit): ``deployments`` :math:`Q = n_g(price_{g,y} + net_{f,g})`
    in :math:`y` (gross capex); every running year :math:`t` its facility
    energy :math:`8.76\,\lambda\, pue_{s,h}\, kW_{unit}` MWh, priced at
    :math:`elec_{s,t}` (``energy``) and carbon (``carbon``), its emissions,
    ``deployment_maintenance`` :math:`m_g (1+growth_g)^{t-y} Q` and
    ``fabric_maintenance`` :math:`n_g\, fm_f`; ``resale`` the GPU credit
    (`semantics.gpu_credit_usd`: book value or market price, less the fee)
    at :math:`y + l'`. ``existing`` (a fixed family, :math:`N_e` units): the
    running costs of every year and ``existing_residual`` at :math:`T+1`;
    ``retire[e, y]`` takes off the running costs from :math:`y` and the
    residual, and adds ``existing_retirement`` at :math:`y`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs
from ..model.context import KW_PER_MW, Context
from ..model.keys import BuyKey, FleetKey, GpuYear, RetireKey, SiteGpuYear
from ..model.tally import Tally, build_tally


@dataclass
class ExistingUnits:
    """An existing deployment in model terms."""

    index: int
    site: str
    design: str
    gpu: str
    fabric: str
    purchase_year: int
    units: int
    deadline_year: int  # Y*: all units gone by its start when <= end_year
    retire_years: list[int]
    must_retire_all: bool
    price_usd_per_gpu: float

    def running(self, year: int) -> bool:
        return year < self.deadline_year or not self.must_retire_all


@dataclass
class FleetData:
    unit_mw: dict[tuple[str, str], float]  # (gpu, fabric) -> MW of one unit
    buy_keys: list[BuyKey]
    buy_ub: dict[BuyKey, int]
    existing: list[ExistingUnits]
    retire_keys: list[RetireKey]
    fleet_keys: list[FleetKey]  # (s, h, g, f) that can have active units
    active_buys: dict[tuple[FleetKey, int], list[BuyKey]]
    active_existing: dict[tuple[FleetKey, int], list[int]]
    supply_caps: dict[GpuYear, float]
    order_keys: list[SiteGpuYear]
    order_max_gpus: dict[SiteGpuYear, float]
    relaxed: dict[BuyKey, tuple[str, float]] = field(default_factory=dict)  # elastic: rule broken, weight
    tallies: dict[str, Tally] = field(default_factory=dict)

    @cached_property
    def active_index(self) -> set[tuple[FleetKey, int]]:
        return set(self.active_buys) | set(self.active_existing)

    def usable_fabrics(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for k in self.buy_keys:
            out[k.site].add(k.fabric)
        return out


# --------------------------------------------------------------------------- data


def prepare(ctx: Context, halls) -> FleetData:
    cat = ctx.inst.catalog
    unit_mw = {(g.name, f.name): sem.unit_kw(g, f) / KW_PER_MW for g in cat.gpus for f in cat.fabrics}
    d = FleetData(unit_mw=unit_mw, buy_keys=[], buy_ub={}, existing=[], retire_keys=[], fleet_keys=[],
                  active_buys={}, active_existing={}, supply_caps={}, order_keys=[], order_max_gpus={})
    for s in ctx.inst.sites:
        _site_purchases(ctx, d, halls, s.name)
    for key in d.buy_keys:
        broken = _broken_rules(ctx, key)
        if broken:
            d.relaxed[key] = ("; ".join(text for text, _ in broken), sum(w for _, w in broken))
    _existing(ctx, d, halls)
    _active(ctx, d)
    _supply(ctx, d, halls)
    d.tallies["buy"] = build_tally("buy", d.buy_keys, ctx.all_years, lambda k: buy_amounts(ctx, halls, k),
                                   site_of=lambda k: k[0], gpu_of=lambda k: k[2])
    d.tallies["existing"] = build_tally("existing", [e.index for e in d.existing], ctx.all_years,
                                        lambda e: existing_amounts(ctx, halls, d.existing[e]),
                                        site_of=lambda e: d.existing[e].site, gpu_of=lambda e: d.existing[e].gpu)
    d.tallies["retire"] = build_tally("retire", d.retire_keys, ctx.all_years,
                                      lambda k: retire_amounts(ctx, halls, d.existing[k[0]], k[1]),
                                      site_of=lambda k: d.existing[k[0]].site,
                                      gpu_of=lambda k: d.existing[k[0]].gpu)
    return d


def buy_years(ctx: Context, site_name: str, g) -> list[int]:
    s = ctx.sites[site_name]
    return [y for y in ctx.years
            if (g.first_year <= y <= g.last_year or "sale_years" in ctx.relax)
            and (y >= s.power_available_year or "power_year" in ctx.relax)]


def _site_purchases(ctx: Context, d: FleetData, halls, site_name: str) -> None:
    s = ctx.sites[site_name]
    can_hold = set(halls.buildable[site_name]) | {h for (site, h) in halls.existing_blocks if site == site_name}
    allowed = set(s.allowed_cooling) if s.allowed_cooling is not None else set(ctx.coolings)
    for h in halls.site_designs[site_name]:
        k_name, rack = halls.designs[h]
        if h not in can_hold or k_name not in allowed:
            continue
        for g in ctx.inst.catalog.gpus:
            if not sem.fits(g, ctx.coolings[k_name], ctx.densities[rack]):
                continue
            years = buy_years(ctx, site_name, g)
            for f in ctx.inst.catalog.fabrics:
                if not sem.attaches(g, f) and "port_speed" not in ctx.relax:
                    continue
                ub = int(halls.site_max_it_mw[site_name] / d.unit_mw[(g.name, f.name)] + 1e-9)
                if ub <= 0:
                    continue
                for y in years:
                    if f.first_year is not None and y < f.first_year:
                        continue
                    seen: set[int] = set()
                    for life in ctx.lives:
                        if life > g.max_life_years:
                            continue
                        eff = min(life, ctx.salvage_year - y)
                        if eff in seen:
                            continue
                        seen.add(eff)
                        key = BuyKey(site_name, h, g.name, f.name, y, eff)
                        d.buy_keys.append(key)
                        d.buy_ub[key] = ub


def _broken_rules(ctx: Context, key: BuyKey) -> list[tuple[str, float]]:
    """Rules a purchase key of an elastic model breaks, with a weight (years or 1)."""
    if not ctx.relax:
        return []
    site, g, f, y = ctx.sites[key.site], ctx.gpus[key.gpu], ctx.fabrics[key.fabric], key.year
    out = []
    if y < site.power_available_year:
        out.append((f"bought {site.power_available_year - y} year(s) before power is available",
                    site.power_available_year - y))
    if y < g.first_year or y > g.last_year:
        off = g.first_year - y if y < g.first_year else y - g.last_year
        out.append((f"{g.name} bought in {y}, outside its sale years {g.first_year}-{g.last_year}", off))
    if not sem.attaches(g, f):
        out.append((f"{g.name} needs {g.nic_gbps:g} Gb/s ports, {f.name} serves {f.max_gbps_per_port:g}", 1.0))
    return out


def _existing(ctx: Context, d: FleetData, halls) -> None:
    for i, dep in enumerate(ctx.inst.existing.deployments):
        g = ctx.gpus[dep.gpu]
        deadline = sem.retire_deadline(ctx.inst, dep.purchase_year, g)
        ex = ExistingUnits(
            index=i, site=dep.site, design=sem.design_id(dep.cooling, dep.rack_kw), gpu=g.name,
            fabric=dep.fabric, purchase_year=dep.purchase_year, units=dep.gpus // g.unit_gpus,
            deadline_year=deadline, retire_years=[y for y in ctx.years if y <= deadline],
            must_retire_all=deadline <= ctx.y_end, price_usd_per_gpu=dep.price_usd_per_gpu,
        )
        d.existing.append(ex)
        d.retire_keys += [RetireKey(i, y) for y in ex.retire_years]


def _active(ctx: Context, d: FleetData) -> None:
    active_buys: dict[tuple[FleetKey, int], list[BuyKey]] = defaultdict(list)
    for key in d.buy_keys:
        for t in range(key.year, key.year + key.life):
            active_buys[(FleetKey(*key[:4]), t)].append(key)
    active_existing: dict[tuple[FleetKey, int], list[int]] = defaultdict(list)
    for ex in d.existing:
        for t in ctx.years:
            if ex.running(t):
                active_existing[(FleetKey(ex.site, ex.design, ex.gpu, ex.fabric), t)].append(ex.index)
    pos = {0: ctx.site_names, 2: list(ctx.gpus), 3: list(ctx.fabrics)}
    index = {i: {n: j for j, n in enumerate(names)} for i, names in pos.items()}
    design_pos = {h: j for j, h in enumerate(_design_order(ctx))}
    d.fleet_keys = sorted({fk for (fk, _) in active_buys} | {fk for (fk, _) in active_existing},
                          key=lambda fk: (index[0][fk[0]], design_pos[fk[1]], index[2][fk[2]], index[3][fk[3]]))
    d.active_buys = dict(active_buys)
    d.active_existing = dict(active_existing)


def _design_order(ctx: Context) -> list[str]:
    cat = ctx.inst.catalog
    return [sem.design_id(k.name, x.rack_kw) for k in cat.cooling for x in cat.densities if sem.is_design(k, x)]


def _supply(ctx: Context, d: FleetData, halls) -> None:
    """Supply caps per GPU model and year (SPEC 8.3, 8.10.16), and minimum-order keys."""
    bought: dict[GpuYear, int] = defaultdict(int)
    at_site: dict[SiteGpuYear, int] = defaultdict(int)
    for k in d.buy_keys:
        bought[GpuYear(k.gpu, k.year)] += 1
        at_site[SiteGpuYear(k.site, k.gpu, k.year)] += 1
    for gy in bought:
        cap = sem.year_value(ctx.gpus[gy.gpu].max_gpus_per_year, gy.year)
        if cap is not None:
            d.supply_caps[gy] = cap
    for sgy in at_site:
        g = ctx.gpus[sgy.gpu]
        if g.min_order_gpus is not None and g.min_order_gpus > g.unit_gpus:
            least_mw = min(d.unit_mw[(g.name, f)] for f in ctx.fabrics)
            most_units = math.floor(halls.site_max_it_mw[sgy.site] / least_mw + 1e-9)
            d.order_keys.append(sgy)
            d.order_max_gpus[sgy] = most_units * g.unit_gpus


def unit_mwh(ctx: Context, halls, site: str, design: str, gpu: str, fabric: str) -> float:
    """Facility energy of one unit running a year: 8.76 x load factor x PUE x unit kW."""
    g, f = ctx.gpus[gpu], ctx.fabrics[fabric]
    return sem.MWH_PER_KW_YEAR * ctx.inst.options.load_factor * halls.pue[(site, design)] * sem.unit_kw(g, f)


def _running(ctx: Context, halls, site: str, design: str, gpu: str, fabric: str, capex_usd: float,
             bought: int, years: range) -> Iterator[tuple[str, range, np.ndarray | float]]:
    """Energy, carbon, emissions and maintenance of one unit in each of `years` (consecutive)."""
    s, g, f = ctx.sites[site], ctx.gpus[gpu], ctx.fabrics[fabric]
    if not len(years):
        return
    mwh = unit_mwh(ctx, halls, site, design, gpu, fabric)
    unit_mw = sem.unit_kw(g, f) / KW_PER_MW
    t_per_mwh = s.carbon_kg_per_mwh / 1000.0
    i0 = years.start - ctx.y0
    elec = ctx.electricity_vector(site)[i0:i0 + len(years)]
    age = np.arange(years.start - bought, years.stop - bought)
    maint = g.maintenance_frac_per_year * (1.0 + g.maintenance_growth_per_year) ** np.maximum(age, 0)
    yield "energy", years, mwh * elec
    yield "carbon", years, mwh * ctx.inst.finance.carbon_price_usd_per_t * t_per_mwh
    yield "deployment_maintenance", years, maint * capex_usd
    yield "fabric_maintenance", years, g.unit_gpus * f.maintenance_usd_per_gpu_year
    yield "energy_mwh", years, mwh
    yield "grid_mwh", years, mwh
    yield "emissions_t", years, mwh * t_per_mwh
    yield "it_load_mw", years, unit_mw
    yield "gpus", years, float(g.unit_gpus)


def buy_amounts(ctx: Context, halls, key: BuyKey) -> Iterator[tuple[str, int, float]]:
    """Unit tally of one purchase unit."""
    g, f = ctx.gpus[key.gpu], ctx.fabrics[key.fabric]
    cap = ctx.unit_capex_usd(g, f, key.year)
    yield "deployments", key.year, cap
    yield "capex_usd", key.year, cap
    years = range(key.year, min(key.year + key.life, ctx.salvage_year))
    yield from _running(ctx, halls, key.site, key.design, key.gpu, key.fabric, cap, key.year, years)
    sold = key.year + key.life
    credit = sem.gpu_credit_usd(g, f, cap / g.unit_gpus, sold, key.life)
    yield "resale", sold, -g.unit_gpus * credit


def _existing_value(ctx: Context, ex: ExistingUnits) -> float:
    g, f = ctx.gpus[ex.gpu], ctx.fabrics[ex.fabric]
    return g.unit_gpus * (ex.price_usd_per_gpu + sem.net_capex_usd_per_gpu(f, g))


def _existing_credit(ctx: Context, ex: ExistingUnits, year: int) -> float:
    """What one existing unit brings back when sold in `year`."""
    g, f = ctx.gpus[ex.gpu], ctx.fabrics[ex.fabric]
    per_gpu = _existing_value(ctx, ex) / g.unit_gpus
    return g.unit_gpus * sem.gpu_credit_usd(g, f, per_gpu, year, year - ex.purchase_year)


def existing_amounts(ctx: Context, halls, ex: ExistingUnits) -> Iterator[tuple[str, int, float]]:
    """Unit tally of one existing unit kept to the end: running costs every year, residual value."""
    yield from _running(ctx, halls, ex.site, ex.design, ex.gpu, ex.fabric, _existing_value(ctx, ex),
                        ex.purchase_year, range(ctx.y0, ctx.salvage_year))
    yield "existing_residual", ctx.salvage_year, -_existing_credit(ctx, ex, ctx.salvage_year)


def retire_amounts(ctx: Context, halls, ex: ExistingUnits, year: int) -> Iterator[tuple[str, int, float]]:
    """Unit tally of retiring one existing unit at the start of `year`: no running costs from
    then on, no residual value at the end, the sale's credit now."""
    later = range(max(year, ctx.y0), ctx.salvage_year)
    for name, t, amount in _running(ctx, halls, ex.site, ex.design, ex.gpu, ex.fabric,
                                    _existing_value(ctx, ex), ex.purchase_year, later):
        yield name, t, -amount
    yield "existing_residual", ctx.salvage_year, _existing_credit(ctx, ex, ctx.salvage_year)
    yield "existing_retirement", year, -_existing_credit(ctx, ex, year)


# --------------------------------------------------------------------------- model


def add(m: pyo.Block, d) -> None:
    fl = d.fleet
    m.BUY = pyo.Set(initialize=fl.buy_keys, dimen=6, ordered=True)
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers, bounds=lambda m, *k: (0, fl.buy_ub[k]))
    units = {ex.index: ex.units for ex in fl.existing}
    m.RETIRE = pyo.Set(initialize=fl.retire_keys, dimen=2, ordered=True)
    m.retire = pyo.Var(m.RETIRE, domain=pyo.NonNegativeIntegers, bounds=lambda m, e, y: (0, units[e]))

    def retire_all(m, e):
        ex = fl.existing[e]
        gone = pyo.quicksum(m.retire[e, y] for y in ex.retire_years)
        return gone == ex.units if ex.must_retire_all else gone <= ex.units

    m.retire_all = pyo.Constraint([ex.index for ex in fl.existing], rule=retire_all)
    keys = [fk + (t,) for fk in fl.fleet_keys for t in d.ctx.years
            if (fk, t) in fl.active_buys or (fk, t) in fl.active_existing]
    m.ACTIVE = pyo.Set(initialize=keys, dimen=5, ordered=True)
    m.active_units = pyo.Expression(m.ACTIVE, rule=lambda m, *k: _units(m, d, k, weighted=False))
    failing = {g for g, gpu in d.ctx.gpus.items() if gpu.annual_failure_rate > 0}
    if failing:
        m.surviving_units = pyo.Expression([k for k in keys if k[2] in failing],
                                           rule=lambda m, *k: _units(m, d, k, weighted=True))
    costs.add_tally_terms(m, d, "buy", m.buy)
    costs.add_tally_terms(m, d, "retire", m.retire)
    costs.add_fixed_terms(m, d, "existing", {ex.index: ex.units for ex in fl.existing})
    costs.add_penalty(m, "relaxation", "buy", m.buy,
                      {k: fl.unit_mw[(k.gpu, k.fabric)] * w for k, (_, w) in fl.relaxed.items()})
    _add_supply_rows(m, d)


def _units(m: pyo.Block, d, key: tuple, weighted: bool):
    """Active units of (s, h, g, f) in year t; with `weighted`, each vintage by its surviving
    fraction."""
    fl = d.fleet
    fk, t = FleetKey(*key[:4]), key[4]
    g = d.ctx.gpus[fk.gpu]

    def q(bought: int) -> float:
        return sem.surviving(g, t - bought) if weighted else 1.0

    bought = [q(b.year) * m.buy[b] for b in fl.active_buys.get((fk, t), ())]
    running = []
    for e in fl.active_existing.get((fk, t), ()):
        ex = fl.existing[e]
        left = ex.units - pyo.quicksum(m.retire[e, y] for y in ex.retire_years if y <= t)
        running.append(q(ex.purchase_year) * left if weighted else left)
    return pyo.quicksum(bought + running, start=0)


def _add_supply_rows(m: pyo.Block, d) -> None:
    fl = d.fleet
    by_gy: dict[GpuYear, list[BuyKey]] = defaultdict(list)
    by_sgy: dict[SiteGpuYear, list[BuyKey]] = defaultdict(list)
    for k in fl.buy_keys:
        by_gy[GpuYear(k.gpu, k.year)].append(k)
        by_sgy[SiteGpuYear(k.site, k.gpu, k.year)].append(k)
    caps = list(fl.supply_caps)
    if d.ctx.limits and caps:
        m.supply_excess = pyo.Var(caps, domain=pyo.NonNegativeReals)
        costs.add_penalty(m, "relaxation", "supply_excess", m.supply_excess,
                          {gy: max(fl.unit_mw[(gy.gpu, f)] for f in d.ctx.fabrics) / d.ctx.gpus[gy.gpu].unit_gpus
                           for gy in caps})

    def supply_cap(m, g, y):
        n = d.ctx.gpus[g].unit_gpus
        excess = m.supply_excess[g, y] if d.ctx.limits else 0
        return pyo.quicksum(n * m.buy[k] for k in by_gy[(g, y)]) <= fl.supply_caps[(g, y)] + excess

    m.supply_cap = pyo.Constraint(caps, rule=supply_cap)
    if not fl.order_keys:
        return
    m.ORDER = pyo.Set(initialize=fl.order_keys, dimen=3, ordered=True)
    m.order = pyo.Var(m.ORDER, domain=pyo.Binary)

    def ordered(m, s, g, y):
        return pyo.quicksum(d.ctx.gpus[g].unit_gpus * m.buy[k] for k in by_sgy[(s, g, y)])

    m.order_min = pyo.Constraint(m.ORDER, rule=lambda m, s, g, y: ordered(m, s, g, y)
                                 >= d.ctx.gpus[g].min_order_gpus * m.order[s, g, y])
    m.order_max = pyo.Constraint(m.ORDER, rule=lambda m, s, g, y: ordered(m, s, g, y)
                                 <= fl.order_max_gpus[(s, g, y)] * m.order[s, g, y])
