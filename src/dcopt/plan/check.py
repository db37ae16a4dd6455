"""Check a plan against every constraint of SPEC section 4, and a solution's
reported costs against an independent recomputation, without Pyomo or a solver.

`check_plan(inst, plan)` lists every violation (which constraint, where, by
how much); `check_solution(inst, solution)` adds the difference between the
reported and the recomputed value of each cost item.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..instance import semantics as sem
from ..instance.schema import Instance
from ..model.items import SPEC5_ITEMS as COST_ITEMS
from ..results.solution import Solution
from .costing import cost_plan
from .format import Plan

REL_TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    constraint: str  # e.g. "grid", "hall_capacity", "training_demand"
    where: str  # site, hall design, year ...
    message: str
    amount: float = 0.0  # by how much, in the constraint's unit

    def __str__(self) -> str:
        return f"{self.constraint} [{self.where}]: {self.message}"


@dataclass(frozen=True)
class CostDifference:
    item: str
    reported_usd: float
    recomputed_usd: float

    @property
    def difference_usd(self) -> float:
        return self.reported_usd - self.recomputed_usd


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    cost_differences: list[CostDifference] = field(default_factory=list)
    recomputed_tco_usd: float | None = None
    reported_tco_usd: float | None = None
    notes: list[str] = field(default_factory=list)
    nothing_to_check: str = ""  # why there was nothing to check (a solution without a plan)

    @property
    def ok(self) -> bool:
        """Every constraint holds and every cost item matches; False when nothing was checked."""
        return not self.nothing_to_check and not self.violations and not self.cost_differences

    def text(self) -> str:
        if self.nothing_to_check:
            return f"nothing to check: {self.nothing_to_check}"
        lines = []
        if self.reported_tco_usd is not None and self.recomputed_tco_usd is not None:
            lines.append(f"TCO reported {self.reported_tco_usd:,.2f} USD, recomputed "
                         f"{self.recomputed_tco_usd:,.2f} USD")
        lines += [f"violation: {v}" for v in self.violations]
        lines += [f"cost item {c.item}: reported {c.reported_usd:,.2f} USD, recomputed "
                  f"{c.recomputed_usd:,.2f} USD (difference {c.difference_usd:,.2f})"
                  for c in self.cost_differences]
        lines += [f"note: {n}" for n in self.notes]
        lines.append("consistent: every constraint holds and every cost item matches" if self.ok
                     else f"inconsistent: {len(self.violations)} violations, "
                          f"{len(self.cost_differences)} cost differences")
        return "\n".join(lines)


def reference_problems(inst: Instance, plan: Plan) -> list[tuple[str, str]]:
    """Entries of `plan` that name what the instance does not have (a site, cooling, rack
    density, GPU, fabric, existing deployment) or a year outside the horizon, as
    (JSON path in the plan, message). Such an entry cannot be costed; `check_plan` reports
    it as a violation and the costing leaves it out (see `costable_part`)."""
    cat = inst.catalog
    names = {
        "site": {s.name for s in inst.sites},
        "cooling": {k.name for k in cat.cooling},
        "gpu": {g.name for g in cat.gpus},
        "fabric": {f.name for f in cat.fabrics},
    }
    racks = {d.rack_kw for d in cat.densities}
    y0, yn = inst.years[0], inst.years[-1]
    out: list[tuple[str, str]] = []

    def known(path: str, entry: object, fields: tuple[str, ...]) -> None:
        for name in fields:
            value = getattr(entry, name)
            if value not in names[name]:
                known_names = ", ".join(sorted(names[name]))
                out.append((f"{path}.{name}", f"unknown {name} {value!r} (the instance has {known_names})"))
        if hasattr(entry, "rack_kw") and entry.rack_kw not in racks:
            listed = ", ".join(f"{r:g}" for r in sorted(racks))
            message = f"no rack density of {entry.rack_kw:g} kW in the catalog (it has {listed})"
            out.append((f"{path}.rack_kw", message))
        if not y0 <= entry.year <= yn:
            out.append((f"{path}.year", f"year {entry.year} is outside the horizon {y0}-{yn}"))

    for i, o in enumerate(plan.openings):
        known(f"openings[{i}]", o, ("site",))
    for i, a in enumerate(plan.fabrics):
        known(f"fabrics[{i}]", a, ("site", "fabric"))
    for i, b in enumerate(plan.builds):
        known(f"builds[{i}]", b, ("site", "cooling"))
    for i, p in enumerate(plan.purchases):
        known(f"purchases[{i}]", p, ("site", "cooling", "gpu", "fabric"))
    n_deps = len(inst.existing.deployments)
    for i, r in enumerate(plan.retirements):
        if r.deployment >= n_deps:
            message = (f"no existing deployment {r.deployment} (the instance has {n_deps}, "
                       "numbered from 0 in the order of existing.deployments)")
            out.append((f"retirements[{i}].deployment", message))
        if not y0 <= r.year <= yn:
            out.append((f"retirements[{i}].year", f"year {r.year} is outside the horizon {y0}-{yn}"))
    for i, a in enumerate(plan.allocations or []):
        known(f"allocations[{i}]", a, ("site", "gpu", "fabric"))
    return out


def costable_part(inst: Instance, plan: Plan) -> Plan:
    """`plan` without the entries `reference_problems` names (the same plan when there are none)."""
    bad = {path.split(".")[0] for path, _ in reference_problems(inst, plan)}
    if not bad:
        return plan

    def keep(family: str, entries):
        return [e for i, e in enumerate(entries) if f"{family}[{i}]" not in bad]

    return Plan(
        openings=keep("openings", plan.openings),
        fabrics=keep("fabrics", plan.fabrics),
        builds=keep("builds", plan.builds),
        purchases=keep("purchases", plan.purchases),
        retirements=keep("retirements", plan.retirements),
        allocations=None if plan.allocations is None else keep("allocations", plan.allocations),
    )


def _over(value: float, limit: float) -> bool:
    return value > limit + REL_TOL * max(1.0, abs(limit))


def check_plan(inst: Instance, plan: Plan,
               allowed_unmet: dict[tuple[str, int], float] | None = None) -> list[Violation]:
    """Every violation of SPEC section 4 (and of the decisions' domains) by `plan`.

    `allowed_unmet` ((workload, year) -> throughput) is demand the plan
    declares unmet (a plan found with --allow-unmet); it is not a violation."""
    cat = inst.catalog
    years = inst.years
    y0, yn = years[0], years[-1]
    sites = {s.name: s for s in inst.sites}
    coolings = {k.name: k for k in cat.cooling}
    densities = {d.rack_kw: d for d in cat.densities}
    gpus = {g.name: g for g in cat.gpus}
    fabrics = {f.name: f for f in cat.fabrics}
    lives = set(inst.options.life_choices_years)
    out: list[Violation] = []

    def bad(constraint: str, where: str, message: str, amount: float = 0.0) -> None:
        out.append(Violation(constraint, where, message, amount))

    def known_design(where: str, site: str, cooling: str, rack_kw: float) -> bool:
        if site not in sites:
            bad("names", where, f"unknown site {site!r}")
            return False
        if cooling not in coolings or rack_kw not in densities:
            bad("names", where, f"unknown hall design ({cooling}, {rack_kw:g})")
            return False
        if not sem.is_design(coolings[cooling], densities[rack_kw]):
            bad("hall_design", where, f"{cooling} cannot cool {rack_kw:g} kW racks")
            return False
        return True

    def allowed(site: str, cooling: str) -> bool:
        a = sites[site].allowed_cooling
        return a is None or cooling in a

    # -- opening
    existing_open = {b.site for b in inst.existing.blocks if b.blocks > 0}
    open_year: dict[str, int] = {s: y0 for s in existing_open}
    for o in plan.openings:
        if o.site not in sites:
            bad("names", o.site, f"unknown site {o.site!r}")
            continue
        if not y0 <= o.year <= yn:
            bad("horizon", o.site, f"opening in {o.year}, outside the horizon")
        if o.site in existing_open:
            bad("open_once", o.site, "site is already open through its existing blocks")
        elif o.site in open_year:
            bad("open_once", o.site, "site opened more than once")
        open_year[o.site] = min(o.year, open_year.get(o.site, o.year))

    # -- blocks
    blocks_by: dict[tuple[str, str, float], dict[int, int]] = defaultdict(lambda: dict.fromkeys(years, 0))
    for b in inst.existing.blocks:
        for t in years:
            blocks_by[(b.site, b.cooling, b.rack_kw)][t] += b.blocks
    for b in plan.builds:
        where = f"{b.site}, {b.cooling}/{b.rack_kw:g}, {b.year}"
        if not known_design(where, b.site, b.cooling, b.rack_kw):
            continue
        site = sites[b.site]
        if not y0 <= b.year <= yn:
            bad("horizon", where, f"build in {b.year}, outside the horizon")
        if b.year < (site.power_available_year or y0):
            bad("power_available", where, f"blocks built in {b.year}, before power is available in "
                                          f"{site.power_available_year}")
        if not allowed(b.site, b.cooling):
            bad("allowed_cooling", where, f"{b.cooling} is not allowed at {b.site}")
        if open_year.get(b.site, yn + 1) > b.year:
            bad("open", where, f"blocks built in {b.year} but the site is not open by then")
        for t in years:
            if t >= b.year:
                blocks_by[(b.site, b.cooling, b.rack_kw)][t] += b.blocks

    for s in inst.sites:
        mine = {k: v for k, v in blocks_by.items() if k[0] == s.name}
        for t in years:
            grid = sum(sem.site_pue(s, coolings[k[1]]) * s.block_mw * v[t] for k, v in mine.items())
            if _over(grid, s.max_facility_mw):
                bad("grid", f"{s.name}, {t}", f"facility power {grid:g} MW exceeds the grid limit "
                                              f"{s.max_facility_mw:g} MW", grid - s.max_facility_mw)
        total = sum(v[yn] for v in mine.values())
        if s.max_blocks is not None and total > s.max_blocks:
            bad("floor_space", s.name, f"{total} blocks exceed max_blocks {s.max_blocks}",
                total - s.max_blocks)

    # -- fabrics
    present: dict[tuple[str, str], int] = {(d.site, d.fabric): y0 for d in inst.existing.deployments}
    for a in plan.fabrics:
        where = f"{a.site}, {a.fabric}, {a.year}"
        if a.site not in sites or a.fabric not in fabrics:
            bad("names", where, "unknown site or fabric")
            continue
        if (a.site, a.fabric) in present:
            bad("fab_once", where, "fabric is already at this site")
        present[(a.site, a.fabric)] = min(a.year, present.get((a.site, a.fabric), a.year))
        if open_year.get(a.site, yn + 1) > a.year:
            bad("fab_needs_open", where, f"fabric brought in {a.year} before the site is open")

    # -- purchases and active units
    y1 = yn + 1
    active_kw: dict[tuple[str, str, float, int], float] = defaultdict(float)
    active_gpus: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for p in plan.purchases:
        where = f"{p.site}, {p.gpu} on {p.fabric} in {p.cooling}/{p.rack_kw:g}, {p.year}"
        if not known_design(where, p.site, p.cooling, p.rack_kw):
            continue
        if p.gpu not in gpus or p.fabric not in fabrics:
            bad("names", where, "unknown GPU or fabric")
            continue
        g, f, k = gpus[p.gpu], fabrics[p.fabric], coolings[p.cooling]
        site = sites[p.site]
        if not y0 <= p.year <= yn:
            bad("horizon", where, f"purchase in {p.year}, outside the horizon")
        if not g.first_year <= p.year <= g.last_year:
            bad("sale_years", where, f"{p.gpu} is on sale {g.first_year}-{g.last_year}, not in {p.year}")
        if p.year < (site.power_available_year or y0):
            bad("power_available", where, f"bought before power is available in {site.power_available_year}")
        if p.rack_kw < g.min_rack_kw:
            bad("min_rack_kw", where, f"{p.gpu} needs racks of at least {g.min_rack_kw:g} kW")
        if g.liquid_required and not k.liquid:
            bad("liquid_required", where, f"{p.gpu} needs liquid cooling, {p.cooling} is not liquid")
        if not allowed(p.site, p.cooling):
            bad("allowed_cooling", where, f"{p.cooling} is not allowed at {p.site}")
        if not sem.attaches(g, f):
            bad("port_speed", where, f"{p.fabric} serves ports up to {f.max_gbps_per_port:g} Gb/s, "
                                     f"{p.gpu} needs {g.nic_gbps:g}")
        if p.gpus % g.unit_gpus:
            bad("unit_gpus", where, f"{p.gpus} GPUs is not a multiple of {g.unit_gpus}")
        valid_life = any(
            life <= g.max_life_years and (life == p.life_years or (p.year + p.life_years == y1 and life > p.life_years))
            for life in lives
        )
        if not valid_life:
            bad("life", where, f"life {p.life_years} is not an allowed life choice for {p.gpu}")
        have_fabric = present.get((p.site, p.fabric))
        if have_fabric is None or have_fabric > p.year:
            bad("fabric_presence", where, f"{p.fabric} is not at {p.site} by {p.year}")
        kw = p.gpus * (g.system_kw_per_gpu + sem.net_kw_per_gpu(f, g))
        for t in range(p.year, min(p.year + p.life_years, y1)):
            active_kw[(p.site, p.cooling, p.rack_kw, t)] += kw
            active_gpus[(p.site, p.gpu, p.fabric, t)] += p.gpus

    # -- existing deployments and retirements
    retired: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    deps = inst.existing.deployments
    for r in plan.retirements:
        where = f"deployment {r.deployment}, {r.year}"
        if r.deployment >= len(deps):
            bad("names", where, f"no existing deployment {r.deployment}")
            continue
        dep = deps[r.deployment]
        g = gpus[dep.gpu]
        deadline = sem.retire_deadline(inst, dep.purchase_year, g)
        if not y0 <= r.year <= min(deadline, yn):
            bad("retire_year", where, f"retirement in {r.year}, allowed {y0}..{min(deadline, yn)}")
        if r.gpus % g.unit_gpus:
            bad("unit_gpus", where, f"{r.gpus} GPUs is not a multiple of {g.unit_gpus}")
        retired[r.deployment][r.year] += r.gpus
    for e, dep in enumerate(deps):
        g, f = gpus[dep.gpu], fabrics[dep.fabric]
        deadline = sem.retire_deadline(inst, dep.purchase_year, g)
        gone_total = sum(retired[e].values())
        if gone_total > dep.gpus:
            bad("retire_all", f"deployment {e}", f"{gone_total} GPUs retired, only {dep.gpus} exist",
                gone_total - dep.gpus)
        if deadline <= yn and gone_total < dep.gpus:
            bad("retire_all", f"deployment {e}", f"{dep.gpus - gone_total} GPUs still running after the "
                                                 f"retirement deadline {deadline}", dep.gpus - gone_total)
        running = dep.gpus
        kw_per = g.system_kw_per_gpu + sem.net_kw_per_gpu(f, g)
        for t in years:
            running -= retired[e].get(t, 0)
            if running > 0 and not (deadline <= yn and t >= deadline):
                active_kw[(dep.site, dep.cooling, dep.rack_kw, t)] += running * kw_per
                active_gpus[(dep.site, dep.gpu, dep.fabric, t)] += running

    for (s, k, rack, t), kw in sorted(active_kw.items()):
        cap = 1000.0 * sites[s].block_mw * blocks_by.get((s, k, rack), {}).get(t, 0)
        if _over(kw, cap):
            bad("hall_capacity", f"{s}, {k}/{rack:g}, {t}",
                f"active units need {kw:g} kW, built halls hold {cap:g} kW", kw - cap)

    # -- budget
    budget = inst.finance.annual_capex_budget_usd
    if budget is not None:
        capex = cost_plan(inst, costable_part(inst, plan)).capex_usd()
        for i, t in enumerate(years):
            if _over(float(capex[i]), budget):
                bad("budget", str(t), f"capex {capex[i]:,.0f} USD exceeds the budget {budget:,.0f} USD",
                    float(capex[i]) - budget)

    out += _check_allocation(inst, plan, active_gpus, allowed_unmet or {})
    return out


def _check_allocation(inst: Instance, plan: Plan, active_gpus: dict[tuple[str, str, str, int], float],
                      allowed_unmet: dict[tuple[str, int], float]) -> list[Violation]:
    out: list[Violation] = []
    if plan.allocations is None:
        return [Violation("allocation", "plan", "the plan has no allocations: demand not checked")]
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    sites = {s.name: s for s in inst.sites}
    given: dict[tuple[str, str, str, int], float] = defaultdict(float)
    delivered: dict[tuple[str, int], float] = defaultdict(float)
    for a in plan.allocations:
        where = f"{a.site}, {a.gpu} on {a.fabric}, {a.year}, {a.workload}"
        if a.site not in sites or a.gpu not in gpus or a.fabric not in fabrics:
            out.append(Violation("names", where, "unknown site, GPU or fabric"))
            continue
        if a.workload != sem.TRAINING and a.workload not in sites[a.site].served_regions:
            out.append(Violation("serves_regions", where, f"{a.site} does not serve {a.workload}"))
            continue
        g, f = gpus[a.gpu], fabrics[a.fabric]
        given[(a.site, a.gpu, a.fabric, a.year)] += a.gpus
        per = (g.training_perf * f.training_efficiency * f.availability if a.workload == sem.TRAINING
               else g.inference_perf * f.availability)
        delivered[(a.workload, a.year)] += a.gpus * per
    for key, n in sorted(given.items()):
        if _over(n, active_gpus.get(key, 0.0)):
            out.append(Violation("alloc_cap", f"{key[0]}, {key[1]} on {key[2]}, {key[3]}",
                                 f"{n:g} GPUs allocated, {active_gpus.get(key, 0.0):g} active",
                                 n - active_gpus.get(key, 0.0)))
    for t in inst.years:
        need = sem.demand_value(inst.demand.training, t) - allowed_unmet.get((sem.TRAINING, t), 0.0)
        got = delivered[(sem.TRAINING, t)]
        if need > 0 and got < need * (1 - REL_TOL):
            out.append(Violation("training_demand", str(t), f"delivered {got:g} of {need:g}", need - got))
        for d in inst.demand.inference:
            need = sem.demand_value(d.perf, t) - allowed_unmet.get((d.region, t), 0.0)
            got = delivered[(d.region, t)]
            if need > 0 and got < need * (1 - REL_TOL):
                out.append(Violation("inference_demand", f"{d.region}, {t}",
                                     f"delivered {got:g} of {need:g}", need - got))
    return out


def check_solution(inst: Instance, solution: Solution) -> CheckReport:
    """Constraints of the solution's plan, and its reported costs against a recomputation."""
    report = CheckReport(reported_tco_usd=solution.tco_usd)
    if not solution.has_plan:
        report.nothing_to_check = (f"the solution has no plan (status {solution.status}: "
                                   f"{solution.message})")
        return report
    plan = solution.plan()
    unmet = {(u.workload, u.year): u.unmet for u in solution.unmet_demand}
    report.violations = check_plan(inst, plan, unmet)
    costable = costable_part(inst, plan)
    if costable != plan:
        report.notes.append("plan entries with unknown names or years outside the horizon are left "
                            "out of the recomputed costs")
    costs = cost_plan(inst, costable)
    report.recomputed_tco_usd = costs.tco_usd
    scale = max(1.0, sum(abs(v) for v in costs.npv_usd.values()))
    for item in COST_ITEMS:
        reported = solution.costs_npv_usd.get(item, 0.0)
        recomputed = costs.npv_usd[item]
        if abs(reported - recomputed) > REL_TOL * scale:
            report.cost_differences.append(CostDifference(item, reported, recomputed))
    for item in set(solution.costs_npv_usd) - set(COST_ITEMS):
        report.notes.append(f"unknown cost item {item!r} in the solution")
    tco = solution.tco_usd or 0.0
    if abs(tco - costs.tco_usd) > REL_TOL * scale:
        report.cost_differences.append(CostDifference("tco", tco, costs.tco_usd))
    return report
