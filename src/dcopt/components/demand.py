r"""Demand and allocation: active GPUs are given to training or to the
inference of a region their site serves.

Variables
    ``alloc[s, g, f, t, w]`` continuous: GPUs given to workload :math:`w`;
    only where the workload has positive demand in :math:`t` and the GPU
    delivers something for it.

Constraints
    ``alloc_cap[s, g, f, t]``:
    :math:`\sum_w alloc_{s,g,f,t,w} \le n_g \sum_h A_{s,h,g,f,t}`.

    ``training[t]``:
    :math:`\sum alloc_{\cdot,g,f,t,train}\; tp_g\, eff_f\, av_f \ge D^{train}_t`.

    ``inference[r, t]``:
    :math:`\sum_{s \ni r} alloc_{s,g,f,t,r}\; ip_g\, av_f \ge D^{r}_t`.

Demand values are the mutable parameter ``demand[w, t]`` (:func:`update`).
No costs: allocation is free (SPEC 7.20). An elastic model adds
``unmet[w, t]`` to each demand row, priced per unit of throughput.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..instance.semantics import TRAINING
from ..model import costs
from ..model.data import ModelData


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    m.ALLOC = pyo.Set(initialize=d.alloc_keys, dimen=5, ordered=True)
    m.alloc = pyo.Var(m.ALLOC, domain=pyo.NonNegativeReals)

    by_sgft: dict[tuple, list] = {}
    by_workload: dict[tuple[str, int], list] = {}
    for k in d.alloc_keys:
        s, g, f, t, w = k
        by_sgft.setdefault((s, g, f, t), []).append(k)
        by_workload.setdefault((w, t), []).append(k)
    designs_of: dict[tuple, list] = {}
    for s, h, g, f, t in m.ACTIVE:
        designs_of.setdefault((s, g, f, t), []).append((s, h, g, f, t))

    def alloc_cap(m, s, g, f, t):
        given = pyo.quicksum(m.alloc[k] for k in by_sgft[s, g, f, t])
        return given <= d.gpu_unit_gpus[g] * pyo.quicksum(m.active_units[a] for a in designs_of[s, g, f, t])

    m.alloc_cap = pyo.Constraint(list(by_sgft), rule=alloc_cap)

    def delivered(m, w, t):
        return pyo.quicksum(
            (d.perf[g, f, w] * m.alloc[s, g, f, t, w] for s, g, f, _, _ in by_workload.get((w, t), ())), start=0
        )

    m.DEMAND = pyo.Set(initialize=d.demand_rows, dimen=2, ordered=True)
    m.demand = pyo.Param(m.DEMAND, initialize=lambda m, w, t: _need(d, w, t), mutable=True, within=pyo.Reals)
    elastic = d.elastic is not None and d.elastic.unmet_penalty_musd_per_perf is not None
    if elastic:
        m.unmet = pyo.Var(m.DEMAND, domain=pyo.NonNegativeReals)
        costs.add_terms(m, d, "unmet", m.unmet)

    def met(m, w, t):
        short = m.unmet[w, t] if elastic else 0
        return delivered(m, w, t) + short

    rows = [(w, t) for w, t in d.demand_rows if (w, t) in by_workload or elastic]
    m.training = pyo.Constraint(
        [t for w, t in rows if w == TRAINING],
        rule=lambda m, t: met(m, TRAINING, t) >= m.demand[TRAINING, t],
    )
    m.inference = pyo.Constraint(
        [(w, t) for w, t in rows if w != TRAINING],
        rule=lambda m, r, t: met(m, r, t) >= m.demand[r, t],
    )
    add_serve_cap(m, d)
    add_fabric_serve_cap(m, d)


def add_serve_cap(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""``serve_cap[s, w, t]``, a facility-location inequality: a site that is not
    open from the start delivers at most the whole demand of a workload, and
    nothing before it opens.

    .. math:: \sum_{g,f} perf_{g,f,w}\, alloc_{s,g,f,t,w} \le D^w_t\; open\_by_{s,t}

    Any plan delivering more than a workload's demand from one site has a
    twin delivering exactly the demand (allocation is free), so the optimum
    is unchanged; the LP relaxation can no longer open a site by the fraction
    of its grid it uses (measured: root bound +0.4 %, docs/performance.md).
    """
    site_rows: dict[tuple[str, str, int], list] = {}
    for k in d.alloc_keys:
        s, _g, _f, t, w = k
        site_rows.setdefault((s, w, t), []).append(k)
    opens = set(d.open_sites)

    def serve_cap(m, s, w, t):
        got = pyo.quicksum(d.perf[k[1], k[2], w] * m.alloc[k] for k in site_rows[s, w, t])
        return got <= m.demand[w, t] * m.open_by[s, t]

    m.serve_cap = pyo.Constraint([k for k in site_rows if k[0] not in opens], rule=serve_cap)


def add_fabric_serve_cap(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""``fabric_serve_cap[s, f, w, t]``, the same inequality for a fabric a site does not
    have yet: GPUs on fabric :math:`f` at :math:`s` deliver at most the whole demand of a
    workload, and nothing before the fabric comes.

    .. math:: \sum_{g} perf_{g,f,w}\, alloc_{s,g,f,t,w} \le D^w_t\; fab\_by_{s,f,t}

    Valid for the same reason as ``serve_cap`` (and implied by ``fab_link`` when
    :math:`fab\_by = 0`). ``fab_link`` alone lets the LP relaxation pay a fabric's
    fixed cost by the fraction of the site's largest IT load the fabric carries,
    almost nothing; this charges it by the share of a demand it serves.
    """
    rows: dict[tuple[str, str, str, int], list] = {}
    for k in d.alloc_keys:
        s, _g, f, t, w = k
        if (s, f, t) in m.FAB:
            rows.setdefault((s, f, w, t), []).append(k)

    def fabric_serve_cap(m, s, f, w, t):
        got = pyo.quicksum(d.perf[k[1], f, w] * m.alloc[k] for k in rows[s, f, w, t])
        return got <= m.demand[w, t] * m.fab_by[s, f, t]

    m.fabric_serve_cap = pyo.Constraint(list(rows), rule=fabric_serve_cap)


def _need(d: ModelData, w: str, t: int) -> float:
    return d.training_demand[t] if w == TRAINING else d.inference_demand[w, t]


def update(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Set the demand of every row from `d` (same rows as the model's)."""
    m.demand.store_values({(w, t): _need(d, w, t) for w, t in m.DEMAND}, check=False)
