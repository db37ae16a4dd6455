"""Report panels for training jobs and DCI routes (SPEC 8.1).

- job placement: per job and year, the GPUs at the home site and at each remote site, with the
  throughput lost by distance (`Solution.jobs`);
- training throughput by job against demand (`years[].job_demand`, `job_delivered`, and
  `jobs` for the home / remote split);
- DCI routes: Gb/s installed against Gb/s used, per route and year (`Solution.routes`).
"""

from __future__ import annotations

from collections import defaultdict

from ..results.solution import JobYearResult, Solution
from . import charts as ch
from . import panels as pn
from .charts import Chart, Table


def _by_job(s: Solution) -> dict[str, list[JobYearResult]]:
    out: dict[str, list[JobYearResult]] = defaultdict(list)
    for j in sorted(s.jobs, key=lambda j: (j.job, j.year)):
        out[j.job].append(j)
    return dict(out)


def job_placement_chart(s: Solution, prefix: str = "") -> Chart | None:
    jobs = _by_job(s)
    if not jobs:
        return None
    cid = prefix + "job-placement"
    colors = pn.site_colors(s)
    years = pn.years_of(s)
    with pn.panel_grid(len(jobs), cols=2, row_in=2.8) as (fig, axes, nc):
        for ax, (job, rows) in zip(axes, jobs.items()):
            for r in rows:
                bottom, losses = 0.0, []
                for x in sorted(r.sites, key=lambda x: (x.site != r.home, x.site)):
                    remote = x.site != r.home
                    ax.bar(r.year, x.gpus, bottom=bottom, width=0.7, color=colors[x.site], edgecolor="white",
                           hatch=pn.ONSITE_HATCH if remote else None,
                           label=f"{x.site}{' (remote)' if remote else ' (home)'}")
                    bottom += x.gpus
                    if remote:
                        losses.append(f"{x.site} −{pn.pct(x.loss)}")
                if losses:
                    ax.text(r.year, bottom, "\n".join(losses), ha="center", va="bottom", fontsize=7, color="#333333")
            models = "/".join(dict.fromkeys(r.gpu for r in rows if r.gpu))
            ax.margins(y=0.2)
            ax.set_title(f"Job {job}" + (f" (GPU {models})" if models else ""), fontsize=9.5)
            ch.count_axis(ax, "y", "GPUs serving the job")
            pn.year_axis(ax, years, narrow=nc > 1)
        pn.figure_legend(fig, axes)
        svg = ch.svg(fig, cid, "Where each training job runs")
    rows_out = [[r.job, r.year, r.demand, r.home, r.gpu or "", x.site, "home" if x.site == r.home else "remote",
                 x.gpus, x.loss, x.delivered] for rows in jobs.values() for r in rows for x in r.sites]
    return Chart(
        cid, "Where each training job runs: home site, remote sites and their GPUs",
        "one panel per training job: each bar is a year's cluster, split by the site its GPUs sit at; the "
        "home site is solid, remote sites (linked to the home over DCI fibre) are hatched, and above the bar "
        "is the share of each remote site's throughput lost to distance. The title gives the job's GPU model.",
        svg, Table(["job", "year", "demand", "home", "gpu", "site", "role", "gpus", "loss", "delivered"], rows_out))


def job_throughput_rows(s: Solution) -> list[list[object]]:
    """(year, job, demand, delivered, delivered at home, delivered remote) for every job and year."""
    split: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in s.jobs:
        for x in r.sites:
            split[(r.job, r.year)][0 if x.site == r.home else 1] += x.delivered
    names = list(dict.fromkeys(j for y in s.years for j in y.job_demand))
    return [[y.year, j, y.job_demand.get(j, 0.0), y.job_delivered.get(j, 0.0), *split[(j, y.year)]]
            for j in names for y in s.years]


