"""CSV tables and the `dcopt solve` summary of SPEC 8 results (issues 11-15, "Solution, CSV and
dcopt solve summary"; SPEC 8.9): each new table and summary section on small v2 cases, with the
values of the Solution; v1.1 CSV files unchanged; scenario solutions write their cases. Every
solve goes through the independent check.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

import dcopt
from dcopt.cli.main import main
from dcopt.model.items import item_label
from dcopt.results import summary8, tables8
from dcopt.results.solution import Solution
from dcopt.results.supply import installed_gpus, supply_by_year
from dcopt.results.writers import case_tables, csv_tables, read_solution, summary, write_csv

V2 = REPO / "tests" / "reference_cases" / "v2"
EVERY = REPO / "tests" / "data" / "every-feature.json"
V11 = REPO / "tests" / "data" / "v11-csv"
V11_TABLES = ["costs", "sites", "blocks", "fabrics", "purchases", "retirements", "allocations", "years"]


def path_of(name: str) -> Path:
    return EVERY if name == "every-feature" else V2 / f"{name}.json"


@functools.cache
def solved(name: str) -> tuple[Solution, dcopt.Instance]:
    inst = dcopt.load_instance(path_of(name))
    s = dcopt.solve(inst, mip_gap=1e-6)
    assert s.has_plan, (s.message, s.diagnosis)
    return s, inst


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def as_dicts(table) -> list[dict]:
    header, rows = table
    return [dict(zip(header, r)) for r in rows]


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- v1.1 unchanged

@pytest.mark.parametrize("name", ["quickstart", "brownfield-refresh"])
def test_v11_csv_files_are_unchanged_but_for_the_cost_labels(name, tmp_path):
    folder = V11 / name
    s = read_solution(folder / "solution.json")
    paths = write_csv(s, tmp_path)
    assert [p.name for p in paths] == [f"{t}.csv" for t in V11_TABLES]  # no new table
    for p in paths:
        if p.name != "costs.csv":
            assert p.read_bytes() == (folder / p.name).read_bytes(), p.name
    new, old = read(tmp_path / "costs.csv"), read(folder / "costs.csv")
    assert [row[:-1] for row in new] == old  # the old columns, in order, then the label
    assert new[0][-1] == "label"
    assert [row[-1] for row in new[1:]] == [item_label(row[0]) for row in new[1:]]


@pytest.mark.parametrize("name", ["quickstart", "brownfield-refresh"])
def test_v11_summary_changes_only_in_the_cost_labels(name):
    folder = V11 / name
    s = read_solution(folder / "solution.json")
    new = summary(s).splitlines()
    # the one new line: the TCO before end-of-horizon values (issue 17), right under the TCO
    assert "before end-of-horizon values" in new[2] and "before end-of-horizon values" not in "".join(new[3:])
    new = new[:2] + new[3:]
    old = (folder / "summary.txt").read_text(encoding="utf-8").splitlines()
    assert len(new) == len(old)
    start = old.index("Largest cost items (NPV):") + 1
    end = old.index("", start)
    assert new[:start] == old[:start] and new[end:] == old[end:]
    labels = {item_label(i): i for i in s.costs_npv_usd} | {"other items": "other items"}
    for n, o in zip(new[start:end], old[start:end]):
        label, value = n.strip().rsplit("  ", 1)
        item, old_value = o.strip().rsplit("  ", 1)
        assert labels[label.strip()] == item.strip() and value.strip() == old_value.strip()


# --------------------------------------------------------------------------- tables

def test_jobs_table_has_the_solutions_jobs():
    s, _ = solved("v2_job_span_two_sites")
    rows = as_dicts(csv_tables(s)["jobs"])
    want = [(j.job, j.year, j.demand, j.delivered, j.home, j.gpu, x.site, x.gpus, x.loss, x.delivered)
            for j in s.jobs for x in j.sites]
    assert [tuple(r.values()) for r in rows] == want
    assert {r["site"] for r in rows} == {"A", "B"}  # the job spans two sites
    remote = next(r for r in rows if r["site"] != r["home"])
    assert remote["loss"] > 0 and close(remote["site_delivered"], remote["gpus"] * (1 - remote["loss"]))
    assert close(sum(r["site_delivered"] for r in rows), rows[0]["delivered"])


def test_jobs_table_row_for_a_job_year_served_nowhere():
    s, _ = solved("v2_job_span_two_sites")
    bare = s.model_copy(update={"jobs": [s.jobs[0].model_copy(update={"sites": []})]})
    _, rows = csv_tables(bare)["jobs"]
    assert rows == [["llm", 2026, 100.0, s.jobs[0].delivered, "B", "g", "", "", "", ""]]


def test_routes_table_has_links_by_optic_and_gbps():
    s, _ = solved("v2_job_span_two_sites")
    rows = as_dicts(csv_tables(s)["routes"])
    r = s.routes[0]
    assert rows == [{"a": r.a, "b": r.b, "distance_km": r.distance_km, "lit_year": r.lit_year, "year": y.year,
                     "optic": o, "links_installed": n, "gbps_installed": y.gbps_installed,
                     "gbps_used": y.gbps_used} for y in r.years for o, n in y.links.items()]
    assert rows[0]["optic"] == "400zr" and rows[0]["links_installed"] == 2 and rows[0]["gbps_installed"] == 800


def test_routes_table_starts_at_the_lit_year_and_shows_routes_without_links():
    from dcopt.results.solution import RouteResult, RouteYear

    route = RouteResult(a="A", b="B", distance_km=10, lit_year=2027, years=[
        RouteYear(year=2026, links={}, gbps_installed=0, gbps_used=0),
        RouteYear(year=2027, links={}, gbps_installed=0, gbps_used=0),
        RouteYear(year=2028, links={"800zr": 1, "400zr": 2}, gbps_installed=1600, gbps_used=900)])
    s, _ = solved("v2_job_span_two_sites")
    _, rows = csv_tables(s.model_copy(update={"routes": [route]}))["routes"]
    assert rows == [["A", "B", 10, 2027, 2027, "", 0, 0, 0],
                    ["A", "B", 10, 2027, 2028, "400zr", 2, 1600, 900],
                    ["A", "B", 10, 2027, 2028, "800zr", 1, 1600, 900]]


def test_grid_upgrades_table():
    s, _ = solved("v2_grid_upgrade")
    rows = as_dicts(csv_tables(s)["grid_upgrades"])
    site = next(x for x in s.sites if x.name == "s1")
    assert rows == [{"site": u.site, "upgrade": u.upgrade, "year": u.year,
                     "grid_limit_mw": site.grid_limit_mw[u.year]} for u in s.grid_upgrades]
    assert rows[0]["upgrade"] == "sub" and close(rows[0]["grid_limit_mw"], 0.13 + 0.15)


@pytest.mark.parametrize("name", ["v2_onsite_generation", "every-feature"])
def test_onsite_table(name):
    s, _ = solved(name)
    sols = [c.solution for c in s.scenarios.cases] if s.scenarios else [s]
    found = False
    for x in sols:
        if not (x.onsite_builds or x.onsite_generation):
            assert "onsite" not in csv_tables(x)
            continue
        found = True
        rows = as_dicts(csv_tables(x)["onsite"])
        for b in x.onsite_builds:
            assert close(sum(r["mw_built"] for r in rows if (r["site"], r["option"], r["year"])
                             == (b.site, b.option, b.year)), b.mw)
        for g in x.onsite_generation:
            assert close(sum(r["mwh_generated"] for r in rows if (r["site"], r["option"], r["year"])
                             == (g.site, g.option, g.year)), g.mwh)
        assert close(sum(r["mw_built"] for r in rows), sum(b.mw for b in x.onsite_builds))
        assert close(sum(r["mwh_generated"] for r in rows), sum(g.mwh for g in x.onsite_generation))
        by_site = {site.name: sum(site.onsite_mwh.values()) for site in x.sites}
        for site, mwh in by_site.items():
            assert close(sum(r["mwh_generated"] for r in rows if r["site"] == site), mwh)
    assert found


def test_rentals_table():
    s, _ = solved("v2_rental")
    rows = as_dicts(csv_tables(s)["rentals"])
    assert rows == [{"rental": r.rental, "gpu": r.gpu, "year": r.year, "gpus": r.gpus, "workload": w,
                     "delivered": v} for r in s.rented for w, v in r.delivered.items()]
    assert rows[0]["rental"] == "cloud" and rows[0]["workload"] == "training"
    assert close(sum(r["gpus"] for r in rows), sum(y.rented_gpus for y in s.years))


def test_supply_table_rental():
    s, inst = solved("v2_rental")
    rows = as_dicts(csv_tables(s, inst)["supply"])
    assert rows == as_dicts(csv_tables(s)["supply"])  # no colocation: the instance is not needed
    (r,) = rows
    y = s.years[0]
    assert r["year"] == y.year and r["owned_gpus"] == sum(y.active_gpus.values()) and r["colocated_gpus"] == 0
    assert close(r["rented_gpus"], y.rented_gpus)
    assert close(r["rented_training_delivered"], s.rented[0].delivered["training"])
    assert close(r["owned_training_delivered"] + r["rented_training_delivered"], y.training_delivered)
    assert r["owned_inference_delivered"] == r["rented_inference_delivered"] == 0


def test_supply_table_colocation_needs_the_instance_to_split():
    s, inst = solved("v2_colocation")
    rows = as_dicts(csv_tables(s, inst)["supply"])
    assert [r["year"] for r in rows] == [y.year for y in s.years]
    for r, y in zip(rows, s.years):
        assert r["owned_gpus"] == 0 and r["colocated_gpus"] == sum(y.active_gpus.values()) == 64
        assert close(r["colocated_training_delivered"], y.training_delivered) and r["rented_gpus"] == 0
    # without the instance the split is unknown: owned counts the colocated GPUs, colocated is empty
    bare = as_dicts(csv_tables(s)["supply"])
    for r, y in zip(bare, s.years):
        assert r["owned_gpus"] == 64 and r["colocated_gpus"] == "" and r["colocated_training_delivered"] == ""
        assert close(r["owned_training_delivered"], y.training_delivered)


def test_supply_of_every_case_adds_up():
    s, inst = solved("every-feature")
    assert "supply" not in csv_tables(s, inst)  # the expectation has no supply of its own
    for c in s.scenarios.cases:
        x = c.solution
        for sy, y in zip(supply_by_year(x, inst), x.years):
            assert close(sy.owned_gpus + sy.colocated_gpus, sum(y.active_gpus.values()))
            assert close(sy.rented_gpus, y.rented_gpus)
            training = y.training_delivered + sum(y.job_delivered.values())
            assert close(sy.owned_training + sy.colocated_training + sy.rented_training, training)
            assert close(sy.owned_inference + sy.colocated_inference + sy.rented_inference,
                         sum(y.inference_delivered.values()))
        assert any(sy.colocated_gpus for sy in supply_by_year(x, inst))  # site b is a colocation site


@pytest.mark.parametrize("name", ["quickstart", "brownfield-refresh"])
def test_installed_gpus_are_the_years_active_gpus(name):
    s = read_solution(V11 / name / "solution.json")
    at = installed_gpus(s)
    for y in s.years:
        assert close(sum(v for (_, t), v in at.items() if t == y.year), sum(y.active_gpus.values()))


def test_tables_present_only_when_the_solution_has_them():
    expect = {
        "v2_job_span_two_sites": {"jobs", "routes"},
        "v2_rental": {"rentals", "supply"},
        "v2_onsite_generation": {"onsite"},
        "v2_grid_upgrade": {"grid_upgrades"},
        "v2_colocation": {"supply"},
        "v2_scenarios": {"cases"},
        "every-feature": {"cases"},
    }
    for name, extra in expect.items():
        s, inst = solved(name)
        assert set(csv_tables(s, inst)) == set(V11_TABLES) | extra, name


def test_costs_table_labels_every_item():
    s, _ = solved("every-feature")
    header, rows = csv_tables(s)["costs"]
    assert header[:2] == ["item", "npv_usd"] and header[-1] == "label"
    assert [r[0] for r in rows] == list(s.costs_npv_usd)
    assert [r[-1] for r in rows] == [item_label(r[0]) for r in rows]
    assert "Colocation fees" in [r[-1] for r in rows]


# --------------------------------------------------------------------------- scenarios

@pytest.mark.parametrize("name", ["v2_scenarios", "every-feature"])
def test_scenario_solution_writes_its_cases(name, tmp_path):
    s, inst = solved(name)
    paths = write_csv(s, tmp_path, inst)
    header, *rows = read(tmp_path / "cases.csv")
    assert header[:3] == ["case", "probability", "tco_usd"] and header[-1] == "folder"
    items = header[3:-1]
    assert items == list(s.costs_npv_usd)
    for row, c in zip(rows, s.scenarios.cases, strict=True):
        assert row[0] == c.name and float(row[1]) == c.probability and float(row[2]) == c.solution.tco_usd
        assert [float(v) for v in row[3:-1]] == [c.solution.costs_npv_usd.get(i, 0.0) for i in items]
        folder = tmp_path / "cases" / row[-1]
        for table, (h, body) in csv_tables(c.solution, inst).items():
            assert read(folder / f"{table}.csv") == [h] + [["" if v is None else str(v) for v in r] for r in body]
        assert (folder / "costs.csv") in paths and (folder / "years.csv") in paths
    # the expectation: probability-weighted case TCOs and items
    assert close(sum(float(r[1]) * float(r[2]) for r in rows), s.tco_usd)
    assert set(case_tables(s, inst)) == {r[-1] for r in rows}


def test_case_folders_are_safe_and_unique():
    s, _ = solved("v2_scenarios")
    cases = s.scenarios.cases
    names = ["../up", "a/b", "CON", "Boom", "boom", ".hidden", "=x", "ok-name_1.2", "dot."]
    hostile = s.model_copy(update={"scenarios": s.scenarios.model_copy(update={
        "cases": [cases[0].model_copy(update={"name": n}) for n in names]})})
    folders = tables8.case_folders(hostile)
    assert list(folders) == names
    got = list(folders.values())
    assert len({f.lower() for f in got}) == len(got)
    for f in got:
        assert f and "/" not in f and "\\" not in f and not f.startswith((".", "-")) and not f.endswith(".")
        assert f.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert folders["ok-name_1.2"] == "ok-name_1.2" and folders["Boom"] == "Boom" and folders["boom"] != "boom"


# --------------------------------------------------------------------------- escaping

HOSTILE = {'"llm"': '"=llm"', '"cloud"': '"+cloud"', '"sub"': '"-sub"', '"gas"': '"@gas"', '"400zr"': '"=zr"',
           '"high"': '"=high"'}


@pytest.mark.parametrize("name", ["v2_job_span_two_sites", "v2_rental", "v2_onsite_generation",
                                  "v2_grid_upgrade", "v2_scenarios"])
def test_new_tables_escape_text_cells(name, tmp_path):
    s, _ = solved(name)
    text = s.model_dump_json()
    for plain, bad in HOSTILE.items():
        text = text.replace(plain, bad)
    hostile = Solution.model_validate_json(text)
    every = [c for p in write_csv(hostile, tmp_path) for row in read(p) for c in row]
    assert any(c.startswith("'") for c in every)
    for c in every:
        assert not c.startswith(("=", "+", "@", "\t", "\r")), c
        if c.startswith("-"):
            float(c)


# --------------------------------------------------------------------------- summary

def test_summary_jobs_and_routes():
    s, inst = solved("v2_job_span_two_sites")
    text = summary(s, instance=inst)
    j, r = s.jobs[0], s.routes[0]
    assert "Training jobs (home, GPU model; GPUs by site, loss by distance; delivered of demand):" in text
    sites = ", ".join(f"{x.site} {x.gpus:,.4g}" + (f" (-{100 * x.loss:.0f} %)" if x.loss else "") for x in j.sites)
    assert f"  {j.year} {j.job}: home {j.home}, {j.gpu}; {sites}; {j.delivered:,.6g} of {j.demand:,.6g}" in text
    assert "A 4.444 (-10 %)" in text
    y = r.years[0]
    assert (f"  {r.a} - {r.b} ({r.distance_km:g} km): lit {r.lit_year}; 2 x 400zr (2026); "
            f"{summary8.num(y.gbps_used)} of {summary8.num(y.gbps_installed)} Gbps in 2026") in text
    assert "Supply by year" not in text  # no rentals, no colocation


def test_summary_supply_lines():
    s, inst = solved("v2_rental")
    text = summary(s, instance=inst)
    r = s.rented[0]
    y = s.years[0]
    assert (f"  {y.year}  owned {summary8.num(sum(y.active_gpus.values()))} GPUs (training "
            f"{summary8.num(y.training_delivered - r.delivered['training'])}); rented {summary8.num(r.gpus)} GPUs "
            f"of {r.gpu} from {r.rental} (training {summary8.num(r.delivered['training'])})") in text
    s, inst = solved("v2_colocation")
    text = summary(s, instance=inst)
    assert "  colo (r1, colocation): opened 2026" in text
    for y in s.years:
        assert f"  {y.year}  owned 0 GPUs; colocated 64 GPUs (training 64)" in text
    assert "  2026  owned 64 GPUs (colocated included) (training 64)" in summary(s)


def test_summary_power_lines():
    s, inst = solved("v2_grid_upgrade")
    site = next(x for x in s.sites if x.name == "s1")
    text = summary(s, instance=inst)
    assert f"    grid: {site.max_facility_mw:g} MW, upgrades sub (2026): {site.grid_limit_mw[2026]:g} MW at 2026" in text
    assert f"{site.facility_mw[2026]:.1f} of {site.grid_limit_mw[2026]:g} MW facility at 2026" in text
    s, inst = solved("v2_onsite_generation")
    text = summary(s, instance=inst)
    (b,), (g,) = s.onsite_builds, s.onsite_generation
    assert (f"    on-site {b.option}: {summary8.num(b.mw)} MW ({b.year}); {summary8.num(g.mwh)} MWh generated "
            f"{g.year} (100 % of the site's energy)") in text


def test_summary_scenarios():
    s, inst = solved("every-feature")
    text = summary(s, instance=inst)
    sc = s.scenarios
    assert text.splitlines()[1].startswith(f"Expected TCO {s.tco_usd / 1e6:,.2f} M$ (NPV, over 2 cases)")
    assert f"Sites (shared first stage: decisions before {sc.reveal_year}):" in text
    assert "  b (east, colocation): opened 2026" in text
    assert "    halls: 1 x dlc @ 130 kW (from 2027)" in text  # decided in 2026 (lead time), shared
    for c in sc.cases:
        assert f"  case {c.name} (probability {c.probability:g}): TCO {c.solution.tco_usd / 1e6:,.2f} M$ (NPV)" in text
        block = text.split(f"  case {c.name} ", 1)[1].split("\n  case ", 1)[0]
        for p in c.solution.purchases:
            line = f"{p.year}  buy {p.gpus:>6} {p.gpu} at {p.site}"
            assert (line in block) == (p.year >= sc.reveal_year), line
        for g in c.solution.onsite_builds:
            assert f"{g.year}  on-site {g.option} at {g.site}: {summary8.num(g.mw)} MW" in block
        for r in c.solution.rented:
            assert f"{r.year}  rent {summary8.num(r.gpus)} {r.gpu} from {r.rental}" in block
        assert f"{sc.reveal_year}-{s.years[0].year + 2}  job frontier at home a on nvl72" in block
    assert "EVPI" not in text and "VSS" not in text
    valued = s.model_copy(update={"scenarios": sc.model_copy(update={"evpi_usd": 1.5e6, "vss_usd": 2.5e5})})
    text = summary(valued, instance=inst)
    assert "  EVPI 1.50 M$: " in text and "  VSS 0.25 M$: " in text


def test_summary_case_builds_after_the_reveal():
    s, inst = solved("v2_scenarios")
    text = summary(s, instance=inst)
    sc = s.scenarios
    firsts = {(b.cooling, b.rack_kw, b.year) for x in s.sites for b in x.blocks}
    for c in sc.cases:
        block = text.split(f"  case {c.name} ", 1)[1].split("\n  case ", 1)[0]
        own = [(x.name, b) for x in c.solution.sites for b in x.blocks if (b.cooling, b.rack_kw, b.year) not in firsts]
        for site, b in own:
            assert f"{b.year}  build {b.blocks} x {b.cooling} @ {b.rack_kw:g} kW at {site}" in block
        if not own and not [p for p in c.solution.purchases if p.year >= sc.reveal_year]:
            assert "no decisions of its own" in block
    assert any("build" in x for x in text.splitlines())


def test_cli_passes_the_instance_to_the_writers(tmp_path):
    inst = tmp_path / "colo.json"
    inst.write_text(json.dumps(json.loads((V2 / "v2_colocation.json").read_text(encoding="utf-8"))))
    result = CliRunner().invoke(main, ["solve", str(inst), "--csv", str(tmp_path / "csv"), "--mip-gap", "1e-6"])
    assert result.exit_code == 0, result.output
    assert "colocated 64 GPUs" in result.stdout and "(r1, colocation)" in result.stdout
    supply = read(tmp_path / "csv" / "supply.csv")
    assert supply[1][1:3] == ["0.0", "64.0"]


def test_summary_and_report_give_the_tco_before_end_of_horizon_values():
    """The end-of-horizon values are the registry's credit items in end_year + 1, discounted; the TCO
    before them is the TCO less them (issue 17)."""
    from dcopt.model.items import is_credit
    from dcopt.report.plan_report import Figures

    s = read_solution(V11 / "brownfield-refresh" / "solution.json")
    after = max(y for by in s.costs_nominal_usd.values() for y in by)
    start = s.years[0].year
    want = sum(v.get(after, 0.0) for k, v in s.costs_nominal_usd.items() if is_credit(k)) * (
        1 + s.discount_rate) ** -(after - start)
    assert want < 0 and s.end_of_horizon_usd() == pytest.approx(want, rel=1e-12)
    line = summary(s).splitlines()[2]
    assert f"{((s.tco_usd or 0) - want) / 1e6:,.2f} M$ before end-of-horizon values" in line
    assert f"{want / 1e6:,.2f} M$" in line and str(after) in line
    assert Figures(s).end_values == pytest.approx(want)
