"""Benchmarks against the solver's own floor (run on demand, not in the tests).

    python benchmarks/run.py                  # the table and the scaling fit
    python benchmarks/run.py --write-docs     # also regenerate docs/performance.md
    python benchmarks/run.py --only hyperscale-10site --time-limit 60
    python benchmarks/run.py --write-docs --no-anytime   # keep the anytime table's section as is
    python benchmarks/run.py --quick          # development: 20 s limit, smaller scaling, no anytime
    python benchmarks/run.py --only v2        # the SPEC 8 instances only (v1: the v1.1 ones)

`--write-docs` also runs benchmarks/anytime.py (time to the first plan and the
gap at 10 s, 30 s and 60 s of wall clock for every instance) for its table.

For every instance it prints the model size (columns, integers, rows,
nonzeros), dcopt's seconds to prepare the data, build the Pyomo model, hand
it to HiGHS, solve (all stages) and extract and check the plan, the gap it
reached, and the floor: HiGHS alone, in a fresh process, on the MPS file
`dcopt export` writes, with the same time limit, gap and thread count. The
ratio is dcopt's total over the floor's time; with a time limit both stop
there, so compare the gaps too. Each dcopt solve runs in a fresh process,
which reports its peak memory (max RSS) and, from the solve's progress
reports, the seconds to its first plan and to its first plan within 3 % of
the bound known then.

The scaling part builds (no solve) scaled instances, v1.1 ones of 5 to 80
sites and 5 to 20 years, and SPEC 8 ones (training jobs over DCI routes,
on-site power, grid upgrades, scenario cases), each in a fresh process, and
fits size, build and hand-off time against sites x years and against
sites x years x (jobs + 1) x cases on a log-log scale (least squares, also
one exponent per factor): an exponent near 1 means linear.
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


V2_SCALED = {"jobs": 2, "routes": True, "onsite": True}


def instances(only: list[str] | None) -> list[tuple[str, dict | Path]]:
    """(name, source) of every benchmark instance; `only` names instances, or "v1" / "v2"."""
    v1: list[tuple[str, dict | Path]] = [
        ("hyperscale-10site", REPO / "instances" / "hyperscale-10site.json"),
        ("large-50site", REPO / "instances" / "large-50site.json"),
        ("scaled 10x10", scale.scaled(10, 10)),
        ("scaled 25x10", scale.scaled(25, 10)),
        ("scaled 50x15", scale.scaled(50, 15)),
    ]
    v2: list[tuple[str, dict | Path]] = [
        ("frontier-multidc", REPO / "instances" / "frontier-multidc.json"),
        ("power-first", REPO / "instances" / "power-first.json"),
        ("enterprise-private-ai", REPO / "instances" / "enterprise-private-ai.json"),
        ("inference-boom-or-bust", REPO / "instances" / "inference-boom-or-bust.json"),
        ("scaled v2 10x10", scale.scaled(10, 10, **V2_SCALED)),
        ("scaled v2 10x5, 3 cases", scale.scaled(10, 5, **V2_SCALED, cases=3)),
    ]
    out = v1 + v2
    if only and "v1" in only:
        only = [*only, *(n for n, _ in v1)]
    if only and "v2" in only:
        only = [*only, *(n for n, _ in v2)]
    return [(n, s) for n, s in out if not only or n in only]


def _source_path(source: dict | Path, folder: Path) -> Path:
    if isinstance(source, Path):
        return source
    path = folder / "instance.json"
    path.write_text(json.dumps(source), encoding="utf-8")
    return path


PEAK_MB = """
def peak_mb():
    # VmHWM: this process's own peak RSS (ru_maxrss would keep the forking parent's across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

