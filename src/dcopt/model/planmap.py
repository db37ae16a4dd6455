"""Plans in the model's terms: variable values per family <-> `Plan`, and plan totals from tallies.

`values_from_model` reads a solved block (integer decisions rounded, SPEC
7.20); `values_from_plan` maps a plan someone brings to the same family keys
(merging lives past the horizon as the model does); `plan_from_values` writes
the decisions back in the instance's terms. `totals` multiplies the values
by the families' tallies: nominal USD per cost item and year, NPV, and the
tallied quantities (energy, emissions, capex, MW, GPUs), per site and GPU
model too. The solution's breakdown, the report, the CSV and `dcopt
evaluate` all come from it, so they sum to the model's TCO.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from ..instance import semantics as sem
from ..plan import format as p
from .data import ModelData
from .items import COST_ITEMS, QUANTITIES
from .keys import (
    AllocKey,
    BuildKey,
    BuyKey,
    FabKey,
    GenKey,
    HomeKey,
    JallocKey,
    LinkKey,
    ModelKey,
    RentAllocKey,
    RentKey,
    RetireKey,
    RouteYear,
    SiteGpuYear,
    SiteYear,
    SpanKey,
    UpgradeKey,
)
from .tally import extend

Values = dict[str, dict]
"""family -> key -> value (units, blocks, MW, MWh, GPUs; 1 for a yes/no decision)."""

EPS = 1e-9

INTEGER_STEPS = {"open": "opened", "fab": "fab_by", "build": "built", "upgrade": "upgraded", "lit": "lit_by",
                 "links": "links_by"}
"""Integer decision families that are steps of a cumulative variable (its name)."""
INTEGER_VARS = ("buy", "retire", "home", "job_gpu", "span", "order")
CONTINUOUS = ("gen", "egen", "rent", "alloc", "jalloc", "ralloc")


def fixed_values(d: ModelData) -> Values:
    """Families whose values the instance gives: existing deployments and blocks."""
    return {"existing": {ex.index: ex.units for ex in d.fleet.existing},
            "existing_blocks": dict(d.halls.existing_blocks)}


def round_integers(block: pyo.Block) -> None:
    for v in block.component_data_objects(pyo.Var, descend_into=True):
        if v.is_integer():
            v.set_value(round(v.value or 0.0), skip_validation=True)


def values_from_model(block: pyo.Block, d: ModelData) -> Values:
    """The (rounded) decisions and allocations of a solved block."""
    out: Values = fixed_values(d)
    for family in (*INTEGER_STEPS, *INTEGER_VARS):
        comp = block.component(family)
        out[family] = {} if comp is None else {k: v for k, v in _positive(comp, whole=True)}
    for family in CONTINUOUS:
        comp = block.component(family)
        out[family] = {} if comp is None else {k: v for k, v in _positive(comp, whole=False)}
    return out


def _positive(component, whole: bool):
    for key, item in component.items():
        value = pyo.value(item, exception=False)
        if value is None:
            continue
        if whole and value > 0.5:
            yield key, round(value)
        elif not whole and value > EPS:
            yield key, float(value)


# --------------------------------------------------------------------------- values -> plan


def plan_from_values(d: ModelData, x: Values) -> p.Plan:
    designs = d.halls.designs
    unit = {g: d.ctx.gpus[g].unit_gpus for g in d.ctx.gpus}
    jobs = _placements(d, x)
    return p.Plan(
        openings=[p.SiteOpening(site=k[0], year=k[1]) for k in x["open"]],
        fabrics=[p.FabricArrival(site=k[0], fabric=k[1], year=k[2]) for k in x["fab"]],
        builds=[p.BlockBuild(site=k[0], cooling=designs[k[1]][0], rack_kw=designs[k[1]][1], year=k[2], blocks=n)
                for k, n in x["build"].items()],
        purchases=[p.Purchase(site=s, cooling=designs[h][0], rack_kw=designs[h][1], gpu=g, fabric=f, year=y,
                              gpus=n * unit[g], life_years=life)
                   for (s, h, g, f, y, life), n in x["buy"].items()],
        retirements=[p.Retirement(deployment=e, year=y, gpus=n * unit[d.fleet.existing[e].gpu])
                     for (e, y), n in x["retire"].items()],
        grid_upgrades=[p.GridUpgradeTaken(site=k[0], upgrade=k[1], year=k[2]) for k in x["upgrade"]],
        onsite_builds=[p.OnsiteBuild(site=k[0], option=k[1], year=k[2], mw=v) for k, v in x["gen"].items()],
        onsite_generation=[p.OnsiteGeneration(site=k[0], option=k[1], year=k[2], mwh=v)
                           for k, v in x["egen"].items()],
        routes_lit=[p.RouteLit(a=k[0], b=k[1], year=k[2]) for k in x["lit"]],
        links=[p.LinkInstall(a=k[0], b=k[1], optic=k[2], year=k[3], links=n) for k, n in x["links"].items()],
        job_placements=jobs,
        rentals=[p.RentalUse(rental=k[0], year=k[1], gpus=v) for k, v in x["rent"].items()],
        allocations=[p.Allocation(site=k[0], gpu=k[1], fabric=k[2], year=k[3], workload=k[4], gpus=v)
                     for k, v in x["alloc"].items()],
        job_allocations=[p.JobAllocation(job=k[0], home=k[1], site=k[2], gpu=k[3], fabric=k[4], year=k[5], gpus=v)
                         for k, v in x["jalloc"].items()],
        rental_allocations=[p.RentalAllocation(rental=k[0], year=k[1], workload=k[2], gpus=v)
                            for k, v in x["ralloc"].items()],
    )


def _placements(d: ModelData, x: Values) -> list[p.JobPlacement]:
    model = {(k[0], k[2]): k[1] for k in x["job_gpu"]}
    spans: dict[tuple, list[str]] = defaultdict(list)
    for j, h, s, t in x["span"]:
        spans[(j, h, t)].append(s)
    return [p.JobPlacement(job=j, year=t, home=h, gpu=model.get((j, t)), remote_sites=spans.get((j, h, t), []))
            for j, h, t in x["home"]]


# --------------------------------------------------------------------------- plan -> values


def values_from_plan(d: ModelData, plan: p.Plan) -> Values:
    """The family keys and values of a plan (lives past the horizon merged as in the model)."""
    x: Values = fixed_values(d)
    for family in (*INTEGER_STEPS, *INTEGER_VARS, *CONTINUOUS):
        x[family] = {}
    design = sem.design_id

    def add(family: str, key: tuple, value: float) -> None:
        x[family][key] = x[family].get(key, 0) + value

    for o in plan.openings:
        add("open", SiteYear(o.site, o.year), 1)
    for a in plan.fabrics:
        add("fab", FabKey(a.site, a.fabric, a.year), 1)
    for b in plan.builds:
        add("build", BuildKey(b.site, design(b.cooling, b.rack_kw), b.year), b.blocks)
    for q in plan.purchases:
        life = min(q.life_years, d.ctx.salvage_year - q.year)
        add("buy", BuyKey(q.site, design(q.cooling, q.rack_kw), q.gpu, q.fabric, q.year, life),
            q.gpus / d.ctx.gpus[q.gpu].unit_gpus)
    for r in plan.retirements:
        add("retire", RetireKey(r.deployment, r.year), r.gpus / d.ctx.gpus[d.fleet.existing[r.deployment].gpu].unit_gpus)
    for u in plan.grid_upgrades:
        add("upgrade", UpgradeKey(u.site, u.upgrade, u.year), 1)
    for g in plan.onsite_builds:
        add("gen", GenKey(g.site, g.option, g.year), g.mw)
    for g in plan.onsite_generation:
        add("egen", GenKey(g.site, g.option, g.year), g.mwh)
    for r in plan.routes_lit:
        a, b = d.dci.route(r.a, r.b) or (r.a, r.b)
        add("lit", RouteYear(a, b, r.year), 1)
    for li in plan.links:
        a, b = d.dci.route(li.a, li.b) or (li.a, li.b)
        add("links", LinkKey(a, b, li.optic, li.year), li.links)
    for r in plan.rentals:
        add("rent", RentKey(r.rental, r.year), r.gpus)
    for q in plan.purchases:
        x["order"][SiteGpuYear(q.site, q.gpu, q.year)] = 1
    for jp in plan.job_placements:
        x["home"][HomeKey(jp.job, jp.home, jp.year)] = 1
        if jp.gpu is not None:
            x["job_gpu"][ModelKey(jp.job, jp.gpu, jp.year)] = 1
        for s in jp.remote_sites:
            x["span"][SpanKey(jp.job, jp.home, s, jp.year)] = 1
    for a in plan.allocations or []:
        add("alloc", AllocKey(a.site, a.gpu, a.fabric, a.year, a.workload), a.gpus)
    for a in plan.job_allocations or []:
        add("jalloc", JallocKey(a.job, a.home, a.site, a.gpu, a.fabric, a.year), a.gpus)
    for a in plan.rental_allocations or []:
        add("ralloc", RentAllocKey(a.rental, a.year, a.workload), a.gpus)
    return x


# --------------------------------------------------------------------------- totals


@dataclass
class PlanTotals:
    """Nominal amounts of a plan per name (cost item or quantity) and year, from the tallies."""

    years: list[int]  # horizon years, then the salvage year
    discount: np.ndarray
    amounts: dict[str, np.ndarray]
    by_site: dict[str, dict[str, np.ndarray]]
    by_gpu: dict[str, dict[str, np.ndarray]]
    items: tuple[str, ...]

    @property
    def nominal_usd(self) -> dict[str, np.ndarray]:
        return {i: self.amounts.get(i, np.zeros(len(self.years))) for i in self.items}

    @property
    def npv_usd(self) -> dict[str, float]:
        return {i: float(v @ self.discount) for i, v in self.nominal_usd.items()}

    @property
    def tco_usd(self) -> float:
        return float(sum(self.npv_usd.values()))

    def site_npv_usd(self, site: str) -> dict[str, float]:
        """NPV of each cost item at one site (the sites' items add up to `npv_usd`, but for
        rentals, which belong to no site)."""
        mine = self.by_site.get(site, {})
        return {i: float(mine[i] @ self.discount) if i in mine else 0.0 for i in self.items}

    def quantity(self, name: str, site: str | None = None) -> np.ndarray:
        """A tallied quantity per horizon year (the salvage year dropped), at one site or all."""
        source = self.amounts if site is None else self.by_site.get(site, {})
        return source.get(name, np.zeros(len(self.years)))[:-1]

    def gpus(self, gpu: str) -> np.ndarray:
        return self.by_gpu.get(gpu, {}).get("gpus", np.zeros(len(self.years)))[:-1]

    def capex_usd(self) -> np.ndarray:
        return self.quantity("capex_usd")

    def opex_usd(self) -> np.ndarray:
        """Everything paid in a year that is not gross capex or a credit."""
        paid = sum((self.amounts.get(i, 0) for i in self.items if COST_ITEMS[i].kind != "credit"),
                   np.zeros(len(self.years)))
        return paid[:-1] - self.capex_usd()


def totals(d: ModelData, x: Values) -> PlanTotals:
    """Every tallied name of plan values `x`, in total, per site and per GPU model."""
    n = len(d.ctx.all_years)
    amounts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n))
    by_site: dict[str, dict[str, np.ndarray]] = defaultdict(lambda: defaultdict(lambda: np.zeros(n)))
    by_gpu: dict[str, dict[str, np.ndarray]] = defaultdict(lambda: defaultdict(lambda: np.zeros(n)))
    for family, values in x.items():
        tally = d.tallies.get(family)
        if tally is None or not values:
            continue
        tally = extend(tally, list(values))
        for key, v in values.items():
            i = tally.index[key]
            site = tally.site_of(key) if tally.site_of is not None else None
            gpu = tally.gpu_of(key) if tally.gpu_of is not None else None
            for name, arr in tally.values.items():
                row = v * arr[i]
                amounts[name] += row
                if site is not None:
                    by_site[site][name] += row
                if gpu is not None:
                    by_gpu[gpu][name] += row
    known = set(COST_ITEMS) | set(QUANTITIES)
    assert set(amounts) <= known, set(amounts) - known
    return PlanTotals(years=list(d.ctx.all_years), discount=d.ctx.disc_vec, amounts=dict(amounts),
                      by_site={s: dict(v) for s, v in by_site.items()},
                      by_gpu={g: dict(v) for g, v in by_gpu.items()}, items=d.items)
