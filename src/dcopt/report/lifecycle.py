"""Report panels for the life of GPUs and halls (SPEC 8.2, 8.3).

- surviving GPUs by vintage (failure rates): `purchases[].surviving_gpus`, and for existing GPUs
  the GPUs not retired times `existing_deployments[].surviving_frac`;
- each sale's used-GPU market price, for the refresh timeline: `purchases[].market_usd_per_gpu`,
  `retirements[].market_usd_per_gpu`, `existing_deployments[].end_market_usd_per_gpu` (or the
  instance's `resale_usd_per_gpu` maps for solution files written before these fields);
- blocks ordered (decision year) against commissioned (lead times): `sites[].blocks[].year` less
  `sites[].build_lead_time_years`.

The grid limit with its upgrades is drawn with the power stack (`report/power.py`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from matplotlib.patches import Patch

from ..instance.schema import Instance
from ..results.solution import Solution
from . import charts as ch
from . import panels as pn
from .charts import Chart, Table

FAILED_COLOR = "#bdbdbd"


def survival_segments(s: Solution) -> dict[tuple[str, str], dict[int, tuple[float, float]]]:
    """(installed, surviving) GPUs by (model, vintage) and year, when some model fails (else empty)."""
    failing = any(p.surviving_gpus for p in s.purchases) or any(d.surviving_frac for d in s.existing_deployments)
    if not failing:
        return {}
    segs: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    years = set(pn.years_of(s))
    for p in s.purchases:
        for t in range(p.year, p.resale_year):
            if t in years:
                cell = segs[(p.gpu, f"bought {p.year}")][t]
                cell[0] += p.gpus
                cell[1] += p.surviving_gpus.get(t, p.gpus) if p.surviving_gpus else p.gpus
    running = pn.existing_running(s, None) or {}
    for dep in s.existing_deployments:
        for t, n in running.get(dep.index, {}).items():
            cell = segs[(dep.gpu, f"existing, {dep.purchase_year}")][t]
            cell[0] += n
            cell[1] += n * dep.surviving_frac.get(t, 1.0)
    return {k: {t: (a, b) for t, (a, b) in v.items()} for k, v in segs.items()}


def survival_chart(s: Solution, inst: Instance | None = None, prefix: str = "") -> Chart | None:
    segs = survival_segments(s)
    if not segs:
        return None
    cid = prefix + "gpu-survival"
    years = pn.years_of(s)
    colors = pn.gpu_colors(s, inst)
    keys = sorted(segs, key=lambda k: (k[0], not k[1].startswith("existing"), k[1]))
    models = list(dict.fromkeys(k[0] for k in keys))
    with ch.figure(max(3.6, 1.0 + 0.2 * len(keys))) as (fig, ax):
        bottom = np.zeros(len(years))
        for g in models:
            mine = [k for k in keys if k[0] == g]
            for i, k in enumerate(mine):
                vals = np.array([segs[k].get(t, (0.0, 0.0))[1] for t in years])
                ax.bar(years, vals, bottom=bottom, width=0.75, color=ch.shade(colors[g], i, len(mine)),
                       edgecolor="white", linewidth=0.4, label=f"{g}, {k[1]}")
                bottom += vals
        failed = np.array([sum(v.get(t, (0.0, 0.0))[0] - v.get(t, (0.0, 0.0))[1] for v in segs.values())
                           for t in years])
        ax.bar(years, failed, bottom=bottom, width=0.75, color="white", edgecolor=FAILED_COLOR, hatch="xx",
               label="failed, still installed (all models)")
        for x, working, dead in zip(years, bottom, failed):
            ax.text(x, working + dead, f"{working:,.0f}", ha="center", va="bottom", fontsize=7.5)
        ax.margins(y=0.12)
        pn.year_axis(ax, years)
        ch.count_axis(ax, "y", "GPUs installed")
        ch.legend_right(ax)
        svg = ch.svg(fig, cid, "Surviving GPUs by vintage")
    rows = [[t, k[0], k[1], segs[k][t][0], segs[k][t][1], segs[k][t][0] - segs[k][t][1]]
            for t in years for k in keys if t in segs[k]]
    return Chart(
        cid, "GPUs still working each year, by model and vintage (failures)",
        "solid blocks are the GPUs still working, by model and year bought (darker: older); the hatched cap is "
        "the GPUs that have failed but stay installed, drawing no work yet taking hall space, power and "
        "maintenance until the unit is sold. The number on top is the working total: only these serve demand.",
        svg, Table(["year", "gpu", "vintage", "installed", "surviving", "failed"], rows))


def sale_prices(s: Solution, inst: Instance | None = None) -> dict[tuple[str, int], float]:
    """Used-GPU market price per (model, year of sale) for every sale of the plan: the Solution's, else
    the instance's market maps (older solution files)."""
    out: dict[tuple[str, int], float] = {}
    for p in s.purchases:
        if p.market_usd_per_gpu is not None:
            out[(p.gpu, p.resale_year)] = p.market_usd_per_gpu
    for r in s.retirements:
        if r.market_usd_per_gpu is not None:
            out[(r.gpu, r.year)] = r.market_usd_per_gpu
    end = pn.horizon_years(s)[-1] + 1 if s.years else None
    for d in s.existing_deployments:
        if d.end_market_usd_per_gpu is not None and end is not None:
            out[(d.gpu, end)] = d.end_market_usd_per_gpu
    if out or inst is None:
        return out
    maps = {g.name: g.resale_usd_per_gpu for g in inst.catalog.gpus if g.resale_usd_per_gpu is not None}
    sales = [(p.gpu, p.resale_year) for p in s.purchases] + [(r.gpu, r.year) for r in s.retirements]
    sales += [(d.gpu, end) for d in s.existing_deployments] if end is not None else []
    return {(g, y): float(maps[g][str(y)]) for g, y in sales if g in maps and str(y) in maps[g]}


