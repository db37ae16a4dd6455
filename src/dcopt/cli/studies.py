"""`dcopt alternatives` and `dcopt pareto`: near-optimal alternatives and the TCO-emissions front.

Exit codes as for `dcopt solve`: 0 the optimum was found (alternatives: with
however many alternatives the slack allows, none included); 1 no plan; 2
invalid input (instance, options, results file, or a results file another
dcopt run holds); 3 an internal error; 130 interrupted (alternatives: the
finished ones are saved, rerun with --resume).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import EXIT_BUG, EXIT_NO_PLAN, EXIT_PLAN, FiniteFloat, solve_options_given
from .common import guard as _guard
from .sweep import _options_common


@click.command("alternatives")
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slack", type=FiniteFloat(min=0, min_open=True, max=1), default=0.02, show_default=True,
              help="How much more than the optimal TCO an alternative may cost, as a fraction (0.02 = 2 %).")
@click.option("--count", type=click.IntRange(min=1), default=5, show_default=True,
              help="Alternatives to look for.")
@click.option("--directions", type=click.IntRange(min=1), default=1, show_default=True,
              help="Independent chains of alternatives: 1 = each differs most from the optimum and all "
                   "before it; N = chain 0 weighs every part of the design, chain c > 0 one part (sites, "
                   "cooling, density, fabrics, GPU models, ...) in turn; chains run in parallel.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Local worker processes for the chains (default: one per CPU).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run the chains on this Dask scheduler (needs the dask extra).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Results file (.csv or .parquet); each alternative is appended as it is found.")
@click.option("--resume", is_flag=True, help="Carry on the run the results file holds.")
@click.option("--overwrite", is_flag=True, help="Start an existing results file afresh.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the alternatives page (HTML) here.")
@_options_common
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_guard
def alternatives_command(instance: Path, slack: float, count: int, directions: int, jobs: int | None,
                         dask_address: str | None, output: Path | None, resume: bool, overwrite: bool,
                         report_path: Path | None, time_limit: float | None, mip_gap: float | None,
                         threads: int, no_progress: bool) -> None:
    """Plans within SLACK of the optimal TCO of INSTANCE whose design differs most from it."""
    from ..instance.errors import Problem
    from ..instance.paths import SweepInputError
    from ..studies.alternatives import AlternativesAborted, alternatives
    from ..studies.sweep import default_jobs

    if resume and output is None:
        raise SweepInputError([Problem("--resume", "--resume needs -o/--output",
                                       "give the results file to continue with -o")])
    try:
        result = alternatives(instance, slack=slack, count=count, directions=directions,
                              jobs=jobs or default_jobs(), dask=dask_address, output=output, resume=resume,
                              overwrite=overwrite, progress=not no_progress,
                              **solve_options_given(time_limit=time_limit, mip_gap=mip_gap, threads=threads))
    except KeyboardInterrupt:
        saved = f"; the alternatives found are saved in {output}: rerun with --resume" if output else ""
        click.echo(f"interrupted{saved}", err=True)
        sys.exit(130)
    except AlternativesAborted as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BUG)
    except RuntimeError as exc:  # no optimum
        click.echo(str(exc), err=True)
        sys.exit(EXIT_NO_PLAN)
    click.echo(result.text())
    if output is not None:
        click.echo(f"wrote {output}", err=True)
    if report_path is not None:
        from ..report.alternatives import alternatives_report_html

        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(alternatives_report_html(result.table, instance.name), encoding="utf-8")
        click.echo(f"wrote {report_path}", err=True)
    sys.exit(EXIT_PLAN)


@click.command("pareto")
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--points", type=click.IntRange(min=2), default=8, show_default=True,
              help="Plans on the front, its two ends included.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the front as a table (.csv or .parquet).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the front's page (HTML, with its chart) here.")
@_options_common
@_guard
def pareto_command(instance: Path, points: int, output: Path | None, report_path: Path | None,
                   time_limit: float | None, mip_gap: float | None, threads: int) -> None:
    """The TCO-emissions front of INSTANCE: the cheapest plan for each cap on emissions, from
    the least-emission plan to the cheapest."""
    from ..solver.highs import SolveOptions
    from ..studies.pareto import pareto

    options = SolveOptions(diagnose=False, **solve_options_given(time_limit=time_limit, mip_gap=mip_gap, threads=threads))
    try:
        front = pareto(instance, points=points, options=options)
    except RuntimeError as exc:  # no plan at one end
        click.echo(str(exc), err=True)
        sys.exit(EXIT_NO_PLAN)
    df = front.table()
    click.echo(front_text(df))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.suffix.lower() == ".parquet":
            df.to_parquet(output, index=False)
        else:
            df.to_csv(output, index=False)
        click.echo(f"wrote {output}", err=True)
    if report_path is not None:
        from ..report.front import front_report_html

        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(front_report_html(df, instance.name), encoding="utf-8")
        click.echo(f"wrote {report_path}", err=True)
    sys.exit(EXIT_PLAN)


def front_text(df) -> str:
    """The front, one line a point: emissions, TCO, what cutting the emissions costs."""
    rows = df.sort_values("emissions_t").to_dict("records")
    cheapest = max(rows, key=lambda r: r["emissions_t"])
    lines = [f"{'point':>5}  {'emissions t CO2':>16}  {'TCO M$':>12}  {'vs cheapest':>12}  sites"]
    for r in rows:
        extra = r["tco_usd"] - cheapest["tco_usd"]
        lines.append(f"{int(r['point']):>5}  {r['emissions_t']:>16,.1f}  {r['tco_usd'] / 1e6:>12,.3f}  "
                     f"{extra / 1e6:>+10,.3f} M$  {r['sites_opened'] or '-'}")
    least = rows[0]
    saved = cheapest["emissions_t"] - least["emissions_t"]
    if saved > 0:
        per_t = (least["tco_usd"] - cheapest["tco_usd"]) / saved
        lines.append(f"the least-emission plan emits {saved:,.1f} t CO2 less than the cheapest for "
                     f"{(least['tco_usd'] - cheapest['tco_usd']) / 1e6:,.3f} M$ more ({per_t:,.0f} USD per t)")
    else:
        lines.append("the cheapest plan is also the least-emission plan")
    return "\n".join(lines)
