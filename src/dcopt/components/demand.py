r"""Demand and allocation: surviving GPUs are given to pooled training or to the
inference of a region their site serves; rented GPUs (:mod:`.rentals`) add to both.

Data
    Demand rows :math:`(w, t)` with positive demand; per GPU delivered
    throughput :math:`perf_{g,f,w}` (training: :math:`tp_g\, eff_f\, av_f`,
    inference: :math:`ip_g\, av_f`); allocation keys :math:`(s, g, f, t, w)`
    where :math:`(s,g,f)` can have units in :math:`t`, :math:`w` has demand
    and the GPU delivers something for it.

Variables
    ``alloc[s, g, f, t, w]`` continuous: GPUs given to workload :math:`w`.

Constraints
    ``alloc_cap[s, g, f, t]`` (SPEC 4, 8.1, 8.2): what pooled workloads and
    training jobs take is at most the surviving GPUs,

    .. math:: \sum_w alloc_{s,g,f,t,w} + \sum_{j,h} jalloc_{j,h,s,g,f,t} \le n_g \sum_h A^{surv}_{s,h,g,f,t}

    ``training[t]``: :math:`\sum alloc_{\cdot,g,f,t,train}\; perf + \sum_r ralloc_{r,t,train}\; perf_r \ge D^{train}_t`.

    ``inference[r, t]``: the same over the sites and rentals serving :math:`r`.

    ``serve_cap[s, w, t]`` and ``fabric_serve_cap[s, f, w, t]``: facility-location
    inequalities (see their functions).

Demand values are the mutable parameter ``demand[w, t]`` (:func:`update`).
No costs: allocation is free (SPEC 7.20). An elastic model adds
``unmet[w, t]`` to each demand row, priced per unit of throughput.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..instance.semantics import TRAINING
from ..model import costs
from ..model.context import Context
from ..model.keys import AllocKey, DemandKey


@dataclass
class DemandData:
    regions: list[str]
    need: dict[DemandKey, float]  # every (workload, year) of the horizon, 0 where none
    rows: list[DemandKey]  # (workload, year) with demand > 0
    perf: dict[tuple[str, str, str], float]  # (gpu, fabric, workload) -> per-GPU delivered perf
    site_workloads: dict[str, list[str]]
    alloc_keys: list[AllocKey]


def prepare(ctx: Context, fleet) -> DemandData:
    need: dict[DemandKey, float] = {}
    for t in ctx.years:
        need[DemandKey(TRAINING, t)] = ctx.training_demand(t)
    for dem in ctx.inst.demand.inference:
        for t in ctx.years:
            need[DemandKey(dem.region, t)] = ctx.inference_demand(dem.region, dem.perf, t)
    regions = list(ctx.regions)
    perf = {(g, f, w): sem.delivered_per_gpu(ctx.gpus[g], ctx.fabrics[f], w)
            for g in ctx.gpus for f in ctx.fabrics for w in [TRAINING, *regions]}
    site_workloads = {s.name: [TRAINING] + [r for r in regions if r in s.served_regions] for s in ctx.inst.sites}
    years_of: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for fk, t in [*fleet.active_buys, *fleet.active_existing]:
        years_of[(fk.site, fk.gpu, fk.fabric)].add(t)
    site_pos = {s: i for i, s in enumerate(ctx.site_names)}
    alloc_keys: list[AllocKey] = []
    for (s, g, f), ts in sorted(years_of.items(), key=lambda kv: (site_pos[kv[0][0]], kv[0][1], kv[0][2])):
        for t in sorted(ts):
            for w in site_workloads[s]:
                if need[(w, t)] > 0 and perf[(g, f, w)] > 0:
                    alloc_keys.append(AllocKey(s, g, f, t, w))
    rows = [DemandKey(TRAINING, t) for t in ctx.years if need[(TRAINING, t)] > 0]
    rows += [DemandKey(r, t) for r in regions for t in ctx.years if need[(r, t)] > 0]
    return DemandData(regions=regions, need=need, rows=rows, perf=perf, site_workloads=site_workloads,
                      alloc_keys=alloc_keys)


# --------------------------------------------------------------------------- model


def add(m: pyo.Block, d) -> None:
    dd = d.demand
    m.ALLOC = pyo.Set(initialize=dd.alloc_keys, dimen=5, ordered=True)
    m.alloc = pyo.Var(m.ALLOC, domain=pyo.NonNegativeReals)
    _add_alloc_cap(m, d)
    by_workload: dict[tuple[str, int], list] = defaultdict(list)
    for k in dd.alloc_keys:
        by_workload[(k.workload, k.year)].append(dd.perf[k.gpu, k.fabric, k.workload] * m.alloc[k])
    for k in d.rentals.alloc_keys:
        by_workload[(k.workload, k.year)].append(d.rentals.perf[k] * m.ralloc[k])
    m.DEMAND = pyo.Set(initialize=dd.rows, dimen=2, ordered=True)
    m.demand = pyo.Param(m.DEMAND, initialize=lambda m, w, t: dd.need[w, t], mutable=True, within=pyo.Reals)
    elastic = d.ctx.elastic is not None and d.ctx.elastic.unmet_penalty_musd_per_perf is not None
    if elastic:
        m.unmet = pyo.Var(m.DEMAND, domain=pyo.NonNegativeReals)
        price = d.ctx.elastic.unmet_penalty_musd_per_perf
        costs.add_penalty(m, "unmet_demand", "unmet", m.unmet, {k: price * d.ctx.disc[k[1]] for k in dd.rows})

    def met(m, w, t):
        short = m.unmet[w, t] if elastic else 0
        return pyo.quicksum(by_workload.get((w, t), ()), start=0) + short

    rows = [(w, t) for w, t in dd.rows if (w, t) in by_workload or elastic]
    m.training = pyo.Constraint([t for w, t in rows if w == TRAINING],
                                rule=lambda m, t: met(m, TRAINING, t) >= m.demand[TRAINING, t])
    m.inference = pyo.Constraint([(w, t) for w, t in rows if w != TRAINING],
                                 rule=lambda m, r, t: met(m, r, t) >= m.demand[r, t])
    add_serve_cap(m, d)
    add_fabric_serve_cap(m, d)


def _add_alloc_cap(m: pyo.Block, d) -> None:
    """What pooled workloads and training jobs take of (s, g, f) is at most its surviving GPUs."""
    taken: dict[tuple, list] = defaultdict(list)
    for k in d.demand.alloc_keys:
        taken[(k.site, k.gpu, k.fabric, k.year)].append(m.alloc[k])
    for k in d.jobs.jalloc_keys:
        taken[(k.site, k.gpu, k.fabric, k.year)].append(m.jalloc[k])
    designs_of: dict[tuple, list] = defaultdict(list)
    for a in m.ACTIVE:
        s, _h, g, f, t = a
        designs_of[(s, g, f, t)].append(a)
    surviving = getattr(m, "surviving_units", None)

    def units(a):
        return surviving[a] if surviving is not None and a in surviving else m.active_units[a]

    def alloc_cap(m, s, g, f, t):
        have = d.ctx.gpus[g].unit_gpus * pyo.quicksum(units(a) for a in designs_of[s, g, f, t])
        return pyo.quicksum(taken[s, g, f, t]) <= have

    m.alloc_cap = pyo.Constraint(list(taken), rule=alloc_cap)


def add_serve_cap(m: pyo.Block, d) -> None:
    r"""``serve_cap[s, w, t]``, a facility-location inequality: a site that is not
    open from the start delivers at most the whole demand of a workload, and
    nothing before it opens.

    .. math:: \sum_{g,f} perf_{g,f,w}\, alloc_{s,g,f,t,w} \le D^w_t\; open\_by_{s,t}

    Any plan delivering more than a workload's demand from one site has a
    twin delivering exactly the demand (allocation is free), so the optimum
    is unchanged; the LP relaxation can no longer open a site by the fraction
    of its grid it uses (measured: root bound +0.4 %, docs/performance.md).
    """
    dd = d.demand
    site_rows: dict[tuple[str, str, int], list] = {}
    for k in dd.alloc_keys:
        site_rows.setdefault((k.site, k.workload, k.year), []).append(k)
    opens = set(d.halls.open_sites)

    def serve_cap(m, s, w, t):
        got = pyo.quicksum(dd.perf[k.gpu, k.fabric, w] * m.alloc[k] for k in site_rows[s, w, t])
        return got <= m.demand[w, t] * m.open_by[s, t]

    m.serve_cap = pyo.Constraint([k for k in site_rows if k[0] not in opens], rule=serve_cap)


def add_fabric_serve_cap(m: pyo.Block, d) -> None:
    r"""``fabric_serve_cap[s, f, w, t]``, the same inequality for a fabric a site does not
    have yet: GPUs on fabric :math:`f` at :math:`s` deliver at most the whole demand of a
    workload, and nothing before the fabric comes.

    .. math:: \sum_{g} perf_{g,f,w}\, alloc_{s,g,f,t,w} \le D^w_t\; fab\_by_{s,f,t}

    Valid for the same reason as ``serve_cap`` (and implied by ``fab_link`` when
    :math:`fab\_by = 0`). ``fab_link`` alone lets the LP relaxation pay a fabric's
    fixed cost by the fraction of the site's largest IT load the fabric carries,
    almost nothing; this charges it by the share of a demand it serves.
    """
    dd = d.demand
    rows: dict[tuple[str, str, str, int], list] = {}
    for k in dd.alloc_keys:
        if (k.site, k.fabric, k.year) in m.FAB:
            rows.setdefault((k.site, k.fabric, k.workload, k.year), []).append(k)

    def fabric_serve_cap(m, s, f, w, t):
        got = pyo.quicksum(dd.perf[k.gpu, f, w] * m.alloc[k] for k in rows[s, f, w, t])
        return got <= m.demand[w, t] * m.fab_by[s, f, t]

    m.fabric_serve_cap = pyo.Constraint(list(rows), rule=fabric_serve_cap)


def update(m: pyo.Block, d) -> None:
    """Set the demand of every row from `d` (same rows as the model's)."""
    m.demand.store_values({(w, t): d.demand.need[w, t] for w, t in m.DEMAND}, check=False)


def static_problems(ctx: Context, d) -> list[str]:
    """Pooled demand no variable can serve (certain infeasibility, found before any solve)."""
    served = {(k.workload, k.year) for k in d.demand.alloc_keys}
    served |= {(k.workload, k.year) for k in d.rentals.alloc_keys}
    out = []
    for t in ctx.years:
        need = d.demand.need[(TRAINING, t)]
        if need > 0 and (TRAINING, t) not in served:
            out.append(f"training demand of {need:g} in {t} cannot be served: no GPU can be "
                       f"running at any site in {t} (check GPU sale years, power_available_year, "
                       "allowed_cooling, densities and port speeds)")
    for r in ctx.regions:
        for t in ctx.years:
            need = d.demand.need[(r, t)]
            if need > 0 and (r, t) not in served:
                sites = [s.name for s in ctx.inst.sites if r in s.served_regions]
                why = (f"no site serves region {r!r}" if not sites and not d.rentals.serving(r)
                       else f"no GPU can be running in {t} at the sites serving it ({', '.join(sites)})")
                out.append(f"inference demand of {need:g} in region {r!r} in {t} cannot be served: {why}")
    return out

