"""Hand a built Pyomo model to HiGHS: a master highspy model and the maps
from Pyomo variables to its columns and from Pyomo constraints to its rows.

The model goes over as one matrix: Pyomo's `LinearStandardFormCompiler`
(mixed form: one row per constraint side, with its sense) gives the
objective, the constraint matrix and the right-hand sides as arrays, and
highspy's `passModel` takes them in one call. On large-50site (59,207
columns, 572,772 entries) that took 3.3 s of a 120 s solve where Pyomo's
persistent `highs` interface (`set_instance`, which adds rows one Python
call at a time) took 8.0 s (docs/performance.md). The persistent interface
stays for three uses: a small model (below `MATRIX_MIN_ROWS` rows: the compiler's
first call in a process also imports scipy, 0.6-1.4 s, where the persistent
interface takes quickstart in 0.09 s), a model the compiler refuses (a
constraint that is constant once evaluated, several objectives), and a
model whose numbers change in place (a sweep's points), which it takes
again in a fraction of a compile (`update_parameters`: hyperscale-10site
0.16 s against 1.23 s); a session moves to it at the first change.

Both routes give HiGHS the same model:

- a column per variable that a constraint or the objective uses (in the
  matrix route, with a non-zero coefficient), bounded by the variable's
  bounds (its domain's included), integer when its domain is; a *fixed*
  variable is a column whose bounds are its value (the compiler would
  substitute it, so it is unfixed while compiling);
- a row per constraint, ``lower <= a x <= upper``: a ranged constraint, two
  rows in the compiler's mixed form, is merged back into one;
- the objective's coefficients and constant, minimised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import (
    InfeasibleConstraintException,
    InvalidConstraintError,
    InvalidExpressionError,
)
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

INF = highspy.kHighsInf

MATRIX_MIN_ROWS = 4000
"""Rows from which the matrix route is taken. Measured in fresh processes (scipy's import
included): quickstart (408 rows) 1.52 s against 0.09 s through the persistent interface,
power-first (793) 0.86 / 0.22 s, inference-boom-or-bust (5,498) 1.00 / 1.31 s,
hyperscale-10site (6,159) 0.97 / 1.92 s, large-50site (34,769) 3.3 / 8.0 s."""


@dataclass
class HandOff:
    """A model in HiGHS: the master copy (never solved), its `lp`, and the maps.

    `columns`: the Pyomo variable of each column, in column order;
    `column`: id(variable) -> column; `row`: constraint -> row;
    `opt`: Pyomo's persistent solver when the model went through it (`updated` uses it),
    else None.
    """

    highs: highspy.Highs
    lp: highspy.HighsLp
    columns: list[Any]
    column: dict[int, int]
    row: dict[Any, int]
    opt: Any = None

    @property
    def route(self) -> str:
        """"persistent" (Pyomo's persistent interface) or "matrix" (the compiler and `passModel`)."""
        return "matrix" if self.opt is None else "persistent"


def hand_over(model: pyo.ConcreteModel, persistent: bool = False) -> HandOff:
    """`model` in HiGHS: as one matrix when it has `MATRIX_MIN_ROWS` rows or more, the
    compiler takes it and `persistent` is not asked for, else through the persistent
    interface (see the module's docstring)."""
    if persistent or _rows(model) < MATRIX_MIN_ROWS:
        return _through_persistent(model)
    try:
        return _as_matrix(model)
    except (InfeasibleConstraintException, InvalidConstraintError, InvalidExpressionError, _NotOneObjective):
        return _through_persistent(model)


class _NotOneObjective(ValueError):
    pass


def _rows(model: pyo.ConcreteModel) -> int:
    """Active constraints of `model` (a ranged one counts once)."""
    return sum(len(c) for c in model.component_objects(pyo.Constraint, active=True, descend_into=True))


def _as_matrix(model: pyo.ConcreteModel) -> HandOff:
    fixed = [v for v in model.component_data_objects(pyo.Var, descend_into=True) if v.fixed]
    for v in fixed:
        v.unfix()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True)
    finally:
        for v in fixed:
            v.fix()
    if info.c.shape[0] != 1:
        raise _NotOneObjective(f"{info.c.shape[0]} active objectives")
    lp = highspy.HighsLp()
    columns = list(info.columns)
    _set_columns(lp, columns, info)
    rows = _set_rows(lp, info)
    h = _master(lp)
    column = {id(v): j for j, v in enumerate(columns)}
    return HandOff(h, h.getLp(), columns, column, rows)


def _set_columns(lp: highspy.HighsLp, columns: list[Any], info: Any) -> None:
    """Costs, bounds and integrality of the columns (a fixed variable: its value)."""
    n = len(columns)
    lower, upper = np.empty(n), np.empty(n)
    integer = np.zeros(n, dtype=bool)
    for j, v in enumerate(columns):
        if v.fixed:
            lower[j] = upper[j] = v.value
        else:
            lb, ub = v.bounds
            lower[j] = -INF if lb is None else lb
            upper[j] = INF if ub is None else ub
        integer[j] = v.is_integer()
    lp.num_col_ = n
    lp.col_cost_ = info.c.toarray().ravel()
    lp.offset_ = float(info.c_offset[0])
    lp.col_lower_, lp.col_upper_ = lower, upper
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]


def _set_rows(lp: highspy.HighsLp, info: Any) -> dict[Any, int]:
    """Row bounds and the column-wise matrix, a ranged constraint's two rows merged;
    returns constraint -> row."""
    entries = info.rows
    rhs = np.asarray(info.rhs, dtype=float)
    kind = np.array([e.bound_type for e in entries], dtype=int)
    lower = np.where(kind == 1, -INF, rhs)  # 1: body <= rhs; -1: body >= rhs; 0: body == rhs
    upper = np.where(kind == -1, INF, rhs)
    second = np.array([i > 0 and entries[i].constraint is entries[i - 1].constraint
                       for i in range(len(entries))], dtype=bool)
    for i in np.flatnonzero(second):  # the compiler emits a range's upper side, then its lower
        lower[i - 1] = rhs[i]
    keep = ~second
    a = info.A.tocsr()[keep].tocsc() if second.any() else info.A.tocsc()
    lp.num_row_ = int(keep.sum())
    lp.row_lower_, lp.row_upper_ = lower[keep], upper[keep]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = a.shape[1], a.shape[0]
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    kept = [e.constraint for e, k in zip(entries, keep) if k]
    return {con: i for i, con in enumerate(kept)}


def _master(lp: highspy.HighsLp) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model handed over")
    return h


def _through_persistent(model: pyo.ConcreteModel) -> HandOff:
    from pyomo.contrib.solver.solvers.highs import Highs

    opt = Highs()
    opt.set_instance(model)
    h = opt._solver_model
    column = dict(opt._pyomo_var_to_solver_var_map)
    by_id = {id(v): v for v in model.component_data_objects(pyo.Var, descend_into=True)}
    columns: list[Any] = [None] * h.getNumCol()
    for key, j in column.items():
        columns[j] = by_id.get(key)
    return HandOff(h, h.getLp(), columns, column, dict(opt._pyomo_con_to_solver_con_map), opt)


def updated(handoff: HandOff) -> HandOff:
    """A persistent hand-off after the model's mutable parameters changed: the same columns
    and rows, the new numbers (`update_parameters`)."""
    handoff.opt.update_parameters()
    h = handoff.opt._solver_model
    return HandOff(h, h.getLp(), handoff.columns, handoff.column, handoff.row, handoff.opt)
