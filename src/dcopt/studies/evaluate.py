"""Cost a plan the user brings, and compare it with the optimum (`dcopt evaluate`).

A plan (:class:`dcopt.plan.Plan`: sites opened, fabrics, blocks, purchases
with their life, retirements of existing units) fixes the whole fleet, so its
TCO is :func:`dcopt.costing.cost_plan`, without a solver. What the plan leaves
open is the allocation: which GPUs serve which demand. :func:`allocate`
chooses it by a small LP over allocations only (HiGHS through highspy; it is
not the SPEC model): give each year's running GPUs to training and to the
inference regions their sites serve so that the unmet demand, summed over
workloads in throughput units, is as small as possible. Every GPU the plan
runs counts, also one that breaks a rule (the broken rule is reported
separately). The plan's own allocations, if any, are replaced.

:func:`evaluate` reports the TCO, its breakdown by item, year and site, every
limit the plan breaks (:func:`dcopt.verify.check_plan`) and the demand it
leaves unmet. :func:`compare` also solves the instance for the optimum and
explains the difference item by item and site by site.

The plan file format is documented in docs/plan-format.md, generated from
:mod:`dcopt.plan` by ``python -m dcopt.studies.evaluate --docs``.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import highspy
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..instance import semantics as sem
from ..instance.errors import InstanceError, Problem
from ..instance.schema import Instance
from ..model.items import SPEC5_ITEMS as COST_ITEMS
from ..pipeline.assemble import (
    nominal_by_year,
    purchase_results,
    retirement_results,
    site_results,
    year_results,
)
from ..pipeline.totals import plan_totals
from ..plan import format as p
from ..plan.check import check_plan, reference_problems
from ..plan.format import Allocation, Plan
from ..results.solution import (
    PurchaseResult,
    RetirementResult,
    SiteResult,
    Solution,
    UnmetDemand,
    YearResult,
)
from ..version import __version__

UNMET_TOL = 1e-6
"""Unmet demand below this fraction of the demand (or absolute, below 1) is solver noise."""

ITEM_LABELS: dict[str, str] = {
    "site_opening": "site opening (land, substation)",
    "fabric_fixed": "network fabric set-up",
    "blocks": "building halls",
    "deployments": "GPU and network purchases",
    "energy": "electricity",
    "carbon": "carbon price",
    "fixed_opex": "site fixed opex (staff, security, insurance)",
    "facility_maintenance": "facility maintenance",
    "deployment_maintenance": "GPU maintenance",
    "resale": "GPU resale value",
    "existing_retirement": "resale value of retired existing GPUs",
    "existing_residual": "residual value of existing GPUs at the end",
    "facility_salvage": "facility salvage value at the end",
}
"""Cost items of SPEC 5 in a finance reader's words."""

CREDIT_ITEMS = frozenset({"resale", "existing_retirement", "existing_residual", "facility_salvage"})
"""Items that are money coming back (negative in the TCO)."""


# --------------------------------------------------------------------------- reading a plan


