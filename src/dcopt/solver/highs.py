"""Hand the Pyomo model to HiGHS and report, as typed facts, why it stopped
and whether a plan exists.

The model goes to HiGHS as one matrix (:mod:`.handoff`), kept in a
`HighsSession` so that a sweep can change parameters and hand the numbers
over again without rebuilding. Solutions are loaded only when HiGHS reports
a primal feasible one.

One HiGHS run (`HighsSession.run`) is guarded by the command's `Deadline` and
by Ctrl-C; the staged solve that chains runs is in :mod:`.staged`, the plan
constructed before it in :mod:`.incumbent`.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pydantic import BaseModel, ConfigDict, Field

from ..status import Status
from .deadline import Deadline
from .handoff import HandOff, hand_over, updated

DIRECT_MAX_COLUMNS = 5000
"""Models with fewer columns go from the rounded plan straight to the full MIP (no relaxed and
purchases stages): HiGHS alone is fast there, and the stages cost more than they save. Measured
(one thread, gap 0.5 %, three seeds; docs/performance.md): frontier-multidc (1,067 columns)
12-22 s against 23-28 s staged, enterprise-private-ai (1,832) 8-10 s against 13-15 s,
power-first (1,808) 16-22 s against 15-16 s; at the default gap quickstart, brownfield-refresh
and power-capped 3.9, 15.8 and 18.9 s against 6.4, 26.6 and 20.3 s. Above it the stages pay:
inference-boom-or-bust (7,515) reaches 0.60 % at 120 s against HiGHS alone's 0.83 %."""

DIRECT_MIN_LEFT_S = 30.0
"""Models under `DIRECT_MAX_COLUMNS` go straight to the full MIP only with no time limit, or with
at least this many seconds left after the rounded plan: under a shorter limit the stages reach
a smaller gap first. At a 10 s limit (default gap)
brownfield-refresh, power-capped and power-first ended 14.26, 4.45 and 2.79 % from the bound
straight to the full MIP against 0.17, 0.09 and 0.27 % staged; at 30 s both are optimal."""


