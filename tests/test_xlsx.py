"""Instances as Excel workbooks (issue 19): the layout comes from the schema, every shipped
instance and reference case (v1.1 and v2) converts to a workbook and back to an equal
`Instance`, the v1.1 cases and the hand-written v2 cases solve from their workbooks to
their reference TCO (through the independent check), and a problem in a workbook names
its sheet, row and column and its JSON path (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import REPO, small_instance
from refcases import ids, reference_cases

import dcopt
from dcopt.cli.main import main
from dcopt.instance import schema as s
from dcopt.instance.errors import InstanceError
from dcopt.instance.io import load_instance
from dcopt.instance.xlsx import (
    POOLED,
    Column,
    convert,
    layout,
    layout_markdown,
    read_workbook,
    write_workbook,
)

INSTANCES = sorted(p for p in (REPO / "instances").glob("*.json") if not p.stem.endswith("-plan"))
CASES = reference_cases()
CASES_V2 = reference_cases("v2")


def problems_of(path: Path) -> list[str]:
    """The problems of an instance file, as `path: message` lines."""
    with pytest.raises(InstanceError) as exc:
        load_instance(path)
    return [f"{p.path}: {p.message}" for p in exc.value.problems]


def workbook(doc: dict, path: Path) -> openpyxl.Workbook:
    write_workbook(doc, path)
    return openpyxl.load_workbook(path)


def column(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def row_of(ws, first_column_value: str) -> int:
    return next(c.row for c in ws["A"] if c.value == first_column_value)


# --------------------------------------------------------------------------- the layout


def _models_and_fields() -> list[tuple[type, str]]:
    """Every (model, field) of the instance format, reachable from `Instance`."""
    from dcopt.instance.xlsx import _shape

    out, stack, seen = [], [s.Instance], set()
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name in model.model_fields:
            out.append((model, name))
            shape = _shape(model, name)
            if not isinstance(shape, Column):
                stack.append(shape.model)
    return out


def test_layout_gives_every_schema_field_one_place():
    """Each plain field of the schema is a column of exactly one sheet, in schema order; each
    object or list of objects has its sheets (their fields are columns there); the pooled
    training demand is the training row of `demand`. A new schema field appears in the
    workbook by itself, or building the layout says it has no place."""
    from collections import Counter

    from dcopt.instance.xlsx import _shape

    placed = Counter((sheet.model, c.field) for sheet in layout() for c in sheet.columns)
    fields = _models_and_fields()
    assert len(fields) > 150
    for model, name in fields:
        if isinstance(_shape(model, name), Column):
            expected = 0 if (model, name) == (s.Demand, POOLED[1]) else 1
            assert placed[model, name] == expected, f"{model.__name__}.{name}"
        if model is not s.Instance or name != "catalog":
            placed.pop((model, name), None)
    assert set(placed) == {(s.Instance, "catalog")}  # the catalog's name or path
    assert next(x for x in layout() if x.name == "demand").pooled
    for sheet in layout():
        if sheet.kind == "table":
            plain = [n for n in sheet.model.model_fields if isinstance(_shape(sheet.model, n), Column)]
            assert [c.field for c in sheet.columns] == plain, sheet.name


def test_layout_sheets():
    names = [x.name for x in layout()]
    assert names[:4] == ["instance", "horizon", "finance", "options"]
    for name in ("sites", "gpus", "cooling", "densities", "fabrics", "fabric_ports", "dci_optics", "demand",
                 "training_jobs", "existing_blocks", "existing_deployments", "dci_routes", "rentals",
                 "grid_upgrades", "onsite_power", "scenarios", "scenario_cases"):
        assert name in names
    sites = next(x for x in layout() if x.name == "sites")
    kinds = {c.field: c.kind for c in sites.columns}
    assert kinds["electricity_usd_per_mwh"] == "scalar_or_map"
    assert kinds["pue_overrides"] == "map"
    assert kinds["allowed_cooling"] == "list"


def test_workbook_format_doc_is_current():
    committed = (REPO / "docs" / "workbook-format.md").read_text(encoding="utf-8")
    assert committed == layout_markdown(), "docs/workbook-format.md is stale: run python -m dcopt.docgen"


# --------------------------------------------------------------------------- round trips


def _round_trip(source: Path, tmp_path: Path, inline: bool = False) -> None:
    """JSON -> workbook -> JSON; `convert` reads each file it writes back and raises unless
    it gives an `Instance` equal to its source's."""
    expected = load_instance(source)
    xlsx = tmp_path / f"{source.stem}.xlsx"
    assert convert(source, xlsx, inline_catalog=inline) == expected
    back = tmp_path / f"{source.stem}.json"
    assert convert(xlsx, back) == expected


