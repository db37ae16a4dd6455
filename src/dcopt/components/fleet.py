r"""Fleet and refresh: GPU purchases with a service life, retirement of
existing units, and the active units of every year.

Variables
    ``buy[s, h, g, f, y, l]`` integer: units (``unit_gpus`` GPUs each) bought
    in year :math:`y`, running years :math:`y .. y+l-1`; lives reaching past
    the horizon are merged into :math:`l = T + 1 - y`.

    ``retire[e, y]`` integer: units of existing deployment :math:`e` retired
    at the start of year :math:`y \le Y^*_e`.

Expressions
    ``active_units[s, h, g, f, t]``:

    .. math:: A_{s,h,g,f,t} = \sum_{y \le t < y + l} buy_{s,h,g,f,y,l}
              + \sum_{e \in (s,h,g,f)} \Big(N_e - \sum_{y \le t} retire_{e,y}\Big)

Constraints
    ``retire_all[e]``: :math:`\sum_y retire_{e,y} = N_e` when
    :math:`Y^*_e \le T` (all gone by the deadline), else :math:`\le N_e`.

Costs
    ``deployments`` in the purchase year; ``energy``, ``carbon`` and
    ``deployment_maintenance`` every running year; ``resale`` at
    :math:`y + l`; for existing units the running costs until retirement,
    ``existing_retirement`` and ``existing_residual`` credits.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model import costs
from ..model.data import ModelData


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    m.BUY = pyo.Set(initialize=d.buy_keys, dimen=6, ordered=True)
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers, bounds=lambda m, *k: (0, d.buy_ub[k]))
    units = {ex.index: ex.units for ex in d.existing}
    m.RETIRE = pyo.Set(initialize=d.retire_keys, dimen=2, ordered=True)
    m.retire = pyo.Var(m.RETIRE, domain=pyo.NonNegativeIntegers, bounds=lambda m, e, y: (0, units[e]))

    def retire_all(m, e):
        ex = d.existing[e]
        gone = pyo.quicksum(m.retire[e, y] for y in ex.retire_years)
        return gone == ex.units if ex.must_retire_all else gone <= ex.units

    m.retire_all = pyo.Constraint([ex.index for ex in d.existing], rule=retire_all)

    keys = [fk + (t,) for fk in d.fleet_keys for t in d.years
            if (fk, t) in d.active_buys or (fk, t) in d.active_existing]
    m.ACTIVE = pyo.Set(initialize=keys, dimen=5, ordered=True)

    def active(m, s, h, g, f, t):
        fk = (s, h, g, f)
        bought = [m.buy[k] for k in d.active_buys.get((fk, t), ())]
        running = [
            d.existing[e].units - pyo.quicksum(m.retire[e, y] for y in d.existing[e].retire_years if y <= t)
            for e in d.active_existing.get((fk, t), ())
        ]
        return pyo.quicksum(bought + running, start=0)

    m.active_units = pyo.Expression(m.ACTIVE, rule=active)
    costs.add_terms(m, d, "buy", m.buy)
    costs.add_terms(m, d, "retire", m.retire)
