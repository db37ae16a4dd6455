r"""Sites: opening.

Data
    Sites open from the start (existing blocks) and the sites that may be
    opened: those without existing blocks that can build something.

Variables
    ``opened[s, t]`` binary: site :math:`s` is open by year :math:`t`
    (non-decreasing in :math:`t`). Branching on "open by t" splits the
    search better than branching on the opening year.

Expressions
    ``open[s, y]`` :math:`= opened_{s,y} - opened_{s,y-1}`: opens in year :math:`y`
    (at most once, since ``opened`` is binary and non-decreasing).

    ``open_by[s, t]`` :math:`= opened_{s,t}`, or 1 for a site opened by its
    existing blocks.

Constraints
    ``open_monotone[s, t]``: :math:`opened_{s,t-1} \le opened_{s,t}`.

Tallies (per opening)
    ``site_opening`` ``site_fixed_capex_usd`` in the opening year (and gross
    capex), ``facility_salvage`` at :math:`T+1`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..instance import semantics as sem
from ..model import costs, cumulative
from ..model.context import Context
from ..model.keys import SiteYear
from ..model.tally import Tally, build_tally


@dataclass
class SitesData:
    open_sites: list[str]  # open from the start
    open_keys: list[SiteYear]
    tallies: dict[str, Tally] = field(default_factory=dict)


def prepare(ctx: Context, halls) -> SitesData:
    openable = [s for s in ctx.site_names if s not in halls.open_sites and halls.buildable[s]]
    d = SitesData(open_sites=list(halls.open_sites),
                  open_keys=[SiteYear(s, y) for s in openable for y in ctx.years])
    d.tallies["open"] = build_tally("open", d.open_keys, ctx.all_years, lambda k: opening_amounts(ctx, k),
                                    site_of=lambda k: k[0])
    return d


def opening_amounts(ctx: Context, key: SiteYear) -> Iterator[tuple[str, int, float]]:
    usd = ctx.sites[key.site].site_fixed_capex_usd
    yield "site_opening", key.year, usd
    yield "capex_usd", key.year, usd
    yield "facility_salvage", ctx.salvage_year, -usd * sem.residual(
        ctx.salvage_year - key.year, ctx.inst.finance.facility_life_years)


def add(m: pyo.Block, d) -> None:
    sd = d.sites
    cumulative.add(m, sd.open_keys, 2, index="OPEN", by="opened", step="open", monotone="open_monotone",
                   domain=pyo.Binary)
    opens = set(sd.open_sites)

    def open_by(m, s, t):
        if s in opens:
            return 1
        return m.opened[s, t] if (s, t) in m.OPEN else 0

    m.open_by = pyo.Expression(d.ctx.site_names, d.ctx.years, rule=open_by)
    costs.add_tally_terms(m, d, "open", m.open)
