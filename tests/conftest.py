"""Shared fixtures: where the reference cases live, tiny instance builders."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def cases_dir() -> Path | None:
    """The reference cases: $DCOPT_CASES_DIR, else ../shared/cases next to the repository."""
    env = os.environ.get("DCOPT_CASES_DIR")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "cases"]:
        if (candidate / "expected.json").is_file():
            return candidate
    return None


def reference_cases() -> list[tuple[str, dict]]:
    folder = cases_dir()
    if folder is None:
        return []
    expected = json.loads((folder / "expected.json").read_text())
    return sorted(expected.items())


@pytest.fixture
def cases() -> Path:
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found: set DCOPT_CASES_DIR or place shared/cases next to the repo")
    return folder


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
