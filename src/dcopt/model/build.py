"""Assemble the model: reads like the formulation (docs/formulation.md)."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from ..components import budget, demand, fabrics, fleet, halls, sites
from ..solver.highs import Staging
from . import costs
from .data import ModelData

STAGING = Staging(
    units=("buy", "retire"),  # fine-grained integers (units of 8 or 72 GPUs): relaxed in stage 1
    fixed=("opened", "fab_by"),  # sites and fabrics: fixed in stage 2
    flexible=("built",),  # blocks: fixed in stage 2's first try, free in its second
)
"""How a staged solve treats this model's variables (`solver.HighsSession`)."""


def build_model(d: ModelData) -> pyo.ConcreteModel:
    with PauseGC():
        m = pyo.ConcreteModel(name=d.name or "dcopt")
        costs.init(m)
        sites.add(m, d)  # open[s,y]; opening cost
        halls.add(m, d)  # build[s,h,y]; grid and site open, floor space; block costs
        fabrics.add(m, d)  # fab[s,f,y]; fabric needs its site open; fabric fixed cost
        fleet.add(m, d)  # buy, retire; active units; deployment and running costs
        halls.add_capacity(m, d)  # active units fit in built halls
        fabrics.add_link(m, d)  # purchases need their fabric
        demand.add(m, d)  # alloc; training and inference demand
        budget.add(m, d)  # yearly gross capex cap
        costs.add_objective(m, d)  # named cost items and the TCO
    return m


def update_numbers(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Set every mutable number (costs, demand, budget) from `d`, whose index sets
    must be the model's (`data.same_structure`)."""
    costs.update(m, d)
    demand.update(m, d)
    budget.update(m, d)
