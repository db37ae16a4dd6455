"""A plan early, at any scale: the LP relaxation rounded into a plan, before the staged MIP.

At 50 sites x 15 years HiGHS spends tens of seconds in the root of the MIP before its
first good plan (docs/performance.md). The LP relaxation takes a few seconds, and a small
MIP around its solution finds a plan within a few per cent of the LP bound in about a
second: a RENS-like neighbourhood (Relaxation Enforced Neighbourhood Search), run as a
top-level HiGHS run, so that it keeps to its limits and stops when asked.

The neighbourhoods are written in terms of the `Staging` families only (`units`: fine-grained
purchases and retirements; `fixed`: site openings and fabrics; `flexible`: blocks), widening
until one has a plan:

1. every integer column between the floor and the ceiling of its LP value, `units` and
   `flexible` up to one more (whole units may not fit the halls the LP sized for fractional
   ones). Columns the LP left at a whole number stay there.
2. `units` free: whole units at other designs or sites than the LP's (a grid cap the LP
   filled exactly).
3. `units` and `flexible` free: only the sites and fabrics follow the LP.

Every plan is checked against the rows, bounds and integrality of the model before it is
returned (`_objective_if_feasible`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

from .highs import Run, _objective_if_feasible

INTEGRAL_TOL = 1e-6
"""An LP value within this of a whole number counts as that number (HiGHS's MIP
feasibility tolerance)."""

LP_SHARE = 0.7
"""Under a time limit, the share of the time left the LP relaxation may take (without it there
is no plan, and at 50 x 15 it takes longer than everything before it)."""

NEIGHBOURHOOD_NODES = 200
NEIGHBOURHOOD_SHARE = 0.5
NEIGHBOURHOOD_MIN_S = 1.0
NEIGHBOURHOOD_LP_FACTOR = 2.0
"""A neighbourhood MIP explores at most `NEIGHBOURHOOD_NODES` nodes; under a time limit it
also runs for at most `NEIGHBOURHOOD_LP_FACTOR` times the LP's seconds (at least
`NEIGHBOURHOOD_MIN_S`) and `NEIGHBOURHOOD_SHARE` of the time left. It is a start for the
staged solve, not its replacement (on small instances the staged solve has a better plan
within seconds anyway). Without a time limit only the node limit applies, so that a solve
gives the same plan on any machine."""

NEIGHBOURHOOD_GAP = 0.01
"""Relative gap a neighbourhood MIP stops at (against its own bound), unless the solve's is looser."""

RunFn = Callable[..., Run]
"""`run(name, time_limit, gap, relax=None, bounds=None, node_limit=None) -> Run`: one guarded
HiGHS run."""


@dataclass(frozen=True)
class Families:
    """HiGHS columns of the `Staging` families, and all integer columns."""

    units: np.ndarray
    fixed: np.ndarray
    flexible: np.ndarray
    integer: np.ndarray


@dataclass
class Construction:
    """The LP relaxation and the plan rounded from it."""

    lp: Run  # the LP relaxation (its objective is a lower bound when it is optimal)
    x: np.ndarray | None = None
    objective: float | None = None
    neighbourhood: int | None = None  # which neighbourhood (1-3) gave the plan

    @property
    def bound(self) -> float | None:
        return self.lp.bound

    @property
    def infeasible(self) -> bool:
        return self.lp.status in (highspy.HighsModelStatus.kInfeasible,
                                  highspy.HighsModelStatus.kUnboundedOrInfeasible)


def integer_columns(lp: highspy.HighsLp) -> np.ndarray:
    if not len(lp.integrality_):
        return np.zeros(0, dtype=np.int32)
    kinds = np.array([v != highspy.HighsVarType.kContinuous for v in lp.integrality_])
    return np.flatnonzero(kinds).astype(np.int32)


def construct(run: RunFn, lp: highspy.HighsLp, families: Families, left: Callable[[float], float | None],
              gap: float) -> Construction:
    """Solve the LP relaxation, then the neighbourhoods around its solution until one has a plan.
    `left(share)`: that share of the seconds left (None without a limit)."""
    lp_run = run("lp", left(LP_SHARE), gap, relax=families.integer)
    out = Construction(lp_run)
    if lp_run.x is None or lp_run.status != highspy.HighsModelStatus.kOptimal:
        return out
    limit_s = max(NEIGHBOURHOOD_MIN_S, NEIGHBOURHOOD_LP_FACTOR * lp_run.seconds)
    for k, bounds in enumerate(neighbourhoods(lp, families, lp_run.x), start=1):
        share = left(NEIGHBOURHOOD_SHARE)
        attempt = run("rounded", None if share is None else min(limit_s, share),
                      max(gap, NEIGHBOURHOOD_GAP), bounds=bounds, node_limit=NEIGHBOURHOOD_NODES)
        if attempt.x is not None:
            objective = _objective_if_feasible(lp, attempt.x)
            if objective is not None:
                out.x, out.objective, out.neighbourhood = attempt.x, objective, k
                return out
        if attempt.status not in (highspy.HighsModelStatus.kInfeasible,
                                  highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return out  # out of time, interrupted, or a plan that fails the check: stop here
    return out


def neighbourhoods(lp: highspy.HighsLp, families: Families, x: np.ndarray):
    """(columns, lower, upper) of neighbourhoods 1-3 around the LP solution `x` (module docstring)."""
    cols = families.integer
    lower0, upper0 = np.array(lp.col_lower_)[cols], np.array(lp.col_upper_)[cols]
    value = x[cols]
    floor, ceil = np.floor(value + INTEGRAL_TOL), np.ceil(value - INTEGRAL_TOL)
    fixed = np.isin(cols, families.fixed)
    flexible = np.isin(cols, families.flexible)
    units = ~(fixed | flexible)  # purchases, retirements and any other integer column

    def box(free: np.ndarray) -> tuple:
        lo, up = floor.copy(), ceil.copy()
        up[units | flexible] += 1
        lo[free], up[free] = lower0[free], upper0[free]
        return cols, np.maximum(lo, lower0), np.minimum(up, upper0)

    yield box(np.zeros(cols.size, dtype=bool))
    yield box(units)
    yield box(units | flexible)
