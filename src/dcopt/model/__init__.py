"""The Pyomo model of SPEC sections 3 to 5, built from one module per concern.

`build.build_model(data)` assembles it; each module adds its variables,
constraints and cost terms, with the maths in its docstrings.
"""

from ..solver import HighsSession
from .build import STAGING, build_model, update_numbers

__all__ = ["STAGING", "build_model", "new_session", "update_numbers"]


def new_session(model) -> HighsSession:
    """A HiGHS session for a built model, told what the staged solve relaxes and fixes."""
    return HighsSession(model, STAGING)
