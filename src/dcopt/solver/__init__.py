"""HiGHS: handing a built Pyomo model over, one HiGHS run, the staged solve,
and the typed facts of why it stopped and whether a plan exists (highs); a
small LP or MIP given as arrays, solved directly (lp).

May import: nothing else of dcopt (it knows variable families only by the
names a `Staging` gives it).
"""
