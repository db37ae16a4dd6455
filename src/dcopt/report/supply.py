"""Report panels for build, colocate or rent (SPEC 8.7).

- the supply mix by year: GPUs and throughput from owned sites, colocation sites and rentals
  (`sites[].gpus`, `delivered`, `colocation_usd_per_kw_month`; `years[].rented_gpus`;
  `rented[].delivered`);
- the cost per delivered unit of each (`sites[].costs_npv_usd` of colocation sites, the `rental`
  item, the TCO).
"""

from __future__ import annotations

import numpy as np

from ..results.solution import Solution
from . import charts as ch
from . import panels as pn
from .charts import Chart, Table

SOURCES = (("owned", "owned sites", "#1f4e79"), ("colocated", "colocation sites", "#8e6bbf"),
           ("rented", "rented GPUs (cloud)", "#e08a1e"))
NOT_A_SITE_COST = ("dci",)
"""Cost items not charged to the site they are tallied at: a DCI route links two sites."""


def has_supply_mix(s: Solution) -> bool:
    """Rented GPUs or an open colocation site, and GPUs by site (solution files written before
    `sites[].gpus` was reported cannot split owned from colocated)."""
    hosted = bool(s.rented) or any(x.colocation_usd_per_kw_month is not None and x.open_year is not None
                                   for x in s.sites)
    return hosted and any(x.gpus for x in s.sites)


def supply_rows(s: Solution) -> list[list[object]]:
    """(year, owned, colocated, rented GPUs, then their delivered throughput) per year."""
    rented_got: dict[int, float] = {}
    for r in s.rented:
        rented_got[r.year] = rented_got.get(r.year, 0.0) + sum(r.delivered.values())
    out = []
    for y in s.years:
        t = y.year
        colo = [x for x in s.sites if x.colocation_usd_per_kw_month is not None]
        own = [x for x in s.sites if x.colocation_usd_per_kw_month is None]
        out.append([t, sum(x.gpus.get(t, 0.0) for x in own), sum(x.gpus.get(t, 0.0) for x in colo), y.rented_gpus,
                    sum(x.delivered.get(t, 0.0) for x in own), sum(x.delivered.get(t, 0.0) for x in colo),
                    rented_got.get(t, 0.0)])
    return out


def supply_mix_chart(s: Solution, unit_label: str, prefix: str = "") -> Chart | None:
    if not has_supply_mix(s):
        return None
    cid = prefix + "supply-mix"
    rows = supply_rows(s)
    years = [r[0] for r in rows]
    with ch.figure(3.6, ncols=2) as (fig, axes):
        for ax, first, title, label in ((axes[0], 1, "GPUs", "GPUs (installed; rented: rented)"),
                                        (axes[1], 4, "Throughput delivered", unit_label)):
            bottom = np.zeros(len(years))
            for k, (_, name, color) in enumerate(SOURCES):
                vals = np.array([r[first + k] for r in rows], dtype=float)
                ax.bar(years, vals, bottom=bottom, width=0.75, color=color, label=name)
                bottom += vals
            ax.margins(y=0.1)
            ax.set_title(title)
            ch.count_axis(ax, "y", label)
            pn.year_axis(ax, years, narrow=True)
        pn.figure_legend(fig, axes, ncol=3)
        svg = ch.svg(fig, cid, "Supply mix by year")
    return Chart(
        cid, "Where the compute comes from: owned sites, colocation and rented GPUs",
        "left: GPUs each year at owned sites, at colocation sites (your GPUs in someone else's halls) and "
        "rented by the hour from a cloud; right: the throughput each delivers to the demand (rented GPUs serve "
        "pooled training and inference, never training jobs).",
        svg, Table(["year", "owned_gpus", "colocated_gpus", "rented_gpus", "owned_delivered", "colocated_delivered",
                    "rented_delivered"], rows))


def supply_cost_rows(s: Solution) -> list[list[object]]:
    """(supply, NPV cost, throughput delivered, USD per unit) of owned, colocated, rented and all."""
    rows = supply_rows(s)
    colo = sum(v for x in s.sites if x.colocation_usd_per_kw_month is not None
               for k, v in x.costs_npv_usd.items() if k not in NOT_A_SITE_COST)
    rent = s.costs_npv_usd.get("rental", 0.0)
    tco = s.tco_usd or 0.0
    costs = {"owned": tco - colo - rent, "colocated": colo, "rented": rent}
    got = {key: sum(r[4 + k] for r in rows) for k, (key, _, _) in enumerate(SOURCES)}
    out = [[key, costs[key], got[key], costs[key] / got[key] if got[key] > 0 else None] for key, _, _ in SOURCES]
    total = sum(got.values())
    out.append(["all", tco, total, tco / total if total > 0 else None])
    return out


def supply_cost_chart(s: Solution, per_unit_label: str, prefix: str = "") -> Chart | None:
    if not has_supply_mix(s):
        return None
    cid = prefix + "supply-cost"
    rows = [r for r in supply_cost_rows(s) if r[2] > 0 or abs(r[1]) >= 0.5]
    colors = {k: c for k, _, c in SOURCES} | {"all": ch.TOTAL_COLOR}
    names = {k: n for k, n, _ in SOURCES} | {"all": "the whole plan (TCO)"}
    with ch.figure(1.2 + 0.45 * len(rows)) as (fig, ax):
        for i, (key, _, _, per) in enumerate(rows):
            ax.barh(i, per or 0.0, color=colors[key], height=0.6, alpha=0.55 if key == "all" else 1.0)
            ax.text(per or 0.0, i, f" {per:,.0f} USD" if per is not None else " nothing delivered", va="center",
                    fontsize=8.5)
        pn.rows_axis(ax, [names[r[0]] for r in rows])
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, 0), hi + 0.2 * (hi - lo))
        ch.count_axis(ax, "x", per_unit_label)
        svg = ch.svg(fig, cid, "Cost per delivered unit by supply")
    return Chart(
        cid, "What each kind of supply costs per unit of throughput delivered",
        "present value of what each supply costs divided by the throughput-years it delivers: rented GPUs "
        "cost the rental item; colocation sites every cost item tallied at them (fees, opening, energy, the "
        "GPUs bought there less their resale); owned sites the rest of the TCO (DCI links included).",
        svg, Table(["supply", "cost_npv_usd", "delivered", "usd_per_unit"], rows))
