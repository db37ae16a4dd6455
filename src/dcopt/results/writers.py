"""Writers of a `Solution`: JSON, CSV tables and the readable summary."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from ..instance.schema import Instance
from ..model.items import item_label
from . import summary8 as s8
from .solution import Solution
from .supply import colocation_sites
from .tables8 import case_folders, section8_tables


def write_json(solution: Solution, path: str | Path) -> None:
    Path(path).write_text(solution.model_dump_json(indent=1) + "\n", encoding="utf-8")


def read_solution(path: str | Path) -> Solution:
    return Solution.model_validate_json(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- CSV

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
"""What a text cell may not start with: a spreadsheet runs ``=``, ``+``, ``-`` and ``@``
(and a tab or carriage return before them) as a formula; ``'`` is escaped too, so that
`spreadsheet_text` can be undone exactly."""


def spreadsheet_text(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text instead of running it: a string starting
    with one of `FORMULA_START` gets a leading single quote (a spreadsheet hides it). Numbers
    and other values are returned as they are. Every CSV dcopt writes passes its text cells
    (names from the instance: sites, regions, GPUs, fabrics, cooling) through this."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def from_spreadsheet_text(text: str) -> str:
    """Undo `spreadsheet_text` (for CSV files dcopt reads back)."""
    return text.removeprefix("'")


def csv_tables(solution: Solution,
               instance: Instance | None = None) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Every table of the solution: name -> (header, rows).

    The tables of SPEC 6 always (costs, sites, blocks, fabrics, purchases, retirements,
    allocations, years); those of SPEC 8.9 when the solution has them (`tables8`). `instance`
    (optional) is only needed to split owned from colocated GPUs in the supply table. With
    scenarios these are the expectation and the shared first stage; `case_tables` has each
    case's own."""
    tables: dict[str, tuple[list[str], list[list[object]]]] = {}
    tables["costs"] = (
        ["item", "npv_usd"] + [str(y) for y in _cost_years(solution)] + ["label"],
        [[item, npv] + [solution.costs_nominal_usd.get(item, {}).get(y, 0.0) for y in _cost_years(solution)]
         + [item_label(item)] for item, npv in solution.costs_npv_usd.items()],
    )
    tables["sites"] = (
        ["site", "region", "open_year", "opened_by_existing", "max_facility_mw", "year", "built_it_mw",
         "facility_mw", "it_load_mw", "facility_drawn_mw"],
        [[s.name, s.region, s.open_year, s.opened_by_existing, s.max_facility_mw, y, s.built_it_mw[y],
          s.facility_mw[y], s.it_load_mw[y], s.facility_drawn_mw.get(y, 0.0)]
         for s in solution.sites for y in s.built_it_mw],
    )
    tables["blocks"] = (
        ["site", "cooling", "rack_kw", "year", "blocks", "it_mw"],
        [[s.name, b.cooling, b.rack_kw, b.year, b.blocks, b.it_mw] for s in solution.sites for b in s.blocks],
    )
    tables["fabrics"] = (
        ["site", "fabric", "year"],
        [[s.name, f.fabric, f.year] for s in solution.sites for f in s.fabrics],
    )
    tables["purchases"] = (
        ["site", "cooling", "rack_kw", "gpu", "fabric", "year", "gpus", "life_years", "resale_year"],
        [[p.site, p.cooling, p.rack_kw, p.gpu, p.fabric, p.year, p.gpus, p.life_years, p.resale_year]
         for p in solution.purchases],
    )
    tables["retirements"] = (
        ["deployment", "site", "gpu", "fabric", "year", "gpus"],
        [[r.deployment, r.site, r.gpu, r.fabric, r.year, r.gpus] for r in solution.retirements],
    )
    tables["allocations"] = (
        ["site", "gpu", "fabric", "year", "workload", "gpus"],
        [[a.site, a.gpu, a.fabric, a.year, a.workload, a.gpus] for a in solution.allocations],
    )
    tables["years"] = (
        ["year", "workload", "demand", "delivered", "energy_mwh", "emissions_t", "capex_usd", "opex_usd"],
        [row for y in solution.years for row in (
            [[y.year, "training", y.training_demand, y.training_delivered, y.energy_mwh, y.emissions_t,
              y.capex_usd, y.opex_usd]]
            + [[y.year, f"inference:{r}", y.inference_demand[r], y.inference_delivered[r], "", "", "", ""]
               for r in y.inference_demand]
        )],
    )
    tables.update(section8_tables(solution, instance))
    return tables


def case_tables(solution: Solution, instance: Instance | None = None
                ) -> dict[str, dict[str, tuple[list[str], list[list[object]]]]]:
    """With scenarios, every case's own tables (its full plan and breakdown), by the folder
    they go in under cases/ (`tables8.case_folders`); empty without scenarios."""
    if solution.scenarios is None:
        return {}
    folders = case_folders(solution)
    return {folders[c.name]: csv_tables(c.solution, instance) for c in solution.scenarios.cases}


def _cost_years(solution: Solution) -> list[int]:
    years = {y for by_year in solution.costs_nominal_usd.values() for y in by_year}
    years |= {y.year for y in solution.years}
    return sorted(years)


