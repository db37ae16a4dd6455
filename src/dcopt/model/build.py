"""Assemble the model: reads like the formulation (docs/formulation.md).

One scenario case is one block of components (`build_case`). Without
scenarios the model is that block; with scenarios (SPEC 8.8) each case is a
block `case[c]` built from its own data, the decisions before the reveal
year are tied together (`nonanticipativity`) and the objective is the
expected TCO.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from ..components import budget, dci, demand, fabrics, fleet, halls, jobs, power, rentals, sites
from ..solver.highs import Staging
from . import costs, features
from .context import USD_PER_MUSD
from .data import ModelData

STAGING = Staging(
    units=("buy", "retire"),  # fine-grained integers (units of 8 or 72 GPUs): relaxed in stage 1
    fixed=("opened", "fab_by", "upgraded", "lit_by"),  # sites, fabrics, upgrades, routes: fixed in stage 2
    flexible=("built", "links_by"),  # blocks and links: fixed in stage 2's first try, free in its second
    loose=("lit_by",),  # routes: flexible in the plan rounded from the LP
    derate=("grid",),  # grid limits: the derated LP leaves a block of room at every site
)
"""How a staged solve treats this model's variables (`solver.HighsSession`)."""


@dataclass(frozen=True)
class Goal:
    """What the model optimises, beyond the SPEC's default (minimum TCO).

    `max_emissions_t`: a cap on the emissions over the horizon (t CO2; with
    scenarios, the expected emissions), for `dcopt solve --max-emissions-t`
    and the TCO-emissions front. `minimize`: "tco"; "emissions" (the
    least-emission plan; the TCO then only breaks ties); or "distance" (near-
    optimal alternatives, `dcopt.studies.alternatives`): the scores of the
    design features (`model.features`) the plan has, with the TCO breaking
    ties (at most `DISTANCE_TIE_WEIGHT` between `tco_floor_usd` and the cap).

    `max_tco_usd`: a cap on the TCO (USD, NPV; with scenarios the expected
    TCO), a row on the model's `expected_tco`. `scores`: (feature, score)
    pairs of the distance objective (positive: having the feature costs its
    score; negative: having it in earnest earns it). `differ_from`: designs
    (the names of their features) the plan must differ from in at least one
    feature; `differ_rows` rows are made for them (at least as many as there
    are designs), so that a goal with more designs, up to that number,
    updates the model in place. `minimums`: (feature, amount) pairs: the least
    amount (units bought, blocks, MW, GPUs rented: the feature's own unit) for
    which a plan has a feature it adds in earnest (`model.features`).

    Goals of the same `shape` only differ in numbers: the pipeline then
    updates the built model (`update_goal`) instead of building another.
    """

    max_emissions_t: float | None = None
    minimize: str = "tco"
    max_tco_usd: float | None = None
    tco_floor_usd: float | None = None
    scores: tuple[tuple[str, float], ...] = ()
    differ_from: tuple[frozenset[str], ...] = ()
    differ_rows: int = 0
    minimums: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.minimize not in ("tco", "emissions", "distance"):
            raise ValueError(f"minimize must be tco, emissions or distance, not {self.minimize!r}")

    @property
    def rows(self) -> int:
        return max(self.differ_rows, len(self.differ_from))

    @property
    def uses_features(self) -> bool:
        return self.minimize == "distance" or self.rows > 0

    def shape(self) -> tuple:
        """What a model built for this goal is made of (its numbers aside)."""
        return (self.max_emissions_t is not None, self.minimize,
                self.max_tco_usd is not None or self.minimize == "distance", self.uses_features, self.rows)


EMISSIONS_TIE_WEIGHT = 1e-9
"""Weight of the TCO (M$) in a least-emissions objective (t CO2): ties only."""

DISTANCE_TIE_WEIGHT = 0.5
"""In a distance objective, what the TCO adds from the floor (the optimum) to the cap: less than
one score unit, so that it only breaks ties between plans of the same (whole-number) score."""

NO_CAP_MUSD = 1e30
"""The TCO cap's value when a goal has none (HiGHS reads it as no bound)."""


