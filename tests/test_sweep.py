"""Sweeps and break-even searches (dcopt.studies.sweep, dcopt.studies.breakeven, dcopt.instance.paths, dcopt.studies.designs).

The backend-dependent tests run on the local process pool and on a Dask
LocalCluster alike (the `backend` fixture)."""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import REPO
from tiny import tiny

import dcopt
from dcopt.cli.main import main as cli_main
from dcopt.instance.io import load_instance
from dcopt.instance.paths import SweepInputError, apply, base_value, instance_document, parse_param
from dcopt.model.items import SPEC5_ITEMS as COST_ITEMS
from dcopt.studies.breakeven import breakeven
from dcopt.studies.designs import parse_vary, points
from dcopt.studies.results import ResultsFileLocked, ResultsLock, read_results
from dcopt.studies.sweep import PointRunner, prepare_sweep, sweep

QUICKSTART = REPO / "instances" / "quickstart.json"
EXACT = {"mip_gap": 1e-9}
"""Solve to optimality, so that any two runs agree on the TCO whatever their warm starts."""


def two_cooling_instance() -> dict:
    """tiny() with 1 MW blocks, 100 units of demand and a liquid cooling type `dlc` that
    costs 1500 USD/kW more than air and has a PUE 0.4 lower."""
    inst = tiny(site={"block_mw": 1.0, "max_facility_mw": 10}, demand={"training": {"2026": 800}})
    inst["catalog"]["cooling"].append(
        {"name": "dlc", "liquid": True, "max_rack_kw": 40, "capex_usd_per_kw": 2000, "pue": 1.1})
    return inst


TINY_VARY = ["sites[name=s1].electricity_usd_per_mwh=60:180:5", "demand.training=1,1.5"]


# --------------------------------------------------------------------------- backends


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    cluster = distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(params=["local", "dask"])
def backend(request) -> dict:
    """Keyword arguments of `sweep` that choose where the points run."""
    if request.param == "dask":
        return {"dask": request.getfixturevalue("dask_client")}
    return {"jobs": 2}


# --------------------------------------------------------------------------- parameter paths


def test_paths_set_scale_and_shift():
    doc = instance_document(load_instance(two_cooling_instance()))
    d = copy.deepcopy(doc)
    apply(d, parse_param("sites[name=s1].electricity_usd_per_mwh"), 80)
    apply(d, parse_param("catalog.gpus[name=g1].price_usd_per_gpu*"), 0.7)
    apply(d, parse_param("catalog.cooling[*].capex_usd_per_kw+"), 100)
    apply(d, parse_param("finance.discount_rate"), 0.05)
    apply(d, parse_param("demand.training"), 1.5)  # demand paths are scale factors
    apply(d, parse_param("sites[name=s1].max_blocks"), 4)  # null before: set
    assert d["sites"][0]["electricity_usd_per_mwh"] == 80
    assert d["catalog"]["gpus"][0]["price_usd_per_gpu"] == pytest.approx(7000)
    assert [c["capex_usd_per_kw"] for c in d["catalog"]["cooling"]] == [600, 2100]
    assert d["finance"]["discount_rate"] == 0.05
    assert d["demand"]["training"] == {"2026": 1200}
    assert d["sites"][0]["max_blocks"] == 4 and isinstance(d["sites"][0]["max_blocks"], int)
    load_instance(d)  # still valid


def test_paths_on_year_maps_and_shipped_catalog():
    doc = instance_document(load_instance(QUICKSTART))  # "catalog": "default" is inlined
    d = copy.deepcopy(doc)
    apply(d, parse_param("demand.inference[region=us]"), 2)
    apply(d, parse_param("demand.training[2027]"), 100)  # one number: set
    apply(d, parse_param("catalog.gpus[name=B200].price_usd_per_gpu*"), 0.5)
    assert d["demand"]["inference"][0]["perf"] == {"2026": 2000, "2027": 5000, "2028": 9000}
    assert d["demand"]["training"] == {"2026": 3000, "2027": 100, "2028": 6000}
    b200 = next(g for g in d["catalog"]["gpus"] if g["name"] == "B200")
    old = next(g for g in doc["catalog"]["gpus"] if g["name"] == "B200")
    assert b200["price_usd_per_gpu"] == pytest.approx(0.5 * old["price_usd_per_gpu"])
    year_map = {"sites": [{"electricity_usd_per_mwh": {"2026": 50.0, "2027": 60.0}}]}
    apply(year_map, parse_param("sites[0].electricity_usd_per_mwh+"), 10)
    assert year_map["sites"][0]["electricity_usd_per_mwh"] == {"2026": 60.0, "2027": 70.0}
    apply(year_map, parse_param("sites[0].electricity_usd_per_mwh"), 99)
    assert year_map["sites"][0]["electricity_usd_per_mwh"] == {"2026": 99.0, "2027": 99.0}