def write_csv(solution: Solution, folder: str | Path, instance: Instance | None = None) -> list[Path]:
    """Write `csv_tables` into `folder` (one file per table), and with scenarios each case's
    tables into cases/<case>/; return the paths written."""
    paths = _write_tables(csv_tables(solution, instance), Path(folder))
    for sub, tables in case_tables(solution, instance).items():
        paths += _write_tables(tables, Path(folder) / "cases" / sub)
    return paths


def _write_tables(tables: dict[str, tuple[list[str], list[list[object]]]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (header, rows) in tables.items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows([spreadsheet_text(cell) for cell in row] for row in rows)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- summary

def _musd(usd: float) -> str:
    return f"{usd / 1e6:,.2f} M$"


def summary(solution: Solution, top: int = 6, instance: Instance | None = None) -> str:
    """A readable report: TCO and largest cost items (by their registry labels), sites, purchase
    timeline, and the SPEC 8 results the solution has (`summary8`): grid upgrades and on-site
    power per site, the supply mix by year, training jobs, DCI routes, scenario cases.
    `instance` (optional) marks colocation sites and splits owned from colocated GPUs."""
    s = solution
    sc = s.scenarios
    lines = [f"{s.instance_name or 'instance'}: {s.status} ({s.message})"]
    if not s.has_plan:
        lines += [f"  - {d}" for d in s.diagnosis]
        return "\n".join(lines)
    tco = (f"Expected TCO {_musd(s.tco_usd or 0.0)} (NPV, over {len(sc.cases)} cases)" if sc is not None
           else f"TCO {_musd(s.tco_usd or 0.0)} (NPV)")
    lines.append(f"{tco}; gap {100 * (s.mip_gap or 0):.4f} %; solved in {s.solve_seconds:.1f} s")
    end = s.end_of_horizon_usd()
    if end:
        lines.append(f"  {_musd((s.tco_usd or 0.0) - end)} before end-of-horizon values, which are "
                     f"{_musd(end)} (GPUs resold or valued, facilities' remaining value, in "
                     f"{_cost_years(s)[-1]})")
    if s.unmet_demand:
        lines.append(f"Unmet demand (priced at {_musd(s.unmet_penalty_usd)} NPV, not in the TCO):")
        for u in s.unmet_demand:
            lines.append(f"  {u.year} {u.workload}: {u.unmet:,.6g} of {u.demand:,.6g}")
    lines.append("")
    lines.append("Largest cost items (expected NPV):" if sc is not None else "Largest cost items (NPV):")
    items = sorted(s.costs_npv_usd.items(), key=lambda kv: -abs(kv[1]))
    rest = sum(v for _, v in items[top:])
    shown = [(item_label(item), usd) for item, usd in items[:top] if usd != 0]
    width = max([24, *(len(label) for label, _ in shown)])
    for label, usd in shown:
        lines.append(f"  {label:<{width}} {_musd(usd):>14}")
    if rest:
        lines.append(f"  {'other items':<{width}} {_musd(rest):>14}")
    lines.append("")
    first = f" (shared first stage: decisions before {sc.reveal_year})" if sc is not None else ""
    lines.append(f"Sites{first}:")
    colocation = colocation_sites(instance) if instance is not None else set()
    last = s.years[-1].year if s.years else None
    for site in s.sites:
        where = f"{site.region}, colocation" if site.name in colocation else site.region
        if site.open_year is None:
            lines.append(f"  {site.name} ({where}): not opened")
            continue
        how = "existing" if site.opened_by_existing else f"opened {site.open_year}"
        mw = site.built_it_mw.get(last, 0.0)
        fac = site.facility_mw.get(last, 0.0)
        # the facility MW the site may draw: its grid limit then (upgrades included) + on-site MW
        cap = site.grid_limit_mw.get(last, site.max_facility_mw) + site.onsite_mw.get(last, 0.0)
        lines.append(f"  {site.name} ({where}): {how}; {mw:g} MW IT built, {fac:.1f} of "
                     f"{cap:g} MW facility at {last}")
        mix: dict[str, int] = defaultdict(int)
        for b in site.blocks:  # blocks commissioned after the years shown (lead times): with their year
            later = f" (from {b.year})" if b.year is not None and last is not None and b.year > last else ""
            mix[f"{b.cooling} @ {b.rack_kw:g} kW{later}"] += b.blocks
        if mix:
            lines.append("    halls: " + ", ".join(f"{n} x {k}" for k, n in mix.items()))
        if site.fabrics:
            lines.append("    fabrics: " + ", ".join(
                f"{f.fabric} ({'existing' if f.year is None else f.year})" for f in site.fabrics))
        lines += s8.site_power_lines(s, site)
    lines.append("")
    lines.append(f"Purchases and retirements{first}:")
    events = [(p.year, (f"buy {p.gpus:>6} {p.gpu} at {p.site} ({p.cooling} @ {p.rack_kw:g} kW, {p.fabric}), "
                        f"resold {p.resale_year}")) for p in s.purchases]
    events += [(r.year, f"retire {r.gpus:>3} existing {r.gpu} at {r.site}") for r in s.retirements]
    for year, text in sorted(events):
        lines.append(f"  {year}  {text}")
    if not events:
        lines.append("  none")
    lines += s8.supply_lines(s, instance)
    lines += s8.job_lines(s)
    lines += s8.route_lines(s)
    lines += s8.scenario_lines(s)
    return "\n".join(lines)