@pytest.mark.parametrize("path", INSTANCES, ids=[p.name for p in INSTANCES])
def test_instances_round_trip(path, tmp_path):
    _round_trip(path, tmp_path)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_reference_cases_round_trip_and_solve(case, tmp_path):
    """v1.1: the workbook gives the same instance and solves to the reference TCO."""
    _round_trip(case.path, tmp_path)
    solution = dcopt.solve(tmp_path / f"{case.path.stem}.xlsx", mip_gap=1e-9)
    assert solution.status == case.expected["status"]
    if case.expected["tco_usd"] is not None:
        assert solution.tco_usd == pytest.approx(case.expected["tco_usd"], rel=1e-6)


@pytest.mark.parametrize("case", CASES_V2, ids=ids(CASES_V2))
def test_v2_reference_cases_round_trip(case, tmp_path):
    """v2 (section 8): the workbook gives an equal `Instance`, hence the same TCO (the v2
    cases are solved from workbooks below, the hand-written ones)."""
    _round_trip(case.path, tmp_path)


V2_SOLVED = [c for c in CASES_V2 if not c.name.startswith("gen2-")]
"""The hand-written v2 cases, one or a few section-8 features each; the generated ones
(gen2-*) round-trip above, and some take minutes to solve, which test_reference_cases_v2
already spends on their JSON files."""


@pytest.mark.parametrize("case", V2_SOLVED, ids=ids(V2_SOLVED))
def test_v2_cases_solve_from_workbooks(case, tmp_path):
    """Solved from the workbook through the independent check (no stand-in for it), to the
    reference status and TCO."""
    xlsx = tmp_path / "case.xlsx"
    convert(case.path, xlsx)
    solution = dcopt.solve(xlsx, mip_gap=1e-9)
    assert solution.status == case.expected["status"], solution.message
    if case.expected["tco_usd"] is None:
        assert solution.tco_usd is None and not solution.has_plan
    else:
        assert solution.tco_usd == pytest.approx(case.expected["tco_usd"], rel=1e-6)


def test_inline_catalog_round_trip(tmp_path):
    """The shipped catalog by name, or inline in the catalog sheets."""
    _round_trip(REPO / "instances" / "quickstart.json", tmp_path, inline=True)
    wb = openpyxl.load_workbook(tmp_path / "quickstart.xlsx")
    assert {"gpus", "cooling", "densities", "fabrics", "catalog_sources"} <= set(wb.sheetnames)
    assert wb["instance"]["B3"].value is None  # no catalog reference
    named = tmp_path / "named.xlsx"
    convert(REPO / "instances" / "quickstart.json", named)
    wb = openpyxl.load_workbook(named)
    assert "gpus" not in wb.sheetnames and wb["instance"]["B3"].value == "default"


def test_catalog_path_is_repointed(tmp_path):
    """A catalog named by a path stays a path, relative to the converted file's folder."""
    catalog = json.loads((REPO / "models" / "default.json").read_text(encoding="utf-8"))
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "mine.json").write_text(json.dumps(catalog), encoding="utf-8")
    doc = json.loads((REPO / "instances" / "quickstart.json").read_text(encoding="utf-8"))
    doc["catalog"] = "../cat/mine.json"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "inst.json").write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "b" / "c" / "inst.xlsx"
    out.parent.mkdir(parents=True)
    convert(tmp_path / "a" / "inst.json", out)
    assert openpyxl.load_workbook(out)["instance"]["B3"].value == "../../cat/mine.json"
    assert load_instance(out) == load_instance(tmp_path / "a" / "inst.json")


