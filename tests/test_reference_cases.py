"""Every reference case of ../shared/cases gives its listed status and TCO
(computed by an independent implementation of the SPEC) within 1e-6."""

from __future__ import annotations

import pytest
from conftest import cases_dir, reference_cases

import dcopt

CASES = reference_cases()


def test_reference_cases_found():
    assert cases_dir() is None or len(CASES) > 0


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[n for n, _ in CASES])
def test_reference_case(cases, name, expected):
    solution = dcopt.solve(cases / name, mip_gap=1e-9)
    assert solution.status == expected["status"]
    if expected["tco_usd"] is None:
        assert solution.tco_usd is None and not solution.has_plan
        assert solution.diagnosis, "an infeasible instance must come with a diagnosis"
    else:
        assert solution.has_plan
        assert solution.tco_usd == pytest.approx(expected["tco_usd"], rel=1e-6)
        assert sum(solution.costs_npv_usd.values()) == pytest.approx(solution.tco_usd, rel=1e-12)