class PlanError(InstanceError):
    """The plan file is invalid; `problems` lists every problem with its JSON path."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        super().__init__(problems, source)
        head = f"{source}: " if source else ""
        n = len(self.problems)
        lines = [f"{head}invalid plan ({n} problem{'s' if n != 1 else ''})"]
        lines += [f"  {q}".replace("\n", "\n  ") for q in self.problems]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


def load_plan(source: str | Path | dict[str, Any], inst: Instance | None = None) -> Plan:
    """Read a plan: a plan JSON (docs/plan-format.md) or a solution JSON written by
    `dcopt solve` (its plan is taken). With `inst`, names and years are checked against
    it. Raises `PlanError` (a kind of `InstanceError`) naming the JSON path of each problem."""
    from ..instance.io import _read_json

    label = ""
    if isinstance(source, dict):
        data = source
    else:
        label = str(source)
        try:
            data = _read_json(Path(source), "$")
        except PlanError:
            raise
        except InstanceError as exc:
            raise PlanError(exc.problems, label) from None
    if not isinstance(data, dict):
        raise PlanError([Problem("$", "the plan must be a JSON object",
                                 "give an object with openings, fabrics, builds, purchases, retirements")],
                        label)
    if "dcopt_version" in data and "has_plan" in data:
        try:
            solution = Solution.model_validate(data)
        except ValidationError as exc:
            raise PlanError(_problems(exc, None, "give a solution JSON written by dcopt"), label) from None
        if not solution.has_plan:
            raise PlanError([Problem("has_plan", f"the solution has no plan (status {solution.status})",
                                     "give a solution with a plan, or a plan JSON")], label)
        plan = solution.plan()
    else:
        try:
            plan = Plan.model_validate(data)
        except ValidationError as exc:
            raise PlanError(_problems(exc, Plan, "see docs/plan-format.md"), label) from None
    if inst is not None:
        _raise_reference_problems(inst, plan, label)
    return plan


def _raise_reference_problems(inst: Instance, plan: Plan, label: str) -> None:
    problems = []
    for path, message in reference_problems(inst, plan):
        if path.endswith(".year"):
            fix = f"give a year from {inst.horizon.start_year} to {inst.horizon.end_year}"
        elif path.endswith(".rack_kw"):
            fix = "give the rack_kw of one of the catalog's densities"
        elif path.endswith(".deployment"):
            fix = "give the index of an entry of the instance's existing.deployments"
        else:
            fix = "use a name the instance defines (correct the spelling)"
        problems.append(Problem(path, message, fix))
    if problems:
        raise PlanError(problems, label)


def _problems(exc: ValidationError, root: type[BaseModel] | None, hint: str) -> list[Problem]:
    from ..instance.io import _problem, json_path

    out: dict[str, Problem] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        owner, field = _owner(root, loc)
        path = json_path(loc)
        problem = _problem(err, path, owner, field) if root is not None else Problem(path, err["msg"], hint)
        out.setdefault(path, problem)
    return list(out.values())


def _owner(root: type[BaseModel] | None, loc: tuple) -> tuple[type[BaseModel] | None, str | None]:
    """The plan model owning the last key of `loc`, and that key (for friendly messages)."""
    current: Any = root
    owner, field = None, None
    for part in loc:
        if isinstance(part, str) and isinstance(current, type) and issubclass(current, BaseModel):
            owner, field = current, part
            info = current.model_fields.get(part)
            current = _entry_model(info.annotation) if info is not None else None
    return owner, field


def _entry_model(tp: Any) -> Any:
    """The model inside list[Model] or list[Model] | None."""
    import typing

    for arg in (tp, *typing.get_args(tp)):
        if typing.get_origin(arg) is list:
            inner = typing.get_args(arg)[0]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


# --------------------------------------------------------------------------- the allocation LP


def active_gpus(inst: Instance, plan: Plan) -> dict[tuple[str, str, str, int], float]:
    """GPUs running per (site, gpu, fabric, year) under `plan`, counted as `check_plan` does:
    purchases over their life inside the horizon, existing deployments until retired (and
    not past their retirement deadline)."""
    y1 = inst.horizon.end_year + 1
    yn = inst.horizon.end_year
    out: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for q in plan.purchases:
        for t in range(max(q.year, inst.horizon.start_year), min(q.year + q.life_years, y1)):
            out[(q.site, q.gpu, q.fabric, t)] += q.gpus
    gpus = {g.name: g for g in inst.catalog.gpus}
    retired: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in plan.retirements:
        retired[r.deployment][r.year] += r.gpus
    for e, dep in enumerate(inst.existing.deployments):
        deadline = sem.retire_deadline(inst, dep.purchase_year, gpus[dep.gpu])
        running = dep.gpus
        for t in inst.years:
            running -= retired[e].get(t, 0)
            if running > 0 and not (deadline <= yn and t >= deadline):
                out[(dep.site, dep.gpu, dep.fabric, t)] += running
    return dict(out)


def allocate(inst: Instance, plan: Plan) -> tuple[list[Allocation], dict[tuple[str, int], float]]:
    """The allocation of the plan's running GPUs that leaves the least demand unmet.

    Returns the allocations and the unmet demand per (workload, year) (0 where met).
    Minimises the sum of unmet throughput over workloads and years (each year is
    independent); the unit is the instance's throughput unit, as for --allow-unmet."""
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    sites = {s.name: s for s in inst.sites}
    demand: dict[tuple[str, int], float] = {}
    for t in inst.years:
        if sem.demand_value(inst.demand.training, t) > 0:
            demand[(sem.TRAINING, t)] = sem.demand_value(inst.demand.training, t)
        for d in inst.demand.inference:
            if sem.demand_value(d.perf, t) > 0:
                demand[(d.region, t)] = sem.demand_value(d.perf, t)
    if not demand:
        return [], {}
    rows_cap: dict[tuple[str, str, str, int], int] = {}
    rows_demand = {key: i for i, key in enumerate(demand)}
    n_demand = len(rows_demand)
    cols: list[tuple[tuple, list[tuple[int, float]]]] = []  # (alloc key, [(row, coef)])
    fleet = active_gpus(inst, plan)
    for (s, g_name, f_name, t), n in sorted(fleet.items()):
        if n <= 0:
            continue
        g, f = gpus[g_name], fabrics[f_name]
        for w in [sem.TRAINING, *sites[s].served_regions]:
            if (w, t) not in demand:
                continue
            per = (g.training_perf * f.training_efficiency * f.availability if w == sem.TRAINING
                   else g.inference_perf * f.availability)
            if per <= 0:
                continue
            cap_row = rows_cap.setdefault((s, g_name, f_name, t), n_demand + len(rows_cap))
            cols.append(((s, g_name, f_name, t, w), [(cap_row, 1.0), (rows_demand[(w, t)], per)]))
    n_alloc = len(cols)
    unmet_cols = [[(i, 1.0)] for i in range(n_demand)]
    entries = [c for _, c in cols] + unmet_cols
    start = np.cumsum([0] + [len(c) for c in entries])
    index = np.array([r for c in entries for r, _ in c], dtype=np.int32)
    value = np.array([v for c in entries for _, v in c], dtype=float)
    n_rows = n_demand + len(rows_cap)
    row_lower = np.full(n_rows, -highspy.kHighsInf)
    row_upper = np.full(n_rows, highspy.kHighsInf)
    for (w, t), i in rows_demand.items():
        row_lower[i] = row_upper[i] = demand[(w, t)]  # delivered + unmet = demand
    for key, i in rows_cap.items():
        row_upper[i] = fleet[key]

    lp = highspy.HighsLp()
    lp.num_col_ = n_alloc + n_demand
    lp.num_row_ = n_rows
    lp.col_cost_ = np.array([0.0] * n_alloc + [1.0] * n_demand)
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.full(lp.num_col_, highspy.kHighsInf)
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        status = h.modelStatusToString(h.getModelStatus())
        raise RuntimeError(f"the allocation LP stopped with status {status}")
    x = np.array(h.getSolution().col_value)
    allocations = [
        Allocation(site=s, gpu=g, fabric=f, year=t, workload=w, gpus=float(x[j]))
        for j, ((s, g, f, t, w), _) in enumerate(cols) if x[j] > 1e-9
    ]
    unmet = {key: max(0.0, float(x[n_alloc + i])) for key, i in rows_demand.items()}
    return allocations, unmet


