"""Known-answer tests for SPEC 8.8: two-stage scenarios (one plan before the reveal year,
one per case after it; objective sum_c probability_c * TCO_c).

Base numbers: tests/tiny2.py (1 kW GPUs at 10_000 USD in units of 8, 0.1 MW blocks
holding 12 units, PUE 1.25, 100 USD/MWh: 8_760 USD of energy per unit-year, discount 0,
load factor 1, life 4, depreciation 4, facility life 10).

SPEC formulas used:
    8.8   decisions of years < reveal_year (for a lead-time block: its decision year
          y - lead) are shared by all cases; later ones are per case; scales multiply
          demand, electricity and GPU purchase prices in years >= reveal_year only
    8.3   lead time: a block commissioned in y is decided and paid in y - lead; its
          salvage counts from y: res(T + 1 - y, 10)
"""

from __future__ import annotations

import copy

import pytest
from tiny2 import UNIT_CAPEX, UNIT_YEAR_ENERGY, gpu, instance, res, site, solved

# --------------------------------------------------------------------------- hedging

# 2026-2027, reveal 2027, no demand in 2026; training demand in 2027 is 96 GPUs (one block)
# in case 'flat' and 3 * 96 = 288 (three blocks) in case 'boom', each with probability 0.5.
# Blocks, all commissioned in 2027 and salvaged at res(1, 10) = 0.9, so each costs a tenth
# of its capex net:
#   slow   lead time 1: decided in 2026, before the reveal (shared)   100_000 -> 10_000
#   fast   no lead time, decided in 2027 per case, at most 1 block    150_000 -> 15_000
#   dear   no lead time, decided in 2027 per case                     400_000 -> 40_000
# (a fast or dear block built in 2026, also shared, is salvaged at 0.8 and dominated.)
# GPUs are bought in 2027 per case, the same whatever the blocks: per 96 GPUs, 12 units
# cost 12 * (80_000 * (1 - 0.75) + 8_760) = 345_120.
SLOW_NET, FAST_NET, DEAR_NET = 10_000, 15_000, 40_000
GPUS_PER_BLOCK = 12 * (UNIT_CAPEX * (1 - res(1, 4)) + UNIT_YEAR_ENERGY)  # 345_120


def case_tco(slow_blocks: int, blocks_needed: int) -> float:
    """TCO of a case: the shared slow blocks, then the cheapest recourse (fast first)."""
    short = max(0, blocks_needed - slow_blocks)
    fast = min(short, 1)
    return (
        slow_blocks * SLOW_NET
        + fast * FAST_NET
        + (short - fast) * DEAR_NET
        + blocks_needed * GPUS_PER_BLOCK
    )


def hedge_instance(*, scenarios: bool = True, demand_2027: float = 96, slow_max: int = 8):
    inst = instance(
        years=(2026, 2027),
        sites=[
            site("slow", build_lead_time_years=1, max_blocks=slow_max),
            site("fast", shell_capex_usd_per_mw=1500000, max_blocks=1),
            site("dear", shell_capex_usd_per_mw=4000000),
        ],
        training={"2027": demand_2027},
    )
    if scenarios:
        inst["scenarios"] = {
            "reveal_year": 2027,
            "cases": [
                {"name": "boom", "probability": 0.5, "training_scale": 3.0},
                {"name": "flat", "probability": 0.5},
            ],
        }
    return inst


def test_hedging_builds_a_middle_number_of_early_blocks():
    """The slow blocks x are the only shared decision. Expected TCO
    0.5 * case_tco(x, 3) + 0.5 * case_tco(x, 1):
        x = 3 (plan for 'boom', then adapt):  0.5 * 1_065_360 + 0.5 * 375_120 = 720_240
        x = 1 (plan for 'flat', then adapt):  0.5 * 1_100_360 + 0.5 * 355_120 = 727_740
        x = 2 (hedge):                        0.5 * 1_070_360 + 0.5 * 365_120 = 717_740
        x = 0:                                0.5 * 1_130_360 + 0.5 * 360_120 = 745_240
    The hedge wins because 0.5 * FAST_NET < SLOW_NET < 0.5 * DEAR_NET: a third slow block is
    worth less than the expected fast block it saves, a second one more than the expected
    dear block it saves."""
    expected = {x: 0.5 * case_tco(x, 3) + 0.5 * case_tco(x, 1) for x in range(4)}
    assert expected == pytest.approx({0: 745_240, 1: 727_740, 2: 717_740, 3: 720_240})
    plan_for_boom, plan_for_flat, hedge = expected[3], expected[1], expected[2]
    assert hedge < plan_for_boom and hedge < plan_for_flat
    sol = solved(hedge_instance())
    assert sol.tco_usd == pytest.approx(717_740, rel=1e-9)


