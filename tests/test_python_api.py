"""What-ifs from Python: `Instance.with_changes`, `Solution.tables`, `to_csv`, `to_report`, `compare`."""

from __future__ import annotations

import copy

import pytest
from conftest import REPO
from tiny import tiny

import dcopt
from dcopt.instance.errors import InstanceError
from dcopt.pipeline.solve import Pipeline
from dcopt.results.writers import csv_tables

QUICKSTART = REPO / "instances" / "quickstart.json"

# tests/tiny.py base numbers (as tests/test_cost_items.py spells them out)
MWH = 8.76 * 0.8 * 1.5 * 16 * (1.0 + 0.01)  # 16 GPUs at 1.01 kW, load factor 0.8, PUE 1.5, one year
BLOCK_CAPEX = 0.1 * (8e6 + 1000 * 500 + 1000 / 20 * 50_000)  # 1_100_000


# --------------------------------------------------------------------------- with_changes


def test_with_changes_sets_scales_shifts_and_validates():
    inst = dcopt.load_instance(QUICKSTART)
    b200 = next(g.price_usd_per_gpu for g in inst.catalog.gpus if g.name == "B200")
    new = inst.with_changes({
        "sites[name=tx-abilene].electricity_usd_per_mwh": 90,
        "catalog.gpus[name=B200].price_usd_per_gpu*=": 0.8,
        "sites[*].fixed_opex_usd_per_mw_year+": 5_000,
        "sites[name=tx-abilene].allowed_cooling": ["dlc"],
        "finance.carbon_price_usd_per_t": 50,  # absent in the file: its default can be set
    })
    assert isinstance(new, dcopt.Instance) and new is not inst
    sites = {s.name: s for s in new.sites}
    assert sites["tx-abilene"].electricity_usd_per_mwh == 90
    assert next(g.price_usd_per_gpu for g in new.catalog.gpus if g.name == "B200") == pytest.approx(0.8 * b200)
    assert sites["tx-abilene"].fixed_opex_usd_per_mw_year == 105_000
    assert sites["tx-abilene"].allowed_cooling == ["dlc"]
    assert new.finance.carbon_price_usd_per_t == 50
    # the original is unchanged (instances are frozen)
    assert {s.name: s.electricity_usd_per_mwh for s in inst.sites}["tx-abilene"] == 66
    # demand paths scale, as in sweeps; "PATH=VALUE" strings work too
    scaled = inst.with_changes(["demand.training=1.5", "finance.discount_rate=0.08"])
    assert scaled.demand.training["2028"] == pytest.approx(9000)
    assert scaled.finance.discount_rate == 0.08
    # a value that is not a number is put as it is, a demand map too
    mapped = inst.with_changes({"demand.training": {"2026": 10, "2027": 100, "2028": 200}})
    assert mapped.demand.training == {"2026": 10, "2027": 100, "2028": 200}


def test_with_changes_errors_name_the_path():
    inst = dcopt.load_instance(QUICKSTART)
    with pytest.raises(InstanceError) as e:
        inst.with_changes({"sites[name=va-1].electricity_usd_per_mwh": 90})
    assert e.value.problems[0].path == "sites[name=va-1].electricity_usd_per_mwh"
    assert "tx-abilene" in e.value.problems[0].fix
    with pytest.raises(InstanceError) as e:
        inst.with_changes({"finance.discount_rate": -3})
    assert e.value.problems[0].path == "finance.discount_rate" and ">= -0.1" in e.value.problems[0].message
    with pytest.raises(InstanceError) as e:
        inst.with_changes({"finance.discount_rat": 0.1})
    assert "did you mean 'discount_rate'" in e.value.problems[0].fix
    with pytest.raises(InstanceError, match="needs a number"):
        inst.with_changes({"sites[0].electricity_usd_per_mwh*=": "double"})


# --------------------------------------------------------------------------- solution tables


@pytest.fixture(scope="module")
def solved():
    inst = tiny()
    s2 = copy.deepcopy(inst["sites"][0])
    s2.update(name="s2", electricity_usd_per_mwh=103)
    inst["sites"].append(s2)
    return dcopt.solve(inst, mip_gap=1e-9)


def test_tables_are_the_csv_tables_and_more(solved):
    tables = solved.tables()
    csv = csv_tables(solved)
    assert list(tables)[: len(csv)] == list(csv)
    for name, (header, rows) in csv.items():
        assert list(tables[name].columns) == header and len(tables[name]) == len(rows)
    assert tables["purchases"]["gpus"].sum() == sum(p.gpus for p in solved.purchases)
    assert tables["costs"].set_index("item")["npv_usd"].sum() == pytest.approx(solved.tco_usd, rel=1e-9)
    delivered = tables["delivered"]
    assert list(delivered.columns) == ["year", "workload", "demand", "delivered", "unmet"]
    assert delivered.iloc[0].to_dict() == {"year": 2026, "workload": "training", "demand": 16.0,
                                           "delivered": pytest.approx(16.0), "unmet": 0.0}
    assert not {"jobs", "routes", "rentals", "onsite_builds"} & set(tables)  # no SPEC 8 decisions here


