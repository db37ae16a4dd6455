"""Parameters of an instance named by path, for sweeps and break-even searches.

A *parameter* is a path into the instance JSON with an optional operator,
written ``PATH``, ``PATH*`` or ``PATH+`` (on the command line ``PATH=...``,
``PATH*=...``, ``PATH+=...``):

* ``PATH`` (``=``) sets the numbers the path names to the value;
* ``PATH*`` (``*=``) multiplies them by the value (a scale factor, 1 = as given);
* ``PATH+`` (``+=``) adds the value to them (a shift, 0 = as given).

Path syntax: field names joined by dots, and selectors in brackets:

* ``[key=value]`` picks the list elements whose ``key`` equals ``value``
  (``sites[name=va-1]``, ``sites[region=us-east]``, ``catalog.densities[rack_kw=20]``);
* ``[N]`` picks element ``N`` (0-based) of a list, or key ``N`` of an object
  (a year: ``electricity_usd_per_mwh[2027]``);
* ``[*]`` picks every element (``sites[*].electricity_usd_per_mwh``).

A path may name several numbers (a selector matching several elements, a
year map): the operation applies to each. A year map (``{"2026": 66, ...}``)
set with ``=`` gets the value in every year.

Demand is scaled: a path under ``demand`` that names more than one number
(``demand``, ``demand.training``, ``demand.inference``,
``demand.inference[region=eu]``) takes a scale factor with ``=`` as with
``*=``, multiplying every year; ``+=`` adds to every year. A path to one
demand number (``demand.training[2027]``) is set as usual.

The catalog can be reached (``catalog.gpus[name=B200].price_usd_per_gpu``)
also when the instance names a shipped catalog or a catalog file: paths apply
to the validated instance, with every default filled in. A path that names
nothing, or names something that is not a number, is a `SweepInputError` (an `InstanceError`).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InstanceError, Problem
from .schema import Instance

Op = Literal["=", "*=", "+="]
_SUFFIX: dict[Op, str] = {"=": "", "*=": "*", "+=": "+"}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_YEAR_KEY = re.compile(r"^\d{4}$")


class SweepInputError(InstanceError):
    """Invalid sweep input (a parameter path, a value, a results file), reported with
    where it is, what is wrong and how to fix it. The CLI exits 2 on it, like on an
    invalid instance."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        super().__init__(problems, source)
        lines = [f"invalid sweep input{f' ({source})' if source else ''}:"]
        lines += [f"  {p}".replace("\n", "\n  ") for p in self.problems]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Step:
    """One step of a path: a field name, an index/key, a `key=value` filter or `*`."""

    kind: Literal["field", "index", "match", "all"]
    key: str = ""
    value: str = ""


@dataclass(frozen=True)
class Param:
    """A parameter: a parsed path and the operation applied with a value."""

    path: str
    op: Op
    steps: tuple[Step, ...]

    @property
    def key(self) -> str:
        """The parameter's name in results: the path with `*` or `+` for those operators."""
        return self.path + _SUFFIX[self.op]

    @property
    def scales_demand(self) -> bool:
        """True for `=` on a path naming several demand numbers (a scale factor)."""
        return self.op == "=" and self.steps[0].key == "demand" and not _one_number_step(self.steps)

    @property
    def neutral_value(self) -> float | None:
        """The value that leaves the instance as given: 1 for a factor, 0 for a shift, else None."""
        if self.op == "*=" or self.scales_demand:
            return 1.0
        if self.op == "+=":
            return 0.0
        return None


def _one_number_step(steps: tuple[Step, ...]) -> bool:
    """A demand path ending in a year index names one number (a year's demand)."""
    return steps[-1].kind == "index" and bool(_YEAR_KEY.match(steps[-1].key))


def parse_param(text: str) -> Param:
    """Parse `PATH`, `PATH*` or `PATH+` (a parameter key as written in results)."""
    text = text.strip()
    op: Op = "="
    if text.endswith("*") and not text.endswith("[*]"):
        op, text = "*=", text[:-1].rstrip()
    elif text.endswith("+"):
        op, text = "+=", text[:-1].rstrip()
    return Param(path=text, op=op, steps=parse_path(text))


