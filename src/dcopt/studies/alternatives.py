"""Near-optimal alternatives: plans within a slack of the optimal TCO whose design differs most.

    import dcopt
    alts = dcopt.alternatives("instances/quickstart.json", slack=0.02, count=5)
    print(alts.text())            # each plan: TCO, gap to the optimum, what differs
    alts.table                    # one row per plan (row 0: the optimum)

Modelling to generate alternatives (MGA), as PyPSA's ``optimize_mga`` and
Calliope's SPORES do it: solve for the optimum, then re-solve the same model
with the TCO capped at ``(1 + slack) x`` the optimum (a row on the model's
``expected_tco``) and a distance objective instead of the TCO. Here the
distance is over the design features of `dcopt.model.features` (sites
opened, cooling types and rack densities per site, fabrics per site, GPU
models, and with SPEC 8 job homes, on-site power, grid upgrades, rentals and
DCI routes), scored as SPORES's "integer" scoring (Hop-Skip-Jump): each
feature scores the number of plans found so far that have it, and the new
plan minimises its score, so it drops what the earlier plans share first.
The TCO only breaks ties (`model.build.DISTANCE_TIE_WEIGHT`): among the most
different plans, the cheapest.

A plan must also differ from every earlier plan in at least one feature: it
drops a feature that plan has, or adds one in earnest (a site, a block, a
fabric, `MIN_GPU_SHARE` of the optimum's GPUs of a new model, a share of the
MW or GPUs on offer: see `model.features`). So every alternative differs from
the optimum and from the others of its direction, and when none is left
within the slack the direction says so (status ``none``).

Directions, chains and where they run: alternatives come in `directions`
independent chains (alternative i in chain ``(i - 1) % directions``). Chain
0 scores every feature group; chain c > 0 scores one group only (sites,
cooling, density, fabrics, GPU models, ... in turn), asking "the cheapest
plan that avoids the optimum's choices of that group". Within a chain each
alternative differs most from the optimum and the chain's earlier ones; the
model is built once per worker and re-solved in place (the goal's numbers
updated, `Pipeline.set_goal`), started from the chain's last plan, which
stays feasible: the last plan's own "differ" row is only added when the
re-solve comes back with that same plan. Chains are independent, so they
run on local processes (``jobs``) or a Dask cluster (``dask``) with the same
results as in one process. Each finished alternative is appended to the
results file at once (``output``), and ``resume`` carries on a run (a
resumed chain starts its next solve without a start plan).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..instance.errors import Problem
from ..instance.io import load_instance
from ..instance.paths import SweepInputError, instance_document
from ..instance.schema import Instance
from ..model.build import Goal
from ..model.data import ModelData, prepare_cases
from ..model.features import GROUPS, group_of, plan_features
from ..model.planmap import values_from_plan
from ..pipeline.solve import Pipeline, expected_emissions_t
from ..results.solution import Solution
from ..solver.highs import SolveOptions
from ..status import Status
from .parent_watch import die_with_parent
from .results import ResultsFile, complete, failure_fields, one_line, solution_fields
from .results import columns as sweep_columns
from .sweep import dask_cleanup

if TYPE_CHECKING:
    import pandas as pd

InstanceSource = Instance | str | Path | dict[str, Any]

MIN_GPU_SHARE = 0.05
"""A GPU model the optimum does not buy counts as added in earnest from this share of the
optimum's GPUs (a token unit of a new model is not another design)."""

TEXT_COLUMNS = ("direction", "status", "message", "features", "difference", "sites_opened")
INT_COLUMNS = ("alternative", "chain", "step")


class AlternativesAborted(RuntimeError):
    """A worker process died; the alternatives finished so far are saved."""


# --------------------------------------------------------------------------- directions


def direction_names(groups: list[str], directions: int) -> list[str]:
    """The direction of each chain: "all" for chain 0, then the feature groups in turn."""
    return ["all" if c == 0 else groups[(c - 1) % len(groups)] for c in range(directions)] if groups else \
        ["all"] * directions