def job_throughput_chart(s: Solution, unit_label: str, prefix: str = "") -> Chart | None:
    rows = job_throughput_rows(s)
    if not s.jobs or not rows:
        return None
    cid = prefix + "job-throughput"
    names = list(dict.fromkeys(r[1] for r in rows))
    years = pn.years_of(s)
    with pn.panel_grid(len(names), cols=3, row_in=2.8) as (fig, axes, nc):
        for i, (ax, job) in enumerate(zip(axes, names)):
            mine = [r for r in rows if r[1] == job]
            home = [r[4] for r in mine]
            ax.bar(years, home, width=0.7, color="#7fa7cf", label="delivered at the home site")
            ax.bar(years, [r[5] for r in mine], bottom=home, width=0.7, color="#7fa7cf", edgecolor="white",
                   hatch=pn.ONSITE_HATCH, label="delivered at remote sites (after the distance loss)")
            ax.plot(years, [r[2] for r in mine], color="black", marker="o", ms=3.5, lw=1.3, label="demand")
            ax.margins(y=0.12)
            ax.set_title(f"Job {job}", fontsize=9.5)
            ch.count_axis(ax, "y", unit_label if i % nc == 0 else "")
            pn.year_axis(ax, years, narrow=nc > 1)
        pn.figure_legend(fig, axes, ncol=3)
        svg = ch.svg(fig, cid, "Training throughput by job")
    return Chart(
        cid, "Training throughput of each job against its demand",
        "bars are the throughput each job gets (home site solid, remote sites hatched, net of the distance "
        "loss), the black line its demand; a job is served by its own cluster, not by the training pool.",
        svg, Table(["year", "job", "demand", "delivered", "delivered_home", "delivered_remote"], rows))


def dci_routes_chart(s: Solution, prefix: str = "") -> Chart | None:
    if not s.routes:
        return None
    cid = prefix + "dci-routes"
    years = pn.years_of(s)
    optics = sorted({o for r in s.routes for y in r.years for o in y.links})
    with pn.panel_grid(len(s.routes), cols=3) as (fig, axes, nc):
        for i, (ax, r) in enumerate(zip(axes, s.routes)):
            ax.bar([y.year for y in r.years], [y.gbps_installed for y in r.years], width=0.7, color="#cfe0f1",
                   edgecolor="#7fa7cf", label="Gb/s installed (links)")
            ax.plot([y.year for y in r.years], [y.gbps_used for y in r.years], color=ch.CAPEX_COLOR, marker="o",
                    ms=3.5, lw=1.5, label="Gb/s used by remote job GPUs")
            for y in r.years:
                text = "\n".join(f"{n:g} x {o}" for o, n in sorted(y.links.items()) if n)
                if text:
                    ax.annotate(text, (y.year, y.gbps_installed), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=6.5)
            if r.lit_year is not None:
                ax.axvline(r.lit_year - 0.45, color=ch.MUTED, ls=":", lw=1, label="route lit")
            top = max([y.gbps_installed for y in r.years] + [y.gbps_used for y in r.years] + [1.0])
            ax.set_ylim(0, top * 1.3)
            ax.set_title(f"{r.a} - {r.b} ({r.distance_km:,.0f} km)", fontsize=9.5)
            ch.count_axis(ax, "y", "Gb/s" if i % nc == 0 else "")
            pn.year_axis(ax, years, narrow=nc > 1)
        pn.figure_legend(fig, axes, ncol=3)
        svg = ch.svg(fig, cid, "DCI routes: bandwidth used against installed")
    rows = [[r.a, r.b, r.distance_km, r.lit_year, y.year, *[y.links.get(o, 0) for o in optics], y.gbps_installed,
             y.gbps_used] for r in s.routes for y in r.years]
    return Chart(
        cid, "Data-centre interconnect: bandwidth used against installed, per route",
        "one panel per fibre route between two sites: bars are the Gb/s of the ZR links installed by then "
        "(labelled with the links by optic), the line the Gb/s the job GPUs at the far end use; the dotted "
        "line marks the year the route is lit. Links never retire.",
        svg, Table(["a", "b", "distance_km", "lit_year", "year", *[f"links:{o}" for o in optics], "gbps_installed",
                    "gbps_used"], rows))
