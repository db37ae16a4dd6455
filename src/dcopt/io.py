"""JSON -> validated `Instance`: parsing, catalog resolution, friendly errors.

Everything that reads raw instance JSON lives here; downstream code only sees
the `Instance`. Every problem is reported with its JSON path (e.g.
``sites[2].block_mw``), what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from .catalogs import find_catalog, shipped_catalog_names
from .checks import check_instance
from .errors import InstanceError, Problem
from .schema import Instance


def load_instance(source: str | Path | dict[str, Any], base_dir: str | Path | None = None) -> Instance:
    """Read, validate and check an instance.

    `source` is a path to a JSON file or an already parsed dict. A catalog given
    by path is resolved relative to the instance file's folder (or `base_dir`
    for a dict). Raises `InstanceError` listing every problem found.
    """
    label = ""
    if isinstance(source, dict):
        data = source
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source)
        label = str(path)
        base = Path(base_dir) if base_dir is not None else path.parent
        data = _read_json(path, "$")
    if not isinstance(data, dict):
        raise InstanceError(
            [Problem("$", f"the instance must be a JSON object, got {_kind(data)}",
                     "wrap the instance in { ... } with keys horizon, finance, catalog, sites")],
            label,
        )
    data = dict(data)
    catalog = data.get("catalog")
    if isinstance(catalog, str):
        data["catalog"] = _load_catalog_ref(catalog, base, label)

    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(problems_from_validation(exc), label) from None
    problems = check_instance(instance)
    if problems:
        raise InstanceError(problems, label)
    return instance


def _read_json(path: Path, where: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError([Problem(where, f"file not found: {path}", "check the path")]) from None
    except OSError as exc:
        raise InstanceError([Problem(where, f"cannot read {path}: {exc.strerror}", "check the path")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            [Problem(where, f"malformed JSON in {path.name} at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                     "fix the JSON syntax there (a missing comma, quote or bracket is the usual cause)")],
            str(path),
        ) from None


def _load_catalog_ref(ref: str, base: Path, label: str) -> Any:
    path = find_catalog(ref, base)
    if path is None:
        names = ", ".join(shipped_catalog_names()) or "none"
        raise InstanceError(
            [Problem("catalog", f"no catalog named {ref!r}",
                     f"use a shipped catalog ({names}) or a path to a catalog JSON file, "
                     "relative to the instance file")],
            label,
        )
    data = _read_json(path, "catalog")
    if not isinstance(data, dict):
        raise InstanceError(
            [Problem("catalog", f"catalog file {path} must hold a JSON object, got {_kind(data)}",
                     "give an object with gpus, cooling, densities and fabrics")],
            label,
        )
    return data


# --------------------------------------------------------------------------- pydantic errors -> problems


def json_path(loc: tuple[Any, ...]) -> str:
    """('sites', 2, 'block_mw') -> 'sites[2].block_mw'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "$"


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    """One problem per location, in the order pydantic found them."""
    by_path: dict[str, Problem] = {}
    for err in exc.errors(include_url=False):
        loc, owner, field = _clean_loc(tuple(err["loc"]))
        path = json_path(loc)
        problem = _problem(err, path, owner, field)
        # a union (number or year map) reports one error per member: keep the first
        by_path.setdefault(path, problem)
    return list(by_path.values())


_UNION_TAGS = ("float", "int", "bool", "str", "dict[", "list[", "constrained-", "function-", "tagged-union")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel] | None, str | None]:
    """Drop pydantic's union-member tags from `loc`; return the model owning the last field."""
    model: Any = Instance
    owner: type[BaseModel] | None = None
    field: str | None = None
    clean: list[Any] = []
    current: Any = Instance
    for part in loc:
        if isinstance(part, str) and _is_model(current):
            if part in current.model_fields:
                owner, field = current, part
                clean.append(part)
                current = current.model_fields[part].annotation
                continue
            if part.startswith(_UNION_TAGS) or part.endswith("]"):
                continue
            owner, field = current, part  # unknown key
            clean.append(part)
            current = None
            continue
        if isinstance(part, str) and part.startswith(_UNION_TAGS):
            continue
        clean.append(part)
        current = _element(current, part)
        if _is_model(current):
            owner = current
    del model
    return tuple(clean), owner, field


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _element(tp: Any, part: Any) -> Any:
    """The type reached by indexing `tp` (list, dict, optional, annotated) with `part`."""
    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if a is not type(None)]
            containers = [a for a in models if typing.get_origin(a) in (list, dict) or _is_model(a)]
            tp = containers[0] if containers else models[0]
            continue
        break
    origin = typing.get_origin(tp)
    if origin is list:
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def _problem(err: dict[str, Any], path: str, owner: type[BaseModel] | None, field: str | None) -> Problem:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    desc = ""
    if owner is not None and field is not None and field in owner.model_fields:
        desc = owner.model_fields[field].description or ""
    about = f" ({desc.rstrip('.')})" if desc else ""
    if kind == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner is not None else []
        close = difflib.get_close_matches(str(field), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(path, f"unknown key {field!r}",
                       f"{hint}remove it or correct its spelling; allowed keys here: {', '.join(allowed)}")
    if kind == "missing":
        return Problem(path, "required key is missing", f"add {field!r}{about}")
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<",
              "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "")
        return Problem(path, f"must be {op} {bound}, got {got!r}", f"give a value {op} {bound}{about}")
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number"):
        want = "a whole number" if kind.startswith("int") else "a finite number"
        return Problem(path, f"expected {want}, got {_kind(got)} {_short(got)}", f"give {want}{about}")
    if kind in ("bool_type", "bool_parsing"):
        return Problem(path, f"expected true or false, got {_short(got)}", f"write true or false{about}")
    if kind in ("string_type",):
        return Problem(path, f"expected a string, got {_kind(got)} {_short(got)}", f"give a name in quotes{about}")
    if kind in ("string_too_short",):
        return Problem(path, "must not be empty", f"give a non-empty name{about}")
    if kind in ("list_type", "too_short"):
        msg = err["msg"][0].lower() + err["msg"][1:]
        return Problem(path, msg, f"give a JSON list{about}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return Problem(path, f"expected a JSON object, got {_kind(got)} {_short(got)}", f"give an object{about}")
    if kind == "value_error":
        msg = str(ctx.get("error", err["msg"]))
        text, _, fix = msg.partition("; ")
        return Problem(path, text, fix or f"correct the value{about}")
    return Problem(path, err["msg"], f"correct the value{about}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
