r"""Halls: blocks of a hall design (cooling, rack density), grid, floor space,
and hall capacity.

Variables
    ``built[s, h, t]`` integer: blocks of design :math:`h` commissioned at
    :math:`s` by year :math:`t` (non-decreasing), for
    :math:`t \ge` ``power_available_year`` and cooling allowed there.

Expressions
    ``build[s, h, y]`` :math:`= built_{s,h,y} - built_{s,h,y-1}`: blocks
    commissioned in year :math:`y`.

    ``blocks_by[s, h, t]`` :math:`= E_{s,h} + built_{s,h,t}` (existing blocks
    :math:`E` included; blocks never close).

Constraints
    ``build_monotone[s, h, t]``: :math:`built_{s,h,t-1} \le built_{s,h,t}`.

    ``grid[s, t]`` (grid limit, and blocks need the site open):

    .. math:: \sum_h pue_{s,h}\, B_s\, blocks\_by_{s,h,t} \le P^{max}_s \, open\_by_{s,t}

    ``floor_space[s]``: :math:`\sum_h blocks\_by_{s,h,T} \le` ``max_blocks``.

    An elastic model adds ``grid_excess[s]`` (MW) and ``floor_excess[s]``
    (blocks) to the right-hand sides, at a penalty.

    ``hall_capacity[s, h, t]`` (rated power, pooled per site and design):

    .. math:: \sum_{g,f} u_{g,f}\, A_{s,h,g,f,t} \le B_s\, blocks\_by_{s,h,t}

    with :math:`u_{g,f}` the MW of one unit (GPU and network power) and
    :math:`A` the active units (:mod:`.fleet`).

Costs
    ``blocks`` in the build year; ``fixed_opex`` and ``facility_maintenance``
    every year from it (existing blocks every year); ``facility_salvage``.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..model import costs, cumulative
from ..model.data import ModelData


def add(m: pyo.ConcreteModel, d: ModelData) -> None:
    cumulative.add(m, d.build_keys, 3, index="BUILD", by="built", step="build", monotone="build_monotone",
                   domain=pyo.NonNegativeIntegers, bounds=lambda m, *k: (0, d.build_ub[k]))
    m.SITE_DESIGN = pyo.Set(
        initialize=[(s, h) for s in d.sites for h in d.site_designs[s]], dimen=2, ordered=True
    )

    def blocks_by(m, s, h, t):
        existing = d.existing_blocks.get((s, h), 0)
        return existing + m.built[s, h, t] if (s, h, t) in m.BUILD else existing

    m.blocks_by = pyo.Expression(m.SITE_DESIGN, d.years, rule=blocks_by)
    has_build = {s for s, _, _ in d.build_keys}
    opens = set(d.open_sites)
    first_build = {}
    for s, _, y in d.build_keys:
        first_build[s] = min(first_build.get(s, y), y)

    def grid_rows():
        for s in d.sites:
            if s not in has_build:
                continue
            years = [d.years[-1]] if s in opens else [t for t in d.years if t >= first_build[s]]
            for t in years:
                yield s, t

    elastic = d.elastic is not None and d.elastic.limits
    floor_sites = [s for s in d.sites if s in has_build and d.max_blocks[s] is not None]
    if elastic:
        m.grid_excess = pyo.Var(sorted(has_build, key=d.sites.index), domain=pyo.NonNegativeReals)
        m.floor_excess = pyo.Var(floor_sites, domain=pyo.NonNegativeIntegers)
        costs.add_terms(m, d, "grid_excess", m.grid_excess)
        costs.add_terms(m, d, "floor_excess", m.floor_excess)

    def grid(m, s, t):
        used = pyo.quicksum(
            d.pue[s, h] * d.block_mw[s] * m.blocks_by[s, h, t] for h in d.site_designs[s]
        )
        excess = m.grid_excess[s] if elastic else 0
        return used <= d.max_facility_mw[s] * m.open_by[s, t] + excess

    m.grid = pyo.Constraint(list(grid_rows()), rule=grid)

    def floor_space(m, s):
        excess = m.floor_excess[s] if elastic else 0
        return pyo.quicksum(m.blocks_by[s, h, d.years[-1]] for h in d.site_designs[s]) <= d.max_blocks[s] + excess

    m.floor_space = pyo.Constraint(floor_sites, rule=floor_space)
    costs.add_terms(m, d, "build", m.build)


def add_capacity(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Hall capacity: needs the active units of :mod:`.fleet`."""
    rows: dict[tuple[str, str, int], list] = {}
    for fk in d.fleet_keys:
        s, h, g, f = fk
        for t in d.years:
            if (fk, t) in m.ACTIVE:
                rows.setdefault((s, h, t), []).append((d.unit_mw[g, f], fk))

    def hall_capacity(m, s, h, t):
        load = pyo.quicksum(u * m.active_units[fk + (t,)] for u, fk in rows[s, h, t])
        return load <= d.block_mw[s] * m.blocks_by[s, h, t]

    m.hall_capacity = pyo.Constraint(list(rows), rule=hall_capacity)