def test_quickstart_workbook_is_shipped_and_current(tmp_path):
    shipped = REPO / "instances" / "quickstart.xlsx"
    assert load_instance(shipped) == load_instance(REPO / "instances" / "quickstart.json")
    fresh = tmp_path / "quickstart.xlsx"
    convert(REPO / "instances" / "quickstart.json", fresh)
    a, b = openpyxl.load_workbook(shipped), openpyxl.load_workbook(fresh)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == \
               [[c.value for c in r] for r in b[name].iter_rows()], (
            f"instances/quickstart.xlsx is stale (sheet {name}): run "
            "dcopt convert instances/quickstart.json instances/quickstart.xlsx")


def test_every_section8_field_round_trips(tmp_path):
    """tests/data/every-feature.json holds every section-8 feature, scenarios included."""
    _round_trip(REPO / "tests" / "data" / "every-feature.json", tmp_path, inline=True)


def test_awkward_values_round_trip(tmp_path):
    """Floats to the last bit, names that look like formulas or hold commas, year maps with
    years outside the horizon, a map by name, explicit empty lists and maps."""
    doc = small_instance()
    doc["name"] = "=1+1"
    g = doc["catalog"]["gpus"][0]
    g["price_usd_per_gpu"] = 0.1 + 0.2 + 20000
    g["name"] = "@g1, rev. 2"
    g["max_gpus_per_year"] = {}
    doc["catalog"]["cooling"].append({"name": "+dlc", "liquid": True, "max_rack_kw": 120,
                                      "capex_usd_per_kw": 1 / 3, "pue": 1.1})
    site = doc["sites"][0]
    site["allowed_cooling"] = ["air", "+dlc"]
    site["serves_regions"] = []
    site["pue_overrides"] = {"air": 1.4, "+dlc": 1.05}
    site["electricity_usd_per_mwh"] = {"2025": 90, "2026": 100.00000000000001}
    doc["demand"]["inference"] = [{"region": "us-east", "perf": {"2026": 1.5, "2030": 2}}]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _round_trip(path, tmp_path, inline=True)
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert wb["instance"]["B2"].value == "=1+1" and wb["instance"]["B2"].data_type == "s"
    sites = wb["sites"]
    assert sites.cell(2, column(sites, "allowed_cooling")).value == "air, +dlc"
    assert sites.cell(2, column(sites, "serves_regions")).value == "[]"
    assert sites.cell(2, column(sites, "pue_overrides +dlc")).value == 1.05
    gpus = wb["gpus"]
    assert gpus.cell(2, column(gpus, "price_usd_per_gpu")).value == 0.1 + 0.2 + 20000
    assert gpus.cell(2, column(gpus, "max_gpus_per_year")).value == "{}"


def test_numbers_are_numbers_and_header_comments(tmp_path):
    wb = workbook(json.loads((REPO / "instances" / "quickstart.json").read_text()), tmp_path / "q.xlsx")
    sites = wb["sites"]
    cell = sites.cell(2, column(sites, "electricity_usd_per_mwh"))
    assert cell.value == 66 and cell.data_type == "n"
    assert "USD" not in str(cell.value)
    comment = sites.cell(1, column(sites, "block_mw")).comment.text
    assert "MW" in comment and "Range [0.01, 10000]" in comment and "Required" in comment
    demand = wb["demand"]
    assert [c.value for c in demand[1]] == ["workload", "region", "perf 2026", "perf 2027", "perf 2028"]
    assert [c.value for c in demand[2]] == ["training", None, 3000, 4500, 6000]
    assert [c.value for c in demand[3]] == ["inference", "us", 1000, 2500, 4500]
    assert wb["options"]["B2"].value == "3, 4, 5, 6"


# --------------------------------------------------------------------------- reading what people type


