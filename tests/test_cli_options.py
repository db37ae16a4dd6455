"""Bad option values are usage errors (issue 9): exit 2 naming the option, no traceback, never
"internal error" (exit 3) from deep inside a solve. Every option of every command."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import REPO, small_instance

from dcopt.cli.common import FiniteFloat
from dcopt.cli.main import main

QUICKSTART = REPO / "instances" / "quickstart.json"
PLAN = REPO / "instances" / "quickstart-plan.json"


@pytest.fixture
def inst(tmp_path) -> Path:
    file = tmp_path / "inst.json"
    file.write_text(json.dumps(small_instance()))
    return file


def invoke(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_usage_error(result, option: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert option in result.output, result.output


SOLVE_LIKE = [
    ("--time-limit", "-5"), ("--time-limit", "0"), ("--time-limit", "nan"), ("--time-limit", "inf"),
    ("--time-limit", "ten"), ("--mip-gap", "-1"), ("--mip-gap", "nan"), ("--threads", "0"),
    ("--threads", "-2"), ("--threads", "100000"), ("--threads", "1.5"), ("--seed", "-1"),
    ("--seed", str(2**31)),
]


@pytest.mark.parametrize(("option", "value"), SOLVE_LIKE + [
    ("--allow-unmet", "-1"), ("--allow-unmet", "nan"), ("--allow-unmet", "1e308"),
])
def test_solve_option_values(inst, option, value):
    assert_usage_error(invoke(["solve", inst, option, value]), option)


@pytest.mark.parametrize(("option", "value"), SOLVE_LIKE)
def test_evaluate_compare_option_values(option, value):
    assert_usage_error(invoke(["evaluate", QUICKSTART, PLAN, "--compare", option, value]), option)


@pytest.mark.parametrize(("option", "value"), [
    ("--time-limit", "-5"), ("--time-limit", "nan"), ("--mip-gap", "-1"), ("--mip-gap", "inf"),
    ("--threads", "0"), ("--threads", "5000"), ("--samples", "0"), ("--samples", "10000000000"),
    ("--seed", "-1"), ("--jobs", "0"), ("--jobs", "1000000"),
])
def test_sweep_option_values(inst, option, value):
    result = invoke(["sweep", inst, "--vary", "demand=0.5:1.5", "--design", "mc", "--jobs", "1",
                     option, value])
    assert_usage_error(result, option)


@pytest.mark.parametrize(("option", "value"), [
    ("--tol", "-1"), ("--tol", "nan"), ("--max-solves", "1"), ("--time-limit", "nan"), ("--threads", "0"),
])
def test_breakeven_option_values(inst, option, value):
    result = invoke(["breakeven", inst, "--vary", "demand=1:2", "--watch", "gpus", option, value])
    assert_usage_error(result, option)


@pytest.mark.parametrize("vary", ["demand=1:2:100000000000", "demand=1:2:" + "9" * 5000])
def test_sweep_with_absurdly_many_values_is_invalid_input(inst, vary):
    result = invoke(["sweep", inst, "--vary", vary, "--jobs", "1"])
    assert_usage_error(result, "N must be a whole number from 1 to 1,000,000")


def test_sweep_grid_with_absurdly_many_points_is_invalid_input(inst):
    result = invoke(["sweep", inst, "--vary", "demand=1:2:2000", "--vary", "finance.discount_rate=0:0.1:1000",
                     "--jobs", "1"])
    assert_usage_error(result, "more than 1,000,000")


def test_sweep_with_an_unreachable_dask_scheduler_is_invalid_input(inst, monkeypatch):
    distributed = pytest.importorskip("distributed")

    class Refusing(distributed.Client):
        def __init__(self, address, *args, **kwargs):  # what Client does after its 30 s timeout
            raise OSError(f"Timed out trying to connect to {address} after 30 s")

    monkeypatch.setattr(distributed, "Client", Refusing)
    result = invoke(["sweep", inst, "--vary", "demand=1,2", "--dask", "tcp://nowhere:8786"])
    assert_usage_error(result, "cannot connect to a Dask scheduler")


# --------------------------------------------------------------------------- files dcopt writes


@pytest.mark.parametrize("option", ["-o", "--csv", "--report"])
def test_solve_output_that_cannot_be_written_fails_before_solving(inst, option):
    result = invoke(["solve", inst, option, f"{inst}/under-a-file/out"])  # a folder inside a file
    assert_usage_error(result, option)
    assert "cannot create the folder" in result.output
    assert "optimal" not in result.output  # nothing was solved


@pytest.mark.parametrize(("command", "option"), [
    (["export"], "--mps"), (["export"], "--lp"), (["evaluate", QUICKSTART, PLAN], "-o"),
    (["sweep", None, "--vary", "demand=1,2"], "-o"), (["breakeven", None, "--vary", "demand=1:2", "--watch", "gpus"], "-o"),
])
def test_other_outputs_that_cannot_be_written(inst, command, option):
    args = [inst if a is None else a for a in command]
    if args[0] == "export":
        args = ["export", inst]
    result = invoke([*args, option, f"{inst}/under-a-file/out"])
    assert_usage_error(result, option)


def test_missing_output_folders_are_created(inst, tmp_path):
    out = tmp_path / "new" / "folder" / "solution.json"
    result = invoke(["solve", inst, "-o", out, "--mip-gap", "1e-3"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["has_plan"] is True


# --------------------------------------------------------------------------- files dcopt reads


@pytest.mark.parametrize("content", [b"\xff\xfe\x00", b"[" * 100_000, b"{}", b"not json"])
def test_unreadable_solution_files_are_invalid_input(inst, tmp_path, content):
    bad = tmp_path / "solution.json"
    bad.write_bytes(content)
    for args in (["check", inst, bad], ["report", bad]):
        result = invoke(args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output


# --------------------------------------------------------------------------- every option is bounded


def _commands(group: click.Group):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command)
        else:
            yield name, command


def test_every_numeric_option_of_every_command_is_bounded():
    """A float option must reject nan and inf (FiniteFloat) and an int option have a range, so
    that a bad value is a usage error; add new options with such a type."""
    unbounded = []
    for name, command in _commands(main):
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag:
                continue
            t = param.type
            if isinstance(t, click.types.FloatParamType) and not isinstance(t, FiniteFloat):
                unbounded.append(f"{name} {param.opts[0]}")
            if isinstance(t, click.types.IntParamType) and not isinstance(t, click.IntRange):
                unbounded.append(f"{name} {param.opts[0]}")
    assert not unbounded
