"""Known-answer tests for SPEC 8.4 (on-site generation), 8.5 (cooling compatibility,
technology years) and 8.6 (fabric ports, fabric size, fabric maintenance).

Base numbers: tests/tiny2.py (1 kW GPUs at 10_000 USD in units of 8, 0.1 MW blocks of
100_000 USD holding 12 units, PUE 1.25, 100 USD/MWh: 1_095 USD of energy per GPU-year,
no network cost unless stated, discount 0, load factor 1, life 4, depreciation 4,
facility life 10). One year: GPUs resold at age 1 for 0.75 of capex, blocks salvaged
for 0.9.

SPEC formulas used:
    8.4  E[s, t] = 8.76 * LF * PUE * IT kW; egen <= 8760 * capacity_factor * MW built,
         egen <= E; energy item = (E - egen) * electricity + egen * fuel_usd_per_mwh;
         carbon item = carbon price * (grid MWh * grid kg + egen * generator kg) / 1000;
         onsite_capex = capex_usd_per_mw * MW in y; onsite_fixed_opex = per MW-year;
         salvage res(T + 1 - y, facility_life_years) in facility_salvage
    8.5  a purchase of g into (cooling k, density d) needs k in g.cooling; a build in y
         needs y >= the cooling's (and density's) first_year
    8.6  with ports: the option with the smallest gbps >= nic_gbps; network capex per GPU
         nic_ports * capex_usd_per_port, power nic_ports * watts_per_port / 1000 kW;
         max_gpus_per_site caps the installed GPUs on a fabric at a site in a year;
         fabric_maintenance = maintenance_usd_per_gpu_year * installed GPUs (failed
         included, 8.10.8), every year they run
"""

from __future__ import annotations

import pytest
from tiny2 import (
    BLOCK_CAPEX,
    GPU_YEAR_ENERGY,
    UNIT_CAPEX,
    assert_items,
    cooling,
    every_year,
    fabric,
    gpu,
    instance,
    res,
    site,
    solved,
)

# GPUs of the one-year, 64-GPU instances below: 8 units bought and resold at age 1
GPUS_64 = {"deployments": 8 * UNIT_CAPEX, "resale": -8 * UNIT_CAPEX * res(1, 4)}

# --------------------------------------------------------------------------- 8.4 on-site generation


def onsite_instance(fuel: float) -> dict:
    """Demand 64 (8 units, 64 kW IT, 80 kW facility). Carbon price 50 USD/t; grid 100 USD/MWh
    and 400 kg/MWh (120 USD/MWh with carbon). Gas: at most 0.06 MW, 200_000 USD/MW,
    10_000 USD/MW-year, capacity factor 0.8, 200 kg/MWh, fuel `fuel` USD/MWh."""
    gas = {
        "name": "gas",
        "max_mw": 0.06,
        "capex_usd_per_mw": 200000,
        "fixed_opex_usd_per_mw_year": 10000,
        "fuel_usd_per_mwh": fuel,
        "carbon_kg_per_mwh": 200,
        "capacity_factor": 0.8,
    }
    return instance(
        finance={"carbon_price_usd_per_t": 50},
        sites=[site(carbon_kg_per_mwh=400, onsite_power=[gas])],
        training={"2026": 64},
    )


