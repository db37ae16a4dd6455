"""Fuzzing the validation path (issue 9): seeded mutants of every shipped instance and
reference case (numbers at extremes, nan-like strings, huge ints, wrong types, deleted keys,
duplicated entries, deep nesting, odd unicode; see tests/fuzz.py) through
`dcopt.load_instance` and `dcopt validate`: each is valid or an `InstanceError` (exit 2),
never a crash. Valid mutants of a tiny instance, with numbers at the ends of their ranges,
solve to a plan, to infeasible, or to a clean message, never an internal error.

Nothing here measures time (the suite must pass on a loaded machine): a hang would show as
a test that does not finish. benchmarks/fuzz_validation.py runs 10,000 mutants and reports
the slowest call.
"""

from __future__ import annotations

from collections import Counter

import fuzz
import pytest

import dcopt

SEED = 20_260_101
N_LOAD = 300
N_CLI = 100
N_SOLVE = 20


@pytest.fixture(scope="module")
def sample() -> list[tuple[str, dict, object]]:
    return list(fuzz.mutants(SEED, N_LOAD))


def test_mutants_through_load_instance_never_crash(sample):
    outcomes = Counter()
    crashes = []
    for label, doc, folder in sample:
        kind, detail = fuzz.classify(doc, folder)
        outcomes[kind] += 1
        if kind == "crash":
            crashes.append(f"{label}\n{detail}")
    assert not crashes, "\n\n".join(crashes[:5])
    assert outcomes["invalid"] > N_LOAD / 2 and outcomes["valid"] > 0  # the mutations do bite


def test_mutants_through_dcopt_validate_never_crash(sample, tmp_path):
    crashes = []
    tried = 0
    for label, doc, folder in sample[:N_CLI]:
        path = tmp_path / "mutant.json"
        if not fuzz.write_document(doc, path):
            continue
        tried += 1
        kind, detail = fuzz.classify_cli(path)
        if kind == "crash":
            crashes.append(f"{label}\n{detail}")
    assert tried > N_CLI * 0.8
    assert not crashes, "\n\n".join(crashes[:5])


def test_the_fuzzer_is_seeded():
    first = [(label, doc) for label, doc, _ in fuzz.mutants(SEED, 20)]
    again = [(label, doc) for label, doc, _ in fuzz.mutants(SEED, 20)]
    assert [label for label, _ in first] == [label for label, _ in again]


@pytest.fixture(scope="module")
def valid_extremes() -> list[tuple[str, dict]]:
    return list(fuzz.in_range_mutants(SEED, N_SOLVE))


def test_valid_extreme_mutants_solve_cleanly(valid_extremes):
    assert len(valid_extremes) == N_SOLVE
    statuses = Counter()
    for label, doc in valid_extremes:
        try:
            solution = dcopt.solve(doc, mip_gap=1e-3)
        except dcopt.InstanceError:  # a clean message
            statuses["invalid"] += 1
            continue
        except Exception as exc:  # an internal error or any other crash
            raise AssertionError(f"{label}: {type(exc).__name__}: {exc}") from exc
        assert solution.has_plan or solution.status in ("infeasible", "error", "time_limit"), label
        if solution.has_plan:
            assert solution.tco_usd is not None and solution.tco_usd == solution.tco_usd, label  # not NaN
        statuses[solution.status] += 1
    assert statuses["optimal"] > 0
