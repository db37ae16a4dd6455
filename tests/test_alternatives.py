"""Near-optimal alternatives (`dcopt alternatives`, `dcopt.studies.alternatives`).

Known answers: two tiny instances (tests/tiny.py) whose second-best design is
worked out by hand (see each test), so that `alternatives` must find it, at
its hand-computed TCO, within the slack. Every alternative is checked as the
issue asks: TCO within the slack, passes the independent check, differs from
the optimum in at least one discrete decision. Then the method's machinery:
in-place re-solves, directions, the local pool and Dask giving the results of
one process, the results file and --resume, the CLI and the page.

Notation as tests/test_cost_items.py: d(y) = 1.1 ** -(y - 2026), res(a, L) = 1 - a / L.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner
from tiny import tiny

import dcopt
from dcopt.cli.main import main
from dcopt.instance.errors import InstanceError
from dcopt.model.data import prepare_cases
from dcopt.model.features import plan_features
from dcopt.model.planmap import values_from_plan
from dcopt.plan.check import check_solution
from dcopt.studies.alternatives import alternatives, describe, read_alternatives

GAP = 1e-9  # exact optima on these tiny instances

# tests/tiny.py base numbers, spelled out as tests/test_cost_items.py does
UNIT_CAPEX = 8 * (10_000 + 5 * 400)  # 96_000 per unit of 8 GPUs
BLOCK_CAPEX = 0.1 * (8e6 + 1000 * 500 + 1000 / 20 * 50_000)  # 1_100_000
OPENING, FABRIC_FIXED = 1_000_000, 100_000
MWH = 8.76 * 0.8 * 1.5 * 16 * (1.0 + 0.01)  # 16 GPUs at 1.01 kW, load factor 0.8, PUE 1.5, one year


def d(year: int) -> float:
    return 1.1 ** -(year - 2026)


def res(age: float, life: float) -> float:
    return max(0.0, 1 - age / life)


def tco(electricity_usd_per_mwh: float, gpu_price: float = 10_000) -> float:
    """One year, one site: opening, fabric, one block, two units (16 GPUs) resold in 2027."""
    units = 2 * 8 * (gpu_price + 5 * 400)
    return (OPENING + FABRIC_FIXED + BLOCK_CAPEX + units + MWH * electricity_usd_per_mwh
            - units * res(1, 4) * d(2027) - (OPENING + FABRIC_FIXED + BLOCK_CAPEX) * res(1, 10) * d(2027))


def two_sites(price_s2: float = 103) -> dict:
    """tiny() with a second site s2, the same but for its electricity price."""
    inst = tiny()
    s2 = copy.deepcopy(inst["sites"][0])
    s2.update(name="s2", electricity_usd_per_mwh=price_s2)
    inst["sites"].append(s2)
    return inst


def with_g2(inst: dict, price: float = 10_500) -> dict:
    """A second GPU model g2, as g1 but for its price."""
    inst["catalog"]["gpus"].append({**inst["catalog"]["gpus"][0], "name": "g2", "price_usd_per_gpu": price})
    return inst


def assert_alternatives_valid(inst: dict, result, slack: float) -> None:
    """The acceptance of the issue, for every alternative found."""
    instance = dcopt.load_instance(inst)
    t = result.table
    optimum = t[t["alternative"] == 0].iloc[0]
    opt_design = set(optimum["features"].split(";"))
    for _, row in result.found().iterrows():
        assert row["tco_usd"] <= (1 + slack) * optimum["tco_usd"] * (1 + 1e-12), row["alternative"]
        assert row["tco_gap"] == pytest.approx(row["tco_usd"] / optimum["tco_usd"] - 1, rel=1e-9)
        assert set(row["features"].split(";")) != opt_design, row["alternative"]
        assert row["mip_gap"] <= 1e-6  # the distance objective's own gap, not the TCO against its bound
        solution = result.solutions[int(row["alternative"])]
        report = check_solution(instance, solution)
        assert report.ok, report.text()
        # the design in the row is the solution's own
        cases = prepare_cases(instance)
        assert plan_features(cases, [values_from_plan(cases[0], solution.plan())]) == set(
            row["features"].split(";"))


# --------------------------------------------------------------------------- known answers


def test_finds_the_second_best_site_at_its_hand_computed_tco(tmp_path):
    """s1 and s2 differ only in electricity (100 and 103 USD/MWh): the optimum opens s1, and the
    only other design within 1 % opens s2 instead, for 3 USD/MWh more: TCO + 3 * MWH (opening
    both sites costs 1 M$ more, far above 1 % of ~0.48 M$)."""
    inst = two_sites()
    result = alternatives(inst, slack=0.01, count=2, mip_gap=GAP)
    t = result.table
    assert list(t["alternative"]) == [0, 1, 2]
    optimum, second, third = (t.iloc[i] for i in range(3))
    assert optimum["tco_usd"] == pytest.approx(tco(100), rel=1e-9)
    assert optimum["features"] == "cooling:s1:air;density:s1:20;fabric:s1:eth;gpu:g1;site:s1"
    assert second["status"] == "optimal" and second["has_plan"]
    assert second["features"] == "cooling:s2:air;density:s2:20;fabric:s2:eth;gpu:g1;site:s2"
    assert second["tco_usd"] == pytest.approx(tco(103), rel=1e-9)
    assert second["tco_usd"] - optimum["tco_usd"] == pytest.approx(3 * MWH, rel=1e-6)
    assert second["difference"].startswith("opens s2 instead of s1")
    assert second["difference"].endswith("% TCO")
    # no third design within the slack: said so, not made up
    assert third["status"] == "infeasible" and not third["has_plan"]
    assert "no other design within 1 %" in third["message"]
    assert_alternatives_valid(inst, result, 0.01)
    # `dcopt check` on the alternative as a file: consistent; with its electricity misreported, not
    (tmp_path / "inst.json").write_text(json.dumps(inst), encoding="utf-8")
    alt = result.solutions[1]
    (tmp_path / "alt.json").write_text(alt.model_dump_json(), encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", str(tmp_path / "inst.json"), str(tmp_path / "alt.json")])
    assert checked.exit_code == 0, checked.output
    wrong = alt.model_copy(update={"costs_npv_usd": {**alt.costs_npv_usd, "energy": 100 * MWH}})
    (tmp_path / "wrong.json").write_text(wrong.model_dump_json(), encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", str(tmp_path / "inst.json"), str(tmp_path / "wrong.json")])
    assert checked.exit_code == 1 and "cost item energy" in checked.output


def test_finds_the_second_best_gpu_model_at_its_hand_computed_tco():
    """g2 costs 500 USD more per GPU than g1: the alternative buys 16 g2 instead of 16 g1, for
    16 * 500 more capex, of which res(1, 4) * d(2027) comes back as resale in 2027."""
    inst = with_g2(tiny())
    result = alternatives(inst, slack=0.01, count=1, mip_gap=GAP)
    alt = result.table.iloc[1]
    assert alt["features"] == "cooling:s1:air;density:s1:20;fabric:s1:eth;gpu:g2;site:s1"
    assert alt["tco_usd"] == pytest.approx(tco(100, gpu_price=10_500), rel=1e-9)
    assert alt["tco_usd"] - result.table.iloc[0]["tco_usd"] == pytest.approx(
        16 * 500 * (1 - res(1, 4) * d(2027)), rel=1e-6)
    assert alt["difference"].startswith("g2 instead of g1")
    assert_alternatives_valid(inst, result, 0.01)


def test_slack_too_small_for_any_other_design():
    """The second site costs 3 * MWH more, about 0.1 %: not within 0.05 %."""
    result = alternatives(two_sites(), slack=0.0005, count=3, mip_gap=GAP)
    t = result.table
    assert list(t["status"]) == ["optimal", "infeasible"]  # the chain ends at its first "infeasible"
    assert result.found().empty
    assert "0 alternative(s)" in result.text()


def test_each_alternative_differs_most_from_all_before_it():
    """Two sites and two GPU models (g1, g2, or one unit of each): six designs within 1 %. The
    first alternative drops the most of the optimum (both its site and its GPU model); each
    next one differs from all before it, so the six are distinct; a seventh does not exist."""
    inst = with_g2(two_sites())
    result = alternatives(inst, slack=0.01, count=6, mip_gap=GAP)
    found = result.found()
    designs = [frozenset(f.split(";")) for f in result.table["features"] if f]
    assert len(found) == 5 and len(set(designs)) == 6
    first = set(found.iloc[0]["features"].split(";"))
    assert {"site:s2", "gpu:g2"} <= first and not {"site:s1", "gpu:g1"} & first
    assert result.table.iloc[-1]["status"] == "infeasible"
    assert_alternatives_valid(inst, result, 0.01)


def test_directions_weigh_one_part_of_the_design():
    """Chain 1 weighs the sites only: the cheapest plan that avoids site s1 (s2 with g1; the
    all-groups chain 0 drops g1 too)."""
    inst = with_g2(two_sites())
    result = alternatives(inst, slack=0.01, count=2, directions=2, mip_gap=GAP)
    t = result.table.set_index("alternative")
    assert list(t["direction"]) == ["optimum", "all", "sites"]
    assert t.loc[2, "features"] == "cooling:s2:air;density:s2:20;fabric:s2:eth;gpu:g1;site:s2"
    assert t.loc[2, "tco_usd"] == pytest.approx(tco(103), rel=1e-9)
    assert_alternatives_valid(inst, result, 0.01)


# --------------------------------------------------------------------------- words


def test_describe_in_words():
    before = frozenset({"site:x", "cooling:x:dlc", "density:x:200", "fabric:x:ib", "gpu:A", "site:y",
                        "cooling:y:dlc", "density:y:200", "fabric:y:ib"})
    after = frozenset({"site:x", "cooling:x:air", "density:x:40", "fabric:x:ib", "gpu:B"})
    assert describe(before, after, 0.014) == ("no site y; air cooling instead of dlc at x; 40 kW racks instead "
                                               "of 200 kW at x; B instead of A; +1.4 % TCO")
    assert describe(frozenset({"site:x", "gpu:A"}), frozenset({"site:x", "site:z", "gpu:A", "gpu:C"}),
                    0.0002) == "also opens z; also buys C; +0.02 % TCO"
    cases = describe(frozenset({"hi/site:x", "hi/rental:r", "lo/site:x", "lo/onsite:x:gas"}),
                     frozenset({"hi/site:x", "lo/site:x"}))
    assert cases == "in case hi: no rental r; in case lo: no on-site gas at x"


# --------------------------------------------------------------------------- where it runs, what it keeps


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    cluster = distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


COMPARED = ["alternative", "chain", "step", "direction", "status", "features", "tco_usd", "same_as"]


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_local_pool_and_dask_give_the_results_of_one_process(backend, request):
    inst = with_g2(two_sites())
    inline = alternatives(inst, slack=0.01, count=5, directions=3, mip_gap=GAP)
    where = {"dask": request.getfixturevalue("dask_client")} if backend == "dask" else {"jobs": 2}
    other = alternatives(inst, slack=0.01, count=5, directions=3, mip_gap=GAP, **where)
    assert other.table[COMPARED].equals(inline.table[COMPARED])
    # chains are independent, so they may meet: the later one says whose design it repeats
    same = inline.table.dropna(subset=["same_as"])
    for _, row in same.iterrows():
        earlier = inline.table[inline.table["alternative"] == int(row["same_as"])].iloc[0]
        assert earlier["features"] == row["features"] and earlier["chain"] != row["chain"]
    assert_alternatives_valid(inst, other, 0.01)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_results_file_and_resume(tmp_path, suffix):
    """Each alternative goes to the file as it is found; --resume runs only what is missing and
    gives the table of an uninterrupted run."""
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
    inst = with_g2(two_sites())
    out = tmp_path / f"alternatives{suffix}"
    alternatives(inst, slack=0.01, count=1, mip_gap=GAP, output=out)
    assert list(read_alternatives(out)["alternative"]) == [0, 1]
    resumed = alternatives(inst, slack=0.01, count=3, mip_gap=GAP, output=out, resume=True)
    assert set(resumed.solutions) == {2, 3}  # 0 and 1 were read back, not solved again
    whole = alternatives(inst, slack=0.01, count=3, mip_gap=GAP)
    assert resumed.table[COMPARED].equals(whole.table[COMPARED])
    assert read_alternatives(out)[COMPARED].equals(whole.table[COMPARED])
    with pytest.raises(InstanceError, match="already exists"):
        alternatives(inst, slack=0.01, count=3, output=out)
    with pytest.raises(InstanceError, match="another run"):
        alternatives(inst, slack=0.02, count=3, output=out, resume=True)


def test_cli_alternatives_and_report(tmp_path):
    path = tmp_path / "two-sites.json"
    path.write_text(json.dumps(two_sites()), encoding="utf-8")
    out, page = tmp_path / "alt.csv", tmp_path / "alt.html"
    runner = CliRunner()
    result = runner.invoke(main, ["alternatives", str(path), "--slack", "0.01", "--count", "2", "--jobs", "1",
                                  "--mip-gap", "1e-9", "-o", str(out), "--report", str(page), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "alternative 1 (all): TCO" in result.output and "opens s2 instead of s1" in result.output
    assert "1 alternative(s) within 1 % of the optimal TCO" in result.output
    assert len(read_alternatives(out)) == 3
    html = page.read_text(encoding="utf-8")
    assert "Designs side by side" in html and "site s2 opened" in html
    again = runner.invoke(main, ["report", str(out), "-o", str(tmp_path / "again.html")])
    assert again.exit_code == 0, again.output
    assert "Near-optimal alternatives" in (tmp_path / "again.html").read_text(encoding="utf-8")
    bad = runner.invoke(main, ["alternatives", str(path), "--resume"])
    assert bad.exit_code == 2 and "--resume needs -o" in bad.output
