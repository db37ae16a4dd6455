"""The scenarios section of a plan report (SPEC 8.8).

- the TCO of each case and the expected TCO, with EVPI and VSS when computed
  (`scenarios.cases[].solution.tco_usd`, `probability`, `expected_tco_usd`, `evpi_usd`, `vss_usd`);
- the shared first stage: the decisions of the years before the reveal (the top-level plan fields
  of a scenario solution);
- each case's fleet and sites, with what each case decides from the reveal year on
  (`scenarios.cases[].solution.years[].active_gpus`, `sites[].built_it_mw`, purchases, ...).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..model.items import item_label
from ..results.solution import CaseResult, Solution
from . import charts as ch
from . import html as h
from . import panels as pn
from .charts import Chart, Table


def case_tco_chart(s: Solution) -> Chart:
    sc = s.scenarios
    cases = sc.cases
    labels = [f"{c.name} (p = {c.probability:g})" for c in cases] + ["expected (probability-weighted)"]
    values = [c.solution.tco_usd or 0.0 for c in cases] + [sc.expected_tco_usd]
    colors = ch.palette(c.name for c in cases)
    with ch.figure(1.1 + 0.42 * len(labels)) as (fig, ax):
        ax.barh(range(len(values)), np.array(values) / 1e6, height=0.6,
                color=[colors[c.name] for c in cases] + [ch.TOTAL_COLOR])
        for i, v in enumerate(values):
            ax.text(v / 1e6, i, f" {v / 1e6:,.1f} M$", va="center", fontsize=8.5)
        pn.rows_axis(ax, labels)
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, 0), hi + 0.15 * (hi - lo))
        ch.musd_axis(ax, "x", "TCO, M$ (present value)")
        svg = ch.svg(fig, "scenario-tco", "TCO per scenario case")
    items = list(dict.fromkeys(k for c in cases for k in c.solution.costs_npv_usd))
    rows = [["probability", "probability of the case", *[c.probability for c in cases], 1.0],
            ["tco_usd", "Total cost of ownership (present value)", *[c.solution.tco_usd for c in cases],
             sc.expected_tco_usd]]
    rows += [[k, item_label(k), *[c.solution.costs_npv_usd.get(k, 0.0) for c in cases], s.costs_npv_usd.get(k, 0.0)]
             for k in items]
    return Chart(
        "scenario-tco", "Total cost in each scenario case, and the expected cost",
        "one bar per case: the TCO of the plan in that future (the shared first stage, then the case's own "
        "decisions); the last bar is the expectation over the cases, what the plan minimises. The table "
        "splits each by cost item (present values, USD).",
        svg, Table(["item", "description", *[c.name for c in cases], "expected"], rows))


def first_stage_rows(s: Solution) -> list[list[object]]:
    """(year, decision, site, what, amount) of the decisions every case shares (before the reveal):
    the top-level plan fields of a scenario solution."""
    rows: list[list[object]] = []
    for x in s.sites:
        if x.open_year is not None and not x.opened_by_existing:
            rows.append([x.open_year, "open site", x.name, x.region, 1])
        rows += [[b.year - x.build_lead_time_years, "build halls", x.name,
                  f"{b.cooling}/{b.rack_kw:g} kW, in service {b.year}", b.blocks] for b in x.blocks if b.year]
    rows += [[p.year, "buy GPUs", p.site, f"{p.gpu} on {p.fabric}, {p.life_years}-year life", p.gpus]
             for p in s.purchases]
    rows += [[r.year, "retire GPUs", r.site, r.gpu, r.gpus] for r in s.retirements]
    mw = {(x.name, u.upgrade): u.mw for x in s.sites for u in x.upgrades}
    rows += [[u.year, "grid upgrade", u.site, f"{u.upgrade} (+{mw.get((u.site, u.upgrade), 0.0):g} MW)", 1]
             for u in s.grid_upgrades]
    rows += [[g.year, "build on-site MW", g.site, g.option, g.mw] for g in s.onsite_builds]
    rows += [[r.year, "light DCI route", r.a, f"to {r.b}", 1] for r in s.routes_lit]
    rows += [[li.year, "install DCI links", li.a, f"{li.optic} to {li.b}", li.links] for li in s.links]
    rows += [[r.year, "rent GPUs", "", r.rental, r.gpus] for r in s.rentals]
    rows += [[j.year, "place job", j.home, f"{j.job}" + (f" on {j.gpu}" if j.gpu else ""), 1]
             for j in s.job_placements]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2]))


def after_reveal_rows(s: Solution) -> list[list[object]]:
    """Per case: what it decides from the reveal year on."""
    reveal = s.scenarios.reveal_year
    out = []
    for c in s.scenarios.cases:
        x = c.solution
        opened = [y.name for y in x.sites if y.open_year is not None and y.open_year >= reveal]
        mw = sum(b.it_mw for y in x.sites for b in y.blocks if b.year is not None and
                 b.year - y.build_lead_time_years >= reveal)
        bought: dict[str, int] = defaultdict(int)
        for p in x.purchases:
            if p.year >= reveal:
                bought[p.gpu] += p.gpus
        rented = sum(r.gpus for r in x.rentals if r.year >= reveal)
        out.append([c.name, c.probability, ", ".join(opened) or "-", mw,
                    ", ".join(f"{g} {n:,}" for g, n in sorted(bought.items())) or "-", sum(bought.values()),
                    sum(g.mw for g in x.onsite_builds if g.year >= reveal),
                    len([u for u in x.grid_upgrades if u.year >= reveal]), rented, x.tco_usd])
    return out


def case_fleet_chart(s: Solution, inst=None) -> Chart:
    cases = s.scenarios.cases
    reveal = s.scenarios.reveal_year
    colors = pn.gpu_colors(cases[0].solution, inst) | {
        g: c for x in cases for g, c in pn.gpu_colors(x.solution, inst).items()}
    models = sorted({g for c in cases for y in c.solution.years for g in y.active_gpus})
    with pn.panel_grid(len(cases), cols=3, sharey=True) as (fig, axes, nc):
        for ax, c in zip(axes, cases):
            years = pn.years_of(c.solution)
            _shade_first_stage(ax, years, reveal)
            bottom = np.zeros(len(years))
            for g in models:
                vals = np.array([y.active_gpus.get(g, 0.0) for y in c.solution.years])
                ax.bar(years, vals, bottom=bottom, width=0.7, color=colors.get(g, ch.MUTED), label=g)
                bottom += vals
            ax.set_title(f"{c.name} (p = {c.probability:g})", fontsize=9.5)
            ch.count_axis(ax, "y", "GPUs running")
            pn.year_axis(ax, years, narrow=nc > 1)
        pn.figure_legend(fig, axes)
        svg = ch.svg(fig, "scenario-fleet", "GPU fleet per scenario case")
    return Chart(
        "scenario-fleet", "The GPU fleet of each scenario case",
        f"one panel per case: GPUs running each year by model; the grey band is the first stage (before "
        f"{reveal}), the same in every case; from {reveal} each case runs its own plan.",
        svg, Table(["case", "year", "gpu", "gpus"], [[c.name, y.year, g, n] for c in cases for y in c.solution.years
                                                      for g, n in sorted(y.active_gpus.items())]))


def case_sites_chart(s: Solution) -> Chart:
    cases = s.scenarios.cases
    reveal = s.scenarios.reveal_year
    colors = pn.site_colors(cases[0].solution)
    sites = [x.name for x in cases[0].solution.sites
             if any(_site(c, x.name).open_year is not None for c in cases)]
    with pn.panel_grid(len(cases), cols=3, sharey=True) as (fig, axes, nc):
        for ax, c in zip(axes, cases):
            years = pn.years_of(c.solution)
            _shade_first_stage(ax, years, reveal)
            bottom = np.zeros(len(years))
            for name in sites:
                vals = np.array(pn.by_year(_site(c, name).built_it_mw, years))
                ax.bar(years, vals, bottom=bottom, width=0.7, color=colors[name], label=name)
                bottom += vals
            ax.set_title(f"{c.name} (p = {c.probability:g})", fontsize=9.5)
            ch.count_axis(ax, "y", "MW of IT capacity built")
            pn.year_axis(ax, years, narrow=nc > 1)
        pn.figure_legend(fig, axes)
        svg = ch.svg(fig, "scenario-sites", "Sites per scenario case")
    rows = [[c.name, name, y, _site(c, name).built_it_mw.get(y, 0.0), _site(c, name).open_year]
            for c in cases for name in sites for y in pn.years_of(c.solution)]
    return Chart(
        "scenario-sites", "The sites of each scenario case: data-hall capacity built",
        f"one panel per case: IT capacity built by site each year; the grey band is the shared first stage "
        f"(before {reveal}); the differences after it are the halls each future builds.",
        svg, Table(["case", "site", "year", "built_it_mw", "open_year"], rows))


def _site(c: CaseResult, name: str):
    return next(x for x in c.solution.sites if x.name == name)


def _shade_first_stage(ax, years: list[int], reveal: int) -> None:
    if years and years[0] < reveal:
        ax.axvspan(years[0] - 0.5, reveal - 0.5, color="#eeeeee", zorder=0, label="first stage (shared)")
        ax.axvline(reveal - 0.5, color="#555555", lw=1, ls="--")


def money(usd: float) -> str:
    """M$ for millions, else whole dollars (an EVPI of a few thousand dollars is not '0.0 M$')."""
    return ch.musd(usd) if abs(usd) >= 1e6 else f"{usd:,.0f} USD"


def value_cards(s: Solution) -> list[h.Card]:
    sc = s.scenarios
    out = [h.Card("Expected total cost (present value)", money(sc.expected_tco_usd),
                  f"over {len(sc.cases)} cases, weighted by their probabilities; the future is known from "
                  f"{sc.reveal_year}")]
    for label, value, what in (
            ("Expected value of perfect information (EVPI)", sc.evpi_usd,
             "what knowing the future in advance would save: the expected TCO less each case solved alone"),
            ("Value of the stochastic solution (VSS)", sc.vss_usd,
             "what planning for the cases saves against planning for the average future")):
        if value is None:
            out.append(h.Card(label, "not computed", f"{what}; dcopt solve --scenario-value computes it"))
        else:
            share = f" ({100 * value / sc.expected_tco_usd:.2g} % of the expected TCO)" if sc.expected_tco_usd else ""
            out.append(h.Card(label, money(value), what + share))
    return out


def scenario_section(s: Solution, inst=None) -> tuple[str, str, list[Chart], str]:
    reveal = s.scenarios.reveal_year
    first = Table(["year", "decision", "site", "what", "amount"], first_stage_rows(s))
    after = Table(["case", "probability", "sites opened", "IT MW ordered", "GPUs bought", "GPUs bought (total)",
                   "on-site MW built", "grid upgrades", "GPU-years rented", "TCO, USD"], after_reveal_rows(s))
    extra = (h.cards(value_cards(s))
             + f"<h3>The shared first stage: decisions before {reveal}</h3>"
             "<p>Every case starts from these decisions (a block with a lead time counts by the year it is "
             "ordered). Elsewhere in this report the fleet, sites and demand charts show this first stage, the "
             "money charts the expectation over the cases.</p>"
             + (f'<div class="tablewrap">{h.table(first, name="scenario-first-stage")}</div>' if first.rows
                else "<p>No decision is taken before the reveal.</p>")
             + f"<h3>What each case decides from {reveal} on</h3>"
             f'<div class="tablewrap">{h.table(after, name="scenario-after-reveal")}</div>')
    charts = [case_tco_chart(s), case_fleet_chart(s, inst), case_sites_chart(s)]
    return ("scenarios", "Scenarios: one plan until the future is known", charts, extra)
