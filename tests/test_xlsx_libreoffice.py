"""Workbooks opened in LibreOffice Calc, headless (Debian's `libreoffice-calc`; .ci/run
tries to install it). Skipped when `soffice` is absent, in CI too: CI must not depend on
LibreOffice being installable. Skipped also when LibreOffice cannot convert a one-cell
workbook (a broken install), so that a failure here is about dcopt's workbooks.

- the plan workbook of `dcopt solve --xlsx` converts to CSV, every sheet, without error;
  its totals (the summary's TCO, the costs sheet's total row and the sum of its NPV
  column) equal the JSON solution's; shown with its number formats, the TCO is whole
  dollars with thousands separators;
- an instance workbook saved again by LibreOffice (its own XML, shared strings, a formula
  it computed) reads back as the same instance.

Each conversion uses its own LibreOffice profile folder, so that a LibreOffice already
running (or a test run beside this one) does not swallow the conversion.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO

import dcopt
from dcopt.instance.io import load_instance
from dcopt.results.writers import write_json
from dcopt.results.xlsx import write_xlsx

CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,{shown},false,false,-1"
"""Comma, double quote, UTF-8, from line 1, ..., cells as shown (or full precision), every
sheet to its own file (`<name>-<sheet>.csv`)."""


def soffice_path() -> str | None:
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    return None


HANG_SECONDS = 600
"""A conversion still running after this long has hung (one takes seconds); not a speed test."""


def run_soffice(soffice: str, source: Path, target: str, out: Path) -> subprocess.CompletedProcess:
    profile = out.parent / f"{out.name}-profile"
    return subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", target, "--outdir", str(out), str(source)],
        capture_output=True, text=True, check=False, timeout=HANG_SECONDS)


@pytest.fixture(scope="module")
def soffice(tmp_path_factory):
    path = soffice_path()
    if path is None:
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc)")
    folder = tmp_path_factory.mktemp("lo-smoke")
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(folder / "one.xlsx")
    try:
        run = run_soffice(path, folder / "one.xlsx", "csv", folder / "out")
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"LibreOffice ({path}) does not run: {exc}")
    if run.returncode != 0 or not (folder / "out" / "one.csv").is_file():
        pytest.skip(f"LibreOffice ({path}) cannot convert a one-cell workbook: {run.stdout}{run.stderr}")
    return path


def convert(soffice: str, source: Path, target: str, out: Path) -> subprocess.CompletedProcess:
    run = run_soffice(soffice, source, target, out)
    assert run.returncode == 0, run.stderr
    assert "Error" not in run.stderr and "Error" not in run.stdout, run.stdout + run.stderr
    return run


def sheets_as_csv(soffice: str, xlsx: Path, out: Path, shown: bool) -> dict[str, list[list[str]]]:
    convert(soffice, xlsx, CSV_FILTER.format(shown="true" if shown else "false"), out)
    tables = {}
    for path in sorted(out.glob(f"{xlsx.stem}-*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            tables[path.stem[len(xlsx.stem) + 1:]] = list(csv.reader(fh))
    return tables


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lo-plan")
    solution = dcopt.solve(REPO / "instances" / "quickstart.json")
    write_json(solution, folder / "plan.json")
    write_xlsx(solution, folder / "plan.xlsx")
    return folder


def test_plan_workbook_converts_to_csv(soffice, plan):
    solution = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    tables = sheets_as_csv(soffice, plan / "plan.xlsx", plan / "csv", shown=False)
    assert list(tables) == sorted(openpyxl.load_workbook(plan / "plan.xlsx").sheetnames)
    tco = solution["tco_usd"]
    summary = {row[0]: row[1] for row in tables["summary"][1:]}
    assert float(summary["tco_usd"]) == pytest.approx(tco, rel=1e-12)
    costs = tables["costs"]
    assert costs[0][:2] == ["item", "npv_usd"] and costs[-1][0] == "total"
    assert float(costs[-1][1]) == pytest.approx(tco, rel=1e-12)
    assert sum(float(r[1]) for r in costs[1:-1]) == pytest.approx(tco, rel=1e-12)
    for item, usd in solution["costs_npv_usd"].items():
        row = next(r for r in costs if r[0] == item)
        assert float(row[1]) == pytest.approx(usd, rel=1e-12, abs=1e-6)
    purchases = tables["purchases"]
    assert sum(int(r[purchases[0].index("gpus")]) for r in purchases[1:]) == sum(
        p["gpus"] for p in solution["purchases"])


def test_plan_workbook_formats_show(soffice, plan):
    solution = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    tables = sheets_as_csv(soffice, plan / "plan.xlsx", plan / "shown", shown=True)
    assert tables["costs"][-1][1] == f"{solution['tco_usd']:,.0f}"
    years = {r[0] for r in tables["purchases"][1:]}
    assert all(r[tables["purchases"][0].index("year")].isdigit() for r in tables["purchases"][1:]), years


def test_instance_workbook_saved_by_libreoffice(soffice, tmp_path):
    source = tmp_path / "quickstart.xlsx"
    shutil.copy(REPO / "instances" / "quickstart.xlsx", source)
    wb = openpyxl.load_workbook(source)
    sites = wb["sites"]
    block = next(c.column for c in sites[1] if c.value == "block_mw")
    sites.cell(2, block).value = "=2+3"  # a formula LibreOffice computes and saves the value of
    wb.save(source)
    convert(soffice, source, "xlsx", tmp_path / "saved")
    saved = load_instance(tmp_path / "saved" / "quickstart.xlsx")
    assert saved == load_instance(REPO / "instances" / "quickstart.json")
