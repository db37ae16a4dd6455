"""The report of a sweep: the sweep table (one row per point, written by `dcopt sweep`) as charts.

- one at a time (design ``oat``): a tornado chart of the TCO swing of each parameter;
- grid (``grid``): the TCO against each parameter;
- Monte Carlo (``mc``): the distribution of the TCO, and the TCO against each sampled parameter;
- for every design: where the decisions change (sites opened, cooling, rack density, fabrics,
  GPUs bought) and the distinct designs the sweep produced.

Every figure is a column of the table (or a count, percentile or difference of its values).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..instance.errors import InstanceError, Problem
from ..results.writers import from_spreadsheet_text
from . import charts as ch
from . import html as h
from .charts import Chart, Table
from .labels import number, param_labels

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("point", "design", "has_plan", "tco_usd")
FAMILIES = (
    ("gpus_bought:", "GPUs bought, by model", "GPUs bought over the plan"),
    ("it_mw_by_cooling:", "IT capacity, by cooling", "MW of IT capacity at the end"),
    ("it_mw_by_rack_kw:", "IT capacity, by kW per rack", "MW of IT capacity at the end"),
    ("gpus_by_fabric:", "GPUs bought, by network fabric", "GPUs bought over the plan"),
)
DESIGN_NAMES = {"oat": "one at a time", "grid": "grid", "mc": "Monte Carlo"}
MAX_ROWS = 60
"""Above this many points, per-point charts give way to shares and distributions."""


class ReportInputError(InstanceError):
    """The sweep table cannot be read or lacks columns."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        super().__init__(problems, source)
        head = f"{source}: " if source else ""
        lines = [f"{head}cannot build a sweep report"] + [f"  {p}".replace("\n", "\n  ") for p in problems]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


# =========================================================================== reading

def read_sweep_table(path: str | Path) -> pd.DataFrame:
    """Read a sweep table (.csv, .xlsx, or .parquet which needs pyarrow)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ReportInputError([Problem(str(path), "file not found", "check the path")])
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif path.suffix.lower() == ".xlsx":
            from ..results.xlsx import read_table

            header, records = read_table(path)
            df = pd.DataFrame.from_records(records, columns=header)
            for c in df.columns:  # an empty column is NaN, as read_csv gives it
                if df[c].isna().all():
                    df[c] = df[c].astype(float)
        else:
            df = pd.read_csv(path)
            for c in df.columns:  # text cells were escaped against spreadsheet formulas
                if df[c].dtype == object:
                    df[c] = df[c].map(lambda v: from_spreadsheet_text(v) if isinstance(v, str) else v)
    except ImportError as exc:
        raise ReportInputError([Problem(str(path), f"cannot read Parquet ({exc})",
                                        "pip install pyarrow, or give the CSV table")]) from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the input's
        raise ReportInputError([Problem(str(path), f"not a readable table ({type(exc).__name__}: {exc})",
                                        "give the CSV, Parquet or .xlsx table written by dcopt sweep")]) from None
    return normalize(df, str(path))


def normalize(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """Check the columns and give them stable types (strings empty, has_plan boolean)."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ReportInputError([Problem("columns", f"missing {', '.join(missing)}",
                                        "give the table written by dcopt sweep")], source)
    df = df.copy()
    for c in ("design", "oat_param", "oat_level", "status", "message", "sites_opened"):
        if c not in df.columns:
            df[c] = ""
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    hp = df["has_plan"]
    if hp.dtype != bool:
        df["has_plan"] = hp.astype(str).str.strip().str.lower().isin(("true", "1", "yes", "1.0"))
    df["tco_usd"] = df["tco_usd"].astype(float)
    return df.sort_values("point", kind="stable").reset_index(drop=True)


def param_keys(df: pd.DataFrame) -> list[str]:
    return [c[len("param:"):] for c in df.columns if c.startswith("param:")]


def family_columns(df: pd.DataFrame, prefix: str) -> list[str]:
    return [c for c in df.columns if c.startswith(prefix)]


def _sites(cell: str) -> list[str]:
    return [x for x in str(cell).split(";") if x]


