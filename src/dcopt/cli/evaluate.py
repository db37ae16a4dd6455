"""`dcopt evaluate`: cost a plan the user brings, optionally against the optimum.

Registered on the `dcopt` group in :mod:`dcopt.cli`. Exit codes: 0 the plan
meets all demand within every limit; 1 it breaks a limit or leaves demand
unmet (it is still costed and reported); 2 invalid input (instance or plan,
with the JSON path); 3 an internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import guard, output_path, solve_option_flags, solve_options_given


@click.command()
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), callback=output_path,
              help="Write the evaluation (and comparison) as JSON here.")
@click.option("--compare", is_flag=True,
              help="Also solve for the optimum and explain the difference item by item.")
@solve_option_flags("time_limit_s", "mip_gap", "threads", "random_seed", prefix="With --compare: ")
@guard
def evaluate(instance: Path, plan: Path, output: Path | None, compare: bool, time_limit: float | None,
             mip_gap: float | None, threads: int | None, seed: int | None) -> None:
    """Cost PLAN (a plan JSON, see docs/plan-format.md, or a solution JSON) for INSTANCE.

    Only the allocation is optimised; the decisions are taken as given. Reports
    the TCO and its breakdown, every limit the plan breaks and the demand it
    leaves unmet; with scenarios, the expected TCO and each case's. Exit 0 if
    the plan meets all demand within every limit, 1 otherwise."""
    from ..instance.io import load_instance
    from ..plan.io import load_plan
    from ..results.evaluation_writers import write_json
    from ..solver.highs import SolveOptions
    from ..studies.compare import compare as compare_plans
    from ..studies.evaluate import evaluate as evaluate_plan

    inst = load_instance(instance)
    the_plan = load_plan(plan, inst)
    ev = evaluate_plan(inst, the_plan, plan_source=str(plan))
    if compare:
        options = SolveOptions(**solve_options_given(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                                     seed=seed))
        compare_plans(inst, ev, options)
    click.echo(ev.text())
    if output is not None:
        write_json(ev, output)
        click.echo(f"wrote {output}", err=True)
    sys.exit(0 if ev.feasible else 1)