SOLVE_CHILD = PEAK_MB + """
import json, sys, time
import dcopt
from dcopt.instance.io import load_instance
path, limit, gap, threads = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
inst = load_instance(path)
plans = []
t0 = time.perf_counter()
sol = dcopt.solve(inst, time_limit_s=limit or None, mip_gap=gap, threads=threads,
                  on_plan=lambda p: plans.append((p.seconds, p.objective, p.bound)))
total = time.perf_counter() - t0
t = sol.solver.timings
within = [s for s, o, b in plans if b is not None and o - b <= 0.03 * abs(o)]
print(json.dumps({
    "columns": sol.solver.variables, "integers": sol.solver.integer_variables,
    "rows": sol.solver.constraints, "prepare_s": t.prepare_s, "build_s": t.build_s,
    "handoff_s": t.handoff_s, "solve_s": t.solve_s,
    "extract_s": total - t.prepare_s - t.build_s - t.handoff_s - t.solve_s, "total_s": total,
    "status": str(sol.status), "gap": sol.mip_gap, "tco_musd": None if sol.tco_usd is None else sol.tco_usd / 1e6,
    "first_plan_s": plans[0][0] if plans else None, "within3_s": within[0] if within else None,
    "peak_mb": peak_mb(),
    "stages": [(s.name, s.highs_status, round(s.seconds, 1)) for s in sol.solver.stages],
}))
"""


def _child_env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run_one(name: str, source: dict | Path, time_limit: float, gap: float, threads: int,
            floor: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = _source_path(source, Path(tmp))
        out = subprocess.run([sys.executable, "-c", SOLVE_CHILD, str(path), str(time_limit or 0), str(gap),
                              str(threads)], capture_output=True, text=True, check=True, cwd=path.parent,
                             env=_child_env()).stdout
        row = {"instance": name, **json.loads(out.strip().splitlines()[-1])}
        if floor:
            inst = load_instance(path)
            mps = Path(tmp) / "model.mps"
            export_model(inst, mps)
            out = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(mps), str(time_limit or 0), str(gap),
                                  str(threads)], capture_output=True, text=True, check=True).stdout.split()
            row.update(floor_s=float(out[0]), floor_gap=float(out[1]), floor_status=" ".join(out[2:]))
            row["ratio"] = row["total_s"] / row["floor_s"]
    return row


BUILD_CHILD = PEAK_MB + """
import json, sys, time
from dcopt.instance.io import load_instance
from dcopt.model import build_model, new_session
from dcopt.model.data import prepare_cases
inst = load_instance(sys.argv[1])
t0 = time.perf_counter()
d = prepare_cases(inst)
t1 = time.perf_counter()
m = build_model(d)
t2 = time.perf_counter()
session = new_session(m)
session.ensure_instance()
t3 = time.perf_counter()
h = session.highs
print(json.dumps({"columns": h.getNumCol(), "rows": h.getNumRow(), "nonzeros": h.getNumNz(),
                  "prepare_s": t1 - t0, "build_s": t2 - t1, "handoff_s": t3 - t2,
                  "peak_mb": peak_mb()}))
"""


def build_one(n_sites: int, n_years: int, jobs: int = 0, cases: int = 0, v2: bool = False) -> dict:
    data = scale.scaled(n_sites, n_years, **({"jobs": jobs, "routes": True, "onsite": True} if v2 else {}),
                        cases=cases)
    with tempfile.TemporaryDirectory() as tmp:
        path = _source_path(data, Path(tmp))
        proc = subprocess.run([sys.executable, "-c", BUILD_CHILD, str(path)], capture_output=True, text=True, check=False,
                              env=_child_env())
    row = {"sites": n_sites, "years": n_years, "jobs": jobs if v2 else "-", "cases": cases or 1}
    if proc.returncode != 0:  # reported, not fatal: the other sizes still count
        print(f"build of {row} failed:\n{proc.stderr[-2000:]}", file=sys.stderr, flush=True)
        return {**row, "failed": True}
    return {**row, **json.loads(proc.stdout.strip().splitlines()[-1])}


FIT_KEYS = ("columns", "rows", "nonzeros", "build_s", "handoff_s")


def scaling(sizes: list[tuple]) -> tuple[list[dict], dict[str, float]]:
    """Build rows for (sites, years[, jobs, cases]) of the v1.1 scaler, then the fit (sites x years)."""
    rows = [r for r in (build_one(*size) for size in sizes) if not r.get("failed")]
    return rows, _fit(rows, lambda r: [r["sites"] * r["years"]])


