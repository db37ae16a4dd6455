"""The TCO-emissions front (`dcopt pareto`, `dcopt.studies.pareto`) and the emissions cap
(`dcopt solve --max-emissions-t`, `dcopt.solve(..., max_emissions_t=...)`).

The instance: tests/tiny.py over 2026-2028 with demand 16, 32, 48 and two
sites, s1 cheap and dirty (100 USD/MWh, 400 kg/MWh), s2 dear and clean (130
USD/MWh, 50 kg/MWh), no opening or fabric fixed cost and small blocks, so
that each year's GPUs can go to either site: the front runs from everything
at s1 (the cheapest) to everything at s2 (the least emissions).
"""

from __future__ import annotations

import copy
import itertools
import json

import pytest
from click.testing import CliRunner
from tiny import tiny

import dcopt
from dcopt.cli.main import main
from dcopt.model.build import Goal
from dcopt.pipeline.solve import Pipeline, expected_emissions_t
from dcopt.plan.check import check_solution
from dcopt.solver.highs import SolveOptions
from dcopt.studies.pareto import pareto

GAP = 1e-9
MWH16 = 8.76 * 0.8 * 1.5 * 16 * (1.0 + 0.01)  # one year of 16 GPUs at 1.01 kW, load factor 0.8, PUE 1.5


def two_carbon_sites() -> dict:
    inst = tiny(years=(2026, 2028),
                site={"carbon_kg_per_mwh": 400, "site_fixed_capex_usd": 0, "block_mw": 0.02,
                      "shell_capex_usd_per_mw": 1e6},
                fabric={"site_fixed_capex_usd": 0},
                demand={"training": {"2026": 16, "2027": 32, "2028": 48}})
    s2 = copy.deepcopy(inst["sites"][0])
    s2.update(name="s2", electricity_usd_per_mwh=130, carbon_kg_per_mwh=50)
    inst["sites"].append(s2)
    return inst


def test_front_is_monotone_and_its_ends_are_the_cheapest_and_least_emission_plans():
    inst = dcopt.load_instance(two_carbon_sites())
    options = SolveOptions(mip_gap=GAP, diagnose=False)
    front = pareto(inst, points=5, options=options)
    pts = sorted(front.points, key=lambda p: p.emissions_t)
    assert len(pts) == 5
    for a, b in itertools.pairwise(pts):  # less emissions never costs less
        assert a.emissions_t <= b.emissions_t + 1e-9
        assert a.tco_usd >= b.tco_usd - 1e-6 * abs(b.tco_usd)
    cheapest = Pipeline(options).solve(inst)
    least = Pipeline(options, goal=Goal(minimize="emissions")).solve(inst)
    assert pts[-1].tco_usd == pytest.approx(cheapest.tco_usd, rel=1e-9)
    assert pts[-1].emissions_t == pytest.approx(expected_emissions_t(cheapest), rel=1e-9)
    assert pts[0].emissions_t == pytest.approx(expected_emissions_t(least), rel=1e-6)
    # the least-emission end is the cheapest plan among those emitting the least
    assert pts[0].tco_usd <= least.tco_usd * (1 + 1e-9)
    # by hand: the fleet follows demand (16, 32, 48 GPUs: 6 x MWH16), all at s1 or all at s2, the
    # same halls at either site, so the ends differ only in electricity (30 USD/MWh) and carbon
    assert pts[-1].emissions_t == pytest.approx(0.4 * 6 * MWH16, rel=1e-9)
    assert pts[0].emissions_t == pytest.approx(0.05 * 6 * MWH16, rel=1e-6)
    assert pts[0].tco_usd - pts[-1].tco_usd == pytest.approx(30 * MWH16 * (1 + 2 / 1.1 + 3 / 1.1**2), rel=1e-6)
    # a real front: the ends differ, and each cap is respected
    assert pts[0].emissions_t < pts[-1].emissions_t and pts[0].tco_usd > pts[-1].tco_usd
    for p in front.points:
        if p.cap_t is not None:
            assert p.emissions_t <= p.cap_t * (1 + 1e-9)
        assert check_solution(inst, p.solution).ok
    assert {p.solution.sites[0].open_year is not None for p in pts} == {True, False}  # all at s2 at one end


def test_max_emissions_cap_from_python():
    inst = two_carbon_sites()
    free = dcopt.solve(inst, mip_gap=GAP)
    cap = 0.5 * expected_emissions_t(free)
    capped = dcopt.solve(inst, mip_gap=GAP, max_emissions_t=cap)
    assert capped.status == "optimal"
    assert expected_emissions_t(capped) <= cap * (1 + 1e-9)
    assert capped.tco_usd > free.tco_usd
    # the same as the front's point at that cap
    point = Pipeline(SolveOptions(mip_gap=GAP), goal=Goal(max_emissions_t=cap)).solve(dcopt.load_instance(inst))
    assert capped.tco_usd == pytest.approx(point.tco_usd, rel=1e-9)


def test_max_emissions_cap_below_the_least_is_infeasible_and_says_why():
    inst = two_carbon_sites()
    least = Pipeline(SolveOptions(mip_gap=GAP), goal=Goal(minimize="emissions")).solve(dcopt.load_instance(inst))
    low = expected_emissions_t(least)
    solution = dcopt.solve(inst, mip_gap=GAP, max_emissions_t=0.5 * low)
    assert solution.status == "infeasible" and not solution.has_plan
    assert len(solution.diagnosis) == 1
    assert "least-emission plan emits" in solution.diagnosis[0]
    assert f"{low:,.6g}" in solution.diagnosis[0]


def test_cli_solve_max_emissions_and_pareto(tmp_path):
    path = tmp_path / "carbon.json"
    path.write_text(json.dumps(two_carbon_sites()), encoding="utf-8")
    runner = CliRunner()
    free = dcopt.solve(two_carbon_sites(), mip_gap=GAP)
    cap = 0.5 * expected_emissions_t(free)
    out = tmp_path / "capped.json"
    result = runner.invoke(main, ["solve", str(path), "--mip-gap", "1e-9", "--max-emissions-t", str(cap),
                                  "-o", str(out)])
    assert result.exit_code == 0, result.output
    solved = dcopt.Solution.model_validate_json(out.read_text(encoding="utf-8"))
    assert expected_emissions_t(solved) <= cap * (1 + 1e-9)
    none = runner.invoke(main, ["solve", str(path), "--max-emissions-t", "0"])
    assert none.exit_code == 1 and "least-emission plan emits" in none.output

    front_csv, page = tmp_path / "front.csv", tmp_path / "front.html"
    result = runner.invoke(main, ["pareto", str(path), "--points", "3", "--mip-gap", "1e-9", "-o", str(front_csv),
                                  "--report", str(page)])
    assert result.exit_code == 0, result.output
    assert "the least-emission plan emits" in result.output
    import pandas as pd

    df = pd.read_csv(front_csv)
    assert len(df) == 3 and {"max_emissions_t", "emissions_t", "tco_usd"} <= set(df.columns)
    html = page.read_text(encoding="utf-8")
    assert "TCO-emissions front" in html and "<svg" in html
    again = runner.invoke(main, ["report", str(front_csv), "-o", str(tmp_path / "again.html")])
    assert again.exit_code == 0, again.output
    assert "What cutting emissions costs" in (tmp_path / "again.html").read_text(encoding="utf-8")
