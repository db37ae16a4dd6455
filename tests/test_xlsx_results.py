"""Workbooks dcopt writes (issue 19): the plan workbook of `dcopt solve --xlsx` holds the
CSV tables cell for cell, its totals are the solution's, its numbers are numbers with
formats and its text is never a formula; section-8 solutions get their tables; sweep
results and break-even traces as .xlsx read back exactly."""

from __future__ import annotations

import json
import math

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import REPO
from refcases import case_path
from test_csv import NAMES, hostile

import dcopt
from dcopt.cli.main import main
from dcopt.results.writers import csv_tables, from_spreadsheet_text
from dcopt.results.xlsx import USD, YEAR, extra_tables, workbook_tables, write_xlsx
from dcopt.studies.results import read_results


@pytest.fixture(scope="module")
def quickstart():
    return dcopt.solve(REPO / "instances" / "quickstart.json")


@pytest.fixture(scope="module")
def section8():
    """Solutions of v2 cases that use jobs over DCI, on-site power, grid upgrades, rentals and
    scenarios (each plan through the independent check)."""
    names = ["v2_job_span_two_sites.json", "v2_onsite_generation.json", "v2_grid_upgrade.json",
             "v2_rental.json", "v2_scenarios.json"]
    return {n: dcopt.solve(case_path(n, "v2")) for n in names}


def sheet_values(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def csv_cells(rows: list[list]) -> list[list]:
    """A CSV table's rows as the workbook holds them ("" is an empty cell)."""
    return [[None if v == "" else v for v in row] for row in rows]


def check_plan_workbook(solution, path) -> openpyxl.Workbook:
    write_xlsx(solution, path)
    wb = openpyxl.load_workbook(path)
    tables = csv_tables(solution)
    assert wb.sheetnames == ["summary", *workbook_tables(solution)]
    for name, (header, rows) in tables.items():
        got = sheet_values(wb[name])
        if name == "costs":
            total, got = got[-1], got[:-1]
            assert total[0] == "total" and total[1] == solution.tco_usd
            for k in range(2, len(header)):
                if header[k] == "label":  # text: no total
                    assert total[k] is None
                    continue
                assert total[k] == pytest.approx(math.fsum(r[k] for r in rows), rel=1e-12, abs=1e-6)
        assert got == [header, *csv_cells(rows)], f"sheet {name} differs from {name}.csv"
    summary = dict(sheet_values(wb["summary"])[1:])
    assert summary["tco_usd"] == solution.tco_usd and summary["status"] == solution.status
    return wb


def test_plan_workbook_holds_the_csv_figures(quickstart, tmp_path):
    wb = check_plan_workbook(quickstart, tmp_path / "plan.xlsx")
    assert {"fleet"} <= set(wb.sheetnames)
    assert sum(r[1] for r in sheet_values(wb["costs"])[1:-1]) == pytest.approx(quickstart.tco_usd, rel=1e-12)


def test_plan_workbook_numbers_have_formats(quickstart, tmp_path):
    wb = check_plan_workbook(quickstart, tmp_path / "plan.xlsx")
    costs = wb["costs"]
    label = [c.value for c in costs[1]].index("label")
    for row in costs.iter_rows(min_row=2):
        for k, cell in enumerate(row[1:], start=1):
            if k == label:  # the item's label (text; empty on the total row)
                assert cell.value is None or cell.data_type == "s"
                continue
            assert cell.data_type == "n" and isinstance(cell.value, float)
            assert cell.number_format == USD
    purchases = wb["purchases"]
    header = [c.value for c in purchases[1]]
    year = purchases.cell(2, header.index("year") + 1)
    assert year.data_type == "n" and year.number_format == YEAR
    gpus = purchases.cell(2, header.index("gpus") + 1)
    assert isinstance(gpus.value, int) and gpus.number_format == "#,##0"
    summary = wb["summary"]
    rows = {r[0].value: r[1] for r in summary.iter_rows(min_row=2)}
    assert rows["tco_usd"].number_format == USD and rows["mip_gap"].number_format.endswith("%")
    assert rows["has_plan"].data_type == "b"
    for ws in wb.worksheets:  # no number written as text
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    with pytest.raises(ValueError):
                        float(cell.value)


def test_section8_tables(section8, tmp_path):
    lists = {"grid_upgrades": "grid_upgrades", "onsite_builds": "onsite_builds",
             "onsite_generation": "onsite_generation", "links": "links", "job_placements": "job_placements",
             "job_allocations": "job_allocations", "rental_allocations": "rental_allocations"}
    seen = set()
    for name, solution in section8.items():
        assert solution.has_plan, name
        wb = check_plan_workbook(solution, tmp_path / f"{name}.xlsx")
        for field, sheet in lists.items():
            entries = getattr(solution, field)
            if entries:
                seen.add(sheet)
                assert len(sheet_values(wb[sheet])) == 1 + len(entries), (name, sheet)
            else:
                assert sheet not in wb.sheetnames
        if solution.routes:
            seen.add("routes")
            assert len(sheet_values(wb["routes"])) == 1 + sum(len(r.years) for r in solution.routes)
        if solution.jobs:
            seen.add("jobs")
            rows = sheet_values(wb["jobs"])[1:]
            assert sum(r[7] for r in rows) == pytest.approx(sum(s.gpus for j in solution.jobs for s in j.sites))
        if solution.rented:
            seen.add("rentals")
        if solution.scenarios is not None:
            seen.add("scenario_cases")
            cases = sheet_values(wb["scenario_cases"])[1:]
            assert [c[0] for c in cases] == [c.name for c in solution.scenarios.cases]
            assert sum(c[1] * c[2] for c in cases) == pytest.approx(solution.tco_usd, rel=1e-9)
            summary = dict(sheet_values(wb["summary"])[1:])
            assert summary["expected_tco_usd"] == solution.scenarios.expected_tco_usd
    assert seen >= {"grid_upgrades", "onsite_builds", "onsite_generation", "links", "routes", "jobs",
                    "job_placements", "rentals", "scenario_cases"}


def test_plan_workbook_text_is_never_a_formula(tmp_path):
    solution = dcopt.solve(hostile(), mip_gap=1e-6)
    wb = check_plan_workbook(solution, tmp_path / "plan.xlsx")
    texts = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "s"}
    assert NAMES <= texts
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_extra_tables_only_with_rows(quickstart):
    assert set(extra_tables(quickstart)) == {"fleet"}


