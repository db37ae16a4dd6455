"""The report of one solved plan: headline figures, charts and the CSV tables.

Everything drawn is a field of the `Solution` or a sum or ratio of its fields;
the optional instance only adds labels (discount rate, hall size) and the
purchase years of existing GPUs, which the Solution does not carry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Patch

from ..instance.schema import Instance
from ..model.items import COST_ITEMS, item_label
from ..results.solution import Solution
from ..results.writers import csv_tables
from . import charts as ch
from . import html as h
from . import lifecycle
from .charts import Chart, Table
from .panels import deployments as _deployments
from .panels import existing_running, gpu_colors, horizon_years

MAX_TIMELINE_ROWS = 40
"""Above this many purchases, the refresh timeline combines purchases across sites."""


def throughput_unit(solution: Solution, instance: Instance | None = None) -> str | None:
    """'H100-equivalent' when the instance says its demand is in H100-equivalents, else None."""
    texts = [solution.instance_name]
    if instance is not None:
        texts += [instance.name, instance.catalog.description]
    return "H100-equivalent" if any("h100-equivalent" in t.lower() for t in texts) else None


def _per_unit_label(unit: str | None) -> str:
    return f"USD per {unit}-year of delivered throughput" if unit else \
        "USD per unit of throughput-year delivered"


def _units(unit: str | None) -> str:
    return f"throughput ({unit}s)" if unit else "throughput (units of the instance's demand)"


def _check_instance(solution: Solution, instance: Instance) -> None:
    whole = solution.scenarios.cases[0].solution if solution.scenarios and solution.scenarios.cases else solution
    years = [y.year for y in whole.years]  # a scenario solution's own years are the first stage
    if instance.name != solution.instance_name or (years and years != list(instance.years)):
        raise ValueError(
            f"the instance ({instance.name!r}, {instance.years[0]}-{instance.years[-1]}) is not the one "
            f"this solution was solved for ({solution.instance_name!r}); give the matching instance "
            "or none")


# =========================================================================== summary figures

class Figures:
    """The headline figures: sums and ratios of Solution fields."""

    def __init__(self, s: Solution):
        # with scenarios: throughput, energy and emissions are expectations over the cases (like the
        # TCO); what is built and bought is the shared first stage (the Solution's own years)
        cases = [(c.probability, c.solution) for c in s.scenarios.cases] if s.scenarios else [(1.0, s)]
        self.years = [y.year for y in cases[0][1].years]
        self.start, self.end = (self.years[0], self.years[-1]) if self.years else (None, None)
        self.tco = s.tco_usd or 0.0
        self.end_values = s.end_of_horizon_usd()  # credit items of the registry at end_year + 1
        self.delivered = sum(p * sum(y.training_delivered + sum(y.inference_delivered.values())
                                     + sum(y.job_delivered.values()) for y in x.years) for p, x in cases)
        self.per_unit = self.tco / self.delivered if self.delivered > 0 else None
        last = self.built_by = s.years[-1].year if s.years else None
        opened = [x for x in s.sites if x.open_year is not None]
        self.sites_opened = len(opened)
        self.it_mw = sum(x.built_it_mw.get(last, 0.0) for x in s.sites)
        self.facility_mw = sum(x.facility_mw.get(last, 0.0) for x in s.sites)
        self.grid_mw = sum(x.grid_limit_mw.get(last, x.max_facility_mw) for x in opened)
        self.gpus_bought = sum(p.gpus for p in s.purchases)
        by_model: dict[str, int] = defaultdict(int)
        for p in s.purchases:
            by_model[p.gpu] += p.gpus
        self.gpus_by_model = dict(sorted(by_model.items(), key=lambda kv: -kv[1]))
        self.emissions_t = sum(p * sum(y.emissions_t for y in x.years) for p, x in cases)
        self.energy_mwh = sum(p * sum(y.energy_mwh for y in x.years) for p, x in cases)


def _cards(s: Solution, f: Figures, inst: Instance | None, unit: str | None) -> list[h.Card]:
    span = f"{f.start}-{f.end}" if f.start != f.end else f"{f.start}"
    r = s.discount_rate if s.discount_rate is not None else (
        inst.finance.discount_rate if inst is not None else None)
    rate = (f", discounted to {f.start} at {100 * r:g} % a year" if r is not None
            else f", discounted to {f.start}")
    models = "; ".join(f"{g} {n:,}" for g, n in list(f.gpus_by_model.items())[:3])
    more = len(f.gpus_by_model) - 3
    unit_years = f"{unit}-years" if unit else "throughput-years"
    first = " (first stage, shared by every case)" if s.scenarios else ""
    rate += f"; expected over {len(s.scenarios.cases)} scenario cases" if s.scenarios else ""
    out = [
        h.Card("Total cost of ownership (present value)", ch.musd(f.tco),
               f"all costs {span} less resale and remaining values{rate}"),
        h.Card("TCO before end-of-horizon values", ch.musd(f.tco - f.end_values),
               f"the TCO without the {ch.musd(-f.end_values)} that come back in "
               f"{(f.end or 0) + 1}: GPUs resold or valued at the end and the facilities' "
               "remaining value (present value)"),
        h.Card(_per_unit_label(unit), "n/a" if f.per_unit is None else f"{f.per_unit:,.0f} USD",
               f"TCO / {f.delivered:,.0f} {unit_years} of training and inference delivered, {span}"),
        h.Card("Data-hall capacity built", f"{f.it_mw:,.0f} MW IT",
               f"{f.facility_mw:,.1f} MW with cooling, at {f.sites_opened} site"
               f"{'s' if f.sites_opened != 1 else ''} (grid limits {f.grid_mw:,.0f} MW), by {f.built_by}{first}"),
        h.Card("GPUs bought", f"{f.gpus_bought:,}",
               ((models + (f"; {more} more models" if more > 0 else "")) or "none") + first),
        h.Card("CO2 emitted", f"{f.emissions_t / 1000:,.1f} kt",
               f"thousand tonnes over {span}, from {f.energy_mwh / 1000:,.0f} GWh of electricity"),
    ]
    if s.status == "optimal":
        out.append(h.Card("How good is this plan", "optimal",
                          f"proven within {100 * (s.mip_gap or 0):.2g} % of the lowest possible TCO"))
    else:
        out.append(h.Card("How good is this plan", f"within {100 * (s.mip_gap or 0):.1f} %",
                          "of the lowest possible TCO (the solver stopped early: "
                          f"{s.message})"))
    return out


# =========================================================================== money

def waterfall_chart(s: Solution) -> Chart:
    items = [(k, v) for k, v in s.costs_npv_usd.items() if abs(v) >= 0.5]
    zero = [k for k, v in s.costs_npv_usd.items() if abs(v) < 0.5]
    costs = sorted([x for x in items if x[1] > 0], key=lambda kv: -kv[1])
    credits = sorted([x for x in items if x[1] < 0], key=lambda kv: kv[1])
    ordered = costs + credits
    tco = s.tco_usd or 0.0
    rows, cum = [], 0.0
    for k, v in ordered:
        rows.append([k, item_label(k), v, cum + v])
        cum += v
    n = len(ordered) + 1
    with ch.figure(0.9 + 0.36 * n) as (fig, ax):
        start = 0.0
        labels = []
        for i, (k, v) in enumerate(ordered):
            left, width = (start, v) if v >= 0 else (start + v, -v)
            ax.barh(i, width / 1e6, left=left / 1e6, color=ch.COST_COLOR if v > 0 else ch.CREDIT_COLOR,
                    height=0.62)
            if i + 1 < n:
                ax.plot([(start + v) / 1e6] * 2, [i + 0.31, i + 0.69], color=ch.MUTED, lw=0.8)
            labels.append(item_label(k))
            start += v
        ax.barh(n - 1, tco / 1e6, color=ch.TOTAL_COLOR, height=0.62)
        labels.append("Total cost of ownership")
        span = max([abs(r[3]) for r in rows] + [abs(tco), 1.0]) / 1e6
        for i, (k, v) in enumerate(ordered):
            end = rows[i][3] / 1e6
            x = max(end, end - v / 1e6) + 0.01 * span
            ax.text(x, i, f"{'+' if v > 0 else '−'}{abs(v) / 1e6:,.1f}", va="center", fontsize=8.5)
        ax.text(max(tco / 1e6, 0) + 0.01 * span, n - 1, f"{tco / 1e6:,.1f} M$", va="center",
                fontsize=9, fontweight="bold")
        ax.set_yticks(range(n), labels)
        ax.invert_yaxis()
        ax.grid(False, axis="y")
        ax.axvline(0, color="#555555", lw=0.8)
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo, hi + 0.08 * (hi - lo))
        ch.musd_axis(ax, "x", "M$ (millions of US dollars, present value)")
        ax.legend(handles=[Patch(color=ch.COST_COLOR, label="adds to the cost"),
                           Patch(color=ch.CREDIT_COLOR, label="money back (credit)"),
                           Patch(color=ch.TOTAL_COLOR, label="total")], loc="lower right")
        svg = ch.svg(fig, "tco-waterfall", "TCO by cost item")
    notes = [f"Items of zero cost in this plan: {', '.join(item_label(k) for k in zero)}."] if zero else []
    return Chart(
        "tco-waterfall", "What makes up the total cost (present value)",
        "each bar starts where the previous one ended: red items add cost, green items are money back "
        "(resale, remaining value); the blue bar is the total. Present value: every year's amount "
        "discounted to the plan's first year.",
        svg, Table(["item", "description", "npv_usd", "running_total_usd"], rows), notes)


def spend_chart(s: Solution) -> Chart:
    years = [y.year for y in s.years]
    capex = np.array([y.capex_usd for y in s.years]) / 1e6
    opex = np.array([y.opex_usd for y in s.years]) / 1e6
    with ch.figure(3.4) as (fig, ax):
        ax.bar(years, capex, color=ch.CAPEX_COLOR, label="investment (capex)", width=0.7)
        ax.bar(years, opex, bottom=capex, color=ch.OPEX_COLOR, label="running costs (opex)", width=0.7)
        for x, c, o in zip(years, capex, opex):
            ax.text(x, c + o, f"{c + o:,.0f}", ha="center", va="bottom", fontsize=8.5)
        ax.margins(y=0.12)
        ch.year_axis(ax, years)
        ch.musd_axis(ax, "y", "M$ (nominal, not discounted)")
        ch.legend_right(ax)
        svg = ch.svg(fig, "spend-by-year", "Spending by year")
    return Chart(
        "spend-by-year", "Spending each year: investment and running costs",
        "bar height is the year's spending in that year's dollars (not discounted), split into "
        "investment (buildings, GPUs, network) and running costs (electricity, staff, maintenance); "
        "money back from resale comes after the last year, in the next chart.",
        svg, Table(["year", "capex_usd", "opex_usd", "total_usd"],
                   [[y.year, y.capex_usd, y.opex_usd, y.capex_usd + y.opex_usd] for y in s.years]))


def cashflow_chart(s: Solution) -> Chart:
    plan_years = [y.year for y in s.years]
    years = sorted({*plan_years, *(y for v in s.costs_nominal_usd.values() for y in v)})
    end = plan_years[-1] if plan_years else None
    items = [k for k, v in s.costs_nominal_usd.items() if any(abs(x) >= 0.5 for x in v.values())]
    colors = {k: c for k, c in zip(COST_ITEMS, ch._PALETTE)}
    colors.update({k: ch._PALETTE[(len(COST_ITEMS) + i) % len(ch._PALETTE)]
                   for i, k in enumerate(k for k in items if k not in colors)})
    with ch.figure(4.0) as (fig, ax):
        pos = np.zeros(len(years))
        neg = np.zeros(len(years))
        for k in items:
            vals = np.array([s.costs_nominal_usd[k].get(y, 0.0) for y in years]) / 1e6
            bottom = np.where(vals >= 0, pos, neg)
            ax.bar(years, vals, bottom=bottom, color=colors[k], label=item_label(k), width=0.7)
            pos += np.clip(vals, 0, None)
            neg += np.clip(vals, None, 0)
        net = pos + neg
        ax.plot(years, net, color="black", marker="o", ms=4, lw=1.2, label="net cash out")
        ax.axhline(0, color="#555555", lw=0.8)
        labels = {y: (f"{y} end value" if len(years) > 10 else f"{y}\nend value")
                  for y in years if end is not None and y > end}
        ch.year_axis(ax, years, labels=labels)
        ax.margins(y=0.08)
        ch.musd_axis(ax, "y", "M$ (nominal, not discounted)")
        ch.legend_right(ax)
        svg = ch.svg(fig, "cash-by-item", "Cash flows by cost item")
    return Chart(
        "cash-by-item", "Cash out and money back, by cost item and year",
        "bars above zero are money spent, bars below zero are money back; the last column is the value "
        "recovered after the plan ends (GPUs resold, buildings' remaining value); the black line is the "
        "year's net. Not discounted: the total cost above is these amounts discounted to the plan's first "
        "year.",
        svg, Table(["item", *[str(y) for y in years]],
                   [[k, *[s.costs_nominal_usd[k].get(y, 0.0) for y in years]] for k in s.costs_nominal_usd]))


# =========================================================================== fleet

def fleet_segments(s: Solution, inst: Instance | None = None) -> dict[tuple[str, object], dict[int, float]]:
    """GPUs running by (model, vintage) and year. Vintage: the purchase year, 'existing' for GPUs
    there before the plan (their purchase year when the instance is given)."""
    years = [y.year for y in s.years]
    segs: dict[tuple[str, object], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    bought: dict[tuple[str, int], float] = defaultdict(float)
    for p in s.purchases:
        for t in years:
            if p.year <= t < p.resale_year:
                segs[(p.gpu, p.year)][t] += p.gpus
                bought[(p.gpu, t)] += p.gpus
    existing: dict[str, dict[int, float]] = defaultdict(dict)
    for y in s.years:
        for g, n in y.active_gpus.items():
            rest = n - bought[(g, y.year)]
            if rest > 0.5:
                existing[g][y.year] = rest
    split = existing_running(s, inst)
    if split is not None:
        by_vintage: dict[tuple[str, object], dict[int, float]] = defaultdict(lambda: defaultdict(float))
        deps = _deployments(s, inst)
        for e, by_year in split.items():
            dep = deps[e]
            for t, n in by_year.items():
                by_vintage[(dep.gpu, f"existing, {dep.purchase_year}")][t] += n
        totals: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for (g, _), by_year in by_vintage.items():
            for t, n in by_year.items():
                totals[g][t] += n
        if {g: dict(v) for g, v in totals.items()} == {g: dict(v) for g, v in existing.items()}:
            segs.update(by_vintage)
            return {k: dict(v) for k, v in segs.items()}
    for g, by_year in existing.items():
        segs[(g, "existing")].update(by_year)
    return {k: dict(v) for k, v in segs.items()}


def _vintage_key(v: object) -> tuple[int, str]:
    return (0, str(v)) if isinstance(v, str) else (1, f"{v:06d}")


def _vintage_label(g: str, v: object) -> str:
    return f"{g}, {v}" if isinstance(v, str) else f"{g}, bought {v}"


def fleet_chart(s: Solution, inst: Instance | None) -> Chart:
    years = [y.year for y in s.years]
    segs = fleet_segments(s, inst)
    models = sorted({g for g, _ in segs})
    colors = gpu_colors(s, inst)
    keys = sorted(segs, key=lambda k: (k[0], _vintage_key(k[1])))
    per_vintage = len(keys) <= 14
    with ch.figure(max(3.8, 1.0 + 0.2 * (len(keys) if per_vintage else len(models)))) as (fig, ax):
        bottom = np.zeros(len(years))
        for g in models:
            vint = [k for k in keys if k[0] == g]
            for i, k in enumerate(vint):
                vals = np.array([segs[k].get(t, 0.0) for t in years])
                existing = isinstance(k[1], str)
                label = _vintage_label(*k) if per_vintage else (g if i == 0 else None)
                ax.bar(years, vals, bottom=bottom, width=0.75, color=ch.shade(colors[g], i, len(vint)),
                       edgecolor="white", linewidth=0.4, hatch="///" if existing else None, label=label)
                bottom += vals
        crowded = len(years) > 10
        for x, tot in zip(years, bottom):
            ax.text(x, tot, f"{tot:,.0f}", ha="center", va="bottom", fontsize=7 if crowded else 8,
                    rotation=90 if crowded else 0)
        ax.margins(y=0.16 if crowded else 0.1)
        ch.year_axis(ax, years)
        ch.count_axis(ax, "y", "GPUs running")
        ch.legend_right(ax, title=None if per_vintage else "model (darker: bought earlier)")
        svg = ch.svg(fig, "gpu-fleet", "GPU fleet by year")
    return Chart(
        "gpu-fleet", "GPUs running each year, by model and year bought",
        "each colour is a GPU model, darker shades bought earlier; hatched blocks were there before the "
        "plan started. The number on top is the year's total fleet.",
        svg, Table(["year", "gpu", "vintage", "gpus"],
                   [[t, k[0], k[1], segs[k][t]] for t in years for k in keys if t in segs[k]]))


def _bar(kind: str, gpu: str, gpus: float, start: int | None, end: int, where: str, fabric: str,
         how: str) -> dict:
    """One bar of the refresh timeline (start None: bought before the plan, year unknown)."""
    return {"kind": kind, "gpu": gpu, "gpus": gpus, "start": start, "end": end, "where": where,
            "fabric": fabric, "how": how}


def _timeline_rows(s: Solution, inst: Instance | None) -> tuple[list[dict], bool]:
    """Bars of the refresh timeline: purchases (one per purchase, or combined across sites when
    there are many) and existing GPUs (to their retirement)."""
    end = horizon_years(s)[-1]
    rows: list[dict] = []
    deps = _deployments(s, inst)
    if deps:
        for e, dep in enumerate(deps):
            rest = dep.gpus
            for r in sorted((r for r in s.retirements if r.deployment == e), key=lambda r: r.year):
                rows.append(_bar("existing", dep.gpu, r.gpus, dep.purchase_year, r.year, dep.site,
                                 dep.fabric, f"retired {r.year}"))
                rest -= r.gpus
            if rest > 0:
                rows.append(_bar("existing", dep.gpu, rest, dep.purchase_year, end + 1, dep.site,
                                 dep.fabric, "still running at the end"))
    else:
        for r in s.retirements:
            rows.append(_bar("existing", r.gpu, r.gpus, None, r.year, r.site, r.fabric, f"retired {r.year}"))
        bought_last: dict[str, float] = defaultdict(float)
        for p in s.purchases:
            if p.year <= end < p.resale_year:
                bought_last[p.gpu] += p.gpus
        for g, n in s.years[-1].active_gpus.items():
            if n - bought_last[g] > 0.5:
                rows.append(_bar("existing", g, n - bought_last[g], None, end + 1, "", "",
                                 "still running at the end"))

    def ends(resale_year: int) -> str:
        return f"resold {resale_year}" if resale_year <= end else "valued at the end"

    combined = len(s.purchases) > MAX_TIMELINE_ROWS
    if not combined:
        for p in s.purchases:
            rows.append(_bar("bought", p.gpu, p.gpus, p.year, p.resale_year, p.site, p.fabric,
                             ends(p.resale_year)))
    else:
        groups: dict[tuple[str, int, int], list] = defaultdict(list)
        for p in s.purchases:
            groups[(p.gpu, p.year, p.resale_year)].append(p)
        for (g, y, r), ps in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
            sites = sorted({p.site for p in ps})
            rows.append(_bar("bought", g, sum(p.gpus for p in ps), y, r,
                             sites[0] if len(sites) == 1 else f"{len(sites)} sites",
                             "/".join(sorted({p.fabric for p in ps})), ends(r)))
    return rows, combined


def timeline_chart(s: Solution, inst: Instance | None) -> Chart:
    years = horizon_years(s)
    start, end = years[0], years[-1]
    rows, combined = _timeline_rows(s, inst)
    priced = lifecycle.add_sale_prices(rows, s, inst)
    colors = gpu_colors(s, inst)
    known = [r["start"] for r in rows if r["start"] is not None]
    before = any(r["kind"] == "existing" for r in rows)
    x0 = min([start - 1 if before else start, *known])
    with ch.figure(1.2 + 0.26 * max(len(rows), 2)) as (fig, ax):
        if before:
            ax.axvspan(x0 - 0.2, start, color="#f0f0f0", zorder=0)
        ax.axvline(end + 1, color="#555555", lw=1, ls="--")
        labels = []
        for i, r in enumerate(rows):
            left = r["start"] if r["start"] is not None else x0
            existing = r["kind"] == "existing"
            ax.barh(i, max(r["end"] - left, 0.06), left=left, height=0.62, color=colors[r["gpu"]],
                    hatch="///" if existing else None, edgecolor="white" if existing else colors[r["gpu"]],
                    alpha=0.85 if existing else 1.0)
            where = f" at {r['where']}" if r["where"] else ""
            labels.append(f"{r['gpus']:,.0f} {r['gpu']}{where}" + (" (existing)" if existing else ""))
            ax.text(r["end"] + 0.08, i, r["how"], va="center", fontsize=7.5, color="#444444")
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.grid(False, axis="y")
        ticks = list(range(x0, end + 2))
        ax.set_xticks(ticks, [str(t) for t in ticks], fontsize=8.5 if len(ticks) < 18 else 7.5,
                      rotation=0 if len(ticks) < 18 else 90)
        ax.set_xlim(x0 - 0.2, end + 2.6)
        ax.set_xlabel("year (each bar runs from the start of the year bought to the start of the year "
                      "it leaves)")
        if before:
            ax.text(start - 0.1, -0.9, "before the plan", ha="right", va="bottom", fontsize=8,
                    color="#555555")
        ax.text(end + 1.05, -0.9, "plan ends", ha="left", va="bottom", fontsize=8, color="#555555")
        ax.set_ylim(len(rows) - 0.5, -1.2)
        svg = ch.svg(fig, "refresh-timeline", "GPU refresh timeline")
    notes = []
    if combined:
        notes.append(f"{len(s.purchases)} purchases: those of the same model, year bought and year resold are "
                     "combined across sites (each purchase is in the purchases table below).")
    if priced:
        notes.append("Sales at the used-GPU market price of the year sold (per GPU, before the resale fee; the "
                     "network's book value comes on top).")
    if any(r["kind"] == "existing" and r["start"] is None for r in rows):
        notes.append("The purchase year of GPUs that were there before the plan is in the instance: "
                     "give --instance to draw them from the year they were bought.")
    return Chart(
        "refresh-timeline", "When GPUs are bought, resold and retired",
        "one bar per purchase, from the year bought to the year resold (or the end of the plan, where "
        "the GPUs' remaining value is credited); hatched bars are GPUs there before the plan, up to "
        "their retirement.",
        svg, Table(["kind", "gpu", "gpus", "site", "fabric", "from_year", "to_year", "how_it_ends"]
                   + (["market_usd_per_gpu"] if priced else []),
                   [[r["kind"], r["gpu"], r["gpus"], r["where"], r["fabric"], r["start"], r["end"], r["how"]]
                    + ([r["market_usd_per_gpu"]] if priced else []) for r in rows]), notes)


# =========================================================================== sites

def site_table(s: Solution) -> Table:
    last = s.years[-1].year if s.years else None
    rows = []
    for x in s.sites:
        fab = ", ".join(f"{f.fabric} ({'existing' if f.year is None else f.year})" for f in x.fabrics)
        opened = ("not opened" if x.open_year is None else
                  "existing" if x.opened_by_existing else str(x.open_year))
        rows.append([x.name, x.region, opened, x.built_it_mw.get(last, 0.0), x.facility_mw.get(last, 0.0),
                     x.max_facility_mw, x.it_load_mw.get(last, 0.0), fab])
    return Table(["site", "region", "opened", "IT MW built", "facility MW built", "grid limit MW",
                  "GPUs' rated IT MW", "network fabrics (since)"], rows)


MAX_SITE_PANELS = 12
"""Above this many open sites, the power chart shows the last year only, one bar per site."""


def site_power_chart(s: Solution) -> Chart:
    years = [y.year for y in s.years]
    sites = [x for x in s.sites if x.open_year is not None]
    if len(sites) > MAX_SITE_PANELS:
        return _site_power_last_year(s, sites)
    if not sites:
        return _nothing("site-power", "Power at each site", "No site is open in this plan.")
    nr, nc = ch.grid_shape(len(sites), 3)
    with ch.figure(0.7 + 2.1 * nr, nrows=nr, ncols=nc, squeeze=False, sharex=True) as (fig, axes):
        for ax in axes.flat[len(sites):]:
            ax.set_visible(False)
        for ax, x in zip(axes.flat, sites):
            fac = [x.facility_mw.get(t, 0.0) for t in years]
            drawn = [x.facility_drawn_mw.get(t, 0.0) for t in years]
            ax.bar(years, fac, width=0.7, color="#7fa7cf", label="facility power built (IT + cooling)")
            ax.plot(years, drawn, color=ch.CAPEX_COLOR, marker="o", ms=3.5, lw=1.5,
                    label="facility power drawn (average)")
            limit = _power_limit(x, years)
            if any(abs(v - x.max_facility_mw) > 1e-9 for v in limit):  # upgrades, on-site MW (SPEC 8.3, 8.4)
                ax.step(years, limit, where="mid", color=ch.LIMIT_COLOR, ls="--", lw=1.3,
                        label="grid limit with upgrades and on-site MW")
            else:
                ax.axhline(x.max_facility_mw, color=ch.LIMIT_COLOR, ls="--", lw=1.3, label="grid limit")
            ax.set_ylim(0, max([x.max_facility_mw, *limit, *fac, *drawn]) * 1.15)
            ax.set_title(f"{x.name} ({x.region})", fontsize=9.5)
            ax.set_ylabel("MW")
            ch.year_axis(ax, years, narrow=nc > 1)
            ax.tick_params(axis="x", labelbottom=True)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncol=3)
        svg = ch.svg(fig, "site-power", "Power at each site")
    return Chart(
        "site-power", "Power at each site: built, used and the grid limit",
        "bars are the facility power built (halls' IT capacity plus cooling overhead), which must stay "
        "under the dashed grid limit; the line is the average facility power drawn that year (the GPUs "
        "running at the load factor, plus cooling).",
        svg, Table(["site", "year", "grid_limit_mw", "built_it_mw", "facility_mw", "it_load_mw",
                    "facility_drawn_mw"],
                   [[x.name, t, x.max_facility_mw, x.built_it_mw.get(t, 0.0), x.facility_mw.get(t, 0.0),
                     x.it_load_mw.get(t, 0.0), x.facility_drawn_mw.get(t, 0.0)] for x in sites for t in years]),
        ["Not opened: " + ", ".join(x.name for x in s.sites if x.open_year is None) + "."]
        if any(x.open_year is None for x in s.sites) else [])


def _site_power_last_year(s: Solution, sites: list) -> Chart:
    years = [y.year for y in s.years]
    last = years[-1]
    with ch.figure(1.3 + 0.3 * len(sites)) as (fig, ax):
        y = np.arange(len(sites))
        ax.barh(y, [_power_limit(x, [last])[0] for x in sites], height=0.8, color="#f3d3cf", label="grid limit")
        ax.barh(y, [x.facility_mw.get(last, 0.0) for x in sites], height=0.5, color="#7fa7cf",
                label=f"facility power built by {last} (IT + cooling)")
        ax.scatter([x.facility_drawn_mw.get(last, 0.0) for x in sites], y, color=ch.CAPEX_COLOR, s=18,
                   zorder=3, label=f"facility power drawn in {last} (average)")
        _rows_axis(ax, [f"{x.name} ({x.region})" for x in sites])
        ax.set_xlabel("MW")
        ch.legend_right(ax)
        svg = ch.svg(fig, "site-power", "Power at each site")
    return Chart(
        "site-power", f"Power at each site in {last}: built, used and the grid limit",
        "the pale bar is the site's grid limit, the blue bar the facility power built (halls' IT capacity "
        "plus cooling overhead), the dot the average facility power drawn in the last year (the GPUs "
        "running at the load factor, plus cooling). Every year is in the table below.",
        svg, Table(["site", "year", "grid_limit_mw", "built_it_mw", "facility_mw", "it_load_mw",
                    "facility_drawn_mw"],
                   [[x.name, t, x.max_facility_mw, x.built_it_mw.get(t, 0.0), x.facility_mw.get(t, 0.0),
                     x.it_load_mw.get(t, 0.0), x.facility_drawn_mw.get(t, 0.0)] for x in sites for t in years]),
        [f"{len(sites)} sites open; not opened: " + ", ".join(x.name for x in s.sites if x.open_year is None)
         + "."] if any(x.open_year is None for x in s.sites) else [])


def _power_limit(x, years: list[int]) -> list[float]:
    """What a site may build against each year: its grid limit (with upgrades) and on-site MW."""
    return [x.grid_limit_mw.get(t, x.max_facility_mw) + x.onsite_mw.get(t, 0.0) for t in years]


def _nothing(cid: str, title: str, message: str) -> Chart:
    return Chart(cid, title, "nothing to draw for this plan.", ch.message_svg(cid, title, message))


def _hall_mw(s: Solution, inst: Instance | None) -> dict[str, float]:
    """IT MW of one block per site: the Solution's, else the instance's (older solution files)."""
    known = {x.name: x.block_mw for x in s.sites if x.block_mw > 0}
    if known or inst is None:
        return known
    return {x.name: x.block_mw for x in inst.sites}


def _rows_axis(ax, labels: list[str]) -> None:
    """One horizontal bar per label, top to bottom."""
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(False, axis="y")


def site_mix_chart(s: Solution, inst: Instance | None) -> Chart:
    sites = [x for x in s.sites if x.blocks]
    if not sites:
        return _nothing("site-mix", "Cooling and rack density by site", "No data hall in this plan.")
    block_mw = _hall_mw(s, inst)
    in_mw = all(x.name in block_mw for x in sites)
    mix: dict[str, dict[tuple[str, float], int]] = {}
    for x in sites:
        m: dict[tuple[str, float], int] = defaultdict(int)
        for b in x.blocks:
            m[(b.cooling, b.rack_kw)] += b.blocks
        mix[x.name] = dict(m)
    designs = sorted({d for m in mix.values() for d in m}, key=lambda d: (d[0], d[1]))
    names = [f"{c}, {kw:g} kW racks" for c, kw in designs]
    by_name = ch.palette(names)
    colors = {d: by_name[n] for d, n in zip(designs, names)}
    unit = "MW of IT capacity" if in_mw else "halls (blocks)"
    with ch.figure(1.0 + 0.32 * len(sites)) as (fig, ax):
        for i, x in enumerate(sites):
            left = 0.0
            for d, n in zip(designs, names):
                k = mix[x.name].get(d, 0)
                if not k:
                    continue
                v = k * block_mw[x.name] if in_mw else k
                ax.barh(i, v, left=left, color=colors[d], height=0.6, edgecolor="white",
                        label=n if n not in ax.get_legend_handles_labels()[1] else None)
                left += v
        _rows_axis(ax, [x.name for x in sites])
        ch.count_axis(ax, "x", unit + (" built by the end of the plan" if in_mw else ""))
        if not in_mw:
            ch.integer_axis(ax, "x")
        ch.legend_right(ax, title="cooling, rack density")
        svg = ch.svg(fig, "site-mix", "Cooling and rack density by site")
    rows = [[x.name, c, kw, n] + ([n * block_mw[x.name]] if in_mw else [])
            for x in sites for (c, kw), n in mix[x.name].items()]
    return Chart(
        "site-mix", "How each site's data halls are cooled, and how dense their racks are",
        f"bar length is {unit} per site, split by cooling type and power per rack (denser racks need "
        "liquid cooling but hold more GPUs per hall).",
        svg, Table(["site", "cooling", "rack_kw", "blocks"] + (["it_mw"] if in_mw else []), rows),
        [] if in_mw else ["Hall size is in the instance: give --instance to show MW instead of halls."])


def site_fabric_chart(s: Solution) -> Chart:
    sites = [x for x in s.sites if x.open_year is not None]
    if not sites:
        return _nothing("site-fabrics", "Network fabrics by site", "No site is open in this plan.")
    by: dict[str, dict[str, int]] = {x.name: defaultdict(int) for x in sites}
    for p in s.purchases:
        by.setdefault(p.site, defaultdict(int))[p.fabric] += p.gpus
    fabrics = sorted({f.fabric for x in sites for f in x.fabrics} | {p.fabric for p in s.purchases})
    colors = ch.palette(fabrics)
    since = {(x.name, f.fabric): ("existing" if f.year is None else f.year) for x in sites for f in x.fabrics}
    with ch.figure(1.0 + 0.32 * len(sites)) as (fig, ax):
        for i, x in enumerate(sites):
            left = 0
            for f in fabrics:
                v = by[x.name].get(f, 0)
                if v:
                    ax.barh(i, v, left=left, color=colors[f], height=0.6, edgecolor="white",
                            label=f if f not in ax.get_legend_handles_labels()[1] else None)
                    left += v
        _rows_axis(ax, [x.name for x in sites])
        ch.count_axis(ax, "x", "GPUs bought over the plan")
        ch.legend_right(ax, title="network fabric")
        svg = ch.svg(fig, "site-fabrics", "GPUs bought by site and network fabric")
    return Chart(
        "site-fabrics", "Which network each site's GPUs are bought on",
        "bar length is the GPUs bought at a site over the whole plan, split by the network fabric "
        "connecting them; the table gives the year each fabric came to the site.",
        svg, Table(["site", "fabric", "since", "gpus_bought"],
                   [[x.name, f, since.get((x.name, f), ""), by[x.name].get(f, 0)]
                    for x in sites for f in fabrics if (x.name, f) in since or by[x.name].get(f, 0)]))


# =========================================================================== demand, energy

def demand_chart(s: Solution, unit: str | None) -> Chart:
    years = [y.year for y in s.years]
    regions = list(dict.fromkeys(r for y in s.years for r in y.inference_demand))
    work = [("training", "Training")] + [(r, f"Inference, {r}") for r in regions]
    unmet = {(u.workload, u.year): u.unmet for u in s.unmet_demand}

    def series(w: str) -> tuple[list[float], list[float]]:
        if w == "training":
            return [y.training_demand for y in s.years], [y.training_delivered for y in s.years]
        return [y.inference_demand.get(w, 0.0) for y in s.years], [y.inference_delivered.get(w, 0.0)
                                                                     for y in s.years]
    nr, nc = ch.grid_shape(len(work), 3)
    with ch.figure(0.8 + 2.3 * nr, nrows=nr, ncols=nc, squeeze=False) as (fig, axes):
        for ax in axes.flat[len(work):]:
            ax.set_visible(False)
        for ax, (w, title) in zip(axes.flat, work):
            need, got = series(w)
            ax.bar(years, got, width=0.7, color="#7fa7cf", label="delivered")
            ax.plot(years, need, color="black", marker="o", ms=3.5, lw=1.3, label="demand")
            gaps = [(t, unmet[(w, t)]) for t in years if (w, t) in unmet]
            if gaps:
                ax.bar([t for t, _ in gaps], [g for _, g in gaps], bottom=[got[years.index(t)] for t, _ in gaps],
                       width=0.7, color="white", edgecolor=ch.LIMIT_COLOR, hatch="xx", label="unmet")
            ax.set_title(title, fontsize=9.5)
            ch.count_axis(ax, "y", _units(unit) if ax in axes[:, 0] else "")
            ch.year_axis(ax, years, narrow=nc > 1)
        handles, labels = [], []
        for ax in axes.flat[:len(work)]:
            for hd, lb in zip(*ax.get_legend_handles_labels()):
                if lb not in labels:
                    handles.append(hd)
                    labels.append(lb)
        fig.legend(handles, labels, loc="outside upper center", ncol=len(labels))
        svg = ch.svg(fig, "demand", "Demand against delivered")
    rows = []
    for w, _ in work:
        need, got = series(w)
        rows += [[t, w, n, g] for t, n, g in zip(years, need, got)]
    return Chart(
        "demand", "Compute asked for against compute delivered",
        "bars are the throughput the plan delivers, the black line the demand; training is one pool, "
        "inference is served per region. Delivered counts each fabric's availability (and, for "
        "training, its efficiency).",
        svg, Table(["year", "workload", "demand", "delivered"], rows))


def energy_chart(s: Solution) -> Chart:
    years = [y.year for y in s.years]
    gwh = [y.energy_mwh / 1000 for y in s.years]
    kt = [y.emissions_t / 1000 for y in s.years]
    with ch.figure(3.2, ncols=2) as (fig, (a1, a2)):
        a1.bar(years, gwh, width=0.7, color="#d4a017")
        a1.set_title("Electricity used")
        ch.count_axis(a1, "y", "GWh (thousand MWh)")
        a2.bar(years, kt, width=0.7, color="#6b6b6b")
        a2.set_title("CO2 emitted")
        ch.count_axis(a2, "y", "kt CO2 (thousand tonnes)")
        for ax in (a1, a2):
            ch.year_axis(ax, years, narrow=True)
        svg = ch.svg(fig, "energy", "Energy and emissions by year")
    return Chart(
        "energy", "Electricity used and CO2 emitted each year",
        "left: electricity the sites draw in a year, cooling included; right: the CO2 of that "
        "electricity at each site's grid carbon intensity.",
        svg, Table(["year", "energy_mwh", "emissions_t"], [[y.year, y.energy_mwh, y.emissions_t]
                                                           for y in s.years]))


# =========================================================================== page

def _status(s: Solution) -> str:
    cls = "good" if s.status == "optimal" else "warn" if s.has_plan else "bad"
    return f'<span class="status {cls}">{h.esc(s.status.replace("_", " "))}</span>'


def _csv_section(s: Solution) -> str:
    parts = [h.section("tables", "Data tables",
                       "The same tables `dcopt solve --csv DIR` writes, with the same numbers; each can be "
                       "downloaded as that CSV file.")]
    for name, (header, rows) in csv_tables(s).items():
        parts.append(f'<details data-csv-table="{h.esc(name)}"><summary>{h.esc(name)}.csv: {len(rows):,} '
                     f"row{'s' if len(rows) != 1 else ''}</summary>"
                     f'<div class="tablewrap">{h.table(Table(header, rows), name="csv:" + name)}</div>'
                     + h.download_link(f"{name}.csv", h.csv_text(header, rows)) + "</details>")
    return "\n".join(parts)


def _solver_section(s: Solution) -> str:
    r = s.solver
    rows: list[list[object]] = [["status", s.status], ["message", s.message],
                                ["relative gap to the best bound", s.mip_gap],
                                ["solve time, s", s.solve_seconds], ["dcopt version", s.dcopt_version]]
    if r is not None:
        rows += [["solver", f"{r.name} {r.version}"], ["solver status", r.highs_status],
                 ["gap target", r.mip_gap_target], ["time limit, s", r.time_limit_s],
                 ["best bound, USD", r.objective_bound_usd],
                 ["variables (integer)", f"{r.variables:,} ({r.integer_variables:,})"],
                 ["constraints", r.constraints]]
    rows = [[k, "none" if v is None else v] for k, v in rows]
    return (h.section("solver", "How this plan was found")
            + h.table(Table(["what", "value"], rows), cls="plain"))


def sections(s: Solution, inst: Instance | None = None) -> list[tuple[str, str, list[Chart], str]]:
    """(anchor, title, charts, extra html) of a plan's report, in order."""
    from .sections8 import with_section8

    unit = throughput_unit(s, inst)
    return with_section8([
        ("money", "Where the money goes", [waterfall_chart(s), spend_chart(s), cashflow_chart(s)], ""),
        ("fleet", "GPU fleet and refresh", [fleet_chart(s, inst), timeline_chart(s, inst)], ""),
        ("sites", "Sites", [site_power_chart(s), site_mix_chart(s, inst), site_fabric_chart(s)],
         (f"<p>At the end of the plan ({s.years[-1].year if s.years else ''}):</p>"
         f'<div class="tablewrap">{h.table(site_table(s), name="sites-summary")}</div>')),
        ("demand", "Demand and delivery", [demand_chart(s, unit)], ""),
        ("energy", "Energy and emissions", [energy_chart(s)], ""),
    ], s, inst, unit)


