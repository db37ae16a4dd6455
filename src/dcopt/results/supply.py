"""Where a solution's capacity comes from, year by year: owned, colocated and rented GPUs and
the throughput each delivered (SPEC 8.7; the supply line of `dcopt solve` and supply.csv).

*Owned* GPUs sit at the planner's own sites, *colocated* ones (also bought by the plan) at
colocation sites (``colocation_usd_per_kw_month``), *rented* ones are rented by the GPU-hour.
Owned and colocated counts are installed GPUs (failed ones included, as the years'
``active_gpus``: purchases from their year until resale, existing deployments until retired);
rented counts are the GPUs rented. Throughput is what the allocations delivered, in training
units (pooled training and training jobs) and inference units (every region together).

A `Solution` does not say which sites are colocation sites, nor what one allocated GPU
delivers: for the split between owned and colocated the instance is needed. Without it the
split is known only when the solution has no colocation item (then nothing is colocated);
otherwise `SupplyYear.colocated_gpus` and its throughput are None and the owned figures count
the colocated GPUs too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..instance import semantics as sem
from ..instance.schema import Instance
from .solution import Solution


@dataclass(frozen=True)
class SupplyYear:
    year: int
    owned_gpus: float
    colocated_gpus: float | None
    rented_gpus: float
    owned_training: float
    colocated_training: float | None
    rented_training: float
    owned_inference: float
    colocated_inference: float | None
    rented_inference: float


def has_hosted_supply(solution: Solution, instance: Instance | None = None) -> bool:
    """Whether the instance offers rentals or has colocation sites (their cost items are reported
    exactly then, so the solution alone tells)."""
    if instance is not None:
        return bool(instance.rentals) or bool(colocation_sites(instance))
    return "rental" in solution.costs_npv_usd or "colocation" in solution.costs_npv_usd


def colocation_sites(instance: Instance) -> set[str]:
    return {s.name for s in instance.sites if s.colocation_usd_per_kw_month is not None}


def installed_gpus(solution: Solution) -> dict[tuple[str, int], float]:
    """Installed GPUs by (site, year): purchases from their year to their resale year (excluded),
    existing deployments less what was retired by then."""
    years = [y.year for y in solution.years]
    out: dict[tuple[str, int], float] = defaultdict(float)
    for p in solution.purchases:
        for t in years:
            if p.year <= t < p.resale_year:
                out[(p.site, t)] += p.gpus
    retired: dict[int, list] = defaultdict(list)
    for r in solution.retirements:
        retired[r.deployment].append(r)
    for e in solution.existing_deployments:
        for t in years:
            left = e.gpus - sum(r.gpus for r in retired[e.index] if r.year <= t)
            if left > 0:
                out[(e.site, t)] += left
    return out


def supply_by_year(solution: Solution, instance: Instance | None = None) -> list[SupplyYear]:
    """Owned, colocated and rented GPUs and their throughput in every year of the solution."""
    colo = colocation_sites(instance) if instance is not None else set()
    split = instance is not None or "colocation" not in solution.costs_npv_usd
    installed = installed_gpus(solution)
    rented: dict[int, float] = defaultdict(float)
    rented_perf: dict[tuple[int, str], float] = defaultdict(float)
    for r in solution.rented:
        rented[r.year] += r.gpus
        for w, v in r.delivered.items():
            rented_perf[(r.year, _kind(w))] += v
    colo_perf: dict[tuple[int, str], float] = defaultdict(float)
    if instance is not None and colo:
        gpus = {g.name: g for g in instance.catalog.gpus}
        fabrics = {f.name: f for f in instance.catalog.fabrics}
        for a in solution.allocations:
            if a.site in colo:
                colo_perf[(a.year, _kind(a.workload))] += a.gpus * sem.delivered_per_gpu(
                    gpus[a.gpu], fabrics[a.fabric], a.workload)
        for j in solution.jobs:
            for s in j.sites:
                if s.site in colo:
                    colo_perf[(j.year, sem.TRAINING)] += s.delivered
    out = []
    for y in solution.years:
        t = y.year
        # Everything delivered that was not rented came from GPUs the plan owns.
        own_training = y.training_delivered + sum(y.job_delivered.values()) - rented_perf[(t, sem.TRAINING)]
        own_inference = sum(y.inference_delivered.values()) - rented_perf[(t, "inference")]
        own_gpus = float(sum(v for (_, year), v in installed.items() if year == t))
        colo_gpus = float(sum(v for (site, year), v in installed.items() if year == t and site in colo))
        ct, ci = colo_perf[(t, sem.TRAINING)], colo_perf[(t, "inference")]
        out.append(SupplyYear(
            year=t,
            owned_gpus=own_gpus - colo_gpus,
            colocated_gpus=colo_gpus if split else None,
            rented_gpus=rented[t],
            owned_training=_clean(own_training - ct, own_training),
            colocated_training=ct if split else None,
            rented_training=rented_perf[(t, sem.TRAINING)],
            owned_inference=_clean(own_inference - ci, own_inference),
            colocated_inference=ci if split else None,
            rented_inference=rented_perf[(t, "inference")],
        ))
    return out


def _kind(workload: str) -> str:
    return sem.TRAINING if workload == sem.TRAINING else "inference"


def _clean(x: float, scale: float) -> float:
    """A difference of sums: rounding noise around zero shown as 0."""
    return 0.0 if abs(x) <= 1e-9 * max(1.0, abs(scale)) else x
