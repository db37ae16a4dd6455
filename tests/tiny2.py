"""Tiny instance dicts for the SPEC section 8 known-answer tests (tests/test_v2_*.py).

The base is the one of the `v2_*` reference cases (round numbers, nothing that is
not needed): `instance()` returns it with any part overridden; `gpu()`, `site()`,
`cooling()`, `fabric()` return one catalog entry or site with fields overridden, so
that a test spells out only what differs from the base.

    horizon   2026 .. 2026 (years=(S, T) to change)
    finance   discount_rate 0, carbon price 0, facility_life_years 10,
              facility maintenance 0, no budget
    options   life_choices_years [4], load_factor 1
    gpu g     bought 2020 .. 2035, 10_000 USD/GPU (no decline), 1.0 kW/GPU,
              training/inference perf 1, unit_gpus 8, nic 400 Gb/s, max life 6,
              depreciation 4 years, maintenance 0
    cooling   air: not liquid, max rack 40 kW, 0 USD/kW, PUE 1.25
    density   20 kW racks at 0 USD/rack
    fabric    eth: 800 Gb/s ports, 0 USD/Gbps, 0 W/Gbps, site fixed 0
    site s1   region r1, grid 1.0 MW, block 0.1 MW, opening 0,
              shell 1_000_000 USD/MW, fixed opex 0, electricity 100 USD/MWh, carbon 0
    demand    none unless given (`training=` year map, `jobs=` training jobs)

Derived (SPEC 5, 7.1), used by every test's arithmetic:
    unit capex        = 8 * (10_000 + 0 * 400)                = 80_000 USD
    unit IT kW        = 8 * (1.0 + 0)                          = 8 kW
    block             = 0.1 MW = 100 kW: 12 units (96 GPUs); grid 1.0 / (0.1 * 1.25): 8 blocks
    block capex       = 0.1 * (1e6 + 1000 * 0 + 1000 / 20 * 0)  = 100_000 USD
    energy per GPU-yr = 8.76 * LF 1 * PUE 1.25 * 1 kW * 100     = 1_095 USD (a unit: 8_760 USD)
    resale (book)     = capex * res(age, 4): age 1 -> 0.75, age 2 -> 0.5
    facility salvage  = capex * res(T + 1 - y, 10): age 1 -> 0.9, age 2 -> 0.8
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import pytest

import dcopt

V1_ITEMS = (
    "site_opening",
    "fabric_fixed",
    "blocks",
    "deployments",
    "energy",
    "carbon",
    "fixed_opex",
    "facility_maintenance",
    "deployment_maintenance",
    "resale",
    "existing_retirement",
    "existing_residual",
    "facility_salvage",
)
V2_ITEMS = (
    "dci",
    "grid_upgrades",
    "onsite_capex",
    "onsite_fixed_opex",
    "fabric_maintenance",
    "rental",
    "colocation",
)
ITEMS = V1_ITEMS + V2_ITEMS
"""Cost items of SPEC 5 and 8.9 (credits negative); they sum to the TCO."""

START = 2026

# base numbers, spelled out once for the tests' arithmetic
UNIT_GPUS = 8
GPU_PRICE = 10_000
UNIT_CAPEX = UNIT_GPUS * GPU_PRICE  # 80_000 (network capex 0)
BLOCK_CAPEX = 0.1 * 1_000_000  # 100_000 (cooling and rack capex 0)
PUE = 1.25
ELEC = 100
GPU_YEAR_ENERGY = 8.76 * 1.0 * PUE * 1.0 * ELEC  # 1_095 USD per GPU-year (1 kW, LF 1)
UNIT_YEAR_ENERGY = UNIT_GPUS * GPU_YEAR_ENERGY  # 8_760 USD per unit-year

GPU: dict[str, Any] = {
    "name": "g",
    "first_year": 2020,
    "last_year": 2035,
    "price_usd_per_gpu": 10000,
    "system_kw_per_gpu": 1.0,
    "training_perf": 1.0,
    "inference_perf": 1.0,
    "unit_gpus": 8,
    "nic_gbps": 400,
    "max_life_years": 6,
    "depreciation_years": 4,
    "maintenance_frac_per_year": 0.0,
}
COOLING: dict[str, Any] = {
    "name": "air",
    "liquid": False,
    "max_rack_kw": 40,
    "capex_usd_per_kw": 0,
    "pue": 1.25,
}
DENSITY: dict[str, Any] = {"rack_kw": 20, "capex_usd_per_rack": 0}
FABRIC: dict[str, Any] = {
    "name": "eth",
    "max_gbps_per_port": 800,
    "capex_usd_per_gbps": 0,
    "watts_per_gbps": 0,
    "site_fixed_capex_usd": 0,
}
SITE: dict[str, Any] = {
    "name": "s1",
    "region": "r1",
    "max_facility_mw": 1.0,
    "block_mw": 0.1,
    "site_fixed_capex_usd": 0,
    "shell_capex_usd_per_mw": 1000000.0,
    "fixed_opex_usd_per_mw_year": 0,
    "electricity_usd_per_mwh": 100,
    "carbon_kg_per_mwh": 0,
}


def gpu(**fields: Any) -> dict[str, Any]:
    """The base GPU `g` with `fields` overridden (and `name=` for another model)."""
    return {**copy.deepcopy(GPU), **fields}


def cooling(**fields: Any) -> dict[str, Any]:
    """The base cooling `air` with `fields` overridden."""
    return {**copy.deepcopy(COOLING), **fields}


def density(**fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(DENSITY), **fields}


def fabric(**fields: Any) -> dict[str, Any]:
    """The base fabric `eth` with `fields` overridden."""
    return {**copy.deepcopy(FABRIC), **fields}


def site(name: str = "s1", **fields: Any) -> dict[str, Any]:
    """The base site with its name and `fields` overridden."""
    return {**copy.deepcopy(SITE), "name": name, **fields}


def instance(
    *,
    years: tuple[int, int] = (2026, 2026),
    finance: dict | None = None,
    options: dict | None = None,
    gpus: list[dict] | None = None,
    coolings: list[dict] | None = None,
    densities: list[dict] | None = None,
    fabrics: list[dict] | None = None,
    dci_optics: list[dict] | None = None,
    sites: list[dict] | None = None,
    training: dict | None = None,
    inference: list[dict] | None = None,
    jobs: list[dict] | None = None,
    name: str = "tiny2",
    **top: Any,
) -> dict[str, Any]:
    """The base instance; lists replace the base's whole list; `top` adds top-level keys
    (`dci_routes`, `rentals`, `scenarios`, `existing`)."""
    catalog: dict[str, Any] = {
        "gpus": copy.deepcopy(gpus) if gpus is not None else [gpu()],
        "cooling": copy.deepcopy(coolings) if coolings is not None else [cooling()],
        "densities": copy.deepcopy(densities) if densities is not None else [density()],
        "fabrics": copy.deepcopy(fabrics) if fabrics is not None else [fabric()],
    }
    if dci_optics is not None:
        catalog["dci_optics"] = copy.deepcopy(dci_optics)
    demand: dict[str, Any] = {"training": copy.deepcopy(training or {}), "inference": []}
    if inference is not None:
        demand["inference"] = copy.deepcopy(inference)
    if jobs is not None:
        demand["training_jobs"] = copy.deepcopy(jobs)
    inst: dict[str, Any] = {
        "name": name,
        "horizon": {"start_year": years[0], "end_year": years[1]},
        "finance": {
            "discount_rate": 0.0,
            "carbon_price_usd_per_t": 0,
            "facility_life_years": 10,
            "facility_maintenance_frac_per_year": 0.0,
            "annual_capex_budget_usd": None,
            **(finance or {}),
        },
        "options": {"life_choices_years": [4], "load_factor": 1.0, **(options or {})},
        "catalog": catalog,
        "sites": copy.deepcopy(sites) if sites is not None else [site()],
        "demand": demand,
    }
    inst.update(copy.deepcopy(top))
    return inst


def every_year(value: float, start: int, end: int) -> dict[str, float]:
    """A year map with `value` in every year start..end."""
    return {str(y): value for y in range(start, end + 1)}


# --------------------------------------------------------------------------- arithmetic


def d(year: int, r: float = 0.0, start: int = START) -> float:
    """Discount factor of SPEC 1."""
    return (1 + r) ** -(year - start)


def res(age: float, life: float) -> float:
    """Straight-line residual fraction of SPEC 1."""
    return max(0.0, 1 - age / life)


# --------------------------------------------------------------------------- solving


def solved(inst: dict) -> dcopt.Solution:
    """Solve to a 1e-9 gap; the solve must be optimal, with the items of SPEC 5 and those of
    8.9 that the instance's features carry (`dcopt.model.items.reported_items`)."""
    sol = dcopt.solve(inst, mip_gap=1e-9)
    assert sol.status == "optimal" and sol.has_plan, (sol.status, sol.message, sol.diagnosis)
    assert set(ITEMS[:13]) <= set(sol.costs_npv_usd) <= set(ITEMS)
    assert sum(sol.costs_npv_usd.values()) == pytest.approx(sol.tco_usd, rel=1e-9, abs=1e-6)
    return sol


