"""What every `dcopt` command shares: exit codes, and turning expected failures
into messages (no traceback unless --debug). Command modules import this,
never `dcopt.cli`, which imports them."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from ..instance.errors import InstanceError

EXIT_PLAN, EXIT_NO_PLAN, EXIT_INVALID, EXIT_BUG = 0, 1, 2, 3


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
    except ValidationError as exc:
        problems = [Problem(json_path(tuple(e["loc"])), e["msg"], "give a solution JSON written by dcopt")
                    for e in exc.errors(include_url=False)]
        raise InstanceError(problems, str(path)) from None