def chain_steps(count: int, directions: int) -> list[int]:
    """How many alternatives each chain has (alternative i is in chain (i - 1) % directions)."""
    return [len(range(c, count, directions)) for c in range(directions)]


def alternative_index(chain: int, step: int, directions: int) -> int:
    return 1 + chain + step * directions


def scores(direction: str, designs: list[frozenset[str]]) -> dict[str, float]:
    """SPORES integer scores: each feature of the direction's groups counts the designs having it."""
    out: dict[str, float] = defaultdict(float)
    for design in designs:
        for f in design:
            if direction == "all" or group_of(f) == direction:
                out[f] += 1.0
    return dict(out)


# --------------------------------------------------------------------------- one run's setup


@dataclass(frozen=True)
class Setup:
    """What every worker needs: the instance (a plain dict), options, the optimum, the run."""

    document: dict[str, Any]
    options: SolveOptions
    slack: float
    count: int
    directions: tuple[str, ...]
    optimum_tco_usd: float
    optimum_features: frozenset[str]
    minimums: tuple[tuple[str, float], ...]

    @property
    def rows(self) -> int:
        """Differ rows of the model: the optimum and every earlier alternative of a chain."""
        return max(chain_steps(self.count, len(self.directions))) + 1

    def goal(self, chain: int, earlier: list[frozenset[str]], differ: list[frozenset[str]]) -> Goal:
        designs = [self.optimum_features, *earlier]
        return Goal(minimize="distance", max_tco_usd=(1 + self.slack) * self.optimum_tco_usd,
                    tco_floor_usd=self.optimum_tco_usd,
                    scores=tuple(sorted(scores(self.directions[chain], designs).items())),
                    differ_from=tuple(differ), differ_rows=self.rows, minimums=self.minimums)


@dataclass(frozen=True)
class Step:
    """One alternative to find: chain, step, and the designs of the chain's earlier alternatives."""

    chain: int
    step: int
    earlier: tuple[frozenset[str], ...]