def add_sale_prices(rows: list[dict], s: Solution, inst: Instance | None) -> bool:
    """Add each refresh-timeline bar's market price at its end (`market_usd_per_gpu`) and say it in
    its label; False when no sale has a market price (the timeline is drawn as before)."""
    prices = sale_prices(s, inst)
    if not prices:
        return False
    for r in rows:
        price = prices.get((r["gpu"], r["end"]))
        r["market_usd_per_gpu"] = price
        if price is not None:
            r["how"] += f" at {price:,.0f} $/GPU"
    return True


def block_orders(s: Solution) -> list[list[object]]:
    """(site, cooling, rack_kw, blocks, it_mw, ordered_year, commissioned_year) of the blocks built at
    sites with a lead time."""
    rows = []
    for x in s.sites:
        built = [b for b in x.blocks if b.year is not None]
        if x.build_lead_time_years:
            rows += [[x.name, b.cooling, b.rack_kw, b.blocks, b.it_mw, b.year - x.build_lead_time_years, b.year]
                     for b in built]
    return rows


def block_pipeline_chart(s: Solution, prefix: str = "") -> Chart | None:
    rows = block_orders(s)
    if not rows:
        return None
    cid = prefix + "block-pipeline"
    colors = pn.site_colors(s)
    with ch.figure(1.3 + 0.3 * max(len(rows), 2)) as (fig, ax):
        for i, (site, cooling, kw, n, _, ordered, done) in enumerate(rows):
            ax.plot([ordered, done], [i, i], color=colors[site], lw=2.5, solid_capstyle="butt")
            ax.scatter([ordered], [i], marker="o", s=30, color="white", edgecolors=colors[site], zorder=3)
            ax.scatter([done], [i], marker="s", s=34, color=colors[site], zorder=3)
            ax.text(done + 0.15, i, f"{done - ordered} yr lead" if done != ordered else "no wait",
                    va="center", fontsize=7.5, color="#444444")
        pn.rows_axis(ax, [f"{n} x {cooling}/{kw:g} at {site}" for site, cooling, kw, n, *_ in rows])
        lo = min(r[5] for r in rows)
        hi = max(r[6] for r in rows)
        ax.set_xticks(range(lo, hi + 1), [str(t) for t in range(lo, hi + 1)])
        ax.set_xlim(lo - 0.5, hi + 1.5)
        ax.set_xlabel("year")
        ax.legend(handles=[Patch(facecolor="white", edgecolor="#555555", label="ordered and paid (circle)"),
                           Patch(color="#555555", label="commissioned: capacity from this year (square)")],
                  loc="lower right", fontsize=8)
        svg = ch.svg(fig, cid, "Blocks ordered and commissioned")
    return Chart(
        cid, "Data halls ordered against commissioned (lead times)",
        "one line per build at a site with a lead time: the circle is the year the blocks are ordered and "
        "paid for, the square the year they are commissioned and can hold GPUs.",
        svg, Table(["site", "cooling", "rack_kw", "blocks", "it_mw", "ordered_year", "commissioned_year"], rows))
