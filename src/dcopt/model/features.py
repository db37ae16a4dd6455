"""Design features: the discrete choices of a plan, named, for near-optimal alternatives.

A feature is one yes/no fact about a plan's design: site ``tx-abilene`` is
opened, the plan builds ``dlc`` blocks there, or 200 kW racks, the
``infiniband`` fabric comes to it, it buys ``MI355X`` GPUs anywhere, and with
SPEC 8 a training job is homed at a site, on-site generation or a grid
upgrade is built, a rental is used, a DCI route is lit. The plan has the
feature when the sum of some of its decision values is positive: one family
of `model.planmap` values (steps of a cumulative family, units bought, job
homes, MW, GPUs rented) over some of its keys.

The same definition gives two things, so that they cannot disagree:

* for a plan, whether it has the feature (`present`, `plan_features`), from
  `planmap.values_from_plan` (or `values_from_model`);
* in a model, the expression of that sum (`model_sum`) and its largest
  value (`model_bound`), from which `add_indicators` makes the indicators
  of `model.build.Goal`'s distance objective and its "differ" rows:

  ``mga_used[f]`` (binary): ``sum_f <= bound_f * mga_used[f]``: 0 only when
  the plan does not have the feature; the distance objective penalises it.

  ``mga_new[f]`` (binary): ``mga_min[f] * mga_new[f] <= sum_f``: 1 only when
  the plan has the feature in earnest (by default at least one unit, block or
  site; for MW and rented GPUs, `MIN_SHARE` of their bound; a goal may ask
  more, `set_minimums`); a differ row or a negative score rewards it.

  Neither restricts a plan: ``mga_used = 1, mga_new = 0`` is always
  feasible. Each can only move the way the objective and the differ rows
  push it, which is what the plan really does.

With scenarios (SPEC 8.8) every case has its own features, named
``<case>/<feature>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyomo.environ as pyo

from .data import ModelData
from .planmap import Values

GROUPS: dict[str, str] = {
    "sites": "sites opened",
    "cooling": "cooling types per site",
    "density": "rack densities per site",
    "fabrics": "fabrics per site",
    "gpus": "GPU models bought",
    "jobs": "training job homes",
    "power": "on-site power and grid upgrades",
    "rentals": "rentals used",
    "routes": "DCI routes lit",
}
"""Feature groups, in the order the differences are told, with what they are."""

STEP_OF = {"open": "opened", "build": "built", "fab": "fab_by", "upgrade": "upgraded", "gen": "gen_by",
           "lit": "lit_by"}
"""Step families of plan values -> the cumulative ("by year") variable of the model."""

CONTINUOUS = frozenset({"gen", "rent"})
MIN_SHARE = 0.05
"""A continuous feature (on-site MW, rented GPUs) counts as a real use from this share of its bound."""
PRESENT_EPS = 1e-6
"""A continuous sum below this (relative to its bound, at least 1) is solver noise, not a use."""


@dataclass(frozen=True)
class Feature:
    """One yes/no fact of a design: the sum of `family` values over `keys` is positive."""

    name: str
    group: str
    family: str
    keys: tuple[tuple, ...]

    @property
    def continuous(self) -> bool:
        return self.family in CONTINUOUS


@dataclass(frozen=True)
class NamedFeature:
    """A feature of one scenario case of a model (`case` indexes the model's cases)."""

    name: str
    feature: Feature
    case: int


def design_features(d: ModelData) -> list[Feature]:
    """Every feature a plan of `d` can have (only those some decision of the model can change)."""
    out: list[Feature] = []

    def add(name: str, group: str, family: str, keys) -> None:
        keys = tuple(keys)
        if keys:
            out.append(Feature(name, group, family, keys))

    by_site: dict[str, list] = defaultdict(list)
    for k in d.sites.open_keys:
        by_site[k.site].append(k)
    for s in d.ctx.site_names:
        add(f"site:{s}", "sites", "open", by_site.get(s, ()))
    designs = d.halls.designs
    for s in d.ctx.site_names:
        builds = [k for k in d.halls.build_keys if k.site == s]
        for cooling in dict.fromkeys(designs[k.design][0] for k in builds):
            add(f"cooling:{s}:{cooling}", "cooling", "build",
                (k for k in builds if designs[k.design][0] == cooling))
        for rack in sorted({designs[k.design][1] for k in builds}):
            add(f"density:{s}:{rack:g}", "density", "build", (k for k in builds if designs[k.design][1] == rack))
    for s in d.ctx.site_names:
        fabs = [k for k in d.fabrics.fab_keys if k.site == s]
        for f in dict.fromkeys(k.fabric for k in fabs):
            add(f"fabric:{s}:{f}", "fabrics", "fab", (k for k in fabs if k.fabric == f))
    for g in d.ctx.gpus:
        add(f"gpu:{g}", "gpus", "buy", (k for k in d.fleet.buy_keys if k.gpu == g))
    homes: dict[tuple[str, str], list] = defaultdict(list)
    for k in d.jobs.home_keys:
        homes[(k.job, k.site)].append(k)
    for (j, s), keys in homes.items():
        add(f"home:{j}:{s}", "jobs", "home", keys)
    gens: dict[tuple[str, str], list] = defaultdict(list)
    for k in d.power.gen_keys:
        gens[(k.site, k.option)].append(k)
    for (s, o), keys in gens.items():
        add(f"onsite:{s}:{o}", "power", "gen", keys)
    ups: dict[tuple[str, str], list] = defaultdict(list)
    for k in d.power.upgrade_keys:
        ups[(k.site, k.upgrade)].append(k)
    for (s, u), keys in ups.items():
        add(f"upgrade:{s}:{u}", "power", "upgrade", keys)
    rents: dict[str, list] = defaultdict(list)
    for k in d.rentals.rent_keys:
        rents[k.rental].append(k)
    for r, keys in rents.items():
        add(f"rental:{r}", "rentals", "rent", keys)
    routes: dict[tuple[str, str], list] = defaultdict(list)
    for k in d.dci.lit_keys:
        routes[(k.a, k.b)].append(k)
    for (a, b), keys in routes.items():
        add(f"route:{a}:{b}", "routes", "lit", keys)
    return out


def named_features(cases: list[ModelData]) -> list[NamedFeature]:
    """The features of a model of `cases`, named as the model names them (``<case>/`` first
    with scenarios)."""
    scenario = len(cases) > 1 or cases[0].ctx.case.spec is not None
    return [NamedFeature(f"{d.ctx.case.name}/{f.name}" if scenario else f.name, f, i)
            for i, d in enumerate(cases) for f in design_features(d)]


def group_of(name: str) -> str:
    """The group of a feature name (``site:x`` -> ``sites``)."""
    kind = name.rsplit("/", 1)[-1].split(":", 1)[0]
    return {"site": "sites", "cooling": "cooling", "density": "density", "fabric": "fabrics", "gpu": "gpus",
            "home": "jobs", "onsite": "power", "upgrade": "power", "rental": "rentals",
            "route": "routes"}.get(kind, kind)


def feature_label(name: str) -> str:
    """A feature in words: ``cooling:tx-abilene:dlc`` -> "dlc cooling at tx-abilene"."""
    case, _, bare = name.rpartition("/")
    kind, *args = bare.split(":")
    words = {
        "site": lambda s: f"site {s} opened",
        "cooling": lambda s, c: f"{c} cooling at {s}",
        "density": lambda s, r: f"{r} kW racks at {s}",
        "fabric": lambda s, f: f"{f} fabric at {s}",
        "gpu": lambda g: f"buys {g} GPUs",
        "home": lambda j, s: f"job {j} homed at {s}",
        "onsite": lambda s, o: f"on-site {o} at {s}",
        "upgrade": lambda s, u: f"grid upgrade {u} at {s}",
        "rental": lambda r: f"GPUs rented from {r}",
        "route": lambda a, b: f"route {a}-{b} lit",
    }.get(kind)
    try:
        text = words(*args) if words is not None else bare
    except TypeError:
        text = bare
    return f"{text} (case {case})" if case else text


# --------------------------------------------------------------------------- plans


def amount(f: Feature, x: Values) -> float:
    values = x.get(f.family, {})
    return float(sum(values.get(k, 0) for k in f.keys))


def present(f: Feature, x: Values, bound: float = 1.0) -> bool:
    """Whether plan values `x` have feature `f`."""
    if f.continuous:
        return amount(f, x) > PRESENT_EPS * max(1.0, bound)
    return amount(f, x) > 0.5


def plan_features(cases: list[ModelData], values: list[Values]) -> frozenset[str]:
    """The names of the features plan values (one `Values` per case) have."""
    return frozenset(nf.name for nf in named_features(cases) if present(nf.feature, values[nf.case]))


# --------------------------------------------------------------------------- models


def _last_keys(var, keys: tuple[tuple, ...]) -> list[tuple]:
    """Per key prefix, the key of its last year (where a cumulative variable is largest)."""
    last: dict[tuple, tuple] = {}
    for k in keys:
        k = tuple(k)
        if k in var and (k[:-1] not in last or k[-1] > last[k[:-1]][-1]):
            last[k[:-1]] = k
    return list(last.values())


def model_sum(block: pyo.Block, f: Feature):
    """The model's expression of the feature's sum (cumulative families at their last year)."""
    if f.family in STEP_OF:
        var = block.component(STEP_OF[f.family])
        return pyo.quicksum(var[k] for k in _last_keys(var, f.keys))
    var = block.component(f.family)
    return pyo.quicksum(var[k] for k in f.keys if k in var)


def model_bound(block: pyo.Block, d: ModelData, f: Feature) -> float:
    """The largest value the feature's sum can take in the model (from its variables' bounds)."""
    if f.family in STEP_OF:
        var = block.component(STEP_OF[f.family])
        keys = _last_keys(var, f.keys)
    else:
        var = block.component(f.family)
        keys = [k for k in f.keys if k in var]
    total = 0.0
    for k in keys:
        ub = var[k].ub
        total += float(ub) if ub is not None else _unbounded(d, f, k)
    return total


def _unbounded(d: ModelData, f: Feature, key: tuple) -> float:
    """A bound for a variable without one (GPUs of a rental with no max_gpus): twice the GPUs
    that would serve every demand it can serve alone, and one more."""
    if f.family != "rent":
        raise ValueError(f"no bound for {f.family}{key}")
    rental, year = key
    need = sum(d.demand.need.get((k.workload, k.year), 0.0) / p for k, p in d.rentals.perf.items()
               if k.rental == rental and k.year == year and p > 0)
    return 2.0 * need + 1.0


def add_indicators(m: pyo.ConcreteModel, blocks: list[tuple[pyo.Block, ModelData]], rows: int) -> None:
    """The feature indicators on model `m` (its case blocks `blocks`, in case order), the
    distance objective's scores and `rows` differ rows, every number a mutable parameter set
    by `set_scores` and `set_differ`:

    ``mga_differ[r]``: sum of (1 - mga_used[f]) over the features of design r, plus
    mga_new[f] over the features design r lacks, >= 1 (the plan differs from design r in at
    least one feature); a row with no design is 0 >= 0.
    """
    named = named_features([d for _, d in blocks])
    names = [nf.name for nf in named]
    m._mga_features = {nf.name: nf for nf in named}
    m.FEATURES = pyo.Set(initialize=names, ordered=True)
    sums = {nf.name: model_sum(blocks[nf.case][0], nf.feature) for nf in named}
    bounds = {nf.name: model_bound(blocks[nf.case][0], blocks[nf.case][1], nf.feature) for nf in named}
    m._mga_bounds = bounds
    m._mga_minimum = {n: (MIN_SHARE * bounds[n] if m._mga_features[n].feature.continuous else 1.0)
                      for n in names}
    m.mga_used = pyo.Var(m.FEATURES, domain=pyo.Binary)
    m.mga_new = pyo.Var(m.FEATURES, domain=pyo.Binary)
    m.mga_min = pyo.Param(m.FEATURES, initialize=m._mga_minimum, mutable=True, within=pyo.Reals)
    m.mga_used_link = pyo.Constraint(m.FEATURES, rule=lambda m, f: sums[f] <= bounds[f] * m.mga_used[f])
    m.mga_new_link = pyo.Constraint(m.FEATURES, rule=lambda m, f: m.mga_min[f] * m.mga_new[f] <= sums[f])
    m.mga_penalty = pyo.Param(m.FEATURES, initialize=0.0, mutable=True, within=pyo.Reals)
    m.mga_reward = pyo.Param(m.FEATURES, initialize=0.0, mutable=True, within=pyo.Reals)
    m.mga_score = pyo.Expression(expr=pyo.quicksum(m.mga_penalty[f] * m.mga_used[f] - m.mga_reward[f] * m.mga_new[f]
                                                   for f in names))
    m.DIFFER = pyo.RangeSet(0, rows - 1) if rows else pyo.Set(initialize=[], dimen=1)
    m.mga_in = pyo.Param(m.DIFFER, m.FEATURES, initialize=0.0, mutable=True, within=pyo.Reals)
    m.mga_out = pyo.Param(m.DIFFER, m.FEATURES, initialize=0.0, mutable=True, within=pyo.Reals)
    m.mga_need = pyo.Param(m.DIFFER, initialize=0.0, mutable=True, within=pyo.Reals)
    m.mga_differ = pyo.Constraint(m.DIFFER, rule=lambda m, r: pyo.quicksum(
        m.mga_in[r, f] * (1 - m.mga_used[f]) + m.mga_out[r, f] * m.mga_new[f] for f in names) >= m.mga_need[r])


def set_scores(m: pyo.ConcreteModel, scores: dict[str, float]) -> None:
    """Scores of the distance objective: a positive score penalises having the feature, a
    negative one rewards having it in earnest; features not named score 0."""
    for f in m.FEATURES:
        s = float(scores.get(f, 0.0))
        m.mga_penalty[f].set_value(max(s, 0.0))
        m.mga_reward[f].set_value(max(-s, 0.0))


def set_minimums(m: pyo.ConcreteModel, minimums: dict[str, float]) -> None:
    """The least amount for which a plan has each feature in earnest (`mga_new`); features not
    named keep their default (one unit, block or site; `MIN_SHARE` of the bound for MW and
    rented GPUs). An amount above the feature's bound means it can never be added."""
    for f in m.FEATURES:
        m.mga_min[f].set_value(float(minimums.get(f, m._mga_minimum[f])))


def set_differ(m: pyo.ConcreteModel, designs: list[frozenset[str]]) -> None:
    """The plan must differ from each design (its features' names) in at least one feature."""
    rows = list(m.DIFFER)
    if len(designs) > len(rows):
        raise ValueError(f"{len(designs)} designs to differ from, but the model has {len(rows)} rows")
    for i, r in enumerate(rows):
        design = designs[i] if i < len(designs) else None
        for f in m.FEATURES:
            m.mga_in[r, f].set_value(1.0 if design is not None and f in design else 0.0)
            m.mga_out[r, f].set_value(1.0 if design is not None and f not in design else 0.0)
        m.mga_need[r].set_value(1.0 if design is not None else 0.0)
