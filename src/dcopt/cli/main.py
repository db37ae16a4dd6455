"""`dcopt` command line: a thin layer over the Python API (shared pieces in
:mod:`dcopt.cli_common`; evaluate, sweep and report commands in their own modules).

Exit codes: 0 a plan was found (optimal, or a limit with a plan and its gap);
1 no plan (infeasible, or a limit before any plan); 2 invalid input;
3 an internal error (a bug). No traceback unless --debug.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..version import __version__
from .common import (
    EXIT_NO_PLAN,
    EXIT_PLAN,
    output_path,
    read_solution_file,
    solve_option_flags,
    solve_options_given,
)
from .common import guard as _guard

REPORT_RESERVE_S = 5.0
REPORT_RESERVE_SHARE = 0.25
"""With --report and a time limit, the solve ends this much earlier (at most this share of the
limit) to leave time for drawing the report (measured: 2.5 s for quickstart)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dcopt")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Design AI datacenters at minimum total cost of ownership."""


def run() -> None:
    """The `dcopt` command (and `python -m dcopt`): `main` with the command's clock started
    when the package was imported (`dcopt.IMPORTED_AT`). `main` called directly (a test, or a
    program of the user's) starts it when the command starts."""
    from .. import IMPORTED_AT

    main(obj={"started_at": IMPORTED_AT})


def _started_at() -> float | None:
    """When this command's clock started (None: now), from `run`."""
    return (click.get_current_context().obj or {}).get("started_at")


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), callback=output_path,
              help="Write the solution JSON here.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), callback=output_path,
              help="Write the solution tables as CSV files into this folder.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), callback=output_path,
              help="Write the solution as an Excel workbook (summary, costs by year, purchases, sites, "
                   "demand and delivered, section-8 tables) here when a plan is found.")
@solve_option_flags("time_limit_s", "mip_gap", "threads", "random_seed", "log", "allow_unmet_usd_per_perf",
                    "diagnose", "max_emissions_t")
@click.option("-q", "--quiet", is_flag=True, help="Print only the one-line status.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), callback=output_path,
              help="Write an HTML report (charts and tables, opens offline) here when a plan is found.")
@click.option("--scenario-value", is_flag=True,
              help="With scenarios: also solve each case alone and the mean-value plan in every case, and "
                   "report the expected value of perfect information (EVPI) and of the stochastic solution (VSS).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local worker processes for the --scenario-value case solves.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run the --scenario-value case solves on this Dask scheduler.")
@_guard
def solve(instance: Path, output: Path | None, csv_dir: Path | None, time_limit: float | None,
          mip_gap: float | None, threads: int | None, seed: int | None, log: bool,
          allow_unmet: float | None, no_diagnose: bool, quiet: bool,
          report_path: Path | None = None, scenario_value: bool = False, jobs: int = 1,
          dask_address: str | None = None, max_emissions_t: float | None = None,
          xlsx_path: Path | None = None) -> None:
    """Solve INSTANCE (a JSON file or an Excel workbook) for the minimum-TCO plan."""
    from ..solver.deadline import Deadline

    clock = Deadline(time_limit, _started_at())  # the whole command counts
    from ..instance.io import load_instance
    from ..pipeline.solve import solve as solve_api
    from ..results.writers import summary, write_csv, write_json
    from ..solver.highs import PlanFound, SolveOptions

    inst = load_instance(instance)
    _print_warnings(inst)
    options = SolveOptions(**solve_options_given(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                                 seed=seed, log=log, allow_unmet=allow_unmet,
                                                 no_diagnose=no_diagnose, max_emissions_t=max_emissions_t))
    if report_path is not None and time_limit is not None:  # time to draw the report after the solve
        clock = Deadline(time_limit - min(REPORT_RESERVE_S, REPORT_RESERVE_SHARE * time_limit), clock.start)

    def progress(found: PlanFound) -> None:
        gap = "" if found.bound is None else \
            f", {100 * max(0.0, found.objective - found.bound) / max(abs(found.objective), 1e-9):.2f} % above the bound"
        click.echo(f"plan found after {found.seconds:.1f} s: objective {found.objective:,.2f} M$ "
                   f"({found.source}{gap})", err=True)

    solution = solve_api(inst, options, deadline=clock, on_plan=None if quiet else progress)
    if scenario_value and solution.has_plan and solution.scenarios is not None:
        from ..studies.scenario_value import scenario_value as value_of

        value = value_of(inst, solution, options, jobs=jobs, dask=dask_address)
        solution.scenarios.evpi_usd, solution.scenarios.vss_usd = value.evpi_usd, value.vss_usd
        click.echo("\n".join(value.lines()), err=True)
    elif scenario_value:
        click.echo("--scenario-value: the instance has no scenarios (or no plan was found)", err=True)
    text = summary(solution, instance=inst)
    click.echo(text.splitlines()[0] if quiet else text)
    if output is not None:
        write_json(solution, output)
        click.echo(f"wrote {output}", err=True)
    if csv_dir is not None and solution.has_plan:
        write_csv(solution, csv_dir, instance=inst)
        click.echo(f"wrote CSV tables to {csv_dir}", err=True)
    if xlsx_path is not None and solution.has_plan:
        from ..results.xlsx import write_xlsx

        write_xlsx(solution, xlsx_path)
        click.echo(f"wrote {xlsx_path}", err=True)
    if report_path is not None and solution.has_plan:
        from .report import write_solve_report

        write_solve_report(solution, inst, report_path)
    sys.exit(EXIT_PLAN if solution.has_plan else EXIT_NO_PLAN)


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@_guard
def validate(instance: Path) -> None:
    """Check INSTANCE without solving: exit 0 if valid, 2 listing every problem.

    A valid instance that is certain or likely to fail when solved (demand in a region no
    site serves, demand years outside the horizon, badly scaled numbers) is still valid:
    its warnings are printed (stderr) and the exit code is 0."""
    from ..instance.io import load_instance

    inst = load_instance(instance)
    found = _print_warnings(inst)
    more = f"; {found} warning{'s' if found != 1 else ''}" if found else ""
    click.echo(f"{instance}: valid ({len(inst.sites)} sites, {len(inst.years)} years, "
               f"{len(inst.catalog.gpus)} GPU models{more})")


