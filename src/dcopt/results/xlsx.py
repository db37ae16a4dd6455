"""A solution as an Excel workbook (``dcopt solve ... --xlsx plan.xlsx``), and tables
(sweep results) as workbooks.

The plan workbook holds:

- ``summary``: status, TCO, gap, solve time, discount rate, the unmet-demand penalty,
  the solver (and with scenarios the expected TCO, EVPI and VSS; without a plan, the
  diagnosis);
- the tables of the CSV files (`dcopt.results.writers.csv_tables`: costs, sites by year,
  blocks, fabrics, purchases, retirements, allocations, demand and delivered by year),
  cell for cell the same figures; the ``costs`` sheet has a ``total`` row below them
  (the TCO and each year's sum);
- ``fleet`` (GPUs running by model and year), and the tables of section 8 where the
  solution has any: grid upgrades, on-site builds and generation, power by site and
  year, DCI routes and links, training jobs (where they ran and what they got), job
  placements and allocations, rented GPUs and their allocations, unmet demand, and the
  scenario cases with their cost items. A table the CSV writer also holds (same name)
  is taken from there.

Numbers are numbers (with number formats: USD without decimals, MW with three, years
without a thousands separator), never text; text cells are text, never formulas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..instance.xlsxfile import MAX_CELL_CHARS, exact_floats, open_workbook, save, set_cell
from .solution import Solution
from .writers import csv_tables

Table = tuple[list[str], list[list[Any]]]

USD = "#,##0"
COUNT = "#,##0"
FRACTIONAL = "#,##0.00"
YEAR = "0"
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def number_format(header: str, values: Iterable[Any] = ()) -> str:
    """The number format of a column, by its header (units are in the names) and values."""
    h = header.lower()
    if re.fullmatch(r"\d{4}", h) or h.endswith("_usd") or h.startswith("cost:"):
        return USD
    if h == "year" or h.endswith("_year"):
        return YEAR
    if h.endswith("_mw"):
        return "#,##0.000"
    if h.endswith(("_mwh", "_t")):
        return "#,##0.0"
    if h in ("probability", "loss", "discount_rate"):
        return "0.0%"
    if h == "mip_gap":
        return "0.0000%"
    if h.endswith(("_s", "_seconds")):
        return "0.00"
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if nums and all(math.isfinite(v) and float(v).is_integer() for v in nums):
        return COUNT
    if h.endswith(("_km", "gbps", "gbps_installed", "gbps_used")) or "gpus" in h:
        return FRACTIONAL
    return "General"


def _text(value: Any) -> Any:
    """Text a cell can hold: control characters become U+FFFD, long text is cut."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("\ufffd", value)
        return value if len(value) <= MAX_CELL_CHARS else value[: MAX_CELL_CHARS - 3] + "..."
    return value


