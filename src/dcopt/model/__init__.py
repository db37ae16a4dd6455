"""The model layer: the model data prepared from an instance once (data), the
named cost expressions and objective (costs), and the assembly of the
components into one Pyomo model (build).

May import: `dcopt.instance`, `dcopt.components`, `dcopt.solver` (to hand a
built model to a HiGHS session).
"""

from ..solver.highs import HighsSession
from .build import STAGING, build_model, update_numbers

__all__ = ["STAGING", "build_model", "new_session", "update_numbers"]


def new_session(model) -> HighsSession:
    """A HiGHS session for a built model, told what the staged solve relaxes and fixes."""
    return HighsSession(model, STAGING)