def test_solve_writes_the_workbook(tmp_path):
    """`dcopt solve instance.xlsx --xlsx plan.xlsx --csv DIR -o plan.json`: every CSV file's
    cells are the workbook's sheet of that name (numbers equal to the last bit), and the
    workbook's TCO and cost items are the JSON solution's."""
    import csv

    runner = CliRunner()
    out, csv_dir = tmp_path / "out" / "plan.xlsx", tmp_path / "csv"
    r = runner.invoke(main, ["solve", str(REPO / "instances" / "quickstart.xlsx"), "--xlsx", str(out),
                             "--csv", str(csv_dir), "-o", str(tmp_path / "plan.json"), "-q"])
    assert r.exit_code == 0, r.output
    solution = json.loads((tmp_path / "plan.json").read_text())
    wb = openpyxl.load_workbook(out)
    summary = dict(sheet_values(wb["summary"])[1:])
    assert summary["tco_usd"] == solution["tco_usd"]
    costs = {row[0]: row[1] for row in sheet_values(wb["costs"])[1:]}
    assert costs.pop("total") == solution["tco_usd"]
    assert costs == solution["costs_npv_usd"]
    files = sorted(csv_dir.glob("*.csv"))
    assert files
    for path in files:
        with path.open(encoding="utf-8", newline="") as fh:
            text = list(csv.reader(fh))
        cells = sheet_values(wb[path.stem])
        if path.stem == "costs":
            cells = cells[:-1]  # the workbook's total row
        assert len(cells) == len(text), path.name
        for got, want in zip(cells, text):
            assert len(got) == len(want), path.name
            for value, field in zip(got, want):
                if value is None:
                    assert field == "", (path.name, want)
                elif isinstance(value, (bool, str)):
                    assert from_spreadsheet_text(field) == str(value), (path.name, want)
                else:
                    assert float(field) == value, (path.name, want)


