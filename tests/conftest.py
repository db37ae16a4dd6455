"""Shared fixtures: where the reference cases live, tiny instance builders."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from refcases import shared_dir, shipped_dir

REPO = Path(__file__).resolve().parent.parent


def cases_dir() -> Path:
    """A folder of the v1.1 reference cases, for tests that pick cases by name:
    ../shared/cases (or $DCOPT_CASES_DIR) when present, else the copies shipped in
    tests/reference_cases/. The tests of every case use `refcases.reference_cases`."""
    return shared_dir() or shipped_dir()


@pytest.fixture
def cases() -> Path:
    return cases_dir()


SMALL_INSTANCE: dict = {
    "name": "small instance",
    "horizon": {"start_year": 2026, "end_year": 2026},
    "finance": {"discount_rate": 0.1, "carbon_price_usd_per_t": 50, "facility_life_years": 10,
                "facility_maintenance_frac_per_year": 0.02, "annual_capex_budget_usd": None},
    "options": {"life_choices_years": [3], "load_factor": 0.8},
    "catalog": {
        "gpus": [{"name": "g1", "first_year": 2026, "last_year": 2026, "price_usd_per_gpu": 20000,
                  "system_kw_per_gpu": 1.0, "training_perf": 1.0, "inference_perf": 1.0, "unit_gpus": 8,
                  "nic_gbps": 400, "max_life_years": 6, "depreciation_years": 4,
                  "maintenance_frac_per_year": 0.05}],
        "cooling": [{"name": "air", "liquid": False, "max_rack_kw": 40, "capex_usd_per_kw": 500, "pue": 1.5}],
        "densities": [{"rack_kw": 20, "capex_usd_per_rack": 50000}],
        "fabrics": [{"name": "eth", "max_gbps_per_port": 800, "capex_usd_per_gbps": 5, "watts_per_gbps": 0.025,
                     "site_fixed_capex_usd": 100000, "training_efficiency": 0.9, "availability": 0.9}],
    },
    "sites": [{"name": "s1", "region": "us-east", "max_facility_mw": 0.2, "block_mw": 0.1,
               "site_fixed_capex_usd": 1000000, "shell_capex_usd_per_mw": 8000000,
               "fixed_opex_usd_per_mw_year": 100000, "electricity_usd_per_mwh": 100,
               "carbon_kg_per_mwh": 400}],
    "demand": {"training": {"2026": 50}, "inference": []},
}


def small_instance() -> dict:
    """A small valid instance (the shape of shared/cases/h1_single_year_resale.json), a fresh copy."""
    return copy.deepcopy(SMALL_INSTANCE)
