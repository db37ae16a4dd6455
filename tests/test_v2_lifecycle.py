"""Known-answer tests for SPEC 8.2 (used-GPU market, fees, failures) and 8.3 (supply caps,
minimum orders, lead times, grid upgrades).

Base numbers: tests/tiny2.py (1 kW GPUs at 10_000 USD in units of 8, 0.1 MW blocks of
100_000 USD holding 12 units, PUE 1.25, 100 USD/MWh: 8_760 USD of energy per unit-year,
no network cost unless stated, load factor 1, depreciation 4, facility life 10).

SPEC formulas used:
    8.2 market   a GPU credit (resale, retirement, still running) with resale_usd_per_gpu is,
                 per GPU, resale_usd_per_gpu[z] + network capex * res(age, depreciation)
    8.2 fee      every GPU credit is reduced by resale_fee_frac (of the whole credit)
    8.2 failures q = (1 - annual_failure_rate) ** (t - y); only surviving GPUs are allocated;
                 hall capacity, energy and resale count the unit's full GPUs
    8.3 cap      GPUs of a model bought in a year (all sites) <= max_gpus_per_year
    8.3 order    GPUs of a model bought at one site in one year: 0 or >= min_order_gpus
    8.3 lead     a block commissioned in y is paid (and its site opened) in y - lead;
                 capacity, fixed opex, facility maintenance from y; salvage res(T + 1 - y)
    8.3 upgrade  grid limit + mw from the year bought; item grid_upgrades = capex_usd in y;
                 salvage res(T + 1 - y, facility_life_years) in facility_salvage
"""

from __future__ import annotations

import pytest
from tiny2 import (
    BLOCK_CAPEX,
    GPU_YEAR_ENERGY,
    UNIT_CAPEX,
    UNIT_YEAR_ENERGY,
    assert_items,
    assert_non_decreasing,
    d,
    every_year,
    fabric,
    gpu,
    instance,
    res,
    site,
    solved,
    tco,
)

# --------------------------------------------------------------------------- 8.2 market and fee


@pytest.mark.parametrize("fee", [0.0, 0.15])
def test_sale_at_market_price_with_fee(fee):
    """Bought in 2026 for both years (life choices [2]), sold in 2028 at the market price.

    r = 0.1. Network capex 2.5 USD/Gb/s * 400 = 1_000 USD per GPU, so a GPU costs 11_000.
    Demand 64 in 2026 and 2027: 8 units in 2026, the only plan (a 2027 purchase would be
    extra). The credit per GPU in z = 2028 at age 2 is
    (resale_usd_per_gpu[2028] + 1_000 * res(2, 4)) * (1 - fee) = (3_000 + 500) * (1 - fee),
    whatever the book value (11_000 * res(2, 4) = 5_500 would be worth more).
    """
    inst = instance(
        years=(2026, 2027),
        finance={"discount_rate": 0.1},
        options={"life_choices_years": [2]},
        gpus=[
            gpu(
                resale_usd_per_gpu={"2026": 8000, "2027": 6000, "2028": 3000},
                resale_fee_frac=fee,
            )
        ],
        fabrics=[fabric(capex_usd_per_gbps=2.5)],
        training=every_year(64, 2026, 2027),
    )
    sol = solved(inst)
    r = 0.1
    expected = {
        "deployments": 64 * (10_000 + 1_000),  # 704_000 in 2026
        "energy": 64 * GPU_YEAR_ENERGY * (d(2026, r) + d(2027, r)),  # no network power
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(2, 10) * d(2028, r),
        "resale": -64 * (3_000 + 1_000 * res(2, 4)) * (1 - fee) * d(2028, r),
    }
    assert_items(sol, expected)
    assert [(p.year, p.gpus) for p in sol.purchases] == [(2026, 64)]
    if fee == 0.15:
        # 704_000 + 133_789.09 + 100_000 - 66_115.70 - 157_355.37
        assert sol.tco_usd == pytest.approx(714_318.0165289256, rel=1e-9)


