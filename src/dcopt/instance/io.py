"""JSON -> validated `Instance`: parsing, catalog resolution, friendly errors.

Everything that reads raw instance JSON lives here; downstream code only sees
the `Instance`. Every problem is reported with its JSON path (e.g.
``sites[2].block_mw``), what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import sys
import types
import typing
from dataclasses import replace
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from .catalogs import find_catalog, is_catalog_name, shipped_catalog_names
from .checks import check_instance, check_validated
from .errors import InstanceError, Problem
from .schema import Instance, number_text
from .xlsxfile import is_workbook

MAX_FILE_BYTES = 100 * 2**20
"""Largest instance or catalog file read (the 50-site instance is 35 kB)."""
MAX_DEPTH = 32
"""Deepest nesting of JSON objects and lists accepted; the instance format needs 6."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def load_instance(source: str | Path | dict[str, Any], base_dir: str | Path | None = None) -> Instance:
    """Read, validate and check an instance.

    `source` is a path to a JSON file or an Excel workbook (.xlsx, read by
    :mod:`dcopt.instance.xlsx`, its problems named by cell), or an already parsed dict.
    A catalog given by path is resolved relative to the instance file's folder (or
    `base_dir` for a dict). Raises `InstanceError` listing every problem found.
    """
    label = ""
    if isinstance(source, dict):
        data = source
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source)
        if is_workbook(path):
            from .xlsx import load_instance_workbook  # openpyxl only when a workbook is read

            return load_instance_workbook(path, base_dir)
        label = str(path)
        base = Path(base_dir) if base_dir is not None else path.parent
        data = read_json(path, "$", label)
    if not isinstance(data, dict):
        raise InstanceError(
            [Problem("$", f"the instance must be a JSON object, got {_kind(data)}",
                     "wrap the instance in { ... } with keys horizon, finance, catalog, sites")],
            label,
        )
    data, problems, fatal = _sanitize(data, ())
    data = dict(data)  # the caller's dict stays as it is
    if fatal:
        raise InstanceError(problems, label)
    catalog_file: Path | None = None
    heading = ""  # the catalog file, in the heading, when a problem is in it
    unreadable = False  # a catalog reference that gave no catalog: the rest is still checked
    if isinstance(data.get("catalog"), str):
        if any(p.path == "catalog" for p in problems):  # a lone surrogate in the reference
            unreadable = True
        else:
            try:
                catalog_file, data["catalog"] = _load_catalog_ref(data["catalog"], base, label)
            except InstanceError as exc:
                problems += exc.problems
                heading, unreadable = exc.catalog, True
            else:
                data["catalog"], in_catalog, fatal = _sanitize(data["catalog"], ("catalog",))
                problems += _in_catalog(in_catalog, catalog_file)
                if fatal:
                    raise InstanceError(problems, label, catalog=str(catalog_file))
        if unreadable:
            del data["catalog"]

    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(exc)
    else:
        found = check_validated(instance)  # section 8's rules, once its fields are well formed
    if unreadable:  # already reported; not also "required key is missing"
        found = [p for p in found if p.path != "catalog"]
    found += check_instance(data)  # on the raw data: also when a field elsewhere is invalid
    problems += _in_catalog(found, catalog_file)
    if problems:
        if catalog_file is not None and any(p.path.startswith("catalog") for p in problems):
            heading = str(catalog_file)
        raise InstanceError(problems, label, catalog=heading)
    return instance


def _in_catalog(problems: list[Problem], catalog_file: Path | None) -> list[Problem]:
    """Say where a problem of a referenced catalog file is."""
    if catalog_file is None:
        return problems
    return [replace(p, message=f"{p.message} (in {catalog_file})")
            if p.path.startswith(("catalog.", "catalog[")) else p for p in problems]


