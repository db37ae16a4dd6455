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

from .api import solve  # noqa: E402
from .breakeven import breakeven  # noqa: E402
from .errors import InstanceError, Problem  # noqa: E402
from .io import load_instance  # noqa: E402
from .plan import Plan  # noqa: E402
from .schema import Instance  # noqa: E402
from .solution import Solution  # noqa: E402
from .solver import SolveOptions  # noqa: E402
from .sweep import sweep  # noqa: E402

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "Problem",
    "SolveOptions",
    "Solution",
    "__version__",
    "breakeven",
    "load_instance",
    "solve",
    "sweep",
]
