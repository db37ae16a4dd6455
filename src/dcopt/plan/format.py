"""A plan: the decisions alone (SPEC section 3), in the instance's terms.

A solved `Solution` carries one; a planner can also write one by hand and
have it costed (`dcopt evaluate`). Allocations are optional: without them a
plan is still complete, they only say which GPUs serve which demand.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class _PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteOpening(_PlanModel):
    site: str
    year: int


class FabricArrival(_PlanModel):
    site: str
    fabric: str
    year: int


class BlockBuild(_PlanModel):
    site: str
    cooling: str
    rack_kw: float
    year: int
    blocks: Annotated[int, Field(ge=1)]


class Purchase(_PlanModel):
    """GPUs bought in `year`, running `year .. year + life_years - 1`."""

    site: str
    cooling: str
    rack_kw: float
    gpu: str
    fabric: str
    year: int
    gpus: Annotated[int, Field(ge=1)]
    life_years: Annotated[int, Field(ge=1)] = Field(
        description="Service life; a life reaching past the horizon runs to its end."
    )


class Retirement(_PlanModel):
    """Existing GPUs retired at the start of `year`."""

    deployment: Annotated[int, Field(ge=0)] = Field(description="Index in existing.deployments.")
    year: int
    gpus: Annotated[int, Field(ge=1)]


class Allocation(_PlanModel):
    """GPUs of one kind at a site given to a workload in a year."""

    site: str
    gpu: str
    fabric: str
    year: int
    workload: str = Field(description="'training' or an inference region.")
    gpus: Annotated[float, Field(ge=0)]


class GridUpgradeTaken(_PlanModel):
    """A grid upgrade of a site taken in `year` (SPEC 8.3)."""

    site: str
    upgrade: str = Field(description="Name of one of the site's grid_upgrades.")
    year: int


class OnsiteBuild(_PlanModel):
    """On-site generation MW built in `year` (SPEC 8.4)."""

    site: str
    option: str = Field(description="Name of one of the site's onsite_power options.")
    year: int
    mw: Annotated[float, Field(ge=0)]


class OnsiteGeneration(_PlanModel):
    """Energy generated on site in `year`, MWh (SPEC 8.4)."""

    site: str
    option: str
    year: int
    mwh: Annotated[float, Field(ge=0)]


class RouteLit(_PlanModel):
    """A DCI route lit in `year` (SPEC 8.1); `a` and `b` in either order."""

    a: str
    b: str
    year: int


class LinkInstall(_PlanModel):
    """DCI links of an optic installed on a route in `year` (SPEC 8.1)."""

    a: str
    b: str
    optic: str
    year: int
    links: Annotated[int, Field(ge=1)]


class JobPlacement(_PlanModel):
    """Where a training job runs in a year (SPEC 8.1): its home, its GPU model (with
    single_gpu_model) and the remote sites it spans."""

    job: str
    year: int
    home: str
    gpu: str | None = Field(None, description="The job's one GPU model (single_gpu_model jobs).")
    remote_sites: list[str] = Field(default_factory=list)


class JobAllocation(_PlanModel):
    """GPUs of one kind at a site serving a training job in a year."""

    job: str
    year: int
    home: str
    site: str
    gpu: str
    fabric: str
    gpus: Annotated[float, Field(ge=0)]


class RentalUse(_PlanModel):
    """GPUs rented from a rental offer in `year` (SPEC 8.7)."""

    rental: str
    year: int
    gpus: Annotated[float, Field(ge=0)]


class RentalAllocation(_PlanModel):
    """Rented GPUs given to a pooled workload in a year."""

    rental: str
    year: int
    workload: str = Field(description="'training' or an inference region.")
    gpus: Annotated[float, Field(ge=0)]


class Plan(_PlanModel):
    """Every decision of a plan."""

    openings: list[SiteOpening] = Field(default_factory=list)
    fabrics: list[FabricArrival] = Field(default_factory=list)
    builds: list[BlockBuild] = Field(default_factory=list)
    purchases: list[Purchase] = Field(default_factory=list)
    retirements: list[Retirement] = Field(default_factory=list)
    grid_upgrades: list[GridUpgradeTaken] = Field(default_factory=list, description="SPEC 8.3.")
    onsite_builds: list[OnsiteBuild] = Field(default_factory=list, description="SPEC 8.4.")
    onsite_generation: list[OnsiteGeneration] = Field(default_factory=list, description="SPEC 8.4.")
    routes_lit: list[RouteLit] = Field(default_factory=list, description="SPEC 8.1.")
    links: list[LinkInstall] = Field(default_factory=list, description="SPEC 8.1.")
    job_placements: list[JobPlacement] = Field(default_factory=list, description="SPEC 8.1.")
    rentals: list[RentalUse] = Field(default_factory=list, description="SPEC 8.7.")
    allocations: list[Allocation] | None = Field(
        None, description="Optional: which GPUs serve which pooled demand."
    )
    job_allocations: list[JobAllocation] | None = Field(
        None, description="Optional: which GPUs serve which training job (SPEC 8.1)."
    )
    rental_allocations: list[RentalAllocation] | None = Field(
        None, description="Optional: which rented GPUs serve which pooled demand (SPEC 8.7)."
    )


class CasePlan(_PlanModel):
    """The plan of one scenario case (SPEC 8.8)."""

    case: str
    plan: Plan


class ScenarioPlan(_PlanModel):
    """A plan for an instance with scenarios: one plan per case, whose decisions before the
    reveal year must agree (SPEC 8.8)."""

    cases: list[CasePlan] = Field(min_length=1)
