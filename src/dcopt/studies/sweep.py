"""Sensitivity sweeps: solve many variants of one instance and tabulate them.

    import dcopt
    df = dcopt.sweep("instances/quickstart.json",
                     vary=["sites[name=tx-abilene].electricity_usd_per_mwh=40:120:5",
                           "catalog.gpus[name=B200].price_usd_per_gpu*=0.7,1.0"],
                     design="grid", jobs=2, output="results.csv")

Parameters are paths into the instance (`dcopt.params`), their values come
from a design (grid, one at a time, Monte Carlo: `dcopt.designs`). Each
worker (the calling process with ``jobs=1``, else a local process per job,
or the workers of a Dask cluster) owns one `dcopt.pipeline.solve.Pipeline`: it
builds the model at its first point and, for the next points that only
change numbers, updates the model in place and re-solves warm-started from
the previous plan. Workers receive the instance once and then only the
parameter values of each point.

Results table (a contract: reports read these columns), one row per point,
in point order whatever the number of workers:

==============================  ==========================================================
column                          meaning
==============================  ==========================================================
``point``                       0-based point number
``param:<key>``                 value used for each varied parameter; ``<key>`` is the
                                path, with ``*`` (scale factor) or ``+`` (shift) appended
                                for those operators; NaN where the instance is as given
                                with no single number to show (oat base of a year map)
``design``                      grid, oat or mc (breakeven for a break-even trace)
``oat_param``, ``oat_level``    one at a time: the parameter varied ("" for the base
                                point) and low, base or high; "" for other designs
``status``                      optimal, time_limit, interrupted, infeasible, error
                                (the solve failed), invalid (the values make the
                                instance invalid)
``has_plan``                    a plan was found (the numbers below are filled)
``message``                     the solve's one-line message (why it failed)
``tco_usd``, ``mip_gap``        TCO (NPV, USD) and the plan's relative gap to the bound
``solve_seconds``               wall-clock seconds of the point in its worker (instance
                                update, model update or build, solve, extraction)
``cost:<item>``                 NPV USD of each cost item the instance reports (`dcopt.model.items`)
``sites_opened``                ';'-joined names of the sites open at the end of the horizon
``it_mw_by_cooling:<cooling>``  built IT MW at end_year per cooling type (existing incl.)
``it_mw_by_rack_kw:<rack_kw>``  built IT MW at end_year per rack density
``gpus_by_fabric:<fabric>``     GPUs bought over the horizon per fabric
``gpus_bought:<gpu>``           GPUs bought over the horizon per GPU model
==============================  ==========================================================

Nothing is lost: with an ``output`` file each finished point is appended to
it at once (see `dcopt.sweep_results`), ``resume=True`` skips the points
already there, and a point that fails is recorded with its status and
message while the sweep goes on. Nothing is done twice: one sweep at a time
holds the results file's lock. Nothing stays behind: local workers end when
the sweep process ends, even when it is killed (`parent_watch`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..instance.errors import InstanceError, Problem
from ..instance.io import load_instance
from ..instance.paths import Param, SweepInputError, apply, check_applicable, instance_document
from ..instance.schema import Instance
from ..pipeline.solve import Pipeline
from ..solver.highs import SolveOptions
from ..status import Status
from .designs import Point, Vary, parse_vary, points
from .parent_watch import die_with_parent
from .results import (
    ResultsFile,
    columns,
    complete,
    failure_fields,
    point_fields,
    solution_fields,
    table,
)

if TYPE_CHECKING:
    import pandas as pd  # imported where used: `import dcopt` stays light

InstanceSource = Instance | str | Path | dict[str, Any]


class SweepAborted(RuntimeError):
    """The sweep could not go on (a worker process died); finished points are saved."""


@dataclass(frozen=True)
class SweepSetup:
    """What every worker needs: the instance (a plain dict), the parameters, the options."""

    document: dict[str, Any]
    params: tuple[Param, ...]
    options: SolveOptions

    def instance_at(self, values: Mapping[str, float]) -> Instance:
        """The instance with each parameter at its value (NaN: as given); raises `InstanceError`."""
        doc = copy.deepcopy(self.document)
        for param in self.params:
            value = values.get(param.key, math.nan)
            if not math.isnan(value):
                apply(doc, param, value)
        return load_instance(doc)


class PointRunner:
    """Solves points with one `Pipeline` (one per worker): the model is built once and
    updated in place for points that only change numbers."""

    def __init__(self, setup: SweepSetup) -> None:
        self.setup = setup
        self.resolver = Pipeline(setup.options)

    def run(self, point: Point) -> dict[str, Any]:
        """The results row of `point` (every failure becomes a row, never an exception)."""
        t0 = time.perf_counter()
        fields = point_fields(point.index, point.values, point.design, point.oat_param, point.oat_level)
        try:
            inst = self.setup.instance_at(point.values)
        except InstanceError as exc:
            return {**fields, **failure_fields(Status.invalid, _problems_text(exc), time.perf_counter() - t0)}
        try:
            solution = self.resolver.solve(inst)
        except Exception as exc:  # noqa: BLE001 - recorded in the row; the sweep goes on
            self.resolver = Pipeline(self.setup.options)  # start afresh after a failure
            return {**fields, **failure_fields(Status.error, f"{type(exc).__name__}: {exc}",
                                               time.perf_counter() - t0)}
        return {**fields, **solution_fields(inst, solution, time.perf_counter() - t0)}


def _problems_text(exc: InstanceError) -> str:
    return "invalid values: " + "; ".join(f"{p.path}: {p.message}" for p in exc.problems)


# --------------------------------------------------------------------------- the API


def sweep(
    instance: InstanceSource,
    vary: Sequence[str] | Mapping[str, Any] | str,
    *,
    design: str = "grid",
    samples: int | None = None,
    seed: int = 0,
    sampling: str = "random",
    jobs: int = 1,
    dask: Any = None,
    output: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    options: SolveOptions | None = None,
    progress: bool = False,
    base_dir: str | Path | None = None,
    **option_values: Any,
) -> pd.DataFrame:
    """Solve every point of a design and return the results table (one row per point).

    `instance`: an `Instance`, a path to an instance JSON file or a parsed dict
    (a relative catalog path then resolves against `base_dir`). `vary`:
    ``["PATH=VALUES", ...]`` as on the command line, or ``{"PATH": values}``
    (``"PATH*"`` scales, ``"PATH+"`` shifts); see `dcopt.params` and
    `dcopt.designs`. `design`: grid, oat or mc (`samples` points, default 100,
    drawn with `seed`, `sampling` random or lhs).

    `jobs`: 1 solves in this process; more runs that many local worker
    processes (a script doing so needs the ``if __name__ == "__main__":`` guard).
    `dask`: a Dask scheduler address or a `distributed.Client`; the points then
    run on that cluster. `output`: a ``.csv``, ``.parquet`` or ``.xlsx`` file that each
    finished point is appended to; `resume` skips the points it already holds,
    `overwrite` starts it afresh (without either, an existing file is an error).
    While the sweep runs it holds a lock beside that file (``<output>.lock``):
    a second sweep on the same file raises `ResultsFileLocked`.

    Options: a `SolveOptions` or its fields as keywords; sweeps default to
    ``threads=1`` per worker and no infeasibility diagnosis (``diagnose=True``
    puts it in the message). Raises `InstanceError` (`SweepInputError`) for an
    invalid instance, parameter or results file.
    """
    setup, plan = prepare_sweep(instance, vary, design=design, samples=samples, seed=seed,
                                sampling=sampling, options=options, base_dir=base_dir, **option_values)
    cols = columns([p.key for p in setup.params], load_instance(setup.document))
    if output is None:
        return table(_execute(setup, plan, cols, None, jobs=jobs, dask=dask, progress=progress), cols)
    results = ResultsFile(Path(output), cols)
    with results.lock.held():  # one run per results file (raises ResultsFileLocked)
        done = _start_results(results, plan, resume, overwrite)
        finished = {r["point"] for r in done}
        pending = [p for p in plan if p.index not in finished]
        rows = done + _execute(setup, pending, cols, results, jobs=jobs, dask=dask, progress=progress)
        df = table(rows, cols)
        results.finish(df)
    return df


def prepare_sweep(instance: InstanceSource, vary: Sequence[str] | Mapping[str, Any] | str, *,
                  design: str = "grid", samples: int | None = None, seed: int = 0,
                  sampling: str = "random", options: SolveOptions | None = None,
                  base_dir: str | Path | None = None, **option_values: Any
                  ) -> tuple[SweepSetup, list[Point]]:
    """Validate everything before any solve: the instance, the parameters and their values."""
    inst = instance if isinstance(instance, Instance) else load_instance(instance, base_dir)
    document = instance_document(inst)
    varies = parse_vary(vary)
    for v in varies:
        check_applicable(document, v.param)
    plan = points(design, varies, document, samples=samples, seed=seed, sampling=sampling)
    setup = SweepSetup(document, tuple(v.param for v in varies), sweep_options(options, **option_values))
    if design in ("grid", "oat"):
        _check_values(setup, varies, plan)
    return setup, plan


def sweep_options(options: SolveOptions | None = None, **option_values: Any) -> SolveOptions:
    """Solve options for sweep points: one HiGHS thread and no diagnosis unless asked."""
    base = options if options is not None else SolveOptions(threads=1, diagnose=False)
    return base.model_copy(update=option_values) if option_values else base


def _check_values(setup: SweepSetup, varies: list[Vary], plan: list[Point]) -> None:
    """Each parameter's smallest and largest value, alone, must give a valid instance."""
    for v in varies:
        used = sorted({p.values[v.key] for p in plan if not math.isnan(p.values[v.key])})
        for value in {used[0], used[-1]} if used else set():
            try:
                setup.instance_at({v.key: value})
            except InstanceError as exc:
                raise SweepInputError([
                    Problem(v.key, f"value {value:g} makes the instance invalid ({p.path}: {p.message})",
                            "choose values inside the field's range") for p in exc.problems]) from None


