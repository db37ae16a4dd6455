"""The one path from an instance to a solution: prepare the model data, build
the model, solve it with HiGHS, extract the plan, cost and check it, and
return a typed `Solution`; re-solves of variants (sweeps) and the
infeasibility diagnosis are modes of the same path.

May import: every layer below (instance, model, components, solver, plan, results).
"""