def solution_report_html(solution: Solution, instance: Instance | None = None) -> str:
    """The whole report of `solution` as one self-contained HTML page."""
    s = solution
    if instance is not None:
        _check_instance(s, instance)
    title = s.instance_name or "dcopt plan"
    header = [f"<h1>{h.esc(title)}</h1>",
              f'<p class="sub">{_status(s)} {h.esc(s.message)}</p>']
    if not s.has_plan:
        body = [h.section("why", "No plan"),
                "<p>The solver found no plan for this instance.</p>"]
        if s.diagnosis:
            body.append('<ul class="plain">' + "".join(f"<li>{h.esc(d)}</li>" for d in s.diagnosis) + "</ul>")
        body.append(_solver_section(s))
        return h.page(title, "".join(header), "\n".join(body), _footer(s))
    f = Figures(s)
    parts = sections(s, instance)
    header.append(h.toc([(a, t) for a, t, _, _ in parts] + [("tables", "Data tables"),
                                                            ("solver", "How this plan was found")]))
    body = [h.cards(_cards(s, f, instance, throughput_unit(s, instance)))]
    if s.unmet_demand:
        body.append(f'<p class="status bad">Demand left unmet: priced at {h.esc(ch.musd(s.unmet_penalty_usd))} '
                    "(present value, not part of the TCO); see the demand charts.</p>")
    for anchor, t, charts_, extra in parts:
        body.append(h.section(anchor, t))
        if extra:
            body.append(extra)
        body += [h.chart(c) for c in charts_]
    body.append(_csv_section(s))
    body.append(_solver_section(s))
    return h.page(title, "".join(header), "\n".join(body), _footer(s))


def _footer(s: Solution) -> str:
    return (f"Made by dcopt {h.esc(s.dcopt_version)} from the solution of “{h.esc(s.instance_name)}”. "
            "USD figures are US dollars; M$ = million US dollars; present value = discounted to the first "
            "year of the plan.")


def chart_ids(sections_: Sequence[tuple[str, str, list[Chart], str]]) -> list[str]:
    return [c.id for _, _, cs, _ in sections_ for c in cs]