# =========================================================================== labels

def point_labels(df: pd.DataFrame, keys: list[str]) -> dict[int, str]:
    """A short label per point: its level (oat), its varied values (grid) or its number; parameters
    by short name with their values and units (`report.labels`)."""
    varied = [k for k in keys if df[f"param:{k}"].nunique(dropna=True) > 1]
    names = param_labels(keys + [k for k in dict.fromkeys(df["oat_param"]) if k and k not in keys])
    out = {}
    for _, r in df.iterrows():
        p = int(r["point"])
        if r["design"] == "oat":
            k = r["oat_param"]
            out[p] = "base" if r["oat_level"] == "base" or not k else \
                f"{names[k].name} {r['oat_level']}: {names[k].value(r.get('param:' + k))}"
        elif r["design"] == "grid":
            out[p] = "; ".join(f"{names[k].name} {names[k].value(r['param:' + k])}" for k in varied) or f"point {p}"
        else:
            out[p] = f"point {p}"
    return out


# =========================================================================== one at a time

def tornado_chart(df: pd.DataFrame) -> Chart | None:
    oat = df[df["design"] == "oat"]
    base_rows = oat[(oat["oat_level"] == "base") & oat["has_plan"]]
    if base_rows.empty:
        return None
    global_base = base_rows[base_rows["oat_param"] == ""]
    base_row = (global_base if not global_base.empty else base_rows).iloc[0]
    entries = []
    for key in dict.fromkeys(p for p in oat["oat_param"] if p):
        rows = oat[oat["oat_param"] == key]
        own_base = rows[(rows["oat_level"] == "base") & rows["has_plan"]]
        b = own_base.iloc[0] if not own_base.empty else base_row
        e = {"key": key, "base_tco": float(b["tco_usd"]), "base_value": b.get(f"param:{key}")}
        for level in ("low", "high"):
            r = rows[rows["oat_level"] == level]
            if r.empty:
                e[level] = None
                continue
            r = r.iloc[0]
            e[level] = (r.get(f"param:{key}"), float(r["tco_usd"]) if r["has_plan"] else None,
                        r["status"])
        entries.append(e)
    if not entries:
        return None

    def swing(e) -> float:
        return max([abs(e[lv][1] - e["base_tco"]) for lv in ("low", "high")
                    if e[lv] is not None and e[lv][1] is not None] + [0.0])
    entries.sort(key=swing, reverse=True)
    base = float(base_row["tco_usd"]) / 1e6
    n = len(entries)
    with ch.figure(1.3 + 0.5 * n) as (fig, ax):
        span = max([swing(e) / 1e6 for e in entries] + [1e-9])
        for i, e in enumerate(entries):
            b = e["base_tco"] / 1e6
            for level, color in (("low", "#2f6db5"), ("high", "#e08a1e")):
                if e[level] is None:
                    continue
                value, tco, status = e[level]
                if tco is None:
                    ax.text(b, i + (-0.18 if level == "low" else 0.18), f"{level}: no plan ({status})",
                            va="center", ha="left", fontsize=8, color=ch.LIMIT_COLOR)
                    continue
                d = tco / 1e6 - b
                ax.barh(i + (-0.18 if level == "low" else 0.18), d, left=b, height=0.34, color=color)
                ax.text(b + d + (0.01 if d >= 0 else -0.01) * span, i + (-0.18 if level == "low" else 0.18),
                        f"{'+' if d >= 0 else '−'}{abs(d):,.1f}", va="center",
                        ha="left" if d >= 0 else "right", fontsize=8)
        ax.axvline(base, color="black", lw=1)
        labels = []
        names = param_labels([e["key"] for e in entries])
        for e in entries:
            lab = names[e["key"]]
            lo = lab.value(e["low"][0]) if e["low"] else "-"
            hi = lab.value(e["high"][0]) if e["high"] else "-"
            labels.append(f"{lab.name}\nlow {lo} · base {lab.value(e['base_value'])} · high {hi}")
        ax.set_yticks(range(n), labels, fontsize=8.5)
        ax.set_ylim(n - 0.5, -0.5)
        ax.grid(False, axis="y")
        lo, hi = ax.get_xlim()
        pad = 0.12 * max(hi - lo, 1e-9)
        ax.set_xlim(lo - pad, hi + pad)
        ch.musd_axis(ax, "x", "TCO, M$ (present value)")
        ax.legend(handles=[Patch(color="#2f6db5", label="parameter at its low value"),
                           Patch(color="#e08a1e", label="parameter at its high value"),
                           Line2D([], [], color="black", label=f"base TCO {base:,.1f} M$")],
                  loc="upper center", bbox_to_anchor=(0.5, -0.5 / (1.3 + 0.5 * n) - 0.12), ncol=3)
        svg = ch.svg(fig, "tornado", "Tornado chart")
    rows = []
    for e in entries:
        for level in ("low", "high"):
            if e[level] is not None:
                value, tco, status = e[level]
                rows.append([e["key"], level, number(value), number(e["base_value"]), e["base_tco"], tco,
                             None if tco is None else tco - e["base_tco"], status])
    return Chart(
        "tornado", "Which assumptions move the total cost most (one at a time)",
        "each row moves one parameter to its low (blue) and high (orange) value with all others at "
        "their base; bars show how far the TCO moves from the base (black line), in M$. Longest bars "
        "at the top: the assumptions that matter most.",
        svg, Table(["parameter", "level", "value", "base_value", "base_tco_usd", "tco_usd", "change_usd",
                    "status"], rows))


