"""The typed result of `dcopt evaluate`: a given plan's costs, the limits it breaks and the
demand it leaves unmet (`Evaluation`), and, with `--compare`, how it differs from the
optimum (`Comparison`). Its writers (JSON and text) are in
:mod:`dcopt.results.evaluation_writers`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..plan.format import Allocation, JobAllocation, JobPlacement, RentalAllocation
from .solution import (
    JobYearResult,
    PurchaseResult,
    RentalResult,
    RetirementResult,
    RouteResult,
    SiteResult,
    Solution,
    UnmetDemand,
    YearResult,
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrokenLimit(_Out):
    """A constraint (SPEC 4, 8) or a rule of the decisions (SPEC 3, 8) the plan breaks."""

    constraint: str
    where: str
    message: str
    amount: float = Field(0.0, description="By how much, in the constraint's unit.")
    case: str | None = Field(None, description="With scenarios: the case whose plan breaks it.")


class Difference(_Out):
    """Your plan minus the optimum for one cost item (at one site, or in total)."""

    item: str
    site: str | None = Field(None, description="None: the item over all sites.")
    yours_usd: float
    optimum_usd: float
    difference_usd: float
    text: str


class SiteDifference(_Out):
    site: str
    yours_usd: float
    optimum_usd: float
    difference_usd: float


class GroupDifference(_Out):
    """Net difference (yours minus optimum) of a group of cost items at a site."""

    group: str
    site: str
    difference_usd: float


class Comparison(_Out):
    """Your plan against the optimum (`--compare`)."""

    optimum_status: str
    optimum_message: str
    optimum_tco_usd: float | None
    optimum_mip_gap: float | None
    difference_usd: float | None = Field(None, description="Your TCO minus the optimum's (NPV).")
    summary: str = Field(description="The difference in sentences, largest contributions first.")
    by_item: list[Difference] = Field(default_factory=list, description="Per cost item, largest first.")
    by_site_item: list[Difference] = Field(default_factory=list,
                                           description="Per site and cost item, largest first.")
    by_site: list[SiteDifference] = Field(default_factory=list)
    by_group: list[GroupDifference] = Field(
        default_factory=list, description="Per site and group of items (GPUs, sites and halls, power, ...), "
        "net of resale and salvage, largest first.")
    decisions: list[str] = Field(default_factory=list, description="How the decisions differ.")
    optimum: Solution | None = Field(None, description="The optimum's full solution.")

    def text(self) -> str:
        """The comparison as `dcopt evaluate --compare` prints it."""
        from .evaluation_writers import comparison_lines

        return "\n".join(comparison_lines(self)).strip("\n")


class Evaluation(_Out):
    """`dcopt evaluate`: the costs, broken limits and unmet demand of a given plan."""

    dcopt_version: str
    instance_name: str
    plan_source: str = ""
    feasible: bool = Field(description="Breaks no limit and meets all demand.")
    tco_usd: float = Field(description="The plan's TCO (NPV); with scenarios the expected TCO.")
    costs_npv_usd: dict[str, float] = Field(description="NPV of each cost item (SPEC 5, 8.9).")
    costs_nominal_usd: dict[str, dict[int, float]] = Field(
        description="Each cost item by year (undiscounted); end_year + 1 is salvage.")
    costs_by_site_npv_usd: dict[str, dict[str, float]] = Field(
        description="NPV of each cost item per site; adds up to costs_npv_usd but for rentals, which "
        "belong to no site.")
    broken_limits: list[BrokenLimit] = Field(default_factory=list)
    unmet_demand: list[UnmetDemand] = Field(
        default_factory=list, description="Demand the best allocation leaves unmet: pooled training, an "
        "inference region or a training job (its name) per year.")
    notes: list[str] = Field(default_factory=list)
    sites: list[SiteResult] = Field(default_factory=list)
    purchases: list[PurchaseResult] = Field(default_factory=list)
    retirements: list[RetirementResult] = Field(default_factory=list)
    allocations: list[Allocation] = Field(default_factory=list,
                                          description="The allocation chosen (least unmet demand).")
    job_placements: list[JobPlacement] = Field(
        default_factory=list, description="The plan's job placements, with those evaluate chose for "
        "job-years the plan leaves unplaced (SPEC 8.1).")
    job_allocations: list[JobAllocation] = Field(default_factory=list, description="SPEC 8.1.")
    rental_allocations: list[RentalAllocation] = Field(default_factory=list, description="SPEC 8.7.")
    years: list[YearResult] = Field(default_factory=list)
    jobs: list[JobYearResult] = Field(default_factory=list, description="Training jobs by year (SPEC 8.1).")
    routes: list[RouteResult] = Field(default_factory=list, description="DCI routes (SPEC 8.1).")
    rented: list[RentalResult] = Field(default_factory=list, description="Rented GPUs (SPEC 8.7).")
    scenarios: ScenarioEvaluation | None = Field(
        None, description="With scenarios (SPEC 8.8): each case's evaluation; the fields above are then "
        "the expected TCO and costs, and every case's broken limits and unmet demand.")
    comparison: Comparison | None = None

    def text(self) -> str:
        from .evaluation_writers import evaluation_text

        return evaluation_text(self)


class CaseEvaluation(_Out):
    """One scenario case: its plan evaluated against the case's instance."""

    name: str
    probability: float
    evaluation: Evaluation


class ScenarioEvaluation(_Out):
    reveal_year: int
    expected_tco_usd: float
    cases: list[CaseEvaluation]


Evaluation.model_rebuild()

