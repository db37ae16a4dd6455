"""Check a plan against every constraint of SPEC sections 4 and 8, and a solution's
reported costs against an independent recomputation, without Pyomo or a solver.

`check_plan(inst, plan)` lists every violation (which constraint, where, by
how much); `check_solution(inst, solution)` adds the difference between the
reported and the recomputed value of each cost item, and for a solution with
scenarios (SPEC 8.8) checks each case against the instance the case
describes, that the cases share their decisions before the reveal year, and
that the reported TCO and breakdown are the cases' probability-weighted sums.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..instance import semantics as sem
from ..instance.scenarios import case_instance
from ..instance.schema import Instance
from ..model.items import reported_items
from ..results.solution import Solution
from .costing import PlanCosts, cost_plan, fleet, retired_by_year, route_of
from .format import JobPlacement, Plan

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


# --------------------------------------------------------------------------- names and years


def reference_problems(inst: Instance, plan: Plan) -> list[tuple[str, str]]:
    """Entries of `plan` that name what the instance does not have (a site, cooling, rack
    density, GPU, fabric, existing deployment, grid upgrade, on-site option, DCI route or
    optic, training job, rental) or a year outside the horizon (a lead-time block decided
    before it included), as (JSON path in the plan, message). Such an entry cannot be
    costed; `check_plan` reports it as a violation and the costing leaves it out (see
    `costable_part`)."""
    refs = _References(inst)
    refs.base(plan)
    refs.section8(plan)
    refs.allocations(plan)
    return refs.out


class _References:
    """The names and years a plan may refer to, and the problems found so far (`out`)."""

    def __init__(self, inst: Instance) -> None:
        cat = inst.catalog
        self.inst = inst
        self.sites = {s.name: s for s in inst.sites}
        sites = set(self.sites)
        self.names = {
            "site": sites, "home": sites, "a": sites, "b": sites,
            "cooling": {k.name for k in cat.cooling},
            "gpu": {g.name for g in cat.gpus},
            "fabric": {f.name for f in cat.fabrics},
            "optic": {o.name for o in cat.dci_optics},
            "job": {j.name for j in inst.demand.training_jobs},
            "rental": {r.name for r in inst.rentals},
        }
        self.racks = {d.rack_kw for d in cat.densities}
        self.y0, self.yn = inst.years[0], inst.years[-1]
        self.out: list[tuple[str, str]] = []

    @staticmethod
    def listed(values) -> str:
        return ", ".join(sorted(values)) or "none"

    def year_in(self, path: str, year: int) -> None:
        if not self.y0 <= year <= self.yn:
            self.out.append((path, f"year {year} is outside the horizon {self.y0}-{self.yn}"))

    def known(self, path: str, entry: object, fields: tuple[str, ...]) -> bool:
        ok = True
        for name in fields:
            value = getattr(entry, name)
            if value is None and name == "gpu":
                continue
            if value not in self.names[name]:
                kind = "site" if name in ("home", "a", "b") else name
                message = f"unknown {kind} {value!r} (the instance has {self.listed(self.names[name])})"
                self.out.append((f"{path}.{name}", message))
                ok = False
        if hasattr(entry, "rack_kw") and entry.rack_kw not in self.racks:
            listed_kw = ", ".join(f"{r:g}" for r in sorted(self.racks))
            message = f"no rack density of {entry.rack_kw:g} kW in the catalog (it has {listed_kw})"
            self.out.append((f"{path}.rack_kw", message))
        self.year_in(f"{path}.year", entry.year)
        return ok

    def option(self, path: str, entry, what: str, attribute: str, options_of) -> None:
        have = {x.name for x in options_of(self.sites[entry.site])}
        value = getattr(entry, attribute)
        if value not in have:
            message = f"site {entry.site!r} has no {what} {value!r} (it has {self.listed(have)})"
            self.out.append((f"{path}.{attribute}", message))

    def route(self, path: str, entry) -> None:
        if route_of(self.inst, entry.a, entry.b) is None:
            self.out.append((f"{path}.b", f"no DCI route between {entry.a!r} and {entry.b!r} in dci_routes"))

    def base(self, plan: Plan) -> None:
        """SPEC 5's decisions, with 8.3's lead times."""
        y0, yn = self.y0, self.yn
        for i, o in enumerate(plan.openings):
            self.known(f"openings[{i}]", o, ("site",))
        for i, a in enumerate(plan.fabrics):
            self.known(f"fabrics[{i}]", a, ("site", "fabric"))
        for i, b in enumerate(plan.builds):
            if self.known(f"builds[{i}]", b, ("site", "cooling")) and y0 <= b.year <= yn:
                lead = self.sites[b.site].build_lead_time_years
                if b.year - lead < y0:
                    message = (f"blocks commissioned in {b.year} are decided in {b.year - lead} (lead time "
                               f"{lead} years), before the horizon {y0}-{yn}")
                    self.out.append((f"builds[{i}].year", message))
        for i, p in enumerate(plan.purchases):
            self.known(f"purchases[{i}]", p, ("site", "cooling", "gpu", "fabric"))
        n_deps = len(self.inst.existing.deployments)
        for i, r in enumerate(plan.retirements):
            if r.deployment >= n_deps:
                message = (f"no existing deployment {r.deployment} (the instance has {n_deps}, "
                           "numbered from 0 in the order of existing.deployments)")
                self.out.append((f"retirements[{i}].deployment", message))
            self.year_in(f"retirements[{i}].year", r.year)

    def section8(self, plan: Plan) -> None:
        """Grid upgrades, on-site power, DCI, job placements and rentals."""
        for i, u in enumerate(plan.grid_upgrades):
            if self.known(f"grid_upgrades[{i}]", u, ("site",)):
                self.option(f"grid_upgrades[{i}]", u, "grid upgrade", "upgrade", lambda s: s.grid_upgrades)
        for family, entries in (("onsite_builds", plan.onsite_builds),
                                ("onsite_generation", plan.onsite_generation)):
            for i, g in enumerate(entries):
                if self.known(f"{family}[{i}]", g, ("site",)):
                    self.option(f"{family}[{i}]", g, "onsite_power option", "option", lambda s: s.onsite_power)
        for i, r in enumerate(plan.routes_lit):
            if self.known(f"routes_lit[{i}]", r, ("a", "b")):
                self.route(f"routes_lit[{i}]", r)
        for i, li in enumerate(plan.links):
            if self.known(f"links[{i}]", li, ("a", "b", "optic")):
                self.route(f"links[{i}]", li)
        for i, x in enumerate(plan.job_placements):
            self.known(f"job_placements[{i}]", x, ("job", "home", "gpu"))
            for k, s in enumerate(x.remote_sites):
                if s not in self.sites:
                    message = f"unknown site {s!r} (the instance has {self.listed(self.sites)})"
                    self.out.append((f"job_placements[{i}].remote_sites[{k}]", message))
        for i, r in enumerate(plan.rentals):
            self.known(f"rentals[{i}]", r, ("rental",))

    def allocations(self, plan: Plan) -> None:
        for i, a in enumerate(plan.allocations or []):
            self.known(f"allocations[{i}]", a, ("site", "gpu", "fabric"))
        for i, a in enumerate(plan.job_allocations or []):
            self.known(f"job_allocations[{i}]", a, ("job", "home", "site", "gpu", "fabric"))
        for i, a in enumerate(plan.rental_allocations or []):
            self.known(f"rental_allocations[{i}]", a, ("rental",))


FAMILIES = ("openings", "fabrics", "builds", "purchases", "retirements", "grid_upgrades", "onsite_builds",
            "onsite_generation", "routes_lit", "links", "job_placements", "rentals")
OPTIONAL_FAMILIES = ("allocations", "job_allocations", "rental_allocations")


def costable_part(inst: Instance, plan: Plan) -> Plan:
    """`plan` without the entries `reference_problems` names (the same plan when there are none)."""
    bad = {path.split(".")[0] for path, _ in reference_problems(inst, plan)}
    if not bad:
        return plan

    def keep(family: str, entries):
        return [e for i, e in enumerate(entries) if f"{family}[{i}]" not in bad]

    update = {f: keep(f, getattr(plan, f)) for f in FAMILIES}
    update |= {f: None if getattr(plan, f) is None else keep(f, getattr(plan, f)) for f in OPTIONAL_FAMILIES}
    return plan.model_copy(update=update)


# --------------------------------------------------------------------------- the constraints


def _over(value: float, limit: float) -> bool:
    return value > limit + REL_TOL * max(1.0, abs(limit))


def _short(got: float, need: float) -> bool:
    return need > 0 and got < need * (1 - REL_TOL)


def _route_name(a: str, b: str) -> str:
    return " - ".join(sorted((a, b)))


def check_plan(inst: Instance, plan: Plan,
               allowed_unmet: dict[tuple[str, int], float] | None = None) -> list[Violation]:
    """Every violation of SPEC sections 4 and 8 (and of the decisions' domains) by `plan`.

    `allowed_unmet` ((workload or job, year) -> throughput) is demand the plan
    declares unmet (a plan found with --allow-unmet); it is not a violation."""
    return _Checker(inst, plan, allowed_unmet or {}).run()


class _Checker:
    """One pass over a plan: each method checks one family of rules of the SPEC and
    records what later rules need (open years, blocks by year, GPUs by kind)."""

    def __init__(self, inst: Instance, plan: Plan, allowed_unmet: dict[tuple[str, int], float]) -> None:
        self.inst, self.plan, self.allowed_unmet = inst, plan, allowed_unmet
        cat = inst.catalog
        self.years = inst.years
        self.y0, self.yn = self.years[0], self.years[-1]
        self.sites = {s.name: s for s in inst.sites}
        self.coolings = {k.name: k for k in cat.cooling}
        self.densities = {d.rack_kw: d for d in cat.densities}
        self.gpus = {g.name: g for g in cat.gpus}
        self.fabrics = {f.name: f for f in cat.fabrics}
        self.optics = {o.name: o for o in cat.dci_optics}
        self.jobs = {j.name: j for j in inst.demand.training_jobs}
        self.rentals = {r.name: r for r in inst.rentals}
        self.onsite_options = {(s.name, p.name): p for s in inst.sites for p in s.onsite_power}
        self.out: list[Violation] = []
        self.costable = costable_part(inst, plan)
        self.costs: PlanCosts = cost_plan(inst, self.costable)
        by_year = lambda: dict.fromkeys(self.years, 0.0)
        # what the rules below record for later ones
        self.open_year: dict[str, int] = {}
        self.blocks_by: dict[tuple[str, str, float], dict[int, int]] = defaultdict(
            lambda: dict.fromkeys(self.years, 0))  # (site, cooling, rack_kw) -> blocks by year
        self.present: dict[tuple[str, str], int] = {}  # (site, fabric) -> first year there
        self.working: dict[tuple[str, str, str, int], float] = defaultdict(float)  # surviving GPUs (8.2)
        self.upgraded: dict[str, dict[int, float]] = defaultdict(by_year)  # site -> upgrade MW by year
        self.generating: dict[tuple[str, str], dict[int, float]] = defaultdict(by_year)  # on-site MW by year
        self.lit_year: dict[str, int] = {}  # route -> year lit
        self.links_gbps: dict[str, dict[int, float]] = defaultdict(by_year)  # route -> link Gb/s by year
        self.placed: dict[tuple[str, int], JobPlacement] = {}  # (job, year) -> placement
        self.rent: dict[tuple[str, int], float] = defaultdict(float)  # (rental, year) -> GPUs rented
        self.owned_used: dict[tuple[str, str, str, int], float] = defaultdict(float)  # pooled and jobs
        self.delivered: dict[tuple[str, int], float] = defaultdict(float)  # pooled workloads

    def bad(self, constraint: str, where: str, message: str, amount: float = 0.0) -> None:
        self.out.append(Violation(constraint, where, message, amount))

    def run(self) -> list[Violation]:
        self.openings()
        self.builds()
        self.fabric_arrivals()
        self.purchases()
        self.retirements()
        self.installed()
        self.grid_upgrades()
        self.onsite_generation()
        self.grid()
        self.floor_space()
        self.routes()
        self.job_placements()
        self.rentals_taken()
        self.budget()
        if self.plan.job_allocations is not None:
            self.job_allocations()
        elif any(sem.demand_value(j.perf, t) > 0 for j in self.jobs.values() for t in self.years):
            self.bad("job_allocation", "plan", "the plan has no job allocations: job demand not checked")
        self.rental_allocations()
        if self.plan.allocations is None:
            self.bad("allocation", "plan", "the plan has no allocations: demand not checked")
        else:
            self.pooled()
        self.allocation_cap()
        return self.out

    # -- helpers

    def opened_by(self, site: str, year: int) -> bool:
        return self.open_year.get(site, self.yn + 1) <= year

    def in_horizon(self, where: str, year: int, what: str) -> bool:
        if not self.y0 <= year <= self.yn:
            self.bad("horizon", where, f"{what} in {year}, outside the horizon")
            return False
        return True

    def known_design(self, where: str, site: str, cooling: str, rack_kw: float) -> bool:
        if site not in self.sites:
            self.bad("names", where, f"unknown site {site!r}")
            return False
        if cooling not in self.coolings or rack_kw not in self.densities:
            self.bad("names", where, f"unknown hall design ({cooling}, {rack_kw:g})")
            return False
        if not sem.is_design(self.coolings[cooling], self.densities[rack_kw]):
            self.bad("hall_design", where, f"{cooling} cannot cool {rack_kw:g} kW racks")
            return False
        return True

    def allowed(self, site: str, cooling: str) -> bool:
        a = self.sites[site].allowed_cooling
        return a is None or cooling in a

    # -- SPEC 4: opening, blocks (8.3 lead time, 8.5 technology years), fabrics

    def openings(self) -> None:
        existing_open = {b.site for b in self.inst.existing.blocks if b.blocks > 0}
        self.open_year = {s: self.y0 for s in existing_open}
        for o in self.plan.openings:
            if o.site not in self.sites:
                self.bad("names", o.site, f"unknown site {o.site!r}")
                continue
            self.in_horizon(o.site, o.year, "opening")
            if o.site in existing_open:
                self.bad("open_once", o.site, "site is already open through its existing blocks")
            elif o.site in self.open_year:
                self.bad("open_once", o.site, "site opened more than once")
            self.open_year[o.site] = min(o.year, self.open_year.get(o.site, o.year))

    def builds(self) -> None:
        for b in self.inst.existing.blocks:
            for t in self.years:
                self.blocks_by[(b.site, b.cooling, b.rack_kw)][t] += b.blocks
        for b in self.plan.builds:
            where = f"{b.site}, {b.cooling}/{b.rack_kw:g}, {b.year}"
            if not self.known_design(where, b.site, b.cooling, b.rack_kw):
                continue
            site = self.sites[b.site]
            self.in_horizon(where, b.year, "build")
            lead = site.build_lead_time_years
            decided = b.year - lead
            if decided < self.y0:
                self.bad("lead_time", where, f"blocks commissioned in {b.year} with a lead time of {lead} years are "
                                             f"decided in {decided}, before the horizon starts in {self.y0}",
                         self.y0 - decided)
            if b.year < site.power_available_year:
                self.bad("power_available", where, f"blocks commissioned in {b.year}, before power is available "
                                                   f"in {site.power_available_year}")
            first = sem.technology_year(self.coolings[b.cooling], self.densities[b.rack_kw])
            if first is not None and b.year < first:
                self.bad("technology_year", where, f"halls of {b.cooling}/{b.rack_kw:g} can be commissioned from "
                                                   f"{first}, not in {b.year}", first - b.year)
            if not self.allowed(b.site, b.cooling):
                self.bad("allowed_cooling", where, f"{b.cooling} is not allowed at {b.site}")
            if not self.opened_by(b.site, decided):
                when = f"decided in {decided}" if lead else f"built in {b.year}"
                self.bad("open", where, f"blocks {when} but the site is not open by then")
            for t in self.years:
                if t >= b.year:
                    self.blocks_by[(b.site, b.cooling, b.rack_kw)][t] += b.blocks

    def fabric_arrivals(self) -> None:
        self.present = {(d.site, d.fabric): self.y0 for d in self.inst.existing.deployments}
        for a in self.plan.fabrics:
            where = f"{a.site}, {a.fabric}, {a.year}"
            if a.site not in self.sites or a.fabric not in self.fabrics:
                self.bad("names", where, "unknown site or fabric")
                continue
            if (a.site, a.fabric) in self.present:
                self.bad("fab_once", where, "fabric is already at this site")
            self.present[(a.site, a.fabric)] = min(a.year, self.present.get((a.site, a.fabric), a.year))
            if not self.opened_by(a.site, a.year):
                self.bad("fab_needs_open", where, f"fabric brought in {a.year} before the site is open")

    # -- SPEC 3, 4, 8.3, 8.5, 8.6: purchases

    def purchases(self) -> None:
        y1 = self.yn + 1
        lives = set(self.inst.options.life_choices_years)
        bought: dict[tuple[str, int], int] = defaultdict(int)  # (gpu, year) -> GPUs
        orders: dict[tuple[str, str, int], int] = defaultdict(int)  # (site, gpu, year) -> GPUs
        for p in self.plan.purchases:
            where = f"{p.site}, {p.gpu} on {p.fabric} in {p.cooling}/{p.rack_kw:g}, {p.year}"
            if not self.known_design(where, p.site, p.cooling, p.rack_kw):
                continue
            if p.gpu not in self.gpus or p.fabric not in self.fabrics:
                self.bad("names", where, "unknown GPU or fabric")
                continue
            g, f, k = self.gpus[p.gpu], self.fabrics[p.fabric], self.coolings[p.cooling]
            site = self.sites[p.site]
            self.in_horizon(where, p.year, "purchase")
            if not g.first_year <= p.year <= g.last_year:
                self.bad("sale_years", where, f"{p.gpu} is on sale {g.first_year}-{g.last_year}, not in {p.year}")
            if p.year < site.power_available_year:
                self.bad("power_available", where, f"bought before power is available in {site.power_available_year}")
            if not self.opened_by(p.site, p.year):
                self.bad("open", where, f"GPUs bought in {p.year} but the site is not open by then")
            if p.rack_kw < g.min_rack_kw:
                self.bad("min_rack_kw", where, f"{p.gpu} needs racks of at least {g.min_rack_kw:g} kW")
            if g.max_rack_kw is not None and p.rack_kw > g.max_rack_kw:
                self.bad("max_rack_kw", where, f"{p.gpu}'s servers fill racks of at most {g.max_rack_kw:g} kW")
            if g.liquid_required and not k.liquid:
                self.bad("liquid_required", where, f"{p.gpu} needs liquid cooling, {p.cooling} is not liquid")
            if g.cooling is not None and p.cooling not in g.cooling:
                self.bad("gpu_cooling", where, f"{p.gpu}'s servers use {', '.join(g.cooling)}, not {p.cooling}")
            if not self.allowed(p.site, p.cooling):
                self.bad("allowed_cooling", where, f"{p.cooling} is not allowed at {p.site}")
            if not sem.attaches(g, f):
                if f.ports is not None and g.nic_gbps <= f.max_gbps_per_port:
                    self.bad("port_speed", where, f"{p.fabric} has no port of at least {g.nic_gbps:g} Gb/s for "
                                                  f"{p.gpu}")
                else:
                    self.bad("port_speed", where, f"{p.fabric} serves ports up to {f.max_gbps_per_port:g} Gb/s, "
                                                  f"{p.gpu} needs {g.nic_gbps:g}")
            if f.first_year is not None and p.year < f.first_year:
                self.bad("fabric_first_year", where, f"GPUs can be bought onto {p.fabric} from {f.first_year}")
            if p.gpus % g.unit_gpus:
                self.bad("unit_gpus", where, f"{p.gpus} GPUs is not a multiple of {g.unit_gpus}")
            valid_life = any(
                life <= g.max_life_years
                and (life == p.life_years or (p.year + p.life_years == y1 and life > p.life_years))
                for life in lives
            )
            if not valid_life:
                self.bad("life", where, f"life {p.life_years} is not an allowed life choice for {p.gpu}")
            have_fabric = self.present.get((p.site, p.fabric))
            if have_fabric is None or have_fabric > p.year:
                self.bad("fabric_presence", where, f"{p.fabric} is not at {p.site} by {p.year}")
            bought[(p.gpu, p.year)] += p.gpus
            orders[(p.site, p.gpu, p.year)] += p.gpus
        for (gpu, y), n in sorted(bought.items()):
            cap = sem.year_value(self.gpus[gpu].max_gpus_per_year, y)
            if cap is not None and self.y0 <= y <= self.yn and _over(n, cap):
                self.bad("supply_cap", f"{gpu}, {y}", f"{n} GPUs bought, the supply cap is {cap:g}", n - cap)
        for (s, gpu, y), n in sorted(orders.items()):
            least = self.gpus[gpu].min_order_gpus
            if least is not None and 0 < n < least:
                self.bad("min_order", f"{s}, {gpu}, {y}", f"an order of {n} GPUs, below min_order_gpus {least}",
                         least - n)

    # -- SPEC 2.7, 7.16: existing deployments

    def retirements(self) -> None:
        deps = self.inst.existing.deployments
        for r in self.plan.retirements:
            where = f"deployment {r.deployment}, {r.year}"
            if r.deployment >= len(deps):
                self.bad("names", where, f"no existing deployment {r.deployment}")
                continue
            g = self.gpus[deps[r.deployment].gpu]
            deadline = sem.retire_deadline(self.inst, deps[r.deployment].purchase_year, g)
            if not self.y0 <= r.year <= min(deadline, self.yn):
                self.bad("retire_year", where, f"retirement in {r.year}, allowed {self.y0}..{min(deadline, self.yn)}")
            if r.gpus % g.unit_gpus:
                self.bad("unit_gpus", where, f"{r.gpus} GPUs is not a multiple of {g.unit_gpus}")
        retired = retired_by_year(self.plan)
        for e, dep in enumerate(deps):
            deadline = sem.retire_deadline(self.inst, dep.purchase_year, self.gpus[dep.gpu])
            gone = sum(retired[e].values())
            if gone > dep.gpus:
                self.bad("retire_all", f"deployment {e}", f"{gone} GPUs retired, only {dep.gpus} exist",
                         gone - dep.gpus)
            if deadline <= self.yn and gone < dep.gpus:
                self.bad("retire_all", f"deployment {e}", f"{dep.gpus - gone} GPUs still running after the "
                                                          f"retirement deadline {deadline}", dep.gpus - gone)

    # -- SPEC 4 hall capacity, 8.6 max_gpus_per_site; GPUs that can be allocated (8.2)

    def installed(self) -> None:
        deps = self.inst.existing.deployments
        kw: dict[tuple[str, str, float, int], float] = defaultdict(float)
        on_fabric: dict[tuple[str, str, int], float] = defaultdict(float)
        for u in fleet(self.inst, self.costable):
            g, f = self.gpus[u.gpu], self.fabrics[u.fabric]
            deadline = (sem.retire_deadline(self.inst, deps[u.existing].purchase_year, g)
                        if u.existing is not None else self.yn + 1)
            for t, n in u.running.items():
                if t >= deadline:
                    continue  # past the retirement deadline (reported by retire_all)
                kw[(u.site, u.cooling, u.rack_kw, t)] += n * (g.system_kw_per_gpu + sem.net_kw_per_gpu(f, g))
                on_fabric[(u.site, u.fabric, t)] += n
                self.working[(u.site, u.gpu, u.fabric, t)] += n * sem.surviving(g, t - u.born)
        for (s, k, rack, t), need in sorted(kw.items()):
            cap = 1000.0 * self.sites[s].block_mw * self.blocks_by.get((s, k, rack), {}).get(t, 0)
            if _over(need, cap):
                self.bad("hall_capacity", f"{s}, {k}/{rack:g}, {t}",
                         f"active units need {need:g} kW, built halls hold {cap:g} kW", need - cap)
        for (s, fab, t), n in sorted(on_fabric.items()):
            most = self.fabrics[fab].max_gpus_per_site
            if most is not None and _over(n, most):
                self.bad("fabric_max_gpus", f"{s}, {fab}, {t}", f"{n:g} GPUs installed on {fab}, "
                                                                 f"max_gpus_per_site is {most:g}", n - most)

    # -- SPEC 4 grid, 8.3 grid upgrades, 8.4 on-site generation

    def grid_upgrades(self) -> None:
        taken: dict[tuple[str, str], int] = defaultdict(int)
        for u in self.plan.grid_upgrades:
            where = f"{u.site}, {u.upgrade}, {u.year}"
            site = self.sites.get(u.site)
            option = next((x for x in site.grid_upgrades if x.name == u.upgrade), None) if site else None
            if option is None:
                self.bad("names", where, f"unknown site or grid upgrade {u.upgrade!r}")
                continue
            self.in_horizon(where, u.year, "grid upgrade")
            first = max(self.y0, option.first_year if option.first_year is not None else self.y0)
            if u.year < first:
                self.bad("upgrade_year", where, f"grid upgrade {u.upgrade} can be taken from {first}")
            if not self.opened_by(u.site, u.year):
                self.bad("open", where, f"grid upgrade taken in {u.year} but the site is not open by then")
            taken[(u.site, u.upgrade)] += 1
            for t in self.years:
                if t >= u.year:
                    self.upgraded[u.site][t] += option.mw
        for (s, name), times in sorted(taken.items()):
            if times > 1:
                self.bad("upgrade_once", f"{s}, {name}", f"grid upgrade taken {times} times", times - 1)

    def onsite_generation(self) -> None:
        onsite = self.onsite_options
        for b in self.plan.onsite_builds:
            where = f"{b.site}, {b.option}, {b.year}"
            option = onsite.get((b.site, b.option))
            if option is None:
                self.bad("names", where, f"unknown site or onsite_power option {b.option!r}")
                continue
            self.in_horizon(where, b.year, "on-site generation built")
            first = option.first_year if option.first_year is not None else self.y0
            if b.year < first:
                self.bad("onsite_year", where, f"{b.option} can be built from {first}")
            if not self.opened_by(b.site, b.year):
                self.bad("open", where, f"on-site generation built in {b.year} but the site is not open by then")
            for t in self.years:
                if t >= b.year:
                    self.generating[(b.site, b.option)][t] += b.mw
        for (s, name), by_year in sorted(self.generating.items()):
            most = onsite[(s, name)].max_mw
            if _over(by_year[self.yn], most):
                self.bad("onsite_max_mw", f"{s}, {name}", f"{by_year[self.yn]:g} MW built, max_mw is {most:g}",
                         by_year[self.yn] - most)
        generated: dict[tuple[str, int], float] = defaultdict(float)
        by_option: dict[tuple[str, str, int], float] = defaultdict(float)
        for e in self.plan.onsite_generation:
            if (e.site, e.option) not in onsite:
                self.bad("names", f"{e.site}, {e.option}, {e.year}",
                         f"unknown site or onsite_power option {e.option!r}")
                continue
            if self.in_horizon(f"{e.site}, {e.option}, {e.year}", e.year, "on-site generation"):
                generated[(e.site, e.year)] += e.mwh
                by_option[(e.site, e.option, e.year)] += e.mwh
        for (s, name, t), mwh in sorted(by_option.items()):
            mw = self.generating.get((s, name), {}).get(t, 0.0)
            most = sem.HOURS_PER_YEAR * onsite[(s, name)].capacity_factor * mw
            if _over(mwh, most):
                self.bad("onsite_capacity", f"{s}, {name}, {t}", f"{mwh:g} MWh generated, {mw:g} MW built give at "
                                                                  f"most {most:g} MWh", mwh - most)
        for (s, t), mwh in sorted(generated.items()):
            need = float(self.costs.site_energy_mwh[s][t - self.y0])
            if _over(mwh, need):
                self.bad("onsite_energy", f"{s}, {t}", f"{mwh:g} MWh generated, the site uses {need:g} MWh",
                         mwh - need)

    def grid(self) -> None:
        for s in self.inst.sites:
            mine = {k: v for k, v in self.blocks_by.items() if k[0] == s.name}
            for t in self.years:
                grid = sum(sem.site_pue(s, self.coolings[k[1]]) * s.block_mw * v[t] for k, v in mine.items())
                extra = self.upgraded[s.name][t]
                gen = sum(v[t] for (site, _), v in self.generating.items() if site == s.name)
                limit = s.max_facility_mw + extra + gen
                if _over(grid, limit):
                    detail = (f" (max_facility_mw {s.max_facility_mw:g} + upgrades {extra:g} + on-site {gen:g})"
                              if s.grid_upgrades or s.onsite_power else "")
                    self.bad("grid", f"{s.name}, {t}", f"facility power {grid:g} MW exceeds the grid limit "
                                                       f"{limit:g} MW{detail}", grid - limit)

    def floor_space(self) -> None:
        for s in self.inst.sites:
            total = sum(v[self.yn] for k, v in self.blocks_by.items() if k[0] == s.name)
            if s.max_blocks is not None and total > s.max_blocks:
                self.bad("floor_space", s.name, f"{total} blocks exceed max_blocks {s.max_blocks}",
                         total - s.max_blocks)

    # -- SPEC 8.1: routes and links

    def routes(self) -> None:
        for r in self.plan.routes_lit:
            where = f"{_route_name(r.a, r.b)}, {r.year}"
            if route_of(self.inst, r.a, r.b) is None:
                self.bad("names", where, f"no DCI route between {r.a!r} and {r.b!r}")
                continue
            self.in_horizon(where, r.year, "route lit")
            key = _route_name(r.a, r.b)
            if key in self.lit_year:
                self.bad("route_once", where, "route lit more than once")
            self.lit_year[key] = min(r.year, self.lit_year.get(key, r.year))
            for s in (r.a, r.b):
                if not self.opened_by(s, r.year):
                    self.bad("open", where, f"route lit in {r.year} but {s} is not open by then")
        for li in self.plan.links:
            where = f"{_route_name(li.a, li.b)}, {li.optic}, {li.year}"
            route = route_of(self.inst, li.a, li.b)
            optic = self.optics.get(li.optic)
            if route is None or optic is None:
                self.bad("names", where, "unknown DCI route or optic")
                continue
            self.in_horizon(where, li.year, "links installed")
            key = _route_name(li.a, li.b)
            if self.lit_year.get(key, self.yn + 1) > li.year:
                self.bad("link_lit", where, f"links installed in {li.year} on a route not lit by then")
            if optic.first_year is not None and li.year < optic.first_year:
                self.bad("optic_year", where, f"{li.optic} can be installed from {optic.first_year}")
            if optic.max_km < route.distance_km:
                self.bad("optic_reach", where, f"{li.optic} reaches {optic.max_km:g} km, the route is "
                                               f"{route.distance_km:g} km", route.distance_km - optic.max_km)
            for t in self.years:
                if t >= li.year:
                    self.links_gbps[key][t] += optic.gbps * li.links

    # -- SPEC 4, 7.2 budget

    def budget(self) -> None:
        budget = self.inst.finance.annual_capex_budget_usd
        if budget is None:
            return
        capex = self.costs.capex_usd()
        for i, t in enumerate(self.years):
            if _over(float(capex[i]), budget):
                self.bad("budget", str(t), f"capex {capex[i]:,.0f} USD exceeds the budget {budget:,.0f} USD",
                         float(capex[i]) - budget)

    # -- SPEC 8.1: training jobs

    def eligible(self, job, gpu: str) -> bool:
        g = self.gpus[gpu]
        return (job.gpus is None or gpu in job.gpus) and g.scale_up >= job.min_scale_up_gpus

    def job_placements(self) -> None:
        placed = self.placed
        for x in self.plan.job_placements:
            where = f"{x.job}, {x.year}"
            job = self.jobs.get(x.job)
            if job is None or x.home not in self.sites or (x.gpu is not None and x.gpu not in self.gpus):
                self.bad("names", where, "unknown job, home site or GPU")
                continue
            if not self.in_horizon(where, x.year, "job placed"):
                continue
            if sem.demand_value(job.perf, x.year) <= 0:
                self.bad("job_home", where, f"{x.job} has no demand in {x.year}: no home, model or span")
                continue
            if (x.job, x.year) in placed:
                self.bad("job_home", where, f"{x.job} has more than one home in {x.year}")
                continue
            placed[(x.job, x.year)] = x
            if job.single_gpu_model:
                if x.gpu is None:
                    self.bad("job_model", where, f"{x.job} runs on one GPU model, none is given")
                elif not self.eligible(job, x.gpu):
                    self.bad("job_gpus", where, f"{x.gpu} is not a GPU model {x.job} can use")
            if len(set(x.remote_sites)) < len(x.remote_sites) or x.home in x.remote_sites:
                self.bad("job_span", where, f"remote sites {x.remote_sites} repeat a site or the home {x.home}")
            if len(set(x.remote_sites)) > job.max_sites - 1:
                self.bad("max_sites", where, f"{x.job} spans {1 + len(set(x.remote_sites))} sites, max_sites is "
                                             f"{job.max_sites}", 1 + len(set(x.remote_sites)) - job.max_sites)
            for s in set(x.remote_sites) - {x.home}:
                route = route_of(self.inst, x.home, s)
                if route is None:
                    self.bad("job_route", f"{where}, {s}", f"no DCI route between {x.home} and {s}")
                    continue
                if sem.remote_loss(job.remote_loss_by_km, route.distance_km) is None:
                    self.bad("job_reach", f"{where}, {s}", f"the route is {route.distance_km:g} km, {x.job} reaches "
                                                            f"{job.remote_loss_by_km[-1][0]:g} km")
                if self.lit_year.get(_route_name(x.home, s), self.yn + 1) > x.year:
                    self.bad("span_lit", f"{where}, {s}", f"{x.job} spans {x.home} - {s}, a route not lit by "
                                                          f"{x.year}")
        for job in self.inst.demand.training_jobs:
            for t in self.years:
                need = sem.demand_value(job.perf, t)
                declared_unmet = self.allowed_unmet.get((job.name, t), 0.0)
                if _short(declared_unmet, need) and (job.name, t) not in placed:  # unmet in full: no home
                    self.bad("job_home", f"{job.name}, {t}", f"{job.name} has demand in {t} but no home site")

    def job_allocations(self) -> None:
        placed = self.placed
        delivered: dict[tuple[str, int], float] = defaultdict(float)
        traffic: dict[tuple[str, int], float] = defaultdict(float)
        models: dict[tuple[str, int], set[str]] = defaultdict(set)
        for a in self.plan.job_allocations:
            where = f"{a.job}, {a.year}, {a.site}, {a.gpu} on {a.fabric}"
            job = self.jobs.get(a.job)
            if (job is None or a.home not in self.sites or a.site not in self.sites or a.gpu not in self.gpus
                    or a.fabric not in self.fabrics):
                self.bad("names", where, "unknown job, site, GPU or fabric")
                continue
            if not self.in_horizon(where, a.year, "job allocation") or a.gpus <= 0:
                continue
            self.owned_used[(a.site, a.gpu, a.fabric, a.year)] += a.gpus
            x = placed.get((a.job, a.year))
            if x is None or x.home != a.home:
                home = "none" if x is None else x.home
                self.bad("job_home", where,
                         f"GPUs allocated with home {a.home}, the job's home in {a.year} is {home}",
                         a.gpus)
            elif a.site != a.home and a.site not in x.remote_sites:
                self.bad("job_span", where, f"{a.gpus:g} GPUs at {a.site}, which {a.job} does not span in {a.year} "
                                            f"(home {a.home})", a.gpus)
            if not self.eligible(job, a.gpu):
                self.bad("job_gpus", where, f"{a.gpu} is not a GPU model {a.job} can use", a.gpus)
            elif job.single_gpu_model and x is not None and x.gpu is not None and a.gpu != x.gpu:
                self.bad("job_model", where, f"{a.job} runs on {x.gpu} in {a.year}, not {a.gpu}", a.gpus)
            models[(a.job, a.year)].add(a.gpu)
            g, f = self.gpus[a.gpu], self.fabrics[a.fabric]
            loss = 0.0
            if a.site != a.home:
                route = route_of(self.inst, a.home, a.site)
                reach = None if route is None else sem.remote_loss(job.remote_loss_by_km, route.distance_km)
                loss = 1.0 if reach is None else reach
                traffic[(_route_name(a.home, a.site), a.year)] += job.dci_gbps_per_gpu * a.gpus
            per_gpu = g.training_perf * f.training_efficiency * f.availability * (1 - loss)
            delivered[(a.job, a.year)] += a.gpus * per_gpu
        for (j, t), used in sorted(models.items()):
            if self.jobs[j].single_gpu_model and len(used) > 1:
                self.bad("job_model", f"{j}, {t}",
                         f"{j} runs on one GPU model, it is given {', '.join(sorted(used))}")
        for job in self.inst.demand.training_jobs:
            for t in self.years:
                need = sem.demand_value(job.perf, t) - self.allowed_unmet.get((job.name, t), 0.0)
                got = delivered[(job.name, t)]
                if _short(got, need):
                    self.bad("job_demand", f"{job.name}, {t}", f"delivered {got:g} of {need:g}", need - got)
        for (key, t), gbps in sorted(traffic.items()):
            have = self.links_gbps.get(key, {}).get(t, 0.0)
            if _over(gbps, have):
                self.bad("dci_capacity", f"{key}, {t}", f"jobs need {gbps:g} Gb/s, links installed carry {have:g} "
                                                        "Gb/s", gbps - have)

    # -- SPEC 8.7: rented GPUs

    def rentals_taken(self) -> None:
        rent = self.rent
        for r in self.plan.rentals:
            where = f"{r.rental}, {r.year}"
            offer = self.rentals.get(r.rental)
            if offer is None:
                self.bad("names", where, f"unknown rental {r.rental!r}")
                continue
            self.in_horizon(where, r.year, "rental")
            first = offer.first_year if offer.first_year is not None else self.y0
            last = offer.last_year if offer.last_year is not None else self.yn
            if not first <= r.year <= last:
                self.bad("rental_years", where, f"{r.rental} is offered {first}-{last}, not in {r.year}", r.gpus)
            rent[(r.rental, r.year)] += r.gpus
        for (name, t), n in sorted(rent.items()):
            most = sem.year_value(self.rentals[name].max_gpus, t)
            if most is not None and _over(n, most):
                self.bad("rental_max_gpus", f"{name}, {t}", f"{n:g} GPUs rented, max_gpus is {most:g}", n - most)

    def rental_allocations(self) -> None:
        used: dict[tuple[str, int], float] = defaultdict(float)
        for a in self.plan.rental_allocations or []:
            where = f"{a.rental}, {a.year}, {a.workload}"
            offer = self.rentals.get(a.rental)
            if offer is None:
                self.bad("names", where, f"unknown rental {a.rental!r}")
                continue
            if a.gpus <= 0:
                continue
            used[(a.rental, a.year)] += a.gpus
            if a.workload in self.jobs:
                self.bad("rental_jobs", where, "rented GPUs never serve training jobs", a.gpus)
                continue
            if a.workload == sem.TRAINING:
                if not offer.training:
                    self.bad("rental_training", where, f"{a.rental} may not serve the pooled training demand", a.gpus)
                    continue
            elif offer.serves_regions is not None and a.workload not in offer.serves_regions:
                self.bad("rental_regions", where, f"{a.rental} does not serve {a.workload}", a.gpus)
                continue
            g = self.gpus[offer.gpu]
            self.delivered[(a.workload, a.year)] += a.gpus * sem.rental_delivered_per_gpu(g, offer, a.workload)
        for (name, t), n in sorted(used.items()):
            have = self.rent.get((name, t), 0.0)
            if _over(n, have):
                self.bad("rental_alloc_cap", f"{name}, {t}", f"{n:g} rented GPUs allocated, {have:g} rented",
                         n - have)

    # -- SPEC 4, 8.1, 8.2: pooled demand and the allocation cap

    def pooled(self) -> None:
        for a in self.plan.allocations:
            where = f"{a.site}, {a.gpu} on {a.fabric}, {a.year}, {a.workload}"
            if a.site not in self.sites or a.gpu not in self.gpus or a.fabric not in self.fabrics:
                self.bad("names", where, "unknown site, GPU or fabric")
                continue
            if a.workload != sem.TRAINING and a.workload not in self.sites[a.site].served_regions:
                self.bad("serves_regions", where, f"{a.site} does not serve {a.workload}")
                continue
            self.owned_used[(a.site, a.gpu, a.fabric, a.year)] += a.gpus
            per = sem.delivered_per_gpu(self.gpus[a.gpu], self.fabrics[a.fabric], a.workload)
            self.delivered[(a.workload, a.year)] += a.gpus * per
        for t in self.years:
            need = sem.demand_value(self.inst.demand.training, t) - self.allowed_unmet.get((sem.TRAINING, t), 0.0)
            got = self.delivered[(sem.TRAINING, t)]
            if _short(got, need):
                self.bad("training_demand", str(t), f"delivered {got:g} of {need:g}", need - got)
            for d in self.inst.demand.inference:
                need = sem.demand_value(d.perf, t) - self.allowed_unmet.get((d.region, t), 0.0)
                got = self.delivered[(d.region, t)]
                if _short(got, need):
                    self.bad("inference_demand", f"{d.region}, {t}", f"delivered {got:g} of {need:g}", need - got)

    def allocation_cap(self) -> None:
        for key, n in sorted(self.owned_used.items()):
            have = self.working.get(key, 0.0)
            if _over(n, have):
                self.bad("alloc_cap", f"{key[0]}, {key[1]} on {key[2]}, {key[3]}",
                         f"{n:g} GPUs allocated, {have:g} active and working", n - have)


# --------------------------------------------------------------------------- solutions


def check_solution(inst: Instance, solution: Solution) -> CheckReport:
    """Constraints of the solution's plan, and its reported costs against a recomputation;
    with scenarios, every case (SPEC 8.8)."""
    report = CheckReport(reported_tco_usd=solution.tco_usd)
    if not solution.has_plan:
        report.nothing_to_check = (f"the solution has no plan (status {solution.status}: "
                                   f"{solution.message})")
        return report
    if inst.scenarios is not None:
        _check_scenarios(inst, solution, report)
        return report
    if solution.scenarios is not None:
        report.violations.append(Violation("scenarios", "solution", "the solution has scenario cases, the "
                                                                    "instance has no scenarios"))
    costs = _check_one(inst, solution, report, "")
    report.recomputed_tco_usd = costs.tco_usd
    _compare(report, "tco", solution.tco_usd or 0.0, costs.tco_usd, _scale(costs))
    return report


def _scale(costs: PlanCosts) -> float:
    return max(1.0, sum(abs(v) for v in costs.npv_usd.values()))


def _compare(report: CheckReport, item: str, reported: float, recomputed: float, scale: float) -> None:
    if abs(reported - recomputed) > REL_TOL * scale:
        report.cost_differences.append(CostDifference(item, reported, recomputed))


def _check_one(inst: Instance, solution: Solution, report: CheckReport, case: str) -> PlanCosts:
    """Check one plan (a case's, with `case` naming it) and its cost items; the recomputed costs."""
    plan = solution.plan()
    unmet = {(u.workload, u.year): u.unmet for u in solution.unmet_demand}
    prefix = f"case {case}: " if case else ""
    checker = _Checker(inst, plan, unmet)
    report.violations += [Violation(v.constraint, prefix + v.where, v.message, v.amount) for v in checker.run()]
    if checker.costable != plan:
        report.notes.append(f"{prefix}plan entries with unknown names or years outside the horizon are left "
                            "out of the recomputed costs")
    costs = checker.costs
    items = reported_items(inst)
    for item in items:
        _compare(report, prefix + item, solution.costs_npv_usd.get(item, 0.0), costs.npv_usd[item], _scale(costs))
    for item in sorted(set(solution.costs_npv_usd) - set(items)):
        report.notes.append(f"{prefix}unknown cost item {item!r} in the solution")
    return costs


def _check_scenarios(inst: Instance, solution: Solution, report: CheckReport) -> None:
    sc = inst.scenarios
    if solution.scenarios is None:
        report.violations.append(Violation("scenarios", "solution", "the instance has scenarios, the solution "
                                                                    "has no scenario cases"))
        return
    given = {c.name: c for c in solution.scenarios.cases}
    expected_npv: dict[str, float] = defaultdict(float)
    expected_tco = 0.0
    firsts: list[tuple[str, dict]] = []
    for case in sc.cases:
        got = given.get(case.name)
        if got is None:
            report.violations.append(Violation("scenarios", case.name, f"case {case.name} is missing in the "
                                                                       "solution"))
            continue
        if abs(got.probability - case.probability) > 1e-9:
            report.violations.append(Violation("scenarios", case.name, f"probability {got.probability:g}, the "
                                                                       f"instance says {case.probability:g}"))
        ci = case_instance(inst, case)
        costs = _check_one(ci, got.solution, report, case.name)
        _compare(report, f"case {case.name}: tco", got.solution.tco_usd or 0.0, costs.tco_usd, _scale(costs))
        for item, usd in costs.npv_usd.items():
            expected_npv[item] += case.probability * usd
        expected_tco += case.probability * costs.tco_usd
        firsts.append((f"case {case.name}", first_stage(inst, got.solution.plan())))
    for name in sorted(set(given) - {c.name for c in sc.cases}):
        report.violations.append(Violation("scenarios", name, f"case {name} is not a case of the instance"))
    firsts.append(("the shared decisions", first_stage(inst, solution.plan())))
    report.violations += _first_stage_differences(firsts)
    report.recomputed_tco_usd = expected_tco
    scale = max(1.0, sum(abs(v) for v in expected_npv.values()))
    for item in reported_items(inst):
        _compare(report, f"expected {item}", solution.costs_npv_usd.get(item, 0.0), expected_npv[item], scale)
    _compare(report, "expected tco", solution.tco_usd or 0.0, expected_tco, scale)
    _compare(report, "scenarios.expected_tco_usd", solution.scenarios.expected_tco_usd, expected_tco, scale)


def first_stage(inst: Instance, plan: Plan) -> dict[tuple, float]:
    """The decisions of `plan` of the years before the reveal year (SPEC 8.8, 8.10.12), by
    decision family and key: open, fab, build (by its decision year), buy (lives past the
    horizon merged), retire, lit, links, upgrade, gen, egen, rent, and home, model and span
    (one key per job placement)."""
    reveal = inst.scenarios.reveal_year
    lead = {s.name: s.build_lead_time_years for s in inst.sites}
    y1 = inst.horizon.end_year + 1
    out: dict[tuple, float] = defaultdict(float)

    def add(key: tuple, year: int, value: float = 1.0) -> None:
        if year < reveal:
            out[key] += value

    for o in plan.openings:
        add(("open", o.site, o.year), o.year)
    for a in plan.fabrics:
        add(("fab", a.site, a.fabric, a.year), a.year)
    for b in plan.builds:
        add(("build", b.site, b.cooling, b.rack_kw, b.year), b.year - lead.get(b.site, 0), b.blocks)
    for q in plan.purchases:
        add(("buy", q.site, q.cooling, q.rack_kw, q.gpu, q.fabric, q.year, min(q.life_years, y1 - q.year)),
            q.year, q.gpus)
    for r in plan.retirements:
        add(("retire", r.deployment, r.year), r.year, r.gpus)
    for r in plan.routes_lit:
        add(("lit", _route_name(r.a, r.b), r.year), r.year)
    for li in plan.links:
        add(("links", _route_name(li.a, li.b), li.optic, li.year), li.year, li.links)
    for u in plan.grid_upgrades:
        add(("upgrade", u.site, u.upgrade, u.year), u.year)
    for g in plan.onsite_builds:
        add(("gen", g.site, g.option, g.year), g.year, g.mw)
    for g in plan.onsite_generation:
        add(("egen", g.site, g.option, g.year), g.year, g.mwh)
    for r in plan.rentals:
        add(("rent", r.rental, r.year), r.year, r.gpus)
    for x in plan.job_placements:
        add(("home, model and span", x.job, x.year, x.home, x.gpu, tuple(sorted(x.remote_sites))), x.year)
    return dict(out)


def _first_stage_differences(firsts: list[tuple[str, dict[tuple, float]]]) -> list[Violation]:
    """Every first-stage decision on which a case (or the shared decisions) differs from the first case."""
    out: list[Violation] = []
    if not firsts:
        return out
    base_name, base = firsts[0]
    for name, other in firsts[1:]:
        for key in sorted(set(base) | set(other), key=repr):
            a, b = base.get(key, 0.0), other.get(key, 0.0)
            if abs(a - b) > REL_TOL * max(1.0, abs(a), abs(b)):
                what = f"{key[0]} ({', '.join(str(k) for k in key[1:])})"
                out.append(Violation("scenario_first_stage", f"{name} vs {base_name}: {what}",
                                     f"{base_name} has {a:g}, {name} {b:g}: decisions before the reveal year "
                                     "must be the same in every case", b - a))
    return out