def test_tables_of_spec8_decisions():
    """A solution with jobs, routes and rentals has their tables, one row per entry: a solution
    built by hand from its fields, so that the mapping is tested without a SPEC 8 solve."""
    from dcopt.results.solution import JobSite, JobYearResult, RentalResult, RouteResult, RouteYear
    from dcopt.results.tables import solution_tables

    s = dcopt.Solution(dcopt_version="x", instance_name="x", status="optimal", has_plan=True,
                       jobs=[JobYearResult(job="j", year=2026, demand=1, delivered=1, home="a", gpu="g",
                                           sites=[JobSite(site="a", gpus=8, loss=0, delivered=1)])],
                       routes=[RouteResult(a="a", b="b", distance_km=10, lit_year=2026,
                                           years=[RouteYear(year=2026, links={"zr": 2}, gbps_installed=800,
                                                            gbps_used=100)])],
                       rented=[RentalResult(rental="r", gpu="g", year=2026, gpus=4, delivered={"training": 4})])
    tables = solution_tables(s)
    assert tables["jobs"].iloc[0]["site"] == "a" and tables["routes"].iloc[0]["links"] == "zr=2"
    assert tables["rentals"].iloc[0]["workload"] == "training"


def test_to_csv_and_to_report(solved, tmp_path):
    paths = solved.to_csv(tmp_path / "csv")
    assert sorted(p.stem for p in paths) == sorted(solved.tables())
    assert (tmp_path / "csv" / "purchases.csv").read_text(encoding="utf-8").startswith("site,cooling,rack_kw")
    page = solved.to_report(tmp_path / "plan.html")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text


def test_compare_explains_the_difference_item_by_item(solved):
    """The plan at s2 against the optimum at s1 (tests/tiny.py, s2 at 103 USD/MWh): the same
    design at the other site, so the TCO differs by 3 USD/MWh on the MWH of one year, all of
    it on electricity; by site, every item moves from s1 to s2."""
    other = solved.instance.with_changes({"sites[name=s1].electricity_usd_per_mwh": 1000})
    at_s2 = dcopt.solve(other, mip_gap=1e-9)
    assert at_s2.sites[1].open_year == 2026
    # the s2 plan in the original instance, its decisions held
    alt = Pipeline(dcopt.SolveOptions(mip_gap=1e-9)).solve(solved.instance, fixed=at_s2.plan(), fixed_before=9999)
    comparison = alt.compare(solved)
    assert comparison.difference_usd == pytest.approx(3 * MWH, rel=1e-9)
    assert [(d.item, d.difference_usd) for d in comparison.by_item] == [("energy", pytest.approx(3 * MWH))]
    by_site = {(d.site, d.item): d.difference_usd for d in comparison.by_site_item}
    assert by_site[("s2", "energy")] == pytest.approx(103 * MWH) and by_site[("s1", "energy")] == pytest.approx(
        -100 * MWH)
    assert by_site[("s2", "site_opening")] == pytest.approx(1_000_000) == -by_site[("s1", "site_opening")]
    assert by_site[("s2", "blocks")] == pytest.approx(BLOCK_CAPEX) == -by_site[("s1", "blocks")]
    assert comparison.decisions == [
        "site s1: yours not opened; optimum opened 2026, 0.1 MW IT by 2026 (1 x air/20 kW)",
        "site s2: yours opened 2026, 0.1 MW IT by 2026 (1 x air/20 kW); optimum not opened"]
    text = comparison.text()  # as dcopt evaluate --compare prints it
    assert text.startswith("Compared with the optimum:")
    assert "+0.00 M$  Electricity (and on-site fuel)" in text
    # a solution of another instance is not compared: its costs are other numbers
    with pytest.raises(ValueError, match="same instance"):
        at_s2.compare(solved)
    # a solution read from a file knows no instance: it is given
    read = dcopt.Solution.model_validate_json(alt.model_dump_json())
    assert read.instance is None
    with pytest.raises(ValueError, match="needs the instance"):
        read.compare(dcopt.Solution.model_validate_json(solved.model_dump_json()))
    again = read.compare(solved)  # the instance of `solved`
    assert again.difference_usd == pytest.approx(3 * MWH, rel=1e-9)


def test_emissions_of_a_solution():
    """One year, 16 GPUs at site carbon 400 kg/MWh: 0.4 t per MWh of MWH."""
    s = dcopt.solve(tiny(site={"carbon_kg_per_mwh": 400}), mip_gap=1e-9)
    assert s.emissions_t() == pytest.approx(0.4 * MWH, rel=1e-9)
    assert s.tables()["years"]["emissions_t"].iloc[0] == pytest.approx(0.4 * MWH, rel=1e-9)
