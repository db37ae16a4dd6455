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
    allow_unmet_usd_per_perf: float | None = Field(
        None, ge=0,
        description="Let demand go unmet at this price per unit of throughput per year (discounted); "
        "the plan then reports the shortfall instead of failing. None: demand must be met (SPEC).",
    )
    diagnose: bool = Field(True, description="Explain an infeasible instance with elastic re-solves.")


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


class HighsSession:
    """A model kept in HiGHS.

    The hand-off goes through Pyomo's persistent `highs` interface
    (`set_instance`), which also gives the map from Pyomo variables to HiGHS
    columns. The run itself uses highspy's `solve()`, which runs HiGHS in a
    worker thread so that Ctrl-C stops it cleanly (status `interrupted`, best
    plan kept); Pyomo's own `solve()` calls the blocking `run()`.
    """

    def __init__(self, model: pyo.ConcreteModel) -> None:
        self.model = model
        self.opt = Highs()
        self._instance_set = False

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
        """The underlying highspy object (for export and warm starts)."""
        self.ensure_instance()
        return self.opt._solver_model

    def column_of(self, var: Any) -> int | None:
        """HiGHS column of a Pyomo variable (None if no constraint or cost uses it)."""
        return self.opt._pyomo_var_to_solver_var_map.get(id(var))

    def solve(self, options: SolveOptions) -> SolveOutcome:
        handoff_s = self.ensure_instance()
        h = self.opt._solver_model
        h.setOptionValue("output_flag", bool(options.log))
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("time_limit", options.time_limit_s if options.time_limit_s else highspy.kHighsInf)
        h.setOptionValue("mip_rel_gap", options.mip_gap)
        h.setOptionValue("threads", options.threads or 0)
        h.setOptionValue("random_seed", options.random_seed)
        log = io.StringIO()

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
        solve_s = time.perf_counter() - t0
        status = h.getModelStatus()
        info = h.getInfo()
        has_plan = info.primal_solution_status == 2
        objective = info.objective_function_value if has_plan else None
        is_mip = info.mip_node_count >= 0
        bound = info.mip_dual_bound if is_mip else objective
        gap = (info.mip_gap if is_mip else 0.0) if has_plan else None
        return SolveOutcome(
            termination=termination_of(status),
            has_plan=has_plan,
            objective=objective,
            bound=bound,
            gap=gap,
            handoff_s=handoff_s,
            solve_s=solve_s,
            highs_status=h.modelStatusToString(status),
            log=log.getvalue(),
            extra={"mip_node_count": info.mip_node_count},
        )

    def load_plan_values(self) -> None:
        """Load the incumbent into the Pyomo variables (only when a plan exists)."""
        values = self.opt._solver_model.getSolution().col_value
        column = self.opt._pyomo_var_to_solver_var_map
        for var in self.model.component_data_objects(pyo.Var, descend_into=True):
            j = column.get(id(var))
            var.set_value(values[j] if j is not None else 0.0, skip_validation=True)
