"""Known-answer tests: every cost item of SPEC section 5, worked out by hand.

Each test solves a tiny instance (see tests/tiny.py for the base numbers)
whose optimum is forced, and recomputes the expected value of the items it
is about with explicit arithmetic from the instance numbers and the SPEC
formulas, written next to each line. Nothing here calls dcopt's own cost code.

Notation (SPEC 1): d(y) = (1 + r) ** -(y - start_year), res(a, L) = max(0, 1 - a / L).
Base numbers used throughout (tests/tiny.py):
    unit capex  = unit_gpus * (price + capex_usd_per_gbps * nic_gbps)
                = 8 * (10_000 + 5 * 400) = 96_000
    net kW/GPU  = watts_per_gbps * nic_gbps / 1000 = 0.025 * 400 / 1000 = 0.01
    block capex = block_mw * (shell + 1000 * cooling capex/kW + 1000 / rack_kw * capex/rack)
                = 0.1 * (8e6 + 1000 * 500 + 1000 / 20 * 50_000) = 1_100_000
"""

from __future__ import annotations

import pytest
from tiny import every_year, tiny

import dcopt

ITEMS = (
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

R = 0.1  # base discount rate
START = 2026

# base numbers of tests/tiny.py, spelled out once
UNIT_GPUS = 8
NET_CAPEX_PER_GPU = 5 * 400  # capex_usd_per_gbps * nic_gbps
UNIT_CAPEX = UNIT_GPUS * (10_000 + NET_CAPEX_PER_GPU)  # 96_000
BLOCK_CAPEX = 0.1 * (8e6 + 1000 * 500 + 1000 / 20 * 50_000)  # 1_100_000
OPENING = 1_000_000
FABRIC_FIXED = 100_000


def d(year: int, r: float = R, start: int = START) -> float:
    """Discount factor of SPEC 1."""
    return (1 + r) ** -(year - start)


def res(age: float, life: float) -> float:
    """Straight-line residual fraction of SPEC 1."""
    return max(0.0, 1 - age / life)


def solved(inst: dict) -> dcopt.Solution:
    sol = dcopt.solve(inst, mip_gap=1e-9)
    assert sol.status == "optimal" and sol.has_plan, (sol.status, sol.message, sol.diagnosis)
    assert set(sol.costs_npv_usd) == set(ITEMS)
    return sol


def assert_items(sol: dcopt.Solution, expected: dict[str, float], *, tco: bool = True) -> None:
    """Each listed item equals its expected NPV; with `tco`, unlisted items are 0 and the TCO
    is the sum."""
    for item, value in expected.items():
        assert sol.costs_npv_usd[item] == pytest.approx(value, rel=1e-9, abs=1e-6), item
    if tco:
        for item in set(ITEMS) - set(expected):
            assert sol.costs_npv_usd[item] == pytest.approx(0.0, abs=1e-6), item
        assert sol.tco_usd == pytest.approx(sum(expected.values()), rel=1e-9)


def assert_nominal_discounts_to_npv(sol: dcopt.Solution, r: float = R, start: int = START) -> None:
    """sum_y nominal[item][y] * (1 + r) ** -(y - start) == NPV of the item, for every item."""
    for item in ITEMS:
        nominal = sol.costs_nominal_usd.get(item, {})
        npv = sum(usd * (1 + r) ** -(int(y) - start) for y, usd in nominal.items())
        assert npv == pytest.approx(sol.costs_npv_usd[item], rel=1e-9, abs=1e-6), item


# --------------------------------------------------------------------------- greenfield, every item


def test_one_year_every_item():
    """One year: opening, fabric, 1 block and 2 units in 2026; life 3 > horizon: resale 2027."""
    inst = tiny(
        finance={"carbon_price_usd_per_t": 50, "facility_maintenance_frac_per_year": 0.02},
        gpu={"maintenance_frac_per_year": 0.05},
        site={"fixed_opex_usd_per_mw_year": 100_000, "carbon_kg_per_mwh": 400},
    )
    sol = solved(inst)
    deployments = 2 * UNIT_CAPEX  # 16 demand / perf 1 = 16 GPUs = 2 units
    mwh = 8.76 * 0.8 * 1.5 * (16 * (1.0 + 0.01))  # 8.76 * LF * PUE * IT kW
    expected = {
        "site_opening": OPENING,
        "fabric_fixed": FABRIC_FIXED,
        "blocks": 1 * BLOCK_CAPEX,  # 16.16 kW fits in one 100 kW block
        "deployments": deployments,
        "energy": mwh * 100,  # electricity 100 USD/MWh
        "carbon": mwh * 50 * 400 / 1000,  # carbon price * kg/MWh / 1000
        "fixed_opex": 100_000 * 0.1,  # per built MW-year * 0.1 MW
        "facility_maintenance": 0.02 * BLOCK_CAPEX,
        "deployment_maintenance": 0.05 * deployments,
        # resale in min(2026 + 3, 2027) = 2027, age min(3, 2027 - 2026) = 1, L = 4
        "resale": -deployments * res(1, 4) * d(2027),
        # (opening + fabric + block) * res(2027 - 2026, 10), discounted from 2027
        "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX) * res(1, 10) * d(2027),
    }
    assert_items(sol, expected)
    assert [(p.year, p.gpus, p.resale_year) for p in sol.purchases] == [(2026, 16, 2027)]
    assert [(b.year, b.blocks) for b in sol.sites[0].blocks] == [(2026, 1)]


def test_late_demand_discounts_opening_fabric_blocks_and_salvage():
    """Demand only in 2028: opening, fabric, block and units all come in 2028 (later is cheaper)."""
    inst = tiny(years=(2026, 2028), demand={"training": {"2028": 16}})
    sol = solved(inst)
    expected = {
        "site_opening": OPENING * d(2028),  # 1e6 * 1.1 ** -2
        "fabric_fixed": FABRIC_FIXED * d(2028),
        "blocks": BLOCK_CAPEX * d(2028),
        "deployments": 2 * UNIT_CAPEX * d(2028),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * d(2028),
        # bought 2028, life 3: resale year min(2031, 2029) = 2029, age 1
        "resale": -2 * UNIT_CAPEX * res(1, 4) * d(2029),
        # built 2028: age 2029 - 2028 = 1 of facility_life 10, discounted with d(end_year + 1)
        "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX) * res(1, 10) * d(2029),
    }
    assert_items(sol, expected)
    site = sol.sites[0]
    assert site.open_year == 2028
    assert [(f.fabric, f.year) for f in site.fabrics] == [("eth", 2028)]
    assert sol.costs_nominal_usd["site_opening"] == {2028: pytest.approx(OPENING)}
    assert set(sol.costs_nominal_usd["facility_salvage"]) == {2029}
    assert_nominal_discounts_to_npv(sol)


# --------------------------------------------------------------------------- blocks


@pytest.mark.parametrize(("watts_per_gbps", "blocks"), [(0.025, 2), (0.0, 1)])
def test_blocks_hall_capacity_counts_network_power(watts_per_gbps, blocks):
    """SPEC 7.1: one unit of 8 GPUs x 1.25 kW = 10 kW exactly fills a 0.01 MW block;
    with 0.025 W/Gbps x 400 Gb/s = 0.01 kW/GPU of network power it needs 10.08 kW: 2 blocks."""
    inst = tiny(
        gpu={"system_kw_per_gpu": 1.25},
        fabric={"watts_per_gbps": watts_per_gbps},
        site={"block_mw": 0.01},
        demand={"training": {"2026": 8}},
    )
    sol = solved(inst)
    block_capex = 0.01 * (8e6 + 1000 * 500 + 1000 / 20 * 50_000)  # 110_000
    net_kw = watts_per_gbps * 400 / 1000
    expected = {
        "blocks": blocks * block_capex,
        "deployments": UNIT_CAPEX,
        "energy": 8.76 * 0.8 * 1.5 * 8 * (1.25 + net_kw) * 100,  # network power in energy too
    }
    assert_items(sol, expected, tco=False)
    assert sum(b.blocks for b in sol.sites[0].blocks) == blocks


# --------------------------------------------------------------------------- deployments


def test_deployments_price_decline_from_first_year_before_start():
    """SPEC 7.14: price(y) = 10_000 * (1 - 0.1) ** (y - 2024) with first_year 2024 < start 2026.
    Life 1 and demand in 2026 and 2028 only: 2 units bought in 2026 and 2 in 2028."""
    inst = tiny(
        years=(2026, 2028),
        options={"life_choices_years": [1]},
        gpu={"first_year": 2024, "price_decline_per_year": 0.1},
        demand={"training": {"2026": 16, "2028": 16}},
    )
    sol = solved(inst)
    p2026 = 10_000 * 0.9 ** (2026 - 2024)  # 8_100
    p2028 = 10_000 * 0.9 ** (2028 - 2024)  # 6_561
    capex2026 = 16 * (p2026 + NET_CAPEX_PER_GPU)
    capex2028 = 16 * (p2028 + NET_CAPEX_PER_GPU)
    expected = {
        "deployments": capex2026 * d(2026) + capex2028 * d(2028),
        # life 1: resold in 2027 and 2029, both at age 1
        "resale": -capex2026 * res(1, 4) * d(2027) - capex2028 * res(1, 4) * d(2029),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * (d(2026) + d(2028)),
        "site_opening": OPENING,
        "fabric_fixed": FABRIC_FIXED,
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX)
        * res(2029 - 2026, 10)
        * d(2029),
    }
    assert_items(sol, expected)
    assert [(p.year, p.gpus, p.resale_year) for p in sol.purchases] == [
        (2026, 16, 2027),
        (2028, 16, 2029),
    ]
    assert_nominal_discounts_to_npv(sol)


