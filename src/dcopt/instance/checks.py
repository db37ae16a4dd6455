"""Checks that need several parts of an instance (SPEC 7.13, 7.14, 7.17).

Each check is a small function returning the problems it finds; they all run
and every problem is reported together. Shape and range checks are in
:mod:`dcopt.instance.schema`; these are about names that must exist, names
that must be unique, year maps that must cover years, and existing assets.

They read the instance's raw JSON (a dict, its catalog already resolved), not
the validated `Instance`, so that they run even when a field elsewhere is
invalid: a typo, a zero `block_mw` and a duplicate site name are reported in
one go. Each check uses only the values that are well formed (a name that is
a string, a year that is a whole number in range) and skips what it cannot
know: a reference is only called unknown when every name it could mean is
known.

An instance that passes may still be infeasible (demand nobody can serve, a
grid too small): that is diagnosed after solving, or warned about by
:mod:`dcopt.instance.warnings`, not rejected here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any

from .errors import Problem
from .schema import (
    MAX_HORIZON_YEARS,
    YEAR_RANGE,
    Demand,
    ExistingDeployment,
    Gpu,
    Instance,
    field_range,
    number_text,
)

Raw = dict[str, Any]


def check_instance(data: Raw) -> list[Problem]:
    """Every cross-field problem of the raw instance `data` (catalog resolved to an object)."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(data))
    return problems


# --------------------------------------------------------------------------- reading raw values


def _obj(value: Any) -> Raw:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and value.bit_length() > 1000:
        return None
    return float(value) if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _year(value: Any) -> int | None:
    year = _int(value)
    return year if year is not None and YEAR_RANGE.contains(year) else None


def _names(entries: Any, key: str = "name") -> tuple[list[str | None], bool]:
    """The `key` of each entry (None where it is not a name), and whether all are names."""
    names = [_name(_obj(e).get(key)) for e in _list(entries)]
    return names, isinstance(entries, list) and all(n is not None for n in names)


def horizon_years(data: Raw) -> list[int] | None:
    """The horizon's years, or None when the horizon is not valid."""
    h = _obj(data.get("horizon"))
    start, end = _year(h.get("start_year")), _year(h.get("end_year"))
    if start is None or end is None or not 0 <= end - start < MAX_HORIZON_YEARS:
        return None
    return list(range(start, end + 1))


