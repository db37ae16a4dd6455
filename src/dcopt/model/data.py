"""`Instance` -> `ModelData`: every component's slice of the data, prepared once.

Lookups, defaults and unit conversion happen in the components' `prepare`
functions, in the order their data depend on each other (halls, sites,
fleet, fabrics, power, DCI, jobs, rentals, demand). Only keys that can be
non-zero become variables. Each component also describes its variable
families by tallies (`dcopt.model.tally`): the model's cost expressions, the
budget, the energy of a site and the plan costing all read them.

With scenarios (SPEC 8.8) there is one `ModelData` per case (`prepare_cases`),
each prepared under its case's prices and demands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..components import dci, demand, fabrics, fleet, halls, jobs, power, rentals, sites
from ..instance import semantics as sem
from ..instance.schema import Instance
from .context import KW_PER_MW, USD_PER_MUSD, Case, Context, Elastic, cases_of
from .items import reported_items
from .tally import Tally

__all__ = ["USD_PER_MUSD", "Elastic", "ModelData", "prepare", "prepare_cases", "reported_items"]


@dataclass
class ModelData:
    """Index sets and numbers for the model of one scenario case."""

    ctx: Context
    halls: halls.HallsData
    sites: sites.SitesData
    fleet: fleet.FleetData
    fabrics: fabrics.FabricsData
    power: power.PowerData
    dci: dci.DciData
    jobs: jobs.JobsData
    rentals: rentals.RentalsData
    demand: demand.DemandData
    items: tuple[str, ...]
    tallies: dict[str, Tally] = field(default_factory=dict)
    decision_year: dict[str, Any] = field(default_factory=dict)  # family -> key -> year it is decided
    static_infeasibilities: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.ctx.inst.name

    @property
    def years(self) -> list[int]:
        return self.ctx.years

    @property
    def elastic(self) -> Elastic | None:
        return self.ctx.elastic

    def structure(self) -> tuple:
        """What must be equal for a model built from `self` to be re-solved with another
        `ModelData` by updating its mutable numbers (costs, capex, demands, budget)."""
        return (
            self.items, self.halls.build_keys, self.halls.build_ub, self.halls.pue, self.halls.site_designs,
            self.halls.existing_blocks, self.sites.open_keys, self.fleet.buy_keys, self.fleet.buy_ub,
            self.fleet.retire_keys, self.fleet.unit_mw, self.fleet.supply_caps, self.fleet.order_keys,
            self.fabrics.fab_keys, self.power.upgrade_keys, self.power.gen_keys, self.dci.lit_keys,
            self.dci.link_keys, self.jobs.jalloc_keys, self.jobs.coef, self.jobs.rows,
            self.rentals.rent_keys, self.rentals.alloc_keys, self.rentals.max_gpus, self.demand.alloc_keys,
            self.demand.rows, self.demand.perf,
            self.ctx.inst.finance.annual_capex_budget_usd is None, self.ctx.elastic,
            tuple(sorted(self.tallies)), _tally_shapes(self.tallies),
            tuple((g.annual_failure_rate, g.unit_gpus) for g in self.ctx.gpus.values()),
            tuple((f.max_gpus_per_site,) for f in self.ctx.fabrics.values()),
            tuple((s.max_facility_mw, s.max_blocks, s.block_mw, s.build_lead_time_years)
                  for s in self.ctx.inst.sites),
        )


def _tally_shapes(tallies: dict[str, Tally]) -> tuple:
    return tuple((f, tuple(sorted(t.values))) for f, t in sorted(tallies.items()))


def same_structure(a: ModelData, b: ModelData) -> bool:
    return a.structure() == b.structure()


def prepare(inst: Instance, elastic: Elastic | None = None, case: Case | None = None) -> ModelData:
    """Turn a validated instance into model data (`elastic`: see `Elastic`; `case`: one
    scenario case, the instance itself by default)."""
    ctx = Context(inst, elastic, case or Case())
    loose = _demand_it_mw_bound(ctx) * ctx.max_pue if ctx.limits else 0.0
    h = halls.prepare(ctx, loose)
    s = sites.prepare(ctx, h)
    fl = fleet.prepare(ctx, h)
    fb = fabrics.prepare(ctx, fl)
    pw = power.prepare(ctx, h)
    dc = dci.prepare(ctx, h, s, fl)
    jb = jobs.prepare(ctx, h, fl, dc)
    dm = demand.prepare(ctx, fl)
    rt = rentals.prepare(ctx, dm.need)
    d = ModelData(ctx=ctx, halls=h, sites=s, fleet=fl, fabrics=fb, power=pw, dci=dc, jobs=jb, rentals=rt,
                  demand=dm, items=reported_items(inst))
    for part in (h, s, fl, fb, pw, dc, rt):
        d.tallies.update(part.tallies)
    d.decision_year = {"build": h.decision_year, "buy": lambda k: k[4]}
    d.static_infeasibilities = _static(ctx, d)
    return d


def prepare_cases(inst: Instance, elastic: Elastic | None = None) -> list[ModelData]:
    """One `ModelData` per scenario case (one without scenarios)."""
    return [prepare(inst, elastic, case) for case in cases_of(inst)]


def capex_year(d: ModelData, family: str, key: tuple) -> int:
    """The year a key of `family` is decided (and its capex paid)."""
    fn = d.decision_year.get(family)
    return fn(key) if fn is not None else key[-1]


def _static(ctx: Context, d: ModelData) -> list[str]:
    """Infeasibilities visible before any solve: demand no variable could serve, jobs no
    site can host, existing blocks beyond a grid or floor limit."""
    out = demand.static_problems(ctx, d)
    if ctx.elastic is not None and ctx.elastic.unmet_penalty_musd_per_perf is not None:
        out = [p for p in out if not p.startswith(("training demand", "inference demand"))]
    else:
        out += d.jobs.static
    for s in ctx.inst.sites:
        mine = {x: n for (site, x), n in d.halls.existing_blocks.items() if site == s.name}
        grid = sum(d.halls.pue[(s.name, x)] * s.block_mw * n for x, n in mine.items())
        if grid > halls.grid_headroom_mw(ctx, s.name) * (1 + 1e-9):
            out.append(f"site {s.name!r}: existing blocks draw {grid:g} MW of facility power, above its "
                       f"grid limit max_facility_mw {s.max_facility_mw:g}")
        if s.max_blocks is not None and sum(mine.values()) > s.max_blocks:
            out.append(f"site {s.name!r}: {sum(mine.values())} existing blocks exceed max_blocks {s.max_blocks}")
    return out


def _demand_it_mw_bound(ctx: Context) -> float:
    """Twice the IT MW that the peak year's whole demand would need on the least
    productive GPU and fabric, plus the existing units: more than any site could use."""
    inst = ctx.inst
    peak = max(ctx.training_demand(t)
               + sum(ctx.inference_demand(x.region, x.perf, t) for x in inst.demand.inference)
               + sum(ctx.job_demand(j.name, j.perf, t) for j in inst.demand.training_jobs) for t in ctx.years)
    per_kw = [per / sem.unit_kw(g, f) * g.unit_gpus
              for g in ctx.gpus.values() for f in ctx.fabrics.values()
              for per in (g.training_perf * f.training_efficiency * f.availability,
                          g.inference_perf * f.availability) if per > 0]
    existing_kw = sum(x.gpus / ctx.gpus[x.gpu].unit_gpus * sem.unit_kw(ctx.gpus[x.gpu], ctx.fabrics[x.fabric])
                      for x in inst.existing.deployments)
    demand_kw = peak / min(per_kw) if per_kw and peak > 0 else 0.0
    return (2.0 * demand_kw + existing_kw) / KW_PER_MW

