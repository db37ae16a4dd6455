"""CSV tables of the SPEC 8 results (8.9): training jobs, DCI routes, grid upgrades, on-site
generation, rentals, the supply mix, and the scenario cases.

Each function returns ``(header, rows)`` or None when the solution has nothing for that table,
so a solution without section-8 results writes exactly the tables of v1.1. Tables are long
(one row per fact, keys first); a value of a coarser key is repeated on each of its rows (a
job-year's demand on each of its sites' rows, a route-year's Gbps on each optic's row).
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..instance.schema import Instance
from .solution import Solution
from .supply import has_hosted_supply, supply_by_year

Table = tuple[list[str], list[list[object]]]


def jobs_table(s: Solution) -> Table | None:
    """Per training job and year its demand, delivered throughput, home and GPU model, and per
    site the GPUs serving it, their loss by distance to the home and what they delivered. A
    job-year served nowhere has one row with empty site cells."""
    if not s.jobs:
        return None
    rows = []
    for j in s.jobs:
        head = [j.job, j.year, j.demand, j.delivered, j.home, j.gpu]
        rows += [head + [x.site, x.gpus, x.loss, x.delivered] for x in j.sites] or [head + ["", "", "", ""]]
    return (["job", "year", "demand", "delivered", "home", "gpu", "site", "gpus", "loss", "site_delivered"],
            rows)


def routes_table(s: Solution) -> Table | None:
    """Per DCI route and year from the year it is lit: the links installed by then, one row per
    optic (an empty optic before any link), and the route's Gbps installed and used that year."""
    if not s.routes:
        return None
    rows = []
    for r in s.routes:
        for y in r.years:
            if r.lit_year is not None and y.year < r.lit_year and not y.links:
                continue
            head = [r.a, r.b, r.distance_km, r.lit_year, y.year]
            tail = [y.gbps_installed, y.gbps_used]
            rows += [head + [o, n] + tail for o, n in sorted(y.links.items())] or [head + ["", 0] + tail]
    return (["a", "b", "distance_km", "lit_year", "year", "optic", "links_installed", "gbps_installed",
             "gbps_used"], rows)


def grid_upgrades_table(s: Solution) -> Table | None:
    """Grid upgrades taken, with the site's grid limit in that year (all upgrades taken by then)."""
    if not s.grid_upgrades:
        return None
    limits = {x.name: x.grid_limit_mw for x in s.sites}
    return (["site", "upgrade", "year", "grid_limit_mw"],
            [[u.site, u.upgrade, u.year, limits.get(u.site, {}).get(u.year, "")]
             for u in sorted(s.grid_upgrades, key=lambda u: (u.site, u.year, u.upgrade))])


def onsite_table(s: Solution) -> Table | None:
    """On-site generation per site, option and year: MW built that year and MWh generated."""
    if not (s.onsite_builds or s.onsite_generation):
        return None
    mw: dict[tuple[str, str, int], float] = defaultdict(float)
    mwh: dict[tuple[str, str, int], float] = defaultdict(float)
    for b in s.onsite_builds:
        mw[(b.site, b.option, b.year)] += b.mw
    for g in s.onsite_generation:
        mwh[(g.site, g.option, g.year)] += g.mwh
    keys = sorted(set(mw) | set(mwh), key=lambda k: (_order(s, k[0]), k[1], k[2]))
    return (["site", "option", "year", "mw_built", "mwh_generated"],
            [[*k, mw.get(k, 0.0), mwh.get(k, 0.0)] for k in keys])


def rentals_table(s: Solution) -> Table | None:
    """GPUs rented per offer and year, with the throughput they delivered by workload (one row
    per workload; a rental that served nothing has one row with an empty workload)."""
    if not s.rented:
        return None
    rows = []
    for r in s.rented:
        head = [r.rental, r.gpu, r.year, r.gpus]
        rows += [head + [w, v] for w, v in r.delivered.items()] or [head + ["", 0.0]]
    return ["rental", "gpu", "year", "gpus", "workload", "delivered"], rows


SUPPLY_HEADER = ["year", "owned_gpus", "colocated_gpus", "rented_gpus",
                 "owned_training_delivered", "colocated_training_delivered", "rented_training_delivered",
                 "owned_inference_delivered", "colocated_inference_delivered", "rented_inference_delivered"]


def supply_table(s: Solution, instance: Instance | None = None) -> Table | None:
    """Owned, colocated and rented GPUs and their throughput by year (`dcopt.results.supply`);
    only when the instance offers rentals or has colocation sites, and not for the expectation
    of a scenario solution (its cases have their own). Empty colocated cells: the split is not
    known without the instance, and the owned figures count the colocated GPUs too."""
    if s.scenarios is not None or not has_hosted_supply(s, instance):
        return None
    rows = [[x.year, x.owned_gpus, x.colocated_gpus, x.rented_gpus,
             x.owned_training, x.colocated_training, x.rented_training,
             x.owned_inference, x.colocated_inference, x.rented_inference] for x in supply_by_year(s, instance)]
    return SUPPLY_HEADER, [["" if v is None else v for v in row] for row in rows]


def cases_table(s: Solution) -> Table | None:
    """With scenarios: each case's probability, TCO and the NPV of every cost item (columns by
    code name, in the order of costs.csv, whose `label` column names them), and the folder of
    its own tables (cases/<folder>/)."""
    if s.scenarios is None:
        return None
    items = list(s.costs_npv_usd)
    for c in s.scenarios.cases:
        items += [i for i in c.solution.costs_npv_usd if i not in items]
    folders = case_folders(s)
    return (["case", "probability", "tco_usd", *items, "folder"],
            [[c.name, c.probability, c.solution.tco_usd, *(c.solution.costs_npv_usd.get(i, 0.0) for i in items),
              folders[c.name]] for c in s.scenarios.cases])


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def case_folders(s: Solution) -> dict[str, str]:
    """A folder name for each scenario case: its name where that is a safe file name on every
    system (letters, digits, ``.``, ``_``, ``-``; not starting with ``.`` or ``-``, not ending with
    ``.``, not a reserved device name), else a safe
    spelling of it; unique even where file names ignore case."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for c in (s.scenarios.cases if s.scenarios is not None else []):
        name = _UNSAFE.sub("_", c.name).strip("_").rstrip(".") or "case"
        if name.startswith((".", "-")) or name.split(".")[0].upper() in _RESERVED:
            name = "case_" + name
        folder, n = name, 2
        while folder.lower() in taken:
            folder, n = f"{name}_{n}", n + 1
        taken.add(folder.lower())
        out[c.name] = folder
    return out


def _order(s: Solution, site: str) -> int:
    names = [x.name for x in s.sites]
    return names.index(site) if site in names else len(names)


def section8_tables(s: Solution, instance: Instance | None = None) -> dict[str, Table]:
    """The section-8 tables the solution has, by file name (without .csv)."""
    found = {
        "jobs": jobs_table(s),
        "routes": routes_table(s),
        "grid_upgrades": grid_upgrades_table(s),
        "onsite": onsite_table(s),
        "rentals": rentals_table(s),
        "supply": supply_table(s, instance),
        "cases": cases_table(s),
    }
    return {name: t for name, t in found.items() if t is not None}