def _sanitize(data: Any, where: tuple[Any, ...]) -> tuple[Any, list[Problem], bool]:
    """`data` with text that cannot be written (lone surrogates, e.g. ``"\\ud800"`` in JSON)
    replaced by U+FFFD; the problems found (that text, and nesting deeper than `MAX_DEPTH`);
    and whether they are fatal (too deep: nothing else is checked, `data` is returned as it
    is). Iterative, so that hostile depth cannot exhaust the stack."""
    problems: list[Problem] = []
    deep: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, where)]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, (dict, list)):
            if len(loc) - len(where) >= MAX_DEPTH:
                deep.append(loc)
                continue
            children = []
            for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
                if isinstance(key, str) and _SURROGATE.search(key):
                    problems.append(_surrogate_problem(json_path((*loc, ascii(key)[1:-1])), key, "key"))
                    key = _SURROGATE.sub("\ufffd", key)
                children.append((item, (*loc, key)))
            stack.extend(reversed(children))  # document order
        elif isinstance(value, str) and _SURROGATE.search(value):
            problems.append(_surrogate_problem(json_path(loc), value, "text"))
    if deep:
        first = min(deep, key=len)
        more = f" (and {len(deep) - 1} more place{'s' if len(deep) > 2 else ''})" if len(deep) > 1 else ""
        return data, [Problem(json_path(first), f"JSON nested more than {MAX_DEPTH} levels deep{more}",
                              "an instance nests objects and lists a few levels only: remove the "
                              "extra brackets")], True
    return (_replace_surrogates(data) if problems else data), problems, False


def _replace_surrogates(value: Any) -> Any:
    """A copy of `value` (at most `MAX_DEPTH` deep) with lone surrogates replaced by U+FFFD."""
    if isinstance(value, dict):
        return {(_SURROGATE.sub("\ufffd", k) if isinstance(k, str) else k): _replace_surrogates(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    return value


def _surrogate_problem(path: str, text: str, what: str) -> Problem:
    bad = _SURROGATE.search(text).group()
    return Problem(path, f"{what} {_short(text)} holds a lone surrogate {ascii(bad)[1:-1]}, which is not a "
                         "Unicode character (it could not be written to the solution files)",
                   "remove it, or write the character meant (outside the basic plane a JSON escape "
                   "is a pair, e.g. \\ud83d\\ude00)")


def read_json(path: Path, where: str = "$", label: str | None = None) -> Any:
    """Parsed JSON of `path`; problems are reported at `where` under the heading `label`
    (default: the file itself)."""
    source = str(path) if label is None else label
    what = f"catalog file {path}" if where == "catalog" else str(path)

    def fail(message: str, fix: str) -> InstanceError:
        return InstanceError([Problem(where, message, fix)], source,
                             catalog=str(path) if where == "catalog" else "")

    try:
        size = path.stat().st_size
    except (OSError, ValueError):
        size = 0  # reading says why
    if size > MAX_FILE_BYTES:  # e.g. a catalog path naming a /proc file
        raise fail(f"{what} is larger than {MAX_FILE_BYTES // 2**20} MiB: not an instance or catalog",
                   "check the path")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"{what} is not UTF-8 text (byte {exc.start})", "save the file as UTF-8 JSON") from None
    except FileNotFoundError:
        raise fail(f"file not found: {path}", "check the path") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(f"cannot read {what}: {reason}", "check the path") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"malformed JSON in {path.name if where != 'catalog' else what} at line {exc.lineno}, "
                   f"column {exc.colno}: {exc.msg}",
                   "fix the JSON syntax there (a missing comma, quote or bracket is the usual cause)") from None
    except RecursionError:
        raise fail(f"JSON in {what} is nested too deeply to read (more than {MAX_DEPTH} levels "
                   "is never needed)", "remove the extra brackets") from None
    except ValueError:  # Python reads integers of at most 4300 digits
        raise fail(f"a number in {what} has more than {sys.get_int_max_str_digits()} digits",
                   "write numbers with at most 17 significant digits (e.g. 1e30)") from None


