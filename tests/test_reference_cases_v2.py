"""Every v2 reference case (the section-8 options of the model: training jobs across
datacenters, the used-GPU market, failures, supply caps, lead times, grid upgrades,
on-site generation, compatibility rules, fabric ports, rentals, colocation and
scenarios) gives its listed status and TCO within 1e-6: the copies shipped in
tests/reference_cases/v2/, and ../shared/cases/v2 when present, each case once
(see refcases.py); a shipped copy that differs from the shared case fails.

`expected.json` also lists per case `sensitive_to`: readings of the model that
would change the answer if taken differently. A failing case names them.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from refcases import ids, in_both, reference_cases, shipped_dir

import dcopt
from dcopt.cli.main import main
from dcopt.model.items import reported_items
from dcopt.results.writers import write_json

SUB = "v2"
CASES = reference_cases(SUB)


def test_shipped_v2_cases_are_there():
    """The copies are in the repository and consistent: every file listed in
    expected.json, every case file listed, each entry with its `sensitive_to` list."""
    folder = shipped_dir(SUB)
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    files = {p.name for p in folder.glob("*.json")} - {"expected.json"}
    assert len(expected) >= 50
    assert set(expected) == files
    for name, entry in expected.items():
        assert set(entry) == {"status", "tco_usd", "sensitive_to"}, name
        assert isinstance(entry["sensitive_to"], list), name


def test_shipped_v2_copies_are_current():
    """Each case in both the shipped copies and the shared folder is byte-identical there
    (file and expected result); otherwise the shipped copy is stale, named here. Without
    the shared folder there is nothing to compare."""
    stale = [c.staleness() for c in in_both(CASES)]
    stale = [s for s in stale if s is not None]
    assert not stale, "\n".join(stale)


def _readings(expected: dict) -> str:
    readings = expected.get("sensitive_to") or []
    return f" (this case is sensitive to: {'; '.join(map(str, readings))})" if readings else ""


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_reference_case_v2(case, tmp_path):
    """Solved (the pipeline checks the plan independently and raises on a failure), then
    checked again from the written JSON through `dcopt check`."""
    expected = case.expected
    hint = _readings(expected)
    solution = dcopt.solve(case.path, mip_gap=1e-9)
    assert solution.status == expected["status"], f"{case.name}: {solution.message}{hint}"
    out = tmp_path / "solution.json"
    write_json(solution, out)
    result = CliRunner().invoke(main, ["check", str(case.path), str(out)], catch_exceptions=False)
    if expected["tco_usd"] is None:
        assert solution.tco_usd is None and not solution.has_plan
        assert solution.diagnosis, "an infeasible instance must come with a diagnosis"
        assert result.exit_code == 1 and "nothing to check" in result.output
    else:
        assert solution.has_plan
        assert solution.tco_usd == pytest.approx(expected["tco_usd"], rel=1e-6), f"{case.name}{hint}"
        assert sum(solution.costs_npv_usd.values()) == pytest.approx(solution.tco_usd, rel=1e-12)
        assert result.exit_code == 0, result.output
        assert set(solution.costs_npv_usd) == set(reported_items(dcopt.load_instance(case.path)))
