r"""Training jobs: clusters of one GPU model with a home site, spread over DCI routes (SPEC 8.1).

Data
    For each job :math:`j` and year :math:`t` with :math:`perf_{j,t} > 0`
    (SPEC 8.10.2): the eligible GPU models (named by the job, with
    ``scale_up_gpus`` at least ``min_scale_up_gpus`` and some training
    throughput), the sites whose fleet can hold them in :math:`t`, the
    candidate homes (those sites, and sites with a usable route to them when
    the job may span), the remote sites of each home (a lit-able route within
    the job's reach: :math:`loss_j(d)` defined, and an optic on sale when the
    job needs DCI bandwidth) with their loss.

Variables
    ``home[j, s, t]``, ``job_gpu[j, g, t]`` (``single_gpu_model``: the job's one GPU model),
    ``span[j, h, s, t]`` binary; ``jalloc[j, h, s, g, f, t] \ge 0`` GPUs of
    :math:`(s, g, f)` serving :math:`j` with home :math:`h`.

Constraints
    ``job_home[j, t]``: :math:`\sum_s home_{j,s,t} = 1`;
    ``job_model[j, t]``: :math:`\sum_g job\_gpu_{j,g,t} = 1`.

    ``job_perf[j, t]``: :math:`\sum jalloc\; tp_g\, eff_f\, av_f\, (1 - loss_j(h,s)) \ge perf_{j,t}`.

    ``job_at_home[j, h, t]``: :math:`\sum_{g,f} jalloc_{j,h,h,g,f,t} \le M_h\, home_{j,h,t}`;
    ``job_remote[j, h, s, t]``: :math:`\sum_{g,f} jalloc_{j,h,s,g,f,t} \le M_s\, span_{j,h,s,t}`;
    ``span_home[j, h, s, t]``: :math:`span \le home_{j,h,t}`;
    ``span_route[j, h, s, t]``: :math:`span \le lit\_by_{h,s,t}`;
    ``span_count[j, h, t]``: :math:`\sum_s span_{j,h,s,t} \le max\_sites_j - 1`.

    ``job_one_model[j, g, t]``: :math:`\sum_{h,s,f} jalloc_{j,h,s,g,f,t} \le M_g\, job\_gpu_{j,g,t}`.

    ``dci_capacity[a, b, t]``: :math:`\sum_j dci_j \sum_{g,f} (jalloc_{j,a,b,\cdot} + jalloc_{j,b,a,\cdot})
    \le \sum_o gbps_o\, links\_by_{a,b,o,t}`.

    :math:`M` is the most GPUs the site (or all sites, for a model) can hold:
    no feasible plan is cut. The job's GPUs also take their share of each
    site's surviving GPUs (``alloc_cap`` in :mod:`.demand`).

    Facility-location inequalities (``job_home_perf``, ``job_remote_perf``,
    ``job_model_perf``, ``job_serve_cap``; see :func:`_add_perf_links`): what a
    home, a remote site, a GPU model or a site not open from the start gives a
    job is at most its demand, times the binary that allows it.

No costs: jobs cost through the GPUs, routes and links they need.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs
from ..model.context import Context
from ..model.keys import HomeKey, JallocKey, JobYear, ModelKey, SpanKey


@dataclass
class JobsData:
    rows: list[JobYear]  # (job, year) with demand > 0
    need: dict[JobYear, float]
    home_keys: list[HomeKey]
    model_keys: list[ModelKey]
    span_keys: list[SpanKey]
    jalloc_keys: list[JallocKey]
    coef: dict[JallocKey, float]  # throughput of one GPU for the job
    site_gpus: dict[str, float]  # M: most GPUs a site can hold
    static: list[str] = field(default_factory=list)  # certain infeasibilities, in words

    def job(self, ctx: Context, name: str):
        return next(j for j in ctx.inst.demand.training_jobs if j.name == name)


def eligible_gpus(ctx: Context, job) -> list[str]:
    names = job.gpus if job.gpus is not None else list(ctx.gpus)
    return [g for g in names if ctx.gpus[g].scale_up >= job.min_scale_up_gpus and ctx.gpus[g].training_perf > 0]


def prepare(ctx: Context, halls, fleet, dci) -> JobsData:
    from .dci import most_gpus

    d = JobsData(rows=[], need={}, home_keys=[], model_keys=[], span_keys=[], jalloc_keys=[], coef={},
                 site_gpus={s: most_gpus(ctx, halls, fleet, s) for s in ctx.site_names})
    active: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
    for fk, t in [*fleet.active_buys, *fleet.active_existing]:
        active[t].add((fk.site, fk.gpu, fk.fabric))
    for job in ctx.inst.demand.training_jobs:
        for t in ctx.years:
            need = ctx.job_demand(job.name, job.perf, t)
            if need > 0:
                d.rows.append(JobYear(job.name, t))
                d.need[JobYear(job.name, t)] = need
                _job_year(ctx, d, dci, job, t, sorted(active[t], key=lambda k: ctx.site_names.index(k[0])))
    return d


def _job_year(ctx: Context, d: JobsData, dci, job, t: int, active: list[tuple[str, str, str]]) -> None:
    eligible = eligible_gpus(ctx, job)
    here: dict[str, list[tuple[str, str]]] = defaultdict(list)  # site -> eligible (g, f) active in t
    for s, g, f in active:
        if g in eligible:
            here[s].append((g, f))
    if not eligible:
        d.static.append(f"training job {job.name!r} in {t} cannot be hosted: no GPU model is eligible "
                        f"(gpus, min_scale_up_gpus {job.min_scale_up_gpus}, training_perf > 0)")
        return
    if not here:
        d.static.append(f"training job {job.name!r} in {t} cannot be hosted: no eligible GPU "
                        f"({', '.join(eligible)}) can be running at any site in {t} (check sale years, "
                        "power_available_year, cooling and port rules)")
        return
    remote = _remotes(ctx, dci, job, t, set(here))
    homes = [s for s in ctx.site_names if s in here or remote.get(s)]
    for h in homes:
        d.home_keys.append(HomeKey(job.name, h, t))
        for s in [h, *[s for s, _ in remote.get(h, [])]]:
            loss = 0.0 if s == h else dict(remote[h])[s]
            if s != h:
                d.span_keys.append(SpanKey(job.name, h, s, t))
            for g, f in here.get(s, ()):
                key = JallocKey(job.name, h, s, g, f, t)
                d.jalloc_keys.append(key)
                gpu, fab = ctx.gpus[g], ctx.fabrics[f]
                d.coef[key] = gpu.training_perf * fab.training_efficiency * fab.availability * (1.0 - loss)
    if job.single_gpu_model:
        used = dict.fromkeys(g for s in here for g, _ in here[s])
        d.model_keys += [ModelKey(job.name, g, t) for g in eligible if g in used]


def _remotes(ctx: Context, dci, job, t: int, hosts: set[str]) -> dict[str, list[tuple[str, float]]]:
    """home -> [(remote site holding eligible GPUs, loss)] over the routes the job can use in `t`."""
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    if job.max_sites < 2:
        return out
    optics = [o for o in ctx.inst.catalog.dci_optics if o.first_year is None or o.first_year <= t]
    for (a, b), km in dci.distance_km.items():
        loss = sem.remote_loss(job.remote_loss_by_km, km)
        if loss is None:
            continue
        if job.dci_gbps_per_gpu > 0 and not any(o.max_km >= km for o in optics):
            continue
        for h, s in ((a, b), (b, a)):
            if s in hosts:
                out[h].append((s, loss))
    return out


# --------------------------------------------------------------------------- model


def add(m: pyo.Block, d) -> None:
    jd = d.jobs
    m.JOB_ROWS = pyo.Set(initialize=jd.rows, dimen=2, ordered=True)
    m.job_demand = pyo.Param(m.JOB_ROWS, initialize=lambda m, j, t: jd.need[j, t], mutable=True, within=pyo.Reals)
    m.JALLOC = pyo.Set(initialize=jd.jalloc_keys, dimen=6, ordered=True)
    m.jalloc = pyo.Var(m.JALLOC, domain=pyo.NonNegativeReals)
    if not jd.rows:
        return
    m.HOME = pyo.Set(initialize=jd.home_keys, dimen=3, ordered=True)
    m.home = pyo.Var(m.HOME, domain=pyo.Binary)
    m.JOB_GPU = pyo.Set(initialize=jd.model_keys, dimen=3, ordered=True)
    m.job_gpu = pyo.Var(m.JOB_GPU, domain=pyo.Binary)
    m.SPAN = pyo.Set(initialize=jd.span_keys, dimen=4, ordered=True)
    m.span = pyo.Var(m.SPAN, domain=pyo.Binary)
    _add_choice_rows(m, d)
    _add_perf_rows(m, d)
    _add_perf_links(m, d)
    _add_dci_capacity(m, d)


def _add_perf_links(m: pyo.Block, d) -> None:
    r"""Facility-location inequalities of the jobs: the throughput a job gets from its home,
    from one remote site, from one GPU model or from a site that is not open from the start
    is at most the job's demand, and nothing without its home, span, model or the site open:

    .. math:: \sum_{g,f} c_k\, jalloc_{j,h,h,g,f,t} \le perf_{j,t}\, home_{j,h,t}, \qquad
              \sum_{g,f} c_k\, jalloc_{j,h,s,g,f,t} \le perf_{j,t}\, span_{j,h,s,t}

    .. math:: \sum_{h,s,f} c_k\, jalloc_{j,h,s,g,f,t} \le perf_{j,t}\, job\_gpu_{j,g,t}, \qquad
              \sum_{h,g,f} c_k\, jalloc_{j,h,s,g,f,t} \le perf_{j,t}\, open\_by_{s,t}

    with :math:`c_k` the key's throughput per GPU (``job_perf``). Any plan giving a job more
    than its demand has a twin giving exactly the demand (fewer allocated GPUs only loosen
    ``alloc_cap`` and ``dci_capacity``; allocation is free), so the optimum is unchanged;
    the rows with :math:`M` alone let the LP relaxation open a home, a span or a model by
    the fraction of a site's largest fleet the job uses.
    """
    jd = d.jobs
    by: dict[str, dict[tuple, list]] = {n: defaultdict(list) for n in ("home", "span", "model", "site")}
    for k in jd.jalloc_keys:
        term = jd.coef[k] * m.jalloc[k]
        by["home" if k.site == k.home else "span"][(k.job, k.home, k.site, k.year)].append(term)
        by["model"][(k.job, k.gpu, k.year)].append(term)
        by["site"][(k.job, k.site, k.year)].append(term)
    got = lambda name, key: pyo.quicksum(by[name].get(key, []), start=0)
    homes = [k for k in jd.home_keys if (k.job, k.site, k.site, k.year) in by["home"]]
    m.job_home_perf = pyo.Constraint(homes, rule=lambda m, j, h, t: got("home", (j, h, h, t))
                                     <= m.job_demand[j, t] * m.home[j, h, t])
    spans = [k for k in jd.span_keys if (k.job, k.home, k.site, k.year) in by["span"]]
    m.job_remote_perf = pyo.Constraint(spans, rule=lambda m, j, h, s, t: got("span", (j, h, s, t))
                                       <= m.job_demand[j, t] * m.span[j, h, s, t])
    models = [k for k in jd.model_keys if (k.job, k.gpu, k.year) in by["model"]]
    m.job_model_perf = pyo.Constraint(models, rule=lambda m, j, g, t: got("model", (j, g, t))
                                      <= m.job_demand[j, t] * m.job_gpu[j, g, t])
    opens = set(d.halls.open_sites)
    sites = [k for k in by["site"] if k[1] not in opens]
    m.job_serve_cap = pyo.Constraint(sites, rule=lambda m, j, s, t: got("site", (j, s, t))
                                     <= m.job_demand[j, t] * m.open_by[s, t])
    # the same with the most a site's fleet can give the job (below its demand when the job
    # is larger than a site: then the LP can no longer give it several lossless homes)
    most = {n: defaultdict(float) for n in by}
    for k in jd.jalloc_keys:
        p = jd.coef[k] * _most_gpus(d, k.site, k.gpu, k.fabric)
        for n, key in (("home" if k.site == k.home else "span", (k.job, k.home, k.site, k.year)),
                       ("site", (k.job, k.site, k.year))):
            most[n][key] = max(most[n][key], p)
    m.job_home_most = pyo.Constraint(homes, rule=lambda m, j, h, t: got("home", (j, h, h, t))
                                     <= most["home"][j, h, h, t] * m.home[j, h, t])
    m.job_remote_most = pyo.Constraint(spans, rule=lambda m, j, h, s, t: got("span", (j, h, s, t))
                                       <= most["span"][j, h, s, t] * m.span[j, h, s, t])
    m.job_site_most = pyo.Constraint(list(by["site"]), rule=lambda m, j, s, t: got("site", (j, s, t))
                                     <= most["site"][j, s, t] * m.open_by[s, t])


def _most_gpus(d, site: str, gpu: str, fabric: str) -> float:
    """More GPUs of (gpu, fabric) than `site` can ever hold: its largest IT load on that unit,
    plus its existing GPUs of the model."""
    g = d.ctx.gpus[gpu]
    new = int(d.halls.site_max_it_mw[site] / d.fleet.unit_mw[(gpu, fabric)] + 1e-9) * g.unit_gpus
    return new + sum(dep.gpus for dep in d.ctx.inst.existing.deployments if dep.site == site and dep.gpu == gpu)


def _add_choice_rows(m: pyo.Block, d) -> None:
    jd = d.jobs
    homes: dict[tuple, list] = defaultdict(list)
    for k in jd.home_keys:
        homes[(k.job, k.year)].append(m.home[k])
    m.job_home = pyo.Constraint(list(homes), rule=lambda m, j, t: pyo.quicksum(homes[j, t]) == 1)
    models: dict[tuple, list] = defaultdict(list)
    for k in jd.model_keys:
        models[(k.job, k.year)].append(m.job_gpu[k])
    m.job_model = pyo.Constraint(list(models), rule=lambda m, j, t: pyo.quicksum(models[j, t]) == 1)
    at: dict[tuple, list] = defaultdict(list)  # (job, home, site, year) -> jalloc
    by_model: dict[tuple, list] = defaultdict(list)
    for k in jd.jalloc_keys:
        at[(k.job, k.home, k.site, k.year)].append(m.jalloc[k])
        by_model[(k.job, k.gpu, k.year)].append(m.jalloc[k])
    m.job_at_home = pyo.Constraint(
        list(jd.home_keys), rule=lambda m, j, h, t: pyo.quicksum(at.get((j, h, h, t), []), start=0)
        <= jd.site_gpus[h] * m.home[j, h, t])
    m.job_remote = pyo.Constraint(
        list(jd.span_keys), rule=lambda m, j, h, s, t: pyo.quicksum(at.get((j, h, s, t), []), start=0)
        <= jd.site_gpus[s] * m.span[j, h, s, t])
    m.span_home = pyo.Constraint(list(jd.span_keys), rule=lambda m, j, h, s, t: m.span[j, h, s, t] <= m.home[j, h, t])
    m.span_route = pyo.Constraint(list(jd.span_keys), rule=lambda m, j, h, s, t: m.span[j, h, s, t]
                                  <= m.lit_by[(*d.dci.route(h, s), t)])
    spans: dict[tuple, list] = defaultdict(list)
    for k in jd.span_keys:
        spans[(k.job, k.home, k.year)].append(m.span[k])
    m.span_count = pyo.Constraint(
        list(spans), rule=lambda m, j, h, t: pyo.quicksum(spans[j, h, t]) <= jd.job(d.ctx, j).max_sites - 1)
    total = sum(jd.site_gpus.values())
    m.job_one_model = pyo.Constraint(
        list(jd.model_keys), rule=lambda m, j, g, t: pyo.quicksum(by_model.get((j, g, t), []), start=0)
        <= total * m.job_gpu[j, g, t])


def _add_perf_rows(m: pyo.Block, d) -> None:
    jd = d.jobs
    terms: dict[tuple, list] = defaultdict(list)
    for k in jd.jalloc_keys:
        terms[(k.job, k.year)].append(jd.coef[k] * m.jalloc[k])
    elastic = d.ctx.elastic is not None and d.ctx.elastic.unmet_penalty_musd_per_perf is not None
    if elastic:
        m.job_unmet = pyo.Var(m.JOB_ROWS, domain=pyo.NonNegativeReals)
        price = d.ctx.elastic.unmet_penalty_musd_per_perf
        costs.add_penalty(m, "unmet_demand", "job_unmet", m.job_unmet, {k: price * d.ctx.disc[k[1]] for k in jd.rows})

    def job_perf(m, j, t):
        short = m.job_unmet[j, t] if elastic else 0
        return pyo.quicksum(terms.get((j, t), []), start=0) + short >= m.job_demand[j, t]

    m.job_perf = pyo.Constraint([r for r in jd.rows if r in terms or elastic], rule=job_perf)


def _add_dci_capacity(m: pyo.Block, d) -> None:
    jd = d.jobs
    traffic: dict[tuple, list] = defaultdict(list)
    for k in jd.jalloc_keys:
        if k.site == k.home:
            continue
        gbps = jd.job(d.ctx, k.job).dci_gbps_per_gpu
        if gbps > 0:
            a, b = d.dci.route(k.home, k.site)
            traffic[(a, b, k.year)].append(gbps * m.jalloc[k])
    links: dict[tuple, list] = defaultdict(list)
    gbps_of = {o.name: o.gbps for o in d.ctx.inst.catalog.dci_optics}
    for k in d.dci.link_keys:
        links[(k.a, k.b, k.year)].append(gbps_of[k.optic] * m.links_by[k])
    elastic = d.ctx.limits
    if elastic and traffic:
        m.dci_excess = pyo.Var(list(traffic), domain=pyo.NonNegativeReals)
        costs.add_penalty(m, "relaxation", "dci_excess", m.dci_excess, dict.fromkeys(traffic, 1e-3))

    def dci_capacity(m, a, b, t):
        excess = m.dci_excess[a, b, t] if elastic else 0
        return pyo.quicksum(traffic[a, b, t]) <= pyo.quicksum(links.get((a, b, t), []), start=0) + excess

    m.dci_capacity = pyo.Constraint(list(traffic), rule=dci_capacity)


def update(m: pyo.Block, d) -> None:
    if d.jobs.rows:
        m.job_demand.store_values({k: d.jobs.need[k] for k in m.JOB_ROWS}, check=False)
