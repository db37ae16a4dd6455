"""A small linear (or mixed-integer) program solved by HiGHS directly, without Pyomo.

For problems built as arrays by the caller, such as the allocation of a
given plan in `dcopt evaluate`: `ArrayLp` holds the columns in compressed
column form, `solve_lp` runs HiGHS on it (or on a `highspy.HighsLp`) and
returns the column values with the model status in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

INF = highspy.kHighsInf
"""An absent bound."""


@dataclass
class ArrayLp:
    """min cost @ x subject to row_lower <= A x <= row_upper, col_lower <= x <= col_upper.

    A is column-wise: the entries of column j are `index[start[j]:start[j+1]]` (rows) and
    `value[...]`; `integer` marks integer columns (none: a pure LP)."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    integer: np.ndarray | None = None

    @property
    def num_col(self) -> int:
        return len(self.cost)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)

    def to_highs(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_col
        lp.num_row_ = self.num_row
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.asarray(self.col_lower, dtype=float)
        lp.col_upper_ = np.asarray(self.col_upper, dtype=float)
        lp.row_lower_ = np.asarray(self.row_lower, dtype=float)
        lp.row_upper_ = np.asarray(self.row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.asarray(self.start, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(self.value, dtype=float)
        if self.integer is not None and np.any(self.integer):
            lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                               for i in self.integer]
        return lp


@dataclass
class LpResult:
    """Column values (empty when HiGHS found none) and why HiGHS stopped."""

    status: str  # HiGHS's model status in words, e.g. "Optimal", "Infeasible"
    optimal: bool
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    objective: float | None = None


def solve_lp(lp: ArrayLp | highspy.HighsLp, threads: int | None = None, mip_gap: float = 1e-9) -> LpResult:
    """Solve `lp` with HiGHS, quietly. A problem with integer columns is solved as a MIP to
    within `mip_gap`."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", threads)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.passModel(lp.to_highs() if isinstance(lp, ArrayLp) else lp)
    h.run()
    status = h.getModelStatus()
    words = h.modelStatusToString(status)
    if status != highspy.HighsModelStatus.kOptimal:
        return LpResult(status=words, optimal=False)
    x = np.array(h.getSolution().col_value, dtype=float)
    return LpResult(status=words, optimal=True, x=x, objective=float(h.getInfo().objective_function_value))
