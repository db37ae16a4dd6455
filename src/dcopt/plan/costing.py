"""Cost a plan from the SPEC alone, in plain Python and numpy: no Pyomo, no solver.

This is the independent recomputation behind `dcopt check`: it reads the
instance and the plan's decisions and applies SPEC sections 5 and 8 line by
line, in USD. It shares only the elementary definitions of
:mod:`dcopt.instance.semantics` with the model data, and the cost item names
of :mod:`dcopt.model.items`.

Conventions (the model's, SPEC 8.1-8.7): link, grid-upgrade and on-site
salvage are in ``facility_salvage``; on-site fuel is in ``energy`` and the
carbon of grid and on-site energy in ``carbon``; route capex, the routes'
yearly lease and link capex are all in ``dci``; a colocation site's blocks
pay ``colocation`` instead of block capex, facility maintenance and salvage.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..instance import semantics as sem
from ..instance.schema import Gpu, Instance
from ..model.items import COST_ITEM_LIST, COST_ITEMS, reported_items
from .format import Plan


@dataclass
class PlanCosts:
    """Costs and physical tallies of a plan, in USD, MW, MWh and t."""

    years: list[int]  # horizon years, then the salvage year end_year + 1
    nominal_usd: dict[str, np.ndarray]  # item -> per year of `years` (the items the instance reports)
    npv_usd: dict[str, float]
    discount: np.ndarray
    energy_mwh: np.ndarray  # facility energy per horizon year (grid and on-site)
    grid_mwh: np.ndarray
    onsite_mwh: np.ndarray
    emissions_t: np.ndarray  # of grid and on-site energy
    gross_capex_usd: np.ndarray  # the budget's basis (SPEC 7.2, 8.1, 8.3, 8.4) per horizon year
    built_it_mw: dict[str, np.ndarray]  # site -> built IT MW per horizon year
    facility_mw: dict[str, np.ndarray]  # site -> built IT MW x PUE per horizon year
    it_load_mw: dict[str, np.ndarray]  # site -> rated IT MW of active units per horizon year
    facility_drawn_mw: dict[str, np.ndarray]  # site -> IT MW x load factor x PUE per horizon year
    site_energy_mwh: dict[str, np.ndarray]  # site -> facility energy per horizon year
    active_gpus: dict[str, np.ndarray]  # gpu -> GPUs installed per horizon year (failed ones included)

    @property
    def tco_usd(self) -> float:
        return float(sum(self.npv_usd.values()))

    def capex_usd(self) -> np.ndarray:
        return self.gross_capex_usd

    def opex_usd(self) -> np.ndarray:
        """Everything paid in a year that is neither gross capex nor a credit."""
        n = len(self.years) - 1
        paid = sum((v[:n] for i, v in self.nominal_usd.items() if COST_ITEMS[i].kind != "credit"), np.zeros(n))
        return paid - self.gross_capex_usd


@dataclass(frozen=True)
class Units:
    """The GPUs of one purchase or one existing deployment, year by year."""

    site: str
    cooling: str
    rack_kw: float
    gpu: str
    fabric: str
    born: int  # purchase year: ages and surviving fractions count from it
    capex_per_gpu: float  # GPU price and network, what book values and maintenance are fractions of
    running: dict[int, float] = field(default_factory=dict)  # horizon year -> installed GPUs
    existing: int | None = None  # index in existing.deployments


def fleet(inst: Instance, plan: Plan) -> list[Units]:
    """Every purchase and existing deployment with the GPUs it has installed in each horizon
    year: a purchase over `year .. min(year + life, end_year + 1) - 1`, an existing deployment
    until its units are retired (units not retired keep running)."""
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    y1 = inst.horizon.end_year + 1
    out: list[Units] = []
    for p in plan.purchases:
        g, f = gpus[p.gpu], fabrics[p.fabric]
        per_gpu = gpu_price_any_year(g, p.year) + sem.net_capex_usd_per_gpu(f, g)
        out.append(Units(p.site, p.cooling, p.rack_kw, p.gpu, p.fabric, p.year, per_gpu,
                         {t: float(p.gpus) for t in range(p.year, min(p.year + p.life_years, y1))}))
    retired = retired_by_year(plan)
    for e, dep in enumerate(inst.existing.deployments):
        g, f = gpus[dep.gpu], fabrics[dep.fabric]
        running, by_year = dep.gpus, {}
        for t in inst.years:
            running -= retired[e].get(t, 0)
            if running > 0:
                by_year[t] = float(running)
        out.append(Units(dep.site, dep.cooling, dep.rack_kw, dep.gpu, dep.fabric, dep.purchase_year,
                         dep.price_usd_per_gpu + sem.net_capex_usd_per_gpu(f, g), by_year, existing=e))
    return out


def retired_by_year(plan: Plan) -> dict[int, dict[int, int]]:
    """Existing GPUs retired: deployment -> year -> GPUs."""
    out: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in plan.retirements:
        out[r.deployment][r.year] += r.gpus
    return out


def route_of(inst: Instance, a: str, b: str):
    """The DCI route between two sites (either order), None when there is none."""
    return next((r for r in inst.dci_routes if {r.a, r.b} == {a, b} and a != b), None)


def cost_plan(inst: Instance, plan: Plan) -> PlanCosts:
    """Every cost item of SPEC sections 5 and 8 for `plan`, nominal by year and NPV."""
    cat = inst.catalog
    years = inst.years
    y0, y1 = years[0], years[-1] + 1  # y1: the salvage year
    all_years = [*years, y1]
    idx = {y: i for i, y in enumerate(all_years)}
    n = len(years)
    fin = inst.finance
    lf = inst.options.load_factor
    sites = {s.name: s for s in inst.sites}
    coolings = {k.name: k for k in cat.cooling}
    densities = {d.rack_kw: d for d in cat.densities}
    gpus = {g.name: g for g in cat.gpus}
    fabrics = {f.name: f for f in cat.fabrics}
    optics = {o.name: o for o in cat.dci_optics}
    rentals = {r.name: r for r in inst.rentals}
    nominal = {item.name: np.zeros(len(all_years)) for item in COST_ITEM_LIST}
    capex = np.zeros(n)
    built_it = {s: np.zeros(n) for s in sites}
    facility = {s: np.zeros(n) for s in sites}
    it_load = {s: np.zeros(n) for s in sites}
    site_energy = {s: np.zeros(n) for s in sites}
    active = {g: np.zeros(n) for g in gpus}

    def pay(item: str, year: int, usd: float, gross_capex: bool = False) -> None:
        nominal[item][idx[year]] += usd
        if gross_capex:
            capex[idx[year]] += usd

    def salvage(usd: float, year: int, life: float = fin.facility_life_years) -> None:
        nominal["facility_salvage"][idx[y1]] -= usd * sem.residual(y1 - year, life)

    # -- sites and fabrics (SPEC 5)
    for o in plan.openings:
        usd = sites[o.site].site_fixed_capex_usd
        pay("site_opening", o.year, usd, gross_capex=True)
        salvage(usd, o.year)
    for a in plan.fabrics:
        usd = fabrics[a.fabric].site_fixed_capex_usd
        pay("fabric_fixed", a.year, usd, gross_capex=True)
        salvage(usd, a.year)

    # -- blocks (SPEC 5, 8.3 lead time, 8.7 colocation)
    def blocks_from(site_name: str, cooling: str, rack_kw: float, blocks: int, year: int) -> float:
        """Recurring costs and capacity of blocks commissioned in `year`; one block's capex."""
        site = sites[site_name]
        cap = sem.block_capex_usd(site, coolings[cooling], densities[rack_kw])
        pue = sem.site_pue(site, coolings[cooling])
        colo = site.colocation_usd_per_kw_month
        for t in years:
            if t >= year:
                i = idx[t]
                nominal["fixed_opex"][i] += site.fixed_opex_usd_per_mw_year * site.block_mw * blocks
                if colo is None:
                    nominal["facility_maintenance"][i] += fin.facility_maintenance_frac_per_year * cap * blocks
                else:
                    nominal["colocation"][i] += 12 * 1000.0 * site.block_mw * colo * blocks
                built_it[site_name][i] += site.block_mw * blocks
                facility[site_name][i] += site.block_mw * blocks * pue
        return cap

    for b in inst.existing.blocks:
        blocks_from(b.site, b.cooling, b.rack_kw, b.blocks, y0)
    for b in plan.builds:
        cap = blocks_from(b.site, b.cooling, b.rack_kw, b.blocks, b.year)
        if sites[b.site].colocation_usd_per_kw_month is None:
            pay("blocks", b.year - sites[b.site].build_lead_time_years, cap * b.blocks, gross_capex=True)
            salvage(cap * b.blocks, b.year)

    # -- GPUs: capex, energy, maintenance, fabric maintenance, credits (SPEC 5, 8.2, 8.6)
    for p in plan.purchases:
        g, f = gpus[p.gpu], fabrics[p.fabric]
        per_gpu = gpu_price_any_year(g, p.year) + sem.net_capex_usd_per_gpu(f, g)
        pay("deployments", p.year, per_gpu * p.gpus, gross_capex=True)
        sold = min(p.year + p.life_years, y1)
        credit = sem.gpu_credit_usd(g, f, per_gpu, sold, sold - p.year)
        nominal["resale"][idx[sold]] -= credit * p.gpus

    retired = retired_by_year(plan)
    for u in fleet(inst, plan):
        site, g, f = sites[u.site], gpus[u.gpu], fabrics[u.fabric]
        kw_per_gpu = g.system_kw_per_gpu + sem.net_kw_per_gpu(f, g)
        pue = sem.site_pue(site, coolings[u.cooling])
        for t, n_gpus in u.running.items():
            i = idx[t]
            site_energy[u.site][i] += sem.MWH_PER_KW_YEAR * lf * pue * kw_per_gpu * n_gpus
            it_load[u.site][i] += kw_per_gpu * n_gpus / 1000.0
            active[u.gpu][i] += n_gpus
            nominal["deployment_maintenance"][i] += sem.maintenance_factor(g, t - u.born) * u.capex_per_gpu * n_gpus
            nominal["fabric_maintenance"][i] += f.maintenance_usd_per_gpu_year * n_gpus
        if u.existing is None:
            continue
        gone = retired[u.existing]
        for t in years:
            if gone.get(t):
                credit = sem.gpu_credit_usd(g, f, u.capex_per_gpu, t, t - u.born)
                nominal["existing_retirement"][idx[t]] -= credit * gone[t]
        still = u.running.get(years[-1], 0.0)
        if still > 0:
            credit = sem.gpu_credit_usd(g, f, u.capex_per_gpu, y1, y1 - u.born)
            nominal["existing_residual"][idx[y1]] -= credit * still

    # -- grid upgrades and on-site generation (SPEC 8.3, 8.4)
    for up in plan.grid_upgrades:
        option = next(x for x in sites[up.site].grid_upgrades if x.name == up.upgrade)
        pay("grid_upgrades", up.year, option.capex_usd, gross_capex=True)
        salvage(option.capex_usd, up.year)
    onsite = {(s.name, p.name): p for s in inst.sites for p in s.onsite_power}
    for gb in plan.onsite_builds:
        option = onsite[(gb.site, gb.option)]
        usd = option.capex_usd_per_mw * gb.mw
        pay("onsite_capex", gb.year, usd, gross_capex=True)
        salvage(usd, gb.year)
        for t in years:
            if t >= gb.year:
                pay("onsite_fixed_opex", t, option.fixed_opex_usd_per_mw_year * gb.mw)

    # -- energy and carbon: the grid supplies what on-site generation does not (SPEC 5, 8.4)
    generated = {s: np.zeros(n) for s in sites}
    onsite_mwh = np.zeros(n)
    emissions = np.zeros(n)
    for ge in plan.onsite_generation:
        option = onsite[(ge.site, ge.option)]
        i = idx[ge.year]
        generated[ge.site][i] += ge.mwh
        onsite_mwh[i] += ge.mwh
        nominal["energy"][i] += ge.mwh * option.fuel_usd_per_mwh
        emissions[i] += ge.mwh * option.carbon_kg_per_mwh / 1000.0
    grid_mwh = np.zeros(n)
    for s in inst.sites:
        grid = site_energy[s.name] - generated[s.name]
        grid_mwh += grid
        emissions += grid * s.carbon_kg_per_mwh / 1000.0
        for t in years:
            nominal["energy"][idx[t]] += grid[idx[t]] * sem.electricity_usd_per_mwh(s, t)
    nominal["carbon"][:n] += emissions * fin.carbon_price_usd_per_t

    # -- DCI (SPEC 8.1)
    for r in plan.routes_lit:
        route = route_of(inst, r.a, r.b)
        pay("dci", r.year, route.fixed_capex_usd, gross_capex=True)
        for t in years:
            if t >= r.year:
                pay("dci", t, route.usd_per_year)
    for li in plan.links:
        o = optics[li.optic]
        pay("dci", li.year, o.capex_usd_per_link * li.links, gross_capex=True)
        salvage(o.capex_usd_per_link * li.links, li.year, o.life_years)

    # -- rentals (SPEC 8.7)
    for ru in plan.rentals:
        price = _year_value_nearest(rentals[ru.rental].usd_per_gpu_hour, ru.year)
        pay("rental", ru.year, sem.HOURS_PER_YEAR * price * ru.gpus)

    items = reported_items(inst)
    nominal = {item: nominal[item] for item in items}
    disc = np.array([sem.discount(inst, y) for y in all_years])
    npv = {item: float(np.dot(nominal[item], disc)) for item in items}
    return PlanCosts(
        years=all_years, nominal_usd=nominal, npv_usd=npv, discount=disc,
        energy_mwh=sum(site_energy.values(), np.zeros(n)), grid_mwh=grid_mwh, onsite_mwh=onsite_mwh,
        emissions_t=emissions, gross_capex_usd=capex, built_it_mw=built_it, facility_mw=facility,
        it_load_mw=it_load, facility_drawn_mw={s: e / sem.HOURS_PER_YEAR for s, e in site_energy.items()},
        site_energy_mwh=site_energy, active_gpus=active,
    )


