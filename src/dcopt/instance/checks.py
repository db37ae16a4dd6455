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


CHECKS: list[Callable[[Instance], list[Problem]]] = [
    unique_names,
    site_references,
    year_maps,
    existing_assets,
]