def build_case(m: pyo.Block, d: ModelData, objective: bool = True) -> None:
    """Every component of one scenario case, in the order of the formulation."""
    costs.init(m)
    sites.add(m, d)  # opened[s,t]; opening cost
    power.add_capacity(m, d)  # grid upgrades, on-site MW
    halls.add(m, d)  # built[s,h,t]; lead-time opening; block costs
    power.add_grid(m, d)  # grid limit (with upgrades and generation), blocks need the site open
    halls.add_floor_space(m, d)  # floor space
    fabrics.add(m, d)  # fab[s,f,y]; fabric needs its site open; fabric fixed cost
    fleet.add(m, d)  # buy, retire; active and surviving units; supply caps, orders; unit costs
    halls.add_capacity(m, d)  # active units fit in built halls
    fabrics.add_link(m, d)  # purchases need their fabric; fabric size
    power.add_energy(m, d)  # on-site generation covers part of the sites' energy
    dci.add(m, d)  # routes lit, ZR links
    jobs.add(m, d)  # training jobs: home, model, span, job allocation, DCI capacity
    rentals.add(m, d)  # rented GPUs
    demand.add(m, d)  # alloc; surviving GPUs shared by pooled demand and jobs; demand rows
    budget.add(m, d)  # yearly gross capex cap
    costs.add_objective(m, d, d.items, sense=objective)  # named cost items and the TCO


def build_model(data: ModelData | list[ModelData], goal: Goal | None = None) -> pyo.ConcreteModel:
    cases = data if isinstance(data, list) else [data]
    goal = goal or Goal()
    with PauseGC():
        m = pyo.ConcreteModel(name=cases[0].name or "dcopt")
        if len(cases) == 1 and cases[0].ctx.case.spec is None:
            build_case(m, cases[0], objective=goal == Goal())
            if goal != Goal():
                _add_goal(m, [(1.0, m, cases[0])], goal)
            return m
        names = [d.ctx.case.name for d in cases]
        m.CASES = pyo.Set(initialize=names, ordered=True)
        m.case = pyo.Block(m.CASES)
        for d in cases:
            build_case(m.case[d.ctx.case.name], d, objective=False)
        nonanticipativity(m, cases)
        _add_goal(m, [(d.ctx.case.probability, m.case[d.ctx.case.name], d) for d in cases], goal)
    return m


def _add_goal(m: pyo.ConcreteModel, weighted: list[tuple[float, pyo.Block, ModelData]], goal: Goal) -> None:
    """The objective over the (weighted) cases, and the caps and rows of the goal (their numbers
    are mutable parameters, set by `update_goal`)."""
    m.expected_tco = pyo.Expression(expr=pyo.quicksum(p * b.objective_expr for p, b, _ in weighted))
    if goal.max_emissions_t is not None or goal.minimize == "emissions":
        for _, b, d in weighted:
            b.emissions_t = pyo.Expression(expr=costs.total_quantity(b, d, "emissions_t"))
        m.expected_emissions_t = pyo.Expression(expr=pyo.quicksum(p * b.emissions_t for p, b, _ in weighted))
    if goal.max_emissions_t is not None:
        m.max_emissions_t = pyo.Param(initialize=goal.max_emissions_t, mutable=True, within=pyo.Reals)
        m.emissions_cap = pyo.Constraint(expr=m.expected_emissions_t <= m.max_emissions_t)
    if goal.shape()[2]:
        m.max_tco = pyo.Param(initialize=NO_CAP_MUSD, mutable=True, within=pyo.Reals)  # M$
        m.tco_cap = pyo.Constraint(expr=m.expected_tco <= m.max_tco)
    if goal.uses_features:
        features.add_indicators(m, [(b, d) for _, b, d in weighted], goal.rows)
    if goal.minimize == "emissions":
        m.tco = pyo.Objective(expr=m.expected_emissions_t + EMISSIONS_TIE_WEIGHT * m.expected_tco,
                              sense=pyo.minimize)
    elif goal.minimize == "distance":
        m.tco_tie = pyo.Param(initialize=1.0, mutable=True, within=pyo.Reals)  # per M$
        m.tco_floor = pyo.Param(initialize=0.0, mutable=True, within=pyo.Reals)  # M$
        m.tco = pyo.Objective(expr=m.mga_score + m.tco_tie * (m.expected_tco - m.tco_floor), sense=pyo.minimize)
    else:
        m.tco = pyo.Objective(expr=m.expected_tco, sense=pyo.minimize)
    update_goal(m, goal)


