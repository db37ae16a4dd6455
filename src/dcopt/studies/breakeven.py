"""Break-even search: the value of one parameter at which a decision of the plan changes.

    be = dcopt.breakeven("instances/quickstart.json",
                         "sites[name=tx-abilene].electricity_usd_per_mwh=40:200",
                         watch="liquid:tx-abilene", tol=0.5)
    print(be.value, be.below, be.above)

The decision watched (`Watch`) is read from each solution as a text:

================  ==============================================================
watch             decision
================  ==============================================================
``site:NAME``     whether site NAME is open at the end of the horizon
``sites``         the sites open at the end of the horizon
``cooling[:SITE]``  the cooling types of the blocks built (at SITE, or anywhere)
``liquid[:SITE]`` whether a liquid-cooled block is built (at SITE, or anywhere)
``rack_kw[:SITE]``  the rack densities of the blocks built
``fabric[:SITE]`` the fabrics of the GPUs bought
``gpu:NAME``      whether GPU model NAME is bought
``gpus``          the GPU models bought
``refresh:NAME``  whether GPU model NAME is retired early (a purchase resold before
                  its max_life_years inside the horizon, or an existing
                  deployment retired before its deadline) or kept to its max life
``rent[:NAME]``   whether GPUs are rented (from rental NAME, or any; SPEC 8.7)
``home:JOB``      the home sites of training job JOB (SPEC 8.1)
``span:JOB``      whether training job JOB spans more than one site
``onsite[:SITE]`` whether on-site generation is built (at SITE, or anywhere)
``upgrade[:SITE]`` whether a grid upgrade is taken (at SITE, or anywhere)
================  ==============================================================

The search solves at both ends of the range, then bisects: the midpoint's
decision replaces the end whose decision it equals, until the bracket is
narrower than `tol`. Every solve goes through one `Pipeline`, so each is an
in-place update of the model warm-started from the previous plan. A plan is
accepted within the MIP gap: near the break-even two plans cost nearly the
same, so the bracket cannot be trusted below about ``mip_gap * TCO`` divided
by how fast their cost difference changes with the parameter; use a tight
``mip_gap`` for a precise answer. If the decision changes more than once in
the range, bisection finds one of the changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..instance.errors import Problem
from ..instance.io import load_instance
from ..instance.paths import Param, SweepInputError, check_applicable, instance_document
from ..instance.schema import Instance
from ..results.solution import Solution
from ..solver.highs import SolveOptions
from .designs import Values, parse_vary
from .results import columns, complete, point_fields, solution_fields, table
from .sweep import InstanceSource, PointRunner, SweepSetup, sweep_options

if TYPE_CHECKING:
    import pandas as pd  # imported where used: `import dcopt` stays light

WATCH_KINDS: dict[str, str] = {
    "site": "NAME", "sites": "", "cooling": "SITE?", "liquid": "SITE?", "rack_kw": "SITE?",
    "fabric": "SITE?", "gpu": "NAME", "gpus": "", "refresh": "NAME", "rent": "RENTAL?", "home": "NAME",
    "span": "NAME", "onsite": "SITE?", "upgrade": "SITE?",
}
"""Watch kinds and their argument: a required NAME, an optional SITE (or RENTAL), or none."""

_NAMED = {"gpu": "GPU model", "refresh": "GPU model", "home": "training job", "span": "training job",
          "rent": "rental"}
"""Kinds whose argument names something other than a site."""


@dataclass(frozen=True)
class Watch:
    """A decision of the plan, read from a `Solution` as a text."""

    kind: str
    arg: str = ""

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind

    def decision(self, inst: Instance, solution: Solution) -> str:
        """The decision in `solution` (``no plan (<status>)`` when there is none)."""
        if not solution.has_plan:
            return f"no plan ({solution.status})"
        if self.kind == "site":
            is_open = any(s.name == self.arg and s.open_year is not None for s in solution.sites)
            return "open" if is_open else "not open"
        if self.kind == "sites":
            return _joined(s.name for s in solution.sites if s.open_year is not None)
        if self.kind == "gpu":
            return "bought" if any(p.gpu == self.arg for p in solution.purchases) else "not bought"
        if self.kind == "gpus":
            return _joined(p.gpu for p in solution.purchases)
        if self.kind == "fabric":
            return _joined(p.fabric for p in solution.purchases if not self.arg or p.site == self.arg)
        if self.kind in ("refresh", "rent", "home", "span", "onsite", "upgrade"):
            return _v2_decision(self, inst, solution)
        blocks = [b for s in solution.sites if not self.arg or s.name == self.arg
                  for b in s.blocks if b.blocks > 0]
        if self.kind == "liquid":
            liquid = {c.name for c in inst.catalog.cooling if c.liquid}
            return "liquid" if any(b.cooling in liquid for b in blocks) else "no liquid"
        if self.kind == "cooling":
            return _joined(b.cooling for b in blocks)
        return _joined(f"{b.rack_kw:g}" for b in blocks)


def _v2_decision(watch: Watch, inst: Instance, solution: Solution) -> str:
    """The section-8 decisions a break-even search can watch."""
    arg = watch.arg
    if watch.kind == "refresh":
        return _refresh(inst, solution, arg)
    if watch.kind == "rent":
        rented = any(r.gpus > 1e-6 for r in solution.rentals if not arg or r.rental == arg)
        return "rents" if rented else "does not rent"
    if watch.kind == "home":
        return _joined(x.home for x in solution.job_placements if x.job == arg)
    if watch.kind == "span":
        spans = any(x.remote_sites for x in solution.job_placements if x.job == arg)
        return "spans sites" if spans else "one site"
    if watch.kind == "onsite":
        built = any(g.mw > 1e-6 for g in solution.onsite_builds if not arg or g.site == arg)
        return "on-site power" if built else "no on-site power"
    taken = any(u for u in solution.grid_upgrades if not arg or u.site == arg)
    return "upgrade" if taken else "no upgrade"


def _refresh(inst: Instance, solution: Solution, gpu: str) -> str:
    g = next(x for x in inst.catalog.gpus if x.name == gpu)
    end = inst.horizon.end_year
    bought = [p for p in solution.purchases if p.gpu == gpu]
    existing = [d for d in solution.existing_deployments if d.gpu == gpu]
    if not bought and not existing:
        return "not bought"
    early = any(p.life_years < g.max_life_years and p.year + p.life_years <= end for p in bought)
    deadline = {d.index: max(inst.horizon.start_year, d.purchase_year + g.max_life_years) for d in existing}
    early |= any(r.year < deadline[r.deployment] for r in solution.retirements if r.deployment in deadline)
    return "retires early" if early else "keeps to max life"


def _joined(names: Any) -> str:
    found = sorted(set(names))
    return ";".join(found) if found else "none"


def parse_watch(text: str, inst: Instance) -> Watch:
    """`liquid:va-1` -> `Watch`, checking the kind and that the name exists."""
    kind, _, arg = text.strip().partition(":")
    kind, arg = kind.strip(), arg.strip()
    forms = ", ".join(f"{k}:{a}" if a == "NAME" else f"{k}[:{a.rstrip('?')}]" if a else k
                      for k, a in WATCH_KINDS.items())
    if kind not in WATCH_KINDS:
        raise SweepInputError([Problem("--watch", f"unknown decision {text!r}", f"watch one of: {forms}")])
    need = WATCH_KINDS[kind]
    if need == "NAME" and not arg or need == "" and arg:
        raise SweepInputError([Problem("--watch", f"bad decision {text!r}", f"watch one of: {forms}")])
    names = {"GPU model": [g.name for g in inst.catalog.gpus],
             "training job": [j.name for j in inst.demand.training_jobs],
             "rental": [r.name for r in inst.rentals]}.get(_NAMED.get(kind, ""), [s.name for s in inst.sites])
    if arg and arg not in names:
        what = _NAMED.get(kind, "site")
        raise SweepInputError([Problem("--watch", f"no {what} named {arg!r}",
                                       f"{what}s in the instance: {', '.join(names)}")])
    return Watch(kind, arg)


@dataclass
class BreakEven:
    """The result of a break-even search.

    `found`: the decision differs between the two ends of the range; then the
    change lies in [`low`, `high`] (narrower than `tol` unless `max_solves`
    was reached) and `value` is its midpoint. `below` and `above` are the
    decisions at `low` and `high`. `trace` holds every solve, as rows of the
    sweep table plus a ``decision`` column (design ``breakeven``).
    """

    param: str
    watch: str
    found: bool
    low: float
    high: float
    value: float
    below: str
    above: str
    tco_below_usd: float
    tco_above_usd: float
    solves: int
    builds: int
    tol: float
    mip_gap: float
    trace: pd.DataFrame = field(repr=False)

    def text(self) -> str:
        """A human summary."""
        if not self.found:
            return (f"{self.watch} is {self.below!r} over the whole range of {self.param} "
                    f"({self.low:g} .. {self.high:g}): no break-even there ({self.solves} solves)")
        return "\n".join([
            (f"{self.param}: {self.watch} changes between {self.low:.6g} and {self.high:.6g} "
             f"(break-even ~ {self.value:.6g}, tolerance {self.tol:g})"),
            f"  below: {self.below}  (TCO {_usd(self.tco_below_usd)})",
            f"  above: {self.above}  (TCO {_usd(self.tco_above_usd)})",
            f"  {self.solves} solves, {self.builds} model build(s), mip_gap {self.mip_gap:g}",
        ])


def _usd(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:,.0f} USD"


def breakeven(
    instance: InstanceSource,
    vary: str | Mapping[str, Any] | Sequence[str],
    watch: str,
    *,
    tol: float | None = None,
    max_solves: int = 60,
    options: SolveOptions | None = None,
    base_dir: str | Path | None = None,
    **option_values: Any,
) -> BreakEven:
    """Find the value of one parameter at which the decision `watch` changes, by bisection.

    `vary`: ``"PATH=LOW:HIGH"`` (or ``PATH*=``, ``PATH+=``) or ``{"PATH": (low, high)}``.
    `tol`: width of the final bracket, in the parameter's unit (default: range / 1000).
    Options as for `dcopt.sweep` (one HiGHS thread unless given). Raises
    `InstanceError` (`SweepInputError`) for invalid input.
    """
    inst = instance if isinstance(instance, Instance) else load_instance(instance, base_dir)
    document = instance_document(inst)
    param, low, high = _range(vary, document)
    target = parse_watch(watch, inst)
    tol = (high - low) / 1000 if tol is None else tol
    if not tol > 0:
        raise SweepInputError([Problem("--tol", f"got {tol}", "give a tolerance > 0")])
    setup = SweepSetup(document, (param,), sweep_options(options, **option_values))
    search = _Search(setup, param, target, columns([param.key], inst) + ["decision"])
    d_low, d_high = search.decide(low), search.decide(high)
    lo, hi = low, high
    if d_low != d_high:
        while hi - lo > tol and search.solves < max_solves:
            mid = (lo + hi) / 2
            if search.decide(mid) == d_low:
                lo = mid
            else:
                hi, d_high = mid, search.decisions[mid]
    return BreakEven(
        param=param.key, watch=target.text, found=d_low != d_high, low=lo, high=hi,
        value=(lo + hi) / 2, below=d_low, above=d_high, tco_below_usd=search.tco[lo],
        tco_above_usd=search.tco[hi], solves=search.solves, builds=search.runner.resolver.builds,
        tol=tol, mip_gap=setup.options.mip_gap, trace=search.trace(),
    )


def _range(vary: str | Mapping[str, Any] | Sequence[str], document: dict[str, Any]
           ) -> tuple[Param, float, float]:
    varies = parse_vary(vary)
    if len(varies) != 1:
        raise SweepInputError([Problem("--vary", f"break-even varies one parameter, got {len(varies)}",
                                       "give one PATH=LOW:HIGH")])
    v = varies[0]
    if not isinstance(v.spec, Values) or len(v.spec.numbers) != 2:
        raise SweepInputError([Problem(v.key, "break-even needs a range", "write PATH=LOW:HIGH")])
    low, high = v.spec.numbers
    if not low < high:
        raise SweepInputError([Problem(v.key, f"empty range {low:g}:{high:g}", "give LOW < HIGH")])
    check_applicable(document, v.param)
    return v.param, low, high


class _Search:
    """Solves of a break-even search, through one Pipeline, with their decisions."""

    def __init__(self, setup: SweepSetup, param: Param, watch: Watch, cols: list[str]) -> None:
        self.setup, self.param, self.watch, self.cols = setup, param, watch, cols
        self.runner = PointRunner(setup)
        self.rows: list[dict[str, Any]] = []
        self.decisions: dict[float, str] = {}
        self.tco: dict[float, float] = {}

    @property
    def solves(self) -> int:
        return len(self.rows)

    def decide(self, value: float) -> str:
        """Solve at `value`; its decision. Invalid values are input errors here."""
        inst = self.setup.instance_at({self.param.key: value})  # raises InstanceError
        t0 = time.perf_counter()
        solution = self.runner.resolver.solve(inst)
        decision = self.watch.decision(inst, solution)
        row = {**point_fields(len(self.rows), {self.param.key: value}, "breakeven"),
               **solution_fields(inst, solution, time.perf_counter() - t0), "decision": decision}
        self.rows.append(complete(row, self.cols))
        self.decisions[value] = decision
        self.tco[value] = math.nan if solution.tco_usd is None else solution.tco_usd
        return decision

    def trace(self) -> pd.DataFrame:
        return table(self.rows, self.cols)