def test_base_values():
    doc = instance_document(load_instance(QUICKSTART))
    assert base_value(doc, parse_param("finance.discount_rate")) == 0.1
    assert base_value(doc, parse_param("demand")) == 1.0
    assert base_value(doc, parse_param("sites[*].electricity_usd_per_mwh+")) == 0.0
    assert math.isnan(base_value(doc, parse_param("sites[*].electricity_usd_per_mwh")))  # 66 and 75


@pytest.mark.parametrize("text, words", [
    ("sites[name=va-1].electricity_usd_per_mwh", ["no element of sites has name = 'va-1'", "tx-abilene"]),
    ("sites[name=tx-abilene].electricity_usd_pr_mwh", ["no field", "electricity_usd_per_mwh"]),
    ("catalog.gpus[name=B300].price_usd_per_gpu", ["no element of catalog.gpus", "B200"]),
    ("sites[name=tx-abilene].name", ["not a number"]),
    ("finance", ["not a number"]),
    ("sites[name=tx-abilene.block_mw", ["unclosed"]),
    ("finance.annual_capex_budget_usd*", ["not set (null)"]),
])
def test_path_errors_name_the_parameter(text, words):
    doc = instance_document(load_instance(QUICKSTART))
    with pytest.raises(SweepInputError) as err:
        apply(copy.deepcopy(doc), parse_param(text), 1.0)
    assert err.value.problems[0].path == text  # the parameter as written
    for w in words:
        assert w in str(err.value)


# --------------------------------------------------------------------------- designs


def test_grid_oat_and_mc_points():
    doc = instance_document(load_instance(QUICKSTART))
    grid = points("grid", parse_vary(["finance.discount_rate=0.05:0.15:3", "demand=1,2"]), doc)
    assert [tuple(p.values.values()) for p in grid] == [
        (0.05, 1), (0.05, 2), (0.1, 1), (0.1, 2), (0.15, 1), (0.15, 2)]
    oat = points("oat", parse_vary(["finance.discount_rate=0.05:0.15", "demand=0.8,1,1.3"]), doc)
    assert [(p.oat_param, p.oat_level) for p in oat] == [
        ("", "base"), ("finance.discount_rate", "low"), ("finance.discount_rate", "high"),
        ("demand", "low"), ("demand", "high")]
    assert oat[0].values == {"finance.discount_rate": 0.1, "demand": 1.0}
    assert oat[4].values == {"finance.discount_rate": 0.1, "demand": 1.3}
    vary = parse_vary({"finance.discount_rate": "normal:0.08:0.01", "demand": (0.5, 1.5)})
    a = points("mc", vary, doc, samples=8, seed=3, sampling="lhs")
    assert a == points("mc", vary, doc, samples=8, seed=3, sampling="lhs")  # seeded
    assert a != points("mc", vary, doc, samples=8, seed=4, sampling="lhs")
    strata = sorted(int((p.values["demand"] - 0.5) * 8) for p in a)
    assert strata == list(range(8))  # a Latin hypercube: one sample per eighth of the range


@pytest.mark.parametrize("design, text, words", [
    ("grid", "finance.discount_rate=0.05:0.1", ["LOW:HIGH:N"]),
    ("oat", "finance.discount_rate=1,2,3,4", ["LOW,BASE,HIGH"]),
    ("mc", "finance.discount_rate=normal:0.1", ["normal:MEAN:SD"]),
    ("grid", "finance.discount_rate=a:b:3", ["not a number"]),
    ("grid", "finance.discount_rate 0.1", ["no '='"]),
])
def test_bad_values_are_input_errors(design, text, words):
    with pytest.raises(SweepInputError) as err:
        prepare_sweep(QUICKSTART, [text], design=design)
    for w in words:
        assert w in str(err.value)


