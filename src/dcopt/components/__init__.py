"""One module per part of the model (sites, halls, fabrics, fleet, demand, budget, ...).

Each component owns its slice of the model data, its variables and rows, and
its cost terms; `dcopt.model.build` assembles them in the order of the
formulation (docs/architecture.md says how to add one).

May import: `dcopt.instance`, `dcopt.model` (data, registries, costs helpers).
"""