def test_deployments_year_map_price():
    """A year-map GPU price: 9_000 in 2026, 7_000 in 2027; life 1, demand both years."""
    inst = tiny(
        years=(2026, 2027),
        options={"life_choices_years": [1]},
        gpu={"price_usd_per_gpu": {"2026": 9000, "2027": 7000}},
        demand={"training": every_year(16, 2026, 2027)},
    )
    sol = solved(inst)
    capex2026 = 16 * (9000 + NET_CAPEX_PER_GPU)
    capex2027 = 16 * (7000 + NET_CAPEX_PER_GPU)
    assert_items(
        sol,
        {
            "deployments": capex2026 + capex2027 * d(2027),
            "resale": -capex2026 * res(1, 4) * d(2027) - capex2027 * res(1, 4) * d(2028),
        },
        tco=False,
    )
    assert_nominal_discounts_to_npv(sol)


# --------------------------------------------------------------------------- energy and carbon


def test_energy_network_power_pue_override_and_price_map():
    """Energy = 8.76 * LF * PUE * IT kW (network included) * electricity(t), with the site's
    PUE override 1.2 (not the catalog's 1.5) and a year-map price. The grid limit 0.13 MW
    only admits the block at the overridden PUE: 0.1 * 1.2 = 0.12 <= 0.13 < 0.1 * 1.5."""
    inst = tiny(
        years=(2026, 2027),
        site={
            "pue_overrides": {"air": 1.2},
            "max_facility_mw": 0.13,
            "electricity_usd_per_mwh": {"2026": 100, "2027": 150},
        },
        demand={"training": every_year(16, 2026, 2027)},
    )
    sol = solved(inst)
    mwh = 8.76 * 0.8 * 1.2 * 16 * (1.0 + 0.01)  # per year, 16 GPUs at 1.01 kW each
    expected = {
        "energy": mwh * 100 * d(2026) + mwh * 150 * d(2027),
        "carbon": 0.0,
        "site_opening": OPENING,
        "fabric_fixed": FABRIC_FIXED,
        "blocks": BLOCK_CAPEX,
        "deployments": 2 * UNIT_CAPEX,
        # bought 2026, life 3: resale in min(2029, 2028) = 2028, age 2
        "resale": -2 * UNIT_CAPEX * res(2, 4) * d(2028),
        "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX) * res(2, 10) * d(2028),
    }
    assert_items(sol, expected)
    assert sol.sites[0].facility_mw[2026] == pytest.approx(0.1 * 1.2)
    assert_nominal_discounts_to_npv(sol)


