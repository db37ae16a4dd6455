"""The TCO-emissions front: the cheapest plan for each cap on emissions (epsilon constraint).

    front = dcopt.pareto("instances/power-first.json", points=8)
    print(front.table())          # cap, emissions, TCO, the plan's headline decisions

The ends are the cheapest plan (its emissions are the loosest cap) and the
least-emission plan (solved with emissions as the objective, then the
cheapest plan with no more emissions). Between them the caps are spaced
evenly; each point minimises the TCO with the model's emissions quantity
(the tallied t CO2 of grid and on-site energy over the horizon; with
scenarios, the expected emissions) capped, in one model updated in place and
warm-started from the plan of the tighter cap before it, which stays
feasible: so the front is monotone (less emissions never costs less) even
when a point stops at its MIP gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..instance.io import load_instance
from ..instance.schema import Instance
from ..model.build import Goal
from ..pipeline.solve import Pipeline, expected_emissions_t
from ..results.solution import Solution
from ..solver.highs import SolveOptions

if TYPE_CHECKING:
    import pandas as pd

CAP_SLACK = 1e-7
"""Relative room on the least emissions when costing its cheapest plan (rounding of the solve)."""


emissions_t = expected_emissions_t
"""Emissions of a solution over the horizon, t CO2 (expected, with scenarios)."""


@dataclass
class FrontPoint:
    cap_t: float | None
    emissions_t: float
    tco_usd: float
    solution: Solution


@dataclass
class Front:
    points: list[FrontPoint] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for i, p in enumerate(self.points):
            s = p.solution
            rows.append({"point": i, "max_emissions_t": p.cap_t, "emissions_t": p.emissions_t,
                         "tco_usd": p.tco_usd, "status": s.status, "mip_gap": s.mip_gap,
                         "sites_opened": ";".join(x.name for x in s.sites if x.open_year is not None),
                         "onsite_mw": sum(g.mw for g in s.onsite_builds),
                         **{f"cost:{k}": v for k, v in s.costs_npv_usd.items()}})
        return pd.DataFrame(rows)


def pareto(instance: Instance | str | dict, points: int = 8, options: SolveOptions | None = None,
           **option_values: Any) -> Front:
    """`points` plans from the least-emission one to the cheapest (both ends included)."""
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    options = (options or SolveOptions(diagnose=False)).model_copy(update=option_values)
    if points < 2:
        raise ValueError("a front needs at least 2 points (its two ends)")
    cheapest = Pipeline(options).solve(inst)
    if not cheapest.has_plan:
        raise RuntimeError(f"no plan: {cheapest.message}")
    least = Pipeline(options, goal=Goal(minimize="emissions")).solve(inst)
    if not least.has_plan:
        raise RuntimeError(f"no least-emission plan: {least.message}")
    low, high = emissions_t(least), emissions_t(cheapest)
    caps = [low * (1 + CAP_SLACK) + 1e-6 + (high - low) * i / (points - 1) for i in range(points - 1)]
    pipe = Pipeline(options, goal=Goal(max_emissions_t=caps[0]))
    front = Front()
    for cap in caps:
        pipe.set_goal(Goal(max_emissions_t=cap))  # the same model, its cap updated
        s = pipe.solve(inst)
        if not s.has_plan:
            raise RuntimeError(f"no plan under {cap:g} t CO2: {s.message}")
        front.points.append(FrontPoint(cap, emissions_t(s), float(s.tco_usd), s))
    front.points.append(FrontPoint(None, high, float(cheapest.tco_usd), cheapest))
    return front
