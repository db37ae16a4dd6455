"""The one status type: why a solve (or a sweep point) ended.

Whether a plan exists is a separate fact (`Solution.has_plan`,
`SolveOutcome.has_plan`): a time limit or Ctrl-C may end a solve with a plan
(reported with its gap) or without one. The solver's termination, the
solution's status and a sweep point's status are all `Status` values; in
JSON and CSV files they are written as their names.

Bottom floor: imports nothing of dcopt.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """Why a solve ended (the value is the name written to files)."""

    optimal = "optimal"
    """Proven within the MIP gap asked for."""
    time_limit = "time_limit"
    """The wall-clock limit came first (with a plan and its gap, or without a plan)."""
    interrupted = "interrupted"
    """Ctrl-C (with the best plan so far, or none)."""
    infeasible = "infeasible"
    """No plan exists (with a diagnosis)."""
    unbounded = "unbounded"
    """The solver found the model unbounded: a bug, since every decision is bounded."""
    error = "error"
    """The solver failed, or its plan failed the independent check (kept for inspection)."""
    invalid = "invalid"
    """The input was rejected before solving (a sweep point whose values break the schema)."""


SOLUTION_STATUSES = (Status.optimal, Status.time_limit, Status.interrupted, Status.infeasible, Status.error)
"""The statuses a `Solution` can have (an unbounded solve is reported as an error)."""
