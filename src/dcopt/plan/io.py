"""Reading a plan: JSON -> `Plan` or `ScenarioPlan`, with every problem at its JSON path.

A plan file is a plan JSON (docs/plan-format.md): a `Plan`, or, for an
instance with scenarios, a `ScenarioPlan` (``{"cases": [{"case": ..., "plan":
{...}}]}``). A solution JSON written by `dcopt solve` is accepted too: its
plan, or with scenarios every case's plan. With the instance, the names and
years a plan uses are checked against it: an entry naming what the instance
does not have cannot be costed, so it is an invalid plan (`PlanError`, exit 2),
not a broken limit.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..instance.errors import InstanceError, Problem
from ..instance.io import json_path, read_json, validation_problem
from ..instance.schema import Instance
from ..results.solution import Solution
from .check import reference_problems
from .format import Plan, ScenarioPlan

AnyPlan = Plan | ScenarioPlan


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


def load_plan(source: str | Path | dict[str, Any], inst: Instance | None = None) -> AnyPlan:
    """Read a plan: a plan JSON (docs/plan-format.md), a scenario plan, or a solution JSON
    written by `dcopt solve` (its plan is taken). With `inst`, names and years are checked
    against it. Raises `PlanError` (a kind of `InstanceError`) naming the JSON path of each
    problem."""
    label = "" if isinstance(source, dict) else str(source)
    data = source if isinstance(source, dict) else _read(Path(source), label)
    plan = parse_plan(data, label)
    if inst is not None:
        raise_reference_problems(inst, plan, label)
    return plan


def _read(path: Path, label: str) -> Any:
    try:
        return read_json(path, "$")
    except InstanceError as exc:
        raise PlanError(exc.problems, label) from None


def parse_plan(data: Any, label: str = "") -> AnyPlan:
    """A parsed plan JSON (or solution JSON) as a `Plan` or `ScenarioPlan`."""
    if not isinstance(data, dict):
        raise PlanError([Problem("$", "the plan must be a JSON object",
                                 "give an object with openings, fabrics, builds, purchases, retirements")],
                        label)
    if "dcopt_version" in data and "has_plan" in data:
        return _solution_plan(data, label)
    model: type[BaseModel] = ScenarioPlan if "cases" in data else Plan
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_problems(exc, model), label) from None


def _solution_plan(data: dict[str, Any], label: str) -> AnyPlan:
    try:
        solution = Solution.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_problems(exc, None, "give a solution JSON written by dcopt"), label) from None
    if not solution.has_plan:
        raise PlanError([Problem("has_plan", f"the solution has no plan (status {solution.status})",
                                 "give a solution with a plan, or a plan JSON")], label)
    return solution.scenario_plan() or solution.plan()


def _problems(exc: ValidationError, root: type[BaseModel] | None, hint: str = "") -> list[Problem]:
    out: dict[str, Problem] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = json_path(loc)
        if root is None:
            problem = Problem(path, err["msg"], hint)
        else:
            owner, field = _owner(root, loc)
            problem = validation_problem(err, path, owner, field)
        out.setdefault(path, problem)
    return list(out.values())


def _owner(root: type[BaseModel], loc: tuple) -> tuple[type[BaseModel] | None, str | None]:
    """The plan model owning the last key of `loc`, and that key (for friendly messages)."""
    current: Any = root
    owner, field = None, None
    for part in loc:
        if isinstance(part, str) and isinstance(current, type) and issubclass(current, BaseModel):
            owner, field = current, part
            info = current.model_fields.get(part)
            current = _field_model(info.annotation) if info is not None else None
    return owner, field


def _field_model(tp: Any) -> Any:
    """The model of a field typed Model, list[Model] or list[Model] | None."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return entry_model(tp)


def entry_model(tp: Any) -> Any:
    """The model inside list[Model] or list[Model] | None (None for other types)."""
    for arg in (tp, *typing.get_args(tp)):
        if typing.get_origin(arg) is list:
            inner = typing.get_args(arg)[0]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