def test_cells_as_people_type_them(tmp_path):
    """Numbers typed as text, whole floats for years, TRUE as text, a lone number in a list
    cell, a JSON list, a notes sheet, columns in another order and header case."""
    path = tmp_path / "q.xlsx"
    wb = workbook(json.loads((REPO / "instances" / "quickstart.json").read_text()), path)
    sites = wb["sites"]
    sites.cell(2, column(sites, "electricity_usd_per_mwh")).value = " 66 "
    sites.cell(2, column(sites, "block_mw")).value = "5"
    sites.cell(1, column(sites, "region")).value = "Region"
    sites.cell(3, column(sites, "allowed_cooling")).value = '["air", "dlc"]'
    wb["horizon"]["B2"].value = 2026.0
    wb["options"]["B2"].value = 4
    wb.create_sheet("_my notes")["A1"] = "anything"
    wb.move_sheet("sites", offset=-3)
    wb.save(path)
    inst = load_instance(path)
    assert inst.sites[0].electricity_usd_per_mwh == 66 and inst.sites[0].block_mw == 5
    assert inst.options.life_choices_years == [4]
    assert inst.horizon.start_year == 2026 and isinstance(inst.horizon.start_year, int)
    assert inst.sites[1].allowed_cooling == ["air", "dlc"]


def test_three_problems_each_with_sheet_row_and_column(tmp_path):
    """The issue's acceptance: a typo in a sheet name, a text in a number cell and a missing
    year column give three problems, each naming the sheet, row and column."""
    doc = json.loads((REPO / "instances" / "quickstart.json").read_text())
    doc["sites"][0]["electricity_usd_per_mwh"] = {"2026": 66, "2027": 68, "2028": 70}
    path = tmp_path / "q.xlsx"
    wb = workbook(doc, path)
    wb["finance"].title = "finanse"
    sites = wb["sites"]
    sites.delete_cols(column(sites, "electricity_usd_per_mwh 2027"))
    sites.cell(3, column(sites, "block_mw")).value = "5 MW"
    wb.save(path)
    assert problems_of(path) == [
        "finanse: unknown sheet 'finanse'",
        "sites!F3 block_mw: expected a number, got a string '5 MW'",
        "sites!K2 electricity_usd_per_mwh: year map misses horizon year 2027",
    ]
    with pytest.raises(InstanceError) as exc:
        load_instance(path)
    assert [p.json_path for p in exc.value.problems] == [
        "", "sites[1].block_mw", "sites[0].electricity_usd_per_mwh"]
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "did you mean 'finance'? rename the sheet" in result.output
    assert "add the column electricity_usd_per_mwh 2027" in result.output
    assert ("sites!F3 block_mw: expected a number, got a string '5 MW'\n"
            "      JSON path: sites[1].block_mw\n") in result.output
    assert "sites!K2 electricity_usd_per_mwh: year map misses horizon year 2027\n" \
           "      JSON path: sites[0].electricity_usd_per_mwh\n" in result.output
    result = CliRunner().invoke(main, ["solve", str(path)])
    assert result.exit_code == 2 and "sites!F3 block_mw" in result.output


def test_problems_name_their_cells(tmp_path):
    doc = json.loads((REPO / "tests" / "reference_cases" / "v2" / "v2_grid_upgrade.json").read_text())
    path = tmp_path / "g.xlsx"
    wb = workbook(doc, path)
    sites, fin = wb["sites"], wb["finance"]
    sites.cell(1, column(sites, "block_mw")).value = "blok_mw"          # misspelt column
    sites.cell(3, 1).value = "s1"                                       # duplicate site name
    sites.cell(2, column(sites, "shell_capex_usd_per_mw")).value = "=B2*2"  # never computed
    sites.cell(1, sites.max_column + 1).value = "max_facility_mw 2026"  # not a map
    wb["grid_upgrades"]["A2"].value = "nowhere"                          # unknown parent
    fin.cell(row_of(fin, "discount_rate"), 1).value = "discount_rat"     # misspelt row
    fin.cell(row_of(fin, "facility_life_years"), 2).value = -5
    wb["horizon"]["B3"].value = None                                     # required, empty
    wb["gpus"].cell(2, column(wb["gpus"], "liquid_required")).value = "yes"
    wb.save(path)
    found = problems_of(path)
    assert found == [
        "sites!I2 shell_capex_usd_per_mw: formula '=B2*2' has no computed value in the file",
        "finance!A2: unknown field 'discount_rat'",  # (not also "discount_rate is missing")
        "sites!F1: unknown column 'blok_mw'",  # (not also "column block_mw is missing")
        "sites!P1: max_facility_mw takes one value per row, not a column 'max_facility_mw 2026'",
        "grid_upgrades!A2 site: unknown site 'nowhere'",
        "horizon!B3 end_year: required, but the cell is empty",
        "finance!B4 facility_life_years: must be >= 1 and <= 100, got -5",
        "gpus!K2 liquid_required: expected true or false, got a string 'yes'",
        "sites!A3 name: duplicate site name 's1', already at sites row 2",
    ]