def _load_catalog_ref(ref: str, base: Path, label: str) -> tuple[Path, Any]:
    """The catalog file a reference names, and its parsed content."""
    try:
        path = find_catalog(ref, base)
    except (OSError, ValueError):  # a name the file system cannot hold (a NUL byte, too long)
        path = None
    if path is None:
        if is_catalog_name(ref):
            names = ", ".join(shipped_catalog_names()) or "none"
            problem = Problem("catalog", f"no shipped catalog named {_short(ref)}",
                              f"use a shipped catalog ({names}), or a path to a catalog JSON file "
                              "relative to the instance file")
        else:
            problem = Problem("catalog", f"catalog file not found: {_short(str(base / ref))}"
                              if len(ref) > 200 else f"catalog file not found: {base / ref}",
                              "check the path; a relative path is relative to the instance file's folder")
        raise InstanceError([problem], label)
    data = read_json(path, "catalog", label)
    if not isinstance(data, dict):
        raise InstanceError(
            [Problem("catalog", f"catalog file {path} must hold a JSON object, got {_kind(data)}",
                     "give an object with gpus, cooling, densities and fabrics")],
            label, catalog=str(path),
        )
    return path, data


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
    """One problem per location, in the order pydantic found them.

    A value that fits no member of a union (a number or a year map) gives one
    error per member: members that reject the value's type are dropped when
    another member accepts it, and merged into one "expected X or Y" otherwise.
    """
    errors = [(err, *_clean_loc(tuple(err["loc"]))) for err in exc.errors(include_url=False)]
    members: dict[tuple[Any, ...], dict[str, bool]] = {}  # union loc -> member -> rejects the type
    for err, loc, _, _, union in errors:
        if union is not None:
            rejects = len(loc) == len(union[0]) and err["type"] in _TYPE_ERRORS
            by_member = members.setdefault(union[0], {})
            by_member[union[1]] = by_member.get(union[1], True) and rejects
    by_path: dict[str, Problem] = {}
    for err, loc, owner, field, union in errors:
        path = json_path(loc)
        if union is not None and members[union[0]][union[1]]:
            if not all(members[union[0]].values()):
                continue  # another member accepts the value's type and reports what is wrong
            want = " or ".join(_member_kind(m) for m in members[union[0]])
            problem = Problem(path, f"expected {want}, got {_got(err.get('input'))}",
                              f"give {want}{_about(owner, field)}")
        else:
            problem = validation_problem(err, path, owner, field)
        by_path.setdefault(path, problem)
    return list(by_path.values())


_UNION_TAGS = ("float", "int", "bool", "str", "dict[", "list[", "constrained-", "function-", "tagged-union")
_TYPE_ERRORS = {"float_type", "float_parsing", "int_type", "int_parsing", "bool_type", "bool_parsing",
                "string_type", "dict_type", "list_type", "model_type", "model_attributes_type"}


def _member_kind(tag: str) -> str:
    """What a union member (pydantic's tag, e.g. 'constrained-float') expects, in words."""
    for prefix, kind in (("dict[str,", "a year map"), ("dict[", "an object"), ("list[", "a list"),
                         ("bool", "true or false"), ("str", "a string"), ("int", "a whole number")):
        if tag.startswith(prefix):
            return kind
    return "a number" if "float" in tag else tag


def _clean_loc(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel] | None, str | None,
                                             tuple[tuple[Any, ...], str] | None]:
    """Drop pydantic's union-member tags from `loc`.

    Returns the clean loc, the model owning the last field, that field, and
    (loc of the union, member tag) for an error inside a union, else None.
    """
    owner: type[BaseModel] | None = None
    field: str | None = None
    union: tuple[tuple[Any, ...], str] | None = None
    clean: list[Any] = []
    current: Any = Instance
    for part in loc:
        if isinstance(part, str) and _is_model(current) and part in current.model_fields:
            owner, field = current, part
            clean.append(part)
            current = current.model_fields[part].annotation
        elif isinstance(part, str) and not _is_model(current) and part.startswith(_UNION_TAGS):
            if union is None:
                union = (tuple(clean), part)
        elif isinstance(part, str) and _is_model(current):
            owner, field = current, part  # unknown key
            clean.append(part)
            current = None
        else:
            clean.append(part)
            current = _element(current, part)
            if _is_model(current):
                owner = current
    return tuple(clean), owner, field, union


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


