"""The one pipeline: instance -> model data -> Pyomo model -> HiGHS -> plan -> `Solution`.

`Pipeline.solve(inst)` prepares the model data of every scenario case,
builds the model (or, for a variant of the last instance whose structure is
the same, updates its mutable numbers in place and starts HiGHS from the
last plan), solves it, extracts each case's plan with its tallied costs,
checks it independently and returns a typed `Solution`. `dcopt.solve`,
sweeps, break-even searches, the infeasibility diagnosis and evaluate's
comparison all go through it; a sweep worker keeps one `Pipeline`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import highspy
from pyomo.environ import Var

from ..instance.io import load_instance
from ..instance.schema import Instance
from ..model import new_session
from ..model.build import Goal, build_model, case_blocks, fix_decisions, update_goal, update_numbers
from ..model.context import USD_PER_MUSD, Elastic
from ..model.data import ModelData, prepare_cases, same_structure
from ..model.planmap import values_from_plan
from ..plan.check import CheckReport, check_solution
from ..plan.format import Plan
from ..results.solution import (
    CaseResult,
    ScenarioResults,
    Solution,
    SolverReport,
    StageResult,
    Timings,
)
from ..solver.deadline import Deadline, DeadlinePassed
from ..solver.highs import (
    HighsSession,
    OnPlan,
    SolveOptions,
    SolveOutcome,
    highs_version,
)
from ..status import Status
from ..version import __version__
from .assemble import (
    existing_deployment_results,
    job_results,
    nominal_by_year,
    purchase_results,
    rental_results,
    retirement_results,
    route_results,
    site_results,
    year_results,
)
from .extract import CaseExtract, extract_cases

COST_TOLERANCE = 1e-6
"""Relative tolerance between the model's cost items and the plan's tallied costs."""


class InternalError(RuntimeError):
    """A bug in dcopt (e.g. the model and the plan costing disagree)."""


InstanceSource = Instance | str | Path | dict[str, Any]


def _options(options: SolveOptions | None, option_values: dict[str, Any]) -> SolveOptions:
    if options is None:
        return SolveOptions(**option_values)
    return options.model_copy(update=option_values) if option_values else options


def solve(instance: InstanceSource, options: SolveOptions | None = None, *, deadline: Deadline | None = None,
          on_plan: OnPlan | None = None, **option_values: Any) -> Solution:
    """Solve an instance for minimum TCO.

    `instance` is an `Instance`, a path to an instance JSON file or a parsed
    dict. Options are a `SolveOptions` or its fields as keywords
    (`time_limit_s`, `mip_gap`, `threads`, `random_seed`, `log`).
    `deadline`: the clock `time_limit_s` counts on (by default started here,
    before reading `instance`); `on_plan` hears of each better plan found.
    """
    options = _options(options, option_values)
    deadline = deadline if deadline is not None else Deadline(options.time_limit_s)
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    return Pipeline(options).solve(inst, deadline=deadline, on_plan=on_plan)


class Pipeline:
    """Solves an instance, or variants of one, reusing the built model when it can.

    For each instance it prepares the model data; when only numbers that are
    mutable parameters changed (prices, costs, discount rate, carbon, demand
    values, budget), it updates them in the built model, hands its numbers
    to HiGHS again and re-solves, starting HiGHS from the previous plan. Any
    other change (a grid limit, a PUE, a sale year, demand appearing where
    there was none) rebuilds the model, which then serves the following
    variants.

    The `Goal` (what is optimised, and its caps) may change between solves
    (`set_goal`): a goal of the same shape only sets its numbers in the
    built model. `options.max_emissions_t` caps the emissions of a goal
    that has no cap of its own.
    """

    def __init__(self, options: SolveOptions | None = None, elastic: Elastic | None = None,
                 goal: Goal | None = None) -> None:
        self.options = options or SolveOptions()
        self.elastic = elastic if elastic is not None else _elastic(self.options)
        self.goal = _with_options(goal or Goal(), self.options)
        self.cases: list[ModelData] | None = None
        self.session: HighsSession | None = None
        self._warm = False  # start from the last plan (after an in-place update)
        self._shape: tuple | None = None  # the shape of the goal the model was built for
        self.builds = 0
        self.updates = 0

    def set_goal(self, goal: Goal) -> None:
        """Optimise `goal` from the next solve on (in the built model when its shape is the same)."""
        self.goal = _with_options(goal, self.options)

    def prepare(self, inst: Instance) -> list[ModelData]:
        return prepare_cases(inst, self.elastic)

    def run(self, inst: Instance, fixed: Plan | None = None, fixed_before: int | None = None, *,
            deadline: Deadline | None = None, on_plan: OnPlan | None = None
            ) -> tuple[list[ModelData], HighsSession | None, SolveOutcome | None, Timings]:
        """Prepare, build (or update) and solve; no extraction. The session is None when the
        data already show the instance infeasible, and the outcome None too when the deadline
        passed (or Ctrl-C came) before the model was built. With `fixed`, the decisions of the
        years before `fixed_before` are those of that plan (a fresh model is built). `deadline`
        is the clock of the whole command (by default `options.time_limit_s` from now)."""
        deadline = deadline if deadline is not None else Deadline(self.options.time_limit_s)
        timings = Timings()
        t0 = time.perf_counter()
        cases = self.prepare(inst)
        timings.prepare_s = time.perf_counter() - t0
        if any(d.static_infeasibilities for d in cases):
            return cases, None, None, timings
        if deadline.expired():  # no time left to build the model
            return cases, None, SolveOutcome.without_run(Status.time_limit), timings
        t0 = time.perf_counter()
        try:
            with deadline.alarm():  # the deadline may pass while building or handing over
                self._build_or_update(cases, fixed, fixed_before)
                timings.build_s = time.perf_counter() - t0
                timings.handoff_s = self.session.ensure_instance()
        except (KeyboardInterrupt, DeadlinePassed) as stop:
            self.session = self.cases = None
            status = Status.interrupted if isinstance(stop, KeyboardInterrupt) else Status.time_limit
            return cases, None, SolveOutcome.without_run(status), timings
        start = self.session.last_plan if self._warm else None  # in the columns of the new hand-off
        outcome = self.session.solve(self.options, start=start, deadline=deadline, on_plan=on_plan)
        timings.handoff_s += outcome.handoff_s
        timings.solve_s = outcome.solve_s
        return cases, self.session, outcome, timings

    def _build_or_update(self, cases: list[ModelData], fixed: Plan | None, fixed_before: int | None) -> None:
        """Update the persistent model's numbers when only they changed, else build afresh."""
        self._warm = False
        if fixed is None and self.session is not None and self.cases is not None and len(self.cases) == len(
                cases) and self._shape == self.goal.shape() and all(
                same_structure(a, b) for a, b in zip(self.cases, cases)):
            update_numbers(self.session.model, cases)
            update_goal(self.session.model, self.goal)
            self.session.numbers_changed()
            self._warm = True
            self.updates += 1
        else:
            model = build_model(cases, self.goal)
            if fixed is not None:
                for d, block in case_blocks(model, cases):
                    fix_decisions(block, d, values_from_plan(d, fixed), fixed_before)
            self.session = new_session(model)
            self._shape = self.goal.shape()
            self.builds += 1
        self.cases = cases

    def solve(self, inst: Instance, fixed: Plan | None = None, fixed_before: int | None = None, *,
              deadline: Deadline | None = None, on_plan: OnPlan | None = None) -> Solution:
        """The `Solution` of `inst` (see `run` for `fixed` and `deadline`)."""
        deadline = deadline if deadline is not None else Deadline(self.options.time_limit_s)
        cases, session, outcome, timings = self.run(inst, fixed, fixed_before, deadline=deadline, on_plan=on_plan)
        if session is None and outcome is not None:  # stopped before the model was built
            solution = _no_plan(inst, self.options, outcome.termination, [], timings)
        elif session is None:
            lines = (_diagnosis(inst, self.options, deadline) if self.options.diagnose
                     else cases[0].static_infeasibilities)
            solution = _no_plan(inst, self.options, Status.infeasible, lines, timings)
        else:
            solution = solution_from_session(inst, cases, session, outcome, self.options, timings, deadline,
                                             tco_objective=self.goal.minimize == "tco")
        solution._instance = inst  # for solution.compare and to_report (never written out)
        return solution


