"""A plan early, at any time limit: time to the first plan and the gap at 10 s, 30 s and 60 s
of wall clock, as a user of `dcopt solve --time-limit` gets them (run on demand, not in the tests).

    python benchmarks/anytime.py                          # every instance, limits 10 30 60
    python benchmarks/anytime.py --only large-50site --limits 30

Each (instance, limit) is one `dcopt solve INSTANCE --time-limit T -o FILE` in a fresh process,
with the default gap and threads. The wall clock is the process's, from its start to its exit
(so it includes Python's start-up and imports, which the command's own clock does not).
The first plan is the command's own report on stderr ("plan found after X s", counted from
the start of the command, before the instance is read) in the run with the longest limit.
The gap is the written solution's (plan against the best bound); "no plan" when none.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import scale  # noqa: E402

CHILD = "from dcopt.cli.main import run; run()"
FIRST_PLAN = re.compile(r"^plan found after ([\d.]+) s")
LIMITS = (10.0, 30.0, 60.0)


def instances(only: list[str] | None, folder: Path) -> list[tuple[str, Path]]:
    """Every instance file of instances/ (JSON with a horizon), and the scaled 50 x 15 case and
    two scaled SPEC 8 cases written to `folder`."""
    out = []
    for path in sorted((REPO / "instances").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "horizon" in data:
            out.append((path.stem, path))
    v2 = {"jobs": 2, "routes": True, "onsite": True}
    for name, data in (("scaled 50x15", scale.scaled(50, 15)), ("scaled v2 10x10", scale.scaled(10, 10, **v2)),
                       ("scaled v2 10x5, 3 cases", scale.scaled(10, 5, **v2, cases=3))):
        if only and name not in only:
            continue
        scaled = folder / (name.replace(" ", "-").replace(",", "") + ".json")
        scaled.write_text(json.dumps(data), encoding="utf-8")
        out.append((name, scaled))
    return [(n, p) for n, p in out if not only or n in only]


def run_one(path: Path, limit: float, folder: Path) -> dict:
    out = folder / "solution.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, "solve", str(path), "--time-limit", f"{limit:g}",
                             "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=path.parent, env=env)
    first = None
    for line in proc.stderr:
        match = FIRST_PLAN.match(line)
        if match and first is None:
            first = float(match.group(1))
    proc.wait()
    wall = time.perf_counter() - t0
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {"limit": limit, "wall_s": wall, "exit": proc.returncode, "status": data.get("status"),
            "has_plan": data.get("has_plan", False), "gap": data.get("mip_gap"), "first_plan_s": first,
            "tco_musd": None if data.get("tco_usd") is None else data["tco_usd"] / 1e6,
            "columns": (data.get("solver") or {}).get("variables")}


def measure(only: list[str] | None = None, limits: tuple[float, ...] = LIMITS, echo=print) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, path in instances(only, folder):
            data = json.loads(path.read_text(encoding="utf-8"))
            row: dict = {"instance": name, "size": f"{len(data['sites'])} x "
                         f"{data['horizon']['end_year'] - data['horizon']['start_year'] + 1}",
                         "load": os.getloadavg()[0], "runs": []}
            for limit in sorted(limits):
                r = run_one(path, limit, folder)
                row["runs"].append(r)
                row["columns"] = r["columns"] or row.get("columns")
                echo(json.dumps({"instance": name, **r}))
            row["first_plan_s"] = row["runs"][-1]["first_plan_s"]
            rows.append(row)
    return rows


def _gap(r: dict) -> str:
    if not r["has_plan"]:
        return "no plan"
    return f"{100 * (r['gap'] or 0.0):.2f} %" + (" (optimal)" if r["status"] == "optimal" else "")


def table(rows: list[dict]) -> str:
    limits = [r["limit"] for r in rows[0]["runs"]] if rows else []
    head = (["instance", "sites x years", "columns", f"first plan s (in the {limits[-1]:g} s run)"]
            + [f"gap at {t:g} s" for t in limits] + [f"wall s at {t:g} s" for t in limits])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        first = row["first_plan_s"]
        cells = [row["instance"], row["size"], f"{row['columns']:,}" if row.get("columns") else "-",
                 "-" if first is None else f"{first:.1f}"]
        cells += [_gap(r) for r in row["runs"]] + [f"{r['wall_s']:.1f}" for r in row["runs"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", help="instance names (file stems, or 'scaled 50x15')")
    p.add_argument("--limits", nargs="*", type=float, default=list(LIMITS))
    a = p.parse_args(argv)
    rows = measure(a.only, tuple(a.limits))
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
