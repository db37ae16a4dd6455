"""What-ifs from Python: a new validated instance with some values changed, by parameter path.

    inst2 = inst.with_changes({
        "sites[name=va-1].electricity_usd_per_mwh": 90,            # set
        "catalog.gpus[name=B200].price_usd_per_gpu*=": 0.8,        # scale (also "PATH*")
        "sites[*].electricity_usd_per_mwh+=": 10,                   # shift (also "PATH+")
        "sites[name=va-1].allowed_cooling": ["air"],                # set any JSON value
    })

Paths are those of sweeps (`dcopt.instance.paths`, docs/sweeps.md): field
names joined by dots, ``[key=value]``, ``[N]`` and ``[*]`` selectors; a year
map set with ``=`` gets the value in every year, scaled or shifted it keeps
its shape; a path under ``demand`` that names more than one number takes a
scale factor (``"demand.training": 1.5`` scales every year's training demand
by 1.5, as in sweeps). Setting with ``=`` also takes a value that is not a
number (a list, a string, an object such as a whole year map, null), put as
it is at every place the path names. Changes apply in order, to the instance with every default filled in
and the catalog inline (so the catalog can be changed too), and the result is
validated and checked as a file would be. A path that names nothing is an
`InstanceError` naming the change; so is a value that makes the instance
invalid (with the JSON path of the field and the change that made it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from .errors import InstanceError, Problem
from .paths import (
    Param,
    SweepInputError,
    apply,
    check_applicable,
    parse_param,
    resolve,
    split_assignment,
)
from .schema import Instance

Changes = Mapping[str, Any] | Iterable[str] | Iterable[tuple[str, Any]]


def parse_changes(changes: Changes) -> list[tuple[Param, Any, str]]:
    """(parameter, value, as written) of each change: a mapping from ``PATH``, ``PATH=``,
    ``PATH*=``/``PATH*`` or ``PATH+=``/``PATH+`` to a value, or ``"PATH=VALUE"`` strings (numbers)."""
    out: list[tuple[Param, Any, str]] = []
    problems: list[Problem] = []
    items: Iterable = changes.items() if isinstance(changes, Mapping) else changes
    for item in items:
        try:
            if isinstance(item, str):
                param, text = split_assignment(item)
                out.append((param, _number(text, item), item))
            else:
                key, value = item
                out.append((parse_param(_key(key)), value, key))
        except SweepInputError as exc:
            problems += exc.problems
    if problems:
        raise InstanceError(problems, "with_changes")
    return out


def _key(key: str) -> str:
    """``PATH*=`` -> ``PATH*``, ``PATH+=`` -> ``PATH+``, ``PATH=`` -> ``PATH``."""
    key = key.strip()
    return key[:-1].rstrip() if key.endswith("=") else key


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SweepInputError([Problem(where, f"{text!r} is not a number",
                                       "give a mapping {PATH: value} for values that are not numbers")]) from None


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def apply_changes(document: dict[str, Any], changes: Changes) -> dict[str, Any]:
    """A copy of an instance document (`paths.instance_document`) with `changes` applied."""
    doc = copy.deepcopy(document)
    problems: list[Problem] = []
    for param, value, written in parse_changes(changes):
        try:
            if param.op == "=" and not _is_number(value):  # put as it is (a demand map too)
                leaves = resolve(doc, param)
                for leaf in leaves:
                    leaf.parent[leaf.key] = copy.deepcopy(value)
            else:
                if not _is_number(value):
                    raise SweepInputError([Problem(written, f"{param.op} needs a number, got {value!r}",
                                                   "give a number (a factor for *=, a shift for +=)")])
                check_applicable(doc, param)
                apply(doc, param, float(value))
        except SweepInputError as exc:
            problems += exc.problems
    if problems:
        raise InstanceError(problems, "with_changes")
    return doc


def with_changes(inst: Instance, changes: Changes) -> Instance:
    """A new validated `Instance`: `inst` with `changes` applied (see the module)."""
    from .io import load_instance
    from .paths import instance_document

    doc = apply_changes(instance_document(inst), changes)
    try:
        return load_instance(doc)
    except InstanceError as exc:
        written = ", ".join(w for _, _, w in parse_changes(changes))
        raise InstanceError([replace(p, message=f"{p.message} (after the changes: {written})")
                             for p in exc.problems], "with_changes") from None