def validation_problem(err: dict[str, Any], path: str, owner: type[BaseModel] | None, field: str | None) -> Problem:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    about = _about(owner, field)
    if kind == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner is not None else []
        close = difflib.get_close_matches(str(field), allowed, n=1)
        fix = (f"did you mean {close[0]!r}? correct the spelling or remove the key" if close
               else f"remove it or correct its spelling; allowed keys here: {', '.join(allowed)}")
        return Problem(path, f"unknown key {field!r}", fix)
    if kind == "missing":
        return Problem(path, "required key is missing", f"add {field!r}{about}")
    if kind == "out_of_range":
        within = ctx.get("range", "")
        return Problem(path, f"{err['msg']}, got {_short(got)}", f"give a value {within}{about}")
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<",
              "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "")
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        return Problem(path, f"must be {op} {bound}, got {_short(got)}", f"give a value {op} {bound}{about}")
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number"):
        want = {"finite_number": "a finite number"}.get(kind, "a whole number" if kind.startswith("int")
                                                        else "a number")
        return Problem(path, f"expected {want}, got {_got(got)}", f"give {want}{about}")
    if kind in ("bool_type", "bool_parsing"):
        return Problem(path, f"expected true or false, got {_got(got)}", f"write true or false{about}")
    if kind in ("string_type",):
        return Problem(path, f"expected a string, got {_got(got)}", f"give a name in quotes{about}")
    if kind in ("string_too_short",):
        return Problem(path, "must not be empty", f"give a non-empty name{about}")
    if kind == "list_type":
        return Problem(path, f"expected a JSON list, got {_got(got)}", f"give a list{about}")
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return Problem(path, f"must hold at least {least} entr{'y' if least == 1 else 'ies'}, got none",
                       f"add {'an entry' if least == 1 else f'{least} entries'}{about}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return Problem(path, f"expected a JSON object, got {_got(got)}", f"give an object{about}")
    if kind == "value_error":
        msg = str(ctx.get("error", err["msg"]))
        text, _, fix = msg.partition("; ")
        return Problem(path, text, fix or f"correct the value{about}")
    return Problem(path, err["msg"], f"correct the value{about}")


def _about(owner: type[BaseModel] | None, field: str | None) -> str:
    """' (the field's description)' to append to a fix, or ''."""
    desc = ""
    if owner is not None and field is not None and field in owner.model_fields:
        desc = owner.model_fields[field].description or ""
    return f" ({desc.rstrip('.')})" if desc else ""


def _got(value: Any) -> str:
    """What was given, for a message: 'a string \'20k\'', 'null'."""
    return "null" if value is None else f"{_kind(value)} {_short(value)}"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    """`value` as a message shows it, at most 40 characters. Never fails and stays cheap on
    hostile input: deep or huge containers, ints of thousands of digits, lone surrogates."""
    text = _preview(value, 3)
    return text if len(text) <= 40 else text[:37] + "..."


def _preview(value: Any, depth: int, inside: bool = False) -> str:
    """JSON-like text of `value`, containers cut to 4 entries and `depth` levels."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        if value.bit_length() < 1020:
            return number_text(float(value))
        return f"{'-' if value < 0 else ''}a {int(value.bit_length() * 0.30103) + 1}-digit number"
    if isinstance(value, float):
        return number_text(value) if math.isfinite(value) else json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value[:60]) if inside else repr(value[:60])  # both escape lone surrogates
    if isinstance(value, (dict, list)):
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if not value:
            return opening + closing
        if depth <= 0:
            return opening + "..." + closing
        if isinstance(value, dict):
            parts = [f"{json.dumps(str(k)[:60])}: {_preview(v, depth - 1, True)}"
                     for k, v in list(value.items())[:4]]
        else:
            parts = [_preview(v, depth - 1, True) for v in value[:4]]
        more = ", ..." if len(value) > 4 else ""
        return opening + ", ".join(parts) + more + closing
    return type(value).__name__