def scaling_v2(sizes: list[tuple[int, int, int, int]]) -> tuple[list[dict], dict[str, list[float]]]:
    rows = [r for r in (build_one(s, y, j, c, v2=True) for s, y, j, c in sizes) if not r.get("failed")]
    size = lambda r: r["sites"] * r["years"] * (r["jobs"] + 1) * r["cases"]
    product = _fit(rows, lambda r: [size(r)])
    per_factor = _fit(rows, lambda r: [r["sites"] * r["years"], r["jobs"] + 1, r["cases"]])
    return rows, {k: [product[k][0], *per_factor[k]] for k in FIT_KEYS}


def _fit(rows: list[dict], factors) -> dict[str, list[float]]:
    """Least-squares exponents of log(quantity) against the logs of `factors(row)` (and a constant)."""
    x = np.log(np.array([factors(r) for r in rows], dtype=float))
    x = np.column_stack([x, np.ones(len(rows))])
    fit = {}
    for key in FIT_KEYS:
        y = np.log([max(r[key], 1e-9) for r in rows])
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        fit[key] = [float(c) for c in coef[:-1]]
    return fit


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
              ("gap", "gap"), ("floor_s", "floor s"), ("floor_gap", "floor gap"), ("ratio", "total / floor"),
              ("first_plan_s", "first plan s"), ("within3_s", "within 3 % s"), ("peak_mb", "peak MB")]
SCALE_COLS = [("sites", "sites"), ("years", "years"), ("columns", "columns"), ("rows", "rows"),
              ("nonzeros", "nonzeros"), ("prepare_s", "prepare s"), ("build_s", "build s"),
              ("handoff_s", "hand-off s"), ("peak_mb", "peak MB")]
SCALE_V2_COLS = [SCALE_COLS[0], SCALE_COLS[1], ("jobs", "jobs"), ("cases", "cases"), *SCALE_COLS[2:]]
SIZES = [(5, 10), (10, 10), (20, 10), (40, 10), (80, 10), (10, 5), (10, 15), (10, 19)]
SIZES_V2 = [(5, 10, 2, 1), (10, 10, 2, 1), (20, 10, 2, 1), (40, 10, 2, 1), (10, 5, 2, 1), (10, 15, 2, 1),
            (10, 10, 1, 1), (10, 10, 4, 1), (10, 10, 2, 2), (10, 10, 2, 3), (50, 15, 2, 1), (50, 15, 2, 3)]
QUICK_SIZES = [(5, 10), (10, 10), (20, 10), (10, 5), (10, 19)]
QUICK_SIZES_V2 = [(5, 5, 2, 1), (10, 5, 2, 1), (20, 5, 2, 1), (10, 10, 2, 1), (10, 5, 1, 1), (10, 5, 4, 1),
                  (10, 5, 2, 3)]


