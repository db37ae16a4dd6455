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


class Plan(_PlanModel):
    """Every decision of a plan."""

    openings: list[SiteOpening] = Field(default_factory=list)
    fabrics: list[FabricArrival] = Field(default_factory=list)
    builds: list[BlockBuild] = Field(default_factory=list)
    purchases: list[Purchase] = Field(default_factory=list)
    retirements: list[Retirement] = Field(default_factory=list)
    allocations: list[Allocation] | None = Field(
        None, description="Optional: which GPUs serve which demand."
    )
