"""A plan early, at any scale: the LP relaxation rounded into a plan, before the staged MIP.

At 50 sites x 15 years HiGHS spends tens of seconds in the root of the MIP before its
first good plan (docs/performance.md). The LP relaxation takes about ten seconds, and small
MIPs around its solution find a plan within a few per cent of the LP bound in a few more:
RENS-like neighbourhoods (Relaxation Enforced Neighbourhood Search), run as a
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

Beside them, the *split rounding* (neighbourhood 0): neighbourhood 2's box with `units`
continuous, a MIP over the infrastructure only, then whole units with the infrastructure it
chose fixed (when they cannot fit it, with up to one more block of each design, site and year:
large-50site at a 30 s limit, the first run stopped at its time limit, 1.8 s, with blocks that
whole units cannot fill; with one more allowed, a plan 6.8 % above the LP bound after 6 s more).
Each is a smaller MIP than neighbourhood 2 (after presolve, large-50site's
neighbourhood 2 has 3,539 columns, 2,220 of them integer; the scaled 50 x 15's second split
run has 1,420, 686 of them integer), and HiGHS's root work, which dominates there, shrinks
with them (large-50site, around the derated LP: the split's plan 2.0 % above the LP bound
after 2.6 + 4.3 s, against neighbourhood 2's 3.5 % after 8.6 s and 1.9 % after 16.5 s;
docs/performance.md).

A neighbourhood that runs out of its time gives way to the next. The order: neighbourhood 1,
then the split rounding, around the LP, then around the *derated LP*; then neighbourhoods 2
and 3 around the LP, then around the derated LP. Neighbourhood 1, when it has a plan, has it
soonest (hyperscale-10site at 30 s: the first plan after 2.6 s with neighbourhood 1 first,
after 5.5 s with the split rounding first; the same plan at the end). The derated LP is the LP with every capacity row the model names
(`Staging.derate`: the grid limits) narrowed by its largest item (a block at the site's
highest PUE), warm-started from the LP's basis. The LP fills a grid limit to the last MW with
fractional blocks; whole blocks then fit only at sites the LP did not open, which every
neighbourhood keeps closed (large-50site: nothing around the LP, the split rounding feasible
around the derated LP, whose objective is 0.02 % higher).

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

LP_SHARE = 0.85
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

SPLIT_UNITS_SHARE = 1.0
"""Under a time limit, the share of the time left the split rounding's second run may take (it
is the one that gives the plan; at 50 x 15 its first plan comes 2-3 s in: docs/performance.md)."""

NEIGHBOURHOOD_GAP = 0.01
"""Relative gap a neighbourhood MIP stops at (against its own bound), unless the solve's is looser."""

FIRST_PASS = (1, 0)
SECOND_PASS = (2, 3)
"""The construction's attempts (0: the split rounding, 1-3: the neighbourhoods): the first pass
around the LP, then around the derated LP, then the second pass around each."""

RunFn = Callable[..., Run]
"""`run(name, time_limit, gap, relax=None, bounds=None, node_limit=None, edit=None, basis=None,
keep_basis=False) -> Run`: one guarded HiGHS run (`HighsSession.run`)."""

INFRASTRUCTURE = "rounded infrastructure"
"""Name of the split rounding's first run (units continuous)."""

RELAXATIONS = ("lp", "derated lp", INFRASTRUCTURE)
"""Names of the construction's runs whose solutions are not plans."""


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
    """Solve the LP relaxation, then round it (module docstring): `FIRST_PASS` around the LP's
    solution, then around the derated LP's, then `SECOND_PASS` around each, until one has a
    plan. `left(share)`: that share of the seconds left (None without a limit)."""
    lp_run = run("lp", left(LP_SHARE), gap, relax=families.integer, keep_basis=True)
    out = Construction(lp_run)
    if lp_run.x is None or lp_run.status != highspy.HighsModelStatus.kOptimal:
        return out
    limit_s = max(NEIGHBOURHOOD_MIN_S, NEIGHBOURHOOD_LP_FACTOR * lp_run.seconds)

    def rounded(x: np.ndarray | None, derated: bool, kinds: tuple[int, ...]) -> bool:
        if x is None:
            return False
        done = _round(run, lp, families, x, left, limit_s, gap, out, kinds)
        out.derated = out.x is not None and derated
        return done

    if rounded(lp_run.x, False, FIRST_PASS):
        return out
    derated = _derated_lp(run, lp, families, left, gap, lp_run)
    if rounded(derated, True, FIRST_PASS) or rounded(lp_run.x, False, SECOND_PASS):
        return out
    rounded(derated, True, SECOND_PASS)
    return out


