"""Hand the Pyomo model to HiGHS and report, as typed facts, why it stopped
and whether a plan exists.

The model goes to HiGHS through Pyomo's persistent `highs` interface
(`pyomo.contrib.solver`), kept alive in a `HighsSession` so that a sweep can
change parameters and re-solve without rebuilding. Solutions are loaded only
when HiGHS reports a primal feasible one.
"""

from __future__ import annotations

import enum
import io
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pydantic import BaseModel, ConfigDict, Field
from pyomo.contrib.solver.solvers.highs import Highs


class SolveOptions(BaseModel):
    """Options of one solve. The defaults here are the only place they are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_limit_s: float | None = Field(None, gt=0, description="Wall-clock limit for HiGHS, seconds; none by default.")
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
        description="Solve in stages: first with unit purchases relaxed (a valid bound and the "
        "infrastructure), then purchases integer with that infrastructure, then the full MIP "
        "warm-started if the gap is still above mip_gap. False: one full MIP run.",
    )


class Termination(str, enum.Enum):
    """Why HiGHS stopped."""

    optimal = "optimal"  # proven within the MIP gap
    infeasible = "infeasible"
    time_limit = "time_limit"
    interrupted = "interrupted"  # Ctrl-C
    unbounded = "unbounded"
    error = "error"


_STATUS = {
    highspy.HighsModelStatus.kOptimal: Termination.optimal,
    highspy.HighsModelStatus.kInfeasible: Termination.infeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: Termination.infeasible,
    highspy.HighsModelStatus.kUnbounded: Termination.unbounded,
    highspy.HighsModelStatus.kTimeLimit: Termination.time_limit,
    highspy.HighsModelStatus.kInterrupt: Termination.interrupted,
}


INTERRUPT_GRACE_S = 10.0
"""After Ctrl-C in the first stage, seconds given to turning its plan into a real one
(a second Ctrl-C stops that too)."""

MIP_ABS_GAP = 1e-9
"""HiGHS's absolute gap, in model units (M$): 0.001 USD. Its default (1e-6, i.e. 1 USD) would
let a small instance stop at a relative gap far above `mip_gap`."""


def termination_of(model_status: Any) -> Termination:
    """Map a HiGHS model status to a `Termination` (anything unexpected is an error)."""
    return _STATUS.get(model_status, Termination.error)


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

    termination: Termination
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


def highs_version() -> str:
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


@dataclass
class _Run:
    status: Any
    has_plan: bool
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float


@dataclass(frozen=True)
class Staging:
    """What a staged solve relaxes and fixes (see `HighsSession`).

    `units`: integer families relaxed to continuous in stage 1.
    `fixed`: families fixed to their stage-1 values in stage 2.
    `flexible`: families fixed in stage 2's first try and freed in its second.
    """

    units: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    flexible: tuple[str, ...] = ()


class HighsSession:
    """A model handed to HiGHS once, and the (staged) solve.

    The hand-off goes through Pyomo's persistent `highs` interface
    (`set_instance`), which also gives the map from Pyomo variables to HiGHS
    columns; that model is the master copy, never changed by a solve. Each
    run works on a fresh highspy copy of it (HiGHS 1.x counts `time_limit`
    against an object's cumulative run time, and re-runs of one object
    overran their limits several times over: measured in
    docs/performance.md), through highspy's `solve()`, which runs HiGHS in a
    worker thread so that Ctrl-C stops it cleanly (status `interrupted`,
    best plan kept).

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
    Ctrl-C in stage 1 still runs stage 2, for at most `INTERRUPT_GRACE_S`.
    """

    def __init__(self, model: pyo.ConcreteModel, staging: Staging | None = None) -> None:
        self.model = model
        self.opt = Highs()
        self._instance_set = False
        self.staging = staging or Staging()
        self.last_plan: np.ndarray | None = None  # column values of the last plan found

    def ensure_instance(self) -> float:
        """Hand the model to HiGHS once; return the seconds it took."""
        if self._instance_set:
            return 0.0
        t0 = time.perf_counter()
        self.opt.set_instance(self.model)
        self._instance_set = True
        return time.perf_counter() - t0

    @property
    def highs(self) -> highspy.Highs:
        """The master highspy model (for export, and for parameter updates in sweeps)."""
        self.ensure_instance()
        return self.opt._solver_model

    def column_of(self, var: Any) -> int | None:
        """HiGHS column of a Pyomo variable (None if no constraint or cost uses it)."""
        return self.opt._pyomo_var_to_solver_var_map.get(id(var))

    def columns(self, families: tuple[str, ...]) -> np.ndarray:
        """HiGHS columns of the variables named `families`, in the model and in its blocks
        (one per scenario case); a family the model lacks has none."""
        wanted = set(families)
        cols = [self.column_of(v) for var in self.model.component_objects(pyo.Var, descend_into=True)
                if var.local_name in wanted for v in var.values()]
        return np.array(sorted(c for c in cols if c is not None), dtype=np.int32)

    # ------------------------------------------------------------------ runs

    def _run(self, options: SolveOptions, time_limit: float | None, gap: float, log: io.StringIO,
             relax: np.ndarray | None = None, bounds: tuple | None = None,
             start: np.ndarray | None = None) -> _Run:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(self.highs.getLp())
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
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = start.tolist()
            h.setSolution(sol)

        def on_log(event: Any) -> None:
            log.write(event.message)
            if options.log:
                sys.stderr.write(event.message)

        h.cbLogging += on_log
        h.HandleKeyboardInterrupt = True
        t0 = time.perf_counter()
        try:
            h.solve()
        finally:
            h.cbLogging -= on_log
        seconds = time.perf_counter() - t0
        status = h.getModelStatus()
        info = h.getInfo()
        has_plan = info.primal_solution_status == 2
        x = np.array(h.getSolution().col_value) if has_plan else None
        objective = info.objective_function_value if has_plan else None
        is_mip = info.mip_node_count >= 0
        bound = info.mip_dual_bound if is_mip else objective
        if bound is not None and not np.isfinite(bound):
            bound = None
        return _Run(status, has_plan, x, objective, bound, seconds)

    def solve(self, options: SolveOptions, start: np.ndarray | None = None) -> SolveOutcome:
        """Solve (staged unless options.staged is False). `start`: column values of a
        plan (e.g. the previous sweep point's); used as the first incumbent when it is
        still feasible."""
        handoff_s = self.ensure_instance()
        log = io.StringIO()
        t0 = time.perf_counter()
        deadline = t0 + options.time_limit_s if options.time_limit_s else None
        units = self.columns(self.staging.units)
        fixed = self.columns(self.staging.fixed)
        flexible = self.columns(self.staging.flexible)
        stages: list[StageReport] = []
        best: dict[str, Any] = {"x": None, "objective": None}
        bound: float | None = None

        def left(share: float = 1.0) -> float | None:
            return None if deadline is None else share * (deadline - time.perf_counter())

        def record(name: str, run: _Run, global_bound: bool = True) -> Termination:
            nonlocal bound
            stages.append(StageReport(name, self.highs.modelStatusToString(run.status),
                                      run.objective, run.bound, run.seconds))
            if global_bound and run.bound is not None:
                bound = run.bound if bound is None else max(bound, run.bound)
            if run.has_plan and name != "relaxed" and (
                    best["objective"] is None or run.objective < best["objective"]):
                best["x"], best["objective"] = run.x, run.objective
            return termination_of(run.status)

        def within_gap() -> bool:
            return (best["objective"] is not None and bound is not None
                    and _gap(best["objective"], bound) <= options.mip_gap)

        last = Termination.error
        relaxed_infeasible = False
        stopped_early = False
        if start is not None:
            objective = _objective_if_feasible(self.highs.getLp(), start)
            if objective is None:
                start = None
            else:
                best["x"], best["objective"] = start, objective
        if options.staged and units.size and (fixed.size or flexible.size):
            relaxed = self._run(options, left(0.6), options.mip_gap, log, relax=units, start=start)
            last = record("relaxed", relaxed)
            relaxed_infeasible = last is Termination.infeasible
            interrupted = last is Termination.interrupted
            # a start plan (a sweep's previous point) already within the gap of the relaxed
            # stage's bound is the answer: no purchases stage
            if relaxed.has_plan and not within_gap():
                def at_stage1(slack: float | None) -> tuple:
                    """Infrastructure as in stage 1: `fixed` columns at their values, `flexible`
                    ones from their value up to `slack` more (None: free)."""
                    lo_fixed = np.round(relaxed.x[fixed])
                    if slack is None:
                        return fixed, lo_fixed, lo_fixed
                    lo_flex = np.round(relaxed.x[flexible])
                    return (np.concatenate([fixed, flexible]), np.concatenate([lo_fixed, lo_flex]),
                            np.concatenate([lo_fixed, lo_flex + slack]))

                def limit(share: float) -> float | None:
                    # after Ctrl-C, a short stage 2 turns the relaxed plan into a real one
                    return INTERRUPT_GRACE_S if interrupted else left(share)

                # whole units may not fit the halls stage 1 built for fractional ones: then allow
                # up to one more block of each design, site and year than stage 1, then any number.
                # An attempt that cannot fit is proven infeasible in presolve, in well under a
                # second; one that can gets most of the time (its plans improve with it)
                attempts = ((0.7, 0.0), (0.85, 1.0), (1.0, None)) if flexible.size else ((1.0, None),)
                gap2 = _stage2_gap(options.mip_gap, relaxed.objective, bound)
                for share, slack in attempts:
                    run = self._run(options, limit(share), gap2, log, bounds=at_stage1(slack))
                    last = record("purchases", run, global_bound=False)
                    if run.has_plan or last is Termination.interrupted or not flexible.size:
                        break
                if interrupted:
                    last = Termination.interrupted
            out_of_time = deadline is not None and time.perf_counter() >= deadline
            # the whole MIP with the time left. HiGHS's root separation can overrun a limit at
            # scale: warm-started (a cutoff) by minutes (large-50site, 71 s left: 146 s), cold by
            # a minute (20 s left: 97 s). So under a limit, with a plan, it runs only with at least
            # the relaxed stage's time left, and warm only with ten times that
            easy = (termination_of(relaxed.status) is Termination.optimal
                    and (left() or 0.0) >= 10 * relaxed.seconds)
            warm = deadline is None or easy
            room = deadline is None or best["x"] is None or (left() or 0.0) >= relaxed.seconds
            if not (relaxed_infeasible or within_gap() or out_of_time
                    or last is Termination.interrupted):
                if room:
                    last = record("full", self._run(options, left(), options.mip_gap, log,
                                                    start=best["x"] if warm else None))
                else:
                    stopped_early = True
        else:
            last = record("full", self._run(options, left(), options.mip_gap, log, start=start))

        if relaxed_infeasible or (stages and stages[-1].name == "full" and last is Termination.infeasible
                                  and best["x"] is None):
            termination = Termination.infeasible  # the relaxation, or the whole MIP, has no plan
        elif last is Termination.interrupted:
            termination = Termination.interrupted
        elif best["x"] is not None and (within_gap() or (stages[-1].name == "full" and last is Termination.optimal)):
            termination = Termination.optimal
        elif deadline is not None:
            termination = Termination.time_limit
        else:
            termination = last
        self.last_plan = best["x"]
        gap = _gap(best["objective"], bound) if best["x"] is not None and bound is not None else None
        return SolveOutcome(
            termination=termination,
            has_plan=best["x"] is not None,
            objective=best["objective"],
            bound=bound,
            gap=gap,
            handoff_s=handoff_s,
            solve_s=time.perf_counter() - t0,
            highs_status=stages[-1].highs_status if stages else "not run",
            log=log.getvalue(),
            stages=stages,
            stopped_early=stopped_early,
        )

    def load_plan_values(self) -> None:
        """Load the best plan into the Pyomo variables (only when a plan exists)."""
        if self.last_plan is None:
            raise RuntimeError("no plan to load")
        values = self.last_plan
        column = self.opt._pyomo_var_to_solver_var_map
        for var in self.model.component_data_objects(pyo.Var, descend_into=True):
            j = column.get(id(var))
            var.set_value(float(values[j]) if j is not None else 0.0, skip_validation=True)


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
    a = lp.a_matrix_
    start, index, value = np.array(a.start_), np.array(a.index_), np.array(a.value_)
    counts = np.diff(start)
    if a.format_ == highspy.MatrixFormat.kRowwise:
        rows = np.repeat(np.arange(lp.num_row_), counts)
        activity = np.bincount(rows, weights=value * x[index], minlength=lp.num_row_)
    else:
        cols = np.repeat(np.arange(lp.num_col_), counts)
        activity = np.bincount(index, weights=value * x[cols], minlength=lp.num_row_)
    row_lower, row_upper = np.array(lp.row_lower_), np.array(lp.row_upper_)
    scale = tol * np.maximum(1.0, np.abs(activity))
    if np.any(activity < row_lower - scale) or np.any(activity > row_upper + scale):
        return None
    return float(np.dot(np.array(lp.col_cost_), x) + lp.offset_)


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


def _gap(objective: float, bound: float) -> float:
    """HiGHS's relative gap: (objective - bound) / |objective|."""
    if objective == bound:
        return 0.0
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))