def fit_lines(fit: dict, fit_v2: dict | None) -> str:
    lines = [f"- {k}: exponent {v[0]:.2f} against sites x years (v1.1 instances)" for k, v in fit.items()]
    for k, v in (fit_v2 or {}).items():
        lines.append(f"- {k}: exponent {v[0]:.2f} against sites x years x (jobs + 1) x cases (SPEC 8 "
                     f"instances); per factor {v[1]:.2f} (sites x years), {v[2]:.2f} (jobs + 1), {v[3]:.2f} (cases)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="dcopt benchmarks against HiGHS alone")
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--mip-gap", type=float, default=0.005)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    p.add_argument("--no-floor", action="store_true", help="skip HiGHS alone on the exported model")
    p.add_argument("--no-scaling", action="store_true", help="skip the scaling part (the docs keep its tables)")
    p.add_argument("--write-docs", action="store_true", help="regenerate docs/performance.md")
    p.add_argument("--no-anytime", action="store_true", help="skip benchmarks/anytime.py (the docs keep its table)")
    p.add_argument("--anytime-limits", nargs="*", type=float, default=list(anytime.LIMITS))
    p.add_argument("--merge", action="store_true",
                   help="with --only and --write-docs: keep the docs' rows of the instances not re-run")
    p.add_argument("--quick", action="store_true",
                   help="development run: --time-limit 20 unless given, smaller scaling, no anytime")
    a = p.parse_args(argv)
    if a.quick:
        a.time_limit = a.time_limit if "--time-limit" in argv else 20.0
        a.no_anytime = True

    rows = []
    for name, source in instances(a.only):
        row = run_one(name, source, a.time_limit, a.mip_gap, a.threads, not a.no_floor)
        rows.append(row)
        print(json.dumps(row), flush=True)
    solve_md = table(rows, SOLVE_COLS)
    print("\n" + solve_md)
    scale_md = fit_md = ""
    if not a.no_scaling:
        srows, fit = scaling(QUICK_SIZES if a.quick else SIZES)
        vrows, fit_v2 = scaling_v2(QUICK_SIZES_V2 if a.quick else SIZES_V2)
        scale_md = table(srows, SCALE_COLS) + "\n\nSPEC 8 options (jobs over DCI routes, on-site power, " \
            "grid upgrades; scenario cases):\n\n" + table(vrows, SCALE_V2_COLS)
        fit_md = fit_lines(fit, fit_v2)
        print("\n" + scale_md + "\n\nfitted exponents (1 = linear):\n" + fit_md)
    anytime_md = load = ""
    if not a.no_anytime:
        load = f"{_load():.1f} at the start"
        names = sorted(set(a.only) | {n for n, _ in instances(a.only)}) if a.only else None  # files too
        anytime_rows = anytime.measure(names, tuple(a.anytime_limits))
        anytime_md = anytime.table(anytime_rows)
        load += f", {_load():.1f} at the end"
        print("\n" + anytime_md)
    if a.write_docs:
        if a.merge:
            solve_md = _merged(solve_md)
            anytime_md = _merged(anytime_md) if anytime_md else ""
        write_docs(a, solve_md, scale_md, fit_md, anytime_md, load)
    return 0


def _merged(new_md: str) -> str:
    """The table `new_md` with the rows of the same table in the current docs/performance.md
    (the same header line) for the instances `new_md` lacks, in the docs' order (--merge)."""
    text = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    lines = new_md.splitlines()
    if not lines or lines[0] not in text:
        return new_md
    old: list[str] = []
    for line in text.split(lines[0], 1)[1].splitlines()[2:]:  # after the header's end and separator
        if not line.startswith("|"):
            break
        old.append(line)
    new = {row.split("|")[1].strip(): row for row in lines[2:]}
    rows = [new.pop(line.split("|")[1].strip(), line) for line in old]
    return "\n".join(lines[:2] + rows + list(new.values()))


def _load() -> float:
    import os

    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def write_docs(a, solve_md: str, scale_md: str, fit_md: str, anytime_md: str = "", load: str = "") -> None:
    template = (REPO / "benchmarks" / "performance.md.in").read_text(encoding="utf-8")
    text = template.format(
        command="python benchmarks/run.py --write-docs"
        + (f" --time-limit {a.time_limit:g}" if a.time_limit != 120 else "")
        + (f" --mip-gap {a.mip_gap:g}" if a.mip_gap != 0.005 else "")
        + (" --only " + " ".join(repr(n) if " " in n else n for n in a.only) if a.only else "")
        + (" --quick" if a.quick else "")
        + "".join(f" --{flag.replace('_', '-')}" for flag in ("no_floor", "no_scaling", "no_anytime", "merge")
                  if getattr(a, flag) and not (a.quick and flag == "no_anytime")),
        machine=f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}, "
                f"HiGHS {dcopt.solver.highs.highs_version()}, dcopt {dcopt.__version__}",
        date=time.strftime("%Y-%m-%d"), time_limit=f"{a.time_limit:g}", mip_gap=f"{100 * a.mip_gap:g} %",
        threads=a.threads, solve_table=solve_md, scale_table=scale_md or _kept(template, "scale_table"),
        fit=fit_md or _kept(template, "fit"), anytime_table=anytime_md or _kept_anytime(),
        anytime_load=load or _kept(template, "anytime_load"),
    )
    (REPO / "docs" / "performance.md").write_text(text, encoding="utf-8")
    print("wrote docs/performance.md")


def _kept(template: str, field: str) -> str:
    """What docs/performance.md has now where `template` has `{field}` (a table not re-measured:
    --no-anytime, --no-scaling): the text between the template's words around it."""
    text = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    before, after = template.split("{" + field + "}", 1)
    head, tail = before[-60:], after[:60].split("{", 1)[0]
    if head not in text or not tail or tail not in text.split(head, 1)[1]:
        return "(not measured)"
    return text.split(head, 1)[1].split(tail, 1)[0]


def _kept_anytime() -> str:
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
