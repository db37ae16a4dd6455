"""Sweep speed: N points through one `dcopt sweep` against N separate `dcopt solve` runs.

    python benchmarks/sweep_speed.py                        # 100 points of hyperscale-10site
    python benchmarks/sweep_speed.py --points 20            # a smaller measurement
    python benchmarks/sweep_speed.py --mip-gap 0.01 --time-limit 60 --jobs 2

The points are a grid of an electricity price shift at every site
(``sites[*].electricity_usd_per_mwh+=-20:20:A``) by a GPU price factor
(``catalog.gpus[*].price_usd_per_gpu*=0.8:1.2:B``), A x B = N. Both sides
use the same solve options (printed) and the same number of concurrent
processes (``--jobs``): the sweep's workers each build the model once and
then update it in place and re-solve warm-started from the previous plan;
the separate runs are fresh ``dcopt solve`` processes (Python start,
instance load, model build, hand-off to HiGHS, cold solve), each on the
instance of one point written to a JSON file. Wall-clock times include
everything both ways; so do the CPU seconds (of the child processes), which
other load on the machine disturbs much less than wall-clock time. The TCOs of the two are compared too: each is within
the MIP gap of the optimum, so they differ by at most about twice the gap.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from dcopt.instance.io import load_instance
from dcopt.instance.paths import instance_document
from dcopt.studies.sweep import prepare_sweep

REPO = Path(__file__).resolve().parent.parent


def grid_shape(points: int) -> tuple[int, int]:
    """A x B = points with A the largest divisor not above sqrt(points)."""
    a = max(d for d in range(1, math.isqrt(points) + 1) if points % d == 0)
    return a, points // a


def dcopt_command() -> list[str]:
    """The `dcopt` command of this Python (works without the console script on PATH)."""
    return [sys.executable, "-c", "import sys; from dcopt.cli.main import main; sys.argv[0] = 'dcopt'; main()"]


def solve_options(args: argparse.Namespace) -> list[str]:
    out = ["--threads", str(args.threads)]
    if args.mip_gap is not None:
        out += ["--mip-gap", str(args.mip_gap)]
    if args.time_limit is not None:
        out += ["--time-limit", str(args.time_limit)]
    return out


def child_cpu_seconds() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_sweep(args: argparse.Namespace, vary: list[str], folder: Path
              ) -> tuple[float, float, pd.DataFrame]:
    out = folder / "sweep.csv"
    cmd = [*dcopt_command(), "sweep", str(args.instance), *(a for v in vary for a in ("--vary", v)),
           "--jobs", str(args.jobs), "--no-progress", "-o", str(out), *solve_options(args)]
    print("sweep:    dcopt", " ".join(cmd[3:]), flush=True)
    t0, c0 = time.perf_counter(), child_cpu_seconds()
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some point without a plan, still a result
        sys.exit(f"dcopt sweep failed (exit {done.returncode}):\n{done.stderr}")
    return time.perf_counter() - t0, child_cpu_seconds() - c0, pd.read_csv(out)


def run_separate(args: argparse.Namespace, vary: list[str], folder: Path
                 ) -> tuple[float, float, list[float]]:
    """Write each point's instance, then time `dcopt solve` on each (args.jobs at a time)."""
    setup, plan = prepare_sweep(args.instance, vary)
    files = []
    for p in plan:
        path = folder / f"point-{p.index:04d}.json"
        path.write_text(json.dumps(instance_document(setup.instance_at(p.values))))
        files.append(path)
    print("separate: dcopt", " ".join(["solve", "point-NNNN.json", *solve_options(args)]),
          f"x {len(files)}", flush=True)

    def solve(path: Path) -> float:
        out = path.with_suffix(".solution.json")
        subprocess.run([*dcopt_command(), "solve", str(path), "-q", "-o", str(out), *solve_options(args)],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return json.loads(out.read_text()).get("tco_usd") or math.nan

    t0, c0 = time.perf_counter(), child_cpu_seconds()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        tcos = list(pool.map(solve, files))
    return time.perf_counter() - t0, child_cpu_seconds() - c0, tcos


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", type=Path, default=REPO / "instances" / "hyperscale-10site.json")
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--mip-gap", type=float, default=0.02,
                    help="MIP gap of every solve (default 0.02: a full hyperscale solve at the "
                         "default 1e-4 takes minutes)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="Time limit of every solve, seconds")
    ap.add_argument("--threads", type=int, default=1, help="HiGHS threads per process")
    ap.add_argument("--jobs", type=int, default=1, help="Concurrent processes, both ways")
    ap.add_argument("--sweep-only", action="store_true", help="Time the sweep side only")
    args = ap.parse_args()
    load_instance(args.instance)  # fail early on a bad instance
    a, b = grid_shape(args.points)
    vary = [f"sites[*].electricity_usd_per_mwh+=-20:20:{a}", f"catalog.gpus[*].price_usd_per_gpu*=0.8:1.2:{b}"]
    print(f"{args.points} points of {args.instance.name}: mip_gap {args.mip_gap:g}, time limit "
          f"{args.time_limit:g} s, {args.threads} HiGHS thread(s), {args.jobs} process(es) at a time; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t_sweep, cpu_sweep, df = run_sweep(args, vary, folder)
        print(f"  dcopt sweep:          {t_sweep:8.1f} s wall, {cpu_sweep:8.1f} s CPU "
              f"({t_sweep / args.points:.2f} s/point; statuses {df['status'].value_counts().to_dict()})",
              flush=True)
        if args.sweep_only:
            return
        t_separate, cpu_separate, tcos = run_separate(args, vary, folder)
        print(f"  separate dcopt solve: {t_separate:8.1f} s wall, {cpu_separate:8.1f} s CPU "
              f"({t_separate / args.points:.2f} s/point)")
    diff = max(abs(x - y) / y for x, y in zip(df["tco_usd"], tcos) if not math.isnan(x + y))
    print(f"  speed-up: {t_separate / t_sweep:.1f}x wall-clock, {cpu_separate / cpu_sweep:.1f}x CPU "
          f"(largest relative TCO difference {diff:.2e})")


if __name__ == "__main__":
    main()
