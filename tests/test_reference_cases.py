"""Every v1.1 reference case gives its listed status and TCO (computed by an
independent implementation of the model) within 1e-6: the copies shipped in
tests/reference_cases/, and ../shared/cases when present, each case once
(see refcases.py); a shipped copy that differs from the shared case fails."""

from __future__ import annotations

import json

import pytest
from refcases import SHIPPED, ids, in_both, reference_cases

import dcopt

CASES = reference_cases()


def test_shipped_cases_are_there():
    """The copies are in the repository (a fresh clone tests them) and consistent:
    every file listed in expected.json, and every case file listed."""
    expected = json.loads((SHIPPED / "expected.json").read_text(encoding="utf-8"))
    files = {p.name for p in SHIPPED.glob("*.json")} - {"expected.json"}
    assert len(expected) >= 30
    assert set(expected) == files


def test_shipped_copies_are_current():
    """Each case in both the shipped copies and the shared folder is byte-identical there
    (file and expected result); otherwise the shipped copy is stale, named here. Without
    the shared folder there is nothing to compare."""
    stale = [c.staleness() for c in in_both(CASES)]
    stale = [s for s in stale if s is not None]
    assert not stale, "\n".join(stale)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_reference_case(case):
    expected = case.expected
    solution = dcopt.solve(case.path, mip_gap=1e-9)
    assert solution.status == expected["status"]
    if expected["tco_usd"] is None:
        assert solution.tco_usd is None and not solution.has_plan
        assert solution.diagnosis, "an infeasible instance must come with a diagnosis"
    else:
        assert solution.has_plan
        assert solution.tco_usd == pytest.approx(expected["tco_usd"], rel=1e-6)
        assert sum(solution.costs_npv_usd.values()) == pytest.approx(solution.tco_usd, rel=1e-12)
