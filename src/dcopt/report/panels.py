"""Plumbing shared by the section-8 panels (jobs, lifecycle, power, supply, scenarios).

A panel builder takes a `Solution` (and an id prefix, so the same panel can be
drawn once per scenario case on one page) and returns a `Chart`, or None when
the solution has nothing for it: a v1.1 solution's report gets none of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..instance.schema import Instance
from ..results.solution import Solution
from . import charts as ch

ONSITE_HATCH = "///"
"""Hatch of on-site (generated) energy and of remote job GPUs: 'not the plain case'."""


def years_of(s: Solution) -> list[int]:
    return [y.year for y in s.years]


def horizon_years(s: Solution) -> list[int]:
    """Every year of the horizon: a scenario solution's own years are its first stage only."""
    whole = s.scenarios.cases[0].solution if s.scenarios is not None and s.scenarios.cases else s
    return years_of(whole)


@contextmanager
def panel_grid(n: int, cols: int = 3, row_in: float = 2.3, top_in: float = 0.8,
               **subplots) -> Iterator[tuple[object, list, int]]:
    """A figure of `n` panels, `cols` to a row; yields (figure, the n axes, columns)."""
    nr, nc = ch.grid_shape(n, cols)
    with ch.figure(top_in + row_in * nr, nrows=nr, ncols=nc, squeeze=False, **subplots) as (fig, axes):
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        yield fig, list(axes.flat[:n]), nc


def figure_legend(fig, axes: Sequence, ncol: int | None = None) -> None:
    """One legend above the panels, each label once."""
    handles, labels = [], []
    for ax in axes:
        for hd, lb in zip(*ax.get_legend_handles_labels()):
            if lb not in labels and not lb.startswith("_"):
                handles.append(hd)
                labels.append(lb)
    if handles:
        fig.legend(handles, labels, loc="outside upper center", ncol=ncol or min(len(labels), 4))


def year_axis(ax, years: Sequence[int], narrow: bool = False) -> None:
    """The house year axis over the whole horizon (bars of a few years stay in place)."""
    ch.year_axis(ax, years, narrow=narrow)
    if years:
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)


def rows_axis(ax, labels: list[str]) -> None:
    """One horizontal bar per label, top to bottom."""
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(False, axis="y")


def by_year(values: dict[int, float], years: Sequence[int]) -> list[float]:
    return [float(values.get(t, 0.0)) for t in years]


def site_colors(s: Solution) -> dict[str, str]:
    """One colour per site, the same in every section-8 panel."""
    return ch.palette(x.name for x in s.sites)


def pct(x: float) -> str:
    return f"{100 * x:.3g} %"


def deployments(s: Solution, inst: Instance | None) -> list:
    """The existing deployments: the Solution's, else the instance's (older solution files)."""
    if s.existing_deployments:
        return list(s.existing_deployments)
    return list(inst.existing.deployments) if inst is not None else []


def existing_running(s: Solution, inst: Instance | None) -> dict[int, dict[int, float]] | None:
    """GPUs running per year of each existing deployment, from the deployment sizes and the
    Solution's retirements; None when the deployments are not known."""
    deps = deployments(s, inst)
    if not deps:
        return None
    out: dict[int, dict[int, float]] = {}
    for e, dep in enumerate(deps):
        running, by_year = float(dep.gpus), {}
        for t in years_of(s):
            running -= sum(r.gpus for r in s.retirements if r.deployment == e and r.year == t)
            if running > 0:
                by_year[t] = running
        out[e] = by_year
    return out


def gpu_colors(s: Solution, inst: Instance | None) -> dict[str, str]:
    """One colour per GPU model, the same in every chart of the report."""
    names = {p.gpu for p in s.purchases} | {r.gpu for r in s.retirements}
    names |= {g for y in s.years for g in y.active_gpus}
    names |= {d.gpu for d in deployments(s, inst)}
    return ch.palette(names)
