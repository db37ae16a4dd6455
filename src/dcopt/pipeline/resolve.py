"""Re-solve variants of one instance without rebuilding the model.

A `Resolver` builds the model once. For each variant it prepares the model
data; when only numbers that are mutable parameters changed (prices, costs,
discount rate, carbon, demand values, budget), it updates them in the
persistent model and re-solves, starting HiGHS from the previous plan. Any
other change (a grid limit, a PUE, a sale year, demand appearing where
there was none) rebuilds the model, which then serves the following
variants. Sweeps and break-even searches run on this.
"""

from __future__ import annotations

import time

import numpy as np

from ..instance.schema import Instance
from ..model import build_model, new_session, update_numbers
from ..model.data import ModelData, prepare, same_structure
from ..results.solution import Solution, Timings
from ..solver.highs import HighsSession, SolveOptions
from .diagnose import diagnose
from .solve import solution_from_session


class Resolver:
    """Solves variants of an instance, reusing the built model when it can."""

    def __init__(self, options: SolveOptions | None = None) -> None:
        self.options = options or SolveOptions()
        self._data: ModelData | None = None
        self._session: HighsSession | None = None
        self.builds = 0
        self.updates = 0

    def solve(self, inst: Instance) -> Solution:
        timings = Timings()
        t0 = time.perf_counter()
        d = prepare(inst)
        timings.prepare_s = time.perf_counter() - t0
        if d.static_infeasibilities:
            from .solve import _no_plan  # the same no-plan result as dcopt.solve

            lines = diagnose(inst, self.options).lines() if self.options.diagnose else d.static_infeasibilities
            return _no_plan(inst, self.options, "infeasible", lines, timings)
        t0 = time.perf_counter()
        start = None
        if self._session is not None and same_structure(self._data, d):
            update_numbers(self._session.model, d)
            self._session.opt.update_parameters()
            start = self._session.last_plan
            self.updates += 1
        else:
            self._session = new_session(build_model(d))
            self.builds += 1
        self._data = d
        timings.build_s = time.perf_counter() - t0
        outcome = self._session.solve(self.options, start=start)
        timings.handoff_s = outcome.handoff_s
        timings.solve_s = outcome.solve_s
        return solution_from_session(inst, d, self._session, outcome, self.options, timings)


def _as_array(x) -> np.ndarray | None:
    return None if x is None else np.asarray(x)