def _start_results(results: ResultsFile, plan: list[Point], resume: bool,
                   overwrite: bool) -> list[dict[str, Any]]:
    """Rows already in the results file (when resuming), and the file opened for appending."""
    if results.exists() and not (resume or overwrite):
        raise SweepInputError([Problem(str(results.path), "already exists",
                                       "add --resume (resume=True) to continue that sweep, or --overwrite "
                                       "(overwrite=True) to start it afresh")])
    if overwrite and not resume:
        results.remove()
    done = results.read() if resume else []
    done = _matching_rows(done, plan, results.path)
    results.open(resume=resume)
    return done


def _matching_rows(rows: list[dict[str, Any]], plan: list[Point], where: Path) -> list[dict[str, Any]]:
    """The recorded rows, one per point, after checking they are points of this sweep."""
    by_index: dict[int, dict[str, Any]] = {}
    for row in rows:
        i = row["point"]
        if i >= len(plan) or not _same_point(row, plan[i]):
            raise SweepInputError([Problem(
                str(where), f"point {i} there is not point {i} of this sweep (other parameter values)",
                "resume with the same --vary, --design, --samples and --seed, or write to another file")])
        by_index.setdefault(i, row)
    return list(by_index.values())


def _same_point(row: dict[str, Any], point: Point) -> bool:
    if row["design"] != point.design:
        return False
    for key, value in point.values.items():
        got = row.get(f"param:{key}", math.nan)
        if not (math.isnan(value) and math.isnan(got)) and not math.isclose(got, value, rel_tol=1e-12,
                                                                              abs_tol=1e-300):
            return False
    return True