# --------------------------------------------------------------------------- 8.2 failures


def failure_instance(rate: float) -> dict:
    return instance(
        years=(2026, 2027),
        options={"life_choices_years": [2]},
        gpus=[gpu(annual_failure_rate=rate)],
        training=every_year(88, 2026, 2027),
    )


def test_failure_rate_forces_one_more_unit():
    """Demand 88 in 2026 and 2027 (11 units); 5 % of the GPUs fail each year.

    2026: q = 1, 11 units give 88. 2027: the 2026 units keep 0.95 of their GPUs,
    8 * 11 * 0.95 = 83.6 < 88, so one more unit: bought in 2026 it would pay two years of
    energy and be resold at age 2; bought in 2027 (q = 1 in its purchase year) it is
    83.6 + 8 = 91.6 >= 88 and cheaper:
        2026 unit:  80_000 - 0.5 * 80_000 + 2 * 8_760 = 57_520
        2027 unit:  80_000 - 0.75 * 80_000 + 8_760    = 28_760
    12 units of 8 kW = 96 kW: still one block. Failed GPUs still draw energy and are resold
    at the unit's full count.
    """
    sol = solved(failure_instance(0.05))
    expected = {
        "deployments": 12 * UNIT_CAPEX,  # 11 in 2026, 1 in 2027
        "energy": (11 * 2 + 1) * UNIT_YEAR_ENERGY,  # 23 unit-years: 201_480
        "resale": -(11 * UNIT_CAPEX * res(2, 4) + UNIT_CAPEX * res(1, 4)),  # -500_000
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(2, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(681_480, rel=1e-9)
    assert sorted((p.year, p.gpus) for p in sol.purchases) == [(2026, 88), (2027, 8)]


def test_no_failures_no_extra_unit():
    """Control: without failures 11 units in 2026 serve both years:
    11 * 80_000 * 0.5 + 22 * 8_760 + 100_000 * 0.2 = 652_720."""
    sol = solved(failure_instance(0.0))
    assert sol.tco_usd == pytest.approx(652_720, rel=1e-9)


# --------------------------------------------------------------------------- 8.3 supply cap


@pytest.mark.parametrize("cap", [64, {"2025": 8, "2026": 64}], ids=["number", "year-map"])
def test_supply_cap_forces_a_dearer_model(cap):
    """Demand 96 in one year. 'g' (10_000 USD) is capped at 64 GPUs a year; 'b' is the same
    GPU at 15_000. Uncapped: 12 units of 'g'. Capped: 8 units of 'g' + 4 of 'b'.
    (A cap year outside the horizon, 2025, is ignored: SPEC 8.10.16.)
    Net of resale at age 1 (0.75), 96 GPUs, one block:
        capped   (640_000 + 480_000) * 0.25 + 96 * 1_095 + 10_000 = 395_120
        uncapped  960_000 * 0.25           + 96 * 1_095 + 10_000 = 355_120
    """
    inst = instance(
        gpus=[gpu(max_gpus_per_year=cap), gpu(name="b", price_usd_per_gpu=15000)],
        training={"2026": 96},
    )
    sol = solved(inst)
    deployments = 64 * 10_000 + 32 * 15_000  # 1_120_000
    expected = {
        "deployments": deployments,
        "resale": -deployments * res(1, 4),
        "energy": 96 * GPU_YEAR_ENERGY,  # 105_120
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(1, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(395_120, rel=1e-9)
    by_gpu = {g: sum(p.gpus for p in sol.purchases if p.gpu == g) for g in ("g", "b")}
    assert by_gpu == {"g": 64, "b": 32}


# --------------------------------------------------------------------------- 8.3 minimum order


def min_order_instance(min_order: int | None) -> dict:
    """Demand 64. s1: one 0.05 MW block (6 units), electricity 50; s2: one 0.1 MW block, 100."""
    return instance(
        gpus=[gpu(min_order_gpus=min_order)] if min_order else [gpu()],
        sites=[
            site("s1", block_mw=0.05, max_blocks=1, electricity_usd_per_mwh=50),
            site("s2", max_blocks=1),
        ],
        training={"2026": 64},
    )


def test_min_order_turns_two_small_orders_into_one():
    """min_order_gpus 60: an order at a site is 0 or >= 60 GPUs.

    Without it the cheap power of s1 wins: 6 units at s1 (48 GPUs, all its block holds) and
    2 at s2, with two blocks (50_000 + 100_000, net 10 %):
        160_000 + 48 * 547.5 + 16 * 1_095 + 15_000 = 218_800
    (GPUs net 8 * 80_000 * 0.25 = 160_000; 547.5 = energy per GPU-year at 50 USD/MWh).
    With it, s1 can never take 60 GPUs (48 at most) and s2's 16 are too few: one order of
    64 at s2, one block:   160_000 + 64 * 1_095 + 10_000 = 240_080.
    """
    sol = solved(min_order_instance(60))
    expected = {
        "deployments": 8 * UNIT_CAPEX,
        "resale": -8 * UNIT_CAPEX * res(1, 4),
        "energy": 64 * GPU_YEAR_ENERGY,  # 70_080, all at s2's 100 USD/MWh
        "blocks": BLOCK_CAPEX,  # s2 only
        "facility_salvage": -BLOCK_CAPEX * res(1, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(240_080, rel=1e-9)
    assert [(p.site, p.gpus) for p in sol.purchases] == [("s2", 64)]


def test_without_min_order_two_sites_order():
    """Control of the above: 218_800 with orders of 48 at s1 and 16 at s2."""
    sol = solved(min_order_instance(None))
    assert sol.tco_usd == pytest.approx(218_800, rel=1e-9)
    assert sorted((p.site, p.gpus) for p in sol.purchases) == [("s1", 48), ("s2", 16)]


# --------------------------------------------------------------------------- 8.3 lead time


def lead_instance(lead: int) -> dict:
    """r = 0.1, 2026-2028, demand 64 in 2027 and 2028; opening 50_000, fixed opex
    10_000 USD/MW-year, facility maintenance 2 %/year."""
    return instance(
        years=(2026, 2028),
        finance={"discount_rate": 0.1, "facility_maintenance_frac_per_year": 0.02},
        sites=[
            site(
                site_fixed_capex_usd=50000,
                fixed_opex_usd_per_mw_year=10000,
                build_lead_time_years=lead,
            )
        ],
        training={"2027": 64, "2028": 64},
    )


def test_lead_time_shifts_block_capex_one_year_earlier():
    """build_lead_time_years 1: the block commissioned in 2027 is paid in 2026, at d(2026) = 1
    instead of d(2027) = 1 / 1.1, and the site must be open by 2026. Fixed opex and facility
    maintenance still run from 2027; the block's salvage still counts from 2027
    (res(2029 - 2027, 10) = 0.8), the opening's from 2026 (res(3, 10) = 0.7). Nothing else
    is possible: one site, one design, demand from 2027."""
    r = 0.1
    sol = solved(lead_instance(1))
    run_years = d(2027, r) + d(2028, r)
    expected = {
        "site_opening": 50_000 * d(2026, r),
        "blocks": BLOCK_CAPEX * d(2026, r),
        "deployments": 8 * UNIT_CAPEX * d(2027, r),
        "energy": 64 * GPU_YEAR_ENERGY * run_years,
        "fixed_opex": 10_000 * 0.1 * run_years,
        "facility_maintenance": 0.02 * BLOCK_CAPEX * run_years,
        "resale": -8 * UNIT_CAPEX * res(2029 - 2027, 4) * d(2029, r),
        "facility_salvage": -(50_000 * res(3, 10) + BLOCK_CAPEX * res(2, 10)) * d(2029, r),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(531_829.3012772353, rel=1e-9)
    assert sol.costs_nominal_usd["blocks"] == {2026: pytest.approx(BLOCK_CAPEX)}
    assert set(sol.costs_nominal_usd["facility_maintenance"]) == {2027, 2028}


def test_no_lead_time_pays_block_in_commissioning_year():
    """Control: without a lead time opening and block come in 2027:
    (50_000 + 100_000) / 1.1 and salvage (50_000 + 100_000) * 0.8 / 1.1 ** 3."""
    r = 0.1
    sol = solved(lead_instance(0))
    run_years = d(2027, r) + d(2028, r)
    expected = (
        150_000 * d(2027, r)
        + 640_000 * d(2027, r)
        + (70_080 + 1_000 + 2_000) * run_years
        - 320_000 * d(2029, r)
        - 150_000 * res(2, 10) * d(2029, r)
    )
    assert sol.tco_usd == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(514_436.3636363637, rel=1e-12)


# --------------------------------------------------------------------------- 8.3 grid upgrades


def upgrade_instance(upgrade_capex: float) -> dict:
    """2026-2027. Demand 96 in 2026 (12 units, one block), 152 in 2027 (19 units, two blocks).
    s1: grid 0.13 MW = one block at PUE 1.25 (0.125 MW); upgrade 'sub' +0.15 MW from 2027.
    s2: no opening cost, ample grid, but 200 USD/MWh."""
    return instance(
        years=(2026, 2027),
        sites=[
            site(
                "s1",
                max_facility_mw=0.13,
                grid_upgrades=[
                    {"name": "sub", "mw": 0.15, "capex_usd": upgrade_capex, "first_year": 2027}
                ],
            ),
            site("s2", electricity_usd_per_mwh=200),
        ],
        training={"2026": 96, "2027": 152},
    )


def test_grid_upgrade_that_pays_for_itself():
    """The 12 units of 2026 go to s1 (cheaper power). The 7 units added in 2027 go either
    (U) to a second block at s1 behind the upgrade, or (S) to a block at s2; both blocks cost
    the same. Net of salvage (res(1, 10) = 0.9) the upgrade costs 0.1 * 300_000 = 30_000;
    s2's dearer power costs 7 units * 8_760 * (200 / 100 - 1) = 61_320 more a year: (U).
        U: blocks 200_000, GPUs 12 * 80_000 + 7 * 80_000 = 1_520_000,
           energy (12 + 19) * 8_760 = 271_560,
           resale -(960_000 * 0.5 + 560_000 * 0.75) = -900_000, upgrade 300_000,
           salvage -(100_000 * 0.8 + 100_000 * 0.9 + 300_000 * 0.9) = -440_000  -> 951_560
        S: 982_880 (next test).
    """
    sol = solved(upgrade_instance(300_000))
    expected = {
        "blocks": 2 * BLOCK_CAPEX,
        "deployments": 19 * UNIT_CAPEX,
        "energy": (12 + 19) * UNIT_YEAR_ENERGY,
        "resale": -(12 * UNIT_CAPEX * res(2, 4) + 7 * UNIT_CAPEX * res(1, 4)),
        "grid_upgrades": 300_000,  # bought in 2027, its first year
        "facility_salvage": -(
            BLOCK_CAPEX * res(2, 10) + BLOCK_CAPEX * res(1, 10) + 300_000 * res(1, 10)
        ),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(951_560, rel=1e-9)
    assert {p.site for p in sol.purchases} == {"s1"}
    assert sol.costs_nominal_usd["grid_upgrades"] == {2027: pytest.approx(300_000)}


def test_grid_upgrade_that_does_not_pay():
    """The same with the upgrade at 900_000: net 90_000 > 61_320, so (S): the 7 units of
    2027 go to a block at s2 at 200 USD/MWh, no upgrade.
        blocks 200_000, GPUs 1_520_000, resale -900_000,
        energy 12 * 8_760 * 2 + 7 * 8 * 8.76 * 1.25 * 200 = 210_240 + 122_640 = 332_880,
        salvage -(100_000 * 0.8 + 100_000 * 0.9) = -170_000                    -> 982_880
    """
    sol = solved(upgrade_instance(900_000))
    expected = {
        "blocks": 2 * BLOCK_CAPEX,
        "deployments": 19 * UNIT_CAPEX,
        "energy": 12 * UNIT_YEAR_ENERGY * 2 + 7 * 8 * 8.76 * 1.25 * 200,
        "resale": -(12 * UNIT_CAPEX * res(2, 4) + 7 * UNIT_CAPEX * res(1, 4)),
        "facility_salvage": -(BLOCK_CAPEX * res(2, 10) + BLOCK_CAPEX * res(1, 10)),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(982_880, rel=1e-9)
    assert sorted((p.site, p.year, p.gpus) for p in sol.purchases) == [
        ("s1", 2026, 96),
        ("s2", 2027, 56),
    ]


# --------------------------------------------------------------------------- properties


def rich_lifecycle(
    *,
    fee: float = 0.1,
    failure: float = 0.05,
    cap: float | None = None,
    lead: int = 0,
) -> dict:
    """Three years (r = 0.05), lives 1-3, two models ('g' book value, 'h' market prices),
    existing units of 'g', two sites (s1 with an existing block, cheap shell, the lead time;
    s2 dearer), demand rising."""
    market = {"2026": 9000, "2027": 7000, "2028": 5000, "2029": 3000}
    return instance(
        years=(2026, 2028),
        finance={"discount_rate": 0.05, "facility_maintenance_frac_per_year": 0.01},
        options={"life_choices_years": [1, 2, 3]},
        gpus=[
            gpu(
                price_decline_per_year=0.1,
                annual_failure_rate=failure,
                resale_fee_frac=fee,
                maintenance_frac_per_year=0.02,
                **({} if cap is None else {"max_gpus_per_year": cap}),
            ),
            gpu(
                name="h",
                price_usd_per_gpu=14000,
                training_perf=1.5,
                system_kw_per_gpu=1.2,
                resale_usd_per_gpu=market,
                annual_failure_rate=failure,
                resale_fee_frac=fee,
            ),
        ],
        fabrics=[fabric(capex_usd_per_gbps=2, watts_per_gbps=0.02)],
        sites=[
            site("s1", shell_capex_usd_per_mw=800000, build_lead_time_years=lead),
            site("s2", site_fixed_capex_usd=100000, electricity_usd_per_mwh=80),
        ],
        training={"2026": 80, "2027": 160, "2028": 240},
        existing={
            "blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}],
            "deployments": [
                {
                    "site": "s1",
                    "cooling": "air",
                    "rack_kw": 20,
                    "gpu": "g",
                    "fabric": "eth",
                    "purchase_year": 2024,
                    "gpus": 32,
                    "price_usd_per_gpu": 12000,
                }
            ],
        },
    )


def test_higher_resale_fee_never_lowers_tco():
    values = [tco(rich_lifecycle(fee=f)) for f in (0.0, 0.1, 0.3, 0.6)]
    assert_non_decreasing(values, "resale_fee_frac")
    # every plan buys GPUs (demand 240 in 2028 against 32 existing) and sells them at an age
    # of at most 3 for a positive credit, so the fee costs every plan something
    assert values[0] < values[-1]


def test_higher_failure_rate_never_lowers_tco():
    values = [tco(rich_lifecycle(failure=f)) for f in (0.0, 0.05, 0.15, 0.3)]
    assert_non_decreasing(values, "annual_failure_rate")


def test_tighter_supply_cap_never_lowers_tco():
    values = [tco(rich_lifecycle(cap=c)) for c in (None, 160, 96, 48, 16)]
    assert_non_decreasing(values, "max_gpus_per_year (tightening)")


def test_longer_lead_time_never_lowers_tco():
    values = [tco(rich_lifecycle(lead=k)) for k in (0, 1, 2)]
    assert_non_decreasing(values, "build_lead_time_years")
