"""The staged solve's own arithmetic (dcopt.solver.highs), independent of any model."""

from __future__ import annotations

import pytest

from dcopt.solver.highs import _gap
from dcopt.solver.staged import _stage2_gap


@pytest.mark.parametrize("gap, relaxed, bound", [
    (0.005, 18910.8, 18833.1),  # large-50site's stage 1: relaxed plan within 0.41 % of its bound
    (0.02, 4693.3, 4650.1),
    (1e-4, 100.0, 99.995),
])
def test_a_plan_stage2_proves_is_within_the_gap_asked(gap, relaxed, bound):
    g2 = _stage2_gap(gap, relaxed, bound)
    assert gap / 10 <= g2 <= gap / 2
    # the worst plan stage 2 accepts when its own bound is the relaxed objective
    worst = relaxed / (1 - g2)
    assert _gap(worst, bound) <= gap + 1e-12


def test_stage2_gap_without_room_or_information():
    assert _stage2_gap(0.01, 102.0, 100.0) == pytest.approx(0.001)  # relaxed plan already 2 % off
    assert _stage2_gap(0.01, None, 100.0) == 0.005
    assert _stage2_gap(0.01, 100.0, None) == 0.005