def test_no_plan_no_workbook(tmp_path):
    from tiny import tiny

    inst = tiny(demand={"training": {"2026": 1e6}})
    (tmp_path / "i.json").write_text(json.dumps(inst))
    r = CliRunner().invoke(main, ["solve", str(tmp_path / "i.json"), "--no-diagnose", "--xlsx",
                                  str(tmp_path / "p.xlsx")])
    assert r.exit_code == 1
    assert not (tmp_path / "p.xlsx").exists()


# --------------------------------------------------------------------------- sweep results


VARY = ["sites[name=tx-abilene].electricity_usd_per_mwh=40,120"]


def test_sweep_results_as_workbook(tmp_path):
    out = tmp_path / "results.xlsx"
    df = dcopt.sweep(REPO / "instances" / "quickstart.xlsx", VARY, output=out)
    assert out.exists() and not (tmp_path / "results.xlsx.journal.csv").exists()
    back = read_results(out)
    assert list(back.columns) == list(df.columns)
    assert back.equals(df)  # floats to the last bit, NaN, text and types
    wb = openpyxl.load_workbook(out)
    ws = wb["results"]
    header = [c.value for c in ws[1]]
    tco = ws.cell(2, header.index("tco_usd") + 1)
    assert tco.data_type == "n" and tco.number_format == USD
    # resuming a finished workbook solves nothing more; a new value is added
    more = dcopt.sweep(REPO / "instances" / "quickstart.xlsx",
                       [VARY[0].replace("40,120", "40,120,200")], output=out, resume=True)
    assert len(more) == 3 and more.iloc[:2].equals(df)
    assert read_results(out).equals(more)


def test_results_workbook_text_is_text(tmp_path):
    """The streamed results writer: text that looks like a formula or a number stays text,
    infinities and NaN come back, floats to the last bit, ints as ints."""
    import pandas as pd

    from dcopt.studies.results import write_results_xlsx

    df = pd.DataFrame({"point": [0, 1], "design": ["grid", "grid"], "has_plan": [True, False],
                       "message": ["=1+1", "@SUM(A1)"], "sites_opened": ["+cmd", "12"],
                       "tco_usd": [0.1 + 0.2, math.nan], "cost:x": [math.inf, -math.inf]})
    path = tmp_path / "r.xlsx"
    write_results_xlsx(path, df)
    ws = openpyxl.load_workbook(path)["results"]
    cells = {c.value: c.data_type for row in ws.iter_rows(min_row=2) for c in row}
    assert all(cells[t] == "s" for t in ("=1+1", "@SUM(A1)", "+cmd", "12"))
    back = read_results(path)
    assert list(back["message"]) == ["=1+1", "@SUM(A1)"] and list(back["sites_opened"]) == ["+cmd", "12"]
    assert back["tco_usd"][0] == 0.1 + 0.2 and math.isnan(back["tco_usd"][1])
    assert list(back["cost:x"]) == [math.inf, -math.inf]
    assert list(back["point"]) == [0, 1] and list(back["has_plan"]) == [True, False]


