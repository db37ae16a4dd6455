"""`dcopt report`: an HTML report of a solution JSON or of a sweep table."""

from __future__ import annotations

from pathlib import Path

import click

from .common import guard as _guard
from .common import output_path, read_solution_file


@click.command("report")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              callback=output_path, help="Write the HTML report here (default: SOURCE with .html).")
@click.option("--instance", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The instance the solution was solved for: adds the purchase years of existing GPUs, "
                   "hall sizes (MW) and the discount rate.")
@_guard
def report(source: Path, output: Path | None, instance: Path | None) -> None:
    """Write a self-contained HTML report (charts, tables; opens offline) of SOURCE:
    a solution JSON (`dcopt solve -o`), or a sweep table (.csv, .parquet or .xlsx, `dcopt sweep`)."""
    from ..instance.errors import InstanceError, Problem
    from ..report import is_sweep_file, write_report

    out = output if output is not None else source.with_suffix(".html")
    if is_sweep_file(source):
        if instance is not None:
            raise click.UsageError("--instance is for a solution's report, not a sweep's")
        path = write_report(source, out)
    else:
        solution = read_solution_file(source)
        inst = None
        if instance is not None:
            from ..instance.io import load_instance

            inst = load_instance(instance)
        try:
            path = write_report(solution, out, instance=inst)
        except ValueError as exc:
            if isinstance(exc, InstanceError):
                raise
            raise InstanceError([Problem("--instance", str(exc))], str(instance)) from None
    click.echo(f"wrote {path}", err=True)


def write_solve_report(solution, inst, path: Path) -> None:
    """`dcopt solve --report PATH`: the report of a plan just found."""
    from ..report import write_report

    write_report(solution, path, instance=inst)
    click.echo(f"wrote report to {path}", err=True)
