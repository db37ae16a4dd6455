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
import pyomo.environ as pyo
from pyomo.common.timing import HierarchicalTimer
from pyomo.contrib.solver.solvers.highs import Highs
from pydantic import BaseModel, ConfigDict, Field


class SolveOptions(BaseModel):
    """Options of one solve. The defaults here are the only place they are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_limit_s: float | None = Field(None, gt=0, description="Wall-clock limit for HiGHS, seconds; none by default.")
    mip_gap: float = Field(1e-4, ge=0, description="Relative MIP gap at which HiGHS stops.")
    threads: int | None = Field(None, ge=1, description="HiGHS threads; HiGHS's own choice by default.")
    random_seed: int = Field(0, ge=0, description="HiGHS random seed (solves are deterministic for a given seed).")
    log: bool = Field(False, description="Stream the HiGHS log to stderr.")


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


def termination_of(model_status: Any) -> Termination:
    """Map a HiGHS model status to a `Termination` (anything unexpected is an error)."""
    return _STATUS.get(model_status, Termination.error)


@dataclass
class SolveOutcome:
    """What one HiGHS run produced. `has_plan` is independent of `termination`."""

    termination: Termination
    has_plan: bool
    objective: float | None  # model units (M$)
    bound: float | None
    gap: float | None
    handoff_s: float
    solve_s: float
    highs_status: str
    log: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def highs_version() -> str:
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


class _Tee(io.TextIOBase):
    def write(self, text: str) -> int:
        sys.stderr.write(text)
        return len(text)


class HighsSession:
    """A model kept in HiGHS through Pyomo's persistent interface."""

    def __init__(self, model: pyo.ConcreteModel) -> None:
        self.model = model
        self.opt = Highs()
        self.opt.config.load_solutions = False
        self.opt.config.raise_exception_on_nonoptimal_result = False
        self._instance_set = False
        self._last: Any = None

    @property
    def highs(self) -> highspy.Highs:
        """The underlying highspy object (for export and warm starts)."""
        if not self._instance_set:
            self.opt.set_instance(self.model)
            self._instance_set = True
        return self.opt._solver_model

    def solve(self, options: SolveOptions) -> SolveOutcome:
        timer = HierarchicalTimer()
        handoff_s = 0.0
        if not self._instance_set:
            t0 = time.perf_counter()
            self.opt.set_instance(self.model)
            handoff_s = time.perf_counter() - t0
            self._instance_set = True
        solver_options: dict[str, Any] = {"random_seed": options.random_seed}
        t0 = time.perf_counter()
        res = self.opt.solve(
            self.model,
            tee=[_Tee()] if options.log else [],
            timer=timer,
            time_limit=options.time_limit_s,
            rel_gap=options.mip_gap,
            threads=options.threads,
            solver_options=solver_options,
        )
        solve_s = time.perf_counter() - t0
        self._last = res
        h = self.opt._solver_model
        status = h.getModelStatus()
        info = h.getInfo()
        has_plan = info.primal_solution_status == 2
        objective = info.objective_function_value if has_plan else None
        bound = info.mip_dual_bound if info.mip_node_count >= 0 else objective
        gap = None
        if has_plan:
            gap = info.mip_gap if info.mip_node_count >= 0 else 0.0
        return SolveOutcome(
            termination=termination_of(status),
            has_plan=has_plan,
            objective=objective,
            bound=bound,
            gap=gap,
            handoff_s=handoff_s,
            solve_s=solve_s,
            highs_status=h.modelStatusToString(status),
            log=res.solver_log,
            extra={"mip_node_count": info.mip_node_count},
        )

    def load_plan_values(self) -> None:
        """Load the incumbent into the Pyomo variables (only when a plan exists)."""
        self._last.solution_loader.load_vars()
