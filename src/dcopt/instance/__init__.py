"""The input: the instance format and everything that reads or checks it.

Owns the pydantic `Instance` (schema, the one place where fields, units and
defaults are written), reading JSON into it with friendly errors (io), the
checks that need several parts of an instance (checks), shipped catalogs,
the SPEC's elementary definitions on instance values (semantics: discount,
residual value, prices, PUE) and parameter paths into an instance document
(paths, used by sweeps and what-ifs).

May import: nothing else of dcopt.
"""