# --------------------------------------------------------------------------- the result


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrokenLimit(_Out):
    """A constraint of SPEC 4 (or a rule of SPEC 3) the plan breaks."""

    constraint: str
    where: str
    message: str
    amount: float = Field(0.0, description="By how much, in the constraint's unit.")


class Difference(_Out):
    """Your plan minus the optimum for one cost item (at one site, or in total)."""

    item: str
    site: str | None = Field(None, description="None: the item over all sites.")
    yours_usd: float
    optimum_usd: float
    difference_usd: float
    text: str


class SiteDifference(_Out):
    site: str
    yours_usd: float
    optimum_usd: float
    difference_usd: float


class GroupDifference(_Out):
    """Net difference (yours minus optimum) of a group of cost items at a site."""

    group: str
    site: str
    difference_usd: float


class Comparison(_Out):
    """Your plan against the optimum (`--compare`)."""

    optimum_status: str
    optimum_message: str
    optimum_tco_usd: float | None
    optimum_mip_gap: float | None
    difference_usd: float | None = Field(None, description="Your TCO minus the optimum's (NPV).")
    summary: str = Field(description="The difference in sentences, largest contributions first.")
    by_item: list[Difference] = Field(default_factory=list, description="Per cost item, largest first.")
    by_site_item: list[Difference] = Field(default_factory=list,
                                           description="Per site and cost item, largest first.")
    by_site: list[SiteDifference] = Field(default_factory=list)
    by_group: list[GroupDifference] = Field(
        default_factory=list, description="Per site and group of items (GPUs, sites and halls, power), "
        "net of resale and salvage, largest first.")
    decisions: list[str] = Field(default_factory=list, description="How the decisions differ.")
    optimum: Solution | None = Field(None, description="The optimum's full solution.")


class Evaluation(_Out):
    """`dcopt evaluate`: the costs, broken limits and unmet demand of a given plan."""

    dcopt_version: str
    instance_name: str
    plan_source: str = ""
    feasible: bool = Field(description="Breaks no limit and meets all demand.")
    tco_usd: float
    costs_npv_usd: dict[str, float] = Field(description="NPV of each cost item of SPEC 5.")
    costs_nominal_usd: dict[str, dict[int, float]] = Field(
        description="Each cost item by year (undiscounted); end_year + 1 is salvage.")
    costs_by_site_npv_usd: dict[str, dict[str, float]] = Field(
        description="NPV of each cost item per site; adds up to costs_npv_usd.")
    broken_limits: list[BrokenLimit] = Field(default_factory=list)
    unmet_demand: list[UnmetDemand] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sites: list[SiteResult] = Field(default_factory=list)
    purchases: list[PurchaseResult] = Field(default_factory=list)
    retirements: list[RetirementResult] = Field(default_factory=list)
    allocations: list[Allocation] = Field(default_factory=list,
                                          description="The allocation chosen (least unmet demand).")
    years: list[YearResult] = Field(default_factory=list)
    comparison: Comparison | None = None

    def text(self) -> str:
        return evaluation_text(self)


