"""The allocation of a given plan: which GPUs serve which demand (`dcopt evaluate`).

A plan fixes the fleet, the rentals, the routes and links, and where training
jobs run; what it leaves open is the allocation. :func:`allocate` chooses it
by a small linear program over allocations only (not the SPEC model), solved
through :func:`dcopt.solver.lp.solve_lp`: it minimises the unmet demand,
summed in throughput units over pooled training, every inference region and
every training job, over all years. Each year's surviving GPUs (SPEC 8.2:
purchases and existing units weighted by the surviving fraction of their age)
are shared by

- pooled training and the inference regions their site serves (SPEC 4);
- training jobs (SPEC 8.1): a job-year the plan places (`job_placements`)
  gets GPUs of its GPU model (or of any eligible model when it may mix) at
  its home and at its remote sites, a remote GPU delivering ``1 - loss`` of
  its throughput at the route's distance; remote sites need a route lit by
  that year and within the job's reach, and the job's remote GPUs need
  ``dci_gbps_per_gpu`` each of the links installed on the route by then.
  A job-year with demand that the plan does not place is placed at one site
  of the evaluation's choice (its home, no remote sites) holding an eligible
  model, with one GPU model for a single-model job, or left unmet; the
  same holds for the GPU model of a single-model placement that names none.
  Those choices are binary, so the problem is then a small MIP;

and the plan's rented GPUs (SPEC 8.7) serve pooled training (when the rental
may) and the regions the rental serves, with the rental's efficiency and
availability. Every GPU the plan runs counts, also one that breaks a rule
(the broken rule is reported by the check). The plan's own allocations, if
any, are replaced.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..instance import semantics as sem
from ..instance.schema import Instance, TrainingJob
from ..plan.format import Allocation, JobAllocation, JobPlacement, Plan, RentalAllocation
from ..solver.lp import INF, ArrayLp, solve_lp

EPS = 1e-9
FleetKey = tuple[str, str, str, int]  # (site, gpu, fabric, year)


@dataclass
class AllocationResult:
    """The allocation chosen, the job placements it used, and the demand left unmet."""

    allocations: list[Allocation] = field(default_factory=list)
    job_allocations: list[JobAllocation] = field(default_factory=list)
    rental_allocations: list[RentalAllocation] = field(default_factory=list)
    placements: list[JobPlacement] = field(default_factory=list)
    unmet: dict[tuple[str, int], float] = field(default_factory=dict)  # (workload or job, year), 0 where met
    notes: list[str] = field(default_factory=list)

    def applied_to(self, plan: Plan) -> Plan:
        """`plan` with this allocation and these placements."""
        return plan.model_copy(update={"allocations": self.allocations, "job_allocations": self.job_allocations,
                                       "rental_allocations": self.rental_allocations,
                                       "job_placements": self.placements})


def surviving_gpus(inst: Instance, plan: Plan) -> dict[FleetKey, float]:
    """GPUs that can be allocated per (site, gpu, fabric, year) under `plan`: purchases over
    their life inside the horizon, existing deployments until retired (and not past their
    retirement deadline), each weighted by its surviving fraction (SPEC 8.2)."""
    y0, yn = inst.horizon.start_year, inst.horizon.end_year
    gpus = {g.name: g for g in inst.catalog.gpus}
    out: dict[FleetKey, float] = defaultdict(float)
    for q in plan.purchases:
        g = gpus.get(q.gpu)
        for t in range(max(q.year, y0), min(q.year + q.life_years, yn + 1)):
            if g is not None:
                out[(q.site, q.gpu, q.fabric, t)] += q.gpus * sem.surviving(g, t - q.year)
    retired: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in plan.retirements:
        retired[r.deployment][r.year] += r.gpus
    for e, dep in enumerate(inst.existing.deployments):
        g = gpus[dep.gpu]
        deadline = sem.retire_deadline(inst, dep.purchase_year, g)
        running = dep.gpus
        for t in inst.years:
            running -= retired[e].get(t, 0)
            if running > 0 and not (deadline <= yn and t >= deadline):
                out[(dep.site, dep.gpu, dep.fabric, t)] += running * sem.surviving(g, t - dep.purchase_year)
    return dict(out)


def eligible_gpus(inst: Instance, job: TrainingJob) -> list[str]:
    """GPU models a job may use (SPEC 8.1: named by the job, scale-up domain large enough)."""
    names = set(job.gpus) if job.gpus is not None else None
    return [g.name for g in inst.catalog.gpus if (names is None or g.name in names)
            and g.scale_up >= job.min_scale_up_gpus and g.training_perf > 0]


# --------------------------------------------------------------------------- the problem, as arrays


class _Problem:
    """Rows and columns added by key; rows are created on first use."""

    def __init__(self) -> None:
        self.rows: dict[tuple, int] = {}
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.cols: list[tuple] = []
        self.entries: list[list[tuple[int, float]]] = []
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []

    def row(self, key: tuple, lower: float = -INF, upper: float = INF) -> int:
        if key not in self.rows:
            self.rows[key] = len(self.row_lower)
            self.row_lower.append(lower)
            self.row_upper.append(upper)
        return self.rows[key]

    def col(self, key: tuple, entries: list[tuple[int, float]], cost: float = 0.0, upper: float = INF,
            integer: bool = False) -> int:
        self.cols.append(key)
        self.entries.append(list(entries))
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cols) - 1

    def lp(self) -> ArrayLp:
        start = np.cumsum([0] + [len(e) for e in self.entries])
        return ArrayLp(
            cost=np.array(self.cost), col_lower=np.zeros(len(self.cols)), col_upper=np.array(self.upper),
            row_lower=np.array(self.row_lower), row_upper=np.array(self.row_upper), start=start,
            index=np.array([r for e in self.entries for r, _ in e], dtype=np.int32),
            value=np.array([v for e in self.entries for _, v in e], dtype=float),
            integer=np.array(self.integer, dtype=bool))


def pooled_demand(inst: Instance) -> dict[tuple[str, int], float]:
    """Positive pooled demand per (workload, year): training and each inference region."""
    out: dict[tuple[str, int], float] = {}
    for t in inst.years:
        if sem.demand_value(inst.demand.training, t) > 0:
            out[(sem.TRAINING, t)] = sem.demand_value(inst.demand.training, t)
        for d in inst.demand.inference:
            if sem.demand_value(d.perf, t) > 0:
                out[(d.region, t)] = sem.demand_value(d.perf, t)
    return out


def job_demand(inst: Instance) -> dict[tuple[str, int], float]:
    """Positive demand per (training job, year)."""
    return {(j.name, t): sem.demand_value(j.perf, t) for j in inst.demand.training_jobs for t in inst.years
            if sem.demand_value(j.perf, t) > 0}


class _Allocation:
    """Builds the allocation problem of one plan, solves it and reads the result."""

    def __init__(self, inst: Instance, plan: Plan) -> None:
        self.inst, self.plan = inst, plan
        self.p = _Problem()
        self.fleet = {k: n for k, n in sorted(surviving_gpus(inst, plan).items()) if n > EPS}
        self.gpus = {g.name: g for g in inst.catalog.gpus}
        self.fabrics = {f.name: f for f in inst.catalog.fabrics}
        self.notes: list[str] = []
        self.choices: dict[int, tuple[str, int, str, str]] = {}  # binary column -> (job, year, kind, name)

    def demand_rows(self, need: dict[tuple[str, int], float]) -> None:
        for key, v in need.items():
            self.p.col(("unmet", *key), [(self.p.row(("demand", *key), v, v), 1.0)], cost=1.0)

    def cap(self, key: FleetKey) -> int:
        return self.p.row(("cap", *key), -INF, self.fleet[key])

    def pooled(self) -> None:
        sites = {s.name: s for s in self.inst.sites}
        for (s, g, f, t) in self.fleet:
            if s not in sites or f not in self.fabrics:
                continue
            for w in [sem.TRAINING, *sites[s].served_regions]:
                per = sem.delivered_per_gpu(self.gpus[g], self.fabrics[f], w)
                if ("demand", w, t) in self.p.rows and per > 0:
                    self.p.col(("alloc", s, g, f, t, w), [(self.cap((s, g, f, t)), 1.0),
                                                           (self.p.rows[("demand", w, t)], per)])

    def rented(self) -> None:
        rentals = {r.name: r for r in self.inst.rentals}
        regions = [d.region for d in self.inst.demand.inference]
        gpus: dict[tuple[str, int], float] = defaultdict(float)
        for u in self.plan.rentals:
            gpus[(u.rental, u.year)] += u.gpus
        for (name, t), n in sorted(gpus.items()):
            r = rentals[name]
            served = [x for x in regions if r.serves_regions is None or x in r.serves_regions]
            for w in ([sem.TRAINING] if r.training else []) + served:
                per = sem.rental_delivered_per_gpu(self.gpus[r.gpu], r, w)
                if ("demand", w, t) in self.p.rows and per > 0:
                    cap = self.p.row(("rent", name, t), -INF, n)
                    self.p.col(("ralloc", name, t, w), [(cap, 1.0), (self.p.rows[("demand", w, t)], per)])

    def jobs(self, need: dict[tuple[str, int], float]) -> None:
        jobs = {j.name: j for j in self.inst.demand.training_jobs}
        placed = {(x.job, x.year): x for x in self.plan.job_placements}
        for (name, t) in need:
            job, x = jobs[name], placed.get((name, t))
            if x is not None:
                self.placed_job(job, t, x)
            else:
                self.free_job(job, t)

    def placed_job(self, job: TrainingJob, t: int, x: JobPlacement) -> None:
        eligible = eligible_gpus(self.inst, job)
        models = eligible
        if job.single_gpu_model and x.gpu is not None:
            models = [x.gpu] if x.gpu in eligible else []
            if not models:
                self.notes.append(f"job {job.name} in {t}: {x.gpu} is not one of its eligible GPU models "
                                  f"({', '.join(eligible) or 'none'}); it gets no GPUs")
        sites = {x.home: 0.0}
        for s in dict.fromkeys(r for r in x.remote_sites if r != x.home):
            loss = self.remote_loss(job, x.home, s, t)
            if loss is not None:
                sites[s] = loss
        cols = self.job_columns(job, t, x.home, sites, models)
        if job.single_gpu_model and x.gpu is None:
            self.choose(job.name, t, "gpu", self.group(cols, 4))

    def free_job(self, job: TrainingJob, t: int) -> None:
        models = eligible_gpus(self.inst, job)
        hosts = list(dict.fromkeys(s for (s, g, _, y) in self.fleet if y == t and g in models))
        cols = [c for s in hosts for c in self.job_columns(job, t, s, {s: 0.0}, models)]
        self.choose(job.name, t, "site", self.group(cols, 3))
        if job.single_gpu_model:
            self.choose(job.name, t, "gpu", self.group(cols, 4))

    def remote_loss(self, job: TrainingJob, home: str, s: str, t: int) -> float | None:
        """The loss of a remote site of a placement, None (with a note) when it cannot serve."""
        route = next((r for r in self.inst.dci_routes if {r.a, r.b} == {home, s}), None)
        loss = None if route is None else sem.remote_loss(job.remote_loss_by_km, route.distance_km)
        lit = [r.year for r in self.plan.routes_lit if {r.a, r.b} == {home, s}]
        why = ("no route joins it to the home site" if route is None
               else f"its route ({route.distance_km:g} km) is beyond the job's reach" if loss is None
               else f"its route is not lit by {t}" if not lit or min(lit) > t else "")
        if why:
            self.notes.append(f"job {job.name} in {t}: remote site {s} gets no GPUs: {why}")
            return None
        return loss

    def job_columns(self, job: TrainingJob, t: int, home: str, sites: dict[str, float],
                    models: list[str]) -> list[int]:
        row = self.p.rows[("demand", job.name, t)]
        out = []
        for (s, g, f, y) in self.fleet:
            if y != t or s not in sites or g not in models or f not in self.fabrics:
                continue
            per = sem.delivered_per_gpu(self.gpus[g], self.fabrics[f], sem.TRAINING) * (1.0 - sites[s])
            entries = [(self.cap((s, g, f, t)), 1.0), (row, per)]
            if s != home and job.dci_gbps_per_gpu > 0:
                entries.append((self.dci_row(home, s, t), job.dci_gbps_per_gpu))
            out.append(self.p.col(("jalloc", job.name, home, s, g, f, t), entries))
        return out

    def dci_row(self, home: str, s: str, t: int) -> int:
        route = next(r for r in self.inst.dci_routes if {r.a, r.b} == {home, s})
        gbps = {o.name: o.gbps for o in self.inst.catalog.dci_optics}
        installed = sum(li.links * gbps[li.optic] for li in self.plan.links
                        if {li.a, li.b} == {home, s} and li.year <= t)
        return self.p.row(("dci", route.a, route.b, t), -INF, installed)

    def group(self, cols: list[int], part: int) -> dict[str, list[int]]:
        """Job columns by site (`part` 3) or GPU model (4) of their key."""
        out: dict[str, list[int]] = defaultdict(list)
        for c in cols:
            out[self.p.cols[c][part]].append(c)
        return dict(out)

    def choose(self, job: str, t: int, kind: str, options: dict[str, list[int]]) -> None:
        """At most one of `options` (sites or GPU models) serves the job-year: a binary per
        option, its columns at most M times it."""
        if not options:
            return
        one = self.p.row(("one", job, t, kind), -INF, 1.0)
        for name, cols in options.items():
            link = self.p.row(("link", job, t, kind, name), -INF, 0.0)
            most = sum(self.fleet[self.p.cols[c][3:6] + (t,)] for c in cols)
            for c in cols:
                self.p.entries[c].append((link, 1.0))
            b = self.p.col(("choose", job, t, kind, name), [(one, 1.0), (link, -most)], upper=1.0, integer=True)
            self.choices[b] = (job, t, kind, name)


def allocate(inst: Instance, plan: Plan) -> AllocationResult:
    """The allocation of the plan's GPUs (owned and rented) that leaves the least demand unmet,
    with the placements of the job-years the plan leaves unplaced."""
    pooled, jobs = pooled_demand(inst), job_demand(inst)
    if not pooled and not jobs:
        return AllocationResult(placements=list(plan.job_placements))
    a = _Allocation(inst, plan)
    a.demand_rows(pooled)
    a.demand_rows(jobs)
    a.pooled()
    a.rented()
    a.jobs(jobs)
    solved = solve_lp(a.p.lp())
    if not solved.optimal:
        raise RuntimeError(f"the allocation problem stopped with status {solved.status}")
    return _result(a, solved.x)


def _result(a: _Allocation, x: np.ndarray) -> AllocationResult:
    out = AllocationResult(notes=a.notes)
    for j, key in enumerate(a.p.cols):
        v = float(x[j])
        kind = key[0]
        if kind == "unmet":
            out.unmet[key[1:]] = max(0.0, v)
        elif v <= EPS:
            continue
        elif kind == "alloc":
            s, g, f, t, w = key[1:]
            out.allocations.append(Allocation(site=s, gpu=g, fabric=f, year=t, workload=w, gpus=v))
        elif kind == "ralloc":
            r, t, w = key[1:]
            out.rental_allocations.append(RentalAllocation(rental=r, year=t, workload=w, gpus=v))
        elif kind == "jalloc":
            job, h, s, g, f, t = key[1:]
            out.job_allocations.append(JobAllocation(job=job, home=h, site=s, gpu=g, fabric=f, year=t, gpus=v))
    out.placements = _placements(a, x)
    return out


def _placements(a: _Allocation, x: np.ndarray) -> list[JobPlacement]:
    """The plan's placements, with the choices made for those it leaves open."""
    chosen: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for j, (job, t, kind, name) in a.choices.items():
        if x[j] > 0.5:
            chosen[(job, t)][kind] = name
    out = []
    for p in a.plan.job_placements:
        gpu = chosen.get((p.job, p.year), {}).get("gpu")
        if p.gpu is None and gpu is not None:
            a.notes.append(f"job {p.job} in {p.year}: the placement names no GPU model; evaluated with {gpu}")
            p = p.model_copy(update={"gpu": gpu})
        out.append(p)
    placed = {(p.job, p.year) for p in a.plan.job_placements}
    for (job, t), made in sorted(chosen.items()):
        if (job, t) not in placed and "site" in made:
            out.append(JobPlacement(job=job, year=t, home=made["site"], gpu=made.get("gpu")))
            a.notes.append(f"job {job} in {t}: not placed by the plan; evaluated at {made['site']}"
                           + (f" with {made['gpu']}" if made.get("gpu") else ""))
    return out
