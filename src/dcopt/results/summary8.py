"""Sections of the `dcopt solve` summary for the SPEC 8 results: grid upgrades and on-site
generation per site, the supply mix by year, training jobs, DCI routes, and scenario cases
(the shared first stage, each case's TCO and its own decisions after the reveal, EVPI and VSS).

Each function returns lines (empty when the solution has nothing to say there), so a v1.1
solution's summary has none of these sections. Training job lines are those of
`dcopt evaluate` (`evaluation_writers`).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ..instance.schema import Instance
from .solution import SiteResult, Solution
from .supply import SupplyYear, has_hosted_supply, supply_by_year


def musd(usd: float) -> str:
    return f"{usd / 1e6:,.2f} M$"


def num(x: float) -> str:
    """A count or throughput for reading: whole numbers with separators, else 3 significant
    digits (4.68, 0.211), never an exponent."""
    if abs(x - round(x)) < 1e-6 * max(1.0, abs(x)) or abs(x) >= 100:
        return f"{round(x):,}"
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.2g}"


# --------------------------------------------------------------------------- sites

def site_power_lines(s: Solution, site: SiteResult, indent: str = "    ") -> list[str]:
    """Grid upgrades taken and on-site generation built and used at one site."""
    lines = []
    ups = sorted((u for u in s.grid_upgrades if u.site == site.name), key=lambda u: (u.year, u.upgrade))
    if ups and site.grid_limit_mw:
        last = max(site.grid_limit_mw)
        lines.append(f"{indent}grid: {site.max_facility_mw:g} MW, upgrades "
                     + ", ".join(f"{u.upgrade} ({u.year})" for u in ups)
                     + f": {site.grid_limit_mw[last]:g} MW at {last}")
    energy = sum(site.grid_mwh.values()) + sum(site.onsite_mwh.values())
    built: dict[str, list] = defaultdict(list)
    for b in sorted(s.onsite_builds, key=lambda b: b.year):
        if b.site == site.name:
            built[b.option].append(b)
    made: dict[str, dict[int, float]] = defaultdict(dict)
    for g in s.onsite_generation:
        if g.site == site.name and g.mwh > 0:
            made[g.option][g.year] = made[g.option].get(g.year, 0.0) + g.mwh
    for option in list(dict.fromkeys([*built, *made])):
        mw = " + ".join(f"{num(b.mw)} MW ({b.year})" for b in built[option]) or "none built"
        text = f"{indent}on-site {option}: {mw}"
        if made[option]:
            mwh = sum(made[option].values())
            years = sorted(made[option])
            span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
            share = f" ({100 * mwh / energy:.0f} % of the site's energy)" if energy > 0 else ""
            text += f"; {num(mwh)} MWh generated {span}{share}"
        lines.append(text)
    return lines


# --------------------------------------------------------------------------- supply

def supply_lines(s: Solution, instance: Instance | None = None) -> list[str]:
    """A line per year: owned, colocated and rented GPUs and what they delivered (only when the
    instance offers rentals or has colocation sites)."""
    if s.scenarios is not None or not has_hosted_supply(s, instance):
        return []
    rentals = "rental" in s.costs_npv_usd or bool(s.rented)
    colocation = "colocation" in s.costs_npv_usd
    lines = ["", "Supply by year (GPUs installed or rented, and the throughput they delivered):"]
    for x in supply_by_year(s, instance):
        parts = [_supply_part("owned", x.owned_gpus, x.owned_training, x.owned_inference,
                              " (colocated included)" if x.colocated_gpus is None else "")]
        if colocation and x.colocated_gpus is not None:
            parts.append(_supply_part("colocated", x.colocated_gpus, x.colocated_training or 0.0,
                                      x.colocated_inference or 0.0))
        if rentals:
            parts.append(_supply_part("rented", x.rented_gpus, x.rented_training, x.rented_inference,
                                      _rented_offers(s, x)))
        lines.append(f"  {x.year}  " + "; ".join(parts))
    return lines


def _supply_part(what: str, gpus: float, training: float, inference: float, note: str = "") -> str:
    got = [f"{k} {num(v)}" for k, v in (("training", training), ("inference", inference)) if abs(v) > 1e-9]
    return f"{what} {num(gpus)} GPUs{note}" + (f" ({', '.join(got)})" if got else "")


def _rented_offers(s: Solution, x: SupplyYear) -> str:
    offers = [r for r in s.rented if r.year == x.year and r.gpus > 0]
    if len(offers) < 2:
        return f" of {offers[0].gpu} from {offers[0].rental}" if offers else ""
    return " [" + ", ".join(f"{r.rental} {num(r.gpus)} {r.gpu}" for r in offers) + "]"


# --------------------------------------------------------------------------- jobs and routes

def job_lines(s: Solution) -> list[str]:
    """Per training job and year: home, GPU model, GPUs by site with their loss, delivered of
    demand (the lines of `dcopt evaluate`)."""
    if not s.jobs:
        return []
    lines = ["", "Training jobs (home, GPU model; GPUs by site, loss by distance; delivered of demand):"]
    for j in s.jobs:
        at = ", ".join(f"{x.site} {x.gpus:,.4g}" + (f" (-{100 * x.loss:.0f} %)" if x.loss else "")
                       for x in j.sites) or "no GPUs"
        lines.append(f"  {j.year} {j.job}: home {j.home or '-'}, {j.gpu or 'mixed'}; {at}; "
                     f"{j.delivered:,.6g} of {j.demand:,.6g}")
    return lines


def route_lines(s: Solution) -> list[str]:
    """Per DCI route: the year lit, links by optic and year, and its busiest year."""
    if not s.routes:
        return []
    lines = ["", "DCI routes (links by optic and year; busiest year's Gbps used of installed):"]
    for r in s.routes:
        links = sorted((li for li in s.links if {li.a, li.b} == {r.a, r.b}), key=lambda li: (li.year, li.optic))
        text = ", ".join(f"{li.links} x {li.optic} ({li.year})" for li in links) or "no links"
        busy = max(r.years, key=lambda y: y.gbps_used, default=None)
        use = (f"; {num(busy.gbps_used)} of {num(busy.gbps_installed)} Gbps in {busy.year}"
               if busy is not None and busy.gbps_used > 0 else "; unused")
        lit = f"lit {r.lit_year}" if r.lit_year is not None else "not lit"
        lines.append(f"  {r.a} - {r.b} ({r.distance_km:g} km): {lit}; {text}{use}")
    return lines


# --------------------------------------------------------------------------- scenarios

def scenario_lines(s: Solution) -> list[str]:
    """Each case's TCO and its own decisions from the reveal year on; EVPI and VSS when known."""
    sc = s.scenarios
    if sc is None:
        return []
    lines = ["", f"Scenario cases (the plan above is shared; decisions from {sc.reveal_year} on are each case's):"]
    for c in sc.cases:
        lines.append(f"  case {c.name} (probability {c.probability:g}): TCO {musd(c.solution.tco_usd or 0.0)} (NPV)")
        events = case_events(s, c.solution, sc.reveal_year)
        lines += [f"    {y}  {text}" for y, text in events] or ["    no decisions of its own"]
    if sc.evpi_usd is not None:
        lines.append(f"  EVPI {musd(sc.evpi_usd)}: what knowing the case before planning would save "
                     "on average")
    if sc.vss_usd is not None:
        lines.append(f"  VSS {musd(sc.vss_usd)}: what this plan saves over planning for the average case")
    return lines