def _derated_lp(run: RunFn, lp: highspy.HighsLp, families: Families, left: Callable[[float], float | None],
                gap: float, lp_run: Run) -> np.ndarray | None:
    """The derated LP's solution (module docstring), warm-started from the LP's basis; None when
    the model names no capacity rows to narrow, or when it is not optimal."""
    edit = derating(lp, families.derate, families.fixed)
    if edit is None:
        return None
    derated = run("derated lp", left(LP_SHARE), gap, relax=families.integer, edit=edit, basis=lp_run.basis)
    return derated.x if derated.status == highspy.HighsModelStatus.kOptimal else None


def _round(run: RunFn, lp: highspy.HighsLp, families: Families, x: np.ndarray,
           left: Callable[[float], float | None], limit_s: float, gap: float, out: Construction,
           kinds: tuple[int, ...]) -> bool:
    """The attempts `kinds` (0: the split rounding, 1-3: the neighbourhoods) in turn around
    `x`, until one has a plan (kept in `out`); True when one had, or when no further run may
    start (Ctrl-C, the deadline)."""
    boxes = list(neighbourhoods(lp, families, x))
    gap = max(gap, NEIGHBOURHOOD_GAP)
    can_split = families.units.size and (families.fixed.size or families.flexible.size)

    def limit(share: float = NEIGHBOURHOOD_SHARE) -> float | None:
        seconds = left(share)
        return None if seconds is None else min(limit_s, seconds)

    def attempts():
        for k in kinds:
            if k:
                yield k, run("rounded", limit(), gap, bounds=boxes[k - 1], node_limit=NEIGHBOURHOOD_NODES)
            elif can_split:
                yield 0, _split(run, lp, families, boxes[1], limit, gap)

    for k, attempt in attempts():
        if attempt.x is not None:
            objective = _objective_if_feasible(lp, attempt.x)
            if objective is not None:
                out.x, out.objective, out.neighbourhood = attempt.x, objective, k
                return True
        if not attempt.ran or attempt.abandoned or attempt.status == highspy.HighsModelStatus.kInterrupt:
            return True  # Ctrl-C, the deadline, or a run that did not stop: no further run
        # infeasible, out of its time or nodes, or a plan that fails the check: the next one
    return False


def _split(run: RunFn, lp: highspy.HighsLp, families: Families, box: tuple, limit: Callable[..., float | None],
           gap: float) -> Run:
    """The split rounding (module docstring): the infrastructure chosen in `box` with `units`
    continuous, then whole units with that infrastructure fixed; when they cannot fit it
    (proven in presolve, in under a second), with up to one more block (`flexible`) of each
    design, site and year. The first run's solution is not a plan: when it has none, it is
    returned as it is."""
    infrastructure = run(INFRASTRUCTURE, limit(), gap, relax=families.units, bounds=box,
                         node_limit=NEIGHBOURHOOD_NODES)
    if infrastructure.x is None:
        return infrastructure
    cols = np.union1d(families.fixed, families.flexible)
    at = np.round(infrastructure.x[cols])
    whole = run("rounded", limit(SPLIT_UNITS_SHARE), gap, bounds=(cols, at, at), node_limit=NEIGHBOURHOOD_NODES)
    if whole.status != highspy.HighsModelStatus.kInfeasible or not families.flexible.size:
        return whole
    more = np.minimum(at + np.isin(cols, families.flexible), np.array(lp.col_upper_)[cols])
    return run("rounded", limit(SPLIT_UNITS_SHARE), gap, bounds=(cols, at, more), node_limit=NEIGHBOURHOOD_NODES)


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
