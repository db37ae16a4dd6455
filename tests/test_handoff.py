"""The hand-off of a Pyomo model to HiGHS (dcopt.solver.handoff): the matrix route gives
HiGHS the model the persistent interface gives it, on hand-written models whose rows are
known."""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest

from dcopt.solver import handoff
from dcopt.solver.handoff import _as_matrix, _through_persistent, hand_over
from dcopt.solver.highs import HighsSession, SolveOptions

INF = highspy.kHighsInf


def _model() -> pyo.ConcreteModel:
    """min 3x + 2y + z + 7 over 1 <= x + y <= 4 (a range), x - z == 0.5, y <= 2 z, with
    x in [0, 10] continuous, y integer in [0, 3], z fixed at 1.5, w in no row or cost."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(None, 3))
    m.z = pyo.Var()
    m.z.fix(1.5)
    m.w = pyo.Var(bounds=(0, 1))
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.cost_y = pyo.Param(initialize=2.0, mutable=True)
    m.range = pyo.Constraint(expr=pyo.inequality(1, m.x + m.y, 4))
    m.link = pyo.Constraint(expr=m.x - m.z == 0.5)
    m.cap = pyo.Constraint(expr=m.y <= m.p * m.z)
    m.tco = pyo.Objective(expr=3 * m.x + m.cost_y * m.y + m.z + 7)
    return m


def _by_name(handoff, attr):
    return {v.name: getattr(handoff.lp, attr)[j] for j, v in enumerate(handoff.columns)}


def test_the_matrix_route_gives_one_row_per_constraint_and_keeps_fixed_variables_as_columns():
    m = _model()
    h = _as_matrix(m)
    assert h.route == "matrix"
    assert sorted(v.name for v in h.columns) == ["x", "y", "z"]  # w is in no row and no cost
    assert _by_name(h, "col_lower_") == {"x": 0.0, "y": 0.0, "z": 1.5}
    assert _by_name(h, "col_upper_") == {"x": 10.0, "y": 3.0, "z": 1.5}
    assert _by_name(h, "col_cost_") == {"x": 3.0, "y": 2.0, "z": 1.0}
    integer = {v.name: h.lp.integrality_[j] == highspy.HighsVarType.kInteger for j, v in enumerate(h.columns)}
    assert integer == {"x": False, "y": True, "z": False}
    assert h.lp.offset_ == 7.0
    assert h.lp.num_row_ == 3 and len(h.row) == 3
    bounds = {con.name: (h.lp.row_lower_[r], h.lp.row_upper_[r]) for con, r in h.row.items()}
    assert bounds == {"range": (1.0, 4.0), "link": (0.5, 0.5), "cap": (-INF, 0.0)}
    assert m.z.fixed and m.z.value == 1.5  # unfixed only while compiling


def _solved(handoff) -> float:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(handoff.lp)
    h.run()
    return h.getInfo().objective_function_value


def test_both_routes_give_the_same_optimum():
    # x = z + 0.5 = 2; y in [1 - 2, 4 - 2] and y <= 2 * 1.5: y = 0 -> 3*2 + 0 + 1.5 + 7
    assert _solved(_as_matrix(_model())) == pytest.approx(14.5)
    assert _solved(_through_persistent(_model())) == pytest.approx(14.5)


def test_a_small_model_goes_through_the_persistent_interface_a_large_one_as_a_matrix(monkeypatch):
    assert hand_over(_model()).route == "persistent"  # 3 rows
    monkeypatch.setattr(handoff, "MATRIX_MIN_ROWS", 3)
    assert hand_over(_model()).route == "matrix"


def test_a_constraint_constant_once_evaluated_falls_back_to_the_persistent_interface(monkeypatch):
    monkeypatch.setattr(handoff, "MATRIX_MIN_ROWS", 0)
    m = _model()
    m.q = pyo.Param(initialize=0.0, mutable=True)
    m.dead = pyo.Constraint(expr=m.q * m.w >= 1)  # 0 >= 1: the compiler refuses it
    h = hand_over(m)
    assert h.route == "persistent"
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(h.lp)
    solver.run()
    assert solver.getModelStatus() == highspy.HighsModelStatus.kInfeasible


def test_after_a_numbers_change_the_session_moves_to_the_persistent_interface_and_the_plan_follows(
        monkeypatch):
    monkeypatch.setattr(handoff, "MATRIX_MIN_ROWS", 0)
    m = _model()
    s = HighsSession(m)
    s.ensure_instance()
    assert s._handoff.route == "matrix"
    plan = {"x": 2.0, "y": 0.0, "z": 1.5}
    s.last_plan = np.array([plan[v.name] for v in s._handoff.columns])
    m.p = 0.0  # cap: y <= 0
    s.numbers_changed()
    s.ensure_instance()
    assert s._handoff.route == "persistent"
    assert {v.name: s.last_plan[j] for j, v in enumerate(s._handoff.columns) if v.name in plan} == plan
    cap = next(r for con, r in s.rows() if con.name == "cap")
    assert s.lp.row_upper_[cap] == 0.0 and s.lp.col_cost_[s.column_of(m.x)] == 3.0
    outcome = s.solve(SolveOptions(time_limit_s=None, staged=False), start=s.last_plan)
    assert outcome.objective == pytest.approx(14.5)
    m.p, m.cost_y = 2.0, -1.0  # a second change, made in place: y <= min(3, 4 - 2, 2 * 1.5) pays
    s.numbers_changed()
    s.ensure_instance()
    assert s._handoff.route == "persistent"
    assert s.lp.col_cost_[s.column_of(m.y)] == -1.0
    assert s.solve(SolveOptions(time_limit_s=None, staged=False)).objective == pytest.approx(6 - 2 + 1.5 + 7)
