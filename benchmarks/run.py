"""Benchmarks against the solver's own floor (run on demand, not in the tests).

    python benchmarks/run.py                  # the table and the scaling fit
    python benchmarks/run.py --write-docs     # also regenerate docs/performance.md
    python benchmarks/run.py --only hyperscale-10site --time-limit 60
    python benchmarks/run.py --write-docs --no-anytime   # keep the anytime table's section as is

`--write-docs` also runs benchmarks/anytime.py (time to the first plan and the
gap at 10 s, 30 s and 60 s of wall clock for every instance) for its table.

For every instance it prints the model size (columns, integers, rows,
nonzeros), dcopt's seconds to prepare the data, build the Pyomo model, hand
it to HiGHS, solve (all stages) and extract and check the plan, the gap it
reached, and the floor: HiGHS alone, in a fresh process, on the MPS file
`dcopt export` writes, with the same time limit, gap and thread count. The
ratio is dcopt's total over the floor's time; with a time limit both stop
there, so compare the gaps too.

The scaling part builds (no solve) scaled instances of 5 to 80 sites and 5
to 20 years and fits size and build time against sites x years on a log-log
scale: an exponent near 1 means linear.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import anytime  # noqa: E402
import scale  # noqa: E402

import dcopt  # noqa: E402
from dcopt.instance.io import load_instance  # noqa: E402
from dcopt.model import build_model, new_session  # noqa: E402
from dcopt.model.data import prepare  # noqa: E402
from dcopt.pipeline.solve import export_model  # noqa: E402

FLOOR_SCRIPT = """
import sys, time, highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.readModel(sys.argv[1])
limit, gap, threads = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
if limit > 0:
    h.setOptionValue("time_limit", limit)
