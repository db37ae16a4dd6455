"""The tallied totals of a plan someone brings, without solving (`dcopt evaluate`)."""

from __future__ import annotations

from ..instance.schema import Instance
from ..model.data import ModelData, prepare
from ..model.planmap import PlanTotals, totals, values_from_plan
from ..plan.format import Plan


def plan_totals(inst: Instance, plan: Plan) -> tuple[ModelData, PlanTotals]:
    """The model data of `inst` and the totals of `plan` from its tallies (the costs the
    model would give the same decisions)."""
    d = prepare(inst)
    return d, totals(d, values_from_plan(d, plan))