def test_carbon_price_times_intensity():
    """Carbon = 8.76 * LF * PUE * IT kW * carbon_price * kg_per_mwh / 1000, every year."""
    inst = tiny(
        years=(2026, 2027),
        finance={"carbon_price_usd_per_t": 50},
        site={"carbon_kg_per_mwh": 400},
        demand={"training": every_year(16, 2026, 2027)},
    )
    sol = solved(inst)
    mwh = 8.76 * 0.8 * 1.5 * 16 * 1.01
    assert_items(
        sol,
        {
            "carbon": mwh * 50 * 400 / 1000 * (d(2026) + d(2027)),
            "energy": mwh * 100 * (d(2026) + d(2027)),
        },
        tco=False,
    )
    for y in sol.years:
        assert y.energy_mwh == pytest.approx(mwh, rel=1e-9)  # facility MWh (IT x PUE)
        assert y.emissions_t == pytest.approx(
            mwh * 400 / 1000, rel=1e-9
        )  # t CO2 = MWh * kg/MWh / 1000
    assert_nominal_discounts_to_npv(sol)


# ------------------------------------------------------------------ recurring facility costs


def test_fixed_opex_and_facility_maintenance_blocks_never_close():
    """SPEC 7.5, 7.18: a block built in 2026 is paid for (fixed opex, maintenance) in every year to
    2028, though its only units (life 1) leave in 2027 and it outlives facility_life_years 2
    (so its salvage is 0). Maintenance is on block capex only (SPEC 7.4), not opening or fabric."""
    inst = tiny(
        years=(2026, 2028),
        finance={"facility_maintenance_frac_per_year": 0.02, "facility_life_years": 2},
        options={"life_choices_years": [1]},
        site={"fixed_opex_usd_per_mw_year": 100_000},
        demand={"training": {"2026": 16}},
    )
    sol = solved(inst)
    years = d(2026) + d(2027) + d(2028)
    expected = {
        "fixed_opex": 100_000 * 0.1 * years,  # USD per MW-year * built MW, each year
        "facility_maintenance": 0.02 * BLOCK_CAPEX * years,
        "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX)
        * res(2029 - 2026, 2)
        * d(2029),  # 0
        "site_opening": OPENING,
        "fabric_fixed": FABRIC_FIXED,
        "blocks": BLOCK_CAPEX,
        "deployments": 2 * UNIT_CAPEX,
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100,  # 2026 only
        "resale": -2 * UNIT_CAPEX * res(1, 4) * d(2027),
    }
    assert expected["facility_salvage"] == 0
    assert_items(sol, expected)
    assert sol.sites[0].built_it_mw == {
        2026: pytest.approx(0.1),
        2027: pytest.approx(0.1),
        2028: pytest.approx(0.1),
    }
    assert_nominal_discounts_to_npv(sol)


