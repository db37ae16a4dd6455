"""A plan early (issue 9): the LP relaxation rounded into a plan before the staged MIP, in
terms of the `Staging` families only; the deadline it runs under."""

from __future__ import annotations

import io
import itertools
import time

import numpy as np
import pytest
from conftest import REPO

from dcopt import load_instance, solve
from dcopt.model import build_model, new_session
from dcopt.model.data import prepare
from dcopt.solver.deadline import Deadline
from dcopt.solver.highs import Clock, SolveOptions, _objective_if_feasible
from dcopt.solver.incumbent import Families, construct, integer_columns, neighbourhoods

INSTANCES = REPO / "instances"


def _session(name: str):
    session = new_session(build_model(prepare(load_instance(INSTANCES / f"{name}.json"))))
    session.ensure_instance()
    return session


def _construct(session):
    lp = session.highs.getLp()
    s = session.staging
    families = Families(session.columns(s.units), session.columns(s.fixed), session.columns(s.flexible),
                        integer_columns(lp))
    clock = Clock(Deadline())

    def run(name, time_limit, gap, **kw):
        return session.run(SolveOptions(), clock, time_limit, gap, io.StringIO(), name=name, **kw)

    return construct(run, lp, families, clock.left, 1e-4), lp, families


@pytest.mark.parametrize("name, first", [
    ("quickstart", 1),
    ("brownfield-refresh", 1),
    ("power-capped", 3),  # the grid cap the LP fills exactly; on the shipped catalog even blocks must move
])
def test_the_rounded_plan_is_a_plan(name, first):
    session = _session(name)
    made, lp, families = _construct(session)
    assert made.lp.bound is not None and not made.infeasible
    assert made.x is not None and made.neighbourhood == first
    assert _objective_if_feasible(lp, made.x) == pytest.approx(made.objective)
    assert made.objective >= made.bound - 1e-9 * abs(made.bound)
    # neighbourhoods widen: each contains the one before
    boxes = list(neighbourhoods(lp, families, made.lp.x))
    for (_, lo_a, up_a), (_, lo_b, up_b) in itertools.pairwise(boxes):
        assert np.all(lo_b <= lo_a) and np.all(up_b >= up_a)
    # and the plan is a start the staged solve accepts as it is
    assert solve(INSTANCES / f"{name}.json", mip_gap=1.0).tco_usd is not None


def test_a_solve_starts_from_the_rounded_plan():
    s = solve(INSTANCES / "power-capped.json", mip_gap=0.05)
    names = [st.name for st in s.solver.stages]
    assert names[0] == "lp" and "rounded" in names
    lp = s.solver.stages[0]
    assert lp.bound_usd == pytest.approx(lp.objective_usd) and lp.bound_usd <= s.tco_usd
    assert s.status == "optimal" and s.mip_gap <= 0.05


def test_an_infeasible_lp_relaxation_is_infeasible_at_once():
    from conftest import small_instance

    data = small_instance()
    data["demand"]["training"] = {"2026": 1e6}  # far beyond the grid
    s = solve(load_instance(data), diagnose=False)
    assert s.status == "infeasible" and not s.has_plan
    assert [st.name for st in s.solver.stages] == ["lp"]


def test_deadline():
    d = Deadline(10.0, start=time.perf_counter() - 4.0)
    assert d.limited and 5.9 < d.left() <= 6.0 and not d.expired()
    assert d.left(reserve=7.0) == 0.0 and d.expired(reserve=7.0)
    d.expire()
    assert d.expired() and d.left() == 0.0
    free = Deadline()
    assert not free.limited and free.left() is None and not free.expired()


def test_a_plan_is_checked_against_the_matrix_entries_in_use_only():
    """HiGHS may keep spare entries past the last column start after a model is updated in
    place (seen with the alternatives' differ rows): they are not part of the matrix."""
    import highspy

    from dcopt.solver.highs import _objective_if_feasible

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 1
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = [1.0, 2.0], [0.0, 0.0], [10.0, 10.0]
    lp.row_lower_, lp.row_upper_ = [3.0], [highspy.kHighsInf]  # x0 + x1 >= 3
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = [0, 1, 2]
    lp.a_matrix_.index_ = [0, 0, 0, 0]  # two spare entries past start[-1] = 2
    lp.a_matrix_.value_ = [1.0, 1.0, 99.0, 99.0]
    assert _objective_if_feasible(lp, np.array([1.0, 2.0])) == pytest.approx(5.0)
    assert _objective_if_feasible(lp, np.array([1.0, 1.0])) is None  # 2 < 3
