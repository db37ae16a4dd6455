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
one structural rule at a time. These certain causes, and the instance's
warnings (:mod:`dcopt.instance.warnings`), come first in the diagnosis.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..instance.schema import Instance
from ..instance.warnings import warnings as instance_warnings
from ..model.build import case_blocks
from ..model.context import RELAXABLE_RULES, Elastic
from ..model.data import ModelData, prepare
from ..solver.deadline import Deadline
from ..solver.highs import SolveOptions

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
    workload: str  # "training", an inference region or a training job
    year: int
    demand: float
    unmet: float
    job: bool = False
    case: str = ""


@dataclass
class Diagnosis:
    certain: list[str] = field(default_factory=list)  # found before solving: static causes, warnings
    shortfalls: list[Shortfall] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # limits that would have to move
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = list(self.certain)
        for s in self.shortfalls:
            if s.job:
                what = f"training job {s.workload!r}"
            else:
                what = "training demand" if s.workload == sem.TRAINING else \
                    f"inference demand of region {s.workload!r}"
            out.append(f"{s.case}{what} in {s.year} cannot be met: {s.unmet:,.6g} of {s.demand:,.6g} "
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
        "log": False, "allow_unmet_usd_per_perf": None, "diagnose": False,
    })
    deadline = deadline if deadline is not None else Deadline()
    result = Diagnosis()
    plain = prepare(inst)
    result.certain += [_explain_static(inst, msg) for msg in plain.static_infeasibilities]
    result.certain += [f"warning: {w}" for w in instance_warnings(inst)
                       if w.kind != "unserved_demand"]  # that one is a static cause already

    biggest = max([*plain.demand.need.values(), *plain.jobs.need.values(), 1e-9])
    shortfall = _solve_elastic(inst, Elastic(unmet_penalty_musd_per_perf=SHORTFALL_SCALE / biggest,
                                             tco_weight=TCO_WEIGHT), stage_options, deadline)
    if shortfall is None:
        result.notes.append("the elastic re-solve found no plan within its time limit; "
                            "rerun with a longer --time-limit for a diagnosis")
        return result
    for d, block in shortfall:
        for name, need in (("unmet", d.demand.need), ("job_unmet", d.jobs.need)):
            for (w, t), v in _values(block, name).items():
                if v > 1e-6 * max(1.0, need[(w, t)]):
                    result.shortfalls.append(Shortfall(w, t, need[(w, t)], v, name == "job_unmet",
                                                       _case_label(d, shortfall)))

    relaxed = _solve_elastic(inst, Elastic(unmet_penalty_musd_per_perf=STAGE2_SHORTFALL_SCALE / biggest,
                                           limits=True, relax=frozenset(RELAXABLE_RULES),
                                           tco_weight=TCO_WEIGHT), stage_options, deadline)
    if relaxed is not None:
        for d, block in relaxed:
            result.limits += [_case_label(d, relaxed) + line for line in _limits_used(inst, d, block)]
    if not (result.shortfalls or result.limits or result.notes or plain.static_infeasibilities):
        result.notes.append("no single demand or limit explains it: existing deployments may not fit "
                            "the halls available to them (check existing blocks, allowed_cooling and "
                            "power_available_year at their sites)")
    return result


def _case_label(d: ModelData, cases: list) -> str:
    return f"in case {d.ctx.case.name!r}: " if len(cases) > 1 else ""


def _solve_elastic(inst: Instance, elastic: Elastic, options: SolveOptions, deadline: Deadline) -> list | None:
    """(data, solved block) of every case of the elastic model, or None without a plan (also
    when the solve's deadline has passed)."""
    from .solve import Pipeline  # the diagnosis re-solves through the one pipeline

    left = deadline.left()
    if left is not None and left <= 0:
        return None
    limit = options.time_limit_s if left is None else min(options.time_limit_s or left, left)
    cases, session, outcome, _ = Pipeline(options, elastic=elastic).run(inst, deadline=Deadline(limit))
    if session is None or not outcome.has_plan:
        return None
    session.load_plan_values()
    return case_blocks(session.model, cases)


def _values(block, name: str) -> dict:
    var = block.component(name)
    if var is None:
        return {}
    return {k: pyo.value(v, exception=False) or 0.0 for k, v in var.items()}


def _limits_used(inst: Instance, d: ModelData, block) -> list[str]:
    out = []
    sites = {s.name: s for s in inst.sites}
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    for s, mw in _values(block, "grid_excess").items():
        if mw > 1e-6:
            limit = sites[s].max_facility_mw
            out.append(f"grid limit binds at site {s!r}: {mw:,.4g} MW more facility power than its "
                       f"max_facility_mw {limit:g} would be needed ({limit + mw:,.4g} MW)")
    for s, n in _values(block, "floor_excess").items():
        if n > 0.5:
            limit = sites[s].max_blocks
            out.append(f"floor space binds at site {s!r}: {round(n)} more block(s) than max_blocks "
                       f"{limit} would be needed ({limit + round(n)} blocks)")
    budget = inst.finance.annual_capex_budget_usd
    for t, musd in _values(block, "budget_excess").items():
        if musd > 1e-6:
            out.append(f"budget binds in {t}: capex {musd * 1e6:,.0f} USD above annual_capex_budget_usd "
                       f"{budget:,.0f} would be needed ({budget + musd * 1e6:,.0f} USD)")
    for (g, t), n in _values(block, "supply_excess").items():
        if n > 1e-6:
            cap = d.fleet.supply_caps[(g, t)]
            out.append(f"supply cap binds: {n:,.6g} more {g} GPUs than max_gpus_per_year {cap:g} would have to "
                       f"be bought in {t} ({cap + n:,.6g})")
    for (a, b, t), gbps in _values(block, "dci_excess").items():
        if gbps > 1e-6:
            out.append(f"DCI capacity binds on route {a}-{b} in {t}: {gbps:,.6g} Gb/s more than the links "
                       "that can be installed would be needed")
    early_blocks: dict[tuple[str, int], float] = defaultdict(float)
    for key, n in _values(block, "build").items():
        if key in d.halls.relaxed and n > 0.5:
            early_blocks[(key[0], key[2])] += n
    for (s, y), n in sorted(early_blocks.items()):
        pay = sites[s].power_available_year
        out.append(f"power_available_year binds at site {s!r}: {round(n)} block(s) would have to be built "
                   f"in {y}, {pay - y} year(s) before power is available in {pay}")
    broken: dict[str, float] = defaultdict(float)
    for key, n in _values(block, "buy").items():
        if key not in d.fleet.relaxed or n < 0.5:
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
