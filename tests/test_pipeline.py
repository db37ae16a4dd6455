"""The one pipeline: `dcopt.solve`, sweeps and re-solves price the same things the same way."""

from __future__ import annotations

import pytest
from tiny import tiny

import dcopt

PRICE = 50_000.0  # USD per unit of throughput per year left unmet


def short_instance() -> dict:
    """tiny() with a grid that holds one block of 0.1 MW: 12 units (96 GPUs) at most, so a
    training demand of 200 leaves 104 units of throughput unmet whatever the plan."""
    return tiny(site={"max_facility_mw": 0.15}, demand={"training": {"2026": 200}})


def test_sweep_prices_unmet_demand_as_solve_does():
    """dcopt.sweep(..., allow_unmet_usd_per_perf=P) prices unmet demand as dcopt solve
    --allow-unmet P does (it was silently ignored: the sweep prepared the model without it)."""
    inst = short_instance()
    alone = dcopt.solve(inst, mip_gap=1e-9, allow_unmet_usd_per_perf=PRICE)
    assert alone.has_plan and alone.unmet_demand, (alone.status, alone.message)
    # 96 GPUs of throughput 1 deliver 96 of 200: 104 unmet, priced at PRICE in 2026 (discount 1)
    assert alone.unmet_penalty_usd == pytest.approx(104 * PRICE, rel=1e-9)
    df = dcopt.sweep(inst, ["demand.training*=1.0,0.5"], allow_unmet_usd_per_perf=PRICE, mip_gap=1e-9)
    assert df["status"].tolist() == ["optimal", "optimal"]
    assert df.loc[0, "tco_usd"] == pytest.approx(alone.tco_usd, rel=1e-9)
    # at half the demand (100) the same 96 GPUs leave 4 unmet: the plan is unchanged
    assert df.loc[1, "tco_usd"] == pytest.approx(alone.tco_usd, rel=1e-9)


def test_without_allow_unmet_the_short_instance_is_infeasible():
    sol = dcopt.solve(short_instance(), mip_gap=1e-9)
    assert sol.status == "infeasible" and not sol.has_plan
    assert any("training demand in 2026 cannot be met" in line for line in sol.diagnosis), sol.diagnosis


def test_a_pipeline_updates_in_place_for_a_price_change():
    """A variant that changes only prices re-uses the built model (and gives a fresh solve's TCO)."""
    from dcopt.pipeline.solve import Pipeline

    pipe = Pipeline(dcopt.SolveOptions(mip_gap=1e-9))
    base = dcopt.load_instance(tiny())
    dearer = dcopt.load_instance(tiny(site={"electricity_usd_per_mwh": 150}))
    pipe.solve(base)
    updated = pipe.solve(dearer)
    assert (pipe.builds, pipe.updates) == (1, 1)
    assert updated.tco_usd == pytest.approx(dcopt.solve(dearer, mip_gap=1e-9).tco_usd, rel=1e-9)