def export_model(instance: InstanceSource, path: str | Path) -> dict[str, int]:
    """Write the full MIP (what `solve` hands to HiGHS) with highspy's own writer:
    MPS when `path` ends in .mps, LP when it ends in .lp. Columns and rows carry
    the model's component names, in the characters LP files allow
    (``buy[va,dlc/200,...]`` becomes ``buy(va,dlc_200,...)``). Returns the model's size."""
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    session = new_session(build_model(prepare_cases(inst)))
    h = session.highs
    for var in session.model.component_data_objects(Var, descend_into=True):
        j = session.column_of(var)
        if j is not None:
            h.passColName(j, _file_name(var.name))
    for con, row in session.rows():
        h.passRowName(row, _file_name(con.name))
    h.setOptionValue("output_flag", False)
    h.writeModel(str(path))
    lp = h.getLp()
    integers = sum(1 for v in lp.integrality_ if v != highspy.HighsVarType.kContinuous)
    return {"columns": lp.num_col_, "rows": lp.num_row_, "integers": integers, "nonzeros": h.getNumNz()}


_NAME_CHARS = str.maketrans({"[": "(", "]": ")", "/": "_", "-": "_", " ": "_", ":": "_", "+": "_", "*": "_",
                             "'": "", '"': ""})


def _file_name(name: str) -> str:
    return name.translate(_NAME_CHARS)


