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
from dcopt.solver.incumbent import (
    INFRASTRUCTURE,
    Families,
    construct,
    integer_columns,
    neighbourhoods,
)

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


def _tiny_lp():
    """Columns: blocks b (integer), the site's opening o (binary), blocks b2 at a site open from
    the start. Rows: 5.6 b - 50 o <= 0 (a grid limit), 5.6 b2 <= 50, b + b2 >= 9 (demand)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 3, 3
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = [1.0, 10.0, 1.0], [0.0, 0.0, 0.0], [20.0, 1.0, 20.0]
    lp.row_lower_ = [-highspy.kHighsInf, -highspy.kHighsInf, 9.0]
    lp.row_upper_ = [0.0, 50.0, highspy.kHighsInf]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = [0, 2, 3, 5]
    lp.a_matrix_.index_ = [0, 2, 0, 1, 2]
    lp.a_matrix_.value_ = [5.6, 1.0, -50.0, 5.6, 1.0]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * 3
    return lp


def test_the_derated_lp_leaves_one_block_of_room_in_each_grid_row():
    import highspy

    from dcopt.solver.highs import matrix_entries
    from dcopt.solver.incumbent import derating

    lp = _tiny_lp()
    edit = derating(lp, np.array([0, 1]), fixed=np.array([1]))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    edit(h)
    out = h.getLp()
    entries = {(int(r), int(c)): v for r, c, v in zip(*matrix_entries(out), strict=True)}
    assert entries[0, 1] == pytest.approx(-50.0 + 5.6)  # the opening brings 44.4 MW, not 50
    assert entries[0, 0] == pytest.approx(5.6) and entries[2, 0] == pytest.approx(1.0)
    assert list(out.row_upper_[:2]) == pytest.approx([0.0, 50.0 - 5.6])  # no opening: the bound
    assert out.row_lower_[2] == pytest.approx(9.0)  # a row not named is as it was
    assert derating(lp, np.array([2], dtype=np.int32), fixed=np.array([1])) is not None
    assert derating(lp, np.zeros(0, dtype=np.int32), fixed=np.array([1])) is None


def _scripted(results: dict):
    """A RunFn that returns `results[name][i]` for the i-th run of that name, and logs the calls."""
    calls: list[tuple[str, dict]] = []

    def run(name, time_limit, gap, **kw):
        calls.append((name, {**kw, "time_limit": time_limit}))
        return results[name][sum(1 for n, _ in calls if n == name) - 1]

    return run, calls


def test_a_neighbourhood_out_of_time_gives_way_to_the_next_and_ctrl_c_stops_them():
    import highspy

    from dcopt.solver.highs import Run

    S = highspy.HighsModelStatus
    lp = _tiny_lp()
    families = Families(np.array([0, 2]), np.array([1]), np.zeros(0, dtype=np.int32), np.array([0, 1, 2]))
    lp_run = Run(S.kOptimal, True, np.array([8.9, 1.0, 0.1]), 19.0, 19.0, 1.0)
    plan = Run(S.kOptimal, True, np.array([8.0, 1.0, 1.0]), 19.0, 19.0, 0.1)  # 44.8 <= 50, 9 blocks
    none = Run(S.kInfeasible, False, None, None, None, 0.1)
    run, calls = _scripted({"lp": [lp_run], INFRASTRUCTURE: [none],
                            "rounded": [Run(S.kTimeLimit, False, None, None, None, 2.0), plan]})
    made = construct(run, lp, families, lambda share: None, 1e-4)
    # neighbourhood 1, the split rounding, then (the second pass) neighbourhood 2
    assert [n for n, _ in calls] == ["lp", "rounded", INFRASTRUCTURE, "rounded"]
    assert made.neighbourhood == 2 and made.objective == pytest.approx(19.0) and not made.derated
    stopped = Run(S.kInterrupt, False, None, None, None, 0.0, ran=False)
    run, calls = _scripted({"lp": [lp_run], "rounded": [stopped]})
    made = construct(run, lp, families, lambda share: None, 1e-4)
    assert [n for n, _ in calls] == ["lp", "rounded"] and made.x is None


def test_without_a_plan_around_the_lp_the_derated_lp_is_rounded_from_the_lps_basis():
    import highspy

    from dcopt.solver.highs import Run

    S = highspy.HighsModelStatus
    lp = _tiny_lp()
    families = Families(np.array([0, 2]), np.array([1]), np.zeros(0, dtype=np.int32), np.array([0, 1, 2]),
                        derate=np.array([0, 1], dtype=np.int32))
    lp_run = Run(S.kOptimal, True, np.array([8.9, 1.0, 0.1]), 19.0, 19.0, 1.0, basis="the LP's basis")
    derated = Run(S.kOptimal, True, np.array([7.9, 1.0, 1.1]), 19.0, 19.0, 0.1)
    none = Run(S.kInfeasible, False, None, None, None, 0.1)
    plan = Run(S.kOptimal, True, np.array([8.0, 1.0, 1.0]), 19.0, 19.0, 0.1)
    run, calls = _scripted({"lp": [lp_run], "derated lp": [derated], INFRASTRUCTURE: [none],
                            "rounded": [none, plan]})
    made = construct(run, lp, families, lambda share: None, 1e-4)
    # the first pass (neighbourhood 1, the split rounding) around the LP, then around the derated LP
    assert [n for n, _ in calls] == ["lp", "rounded", INFRASTRUCTURE, "derated lp", "rounded"]
    derated_call = calls[3][1]
    assert derated_call["basis"] == "the LP's basis" and callable(derated_call["edit"])
    assert made.derated and made.neighbourhood == 1 and made.x.tolist() == [8.0, 1.0, 1.0]
    # the plan is checked against the model, not taken on the run's word
    bad = Run(S.kOptimal, True, np.array([9.0, 1.0, 0.0]), 19.0, 19.0, 0.1)
    run, calls = _scripted({"lp": [lp_run], "derated lp": [derated], INFRASTRUCTURE: [none, none],
                            "rounded": [none, bad] + [none] * 4})
    made = construct(run, lp, families, lambda share: None, 1e-4)
    assert made.x is None  # 5.6 * 9 = 50.4 MW > 50: not a plan
    # the second pass (neighbourhoods 2 and 3) around the LP, then around the derated LP
    assert [n for n, _ in calls] == ["lp", "rounded", INFRASTRUCTURE, "derated lp", "rounded", INFRASTRUCTURE,
                                     "rounded", "rounded", "rounded", "rounded"]


def test_the_split_rounding_fixes_the_infrastructure_its_first_run_chose():
    """Neighbourhood 2's box with the units continuous (a MIP over the infrastructure only),
    then the units whole with that infrastructure fixed; the second run may take all the time
    left (it is the one that gives the plan), the first half of it."""
    import highspy

    from dcopt.solver.highs import Run

    S = highspy.HighsModelStatus
    lp = _tiny_lp()
    families = Families(np.array([0, 2]), np.array([1]), np.zeros(0, dtype=np.int32), np.array([0, 1, 2]))
    lp_run = Run(S.kOptimal, True, np.array([8.9, 0.9968, 0.1]), 18.9, 18.9, 100.0)
    chosen = Run(S.kOptimal, True, np.array([8.5, 0.9999999, 0.5]), 19.0, 19.0, 0.1)  # units fractional
    plan = Run(S.kOptimal, True, np.array([8.0, 1.0, 1.0]), 19.0, 19.0, 0.1)
    none = Run(S.kInfeasible, False, None, None, None, 0.1)
    run, calls = _scripted({"lp": [lp_run], INFRASTRUCTURE: [chosen], "rounded": [none, plan]})
    made = construct(run, lp, families, lambda share: 60.0 * share, 1e-4)
    assert [n for n, _ in calls] == ["lp", "rounded", INFRASTRUCTURE, "rounded"]  # after neighbourhood 1
    first, second = calls[2][1], calls[3][1]
    assert first["relax"].tolist() == [0, 2]  # the units continuous
    cols, lower, upper = first["bounds"]  # neighbourhood 2: units free, the opening at the LP's ceiling
    assert cols.tolist() == [0, 1, 2] and lower.tolist() == [0.0, 0.0, 0.0] and upper.tolist() == [20.0, 1.0, 20.0]
    cols, lower, upper = second["bounds"]
    assert cols.tolist() == [1] and lower.tolist() == [1.0] and upper.tolist() == [1.0]  # the opening it chose
    assert "relax" not in second  # whole units
    assert first["time_limit"] == pytest.approx(30.0) and second["time_limit"] == pytest.approx(60.0)
    assert made.neighbourhood == 0 and made.x.tolist() == [8.0, 1.0, 1.0] and made.objective == pytest.approx(19.0)


def test_when_whole_units_cannot_fit_the_split_roundings_infrastructure_one_more_block_may_come():
    """The split rounding's second run proven infeasible (whole units do not fit the blocks the
    first chose): a third with the sites and fabrics still fixed and up to one more block of
    each (`flexible`), never above the column's own bound."""
    import highspy

    from dcopt.solver.highs import Run

    S = highspy.HighsModelStatus
    lp = _tiny_lp()
    families = Families(np.array([2]), np.array([1]), np.array([0]), np.array([0, 1, 2]))
    lp_run = Run(S.kOptimal, True, np.array([8.9, 0.9968, 0.1]), 18.9, 18.9, 100.0)
    chosen = Run(S.kOptimal, True, np.array([8.4, 1.0, 0.6]), 19.0, 19.0, 0.1)
    plan = Run(S.kOptimal, True, np.array([8.0, 1.0, 1.0]), 19.0, 19.0, 0.1)
    none = Run(S.kInfeasible, False, None, None, None, 0.1)
    run, calls = _scripted({"lp": [lp_run], INFRASTRUCTURE: [chosen], "rounded": [none, none, plan]})
    made = construct(run, lp, families, lambda share: 60.0 * share, 1e-4)
    assert [n for n, _ in calls] == ["lp", "rounded", INFRASTRUCTURE, "rounded", "rounded"]
    for (_, whole), more in ((calls[3], [8.0, 1.0]), (calls[4], [9.0, 1.0])):
        cols, lower, upper = whole["bounds"]
        assert cols.tolist() == [0, 1] and lower.tolist() == [8.0, 1.0] and upper.tolist() == more
    assert made.neighbourhood == 0 and made.x.tolist() == [8.0, 1.0, 1.0] and made.objective == pytest.approx(19.0)
    # blocks chosen at their column's bound: no room above it
    at_bound = Run(S.kOptimal, True, np.array([20.0, 1.0, 0.0]), 30.0, 30.0, 0.1)
    run, calls = _scripted({"lp": [lp_run], INFRASTRUCTURE: [at_bound], "rounded": [none, none, plan]})
    construct(run, lp, families, lambda share: 60.0 * share, 1e-4)
    assert calls[4][1]["bounds"][2].tolist() == [20.0, 1.0]