def test_missing_sheet_column_and_row(tmp_path):
    path = tmp_path / "q.xlsx"
    wb = workbook(json.loads((REPO / "instances" / "quickstart.json").read_text()), path)
    del wb["horizon"]
    sites = wb["sites"]
    sites.delete_cols(column(sites, "region"))
    wb["finance"].delete_rows(row_of(wb["finance"], "discount_rate"))
    wb["instance"]["B3"].value = None
    wb.save(path)
    found = problems_of(path)
    assert found == [
        "horizon: required sheet is missing",
        "finance discount_rate: required row is missing",
        "instance!B3 catalog: required, but the cell is empty",
        "sites column region: required column is missing",
    ]


def test_nested_and_pooled_rows(tmp_path):
    doc = json.loads((REPO / "tests" / "reference_cases" / "v2" / "v2_onsite_generation.json").read_text())
    path = tmp_path / "o.xlsx"
    wb = workbook(doc, path)
    onsite = wb["onsite_power"]
    assert onsite["A1"].value == "site" and onsite["A2"].value == doc["sites"][0]["name"]
    onsite["A2"].value = None
    demand = wb["demand"]
    demand["B2"].value = "us"  # a region on the training row
    demand.cell(demand.max_row + 1, 1).value = "batch"
    wb.save(path)
    assert problems_of(path) == [
        "onsite_power!A2 site: which site? the cell is empty",
        "demand!B2 region: the training row has a region",
        f"demand!A{demand.max_row} workload: unknown workload 'batch'",
    ]


def test_catalog_named_and_inline(tmp_path):
    path = tmp_path / "q.xlsx"
    convert(REPO / "instances" / "quickstart.json", path, inline_catalog=True)
    wb = openpyxl.load_workbook(path)
    wb["instance"]["B3"].value = "default"
    wb.save(path)
    found = problems_of(path)
    assert found[0].startswith("instance!B3 catalog: names the catalog 'default', and this workbook has")
    wb["instance"]["B3"].value = None
    wb["gpus"].cell(2, column(wb["gpus"], "system_kw_per_gpu")).value = 0
    wb.save(path)
    assert problems_of(path) == ["gpus!F2 system_kw_per_gpu: must be >= 0.01 and <= 100, got 0"]


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("{}", encoding="utf-8")
    assert problems_of(bad) == [f"$: {bad} is not an Excel workbook (.xlsx is a zip file; this is not one)"]
    ods = tmp_path / "x.ods"
    ods.write_bytes(b"")
    assert problems_of(ods) == ["$: dcopt reads .xlsx workbooks, not .ods files"]
    assert problems_of(tmp_path / "none.xlsx") == [f"$: file not found: {tmp_path / 'none.xlsx'}"]