def _print_warnings(inst) -> int:
    """Print the instance's warnings on stderr; return how many."""
    from ..instance.warnings import warnings

    found = warnings(inst)
    for w in found:
        click.echo(f"warning: {w}", err=True)
    return len(found)


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("solution", type=click.Path(dir_okay=False, path_type=Path))
@_guard
def check(instance: Path, solution: Path) -> None:
    """Recompute SOLUTION's constraints and costs from its plan alone (no solver).

    Exit 0 when every constraint holds and every cost item matches within
    1e-6 relative, 1 otherwise, also when the solution has no plan (nothing to check)."""
    from ..instance.io import load_instance
    from ..plan.check import check_solution

    inst = load_instance(instance)
    report = check_solution(inst, read_solution_file(solution))
    click.echo(report.text())
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mps", type=click.Path(dir_okay=False, path_type=Path), callback=output_path,
              help="Write the MIP as MPS here.")
@click.option("--lp", "lp_path", type=click.Path(dir_okay=False, path_type=Path), callback=output_path,
              help="Write the MIP as LP here.")
@_guard
def export(instance: Path, mps: Path | None, lp_path: Path | None) -> None:
    """Write the MIP that `solve` hands to HiGHS (HiGHS's own writer), for other
    solvers or for measuring HiGHS alone."""
    from ..instance.io import load_instance
    from ..pipeline.solve import export_model

    if mps is None and lp_path is None:
        raise click.UsageError("give --mps PATH and/or --lp PATH")
    inst = load_instance(instance)
    for path in (p for p in (mps, lp_path) if p is not None):
        size = export_model(inst, path)
    click.echo(f"wrote {', '.join(str(p) for p in (mps, lp_path) if p)}: {size['columns']} columns "
               f"({size['integers']} integer), {size['rows']} rows, {size['nonzeros']} nonzeros")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the instance format."""
    from ..instance.schema import instance_json_schema

    click.echo(json.dumps(instance_json_schema(), indent=1))


from .evaluate import evaluate  # noqa: E402  (defined in its own module)

main.add_command(evaluate)

from .sweep import breakeven_command, sweep_command  # noqa: E402  (sweeps, in their own module)

main.add_command(sweep_command)
main.add_command(breakeven_command)

from .report import report  # noqa: E402  (reports, in their own module)

main.add_command(report)

from .studies import alternatives_command, pareto_command  # noqa: E402  (alternatives, the front)

main.add_command(alternatives_command)
main.add_command(pareto_command)

from .convert import convert  # noqa: E402  (JSON <-> workbook, in its own module)

main.add_command(convert)


if __name__ == "__main__":  # pragma: no cover
    main()
