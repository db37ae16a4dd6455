"""The Python API: `solve(instance) -> Solution`.

Instance -> ModelData (index sets, numbers) -> Pyomo model -> HiGHS ->
rounded plan -> costs -> `Solution`. The CLI is a thin layer over this.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import highspy
from pyomo.environ import Var
from pyomo.environ import value as pyo_value

from ..instance.io import load_instance
from ..instance.schema import Instance
from ..instance.semantics import TRAINING
from ..model import build_model, new_session
from ..model.data import USD_PER_MUSD, Elastic, ModelData, prepare
from ..plan.check import CheckReport, check_solution
from ..plan.costing import cost_plan
from ..results.assemble import (
    existing_deployment_results,
    nominal_by_year,
    purchase_results,
    retirement_results,
    site_results,
    year_results,
)
from ..results.solution import Solution, SolverReport, StageResult, Timings, UnmetDemand
from ..solver.deadline import Deadline
from ..solver.highs import (
    HighsSession,
    OnPlan,
    SolveOptions,
    SolveOutcome,
    Termination,
    highs_version,
)
from ..version import __version__
from .diagnose import diagnose
from .extract import cost_items_usd, drop_idle_fixed_decisions, plan_from_model, round_integers

COST_TOLERANCE = 1e-6
"""Relative tolerance between the model's cost items and the independent recomputation."""


class InternalError(RuntimeError):
    """A bug in dcopt (e.g. the model and the independent costing disagree)."""


def solve(
    instance: Instance | str | Path | dict[str, Any],
    options: SolveOptions | None = None,
    *,
    deadline: Deadline | None = None,
    on_plan: OnPlan | None = None,
    **option_values: Any,
) -> Solution:
    """Solve an instance for minimum TCO.

    `instance` is an `Instance`, a path to an instance JSON file or a parsed
    dict. Options are a `SolveOptions` or its fields as keywords
    (`time_limit_s`, `mip_gap`, `threads`, `random_seed`, `log`).
    `deadline`: the clock `time_limit_s` counts on (by default started here,
    before reading `instance`); `on_plan` hears of each better plan found.
    """
    if options is None:
        options = SolveOptions(**option_values)
    elif option_values:
        options = options.model_copy(update=option_values)
    deadline = deadline if deadline is not None else Deadline(options.time_limit_s)
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    timings = Timings()
    try:
        t0 = time.perf_counter()
        d = prepare(inst, _elastic(options))
        timings.prepare_s = time.perf_counter() - t0
        if d.static_infeasibilities:
            return _no_plan(inst, options, "infeasible", _diagnosis(inst, options, deadline), timings)
        if deadline.expired():  # no time left to build the model
            return _no_plan(inst, options, "time_limit", [], timings)
        t0 = time.perf_counter()
        m = build_model(d)
        timings.build_s = time.perf_counter() - t0
    except KeyboardInterrupt:
        return _no_plan(inst, options, "interrupted", [], timings)
    session = new_session(m)
    outcome = session.solve(options, deadline=deadline, on_plan=on_plan)
    timings.handoff_s = outcome.handoff_s
    timings.solve_s = outcome.solve_s
    return solution_from_session(inst, d, session, outcome, options, timings, deadline)


def export_model(instance: Instance | str | Path | dict[str, Any], path: str | Path) -> dict[str, int]:
    """Write the full MIP (what `solve` hands to HiGHS) with highspy's own writer:
    MPS when `path` ends in .mps, LP when it ends in .lp. Columns and rows carry
    the model's component names, in the characters LP files allow
    (``buy[va,dlc/200,...]`` becomes ``buy(va,dlc_200,...)``). Returns the model's size."""
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    d = prepare(inst)
    session = new_session(build_model(d))
    h = session.highs
    for var in session.model.component_data_objects(Var, descend_into=True):
        j = session.column_of(var)
        if j is not None:
            h.passColName(j, _file_name(var.name))
    for con, row in session.opt._pyomo_con_to_solver_con_map.items():
        h.passRowName(row, _file_name(con.name))
    h.setOptionValue("output_flag", False)
    h.writeModel(str(path))
    lp = h.getLp()
    integers = sum(1 for v in lp.integrality_ if v != highspy.HighsVarType.kContinuous)
    return {"columns": lp.num_col_, "rows": lp.num_row_, "integers": integers, "nonzeros": h.getNumNz()}


_NAME_CHARS = str.maketrans({"[": "(", "]": ")", "/": "_", "-": "_", " ": "_", ":": "_", "+": "_", "*": "_"})


