"""Checks that need several parts of an instance (SPEC 7.13, 7.14, 7.17).

Each check is a small function returning the problems it finds; they all run
and every problem is reported together. Shape and range checks are in
:mod:`dcopt.schema`; these are about names that must exist, names that must
be unique, year maps that must cover years, and existing assets.

An instance that passes may still be infeasible (demand nobody can serve, a
grid too small): that is diagnosed after solving, not rejected here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import pairwise

from .errors import Problem
from .schema import Instance


def check_instance(inst: Instance) -> list[Problem]:
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(inst))
    return problems


def _show(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _duplicates(path: str, key: str, values: Iterable[object], what: str, fix: str) -> list[Problem]:
    """A problem at `path[i].key` for each entry repeating the `key` of an earlier entry."""
    first: dict[object, int] = {}
    out: list[Problem] = []
    for i, value in enumerate(values):
        if value in first:
            out.append(Problem(f"{path}[{i}].{key}",
                               f"duplicate {what} {_show(value)}, already at {path}[{first[value]}]", fix))
        first.setdefault(value, i)
    return out


def unique_names(inst: Instance) -> list[Problem]:
    c = inst.catalog
    rename = "rename this entry or remove one of the two"
    return [
        *_duplicates("catalog.gpus", "name", (g.name for g in c.gpus), "GPU name", rename),
        *_duplicates("catalog.cooling", "name", (k.name for k in c.cooling), "cooling name", rename),
        *_duplicates("catalog.densities", "rack_kw", (d.rack_kw for d in c.densities), "rack_kw",
                     "give each rack_kw once: remove one of the two or change its rack_kw"),
        *_duplicates("catalog.fabrics", "name", (f.name for f in c.fabrics), "fabric name", rename),
        *_duplicates("sites", "name", (s.name for s in inst.sites), "site name", rename),
        *_duplicates("demand.inference", "region", (d.region for d in inst.demand.inference), "region",
                     "list each region once: merge the two perf maps into one entry"),
    ]


def _unknown(path: str, name: str, known: list[str], what: str) -> Problem:
    return Problem(path, f"unknown {what} {name!r}", f"use one of: {', '.join(known)}")


def site_references(inst: Instance) -> list[Problem]:
    coolings = [k.name for k in inst.catalog.cooling]
    out: list[Problem] = []
    for i, s in enumerate(inst.sites):
        for j, name in enumerate(s.allowed_cooling or []):
            if name not in coolings:
                out.append(_unknown(f"sites[{i}].allowed_cooling[{j}]", name, coolings, "cooling"))
        for name in s.pue_overrides or {}:
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


def year_maps(inst: Instance) -> list[Problem]:
    years = inst.years
    out: list[Problem] = []
    for i, s in enumerate(inst.sites):
        out += _year_map_covers(f"sites[{i}].electricity_usd_per_mwh", s.electricity_usd_per_mwh,
                                years, "horizon year")
    for i, g in enumerate(inst.catalog.gpus):
        buyable = [y for y in years if g.first_year <= y <= g.last_year]
        out += _year_map_covers(f"catalog.gpus[{i}].price_usd_per_gpu", g.price_usd_per_gpu,
                                buyable, "purchasable year")
    return out


def existing_assets(inst: Instance) -> list[Problem]:
    cat = inst.catalog
    sites = [s.name for s in inst.sites]
    coolings = {k.name: k for k in cat.cooling}
    gpus = {g.name: g for g in cat.gpus}
    fabrics = [f.name for f in cat.fabrics]
    racks = [d.rack_kw for d in cat.densities]
    out: list[Problem] = []

    def design(path: str, cooling: str, rack_kw: float) -> None:
        if cooling not in coolings:
            out.append(_unknown(f"{path}.cooling", cooling, list(coolings), "cooling"))
        elif rack_kw not in racks:
            out.append(Problem(f"{path}.rack_kw", f"no catalog density has rack_kw {rack_kw:g}",
                               f"use one of: {', '.join(f'{r:g}' for r in racks)}"))
        elif rack_kw > coolings[cooling].max_rack_kw:
            out.append(Problem(f"{path}.rack_kw",
                               f"{cooling} cools racks up to {coolings[cooling].max_rack_kw:g} kW, "
                               f"not {rack_kw:g} kW: ({cooling}, {rack_kw:g}) is no hall design",
                               "use a density the cooling type can cool"))

    for i, b in enumerate(inst.existing.blocks):
        path = f"existing.blocks[{i}]"
        if b.site not in sites:
            out.append(_unknown(f"{path}.site", b.site, sites, "site"))
        design(path, b.cooling, b.rack_kw)

    for i, d in enumerate(inst.existing.deployments):
        path = f"existing.deployments[{i}]"
        if d.site not in sites:
            out.append(_unknown(f"{path}.site", d.site, sites, "site"))
        design(path, d.cooling, d.rack_kw)
        if d.fabric not in fabrics:
            out.append(_unknown(f"{path}.fabric", d.fabric, fabrics, "fabric"))
        if d.gpu not in gpus:
            out.append(_unknown(f"{path}.gpu", d.gpu, list(gpus), "GPU"))
        elif d.gpus % gpus[d.gpu].unit_gpus:
            unit = gpus[d.gpu].unit_gpus
            near = [n for n in (d.gpus - d.gpus % unit, d.gpus - d.gpus % unit + unit) if n > 0]
            out.append(Problem(f"{path}.gpus", f"{d.gpus} is not a multiple of {d.gpu}'s unit_gpus ({unit})",
                               f"give a multiple of {unit}, e.g. {' or '.join(map(str, near))}"))
        if d.purchase_year >= inst.horizon.start_year:
            out.append(Problem(f"{path}.purchase_year",
                               f"purchase_year {d.purchase_year} is not before start_year "
                               f"{inst.horizon.start_year}",
                               "existing deployments were bought before the horizon; plan later "
                               "purchases through the model instead"))
    return out


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
        if j.max_sites < 1:
            out.append(Problem(f"{path}.max_sites", f"must be >= 1, got {j.max_sites}",
                               "give the most sites the job may span, home included (1: one site)"))
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


CHECKS: list[Callable[[Instance], list[Problem]]] = [
    unique_names,
    site_references,
    year_maps,
    existing_assets,
    v2_unique_names,
    gpu_rules,
    job_rules,
    route_rules,
    rental_rules,
    scenario_rules,
]