def tco(inst: dict) -> float:
    """The optimal TCO, or +inf when the instance has no plan (infeasible)."""
    sol = dcopt.solve(inst, mip_gap=1e-9)
    if sol.status == "infeasible":
        assert not sol.has_plan
        return math.inf
    assert sol.status == "optimal" and sol.has_plan, (sol.status, sol.message)
    return sol.tco_usd


def assert_items(
    sol: dcopt.Solution, expected: dict[str, float], *, exact_tco: bool = True
) -> None:
    """Each listed item equals its expected NPV; with `exact_tco`, every unlisted item is 0 and
    the TCO is the sum of the listed ones."""
    for item, value in expected.items():
        assert sol.costs_npv_usd[item] == pytest.approx(value, rel=1e-9, abs=1e-6), item
    if exact_tco:
        for item in set(ITEMS) - set(expected):  # an item the instance does not carry is 0 too
            assert sol.costs_npv_usd.get(item, 0.0) == pytest.approx(0.0, abs=1e-6), item
        assert sol.tco_usd == pytest.approx(sum(expected.values()), rel=1e-9)


def assert_non_decreasing(values: list[float], what: str) -> None:
    """values[i] <= values[i + 1] within a 1e-9 relative tolerance (+inf: no plan)."""
    for a, b in itertools.pairwise(values):
        if math.isinf(a) or math.isinf(b):
            assert a <= b, (what, values)
        else:
            assert a <= b + 1e-9 * max(1.0, abs(a), abs(b)), (what, values)
