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

No costs: allocation is free (SPEC 7.20).
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData
from ..semantics import TRAINING


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
        return pyo.quicksum(d.perf[g, f, w] * m.alloc[s, g, f, t, w] for s, g, f, _, _ in by_workload[w, t])

    train_rows = [t for t in d.years if d.training_demand[t] > 0 and (TRAINING, t) in by_workload]
    m.training = pyo.Constraint(
        train_rows, rule=lambda m, t: delivered(m, TRAINING, t) >= d.training_demand[t]
    )
    inf_rows = [(r, t) for r in d.regions for t in d.years
                if d.inference_demand[r, t] > 0 and (r, t) in by_workload]
    m.inference = pyo.Constraint(
        inf_rows, rule=lambda m, r, t: delivered(m, r, t) >= d.inference_demand[r, t]
    )
