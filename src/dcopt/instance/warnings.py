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
- **Numerics**: the model's coefficients (in its units, M$ and MW) would span
  more than `SPREAD_LIMIT`, or an integer count could exceed `COUNT_LIMIT`:
  legal, but HiGHS may then return an inaccurate plan or be slow.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from . import semantics as sem
from .schema import Instance, number_text

SPREAD_LIMIT = 1e9
"""Largest ratio between the model's constraint coefficients that HiGHS handles accurately."""
COUNT_LIMIT = 1e9
"""Largest number of blocks or purchase units a site could hold without a warning."""
USD_PER_MUSD = 1e6
KW_PER_MW = 1000.0


@dataclass(frozen=True)
class Warning:  # the instance's warnings (shadows the builtin in this module only)
    """Something likely to go wrong with a valid instance: where (JSON path) and what."""

    path: str
    message: str
    kind: str = ""  # unserved_demand, unknown_region, demand_outside_horizon, numerics

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def warnings(inst: Instance) -> list[Warning]:
    """Every warning about `inst`, in the order of the checks below."""
    return [*regions(inst), *demand_years(inst), *numerics(inst)]


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


# --------------------------------------------------------------------------- numerics


def numerics(inst: Instance) -> list[Warning]:
    """The spread of the model's coefficients, estimated from the instance's numbers in the
    model's units (M$, MW, GPUs, throughput): demand and throughput per GPU, unit and block
    power, GPUs per unit, and with a budget the capex of a unit, block, site or fabric."""
    coefs = _coefficients(inst)
    out = []
    if coefs:
        low, high = min(coefs), max(coefs)
        if high[0] / low[0] > SPREAD_LIMIT:
            out.append(Warning(
                high[2] if abs(math.log10(high[0])) >= abs(math.log10(low[0])) else low[2],
                f"the model's coefficients would span {_ratio(high[0] / low[0])}, from "
                f"{number_text(low[0])} ({low[1]}, {low[2]}) to {number_text(high[0])} ({high[1]}, {high[2]}): "
                f"beyond about {_ratio(SPREAD_LIMIT)} HiGHS may return an inaccurate plan or take long; "
                "bring the numbers closer (e.g. throughput in a larger unit, larger blocks)",
                "numerics"))
    out += _counts(inst)
    return out


def _ratio(x: float) -> str:
    if not math.isfinite(x):
        return "more than 1e308"
    return f"1e{math.floor(math.log10(x))}" if x >= 10 else number_text(x)


def _coefficients(inst: Instance) -> list[tuple[float, str, str]]:
    """(value, what, JSON path) of every kind of nonzero coefficient the model would hold."""
    cat = inst.catalog
    out: list[tuple[float, str, str]] = []
    training = any(sem.demand_value(inst.demand.training, y) > 0 for y in inst.years)
    for y in inst.years:
        if (v := sem.demand_value(inst.demand.training, y)) > 0:
            out.append((v, "training demand", f"demand.training.{y}"))
        for i, d in enumerate(inst.demand.inference):
            if (v := sem.demand_value(d.perf, y)) > 0:
                out.append((v, "inference demand", f"demand.inference[{i}].perf.{y}"))
    inference = any(v[1] == "inference demand" for v in out)
    for i, g in enumerate(cat.gpus):
        path = f"catalog.gpus[{i}]"
        out.append((float(g.unit_gpus), "GPUs per unit", f"{path}.unit_gpus"))
        for f in cat.fabrics:
            if not sem.attaches(g, f):
                continue
            out.append((sem.unit_kw(g, f) / KW_PER_MW, "MW of a purchase unit", f"{path}.system_kw_per_gpu"))
            if training and (v := g.training_perf * f.training_efficiency * f.availability) > 0:
                out.append((v, "training throughput per GPU", f"{path}.training_perf"))
            if inference and (v := g.inference_perf * f.availability) > 0:
                out.append((v, "inference throughput per GPU", f"{path}.inference_perf"))
    for i, s in enumerate(inst.sites):
        out.append((s.block_mw, "MW of a block", f"sites[{i}].block_mw"))
        for k in cat.cooling:
            out.append((sem.site_pue(s, k) * s.block_mw, "facility MW of a block", f"sites[{i}].block_mw"))
    if inst.finance.annual_capex_budget_usd is not None:
        out += _capex_coefficients(inst)
    return [c for c in out if c[0] > 0]


def _capex_coefficients(inst: Instance) -> list[tuple[float, str, str]]:
    """Capex (M$) in the budget rows: a unit of each GPU, a block, opening a site, a fabric."""
    cat = inst.catalog
    out = []
    for i, g in enumerate(cat.gpus):
        for y in inst.years:
            if g.first_year <= y <= g.last_year:
                for f in cat.fabrics:
                    out.append((sem.unit_capex_usd(g, f, y) / USD_PER_MUSD, "capex of a purchase unit, M$",
                                f"catalog.gpus[{i}].price_usd_per_gpu"))
    for i, s in enumerate(inst.sites):
        out.append((s.site_fixed_capex_usd / USD_PER_MUSD, "capex of opening a site, M$",
                    f"sites[{i}].site_fixed_capex_usd"))
        for k in cat.cooling:
            for d in cat.densities:
                if sem.is_design(k, d):
                    out.append((sem.block_capex_usd(s, k, d) / USD_PER_MUSD, "capex of a block, M$",
                                f"sites[{i}].shell_capex_usd_per_mw"))
    for i, f in enumerate(cat.fabrics):
        out.append((f.site_fixed_capex_usd / USD_PER_MUSD, "capex of a fabric at a site, M$",
                    f"catalog.fabrics[{i}].site_fixed_capex_usd"))
    return out


def _counts(inst: Instance) -> list[Warning]:
    """Sites that could hold more blocks, or more purchase units, than `COUNT_LIMIT`."""
    cat = inst.catalog
    smallest_unit_mw = min(sem.unit_kw(g, f) / KW_PER_MW for g in cat.gpus for f in cat.fabrics)
    out = []
    for i, s in enumerate(inst.sites):
        pue = min(sem.site_pue(s, k) for k in cat.cooling)
        blocks = s.max_facility_mw / (pue * s.block_mw)
        if s.max_blocks is not None:
            blocks = min(blocks, s.max_blocks)
        units = blocks * s.block_mw / smallest_unit_mw
        if blocks > COUNT_LIMIT or units > COUNT_LIMIT:
            what = f"{number_text(float(f'{blocks:.2g}'))} blocks" if blocks > COUNT_LIMIT else (
                f"{number_text(float(f'{units:.2g}'))} purchase units")
            out.append(Warning(
                f"sites[{i}].max_facility_mw",
                f"site {s.name!r} could hold {what} (max_facility_mw {number_text(s.max_facility_mw)} "
                f"over blocks of {number_text(s.block_mw)} MW): counts beyond {_ratio(COUNT_LIMIT)} make "
                "the solve slow and inaccurate; give a grid limit the site can have, or larger blocks",
                "numerics"))
    return out