# =========================================================================== grid

def grid_chart(df: pd.DataFrame, keys: list[str]) -> Chart | None:
    grid = df[df["design"] == "grid"]
    if grid.empty:
        return None
    varied = [k for k in keys if grid[f"param:{k}"].nunique(dropna=True) > 1]
    if not varied:
        return None
    ok = grid[grid["has_plan"]]
    names = param_labels(varied)
    nr, nc = ch.grid_shape(len(varied), 2)
    rows = []
    failed = grid[~grid["has_plan"]]
    with ch.figure(0.9 + 3.0 * nr, nrows=nr, ncols=nc, squeeze=False) as (fig, axes):
        for ax in axes.flat[len(varied):]:
            ax.set_visible(False)
        for ax, key in zip(axes.flat, varied):
            others = [k for k in varied if k != key]
            groups = ok.groupby([f"param:{k}" for k in others], dropna=False) if others else [((), ok)]
            groups = list(groups)
            if len(groups) <= 8:
                for gkey, g in groups:
                    g = g.sort_values(f"param:{key}")
                    gkey = gkey if isinstance(gkey, tuple) else (gkey,)
                    label = "; ".join(f"{names[k].name} {names[k].value(v)}" for k, v in zip(others, gkey)) or "TCO"
                    ax.plot(g[f"param:{key}"], g["tco_usd"] / 1e6, marker="o", ms=4, lw=1.4, label=label)
                title, ncol = ("other parameters held at" if others else None), 1
            else:
                ax.scatter(ok[f"param:{key}"], ok["tco_usd"] / 1e6, s=12, alpha=0.6, color="#2f6db5",
                           label="a point")
                med = ok.groupby(f"param:{key}")["tco_usd"].median() / 1e6
                ax.plot(med.index, med.values, color="black", lw=1.5, label="median over the others")
                title, ncol = None, 2
            if not failed.empty:  # at the foot of the panel: these points have no TCO
                ax.scatter(failed[f"param:{key}"], [0.03] * len(failed), marker="x", color=ch.LIMIT_COLOR,
                           transform=ax.get_xaxis_transform(), clip_on=False, zorder=4,
                           label="no plan (no TCO)")
            if others or not failed.empty or len(groups) > 8:
                ax.legend(fontsize=7.5, title=title, title_fontsize=7.5, loc="upper center",
                          bbox_to_anchor=(0.5, -0.2), ncol=ncol)
            ax.set_xlabel(names[key].axis)
            ch.musd_axis(ax, "y", "TCO, M$ (present value)")
            ax.set_title(f"TCO against {names[key].name}", fontsize=9.5, wrap=True)
        svg = ch.svg(fig, "tco-by-parameter", "TCO against each parameter")
    for _, r in grid.iterrows():
        rows.append([int(r["point"]), *[number(r[f"param:{k}"]) for k in varied],
                     number(r["tco_usd"]) if r["has_plan"] else None, r["status"]])
    return Chart(
        "tco-by-parameter", "How the total cost changes with each parameter (grid)",
        "one panel per parameter varied: the TCO (M$, present value) of every grid point against that "
        "parameter's value; each line holds the other parameters fixed at the values in its legend.",
        svg, Table(["point", *varied, "tco_usd", "status"], rows))