def _with_options(goal: Goal, options: SolveOptions) -> Goal:
    """`goal` with the emissions cap of the options when it has none of its own."""
    if options.max_emissions_t is None or goal.max_emissions_t is not None:
        return goal
    return replace(goal, max_emissions_t=options.max_emissions_t)


def _elastic(options: SolveOptions) -> Elastic | None:
    if options.allow_unmet_usd_per_perf is None:
        return None
    return Elastic(unmet_penalty_musd_per_perf=options.allow_unmet_usd_per_perf / USD_PER_MUSD)


def _diagnosis(inst: Instance, options: SolveOptions, deadline: Deadline | None = None) -> list[str]:
    from .diagnose import diagnose  # the diagnosis re-solves through this pipeline

    if not options.diagnose:
        return ["no diagnosis asked for (diagnose=False)"]
    if options.max_emissions_t is not None:  # is it the cap? the least-emission plan says
        free = options.model_copy(update={"max_emissions_t": None})
        least = Pipeline(free, goal=Goal(minimize="emissions")).solve(inst, deadline=deadline)
        if least.has_plan:
            cap, low = options.max_emissions_t, expected_emissions_t(least)
            text = (f"no plan emits at most {cap:,.6g} t CO2 over the horizon (max_emissions_t): the "
                    f"least-emission plan emits {low:,.6g} t")
            return [text]
        options = free
    return diagnose(inst, options, deadline).lines()


def expected_emissions_t(solution: Solution) -> float:
    """Emissions of a solution over the horizon, t CO2 (expected, with scenarios): `Solution.emissions_t`."""
    return solution.emissions_t()


def solution_from_session(inst: Instance, cases: list[ModelData], session: HighsSession, outcome: SolveOutcome,
                          options: SolveOptions, timings: Timings, deadline: Deadline | None = None,
                          tco_objective: bool = True) -> Solution:
    """Turn a finished HiGHS run into a `Solution` (loading values only if a plan exists).
    `tco_objective`: HiGHS minimised the TCO (else a goal's other objective, whose bound is no
    TCO: the gap is then HiGHS's own, on that objective, and no bound in USD is reported)."""
    report = _report(options, outcome, session, timings)
    if not tco_objective:
        report.objective_bound_usd = None
    if not outcome.has_plan:
        status, message = _no_plan_status(outcome.termination)
        diagnosis = _diagnosis(inst, options, deadline) if status is Status.infeasible else []
        return Solution(
            dcopt_version=__version__, instance_name=inst.name, discount_rate=inst.finance.discount_rate,
            status=status, has_plan=False, message=message, solve_seconds=_total(timings),
            diagnosis=diagnosis, solver=report,
        )
    t0 = time.perf_counter()
    session.load_plan_values()
    extracts = extract_cases(case_blocks(session.model, cases))
    for e in extracts:
        _agree(e.model_npv_usd, e.totals.npv_usd)
    solutions = [_case_solution(inst, e) for e in extracts]
    if len(solutions) == 1 and inst.scenarios is None:
        solution = solutions[0]
    else:
        solution = _expected(inst, extracts, solutions)
    status, message, gap = _status(outcome, options,
                                   solution.tco_usd + solution.unmet_penalty_usd if tco_objective else None)
    report.timings = timings
    solution = solution.model_copy(update={"status": status, "message": message, "mip_gap": gap, "solver": report})
    check = check_solution(inst, solution)
    if not check.ok:
        _mark_inconsistent(solution, check, outcome)
    timings.extract_s = time.perf_counter() - t0
    solution.solve_seconds = _total(timings)
    return solution


