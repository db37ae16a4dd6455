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

A neighbourhood that runs out of its time gives way to the next. When none has a plan, the
same three are tried around the *derated LP*: the LP with every capacity row the model names
(`Staging.derate`: the grid limits) narrowed by its largest item (a block at the site's
highest PUE), warm-started from the LP's basis. The LP fills a grid limit to the last MW with
fractional blocks; whole blocks then fit only at sites the LP did not open, which every
neighbourhood keeps closed (large-50site: all three infeasible around the LP, the second
feasible around the derated LP, whose objective is 0.02 % higher; docs/performance.md).

Every plan is checked against the rows, bounds and integrality of the model before it is
returned (`_objective_if_feasible`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np

from .highs import Run, _objective_if_feasible, matrix_entries

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
"""`run(name, time_limit, gap, relax=None, bounds=None, node_limit=None, edit=None, basis=None,
keep_basis=False) -> Run`: one guarded HiGHS run (`HighsSession.run`)."""

RELAXATIONS = ("lp", "derated lp")
"""Names of the construction's LP runs: their solutions are not plans."""


@dataclass(frozen=True)
class Families:
    """HiGHS columns of the `Staging` families, and all integer columns."""

    units: np.ndarray
    fixed: np.ndarray
    flexible: np.ndarray
    integer: np.ndarray
    derate: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # HiGHS rows


@dataclass
class Construction:
    """The LP relaxation and the plan rounded from it."""

    lp: Run  # the LP relaxation (its objective is a lower bound when it is optimal)
    x: np.ndarray | None = None
    objective: float | None = None
    neighbourhood: int | None = None  # which neighbourhood (1-3) gave the plan
    derated: bool = False  # around the derated LP's solution

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
    """Solve the LP relaxation, then the neighbourhoods around its solution until one has a plan,
    then around the derated LP's (module docstring). `left(share)`: that share of the seconds
    left (None without a limit)."""
    lp_run = run("lp", left(LP_SHARE), gap, relax=families.integer, keep_basis=True)
    out = Construction(lp_run)
    if lp_run.x is None or lp_run.status != highspy.HighsModelStatus.kOptimal:
        return out
    limit_s = max(NEIGHBOURHOOD_MIN_S, NEIGHBOURHOOD_LP_FACTOR * lp_run.seconds)
    if _round(run, lp, families, lp_run.x, left, limit_s, gap, out):
        return out
    edit = derating(lp, families.derate, families.fixed)
    if edit is None:
        return out
    derated = run("derated lp", left(LP_SHARE), gap, relax=families.integer, edit=edit, basis=lp_run.basis)
    if derated.x is not None and derated.status == highspy.HighsModelStatus.kOptimal:
        out.derated = True
        _round(run, lp, families, derated.x, left, limit_s, gap, out)
    return out


def _round(run: RunFn, lp: highspy.HighsLp, families: Families, x: np.ndarray,
           left: Callable[[float], float | None], limit_s: float, gap: float, out: Construction) -> bool:
    """The neighbourhoods around `x` in turn, until one has a plan (kept in `out`); True when
    one had, or when no further run may start (Ctrl-C, the deadline)."""
    for k, bounds in enumerate(neighbourhoods(lp, families, x), start=1):
        share = left(NEIGHBOURHOOD_SHARE)
        attempt = run("rounded", None if share is None else min(limit_s, share),
                      max(gap, NEIGHBOURHOOD_GAP), bounds=bounds, node_limit=NEIGHBOURHOOD_NODES)
        if attempt.x is not None:
            objective = _objective_if_feasible(lp, attempt.x)
            if objective is not None:
                out.x, out.objective, out.neighbourhood = attempt.x, objective, k
                return True
        if not attempt.ran or attempt.abandoned or attempt.status == highspy.HighsModelStatus.kInterrupt:
            return True  # Ctrl-C, the deadline, or a run that did not stop: no further run
        # infeasible, out of its time or nodes, or a plan that fails the check: the next one
    return False


def derating(lp: highspy.HighsLp, rows: np.ndarray, fixed: np.ndarray) -> Callable[[highspy.Highs], None] | None:
    """The derated LP's changes to a copy of `lp`, or None when there are none: each row of
    `rows` (`a x <= b`) loses the room of its largest positive coefficient, taken from its most
    negative coefficient on a `fixed` column (a site's opening, which brings the limit with it)
    or, without one, from its upper bound."""
    r, c, v = matrix_entries(lp)
    mine = np.isin(r, rows)
    r, c, v = r[mine], c[mine], v[mine]
    margin = np.zeros(lp.num_row_)
    np.maximum.at(margin, r, np.maximum(v, 0.0))
    opening: dict[int, tuple[float, int]] = {}
    for row, col, value in zip(*(a[(v < 0) & np.isin(c, fixed)] for a in (r, c, v)), strict=True):
        if value < opening.get(int(row), (0.0, -1))[0]:
            opening[int(row)] = (float(value), int(col))
    narrowed = [int(row) for row in np.unique(r) if margin[row] > 0]
    if not narrowed:
        return None
    row_lower, row_upper = np.array(lp.row_lower_), np.array(lp.row_upper_)

    def edit(h: highspy.Highs) -> None:
        for row in narrowed:
            if row in opening:
                value, col = opening[row]
                h.changeCoeff(row, col, min(value + margin[row], 0.0))
            else:
                h.changeRowBounds(row, float(row_lower[row]), float(row_upper[row] - margin[row]))

    return edit


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