class ChainRunner:
    """Finds alternatives with one `Pipeline` (one per worker): the distance model is built
    once and updated in place; each chain keeps its last plan to start the next solve from."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.inst = load_instance(setup.document)
        self.pipe = Pipeline(setup.options, goal=setup.goal(0, [], [setup.optimum_features]))
        self.last: dict[int, Any] = {}

    def run(self, step: Step) -> tuple[dict[str, Any], Solution | None]:
        """The results row of `step` and its solution (failures are rows, never exceptions)."""
        t0 = time.perf_counter()
        s = self.setup
        chain, earlier = step.chain, list(step.earlier)
        fields = {"alternative": alternative_index(chain, step.step, len(s.directions)), "chain": chain,
                  "step": step.step, "direction": s.directions[chain], "slack": s.slack}
        try:
            designs = [s.optimum_features, *earlier]
            # every earlier design but the last is cut; the last one is the start plan, cut only if
            # the re-solve returns it (the first step has no start plan: the optimum is cut at once)
            solution, found = self._solve(self.setup.goal(chain, earlier, designs[:-1] if earlier else designs),
                                          chain, start=bool(earlier))
            if found is not None and earlier and found == designs[-1]:
                solution, found = self._solve(self.setup.goal(chain, earlier, designs), chain, start=False)
        except Exception as exc:  # noqa: BLE001 - recorded in the row; the chain stops there
            self.pipe = Pipeline(s.options, goal=s.goal(0, [], [s.optimum_features]))
            self.last.clear()
            return {**fields, **failure_fields(Status.error, f"{type(exc).__name__}: {exc}",
                                               time.perf_counter() - t0)}, None
        seconds = time.perf_counter() - t0
        if not solution.has_plan:
            if solution.status is Status.infeasible:
                text = (f"no other design within {100 * s.slack:g} % of the optimal TCO"
                        + ("" if s.directions[chain] == "all" else f" (direction {s.directions[chain]})"))
                return {**fields, **failure_fields(Status.infeasible, text, seconds)}, None
            return {**fields, **solution_fields(self.inst, solution, seconds)}, None
        row = {**fields, **design_fields(self.inst, solution, found, s.optimum_features, s.optimum_tco_usd,
                                         seconds)}
        return row, solution

    def _solve(self, goal: Goal, chain: int, start: bool) -> tuple[Solution, frozenset[str] | None]:
        self.pipe.set_goal(goal)
        if self.pipe.session is not None:
            self.pipe.session.last_plan = self.last.get(chain) if start else None
        solution = self.pipe.solve(self.inst)
        if not solution.has_plan:
            return solution, None
        self.last[chain] = self.pipe.session.last_plan
        return solution, solution_design(self.pipe.cases, solution)


def solution_design(cases: list[ModelData], solution: Solution) -> frozenset[str]:
    """The design features of a solution (every case's, with scenarios)."""
    if solution.scenarios is None:
        plans = [solution.plan()]
    else:
        by_name = {c.name: c.solution.plan() for c in solution.scenarios.cases}
        plans = [by_name[d.ctx.case.name] for d in cases]
    return plan_features(cases, [values_from_plan(d, plan) for d, plan in zip(cases, plans)])


def design_fields(inst: Instance, solution: Solution, design: frozenset[str], optimum: frozenset[str] | None,
                  optimum_tco: float | None, seconds: float) -> dict[str, Any]:
    """A plan's row: the sweep table's solution columns, its emissions, design and difference."""
    row = solution_fields(inst, solution, seconds)
    tco = float(solution.tco_usd or 0.0)
    gap = (tco - optimum_tco) / abs(optimum_tco) if optimum_tco else math.nan
    row.update({"emissions_t": expected_emissions_t(solution), "tco_gap": gap,
                "features": ";".join(sorted(design)),
                "difference": "" if optimum is None else describe(optimum, design, gap)})
    return row


# --------------------------------------------------------------------------- the differences in words


def describe(before: frozenset[str], after: frozenset[str], gap: float | None = None) -> str:
    """How design `after` differs from `before`, in words: "no site or-hillsboro; air cooling
    instead of dlc at tx-abilene; +1.4 % TCO"."""
    cases = sorted({_case(f) for f in before | after})
    by_case = {case: _describe_case({_bare(f) for f in before if _case(f) == case},
                                    {_bare(f) for f in after if _case(f) == case}) for case in cases}
    # with scenarios: what differs in every case is said once, the rest case by case
    common = [x for x in by_case[cases[0]] if all(x in lines for lines in by_case.values())] if cases else []
    parts = list(common)
    for case in cases:
        rest = [x for x in by_case[case] if x not in common]
        if rest:
            parts.append(f"in case {case}: {', '.join(rest)}" if case else "; ".join(rest))
    if not parts:
        parts.append("the same design")
    if gap is not None and not math.isnan(gap):
        digits = 1 if abs(gap) >= 0.001 or gap == 0 else 2
        parts.append(f"{100 * gap:+.{digits}f} % TCO")
    return "; ".join(parts)


def _case(f: str) -> str:
    return f.rsplit("/", 1)[0] if "/" in f else ""


def _bare(f: str) -> str:
    return f.rsplit("/", 1)[-1]


def _split(features: set[str], kind: str) -> dict[str, set[str]]:
    """kind:key:value features as key -> values (kind:value as "" -> values)."""
    out: dict[str, set[str]] = defaultdict(set)
    for f in features:
        parts = f.split(":")
        if parts[0] != kind:
            continue
        if len(parts) == 2:
            out[""].add(parts[1])
        else:
            out[parts[1]].add(":".join(parts[2:]))
    return out


def _and(items) -> str:
    items = sorted(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _swap(dropped: set[str], added: set[str], what: str, where: str, gone: str, new: str) -> list[str]:
    """'x instead of y<where>', 'no y<where>', 'adds x<where>' with the kind's words."""
    at = f" at {where}" if where else ""
    if dropped and added:
        return [f"{_and(added)}{what} instead of {_and(dropped)}{at}"]
    if dropped:
        return [f"{gone} {_and(dropped)}{what}{at}"]
    if added:
        return [f"{new} {_and(added)}{what}{at}"]
    return []


def _describe_case(b: set[str], a: set[str]) -> list[str]:
    lines: list[str] = []
    sb, sa = _split(b, "site").get("", set()), _split(a, "site").get("", set())
    dropped, added = sb - sa, sa - sb
    kinds = (("cooling", " cooling"), ("density", " racks"), ("fabric", ""))
    unit = {"density": " kW"}
    per_b = {k: {s: {v + unit.get(k, "") for v in vs} for s, vs in _split(b, k).items()} for k, _ in kinds}
    per_a = {k: {s: {v + unit.get(k, "") for v in vs} for s, vs in _split(a, k).items()} for k, _ in kinds}

    def mix(s: str, per: dict) -> list[str]:
        return [", ".join(sorted(per[k].get(s, set()))) + w for k, w in kinds if per[k].get(s)]

    def new_site(s: str) -> str:
        return f"{s} ({'; '.join(mix(s, per_a))})" if mix(s, per_a) else s

    if len(dropped) == len(added) == 1 and mix(next(iter(added)), per_a) == mix(next(iter(dropped)), per_b):
        lines.append(f"opens {next(iter(added))} instead of {next(iter(dropped))} (the same halls and fabrics)")
    elif dropped and added:
        lines.append(f"opens {_and(new_site(s) for s in added)} instead of {_and(dropped)}")
    elif dropped:
        lines.append(f"no site {_and(dropped)}")
    elif added:
        lines.append(f"also opens {_and(new_site(s) for s in added)}")
    sites = sorted((set(per_b["cooling"]) | set(per_a["cooling"]) | set(per_b["density"]) | set(per_a["density"])
                    | set(per_b["fabric"]) | set(per_a["fabric"])) - dropped - added)
    for s in sites:
        for kind, what in kinds:
            x, y = per_b[kind].get(s, set()), per_a[kind].get(s, set())
            lines += _swap(x - y, y - x, what, s, "no", "adds")
    gb, ga = _split(b, "gpu").get("", set()), _split(a, "gpu").get("", set())
    lines += _swap(gb - ga, ga - gb, "", "", "buys no", "also buys")
    hb, ha = _split(b, "home"), _split(a, "home")
    for job in sorted(set(hb) | set(ha)):
        x, y = hb.get(job, set()), ha.get(job, set())
        if x - y and y - x:
            lines.append(f"job {job} at {_and(y - x)} instead of {_and(x - y)}")
        elif y - x:
            lines.append(f"job {job} also at {_and(y - x)}")
        elif x - y:
            lines.append(f"job {job} no longer at {_and(x - y)}")
    for kind, words in (("onsite", "on-site"), ("upgrade", "grid upgrade")):
        xb, xa = _split(b, kind), _split(a, kind)
        for s in sorted(set(xb) | set(xa)):
            lines += _swap(xb.get(s, set()) - xa.get(s, set()), xa.get(s, set()) - xb.get(s, set()), "", s,
                           f"no {words}", f"{words}")
    rb, ra = _split(b, "rental").get("", set()), _split(a, "rental").get("", set())
    lines += _swap(rb - ra, ra - rb, "", "", "no rental", "rents from")
    wb = {f.split(":", 1)[1].replace(":", "-") for f in b if f.startswith("route:")}
    wa = {f.split(":", 1)[1].replace(":", "-") for f in a if f.startswith("route:")}
    lines += _swap(wb - wa, wa - wb, "", "", "no route", "lights route")
    return lines


# --------------------------------------------------------------------------- the table


def table_columns(inst: Instance) -> list[str]:
    """The alternatives table's columns: the plan's place, its difference, then the sweep
    table's solution columns."""
    solution_cols = [c for c in sweep_columns([], inst) if c not in ("point", "design", "oat_param", "oat_level")]
    head = ["alternative", "chain", "step", "direction", "slack"]
    tail = [c for c in solution_cols if c not in ("status", "has_plan", "message", "tco_usd")]
    return [*head, "status", "has_plan", "message", "tco_usd", "tco_gap", "emissions_t", "same_as", "difference",
            "features", *tail]


def table(rows: list[dict[str, Any]], cols: list[str]) -> pd.DataFrame:
    """The alternatives DataFrame: rows in alternative order, `same_as` filled (an earlier plan
    with the same design, from another chain)."""
    import pandas as pd

    ordered = sorted((complete(r, cols) for r in rows), key=lambda r: r["alternative"])
    seen: dict[str, int] = {}
    for r in ordered:
        if r["has_plan"] and r["features"] != "" or r["alternative"] == 0:
            key = r["features"]
            r["same_as"] = seen.get(key, math.nan) if r["alternative"] != 0 else math.nan
            seen.setdefault(key, int(r["alternative"]))
    df = pd.DataFrame.from_records(ordered, columns=cols)
    for c in INT_COLUMNS:
        df[c] = df[c].astype("int64")
    df["has_plan"] = df["has_plan"].astype(bool)
    for c in cols:
        if c not in (*TEXT_COLUMNS, *INT_COLUMNS, "has_plan"):
            df[c] = df[c].astype("float64")
    return df


def read_alternatives(path: str | Path) -> pd.DataFrame:
    """An alternatives results file (``.csv``, ``.parquet`` or ``.xlsx``) as the table
    `alternatives` returns."""
    from .results import read_rows

    cols, rows = read_rows(path)
    return table([_typed_row(r) for r in rows], cols)


@dataclass
class Alternatives:
    """The optimum and its near-optimal alternatives."""

    table: pd.DataFrame
    slack: float
    solutions: dict[int, Solution] = field(default_factory=dict)  # solved in this run, by alternative

    @property
    def optimum(self) -> Solution | None:
        return self.solutions.get(0)

    def found(self) -> pd.DataFrame:
        """The alternatives found (rows with a plan, the optimum left out)."""
        t = self.table
        return t[(t["alternative"] > 0) & t["has_plan"]]

    def text(self) -> str:
        return alternatives_text(self.table, self.slack)


def alternatives_text(df: pd.DataFrame, slack: float) -> str:
    lines: list[str] = []
    for r in df.to_dict("records"):
        if r["alternative"] == 0:
            lines.append(f"optimum: TCO {_musd(r['tco_usd'])} (NPV), {r['status']}")
            continue
        head = f"alternative {r['alternative']} ({r['direction']}"
        head += f", step {r['step'] + 1})" if r["step"] else ")"
        if not r["has_plan"]:
            lines.append(f"{head}: {r['status']}: {r['message']}")
            continue
        same = f" (the same design as alternative {int(r['same_as'])})" if not math.isnan(r["same_as"]) else ""
        lines.append(f"{head}: TCO {_musd(r['tco_usd'])}, {r['difference']}{same}")
    found = int(((df["alternative"] > 0) & df["has_plan"]).sum())
    lines.append(f"{found} alternative(s) within {100 * slack:g} % of the optimal TCO")
    return "\n".join(lines)


def _musd(usd: float) -> str:
    return f"{usd / 1e6:,.2f} M$"


# --------------------------------------------------------------------------- the API


def alternatives(
    instance: InstanceSource,
    slack: float = 0.02,
    count: int = 5,
    *,
    directions: int = 1,
    jobs: int = 1,
    dask: Any = None,
    output: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    options: SolveOptions | None = None,
    progress: bool = False,
    base_dir: str | Path | None = None,
    **option_values: Any,
) -> Alternatives:
    """The optimum and up to `count` plans within `slack` (a fraction: 0.02 is 2 %) of its TCO
    whose discrete design differs most from it and from each other.

    `directions`: independent chains of alternatives (1: each alternative differs most from
    the optimum and all alternatives before it; more: chain 0 weighs every feature group, chain
    c > 0 one group in turn, and the chains run in parallel). `jobs`: local worker processes
    (a script doing so needs the ``if __name__ == "__main__":`` guard); `dask`: a Dask scheduler
    address or `distributed.Client`. `output`: a ``.csv`` or ``.parquet`` results file, each
    alternative appended as it is found; `resume` carries on the run it holds (same slack and
    directions), `overwrite` starts it afresh. Options: a `SolveOptions` or its fields as
    keywords (each worker runs one HiGHS thread by default).
    """
    if not slack > 0:
        raise SweepInputError([Problem("slack", f"must be > 0, got {slack:g}", "e.g. 0.02 for 2 %")])
    if count < 1 or directions < 1:
        raise SweepInputError([Problem("count" if count < 1 else "directions", "must be at least 1",
                                       "ask for one alternative or more")])
    inst = instance if isinstance(instance, Instance) else load_instance(instance, base_dir)
    base = options if options is not None else SolveOptions(threads=1, diagnose=False)
    opts = base.model_copy(update=option_values) if option_values else base
    cols = table_columns(inst)
    results = ResultsFile(Path(output), cols) if output is not None else None
    with results.lock.held() if results is not None else contextlib.nullcontext():
        done = _start_results(results, resume, overwrite, slack, directions) if results is not None else []
        try:
            rows, solutions = _run(inst, opts, slack, count, directions, cols, done, results, jobs=jobs, dask=dask,
                                   progress=progress)
        finally:
            if results is not None:
                results.close()
        df = table(rows, cols)
        if results is not None:
            results.finish(df)
    return Alternatives(table=df, slack=slack, solutions=solutions)


def _start_results(results: ResultsFile, resume: bool, overwrite: bool, slack: float,
                   directions: int) -> list[dict[str, Any]]:
    if results.exists() and not (resume or overwrite):
        raise SweepInputError([Problem(str(results.path), "already exists",
                                       "add --resume (resume=True) to continue that run, or --overwrite "
                                       "(overwrite=True) to start it afresh")])
    if overwrite and not resume:
        results.remove()
    done = [_typed_row(r) for r in results.read()] if resume else []
    for r in done:
        if not math.isclose(r["slack"], slack) or (r["alternative"] > 0 and r["chain"] >= directions) or (
                r["alternative"] > 0 and r["chain"] != (r["alternative"] - 1) % directions):
            raise SweepInputError([Problem(str(results.path), "holds alternatives of another run (other --slack "
                                           "or --directions)", "resume with the same options, or write to "
                                           "another file")])
    results.open(resume=resume)
    return done


def _typed_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for c in INT_COLUMNS:
        out[c] = int(out[c])
    out["has_plan"] = bool(out["has_plan"])
    return out


def _design_of(row: dict[str, Any]) -> frozenset[str]:
    return frozenset(x for x in str(row.get("features", "")).split(";") if x)


def _run(inst: Instance, options: SolveOptions, slack: float, count: int, directions: int, cols: list[str],
         done: list[dict[str, Any]], results: ResultsFile | None, *, jobs: int, dask: Any,
         progress: bool) -> tuple[list[dict[str, Any]], dict[int, Solution]]:
    rows = {r["alternative"]: r for r in done}
    solutions: dict[int, Solution] = {}
    bar = _Progress(count + 1, len(rows)) if progress else None

    def record(row: dict[str, Any]) -> None:
        row = complete(row, cols)
        rows[row["alternative"]] = row
        if results is not None:
            results.append(row)
        if bar is not None:
            bar.update(row)

    try:
        if 0 not in rows:
            t0 = time.perf_counter()
            optimum = Pipeline(options).solve(inst)
            seconds = time.perf_counter() - t0
            fields = {"alternative": 0, "chain": 0, "step": 0, "direction": "optimum", "slack": slack}
            if optimum.has_plan:
                cases = prepare_cases(inst)
                record({**fields, **design_fields(inst, optimum, solution_design(cases, optimum), None,
                                                  optimum.tco_usd, seconds)})
                solutions[0] = optimum
            else:
                record({**fields, **solution_fields(inst, optimum, seconds)})
        head = rows[0]
        if not head["has_plan"]:
            raise RuntimeError(f"no optimum, so no alternatives: {one_line(head['message'])}")
        setup = _setup(inst, options, slack, count, directions, head)
        pending = _pending(setup, rows)
        if pending:
            if dask is not None:
                stream = _run_dask(setup, pending, dask)
            elif jobs > 1 and len(pending) > 1:
                stream = _run_local(setup, pending, jobs)
            else:
                stream = _run_inline(setup, pending)
            try:
                for row, solution in stream:
                    if row["status"] == "interrupted":
                        raise KeyboardInterrupt
                    record(row)
                    if solution is not None:
                        solutions[row["alternative"]] = solution
            finally:
                stream.close()
    finally:
        if bar is not None:
            bar.close()
    return list(rows.values()), solutions


def _setup(inst: Instance, options: SolveOptions, slack: float, count: int, directions: int,
           head: dict[str, Any]) -> Setup:
    from ..model.features import named_features

    cases = prepare_cases(inst)
    named = named_features(cases)
    groups = [g for g in GROUPS if any(nf.feature.group == g for nf in named)]
    design = _design_of(head)
    total = sum(float(head.get(f"gpus_bought:{g.name}", 0.0) or 0.0) for g in inst.catalog.gpus)
    units = {g.name: g.unit_gpus for g in inst.catalog.gpus}
    minimums = tuple((nf.name, float(max(1, math.ceil(MIN_GPU_SHARE * total / units[nf.name.rsplit(":", 1)[-1]]))))
                     for nf in named if nf.feature.group == "gpus" and nf.name not in design)
    options = options.model_copy(update={"diagnose": False})  # "no other design" needs no diagnosis
    return Setup(document=instance_document(inst), options=options, slack=slack, count=count,
                 directions=tuple(direction_names(groups, directions)), optimum_tco_usd=float(head["tco_usd"]),
                 optimum_features=design, minimums=minimums)


def _pending(setup: Setup, rows: dict[int, dict[str, Any]]) -> list[Step]:
    """The next step of every chain not finished (its earlier alternatives from `rows`)."""
    out = []
    d = len(setup.directions)
    for chain, steps in enumerate(chain_steps(setup.count, d)):
        earlier: list[frozenset[str]] = []
        for step in range(steps):
            row = rows.get(alternative_index(chain, step, d))
            if row is None:
                out.append(Step(chain, step, tuple(earlier)))
                break
            if not row["has_plan"]:
                break  # the chain ended there (no other design, or a failure)
            earlier.append(_design_of(row))
    return out


def _next(setup: Setup, step: Step, row: dict[str, Any]) -> Step | None:
    """The chain's step after `step`, whose row is `row`; None when the chain is done."""
    if not row["has_plan"] or step.step + 1 >= chain_steps(setup.count, len(setup.directions))[step.chain]:
        return None
    return Step(step.chain, step.step + 1, (*step.earlier, _design_of(row)))


# --------------------------------------------------------------------------- running the chains


def _run_inline(setup: Setup, pending: list[Step]) -> Iterator[tuple[dict[str, Any], Solution | None]]:
    runner = ChainRunner(setup)
    for step in pending:
        while step is not None:
            row, solution = runner.run(step)
            yield row, solution
            step = _next(setup, step, row)


_POOL_RUNNER: ChainRunner | None = None


def _init_worker(setup: Setup, parent_pid: int) -> None:
    global _POOL_RUNNER
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _POOL_RUNNER = ChainRunner(setup)


def _pool_step(step: Step) -> tuple[dict[str, Any], Solution | None]:
    assert _POOL_RUNNER is not None, "worker not initialised"
    return _POOL_RUNNER.run(step)


def _run_local(setup: Setup, pending: list[Step], jobs: int) -> Iterator[tuple[dict[str, Any], Solution | None]]:
    """Chains on `jobs` local processes; a chain always runs in the same process (its model and
    last plan are there), the next step submitted when the last one finishes."""
    context = multiprocessing.get_context("spawn")
    n = min(jobs, len(pending))
    workers = [ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_init_worker,
                                   initargs=(setup, os.getpid())) for _ in range(n)]
    futures: dict[Future, tuple[Step, int]] = {}
    clean = False
    try:
        for i, step in enumerate(pending):
            futures[workers[i % n].submit(_pool_step, step)] = (step, i % n)
        while futures:
            finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: futures[f][0].chain):
                step, w = futures.pop(future)
                try:
                    row, solution = future.result()
                except BrokenProcessPool:
                    raise AlternativesAborted(
                        "a worker process died (out of memory or a crash in HiGHS?); the alternatives found "
                        "so far are saved: rerun with --resume") from None
                following = _next(setup, step, row)
                if following is not None:
                    futures[workers[w].submit(_pool_step, following)] = (following, w)
                yield row, solution
        clean = True
    finally:
        for executor in workers:
            if not clean:
                for process in list(getattr(executor, "_processes", {}).values()):
                    process.terminate()  # our own workers, stopped mid-solve
            executor.shutdown(wait=True, cancel_futures=True)


