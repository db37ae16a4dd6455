"""Seeded mutations of instance documents, for the fuzz test (tests/test_fuzz.py) and the
benchmark (benchmarks/fuzz_validation.py).

`mutants(seed, n)` yields `n` mutated copies of the seed instances (instances/*.json, the
reference cases when present, the small instances of the tests), each with 1 to 3
mutations at random places: numbers set to extremes, nan-like strings, huge ints, values of
the wrong type, deleted keys, duplicated list entries, unknown keys, deep nesting and odd
unicode. `in_range_mutants` yields valid instances with numbers at the ends of their
ranges, for solving.

`classify` runs one document through `dcopt.load_instance` (or `dcopt validate`) and says
"valid", "invalid" (an `InstanceError`) or "crash" (anything else).
"""

from __future__ import annotations

import copy
import json
import math
import random
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conftest import REPO, cases_dir, small_instance
from tiny import tiny

INSTANCES = REPO / "instances"

NUMBERS: list[Any] = [0, -1, 1, 0.5, -0.5, 1e308, -1e308, 1e-308, 5e-324, -1e-308, 1e15, 1e12 + 1, 1e9,
                      2**31, 2**63, 2**64, -(2**63), 10**30, -(10**30), 10**100, 10**400, -(10**4000),
                      1899, 1900, 2200, 2201, 2026, math.nan, math.inf, -math.inf, 1.0000000000000002]
NAN_LIKE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "", " ", "0x10", "1_000", "١٢٣", "8%", "null",
            "true", "20k", "1,5"]
WRONG_TYPES: list[Any] = [None, True, False, [], {}, "x", [1], {"a": 1}, [[]], [None], {"": None}, 0]
TEXT = ["\ud800", "a\udc00b", "\udfff\ud800", "\x00", "\u202eevil", "e\u0301", "\U0001f680", "\ufeff", "=cmd|' /C calc'!A0",
        "+1", "-x", "@sum", "a" * 10_000, "\n", " ", "NaN", "default", "../../etc/passwd", "dir/\x00.json",
        "float", "int", "dict[str,float]", "function-after[check(), float]", "constrained-float", "[0]"]
KEYS = ["typo", "", " ", "\ud800", "\x00", "float", "dict[str,float]", "function-after[x]", "2026", "0001",
        "__proto__", "NAME", "a" * 1000, "[0]", "sites[0]"]


def seed_documents() -> list[tuple[str, dict[str, Any], Path]]:
    """(label, document, folder it is read from) of every seed instance. Documents naming a
    shipped catalog are given both as they are and with the catalog inlined (so that
    mutations reach catalog fields)."""
    docs: list[tuple[str, dict[str, Any], Path]] = []
    files = sorted(INSTANCES.glob("*.json"))
    folder = cases_dir()
    if folder is not None:
        files += sorted(folder.glob("*.json"))
    for file in files:
        if file.name == "expected.json" or file.name.endswith("-plan.json"):
            continue
        data = json.loads(file.read_text(encoding="utf-8"))
        docs.append((file.name, data, file.parent))
        if isinstance(data.get("catalog"), str):
            inlined = copy.deepcopy(data)
            inlined["catalog"] = json.loads((REPO / "models" / f"{data['catalog']}.json").read_text())
            docs.append((f"{file.name}+catalog", inlined, file.parent))
    docs.append(("small_instance", small_instance(), INSTANCES))
    docs.append(("tiny", tiny(), INSTANCES))
    return docs


def _places(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) of the document, the root excluded."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            out.append((node, key))
            if isinstance(value, (dict, list)):
                stack.append(value)
    return out


def _deep(rng: random.Random) -> Any:
    depth = rng.choice([10, 31, 33, 100, 1000, 5000])
    value: Any = rng.choice([[], {}, 1, "x"])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def mutate(doc: dict[str, Any], rng: random.Random) -> str:
    """Apply one random mutation to `doc` in place; return what it did."""
    places = _places(doc)
    if not places:
        return "none"
    node, key = rng.choice(places)
    value = node[key]
    kind = rng.choice(["number", "number", "nan-like", "wrong-type", "delete", "duplicate", "unknown-key",
                       "deep", "text", "text", "huge-int", "rename-key"])
    if kind == "number":  # an extreme number, where a number or something else was
        node[key] = rng.choice(NUMBERS)
    elif kind == "nan-like":
        node[key] = rng.choice(NAN_LIKE)
    elif kind == "wrong-type":
        node[key] = copy.deepcopy(rng.choice(WRONG_TYPES))
    elif kind == "delete":
        del node[key]
    elif kind == "duplicate":
        target = value if isinstance(value, list) and value else node if isinstance(node, list) else None
        if target is None:  # (shallow copies: a value may be nested thousands deep)
            node[key] = [copy.copy(value), copy.copy(value)]
        else:
            target.append(copy.copy(rng.choice(target)))
    elif kind == "unknown-key":
        target = value if isinstance(value, dict) else node if isinstance(node, dict) else doc
        target[rng.choice(KEYS)] = rng.choice([1, "x", None, [], {}])
    elif kind == "deep":
        node[key] = _deep(rng)
    elif kind == "text":
        node[key] = rng.choice(TEXT) if not isinstance(value, str) or rng.random() < 0.7 else \
            value + rng.choice(TEXT)
    elif kind == "huge-int":
        node[key] = rng.choice([10**18, 10**300, -(10**300), 10**4000, 2**1000])
    elif kind == "rename-key" and isinstance(node, dict):
        node[rng.choice([str(key).upper(), str(key) + "_", rng.choice(KEYS)])] = node.pop(key)
    return kind