# =========================================================================== Monte Carlo

def mc_charts(df: pd.DataFrame, keys: list[str]) -> list[Chart]:
    mc = df[df["design"] == "mc"]
    ok = mc[mc["has_plan"]]
    if ok.empty:
        return []
    tco = ok["tco_usd"].to_numpy() / 1e6
    pct = {q: float(np.percentile(tco, q)) for q in (10, 50, 90)}
    mean = float(tco.mean())
    bins = int(min(40, max(6, round(math.sqrt(len(tco))))))
    with ch.figure(3.6) as (fig, ax):
        ax.hist(tco, bins=bins, color="#7fa7cf", edgecolor="white")
        for q, style in ((10, ":"), (50, "-"), (90, ":")):
            ax.axvline(pct[q], color="black", ls=style, lw=1.3)
            ax.text(pct[q], ax.get_ylim()[1] * 0.98, f" P{q} {pct[q]:,.1f}", va="top", ha="left", fontsize=8.5)
        ax.axvline(mean, color=ch.OPEX_COLOR, lw=1.3)
        ch.musd_axis(ax, "x", "TCO, M$ (present value)")
        ch.count_axis(ax, "y", "runs")
        ch.integer_axis(ax, "y")
        ax.legend(handles=[Line2D([], [], color="black", label="median (P50)"),
                           Line2D([], [], color="black", ls=":", label="P10 and P90"),
                           Line2D([], [], color=ch.OPEX_COLOR, label=f"mean {mean:,.1f}")], loc="upper right")
        svg = ch.svg(fig, "tco-distribution", "Distribution of the TCO")
    n_fail = len(mc) - len(ok)
    notes = [f"{n_fail} of {len(mc)} runs found no plan and are not in the histogram."] if n_fail else []
    out = [Chart(
        "tco-distribution", "How uncertain the total cost is (Monte Carlo)",
        f"each bar counts the runs (of {len(ok)}) whose TCO falls in its range; 8 runs in 10 lie between "
        "the dotted lines P10 and P90, half lie below the median P50.",
        svg, Table(["statistic", "tco_usd"],
                   [["runs with a plan", len(ok)], ["P10", pct[10] * 1e6], ["median (P50)", pct[50] * 1e6],
                    ["P90", pct[90] * 1e6], ["mean", mean * 1e6], ["lowest", float(tco.min()) * 1e6],
                    ["highest", float(tco.max()) * 1e6]]), notes)]
    varied = [k for k in keys if mc[f"param:{k}"].nunique(dropna=True) > 1]
    if varied:
        nr, nc = ch.grid_shape(len(varied), 3)
        with ch.figure(0.6 + 2.5 * nr, nrows=nr, ncols=nc, squeeze=False) as (fig, axes):
            for ax in axes.flat[len(varied):]:
                ax.set_visible(False)
            names = param_labels(varied)
            for ax, key in zip(axes.flat, varied):
                ax.scatter(ok[f"param:{key}"], tco, s=10, alpha=0.6, color="#2f6db5")
                ax.set_xlabel(names[key].axis, fontsize=8.5)
                ch.musd_axis(ax, "y", "TCO, M$" if ax in axes[:, 0] else "")
            svg = ch.svg(fig, "tco-scatter", "TCO against each sampled parameter")
        out.append(Chart(
            "tco-scatter", "Which sampled assumptions drive the total cost",
            "one dot per run: the TCO (M$, present value) against the value drawn for each parameter; "
            "a clear slope means the parameter drives the cost, a shapeless cloud means it hardly matters.",
            svg, Table(["point", *varied, "tco_usd"],
                       [[int(r["point"]), *[number(r[f"param:{k}"]) for k in varied], float(r["tco_usd"])]
                        for _, r in ok.iterrows()])))
    return out


