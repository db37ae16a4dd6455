"""Reading instances: catalog resolution (SPEC 7.21), null means default (7.11),
defaults that depend on other fields (7.12), and a JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cases_dir, small_instance

from dcopt.instance.catalogs import shipped_catalog_dir
from dcopt.instance.errors import InstanceError
from dcopt.instance.io import load_instance
from dcopt.instance.schema import Catalog, Instance, Options


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


# --------------------------------------------------------------------------- catalog resolution (SPEC 7.21)


def test_shipped_catalog_by_name():
    folder = shipped_catalog_dir()
    if folder is None or not (folder / "default.json").is_file():
        pytest.skip("models/default.json is not there yet")
    data = small_instance()
    data["catalog"] = "default"
    inst = load_instance(data)
    assert inst.catalog == Catalog.model_validate_json((folder / "default.json").read_text())
    assert inst.catalog.gpus


def test_relative_catalog_path_is_relative_to_the_instance_folder(tmp_path, monkeypatch):
    data = small_instance()
    catalog = data["catalog"]
    catalog["gpus"][0]["name"] = "from-file"
    write(tmp_path / "project" / "cat.json", catalog)
    data["catalog"] = "cat.json"
    file = write(tmp_path / "project" / "inst.json", data)
    monkeypatch.chdir(tmp_path)  # not the instance's folder
    inst = load_instance(file)
    assert [g.name for g in inst.catalog.gpus] == ["from-file"]
    assert inst.catalog == Catalog.model_validate(catalog)


def test_catalog_path_with_folders(tmp_path, monkeypatch):
    data = small_instance()
    write(tmp_path / "catalogs" / "mine.json", data["catalog"])
    data["catalog"] = "../catalogs/mine.json"
    file = write(tmp_path / "instances" / "inst.json", data)
    monkeypatch.chdir(tmp_path / "catalogs")
    assert load_instance(file).catalog == Catalog.model_validate(small_instance()["catalog"])


def test_name_ending_in_json_is_a_path_not_a_shipped_catalog(tmp_path):
    data = small_instance()
    data["catalog"]["gpus"][0]["name"] = "local"
    write(tmp_path / "default.json", data["catalog"])
    data["catalog"] = "default.json"
    inst = load_instance(write(tmp_path / "inst.json", data))
    assert [g.name for g in inst.catalog.gpus] == ["local"]


def test_absolute_catalog_path(tmp_path):
    data = small_instance()
    cat = write(tmp_path / "elsewhere" / "c.json", data["catalog"])
    data["catalog"] = str(cat)
    assert load_instance(write(tmp_path / "inst.json", data)).catalog.gpus[0].name == "g1"


def test_dict_source_resolves_catalog_against_base_dir(tmp_path):
    data = small_instance()
    write(tmp_path / "cat.json", data["catalog"])
    data["catalog"] = "cat.json"
    assert load_instance(data, base_dir=tmp_path).catalog.gpus[0].name == "g1"


def test_missing_catalog_file_names_the_resolved_path(tmp_path):
    data = small_instance()
    data["catalog"] = "cat.json"
    with pytest.raises(InstanceError) as err:
        load_instance(write(tmp_path / "inst.json", data))
    [problem] = err.value.problems
    assert problem.path == "catalog"
    assert str(tmp_path / "cat.json") in problem.message


# --------------------------------------------------------------------------- null means default (SPEC 7.11)


def test_null_in_optional_fields_means_default():
    data = small_instance()
    data["name"] = None
    data["finance"].update(carbon_price_usd_per_t=None, facility_life_years=None,
                           facility_maintenance_frac_per_year=None, annual_capex_budget_usd=None)
    data["options"] = None
    data["demand"] = None
    data["existing"] = None
    data["catalog"]["gpus"][0].update(unit_gpus=None, price_decline_per_year=None, max_life_years=None)
    data["sites"][0].update(max_blocks=None, serves_regions=None, power_available_year=None,
                            allowed_cooling=None, pue_overrides=None, carbon_kg_per_mwh=None)
    inst = load_instance(data)
    assert inst.name == ""
    assert inst.finance.carbon_price_usd_per_t == 0
    assert inst.finance.facility_life_years == 20
    assert inst.finance.facility_maintenance_frac_per_year == 0
    assert inst.finance.annual_capex_budget_usd is None
    assert inst.options == Options()
    assert inst.options.life_choices_years == [3, 4, 5, 6] and inst.options.load_factor == 0.8
    assert inst.demand.training == {} and inst.demand.inference == []
    assert inst.existing.blocks == [] and inst.existing.deployments == []
    gpu = inst.catalog.gpus[0]
    assert gpu.unit_gpus == 8 and gpu.decline_per_year == 0 and gpu.max_life_years == 6
    site = inst.sites[0]
    assert site.max_blocks is None and site.allowed_cooling is None and site.pue_overrides is None
    assert site.carbon_kg_per_mwh == 0
    assert site.serves_regions == ["us-east"] and site.power_available_year == 2026


def test_null_equals_absent():
    with_nulls = small_instance()
    with_nulls["finance"]["carbon_price_usd_per_t"] = None
    with_nulls["options"] = None
    absent = small_instance()
    del absent["finance"]["carbon_price_usd_per_t"]
    del absent["options"]
    assert load_instance(with_nulls) == load_instance(absent)


def test_null_in_a_required_field_is_an_error():
    data = small_instance()
    data["finance"]["discount_rate"] = None
    data["sites"][0]["block_mw"] = None
    with pytest.raises(InstanceError) as err:
        load_instance(data)
    found = {p.path: p for p in err.value.problems}
    assert set(found) == {"finance.discount_rate", "sites[0].block_mw"}
    assert found["finance.discount_rate"].message == "expected a number, got null"
    assert found["sites[0].block_mw"].fix


# --------------------------------------------------------------------------- defaults (SPEC 7.11, 7.12)


def test_site_defaults_resolved():
    data = small_instance()
    data["horizon"] = {"start_year": 2027, "end_year": 2028}
    data["catalog"]["gpus"][0].update(first_year=2027, last_year=2028)
    inst = load_instance(data)
    site = inst.sites[0]
    assert site.serves_regions == ["us-east"]
    assert site.served_regions == ["us-east"]
    assert site.power_available_year == 2027


def test_serves_regions_taken_literally():
    data = small_instance()
    data["sites"][0]["serves_regions"] = ["eu-west"]
    data["sites"][0]["power_available_year"] = 2030
    site = load_instance(data).sites[0]
    assert site.serves_regions == ["eu-west"]  # its own region us-east is not added
    assert site.power_available_year == 2030


def test_empty_serves_regions_stays_empty():
    data = small_instance()
    data["sites"][0]["serves_regions"] = []
    assert load_instance(data).sites[0].serves_regions == []


def test_finance_and_options_defaults_when_absent():
    data = small_instance()
    data["finance"] = {"discount_rate": 0.05}
    del data["options"], data["name"], data["demand"]
    inst = load_instance(data)
    assert inst.finance.model_dump() == {"discount_rate": 0.05, "carbon_price_usd_per_t": 0,
                                         "facility_life_years": 20, "facility_maintenance_frac_per_year": 0,
                                         "annual_capex_budget_usd": None}
    assert inst.options.model_dump() == {"life_choices_years": [3, 4, 5, 6], "load_factor": 0.8}
    assert inst.name == ""


# --------------------------------------------------------------------------- round trip


def _round_trip(inst: Instance) -> None:
    again = Instance.model_validate_json(inst.model_dump_json())
    assert again == inst


def test_round_trip_small_instance():
    data = small_instance()
    data["catalog"]["gpus"][0]["price_usd_per_gpu"] = {"2026": 20000}
    data["sites"][0].update(pue_overrides={"air": 1.3}, allowed_cooling=["air"], max_blocks=3)
    data["existing"] = {"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}]}
    _round_trip(load_instance(data))


def test_round_trip_reference_cases():
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found")
    for file in sorted(folder.glob("*.json")):
        if file.name != "expected.json":
            _round_trip(load_instance(file))