def gpu_price_any_year(g: Gpu, year: int) -> float:
    """`sem.gpu_price_usd`; for a year-map price missing `year` (a purchase outside the GPU's
    sale years, which `check_plan` reports), the nearest listed year's price, so that a plan
    breaking that rule can still be costed (as `data` does for elastic models)."""
    return _year_value_nearest(g.price_usd_per_gpu, year) if isinstance(g.price_usd_per_gpu, dict) \
        else sem.gpu_price_usd(g, year)


def _year_value_nearest(value: float | dict[str, float], year: int) -> float:
    """A number, or a year map at `year` (the nearest listed year when the map misses it)."""
    got = sem.year_value(value, year)
    if got is None:
        near = min((int(k) for k in value), key=lambda k: (abs(k - year), k))
        return float(value[str(near)])
    return got


def cost_plan_by_site(inst: Instance, plan: Plan) -> dict[str, PlanCosts]:
    """`cost_plan` split by site: every cost item of SPEC 5 belongs to one site (its
    opening, fabrics, blocks, purchases, existing blocks and deployments; with section 8
    also its grid upgrades and on-site generation), so each site is costed as the plan and
    the existing assets restricted to it. The sites' NPVs and nominal amounts add up to
    `cost_plan(inst, plan)`'s, but for DCI routes and rentals, which belong to no site."""
    deps = inst.existing.deployments
    out: dict[str, PlanCosts] = {}
    for s in inst.sites:
        mine = [e for e, d in enumerate(deps) if d.site == s.name]
        new_index = {e: i for i, e in enumerate(mine)}
        existing = inst.existing.model_copy(update={
            "blocks": [b for b in inst.existing.blocks if b.site == s.name],
            "deployments": [deps[e] for e in mine],
        })
        sub_inst = inst.model_copy(update={"existing": existing})
        sub_plan = Plan(
            openings=[o for o in plan.openings if o.site == s.name],
            fabrics=[a for a in plan.fabrics if a.site == s.name],
            builds=[b for b in plan.builds if b.site == s.name],
            purchases=[p for p in plan.purchases if p.site == s.name],
            retirements=[r.model_copy(update={"deployment": new_index[r.deployment]})
                         for r in plan.retirements if r.deployment in new_index],
            grid_upgrades=[u for u in plan.grid_upgrades if u.site == s.name],
            onsite_builds=[g for g in plan.onsite_builds if g.site == s.name],
            onsite_generation=[g for g in plan.onsite_generation if g.site == s.name],
        )
        out[s.name] = cost_plan(sub_inst, sub_plan)
    return out
