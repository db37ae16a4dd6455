"""The alternatives page (`dcopt alternatives`, `dcopt.studies.alternatives`): each plan's design
side by side with the optimum's.

    from dcopt.report.alternatives import alternatives_report_html
    html = alternatives_report_html(alts.table)

Everything shown is a column of the alternatives table (``alternative``,
``direction``, ``status``, ``tco_usd``, ``tco_gap``, ``emissions_t``,
``difference``, ``features``, ``same_as``, the sweep table's
``it_mw_by_cooling:*``, ``it_mw_by_rack_kw:*``, ``gpus_bought:*`` columns).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..instance.errors import Problem
from ..model.features import GROUPS, feature_label, group_of
from . import charts as ch
from . import html as h
from .charts import Chart, Table
from .sweep import ReportInputError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("alternative", "has_plan", "tco_usd", "features")
TEXT = ("direction", "status", "message", "features", "difference", "sites_opened")


def is_alternatives_table(columns) -> bool:
    return "alternative" in set(columns)


def normalize(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ReportInputError([Problem("columns", f"missing {', '.join(missing)}",
                                        "give the table written by dcopt alternatives")], source)
    df = df.copy()
    for c in TEXT:
        if c not in df.columns:
            df[c] = ""
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    hp = df["has_plan"]
    if hp.dtype != bool:
        df["has_plan"] = hp.astype(str).str.strip().str.lower().isin(("true", "1", "yes", "1.0"))
    df["alternative"] = df["alternative"].astype(int)
    return df.sort_values("alternative", kind="stable").reset_index(drop=True)


def _name(r) -> str:
    return "optimum" if int(r["alternative"]) == 0 else f"alternative {int(r['alternative'])}"


def _design(r) -> set[str]:
    return {x for x in str(r["features"]).split(";") if x}


def _f(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def gap_chart(df: pd.DataFrame, cid: str = "alternatives-gap") -> Chart | None:
    """How much more each plan costs than the optimum, against the slack."""
    plans = df[df["has_plan"]]
    if plans.empty:
        return None
    names = [_name(r) for _, r in plans.iterrows()]
    gaps = [100 * (_f(r.get("tco_gap")) or 0.0) for _, r in plans.iterrows()]
    slack = _f(plans["slack"].iloc[0]) if "slack" in plans.columns else None
    with ch.figure(0.9 + 0.38 * len(names)) as (fig, ax):
        y = list(range(len(names)))[::-1]
        ax.barh(y, gaps, color=[ch.MUTED if n == "optimum" else ch.TOTAL_COLOR for n in names], height=0.6)
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.grid(False, axis="y")
        if slack is not None:
            ax.axvline(100 * slack, color=ch.LIMIT_COLOR, lw=1.2, ls="--", label=f"the slack ({100 * slack:g} %)")
            ax.set_xlim(0, 100 * slack * 1.08)
            ch.legend_right(ax)
        ax.set_xlabel("TCO above the optimum, %")
        svg = ch.svg(fig, cid, "TCO above the optimum")
    table = Table(["plan", "TCO, USD", "TCO above the optimum, %"],
                  [[n, _f(r["tco_usd"]), g] for n, g, (_, r) in zip(names, gaps, plans.iterrows())])
    return Chart(cid, "How much more each plan costs", "one bar per plan: its TCO above the optimal TCO (present "
                 "value), in percent; the dashed line is the slack no alternative may exceed.", svg, table)


def side_by_side(df: pd.DataFrame) -> Table:
    """The design of every plan, one column per plan: TCO, emissions, then every feature that
    some plan has (yes / blank), by group, then capacity by cooling and density and GPUs by model."""
    plans = [r for _, r in df.iterrows() if r["has_plan"]]
    header = ["", *(_name(r) for r in plans)]
    rows: list[list[object]] = [["TCO, USD", *(_f(r["tco_usd"]) for r in plans)],
                                ["TCO above the optimum, %", *(100 * (_f(r.get("tco_gap")) or 0.0) for r in plans)]]
    if "emissions_t" in df.columns:
        rows.append(["emissions, t CO2", *(_f(r["emissions_t"]) for r in plans)])
    designs = [_design(r) for r in plans]
    every = sorted(set().union(*designs) if designs else set())
    for group in GROUPS:
        mine = [f for f in every if group_of(f) == group]
        for f in mine:
            rows.append([feature_label(f), *("yes" if f in d else "" for d in designs)])
    for prefix, what in (("it_mw_by_cooling:", "IT MW built, {} cooling"),
                         ("it_mw_by_rack_kw:", "IT MW built, {} kW racks"), ("gpus_bought:", "GPUs bought, {}")):
        for c in [c for c in df.columns if c.startswith(prefix)]:
            values = [_f(r[c]) or 0.0 for r in plans]
            if any(values):
                rows.append([what.format(c[len(prefix):]), *values])
    return Table(header, rows)


def alternatives_report_html(df: pd.DataFrame, title: str = "") -> str:
    """The alternatives page: cards, the TCO of each plan, the designs side by side, the
    differences in words."""
    df = normalize(df)
    head = f"Near-optimal alternatives{': ' + title if title else ''}"
    opt = df[df["alternative"] == 0]
    found = df[(df["alternative"] > 0) & df["has_plan"]]
    slack = _f(df["slack"].iloc[0]) if "slack" in df.columns and len(df) else None
    cards = []
    if not opt.empty and opt["has_plan"].iloc[0]:
        cards.append(h.Card("Optimal TCO", ch.musd(_f(opt["tco_usd"].iloc[0]), 2), "present value"))
    cards.append(h.Card("Alternatives found", f"{len(found)}",
                        f"within {100 * slack:g} % of the optimal TCO" if slack is not None else ""))
    header = [f"<h1>{h.esc(head)}</h1>",
              ('<p class="sub">Plans whose discrete design (sites, cooling, rack density, fabrics, GPU models, and '
              "with SPEC 8 job homes, on-site power, rentals) differs most from the optimum, within the slack</p>"),
              h.toc([("designs", "Designs side by side"), ("differences", "What differs"), ("cost", "Cost")])]
    body = [h.cards(cards), h.section("designs", "Designs side by side",
                                      "Each column is a plan; 'yes' marks what its design has.")]
    body.append(f'<div class="tablewrap">{h.table(side_by_side(df), name="designs")}</div>')
    body.append(h.section("differences", "What differs from the optimum"))
    items = []
    for _, r in df[df["alternative"] > 0].iterrows():
        if r["has_plan"]:
            same = _f(r.get("same_as"))
            extra = f" (the same design as alternative {int(same)})" if same is not None else ""
            items.append(f"<li><b>{h.esc(_name(r))}</b> ({h.esc(r['direction'])}): "
                         f"{h.esc(r['difference'])}{h.esc(extra)}</li>")
        else:
            items.append(f"<li><b>{h.esc(_name(r))}</b> ({h.esc(r['direction'])}): {h.esc(r['status'])}: "
                         f"{h.esc(r['message'])}</li>")
    body.append('<ul class="plain">' + ("".join(items) or "<li>no alternative was looked for</li>") + "</ul>")
    body.append(h.section("cost", "Cost"))
    chart = gap_chart(df)
    if chart is not None:
        body.append(h.chart(chart))
    cols = list(df.columns)
    rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in r] for r in df.itertuples(index=False)]
    body.append(f'<details><summary>alternatives table: {len(df)} rows</summary>'
                f'<div class="tablewrap">{h.table(Table(cols, rows), name="alternatives")}</div>'
                + h.download_link("alternatives.csv", h.csv_text(cols, [["" if v is None else v for v in r]
                                                                         for r in rows]))
                + "</details>")
    return h.page(head, "".join(header), "\n".join(body),
                  "Made by dcopt from an alternatives table (dcopt alternatives). M$ = million US dollars; "
                  "TCO = total cost of ownership, present value.")