def _file_name(name: str) -> str:
    return name.translate(_NAME_CHARS)


def _elastic(options: SolveOptions) -> Elastic | None:
    if options.allow_unmet_usd_per_perf is None:
        return None
    return Elastic(unmet_penalty_musd_per_perf=options.allow_unmet_usd_per_perf / USD_PER_MUSD)


def _diagnosis(inst: Instance, options: SolveOptions, deadline: Deadline | None = None) -> list[str]:
    if not options.diagnose:
        return ["no diagnosis asked for (diagnose=False)"]
    return diagnose(inst, options, deadline).lines()


def _unmet(m: Any, d: ModelData) -> tuple[list[UnmetDemand], float]:
    if not hasattr(m, "unmet"):
        return [], 0.0
    out = []
    for (w, t), v in m.unmet.items():
        need = d.training_demand[t] if w == TRAINING else d.inference_demand[(w, t)]
        if (v.value or 0.0) > 1e-9 * max(1.0, need):
            out.append(UnmetDemand(workload=w, year=t, demand=need, unmet=float(v.value)))
    return out, pyo_value(m.penalty["unmet_demand"]) * USD_PER_MUSD


def solution_from_session(inst: Instance, d: ModelData, session: HighsSession, outcome: SolveOutcome,
                          options: SolveOptions, timings: Timings, deadline: Deadline | None = None) -> Solution:
    """Turn a finished HiGHS run into a `Solution` (loading values only if a plan exists)."""
    m = session.model
    report = _report(options, outcome, session, timings)
    if not outcome.has_plan:
        status, message = _no_plan_status(outcome.termination)
        diagnosis = _diagnosis(inst, options, deadline) if status == "infeasible" else []
        return Solution(
            dcopt_version=__version__, instance_name=inst.name, discount_rate=inst.finance.discount_rate,
            status=status, has_plan=False, message=message, solve_seconds=_total(timings),
            diagnosis=diagnosis, solver=report,
        )
    t0 = time.perf_counter()
    session.load_plan_values()
    round_integers(m)
    drop_idle_fixed_decisions(m, d)
    plan = plan_from_model(m, d)
    npv = cost_items_usd(m)
    costs = cost_plan(inst, plan)
    _agree(npv, costs.npv_usd)
    tco = sum(npv.values())
    unmet, unmet_penalty = _unmet(m, d)
    status = "optimal" if outcome.termination is Termination.optimal else outcome.termination.value
    if status not in ("optimal", "time_limit", "interrupted"):
        status = "error"
    gap = outcome.gap
    if outcome.bound is not None and outcome.objective is not None and tco + unmet_penalty != 0:
        objective = tco + unmet_penalty
        gap = max(0.0, (objective - outcome.bound * USD_PER_MUSD) / abs(objective))
    report.timings = timings
    if status == "time_limit" and outcome.stopped_early:
        status_text = (f"time limit: stopped after {outcome.solve_s:.0f} of {options.time_limit_s:g} s, too "
                       "little time left for another solver stage")
    else:
        status_text = "time limit reached"
    message = {
        "optimal": f"optimal within a relative gap of {options.mip_gap:g}",
        "time_limit": f"{status_text}: best plan found, {100 * (gap or 0):.3f} % above the best bound",
        "interrupted": f"interrupted: best plan found, {100 * (gap or 0):.3f} % above the best bound",
        "error": f"HiGHS stopped with status {outcome.highs_status}; the plan found is reported",
    }[status]
    solution = Solution(
        dcopt_version=__version__,
        instance_name=inst.name,
        discount_rate=inst.finance.discount_rate,
        status=status,
        has_plan=True,
        message=message,
        tco_usd=tco,
        mip_gap=gap,
        solve_seconds=_total(timings),
        costs_npv_usd=npv,
        costs_nominal_usd=nominal_by_year(costs),
        sites=site_results(inst, plan, costs),
        purchases=purchase_results(inst, plan),
        retirements=retirement_results(inst, plan),
        existing_deployments=existing_deployment_results(inst),
        allocations=plan.allocations or [],
        years=year_results(inst, plan, costs),
        unmet_demand=unmet,
        unmet_penalty_usd=unmet_penalty,
        solver=report,
    )
    check = check_solution(inst, solution)
    if not check.ok:
        _mark_inconsistent(solution, check, outcome)
    timings.extract_s = time.perf_counter() - t0
    solution.solve_seconds = _total(timings)
    return solution