def test_broken_workbooks_are_messages(tmp_path):
    """What spreadsheets hold that JSON cannot (dates, error values, booleans in number
    cells) and damaged files: exit 2 from validate, solve and convert, with the cell and the
    JSON path, never a traceback (catch_exceptions=False lets one through)."""
    import datetime
    import zipfile

    good = tmp_path / "good.xlsx"
    wb = workbook(json.loads((REPO / "instances" / "quickstart.json").read_text()), good)
    sites = wb["sites"]
    sites.cell(2, column(sites, "block_mw")).value = datetime.datetime(2026, 1, 1)
    error = sites.cell(3, column(sites, "block_mw"))
    error.value, error.data_type = "#DIV/0!", "e"
    wb["finance"]["B2"].value = True
    odd = tmp_path / "odd.xlsx"
    wb.save(odd)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:2000])
    not_a_workbook = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as z:
        z.writestr("notes.txt", "not a workbook")
    expected = {
        odd: ["sites!F2 block_mw: expected a number, got a string '2026-01-01T00:00:00'",
              "JSON path: sites[0].block_mw",
              "sites!F3 block_mw: expected a number, got a string '#DIV/0!'",
              "JSON path: sites[1].block_mw",
              "finance!B2 discount_rate: expected a number, got a boolean true",
              "JSON path: finance.discount_rate"],
        truncated: [f"{truncated} is not an Excel workbook (.xlsx is a zip file; this is not one)"],
        not_a_workbook: [f"{not_a_workbook} is not a readable Excel workbook"],
    }
    runner = CliRunner()
    for path, lines in expected.items():
        for args in (["validate", str(path)], ["solve", str(path)],
                     ["convert", str(path), str(tmp_path / "out.json")]):
            result = runner.invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 2, (args, result.output)
            assert result.output.startswith(f"{path}: invalid instance"), result.output
            for line in lines:
                assert line in result.output, (args, result.output)
    assert not (tmp_path / "out.json").exists()


def test_reader_problems_do_not_hide_validation(tmp_path):
    """A reading problem (an unknown column) and a validation problem are listed together."""
    path = tmp_path / "q.xlsx"
    wb = workbook(json.loads((REPO / "instances" / "quickstart.json").read_text()), path)
    wb["sites"].cell(1, 30).value = "colour"
    wb["finance"]["B2"].value = 5
    wb.save(path)
    assert problems_of(path) == ["sites!AD1: unknown column 'colour'",
                                 "finance!B2 discount_rate: must be >= -0.1 and <= 1, got 5"]


def test_read_workbook_document(tmp_path):
    """The document read from a workbook is the JSON's (defaults left out stay out)."""
    doc = json.loads((REPO / "instances" / "quickstart.json").read_text())
    write_workbook(doc, tmp_path / "q.xlsx")
    got, reader = read_workbook(tmp_path / "q.xlsx")
    assert not reader.problems
    assert got == doc


# --------------------------------------------------------------------------- the command


def test_convert_command(tmp_path):
    runner = CliRunner()
    xlsx, back = tmp_path / "q.xlsx", tmp_path / "q.json"
    r = runner.invoke(main, ["convert", str(REPO / "instances" / "quickstart.json"), str(xlsx)])
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output
    r = runner.invoke(main, ["convert", str(xlsx), str(back)])
    assert r.exit_code == 0, r.output
    assert json.loads(back.read_text()) == json.loads((REPO / "instances" / "quickstart.json").read_text())
    r = runner.invoke(main, ["validate", str(xlsx)])
    assert r.exit_code == 0 and "valid" in r.output
    r = runner.invoke(main, ["convert", str(xlsx), str(tmp_path / "q.csv")])
    assert r.exit_code == 2 and "neither .json nor .xlsx" in r.output
    bad = tmp_path / "bad.json"
    doc = small_instance()
    doc["sites"][0]["block_mw"] = -1
    bad.write_text(json.dumps(doc))
    r = runner.invoke(main, ["convert", str(bad), str(tmp_path / "bad.xlsx")])
    assert r.exit_code == 2 and "sites[0].block_mw" in r.output
    assert not (tmp_path / "bad.xlsx").exists()


def test_text_a_workbook_cannot_hold(tmp_path):
    doc = small_instance()
    doc["name"] = "bell\x07"
    (tmp_path / "a.json").write_text(json.dumps(doc))
    r = CliRunner().invoke(main, ["convert", str(tmp_path / "a.json"), str(tmp_path / "a.xlsx")])
    assert r.exit_code == 2
    assert "name: text holds the control character \\x07" in r.output
