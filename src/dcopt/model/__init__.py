"""The Pyomo model of SPEC sections 3 to 5, built from one module per concern.

`build.build_model(data)` assembles it; each module adds its variables,
constraints and cost terms, with the maths in its docstrings.
"""

from .build import build_model

__all__ = ["build_model"]
