"""The typed `Solution` of a solve and its writers (JSON, CSV, the summary), and
the typed `Evaluation` of a given plan (`dcopt evaluate`) with its writers (JSON, text).

May import: `dcopt.instance`, `dcopt.plan` (the plan format), `dcopt.model.items` (the
registries: labels of cost items).
"""