h.setOptionValue("mip_rel_gap", gap)
h.setOptionValue("threads", threads)
t = time.perf_counter(); h.run(); seconds = time.perf_counter() - t
info = h.getInfo()
ok = info.primal_solution_status == 2
print(seconds, info.mip_gap if ok else float("inf"), h.modelStatusToString(h.getModelStatus()))
"""


def instances(only: list[str] | None) -> list[tuple[str, dict | Path]]:
    out: list[tuple[str, dict | Path]] = [
        ("hyperscale-10site", REPO / "instances" / "hyperscale-10site.json"),
        ("large-50site", REPO / "instances" / "large-50site.json"),
        ("scaled 10x10", scale.scaled(10, 10)),
        ("scaled 25x10", scale.scaled(25, 10)),
        ("scaled 50x15", scale.scaled(50, 15)),
    ]
    return [(n, s) for n, s in out if not only or n in only]


def run_one(name: str, source: dict | Path, time_limit: float, gap: float, threads: int,
            floor: bool) -> dict:
    inst = load_instance(source, base_dir=REPO / "instances") if isinstance(source, dict) else load_instance(source)
    t0 = time.perf_counter()
    sol = dcopt.solve(inst, time_limit_s=time_limit or None, mip_gap=gap, threads=threads)
    total = time.perf_counter() - t0
    t = sol.solver.timings
    row = {
        "instance": name, "columns": sol.solver.variables, "integers": sol.solver.integer_variables,
        "rows": sol.solver.constraints, "prepare_s": t.prepare_s, "build_s": t.build_s,
        "handoff_s": t.handoff_s, "solve_s": t.solve_s, "extract_s": total - t.prepare_s - t.build_s
        - t.handoff_s - t.solve_s, "total_s": total, "status": sol.status,
        "gap": sol.mip_gap, "tco_musd": None if sol.tco_usd is None else sol.tco_usd / 1e6,
    }
    if floor:
        with tempfile.TemporaryDirectory() as tmp:
            mps = Path(tmp) / "model.mps"
            export_model(inst, mps)
            out = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(mps), str(time_limit or 0), str(gap),
                                  str(threads)], capture_output=True, text=True, check=True).stdout.split()
        row.update(floor_s=float(out[0]), floor_gap=float(out[1]), floor_status=" ".join(out[2:]))
        row["ratio"] = total / row["floor_s"]
    return row


def scaling(sizes: list[tuple[int, int]]) -> tuple[list[dict], dict[str, float]]:
    rows = []
    for n_sites, n_years in sizes:
        inst = load_instance(scale.scaled(n_sites, n_years))
        t0 = time.perf_counter()
        d = prepare(inst)
        t1 = time.perf_counter()
        m = build_model(d)
        t2 = time.perf_counter()
        session = new_session(m)
        session.ensure_instance()
        t3 = time.perf_counter()
        h = session.highs
        rows.append({"sites": n_sites, "years": n_years, "columns": h.getNumCol(), "rows": h.getNumRow(),
                     "nonzeros": h.getNumNz(), "prepare_s": t1 - t0, "build_s": t2 - t1, "handoff_s": t3 - t2})
    x = np.log([r["sites"] * r["years"] for r in rows])
    fit = {}
    for key in ("columns", "rows", "nonzeros", "build_s", "handoff_s"):
        y = np.log([max(r[key], 1e-9) for r in rows])
        fit[key] = float(np.polyfit(x, y, 1)[0])
    return rows, fit


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def table(rows: list[dict], cols: list[tuple[str, str]]) -> str:
    head = "| " + " | ".join(title for _, title in cols) + " |"
    sep = "|" + "|".join("---" for _ in cols) + "|"
    body = []
    for r in rows:
        cells = []
        for key, _ in cols:
            v = r.get(key)
            if key in ("gap", "floor_gap") and v is not None:
                v = "-" if v == float("inf") else f"{100 * v:.2f} %"
            cells.append(_fmt(v))
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *body])


SOLVE_COLS = [("instance", "instance"), ("columns", "columns"), ("integers", "integers"), ("rows", "rows"),
              ("prepare_s", "prepare s"), ("build_s", "build s"), ("handoff_s", "hand-off s"),
              ("solve_s", "solve s"), ("extract_s", "extract+check s"), ("total_s", "total s"),
              ("gap", "gap"), ("floor_s", "floor s"), ("floor_gap", "floor gap"), ("ratio", "total / floor")]
SCALE_COLS = [("sites", "sites"), ("years", "years"), ("columns", "columns"), ("rows", "rows"),
              ("nonzeros", "nonzeros"), ("prepare_s", "prepare s"), ("build_s", "build s"),
              ("handoff_s", "hand-off s")]


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="dcopt benchmarks against HiGHS alone")
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--mip-gap", type=float, default=0.005)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    p.add_argument("--no-floor", action="store_true", help="skip HiGHS alone on the exported model")
    p.add_argument("--no-scaling", action="store_true")
    p.add_argument("--write-docs", action="store_true", help="regenerate docs/performance.md")
    p.add_argument("--no-anytime", action="store_true", help="skip benchmarks/anytime.py")
    a = p.parse_args(argv)

    rows = []
    for name, source in instances(a.only):
        row = run_one(name, source, a.time_limit, a.mip_gap, a.threads, not a.no_floor)
        rows.append(row)
        print(json.dumps(row), flush=True)
    solve_md = table(rows, SOLVE_COLS)
    print("\n" + solve_md)
    scale_md = fit_md = ""
    if not a.no_scaling:
        sizes = [(5, 10), (10, 10), (20, 10), (40, 10), (80, 10), (10, 5), (10, 15), (10, 20)]
        srows, fit = scaling(sizes)
        scale_md = table(srows, SCALE_COLS)
        fit_md = "\n".join(f"- {k}: exponent {v:.2f}" for k, v in fit.items())
        print("\n" + scale_md + "\n\nfitted exponent against sites x years (1 = linear):\n" + fit_md)
    anytime_md = load = ""
    if not a.no_anytime:
        load = f"{_load():.1f} at the start"
        anytime_rows = anytime.measure(a.only)
        anytime_md = anytime.table(anytime_rows)
        load += f", {_load():.1f} at the end"
        print("\n" + anytime_md)
    if a.write_docs:
        write_docs(a, solve_md, scale_md, fit_md, anytime_md, load)
    return 0


def _load() -> float:
    import os

    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def write_docs(a, solve_md: str, scale_md: str, fit_md: str, anytime_md: str = "", load: str = "") -> None:
    template = (REPO / "benchmarks" / "performance.md.in").read_text(encoding="utf-8")
    text = template.format(
        command="python benchmarks/run.py --write-docs"
        + (f" --time-limit {a.time_limit:g}" if a.time_limit != 120 else "")
        + (f" --mip-gap {a.mip_gap:g}" if a.mip_gap != 0.005 else ""),
        machine=f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}, "
                f"HiGHS {dcopt.solver.highs.highs_version()}, dcopt {dcopt.__version__}",
        date=time.strftime("%Y-%m-%d"), time_limit=f"{a.time_limit:g}", mip_gap=f"{100 * a.mip_gap:g} %",
        threads=a.threads, solve_table=solve_md, scale_table=scale_md or "(skipped)", fit=fit_md or "(skipped)",
        anytime_table=anytime_md or _kept_section(), anytime_load=load or "(as before)",
    )
    (REPO / "docs" / "performance.md").write_text(text, encoding="utf-8")
    print("wrote docs/performance.md")


def _kept_section() -> str:
    """The anytime table of the current docs/performance.md (for --no-anytime)."""
    text = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    if "## A plan early, at any time limit" not in text:
        return "(not measured)"
    table: list[str] = []
    for line in text.split("## A plan early, at any time limit", 1)[1].splitlines():
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return "\n".join(table) or "(not measured)"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
