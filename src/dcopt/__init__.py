"""dcopt: design AI datacenters at minimum total cost of ownership.

    from dcopt import load_instance, solve
    solution = solve(load_instance("instances/quickstart.json"))
    print(solution.tco_usd, solution.costs_npv_usd)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dcopt")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"

from .api import solve
from .breakeven import breakeven
from .errors import InstanceError, Problem
from .io import load_instance
from .plan import Plan
from .schema import Instance
from .solution import Solution
from .solver import SolveOptions
from .sweep import sweep

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "Problem",
    "Solution",
    "SolveOptions",
    "__version__",
    "breakeven",
    "load_instance",
    "solve",
    "sweep",
]
