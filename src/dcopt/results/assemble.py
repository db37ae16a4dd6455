"""Plan + its costs -> the reporting views of a `Solution` (SPEC section 6)."""

from __future__ import annotations

from collections import defaultdict

from ..instance import semantics as sem
from ..instance.schema import Instance
from ..plan.costing import PlanCosts
from ..plan.format import Plan
from .solution import (
    BuiltBlocks,
    ExistingDeploymentResult,
    FabricAtSite,
    PurchaseResult,
    RetirementResult,
    SiteResult,
    YearResult,
)


def site_results(inst: Instance, plan: Plan, costs: PlanCosts) -> list[SiteResult]:
    years = inst.years
    out = []
    for s in inst.sites:
        existing = [b for b in inst.existing.blocks if b.site == s.name and b.blocks > 0]
        opened = [o.year for o in plan.openings if o.site == s.name]
        blocks = [BuiltBlocks(cooling=b.cooling, rack_kw=b.rack_kw, year=None, blocks=b.blocks,
                              it_mw=b.blocks * s.block_mw) for b in existing]
        blocks += [BuiltBlocks(cooling=b.cooling, rack_kw=b.rack_kw, year=b.year, blocks=b.blocks,
                               it_mw=b.blocks * s.block_mw)
                   for b in sorted(plan.builds, key=lambda b: (b.year, b.cooling, b.rack_kw))
                   if b.site == s.name]
        present = list(dict.fromkeys(d.fabric for d in inst.existing.deployments if d.site == s.name))
        fabrics = [FabricAtSite(fabric=f, year=None) for f in present]
        fabrics += [FabricAtSite(fabric=a.fabric, year=a.year) for a in plan.fabrics if a.site == s.name]
        out.append(SiteResult(
            name=s.name,
            region=s.region,
            open_year=years[0] if existing else (min(opened) if opened else None),
            opened_by_existing=bool(existing),
            blocks=blocks,
            fabrics=fabrics,
            built_it_mw={y: float(v) for y, v in zip(years, costs.built_it_mw[s.name])},
            facility_mw={y: float(v) for y, v in zip(years, costs.facility_mw[s.name])},
            it_load_mw={y: float(v) for y, v in zip(years, costs.it_load_mw[s.name])},
            facility_drawn_mw={y: float(v) for y, v in zip(years, costs.facility_drawn_mw[s.name])},
            max_facility_mw=s.max_facility_mw,
            block_mw=s.block_mw,
        ))
    return out


def purchase_results(inst: Instance, plan: Plan) -> list[PurchaseResult]:
    y1 = inst.horizon.end_year + 1
    return [PurchaseResult(**x.model_dump(), resale_year=min(x.year + x.life_years, y1))
            for x in sorted(plan.purchases, key=lambda x: (x.year, x.site, x.gpu, x.fabric))]


def existing_deployment_results(inst: Instance) -> list[ExistingDeploymentResult]:
    return [ExistingDeploymentResult(index=i, site=d.site, cooling=d.cooling, rack_kw=d.rack_kw, gpu=d.gpu,
                                     fabric=d.fabric, purchase_year=d.purchase_year, gpus=d.gpus)
            for i, d in enumerate(inst.existing.deployments)]


def retirement_results(inst: Instance, plan: Plan) -> list[RetirementResult]:
    deps = inst.existing.deployments
    return [RetirementResult(**r.model_dump(), site=deps[r.deployment].site, gpu=deps[r.deployment].gpu,
                             fabric=deps[r.deployment].fabric)
            for r in sorted(plan.retirements, key=lambda r: (r.year, r.deployment))]


def year_results(inst: Instance, plan: Plan, costs: PlanCosts) -> list[YearResult]:
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    delivered: dict[tuple[str, int], float] = defaultdict(float)
    for a in plan.allocations or []:
        g, f = gpus[a.gpu], fabrics[a.fabric]
        if a.workload == sem.TRAINING:
            per = g.training_perf * f.training_efficiency * f.availability
        else:
            per = g.inference_perf * f.availability
        delivered[(a.workload, a.year)] += a.gpus * per
    capex, opex = costs.capex_usd(), costs.opex_usd()
    regions = [d.region for d in inst.demand.inference]
    out = []
    for i, y in enumerate(inst.years):
        out.append(YearResult(
            year=y,
            training_demand=sem.demand_value(inst.demand.training, y),
            training_delivered=delivered[(sem.TRAINING, y)],
            inference_demand={d.region: sem.demand_value(d.perf, y) for d in inst.demand.inference},
            inference_delivered={r: delivered[(r, y)] for r in regions},
            active_gpus={g: float(v[i]) for g, v in costs.active_gpus.items() if v[i] > 0},
            energy_mwh=float(costs.energy_mwh[i]),
            emissions_t=float(costs.emissions_t[i]),
            capex_usd=float(capex[i]),
            opex_usd=float(opex[i]),
        ))
    return out


def nominal_by_year(costs: PlanCosts) -> dict[str, dict[int, float]]:
    return {item: {y: float(v) for y, v in zip(costs.years, arr) if v != 0.0}
            for item, arr in costs.nominal_usd.items()}