_DASK_RUNNERS: dict[tuple[str, int], ChainRunner] = {}
_DASK_LOCK = threading.Lock()
"""One solve at a time per process (Pyomo's persistent interface, the hand-off of small models
and of in-place updates, redirects its output streams)."""


def _dask_step(token: str, setup: Setup, step: Step) -> tuple[dict[str, Any], Solution | None, str]:
    """One step on a Dask worker; its runner is kept between steps (per run and thread)."""
    from distributed import get_worker

    key = (token, threading.get_ident())
    with _DASK_LOCK:
        runner = _DASK_RUNNERS.get(key)
        if runner is None:
            runner = _DASK_RUNNERS[key] = ChainRunner(setup)
        row, solution = runner.run(step)
    return row, solution, get_worker().address


def _dask_forget(token: str) -> int:
    with _DASK_LOCK:
        keys = [k for k in _DASK_RUNNERS if k[0] == token]
        for k in keys:
            del _DASK_RUNNERS[k]
    return len(keys)


def _run_dask(setup: Setup, pending: list[Step], dask: Any) -> Iterator[tuple[dict[str, Any], Solution | None]]:
    """Chains on a Dask cluster; each next step asks for the worker of the chain's last step."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise SweepInputError([Problem("--dask", "Dask is not installed", "pip install 'dcopt[dask]'")]) from None
    own = not isinstance(dask, Client)
    client = Client(dask) if own else dask
    token = uuid.uuid4().hex
    futures: dict[Any, Step] = {}
    try:
        shared = client.scatter(setup, broadcast=True, hash=False)

        def submit(step: Step, where: str | None = None) -> Any:
            placed = {"workers": [where], "allow_other_workers": True} if where else {}
            future = client.submit(_dask_step, token, shared, step, pure=False,
                                   key=f"dcopt-alternative-{token}-{step.chain}-{step.step}", **placed)
            futures[future] = step
            return future

        queue = as_completed([submit(step) for step in pending])
        for future in queue:
            step = futures.pop(future)
            try:
                row, solution, where = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker: recorded, the chain stops
                d = len(setup.directions)
                row = {"alternative": alternative_index(step.chain, step.step, d), "chain": step.chain,
                       "step": step.step, "direction": setup.directions[step.chain], "slack": setup.slack,
                       **failure_fields(Status.error, f"Dask task failed: {type(exc).__name__}: {exc}", 0.0)}
                solution, where = None, None
            future.release()
            following = _next(setup, step, row)
            if following is not None:
                queue.add(submit(following, where))
            yield row, solution
    finally:
        dask_cleanup(client, futures, _dask_forget, token, own)


class _Progress:
    """A progress bar on stderr: plans done (the optimum and the alternatives)."""

    def __init__(self, total: int, done: int) -> None:
        import sys

        import click

        self._bar = click.progressbar(hidden=not sys.stderr.isatty(), length=total, label="alternatives",
                                      show_eta=True, show_pos=True, file=sys.stderr)
        self._bar.__enter__()
        self._bar.update(done)

    def update(self, row: dict[str, Any]) -> None:
        self._bar.update(1)

    def close(self) -> None:
        self._bar.__exit__(None, None, None)
