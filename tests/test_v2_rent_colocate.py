"""Known-answer tests for SPEC 8.7: rented GPUs and colocation sites, and a rent-or-build
break-even found by `dcopt.breakeven`.

Base numbers: tests/tiny2.py (1 kW GPUs at 10_000 USD in units of 8, 0.1 MW blocks of
100_000 USD holding 12 units, PUE 1.25, 100 USD/MWh: 1_095 USD of energy per GPU-year,
8_760 per unit-year, no network cost, load factor 1, facility life 10).

SPEC formulas used (8.7, 8.10.7, 8.10.14):
    rental      8760 * usd_per_gpu_hour(t) * rent[r, t] in each year (item rental); rented
                GPUs serve pooled training with their own efficiency and availability and pay
                nothing else (no energy, no capex, no hall or grid)
    colocation  each block (existing included) pays 12 * 1000 * block_mw *
                colocation_usd_per_kw_month every year from its build year to T (item
                colocation); no block capex, no facility maintenance, no block salvage;
                opening (and its salvage), energy, fixed opex as for an owned site
"""

from __future__ import annotations

import pytest
from tiny2 import (
    BLOCK_CAPEX,
    GPU_YEAR_ENERGY,
    UNIT_CAPEX,
    UNIT_YEAR_ENERGY,
    assert_items,
    d,
    every_year,
    gpu,
    instance,
    res,
    site,
    solved,
)

import dcopt

CLOUD = {"name": "cloud", "gpu": "g", "usd_per_gpu_hour": 0.5}  # 8760 * 0.5 = 4_380 a GPU-year

# --------------------------------------------------------------------------- rent or own


def rent_or_own(last_year: int) -> dict:
    """Demand 64 every year 2026..last_year. Owning: opening 200_000 and a block, GPUs with
    depreciation 3 and one life choice of 6 years (bought once). Renting: 4_380 a GPU-year."""
    return instance(
        years=(2026, last_year),
        options={"life_choices_years": [6]},
        gpus=[gpu(depreciation_years=3)],
        sites=[site(site_fixed_capex_usd=200000)],
        training=every_year(64, 2026, last_year),
        rentals=[CLOUD],
    )


def test_renting_beats_owning_for_one_year():
    """One year. Renting 64 GPUs: 64 * 4_380 = 280_320. Owning: opening and block net of
    salvage 300_000 * (1 - res(1, 10)) = 30_000, plus per unit 80_000 * (1 - res(1, 3)) +
    8_760 = 35_426.67 against 8 * 4_380 = 35_040 rented: every owned unit costs more than
    renting its GPUs, and owning all costs 30_000 + 8 * 35_426.67 = 313_413.33. Rent all."""
    sol = solved(rent_or_own(2026))
    assert_items(sol, {"rental": 8760 * 0.5 * 64})
    assert sol.tco_usd == pytest.approx(280_320, rel=1e-9)
    assert sol.purchases == []
    assert sol.sites[0].open_year is None