def evaluate(inst: Instance, plan: Plan, plan_source: str = "") -> Evaluation:
    """Cost `plan` (its decisions as given), optimise its allocation, list what it breaks."""
    _raise_reference_problems(inst, plan, plan_source)
    notes = []
    if plan.allocations:
        notes.append("the plan's own allocations are replaced by the allocation that leaves the least "
                     "demand unmet")
    allocations, unmet = allocate(inst, plan)
    full = plan.model_copy(update={"allocations": allocations})
    violations = check_plan(inst, full, unmet)
    d, costs = plan_totals(inst, full)
    unmet_rows = []
    for (w, t), v in unmet.items():
        need = (sem.demand_value(inst.demand.training, t) if w == sem.TRAINING
                else next(sem.demand_value(d.perf, t) for d in inst.demand.inference if d.region == w))
        if v > UNMET_TOL * max(1.0, need):
            unmet_rows.append(UnmetDemand(workload=w, year=t, demand=need, unmet=v))
    broken = [BrokenLimit(constraint=v.constraint, where=v.where, message=v.message, amount=v.amount)
              for v in violations]
    return Evaluation(
        dcopt_version=__version__,
        instance_name=inst.name,
        plan_source=plan_source,
        feasible=not broken and not unmet_rows,
        tco_usd=costs.tco_usd,
        costs_npv_usd=dict(costs.npv_usd),
        costs_nominal_usd=nominal_by_year(costs),
        costs_by_site_npv_usd={s.name: costs.site_npv_usd(s.name) for s in inst.sites},
        broken_limits=broken,
        unmet_demand=unmet_rows,
        notes=notes,
        sites=site_results(d, plan, costs),
        purchases=purchase_results(inst, plan),
        retirements=retirement_results(inst, plan),
        allocations=allocations,
        years=year_results(d, full, costs),
    )


# --------------------------------------------------------------------------- comparison


def compare(inst: Instance, plan: Plan, evaluation: Evaluation, options: Any = None) -> Comparison:
    """Solve `inst` for the optimum and explain how `plan` (evaluated) differs from it.
    Sets and returns `evaluation.comparison`."""
    from ..pipeline.solve import solve

    optimum = solve(inst, options)
    if not optimum.has_plan:
        reasons = "; ".join(optimum.diagnosis) if optimum.diagnosis else optimum.message
        comparison = Comparison(
            optimum_status=optimum.status, optimum_message=optimum.message, optimum_tco_usd=None,
            optimum_mip_gap=None,
            summary=f"No optimum to compare with: {optimum.message}" + (f" ({reasons})" if reasons else ""),
            optimum=optimum,
        )
        evaluation.comparison = comparison
        return comparison
    opt_plan = optimum.plan()
    _, opt_costs = plan_totals(inst, opt_plan)
    opt_by_site = {s.name: opt_costs.site_npv_usd(s.name) for s in inst.sites}
    mine_by_site = evaluation.costs_by_site_npv_usd
    yours_tco, opt_tco = evaluation.tco_usd, float(optimum.tco_usd or 0.0)
    diff = yours_tco - opt_tco
    scale = max(abs(yours_tco), abs(opt_tco), 1.0)
    noise = 1e-6 * scale

    by_item = []
    for item in COST_ITEMS:
        a, b = evaluation.costs_npv_usd.get(item, 0.0), optimum.costs_npv_usd.get(item, 0.0)
        if abs(a - b) > noise:
            by_item.append(Difference(item=item, yours_usd=a, optimum_usd=b, difference_usd=a - b,
                                      text=_difference_text(item, None, a - b)))
    by_item.sort(key=lambda d: -abs(d.difference_usd))
    by_site_item = []
    for s in inst.sites:
        for item in COST_ITEMS:
            a, b = mine_by_site[s.name].get(item, 0.0), opt_by_site[s.name].get(item, 0.0)
            if abs(a - b) > noise:
                by_site_item.append(Difference(item=item, site=s.name, yours_usd=a, optimum_usd=b,
                                               difference_usd=a - b,
                                               text=_difference_text(item, s.name, a - b)))
    by_site_item.sort(key=lambda d: -abs(d.difference_usd))
    by_site = []
    for s in inst.sites:
        a, b = sum(mine_by_site[s.name].values()), sum(opt_by_site[s.name].values())
        if abs(a - b) > noise:
            by_site.append(SiteDifference(site=s.name, yours_usd=a, optimum_usd=b, difference_usd=a - b))
    by_site.sort(key=lambda d: -abs(d.difference_usd))

    groups = _group_differences(inst, mine_by_site, opt_by_site, noise)
    comparison = Comparison(
        optimum_status=optimum.status,
        optimum_message=optimum.message,
        optimum_tco_usd=opt_tco,
        optimum_mip_gap=optimum.mip_gap,
        difference_usd=diff,
        summary=_summary(evaluation, optimum, diff, by_site_item, groups, noise),
        by_group=[GroupDifference(group=g, site=site, difference_usd=d) for g, site, d in groups],
        by_item=by_item,
        by_site_item=by_site_item,
        by_site=by_site,
        decisions=_decision_differences(inst, evaluation, optimum),
        optimum=optimum,
    )
    evaluation.comparison = comparison
    return comparison


