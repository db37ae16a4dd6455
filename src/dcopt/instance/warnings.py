"""Warnings about a valid instance: what is certain or likely to go wrong when it is
solved, said before solving.

`warnings(inst)` is a pure function of the instance. `dcopt validate` prints its
warnings (the instance stays valid: exit 0) and `dcopt solve` prints them before
solving; the diagnosis of an infeasible instance lists them among the causes
found before solving.

- **Unserved demand**: positive inference demand inside the horizon in a
  region that no site serves. The instance is certain to be infeasible
  (SPEC 7.13 keeps it valid).
- **Unknown region**: a region of `demand.inference` that no site's
  `serves_regions` names (without demand in the horizon; usually a typo).
- **Demand outside the horizon**: years of a demand map outside
  `start_year..end_year`, ignored by the model (SPEC 7.13).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from . import semantics as sem
from .schema import Instance


@dataclass(frozen=True)
class Warning:  # the instance's warnings (shadows the builtin in this module only)
    """Something likely to go wrong with a valid instance: where (JSON path) and what."""

    path: str
    message: str
    kind: str = ""  # unserved_demand, unknown_region, demand_outside_horizon

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def warnings(inst: Instance) -> list[Warning]:
    """Every warning about `inst`, in the order of the checks below."""
    return [*regions(inst), *demand_years(inst)]


# --------------------------------------------------------------------------- regions and years


def regions(inst: Instance) -> list[Warning]:
    served = list(dict.fromkeys(r for s in inst.sites for r in s.served_regions))
    known = ", ".join(served) if served else "none (every site's serves_regions is empty)"
    out = []
    for i, d in enumerate(inst.demand.inference):
        if d.region in served:
            continue
        close = difflib.get_close_matches(d.region, served, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        years = [y for y in inst.years if sem.demand_value(d.perf, y) > 0]
        if years:
            out.append(Warning(
                f"demand.inference[{i}].region",
                f"no site serves region {d.region!r}, which has demand in {_years_text(years)}: the "
                f"instance is infeasible (regions served: {known}){hint} Add {d.region!r} to a site's "
                "serves_regions, or remove this demand.",
                "unserved_demand"))
        else:
            out.append(Warning(
                f"demand.inference[{i}].region",
                f"no site's serves_regions names region {d.region!r} (regions served: {known}){hint}",
                "unknown_region"))
    return out


def demand_years(inst: Instance) -> list[Warning]:
    y0, y1 = inst.horizon.start_year, inst.horizon.end_year
    maps = [("demand.training", inst.demand.training)]
    maps += [(f"demand.inference[{i}].perf", d.perf) for i, d in enumerate(inst.demand.inference)]
    out = []
    for path, year_map in maps:
        outside = sorted(int(k) for k, v in year_map.items() if v > 0 and not y0 <= int(k) <= y1)
        if outside:
            many = len(outside) > 1
            out.append(Warning(
                path,
                f"year{'s' if many else ''} {_years_text(outside)} {'are' if many else 'is'} outside the "
                f"horizon {y0}-{y1}: {'their' if many else 'its'} demand is ignored",
                "demand_outside_horizon"))
    return out


def _years_text(years: list[int]) -> str:
    shown = ", ".join(str(y) for y in years[:6])
    return shown + (f" and {len(years) - 6} more" if len(years) > 6 else "")