def test_owning_beats_renting_for_six_years():
    """2026-2031. Renting all six years: 6 * 280_320 = 1_681_920. Owning from 2026 (life 6,
    resold in 2032 at age 6: res(6, 3) = 0): opening and block 300_000 * (1 - res(6, 10)) =
    180_000, GPUs 640_000, energy 6 * 70_080 = 420_480: 1_240_480. Per unit over six years
    80_000 + 6 * 8_760 = 132_560 against 6 * 35_040 = 210_240 rented, so no unit is rented.
    Renting first and buying later pays rent for the early years and saves little: renting
    in 2026 and owning from 2027 (GPUs resold at age 5, worth 0) costs
    300_000 * (1 - res(5, 10)) + 640_000 + 5 * 70_080 + 280_320 = 1_420_720."""
    sol = solved(rent_or_own(2031))
    years = sum(d(y) for y in range(2026, 2032))  # 6 (discount 0)
    expected = {
        "site_opening": 200_000,
        "blocks": BLOCK_CAPEX,
        "deployments": 8 * UNIT_CAPEX,
        "energy": 8 * UNIT_YEAR_ENERGY * years,
        "resale": -8 * UNIT_CAPEX * res(6, 3),  # 0
        "facility_salvage": -(200_000 + BLOCK_CAPEX) * res(2032 - 2026, 10),  # -120_000
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(1_240_480, rel=1e-9)
    assert [(p.year, p.gpus) for p in sol.purchases] == [(2026, 64)]


# --------------------------------------------------------------------------- colocation


COLO = {
    "site_fixed_capex_usd": 50000,
    "fixed_opex_usd_per_mw_year": 20000,
    "colocation_usd_per_kw_month": 150,  # 12 * 1000 * 0.1 * 150 = 180_000 per block-year
}


def test_colocation_fee_replaces_block_capex():
    """One colocation site; r = 0.1; 2026-2027; facility maintenance 2 %/year (not charged at a
    colocation site). Demand 64 in 2026 (8 units, one block), 160 in 2027 (12 more units:
    160 kW, a second block in 2027; in 2026 it would pay a year's fee for nothing).
    Each block pays 180_000 a year from its build year: 180_000 in 2026, 360_000 in 2027.
    Fixed opex is still paid on the built MW (8.10.7): 0.1 * 20_000, then 0.2 * 20_000. The
    opening is salvaged at res(2, 10) = 0.8; the blocks have no capex and no salvage.
    2027 GPUs are bought in 2027 (at d(2027) and resold at age 1, not 2)."""
    r = 0.1
    inst = instance(
        years=(2026, 2027),
        finance={"discount_rate": r, "facility_maintenance_frac_per_year": 0.02},
        sites=[site("colo", **COLO)],
        training={"2026": 64, "2027": 160},
    )
    sol = solved(inst)
    fee = 12 * 1000 * 0.1 * 150
    expected = {
        "site_opening": 50_000,
        "colocation": fee * d(2026, r) + 2 * fee * d(2027, r),
        "fixed_opex": 0.1 * 20_000 * d(2026, r) + 0.2 * 20_000 * d(2027, r),
        "deployments": 8 * UNIT_CAPEX + 12 * UNIT_CAPEX * d(2027, r),
        "energy": 64 * GPU_YEAR_ENERGY + 160 * GPU_YEAR_ENERGY * d(2027, r),
        "resale": -(8 * UNIT_CAPEX * res(2, 4) + 12 * UNIT_CAPEX * res(1, 4)) * d(2028, r),
        "facility_salvage": -50_000 * res(2, 10) * d(2028, r),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(1_412_427.107438016, rel=1e-9)
    assert sol.costs_nominal_usd["colocation"] == {
        2026: pytest.approx(180_000),
        2027: pytest.approx(360_000),
    }
    assert sorted((p.year, p.gpus) for p in sol.purchases) == [(2026, 64), (2027, 96)]


def test_colocation_existing_block_pays_the_fee_not_maintenance():
    """An existing block at a colocation site: no opening (it opens the site), the fee
    180_000 for 2026, fixed opex 0.1 * 20_000, and no facility maintenance although the
    rate is 2 % (an owned site would pay 0.02 * 100_000 on it). No salvage.
        180_000 + 2_000 + 640_000 * 0.25 + 70_080 = 412_080"""
    inst = instance(
        finance={"facility_maintenance_frac_per_year": 0.02},
        sites=[site("colo", **COLO)],
        training={"2026": 64},
        existing={"blocks": [{"site": "colo", "cooling": "air", "rack_kw": 20, "blocks": 1}]},
    )
    sol = solved(inst)
    expected = {
        "colocation": 180_000,
        "fixed_opex": 2_000,
        "deployments": 8 * UNIT_CAPEX,
        "resale": -8 * UNIT_CAPEX * res(1, 4),
        "energy": 64 * GPU_YEAR_ENERGY,
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(412_080, rel=1e-9)


# --------------------------------------------------------------------------- break-even

# One year. Owning: opening 240_000 and one block, net of salvage (res(1, 10) = 0.9)
#     F = 0.1 * (240_000 + 100_000) = 34_000,
# and per unit (8 GPUs) C = 80_000 * (1 - 0.75) + 8_760 = 28_760. Renting: rho = 4_380 a GPU.
# With D GPUs of demand, the cheapest plans are renting all (rho * D) or opening the site with
# n units and renting the rest (F + n * C + rho * max(0, D - 8 n)). Owning n units beats
# renting their 8 n GPUs by (8 * rho - C) * n = 6_280 * n, which covers F from n = 6 on
# (5 * 6_280 = 31_400 < 34_000 < 37_680). So for D <= 48 the site opens only with 6 units,
# once F + 6 * C = 206_560 <= rho * D, and for D > 48 it stays open (6 units + rent beats
# renting by 37_680 - 34_000 > 0). Break-even: D* = 206_560 / 4_380 = 47.1598... GPUs.
OPEN_F = 0.1 * (240_000 + 100_000)
UNIT_C = UNIT_CAPEX * (1 - res(1, 4)) + UNIT_YEAR_ENERGY
RHO = 8760 * 0.5
D_STAR = (OPEN_F + 6 * UNIT_C) / RHO


def breakeven_instance(demand: float) -> dict:
    return instance(
        sites=[site(site_fixed_capex_usd=240000)],
        training={"2026": demand},
        rentals=[CLOUD],
    )


@pytest.mark.parametrize(
    ("demand", "owned_units"),
    [(47.0, 0), (47.2, 6)],
    ids=["below", "above"],
)
def test_rent_or_build_either_side_of_break_even(demand, owned_units):
    """D = 47 < D*: rent all, 4_380 * 47 = 205_860 (6 owned units would cost 206_560).
    D = 47.2 > D*: open the site with 6 units (48 GPUs): 206_560 < 4_380 * 47.2 = 206_736
    (5 units and 7.2 rented GPUs: 34_000 + 5 * 28_760 + 7.2 * 4_380 = 209_336)."""
    sol = solved(breakeven_instance(demand))
    if owned_units == 0:
        assert_items(sol, {"rental": RHO * demand})
        assert sol.tco_usd == pytest.approx(205_860, rel=1e-9)
        assert sol.sites[0].open_year is None
    else:
        expected = {
            "site_opening": 240_000,
            "blocks": BLOCK_CAPEX,
            "deployments": 6 * UNIT_CAPEX,
            "resale": -6 * UNIT_CAPEX * res(1, 4),
            "energy": 6 * UNIT_YEAR_ENERGY,
            "facility_salvage": -(240_000 + BLOCK_CAPEX) * res(1, 10),
        }
        assert_items(sol, expected)
        assert sol.tco_usd == pytest.approx(206_560, rel=1e-9)
        assert sum(p.gpus for p in sol.purchases) == 48


def test_breakeven_finds_the_demand_where_building_overtakes_renting():
    """`dcopt.breakeven` on demand.training scaled from 3x to 6x a base of 10 GPUs: the site
    opens at scale D* / 10 = 4.71598..., found within the tolerance asked."""
    assert (OPEN_F, UNIT_C, OPEN_F + 6 * UNIT_C) == pytest.approx((34_000, 28_760, 206_560))
    assert D_STAR == pytest.approx(47.15981735159817, rel=1e-12)
    tol = 1e-3
    be = dcopt.breakeven(
        breakeven_instance(10),
        "demand.training*=3:6",
        watch="site:s1",
        tol=tol,
        mip_gap=1e-9,
    )
    assert be.found
    assert (be.below, be.above) == ("not open", "open")
    assert be.high - be.low <= tol
    assert be.low <= D_STAR / 10 <= be.high
    assert be.value == pytest.approx(D_STAR / 10, abs=tol)