def _m(usd: float) -> str:
    """A money amount in M$, with sensible precision."""
    v = usd / 1e6
    return f"{v:,.2f} M$" if abs(v) < 100 else f"{v:,.1f} M$"


def _difference_text(item: str, site: str | None, d: float) -> str:
    """'12.30 M$ more on electricity at site tx-abilene', in a finance reader's words."""
    label = ITEM_LABELS.get(item, item)
    where = f" at site {site}" if site is not None else ""
    if item in CREDIT_ITEMS:  # a credit: a higher cost means less money back
        return (f"{_m(d)} less {label}{where}" if d > 0 else f"{_m(-d)} more {label}{where}")
    return f"{_m(d)} more on {label}{where}" if d > 0 else f"{_m(-d)} less on {label}{where}"


GROUPS: dict[str, tuple[str, ...]] = {
    "GPUs (purchases, maintenance, resale)": ("deployments", "deployment_maintenance", "resale",
                                              "existing_retirement", "existing_residual"),
    "sites and halls (opening, fabrics, blocks, opex, maintenance, salvage)": (
        "site_opening", "fabric_fixed", "blocks", "fixed_opex", "facility_maintenance", "facility_salvage"),
    "power (electricity and carbon)": ("energy", "carbon"),
}
"""Cost items grouped by what they pay for: a group's net difference is the money really
lost or saved (a dearer purchase comes partly back as resale or salvage)."""


def _group_differences(inst: Instance, mine: dict[str, dict[str, float]],
                       theirs: dict[str, dict[str, float]], noise: float) -> list[tuple[str, str, float]]:
    """(group, site, yours minus optimum), largest first."""
    out = []
    for s in inst.sites:
        for group, items in GROUPS.items():
            d = sum(mine[s.name].get(i, 0.0) - theirs[s.name].get(i, 0.0) for i in items)
            if abs(d) > noise:
                out.append((group, s.name, d))
    return sorted(out, key=lambda x: -abs(x[2]))


def _summary(ev: Evaluation, optimum: Solution, diff: float, parts: list[Difference],
             groups: list[tuple[str, str, float]], noise: float) -> str:
    opt_tco = float(optimum.tco_usd or 0.0)
    which = ("the optimum" if optimum.status == "optimal"
             else f"the best plan found ({optimum.status}, within {100 * (optimum.mip_gap or 0):.2f} % "
                  "of the optimum)")
    if abs(diff) <= noise:
        text = f"Your plan costs the same as {which}: TCO {_m(opt_tco)} (NPV)."
    else:
        more = diff > 0
        pct = f", {'+' if more else '-'}{100 * abs(diff) / abs(opt_tco):.1f} %" if opt_tco else ""
        text = (f"Your plan pays {_m(abs(diff))} {'more' if more else 'less'} than {which}: "
                f"TCO {_m(ev.tco_usd)} against {_m(opt_tco)} (NPV{pct}).")
        same = [g for g in groups if (g[2] > 0) == more]
        if same:
            shown = [f"{_m(abs(d))} {'in' if i else 'of it in'} {g.split(' (')[0]} at site {s}"
                     for i, (g, s, d) in enumerate(same[:3])]
            listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
            text += f" Net of resale and salvage, {listed}."
            against = [g for g in groups if (g[2] > 0) != more]
            if against:
                g, s, d = against[0]
                text += (f" Against that, it {'saves' if more else 'pays'} {_m(abs(d))} "
                         f"{'on' if more else 'more on'} {g.split(' (')[0]} at site {s}.")
        big = [d for d in parts if (d.difference_usd > 0) == more][:2]
        if big:
            text += " Largest items: " + " and ".join(d.text for d in big)
            offset = [d for d in parts if (d.difference_usd > 0) != more][:1]
            if offset:
                text += f", partly offset by {offset[0].text}"
            text += "."
    if ev.unmet_demand:
        short = ", ".join(f"{u.unmet:,.4g} of {u.workload} in {u.year}" for u in ev.unmet_demand[:4])
        more_rows = len(ev.unmet_demand) - 4
        and_more = f" and {more_rows} more" if more_rows > 0 else ""
        text += (f" Your plan leaves demand unmet ({short}{and_more}),"
                 " which the optimum meets.")
    if ev.broken_limits:
        kinds = sorted({b.constraint for b in ev.broken_limits})
        text += (f" Your plan breaks {len(ev.broken_limits)} limit(s) ({', '.join(kinds)}), "
                 "which the optimum respects.")
    if optimum.unmet_demand:
        text += " The optimum was solved with --allow-unmet and leaves some demand unmet."
    return text