def update_goal(m: pyo.ConcreteModel, goal: Goal) -> None:
    """Set the numbers of `goal` in a model built for a goal of the same shape."""
    if goal.max_emissions_t is not None:
        m.max_emissions_t.set_value(goal.max_emissions_t)
    cap = None if goal.max_tco_usd is None else goal.max_tco_usd / USD_PER_MUSD
    if m.component("max_tco") is not None:
        m.max_tco.set_value(NO_CAP_MUSD if cap is None else cap)
    if goal.uses_features:
        features.set_scores(m, dict(goal.scores))
        features.set_minimums(m, dict(goal.minimums))
        features.set_differ(m, list(goal.differ_from))
    if goal.minimize == "distance":
        floor = None if goal.tco_floor_usd is None else goal.tco_floor_usd / USD_PER_MUSD
        if cap is not None and floor is not None and cap - floor > 1e-9 * max(1.0, abs(cap)):
            m.tco_tie.set_value(DISTANCE_TIE_WEIGHT / (cap - floor))
            m.tco_floor.set_value(floor)
        elif cap is not None:
            m.tco_tie.set_value(DISTANCE_TIE_WEIGHT / max(abs(cap), 1e-9))
            m.tco_floor.set_value(0.0)
        else:  # no cap: the TCO decides when nothing scores (the plain optimum), else ties only
            m.tco_tie.set_value(EMISSIONS_TIE_WEIGHT if goal.scores else 1.0)
            m.tco_floor.set_value(0.0)


def case_blocks(m: pyo.Block, cases: list[ModelData]) -> list[tuple[ModelData, pyo.Block]]:
    """(data, block) of every case of a built model."""
    if not hasattr(m, "case"):
        return [(cases[0], m)]
    return [(d, m.case[d.ctx.case.name]) for d in cases]


def _decided(d: ModelData) -> dict[str, Callable[[tuple], int]]:
    """Variable families whose value is a decision, with the year each key is decided in
    (SPEC 8.10.12); allocations are not among them."""
    last = lambda k: k[-1]
    return {
        "opened": last, "fab_by": last, "built": lambda k: k[2] - d.halls.lead[k[0]],
        "buy": lambda k: k[4], "retire": lambda k: k[1], "order": last, "upgraded": last,
        "gen_by": last, "egen": last, "lit_by": last, "links_by": last, "home": last, "job_gpu": last,
        "span": last, "rent": last,
    }


def fix_decisions(m: pyo.Block, d: ModelData, x: dict[str, dict], before: int) -> None:
    """Fix every decision of a year before `before` to the plan values `x` (family -> key ->
    value, as `model.planmap.values_from_plan` gives them; steps of cumulative variables are
    summed into their "by year" values). What `x` lacks is fixed at 0."""
    steps = {"opened": "open", "fab_by": "fab", "built": "build", "upgraded": "upgrade", "gen_by": "gen",
             "lit_by": "lit", "links_by": "links"}
    for family, year_of in _decided(d).items():
        var = m.component(family)
        if var is None:
            continue
        given = x.get(steps.get(family, family), {})
        for key, v in var.items():
            key = key if isinstance(key, tuple) else (key,)
            if year_of(key) >= before:
                continue
            if family in steps:  # cumulative: the sum of the steps up to the key's year
                value = sum(n for k, n in given.items() if k[:-1] == key[:-1] and k[-1] <= key[-1])
            else:
                value = given.get(key, 0)
            v.fix(value)


def nonanticipativity(m: pyo.ConcreteModel, cases: list[ModelData]) -> None:
    """``shared_<family>[c, k]``: every decision of a year before the reveal year is the same
    in each case as in the first case."""
    reveal = cases[0].ctx.case.reveal_year
    first = m.case[cases[0].ctx.case.name]
    for family, year_of in _decided(cases[0]).items():
        base = first.component(family)
        if base is None:
            continue
        keys = [k for k in base if year_of(k if isinstance(k, tuple) else (k,)) < reveal]
        rows = [(d.ctx.case.name, k) for d in cases[1:] for k in keys]
        if not rows:
            continue

        def tie(m, c, *k, family=family, base=base):
            key = k if len(k) > 1 else k[0]
            return m.case[c].component(family)[key] == base[key]

        m.add_component(f"shared_{family}", pyo.Constraint(
            [(c, *k) for c, k in rows], rule=tie))


def update_numbers(m: pyo.ConcreteModel, data: ModelData | list[ModelData]) -> None:
    """Set every mutable number (costs, demand, budget) from `data`, whose index sets must be
    the model's (`data.same_structure`)."""
    cases = data if isinstance(data, list) else [data]
    for d, block in case_blocks(m, cases):
        costs.update(block, d)
        demand.update(block, d)
        jobs.update(block, d)
        budget.update(block, d)
