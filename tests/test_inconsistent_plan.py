"""A plan that fails the independent check (issue 9): never reported as optimal, never an
internal error (exit 3). The solution says the solver returned an inconsistent plan and why,
has no plan to use (exit 1), and keeps the plan for inspection."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import REPO

import dcopt.pipeline.solve as pipeline
from dcopt import solve
from dcopt.cli.main import main
from dcopt.plan.check import CheckReport, Violation

QUICKSTART = REPO / "instances" / "quickstart.json"


def _failing_check(monkeypatch):
    def check(inst, solution):
        return CheckReport(violations=[Violation("grid", "tx-abilene, 2027", "facility 31.2 MW above 30 MW", 1.2)])

    monkeypatch.setattr(pipeline, "check_solution", check)


def test_inconsistent_plan_is_an_error_with_the_plan_kept(monkeypatch):
    _failing_check(monkeypatch)
    s = solve(QUICKSTART, mip_gap=0.05)
    assert s.status == "error" and not s.has_plan
    assert "inconsistent plan" in s.message and "grid [tx-abilene, 2027]: facility 31.2 MW above 30 MW" in s.message
    assert "optimal" not in s.message
    assert s.purchases and s.sites and s.tco_usd  # kept for inspection


def test_inconsistent_plan_exits_1_and_writes_the_file(monkeypatch, tmp_path):
    _failing_check(monkeypatch)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["solve", str(QUICKSTART), "--mip-gap", "0.05", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "inconsistent plan" in result.output
    data = json.loads(out.read_text())
    assert data["status"] == "error" and data["has_plan"] is False and data["purchases"]
