"""Fuzz the validation path with 10,000 mutated instances (run on demand, not in the tests).

    python benchmarks/fuzz_validation.py                   # 10,000 mutants, seed 1
    python benchmarks/fuzz_validation.py --n 2000 --seed 7 --cli-every 5

Each mutant is a seed instance (instances/*.json, ../shared/cases when present, the small
instances of the tests) with 1 to 3 random mutations (see tests/fuzz.py: numbers at
extremes, nan-like strings, huge ints, wrong types, deleted keys, duplicated entries,
unknown keys, deep nesting, odd unicode). Every mutant goes through
`dcopt.load_instance`; every `--cli-every`-th one also through `dcopt validate` (click's
CliRunner, from a file). Each call ends valid, invalid (`InstanceError`, exit 2) or
crashed (anything else). Prints the counts and the slowest calls; exit 1 on any crash.
The tests run a seeded sample of the same mutations (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import fuzz  # noqa: E402

import dcopt  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="mutants (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli-every", type=int, default=3, help="also run every k-th mutant through dcopt validate")
    args = ap.parse_args(argv)

    fuzz.classify(fuzz.small_instance(), fuzz.INSTANCES)  # warm up: imports, the shipped catalog
    counts: Counter[str] = Counter()
    cli: Counter[str] = Counter()
    slowest: list[tuple[float, str]] = []
    crashes: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutant.json"
        for i, (label, doc, folder) in enumerate(fuzz.mutants(args.seed, args.n)):
            t0 = time.perf_counter()
            kind, detail = fuzz.classify(doc, folder)
            slowest.append((time.perf_counter() - t0, f"load_instance {label}"))
            counts[kind] += 1
            if kind == "crash":
                crashes.append(f"{label} (load_instance)\n{detail}")
            if args.cli_every and i % args.cli_every == 0 and fuzz.write_document(doc, path):
                t0 = time.perf_counter()
                kind, detail = fuzz.classify_cli(path)
                slowest.append((time.perf_counter() - t0, f"dcopt validate {label}"))
                cli[kind] += 1
                if kind == "crash":
                    crashes.append(f"{label} (dcopt validate)\n{detail}")
            slowest = sorted(slowest, reverse=True)[:5]
    total = time.perf_counter() - start

    print(f"fuzz_validation: {args.n} mutants, seed {args.seed}, dcopt {dcopt.__version__}, "
          f"Python {platform.python_version()}, {platform.machine()}")
    print(f"load_instance:  {counts['valid']} valid, {counts['invalid']} invalid, {counts['crash']} crashed")
    print(f"dcopt validate: {cli['valid']} valid, {cli['invalid']} invalid, {cli['crash']} crashed "
          f"(one mutant in {args.cli_every})")
    print(f"total {total:.1f} s; slowest calls:")
    for seconds, what in slowest:
        print(f"  {seconds:7.3f} s  {what}")
    for c in crashes[:20]:
        print(f"\nCRASH {c}", file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