# --------------------------------------------------------------------------- names and years


def raise_reference_problems(inst: Instance, plan: AnyPlan, label: str = "") -> None:
    problems = plan_reference_problems(inst, plan)
    if problems:
        raise PlanError(problems, label)


def plan_reference_problems(inst: Instance, plan: AnyPlan) -> list[Problem]:
    """Every name or year of `plan` that the instance does not have, with a fix."""
    if isinstance(plan, Plan):
        return _single(inst, plan)
    out = []
    known = [c.name for c in inst.scenarios.cases] if inst.scenarios is not None else []
    seen: set[str] = set()
    for i, c in enumerate(plan.cases):
        if not known:
            out.append(Problem(f"cases[{i}].case", "the instance has no scenarios",
                               "give a single plan (without cases)"))
        elif c.case not in known:
            out.append(Problem(f"cases[{i}].case", f"unknown case {c.case!r} (the instance has "
                               f"{', '.join(known)})", "use a case name of scenarios.cases"))
        elif c.case in seen:
            out.append(Problem(f"cases[{i}].case", f"case {c.case!r} is given twice", "give each case once"))
        seen.add(c.case)
        out += [Problem(f"cases[{i}].plan.{q.path}", q.message, q.fix) for q in _single(inst, c.plan)]
    missing = [n for n in known if n not in seen]
    if known and missing and not out:
        out.append(Problem("cases", f"no plan for case(s) {', '.join(missing)}",
                           "give one plan per scenario case"))
    return out


def _single(inst: Instance, plan: Plan) -> list[Problem]:
    found = [*reference_problems(inst, plan), *_section8_references(inst, plan)]
    out: dict[str, Problem] = {}
    for path, message in found:
        out.setdefault(path, Problem(path, message, _fix(inst, path)))
    return list(out.values())


def _fix(inst: Instance, path: str) -> str:
    if path.startswith("rentals[") and path.endswith(".year"):
        return "give a year in which the rental is offered (its first_year to last_year, priced)"
    if path.endswith(".year"):
        return f"give a year from {inst.horizon.start_year} to {inst.horizon.end_year}"
    if path.endswith(".rack_kw"):
        return "give the rack_kw of one of the catalog's densities"
    if path.endswith(".deployment"):
        return "give the index of an entry of the instance's existing.deployments"
    if path.endswith((".upgrade", ".option")):
        return "use the name of one of that site's entries (correct the spelling)"
    return "use a name the instance defines (correct the spelling)"


