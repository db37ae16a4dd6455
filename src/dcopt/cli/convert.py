"""`dcopt convert`: an instance from JSON to an Excel workbook and back."""

from __future__ import annotations

from pathlib import Path

import click

from .common import guard as _guard
from .common import output_path

FORMATS = (".json", ".xlsx")


def _format(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A file named .json or .xlsx (a usage error otherwise, before any work)."""
    if value.suffix.lower() not in FORMATS:
        raise click.BadParameter(f"{value} is neither .json nor .xlsx", ctx=ctx, param=param)
    return output_path(ctx, param, value) if param.name == "target" else value


@click.command("convert")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path), callback=_format)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path), callback=_format)
@click.option("--inline-catalog", is_flag=True,
              help="Write the catalog itself into TARGET (its sheets, or its JSON object) instead of "
                   "the name or path of the catalog SOURCE refers to.")
@_guard
def convert(source: Path, target: Path, inline_catalog: bool) -> None:
    """Convert the instance SOURCE to TARGET: JSON to an Excel workbook (.xlsx) or back.

    The format of each file is that of its suffix (.json or .xlsx). SOURCE is validated
    first (exit 2 listing every problem, by JSON path or by cell); TARGET is read back
    and gives the same instance. A catalog named by a path is re-pointed from TARGET's
    folder. The workbook's sheets and columns: docs/workbook-format.md."""
    from ..instance.xlsx import convert as convert_instance

    inst = convert_instance(source, target, inline_catalog=inline_catalog)
    click.echo(f"wrote {target} ({len(inst.sites)} sites, {len(inst.years)} years, "
               f"{len(inst.catalog.gpus)} GPU models)")
