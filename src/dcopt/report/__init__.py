"""Reports: one self-contained HTML page (charts as inline SVG, no script, no network).

    from dcopt.report import write_report
    write_report("solution.json", "report.html")              # a solved plan
    write_report("solution.json", "report.html", instance="instance.json")
    write_report("results.csv", "sweep.html")                  # a sweep (CSV, Parquet or .xlsx)
    write_report("alternatives.csv", "alternatives.html")      # dcopt alternatives: designs side by side
    write_report("front.csv", "front.html")                    # dcopt pareto: the TCO-emissions front

A plan's report draws only `Solution` fields (and sums and ratios of them); a
sweep's report draws only the sweep table's columns. matplotlib is imported
when a report is built, not when dcopt is.

Modules: `plan_report` (a solved plan: the v1.1 sections), `sections8` (where
the section-8 topics go, each only when the solution has something for it)
with one module per topic: `jobs` (8.1), `lifecycle` (8.2, 8.3), `power`
(8.3, 8.4, 8.6), `supply` (8.7), `scenarios` (8.8); `sweep` (a sweep table);
`charts`, `panels` and `html` (plumbing).

May import: `dcopt.instance`, `dcopt.model.items` (the registries), `dcopt.results`,
`dcopt.studies.results` (sweep tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ..instance.schema import Instance
    from ..results.solution import Solution

SWEEP_SUFFIXES = (".csv", ".parquet", ".pq", ".xlsx")


def solution_report_html(solution: Solution, instance: Instance | None = None) -> str:
    """The report of a solved plan as HTML text; `instance` (optional) adds the purchase years of
    existing GPUs, hall sizes and the discount rate."""
    from .plan_report import solution_report_html as build

    return build(solution, instance)


def sweep_report_html(table: pd.DataFrame, title: str = "") -> str:
    """The report of a sweep table (one row per point) as HTML text."""
    from .sweep import sweep_report_html as build

    return build(table, title)


def read_sweep_table(path: str | Path) -> pd.DataFrame:
    from .sweep import read_sweep_table as read

    return read(path)


def is_sweep_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SWEEP_SUFFIXES


def write_report(source: str | Path | Solution, output: str | Path,
                 instance: str | Path | Instance | None = None) -> Path:
    """Write the report of `source` (a Solution, a solution JSON file, or a sweep table file) to
    `output` and return its path."""
    from ..results.solution import Solution

    out = Path(output)
    if isinstance(source, Solution) or not is_sweep_file(source):
        if isinstance(source, Solution):
            solution = source
        else:
            from ..results.writers import read_solution

            solution = read_solution(source)
        inst = instance
        if inst is not None and not _is_instance(inst):
            from ..instance.io import load_instance

            inst = load_instance(inst)
        text = solution_report_html(solution, inst)
    else:
        text = _table_report_html(Path(source))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def _table_report_html(path: Path) -> str:
    """The report of a table file: alternatives (`dcopt alternatives`), a TCO-emissions front
    (`dcopt pareto`) or a sweep (`dcopt sweep`), told apart by their columns."""
    from .alternatives import alternatives_report_html, is_alternatives_table
    from .front import front_report_html, is_front_table

    table = _read_table(path)
    if is_alternatives_table(table.columns):
        return alternatives_report_html(table, title=path.name)
    if is_front_table(table.columns):
        return front_report_html(table, title=path.name)
    return sweep_report_html(read_sweep_table(path), title=path.name)


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    from ..instance.errors import Problem
    from .sweep import ReportInputError

    try:
        return pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    except FileNotFoundError:
        raise ReportInputError([Problem(str(path), "file not found", "check the path")]) from None
    except Exception:  # noqa: BLE001 - the sweep reader reports what is wrong with it
        return read_sweep_table(path)


def _is_instance(x: object) -> bool:
    from ..instance.schema import Instance

    return isinstance(x, Instance)


__all__ = ["is_sweep_file", "read_sweep_table", "solution_report_html", "sweep_report_html", "write_report"]
