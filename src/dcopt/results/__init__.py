"""The typed `Solution` of a solve and its writers (JSON, CSV, the summary),
and the reporting views assembled from a plan and its costs.

May import: `dcopt.instance`, `dcopt.plan`.
"""