def test_sweep_workbook_problems_and_report(tmp_path):
    """A results workbook that is not one, or whose cell is of the wrong kind, stops a resumed
    sweep with exit 2 naming the cell (no traceback); `dcopt report results.xlsx` gives the
    report the CSV table gives."""
    from dcopt.report import read_sweep_table, sweep_report_html

    runner = CliRunner()
    args = ["sweep", str(REPO / "instances" / "quickstart.json"), "--vary", VARY[0], "--no-progress"]
    out, csv_out = tmp_path / "results.xlsx", tmp_path / "results.csv"
    for path in (out, csv_out):
        r = runner.invoke(main, [*args, "-o", str(path)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    a, b = read_sweep_table(csv_out), read_sweep_table(out)
    assert b.drop(columns="solve_seconds").equals(a.drop(columns="solve_seconds"))
    assert sweep_report_html(b.assign(solve_seconds=a["solve_seconds"]), "t") == sweep_report_html(a, "t")
    r = runner.invoke(main, ["report", str(out), "-o", str(tmp_path / "sweep.html")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "tx-abilene" in (tmp_path / "sweep.html").read_text(encoding="utf-8")

    wb = openpyxl.load_workbook(out)
    ws = wb["results"]
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("tco_usd") + 1).value = "lots"
    wb.save(out)
    r = runner.invoke(main, [*args, "-o", str(out), "--resume"], catch_exceptions=False)
    assert r.exit_code == 2, r.output
    letter = openpyxl.utils.get_column_letter(header.index("tco_usd") + 1)
    assert f"{out}: {letter}3 tco_usd: expected a number, got str 'lots'" in r.output
    out.write_text("not a workbook", encoding="utf-8")
    r = runner.invoke(main, [*args, "-o", str(out), "--resume"], catch_exceptions=False)
    assert r.exit_code == 2, r.output
    assert "cannot be read as sweep results" in r.output and "is not an Excel workbook" in r.output
    r = runner.invoke(main, ["report", str(out)], catch_exceptions=False)
    assert r.exit_code == 2 and "cannot build a sweep report" in r.output, r.output


def test_breakeven_trace_as_workbook(tmp_path):
    """`dcopt breakeven -o trace.xlsx` writes the trace `-o trace.csv` writes (both read back
    through read_results: the same points, values and types; the solve times differ)."""
    runner = CliRunner()
    doc = json.loads((REPO / "instances" / "quickstart.json").read_text())  # 2026-2028, with Oregon
    doc["horizon"]["end_year"] = 2028
    doc["demand"]["training"] = {y: v for y, v in doc["demand"]["training"].items() if y <= "2028"}
    doc["demand"]["inference"][0]["perf"] = {y: v for y, v in doc["demand"]["inference"][0]["perf"].items()
                                             if y <= "2028"}
    doc["sites"] = [x for x in doc["sites"] if x["name"] != "or-hillsboro"]  # this Oregon site, as measured
    doc["sites"].append(dict(doc["sites"][0], name="or-hillsboro", region="us-west", shell_capex_usd_per_mw=7898000,
                             electricity_usd_per_mwh=75, carbon_kg_per_mwh=98))
    doc["catalog"] = str(REPO / "models" / "default.json")
    (tmp_path / "two-sites.json").write_text(json.dumps(doc))
    args = ["breakeven", str(tmp_path / "two-sites.json"), "--vary",
            "sites[name=tx-abilene].electricity_usd_per_mwh=40:400", "--watch", "site:or-hillsboro",
            "--max-solves", "4"]
    for ext in ("csv", "xlsx"):
        r = runner.invoke(main, [*args, "-o", str(tmp_path / f"trace.{ext}")])
        assert r.exit_code == 0, r.output
        assert "changes between 130 and 220" in r.output  # Oregon opens once Texas power is dear
    csv = read_results(tmp_path / "trace.csv")
    xlsx = read_results(tmp_path / "trace.xlsx")
    assert len(xlsx) == 4 and list(xlsx["decision"]) == list(csv["decision"])
    assert xlsx.drop(columns="solve_seconds").equals(csv.drop(columns="solve_seconds"))
    ws = openpyxl.load_workbook(tmp_path / "trace.xlsx")["results"]
    header = [c.value for c in ws[1]]
    tco = ws.cell(2, header.index("tco_usd") + 1)
    assert tco.data_type == "n" and tco.value == csv["tco_usd"][0] and tco.number_format == USD