def add_sheet(wb: Any, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
              formats: dict[str, str] | None = None, bold_last: bool = False) -> Any:
    """A sheet with a bold, frozen header row and one row per entry; numeric columns get the
    format `number_format` gives them (or `formats` by header)."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(name)
    bold = Font(bold=True)
    for j, title in enumerate(header, start=1):
        set_cell(ws, 1, j, _text(str(title))).font = bold
    fmt = [(formats or {}).get(h) or number_format(str(h), (r[j] for r in rows if j < len(r)))
           for j, h in enumerate(header)]
    widths = [len(str(h)) for h in header]
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            if isinstance(value, float) and not math.isfinite(value):
                value = None if math.isnan(value) else repr(value)  # inf as text, NaN as nothing
            cell = set_cell(ws, i, j, _text(value))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cell.number_format = fmt[j - 1]
                shown = len(f"{value:,.0f}") + (3 if fmt[j - 1] != COUNT else 0)
            else:
                shown = len(str(value)) if value is not None else 0
            if j - 1 < len(widths):
                widths[j - 1] = max(widths[j - 1], min(shown, 60))
        if bold_last and i == len(rows) + 1:
            for j in range(1, len(row) + 1):
                ws.cell(i, j).font = bold
    from openpyxl.utils import get_column_letter

    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(8, width + 2)
    ws.freeze_panes = "A2"
    return ws


def _new_workbook() -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


# --------------------------------------------------------------------------- the plan workbook


def summary_rows(solution: Solution) -> list[list[Any]]:
    """(field, value) rows of the summary sheet."""
    s = solution
    rows: list[list[Any]] = [
        ["instance", s.instance_name], ["status", s.status], ["message", s.message],
        ["has_plan", s.has_plan], ["tco_usd", s.tco_usd], ["mip_gap", s.mip_gap],
        ["solve_seconds", s.solve_seconds], ["discount_rate", s.discount_rate],
        ["unmet_penalty_usd", s.unmet_penalty_usd], ["dcopt_version", s.dcopt_version],
    ]
    if s.solver is not None:
        rows += [["solver", f"{s.solver.name} {s.solver.version}"], ["highs_status", s.solver.highs_status],
                 ["objective_bound_usd", s.solver.objective_bound_usd]]
    if s.scenarios is not None:
        rows += [["reveal_year", s.scenarios.reveal_year], ["expected_tco_usd", s.scenarios.expected_tco_usd],
                 ["evpi_usd", s.scenarios.evpi_usd], ["vss_usd", s.scenarios.vss_usd]]
    rows += [["diagnosis", d] for d in s.diagnosis]
    return rows


def _entries(items: Sequence[BaseModel], model: type[BaseModel]) -> Table:
    """A table of plan entries: a column per field; lists of names in one cell."""
    header = list(model.model_fields)
    rows = []
    for item in items:
        row = []
        for name in header:
            v = getattr(item, name)
            row.append(", ".join(map(str, v)) if isinstance(v, list) else v)
        rows.append(row)
    return header, rows


def extra_tables(solution: Solution) -> dict[str, Table]:
    """The workbook's tables beyond the CSV files' (those with rows only)."""
    from ..plan import format as p
    from .solution import UnmetDemand

    s = solution
    out: dict[str, Table] = {}
    out["fleet"] = (["year", "gpu", "active_gpus"],
                    [[y.year, g, n] for y in s.years for g, n in y.active_gpus.items()])
    if s.grid_upgrades or s.onsite_builds or any(v for site in s.sites for v in site.onsite_mwh.values()):
        out["site_power"] = (
            ["site", "year", "max_facility_mw", "grid_limit_mw", "onsite_mw", "facility_mw", "grid_mwh",
             "onsite_mwh"],
            [[site.name, y, site.max_facility_mw, site.grid_limit_mw.get(y), site.onsite_mw.get(y, 0.0),
              site.facility_mw.get(y), site.grid_mwh.get(y, 0.0), site.onsite_mwh.get(y, 0.0)]
             for site in s.sites if site.open_year is not None for y in site.built_it_mw])
    out["grid_upgrades"] = _entries(s.grid_upgrades, p.GridUpgradeTaken)
    out["onsite_builds"] = _entries(s.onsite_builds, p.OnsiteBuild)
    out["onsite_generation"] = _entries(s.onsite_generation, p.OnsiteGeneration)
    out["routes"] = (["a", "b", "distance_km", "lit_year", "year", "gbps_installed", "gbps_used"],
                     [[r.a, r.b, r.distance_km, r.lit_year, ry.year, ry.gbps_installed, ry.gbps_used]
                      for r in s.routes for ry in r.years])
    out["links"] = _entries(s.links, p.LinkInstall)
    out["jobs"] = (["job", "year", "demand", "delivered", "home", "gpu", "site", "gpus", "loss",
                    "site_delivered"],
                   [[j.job, j.year, j.demand, j.delivered, j.home, j.gpu, *part]
                    for j in s.jobs
                    for part in ([[x.site, x.gpus, x.loss, x.delivered] for x in j.sites] or [[None] * 4])])
    out["job_placements"] = _entries(s.job_placements, p.JobPlacement)
    out["job_allocations"] = _entries(s.job_allocations, p.JobAllocation)
    out["rentals"] = (["rental", "gpu", "year", "gpus", "workload", "delivered"],
                      [[r.rental, r.gpu, r.year, r.gpus, *part]
                       for r in s.rented
                       for part in ([[w, d] for w, d in r.delivered.items()] or [[None, None]])])
    out["rental_allocations"] = _entries(s.rental_allocations, p.RentalAllocation)
    out["unmet_demand"] = _entries(s.unmet_demand, UnmetDemand)
    if s.scenarios is not None:
        cases = s.scenarios.cases
        out["scenario_cases"] = (["case", "probability", "tco_usd"],
                                 [[c.name, c.probability, c.solution.tco_usd] for c in cases])
        items = list(dict.fromkeys(k for c in cases for k in c.solution.costs_npv_usd))
        out["scenario_costs"] = (["item", *(f"{c.name}_npv_usd" for c in cases)],
                                 [[item, *(c.solution.costs_npv_usd.get(item, 0.0) for c in cases)]
                                  for item in items])
    return {name: t for name, t in out.items() if t[1]}


def workbook_tables(solution: Solution) -> dict[str, Table]:
    """Every table of the plan workbook but the summary, in sheet order: the CSV tables,
    then `extra_tables` (one the CSV also has is taken from the CSV)."""
    tables = dict(csv_tables(solution))
    for name, table in extra_tables(solution).items():
        tables.setdefault(name, table)
    return tables


def _column_total(rows: list[list], k: int) -> float | None:
    """The sum of a column of numbers; None (an empty cell) for a text column such as `label`."""
    values = [r[k] for r in rows]
    if any(isinstance(v, str) and v != "" for v in values):
        return None
    return math.fsum(v for v in values if isinstance(v, (int, float)))


def write_xlsx(solution: Solution, path: str | Path) -> Path:
    """Write the plan workbook of `solution` at `path`."""
    wb = _new_workbook()
    add_sheet(wb, "summary", ["field", "value"], summary_rows(solution))
    ws = wb["summary"]
    for row in ws.iter_rows(min_row=2):
        key, value = row[0].value, row[1]
        if isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            value.number_format = number_format(str(key))
    ws.column_dimensions["B"].width = 60
    for name, (header, rows) in workbook_tables(solution).items():
        if name == "costs":
            total = ["total", solution.tco_usd, *(_column_total(rows, k) for k in range(2, len(header)))]
            add_sheet(wb, name, header, [*rows, total], bold_last=True)
        else:
            add_sheet(wb, name, header, rows)
    save(wb, path)
    return Path(path)


# --------------------------------------------------------------------------- plain tables


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
                sheet: str = "results") -> None:
    """One table as a workbook (a sweep's results), streamed row by row (openpyxl's write-only
    mode: a million rows do not sit in memory): numbers as numbers with the formats of
    `number_format` (by header), NaN as an empty cell, text never a formula."""
    from openpyxl import Workbook

    with exact_floats():  # a write-only sheet writes each row as it is appended
        _stream(Workbook(write_only=True), path, sheet, header, rows)


def _stream(wb: Any, path: str | Path, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    titles = []
    for h in header:
        c = WriteOnlyCell(ws, value=_text(str(h)))
        c.data_type, c.font = "s", bold
        titles.append(c)
    ws.append(titles)
    formats = [number_format(str(h), ()) for h in header]
    for row in rows:
        cells = []
        for j, value in enumerate(row):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append(None)
                continue
            if isinstance(value, float) and not math.isfinite(value):
                value = repr(value)
            c = WriteOnlyCell(ws, value=_text(value))
            if isinstance(value, str):
                c.data_type = "s"
            elif not isinstance(value, bool) and formats[j] != "General":
                c.number_format = formats[j]
            cells.append(c)
        ws.append(cells)
    save(wb, path)


def read_table(path: str | Path) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of the first sheet of a workbook (empty cells are None; rows
    padded to the header's width)."""
    wb = open_workbook(path)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        rows = ws.iter_rows(values_only=True)
        header = ["" if v is None else str(v) for v in next(rows, ())]
        n = len(header)
        out = [list(r[:n]) + [None] * (n - len(r)) for r in rows]
    finally:
        wb.close()
    while out and all(v is None for v in out[-1]):
        out.pop()
    return header, out