def mutants(seed: int, n: int) -> Iterator[tuple[str, dict[str, Any], Path]]:
    """`n` mutated documents (label with the mutations, document, base folder), seeded."""
    rng = random.Random(seed)
    seeds = seed_documents()
    for i in range(n):
        label, doc, folder = seeds[rng.randrange(len(seeds))]
        doc = copy.deepcopy(doc)
        done = [mutate(doc, rng) for _ in range(rng.choice([1, 1, 2, 3]))]
        yield f"{i}:{label}:{'+'.join(done)}", doc, folder


# --------------------------------------------------------------------------- valid extremes


def _number_places(doc: Any) -> list[tuple[Any, Any]]:
    return [(node, key) for node, key in _places(doc)
            if isinstance(node[key], (int, float)) and not isinstance(node[key], bool)]


def in_range_mutants(seed: int, n: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """`n` valid mutants of `tiny()` (a 1-site, 1-year instance): 1 to 3 numbers set to the
    ends of their field's range or to a random power of ten inside it. Candidates that do
    not validate are skipped."""
    import dcopt
    from dcopt.instance.errors import InstanceError

    rng = random.Random(seed)
    base = tiny(demand={"training": {"2026": 16}, "inference": [{"region": "us", "perf": {"2026": 8}}]})
    found = 0
    tries = 0
    while found < n and tries < 200 * n:
        tries += 1
        doc = copy.deepcopy(base)
        done = []
        for _ in range(rng.choice([1, 2, 3])):
            node, key = rng.choice(_number_places(doc))
            value = _extreme(rng, node[key])
            node[key] = value
            done.append(f"{key}={value!r}")
        try:
            dcopt.load_instance(doc)
        except InstanceError:
            continue
        found += 1
        yield ",".join(done), doc


def _extreme(rng: random.Random, old: float) -> float:
    if isinstance(old, int) and rng.random() < 0.5:
        return rng.choice([0, 1, 2, 8, 2025, 2026, 2027, 30, 10_000, 1_000_000, 100_000_000])
    return rng.choice([0.0, 0.01, 0.1, 1e-9, 1.0, 2.0, 5.0, 1e4, 1e5, 1e7, 1e9, 1e11, 1e12, 1e13, -0.1,
                       10.0 ** rng.randint(-6, 12)])


# --------------------------------------------------------------------------- running one


def classify(doc: dict[str, Any], folder: Path) -> tuple[str, str]:
    """("valid" | "invalid" | "crash", detail) of `dcopt.load_instance(doc)`."""
    import dcopt

    try:
        dcopt.load_instance(doc, base_dir=folder)
    except dcopt.InstanceError:
        return "invalid", ""
    except Exception:  # noqa: BLE001 - a crash is what this looks for
        return "crash", traceback.format_exc(limit=-3)
    return "valid", ""


def write_document(doc: dict[str, Any], path: Path) -> bool:
    """Write `doc` as JSON (lone surrogates as escapes, NaN as JSON's NaN); False if the
    document cannot be written by `json` (an int beyond 4300 digits, nesting beyond Python's
    recursion limit: both are tested through files in test_validation.py)."""
    try:
        text = json.dumps(doc)
    except (ValueError, RecursionError):
        return False
    path.write_text(text, encoding="utf-8")
    return True


def classify_cli(path: Path) -> tuple[str, str]:
    """("valid" | "invalid" | "crash", detail) of `dcopt validate PATH` (click's CliRunner)."""
    from click.testing import CliRunner

    from dcopt.cli.main import main

    result = CliRunner().invoke(main, ["validate", str(path)])
    output = result.output
    if result.exit_code == 0 and ": valid" in result.stdout:
        return "valid", ""
    if result.exit_code == 2 and "Traceback" not in output and "internal error" not in output:
        return "invalid", ""
    detail = output[-2000:]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        detail += "".join(traceback.format_exception(result.exception, limit=-3))
    return "crash", f"exit {result.exit_code}: {detail}"