def split_assignment(text: str) -> tuple[Param, str]:
    """Split `PATH=VALUES`, `PATH*=VALUES` or `PATH+=VALUES` into the parameter and the value text."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "=" and depth == 0:
            left = text[:i]
            op: Op = "="
            if left.endswith(("*", "+")) and not left.endswith("[*]"):
                op = "*=" if left[-1] == "*" else "+="
                left = left[:-1]
            path = left.strip()
            return Param(path=path, op=op, steps=parse_path(path)), text[i + 1:].strip()
    raise _error(text, "no '=' outside brackets",
                 "write PATH=VALUES, PATH*=VALUES (scale) or PATH+=VALUES (shift), "
                 "e.g. finance.discount_rate=0.06:0.10:3")


def parse_path(path: str) -> tuple[Step, ...]:
    """`sites[name=va-1].electricity_usd_per_mwh` -> its steps; raises `SweepInputError` on bad syntax."""
    steps: list[Step] = []
    i, n = 0, len(path)
    expect_name = True
    while i < n:
        if path[i] == "[":
            close = path.find("]", i)
            if close < 0:
                raise _error(path, f"unclosed '[' at character {i + 1}", "close the selector with ']'")
            steps.append(_selector(path, path[i + 1:close].strip()))
            i = close + 1
            expect_name = False
            continue
        if path[i] == "." and not expect_name:
            i += 1
            expect_name = True
            continue
        match = _NAME.match(path, i)
        if match is None or not expect_name:
            raise _error(path, f"unexpected {path[i]!r} at character {i + 1}",
                         "write field names joined by '.', with selectors like [name=x], [0] or [*]")
        steps.append(Step("field", match.group()))
        i = match.end()
        expect_name = False
    if not steps or steps[0].kind != "field" or expect_name:
        raise _error(path, "incomplete path", "start with a top-level field, e.g. finance.discount_rate")
    return tuple(steps)


def _selector(path: str, inner: str) -> Step:
    if inner == "*":
        return Step("all")
    if "=" in inner:
        key, _, value = inner.partition("=")
        if not _NAME.fullmatch(key.strip()) or not value.strip():
            raise _error(path, f"bad selector [{inner}]", "write [key=value], e.g. [name=va-1]")
        return Step("match", key.strip(), value.strip())
    if not inner:
        raise _error(path, "empty selector []", "write [name=x], [0], [2027] or [*]")
    return Step("index", inner)


# --------------------------------------------------------------------------- resolution


@dataclass
class Leaf:
    """A place the path names: a container and the key or index in it."""

    parent: Any
    key: Any
    where: str  # JSON path of the place, for messages


def resolve(root: dict[str, Any], param: Param) -> list[Leaf]:
    """Every place in `root` (an instance dict) that `param` names; raises if none."""
    places: list[tuple[Any, Any, str]] = [({"$": root}, "$", "")]
    for step in param.steps:
        nxt: list[tuple[Any, Any, str]] = []
        for parent, key, where in places:
            nxt += _step(parent[key], step, where, param)
        if not nxt:
            raise _error(param.key, f"{param.path!r} names nothing", "check the names in the path")
        places = nxt
    return [Leaf(parent, key, where) for parent, key, where in places]


def _step(node: Any, step: Step, where: str, param: Param) -> list[tuple[Any, Any, str]]:
    here = where or "the instance"
    if step.kind == "field":
        if not isinstance(node, dict):
            raise _error(param.key, f"{here} is {_kind(node)}, it has no field {step.key!r}",
                         "select list elements with [name=x], [N] or [*]")
        if step.key not in node:
            raise _error(param.key, f"{here} has no field {step.key!r}", _did_you_mean(step.key, node))
        return [(node, step.key, f"{where}.{step.key}" if where else step.key)]
    if step.kind == "all":
        keys = range(len(node)) if isinstance(node, list) else list(node) if isinstance(node, dict) else None
        if keys is None:
            raise _error(param.key, f"{here} is {_kind(node)}; [*] needs a list or an object",
                         "remove [*] or point the path at a list")
        return [(node, k, f"{where}[{k}]") for k in keys]
    if step.kind == "index":
        return [_index(node, step.key, where, param)]
    return _matches(node, step, where, param)


def _index(node: Any, key: str, where: str, param: Param) -> tuple[Any, Any, str]:
    if isinstance(node, list):
        if not key.isdigit() or int(key) >= len(node):
            raise _error(param.key, f"{where} has {len(node)} elements, no [{key}]",
                         f"use an index from 0 to {len(node) - 1}, or [name=x]")
        return node, int(key), f"{where}[{key}]"
    if isinstance(node, dict):
        if key not in node:
            raise _error(param.key, f"{where} has no key {key!r}", _did_you_mean(key, node))
        return node, key, f"{where}[{key}]"
    raise _error(param.key, f"{where} is {_kind(node)}; [{key}] needs a list or an object",
                 "remove the selector")


def _matches(node: Any, step: Step, where: str, param: Param) -> list[tuple[Any, Any, str]]:
    if not isinstance(node, list):
        raise _error(param.key, f"{where} is {_kind(node)}; [{step.key}={step.value}] needs a list",
                     "use .field for an object's field")
    out = [(node, i, f"{where}[{i}]") for i, item in enumerate(node)
           if isinstance(item, dict) and _equal(item.get(step.key), step.value)]
    if not out:
        present = sorted({_show(item.get(step.key)) for item in node if isinstance(item, dict)
                          and step.key in item})
        if not present:
            fix = f"the elements of {where} have no field {step.key!r}"
        else:
            close = difflib.get_close_matches(step.value, present, n=1)
            fix = (f"did you mean {step.key}={close[0]}? " if close else "") + \
                f"{step.key} values in {where}: {', '.join(present)}"
        raise _error(param.key, f"no element of {where} has {step.key} = {step.value!r}", fix)
    return out


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool) or actual is None:
        return str(actual).lower() == wanted.lower()
    if isinstance(actual, (int, float)):
        try:
            return float(wanted) == float(actual)
        except ValueError:
            return False
    return str(actual) == wanted


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _did_you_mean(key: str, node: dict) -> str:
    names = [str(k) for k in node]
    close = difflib.get_close_matches(key, names, n=1)
    head = f"did you mean {close[0]!r}? " if close else ""
    return f"{head}fields here: {', '.join(names)}"


# --------------------------------------------------------------------------- application


def check_applicable(root: dict[str, Any], param: Param) -> None:
    """Raise `SweepInputError` unless `param` names numbers in `root` that its operator can change."""
    for leaf in resolve(root, param):
        _numbers_at(leaf, param)


def apply(root: dict[str, Any], param: Param, value: float) -> None:
    """Change `root` (an instance dict, in place) by `param` with `value`."""
    value = float(value)
    for leaf in resolve(root, param):
        for parent, key in _numbers_at(leaf, param):
            parent[key] = _new_number(parent[key], param, value)


def _numbers_at(leaf: Leaf, param: Param) -> list[tuple[Any, Any]]:
    """The (container, key) of each number `leaf` holds."""
    node = leaf.parent[leaf.key]
    if _is_number(node) or (node is None and param.op == "=" and not param.scales_demand):
        return [(leaf.parent, leaf.key)]
    if node is None:
        raise _error(param.key, f"{leaf.where} is not set (null): there is nothing to scale or shift",
                     f"set it with {param.path}=VALUE")
    if param.steps[0].key == "demand" and isinstance(node, (dict, list)):
        return _all_numbers(node, leaf.where, param)
    if isinstance(node, dict) and node and all(_YEAR_KEY.match(str(k)) for k in node):
        return [(node, k) for k in node if _is_number(node[k])]
    raise _error(param.key, f"{leaf.where} is {_kind(node)}, not a number",
                 "point the path at a numeric field (or a year map)")


def _all_numbers(node: Any, where: str, param: Param) -> list[tuple[Any, Any]]:
    """Every number under a demand node (its year maps)."""
    out: list[tuple[Any, Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        if _is_number(child):
            out.append((node, key))
        elif isinstance(child, (dict, list)):
            out += _all_numbers(child, where, param)
    return out


def _new_number(old: float | None, param: Param, value: float) -> float | int:
    if param.op == "*=" or param.scales_demand:
        new = old * value
    elif param.op == "+=":
        new = old + value
    else:
        new = value
    if (old is None or isinstance(old, int)) and float(new).is_integer():
        return int(new)  # integer fields stay integers (the schema is strict; floats take ints)
    return new


def base_value(root: dict[str, Any], param: Param) -> float:
    """The value of `param` that leaves `root` as given: the number itself for `=` on one
    number, 1 for a factor, 0 for a shift; NaN when there is no single such number."""
    neutral = param.neutral_value
    if neutral is not None:
        return neutral
    numbers = {float(parent[key]) for leaf in resolve(root, param)
               for parent, key in _numbers_at(leaf, param) if parent[key] is not None}
    return numbers.pop() if len(numbers) == 1 else math.nan


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _error(where: str, message: str, fix: str) -> SweepInputError:
    return SweepInputError([Problem(where, message, fix)])


# --------------------------------------------------------------------------- instance documents


def instance_document(inst: Instance) -> dict[str, Any]:
    """The validated instance as a JSON-like dict with every default filled in and the
    catalog inline: what parameter paths apply to, and a valid `load_instance` input."""
    return inst.model_dump(mode="json")