def test_values_outside_a_field_range_are_input_errors():
    with pytest.raises(SweepInputError, match=r"finance.discount_rate.*value -2 .*must be >= -0.1 and <= 1"):
        prepare_sweep(QUICKSTART, ["finance.discount_rate=-2:0.1:3"])


# --------------------------------------------------------------------------- sweeps


@pytest.fixture(scope="module")
def quickstart_fresh() -> list[float]:
    """TCOs of 5 separate solves of quickstart, Texas electricity 40..120 USD/MWh."""
    out = []
    for price in np.linspace(40, 120, 5):
        data = json.loads(QUICKSTART.read_text())
        data["sites"][0]["electricity_usd_per_mwh"] = float(price)
        out.append(dcopt.solve(load_instance(data, base_dir=QUICKSTART.parent), threads=1, **EXACT).tco_usd)
    return out


def test_grid_gives_the_tcos_of_separate_solves(quickstart_fresh, backend):
    df = sweep(QUICKSTART, ["sites[name=tx-abilene].electricity_usd_per_mwh=40:120:5"], **EXACT, **backend)
    assert list(df["point"]) == [0, 1, 2, 3, 4]
    assert list(df["param:sites[name=tx-abilene].electricity_usd_per_mwh"]) == [40, 60, 80, 100, 120]
    assert (df["status"] == "optimal").all()
    assert list(df["tco_usd"]) == pytest.approx(quickstart_fresh, rel=1e-9)


def test_table_columns_and_decisions():
    df = sweep(two_cooling_instance(), TINY_VARY, **EXACT)
    key = "sites[name=s1].electricity_usd_per_mwh"
    assert list(df.columns) == [
        "point", f"param:{key}", "param:demand.training", "design", "oat_param", "oat_level",
        "status", "has_plan", "message", "tco_usd", "mip_gap", "solve_seconds",
        *(f"cost:{i}" for i in COST_ITEMS), "sites_opened",
        "it_mw_by_cooling:air", "it_mw_by_cooling:dlc", "it_mw_by_rack_kw:20", "gpus_by_fabric:eth",
        "gpus_bought:g1"]
    assert len(df) == 10 and (df["design"] == "grid").all()
    assert df[[f"cost:{i}" for i in COST_ITEMS]].sum(axis=1).to_numpy() == pytest.approx(df["tco_usd"])
    assert (df["sites_opened"] == "s1").all()
    assert list(df["gpus_bought:g1"]) == [800, 1200] * 5
    assert (df["it_mw_by_rack_kw:20"] == df["it_mw_by_cooling:air"] + df["it_mw_by_cooling:dlc"]).all()
    # cheap power: air (higher PUE, cheaper plant); dear power: liquid (see the break-even test)
    cheap = df[df[f"param:{key}"] == 60]
    dear = df[df[f"param:{key}"] == 180]
    assert (cheap["it_mw_by_cooling:air"] > 0).all() and (dear["it_mw_by_cooling:dlc"] > 0).all()


def test_each_worker_builds_once_and_updates_in_place():
    setup, plan = prepare_sweep(two_cooling_instance(), TINY_VARY, **EXACT)
    runner = PointRunner(setup)
    rows = [runner.run(p) for p in plan]
    assert all(r["status"] == "optimal" for r in rows)
    assert runner.resolver.builds == 1 and runner.resolver.updates == len(plan) - 1


def test_failed_points_are_recorded_and_the_sweep_goes_on(backend, tmp_path):
    out = tmp_path / "results.csv"
    # 100x the demand needs 80 MW of IT at a 10 MW grid limit: infeasible
    df = sweep(two_cooling_instance(), ["demand=1,100,1.5"], output=out, **EXACT, **backend)
    assert list(df["status"]) == ["optimal", "infeasible", "optimal"]
    assert list(df["has_plan"]) == [True, False, True]
    assert "infeasible" in df.loc[1, "message"] and math.isnan(df.loc[1, "tco_usd"])
    again = read_results(out)
    assert list(again["status"]) == ["optimal", "infeasible", "optimal"]
    pd.testing.assert_frame_equal(again, df)


