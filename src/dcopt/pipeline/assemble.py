"""Plan + its tallied totals -> the reporting views of a `Solution` (SPEC 6, 8.9).

Money, energy, emissions, MW and GPUs come from the plan's totals
(`dcopt.model.planmap.totals`, the same tallies as the model's costs);
throughput delivered comes from the plan's allocations and the one formula
of `dcopt.instance.semantics`.
"""

from __future__ import annotations

from collections import defaultdict

from ..instance import semantics as sem
from ..instance.schema import Instance
from ..model.data import ModelData
from ..model.planmap import PlanTotals
from ..plan.format import Plan
from ..results.solution import (
    BuiltBlocks,
    ExistingDeploymentResult,
    FabricAtSite,
    GridUpgradeResult,
    JobSite,
    JobYearResult,
    PurchaseResult,
    RentalResult,
    RetirementResult,
    RouteResult,
    RouteYear,
    SiteResult,
    YearResult,
)


def _by_year(years: list[int], values) -> dict[int, float]:
    return {y: float(v) for y, v in zip(years, values)}


def site_results(d: ModelData, plan: Plan, tot: PlanTotals) -> list[SiteResult]:
    inst = d.ctx.inst
    years = inst.years
    got = site_delivered(d, plan)
    onsite_t = onsite_emissions(d, plan)
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
        present = list(dict.fromkeys(x.fabric for x in inst.existing.deployments if x.site == s.name))
        fabrics = [FabricAtSite(fabric=f, year=None) for f in present]
        fabrics += [FabricAtSite(fabric=a.fabric, year=a.year) for a in plan.fabrics if a.site == s.name]
        options = {u.name: u for u in s.grid_upgrades}
        taken = sorted((u for u in plan.grid_upgrades if u.site == s.name), key=lambda u: (u.year, u.upgrade))
        limit = [s.max_facility_mw + sum(options[u.upgrade].mw for u in taken if u.year <= t) for t in years]
        onsite = [sum(g.mw for g in plan.onsite_builds if g.site == s.name and g.year <= t) for t in years]
        out.append(SiteResult(
            name=s.name,
            region=s.region,
            open_year=years[0] if existing else (min(opened) if opened else None),
            opened_by_existing=bool(existing),
            blocks=blocks,
            fabrics=fabrics,
            built_it_mw=_by_year(years, tot.quantity("built_it_mw", s.name)),
            facility_mw=_by_year(years, tot.quantity("built_facility_mw", s.name)),
            it_load_mw=_by_year(years, tot.quantity("it_load_mw", s.name)),
            facility_drawn_mw=_by_year(years, tot.quantity("energy_mwh", s.name) / sem.HOURS_PER_YEAR),
            max_facility_mw=s.max_facility_mw,
            block_mw=s.block_mw,
            grid_limit_mw=_by_year(years, limit),
            onsite_mw=_by_year(years, onsite),
            grid_mwh=_by_year(years, tot.quantity("grid_mwh", s.name)),
            onsite_mwh=_by_year(years, tot.quantity("onsite_mwh", s.name)),
            upgrades=[GridUpgradeResult(upgrade=u.upgrade, year=u.year, mw=options[u.upgrade].mw,
                                        capex_usd=options[u.upgrade].capex_usd) for u in taken],
            build_lead_time_years=s.build_lead_time_years,
            colocation_usd_per_kw_month=s.colocation_usd_per_kw_month,
            gpus=_by_year(years, tot.quantity("gpus", s.name)),
            delivered={t: got.get((s.name, t), 0.0) for t in years},
            emissions_t=_by_year(years, tot.quantity("emissions_t", s.name)),
            onsite_emissions_t={t: onsite_t.get((s.name, t), 0.0) for t in years},
            costs_npv_usd=tot.site_npv_usd(s.name),
        ))
    return out


def site_delivered(d: ModelData, plan: Plan) -> dict[tuple[str, int], float]:
    """Throughput delivered per (site, year) by the site's GPUs: pooled demand and training jobs."""
    ctx = d.ctx
    out: dict[tuple[str, int], float] = defaultdict(float)
    for a in plan.allocations or []:
        out[(a.site, a.year)] += a.gpus * sem.delivered_per_gpu(ctx.gpus[a.gpu], ctx.fabrics[a.fabric], a.workload)
    for a in plan.job_allocations or []:
        out[(a.site, a.year)] += a.gpus * _job_per_gpu(d, a)
    return out


def onsite_emissions(d: ModelData, plan: Plan) -> dict[tuple[str, int], float]:
    """t CO2 of the energy generated on site per (site, year) (SPEC 8.4)."""
    out: dict[tuple[str, int], float] = defaultdict(float)
    for g in plan.onsite_generation:
        option = next(p for p in d.ctx.sites[g.site].onsite_power if p.name == g.option)
        out[(g.site, g.year)] += g.mwh * option.carbon_kg_per_mwh / 1000.0
    return out


