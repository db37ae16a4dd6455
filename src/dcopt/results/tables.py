"""A solution's tables as pandas DataFrames (`Solution.tables()`), and as CSV files (`Solution.to_csv`).

The tables of ``dcopt solve --csv`` (`writers.csv_tables`: costs by item and
year, sites by year, blocks, fabrics, purchases, retirements, allocations,
years), with the same names and columns, then:

- ``delivered``: year, workload (``training``, ``inference:<region>``,
  ``job:<name>``), demand, delivered, unmet;
- with SPEC 8 decisions, only when the solution has them: ``jobs`` (a job's
  home, model and sites by year), ``routes`` (DCI routes by year),
  ``rentals`` (GPUs rented and what they served), ``grid_upgrades``,
  ``onsite_builds``, ``onsite_generation``, ``links``;
- ``unmet`` with ``--allow-unmet``, when demand is left unmet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .solution import Solution
from .writers import csv_tables

if TYPE_CHECKING:
    import pandas as pd


def solution_tables(solution: Solution) -> dict[str, pd.DataFrame]:
    """Every table of `solution`, by name (see the module)."""
    import pandas as pd

    out = {name: pd.DataFrame(rows, columns=header) for name, (header, rows) in csv_tables(solution).items()}
    for name, (header, rows) in _more(solution).items():
        if rows or name == "delivered":
            out[name] = pd.DataFrame(rows, columns=header)
    return out


def _more(s: Solution) -> dict[str, tuple[list[str], list[list[object]]]]:
    unmet = {(u.workload, u.year): u.unmet for u in s.unmet_demand}
    delivered = []
    for y in s.years:
        delivered.append([y.year, "training", y.training_demand, y.training_delivered,
                          unmet.get(("training", y.year), 0.0)])
        for r, demand in y.inference_demand.items():
            delivered.append([y.year, f"inference:{r}", demand, y.inference_delivered.get(r, 0.0),
                              unmet.get((r, y.year), 0.0)])
        for j, demand in y.job_demand.items():
            delivered.append([y.year, f"job:{j}", demand, y.job_delivered.get(j, 0.0), unmet.get((j, y.year), 0.0)])
    return {
        "delivered": (["year", "workload", "demand", "delivered", "unmet"], delivered),
        "jobs": (["job", "year", "demand", "delivered", "home", "gpu", "site", "gpus", "loss", "site_delivered"],
                 [[j.job, j.year, j.demand, j.delivered, j.home, j.gpu, x.site, x.gpus, x.loss, x.delivered]
                  for j in s.jobs for x in j.sites]),
        "routes": (["a", "b", "distance_km", "lit_year", "year", "gbps_installed", "gbps_used", "links"],
                   [[r.a, r.b, r.distance_km, r.lit_year, y.year, y.gbps_installed, y.gbps_used,
                     ";".join(f"{o}={n}" for o, n in y.links.items())] for r in s.routes for y in r.years]),
        "rentals": (["rental", "gpu", "year", "gpus", "workload", "delivered"],
                    [[r.rental, r.gpu, r.year, r.gpus, w, v] for r in s.rented for w, v in (r.delivered.items()
                                                                                         or [("", 0.0)])]),
        "grid_upgrades": (["site", "upgrade", "year"], [[u.site, u.upgrade, u.year] for u in s.grid_upgrades]),
        "onsite_builds": (["site", "option", "year", "mw"], [[g.site, g.option, g.year, g.mw] for g in s.onsite_builds]),
        "onsite_generation": (["site", "option", "year", "mwh"],
                              [[g.site, g.option, g.year, g.mwh] for g in s.onsite_generation]),
        "links": (["a", "b", "optic", "year", "links"], [[x.a, x.b, x.optic, x.year, x.links] for x in s.links]),
        "unmet": (["workload", "year", "demand", "unmet"],
                  [[u.workload, u.year, u.demand, u.unmet] for u in s.unmet_demand]),
    }


def write_tables(solution: Solution, folder: str | Path) -> list[Path]:
    """Write every table of `solution` as ``<name>.csv`` into `folder`; return the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in solution_tables(solution).items():
        path = out / f"{name}.csv"
        df.to_csv(path, index=False)
        paths.append(path)
    return paths
