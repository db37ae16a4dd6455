r"""Rentals: GPU capacity rented by the GPU-hour (SPEC 8.7).

Data
    Rent keys :math:`(r, t)` for the years the rental is offered inside the
    horizon; allocation keys :math:`(r, t, w)` for pooled training (when the
    rental may serve it) and the inference regions it serves, where demand
    is positive; per GPU delivered throughput (training
    :math:`tp_g\, eff_r\, av_r`, inference :math:`ip_g\, av_r`).

Variables
    ``rent[r, t]`` :math:`\in [0, max_{r,t}]` GPUs rented (continuous).

    ``ralloc[r, t, w]`` :math:`\ge 0` rented GPUs given to workload :math:`w`
    (they enter the demand rows of :mod:`.demand`; never training jobs).

Constraints
    ``rent_cap[r, t]``: :math:`\sum_w ralloc_{r,t,w} \le rent_{r,t}`.

Tallies (per GPU rented for a year)
    ``rental`` :math:`8760\; price_{r,t}`. Rented GPUs pay nothing else and count
    toward no cap, hall, grid or fabric limit (SPEC 8.10.14).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..instance.semantics import TRAINING
from ..model import costs
from ..model.context import Context
from ..model.keys import RentAllocKey, RentKey
from ..model.tally import Tally, build_tally


@dataclass
class RentalsData:
    rent_keys: list[RentKey]
    max_gpus: dict[RentKey, float | None]
    alloc_keys: list[RentAllocKey]
    perf: dict[RentAllocKey, float]
    regions_of: dict[str, list[str]]
    tallies: dict[str, Tally] = field(default_factory=dict)

    def serving(self, region: str) -> bool:
        return any(region in regions for regions in self.regions_of.values())


def offered_years(ctx: Context, rental) -> list[int]:
    first = rental.first_year if rental.first_year is not None else ctx.y0
    last = rental.last_year if rental.last_year is not None else ctx.y_end
    return [y for y in ctx.years if first <= y <= last]


def prepare(ctx: Context, need) -> RentalsData:
    """`need`: demand per (workload, year) of this case."""
    d = RentalsData(rent_keys=[], max_gpus={}, alloc_keys=[], perf={}, regions_of={})
    for r in ctx.inst.rentals:
        g = ctx.gpus[r.gpu]
        regions = [x for x in ctx.regions if r.serves_regions is None or x in r.serves_regions]
        d.regions_of[r.name] = regions
        workloads = ([TRAINING] if r.training else []) + regions
        for t in offered_years(ctx, r):
            key = RentKey(r.name, t)
            d.rent_keys.append(key)
            d.max_gpus[key] = sem.year_value(r.max_gpus, t)
            for w in workloads:
                per = sem.rental_delivered_per_gpu(g, r, w)
                if need[(w, t)] > 0 and per > 0:
                    ak = RentAllocKey(r.name, t, w)
                    d.alloc_keys.append(ak)
                    d.perf[ak] = per
    d.tallies["rent"] = build_tally("rent", d.rent_keys, ctx.all_years, lambda k: rent_amounts(ctx, k))
    return d


def rent_amounts(ctx: Context, key: RentKey) -> Iterator[tuple[str, int, float]]:
    r = next(x for x in ctx.inst.rentals if x.name == key.rental)
    yield "rental", key.year, sem.HOURS_PER_YEAR * sem.year_value(r.usd_per_gpu_hour, key.year)


def add(m: pyo.Block, d) -> None:
    rd = d.rentals
    if not rd.rent_keys:
        return
    m.RENT = pyo.Set(initialize=rd.rent_keys, dimen=2, ordered=True)
    m.rent = pyo.Var(m.RENT, domain=pyo.NonNegativeReals, bounds=lambda m, r, t: (0, rd.max_gpus[(r, t)]))
    m.RALLOC = pyo.Set(initialize=rd.alloc_keys, dimen=3, ordered=True)
    m.ralloc = pyo.Var(m.RALLOC, domain=pyo.NonNegativeReals)
    by_rent: dict[tuple[str, int], list] = {}
    for k in rd.alloc_keys:
        by_rent.setdefault((k.rental, k.year), []).append(m.ralloc[k])
    m.rent_cap = pyo.Constraint(list(by_rent), rule=lambda m, r, t: pyo.quicksum(by_rent[r, t]) <= m.rent[r, t])
    costs.add_tally_terms(m, d, "rent", m.rent)