def _show(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _duplicates(path: str, key: str, values: Iterable[object], what: str, fix: str) -> list[Problem]:
    """A problem at `path[i].key` for each entry repeating the `key` of an earlier entry
    (entries whose `key` is None, not well formed, are skipped)."""
    first: dict[object, int] = {}
    out: list[Problem] = []
    for i, value in enumerate(values):
        if value is None:
            continue
        if value in first:
            out.append(Problem(f"{path}[{i}].{key}",
                               f"duplicate {what} {_show(value)}, already at {path}[{first[value]}]", fix))
        first.setdefault(value, i)
    return out


# --------------------------------------------------------------------------- the checks


def unique_names(data: Raw) -> list[Problem]:
    c = _obj(data.get("catalog"))
    rename = "rename this entry or remove one of the two"
    racks = [_num(_obj(d).get("rack_kw")) for d in _list(c.get("densities"))]
    regions = [_name(_obj(d).get("region")) for d in _list(_obj(data.get("demand")).get("inference"))]
    return [
        *_duplicates("catalog.gpus", "name", _names(c.get("gpus"))[0], "GPU name", rename),
        *_duplicates("catalog.cooling", "name", _names(c.get("cooling"))[0], "cooling name", rename),
        *_duplicates("catalog.densities", "rack_kw", racks, "rack_kw",
                     "give each rack_kw once: remove one of the two or change its rack_kw"),
        *_duplicates("catalog.fabrics", "name", _names(c.get("fabrics"))[0], "fabric name", rename),
        *_duplicates("sites", "name", _names(data.get("sites"))[0], "site name", rename),
        *_duplicates("demand.inference", "region", regions, "region",
                     "list each region once: merge the two perf maps into one entry"),
    ]


def _unknown(path: str, name: str, known: Iterable[str | None], what: str) -> Problem:
    return Problem(path, f"unknown {what} {name!r}",
                   f"use one of: {', '.join(dict.fromkeys(n for n in known if n is not None))}")


def site_references(data: Raw) -> list[Problem]:
    coolings, complete = _names(_obj(data.get("catalog")).get("cooling"))
    if not complete:
        return []
    out: list[Problem] = []
    for i, s in enumerate(_list(data.get("sites"))):
        s = _obj(s)
        for j, name in enumerate(_list(s.get("allowed_cooling"))):
            if _name(name) is not None and name not in coolings:
                out.append(_unknown(f"sites[{i}].allowed_cooling[{j}]", name, coolings, "cooling"))
        for name in _obj(s.get("pue_overrides")):
            if name not in coolings:
                out.append(_unknown(f"sites[{i}].pue_overrides.{name}", name, coolings, "cooling"))
    return out


def _year_map_covers(path: str, value: object, years: Iterable[int], what: str) -> list[Problem]:
    if not isinstance(value, dict):
        return []
    missing = [y for y in years if str(y) not in value]
    if not missing:
        return []
    more = " ..." if len(missing) > 6 else ""
    shown = ", ".join(str(y) for y in missing[:6]) + more
    keys = ", ".join(f'"{y}"' for y in missing[:6]) + more
    return [Problem(path, f"year map misses {what}{'s' if len(missing) > 1 else ''} {shown}",
                    f"add {keys} to the map, or give one number for every year")]


def year_maps(data: Raw) -> list[Problem]:
    years = horizon_years(data)
    if years is None:
        return []
    out: list[Problem] = []
    for i, s in enumerate(_list(data.get("sites"))):
        out += _year_map_covers(f"sites[{i}].electricity_usd_per_mwh", _obj(s).get("electricity_usd_per_mwh"),
                                years, "horizon year")
    for i, g in enumerate(_list(_obj(data.get("catalog")).get("gpus"))):
        g = _obj(g)
        first, last = _year(g.get("first_year")), _year(g.get("last_year"))
        if first is None or last is None:
            continue
        buyable = [y for y in years if first <= y <= last]
        out += _year_map_covers(f"catalog.gpus[{i}].price_usd_per_gpu", g.get("price_usd_per_gpu"),
                                buyable, "purchasable year")
    return out


def _unit_gpus(gpu: Raw) -> int | None:
    """A GPU entry's unit_gpus (its default when absent), or None when it is not valid."""
    unit = gpu.get("unit_gpus")
    if unit is None:
        return Gpu.model_fields["unit_gpus"].default
    unit = _int(unit)
    return unit if unit is not None and field_range(Gpu, "unit_gpus").contains(unit) else None


def existing_assets(data: Raw) -> list[Problem]:
    cat = _obj(data.get("catalog"))
    sites, sites_known = _names(data.get("sites"))
    cooling_names, coolings_known = _names(cat.get("cooling"))
    max_rack: dict[str, float | None] = {}  # of the first entry of a name
    for n, k in zip(cooling_names, _list(cat.get("cooling"))):
        if n is not None:
            max_rack.setdefault(n, _num(_obj(k).get("max_rack_kw")))
    gpu_names, gpus_known = _names(cat.get("gpus"))
    units: dict[str, int | None] = {}
    for n, g in zip(gpu_names, _list(cat.get("gpus"))):
        if n is not None:
            units.setdefault(n, _unit_gpus(_obj(g)))
    fabrics, fabrics_known = _names(cat.get("fabrics"))
    racks = [_num(_obj(d).get("rack_kw")) for d in _list(cat.get("densities"))]
    racks_known = isinstance(cat.get("densities"), list) and None not in racks
    start_year = _year(_obj(data.get("horizon")).get("start_year"))
    out: list[Problem] = []

    def reference(path: str, name: Any, known: list[str | None], complete: bool, what: str) -> bool:
        """False (and a problem) when `name` is certainly unknown."""
        if _name(name) is None or not complete or name in known:
            return True
        out.append(_unknown(path, name, known, what))
        return False

    def design(path: str, cooling: Any, rack_kw: Any) -> None:
        rack = _num(rack_kw)
        if not reference(f"{path}.cooling", cooling, cooling_names, coolings_known, "cooling"):
            return
        if rack is None:
            return
        if racks_known and rack not in racks:
            out.append(Problem(f"{path}.rack_kw", f"no catalog density has rack_kw {rack:g}",
                               f"use one of: {', '.join(f'{r:g}' for r in racks if r is not None)}"))
        elif _name(cooling) in max_rack and max_rack[cooling] is not None and rack > max_rack[cooling]:
            out.append(Problem(f"{path}.rack_kw",
                               f"{cooling} cools racks up to {max_rack[cooling]:g} kW, "
                               f"not {rack:g} kW: ({cooling}, {rack:g}) is no hall design",
                               "use a density the cooling type can cool"))

    existing = _obj(data.get("existing"))
    for i, b in enumerate(_list(existing.get("blocks"))):
        b, path = _obj(b), f"existing.blocks[{i}]"
        reference(f"{path}.site", b.get("site"), sites, sites_known, "site")
        design(path, b.get("cooling"), b.get("rack_kw"))

    for i, d in enumerate(_list(existing.get("deployments"))):
        d, path = _obj(d), f"existing.deployments[{i}]"
        reference(f"{path}.site", d.get("site"), sites, sites_known, "site")
        design(path, d.get("cooling"), d.get("rack_kw"))
        reference(f"{path}.fabric", d.get("fabric"), fabrics, fabrics_known, "fabric")
        gpu, gpus = d.get("gpu"), _int(d.get("gpus"))
        if gpus is not None and not field_range(ExistingDeployment, "gpus").contains(gpus):
            gpus = None
        if reference(f"{path}.gpu", gpu, gpu_names, gpus_known, "GPU") and _name(gpu) in units:
            unit = units[gpu]
            if unit is not None and gpus is not None and gpus % unit:
                near = [n for n in (gpus - gpus % unit, gpus - gpus % unit + unit) if n > 0]
                out.append(Problem(f"{path}.gpus", f"{gpus} is not a multiple of {gpu}'s unit_gpus ({unit})",
                                   f"give a multiple of {unit}, e.g. {' or '.join(map(str, near))}"))
        purchase_year = _year(d.get("purchase_year"))
        if purchase_year is not None and start_year is not None and purchase_year >= start_year:
            out.append(Problem(f"{path}.purchase_year",
                               f"purchase_year {purchase_year} is not before start_year {start_year}",
                               "existing deployments were bought before the horizon; plan later "
                               "purchases through the model instead"))
    return out


MIN_DEMAND_IN_GPUS = 0.01
"""Smallest positive demand, as a share of one GPU's throughput (the best GPU on the best
fabric). Below about 1e-4 GPU HiGHS's tolerances swallow it: such instances were solved as
infeasible, or as met by no GPU at all. No planner means a hundredth of a GPU: it is a
demand given in another unit than the GPUs' throughput."""


def _fraction(value: Any, default: float) -> float | None:
    return default if value is None else _num(value)


def demand_scale(data: Raw) -> list[Problem]:
    """Positive demand of the horizon that is less than `MIN_DEMAND_IN_GPUS` of one GPU."""
    years = horizon_years(data)
    cat = _obj(data.get("catalog"))
    gpus, fabrics = _list(cat.get("gpus")), _list(cat.get("fabrics"))
    if years is None or not gpus or not fabrics:
        return []
    best: dict[str, tuple[float, str]] = {}  # workload kind -> (throughput per GPU, which)
    for kind, perf_key in (("training", "training_perf"), ("inference", "inference_perf")):
        for i, g in enumerate(gpus):
            perf = _num(_obj(g).get(perf_key))
            if perf is None:
                return []
            for f in fabrics:
                f = _obj(f)
                eff = _fraction(f.get("training_efficiency"), 1.0) if kind == "training" else 1.0
                avail = _fraction(f.get("availability"), 1.0)
                if eff is None or avail is None:
                    return []
                value = perf * eff * avail
                if value > best.get(kind, (0.0, ""))[0]:
                    best[kind] = (value, f"catalog.gpus[{i}].{perf_key}")
    demand = _obj(data.get("demand"))
    maps = [("training", "demand.training", demand.get("training"))]
    maps += [("inference", f"demand.inference[{i}].perf", _obj(d).get("perf"))
             for i, d in enumerate(_list(demand.get("inference")))]
    demand_range = field_range(Demand, "training")
    out: list[Problem] = []
    for kind, path, year_map in maps:
        if kind not in best:
            continue
        per_gpu, which = best[kind]
        for y in years:
            need = _num(_obj(year_map).get(str(y)))
            if need is None or not demand_range.contains(need):
                continue  # the schema says what is wrong with it
            if 0 < need < MIN_DEMAND_IN_GPUS * per_gpu:
                out.append(Problem(
                    f"{path}.{y}",
                    f"{number_text(need)} is {number_text(float(f'{need / per_gpu:.2g}'))} of one GPU's {kind} "
                    f"throughput ({number_text(per_gpu)} per GPU at best, {which}): too small for the solver to "
                    "tell from 0",
                    f"give demand in the unit of the GPUs' throughput (at least {MIN_DEMAND_IN_GPUS:g} of one "
                    "GPU), or 0"))
    return out


CHECKS: list[Callable[[Raw], list[Problem]]] = [
    unique_names,
    site_references,
    year_maps,
    existing_assets,
    demand_scale,
]


# --------------------------------------------------------------------------- section 8, on the validated instance
#
# These read the validated `Instance` (they run once its fields are well formed, after the
# raw checks above): unknown names, unique names, ordered loss tables, scale maps.


def v2_unique_names(inst: Instance) -> list[Problem]:
    """Names of the section-8 entries (SPEC 8.10.3, 8.10.11)."""
    rename = "rename this entry or remove one of the two"
    out = [
        *_duplicates("catalog.dci_optics", "name", (o.name for o in inst.catalog.dci_optics), "optic name",
                     rename),
        *_duplicates("demand.training_jobs", "name", (j.name for j in inst.demand.training_jobs), "job name",
                     rename),
        *_duplicates("rentals", "name", (r.name for r in inst.rentals), "rental name", rename),
    ]
    for i, s in enumerate(inst.sites):
        out += _duplicates(f"sites[{i}].grid_upgrades", "name", (u.name for u in s.grid_upgrades),
                           "grid upgrade name", rename)
        out += _duplicates(f"sites[{i}].onsite_power", "name", (o.name for o in s.onsite_power),
                           "on-site option name", rename)
    for i, f in enumerate(inst.catalog.fabrics):
        out += _duplicates(f"catalog.fabrics[{i}].ports", "gbps", (q.gbps for q in f.ports or []), "port gbps",
                           "give each port speed once")
    if inst.scenarios is not None:
        out += _duplicates("scenarios.cases", "name", (c.name for c in inst.scenarios.cases), "case name", rename)
    regions = {d.region for d in inst.demand.inference}
    for i, j in enumerate(inst.demand.training_jobs):
        if j.name == "training" or j.name in regions:
            out.append(Problem(f"demand.training_jobs[{i}].name",
                               f"job name {j.name!r} is taken by "
                               f"{'pooled training' if j.name == 'training' else 'an inference region'}",
                               "give the job another name"))
    return out


def gpu_rules(inst: Instance) -> list[Problem]:
    """GPU fields of SPEC 8.2 and 8.5: cooling lists, market resale maps."""
    coolings = {k.name: k for k in inst.catalog.cooling}
    out: list[Problem] = []
    resale_years = [*inst.years, inst.horizon.end_year + 1]
    for i, g in enumerate(inst.catalog.gpus):
        for j, name in enumerate(g.cooling or []):
            if name not in coolings:
                out.append(_unknown(f"catalog.gpus[{i}].cooling[{j}]", name, list(coolings), "cooling"))
            elif g.liquid_required and not coolings[name].liquid:
                out.append(Problem(f"catalog.gpus[{i}].cooling[{j}]",
                                   f"{name} is not liquid but {g.name} has liquid_required",
                                   "list only liquid cooling types, or drop liquid_required"))
        if g.resale_usd_per_gpu is not None:
            out += _year_map_covers(f"catalog.gpus[{i}].resale_usd_per_gpu", g.resale_usd_per_gpu, resale_years,
                                    "year (start_year to end_year + 1)")
    return out


def job_rules(inst: Instance) -> list[Problem]:
    """Training jobs (SPEC 8.1, 8.10.3)."""
    gpus = [g.name for g in inst.catalog.gpus]
    out: list[Problem] = []
    for i, j in enumerate(inst.demand.training_jobs):
        path = f"demand.training_jobs[{i}]"
        for k, name in enumerate(j.gpus or []):
            if name not in gpus:
                out.append(_unknown(f"{path}.gpus[{k}]", name, gpus, "GPU"))
        kms = [step[0] for step in j.remote_loss_by_km]
        if any(b <= a for a, b in pairwise(kms)):
            out.append(Problem(f"{path}.remote_loss_by_km", "max_km values are not ascending",
                               "list [max_km, loss] pairs in ascending max_km"))
        for k, (km, loss) in enumerate(j.remote_loss_by_km):
            if km < 0:
                out.append(Problem(f"{path}.remote_loss_by_km[{k}]", f"max_km {km:g} is negative",
                                   "give a distance >= 0 km"))
            if not 0 <= loss < 1:
                out.append(Problem(f"{path}.remote_loss_by_km[{k}]", f"loss {loss:g} is outside [0, 1)",
                                   "give the fraction of throughput lost, from 0 up to (not including) 1"))
    return out


def route_rules(inst: Instance) -> list[Problem]:
    """DCI routes: known sites, no self-route, one route per pair (SPEC 8.10.3)."""
    sites = [s.name for s in inst.sites]
    out: list[Problem] = []
    seen: dict[frozenset[str], int] = {}
    for i, r in enumerate(inst.dci_routes):
        for end in ("a", "b"):
            if getattr(r, end) not in sites:
                out.append(_unknown(f"dci_routes[{i}].{end}", getattr(r, end), sites, "site"))
        if r.a == r.b:
            out.append(Problem(f"dci_routes[{i}]", f"route from {r.a!r} to itself",
                               "a route links two different sites; remove it"))
            continue
        pair = frozenset((r.a, r.b))
        if pair in seen:
            out.append(Problem(f"dci_routes[{i}]", f"route {r.a}-{r.b} listed twice (also dci_routes[{seen[pair]}])",
                               "give one route per pair of sites (routes are unordered)"))
        seen.setdefault(pair, i)
    return out


def rental_rules(inst: Instance) -> list[Problem]:
    """Rentals: a known GPU, known regions, prices covering the years offered (SPEC 8.7, 8.10.14)."""
    gpus = [g.name for g in inst.catalog.gpus]
    regions = sorted({d.region for d in inst.demand.inference} | {s.region for s in inst.sites}
                     | {r for s in inst.sites for r in s.served_regions})
    out: list[Problem] = []
    for i, r in enumerate(inst.rentals):
        if r.gpu not in gpus:
            out.append(_unknown(f"rentals[{i}].gpu", r.gpu, gpus, "GPU"))
        for k, name in enumerate(r.serves_regions or []):
            if name not in regions:
                out.append(_unknown(f"rentals[{i}].serves_regions[{k}]", name, regions, "region"))
        first, last = r.first_year, r.last_year
        if first is not None and last is not None and last < first:
            out.append(Problem(f"rentals[{i}].last_year", f"last_year {last} is before first_year {first}",
                               "make last_year >= first_year"))
        offered = [y for y in inst.years if (first is None or y >= first) and (last is None or y <= last)]
        out += _year_map_covers(f"rentals[{i}].usd_per_gpu_hour", r.usd_per_gpu_hour, offered, "year offered")
    return out


def scenario_rules(inst: Instance) -> list[Problem]:
    """Scenarios: reveal year inside the horizon, probabilities, scale maps (SPEC 8.8, 8.10.12)."""
    sc = inst.scenarios
    if sc is None:
        return []
    out: list[Problem] = []
    s, t = inst.horizon.start_year, inst.horizon.end_year
    if not s < sc.reveal_year <= t:
        out.append(Problem("scenarios.reveal_year", f"reveal_year {sc.reveal_year} is outside ({s}, {t}]",
                           f"give a year after start_year {s} and at most end_year {t}"))
    total = sum(c.probability for c in sc.cases)
    if abs(total - 1.0) > 1e-9:
        out.append(Problem("scenarios.cases", f"probabilities sum to {total:.12g}, not 1",
                           "make the cases' probabilities sum to 1"))
    known = {"job_scale": [j.name for j in inst.demand.training_jobs],
             "inference_scale": [d.region for d in inst.demand.inference],
             "gpu_price_scale": [g.name for g in inst.catalog.gpus]}
    what = {"job_scale": "job", "inference_scale": "region", "gpu_price_scale": "GPU"}
    for i, c in enumerate(sc.cases):
        for field, names in known.items():
            value = getattr(c, field)
            if isinstance(value, dict):
                for name in value:
                    if name not in names:
                        out.append(_unknown(f"scenarios.cases[{i}].{field}.{name}", name, names or ["(none)"],
                                            what[field]))
    return out


INSTANCE_CHECKS: list[Callable[[Instance], list[Problem]]] = [
    v2_unique_names,
    gpu_rules,
    job_rules,
    route_rules,
    rental_rules,
    scenario_rules,
]


def check_validated(inst: Instance) -> list[Problem]:
    """The section-8 cross-field problems of a validated instance."""
    return [problem for check in INSTANCE_CHECKS for problem in check(inst)]