def _where(d: Difference) -> str:
    label = ITEM_LABELS.get(d.item, d.item)
    site = f" at site {d.site}" if d.site else ""
    if d.item in CREDIT_ITEMS:
        return f"{label}{site} ({'less' if d.difference_usd > 0 else 'more'} money back)"
    return f"{label}{site}"


def _decision_differences(inst: Instance, ev: Evaluation, optimum: Solution) -> list[str]:
    """The main decisions side by side: sites, IT MW built, GPUs bought."""
    out = []
    last = inst.horizon.end_year
    opt_sites = {s.name: s for s in optimum.sites}
    for s in ev.sites:
        o = opt_sites[s.name]
        mine, theirs = _site_line(s, last), _site_line(o, last)
        if mine != theirs:
            out.append(f"site {s.name}: yours {mine}; optimum {theirs}")
    mine_gpus, opt_gpus = _bought(ev.purchases), _bought(optimum.purchases)
    if mine_gpus != opt_gpus:
        out.append(f"GPUs bought: yours {_gpu_list(mine_gpus)}; optimum {_gpu_list(opt_gpus)}")
    if {(r.deployment, r.year, r.gpus) for r in ev.retirements} != \
            {(r.deployment, r.year, r.gpus) for r in optimum.retirements}:
        out.append("existing GPUs retired: yours " + _retired(ev.retirements) + "; optimum "
                   + _retired(optimum.retirements))
    return out


def _site_line(s: SiteResult, last: int) -> str:
    if s.open_year is None:
        return "not opened"
    how = "existing" if s.opened_by_existing else f"opened {s.open_year}"
    halls: dict[str, int] = defaultdict(int)
    for b in s.blocks:
        halls[f"{b.cooling}/{b.rack_kw:g} kW"] += b.blocks
    mix = ", ".join(f"{n} x {k}" for k, n in halls.items()) or "no blocks"
    return f"{how}, {s.built_it_mw.get(last, 0.0):g} MW IT by {last} ({mix})"