# --------------------------------------------------------------------------- running the points


def _execute(setup: SweepSetup, pending: list[Point], cols: list[str], results: ResultsFile | None, *,
             jobs: int, dask: Any, progress: bool) -> list[dict[str, Any]]:
    """Run `pending` on the chosen backend, recording each row as it comes."""
    if not pending:
        if results is not None:
            results.close()
        return []
    if dask is not None:
        stream = run_dask(setup, pending, dask)
    elif jobs > 1 and len(pending) > 1:
        stream = run_local(setup, pending, jobs)
    else:
        stream = run_inline(setup, pending)
    rows: list[dict[str, Any]] = []
    bar = _Progress(len(pending)) if progress else None
    try:
        for row in stream:
            if row["status"] == "interrupted":
                raise KeyboardInterrupt  # Ctrl-C stopped HiGHS in this process: not a result
            row = complete(row, cols)
            if results is not None:
                results.append(row)
            rows.append(row)
            if bar is not None:
                bar.update(row)
    finally:
        stream.close()
        if bar is not None:
            bar.close()
        if results is not None:
            results.close()
    return rows


def run_inline(setup: SweepSetup, pending: list[Point]) -> Iterator[dict[str, Any]]:
    """Solve the points one after another in this process."""
    runner = PointRunner(setup)
    for point in pending:
        yield runner.run(point)


_POOL_RUNNER: PointRunner | None = None


def _init_pool_worker(setup: SweepSetup, parent_pid: int) -> None:
    """Pool initializer: the worker dies with the sweep process (`die_with_parent`: a
    killed sweep leaves no workers behind), and has its Pipeline. Ctrl-C is the
    parent's to handle."""
    global _POOL_RUNNER
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _POOL_RUNNER = PointRunner(setup)


def _pool_point(point: Point) -> dict[str, Any]:
    assert _POOL_RUNNER is not None, "worker not initialised"
    return _POOL_RUNNER.run(point)


