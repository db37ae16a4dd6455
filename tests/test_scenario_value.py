"""The value of planning for scenarios (SPEC 8.8, `dcopt solve --scenario-value`): EVPI and VSS
known by hand on the hedging instance of test_v2_scenarios, and EVPI >= 0, VSS >= 0 on every
scenario instance of the reference cases.

    EVPI = E[TCO of the stochastic plan] - E[TCO of each case solved alone]   (>= 0)
    VSS  = E[TCO with the mean-value plan's first stage held] - E[stochastic] (>= 0)
"""

from __future__ import annotations

import pytest
from refcases import reference_cases
from test_v2_scenarios import DEAR_NET, FAST_NET, GPUS_PER_BLOCK, SLOW_NET, hedge_instance

import dcopt
from dcopt.studies.scenario_value import scenario_value

GAP = 1e-9


def _value(inst):
    inst = dcopt.load_instance(inst) if not isinstance(inst, dcopt.Instance) else inst
    stochastic = dcopt.solve(inst, mip_gap=GAP)
    assert stochastic.has_plan, stochastic.message
    return stochastic, scenario_value(inst, stochastic, dcopt.SolveOptions(mip_gap=GAP))


def test_hedging_instance_evpi_by_hand_and_no_vss():
    """Cases boom (3 blocks of demand) and flat (1), probability 0.5 each. Alone: boom builds 3
    slow blocks, flat 1: wait-and-see 0.5 * (3 + 1) * SLOW_NET + 2 GPU blocks = 20_000 + 2 GPB.
    The stochastic plan (2 slow blocks, test_v2_scenarios) costs 717_740 = 27_500 + 2 GPB: EVPI
    7_500. The mean-value instance (2 blocks) builds 2 slow blocks, the stochastic plan's first
    stage: VSS 0."""
    stochastic, value = _value(dcopt.load_instance(hedge_instance()))
    assert stochastic.tco_usd == pytest.approx(717_740, rel=1e-9)
    wait_and_see = 0.5 * (3 * SLOW_NET) + 0.5 * SLOW_NET + 2 * GPUS_PER_BLOCK
    assert value.wait_and_see_tco_usd == pytest.approx(wait_and_see, rel=1e-9)
    assert value.evpi_usd == pytest.approx(717_740 - wait_and_see, rel=1e-9)
    assert value.evpi_usd == pytest.approx(7_500, rel=1e-9)
    assert value.vss_usd == pytest.approx(0.0, abs=1e-6)


def test_a_rare_boom_makes_the_mean_value_plan_overbuild():
    """Boom x6 with probability 0.2, flat with 0.8: mean demand 0.2 * 6 + 0.8 = 2 blocks, so the
    mean-value plan builds 2 slow blocks. Stochastically a second slow block costs SLOW_NET =
    10_000 and saves a dear block only in boom: 0.2 * DEAR_NET = 8_000, so the stochastic plan
    builds 1 (a first one saves 0.8 * FAST_NET + 0.2 * DEAR_NET = 20_000 > 10_000).
        stochastic  x=1: 0.2 * (SLOW + FAST + 4 DEAR) + 0.8 * SLOW = 45_000 (+ 2 GPB)
        mean plan   x=2: 0.2 * (2 SLOW + FAST + 3 DEAR) + 0.8 * 2 SLOW = 47_000 (+ 2 GPB): VSS 2_000
        alone: boom 6 SLOW, flat 1 SLOW: 0.2 * 60_000 + 0.8 * 10_000 = 20_000 (+ 2 GPB): EVPI 25_000"""
    inst = hedge_instance()
    inst["scenarios"]["cases"] = [{"name": "boom", "probability": 0.2, "training_scale": 6.0},
                                  {"name": "flat", "probability": 0.8}]
    stochastic, value = _value(dcopt.load_instance(inst))
    gpb = 2 * GPUS_PER_BLOCK
    x1 = 0.2 * (SLOW_NET + FAST_NET + 4 * DEAR_NET) + 0.8 * SLOW_NET
    x2 = 0.2 * (2 * SLOW_NET + FAST_NET + 3 * DEAR_NET) + 0.8 * 2 * SLOW_NET
    assert (x1, x2) == (45_000, 47_000)
    assert stochastic.tco_usd == pytest.approx(x1 + gpb, rel=1e-9)
    assert sum(b.blocks for b in stochastic.sites[0].blocks) == 1
    assert value.eev_tco_usd == pytest.approx(x2 + gpb, rel=1e-9)
    assert value.vss_usd == pytest.approx(2_000, rel=1e-9)
    assert value.evpi_usd == pytest.approx(25_000, rel=1e-9)


SCENARIO_CASES = [c for c in reference_cases("v2") if c.expected.get("tco_usd") is not None and '"scenarios"' in c.path.read_text(encoding="utf-8")]


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=lambda c: c.name)
def test_evpi_and_vss_are_never_negative(case):
    stochastic, value = _value(case.path)
    scale = max(1.0, abs(stochastic.tco_usd))
    assert value.evpi_usd is not None and value.evpi_usd >= -1e-7 * scale
    if value.vss_usd is not None:  # None when the mean-value plan's first stage strands a case
        assert value.vss_usd >= -1e-7 * scale
    else:
        assert value.notes
