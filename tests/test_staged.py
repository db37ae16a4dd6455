"""The staged solve's strategy (dcopt.solver.staged) on a real model, with the seconds a
run reports scripted where the strategy reads them (never the machine's speed)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import REPO

from dcopt import load_instance
from dcopt.model import build_model, new_session
from dcopt.model.data import prepare
from dcopt.solver.deadline import Deadline
from dcopt.solver.highs import SolveOptions, _objective_if_feasible
from dcopt.status import Status


@pytest.fixture
def all_stages(monkeypatch):
    """The relaxed and purchases stages on quickstart too (below `DIRECT_MAX_COLUMNS` a model
    goes from the rounded plan straight to the full MIP)."""
    monkeypatch.setattr("dcopt.solver.staged.DIRECT_MAX_COLUMNS", 0)


def _session(name: str, slow_relaxed_stage: bool):
    """A session on instances/`name`.json whose relaxed stage reports a million seconds
    (as if it had taken longer than any time limit leaves), when `slow_relaxed_stage`."""
    session = new_session(build_model(prepare(load_instance(REPO / "instances" / f"{name}.json"))))
    real = session.run
    names = []

    def run(*args, name="", **kw):
        names.append(name)
        result = real(*args, name=name, **kw)
        if name == "relaxed" and slow_relaxed_stage:
            result = dataclasses.replace(result, seconds=1e6)
        return result

    session.run = run
    return session, names


def test_time_the_full_stage_cannot_use_goes_to_polishing_the_plan_around_its_sites(all_stages):
    options = SolveOptions(mip_gap=1e-9, threads=1)  # no stage proves that gap here
    session, names = _session("quickstart", slow_relaxed_stage=True)
    outcome = session.solve(options, deadline=Deadline(3600.0))
    assert "polish" in names and "full" not in names
    stages = [s.name for s in outcome.stages]
    polish = stages.index("polish")
    assert stages[polish - 1] == "purchases"
    before = min(s.objective for s in outcome.stages[:polish]
                 if s.name in ("rounded", "purchases") and s.objective is not None)  # plans, not relaxations
    assert outcome.objective <= before + 1e-9  # the polish run starts from the best plan
    assert _objective_if_feasible(session.lp, session.last_plan) == pytest.approx(outcome.objective)
    # its bound is the neighbourhood's: the gap is still against the relaxed stage's bound
    relaxed = next(s for s in outcome.stages if s.name == "relaxed")
    assert outcome.bound == pytest.approx(max(relaxed.bound, outcome.stages[0].bound))
    assert outcome.termination is Status.time_limit and outcome.stopped_early


def test_without_a_time_limit_the_full_stage_runs_and_no_polish(all_stages):
    options = SolveOptions(mip_gap=1e-9, threads=1)
    session, names = _session("quickstart", slow_relaxed_stage=True)
    outcome = session.solve(options, deadline=Deadline(None))
    assert "full" in names and "polish" not in names
    assert outcome.termination is Status.optimal
    polished, _ = _session("quickstart", slow_relaxed_stage=True)
    limited = polished.solve(options, deadline=Deadline(3600.0))
    assert outcome.objective <= limited.objective * (1 + 1e-9)  # the full MIP's optimum bounds any plan
    assert np.isfinite(outcome.objective)


@pytest.mark.parametrize("name", ["quickstart"])
def test_a_small_model_goes_from_the_rounded_plan_straight_to_the_full_mip(name, monkeypatch):
    from dcopt.solver.highs import DIRECT_MAX_COLUMNS

    options = SolveOptions(mip_gap=1e-3, threads=1)
    session, names = _session(name, slow_relaxed_stage=False)
    assert session.lp.num_col_ < DIRECT_MAX_COLUMNS
    direct = session.solve(options)
    assert names[0] == "lp" and "rounded" in names and names[-1] == "full"
    assert not {"relaxed", "purchases", "polish"} & set(names)
    assert direct.termination is Status.optimal
    full = next(s for s in direct.stages if s.name == "full")
    rounded = min(s.objective for s in direct.stages if s.name == "rounded" and s.objective is not None)
    assert direct.objective <= rounded + 1e-9  # the full MIP starts from the rounded plan
    # the same optimum as the staged solve, within the gap asked of both
    monkeypatch.setattr("dcopt.solver.staged.DIRECT_MAX_COLUMNS", 0)
    staged_session, staged_names = _session(name, slow_relaxed_stage=False)
    staged = staged_session.solve(options)
    assert "relaxed" in staged_names and staged.termination is Status.optimal
    assert direct.objective == pytest.approx(staged.objective, rel=2e-3)
    assert full.bound <= staged.objective + 1e-9 and staged.bound <= direct.objective + 1e-9


def test_a_small_model_under_a_short_time_limit_is_solved_in_stages(monkeypatch):
    """Under a time limit that leaves less than `DIRECT_MIN_LEFT_S` after the rounded plan, a
    small model takes the stages too (here that minimum is raised above an hour's limit, so
    that the path does not depend on the machine's speed)."""
    from dcopt.solver.highs import DIRECT_MAX_COLUMNS

    monkeypatch.setattr("dcopt.solver.staged.DIRECT_MIN_LEFT_S", 7200.0)
    options = SolveOptions(mip_gap=1e-3, threads=1)
    session, names = _session("quickstart", slow_relaxed_stage=False)
    assert session.lp.num_col_ < DIRECT_MAX_COLUMNS
    limited = session.solve(options, deadline=Deadline(3600.0))
    assert "relaxed" in names and limited.has_plan
    session, names = _session("quickstart", slow_relaxed_stage=False)
    session.solve(options)  # no limit: straight to the full MIP
    assert "relaxed" not in names and names[-1] == "full"
