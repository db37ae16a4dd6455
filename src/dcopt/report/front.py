"""The TCO-emissions front (`dcopt pareto`, `dcopt.studies.pareto`) as a chart and a page.

    from dcopt.report.front import front_chart, front_report_html
    chart = front_chart(front.table())       # a `Chart` (inline SVG)
    html = front_report_html(front.table())  # a self-contained page

Everything drawn is a column of the front's table (``point``,
``max_emissions_t``, ``emissions_t``, ``tco_usd``, ``status``,
``sites_opened``) or a difference and ratio of them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from matplotlib.ticker import MaxNLocator

from ..instance.errors import Problem
from . import charts as ch
from . import html as h
from .charts import Chart, Table
from .sweep import ReportInputError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("point", "emissions_t", "tco_usd")


def is_front_table(columns) -> bool:
    cols = set(columns)
    return {"max_emissions_t", "emissions_t", "tco_usd"} <= cols and "alternative" not in cols


def normalize(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ReportInputError([Problem("columns", f"missing {', '.join(missing)}",
                                        "give the table written by dcopt pareto")], source)
    df = df.copy()
    for c in ("status", "sites_opened"):
        if c not in df.columns:
            df[c] = ""
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    df["emissions_t"] = df["emissions_t"].astype(float)
    df["tco_usd"] = df["tco_usd"].astype(float)
    return df.sort_values(["emissions_t", "point"], kind="stable").reset_index(drop=True)


def _plain_axis(axis) -> None:
    """Ticks with as many decimals as their spacing needs (`charts.TickFormatter`)."""
    axis.set_major_formatter(ch.TickFormatter())
    axis.set_major_locator(MaxNLocator(nbins=6))


def front_rows(df: pd.DataFrame) -> list[dict]:
    """Each point with its extra TCO over the cheapest plan and emissions avoided, and the cost
    per t CO2 avoided from the point before it (the next looser cap)."""
    df = normalize(df)
    rows = df.to_dict("records")
    if not rows:
        return []
    cheapest = max(rows, key=lambda r: (r["emissions_t"], -r["tco_usd"]))
    out = []
    for i, r in enumerate(rows):
        extra = r["tco_usd"] - cheapest["tco_usd"]
        avoided = cheapest["emissions_t"] - r["emissions_t"]
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        step = None
        if nxt is not None and nxt["emissions_t"] - r["emissions_t"] > 1e-9:
            step = (r["tco_usd"] - nxt["tco_usd"]) / (nxt["emissions_t"] - r["emissions_t"])
        out.append({**r, "extra_usd": extra, "avoided_t": avoided, "usd_per_t_step": step})
    return out


def front_chart(df: pd.DataFrame, cid: str = "front") -> Chart:
    """TCO against emissions, from the least-emission plan to the cheapest."""
    rows = front_rows(df)
    x = [r["emissions_t"] for r in rows]
    big = max((abs(v) for v in x), default=0.0) >= 1e4
    scale, unit = (1e3, "kt CO2") if big else (1.0, "t CO2")
    with ch.figure(4.2) as (fig, ax):
        xs = [v / scale for v in x]
        ys = [r["tco_usd"] / 1e6 for r in rows]
        ax.plot(xs, ys, color=ch.TOTAL_COLOR, lw=1.6, marker="o", ms=6, zorder=3, label="a plan on the front")
        if rows:
            ax.scatter([xs[-1]], [ys[-1]], s=90, color=ch.OPEX_COLOR, zorder=4, label="the cheapest plan")
            ax.scatter([xs[0]], [ys[0]], s=90, color=ch.CREDIT_COLOR, zorder=4, label="the least-emission plan")
        ax.set_xlabel(f"emissions over the horizon, {unit}")
        ax.set_ylabel("TCO, M$ (present value)")
        _plain_axis(ax.xaxis)
        _plain_axis(ax.yaxis)
        if xs and max(xs) - min(xs) <= 1e-9 * max(1.0, abs(max(xs))):  # one emissions value: room around it
            pad = max(abs(xs[0]) * 0.05, 1.0 / scale)
            ax.set_xlim(max(0.0, xs[0] - pad) if xs[0] >= 0 else xs[0] - pad, xs[0] + pad)
        if ys and max(ys) - min(ys) <= 1e-9 * max(1.0, abs(max(ys))):  # one TCO: room around it
            pad = max(abs(ys[0]) * 1e-3, 1e-3)
            ax.set_ylim(ys[0] - pad, ys[0] + pad)
        ch.legend_right(ax)
        svg = ch.svg(fig, cid, "TCO against emissions")
    table = Table(["point", "max_emissions_t", "emissions_t", "tco_usd", "extra TCO vs cheapest, USD",
                   "USD per t CO2 avoided (step)", "sites opened", "status"],
                  [[int(r["point"]), _num(r.get("max_emissions_t")), r["emissions_t"], r["tco_usd"],
                    r["extra_usd"], r["usd_per_t_step"], r["sites_opened"], r["status"]] for r in rows])
    notes = []
    if len(rows) >= 2 and rows[0]["avoided_t"] > 0:
        per_t = rows[0]["extra_usd"] / rows[0]["avoided_t"]
        notes.append(f"From the cheapest plan to the least-emission plan: {rows[0]['avoided_t']:,.1f} t CO2 less "
                     f"for {ch.musd(rows[0]['extra_usd'], 3)} more, {per_t:,.0f} USD per t avoided on average.")
    return Chart(cid, "What cutting emissions costs: the TCO-emissions front",
                 "each dot is the cheapest plan that emits no more than its cap; from right (the cheapest "
                 "plan) to left (the least-emission plan), every t CO2 less costs at least as much TCO; "
                 "the slope between two dots is the cost of the t CO2 avoided between them.",
                 svg, table, notes)


def front_report_html(df: pd.DataFrame, title: str = "") -> str:
    """The front's page: cards, the chart and every point."""
    rows = front_rows(df)
    head = f"TCO-emissions front{': ' + title if title else ''}"
    cards = []
    if rows:
        cheap, least = rows[-1], rows[0]
        cards = [h.Card("Cheapest plan", ch.musd(cheap["tco_usd"], 2), f"{cheap['emissions_t']:,.1f} t CO2"),
                 h.Card("Least-emission plan", ch.musd(least["tco_usd"], 2), f"{least['emissions_t']:,.1f} t CO2"),
                 h.Card("Emissions avoided", f"{least['avoided_t']:,.1f} t CO2",
                        f"for {ch.musd(least['extra_usd'], 3)} more TCO")]
    header = [f"<h1>{h.esc(head)}</h1>", (f'<p class="sub">{len(rows)} plans, from the least-emission plan '
              "to the cheapest</p>")]
    body = [h.cards(cards), h.chart(front_chart(df))]
    return h.page(head, "".join(header), "\n".join(body),
                  "Made by dcopt from a front table (dcopt pareto). M$ = million US dollars; TCO = total cost "
                  "of ownership, present value; emissions over the planning horizon.")


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f