@pytest.mark.parametrize(
    ("demand_2027", "slow_blocks", "blocks_needed"),
    [(288, 3, 3), (96, 1, 1)],
    ids=["boom", "flat"],
)
def test_single_forecast_plans(demand_2027, slow_blocks, blocks_needed):
    """Without scenarios, each forecast alone: 'boom' builds 3 slow blocks
    (3 * 10_000 < 2 * 10_000 + 15_000), 'flat' builds 1. These are the first stages the
    previous test adapts:  boom 30_000 + 3 * 345_120 = 1_065_360;  flat 355_120."""
    sol = solved(hedge_instance(scenarios=False, demand_2027=demand_2027))
    assert sol.tco_usd == pytest.approx(case_tco(slow_blocks, blocks_needed), rel=1e-9)
    assert sum(b.blocks for b in sol.sites[0].blocks) == slow_blocks


def test_plan_for_flat_then_adapt_is_the_best_with_one_early_block():
    """With at most one slow block the stochastic optimum is x = 1, i.e. 'plan for flat, then
    adapt': 727_740 (x = 0 gives 745_240)."""
    sol = solved(hedge_instance(slow_max=1))
    assert sol.tco_usd == pytest.approx(727_740, rel=1e-9)


# --------------------------------------------------------------------------- equivalences


def mixed_instance() -> dict:
    """Three years (r = 0.08), two GPU models, two sites (one with a lead time and an
    electricity map), a rental, inference at r1 and a training job."""
    return instance(
        years=(2026, 2028),
        finance={"discount_rate": 0.08, "facility_maintenance_frac_per_year": 0.01},
        options={"life_choices_years": [1, 2, 3]},
        gpus=[
            gpu(price_usd_per_gpu={"2026": 10000, "2027": 9000, "2028": 8000}),
            gpu(
                name="h",
                price_usd_per_gpu={"2026": 16000, "2027": 15000, "2028": 14000},
                training_perf=1.6,
                inference_perf=2.0,
                system_kw_per_gpu=1.3,
            ),
        ],
        sites=[
            site("s1", site_fixed_capex_usd=50000),
            site(
                "s2",
                site_fixed_capex_usd=100000,
                shell_capex_usd_per_mw=800000,
                build_lead_time_years=1,
                electricity_usd_per_mwh={"2026": 60, "2027": 70, "2028": 80},
            ),
        ],
        training={"2026": 40, "2027": 100, "2028": 160},
        inference=[{"region": "r1", "perf": {"2026": 20, "2027": 40, "2028": 60}}],
        jobs=[{"name": "j", "perf": {"2027": 30, "2028": 50}}],
        rentals=[{"name": "cloud", "gpu": "g", "usd_per_gpu_hour": 1.2, "max_gpus": 40}],
    )


def test_one_case_with_probability_one_is_the_plain_instance():
    """A scenario set of one case (all scales 1, probability 1) changes nothing."""
    plain = mixed_instance()
    one_case = copy.deepcopy(plain)
    one_case["scenarios"] = {"reveal_year": 2027, "cases": [{"name": "only", "probability": 1}]}
    assert solved(one_case).tco_usd == pytest.approx(solved(plain).tco_usd, rel=1e-9)


def test_one_scaled_case_is_the_instance_with_those_years_scaled():
    """One case with every scale set equals the plain instance with the years >= reveal_year
    (2027, 2028) scaled by hand: training demand x2, inference x1.5, the job's perf x0.5, grid
    electricity x1.2 (not the rental), GPU purchase prices x1.5 for 'h' only; 2026 as given."""
    scaled = mixed_instance()
    scaled["scenarios"] = {
        "reveal_year": 2027,
        "cases": [
            {
                "name": "only",
                "probability": 1.0,
                "training_scale": 2.0,
                "inference_scale": {"r1": 1.5},
                "job_scale": {"j": 0.5},
                "electricity_scale": 1.2,
                "gpu_price_scale": {"h": 1.5},
            }
        ],
    }
    by_hand = mixed_instance()
    demand = by_hand["demand"]
    demand["training"] = {"2026": 40, "2027": 200, "2028": 320}
    demand["inference"][0]["perf"] = {"2026": 20, "2027": 60, "2028": 90}
    demand["training_jobs"][0]["perf"] = {"2027": 15, "2028": 25}
    by_hand["sites"][0]["electricity_usd_per_mwh"] = {"2026": 100, "2027": 120, "2028": 120}
    by_hand["sites"][1]["electricity_usd_per_mwh"] = {"2026": 60, "2027": 84, "2028": 96}
    h = by_hand["catalog"]["gpus"][1]
    h["price_usd_per_gpu"] = {"2026": 16000, "2027": 22500, "2028": 21000}
    assert solved(scaled).tco_usd == pytest.approx(solved(by_hand).tco_usd, rel=1e-9)