def case_events(first: Solution, case: Solution, reveal: int) -> list[tuple[str, str]]:
    """The decisions of a case that are its own (not in the shared first stage), by year."""
    ev: list[tuple[int, str, str]] = []  # (sort year, shown year, text)

    def add(year: int, text: str, shown: str | None = None) -> None:
        ev.append((year, shown or str(year), text))

    shared_blocks = {x.name: Counter((b.cooling, b.rack_kw, b.year, b.blocks) for b in x.blocks)
                     for x in first.sites}
    for site in case.sites:
        if site.open_year is not None and not site.opened_by_existing and site.open_year >= reveal:
            add(site.open_year, f"open {site.name}")
        left = Counter(shared_blocks.get(site.name, Counter()))
        for b in site.blocks:
            key = (b.cooling, b.rack_kw, b.year, b.blocks)
            if left[key] > 0:
                left[key] -= 1
            elif b.year is not None:
                add(b.year, f"build {b.blocks} x {b.cooling} @ {b.rack_kw:g} kW at {site.name}")
        for f in site.fabrics:
            if f.year is not None and f.year >= reveal:
                add(f.year, f"fabric {f.fabric} at {site.name}")
    for p in case.purchases:
        if p.year >= reveal:
            add(p.year, f"buy {p.gpus:>6} {p.gpu} at {p.site} ({p.cooling} @ {p.rack_kw:g} kW, {p.fabric}), "
                        f"resold {p.resale_year}")
    for r in case.retirements:
        if r.year >= reveal:
            add(r.year, f"retire {r.gpus:>3} existing {r.gpu} at {r.site}")
    for u in case.grid_upgrades:
        if u.year >= reveal:
            add(u.year, f"grid upgrade {u.upgrade} at {u.site}")
    for g in case.onsite_builds:
        if g.year >= reveal:
            add(g.year, f"on-site {g.option} at {g.site}: {num(g.mw)} MW")
    for r in case.routes_lit:
        if r.year >= reveal:
            add(r.year, f"light route {r.a} - {r.b}")
    for li in case.links:
        if li.year >= reveal:
            add(li.year, f"{li.links} x {li.optic} link{'s' if li.links != 1 else ''} on {li.a} - {li.b}")
    for r in case.rented:
        if r.year >= reveal and r.gpus > 0:
            add(r.year, f"rent {num(r.gpus)} {r.gpu} from {r.rental}")
    for start, end, text in _job_runs([x for x in case.job_placements if x.year >= reveal]):
        add(start, text, str(start) if start == end else f"{start}-{end}")
    return [(shown, text) for _, shown, text in sorted(ev, key=lambda e: e[0])]


def _job_runs(placements) -> list[tuple[int, int, str]]:
    """Job placements merged over consecutive years with the same home, model and remote sites."""
    runs: list[list] = []
    for x in sorted(placements, key=lambda x: (x.job, x.year)):
        where = f"job {x.job} at home {x.home}" + (f" on {x.gpu}" if x.gpu else "") + (
            f", spanning {', '.join(x.remote_sites)}" if x.remote_sites else "")
        if runs and runs[-1][0] == x.job and runs[-1][2] == x.year - 1 and runs[-1][3] == where:
            runs[-1][2] = x.year
        else:
            runs.append([x.job, x.year, x.year, where])
    return [(start, end, where) for _, start, end, where in runs]
