"""`dcopt pareto`: the TCO-emissions front.

Exit codes as for `dcopt solve`: 0 the front was found; 1 no plan; 2 invalid
input; 3 an internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import EXIT_NO_PLAN, EXIT_PLAN
from .common import guard as _guard
from .sweep import _options_common, _solve_options


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

    options = SolveOptions(diagnose=False, **_solve_options(time_limit, mip_gap, threads, None))
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