def test_existing_blocks_maintenance_at_todays_capex_no_opening_no_salvage():
    """SPEC 2.7, 7.4, 7.6: an existing block opens the site (no opening capex), needs no block
    capex, pays maintenance at the block capex it would have today and fixed opex, and has
    no salvage. The fabric still has to come (no existing deployment uses it)."""
    inst = tiny(
        years=(2026, 2027),
        finance={"facility_maintenance_frac_per_year": 0.02},
        site={"fixed_opex_usd_per_mw_year": 100_000},
        demand={"training": every_year(16, 2026, 2027)},
        existing={"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}]},
    )
    sol = solved(inst)
    expected = {
        "facility_maintenance": 0.02 * BLOCK_CAPEX * (d(2026) + d(2027)),
        "fixed_opex": 100_000 * 0.1 * (d(2026) + d(2027)),
        "fabric_fixed": FABRIC_FIXED,
        # only the fabric has salvage: age 2028 - 2026 = 2 of 10
        "facility_salvage": -FABRIC_FIXED * res(2, 10) * d(2028),
        "deployments": 2 * UNIT_CAPEX,
        "resale": -2 * UNIT_CAPEX * res(2, 4) * d(2028),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * (d(2026) + d(2027)),
    }
    assert_items(sol, expected)
    site = sol.sites[0]
    assert site.opened_by_existing and site.open_year == 2026
    assert [(b.year, b.blocks) for b in site.blocks] == [(None, 1)]
    assert_nominal_discounts_to_npv(sol)


def test_facility_salvage_of_opening_fabric_and_blocks():
    """Salvage = -(opening + fabric fixed + block capex) * res(end_year + 1 - y, facility_life),
    discounted with d(end_year + 1); facility_life_years 4, built in 2026, horizon to 2027."""
    inst = tiny(
        years=(2026, 2027),
        finance={"facility_life_years": 4},
        demand={"training": every_year(16, 2026, 2027)},
    )
    sol = solved(inst)
    assert_items(
        sol,
        {
            "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX)
            * res(2028 - 2026, 4)
            * d(2028),
            "site_opening": OPENING,
            "fabric_fixed": FABRIC_FIXED,
            "blocks": BLOCK_CAPEX,
            "deployments": 2 * UNIT_CAPEX,
            "resale": -2 * UNIT_CAPEX * res(2, 4) * d(2028),
            "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * (d(2026) + d(2027)),
        },
    )
    assert sol.costs_nominal_usd["facility_salvage"] == {2028: pytest.approx(-2_200_000 * 0.5)}


# ------------------------------------------------------------ deployment maintenance, resale


def test_deployment_maintenance_and_resale_inside_horizon():
    """Life 2 over three years of demand: 2 units bought in 2026 (running 2026-2027, resold 2028 at
    age 2) and 2 in 2028 (resold at end_year + 1 = 2029 at age 1). Maintenance = 0.05 * capex of
    the active units in years y .. y + l - 1 (SPEC 7.18)."""
    inst = tiny(
        years=(2026, 2028),
        options={"life_choices_years": [2]},
        gpu={"maintenance_frac_per_year": 0.05},
        demand={"training": every_year(16, 2026, 2028)},
    )
    sol = solved(inst)
    capex = 2 * UNIT_CAPEX
    expected = {
        "deployments": capex * d(2026) + capex * d(2028),
        "deployment_maintenance": 0.05 * capex * (d(2026) + d(2027)) + 0.05 * capex * d(2028),
        # resale year min(y + l, end_year + 1); age min(l, end_year + 1 - y)
        "resale": -capex * res(2, 4) * d(2028) - capex * res(1, 4) * d(2029),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * (d(2026) + d(2027) + d(2028)),
        "site_opening": OPENING,
        "fabric_fixed": FABRIC_FIXED,
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -(OPENING + FABRIC_FIXED + BLOCK_CAPEX) * res(3, 10) * d(2029),
    }
    assert_items(sol, expected)
    assert [(p.year, p.gpus, p.resale_year) for p in sol.purchases] == [
        (2026, 16, 2028),
        (2028, 16, 2029),
    ]
    assert_nominal_discounts_to_npv(sol)


@pytest.mark.parametrize("lives", [[3], [5], [3, 5]])
def test_resale_life_past_horizon(lives):
    """SPEC 7.10: a life reaching past end_year is resold in end_year + 1 = 2028 at age
    min(l, 2028 - 2026) = 2, whatever l (3 or 5): credit capex * res(2, 4) * d(2028)."""
    inst = tiny(
        years=(2026, 2027),
        options={"life_choices_years": lives},
        demand={"training": every_year(16, 2026, 2027)},
    )
    sol = solved(inst)
    assert_items(sol, {"resale": -2 * UNIT_CAPEX * res(2, 4) * d(2028)}, tco=False)
    assert [(p.year, p.gpus, p.resale_year) for p in sol.purchases] == [(2026, 16, 2028)]


# --------------------------------------------------------------------------- existing deployments


EXISTING_BLOCK = {"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}


def existing(purchase_year: int, gpus: int, price: float) -> dict:
    return {
        "blocks": [EXISTING_BLOCK],
        "deployments": [
            {
                "site": "s1",
                "cooling": "air",
                "rack_kw": 20,
                "gpu": "g1",
                "fabric": "eth",
                "purchase_year": purchase_year,
                "gpus": gpus,
                "price_usd_per_gpu": price,
            }
        ],
    }


def test_existing_retirement_credit_with_age():
    """No demand: 16 GPUs bought 2023 at 30_000 retire at the start of 2026 (keeping them only costs
    energy and their credit falls with age):
    credit (price + network) * gpus * res(2026 - 2023, 4)."""
    inst = tiny(
        years=(2026, 2027),
        gpu={"first_year": 2020},
        demand={"training": {}},
        existing=existing(2023, 16, 30_000),
    )
    sol = solved(inst)
    assert_items(
        sol, {"existing_retirement": -(30_000 + 5 * 400) * 16 * res(2026 - 2023, 4)}
    )  # -128_000
    assert [(r.deployment, r.year, r.gpus) for r in sol.retirements] == [(0, 2026, 16)]
    assert sol.purchases == []


def test_existing_still_running_credit_and_maintenance():
    """Existing GPUs (bought 2024, max life 6: Y* = 2030 > end_year) that are the only GPUs
    (g1 not buyable after 2024) serve the demand and still run at the end: credit
    (8_000 + 2_000) * 16 * res(2028 - 2024, 8) in 2028. Their maintenance is 0.05 * (price +
    network) * gpus a year; their fabric is already at the site (no fabric capex)."""
    inst = tiny(
        years=(2026, 2027),
        gpu={
            "first_year": 2018,
            "last_year": 2024,
            "depreciation_years": 8,
            "maintenance_frac_per_year": 0.05,
        },
        demand={"training": every_year(16, 2026, 2027)},
        existing=existing(2024, 16, 8_000),
    )
    sol = solved(inst)
    value = (8_000 + 5 * 400) * 16  # 160_000
    expected = {
        "existing_residual": -value * res(2028 - 2024, 8) * d(2028),
        "deployment_maintenance": 0.05 * value * (d(2026) + d(2027)),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * (d(2026) + d(2027)),
    }
    assert_items(sol, expected)
    assert sol.retirements == [] and sol.purchases == []
    assert [(f.fabric, f.year) for f in sol.sites[0].fabrics] == [("eth", None)]
    assert_nominal_discounts_to_npv(sol)


def test_existing_deadline_inside_horizon():
    """SPEC 7.16: bought 2021 with max life 6, Y* = max(2026, 2027) = 2027 <= end_year: all must
    be gone by the start of 2027, although demand goes on. They serve 2026 and retire in 2027
    with credit (3_000 + 2_000) * 16 * res(6, 10); 2 new units come in 2027 (life 3, resold
    in 2029 at age 2)."""
    inst = tiny(
        years=(2026, 2028),
        gpu={"first_year": 2019, "depreciation_years": 10},
        demand={"training": every_year(16, 2026, 2028)},
        existing=existing(2021, 16, 3_000),
    )
    sol = solved(inst)
    expected = {
        "existing_retirement": -(3_000 + 5 * 400) * 16 * res(2027 - 2021, 10) * d(2027),
        "existing_residual": 0.0,
        "deployments": 2 * UNIT_CAPEX * d(2027),
        "resale": -2 * UNIT_CAPEX * res(2029 - 2027, 10) * d(2029),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * (d(2026) + d(2027) + d(2028)),
    }
    assert_items(sol, expected)
    assert [(r.deployment, r.year, r.gpus) for r in sol.retirements] == [(0, 2027, 16)]
    assert [(p.year, p.gpus) for p in sol.purchases] == [(2027, 16)]
    assert_nominal_discounts_to_npv(sol)


def test_existing_deadline_before_start_is_start_year():
    """SPEC 7.16: bought 2018 with max life 6, 2018 + 6 = 2024 < 2026 so Y* = 2026: retired at the
    start of 2026 although they could serve the demand, credit at age 8: res(8, 10) = 0.2."""
    inst = tiny(
        gpu={"first_year": 2018, "depreciation_years": 10},
        existing=existing(2018, 16, 12_000),
    )
    sol = solved(inst)
    assert_items(
        sol,
        {
            "existing_retirement": -(12_000 + 5 * 400) * 16 * res(2026 - 2018, 10),  # -44_800
            "existing_residual": 0.0,
            "deployments": 2 * UNIT_CAPEX,
        },
        tco=False,
    )
    assert [(r.year, r.gpus) for r in sol.retirements] == [(2026, 16)]
    assert [(p.year, p.gpus) for p in sol.purchases] == [(2026, 16)]


# --------------------------------------------------------------------------- budget


def test_budget_forces_opening_a_year_early():
    """SPEC 7.2, 7.3: power comes in 2027, when all the demand is. Everything in 2027 would be
    1e6 + 1e5 + 1.1e6 + 192_000 = 2_392_000 > budget 1_500_000; only opening and fabric can
    move to 2026 and the opening alone (1e6) is enough: 2027 then holds 1_392_000."""
    budget = 1_500_000
    common = {
        "years": (2026, 2027),
        "site": {"power_available_year": 2027},
        "demand": {"training": {"2027": 16}},
    }
    free = solved(tiny(**common))
    assert free.sites[0].open_year == 2027  # without the budget, nothing comes early

    sol = solved(tiny(finance={"annual_capex_budget_usd": budget}, **common))
    expected = {
        "site_opening": OPENING * d(2026),
        "fabric_fixed": FABRIC_FIXED * d(2027),
        "blocks": BLOCK_CAPEX * d(2027),
        "deployments": 2 * UNIT_CAPEX * d(2027),
        "energy": 8.76 * 0.8 * 1.5 * 16 * 1.01 * 100 * d(2027),
        "resale": -2 * UNIT_CAPEX * res(1, 4) * d(2028),
        "facility_salvage": -(OPENING * res(2, 10) + (FABRIC_FIXED + BLOCK_CAPEX) * res(1, 10))
        * d(2028),
    }
    assert_items(sol, expected)
    assert sol.sites[0].open_year == 2026
    capex = {y.year: y.capex_usd for y in sol.years}
    assert capex == {2026: pytest.approx(OPENING), 2027: pytest.approx(1_392_000)}
    assert all(v <= budget for v in capex.values())
    assert_nominal_discounts_to_npv(sol)


@pytest.mark.parametrize(("budget", "feasible"), [(150_000, False), (200_000, True)])
def test_budget_caps_gross_capex_credits_not_netted(budget, feasible):
    """SPEC 7.2: the 8 existing GPUs (bought 2018, max life 6: Y* = 2026) must retire in 2026 with a
    credit of (48_000 + 2_000) * 8 * res(8, 10) = 80_000; demand 16 needs 2 new units,
    192_000 of capex in 2026. Net of the credit (112_000) that would fit a 150_000 budget,
    gross it does not: infeasible. With 200_000 it fits."""
    inst = tiny(
        finance={"annual_capex_budget_usd": budget},
        gpu={"first_year": 2018, "depreciation_years": 10},
        existing=existing(2018, 8, 48_000),
    )
    sol = dcopt.solve(inst, mip_gap=1e-9)
    if not feasible:
        assert sol.status == "infeasible" and not sol.has_plan and sol.tco_usd is None
        return
    assert sol.status == "optimal"
    assert_items(
        sol,
        {
            "existing_retirement": -(48_000 + 5 * 400) * 8 * res(2026 - 2018, 10),
            "deployments": 2 * UNIT_CAPEX,
        },
        tco=False,
    )
    assert sol.years[0].capex_usd == pytest.approx(2 * UNIT_CAPEX)


# --------------------------------------------------------------------------- discounting


@pytest.mark.parametrize("r", [0.1, 0.0, 0.05])
def test_nominal_by_year_discounts_to_npv(r):
    """Every item's nominal cash flows, discounted with (1 + r) ** -(y - start_year), give its NPV;
    salvage-type credits sit in end_year + 1 only. A three-year case with every recurring item."""
    inst = tiny(
        years=(2026, 2028),
        finance={
            "discount_rate": r,
            "carbon_price_usd_per_t": 50,
            "facility_maintenance_frac_per_year": 0.02,
        },
        options={"life_choices_years": [2]},
        gpu={"first_year": 2020, "maintenance_frac_per_year": 0.05, "price_decline_per_year": 0.05},
        site={
            "fixed_opex_usd_per_mw_year": 100_000,
            "carbon_kg_per_mwh": 400,
            "electricity_usd_per_mwh": {"2026": 90, "2027": 100, "2028": 110},
        },
        demand={"training": {"2026": 16, "2027": 24, "2028": 40}},
        existing=existing(2023, 8, 20_000),
    )
    sol = solved(inst)
    assert_nominal_discounts_to_npv(sol, r=r)
    for item in ("facility_salvage", "existing_residual"):
        assert set(sol.costs_nominal_usd.get(item, {})) <= {2029}, item
    for item in (
        "energy",
        "carbon",
        "fixed_opex",
        "facility_maintenance",
        "deployment_maintenance",
        "site_opening",
        "fabric_fixed",
        "blocks",
        "deployments",
        "existing_retirement",
    ):
        assert set(sol.costs_nominal_usd.get(item, {})) <= {2026, 2027, 2028}, item
    # fixed opex is paid on the existing 0.1 MW block (plus any built) every year, nominal
    assert sol.costs_nominal_usd["fixed_opex"][2026] >= 100_000 * 0.1 - 1e-6
    assert sum(sol.costs_npv_usd.values()) == pytest.approx(sol.tco_usd, rel=1e-12)
