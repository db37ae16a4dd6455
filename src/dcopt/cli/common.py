"""What every `dcopt` command shares: exit codes, and turning expected failures
into messages (no traceback unless --debug). Command modules import this,
never `dcopt.cli`, which imports them."""

from __future__ import annotations

import functools
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from ..instance.errors import InstanceError

EXIT_PLAN, EXIT_NO_PLAN, EXIT_INVALID, EXIT_BUG = 0, 1, 2, 3


# --------------------------------------------------------------------------- option values
# Every option value is checked by click while parsing: a bad value is a usage error (exit 2,
# the option and the allowed values named, no traceback), never an error deep in a solve.


class FiniteFloat(click.FloatRange):
    """A float range that also rejects nan and inf (click's FloatRange lets nan through)."""

    name = "finite float"

    def convert(self, value, param, ctx):
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


TIME_LIMIT = FiniteFloat(min=0, min_open=True)
"""Seconds, > 0."""
MIP_GAP = FiniteFloat(min=0)
THREADS = click.IntRange(1, 1024)
"""HiGHS threads: tens of thousands make HiGHS hang while starting them."""
HIGHS_SEED = click.IntRange(0, 2**31 - 1)
"""HiGHS's random_seed range."""
UNMET_PENALTY = FiniteFloat(min=0, max=1e9)
"""USD per unit of throughput per year; beyond 1e9 the penalty swamps the model's costs."""


# --------------------------------------------------------------------------- solve options
# Declared once, from `SolveOptions`: its field descriptions and defaults are the options' help.

SOLVE_FLAGS: dict[str, dict[str, Any]] = {
    "time_limit_s": {"decl": "--time-limit", "name": "time_limit", "type": TIME_LIMIT},
    "mip_gap": {"decl": "--mip-gap", "name": "mip_gap", "type": MIP_GAP},
    "threads": {"decl": "--threads", "name": "threads", "type": THREADS},
    "random_seed": {"decl": "--seed", "name": "seed", "type": HIGHS_SEED},
    "log": {"decl": "--log", "name": "log", "flag": True},
    "allow_unmet_usd_per_perf": {"decl": "--allow-unmet", "name": "allow_unmet", "type": UNMET_PENALTY,
                                 "metavar": "PENALTY_USD_PER_UNIT"},
    "diagnose": {"decl": "--no-diagnose", "name": "no_diagnose", "flag": True, "invert": True,
                 "help": "Skip the elastic re-solves that explain an infeasible instance."},
}
"""SolveOptions field -> its command-line option (flag, parameter name, click type)."""


def _solve_help(field: str, prefix: str) -> str:
    from ..solver.highs import SolveOptions

    info = SolveOptions.model_fields[field]
    text = info.description or ""
    spec = SOLVE_FLAGS[field]
    if spec.get("help"):
        text = spec["help"]
    elif not spec.get("flag") and info.default is not None:
        text += f" Default {info.default:g}."
    first = text[0].lower() if text.split()[0][1:].islower() else text[0]  # not HiGHS
    return prefix + first + text[1:] if prefix else text


def solve_option_flags(*fields: str, prefix: str = "", defaults: dict[str, Any] | None = None,
                       helps: dict[str, str] | None = None):
    """Decorator adding the command-line options of `fields` (SolveOptions names), their help
    taken from the schema; `defaults` and `helps` override a command's own (e.g. one thread per
    sweep worker). The command gets each under its SOLVE_FLAGS name; `solve_options_given`
    turns them back into SolveOptions fields."""
    defaults, helps = defaults or {}, helps or {}

    def decorate(fn):
        for field in reversed(fields):
            spec = SOLVE_FLAGS[field]
            text = helps.get(field) or _solve_help(field, prefix)
            if spec.get("flag"):
                option = click.option(spec["decl"], spec["name"], is_flag=True, help=text)
            else:
                default = defaults.get(field)
                option = click.option(spec["decl"], spec["name"], type=spec["type"], default=default,
                                      show_default=default is not None, metavar=spec.get("metavar"), help=text)
            fn = option(fn)
        return fn

    return decorate


def solve_options_given(**params: Any) -> dict[str, Any]:
    """SolveOptions fields of the options given on the command line (by their SOLVE_FLAGS
    parameter names); options not given are left out, so the schema's defaults apply."""
    out: dict[str, Any] = {}
    for field, spec in SOLVE_FLAGS.items():
        value = params.pop(spec["name"], None)
        if spec.get("flag"):
            if value:
                out[field] = not spec.get("invert", False)
        elif value is not None:
            out[field] = value
    if params:
        raise TypeError(f"not solve options: {', '.join(params)}")
    return out


def output_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Callback of an option naming a file or folder dcopt writes: checked before any work
    (a missing folder is created), so that a finished solve is not lost at the end."""
    if value is None:
        return value
    path = Path(value)
    folder = path if getattr(param.type, "file_okay", True) is False else path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"cannot create the folder {folder}: {exc.strerror or exc}",
                                 ctx=ctx, param=param) from None
    try:  # the one sure test: write a file there
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise click.BadParameter(f"cannot write into the folder {folder}: {exc.strerror or exc}",
                                 ctx=ctx, param=param) from None
    if path.exists() and not path.is_dir() and not os.access(path, os.W_OK):
        raise click.BadParameter(f"{path} exists and cannot be written", ctx=ctx, param=param)
    return value


def guard(fn):
    """Turn expected failures into messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return fn(*args, **kwargs)
        except InstanceError as exc:
            if debug:
                raise
            click.echo(str(exc), err=True)
            sys.exit(EXIT_INVALID)
        except click.exceptions.Exit:
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if debug:
                raise
            click.echo(f"internal error ({type(exc).__name__}: {exc}); this is a bug in dcopt, "
                       "please report it with the instance; rerun with --debug for the traceback",
                       err=True)
            sys.exit(EXIT_BUG)

    return wrapper


def read_solution_file(path: Path):
    """A solution JSON written by dcopt, or InstanceError naming the JSON path of what is wrong."""
    from pydantic import ValidationError

    from ..instance.errors import Problem
    from ..instance.io import json_path

    try:
        from ..results.writers import read_solution

        return read_solution(path)
    except FileNotFoundError:
        raise InstanceError([Problem("$", f"file not found: {path}", "check the path")]) from None
    except UnicodeDecodeError as exc:
        raise InstanceError([Problem("$", f"{path} is not UTF-8 text (byte {exc.start})",
                                     "give a solution JSON written by dcopt")], str(path)) from None
    except OSError as exc:
        raise InstanceError([Problem("$", f"cannot read {path}: {exc.strerror or exc}", "check the path")],
                            str(path)) from None
    except ValidationError as exc:
        problems = [Problem(json_path(tuple(e["loc"])), e["msg"], "give a solution JSON written by dcopt")
                    for e in exc.errors(include_url=False)]
        raise InstanceError(problems, str(path)) from None