class SolveOptions(BaseModel):
    """Options of one solve. The defaults here are the only place they are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_limit_s: float | None = Field(
        None, gt=0,
        description="Wall-clock limit of the whole solve, seconds (reading, building, hand-off, solving, "
        "checking; the CLI's clock also covers writing): the best plan found by then is returned. "
        "None (the default): no limit.",
    )
    mip_gap: float = Field(1e-4, ge=0, description="Relative MIP gap at which HiGHS stops.")
    threads: int | None = Field(None, ge=1, description="HiGHS threads; HiGHS's own choice by default.")
    random_seed: int = Field(0, ge=0, description="HiGHS random seed (solves are deterministic for a given seed).")
    log: bool = Field(False, description="Stream the HiGHS log to stderr.")
    allow_unmet_usd_per_perf: float | None = Field(
        None, ge=0,
        description="Let demand go unmet at this price per unit of throughput per year (discounted); "
        "the plan then reports the shortfall instead of failing. None: demand must be met (SPEC).",
    )
    diagnose: bool = Field(True, description="Explain an infeasible instance with elastic re-solves.")
    max_emissions_t: float | None = Field(
        None, ge=0,
        description="Cap on the plan's emissions over the horizon, t CO2 (with scenarios, the expected "
        "emissions): the cheapest plan that emits no more. None: no cap (SPEC).",
    )
    staged: bool = Field(
        True,
        description="Solve in stages: a plan rounded from the LP relaxation first, then with unit "
        "purchases relaxed (a valid bound and the infrastructure), then purchases integer with that "
        "infrastructure, then the full MIP warm-started if the gap is still above mip_gap; models "
        f"under {DIRECT_MAX_COLUMNS:,} columns go from the rounded plan straight to the full MIP "
        f"(with no time limit, or at least {DIRECT_MIN_LEFT_S:g} s left). "
        "False: one full MIP run.",
    )


Termination = Status
"""Former name of `dcopt.status.Status` (why HiGHS stopped is a `Status` too)."""


_STATUS = {
    highspy.HighsModelStatus.kOptimal: Status.optimal,
    highspy.HighsModelStatus.kInfeasible: Status.infeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: Status.infeasible,
    highspy.HighsModelStatus.kUnbounded: Status.unbounded,
    highspy.HighsModelStatus.kTimeLimit: Status.time_limit,
    highspy.HighsModelStatus.kInterrupt: Status.interrupted,
}


POLL_S = 0.05
"""How often the thread waiting for a HiGHS run looks at the clock (and lets Ctrl-C in)."""

STOP_GRACE_S = 1.5
"""After asking a HiGHS run to stop (deadline or Ctrl-C), seconds it is given before it is
abandoned: HiGHS 1.15 checks interrupts only between steps of its MIP search, and a root LP
or a sub-MIP heuristic at scale ignores them (and its time limit) for up to a minute
(docs/performance.md). An abandoned run keeps its thread until HiGHS notices; its best plan,
seen through the improving-solution callback, is kept. A second Ctrl-C abandons at once."""

RESERVE_S = 0.25
RESERVE_S_PER_COLUMN = 7e-5
RESERVE_SHARE = 0.2
"""Under a time limit, the solver stops this long before the deadline, to leave time for
extraction, the independent check and writing (measured: 0.6 s at 35k columns, 0.05 s at 1k)
and, at scale, for a run that must be abandoned: `RESERVE_S` + `RESERVE_S_PER_COLUMN` per
column (2.7 s at 35k columns, 0.3 s at 1k), at most `RESERVE_SHARE` of the limit. Small
models stop within milliseconds when asked."""

MIP_ABS_GAP = 1e-9
"""HiGHS's absolute gap, in model units (M$): 0.001 USD. Its default (1e-6, i.e. 1 USD) would
let a small instance stop at a relative gap far above `mip_gap`."""


def termination_of(model_status: Any) -> Status:
    """Map a HiGHS model status to a `Status` (anything unexpected is an error)."""
    return _STATUS.get(model_status, Status.error)


@dataclass
class StageReport:
    """One HiGHS run of a solve."""

    name: str
    highs_status: str
    objective: float | None
    bound: float | None
    seconds: float


@dataclass
class SolveOutcome:
    """What a solve produced. `has_plan` is independent of `termination`."""

    termination: Status
    has_plan: bool
    objective: float | None  # model units (M$)
    bound: float | None
    gap: float | None
    handoff_s: float
    solve_s: float
    highs_status: str
    log: str = ""
    stages: list[StageReport] = field(default_factory=list)
    stopped_early: bool = False  # before the time limit: too little time left for the full stage
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def without_run(cls, termination: Status) -> SolveOutcome:
        """Stopped before HiGHS ran (deadline passed, or Ctrl-C, while building the model)."""
        return cls(termination=termination, has_plan=False, objective=None, bound=None, gap=None,
                   handoff_s=0.0, solve_s=0.0, highs_status="not run")


@dataclass(frozen=True)
class PlanFound:
    """A better plan than any before it, as the solve goes (for progress reports)."""

    objective: float  # model units (M$)
    bound: float | None  # the best bound known then, model units
    seconds: float  # since the deadline's start (the command's start in the CLI)
    source: str  # the stage or step that found it


OnPlan = Callable[[PlanFound], None]


def highs_version() -> str:
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


@dataclass
class Run:
    """One HiGHS run: its status, plan (column values) and bound."""

    status: Any
    has_plan: bool
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float
    abandoned: bool = False  # did not stop when asked; its plan is the last one it reported
    ran: bool = True  # False: not started (the deadline had passed, Ctrl-C, or a run abandoned)
    basis: Any = None  # the final simplex basis, when asked for (`keep_basis`) and the run finished


class Clock:
    """The deadline of one solve, less the reserve kept for what follows the solver, and
    whether Ctrl-C was pressed or a run abandoned (then no further run starts)."""

    def __init__(self, deadline: Deadline, reserve: float = 0.0) -> None:
        self.deadline = deadline
        self.reserve = reserve
        self.interrupted = False
        self.abandoned = False

    def left(self, share: float = 1.0) -> float | None:
        left = self.deadline.left(self.reserve)
        return None if left is None else share * left

    def stop_at(self) -> float | None:
        return None if self.deadline.at is None else self.deadline.at - self.reserve

    def over(self) -> bool:
        """No further run: Ctrl-C, an abandoned run, or the deadline (less the reserve) passed."""
        return self.interrupted or self.abandoned or self.deadline.expired(self.reserve)


class Incumbent:
    """The best plan of a solve so far (column values and objective), offered by any thread;
    `on_plan` hears of each improvement."""

    def __init__(self, lp: highspy.HighsLp, deadline: Deadline, on_plan: OnPlan | None = None) -> None:
        self.lp = lp
        self.deadline = deadline
        self.on_plan = on_plan
        self.x: np.ndarray | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self._lock = threading.Lock()

    def offer(self, x: np.ndarray, objective: float, source: str) -> bool:
        with self._lock:
            if self.objective is not None and objective >= self.objective - IMPROVEMENT_TOL * abs(self.objective):
                return False
            self.x, self.objective = x, objective
            found = PlanFound(objective, self.bound, self.deadline.elapsed(), source)
        if self.on_plan is not None:
            self.on_plan(found)
        return True

    def raise_bound(self, bound: float | None) -> None:
        if bound is not None and np.isfinite(bound):
            self.bound = bound if self.bound is None else max(self.bound, bound)


IMPROVEMENT_TOL = 1e-9
"""A plan replaces the best one only when cheaper by more than this (relative)."""


_ABANDONED: list[tuple[highspy.Highs, threading.Thread]] = []
"""HiGHS runs abandoned while still running. highspy runs one solve at a time per process
(its worker lock is shared by all `Highs` objects), so the next run waits for these."""


def _wait_for_abandoned() -> None:
    while _ABANDONED:
        h, thread = _ABANDONED[0]
        h.cancelSolve()
        thread.join()
        _ABANDONED.pop(0)


def _wait_guarded(h: highspy.Highs, thread: threading.Thread, clock: Clock) -> bool:
    """Wait for the HiGHS run in `thread`; ask it to stop at the deadline (less the reserve) or
    on Ctrl-C, and abandon it if it has not stopped `STOP_GRACE_S` later (at once on a second
    Ctrl-C). Returns True if abandoned. Never prints: highspy's own `joinSolve` writes to stdout."""
    asked_at: float | None = None
    while True:
        try:
            done, _ = h.wait(POLL_S)
            if done:
                return False
            now = time.perf_counter()
            stop_at = clock.stop_at()
            if asked_at is None and (clock.interrupted or (stop_at is not None and now >= stop_at)):
                h.cancelSolve()
                asked_at = now
            if asked_at is not None and now - asked_at >= STOP_GRACE_S:
                break
        except KeyboardInterrupt:
            h.cancelSolve()
            if clock.interrupted:  # the second Ctrl-C
                break
            clock.interrupted = True
            asked_at = time.perf_counter()
    clock.abandoned = True
    _ABANDONED.append((h, thread))
    return True