class _References:
    """Collects the unknown names and years of the SPEC 8 entries of a plan (grid upgrades,
    on-site power, routes, links, jobs, rentals) as (JSON path, message)."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.out: list[tuple[str, str]] = []
        self.names = {
            "site": {s.name for s in inst.sites},
            "gpu": {g.name for g in inst.catalog.gpus},
            "fabric": {f.name for f in inst.catalog.fabrics},
            "optic": {o.name for o in inst.catalog.dci_optics},
            "job": {j.name for j in inst.demand.training_jobs},
            "rental": {r.name for r in inst.rentals},
        }

    def name(self, path: str, kind: str, value: str | None) -> None:
        if value is not None and value not in self.names[kind]:
            have = ", ".join(sorted(self.names[kind])) or "none"
            self.out.append((path, f"unknown {kind} {value!r} (the instance has {have})"))

    def year(self, path: str, year: int, allowed: set[int] | None = None) -> None:
        y0, yn = self.inst.horizon.start_year, self.inst.horizon.end_year
        if allowed is None and not y0 <= year <= yn:
            self.out.append((f"{path}.year", f"year {year} is outside the horizon {y0}-{yn}"))
        elif allowed is not None and year not in allowed:
            self.out.append((f"{path}.year", f"not offered in {year}"))

    def option(self, path: str, site: str, key: str, value: str, have: dict[str, set[str]], field: str) -> None:
        self.name(f"{path}.site", "site", site)
        if site in have and value not in have[site]:
            listed = ", ".join(sorted(have[site])) or "none"
            self.out.append((f"{path}.{key}", f"site {site} has no {field} entry {value!r} (it has {listed})"))

    def route(self, path: str, a: str, b: str) -> None:
        self.name(f"{path}.a", "site", a)
        self.name(f"{path}.b", "site", b)
        if not any({r.a, r.b} == {a, b} for r in self.inst.dci_routes):
            self.out.append((path, f"no dci_routes entry between {a} and {b}"))


def _section8_references(inst: Instance, plan: Plan) -> list[tuple[str, str]]:
    ref = _References(inst)
    upgrades = {s.name: {u.name for u in s.grid_upgrades} for s in inst.sites}
    onsite = {s.name: {p.name for p in s.onsite_power} for s in inst.sites}
    for i, u in enumerate(plan.grid_upgrades):
        ref.option(f"grid_upgrades[{i}]", u.site, "upgrade", u.upgrade, upgrades, "grid_upgrades")
        ref.year(f"grid_upgrades[{i}]", u.year)
    for family, entries in (("onsite_builds", plan.onsite_builds), ("onsite_generation", plan.onsite_generation)):
        for i, g in enumerate(entries):
            ref.option(f"{family}[{i}]", g.site, "option", g.option, onsite, "onsite_power")
            ref.year(f"{family}[{i}]", g.year)
    for i, r in enumerate(plan.routes_lit):
        ref.route(f"routes_lit[{i}]", r.a, r.b)
        ref.year(f"routes_lit[{i}]", r.year)
    for i, li in enumerate(plan.links):
        ref.route(f"links[{i}]", li.a, li.b)
        ref.name(f"links[{i}].optic", "optic", li.optic)
        ref.year(f"links[{i}]", li.year)
    _job_references(ref, plan)
    _rental_references(ref, inst, plan)
    return ref.out


def _job_references(ref: _References, plan: Plan) -> None:
    for i, x in enumerate(plan.job_placements):
        path = f"job_placements[{i}]"
        ref.name(f"{path}.job", "job", x.job)
        ref.name(f"{path}.home", "site", x.home)
        ref.name(f"{path}.gpu", "gpu", x.gpu)
        for k, s in enumerate(x.remote_sites):
            ref.name(f"{path}.remote_sites[{k}]", "site", s)
        ref.year(path, x.year)
    for i, a in enumerate(plan.job_allocations or []):
        path = f"job_allocations[{i}]"
        ref.name(f"{path}.job", "job", a.job)
        ref.name(f"{path}.home", "site", a.home)
        ref.name(f"{path}.site", "site", a.site)
        ref.name(f"{path}.gpu", "gpu", a.gpu)
        ref.name(f"{path}.fabric", "fabric", a.fabric)
        ref.year(path, a.year)


def _rental_references(ref: _References, inst: Instance, plan: Plan) -> None:
    from ..instance import semantics as sem

    rentals = {r.name: r for r in inst.rentals}
    for i, u in enumerate(plan.rentals):
        ref.name(f"rentals[{i}].rental", "rental", u.rental)
        r = rentals.get(u.rental)
        if r is not None:
            first = r.first_year if r.first_year is not None else inst.horizon.start_year
            last = r.last_year if r.last_year is not None else inst.horizon.end_year
            offered = {y for y in inst.years if first <= y <= last and sem.year_value(r.usd_per_gpu_hour, y) is not None}
            ref.year(f"rentals[{i}]", u.year, offered)
    for i, a in enumerate(plan.rental_allocations or []):
        ref.name(f"rental_allocations[{i}].rental", "rental", a.rental)
        ref.year(f"rental_allocations[{i}]", a.year)