def purchase_results(inst: Instance, plan: Plan) -> list[PurchaseResult]:
    y1 = inst.horizon.end_year + 1
    gpus = {g.name: g for g in inst.catalog.gpus}
    out = []
    for x in sorted(plan.purchases, key=lambda x: (x.year, x.site, x.gpu, x.fabric)):
        g, resale = gpus[x.gpu], min(x.year + x.life_years, y1)
        surviving = ({t: x.gpus * sem.surviving(g, t - x.year) for t in range(x.year, resale)}
                     if g.annual_failure_rate > 0 else {})
        out.append(PurchaseResult(**x.model_dump(), resale_year=resale, market_usd_per_gpu=_market(g, resale),
                                  surviving_gpus=surviving, **_ports(inst, x.gpu, x.fabric)))
    return out


def _market(gpu, year: int) -> float | None:
    """The used-GPU market price of a model in a year (SPEC 8.2), None without a market map."""
    return sem.year_value(gpu.resale_usd_per_gpu, year)


def _ports(inst: Instance, gpu: str, fabric: str) -> dict:
    g = next(x for x in inst.catalog.gpus if x.name == gpu)
    port = sem.port_option(next(f for f in inst.catalog.fabrics if f.name == fabric), g)
    return {"port_gbps": None if port is None else port.gbps, "ports_per_gpu": g.nic_ports}


def _surviving_frac(gpu, bought: int, years) -> dict[int, float]:
    """Surviving fraction by year of GPUs bought in `bought` (SPEC 8.2); empty without failures."""
    return {t: sem.surviving(gpu, t - bought) for t in years} if gpu.annual_failure_rate > 0 else {}


def existing_deployment_results(inst: Instance) -> list[ExistingDeploymentResult]:
    gpus = {g.name: g for g in inst.catalog.gpus}
    end = inst.horizon.end_year + 1
    return [ExistingDeploymentResult(index=i, site=x.site, cooling=x.cooling, rack_kw=x.rack_kw, gpu=x.gpu,
                                     fabric=x.fabric, purchase_year=x.purchase_year, gpus=x.gpus,
                                     annual_failure_rate=gpus[x.gpu].annual_failure_rate,
                                     surviving_frac=_surviving_frac(gpus[x.gpu], x.purchase_year, inst.years),
                                     end_market_usd_per_gpu=_market(gpus[x.gpu], end),
                                     **_ports(inst, x.gpu, x.fabric))
            for i, x in enumerate(inst.existing.deployments)]


def retirement_results(inst: Instance, plan: Plan) -> list[RetirementResult]:
    deps = inst.existing.deployments
    gpus = {g.name: g for g in inst.catalog.gpus}
    return [RetirementResult(**r.model_dump(), site=deps[r.deployment].site, gpu=deps[r.deployment].gpu,
                             fabric=deps[r.deployment].fabric,
                             market_usd_per_gpu=_market(gpus[deps[r.deployment].gpu], r.year))
            for r in sorted(plan.retirements, key=lambda r: (r.year, r.deployment))]


def delivered(d: ModelData, plan: Plan) -> dict[tuple[str, int], float]:
    """Throughput delivered per (pooled workload or job, year) by the plan's allocations."""
    ctx = d.ctx
    out: dict[tuple[str, int], float] = defaultdict(float)
    for a in plan.allocations or []:
        out[(a.workload, a.year)] += a.gpus * sem.delivered_per_gpu(ctx.gpus[a.gpu], ctx.fabrics[a.fabric],
                                                                    a.workload)
    rentals = {r.name: r for r in ctx.inst.rentals}
    for a in plan.rental_allocations or []:
        r = rentals[a.rental]
        out[(a.workload, a.year)] += a.gpus * sem.rental_delivered_per_gpu(ctx.gpus[r.gpu], r, a.workload)
    for a in plan.job_allocations or []:
        out[(a.job, a.year)] += a.gpus * _job_per_gpu(d, a)
    return out


def _job_per_gpu(d: ModelData, a) -> float:
    ctx = d.ctx
    loss = 0.0
    if a.site != a.home:
        job = next(j for j in ctx.inst.demand.training_jobs if j.name == a.job)
        route = d.dci.route(a.home, a.site)
        loss = sem.remote_loss(job.remote_loss_by_km, d.dci.distance_km[route]) if route else 0.0
    return sem.delivered_per_gpu(ctx.gpus[a.gpu], ctx.fabrics[a.fabric], sem.TRAINING) * (1.0 - (loss or 0.0))


