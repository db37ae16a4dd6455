"""Report panels for power and physics (SPEC 8.3, 8.4, 8.6).

- the power stack per site and year: the grid limit as given, the upgrades taken, the on-site MW
  built, against the facility power built and drawn (`sites[].max_facility_mw`, `grid_limit_mw`,
  `upgrades`, `onsite_mw`, `facility_mw`, `facility_drawn_mw`);
- energy and emissions by source, grid or on site, per site and year (`sites[].grid_mwh`,
  `onsite_mwh`, `emissions_t`, `onsite_emissions_t`);
- GPUs per fabric by port speed (`purchases[].port_gbps`, `ports_per_gpu`, and the existing
  deployments').
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..results.solution import SiteResult, Solution
from . import charts as ch
from . import panels as pn
from .charts import Chart, Table

GRID_COLOR = "#f3d3cf"
UPGRADE_COLOR = "#e39a8f"
ONSITE_COLOR = "#8fc79a"
MAX_PANELS = 12


def _upgraded(x: SiteResult) -> bool:
    return bool(x.upgrades) or any(abs(v - x.max_facility_mw) > 1e-9 for v in x.grid_limit_mw.values())


def _generates(x: SiteResult) -> bool:
    return any(v > 0 for v in x.onsite_mw.values()) or any(v > 0 for v in x.onsite_mwh.values())


def power_stack_rows(s: Solution) -> list[list[object]]:
    """Per site (open, or with upgrades or generation) and year: base grid MW, upgrades MW, grid
    limit, on-site MW, power available, facility MW built and drawn, upgrades taken that year."""
    rows = []
    for x in s.sites:
        if x.open_year is None and not _upgraded(x) and not _generates(x):
            continue
        for t in pn.years_of(s):
            limit = x.grid_limit_mw.get(t, x.max_facility_mw)
            onsite = x.onsite_mw.get(t, 0.0)
            taken = ", ".join(f"{u.upgrade} (+{u.mw:g} MW)" for u in x.upgrades if u.year == t)
            rows.append([x.name, t, x.max_facility_mw, limit - x.max_facility_mw, limit, onsite, limit + onsite,
                         x.facility_mw.get(t, 0.0), x.facility_drawn_mw.get(t, 0.0), taken])
    return rows


def power_stack_chart(s: Solution, prefix: str = "") -> Chart | None:
    if not any(_upgraded(x) or _generates(x) for x in s.sites):
        return None
    cid = prefix + "power-stack"
    rows = power_stack_rows(s)
    sites = list(dict.fromkeys(r[0] for r in rows))
    if len(sites) > MAX_PANELS:
        sites = [x.name for x in s.sites if x.name in sites and (_upgraded(x) or _generates(x))][:MAX_PANELS]
    years = pn.years_of(s)
    with pn.panel_grid(len(sites), cols=3, sharex=True) as (fig, axes, nc):
        for i, (ax, site) in enumerate(zip(axes, sites)):
            mine = [r for r in rows if r[0] == site]
            base, up, onsite = (np.array([r[k] for r in mine]) for k in (2, 3, 5))
            ax.bar(years, base, width=0.75, color=GRID_COLOR, label="grid limit as given")
            ax.bar(years, up, bottom=base, width=0.75, color=UPGRADE_COLOR, label="grid upgrades taken")
            ax.bar(years, onsite, bottom=base + up, width=0.75, color=ONSITE_COLOR, label="on-site generation built")
            ax.plot(years, [r[7] for r in mine], color=ch.CAPEX_COLOR, marker="s", ms=3.5, lw=1.5,
                    label="facility power built (IT + cooling)")
            ax.plot(years, [r[8] for r in mine], color="black", marker="o", ms=3, lw=1, ls="--",
                    label="facility power drawn (average)")
            for r in mine:
                if r[9]:
                    ax.annotate(r[9], (r[1], r[6]), xytext=(0, 4), textcoords="offset points", ha="center",
                                fontsize=6.5, rotation=90, va="bottom")
            top = max(max(r[6], r[7], r[8]) for r in mine) or 1.0
            ax.set_ylim(0, top * (1.45 if any(r[9] for r in mine) else 1.15))  # room for the upgrade labels
            ax.set_title(site, fontsize=9.5)
            ax.set_ylabel("MW" if i % nc == 0 else "")
            pn.year_axis(ax, years, narrow=nc > 1)
            ax.tick_params(axis="x", labelbottom=True)
        pn.figure_legend(fig, axes, ncol=3)
        svg = ch.svg(fig, cid, "Power stack by site")
    every = len({r[0] for r in rows})
    notes = [(f"{every} sites: the panels show the {len(sites)} with upgrades or on-site generation; every site "
              "is in the table.")] if len(sites) < every else []
    return Chart(
        cid, "Power at each site: grid limit, upgrades and on-site generation against what is built",
        "the stacked bar is the power a site may build against: its grid limit as given (pale), the grid "
        "upgrades taken by then (red, labelled in the year taken) and on-site generation built (green); the "
        "blue line is the facility power built, which must stay under the bar, the dashed line the power drawn.",
        svg, Table(["site", "year", "base_grid_mw", "upgrades_mw", "grid_limit_mw", "onsite_mw", "available_mw",
                    "facility_mw", "facility_drawn_mw", "upgrades_taken"], rows), notes)


def energy_source_rows(s: Solution) -> list[list[object]]:
    """(site, year, grid MWh, on-site MWh, grid t CO2, on-site t CO2) for open sites."""
    return [[x.name, t, x.grid_mwh.get(t, 0.0), x.onsite_mwh.get(t, 0.0),
             _difference(x.emissions_t.get(t, 0.0), x.onsite_emissions_t.get(t, 0.0)), x.onsite_emissions_t.get(t, 0.0)]
            for x in s.sites if x.open_year is not None for t in pn.years_of(s)]


def _difference(total: float, part: float) -> float:
    """total - part, with the rounding noise of two sums of the same terms taken as 0."""
    rest = total - part
    return 0.0 if abs(rest) <= 1e-9 * max(1.0, abs(total)) else rest


def energy_sources_chart(s: Solution, prefix: str = "") -> Chart | None:
    if not any(_generates(x) for x in s.sites):
        return None
    cid = prefix + "energy-sources"
    rows = energy_source_rows(s)
    years = pn.years_of(s)
    colors = pn.site_colors(s)
    sites = list(dict.fromkeys(r[0] for r in rows))
    with ch.figure(3.6, ncols=2) as (fig, axes):
        for ax, (grid_col, onsite_col, scale, title, label) in zip(axes, (
                (2, 3, 1000.0, "Energy by source", "GWh (thousand MWh)"),
                (4, 5, 1000.0, "CO2 by source", "kt CO2 (thousand tonnes)"))):
            bottom = np.zeros(len(years))
            for site in sites:
                mine = {r[1]: r for r in rows if r[0] == site}
                for col, hatch, what in ((grid_col, None, "grid"), (onsite_col, pn.ONSITE_HATCH, "on site")):
                    vals = np.array([mine[t][col] / scale for t in years])
                    if not vals.any():
                        continue
                    ax.bar(years, vals, bottom=bottom, width=0.75, color=colors[site], edgecolor="white",
                           hatch=hatch, label=f"{site}, {what}")
                    bottom += vals
            ax.set_title(title)
            ch.count_axis(ax, "y", label)
            pn.year_axis(ax, years, narrow=True)
        pn.figure_legend(fig, axes, ncol=min(4, 2 * len(sites)))
        svg = ch.svg(fig, cid, "Energy and emissions by source")
    return Chart(
        cid, "Energy and CO2 by source: the grid or on-site generation",
        "left: each site's facility energy in a year, from the grid (solid) or generated on site (hatched); "
        "right: the CO2 of each, at the grid's carbon intensity and at the generator's.",
        svg, Table(["site", "year", "grid_mwh", "onsite_mwh", "grid_emissions_t", "onsite_emissions_t"], rows))


def port_label(gbps: float | None, ports: int) -> str:
    if gbps is None:
        return f"priced per Gb/s, {ports} port{'s' if ports > 1 else ''}"
    return f"{ports} x {gbps:g}G" if ports > 1 else f"{gbps:g}G"


def fabric_port_rows(s: Solution) -> list[list[object]]:
    """(fabric, port_gbps, ports_per_gpu, GPUs bought, GPUs existing) per fabric and port option."""
    got: dict[tuple[str, float | None, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p in s.purchases:
        got[(p.fabric, p.port_gbps, p.ports_per_gpu)][0] += p.gpus
    for d in s.existing_deployments:
        got[(d.fabric, d.port_gbps, d.ports_per_gpu)][1] += d.gpus
    return [[f, g, n, a, b] for (f, g, n), (a, b) in sorted(got.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))]


def fabric_ports_chart(s: Solution, prefix: str = "") -> Chart | None:
    if not any(p.port_gbps is not None for p in [*s.purchases, *s.existing_deployments]):
        return None
    cid = prefix + "fabric-ports"
    rows = fabric_port_rows(s)
    fabrics = list(dict.fromkeys(r[0] for r in rows))
    options = list(dict.fromkeys(port_label(r[1], r[2]) for r in rows))
    colors = ch.palette(options)
    with ch.figure(1.2 + 0.36 * len(fabrics)) as (fig, ax):
        left = np.zeros(len(fabrics))
        for r in rows:
            i, label = fabrics.index(r[0]), port_label(r[1], r[2])
            for n, hatch, what in ((r[3], None, "bought"), (r[4], "///", "existing")):
                if n:
                    ax.barh(i, n, left=left[i], color=colors[label], edgecolor="white", hatch=hatch, height=0.6,
                            label=f"{label}, {what}")
                    left[i] += n
        pn.rows_axis(ax, fabrics)
        ch.count_axis(ax, "x", "GPUs (bought over the plan, and existing)")
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
        ch.legend_right(ax, list(uniq.values()), list(uniq), title="ports per GPU x speed")
        svg = ch.svg(fig, cid, "GPUs per fabric by port speed")
    return Chart(
        cid, "GPUs on each network fabric, by port speed",
        "bar length is the GPUs on a fabric, split by the port option they use: a fabric priced per port gives "
        "each GPU its slowest port at least as fast as the GPU's NIC, times the GPU's ports; hatched: GPUs "
        "there before the plan.",
        svg, Table(["fabric", "port_gbps", "ports_per_gpu", "gpus_bought", "gpus_existing"], rows))