def _bought(purchases: list[PurchaseResult]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for q in purchases:
        out[q.gpu] += q.gpus
    return dict(sorted(out.items()))


def _gpu_list(bought: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {g}" for g, n in bought.items()) or "none"


def _retired(rows: list[RetirementResult]) -> str:
    return ", ".join(f"{r.gpus} of deployment {r.deployment} in {r.year}" for r in rows) or "none"


# --------------------------------------------------------------------------- text report


def evaluation_text(ev: Evaluation, top_sites: int = 6) -> str:
    lines = [f"{ev.instance_name or 'instance'}: plan {ev.plan_source or '(given)'}"]
    verdict = ("meets all demand within every limit" if ev.feasible else
               "; ".join(x for x in (
                   f"breaks {len(ev.broken_limits)} limit(s)" if ev.broken_limits else "",
                   "leaves demand unmet" if ev.unmet_demand else "") if x))
    lines.append(f"TCO {_m(ev.tco_usd)} (NPV); {verdict}")
    lines.append("")
    lines.append("Cost items (NPV):")
    for item in COST_ITEMS:
        usd = ev.costs_npv_usd.get(item, 0.0)
        if abs(usd) > 0.005:
            lines.append(f"  {ITEM_LABELS[item]:<46} {_m(usd):>14}")
    lines.append(f"  {'total':<46} {_m(ev.tco_usd):>14}")
    sites = sorted(((s, sum(c.values())) for s, c in ev.costs_by_site_npv_usd.items()
                    if any(abs(v) > 0.005 for v in c.values())), key=lambda kv: -abs(kv[1]))
    if sites:
        lines.append("")
        lines.append("By site (NPV, largest items):")
        for s, total in sites[:top_sites]:
            items = sorted(ev.costs_by_site_npv_usd[s].items(), key=lambda kv: -abs(kv[1]))
            parts = ", ".join(f"{ITEM_LABELS.get(i, i)} {_m(v)}" for i, v in items[:4] if abs(v) > 0.005)
            lines.append(f"  {s}: {_m(total)} ({parts})")
        if len(sites) > top_sites:
            lines.append(f"  ... {len(sites) - top_sites} more sites")
    if ev.broken_limits:
        lines.append("")
        lines.append("Limits broken:")
        lines += [f"  - {b.constraint} [{b.where}]: {b.message}" for b in ev.broken_limits]
    if ev.unmet_demand:
        lines.append("")
        lines.append("Unmet demand (with the best allocation of the plan's GPUs):")
        for u in ev.unmet_demand:
            what = "training" if u.workload == sem.TRAINING else f"inference {u.workload}"
            lines.append(f"  {u.year} {what}: {u.unmet:,.6g} of {u.demand:,.6g} short "
                         f"({100 * u.unmet / u.demand:.1f} %)")
    lines += [f"note: {n}" for n in ev.notes]
    c = ev.comparison
    if c is not None:
        lines.append("")
        lines.append("Compared with the optimum:")
        lines.append(f"  {c.summary}")
        if c.by_site_item:
            lines.append("  Differences by site and item, largest first (yours minus optimum, NPV):")
            for d in c.by_site_item[:10]:
                lines.append(f"    {d.difference_usd / 1e6:+10,.2f} M$  {ITEM_LABELS[d.item]} at {d.site} "
                             f"({_m(d.yours_usd)} against {_m(d.optimum_usd)})")
            if len(c.by_site_item) > 10:
                rest = sum(d.difference_usd for d in c.by_site_item[10:])
                lines.append(f"    {rest / 1e6:+10,.2f} M$  {len(c.by_site_item) - 10} smaller differences")
        if c.by_item:
            lines.append("  By cost item:")
            for d in c.by_item:
                lines.append(f"    {d.difference_usd / 1e6:+10,.2f} M$  {ITEM_LABELS[d.item]}")
        if c.by_group:
            lines.append("  Net by site and what it pays for:")
            for g in c.by_group:
                lines.append(f"    {g.difference_usd / 1e6:+10,.2f} M$  {g.group} at {g.site}")
        if c.by_site:
            lines.append("  By site:")
            for d in c.by_site:
                lines.append(f"    {d.difference_usd / 1e6:+10,.2f} M$  {d.site} "
                             f"({_m(d.yours_usd)} against {_m(d.optimum_usd)})")
        if c.decisions:
            lines.append("  Decisions:")
            lines += [f"    {x}" for x in c.decisions]
    return "\n".join(lines)


# --------------------------------------------------------------------------- plan format docs

PLAN_SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Plan (top level)", p.Plan),
    *((f"{name}[]", _entry_model(f.annotation)) for name, f in p.Plan.model_fields.items()),
    ("ScenarioPlan (top level, SPEC 8.8)", p.ScenarioPlan),
    ("cases[]", p.CasePlan),
]

_MODEL_NOTES: dict[str, str] = {
    "SiteOpening": "A site opened in a year (a site with existing blocks is open already).",
    "FabricArrival": "A fabric first deployed at a site in a year.",
    "BlockBuild": "Blocks of a hall design (cooling, rack density) commissioned at a site in a year.",
}

_FIELD_NOTES: dict[tuple[str, str], str] = {
    ("Plan", "openings"): "Sites opened, `openings[]` below.",
    ("Plan", "fabrics"): "Fabrics brought to sites, `fabrics[]` below.",
    ("Plan", "builds"): "Blocks built, `builds[]` below.",
    ("Plan", "purchases"): "GPUs bought, with their life, `purchases[]` below.",
    ("Plan", "retirements"): "Existing GPUs retired, `retirements[]` below.",
    ("SiteOpening", "site"): "Site name (`sites[].name`).",
    ("SiteOpening", "year"): "Year the site opens (its `site_fixed_capex_usd` is paid then).",
    ("FabricArrival", "site"): "Site name.",
    ("FabricArrival", "fabric"): "Fabric name (`catalog.fabrics[].name`).",
    ("FabricArrival", "year"): "Year the fabric is first deployed at the site.",
    ("BlockBuild", "site"): "Site name.",
    ("BlockBuild", "cooling"): "Cooling name of the hall design.",
    ("BlockBuild", "rack_kw"): "Rack density of the hall design (a `catalog.densities[].rack_kw`).",
    ("BlockBuild", "year"): "Year the blocks are commissioned.",
    ("BlockBuild", "blocks"): "Number of blocks (`block_mw` of IT each).",
    ("Purchase", "site"): "Site name.",
    ("Purchase", "cooling"): "Cooling of the halls the GPUs go into.",
    ("Purchase", "rack_kw"): "Rack density of those halls.",
    ("Purchase", "gpu"): "GPU name (`catalog.gpus[].name`).",
    ("Purchase", "fabric"): "Fabric the GPUs attach to.",
    ("Purchase", "year"): "Year bought.",
    ("Purchase", "gpus"): "Number of GPUs, a multiple of the GPU's `unit_gpus`.",
    ("Retirement", "year"): "Year at whose start the GPUs stop.",
    ("Retirement", "gpus"): "Number of GPUs, a multiple of the GPU's `unit_gpus`.",
    ("Allocation", "site"): "Site name.",
    ("Allocation", "gpu"): "GPU name.",
    ("Allocation", "fabric"): "Fabric name.",
    ("Allocation", "year"): "Year.",
    ("Allocation", "gpus"): "GPUs given to the workload (may be fractional).",
}

PLAN_DOC_HEADER = """# Plan format

Generated from `src/dcopt/plan/format.py` by `python -m dcopt.studies.evaluate --docs`; do
not edit by hand (a test checks that this file matches the model).

A plan holds the decisions of SPEC section 3 and nothing else: which sites
open when, which fabrics come to which site, which blocks are built, which
GPUs are bought (with their life) and which existing GPUs retire. `dcopt
evaluate instance.json plan.json` costs a plan, chooses its allocation
(which GPUs serve which demand, the allocation that leaves the least demand
unmet), and reports every limit it breaks; `--compare` also solves for the
optimum and explains the difference. `instances/quickstart-plan.json` is an
example for `instances/quickstart.json`.

Rules:

- Unknown keys are errors at any depth; names must be those of the instance
  and years inside its horizon (an invalid plan exits 2, naming the JSON path).
- Every list may be left out (empty); a hand-written plan needs no
  `allocations`: `dcopt evaluate` chooses them.
- A site with existing blocks is open already (no `openings` entry); a fabric
  used by an existing deployment is present already (no `fabrics` entry).
- A purchase runs `year .. year + life_years - 1`, and is resold at the start
  of `min(year + life_years, end_year + 1)`; its hall design `(cooling,
  rack_kw)` must have capacity at the site (built `builds`, or existing
  blocks) and the fabric must be at the site by `year`.
- `retirements[].deployment` is the index (from 0) in the instance's
  `existing.deployments`; existing GPUs not retired keep running (until
  their retirement deadline, SPEC 7.16).
- A solution JSON written by `dcopt solve` is accepted as a plan too (its
  decisions are taken).

Example (two sites' worth of decisions):

```json
{
  "openings":  [{"site": "tx-abilene", "year": 2026}],
  "fabrics":   [{"site": "tx-abilene", "fabric": "infiniband", "year": 2026}],
  "builds":    [{"site": "tx-abilene", "cooling": "dlc", "rack_kw": 130, "year": 2026, "blocks": 1}],
  "purchases": [{"site": "tx-abilene", "cooling": "dlc", "rack_kw": 130, "gpu": "B200",
                 "fabric": "infiniband", "year": 2026, "gpus": 1568, "life_years": 4}],
  "retirements": []
}
```
"""


def plan_format_markdown() -> str:
    from ..docgen import _default, _type_name

    out = [PLAN_DOC_HEADER]
    for title, model in PLAN_SECTIONS:
        out.append(f"\n## `{title}`\n")
        doc = (model.__doc__ or "").strip() or _MODEL_NOTES.get(model.__name__, "")
        out.append(f"{doc.splitlines()[0]}\n")
        out.append("| field | type | default | meaning |")
        out.append("|---|---|---|---|")
        for name, field in model.model_fields.items():
            desc = field.description or _FIELD_NOTES.get((model.__name__, name), "")
            desc = desc.replace("|", "\\|")
            out.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
    return "\n".join(out) + "\n"


def plan_format_path() -> Path:
    return Path(__file__).resolve().parents[3] / "docs" / "plan-format.md"


def _main(argv: list[str]) -> int:
    if "--docs" not in argv:
        print("usage: python -m dcopt.studies.evaluate --docs [--check]", file=sys.stderr)
        return 2
    from ..docgen import write_or_check

    return write_or_check(plan_format_path(), plan_format_markdown(), "python -m dcopt.studies.evaluate --docs", argv)


def write_json(ev: Evaluation, path: str | Path) -> None:
    Path(path).write_text(ev.model_dump_json(indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
