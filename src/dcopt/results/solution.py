"""The typed result of a solve (SPEC section 6), written as solution JSON.

`status` says why the solver stopped; `has_plan` says whether a plan exists.
A plan's decisions are `sites` (openings, builds, fabrics), `purchases`,
`retirements` and `allocations`; `plan()` turns them back into a `Plan`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from ..plan import format as p
from ..status import SOLUTION_STATUSES, Status

if TYPE_CHECKING:
    import pandas as pd

    from .evaluation import Comparison


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BuiltBlocks(_Out):
    cooling: str
    rack_kw: float
    year: int | None = Field(description="Build year; null for blocks that existed before the horizon.")
    blocks: int
    it_mw: float = Field(0.0, description="IT capacity of these blocks, MW (blocks x block_mw).")


class GridUpgradeResult(_Out):
    """A grid upgrade taken at a site, with its size and price (SPEC 8.3)."""

    upgrade: str
    year: int
    mw: float
    capex_usd: float


class FabricAtSite(_Out):
    fabric: str
    year: int | None = Field(description="Year it came; null when an existing deployment brought it.")


class SiteResult(_Out):
    name: str
    region: str
    open_year: int | None = Field(description="Year opened; start_year for a site with existing blocks.")
    opened_by_existing: bool = False
    blocks: list[BuiltBlocks] = Field(default_factory=list)
    fabrics: list[FabricAtSite] = Field(default_factory=list)
    built_it_mw: dict[int, float] = Field(default_factory=dict, description="Built IT MW by year.")
    facility_mw: dict[int, float] = Field(
        default_factory=dict, description="Built IT MW x PUE by year (what the grid limit caps)."
    )
    it_load_mw: dict[int, float] = Field(
        default_factory=dict, description="Rated IT MW of active units by year."
    )
    facility_drawn_mw: dict[int, float] = Field(
        default_factory=dict,
        description="Average facility power drawn by year, MW: rated IT load x load factor x PUE.",
    )
    max_facility_mw: float
    block_mw: float = Field(0.0, description="IT MW of one block at this site.")
    grid_limit_mw: dict[int, float] = Field(
        default_factory=dict, description="Grid limit by year: max_facility_mw plus the upgrades taken (SPEC 8.3)."
    )
    onsite_mw: dict[int, float] = Field(
        default_factory=dict, description="On-site generation MW built by year (SPEC 8.4)."
    )
    grid_mwh: dict[int, float] = Field(default_factory=dict, description="Energy from the grid by year, MWh.")
    onsite_mwh: dict[int, float] = Field(default_factory=dict, description="Energy generated on site by year, MWh.")
    upgrades: list[GridUpgradeResult] = Field(default_factory=list, description="Grid upgrades taken (SPEC 8.3).")
    build_lead_time_years: int = Field(
        0, description="Years from ordering a block to commissioning it (SPEC 8.3): a block of year y is "
        "ordered and paid in y - build_lead_time_years.")
    colocation_usd_per_kw_month: float | None = Field(
        None, description="Colocation fee when the site is a colocation site (SPEC 8.7), else null.")
    gpus: dict[int, float] = Field(
        default_factory=dict, description="GPUs installed at the site by year (failed ones included).")
    delivered: dict[int, float] = Field(
        default_factory=dict, description="Throughput the site's GPUs deliver by year (pooled demand and jobs).")
    emissions_t: dict[int, float] = Field(
        default_factory=dict, description="Emissions of the site's grid and on-site energy by year, t CO2.")
    onsite_emissions_t: dict[int, float] = Field(
        default_factory=dict, description="Emissions of the energy generated on site by year, t CO2 (SPEC 8.4).")
    costs_npv_usd: dict[str, float] = Field(
        default_factory=dict, description="NPV of each cost item tallied at this site (rentals belong to no "
        "site; a DCI route is tallied at its first site).")


class PurchaseResult(p.Purchase):
    """A purchase with the year it leaves the fleet (resold)."""

    resale_year: int = Field(description="min(year + life_years, end_year + 1).")
    market_usd_per_gpu: float | None = Field(
        None, description="Used-GPU market price of the model in resale_year (SPEC 8.2), before the resale fee; "
        "null without a market map (book value).")
    surviving_gpus: dict[int, float] = Field(
        default_factory=dict, description="GPUs still working by year (SPEC 8.2 failures); empty when the model "
        "has no failure rate (all survive).")
    port_gbps: float | None = Field(
        None, description="Port option the GPUs use on a fabric priced per port (SPEC 8.6), else null.")
    ports_per_gpu: int = Field(1, description="Scale-out ports per GPU (the model's nic_ports).")


class ExistingDeploymentResult(_Out):
    """An existing deployment of the instance, as the plan found it."""

    index: int = Field(description="Index in existing.deployments (what retirements refer to).")
    site: str
    cooling: str
    rack_kw: float
    gpu: str
    fabric: str
    purchase_year: int
    gpus: int
    annual_failure_rate: float = Field(
        0.0, description="The model's failure rate (SPEC 8.2): of the GPUs not retired, (1 - rate) ** (year - "
        "purchase_year) still work.")
    surviving_frac: dict[int, float] = Field(
        default_factory=dict, description="That surviving fraction by horizon year (SPEC 8.2); empty when the "
        "model has no failure rate (all survive).")
    end_market_usd_per_gpu: float | None = Field(
        None, description="Used-GPU market price at end_year + 1, what GPUs still running are valued at (SPEC "
        "8.2); null without a market map.")
    port_gbps: float | None = Field(None, description="Port option on a fabric priced per port (SPEC 8.6).")
    ports_per_gpu: int = Field(1, description="Scale-out ports per GPU.")


class RetirementResult(p.Retirement):
    site: str
    gpu: str
    fabric: str
    market_usd_per_gpu: float | None = Field(
        None, description="Used-GPU market price in the retirement year (SPEC 8.2); null without a market map.")


class YearResult(_Out):
    year: int
    training_demand: float
    training_delivered: float
    inference_demand: dict[str, float]
    inference_delivered: dict[str, float]
    active_gpus: dict[str, float] = Field(description="GPUs running by model.")
    energy_mwh: float
    emissions_t: float
    capex_usd: float
    opex_usd: float
    job_demand: dict[str, float] = Field(default_factory=dict, description="Training jobs' demand (SPEC 8.1).")
    job_delivered: dict[str, float] = Field(default_factory=dict, description="Training jobs' delivered throughput.")
    rented_gpus: float = Field(0.0, description="GPUs rented (SPEC 8.7).")
    grid_mwh: float = Field(0.0, description="Energy from the grid, MWh.")
    onsite_mwh: float = Field(0.0, description="Energy generated on site, MWh (SPEC 8.4).")
    onsite_emissions_t: float = Field(0.0, description="Emissions of the energy generated on site, t CO2.")


class JobSite(_Out):
    site: str
    gpus: float = Field(description="GPUs serving the job at this site.")
    loss: float = Field(description="Throughput lost by distance to the home site (0 at home).")
    delivered: float


class JobYearResult(_Out):
    """Where a training job ran in a year and what it got (SPEC 8.1, 8.9)."""

    job: str
    year: int
    demand: float
    delivered: float
    home: str
    gpu: str | None
    sites: list[JobSite] = Field(default_factory=list)


class RouteYear(_Out):
    year: int
    links: dict[str, int] = Field(default_factory=dict, description="Links installed by then, by optic.")
    gbps_installed: float
    gbps_used: float


class RouteResult(_Out):
    """A DCI route: when it was lit, its links and their use (SPEC 8.1, 8.9)."""

    a: str
    b: str
    distance_km: float
    lit_year: int | None
    years: list[RouteYear] = Field(default_factory=list)


class RentalResult(_Out):
    """GPUs rented from one offer in one year, and what they served (SPEC 8.7)."""

    rental: str
    gpu: str
    year: int
    gpus: float
    delivered: dict[str, float] = Field(default_factory=dict, description="Throughput by workload.")


class UnmetDemand(_Out):
    """Demand left unmet (only with --allow-unmet)."""

    workload: str = Field(description="'training' or an inference region.")
    year: int
    demand: float
    unmet: float


class Timings(_Out):
    prepare_s: float = 0.0
    build_s: float = 0.0
    handoff_s: float = 0.0
    solve_s: float = 0.0
    extract_s: float = 0.0


class StageResult(_Out):
    """One HiGHS run of a staged solve."""

    name: str = Field(description="relaxed (purchases continuous), purchases (infrastructure fixed) or full.")
    highs_status: str
    objective_usd: float | None
    bound_usd: float | None
    seconds: float


class SolverReport(_Out):
    name: str = "highs"
    version: str
    highs_status: str
    mip_gap_target: float
    time_limit_s: float | None
    threads: int | None
    random_seed: int
    objective_bound_usd: float | None
    variables: int = 0
    integer_variables: int = 0
    constraints: int = 0
    timings: Timings = Field(default_factory=Timings)
    stages: list[StageResult] = Field(default_factory=list)


class Solution(_Out):
    """The result of `dcopt solve`."""

    @field_validator("status")
    @classmethod
    def _a_solution_status(cls, value: Status) -> Status:
        if value not in SOLUTION_STATUSES:
            raise ValueError(f"a solution's status is one of {', '.join(SOLUTION_STATUSES)}, not {value}")
        return value

    dcopt_version: str
    instance_name: str
    discount_rate: float | None = Field(None, description="The instance's discount rate (NPV basis).")
    status: Status = Field(description="Why the solve ended: optimal, time_limit, interrupted, infeasible "
                                       "or error (see `dcopt.status.Status`); has_plan is a separate fact.")
    has_plan: bool
    message: str = ""
    tco_usd: float | None = None
    mip_gap: float | None = Field(None, description="Relative gap of the plan to the best bound.")
    solve_seconds: float = 0.0
    costs_npv_usd: dict[str, float] = Field(
        default_factory=dict, description="NPV of each cost item of SPEC 5; sums to tco_usd."
    )
    costs_nominal_usd: dict[str, dict[int, float]] = Field(
        default_factory=dict, description="Each cost item by year (undiscounted); end_year + 1 is salvage."
    )
    sites: list[SiteResult] = Field(default_factory=list)
    purchases: list[PurchaseResult] = Field(default_factory=list)
    retirements: list[RetirementResult] = Field(default_factory=list)
    existing_deployments: list[ExistingDeploymentResult] = Field(default_factory=list)
    allocations: list[p.Allocation] = Field(default_factory=list)
    years: list[YearResult] = Field(default_factory=list)
    diagnosis: list[str] = Field(default_factory=list, description="Why no plan exists, when none does.")
    unmet_demand: list[UnmetDemand] = Field(
        default_factory=list, description="With --allow-unmet: demand the plan leaves unmet."
    )
    unmet_penalty_usd: float = Field(
        0.0, description="With --allow-unmet: NPV of the price of unmet demand (not part of tco_usd)."
    )
    grid_upgrades: list[p.GridUpgradeTaken] = Field(default_factory=list, description="SPEC 8.3.")
    onsite_builds: list[p.OnsiteBuild] = Field(default_factory=list, description="SPEC 8.4.")
    onsite_generation: list[p.OnsiteGeneration] = Field(default_factory=list, description="SPEC 8.4.")
    routes_lit: list[p.RouteLit] = Field(default_factory=list, description="SPEC 8.1.")
    links: list[p.LinkInstall] = Field(default_factory=list, description="SPEC 8.1.")
    job_placements: list[p.JobPlacement] = Field(default_factory=list, description="SPEC 8.1.")
    job_allocations: list[p.JobAllocation] = Field(default_factory=list, description="SPEC 8.1.")
    rentals: list[p.RentalUse] = Field(default_factory=list, description="SPEC 8.7.")
    rental_allocations: list[p.RentalAllocation] = Field(default_factory=list, description="SPEC 8.7.")
    jobs: list[JobYearResult] = Field(default_factory=list, description="Training jobs by year (SPEC 8.1).")
    routes: list[RouteResult] = Field(default_factory=list, description="DCI routes (SPEC 8.1).")
    rented: list[RentalResult] = Field(default_factory=list, description="Rented GPUs (SPEC 8.7).")
    scenarios: ScenarioResults | None = Field(
        None, description="With scenarios (SPEC 8.8): each case's TCO, breakdown and plan; the fields above "
        "are then the expected TCO and breakdown and the shared first-stage decisions."
    )
    solver: SolverReport | None = None
    _instance: Any = PrivateAttr(default=None)  # the Instance it was solved for (not written out)

    # ------------------------------------------------------------------ for notebooks and scripts

    @property
    def instance(self) -> Any:
        """The `Instance` this solution was solved for; None for a solution read from a file."""
        return self._instance

    def end_of_horizon_usd(self) -> float:
        """NPV of the end-of-horizon values (negative: money back): the cost items of kind
        ``credit`` in the registry (`dcopt.model.items`: GPUs resold or valued at the end,
        existing GPUs' residual value, facilities' salvage) booked in the year after the
        horizon, discounted as every cost. ``tco_usd - end_of_horizon_usd()`` is the TCO before
        them. Expected over the cases, with scenarios; 0 without a plan."""
        if self.scenarios is not None:
            return sum(c.probability * c.solution.end_of_horizon_usd() for c in self.scenarios.cases)
        if not self.has_plan or not self.years:
            return 0.0
        from ..model.items import is_credit  # the registry of cost items

        start, after = self.years[0].year, self.years[-1].year + 1
        rate = self.discount_rate or 0.0
        nominal = sum(by_year.get(after, 0.0) for item, by_year in self.costs_nominal_usd.items()
                      if is_credit(item))
        return nominal * (1.0 + rate) ** -(after - start)

    def emissions_t(self) -> float:
        """The plan's emissions over the horizon, t CO2 (expected over the cases, with scenarios)."""
        if self.scenarios is not None:
            return sum(c.probability * c.solution.emissions_t() for c in self.scenarios.cases)
        return float(sum(y.emissions_t for y in self.years))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The solution's tables as pandas DataFrames, by name: those of ``dcopt solve --csv``
        (costs by item and year, sites by year, blocks, fabrics, purchases, retirements,
        allocations, years), ``delivered`` by workload and year, and the SPEC 8 tables the
        solution has (jobs, routes, rentals, grid upgrades, on-site power, links); see
        `dcopt.results.tables`."""
        from .tables import solution_tables

        return solution_tables(self)

    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write every table of `tables()` as ``<name>.csv`` into `folder`; returns the paths."""
        from .tables import write_tables

        return write_tables(self, folder)

    def to_report(self, path: str | Path, instance: Any = None) -> Path:
        """Write the HTML report of this solution (as ``dcopt solve --report``); `instance` (by
        default the one it was solved for, when known) adds hall sizes and existing GPUs' years."""
        from ..report import write_report  # the report layer, imported when asked for

        return write_report(self, path, instance=instance if instance is not None else self._instance)

    def compare(self, other: Solution, instance: Any = None) -> Comparison:
        """This solution's plan against `other` (a solution of the same instance, typically the
        optimum), item by item as ``dcopt evaluate --compare`` explains it; `.text()` prints it.
        `instance`: the instance both were solved for (by default the one this solution, or
        `other`, was solved for)."""
        from ..studies.compare import compare_solutions  # the studies layer, when asked for

        inst = next((i for i in (instance, self._instance, other._instance) if i is not None), None)
        if inst is None:
            raise ValueError("compare needs the instance: solution.compare(other, instance=...)")
        for s in (self, other):
            if s._instance is not None and s._instance != inst:
                raise ValueError("compare needs two solutions of the same instance (to see how a plan does "
                                 "under other numbers, cost it there: dcopt.studies.evaluate.evaluate)")
        return compare_solutions(inst, self, other)

    def plan(self) -> p.Plan:
        """The decisions of this solution as a `Plan`."""
        openings, fabrics, builds = [], [], []
        for s in self.sites:
            if s.open_year is not None and not s.opened_by_existing:
                openings.append(p.SiteOpening(site=s.name, year=s.open_year))
            fabrics += [p.FabricArrival(site=s.name, fabric=f.fabric, year=f.year)
                        for f in s.fabrics if f.year is not None]
            builds += [p.BlockBuild(site=s.name, cooling=b.cooling, rack_kw=b.rack_kw, year=b.year,
                                    blocks=b.blocks) for b in s.blocks if b.year is not None]
        return p.Plan(
            openings=openings,
            fabrics=fabrics,
            builds=builds,
            purchases=[p.Purchase(**x.model_dump(include=set(p.Purchase.model_fields))) for x in self.purchases],
            retirements=[p.Retirement(deployment=r.deployment, year=r.year, gpus=r.gpus)
                         for r in self.retirements],
            grid_upgrades=list(self.grid_upgrades),
            onsite_builds=list(self.onsite_builds),
            onsite_generation=list(self.onsite_generation),
            routes_lit=list(self.routes_lit),
            links=list(self.links),
            job_placements=list(self.job_placements),
            rentals=list(self.rentals),
            allocations=list(self.allocations),
            job_allocations=list(self.job_allocations),
            rental_allocations=list(self.rental_allocations),
        )

    def scenario_plan(self) -> p.ScenarioPlan | None:
        """With scenarios, every case's plan."""
        if self.scenarios is None:
            return None
        return p.ScenarioPlan(cases=[p.CasePlan(case=c.name, plan=c.solution.plan())
                                     for c in self.scenarios.cases])


class CaseResult(_Out):
    """One scenario case of a solution (SPEC 8.8)."""

    name: str
    probability: float
    solution: Solution


class ScenarioResults(_Out):
    reveal_year: int
    expected_tco_usd: float
    cases: list[CaseResult]
    evpi_usd: float | None = Field(None, description="Expected value of perfect information (on request).")
    vss_usd: float | None = Field(None, description="Value of the stochastic solution (on request).")


Solution.model_rebuild()