def run_local(setup: SweepSetup, pending: list[Point], jobs: int) -> Iterator[dict[str, Any]]:
    """Solve the points on `jobs` local worker processes; rows come as points finish."""
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context,
                                   initializer=_init_pool_worker, initargs=(setup, os.getpid()))
    clean = False
    try:
        futures = {executor.submit(_pool_point, p): p for p in pending}
        waiting = set(futures)
        while waiting:
            finished, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: futures[f].index):
                try:
                    yield future.result()
                except BrokenProcessPool:
                    raise SweepAborted("a sweep worker process died (out of memory or a crash in HiGHS?); "
                                       "the points finished so far are saved: rerun with --resume") from None
        clean = True
    finally:
        if not clean:
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()  # our own workers, stopped mid-solve
        executor.shutdown(wait=True, cancel_futures=True)


_DASK_RUNNERS: dict[tuple[str, int], PointRunner] = {}
_DASK_LOCK = threading.Lock()
"""One point at a time per process: Pyomo's persistent interface (the hand-off of small models
and of in-place updates, `solver.handoff`) redirects the process's output file descriptors,
which two threads must not do at once."""


def _dask_point(token: str, setup: SweepSetup, point: Point) -> dict[str, Any]:
    """A point on a Dask worker: one Pipeline per sweep and worker thread, kept between tasks."""
    key = (token, threading.get_ident())
    with _DASK_LOCK:
        runner = _DASK_RUNNERS.get(key)
        if runner is None:
            runner = _DASK_RUNNERS[key] = PointRunner(setup)
        return runner.run(point)


def dask_cleanup(client: Any, futures: dict, forget: Any, token: str, own: bool) -> None:
    """After a run on Dask (finished, failed or interrupted): cancel what is left, let each
    worker drop the run's state (`forget(token)`), and close the client if the run opened it."""
    if futures:
        client.cancel(list(futures))
    with contextlib.suppress(Exception):  # cleanup only; the workers may be gone
        client.run(forget, token)
    if own:
        client.close()


def _dask_forget(token: str) -> int:
    """Drop a finished sweep's Resolvers from a Dask worker."""
    with _DASK_LOCK:
        keys = [k for k in _DASK_RUNNERS if k[0] == token]
        for k in keys:
            del _DASK_RUNNERS[k]
    return len(keys)


def run_dask(setup: SweepSetup, pending: list[Point], dask: Any) -> Iterator[dict[str, Any]]:
    """Solve the points on a Dask distributed cluster (an address or a `Client`)."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise SweepInputError([Problem("--dask", "Dask is not installed",
                                       "pip install 'dcopt[dask]'")]) from None
    own = not isinstance(dask, Client)
    try:
        client = Client(dask) if own else dask
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepInputError([Problem("--dask", f"cannot connect to a Dask scheduler at {dask!r}: {exc}",
                                       "give the scheduler's address (e.g. tcp://host:8786) and check "
                                       "that it runs")]) from None
    token = uuid.uuid4().hex
    futures: dict[Any, Point] = {}
    try:
        shared = client.scatter(setup, broadcast=True, hash=False)
        for p in pending:
            future = client.submit(_dask_point, token, shared, p, key=f"dcopt-point-{token}-{p.index}",
                                   pure=False)
            futures[future] = p
        for future in as_completed(list(futures)):
            point = futures.pop(future)
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker: recorded, the sweep goes on
                row = {**point_fields(point.index, point.values, point.design, point.oat_param,
                                      point.oat_level),
                       **failure_fields(Status.error, f"Dask task failed: {type(exc).__name__}: {exc}", 0.0)}
            future.release()
            yield row
    finally:
        dask_cleanup(client, futures, _dask_forget, token, own)


class _Progress:
    """A progress bar on stderr: points done, failed, and the time left."""

    def __init__(self, total: int) -> None:
        import click

        self.failed = 0
        self._bar = click.progressbar(hidden=not sys.stderr.isatty(), length=total, label="sweep", show_eta=True, show_pos=True,
                                      item_show_func=self._show, file=sys.stderr)
        self._bar.__enter__()

    def _show(self, row: dict[str, Any] | None) -> str:
        return f"{self.failed} failed" if row is not None else ""

    def update(self, row: dict[str, Any]) -> None:
        self.failed += not row["has_plan"]
        self._bar.update(1, row)

    def close(self) -> None:
        self._bar.__exit__(None, None, None)


def default_jobs() -> int:
    """Local worker processes by default: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)

