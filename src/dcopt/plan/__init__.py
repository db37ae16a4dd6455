"""A plan (the decisions alone, in the instance's terms), reading it from JSON
(io), its independent costing from the SPEC, and the independent check of
every constraint.

Nothing here uses the model or a solver: `dcopt check` stays an independent
recomputation.

May import: `dcopt.instance`, `dcopt.results.solution` (the check reads a solution) and the
registry `dcopt.model.items` (cost item names); never the rest of `dcopt.model`,
`dcopt.components` or `dcopt.pipeline`.
"""
