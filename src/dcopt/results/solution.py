"""The typed result of a solve (SPEC section 6), written as solution JSON.

`status` says why the solver stopped; `has_plan` says whether a plan exists.
A plan's decisions are `sites` (openings, builds, fabrics), `purchases`,
`retirements` and `allocations`; `plan()` turns them back into a `Plan`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..plan import format as p

Status = Literal["optimal", "time_limit", "interrupted", "infeasible", "error"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BuiltBlocks(_Out):
    cooling: str
    rack_kw: float
    year: int | None = Field(description="Build year; null for blocks that existed before the horizon.")
    blocks: int
    it_mw: float = Field(0.0, description="IT capacity of these blocks, MW (blocks x block_mw).")


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


class PurchaseResult(p.Purchase):
    """A purchase with the year it leaves the fleet (resold)."""

    resale_year: int = Field(description="min(year + life_years, end_year + 1).")


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


class RetirementResult(p.Retirement):
    site: str
    gpu: str
    fabric: str


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

    dcopt_version: str
    instance_name: str
    discount_rate: float | None = Field(None, description="The instance's discount rate (NPV basis).")
    status: Status
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
    solver: SolverReport | None = None

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
            purchases=[p.Purchase(**x.model_dump(exclude={"resale_year"})) for x in self.purchases],
            retirements=[p.Retirement(deployment=r.deployment, year=r.year, gpus=r.gpus)
                         for r in self.retirements],
            allocations=list(self.allocations),
        )