# =========================================================================== decisions

def _order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows for per-point decision charts: oat as base, then each parameter low/high; grid in order."""
    if (df["design"] == "oat").all():
        level = df["oat_level"].map({"base": 0, "low": 1, "high": 2}).fillna(3)
        first = df["oat_param"].map({p: i for i, p in enumerate(dict.fromkeys(df["oat_param"]))})
        return df.assign(_a=(df["oat_param"] != "").astype(int), _b=first, _c=level).sort_values(
            ["_a", "_b", "_c"]).drop(columns=["_a", "_b", "_c"])
    return df


def sites_chart(df: pd.DataFrame, labels: dict[int, str], cid: str = "sweep-sites") -> Chart | None:
    ok = df[df["has_plan"]]
    if ok.empty:
        return None
    sites = sorted({s for cell in ok["sites_opened"] for s in _sites(cell)})
    if not sites:
        return None
    if len(ok) > MAX_ROWS:
        share = {s: float(np.mean([s in _sites(c) for c in ok["sites_opened"]])) for s in sites}
        order = sorted(sites, key=lambda s: -share[s])
        with ch.figure(1.0 + 0.28 * max(len(order), 3)) as (fig, ax):
            ax.barh(range(len(order)), [100 * share[s] for s in order], color="#2f6db5", height=0.6)
            for i, s in enumerate(order):
                ax.text(100 * share[s] + 1, i, f"{100 * share[s]:.0f} %", va="center", fontsize=8)
            ax.set_yticks(range(len(order)), order)
            ax.set_ylim(max(len(order), 3) - 0.5, -0.5)
            ax.set_xlim(0, 110)
            ax.grid(False, axis="y")
            ax.set_xlabel("% of runs with a plan in which the site is open at the end")
            svg = ch.svg(fig, cid, "How often each site opens")
        return Chart(cid, "Which sites open, and how often",
                     f"bar length is the share of the {len(ok)} runs in which the site is open at the end of "
                     "the plan: 100 % means it opens whatever the assumptions.",
                     svg, Table(["site", "share_of_runs"], [[s, share[s]] for s in order]))
    ordered = _order(ok)
    rows = [labels[int(p)] for p in ordered["point"]]
    matrix = np.array([[1.0 if s in _sites(c) else 0.0 for s in sites] for c in ordered["sites_opened"]])
    changes = [s for j, s in enumerate(sites) if 0 < matrix[:, j].sum() < len(rows)]
    label_in = 0.065 * max(len(r) for r in rows)  # row labels at 8 pt, about 0.065 in a character
    width_in = min(ch.WIDTH_IN, max(4.5, 1.0 + label_in) + 0.34 * len(sites))
    with ch.figure(1.6 + 0.26 * max(len(rows), 3), width_in=width_in) as (fig, ax):
        ax.imshow(matrix, aspect="auto", cmap="Blues", vmin=0, vmax=1.25, interpolation="nearest")
        ax.set_xticks(range(len(sites)), [s + (" *" if s in changes else "") for s in sites],
                      rotation=90, fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set_xticks(np.arange(-0.5, len(sites)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
        ax.grid(False)
        ax.grid(which="minor", color="white", lw=1.2)
        ax.tick_params(which="minor", length=0)
        ax.xaxis.tick_top()
        for sp in ax.spines.values():
            sp.set_visible(False)
        svg = ch.svg(fig, cid, "Sites opened at each point")
    return Chart(
        cid, "Which sites open at each point",
        "one row per point, one column per site: a filled cell means the site is open at the end of the "
        "plan. Sites marked * open at some points and not others: that is where the siting decision changes.",
        svg, Table(["point", "label", *sites],
                   [[int(p), labels[int(p)], *["open" if v else "" for v in row]]
                    for p, row in zip(ordered["point"], matrix)]))


def mix_chart(df: pd.DataFrame, labels: dict[int, str], cid: str = "sweep-mix") -> Chart | None:
    ok = df[df["has_plan"]]
    fams = [(p, t, u, [c for c in family_columns(ok, p) if ok[c].fillna(0).abs().sum() > 0])
            for p, t, u in FAMILIES]
    fams = [f for f in fams if f[3]]
    if ok.empty or not fams:
        return None
    ordered = _order(ok)
    rows = [labels[int(p)] for p in ordered["point"]]
    many = len(ordered) > MAX_ROWS
    nr, nc = ch.grid_shape(len(fams), 2)
    most = max(len(f[3]) for f in fams)
    legend = 0.0 if many else 0.25 + 0.16 * -(-most // 4)
    height = 0.9 + nr * ((0.9 + 0.4 * most) if many else (0.8 + legend + 0.22 * max(len(rows), 3)))
    with ch.figure(height, nrows=nr, ncols=nc, squeeze=False) as (fig, axes):
        for ax in axes.flat[len(fams):]:
            ax.set_visible(False)
        for k, (ax, (prefix, title, unit, cols)) in enumerate(zip(axes.flat, fams)):
            names = [c[len(prefix):] + (" kW" if prefix == "it_mw_by_rack_kw:" else "") for c in cols]
            colors = ch.palette(names)
            if many:
                data = [ordered[c].fillna(0).to_numpy() for c in cols]
                ax.boxplot(data, orientation="horizontal", tick_labels=names, patch_artist=True,
                           boxprops={"facecolor": "#cfe0f1"}, medianprops={"color": "black"},
                           flierprops={"markersize": 3})
                ax.invert_yaxis()
                ch.count_axis(ax, "x", unit)
            else:
                left = np.zeros(len(ordered))
                for c, n in zip(cols, names):
                    v = ordered[c].fillna(0).to_numpy()
                    ax.barh(range(len(rows)), v, left=left, color=colors[n], height=0.7, label=n)
                    left += v
                ax.set_yticks(range(len(rows)), rows if k % nc == 0 else [""] * len(rows), fontsize=7.5)
                ax.set_ylim(max(len(rows), 3) - 0.5, -0.5)
                ch.count_axis(ax, "x", unit)
                ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16 - 0.5 / len(rows)),
                          ncol=min(4, len(names)))
            ax.grid(False, axis="y")
            ax.set_title(title, fontsize=9.5)
        svg = ch.svg(fig, cid, "What is built and bought at each point")
    how = ("each panel is one kind of decision; one row per point (same order as the sites chart), the bar "
           "split by option: where the split changes from row to row, the sweep changes that decision."
           if not many else
           "each panel is one kind of decision; a box spans the middle half of the runs for that option, "
           "the line in it is the median, whiskers and dots show the spread.")
    cols_all = [c for _, _, _, cs in fams for c in cs]
    return Chart(cid, "What gets built and bought across the sweep", how, svg,
                 Table(["point", "label", *cols_all],
                       [[int(r["point"]), labels[int(r["point"])], *[number(r[c]) or 0.0 for c in cols_all]]
                        for _, r in ordered.iterrows()]))


def distinct_designs(df: pd.DataFrame, keys: list[str]) -> Table:
    """Points grouped by the design they produce: sites open, GPU models bought, cooling types built."""
    ok = df[df["has_plan"]]
    gpu_cols = family_columns(ok, "gpus_bought:")
    cool_cols = family_columns(ok, "it_mw_by_cooling:")
    groups: dict[tuple, list] = defaultdict(list)
    for _, r in ok.iterrows():
        sig = (";".join(sorted(_sites(r["sites_opened"]))),
               ", ".join(c.split(":", 1)[1] for c in gpu_cols if (number(r[c]) or 0) > 0),
               ", ".join(c.split(":", 1)[1] for c in cool_cols if (number(r[c]) or 0) > 0))
        groups[sig].append(r)
    varied = [k for k in keys if ok[f"param:{k}"].nunique(dropna=True) > 1] if not ok.empty else []
    names = param_labels(varied)
    rows = []
    for i, (sig, rs) in enumerate(sorted(groups.items(), key=lambda kv: -len(kv[1])), start=1):
        tco = [float(r["tco_usd"]) for r in rs]
        ranges = []
        for k in varied:
            vals = [v for v in (number(r[f"param:{k}"]) for r in rs) if v is not None]
            if vals:
                lab = names[k]
                ranges.append(f"{lab.name} {lab.value(min(vals))}"
                              + (f" to {lab.value(max(vals))}" if max(vals) != min(vals) else ""))
        rows.append([i, len(rs), sig[0].replace(";", ", "), sig[1], sig[2], min(tco), max(tco),
                     "; ".join(ranges), ", ".join(str(int(r["point"])) for r in rs[:30])
                     + (" ..." if len(rs) > 30 else "")])
    return Table(["design", "points", "sites open", "GPU models bought", "cooling built", "lowest TCO, USD",
                  "highest TCO, USD", "parameter values", "point numbers"], rows)


def oat_changes(df: pd.DataFrame) -> Table | None:
    """For one at a time: what each low/high point changes against the base."""
    oat = df[(df["design"] == "oat") & df["has_plan"]]
    base = oat[oat["oat_level"] == "base"]
    if base.empty:
        return None
    b = base.iloc[0]
    fam_cols = [c for p, _, _ in FAMILIES for c in family_columns(df, p)]
    rows = []
    for _, r in oat[oat["oat_level"] != "base"].iterrows():
        opened = sorted(set(_sites(r["sites_opened"])) - set(_sites(b["sites_opened"])))
        closed = sorted(set(_sites(b["sites_opened"])) - set(_sites(r["sites_opened"])))
        moves = []
        for c in fam_cols:
            d = (number(r[c]) or 0.0) - (number(b[c]) or 0.0)
            if abs(d) > 1e-6:
                kind, name = c.split(":", 1)
                unit = "MW" if kind.startswith("it_mw") else "GPUs"
                what = {"gpus_bought": name, "it_mw_by_cooling": f"{name} cooling",
                        "it_mw_by_rack_kw": f"{name} kW racks", "gpus_by_fabric": f"on {name}"}.get(kind, c)
                moves.append((abs(d), f"{what} {'+' if d > 0 else '−'}{abs(d):,.0f} {unit}"))
        moves.sort(reverse=True)
        rows.append([r["oat_param"], r["oat_level"], number(r.get(f"param:{r['oat_param']}")),
                     float(r["tco_usd"]) - float(b["tco_usd"]), ", ".join(opened) or "-", ", ".join(closed) or "-",
                     "; ".join(m for _, m in moves[:5]) or "no change"])
    return Table(["parameter", "level", "value", "TCO change, USD", "sites opened", "sites closed",
                  "largest changes in what is built and bought"], rows)


# =========================================================================== page

def sweep_sections(df: pd.DataFrame) -> list[tuple[str, str, list[Chart], str]]:
    keys = param_keys(df)
    out = []
    designs = list(dict.fromkeys(df["design"]))
    for design in designs:
        part = df[df["design"] == design]
        labels = point_labels(part, keys)
        charts: list[Chart] = []
        extra = ""
        if design == "oat":
            c = tornado_chart(part)
            charts += [c] if c else []
            t = oat_changes(part)
            if t is not None and t.rows:
                extra = ("<h3>What each change does to the design, against the base</h3>"
                         f'<div class="tablewrap">{h.table(t, name="oat-changes")}</div>')
        elif design == "grid":
            c = grid_chart(part, keys)
            charts += [c] if c else []
        elif design == "mc":
            charts += mc_charts(part, keys)
        name = DESIGN_NAMES.get(design, design)
        out.append((f"design-{design}", f"Total cost: {name} ({len(part)} points)", charts, extra))
        decisions = [c for c in (sites_chart(part, labels, f"sites-{design}"),
                                 mix_chart(part, labels, f"mix-{design}")) if c is not None]
        table = distinct_designs(part, keys)
        out.append((f"decisions-{design}", f"Where the decisions change: {name}", decisions,
                    ("<h3>Distinct designs the sweep produced</h3>"
                    "<p>Points grouped by the sites open at the end, the GPU models bought and the cooling "
                    "types built; a new row is a change of decision.</p>"
                    f'<div class="tablewrap">{h.table(table, name=f"designs-{design}")}</div>')))
    return out


def _cards(df: pd.DataFrame, keys: list[str]) -> list[h.Card]:
    ok = df[df["has_plan"]]
    out = [h.Card("Points solved", f"{len(df):,}",
                  f"{len(ok):,} with a plan; designs: "
                  + ", ".join(DESIGN_NAMES.get(d, d) for d in dict.fromkeys(df["design"])))]
    if not ok.empty:
        out.append(h.Card("Total cost of ownership across the sweep",
                          f"{ok['tco_usd'].min() / 1e6:,.1f} to {ok['tco_usd'].max() / 1e6:,.1f} M$",
                          f"present value; median {ok['tco_usd'].median() / 1e6:,.1f} M$"))
    base = ok[(ok["design"] == "oat") & (ok["oat_level"] == "base")]
    if not base.empty:
        out.append(h.Card("Base case TCO", ch.musd(float(base.iloc[0]["tco_usd"])),
                          "every parameter at its base value"))
    names = [lab.name for lab in param_labels(keys).values()]
    out.append(h.Card("Parameters varied", f"{len(keys)}", "; ".join(names[:4]) + (" ..." if len(keys) > 4 else "")))
    return out


def parameters_table(keys: list[str]) -> Table:
    """Each parameter's short name (as the charts say it), what its values are, and its path."""
    return Table(["parameter", "values", "path in the sweep table"],
                 [[lab.name, lab.what or "-", key] for key, lab in param_labels(keys).items()])


