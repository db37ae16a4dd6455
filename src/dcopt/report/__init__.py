"""Reports: one self-contained HTML page (charts as inline SVG, no script, no network).

    from dcopt.report import write_report
    write_report("solution.json", "report.html")              # a solved plan
    write_report("solution.json", "report.html", instance="instance.json")
    write_report("results.csv", "sweep.html")                  # a sweep (CSV, Parquet or .xlsx)

A plan's report draws only `Solution` fields (and sums and ratios of them); a
sweep's report draws only the sweep table's columns. matplotlib is imported
when a report is built, not when dcopt is.

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
        text = sweep_report_html(read_sweep_table(source), title=Path(source).name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def _is_instance(x: object) -> bool:
    from ..instance.schema import Instance

    return isinstance(x, Instance)


__all__ = ["is_sweep_file", "read_sweep_table", "solution_report_html", "sweep_report_html", "write_report"]