@dataclass(frozen=True)
class Staging:
    """What a staged solve relaxes and fixes (see `HighsSession`).

    `units`: integer families relaxed to continuous in stage 1.
    `fixed`: families fixed to their stage-1 values in stage 2.
    `flexible`: families fixed in stage 2's first try and freed in its second.
    `loose`: `fixed` families that the plan rounded from the LP (:mod:`.incumbent`) treats as
    `flexible` (routes: an LP that splits a job over fractional homes lights none).
    `derate`: capacity rows (constraint families) that the derated LP of :mod:`.incumbent`
    narrows by one of their largest items, so that whole items fit what it sized.
    """

    units: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    flexible: tuple[str, ...] = ()
    loose: tuple[str, ...] = ()
    derate: tuple[str, ...] = ()


class HighsSession:
    """A model handed to HiGHS (once, and again when its numbers change), and the (staged) solve.

    The hand-off (:mod:`.handoff`) gives a master highspy model, never
    changed by a solve, and the maps from Pyomo variables to its columns and
    from constraints to its rows. Each
    run works on a fresh highspy copy of it (HiGHS 1.x counts `time_limit`
    against an object's cumulative run time, and re-runs of one object
    overran their limits several times over: measured in
    docs/performance.md), through highspy's `solve()`, which runs HiGHS in a
    worker thread (`startSolve`), watched by the calling thread: at the
    deadline or on Ctrl-C it asks HiGHS to stop (`cancelSolve`, a user
    interrupt) and abandons the run if HiGHS does not stop soon after
    (`STOP_GRACE_S`); the best plan HiGHS reported is kept either way.

    Staged solve: a plan's difficulty is in its infrastructure (sites,
    blocks, fabrics); unit purchases are fine grained and nearly continuous.

    1. *relaxed*: purchases and retirements continuous. Its dual bound is a
       valid lower bound of the real MIP; its plan gives the infrastructure.
    2. *purchases*: purchases integer again with the stage-1 infrastructure
       fixed; if that has no plan (whole units need other blocks, e.g. under
       a grid cap), with sites and fabrics fixed and blocks free.
    3. *full*: if the plan is not within `mip_gap` of the best bound, the
       full MIP warm-started from it. Under a time limit only when no plan
       was found, or when stage 1 proved its gap early and at least as much
       time is left as it took: at scale HiGHS 1.15 spends minutes in root cut separation
       once it has a cutoff, ignoring both its time limit and interrupts
       (measured: 115 s for a 20 s limit), and in the time left its bound
       rarely beats stage 1's.

    The gap reported is the plan's against the best bound of all stages.
    Before stage 1 a plan is rounded from the LP relaxation (:mod:`.incumbent`), so that a
    plan exists early at any scale; it is every later stage's incumbent.
    """

    def __init__(self, model: pyo.ConcreteModel, staging: Staging | None = None) -> None:
        self.model = model
        self._handoff: HandOff | None = None
        self._changed = False  # the model's numbers changed since the hand-off
        self.staging = staging or Staging()
        self.last_plan: np.ndarray | None = None  # column values of the last plan found

    @property
    def handed_over(self) -> bool:
        return self._handoff is not None

    def ensure_instance(self) -> float:
        """Hand the model to HiGHS once, and again after `numbers_changed`; return the seconds
        it took."""
        if self._handoff is not None and not self._changed:
            return 0.0
        t0 = time.perf_counter()
        old = self._handoff
        if old is not None and old.route == "persistent":
            self._handoff = updated(old)
        else:  # a first change moves the session to the persistent interface (see .handoff)
            self._handoff = hand_over(self.model, persistent=old is not None)
            if old is not None and self.last_plan is not None:
                self.last_plan = self._carried(old, self.last_plan)
        self._changed = False
        return time.perf_counter() - t0

    def numbers_changed(self) -> None:
        """The model's parameters changed (a sweep's next point): the next `ensure_instance`
        hands the new numbers over, and the last plan follows its variables to their columns."""
        self._changed = self._handoff is not None

    def _carried(self, old: HandOff, x: np.ndarray) -> np.ndarray:
        """Column values `x` of the hand-off `old`, in this hand-off's columns (a column new
        to this one: its variable's value, else 0)."""
        values = np.zeros(len(self._handoff.columns))
        for j, var in enumerate(self._handoff.columns):
            i = old.column.get(id(var))
            if i is not None:
                values[j] = x[i]
            elif var is not None and var.value is not None:
                values[j] = var.value
        return values

    @property
    def highs(self) -> highspy.Highs:
        """The master highspy model (for export; solves run on copies of it)."""
        self.ensure_instance()
        return self._handoff.highs

    @property
    def lp(self) -> highspy.HighsLp:
        """The master model's `HighsLp` (read once per hand-off)."""
        self.ensure_instance()
        return self._handoff.lp

    def column_of(self, var: Any) -> int | None:
        """HiGHS column of a Pyomo variable (None if no constraint or cost uses it)."""
        self.ensure_instance()
        return self._handoff.column.get(id(var))

    def rows(self) -> Iterator[tuple[Any, int]]:
        """(Pyomo constraint, HiGHS row) of every row handed to HiGHS."""
        self.ensure_instance()
        return iter(self._handoff.row.items())

    def row_indices(self, families: tuple[str, ...]) -> np.ndarray:
        """HiGHS rows of the constraints named `families`, in the model and in its blocks."""
        wanted = set(families)
        return np.array(sorted(r for con, r in self.rows() if con.parent_component().local_name in wanted),
                        dtype=np.int32)

    def columns(self, families: tuple[str, ...]) -> np.ndarray:
        """HiGHS columns of the variables named `families`, in the model and in its blocks
        (one per scenario case); a family the model lacks has none."""
        wanted = set(families)
        cols = [self.column_of(v) for var in self.model.component_objects(pyo.Var, descend_into=True)
                if var.local_name in wanted for v in var.values()]
        return np.array(sorted(c for c in cols if c is not None), dtype=np.int32)

    # ------------------------------------------------------------------ runs

    def run(self, options: SolveOptions, clock: Clock, time_limit: float | None, gap: float, log: io.StringIO,
            relax: np.ndarray | None = None, bounds: tuple | None = None, start: np.ndarray | None = None,
            incumbent: Incumbent | None = None, name: str = "", node_limit: int | None = None,
            edit: Callable[[highspy.Highs], None] | None = None, basis: Any = None,
            keep_basis: bool = False) -> Run:
        """One HiGHS run on a fresh copy of the model: `relax` columns continuous, `bounds`
        (columns, lower, upper) changed, `edit(copy)` applied (e.g. rows changed), `start` as
        the first incumbent, `basis` as the starting simplex basis (an LP), at most `node_limit`
        branch-and-bound nodes (a limit HiGHS counts itself, the same on any machine);
        `keep_basis`: the finished run's basis in `Run.basis`. Plans
        found on the way are offered to `incumbent` (leave it None when `relax` makes them not
        plans). No run starts once `clock.over()`; one that runs is guarded by it
        (`_wait_guarded`)."""
        _wait_for_abandoned()
        if clock.over() or (time_limit is not None and time_limit <= 0):
            status = highspy.HighsModelStatus.kInterrupt if clock.interrupted else highspy.HighsModelStatus.kTimeLimit
            return Run(status, False, None, None, None, 0.0, ran=False)
        h = self._copy(options, time_limit, gap, relax, bounds, start, node_limit)
        if edit is not None:
            edit(h)
        if basis is not None:
            h.setBasis(basis)
        seen: dict[str, Any] = {"x": None, "objective": None, "bound": None, "open": True}
        lock = threading.Lock()

        def on_log(event: Any) -> None:
            log.write(event.message)
            if options.log:
                sys.stderr.write(event.message)

        def on_solution(event: Any) -> None:  # in HiGHS's thread
            x = np.array(event.data_out.mip_solution)
            objective = float(event.data_out.objective_function_value)
            with lock:
                if not seen["open"]:
                    return
                seen["x"], seen["objective"] = x, objective
            if incumbent is not None:
                incumbent.offer(x, objective, name)

        def on_check(event: Any) -> None:  # in HiGHS's thread, at each check of its limits
            seen["bound"] = float(event.data_out.mip_dual_bound)

        h.cbLogging += on_log
        h.cbMipImprovingSolution += on_solution
        h.cbMipInterrupt += on_check
        h.HandleUserInterrupt = True  # cancelSolve() interrupts (not HandleKeyboardInterrupt: it prints)
        t0 = time.perf_counter()
        abandoned = _wait_guarded(h, h.startSolve(), clock)
        seconds = time.perf_counter() - t0
        with lock:
            seen["open"] = False  # an abandoned run's later plans are not this solve's
        if abandoned:
            status = highspy.HighsModelStatus.kInterrupt if clock.interrupted else highspy.HighsModelStatus.kTimeLimit
            x, objective, bound = seen["x"], seen["objective"], seen["bound"]
            if bound is not None and not np.isfinite(bound):
                bound = None
            return Run(status, x is not None, x, objective, bound, seconds, abandoned=True)
        h.cbLogging -= on_log
        h.cbMipImprovingSolution -= on_solution
        h.cbMipInterrupt -= on_check
        run = _finished_run(h, seconds)
        if keep_basis and h.getBasis().valid:
            run.basis = h.getBasis()
        return run

    def _copy(self, options: SolveOptions, time_limit: float | None, gap: float, relax: np.ndarray | None,
              bounds: tuple | None, start: np.ndarray | None, node_limit: int | None) -> highspy.Highs:
        """A fresh highspy copy of the model with the run's changes and options (see `run`)."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(self.lp)
        if relax is not None and relax.size:
            h.changeColsIntegrality(relax.size, relax, np.full(relax.size, highspy.HighsVarType.kContinuous))
        if bounds is not None and bounds[0].size:
            h.changeColsBounds(bounds[0].size, *bounds)
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("time_limit", max(time_limit, 0.01) if time_limit is not None else highspy.kHighsInf)
        h.setOptionValue("mip_rel_gap", gap)
        h.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
        h.setOptionValue("threads", options.threads or 0)
        h.setOptionValue("random_seed", options.random_seed)
        if node_limit is not None:
            h.setOptionValue("mip_max_nodes", node_limit)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = start.tolist()
            h.setSolution(sol)
        return h

    def reserve_s(self, deadline: Deadline) -> float:
        """Seconds kept after the solver under `deadline` (see `RESERVE_S`)."""
        if deadline.at is None:
            return 0.0
        return min(RESERVE_S + RESERVE_S_PER_COLUMN * self.highs.getNumCol(),
                   RESERVE_SHARE * (deadline.at - deadline.start))

    def solve(self, options: SolveOptions, start: np.ndarray | None = None, deadline: Deadline | None = None,
              on_plan: OnPlan | None = None) -> SolveOutcome:
        """Solve (staged unless options.staged is False) by `deadline` (by default
        options.time_limit_s from now). `start`: column values of a plan (e.g. the previous
        sweep point's), the first incumbent when still feasible. `on_plan` hears of every
        better plan as the solve goes."""
        from .staged import solve_staged

        return solve_staged(self, options, start=start, deadline=deadline, on_plan=on_plan)

    def load_plan_values(self) -> None:
        """Load the best plan into the Pyomo variables (only when a plan exists)."""
        if self.last_plan is None:
            raise RuntimeError("no plan to load")
        values = self.last_plan
        column = self._handoff.column
        for var in self.model.component_data_objects(pyo.Var, descend_into=True):
            j = column.get(id(var))
            var.set_value(float(values[j]) if j is not None else 0.0, skip_validation=True)


def _finished_run(h: highspy.Highs, seconds: float) -> Run:
    """The `Run` of a HiGHS copy that finished (not abandoned)."""
    status = h.getModelStatus()
    info = h.getInfo()
    has_plan = info.primal_solution_status == 2
    x = np.array(h.getSolution().col_value) if has_plan else None
    objective = info.objective_function_value if has_plan else None
    is_mip = info.mip_node_count >= 0
    bound = info.mip_dual_bound if is_mip else (objective if status == highspy.HighsModelStatus.kOptimal else None)
    if bound is not None and not np.isfinite(bound):
        bound = None
    return Run(status, has_plan, x, objective, bound, seconds)


def matrix_entries(lp: highspy.HighsLp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of every entry of the constraint matrix of `lp`."""
    a = lp.a_matrix_
    start = np.array(a.start_)
    nnz = int(start[-1]) if start.size else 0  # HiGHS may keep spare entries past the last start
    index, value = np.array(a.index_)[:nnz], np.array(a.value_)[:nnz]
    counts = np.diff(start)
    if a.format_ == highspy.MatrixFormat.kRowwise:
        return np.repeat(np.arange(lp.num_row_), counts), index, value
    return index, np.repeat(np.arange(lp.num_col_), counts), value


def _objective_if_feasible(lp: highspy.HighsLp, x: np.ndarray, tol: float = 1e-6) -> float | None:
    """Objective of column values `x` in `lp`, or None if they break a bound,
    a row or integrality (beyond `tol`, scaled)."""
    x = np.asarray(x, dtype=float)
    if x.size != lp.num_col_:
        return None
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    if np.any(x < lower - tol) or np.any(x > upper + tol):
        return None
    if len(lp.integrality_):
        integer = np.array([v != highspy.HighsVarType.kContinuous for v in lp.integrality_])
        if np.any(np.abs(x[integer] - np.round(x[integer])) > tol):
            return None
    rows, cols, value = matrix_entries(lp)
    activity = np.bincount(rows, weights=value * x[cols], minlength=lp.num_row_)
    row_lower, row_upper = np.array(lp.row_lower_), np.array(lp.row_upper_)
    scale = tol * np.maximum(1.0, np.abs(activity))
    if np.any(activity < row_lower - scale) or np.any(activity > row_upper + scale):
        return None
    return float(np.dot(np.array(lp.col_cost_), x) + lp.offset_)


def _gap(objective: float, bound: float) -> float:
    """HiGHS's relative gap: (objective - bound) / |objective|."""
    if objective == bound:
        return 0.0
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))