def test_onsite_generation_used_when_fuel_is_cheaper():
    """Fuel 40: generated power costs 40 + 50 * 0.2 = 50 USD/MWh against the grid's
    100 + 50 * 0.4 = 120. A MW of gas saves 8760 * 0.8 * (120 - 50) = 490_560 USD and costs
    200_000 * (1 - res(1, 10)) + 10_000 = 30_000 for the year: build all 0.06 MW. It makes
    0.06 * 8760 * 0.8 = 420.48 MWh, less than the E = 8.76 * 1.25 * 64 = 700.8 MWh needed,
    so all of it is used and the grid supplies 280.32 MWh. The grid limit (1 MW) is not
    binding: the generator is an energy play only."""
    sol = solved(onsite_instance(40))
    e = 8.76 * 1.0 * 1.25 * 64  # 700.8 MWh
    egen = 0.06 * 8760 * 0.8  # 420.48 MWh
    grid = e - egen  # 280.32 MWh
    expected = {
        **GPUS_64,
        "energy": grid * 100 + egen * 40,  # 28_032 + 16_819.2 = 44_851.2
        "carbon": 50 * (grid * 400 + egen * 200) / 1000,  # 9_811.2
        "onsite_capex": 0.06 * 200_000,  # 12_000
        "onsite_fixed_opex": 0.06 * 10_000,  # 600
        "blocks": BLOCK_CAPEX,
        # block and generator, both built in 2026: res(1, 10) = 0.9
        "facility_salvage": -(BLOCK_CAPEX + 0.06 * 200_000) * res(1, 10),  # -100_800
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(226_462.4, rel=1e-9)


def test_onsite_generation_not_built_when_fuel_is_dearer():
    """Fuel 130: generated power costs 130 + 10 = 140 USD/MWh before any capex, more than the
    grid's 120: nothing is built and the grid supplies all 700.8 MWh."""
    sol = solved(onsite_instance(130))
    e = 8.76 * 1.0 * 1.25 * 64
    expected = {
        **GPUS_64,
        "energy": e * 100,  # 70_080
        "carbon": 50 * e * 400 / 1000,  # 14_016
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(1, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(254_096, rel=1e-9)


# --------------------------------------------------------------------------- 8.5 cooling list


DLC = cooling(name="dlc", liquid=True, max_rack_kw=100, capex_usd_per_kw=300)  # PUE 1.25


@pytest.mark.parametrize(
    ("cooling_list", "hall", "block_capex"),
    [
        # barred from air: the dearer dlc hall, 0.1 * (1e6 + 1000 * 300) = 130_000
        (["dlc"], "dlc", 130_000),
        # control, no list: air, the same PUE at no cooling capex
        (None, "air", 100_000),
    ],
    ids=["dlc-only", "no-list"],
)
def test_gpu_cooling_list_bars_a_cooling_type(cooling_list, hall, block_capex):
    """Air and dlc have the same PUE; dlc costs 300 USD/kW more. A GPU whose `cooling` list
    names only dlc (it is not liquid_required) must go to a dlc hall:
        dlc-only: 160_000 (GPUs net) + 70_080 + 130_000 * 0.1 = 243_080
        no list:  160_000 + 70_080 + 100_000 * 0.1           = 240_080
    """
    g = gpu(cooling=cooling_list) if cooling_list else gpu()
    sol = solved(instance(gpus=[g], coolings=[cooling(), DLC], training={"2026": 64}))
    expected = {
        **GPUS_64,
        "energy": 64 * GPU_YEAR_ENERGY,
        "blocks": block_capex,
        "facility_salvage": -block_capex * res(1, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(160_000 + 70_080 + block_capex * 0.1, rel=1e-9)
    assert {p.cooling for p in sol.purchases} == {hall}


# --------------------------------------------------------------------------- 8.5 technology year


def first_year_instance(imm_first_year: int | None) -> dict:
    """2026-2027, life choices [1] (6 units bought each year), demand 48 both years.
    air: PUE 1.5, no cooling capex; imm: liquid, PUE 1.1, 100 USD/kW (block 110_000)."""
    imm = cooling(name="imm", liquid=True, max_rack_kw=150, capex_usd_per_kw=100, pue=1.1)
    if imm_first_year is not None:
        imm["first_year"] = imm_first_year
    return instance(
        years=(2026, 2027),
        options={"life_choices_years": [1]},
        coolings=[cooling(pue=1.5), imm],
        training=every_year(48, 2026, 2027),
    )


def test_cooling_first_year_delays_a_build():
    """imm first_year 2027. Energy of 6 units (48 kW) a year: air 8.76 * 1.5 * 48 * 100 =
    63_072, imm 8.76 * 1.1 * 48 * 100 = 46_252.8. GPUs (life 1) are bought each year, so
    the 2027 ones can go to a new hall. 2026 needs a block and only air exists; in 2027:
        air only:          block 100_000 * (1 - 0.8) + 2 * 63_072            = 146_144
        air, then imm:     20_000 + 110_000 * (1 - 0.9) + 63_072 + 46_252.8  = 140_324.8
    so imm is built in 2027, a year later than it would be without the first year (next
    test). GPUs: 2 * 6 * 80_000 * (1 - 0.75) = 240_000.   TCO 380_324.8.
    """
    sol = solved(first_year_instance(2027))
    expected = {
        "blocks": 100_000 + 110_000,
        "deployments": 2 * 6 * UNIT_CAPEX,
        "resale": -2 * 6 * UNIT_CAPEX * res(1, 4),
        "energy": 8.76 * 1.5 * 48 * 100 + 8.76 * 1.1 * 48 * 100,
        # air block built 2026: res(2, 10); imm block built 2027: res(1, 10)
        "facility_salvage": -(100_000 * res(2, 10) + 110_000 * res(1, 10)),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(380_324.8, rel=1e-9)
    built = sorted((b.cooling, b.year, b.blocks) for b in sol.sites[0].blocks)
    assert built == [("air", 2026, 1), ("imm", 2027, 1)]


def test_without_first_year_imm_is_built_at_once():
    """Control: one imm block in 2026 for both years:
    110_000 * (1 - 0.8) + 2 * 46_252.8 + 240_000 = 354_505.6 (air only: 386_144)."""
    sol = solved(first_year_instance(None))
    assert sol.tco_usd == pytest.approx(354_505.6, rel=1e-9)
    assert [(b.cooling, b.year) for b in sol.sites[0].blocks] == [("imm", 2026)]


# --------------------------------------------------------------------------- 8.6 port options


def test_port_option_chosen_by_speed_with_two_ports():
    """nic_gbps 300, nic_ports 2; fabric ports 200 G (500 USD, 5 W), 400 G (1_500 USD, 12 W),
    800 G (1_200 USD, 8 W). The GPU takes the smallest option >= 300: 400 G, although
    800 G is cheaper and 200 G cheaper still. max_gbps_per_port defaults to 800.
        network per GPU: 2 * 1_500 = 3_000 USD, 2 * 12 / 1000 = 0.024 kW
        8 units: 64 * (10_000 + 3_000) = 832_000, resold for 0.75
        IT 64 * 1.024 = 65.536 kW (one block), energy 8.76 * 1.25 * 65.536 * 100 = 71_761.92
    """
    pf = {
        "name": "pf",
        "ports": [
            {"gbps": 200, "capex_usd_per_port": 500, "watts_per_port": 5},
            {"gbps": 400, "capex_usd_per_port": 1500, "watts_per_port": 12},
            {"gbps": 800, "capex_usd_per_port": 1200, "watts_per_port": 8},
        ],
    }
    inst = instance(
        gpus=[gpu(nic_gbps=300, nic_ports=2)],
        fabrics=[pf],
        training={"2026": 64},
    )
    sol = solved(inst)
    deployments = 64 * (10_000 + 2 * 1_500)
    expected = {
        "deployments": deployments,
        "resale": -deployments * res(1, 4),
        "energy": 8.76 * 1.0 * 1.25 * 64 * (1.0 + 2 * 12 / 1000) * 100,
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(1, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(289_761.92, rel=1e-9)


# --------------------------------------------------------------------------- 8.6 fabric size


def test_fabric_size_cap_forces_a_second_fabric():
    """2026-2027, demand 48 then 80. 'ib' has no cost but at most 48 GPUs at a site;
    'eth' costs 5 USD/Gb/s * 400 = 2_000 USD per GPU and 30_000 to bring to the site.
    2026: 6 units on ib (they run to the end: life 4). 2027: ib is full (installed GPUs
    count), so the 4 more units go on eth, which comes in 2027 (in 2026 it would be salvaged
    at 0.8, not 0.9, and 2026 eth units resold at 0.5, not 0.75).
        GPUs    48 * 10_000 + 32 * 12_000 = 864_000; resale 480_000 * 0.5 + 384_000 * 0.75
        energy  (48 + 80) * 1_095 = 140_160; one block (80 kW) in 2026
        TCO     864_000 + 30_000 + 100_000 + 140_160 - 528_000 - 107_000 = 499_160
    (uncapped, all on ib: 480_160).
    """
    inst = instance(
        years=(2026, 2027),
        fabrics=[
            fabric(name="ib", max_gpus_per_site=48),
            fabric(capex_usd_per_gbps=5, site_fixed_capex_usd=30000),
        ],
        training={"2026": 48, "2027": 80},
    )
    sol = solved(inst)
    expected = {
        "deployments": 48 * 10_000 + 32 * (10_000 + 2_000),
        "fabric_fixed": 30_000,
        "blocks": BLOCK_CAPEX,
        "energy": (48 + 80) * GPU_YEAR_ENERGY,
        "resale": -(48 * 10_000 * res(2, 4) + 32 * 12_000 * res(1, 4)),
        "facility_salvage": -(BLOCK_CAPEX * res(2, 10) + 30_000 * res(1, 10)),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(499_160, rel=1e-9)
    assert sorted((p.fabric, p.year, p.gpus) for p in sol.purchases) == [
        ("eth", 2027, 32),
        ("ib", 2026, 48),
    ]


# --------------------------------------------------------------------------- 8.6 fabric maintenance


def test_fabric_maintenance_counts_installed_gpus_failed_included():
    """2026-2027; 200 USD per GPU-year of fabric maintenance; 10 % of GPUs fail a year.
    Demand 64 then 56: 8 units in 2026, whose 0.9 * 64 = 57.6 survivors still cover 2027.
    Maintenance is on the 64 installed GPUs both years (8.10.8), not on the survivors:
    200 * 64 * 2 = 25_600. Energy and resale also count all 64.
        640_000 - 320_000 + 140_160 + 100_000 - 80_000 + 25_600 = 505_760
    """
    inst = instance(
        years=(2026, 2027),
        gpus=[gpu(annual_failure_rate=0.1)],
        fabrics=[fabric(maintenance_usd_per_gpu_year=200)],
        training={"2026": 64, "2027": 56},
    )
    sol = solved(inst)
    expected = {
        "fabric_maintenance": 200 * 64 * 2,
        "deployments": 8 * UNIT_CAPEX,
        "resale": -8 * UNIT_CAPEX * res(2, 4),
        "energy": 64 * GPU_YEAR_ENERGY * 2,
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(2, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(505_760, rel=1e-9)
    assert [(p.year, p.gpus) for p in sol.purchases] == [(2026, 64)]