def year_results(d: ModelData, plan: Plan, tot: PlanTotals) -> list[YearResult]:
    ctx = d.ctx
    got = delivered(d, plan)
    capex, opex = tot.capex_usd(), tot.opex_usd()
    jobs = [j.name for j in ctx.inst.demand.training_jobs]
    rented: dict[int, float] = defaultdict(float)
    for r in plan.rentals:
        rented[r.year] += r.gpus
    onsite_t: dict[int, float] = defaultdict(float)
    for (_, t), v in onsite_emissions(d, plan).items():
        onsite_t[t] += v
    out = []
    for i, y in enumerate(ctx.years):
        out.append(YearResult(
            year=y,
            training_demand=d.demand.need[(sem.TRAINING, y)],
            training_delivered=got[(sem.TRAINING, y)],
            inference_demand={r: d.demand.need[(r, y)] for r in d.demand.regions},
            inference_delivered={r: got[(r, y)] for r in d.demand.regions},
            active_gpus={g: float(tot.gpus(g)[i]) for g in ctx.gpus if tot.gpus(g)[i] > 0},
            energy_mwh=float(tot.quantity("energy_mwh")[i]),
            emissions_t=float(tot.quantity("emissions_t")[i]),
            capex_usd=float(capex[i]),
            opex_usd=float(opex[i]),
            job_demand={j: d.jobs.need.get((j, y), 0.0) for j in jobs},
            job_delivered={j: got[(j, y)] for j in jobs},
            rented_gpus=rented[y],
            grid_mwh=float(tot.quantity("grid_mwh")[i]),
            onsite_mwh=float(tot.quantity("onsite_mwh")[i]),
            onsite_emissions_t=onsite_t[y],
        ))
    return out


def job_results(d: ModelData, plan: Plan) -> list[JobYearResult]:
    placed = {(x.job, x.year): x for x in plan.job_placements}
    at: dict[tuple[str, int], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for a in plan.job_allocations or []:
        at[(a.job, a.year)][a.site].append(a)
    out = []
    for (job, year), need in d.jobs.need.items():
        x = placed.get((job, year))
        sites = []
        for site, allocs in at[(job, year)].items():
            per = [_job_per_gpu(d, a) for a in allocs]
            base = sem.delivered_per_gpu(d.ctx.gpus[allocs[0].gpu], d.ctx.fabrics[allocs[0].fabric], sem.TRAINING)
            sites.append(JobSite(site=site, gpus=sum(a.gpus for a in allocs),
                                 loss=1.0 - per[0] / base if base > 0 else 0.0,
                                 delivered=sum(a.gpus * q for a, q in zip(allocs, per))))
        out.append(JobYearResult(job=job, year=year, demand=need, delivered=sum(s.delivered for s in sites),
                                 home=x.home if x else "", gpu=x.gpu if x else None, sites=sites))
    return out


def route_results(d: ModelData, plan: Plan) -> list[RouteResult]:
    gbps = {o.name: o.gbps for o in d.ctx.inst.catalog.dci_optics}
    jobs = {j.name: j for j in d.ctx.inst.demand.training_jobs}
    out = []
    for (a, b), km in d.dci.distance_km.items():
        lit = [r.year for r in plan.routes_lit if {r.a, r.b} == {a, b}]
        years = []
        for t in d.ctx.years:
            links: dict[str, int] = defaultdict(int)
            for li in plan.links:
                if {li.a, li.b} == {a, b} and li.year <= t:
                    links[li.optic] += li.links
            used = sum(x.gpus * jobs[x.job].dci_gbps_per_gpu for x in plan.job_allocations or []
                       if x.year == t and x.site != x.home and {x.home, x.site} == {a, b})
            years.append(RouteYear(year=t, links=dict(links), gbps_installed=sum(gbps[o] * n for o, n in links.items()),
                                   gbps_used=used))
        if lit or any(y.gbps_installed for y in years):
            out.append(RouteResult(a=a, b=b, distance_km=km, lit_year=min(lit) if lit else None, years=years))
    return out


def rental_results(d: ModelData, plan: Plan) -> list[RentalResult]:
    rentals = {r.name: r for r in d.ctx.inst.rentals}
    served: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for a in plan.rental_allocations or []:
        r = rentals[a.rental]
        served[(a.rental, a.year)][a.workload] = a.gpus * sem.rental_delivered_per_gpu(d.ctx.gpus[r.gpu], r,
                                                                                        a.workload)
    return [RentalResult(rental=u.rental, gpu=rentals[u.rental].gpu, year=u.year, gpus=u.gpus,
                         delivered=served.get((u.rental, u.year), {}))
            for u in sorted(plan.rentals, key=lambda u: (u.year, u.rental))]


def nominal_by_year(tot: PlanTotals) -> dict[str, dict[int, float]]:
    return {item: {y: float(v) for y, v in zip(tot.years, arr) if v != 0.0}
            for item, arr in tot.nominal_usd.items()}