def test_invalid_sampled_values_are_recorded():
    # a wide normal draws discount rates outside their range [-0.1, 1] for some points: those
    # rows are "invalid"
    df = sweep(two_cooling_instance(), ["finance.discount_rate=normal:0:1"], design="mc", samples=6,
               seed=1, **EXACT)
    rates = df["param:finance.discount_rate"]
    outside = ~rates.between(-0.1, 1)
    assert (df.loc[outside, "status"] == "invalid").all() and outside.any() and (~outside).any()
    assert (df.loc[~outside, "status"] == "optimal").all()
    assert df.loc[outside, "message"].str.contains("finance.discount_rate").all()


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    """The results without what differs between runs of the same points (times, gaps)."""
    return df.drop(columns=["solve_seconds", "mip_gap"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_resume_after_a_crash_gives_the_results_of_an_uninterrupted_run(backend, tmp_path, suffix):
    pytest.importorskip("pyarrow") if suffix == ".parquet" else None
    full = sweep(two_cooling_instance(), TINY_VARY, **EXACT)
    out = tmp_path / f"results{suffix}"
    journal = out if suffix == ".csv" else tmp_path / f"results{suffix}.journal.csv"
    # what a crash leaves: points 3 and 0 appended as they finished, and a torn line
    header = ",".join(full.columns)
    lines = [full.iloc[[i]].to_csv(index=False, header=False).strip() for i in (3, 0)]
    journal.write_text("\n".join([header, *lines, lines[0][:25]]))
    resumed = sweep(two_cooling_instance(), TINY_VARY, output=out, resume=True, **EXACT, **backend)
    pd.testing.assert_frame_equal(_comparable(resumed), _comparable(full), rtol=1e-9)
    pd.testing.assert_frame_equal(read_results(out), resumed)
    assert not journal.exists() or suffix == ".csv"


def test_resume_refuses_another_sweep(tmp_path):
    out = tmp_path / "results.csv"
    sweep(two_cooling_instance(), ["demand=1,1.5"], output=out, **EXACT)
    with pytest.raises(SweepInputError, match="already exists"):
        sweep(two_cooling_instance(), ["demand=1,1.5"], output=out, **EXACT)
    with pytest.raises(SweepInputError, match="other parameter values"):
        sweep(two_cooling_instance(), ["demand=1,2"], output=out, resume=True, **EXACT)
    with pytest.raises(SweepInputError, match="columns differ"):
        sweep(two_cooling_instance(), ["finance.discount_rate=0.1,0.2"], output=out, resume=True)
    df = sweep(two_cooling_instance(), ["demand=1,2"], output=out, overwrite=True, **EXACT)
    assert list(df["param:demand"]) == [1, 2]


def test_killed_sweep_resumed_from_the_cli_matches_an_uninterrupted_run(tmp_path):
    vary = ["sites[name=tx-abilene].electricity_usd_per_mwh=50:110:3"]
    full = sweep(QUICKSTART, vary, **EXACT)
    out = tmp_path / "results.csv"
    cmd = [sys.executable, "-c", "from dcopt.cli.main import run; run()", "sweep", str(QUICKSTART),
           "--vary", vary[0], "--jobs", "1", "--mip-gap", "1e-9", "--no-progress", "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) >= 2:  # header and one point
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_with = len(out.read_text().splitlines()) - 1
    assert 1 <= killed_with < 3  # killed mid-way
    done = subprocess.run([*cmd, "--resume"], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(_comparable(read_results(out)), _comparable(full), rtol=1e-9)


# --------------------------------------------------------------------------- killed sweeps: no workers left


POLL_S = 0.1
"""Polls below sleep this long between looks; each wait is a number of polls, generous
for a loaded machine, and ends as soon as its condition holds."""


def _alive(pid: int) -> bool:
    """Process `pid` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        import psutil
    except ImportError:  # psutil comes with the dask extra; without it, /proc (Linux)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False


def _children(pid: int) -> list[int]:
    """Pids of the live child processes of `pid`."""
    try:
        import psutil
    except ImportError:
        kids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                kids.append(int(stat.parent.name))
        return kids
    try:
        return [c.pid for c in psutil.Process(pid).children() if _alive(c.pid)]
    except psutil.NoSuchProcess:
        return []


def _poll(condition, polls: int) -> bool:
    """Look up to `polls` times, POLL_S apart; True as soon as `condition()` holds."""
    for _ in range(polls):
        if condition():
            return True
        time.sleep(POLL_S)
    return bool(condition())


def _kill_all(pids) -> None:
    """Clean-up after a failed test: the processes it started, by pid."""
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from dcopt.cli.main import run; run()", *args]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_sweep_leaves_no_worker_processes(tmp_path):
    """SIGKILL of `dcopt sweep --jobs 2` mid-sweep: its worker processes end too (they used
    to go on solving, and then wait for work forever)."""
    out = tmp_path / "results.csv"
    proc = subprocess.Popen(_cli("sweep", str(QUICKSTART), "--vary",
                                 "sites[name=tx-abilene].electricity_usd_per_mwh=40:120:1000",
                                 "--jobs", "2", "--no-progress", "-o", str(out)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        def working() -> bool:  # both workers started, and at least one point finished
            workers[:] = _children(proc.pid)
            return len(workers) >= 2 and out.exists() and len(out.read_text().splitlines()) >= 2

        assert _poll(working, polls=1200), f"the sweep did not get going: children {workers}"
        assert proc.poll() is None, "the sweep ended before it was killed"
        workers = _children(proc.pid)  # the workers (and multiprocessing's resource tracker)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        gone = _poll(lambda: not any(_alive(w) for w in workers), polls=600)
        assert gone, f"worker processes still running after the sweep was killed: " \
                     f"{[w for w in workers if _alive(w)]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill_all(workers)


MIDDLE = """
import multiprocessing, os, sys, time
from pathlib import Path
from dcopt.studies import parent_watch

def worker(parent_pid, mode, ready):
    if mode == "watchdog":
        parent_watch.die_with_parent(parent_pid, kernel=False)  # the portable fallback alone
    else:
        assert parent_watch.set_parent_death_signal()  # the Linux kernel alone
    Path(ready).write_text(str(os.getpid()))
    time.sleep(600)

if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(
        target=worker, args=(os.getpid(), sys.argv[1], sys.argv[2]))
    child.start()
    child.join()
"""


@pytest.mark.parametrize("mode", [
    "watchdog",
    pytest.param("kernel", marks=pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                    reason="PR_SET_PDEATHSIG is Linux only")),
])
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_each_way_of_dying_with_the_parent_works_alone(tmp_path, mode):
    """A spawned worker with only the watchdog thread, or only the kernel's parent-death
    signal, ends when its parent is killed."""
    script = tmp_path / "middle.py"
    script.write_text(MIDDLE)
    ready = tmp_path / "ready"
    parent = subprocess.Popen([sys.executable, str(script), mode, str(ready)], cwd=tmp_path)
    worker = None
    try:
        assert _poll(lambda: ready.exists() and ready.read_text() != "", polls=1200), "no worker"
        worker = int(ready.read_text())
        assert _alive(worker) and parent.poll() is None
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _poll(lambda: not _alive(worker), polls=600), f"worker {worker} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        _kill_all([worker] if worker else [])


# --------------------------------------------------------------------------- one run per results file


def test_a_sweep_on_a_locked_results_file_exits_2_naming_it(tmp_path):
    """While another run holds the results file's lock, `dcopt sweep --resume` (or a fresh
    run, or --overwrite) on it stops before solving anything: exit 2, naming the file."""
    path = _write(tmp_path, two_cooling_instance())
    out = tmp_path / "r.csv"
    sweep(two_cooling_instance(), ["demand=1,1.5"], output=out, **EXACT)  # a finished sweep
    before = out.read_bytes()
    holder = ResultsLock(out)
    holder.acquire()  # another run, as far as the lock can tell (a separate open file)
    try:
        for extra in (["--resume"], ["--overwrite"], []):
            result = CliRunner().invoke(cli_main, ["sweep", str(path), "--vary", "demand=1,1.5",
                                                   "--jobs", "1", "--no-progress", "-o", str(out), *extra])
            assert result.exit_code == 2, result.output
            assert f"{out} is locked: another dcopt run (pid {os.getpid()}) holds it" in result.output
            assert "Traceback" not in result.output
        with pytest.raises(ResultsFileLocked, match="another dcopt run"):
            sweep(two_cooling_instance(), ["demand=1,1.5"], output=out, resume=True, **EXACT)
    finally:
        holder.release()
    assert out.read_bytes() == before  # untouched
    resumed = CliRunner().invoke(cli_main, ["sweep", str(path), "--vary", "demand=1,1.5", "--jobs", "1",
                                            "--no-progress", "--resume", "-o", str(out)])
    assert resumed.exit_code == 0, resumed.output  # the lock is free again
    assert not (tmp_path / "r.csv.lock").exists()  # and its file is removed when released


def test_two_sweeps_on_one_results_file(tmp_path):
    """A second `dcopt sweep --resume` while the first still runs is refused (exit 2) and
    solves nothing; once the first is killed, its stale lock file does not block a resume."""
    out = tmp_path / "results.csv"
    args = ["sweep", str(QUICKSTART), "--vary", "sites[name=tx-abilene].electricity_usd_per_mwh=40:120:1000",
            "--jobs", "1", "--no-progress", "-o", str(out)]
    first = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second = None
    try:
        assert _poll(lambda: out.exists() and len(out.read_text().splitlines()) >= 2, polls=1200)
        second = subprocess.Popen(_cli(*args, "--resume"), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        stopped = _poll(lambda: second.poll() is not None, polls=1200)
        assert stopped, "the second sweep did not stop: it is solving the same points again"
        assert first.poll() is None, "the first sweep ended before the second started"
        err = second.stderr.read()
        assert second.returncode == 2, err
        assert f"{out} is locked: another dcopt run (pid {first.pid}) holds it" in err
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        if second is not None:
            second.stderr.close()
    assert (tmp_path / "results.csv.lock").exists()  # left by the killed run, but not locked
    lock = ResultsLock(out)
    lock.acquire()
    lock.release()


# --------------------------------------------------------------------------- break-even


def test_breakeven_finds_the_hand_computed_electricity_price():
    # dlc's extra block capex, net of its salvage after one year (life 10, r 0.1), equals the
    # energy it saves: 1 MW * 1000 * 1500 USD/kW * (1 - 0.9 / 1.1)
    #   = 8.76 * load 0.8 * dPUE 0.4 * (100 units * 8 GPUs * 1.01 kW) * price
    price = 1.0 * 1000 * 1500 * (1 - 0.9 / 1.1) / (8.76 * 0.8 * 0.4 * 100 * 8 * 1.01)
    tol = 0.01
    be = breakeven(two_cooling_instance(), "sites[name=s1].electricity_usd_per_mwh=50:200", "liquid:s1",
                   tol=tol, **EXACT)
    assert be.found and (be.below, be.above) == ("no liquid", "liquid")
    assert be.low <= price <= be.high and be.high - be.low <= tol
    assert abs(be.value - price) <= tol
    assert be.builds == 1 and be.solves == len(be.trace)
    assert be.tco_above_usd == pytest.approx(be.tco_below_usd, rel=1e-4)  # equal at the break-even


def test_breakeven_without_a_change_says_so():
    be = breakeven(two_cooling_instance(), "sites[name=s1].electricity_usd_per_mwh=10:50", "cooling:s1")
    assert not be.found and be.below == be.above == "air" and be.solves == 2


def test_breakeven_rejects_unknown_decisions():
    with pytest.raises(SweepInputError, match="no site named 'nowhere'"):
        breakeven(two_cooling_instance(), "finance.discount_rate=0:0.2", "liquid:nowhere")
    with pytest.raises(SweepInputError, match="unknown decision"):
        breakeven(two_cooling_instance(), "finance.discount_rate=0:0.2", "colour")


# --------------------------------------------------------------------------- command line


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data))
    return path


def test_cli_sweep_writes_the_table_and_exits_0(tmp_path):
    path = _write(tmp_path, two_cooling_instance())
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(cli_main, ["sweep", str(path), "--vary", "demand=1,1.5", "--jobs", "1",
                                           "--no-progress", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 points: 2 optimal" in result.output
    assert list(pd.read_csv(out)["param:demand"]) == [1, 1.5]


def test_cli_sweep_exits_1_when_a_point_has_no_plan(tmp_path):
    path = _write(tmp_path, two_cooling_instance())
    result = CliRunner().invoke(cli_main, ["sweep", str(path), "--vary", "demand=1,100", "--jobs", "1",
                                           "--no-progress"])
    assert result.exit_code == 1
    assert "1 infeasible, 1 optimal" in result.output


@pytest.mark.parametrize("args, words", [
    (["--vary", "sites[name=nowhere].block_mw=1,2"], ["sites[name=nowhere].block_mw", "s1"]),
    (["--vary", "finance.discount_rate=-3,0.1"], ["finance.discount_rate", "must be >= -0.1 and <= 1"]),
    (["--vary", "demand=1,2", "--resume"], ["--resume needs -o"]),
])
def test_cli_sweep_invalid_input_exits_2_naming_it(tmp_path, args, words):
    path = _write(tmp_path, two_cooling_instance())
    result = CliRunner().invoke(cli_main, ["sweep", str(path), *args, "--jobs", "1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output


def test_cli_breakeven(tmp_path):
    path = _write(tmp_path, two_cooling_instance())
    out = tmp_path / "trace.csv"
    result = CliRunner().invoke(cli_main, [
        "breakeven", str(path), "--vary", "sites[name=s1].electricity_usd_per_mwh=50:200",
        "--watch", "liquid:s1", "--tol", "1", "--mip-gap", "1e-9", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "liquid:s1 changes between" in result.output
    trace = pd.read_csv(out)
    assert set(trace["decision"]) == {"liquid", "no liquid"} and (trace["design"] == "breakeven").all()
    bad = CliRunner().invoke(cli_main, ["breakeven", str(path), "--vary", "finance.discount_rate=0:0.1",
                                        "--watch", "gpu:h100"])
    assert bad.exit_code == 2 and "no GPU model named 'h100'" in bad.output



@pytest.mark.filterwarnings("error::UserWarning")  # e.g. matplotlib's collapsed layout: a chart unreadable
def test_cli_sweep_then_report(tmp_path):
    """A real one-at-a-time sweep written by `dcopt sweep`, read by `dcopt report`."""
    path = _write(tmp_path, two_cooling_instance())
    out = tmp_path / "oat.csv"
    swept = CliRunner().invoke(cli_main, [
        "sweep", str(path), "--design", "oat", "--vary", "sites[name=s1].electricity_usd_per_mwh=60:180",
        "--vary", "demand=0.8:1.2", "--jobs", "1", "--no-progress", "-o", str(out)])
    assert swept.exit_code == 0, swept.output
    html_path = tmp_path / "oat.html"
    reported = CliRunner().invoke(cli_main, ["report", str(out), "-o", str(html_path)])
    assert reported.exit_code == 0, reported.output
    text = html_path.read_text(encoding="utf-8")
    assert 'id="tornado"' in text and "demand" in text and "electricity_usd_per_mwh" in text
    # the tornado's bars are the table's TCO differences: the dearer demand point costs more
    df = read_results(out)
    high = df[(df["oat_param"] == "demand") & (df["oat_level"] == "high")]["tco_usd"].item()
    base = df[df["oat_level"] == "base"]["tco_usd"].item()
    assert high > base


@pytest.mark.filterwarnings("error::UserWarning")
def test_grid_report_of_two_parameters_lays_out(tmp_path):
    """Long point labels (two parameters) and one site: the sites chart still has room."""
    df = sweep(two_cooling_instance(), ["sites[name=s1].electricity_usd_per_mwh=40:120:3",
                                        "catalog.gpus[name=g1].price_usd_per_gpu*=0.7,1.0"], output=tmp_path / "g.csv")
    assert (df["status"] == "optimal").all()
    reported = CliRunner().invoke(cli_main, ["report", str(tmp_path / "g.csv"), "-o", str(tmp_path / "g.html")])
    assert reported.exit_code == 0, reported.output
    assert 'id="sites-grid"' in (tmp_path / "g.html").read_text(encoding="utf-8")
