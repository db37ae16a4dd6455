"""Cost a plan from the SPEC alone, in plain Python and numpy: no Pyomo, no solver.

This is the independent recomputation behind the nominal-by-year breakdown,
the per-year energy and emissions, and `dcopt check`: it reads the instance
and the plan's decisions and applies SPEC section 5 line by line, in USD.
It shares only the elementary definitions of :mod:`dcopt.semantics` with the
model data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..instance import semantics as sem
from ..instance.schema import Instance
from ..model.items import SPEC5_ITEMS as COST_ITEMS
from .format import Plan


@dataclass
class PlanCosts:
    """Costs and physical tallies of a plan, in USD, MW, MWh and t."""

    years: list[int]  # horizon years, then the salvage year end_year + 1
    nominal_usd: dict[str, np.ndarray]  # item -> per year of `years`
    npv_usd: dict[str, float]
    discount: np.ndarray
    energy_mwh: np.ndarray  # horizon years
    emissions_t: np.ndarray
    built_it_mw: dict[str, np.ndarray]  # site -> built IT MW per horizon year
    facility_mw: dict[str, np.ndarray]  # site -> built IT MW x PUE per horizon year
    it_load_mw: dict[str, np.ndarray]  # site -> rated IT MW of active units per horizon year
    facility_drawn_mw: dict[str, np.ndarray]  # site -> IT MW x load factor x PUE per horizon year
    active_gpus: dict[str, np.ndarray]  # gpu -> GPUs running per horizon year

    @property
    def tco_usd(self) -> float:
        return float(sum(self.npv_usd.values()))

    def capex_usd(self) -> np.ndarray:
        n = len(self.years) - 1
        return sum(self.nominal_usd[i][:n] for i in ("site_opening", "fabric_fixed", "blocks", "deployments"))

    def opex_usd(self) -> np.ndarray:
        n = len(self.years) - 1
        items = ("energy", "carbon", "fixed_opex", "facility_maintenance", "deployment_maintenance")
        return sum(self.nominal_usd[i][:n] for i in items)


def cost_plan(inst: Instance, plan: Plan) -> PlanCosts:
    """Every cost item of SPEC section 5 for `plan`, nominal by year and NPV."""
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
    nominal = {item: np.zeros(len(all_years)) for item in COST_ITEMS}
    energy_mwh = np.zeros(n)
    emissions_t = np.zeros(n)
    built_it = {s: np.zeros(n) for s in sites}
    facility = {s: np.zeros(n) for s in sites}
    it_load = {s: np.zeros(n) for s in sites}
    drawn = {s: np.zeros(n) for s in sites}
    active = {g: np.zeros(n) for g in gpus}

    def salvage(capex: float, year: int) -> None:
        nominal["facility_salvage"][idx[y1]] -= capex * sem.residual(y1 - year, fin.facility_life_years)

    for o in plan.openings:
        usd = sites[o.site].site_fixed_capex_usd
        nominal["site_opening"][idx[o.year]] += usd
        salvage(usd, o.year)
    for a in plan.fabrics:
        usd = fabrics[a.fabric].site_fixed_capex_usd
        nominal["fabric_fixed"][idx[a.year]] += usd
        salvage(usd, a.year)

    def blocks_from(site_name: str, cooling: str, rack_kw: float, blocks: int, year: int) -> float:
        """Recurring costs and capacity of blocks counted from `year`; returns one block's capex."""
        site = sites[site_name]
        cap = sem.block_capex_usd(site, coolings[cooling], densities[rack_kw])
        pue = sem.site_pue(site, coolings[cooling])
        for t in years:
            if t >= year:
                i = idx[t]
                nominal["fixed_opex"][i] += site.fixed_opex_usd_per_mw_year * site.block_mw * blocks
                nominal["facility_maintenance"][i] += fin.facility_maintenance_frac_per_year * cap * blocks
                built_it[site_name][i] += site.block_mw * blocks
                facility[site_name][i] += site.block_mw * blocks * pue
        return cap

    for b in inst.existing.blocks:
        blocks_from(b.site, b.cooling, b.rack_kw, b.blocks, y0)
    for b in plan.builds:
        cap = blocks_from(b.site, b.cooling, b.rack_kw, b.blocks, b.year)
        nominal["blocks"][idx[b.year]] += cap * b.blocks
        salvage(cap * b.blocks, b.year)

    def run(site_name: str, cooling: str, gpu_name: str, fabric_name: str, gpus_: float,
            t: int, capex_per_gpu: float) -> None:
        """Energy, carbon and maintenance of `gpus_` GPUs running in year t."""
        site, g, f = sites[site_name], gpus[gpu_name], fabrics[fabric_name]
        kw = gpus_ * (g.system_kw_per_gpu + sem.net_kw_per_gpu(f, g))
        mwh = sem.MWH_PER_KW_YEAR * lf * sem.site_pue(site, coolings[cooling]) * kw
        i = idx[t]
        nominal["energy"][i] += mwh * sem.electricity_usd_per_mwh(site, t)
        nominal["carbon"][i] += mwh * fin.carbon_price_usd_per_t * site.carbon_kg_per_mwh / 1000.0
        nominal["deployment_maintenance"][i] += g.maintenance_frac_per_year * capex_per_gpu * gpus_
        energy_mwh[i] += mwh
        emissions_t[i] += mwh * site.carbon_kg_per_mwh / 1000.0
        it_load[site_name][i] += kw / 1000.0
        drawn[site_name][i] += mwh / sem.HOURS_PER_YEAR
        active[gpu_name][i] += gpus_

    for p in plan.purchases:
        g, f = gpus[p.gpu], fabrics[p.fabric]
        per_gpu = _gpu_price_any_year(g, p.year) + sem.net_capex_usd_per_gpu(f, g)
        nominal["deployments"][idx[p.year]] += per_gpu * p.gpus
        end = min(p.year + p.life_years, y1)
        for t in range(p.year, end):
            run(p.site, p.cooling, p.gpu, p.fabric, p.gpus, t, per_gpu)
        life = min(p.life_years, y1 - p.year)
        nominal["resale"][idx[end]] -= per_gpu * p.gpus * sem.residual(life, g.depreciation_years)

    retired: dict[int, dict[int, int]] = defaultdict(dict)
    for r in plan.retirements:
        retired[r.deployment][r.year] = retired[r.deployment].get(r.year, 0) + r.gpus
    for e, dep in enumerate(inst.existing.deployments):
        g, f = gpus[dep.gpu], fabrics[dep.fabric]
        per_gpu = dep.price_usd_per_gpu + sem.net_capex_usd_per_gpu(f, g)
        running = dep.gpus
        for t in years:
            gone = retired[e].get(t, 0)
            running -= gone
            nominal["existing_retirement"][idx[t]] -= (
                per_gpu * gone * sem.residual(t - dep.purchase_year, g.depreciation_years)
            )
            if running > 0:
                run(dep.site, dep.cooling, dep.gpu, dep.fabric, running, t, per_gpu)
        if running > 0:
            nominal["existing_residual"][idx[y1]] -= (
                per_gpu * running * sem.residual(y1 - dep.purchase_year, g.depreciation_years)
            )

    disc = np.array([sem.discount(inst, y) for y in all_years])
    npv = {item: float(np.dot(nominal[item], disc)) for item in COST_ITEMS}
    return PlanCosts(
        years=all_years, nominal_usd=nominal, npv_usd=npv, discount=disc,
        energy_mwh=energy_mwh, emissions_t=emissions_t, built_it_mw=built_it,
        facility_mw=facility, it_load_mw=it_load, facility_drawn_mw=drawn, active_gpus=active,
    )


def _gpu_price_any_year(g, year: int) -> float:
    """`sem.gpu_price_usd`; for a year-map price missing `year` (a purchase outside the GPU's
    sale years, which `verify.check_plan` reports), the nearest listed year's price, so that
    a plan breaking that rule can still be costed (as `data` does for elastic models)."""
    price = g.price_usd_per_gpu
    if isinstance(price, dict) and str(year) not in price:
        near = min((int(k) for k in price), key=lambda k: (abs(k - year), k))
        return float(price[str(near)])
    return sem.gpu_price_usd(g, year)


def cost_plan_by_site(inst: Instance, plan: Plan) -> dict[str, PlanCosts]:
    """`cost_plan` split by site: every cost item of SPEC 5 belongs to one site (its
    opening, fabrics, blocks, purchases, existing blocks and deployments), so each site
    is costed as the plan and the existing assets restricted to it. The sites' NPVs and
    nominal amounts add up to `cost_plan(inst, plan)`'s."""
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
        )
        out[s.name] = cost_plan(sub_inst, sub_plan)
    return out