def sweep_report_html(df: pd.DataFrame, title: str = "") -> str:
    """The sweep report as one self-contained HTML page."""
    df = normalize(df)
    keys = param_keys(df)
    parts = sweep_sections(df)
    head = f"Sweep report{': ' + title if title else ''}"
    names = "; ".join(lab.name for lab in param_labels(keys).values()) or "none"
    header = [f"<h1>{h.esc(head)}</h1>",
              f'<p class="sub">{len(df):,} points, parameters: {h.esc(names)}</p>',
              h.toc([(a, t.split(" (")[0]) for a, t, _, _ in parts] + [("points", "All points")])]
    body = [h.cards(_cards(df, keys))]
    if keys:
        body.append("<h3>Parameters</h3><p>The charts name each parameter by a short name; its path is "
                    "the column of the sweep table.</p>"
                    f'<div class="tablewrap">{h.table(parameters_table(keys), name="parameters")}</div>')
    failed = df[~df["has_plan"]]
    if not failed.empty:
        body.append(f'<p class="status warn">{len(failed)} point{"s" if len(failed) != 1 else ""} found no plan; '
                    "they are listed below and left out of the charts.</p>")
    for anchor, t, charts_, extra in parts:
        body.append(h.section(anchor, t))
        body += [h.chart(c) for c in charts_]
        if extra:
            body.append(extra)
    body.append(h.section("points", "All points", "The sweep table as read, one row per point."))
    if not failed.empty:
        body.append("<h3>Points without a plan</h3>" + '<div class="tablewrap">' + h.table(Table(
            ["point", "status", "message"], [[int(r["point"]), r["status"], r["message"]]
                                             for _, r in failed.iterrows()]), name="no-plan") + "</div>")
    cols = list(df.columns)
    rows = [[_cell(v) for v in r] for r in df.itertuples(index=False)]
    body.append(f'<details><summary>sweep table: {len(df):,} rows, {len(cols)} columns</summary>'
                f'<div class="tablewrap">{h.table(Table(cols, rows), name="sweep")}</div>'
                + h.download_link("sweep.csv", h.csv_text(cols, [["" if v is None else v for v in r]
                                                                  for r in rows]))
                + "</details>")
    return h.page(head, "".join(header), "\n".join(body),
                  "Made by dcopt from a sweep table. M$ = million US dollars; TCO = total cost of ownership, "
                  "present value.")


def _cell(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v
