"""Why no plan exists, in a planner's terms.

HiGHS gives no irreducible infeasible set for a MILP, so the diagnosis
re-solves elastic versions of the model (`data.Elastic`):

1. **Shortfall.** Demand may go unmet at a price: the cheapest plan then says
   which demand (training, or inference of a region) in which year cannot be
   met and by how much.
2. **Binding limits.** Grid MW, floor space and the budget may be exceeded,
   and blocks or purchases may break power_available_year, GPU sale years
   and port speeds, each at a penalty; the least-penalty plan says which
   limits would have to move, where and by how much (with `limits`, the
   model data do not derive block bounds from the grid and floor limits, so
   that only the penalised excess can go past them).

Demand nothing could ever serve (a region no site serves, a year before any
GPU or power exists) is found before any solve, and explained by relaxing
one structural rule at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..instance.schema import Instance
from ..model import build_model, new_session
from ..model.data import RELAXABLE_RULES, Elastic, ModelData, prepare
from ..solver.deadline import Deadline
from ..solver.highs import HighsSession, SolveOptions

STAGE_TIME_LIMIT_S = 60.0
STAGE_MIP_GAP = 1e-3
TCO_WEIGHT = 1e-6
"""Weight of the SPEC costs in a diagnosis objective: enough to avoid absurd plans, never to
trade against a shortfall or a broken limit."""
SHORTFALL_SCALE = 1e3
"""Objective weight of leaving all of the largest yearly demand unmet (stage 1)."""
STAGE2_SHORTFALL_SCALE = 1e5
"""Stage 2: leaving demand unmet costs far more than bending any limit."""


@dataclass(frozen=True)
class Shortfall:
    workload: str  # "training" or an inference region
    year: int
    demand: float
    unmet: float


@dataclass
class Diagnosis:
    shortfalls: list[Shortfall] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # limits that would have to move
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for s in self.shortfalls:
            what = "training demand" if s.workload == sem.TRAINING else \
                f"inference demand of region {s.workload!r}"
            out.append(f"{what} in {s.year} cannot be met: {s.unmet:,.6g} of {s.demand:,.6g} "
                       f"({100 * s.unmet / s.demand:.1f} %) short")
        out += self.limits
        out += self.notes
        return out


def diagnose(inst: Instance, options: SolveOptions | None = None, deadline: Deadline | None = None) -> Diagnosis:
    """Explain why `inst` has no plan; each elastic re-solve by `STAGE_TIME_LIMIT_S` and by
    `deadline` (the solve's, when given)."""
    options = options or SolveOptions()
    stage_options = options.model_copy(update={
        "mip_gap": max(options.mip_gap, STAGE_MIP_GAP),
        "time_limit_s": min(options.time_limit_s or STAGE_TIME_LIMIT_S, STAGE_TIME_LIMIT_S),
        "log": False,
    })
    deadline = deadline if deadline is not None else Deadline()
    result = Diagnosis()
    plain = prepare(inst)
    result.notes += [_explain_static(inst, msg) for msg in plain.static_infeasibilities]

    biggest = max([plain.training_demand[t] for t in plain.years]
                  + list(plain.inference_demand.values()) + [1e-9])
    shortfall = _solve_elastic(inst, Elastic(unmet_penalty_musd_per_perf=SHORTFALL_SCALE / biggest,
                                             tco_weight=TCO_WEIGHT), stage_options, deadline)
    if shortfall is None:
        result.notes.append("the elastic re-solve found no plan within its time limit; "
                            "rerun with a longer --time-limit for a diagnosis")
        return result
    d, session = shortfall
    for (w, t), v in d_values(session, "unmet").items():
        need = d.training_demand[t] if w == sem.TRAINING else d.inference_demand[(w, t)]
        if v > 1e-6 * max(1.0, need):
            result.shortfalls.append(Shortfall(w, t, need, v))

    relaxed = _solve_elastic(inst, Elastic(unmet_penalty_musd_per_perf=STAGE2_SHORTFALL_SCALE / biggest,
                                           limits=True, relax=frozenset(RELAXABLE_RULES),
                                           tco_weight=TCO_WEIGHT), stage_options, deadline)
    if relaxed is not None:
        result.limits += _limits_used(inst, *relaxed)
    if not result.shortfalls and not result.limits and not result.notes:
        result.notes.append("no single demand or limit explains it: existing deployments may not fit "
                            "the halls available to them (check existing blocks, allowed_cooling and "
                            "power_available_year at their sites)")
    return result


def _solve_elastic(inst: Instance, elastic: Elastic, options: SolveOptions, deadline: Deadline):
    left = deadline.left()
    if left is not None and left <= 0:
        return None
    d = prepare(inst, elastic)
    m = build_model(d)
    session = new_session(m)
    limit = options.time_limit_s if left is None else min(options.time_limit_s or left, left)
    outcome = session.solve(options, deadline=Deadline(limit))
    if not outcome.has_plan:
        return None
    session.load_plan_values()
    return d, session


def d_values(session: HighsSession, name: str) -> dict:
    var = getattr(session.model, name, None)
    if var is None:
        return {}
    return {k: pyo.value(v, exception=False) or 0.0 for k, v in var.items()}


def _limits_used(inst: Instance, d: ModelData, session: HighsSession) -> list[str]:
    out = []
    sites = {s.name: s for s in inst.sites}
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    for s, mw in d_values(session, "grid_excess").items():
        if mw > 1e-6:
            limit = sites[s].max_facility_mw
            out.append(f"grid limit binds at site {s!r}: {mw:,.4g} MW more facility power than its "
                       f"max_facility_mw {limit:g} would be needed ({limit + mw:,.4g} MW)")
    for s, n in d_values(session, "floor_excess").items():
        if n > 0.5:
            limit = sites[s].max_blocks
            out.append(f"floor space binds at site {s!r}: {round(n)} more block(s) than max_blocks "
                       f"{limit} would be needed ({limit + round(n)} blocks)")
    budget = inst.finance.annual_capex_budget_usd
    for t, musd in d_values(session, "budget_excess").items():
        if musd > 1e-6:
            out.append(f"budget binds in {t}: capex {musd * 1e6:,.0f} USD above annual_capex_budget_usd "
                       f"{budget:,.0f} would be needed ({budget + musd * 1e6:,.0f} USD)")
    early_blocks: dict[tuple[str, int], float] = defaultdict(float)
    for key, n in d_values(session, "build").items():
        if key in d.relaxed.get("build", {}) and n > 0.5:
            early_blocks[(key[0], key[2])] += n
    for (s, y), n in sorted(early_blocks.items()):
        pay = sites[s].power_available_year
        out.append(f"power_available_year binds at site {s!r}: {round(n)} block(s) would have to be built "
                   f"in {y}, {pay - y} year(s) before power is available in {pay}")
    broken: dict[str, float] = defaultdict(float)
    for key, n in d_values(session, "buy").items():
        if key not in d.relaxed.get("buy", {}) or n < 0.5:
            continue
        s, _, g_name, f_name, y, _ = key
        site, g, f = sites[s], gpus[g_name], fabrics[f_name]
        n_gpus = round(n) * g.unit_gpus
        if y < site.power_available_year:
            broken[f"power_available_year binds at site {s!r}: GPUs would have to be bought in {y}, "
                   f"before power is available in {site.power_available_year}"] += n_gpus
        if not g.first_year <= y <= g.last_year:
            broken[f"GPU sale years bind: {g_name} would have to be bought in {y} (at site {s!r}), "
                   f"outside its sale years {g.first_year}-{g.last_year}"] += n_gpus
        if not sem.attaches(g, f):
            broken[f"port speed binds: {g_name} needs {g.nic_gbps:g} Gb/s ports and would have to run "
                   f"on {f_name} at site {s!r}, which serves up to {f.max_gbps_per_port:g} Gb/s"] += n_gpus
    for text, n in broken.items():
        out.append(f"{text} ({n:,.0f} GPUs)")
    return out


def _explain_static(inst: Instance, message: str) -> str:
    """Add which structural rule makes a demand unservable, by relaxing one at a time."""
    if not message.startswith(("training demand", "inference demand")) or "no site serves" in message:
        return message
    fixes = []
    for rule in RELAXABLE_RULES:
        relaxed = prepare(inst, Elastic(relax=frozenset({rule})))
        if message not in relaxed.static_infeasibilities:
            fixes.append(_RULE_TEXT[rule])
    if message not in prepare(inst, Elastic(limits=True)).static_infeasibilities:
        fixes += [_RULE_TEXT[rule] for rule in _limits_blocking_every_block(inst)]
    if fixes:
        return f"{message}; binding: {' or '.join(fixes)}"
    return message


def _limits_blocking_every_block(inst: Instance) -> list[str]:
    """Which site limits leave no room for a single new block somewhere: 'grid', 'floor'."""
    coolings = {k.name: k for k in inst.catalog.cooling}
    out = set()
    for s in inst.sites:
        existing = [b for b in inst.existing.blocks if b.site == s.name]
        if s.max_blocks is not None and s.max_blocks <= sum(b.blocks for b in existing):
            out.add("floor")
        used = sum(sem.site_pue(s, coolings[b.cooling]) * s.block_mw * b.blocks for b in existing)
        allowed = s.allowed_cooling if s.allowed_cooling is not None else list(coolings)
        if all(used + sem.site_pue(s, coolings[k]) * s.block_mw > s.max_facility_mw * (1 + 1e-9) for k in allowed):
            out.add("grid")
    return sorted(out)


_RULE_TEXT = {
    "power_year": "power_available_year (no site has power by then)",
    "sale_years": "GPU sale years (no GPU is on sale by then)",
    "port_speed": "port speeds (no fabric serves the GPUs on sale)",
    "grid": "grid limits max_facility_mw (no block fits under them)",
    "floor": "floor space max_blocks (no block may be built)",
}
