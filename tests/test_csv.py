"""CSV cells from user text never run as spreadsheet formulas (issue 9): every text cell
starting with =, +, -, @ (or a tab, a carriage return, a quote) gets a leading single quote,
in every CSV dcopt writes; numbers stay numbers; files dcopt reads back round-trip."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from tiny import tiny

import dcopt
from dcopt.cli.main import main
from dcopt.results.writers import from_spreadsheet_text, spreadsheet_text, write_csv

SITE, REGION, GPU, FABRIC, COOLING = "=HYPERLINK(\"http://x\")", "+east", "@gpu", "-ib", "=air"
NAMES = {SITE, REGION, GPU, FABRIC, COOLING}


def hostile() -> dict:
    """tiny() with every name a formula, and inference demand in the formula region."""
    inst = tiny(name="=1+1", site={"name": SITE, "region": REGION}, gpu={"name": GPU},
                fabric={"name": FABRIC}, cooling={"name": COOLING},
                demand={"training": {"2026": 8}, "inference": [{"region": REGION, "perf": {"2026": 8}}]})
    return inst


@pytest.fixture(scope="module")
def solution():
    s = dcopt.solve(hostile(), mip_gap=1e-6)
    assert s.has_plan
    return s


def cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def assert_safe(all_cells: list[str]) -> None:
    for c in all_cells:
        if c.startswith(("=", "+", "@", "\t", "\r")):
            raise AssertionError(f"formula cell {c!r}")
        if c.startswith("-"):
            float(c)  # only numbers may start with a minus


@pytest.mark.parametrize(("value", "shown"), [
    ("=cmd", "'=cmd"), ("+1", "'+1"), ("-x", "'-x"), ("@sum", "'@sum"), ("\t=1", "'\t=1"), ("'quoted", "''quoted"),
    ("plain", "plain"), ("", ""), (-1.5, -1.5), (3, 3), (None, None),
])
def test_spreadsheet_text(value, shown):
    assert spreadsheet_text(value) == shown
    if isinstance(value, str):
        assert from_spreadsheet_text(spreadsheet_text(value)) == value


def test_solution_csv_tables_are_safe(solution, tmp_path):
    paths = write_csv(solution, tmp_path)
    every = [c for p in paths for c in cells(p.read_text(encoding="utf-8"))]
    assert_safe(every)
    for name in NAMES:
        assert f"'{name}" in every, name
    numbers = [c for c in every if c.startswith("-")]
    assert numbers  # negative cost items stay plain numbers
    assert all(not c.startswith("'-") or c[1:] in NAMES for c in every)


def test_cli_csv_tables_are_safe(tmp_path):
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(hostile()))
    result = CliRunner().invoke(main, ["solve", str(inst), "--csv", str(tmp_path / "csv"), "--mip-gap", "1e-6"])
    assert result.exit_code == 0, result.output
    sites = (tmp_path / "csv" / "sites.csv").read_text(encoding="utf-8")
    assert f"'{SITE}".replace('"', '""') in sites and f"'{REGION}" in sites


def test_report_download_tables_are_safe(solution):
    from dcopt.report import html as h
    from dcopt.results.writers import csv_tables

    for header, rows in csv_tables(solution).values():
        assert_safe(cells(h.csv_text(header, rows)))


def test_sweep_results_csv_is_safe_and_reads_back(tmp_path):
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(hostile()))
    out = tmp_path / "results.csv"
    df = dcopt.sweep(inst, [f"sites[name={SITE}].block_mw=0.1,0.2"], jobs=1, output=out, mip_gap=1e-6)
    assert list(df["sites_opened"]) == [SITE, SITE]
    text = out.read_text(encoding="utf-8")
    assert_safe(cells(text))
    assert f"'{SITE}".replace('"', '""') in text
    from dcopt.studies.results import read_results

    again = read_results(out)
    assert list(again["sites_opened"]) == [SITE, SITE]
    assert again["tco_usd"].tolist() == df["tco_usd"].tolist()
    resumed = dcopt.sweep(inst, [f"sites[name={SITE}].block_mw=0.1,0.2"], jobs=1, output=out, resume=True,
                          mip_gap=1e-6)
    assert list(resumed["sites_opened"]) == [SITE, SITE]


def test_sweep_printed_csv_is_safe(tmp_path):
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(hostile()))
    result = CliRunner().invoke(main, ["sweep", str(inst), "--vary", "demand=1,2", "--jobs", "1", "--no-progress",
                                       "--mip-gap", "1e-6"])
    assert result.exit_code == 0, result.output
    assert_safe(cells(result.stdout))
    assert f"'{SITE}".replace('"', '""') in result.stdout
