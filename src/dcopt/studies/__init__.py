"""Studies built on many solves or on a given plan: sensitivity sweeps and their
designs and results tables, break-even searches, and evaluating a plan a
user brings: its allocation (allocation), its costs and broken limits
(evaluate) and the comparison against the optimum (compare).

May import: `dcopt.pipeline` and every layer below it.
"""