def _total(t: Timings) -> float:
    return t.prepare_s + t.build_s + t.handoff_s + t.solve_s + t.extract_s


INCONSISTENT_LINES = 5
"""Problems of the independent check quoted in the message of an inconsistent plan."""


def _mark_inconsistent(solution: Solution, check: CheckReport, outcome: SolveOutcome) -> None:
    """Every plan is checked independently before it is returned. One that fails is not a
    result (status error, has_plan false: exit 1): the message says that the solver returned
    an inconsistent plan and why; the plan stays in the solution for inspection."""
    problems = [str(v) for v in check.violations] + [
        f"cost item {c.item}: {c.reported_usd:,.2f} USD reported, {c.recomputed_usd:,.2f} USD recomputed"
        for c in check.cost_differences]
    shown = "; ".join(problems[:INCONSISTENT_LINES]) + (
        f"; and {len(problems) - INCONSISTENT_LINES} more" if len(problems) > INCONSISTENT_LINES else "")
    warnings = sorted({line.strip() for line in outcome.log.splitlines() if line.startswith("WARNING")})
    why = ("HiGHS reported these warnings about the model's numbers: " + " ".join(warnings)
           if warnings else "the solver works to tolerances of about 1e-6 (relative), which numbers "
           "spanning many orders of magnitude can turn into visible violations")
    solution.status = "error"
    solution.has_plan = False
    solution.message = (f"the solver returned an inconsistent plan: it fails the independent check "
                        f"({shown}). Likely cause: {why}. The plan is kept in this solution for "
                        "inspection only; it is not a valid plan")


def _agree(model_usd: dict[str, float], recomputed_usd: dict[str, float]) -> None:
    scale = max(1.0, sum(abs(v) for v in recomputed_usd.values()))
    bad = {k: (model_usd[k], recomputed_usd[k]) for k in model_usd
           if abs(model_usd[k] - recomputed_usd[k]) > COST_TOLERANCE * scale}
    if bad:
        detail = "; ".join(f"{k}: model {a:,.2f} vs plan {b:,.2f} USD" for k, (a, b) in bad.items())
        raise InternalError(f"bug: the model's cost items disagree with the plan's costing ({detail})")


def _no_plan_status(termination: Termination) -> tuple[str, str]:
    if termination is Termination.infeasible:
        return "infeasible", "no plan exists: the instance is infeasible"
    if termination is Termination.time_limit:
        return "time_limit", "time limit reached before any plan was found"
    if termination is Termination.interrupted:
        return "interrupted", "interrupted before any plan was found"
    if termination is Termination.unbounded:
        return "error", "the model is unbounded (a bug: every decision is bounded)"
    return "error", "HiGHS stopped without a plan"


def _report(options: SolveOptions, outcome: SolveOutcome | None, session: HighsSession | None,
            timings: Timings) -> SolverReport:
    nvars = nint = ncons = 0
    if session is not None and session.handed_over:
        lp = session.highs.getLp()
        nvars, ncons = lp.num_col_, lp.num_row_
        nint = sum(1 for v in lp.integrality_ if v != highspy.HighsVarType.kContinuous)
    bound = None
    if outcome is not None and outcome.bound is not None and abs(outcome.bound) < 1e300:
        bound = outcome.bound * USD_PER_MUSD
    return SolverReport(
        version=highs_version(),
        highs_status=outcome.highs_status if outcome else "not run",
        mip_gap_target=options.mip_gap,
        time_limit_s=options.time_limit_s,
        threads=options.threads,
        random_seed=options.random_seed,
        objective_bound_usd=bound,
        variables=nvars,
        integer_variables=nint,
        constraints=ncons,
        timings=timings,
        stages=[StageResult(name=st.name, highs_status=st.highs_status,
                            objective_usd=None if st.objective is None else st.objective * USD_PER_MUSD,
                            bound_usd=None if st.bound is None else st.bound * USD_PER_MUSD,
                            seconds=st.seconds)
                for st in (outcome.stages if outcome is not None else [])],
    )


def _no_plan(inst: Instance, options: SolveOptions, status: str, diagnosis: list[str],
             timings: Timings) -> Solution:
    return Solution(
        dcopt_version=__version__, instance_name=inst.name, discount_rate=inst.finance.discount_rate,
        status=status, has_plan=False, message=_no_plan_status(Termination(status))[1],
        diagnosis=diagnosis,
        solver=_report(options, None, None, timings),
    )