def _case_solution(inst: Instance, e: CaseExtract) -> Solution:
    plan, tot, d = e.plan, e.totals, e.data
    return Solution(
        dcopt_version=__version__, instance_name=inst.name, discount_rate=inst.finance.discount_rate,
        status=Status.optimal, has_plan=True, tco_usd=sum(e.model_npv_usd.values()),
        costs_npv_usd=e.model_npv_usd, costs_nominal_usd=nominal_by_year(tot),
        sites=site_results(d, plan, tot), purchases=purchase_results(inst, plan),
        retirements=retirement_results(inst, plan), existing_deployments=existing_deployment_results(inst),
        allocations=plan.allocations or [], years=year_results(d, plan, tot),
        unmet_demand=e.unmet, unmet_penalty_usd=e.unmet_penalty_usd,
        grid_upgrades=plan.grid_upgrades, onsite_builds=plan.onsite_builds,
        onsite_generation=plan.onsite_generation, routes_lit=plan.routes_lit, links=plan.links,
        job_placements=plan.job_placements, job_allocations=plan.job_allocations or [],
        rentals=plan.rentals, rental_allocations=plan.rental_allocations or [],
        jobs=job_results(d, plan), routes=route_results(d, plan), rented=rental_results(d, plan),
    )


def _expected(inst: Instance, extracts: list[CaseExtract], solutions: list[Solution]) -> Solution:
    """A scenario solution: the expected TCO and breakdown, the shared first stage, each case."""
    from .scenarios import expected_solution

    return expected_solution(inst, extracts, solutions)


def _status(outcome: SolveOutcome, options: SolveOptions, objective: float | None
            ) -> tuple[Status, str, float | None]:
    status = outcome.termination
    if status not in (Status.optimal, Status.time_limit, Status.interrupted):
        status = Status.error
    gap = outcome.gap
    if objective is not None and outcome.bound is not None and outcome.objective is not None and objective != 0:
        gap = max(0.0, (objective - outcome.bound * USD_PER_MUSD) / abs(objective))
    if status is Status.time_limit and outcome.stopped_early:
        status_text = (f"time limit: stopped after {outcome.solve_s:.0f} of {options.time_limit_s:g} s, too "
                       "little time left for another solver stage")
    else:
        status_text = "time limit reached"
    message = {
        Status.optimal: f"optimal within a relative gap of {options.mip_gap:g}",
        Status.time_limit: f"{status_text}: best plan found, {100 * (gap or 0):.3f} % above the best bound",
        Status.interrupted: f"interrupted: best plan found, {100 * (gap or 0):.3f} % above the best bound",
        Status.error: f"HiGHS stopped with status {outcome.highs_status}; the plan found is reported",
    }[status]
    return status, message, gap


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
    solution.status = Status.error
    solution.has_plan = False
    solution.message = (f"the solver returned an inconsistent plan: it fails the independent check "
                        f"({shown}). Likely cause: {why}. The plan is kept in this solution for "
                        "inspection only; it is not a valid plan")


def _agree(model_usd: dict[str, float], recomputed_usd: dict[str, float]) -> None:
    scale = max(1.0, sum(abs(v) for v in recomputed_usd.values()))
    bad = {k: (model_usd[k], recomputed_usd.get(k, 0.0)) for k in model_usd
           if abs(model_usd[k] - recomputed_usd.get(k, 0.0)) > COST_TOLERANCE * scale}
    if bad:
        detail = "; ".join(f"{k}: model {a:,.2f} vs plan {b:,.2f} USD" for k, (a, b) in bad.items())
        raise InternalError(f"bug: the model's cost items disagree with the plan's costing ({detail})")


NO_PLAN_MESSAGES = {
    Status.infeasible: "no plan exists: the instance is infeasible",
    Status.time_limit: "time limit reached before any plan was found",
    Status.interrupted: "interrupted before any plan was found",
    Status.unbounded: "the model is unbounded (a bug: every decision is bounded)",
}


def _no_plan_status(termination: Status) -> tuple[Status, str]:
    """A solution's status and message when the solve ended without a plan."""
    status = termination if termination in (Status.infeasible, Status.time_limit, Status.interrupted) \
        else Status.error
    return status, NO_PLAN_MESSAGES.get(termination, "HiGHS stopped without a plan")


def _report(options: SolveOptions, outcome: SolveOutcome | None, session: HighsSession | None,
            timings: Timings) -> SolverReport:
    nvars = nint = ncons = 0
    if session is not None and session.handed_over:
        lp = session.lp
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


def _no_plan(inst: Instance, options: SolveOptions, termination: Status, diagnosis: list[str],
             timings: Timings) -> Solution:
    status, message = _no_plan_status(termination)
    return Solution(
        dcopt_version=__version__, instance_name=inst.name, discount_rate=inst.finance.discount_rate,
        status=status, has_plan=False, message=message,
        diagnosis=diagnosis,
        solver=_report(options, None, None, timings),
    )


__all__ = ["CaseResult", "InternalError", "Pipeline", "ScenarioResults", "export_model", "solve"]
