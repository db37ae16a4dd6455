"""`dcopt sweep` and `dcopt breakeven`: sensitivity sweeps and break-even searches.

Exit codes as for `dcopt solve`: 0 every point has a plan (sweep) or the
break-even was found; 1 some point has no plan, or the decision does not
change in the range; 2 invalid input (instance, parameter path, values,
results file, or a results file that another dcopt run holds), naming where;
3 an internal error; 130 interrupted (the finished points are saved: rerun
with --resume).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from ..studies.designs import DESIGNS, MAX_POINTS, SAMPLINGS
from .common import (
    EXIT_BUG,
    EXIT_NO_PLAN,
    EXIT_PLAN,
    FiniteFloat,
    output_path,
    solve_option_flags,
    solve_options_given,
)
from .common import guard as _guard

_options_common = solve_option_flags(
    "time_limit_s", "mip_gap", "threads", prefix="Each solve: ", defaults={"threads": 1},
    helps={"threads": "HiGHS threads per worker (1 to 1024)."})
"""--time-limit, --mip-gap, --threads: the solve options of every point."""


@click.command("sweep")
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH=VALUES",
              help="A parameter and its values: PATH=LOW:HIGH:N or V1,V2 (grid), LOW:HIGH (oat, mc), "
                   "normal:MEAN:SD, triangular:LOW:MODE:HIGH (mc). PATH*= scales, PATH+= shifts. "
                   "Repeat for several parameters.")
@click.option("--design", type=click.Choice(DESIGNS), default="grid", show_default=True,
              help="grid: every combination; oat: one at a time (low, base, high); mc: Monte Carlo.")
@click.option("--samples", type=click.IntRange(1, MAX_POINTS), default=100, show_default=True,
              help="Monte Carlo points.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Monte Carlo seed (>= 0).")
@click.option("--sampling", type=click.Choice(SAMPLINGS), default="random", show_default=True,
              help="Monte Carlo sampling: independent draws or Latin hypercube.")
@click.option("--jobs", type=click.IntRange(1, 1024), default=None,
              help="Local worker processes (default: one per CPU).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run the points on this Dask scheduler (needs the dask extra).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              callback=output_path, help="Results file (.csv, .parquet or .xlsx); each finished point is appended at once. "
                   "Without it the table is printed as CSV at the end.")
@click.option("--resume", is_flag=True, help="Skip the points already in the results file.")
@click.option("--overwrite", is_flag=True, help="Start an existing results file afresh.")
@_options_common
@click.option("--diagnose", is_flag=True,
              help="Explain infeasible points in their message (extra solves).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_guard
def sweep_command(instance: Path, vary: tuple[str, ...], design: str, samples: int, seed: int,
                  sampling: str, jobs: int | None, dask_address: str | None, output: Path | None,
                  resume: bool, overwrite: bool, time_limit: float | None, mip_gap: float | None,
                  threads: int, diagnose: bool, no_progress: bool) -> None:
    """Solve INSTANCE for every point of a design of parameter values; one row per point."""
    from ..instance.errors import Problem
    from ..instance.paths import SweepInputError
    from ..studies.sweep import SweepAborted, default_jobs, sweep

    if resume and output is None:
        raise SweepInputError([Problem("--resume", "--resume needs -o/--output",
                                       "give the results file to continue with -o")])
    try:
        df = sweep(instance, list(vary), design=design, samples=samples, seed=seed, sampling=sampling,
                   jobs=jobs or default_jobs(), dask=dask_address, output=output, resume=resume,
                   overwrite=overwrite, progress=not no_progress,
                   **solve_options_given(time_limit=time_limit, mip_gap=mip_gap, threads=threads),
                   **({"diagnose": True} if diagnose else {}))
    except KeyboardInterrupt:
        saved = f"; the finished points are saved in {output}: rerun with --resume" if output else ""
        click.echo(f"interrupted{saved}", err=True)
        sys.exit(130)
    except SweepAborted as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BUG)
    if output is None:
        from ..studies.results import csv_text

        click.echo(csv_text(df), nl=False)
    counts = Counter(df["status"])
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    where = f"; wrote {output}" if output is not None else ""
    click.echo(f"{len(df)} points: {detail}{where}", err=True)
    sys.exit(EXIT_PLAN if bool(df["has_plan"].all()) else EXIT_NO_PLAN)


@click.command("breakeven")
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vary", required=True, metavar="PATH=LOW:HIGH",
              help="The parameter and the range to search (PATH*= scales, PATH+= shifts).")
@click.option("--watch", required=True, metavar="DECISION",
              help="site:NAME, sites, cooling[:SITE], liquid[:SITE], rack_kw[:SITE], fabric[:SITE], "
                   "gpu:NAME or gpus.")
@click.option("--tol", type=FiniteFloat(min=0, min_open=True), default=None,
              help="Width of the final bracket, in the parameter's unit (default: range / 1000).")
@click.option("--max-solves", type=click.IntRange(min=2), default=60, show_default=True,
              help="Stop bisecting after this many solves.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              callback=output_path, help="Write every solve of the search (.csv, .parquet or .xlsx).")
@_options_common
@_guard
def breakeven_command(instance: Path, vary: str, watch: str, tol: float | None, max_solves: int,
                      output: Path | None, time_limit: float | None, mip_gap: float | None,
                      threads: int) -> None:
    """Find the value of one parameter of INSTANCE at which a decision of the plan changes."""
    from ..studies.breakeven import breakeven

    result = breakeven(instance, vary, watch, tol=tol, max_solves=max_solves,
                       **solve_options_given(time_limit=time_limit, mip_gap=mip_gap, threads=threads))
    click.echo(result.text())
    if output is not None:
        if output.suffix.lower() == ".parquet":
            result.trace.to_parquet(output, index=False)
        elif output.suffix.lower() == ".xlsx":
            from ..studies.results import write_results_xlsx

            write_results_xlsx(output, result.trace)
        else:
            from ..studies.results import csv_text

            output.write_text(csv_text(result.trace), encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    sys.exit(EXIT_PLAN if result.found else EXIT_NO_PLAN)

