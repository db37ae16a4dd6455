"""Studies built on many solves or on a given plan: sensitivity sweeps and their
designs and results tables, break-even searches, and evaluating a plan a
user brings (with the comparison against the optimum).

May import: `dcopt.pipeline` and every layer below it.
"""
