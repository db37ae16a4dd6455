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
    ledger = _Ledger(inst)
    ledger.sites_and_fabrics(plan)
    ledger.blocks(plan)
    ledger.gpus(plan)
    ledger.power(plan)
    ledger.energy(plan)
    ledger.dci(plan)
    ledger.rentals(plan)
    return ledger.costs()


class _Ledger:
    """Nominal USD per item and year, gross capex and the physical tallies, entered one
    SPEC section at a time (`cost_plan` calls each in turn)."""

    def __init__(self, inst: Instance) -> None:
        cat = inst.catalog
        self.inst, self.fin = inst, inst.finance
        self.years = inst.years
        self.y0, self.y1 = self.years[0], self.years[-1] + 1  # y1: the salvage year
        self.all_years = [*self.years, self.y1]
        self.idx = {y: i for i, y in enumerate(self.all_years)}
        n = self.n = len(self.years)
        self.sites = {s.name: s for s in inst.sites}
        self.coolings = {k.name: k for k in cat.cooling}
        self.densities = {d.rack_kw: d for d in cat.densities}
        self.gpu = {g.name: g for g in cat.gpus}
        self.fabric = {f.name: f for f in cat.fabrics}
        self.onsite = {(s.name, p.name): p for s in inst.sites for p in s.onsite_power}
        self.nominal = {item.name: np.zeros(len(self.all_years)) for item in COST_ITEM_LIST}
        self.capex = np.zeros(n)
        self.built_it = {s: np.zeros(n) for s in self.sites}
        self.facility = {s: np.zeros(n) for s in self.sites}
        self.it_load = {s: np.zeros(n) for s in self.sites}
        self.site_energy = {s: np.zeros(n) for s in self.sites}
        self.active = {g: np.zeros(n) for g in self.gpu}
        self.grid_mwh = np.zeros(n)
        self.onsite_mwh = np.zeros(n)
        self.emissions = np.zeros(n)

    def pay(self, item: str, year: int, usd: float, gross_capex: bool = False) -> None:
        self.nominal[item][self.idx[year]] += usd
        if gross_capex:
            self.capex[self.idx[year]] += usd

    def salvage(self, usd: float, year: int, life: float | None = None) -> None:
        life = self.fin.facility_life_years if life is None else life
        self.nominal["facility_salvage"][self.idx[self.y1]] -= usd * sem.residual(self.y1 - year, life)

    def sites_and_fabrics(self, plan: Plan) -> None:
        """SPEC 5: site opening and per-site fabric capex, with their salvage."""
        for o in plan.openings:
            usd = self.sites[o.site].site_fixed_capex_usd
            self.pay("site_opening", o.year, usd, gross_capex=True)
            self.salvage(usd, o.year)
        for a in plan.fabrics:
            usd = self.fabric[a.fabric].site_fixed_capex_usd
            self.pay("fabric_fixed", a.year, usd, gross_capex=True)
            self.salvage(usd, a.year)

    def _blocks_from(self, site_name: str, cooling: str, rack_kw: float, blocks: int, year: int) -> float:
        """Recurring costs and capacity of blocks commissioned in `year`; one block's capex."""
        site = self.sites[site_name]
        cap = sem.block_capex_usd(site, self.coolings[cooling], self.densities[rack_kw])
        pue = sem.site_pue(site, self.coolings[cooling])
        colo = site.colocation_usd_per_kw_month
        for t in self.years:
            if t >= year:
                i = self.idx[t]
                self.nominal["fixed_opex"][i] += site.fixed_opex_usd_per_mw_year * site.block_mw * blocks
                if colo is None:
                    self.nominal["facility_maintenance"][i] += self.fin.facility_maintenance_frac_per_year * cap * blocks
                else:
                    self.nominal["colocation"][i] += 12 * 1000.0 * site.block_mw * colo * blocks
                self.built_it[site_name][i] += site.block_mw * blocks
                self.facility[site_name][i] += site.block_mw * blocks * pue
        return cap

    def blocks(self, plan: Plan) -> None:
        """SPEC 5 blocks, 8.3 lead times (capex paid that many years early), 8.7 colocation."""
        for b in self.inst.existing.blocks:
            self._blocks_from(b.site, b.cooling, b.rack_kw, b.blocks, self.y0)
        for b in plan.builds:
            cap = self._blocks_from(b.site, b.cooling, b.rack_kw, b.blocks, b.year)
            site = self.sites[b.site]
            if site.colocation_usd_per_kw_month is None:
                self.pay("blocks", b.year - site.build_lead_time_years, cap * b.blocks, gross_capex=True)
                self.salvage(cap * b.blocks, b.year)

    def gpus(self, plan: Plan) -> None:
        """SPEC 5, 8.2, 8.6: GPU capex, energy drawn, maintenance, fabric maintenance, credits."""
        for p in plan.purchases:
            g, f = self.gpu[p.gpu], self.fabric[p.fabric]
            per_gpu = gpu_price_any_year(g, p.year) + sem.net_capex_usd_per_gpu(f, g)
            self.pay("deployments", p.year, per_gpu * p.gpus, gross_capex=True)
            sold = min(p.year + p.life_years, self.y1)
            credit = sem.gpu_credit_usd(g, f, per_gpu, sold, sold - p.year)
            self.nominal["resale"][self.idx[sold]] -= credit * p.gpus
        retired = retired_by_year(plan)
        for u in fleet(self.inst, plan):
            self._running(u)
            if u.existing is not None:
                self._existing_credits(u, retired[u.existing])

    def _running(self, u: Units) -> None:
        g, f = self.gpu[u.gpu], self.fabric[u.fabric]
        kw_per_gpu = g.system_kw_per_gpu + sem.net_kw_per_gpu(f, g)
        pue = sem.site_pue(self.sites[u.site], self.coolings[u.cooling])
        lf = self.inst.options.load_factor
        for t, n_gpus in u.running.items():
            i = self.idx[t]
            self.site_energy[u.site][i] += sem.MWH_PER_KW_YEAR * lf * pue * kw_per_gpu * n_gpus
            self.it_load[u.site][i] += kw_per_gpu * n_gpus / 1000.0
            self.active[u.gpu][i] += n_gpus
            self.nominal["deployment_maintenance"][i] += (sem.maintenance_factor(g, t - u.born)
                                                          * u.capex_per_gpu * n_gpus)
            self.nominal["fabric_maintenance"][i] += f.maintenance_usd_per_gpu_year * n_gpus

    def _existing_credits(self, u: Units, gone: dict[int, int]) -> None:
        g, f = self.gpu[u.gpu], self.fabric[u.fabric]
        for t in self.years:
            if gone.get(t):
                credit = sem.gpu_credit_usd(g, f, u.capex_per_gpu, t, t - u.born)
                self.nominal["existing_retirement"][self.idx[t]] -= credit * gone[t]
        still = u.running.get(self.years[-1], 0.0)
        if still > 0:
            credit = sem.gpu_credit_usd(g, f, u.capex_per_gpu, self.y1, self.y1 - u.born)
            self.nominal["existing_residual"][self.idx[self.y1]] -= credit * still

    def power(self, plan: Plan) -> None:
        """SPEC 8.3 grid upgrades and 8.4 on-site generation capacity."""
        for up in plan.grid_upgrades:
            option = next(x for x in self.sites[up.site].grid_upgrades if x.name == up.upgrade)
            self.pay("grid_upgrades", up.year, option.capex_usd, gross_capex=True)
            self.salvage(option.capex_usd, up.year)
        for gb in plan.onsite_builds:
            option = self.onsite[(gb.site, gb.option)]
            usd = option.capex_usd_per_mw * gb.mw
            self.pay("onsite_capex", gb.year, usd, gross_capex=True)
            self.salvage(usd, gb.year)
            for t in self.years:
                if t >= gb.year:
                    self.pay("onsite_fixed_opex", t, option.fixed_opex_usd_per_mw_year * gb.mw)

    def energy(self, plan: Plan) -> None:
        """SPEC 5, 8.4: energy and carbon; the grid supplies what on-site generation does not."""
        generated = {s: np.zeros(self.n) for s in self.sites}
        for ge in plan.onsite_generation:
            option = self.onsite[(ge.site, ge.option)]
            i = self.idx[ge.year]
            generated[ge.site][i] += ge.mwh
            self.onsite_mwh[i] += ge.mwh
            self.nominal["energy"][i] += ge.mwh * option.fuel_usd_per_mwh
            self.emissions[i] += ge.mwh * option.carbon_kg_per_mwh / 1000.0
        for s in self.inst.sites:
            grid = self.site_energy[s.name] - generated[s.name]
            self.grid_mwh += grid
            self.emissions += grid * s.carbon_kg_per_mwh / 1000.0
            for t in self.years:
                self.nominal["energy"][self.idx[t]] += grid[self.idx[t]] * sem.electricity_usd_per_mwh(s, t)
        self.nominal["carbon"][:self.n] += self.emissions * self.fin.carbon_price_usd_per_t

    def dci(self, plan: Plan) -> None:
        """SPEC 8.1: route capex and yearly lease, link optics with their salvage."""
        optics = {o.name: o for o in self.inst.catalog.dci_optics}
        for r in plan.routes_lit:
            route = route_of(self.inst, r.a, r.b)
            self.pay("dci", r.year, route.fixed_capex_usd, gross_capex=True)
            for t in self.years:
                if t >= r.year:
                    self.pay("dci", t, route.usd_per_year)
        for li in plan.links:
            o = optics[li.optic]
            self.pay("dci", li.year, o.capex_usd_per_link * li.links, gross_capex=True)
            self.salvage(o.capex_usd_per_link * li.links, li.year, o.life_years)

    def rentals(self, plan: Plan) -> None:
        """SPEC 8.7: rented GPU-hours at the offer's price of the year."""
        rentals = {r.name: r for r in self.inst.rentals}
        for ru in plan.rentals:
            price = _year_value_nearest(rentals[ru.rental].usd_per_gpu_hour, ru.year)
            self.pay("rental", ru.year, sem.HOURS_PER_YEAR * price * ru.gpus)

    def costs(self) -> PlanCosts:
        items = reported_items(self.inst)
        nominal = {item: self.nominal[item] for item in items}
        disc = np.array([sem.discount(self.inst, y) for y in self.all_years])
        npv = {item: float(np.dot(nominal[item], disc)) for item in items}
        se = self.site_energy
        return PlanCosts(
            years=self.all_years, nominal_usd=nominal, npv_usd=npv, discount=disc,
            energy_mwh=sum(se.values(), np.zeros(self.n)), grid_mwh=self.grid_mwh, onsite_mwh=self.onsite_mwh,
            emissions_t=self.emissions, gross_capex_usd=self.capex, built_it_mw=self.built_it,
            facility_mw=self.facility, it_load_mw=self.it_load,
            facility_drawn_mw={s: e / sem.HOURS_PER_YEAR for s, e in se.items()},
            site_energy_mwh=se, active_gpus=self.active,
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
