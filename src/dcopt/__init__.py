"""dcopt: design AI datacenters at minimum total cost of ownership.

    from dcopt import load_instance, solve
    solution = solve(load_instance("instances/quickstart.json"))
    print(solution.tco_usd, solution.costs_npv_usd)
"""

import time as _time

IMPORTED_AT = _time.perf_counter()
"""When the package was first imported (time.perf_counter()): the `dcopt` command's clock of
--time-limit starts here, so that its own imports (about 1 s, pyomo's most) count too."""


from .instance.errors import InstanceError, Problem
from .instance.io import load_instance
from .instance.schema import Instance
from .pipeline.solve import solve
from .plan.format import Plan
from .results.solution import Solution
from .solver.highs import SolveOptions
from .studies.alternatives import alternatives
from .studies.breakeven import breakeven
from .studies.pareto import pareto
from .studies.sweep import sweep
from .version import __version__

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "Problem",
    "Solution",
    "SolveOptions",
    "__version__",
    "alternatives",
    "breakeven",
    "load_instance",
    "pareto",
    "solve",
    "sweep",
]
