"""The staged solve: a strategy over single HiGHS runs (`HighsSession.run`), described in
`HighsSession` and docs/formulation.md.

0. *lp* and *rounded*: the LP relaxation and a plan rounded from it (:mod:`.incumbent`),
   unless a start plan is given (a sweep's previous point).
1. *relaxed*, 2. *purchases*, 3. *full*, each with the best plan so far as incumbent;
   under a time limit too short for *full*, *polish*: the best plan's sites and fabrics
   kept, its blocks and purchases free, for the time left. Models under
   `DIRECT_MAX_COLUMNS` columns go from 0 straight to *full* when no time limit, or at
   least `DIRECT_MIN_LEFT_S` seconds, is left.

Every run is guarded by the solve's `Clock` (the deadline less a reserve, and Ctrl-C): after
Ctrl-C or an abandoned run no further run starts, and the best plan so far is the answer.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..status import Status
from .deadline import Deadline
from .highs import (
    DIRECT_MAX_COLUMNS,
    DIRECT_MIN_LEFT_S,
    Clock,
    Incumbent,
    OnPlan,
    Run,
    SolveOptions,
    SolveOutcome,
    StageReport,
    _gap,
    _objective_if_feasible,
    termination_of,
)
from .incumbent import RELAXATIONS, Families, construct, integer_columns

if TYPE_CHECKING:
    from .highs import HighsSession

POLISH_MIN_S = 5.0
"""Seconds left, at least, for the polish run (the time a time limit leaves when the full stage
cannot use it); with less the solve stops early."""


def solve_staged(session: HighsSession, options: SolveOptions, start: np.ndarray | None = None,
                 deadline: Deadline | None = None, on_plan: OnPlan | None = None) -> SolveOutcome:
    deadline = deadline if deadline is not None else Deadline(options.time_limit_s)
    clock = Clock(deadline)
    log = io.StringIO()
    stages: list[StageReport] = []
    t0 = time.perf_counter()
    if deadline.expired():  # spent before the solver: no hand-off either
        return _outcome(Status.time_limit, None, stages, log, 0.0, t0)
    try:
        handoff_s = session.ensure_instance()
    except KeyboardInterrupt:
        return _outcome(Status.interrupted, None, stages, log, 0.0, t0)
    t0 = time.perf_counter()  # solve_s counts after the hand-off, as before
    clock.reserve = session.reserve_s(deadline)
    lp = session.lp
    best = Incumbent(lp, deadline, on_plan)
    state = _Staged(session, options, clock, log, best, stages)
    try:
        termination = state.solve(start)
    except KeyboardInterrupt:  # outside a HiGHS run (those catch it themselves)
        clock.interrupted = True
        termination = Status.interrupted
    session.last_plan = best.x
    return _outcome(termination, best, stages, log, handoff_s, t0, state.stopped_early)


def _outcome(termination: Status, best: Incumbent | None, stages: list[StageReport], log: io.StringIO,
             handoff_s: float, t0: float, stopped_early: bool = False) -> SolveOutcome:
    has_plan = best is not None and best.x is not None
    bound = best.bound if best is not None else None
    gap = _gap(best.objective, bound) if has_plan and bound is not None else None
    return SolveOutcome(
        termination=termination,
        has_plan=has_plan,
        objective=best.objective if has_plan else None,
        bound=bound,
        gap=gap,
        handoff_s=handoff_s,
        solve_s=time.perf_counter() - t0,
        highs_status=stages[-1].highs_status if stages else "not run",
        log=log.getvalue(),
        stages=stages,
        stopped_early=stopped_early,
    )


class _Staged:
    def __init__(self, session: HighsSession, options: SolveOptions, clock: Clock, log: io.StringIO,
                 best: Incumbent, stages: list[StageReport]) -> None:
        self.session, self.options, self.clock, self.log = session, options, clock, log
        self.best, self.stages = best, stages
        self.stopped_early = False

    # ---------------------------------------------------------------- helpers

    def left(self, share: float = 1.0) -> float | None:
        return self.clock.left(share)

    def run(self, name: str, time_limit: float | None, gap: float, plans: bool = True, **kw: Any) -> Run:
        return self.session.run(self.options, self.clock, time_limit, gap, self.log,
                                incumbent=self.best if plans else None, name=name, **kw)

    def record(self, name: str, run: Run, global_bound: bool = True, plan: bool = True) -> Status:
        if run.ran:
            self.stages.append(StageReport(name, self.session.highs.modelStatusToString(run.status),
                                           run.objective, run.bound, run.seconds))
        if global_bound:
            self.best.raise_bound(run.bound)
        if plan and run.has_plan:
            self.best.offer(run.x, run.objective, name)
        return termination_of(run.status)

    def within_gap(self) -> bool:
        b = self.best
        return b.objective is not None and b.bound is not None and _gap(b.objective, b.bound) <= self.options.mip_gap

    def termination(self, last: Status, infeasible: bool) -> Status:
        full = bool(self.stages) and self.stages[-1].name == "full"
        if infeasible or (full and last is Status.infeasible and self.best.x is None):
            return Status.infeasible  # the relaxation, or the whole MIP, has no plan
        if self.clock.interrupted:
            return Status.interrupted
        full_optimal = full and last is Status.optimal
        if self.best.x is not None and (self.within_gap() or full_optimal):
            return Status.optimal
        if self.clock.deadline.limited:
            return Status.time_limit
        return last

    # ---------------------------------------------------------------- the stages

    def solve(self, start: np.ndarray | None) -> Status:
        s, options = self.session, self.options
        units = s.columns(s.staging.units)
        fixed = s.columns(s.staging.fixed)
        flexible = s.columns(s.staging.flexible)
        if start is not None:
            objective = _objective_if_feasible(self.best.lp, start)
            if objective is None:
                start = None
            else:
                self.best.offer(start, objective, "start")
        if not (options.staged and units.size and (fixed.size or flexible.size)):
            return self._full_only(start)
        if start is None:
            loose = s.columns(s.staging.loose)
            families = Families(units, np.setdiff1d(fixed, loose), np.union1d(flexible, loose),
                                integer_columns(self.best.lp), s.row_indices(s.staging.derate))
            made = construct(self._construction_run, self.best.lp, families, self.left, options.mip_gap)
            if made.infeasible:
                return Status.infeasible
            if made.x is not None:
                self.best.offer(made.x, made.objective, "rounded")
            if self.within_gap() or self.clock.over():
                return self.termination(Status.time_limit, False)
        return self._stages(units, fixed, flexible)

    def _full_only(self, start: np.ndarray | None) -> Status:
        """The whole MIP in one run with the time left, from `start` (no relaxed or purchases stage)."""
        return self.termination(self.record("full", self.run("full", self.left(), self.options.mip_gap,
                                                             start=start)), False)

    def _construction_run(self, name: str, time_limit: float | None, gap: float, **kw: Any) -> Run:
        run = self.run(name, time_limit, gap, plans=name not in RELAXATIONS, **kw)
        # the LP relaxation's objective bounds the MIP; a neighbourhood's or the derated LP's does not
        self.record(name, run, global_bound=name == "lp", plan=False)
        return run

    def _stages(self, units: np.ndarray, fixed: np.ndarray, flexible: np.ndarray) -> Status:
        options, best = self.options, self.best
        left = self.left()
        if best.lp.num_col_ < DIRECT_MAX_COLUMNS and (left is None or left >= DIRECT_MIN_LEFT_S):
            return self._full_only(best.x)
        relaxed = self.run("relaxed", self.left(0.6), options.mip_gap, plans=False, relax=units, start=best.x)
        last = self.record("relaxed", relaxed, plan=False)
        relaxed_infeasible = last is Status.infeasible
        # a plan already within the gap of the relaxed stage's bound is the answer: no purchases stage
        if relaxed.has_plan and not self.within_gap() and not self.clock.over():
            def at_stage1(slack: float | None) -> tuple:
                """Infrastructure as in stage 1: `fixed` columns at their values, `flexible`
                ones from their value up to `slack` more (None: free)."""
                lo_fixed = np.round(relaxed.x[fixed])
                if slack is None:
                    return fixed, lo_fixed, lo_fixed
                lo_flex = np.round(relaxed.x[flexible])
                return (np.concatenate([fixed, flexible]), np.concatenate([lo_fixed, lo_flex]),
                        np.concatenate([lo_fixed, lo_flex + slack]))

            # whole units may not fit the halls stage 1 built for fractional ones: then allow
            # up to one more block of each design, site and year than stage 1, then any number.
            # An attempt that cannot fit is proven infeasible in presolve, in well under a
            # second; one that can gets most of the time (its plans improve with it)
            attempts = ((0.7, 0.0), (0.85, 1.0), (1.0, None)) if flexible.size else ((1.0, None),)
            gap2 = _stage2_gap(options.mip_gap, relaxed.objective, best.bound)
            for share, slack in attempts:
                run = self.run("purchases", self.left(share), gap2, bounds=at_stage1(slack), start=None)
                last = self.record("purchases", run, global_bound=False)
                if run.has_plan or self.clock.over() or not flexible.size:
                    break
        # the whole MIP with the time left. HiGHS's root separation can overrun a limit at
        # scale: warm-started (a cutoff) by minutes (large-50site, 71 s left: 146 s), cold by
        # a minute (20 s left: 97 s). So under a limit, with a plan, it runs only with at least
        # the relaxed stage's time left, and warm only with ten times that
        limited = self.clock.deadline.limited
        easy = (termination_of(relaxed.status) is Status.optimal
                and (self.left() or 0.0) >= 10 * relaxed.seconds)
        warm = not limited or easy
        room = not limited or best.x is None or (self.left() or 0.0) >= relaxed.seconds
        if not (relaxed_infeasible or self.within_gap() or self.clock.over()):
            if room:
                last = self.record("full", self.run("full", self.left(), options.mip_gap,
                                                    start=best.x if warm else None))
            elif fixed.size and (self.left() or 0.0) >= POLISH_MIN_S:  # without `fixed`: the full MIP
                last = self._polish(fixed)
                self.stopped_early = not self.clock.over()
            else:
                self.stopped_early = True
        return self.termination(last, relaxed_infeasible)

    def _polish(self, fixed: np.ndarray) -> Status:
        """The time the full stage cannot use, spent around the best plan: its sites, fabrics,
        upgrades and routes (`fixed`) kept, blocks and purchases free, started from it. Its
        bound holds for that neighbourhood only, not for the MIP."""
        x = self.best.x
        at_plan = (fixed, np.round(x[fixed]), np.round(x[fixed]))
        run = self.run("polish", self.left(), self.options.mip_gap, bounds=at_plan, start=x)
        return self.record("polish", run, global_bound=False)


def _stage2_gap(gap: float, relaxed_objective: float | None, bound: float | None) -> float:
    """Relative gap for the purchases stage: tight enough that a plan proven within it of
    the relaxed plan's cost (about the stage's own bound) is within `gap` of the global
    `bound`, and never looser than half of `gap`.

    A plan P is within `gap` of the bound B when P <= B / (1 - gap); stage 2 stops at
    P <= L / (1 - g2), L its own bound, which starts near the relaxed objective R; with
    L = R that gives g2 = 1 - R (1 - gap) / B (L above R is what stage 2 cannot avoid).
    When R itself is not within `gap` of B, stage 2 aims at a tenth of `gap`.
    """
    half = max(gap / 2, 1e-9)
    if relaxed_objective is None or bound is None or bound <= 0 or relaxed_objective <= 0:
        return half
    needed = 1 - relaxed_objective * (1 - gap) / bound
    return min(half, max(needed, gap / 10, 1e-9))
