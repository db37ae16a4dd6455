"""Tiny instance dicts for known-answer tests: 1 site, 1 GPU, 1 cooling, 1 density, 1 fabric.

`tiny()` returns the base instance below with any section overridden key by
key (`tiny(site={"electricity_usd_per_mwh": 80})` changes only that field).
The base numbers, which the tests' hand arithmetic refers to:

    horizon   2026 .. 2026
    finance   discount_rate 0.1, carbon price 0, facility_life_years 10,
              facility maintenance 0, no budget
    options   life_choices_years [3], load_factor 0.8
    gpu g1    bought 2026 .. 2030, 10_000 USD/GPU (no decline), 1.0 kW/GPU,
              training/inference perf 1, unit_gpus 8, nic 400 Gb/s,
              max life 6, depreciation 4 years, maintenance 0
    cooling   air: not liquid, max rack 40 kW, 500 USD/kW, PUE 1.5
    density   20 kW racks at 50_000 USD/rack
    fabric    eth: 800 Gb/s ports, 5 USD/Gbps, 0.025 W/Gbps, site fixed 100_000,
              training efficiency 1, availability 1
    site s1   region us, grid 1.0 MW, block 0.1 MW, opening 1_000_000,
              shell 8_000_000 USD/MW, fixed opex 0, electricity 100 USD/MWh, carbon 0
    demand    training 16 in 2026 (= exactly 2 units of 8 GPUs)

Derived (SPEC 5, 7.1):
    unit capex      = 8 * (10_000 + 5 * 400)                                 = 96_000 USD
    network kW/GPU  = 0.025 * 400 / 1000                                     = 0.01 kW
    unit IT kW      = 8 * (1.0 + 0.01)                                       = 8.08 kW
    block capex     = 0.1 * (8e6 + 1000 * 500 + 1000 / 20 * 50_000)         = 1_100_000 USD
"""

from __future__ import annotations

import copy
from typing import Any

BASE: dict[str, Any] = {
    "name": "tiny",
    "horizon": {"start_year": 2026, "end_year": 2026},
    "finance": {
        "discount_rate": 0.1,
        "carbon_price_usd_per_t": 0,
        "facility_life_years": 10,
        "facility_maintenance_frac_per_year": 0,
        "annual_capex_budget_usd": None,
    },
    "options": {"life_choices_years": [3], "load_factor": 0.8},
    "gpu": {
        "name": "g1",
        "first_year": 2026,
        "last_year": 2030,
        "price_usd_per_gpu": 10000,
        "system_kw_per_gpu": 1.0,
        "training_perf": 1.0,
        "inference_perf": 1.0,
        "unit_gpus": 8,
        "nic_gbps": 400,
        "max_life_years": 6,
        "depreciation_years": 4,
        "maintenance_frac_per_year": 0,
    },
    "cooling": {
        "name": "air",
        "liquid": False,
        "max_rack_kw": 40,
        "capex_usd_per_kw": 500,
        "pue": 1.5,
    },
    "density": {"rack_kw": 20, "capex_usd_per_rack": 50000},
    "fabric": {
        "name": "eth",
        "max_gbps_per_port": 800,
        "capex_usd_per_gbps": 5,
        "watts_per_gbps": 0.025,
        "site_fixed_capex_usd": 100000,
        "training_efficiency": 1.0,
        "availability": 1.0,
    },
    "site": {
        "name": "s1",
        "region": "us",
        "max_facility_mw": 1.0,
        "block_mw": 0.1,
        "site_fixed_capex_usd": 1000000,
        "shell_capex_usd_per_mw": 8000000,
        "fixed_opex_usd_per_mw_year": 0,
        "electricity_usd_per_mwh": 100,
        "carbon_kg_per_mwh": 0,
    },
    "demand": {"training": {"2026": 16}},
}


def tiny(
    *,
    years: tuple[int, int] | None = None,
    finance: dict | None = None,
    options: dict | None = None,
    gpu: dict | None = None,
    cooling: dict | None = None,
    density: dict | None = None,
    fabric: dict | None = None,
    site: dict | None = None,
    demand: dict | None = None,
    existing: dict | None = None,
    extra_gpus: list[dict] | None = None,
    name: str = "tiny",
) -> dict[str, Any]:
    """The base instance with overrides; `demand` and `existing` replace the base's whole."""
    b = copy.deepcopy(BASE)
    horizon = dict(b["horizon"])
    if years is not None:
        horizon = {"start_year": years[0], "end_year": years[1]}
    inst: dict[str, Any] = {
        "name": name,
        "horizon": horizon,
        "finance": {**b["finance"], **(finance or {})},
        "options": {**b["options"], **(options or {})},
        "catalog": {
            "gpus": [{**b["gpu"], **(gpu or {})}] + copy.deepcopy(extra_gpus or []),
            "cooling": [{**b["cooling"], **(cooling or {})}],
            "densities": [{**b["density"], **(density or {})}],
            "fabrics": [{**b["fabric"], **(fabric or {})}],
        },
        "sites": [{**b["site"], **(site or {})}],
        "demand": copy.deepcopy(demand) if demand is not None else b["demand"],
    }
    if existing is not None:
        inst["existing"] = copy.deepcopy(existing)
    return inst


def every_year(value: float, start: int, end: int) -> dict[str, float]:
    """A year map with `value` in every year start..end."""
    return {str(y): value for y in range(start, end + 1)}
