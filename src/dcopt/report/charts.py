"""Chart plumbing: matplotlib figures rendered to inline SVG, one house style.

Figures are built with matplotlib's object API (`Figure`, never pyplot), so
building a report changes no global backend or state of the caller. Text is
drawn as paths, so a chart looks the same in every browser with no font
installed; ids inside each SVG get a per-chart prefix so several charts can be
inlined in one HTML page.
"""

from __future__ import annotations

import colorsys
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import matplotlib
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

WIDTH_IN = 10.0
"""Width of a full-width chart, inches (72 pt each: 720 pt, about 960 CSS px)."""

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.8,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "dcopt-report",
    "figure.facecolor": "white",
}

CAPEX_COLOR = "#1f4e79"
OPEX_COLOR = "#e08a1e"
CREDIT_COLOR = "#2e8b57"
COST_COLOR = "#b03a2e"
TOTAL_COLOR = "#1f4e79"
LIMIT_COLOR = "#c0392b"
MUTED = "#8c8c8c"

_PALETTE = [to_hex(c) for i, c in enumerate(matplotlib.colormaps["tab10"].colors) if i != 7] + [
    to_hex(c) for c in matplotlib.colormaps["Dark2"].colors
] + [to_hex(c) for c in matplotlib.colormaps["tab20b"].colors]
"""Category colours: tab10 without its grey (grey is kept for 'other' and limits), then more."""


@dataclass
class Table:
    """Numbers behind a chart: a header and rows of raw values (formatted when shown)."""

    header: list[str]
    rows: list[list[object]]


@dataclass
class Chart:
    """A chart of the report: an id (the HTML anchor), a plain title, a one-line
    'how to read', the SVG and the numbers it draws."""

    id: str
    title: str
    how_to_read: str
    svg: str
    table: Table | None = None
    notes: list[str] = field(default_factory=list)


def palette(names: Iterable[str]) -> dict[str, str]:
    """A stable colour for each name (sorted, so the same set maps the same way)."""
    return {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(sorted(set(names), key=str))}


def shade(color: str, i: int, n: int) -> str:
    """The i-th of n shades of `color`, darkest first (older vintages darker)."""
    if n <= 1:
        return color
    h, lum, s = colorsys.rgb_to_hls(*to_rgb(color))
    lo, hi = max(0.22, lum - 0.15), min(0.82, lum + 0.25)
    return to_hex(colorsys.hls_to_rgb(h, lo + (hi - lo) * i / (n - 1), s))


@contextmanager
def figure(height_in: float, width_in: float = WIDTH_IN, **subplots) -> Iterator[tuple[Figure, object]]:
    """A Figure in the house style with `subplots(**subplots)` axes (constrained layout)."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
        axes = fig.subplots(**subplots)
        yield fig, axes


def svg(fig: Figure, chart_id: str, title: str) -> str:
    """`fig` as an inline SVG element: ids prefixed, scaled to its container."""
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    ids = set(re.findall(r'\sid="([^"]+)"', text))
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id) + "-"

    def rename(m: re.Match) -> str:
        return m.group(1) + (prefix + m.group(2) if m.group(2) in ids else m.group(2))

    text = re.sub(r'(\sid="|href="#|url\(#)([^")]+)', rename, text)
    width_pt = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', text)
    natural = f"max-width:{float(width_pt.group(1)) * 4 / 3:.0f}px;" if width_pt else ""
    text = re.sub(r'(<svg[^>]*?)\swidth="[^"]*"\sheight="[^"]*"',
                  lambda m: (f'{m.group(1)} width="100%" role="img" aria-label="{_attr(title)}" '
                             f'style="{natural}height:auto;display:block"'),
                  text, count=1)
    return text.strip()


def message_svg(chart_id: str, title: str, message: str) -> str:
    """A small chart that says there is nothing to draw (so every chart of a report is present)."""
    with figure(1.1) as (fig, ax):
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555555",
                transform=ax.transAxes)
        return svg(fig, chart_id, title)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# --------------------------------------------------------------------------- axes helpers

class TickFormatter(Formatter):
    """Tick labels with thousands separators and as many decimals as the ticks' spacing needs
    (ticks 79.5, 80, 80.5 read 79.5, 80.0, 80.5, never 80, 80, 80): no two ticks round to one
    label, no label rounds into another value. No offset, no scientific notation."""

    ticks: Sequence[float] = ()

    def set_locs(self, locs: Sequence[float]) -> None:  # the axis's ticks, before they are labelled
        self.ticks = list(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = f"{x:,.{tick_decimals([*self.ticks, x])}f}"
        return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def tick_decimals(values: Sequence[float], most: int = 9) -> int:
    """The fewest decimals that write every value exactly (to 1e-6 of its last digit)."""
    for d in range(most):
        if all(abs(v * 10**d - round(v * 10**d)) < 1e-6 * max(1.0, abs(v * 10**d)) for v in values
               if math.isfinite(v)):
            return d
    return most


def musd_axis(ax, axis: str = "y", label: str = "M$ (millions of US dollars)") -> None:
    """Label an axis holding M$ values (`TickFormatter`)."""
    count_axis(ax, axis, label)


def count_axis(ax, axis: str = "y", label: str = "") -> None:
    """Label an axis of plain numbers (`TickFormatter`)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(TickFormatter())
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def year_axis(ax, years: Sequence[int], axis: str = "x", labels: dict[int, str] | None = None,
              narrow: bool = False) -> None:
    """Integer year ticks (at most ~16 labels), turned upright when many or when the axes are narrow."""
    years = list(years)
    step = max(1, -(-len(years) // 16))
    shown = years[::step]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_ticks(shown)
    target.set_ticklabels([(labels or {}).get(y, str(y)) for y in shown])
    if axis == "x":
        ax.grid(False, axis="x")
        crowded = len(shown) > (6 if narrow else 10)
        ax.tick_params(axis="x", labelsize=8 if crowded else 9, rotation=90 if crowded else 0)


def integer_axis(ax, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def legend_right(ax, handles=None, labels=None, title: str | None = None, ncol: int = 1) -> None:
    """A legend outside the plot, on its right."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), title=title,
                  ncol=ncol, title_fontsize=8.5, borderaxespad=0.0)


def musd(usd: float | None, digits: int = 1) -> str:
    """'1,234.5 M$'."""
    if usd is None:
        return "n/a"
    return f"{usd / 1e6:,.{digits}f} M$"


def grid_shape(n: int, max_cols: int = 4) -> tuple[int, int]:
    cols = min(max_cols, max(1, n))
    return -(-n // cols), cols
