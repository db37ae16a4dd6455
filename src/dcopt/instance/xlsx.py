"""Instances as Excel workbooks (.xlsx): the layout, generated from the schema; reading,
with every problem named by its sheet, row and column; writing; conversion to and from
JSON.

The layout (`layout()`, written out in docs/workbook-format.md) follows the schema of
:mod:`dcopt.instance.schema`, the one place fields, units and defaults are written:

* each object of the instance with plain fields is a key/value sheet (`instance`: the
  name and the catalog; `horizon`, `finance`, `options`, `scenarios`, `catalog`):
  column A the field, B its value, C what it means (not read);
* each list of the instance is a table sheet: row 1 the field names (units are in the
  names), one row per entry; a list inside an entry (a site's grid upgrades and on-site
  options, a fabric's ports) has its own sheet whose first column names the entry it
  belongs to (`site`, `fabric`);
* a year map is a group of year columns ``FIELD YEAR`` (``perf 2027``), beside the
  field's own column when it may also be one number; a map by name likewise
  (``pue_overrides dlc``);
* a list of names or numbers is one cell, comma-separated (``air, dlc``);
* `demand`: the pooled training demand (workload ``training``) and one row per
  inference region (workload ``inference``), year columns ``perf YEAR``;
* the catalog: a shipped catalog's name (or a catalog file's path, relative to the
  workbook) in the `catalog` row of `instance`, or inline in the catalog's sheets.

A sheet whose name starts with ``_`` is yours (notes) and is not read; any other
unknown sheet, column or key/value row is a problem (a typo must not be ignored).

The pydantic `Instance` stays the one validator: a workbook is read into the JSON-like
document a JSON file holds, `load_instance` checks it, and the JSON path of each
problem is mapped back to the cell it came from (``sites!F3 electricity_usd_per_mwh``),
keeping its JSON path (``sites[1].electricity_usd_per_mwh``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel

from . import schema as s
from .catalogs import find_catalog, is_catalog_name
from .errors import InstanceError, Problem
from .xlsxfile import (
    OTHER_SPREADSHEETS,
    WORKBOOK_SUFFIXES,
    WorkbookFileError,
    is_workbook,
    open_workbook,
    save,
    set_cell,
    sheet_rows,
    text_problem,
)

# =========================================================================== the layout

SHEET_NAMES = {
    "": "instance",
    "catalog.sources": "catalog_sources",
    "catalog.fabrics.ports": "fabric_ports",
    "demand.inference": "demand",
    "existing.blocks": "existing_blocks",
    "existing.deployments": "existing_deployments",
    "scenarios.cases": "scenario_cases",
}
"""Sheet names that are not the last part of the path (which is the default)."""
PARENT_COLUMNS = {"sites": "site", "catalog.fabrics": "fabric"}
"""For a list inside the entries of a list: the column naming the entry (by its `name`)."""
POOLED = ("demand", "training")
"""The pooled training demand: the ``training`` row of the sheet of `POOLED_TABLE`."""
POOLED_TABLE = ("demand", "inference")
WORKLOAD = "workload"
WORKLOADS = ("training", "inference")
WORKLOAD_NOTE = ("training: the pooled training demand (no region); inference: the inference demand of "
                 "the row's region.")


class LayoutError(TypeError):
    """A schema field that has no place in the workbook layout (a test builds the layout)."""


@dataclass(frozen=True)
class Column:
    """A field of a sheet. `kind`: ``scalar`` (one cell), ``list`` (names or numbers,
    comma-separated in one cell), ``json`` (a list of lists, as JSON text), ``map``
    (a column per key: ``FIELD KEY``), ``scalar_or_map`` (one cell, or a column per key),
    ``reference`` (the catalog's name or path). `type`: of the value, of a list's
    elements or of a map's values."""

    field: str
    kind: str
    type: type
    key: str = ""
    required: bool = False
    always: bool = False  # a map that every entry has: year columns for the whole horizon
    meaning: str = ""

    def headers(self, keys: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(header, map key or "") of its columns, for the map keys `keys`."""
        own = [] if self.kind == "map" else [(self.field, "")]
        maps = [(f"{self.field} {k}", k) for k in keys] if self.kind in ("map", "scalar_or_map") else []
        return own + maps


@dataclass(frozen=True)
class Sheet:
    """A sheet: `kind` ``kv`` (an object: field, value), ``table`` (a list of objects) or
    ``map`` (a map of texts: key, value). `path`: where its object, list or map sits in
    the instance; for a nested table, the field of each `parent` entry holding it."""

    name: str
    kind: str
    path: tuple[str, ...]
    model: type[BaseModel]  # of the object (kv, map) or of the list's entries (table)
    columns: tuple[Column, ...]
    required: bool
    catalog: bool
    doc: str
    parent: str = ""
    parent_column: str = ""
    pooled: bool = False

    @property
    def json_path(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class _Sub:
    kind: str  # object | table
    model: type[BaseModel]


def _members(tp: Any) -> list[tuple[Any, tuple[Any, ...]]]:
    """The members of a type's union (None dropped), each with its Annotated metadata."""
    out: list[tuple[Any, tuple[Any, ...]]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(tp, ())]
    while stack:
        t, meta = stack.pop(0)
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            stack.insert(0, (typing.get_args(t)[0], meta + tuple(t.__metadata__)))
        elif origin in (Union, types.UnionType):
            stack[0:0] = [(a, meta) for a in typing.get_args(t) if a is not type(None)]
        else:
            out.append((t, meta))
    return out


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _base(tp: Any) -> type:
    base = _members(tp)[0][0]
    if base not in (float, int, str, bool):
        raise LayoutError(f"no cell type for {tp!r}")
    return base


def _shape(model: type[BaseModel], name: str) -> Column | _Sub:
    f = model.model_fields[name]
    marks = [m.key for m in f.metadata if isinstance(m, s.MapOf)]
    scalars, maps, lists, models = [], [], [], []
    for t, meta in _members(f.annotation):
        origin = typing.get_origin(t)
        if _is_model(t):
            models.append(t)
        elif origin is dict:
            key = next((m.key for m in meta if isinstance(m, s.MapOf)), marks[0] if marks else "key")
            maps.append((key, _base(typing.get_args(t)[1])))
        elif origin is list:
            lists.append(typing.get_args(t)[0])
        else:
            scalars.append(_base(t))
    meaning, required = _meaning(model, name), f.is_required()
    if models:
        return _Sub("object", models[0])
    if lists:
        element = _members(lists[0])[0][0]
        if _is_model(element):
            return _Sub("table", element)
        if typing.get_origin(element) is list:
            return Column(name, "json", list, required=required, meaning=meaning)
        return Column(name, "list", _base(element), required=required, meaning=meaning)
    if maps:
        key, value = maps[0]
        kind = "scalar_or_map" if scalars else "map"
        always = kind == "map" and key == "year" and (required or f.default_factory is dict)
        return Column(name, kind, value, key=key, required=required, always=always, meaning=meaning)
    if len(set(scalars)) != 1:
        raise LayoutError(f"{model.__name__}.{name}: no single cell type in {scalars}")
    return Column(name, "scalar", scalars[0], required=required, meaning=meaning)


def _default_text(f: Any) -> str:
    if f.is_required():
        return "required"
    if f.default_factory is not None:
        value = f.default_factory()
        if isinstance(value, BaseModel):
            return "the defaults of its fields"
        return "none" if value in ({}, []) else _cell_text(value)
    if f.default == "":
        return "empty"
    return "none" if f.default is None else _cell_text(f.default)


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return list_text(value)
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def _meaning(model: type[BaseModel], name: str) -> str:
    f = model.model_fields[name]
    parts = [(f.description or "").strip()]
    r = s.field_range(model, name)
    if r is not None:
        parts.append(f"Range {r.interval()}.")
    if f.is_required():
        parts.append("Required.")
    elif "Default" not in parts[0]:
        parts.append(f"Default: {_default_text(f)}.")
    return " ".join(p for p in parts if p)


@cache
def layout() -> tuple[Sheet, ...]:
    """Every sheet of an instance workbook, in workbook order, generated from the schema."""
    out: list[Sheet] = []
    _walk(s.Instance, (), catalog=False, required=True, out=out)
    names = [x.name for x in out]
    if len(set(names)) != len(names):
        raise LayoutError(f"two sheets share a name: {names}")
    return tuple(out)


def sheet(name: str) -> Sheet:
    return next(x for x in layout() if x.name == name)


def _name_of(path: tuple[str, ...]) -> str:
    return SHEET_NAMES.get(".".join(path), path[-1] if path else "instance")


def _walk(model: type[BaseModel], path: tuple[str, ...], *, catalog: bool, required: bool,
          out: list[Sheet]) -> None:
    kv: list[Column] = []
    children: list[tuple[str, _Sub | Column, bool]] = []
    for name, f in model.model_fields.items():
        shape = _shape(model, name)
        if isinstance(shape, _Sub):
            if model is s.Instance and name == "catalog":
                kv.append(Column("catalog", "reference", str, required=True, meaning=(
                    "The name of a shipped catalog (e.g. default) or the path of a catalog JSON file "
                    "relative to this workbook; leave it empty when the catalog is in this workbook's "
                    "catalog sheets.")))
            children.append((name, shape, f.is_required()))
        elif (*path, name) == POOLED:
            continue  # the training row of the demand sheet
        elif shape.kind == "map" and shape.type is str:
            children.append((name, shape, f.is_required()))
        elif shape.kind in ("map", "scalar_or_map"):
            raise LayoutError(f"{'.'.join((*path, name))}: a map outside a table has no place in the layout")
        else:
            kv.append(shape)
    doc = (model.__doc__ or "").strip().splitlines()[0]
    if kv:
        out.append(Sheet(_name_of(path), "kv", path, model, tuple(kv), required, catalog, doc))
    for name, shape, req in children:
        sub = (*path, name)
        in_catalog = catalog or sub == ("catalog",)
        if isinstance(shape, Column):
            out.append(Sheet(_name_of(sub), "map", sub, model, (shape,), req, in_catalog,
                             (model.model_fields[name].description or "").strip()))
        elif shape.kind == "object":
            _walk(shape.model, sub, catalog=in_catalog, required=req, out=out)
        else:
            _table(shape.model, sub, catalog=in_catalog, required=req, out=out)


def _table(model: type[BaseModel], path: tuple[str, ...], *, catalog: bool, required: bool,
           out: list[Sheet], parent: str = "", parent_column: str = "") -> None:
    columns: list[Column] = []
    nested: list[tuple[str, type[BaseModel]]] = []
    for name in model.model_fields:
        shape = _shape(model, name)
        if isinstance(shape, Column):
            columns.append(shape)
        elif shape.kind == "table":
            nested.append((name, shape.model))
        else:
            raise LayoutError(f"{model.__name__}.{name}: an object inside a table entry has no place")
    name = _name_of(path)
    doc = (model.__doc__ or "").strip().splitlines()[0]
    reserved = {parent_column, WORKLOAD if path == POOLED_TABLE else ""}
    if any(c.field in reserved for c in columns):
        raise LayoutError(f"{name}: a field is called like the sheet's extra column")
    out.append(Sheet(name, "table", path, model, tuple(columns), required, catalog, doc, parent, parent_column,
                     pooled=path == POOLED_TABLE))
    for field, sub in nested:
        column = PARENT_COLUMNS.get(".".join(path))
        if column is None or "name" not in model.model_fields:
            raise LayoutError(f"{name}.{field}: a nested list needs PARENT_COLUMNS and a name field")
        _table(sub, (*path, field), catalog=catalog, required=False, out=out, parent=name,
               parent_column=column)


# =========================================================================== cell values

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def scalar(value: Any, tp: type) -> Any:
    """A cell's value for a field of type `tp`: numbers typed as text are numbers, whole
    floats are integers where integers are wanted, numbers are text where names are, TRUE
    and FALSE as text are booleans; anything else is passed on for `Instance` to judge."""
    if _empty(value):
        return MISSING
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        value = value.isoformat()
    elif isinstance(value, dt.timedelta):
        value = str(value)
    text = value.strip() if isinstance(value, str) else None
    if tp is float and text is not None and _NUMBER.fullmatch(text):
        return float(text)
    if tp is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if text is not None and _INTEGER.fullmatch(text):
            return int(text)
        if text is not None and _NUMBER.fullmatch(text) and float(text).is_integer():
            return int(float(text))
    if tp is str and not isinstance(value, (str, bool)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if tp is bool and text is not None and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def list_text(values: list[Any]) -> str:
    """A list as one cell: ``air, dlc`` or ``3, 4, 5``; JSON text when an entry would not
    survive the commas (a name holding a comma, spaces around it, an empty name), or for []."""
    simple_names = all(isinstance(v, str) and v and v == v.strip() and "," not in v
                       and not v.startswith("[") for v in values)
    simple_numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if values and (simple_names or simple_numbers):
        return ", ".join(v if isinstance(v, str) else repr(v) for v in values)
    return json.dumps(values, ensure_ascii=False)


def _parse_list(value: Any, tp: type) -> tuple[Any, str | None]:
    """(the list in a cell, or MISSING; a problem or None)."""
    if _empty(value):
        return MISSING, None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text), None
            except ValueError:
                return MISSING, (f"{_short(text)} is not a list: write the entries separated by commas "
                                 "(air, dlc), or a JSON list ([\"air\", \"dlc\"])")
        return [scalar(p, tp) if p else p for p in (part.strip() for part in text.split(","))], None
    return [scalar(value, tp)], None


def _parse_json(value: Any) -> tuple[Any, str | None]:
    if _empty(value):
        return MISSING, None
    if isinstance(value, str):
        try:
            return json.loads(value), None
        except ValueError:
            return MISSING, f"{_short(value)} is not a JSON list such as [[10, 0.05], [1000, 0.1]]"
    return value, None


def _short(text: str) -> str:
    text = str(text)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


# =========================================================================== reading


@dataclass(frozen=True)
class Where:
    """Where a value of the instance comes from: a cell, a row, a sheet, or something
    missing (a sheet, a column, a key/value row)."""

    sheet: str
    row: int | None = None
    column: int | None = None
    header: str = ""
    missing: str = ""  # "", "sheet", "column", "row"
    explained: bool = False  # missing because of a problem already reported (a misspelt header)

    def label(self) -> str:
        if self.row is not None and self.column is not None:
            return f"{self.sheet}!{column_letter(self.column)}{self.row} {self.header}".rstrip()
        if self.missing == "column":
            return f"{self.sheet} column {self.header}"
        if self.missing in ("row", "sheet") and self.header:
            return f"{self.sheet} {self.header}"
        if self.row is not None:
            return f"{self.sheet} row {self.row}"
        return self.sheet


_MISSING_TEXT = {"": "required, but the cell is empty", "column": "required column is missing",
                 "row": "required row is missing", "sheet": "required sheet is missing"}


@dataclass
class _Row:
    number: int
    entry: dict[str, Any]
    cells: dict[str, Where]  # relative path ("", ".field", ".field.key") -> where
    parent: Any = None
    parent_where: Where | None = None
    workload: Any = None
    workload_where: Where | None = None


class WorkbookReader:
    """Reads an instance workbook into an instance document; `where` maps JSON paths
    to cells and `locate` turns the problems `load_instance` finds into cell problems."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.where: dict[str, Where] = {}
        self.problems: list[Problem] = []
        self.drop: list[tuple[str, bool]] = []
        self.titles: dict[str, str] = {}
        self.bad_cells: set[tuple[str, int, int]] = set()  # cells already reported (formulas)

    # ------------------------------------------------------------------ the file
    def read(self) -> dict[str, Any]:
        """The instance document; raises `InstanceError` if the file is no workbook."""
        suffix = self.path.suffix.lower()
        if suffix in OTHER_SPREADSHEETS:
            raise InstanceError([Problem("$", f"dcopt reads .xlsx workbooks, not {suffix} files",
                                         "save the file as an Excel workbook (.xlsx), or use JSON")],
                                str(self.path))
        grids = self._grids()
        return self._document(grids)

    def _grids(self) -> dict[str, list[list[tuple[Any, str]]]]:
        try:
            wb = open_workbook(self.path)
        except WorkbookFileError as exc:
            raise InstanceError([Problem("$", str(exc), "give an instance workbook (.xlsx) or JSON file")],
                                str(self.path)) from None
        specs = {x.name for x in layout()}
        grids: dict[str, list[list[tuple[Any, str]]]] = {}
        unknown: list[str] = []
        formulas = False
        try:
            for ws in wb.worksheets:
                if not hasattr(ws, "iter_rows"):
                    continue  # a chart sheet
                key = ws.title.strip().lower()
                if ws.title.startswith("_"):
                    continue
                if key not in specs:
                    unknown.append(ws.title)
                    continue
                if key in grids:
                    self.problems.append(Problem(ws.title, f"a second sheet {key!r} (also {self.titles[key]!r})",
                                                 "keep one of the two sheets"))
                    continue
                grids[key] = sheet_rows(ws)
                self.titles[key] = ws.title
                formulas = formulas or any(t == "f" for row in grids[key] for _, t in row)
        finally:
            wb.close()
        if formulas:
            self._computed(grids)
        present = set(grids)
        for title in unknown:
            close = difflib.get_close_matches(title.strip().lower(), sorted(specs - present), n=1, cutoff=0.6)
            if close:
                self.problems.append(Problem(title, f"unknown sheet {title!r}",
                                             f"did you mean {close[0]!r}? rename the sheet"))
                self.drop += _explained_by(sheet(close[0]))
            else:
                self.problems.append(Problem(title, f"unknown sheet {title!r}",
                                             "rename it to one of the instance's sheets ("
                                             f"{', '.join(x.name for x in layout())}), or start its name "
                                             "with _ for a sheet of your own (not read)"))
        return grids

    def _computed(self, grids: dict[str, list[list[tuple[Any, str]]]]) -> None:
        """Formula cells hold their computed values, as the file saved them."""
        wb = open_workbook(self.path, data_only=True)
        try:
            values = {ws.title.strip().lower(): sheet_rows(ws) for ws in wb.worksheets
                      if hasattr(ws, "iter_rows") and ws.title.strip().lower() in grids
                      and ws.title == self.titles[ws.title.strip().lower()]}
        finally:
            wb.close()
        for key, grid in grids.items():
            for r, row in enumerate(grid):
                for c, (value, kind) in enumerate(row):
                    if kind != "f":
                        continue
                    got = values.get(key, [])
                    computed = got[r][c][0] if r < len(got) and c < len(got[r]) else None
                    if computed is None:
                        title = self.titles[key]
                        named = (row[0][0] if sheet(key).kind == "kv"
                                 else grid[0][c][0] if c < len(grid[0]) else "")
                        self.bad_cells.add((title, r + 1, c + 1))
                        self.problems.append(Problem(
                            f"{title}!{column_letter(c + 1)}{r + 1} {named if isinstance(named, str) else ''}".rstrip(),
                            f"formula {_short(value)} has no computed value in the file",
                            "open the workbook in a spreadsheet and save it (which computes formulas), or "
                            "type the value"))
                    row[c] = (computed, "n")

    # ------------------------------------------------------------------ the document
    def _document(self, grids: dict[str, list[list[tuple[Any, str]]]]) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        inline = any(_has_data(x, grids.get(x.name)) for x in layout() if x.catalog)
        if inline:
            doc["catalog"] = {}
        for spec in layout():
            grid = grids.get(spec.name)
            title = self.titles.get(spec.name, spec.name)
            if spec.catalog and not inline:
                continue
            if spec.kind == "kv":
                self._kv(spec, grid, title, doc, inline)
            elif spec.kind == "map":
                self._map(spec, grid, title, doc)
            else:
                self._table(spec, grid, title, doc)
        return doc

    def _problem(self, where: Where, message: str, fix: str) -> None:
        self.problems.append(Problem(where.label(), message, fix))

    def _kv(self, spec: Sheet, grid: list | None, title: str, doc: dict[str, Any], inline: bool) -> None:
        prefix = f"{spec.json_path}." if spec.path else ""
        cols = {c.field: c for c in spec.columns}
        if grid is None:
            if spec.path:
                self.where[spec.json_path] = Where(title, missing="sheet")
            for c in spec.columns:
                self.where[prefix + c.field] = Where(title, missing="sheet", header=c.field)
            return
        if spec.path:
            self.where[spec.json_path] = Where(title)
        target: dict[str, Any] = {}
        seen: dict[str, int] = {}
        typos: set[str] = set()
        first = grid[0][0][0] if grid and grid[0] else None
        start = 0 if isinstance(first, str) and first.strip().lower() in cols else 1
        for r, row in enumerate(grid[start:], start=start + 1):
            key, value = (row[0][0] if row else None), (row[1] if len(row) > 1 else (None, "n"))
            if _empty(key):
                if not _empty(value[0]):
                    self._problem(Where(title, r, 2, ""), "a value without a field name in column A",
                                  f"write the field in column A ({', '.join(cols)}), or clear the value")
                continue
            name = str(key).strip().lower()
            if name not in cols:
                close = difflib.get_close_matches(name, list(cols), n=1)
                self._problem(Where(title, r, 1, ""), f"unknown field {str(key).strip()!r}",
                              f"did you mean {close[0]!r}? correct the spelling" if close
                              else f"the fields of this sheet are: {', '.join(cols)}")
                typos.update(close)
                continue
            if name in seen:
                self._problem(Where(title, r, 1, name), f"{name} is given twice (also row {seen[name]})",
                              "keep one of the two rows")
                continue
            seen[name] = r
            where = Where(title, r, 2, name)
            self.where[prefix + name] = where
            got = self._value(cols[name], value, where)
            if got is not MISSING:
                target[name] = got
        for c in spec.columns:
            if c.field not in seen:
                self.where[prefix + c.field] = Where(title, missing="row", header=c.field,
                                                     explained=c.field in typos)
        if not spec.path:  # the instance sheet: the name and the catalog
            ref = target.pop("catalog", MISSING)
            if ref is not MISSING and inline:
                self._problem(self.where["catalog"], f"names the catalog {ref!r}, and this workbook has "
                              "catalog sheets too", "clear this cell to use the catalog sheets, or delete "
                              "the catalog sheets to use the catalog named here")
            elif ref is not MISSING:
                doc["catalog"] = ref
            doc.update(target)
        elif target or spec.required:
            _at(doc, spec.path).update(target)

    def _value(self, col: Column, cell: tuple[Any, str], where: Where) -> Any:
        value = cell[0]
        if col.kind in ("scalar", "reference"):
            return scalar(value, col.type)
        if col.kind == "scalar_or_map":
            if isinstance(value, str) and value.strip().startswith("{"):
                try:
                    return json.loads(value)
                except ValueError:
                    pass
            return scalar(value, col.type)
        got, problem = _parse_list(value, col.type) if col.kind == "list" else _parse_json(value)
        if problem:
            self._problem(where, problem, "correct the cell")
        return got

    def _map(self, spec: Sheet, grid: list | None, title: str, doc: dict[str, Any]) -> None:
        if grid is None:
            return
        self.where[spec.json_path] = Where(title)
        col = spec.columns[0]
        out: dict[str, Any] = {}
        for r, row in enumerate(grid[1:], start=2):
            key, value = (row[0][0] if row else None), (row[1][0] if len(row) > 1 else None)
            if _empty(key) and _empty(value):
                continue
            if _empty(key):
                self._problem(Where(title, r, 1, "key"), "a value without a key", "give its key in column A")
                continue
            key = scalar(key, str)
            self.where[f"{spec.json_path}.{key}"] = Where(title, r, 2, str(key))
            got = scalar(value, col.type)
            out[key] = "" if got is MISSING else got
        if out:
            _at(doc, spec.path[:-1])[spec.path[-1]] = out

    def _header(self, spec: Sheet, grid: list, title: str) -> tuple[dict[int, tuple[Column, str]], int | None,
                                                                       int | None, set[str]]:
        """The columns of a table: {index: (column, map key)}, the parent and workload columns,
        and the fields that misspelt headers probably meant."""
        by_field = {c.field: c for c in spec.columns}
        allowed = [h for c in spec.columns for h, _ in c.headers(["YEAR" if c.key == "year" else "KEY"])]
        allowed += [spec.parent_column] if spec.parent else []
        allowed += [WORKLOAD] if spec.pooled else []
        columns: dict[int, tuple[Column, str]] = {}
        parent = workload = None
        seen: dict[tuple[str, str], int] = {}
        typos: set[str] = set()
        header = grid[0] if grid else []
        for j, (h, _) in enumerate(header, start=1):
            if _empty(h):
                continue
            text = str(h).strip()
            field, _, key = text.partition(" ")
            field, key = field.lower(), key.strip()
            where = Where(title, 1, j, "")
            if spec.parent and field == spec.parent_column and not key:
                parent = j
                continue
            if spec.pooled and field == WORKLOAD and not key:
                workload = j
                continue
            col = by_field.get(field)
            if col is None:
                close = difflib.get_close_matches(text.lower(), allowed, n=1)
                self._problem(where, f"unknown column {text!r}", f"did you mean {close[0]!r}? correct the header"
                              if close else f"the columns of this sheet are: {', '.join(allowed)}")
                typos.update(c.split(" ")[0] for c in close)
                continue
            if key and col.kind not in ("map", "scalar_or_map"):
                self._problem(where, f"{col.field} takes one value per row, not a column {text!r}",
                              f"name the column {col.field}")
                continue
            if key and col.key == "year" and not (key.isascii() and key.isdigit() and len(key) == 4
                                                  and s.YEAR_RANGE.contains(int(key))):
                self._problem(where, f"{key!r} in {text!r} is not a year", f"name year columns like "
                              f"'{col.field} 2027'")
                continue
            if not key and col.kind == "map":
                example = f"'{col.field} 2027'" if col.key == "year" else f"'{col.field} NAME' (NAME: a {col.key})"
                self._problem(where, f"{col.field} is a map: a column per {col.key or 'key'}",
                              f"name its columns like {example}")
                continue
            if (col.field, key) in seen:
                self._problem(where, f"a second column {text!r} (also column "
                              f"{column_letter(seen[col.field, key])})", "keep one of the two columns")
                continue
            seen[col.field, key] = j
            columns[j] = (col, key)
        if spec.parent and parent is None and len(grid) > 1:
            self._problem(Where(title, missing="column", header=spec.parent_column), f"no column "
                          f"{spec.parent_column!r}: each row must name the {spec.parent_column} it belongs to",
                          f"add a column {spec.parent_column} in row 1")
        if spec.pooled and workload is None and len(grid) > 1:
            self._problem(Where(title, missing="column", header=WORKLOAD), f"no column {WORKLOAD!r}",
                          "add a column workload: training (the pooled training demand) or inference")
        return columns, parent, workload, typos

    def _rows(self, spec: Sheet, grid: list, title: str) -> list[_Row]:
        columns, parent, workload, typos = self._header(spec, grid, title)
        header = grid[0] if grid else []
        fields = {col.field for col, _ in columns.values()}
        missing = [c for c in spec.columns if c.field not in fields]
        orphans: set[int] = set()
        rows: list[_Row] = []
        for r, row in enumerate(grid[1:], start=2):
            if all(_empty(v) for v, _ in row):
                continue
            for j, (v, _) in enumerate(row, start=1):
                if not _empty(v) and (j > len(header) or _empty(header[j - 1][0])) and j not in orphans:
                    orphans.add(j)
                    self._problem(Where(title, r, j, ""), "a value in a column without a header",
                                  "give the column a header in row 1 (a field name), or clear it")
            cell = (lambda j, row=row: row[j - 1] if j - 1 < len(row) else (None, "n"))
            entry: dict[str, Any] = {}
            cells: dict[str, Where] = {"": Where(title, r)}
            scalars: dict[str, Where] = {}
            for j, (col, key) in sorted(columns.items()):
                where = Where(title, r, j, f"{col.field} {key}".strip())
                if key:
                    cells[f".{col.field}.{key}"] = where
                    cells.setdefault(f".{col.field}", where)
                    got = scalar(cell(j)[0], col.type)
                    if got is MISSING:
                        continue
                    if col.field in scalars:
                        self._problem(scalars[col.field], f"{col.field} is given as one number and as "
                                      f"{col.key} columns", f"clear this cell or the {col.field} {col.key} "
                                      "columns of this row")
                        continue
                    if not isinstance(entry.get(col.field), dict):
                        entry[col.field] = {}
                    entry[col.field][key] = got
                else:
                    cells[f".{col.field}"] = where
                    got = self._value(col, cell(j), where)
                    if got is MISSING:
                        continue
                    if isinstance(entry.get(col.field), dict) and not isinstance(got, dict):
                        self._problem(where, f"{col.field} is given as one number and as {col.key} "
                                      "columns", f"clear this cell or the {col.field} {col.key} columns")
                        continue
                    entry[col.field] = got
                    scalars[col.field] = where
            for col in spec.columns:
                if col.kind == "map" and col.required and col.field in fields and col.field not in entry:
                    entry[col.field] = {}  # its columns are there, all empty
            for col in missing:
                cells[f".{col.field}"] = Where(title, missing="column", header=col.field,
                                               explained=col.field in typos)
            out = _Row(r, entry, cells)
            if parent is not None:
                out.parent, out.parent_where = scalar(cell(parent)[0], str), Where(title, r, parent,
                                                                                   spec.parent_column)
            if workload is not None:
                out.workload, out.workload_where = scalar(cell(workload)[0], str), Where(title, r, workload,
                                                                                         WORKLOAD)
            rows.append(out)
        return rows

    def _register(self, base: str, row: _Row) -> None:
        for rel, where in row.cells.items():
            self.where[base + rel] = where

    def _table(self, spec: Sheet, grid: list | None, title: str, doc: dict[str, Any]) -> None:
        if grid is None:
            if not spec.parent:
                self.where[spec.json_path] = Where(title, missing="sheet")
            return
        rows = self._rows(spec, grid, title)
        if spec.parent:
            self._nested(spec, rows, doc)
            return
        self.where[spec.json_path] = Where(title)
        if spec.pooled:
            self.where[".".join(POOLED[:-1])] = Where(title)
        entries: list[dict[str, Any]] = []
        training_row: _Row | None = None
        for row in rows:
            if spec.pooled:
                kind = row.workload if row.workload is not MISSING else "inference"
                if kind not in WORKLOADS:
                    self._problem(row.workload_where, f"unknown workload {_short(kind)}",
                                  "write training (the pooled training demand) or inference")
                    continue
                if kind == "training":
                    if training_row is not None:
                        self._problem(row.workload_where, f"a second training row (the first is row "
                                      f"{training_row.number})", "keep one training row")
                        continue
                    training_row = row
                    self._training(row, doc)
                    continue
            self._register(f"{spec.json_path}[{len(entries)}]", row)
            entries.append(row.entry)
        if entries or (spec.required and (len(spec.path) == 1 or isinstance(_get(doc, spec.path[:-1]), dict))):
            _at(doc, spec.path[:-1])[spec.path[-1]] = entries  # a required list of an object given

    def _training(self, row: _Row, doc: dict[str, Any]) -> None:
        base = ".".join(POOLED)
        for rel, where in row.cells.items():
            if rel.startswith(".perf"):
                self.where[base + rel[len(".perf"):]] = where
        if "region" in row.entry:
            self._problem(row.cells[".region"], "the training row has a region",
                          "clear the region: pooled training is served anywhere (or write inference)")
        perf = row.entry.get("perf", MISSING)
        if perf is not MISSING:
            _at(doc, POOLED[:-1])[POOLED[-1]] = perf

    def _nested(self, spec: Sheet, rows: list[_Row], doc: dict[str, Any]) -> None:
        owner = next(x for x in layout() if x.name == spec.parent)
        parents = _get(doc, owner.path)
        if not isinstance(parents, list):
            parents = []
        index: dict[str, int] = {}
        for i, p in enumerate(parents):
            if isinstance(p.get("name"), str):
                index.setdefault(p["name"], i)
        counts: dict[int, int] = {}
        field = spec.path[-1]
        for row in rows:
            if row.parent is MISSING or row.parent is None:
                if row.parent_where is not None:
                    self._problem(row.parent_where, f"which {spec.parent_column}? the cell is empty",
                                  f"give the name of the {spec.parent_column} (in {owner.name}) this row "
                                  "belongs to")
                continue
            i = index.get(row.parent)
            if i is None:
                known = ", ".join(index) or "none"
                self._problem(row.parent_where, f"unknown {spec.parent_column} {_short(row.parent)}",
                              f"use one of the names in {owner.name}: {known}")
                continue
            j = counts.get(i, 0)
            counts[i] = j + 1
            self._register(f"{owner.json_path}[{i}].{field}[{j}]", row)
            parents[i].setdefault(field, []).append(row.entry)

    # ------------------------------------------------------------------ problems -> cells
    def _lookup(self, path: str) -> str | None:
        p = path
        while p:
            if p in self.where:
                return p
            cut = max(p.rfind("."), p.rfind("["))
            if cut <= 0:
                break
            p = p[:cut]
        return p if p in self.where else None

    def locate(self, problems: list[Problem]) -> list[Problem]:
        """`problems` (with JSON paths) named by sheet, row and column, each keeping its JSON
        path (`Problem.json_path`); one per place and message."""
        rows = {path: w.label() for path, w in self.where.items() if w.row is not None and w.column is None}
        out: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for p in problems:
            if any(p.path == d or (not exact and p.path.startswith((d + ".", d + "[")))
                   for d, exact in self.drop):
                continue
            key = self._lookup(p.path)
            message, fix = p.message, p.fix
            if key is None:
                label = p.path
            else:
                w = self.where[key]
                rest = p.path[len(key):]
                if (w.explained and not rest) or (w.sheet, w.row, w.column) in self.bad_cells:
                    continue  # the misspelt header or row, or the formula, is reported already
                if not rest:
                    label = w.label()
                elif w.header or (w.column is None and w.row is None):
                    label = w.label() + rest
                else:
                    label = f"{w.label()} {rest.lstrip('.')}"
                if message == "required key is missing" and not rest:
                    message = _MISSING_TEXT[w.missing]
                    if key == "catalog":
                        fix = ("name a shipped catalog (e.g. default) or a catalog file here, or give the "
                               "catalog sheets (gpus, cooling, densities, fabrics)")
                if message.startswith("year map misses") and w.header:
                    field = w.header.split(" ")[0]
                    years = re.findall(r"\b\d{4}\b", message)
                    fix = (f"add the column{'s' if len(years) > 1 else ''} "
                           f"{', '.join(f'{field} {y}' for y in years)}, or give one number in {field}")
            message = _paths_in_text(message, rows)
            if (label, message) in seen:
                continue
            seen.add((label, message))
            out.append(Problem(label, message, fix, json_path=p.path))
        return out


_PATH_IN_TEXT = re.compile(r"(?<![\w.\]])([a-z_]+(?:(?:\[\d+\])?\.[a-z_]+)*\[\d+\])")


def _paths_in_text(text: str, rows: dict[str, str]) -> str:
    """JSON paths of entries in a message ("already at sites[0]") as rows ("sites row 2")."""
    return _PATH_IN_TEXT.sub(lambda m: rows.get(m.group(1), m.group(1)), text)


def _explained_by(spec: Sheet) -> list[tuple[str, bool]]:
    """(path, exactly that path) of the problems a misspelt `spec` sheet explains: its
    object or list is missing (for the instance sheet: its own fields only, the name and
    the catalog reference, not an inline catalog's problems)."""
    if spec.parent:
        return []
    if not spec.path:
        return [(c.field, True) for c in spec.columns]
    return [(spec.json_path, False)]


def _has_data(spec: Sheet, grid: list | None) -> bool:
    """Whether a sheet holds anything below its header row."""
    if not grid:
        return False
    rows = grid[1:]
    if spec.kind == "kv":
        return any(len(r) > 1 and not _empty(r[1][0]) for r in rows)
    return any(not all(_empty(v) for v, _ in r) for r in rows)


def _at(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The object at `path` in `doc`, created where missing."""
    node = doc
    for key in path:
        node = node.setdefault(key, {})
    return node


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    node = doc
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def read_workbook(path: str | Path) -> tuple[dict[str, Any], WorkbookReader]:
    """The instance document of a workbook, not yet validated, and its reader (which maps
    problems to cells; `reader.problems` holds those found in reading)."""
    reader = WorkbookReader(path)
    return reader.read(), reader


def load_instance_workbook(path: str | Path, base_dir: str | Path | None = None) -> Any:
    """Read, validate and check an instance workbook (what `load_instance` does for a
    path ending in .xlsx). Raises `InstanceError` naming the cell of every problem."""
    return _validated(Path(path), base_dir)[1]


def _validated(path: Path, base_dir: str | Path | None = None) -> tuple[dict[str, Any], Any]:
    """The document of a workbook and its `Instance`; `InstanceError` with every problem of
    reading and of validation, named by cell."""
    from .io import load_instance

    doc, reader = read_workbook(path)
    try:
        inst = load_instance(doc, Path(base_dir) if base_dir is not None else path.parent)
    except InstanceError as exc:
        raise InstanceError(reader.problems + reader.locate(exc.problems), str(path),
                            catalog=exc.catalog) from None
    if reader.problems:
        raise InstanceError(reader.problems, str(path))
    return doc, inst


# =========================================================================== writing


def _years(doc: dict[str, Any]) -> list[str]:
    h = doc.get("horizon") or {}
    try:
        return [str(y) for y in range(int(h["start_year"]), int(h["end_year"]) + 1)]
    except (KeyError, TypeError, ValueError):
        return []


def _keys(col: Column, values: Iterable[Any], horizon: list[str]) -> list[str]:
    keys: dict[str, None] = {}
    if col.always:
        keys.update(dict.fromkeys(horizon))
    for v in values:
        if isinstance(v, dict):
            keys.update(dict.fromkeys(str(k) for k in v))
    if col.key == "year":
        return sorted(keys, key=lambda k: (int(k) if k.isdigit() else 10**9, k))
    return list(keys)


class _Writer:
    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.problems: list[Problem] = []

    def cell(self, ws: Any, row: int, column: int, value: Any, path: str) -> Any:
        if isinstance(value, str):
            why = text_problem(value)
            if why:
                self.problems.append(Problem(path, f"text {why}", "remove the character or shorten the text"))
                value = None
        return set_cell(ws, row, column, value)

    def header(self, ws: Any, titles: list[tuple[str, str]], widths: list[int] | None = None) -> None:
        from openpyxl.comments import Comment
        from openpyxl.styles import Font, PatternFill

        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        for j, (title, note) in enumerate(titles, start=1):
            c = set_cell(ws, 1, j, title)
            c.font, c.fill = bold, fill
            if note:
                c.comment = Comment(note, "dcopt", width=320, height=140)
            ws.column_dimensions[column_letter(j)].width = max(10, min(40, len(title) + 2))
        ws.freeze_panes = "A2"

    def kv(self, spec: Sheet, obj: dict[str, Any], doc: dict[str, Any], path: str) -> None:
        ws = self.wb.create_sheet(spec.name)
        self.header(ws, [("field", spec.doc), ("value", ""), ("meaning", "")])
        ws.column_dimensions["A"].width = 36
        ws.column_dimensions["B"].width = 24
        ws.column_dimensions["C"].width = 100
        for i, col in enumerate(spec.columns, start=2):
            value = obj.get(col.field) if isinstance(obj, dict) else None
            if col.kind == "reference":
                value = doc.get("catalog") if isinstance(doc.get("catalog"), str) else None
            elif col.kind in ("list", "json") and isinstance(value, list):
                value = list_text(value) if col.kind == "list" else json.dumps(value)
            set_cell(ws, i, 1, col.field)
            self.cell(ws, i, 2, value, f"{path}{col.field}")
            set_cell(ws, i, 3, col.meaning)

    def map(self, spec: Sheet, obj: Any, path: str) -> None:
        ws = self.wb.create_sheet(spec.name)
        self.header(ws, [("key", spec.columns[0].key), ("value", spec.columns[0].meaning)])
        ws.column_dimensions["B"].width = 100
        for i, (k, v) in enumerate((obj or {}).items(), start=2):
            self.cell(ws, i, 1, k, f"{path}.{k}")
            self.cell(ws, i, 2, v, f"{path}.{k}")

    def table(self, spec: Sheet, rows: list[tuple[str, Any, dict[str, Any]]], horizon: list[str]) -> None:
        """`rows`: (JSON path, parent name or workload, entry)."""
        ws = self.wb.create_sheet(spec.name)
        titles: list[tuple[str, str]] = []
        slots: list[tuple[Column | None, str]] = []
        if spec.parent:
            titles.append((spec.parent_column,
                           f"The {spec.parent_column} (a name in {spec.parent}) this row belongs to."))
            slots.append((None, ""))
        if spec.pooled:
            titles.append((WORKLOAD, WORKLOAD_NOTE))
            slots.append((None, ""))
        for col in spec.columns:
            keys = _keys(col, (e.get(col.field) for _, _, e in rows), horizon) if col.kind != "scalar" else []
            for title, key in col.headers(keys):
                titles.append((title, col.meaning))
                slots.append((col, key))
        self.header(ws, titles)
        for i, (path, first, entry) in enumerate(rows, start=2):
            for j, (col, key) in enumerate(slots, start=1):
                if col is None:
                    value = first
                else:
                    value = entry.get(col.field)
                    if key:
                        value = value.get(key) if isinstance(value, dict) else None
                    elif isinstance(value, dict):
                        value = None if value else "{}"  # a year map's own column; {} as text
                    elif col.kind == "list" and isinstance(value, list):
                        value = list_text(value)
                    elif col.kind == "json" and value is not None:
                        value = json.dumps(value)
                self.cell(ws, i, j, value, f"{path}.{col.field if col else ''}")


def write_workbook(doc: dict[str, Any], path: str | Path) -> None:
    """Write the instance document `doc` (a valid instance: check it first) as a workbook.
    A catalog given by name or path is written as that reference; an inline catalog as
    its sheets. Raises `InstanceError` for text a workbook cannot hold."""
    w = _Writer()
    horizon = _years(doc)
    inline = isinstance(doc.get("catalog"), dict)
    for spec in layout():
        if spec.catalog and not inline:
            continue
        if spec.kind == "kv":
            obj = doc if not spec.path else _get(doc, spec.path)
            w.kv(spec, obj or {}, doc, f"{spec.json_path}." if spec.path else "")
        elif spec.kind == "map":
            w.map(spec, _get(doc, spec.path), spec.json_path)
        else:
            w.table(spec, _table_rows(spec, doc), horizon)
    if w.problems:
        raise InstanceError(w.problems)
    save(w.wb, path)


def _table_rows(spec: Sheet, doc: dict[str, Any]) -> list[tuple[str, Any, dict[str, Any]]]:
    if spec.parent:
        owner = sheet(spec.parent)
        out = []
        for i, p in enumerate(_get(doc, owner.path) or []):
            for j, e in enumerate(p.get(spec.path[-1]) or []):
                out.append((f"{owner.json_path}[{i}].{spec.path[-1]}[{j}]", p.get("name"), e))
        return out
    rows = [(f"{spec.json_path}[{i}]", "inference" if spec.pooled else None, e)
            for i, e in enumerate(_get(doc, spec.path) or [])]
    if spec.pooled:
        training = _get(doc, POOLED)
        rows.insert(0, (".".join(POOLED), "training", {"perf": training} if training else {}))
    return rows


# =========================================================================== conversion


def read_document(path: str | Path) -> tuple[dict[str, Any], Any]:
    """The instance document of a JSON file or a workbook, and its validated `Instance`.
    Raises `InstanceError` (with JSON paths or cells)."""
    from .io import load_instance, read_json

    path = Path(path)
    if is_workbook(path):
        return _validated(path)
    inst = load_instance(path)
    return read_json(path), inst


def write_document(doc: dict[str, Any], path: str | Path) -> None:
    """Write an instance document as JSON or, for a .xlsx path, as a workbook."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        write_workbook(doc, path)
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def convert(source: str | Path, target: str | Path, *, inline_catalog: bool = False) -> Any:
    """Convert an instance between JSON and a workbook (either way, or JSON to JSON and
    workbook to workbook). A catalog named by a path is re-pointed from the target's
    folder; `inline_catalog` writes the catalog itself. The target is read back and must
    give the same `Instance`, which is returned."""
    from .io import load_instance, read_json

    source, target = Path(source), Path(target)
    doc, inst = read_document(source)
    ref = doc.get("catalog")
    if isinstance(ref, str):
        found = find_catalog(ref, source.parent)
        if inline_catalog and found is not None:
            doc["catalog"] = read_json(found, "catalog")
        elif not is_catalog_name(ref) and found is not None:
            doc["catalog"] = Path(os.path.relpath(found.resolve(), target.parent.resolve())).as_posix()
    write_document(doc, target)
    again = load_instance(target)
    if again != inst:
        raise RuntimeError(f"the instance read back from {target} differs from {source}")
    return inst


# =========================================================================== docs


def layout_markdown() -> str:
    """docs/workbook-format.md: the sheets and their columns."""
    out = [WORKBOOK_DOC_HEADER]
    for spec in layout():
        out.append(f"\n## `{spec.name}`\n")
        where = spec.json_path or "the instance's top level"
        what = {"kv": "key/value", "table": "table", "map": "key/value (a map)"}[spec.kind]
        extra = ""
        if spec.parent:
            extra = f" Column `{spec.parent_column}` names the entry of `{spec.parent}` a row belongs to."
        if spec.pooled:
            extra = (" Column `workload`: `training` for the pooled training demand "
                     "(`demand.training`, no region), `inference` for a region's inference demand.")
        catalog = " Part of an inline catalog." if spec.catalog and spec.path != ("catalog",) else ""
        out.append(f"{spec.doc} A {what} sheet: `{where}`.{extra}{catalog}\n")
        out.append("| column | cells | meaning |")
        out.append("|---|---|---|")
        if spec.kind == "map":
            out.append(f"| `key` | text | The {spec.columns[0].key}. |")
            out.append("| `value` | text | What it stands for. |")
            continue
        for col in spec.columns:
            header = {"map": f"`{col.field} {col.key.upper().replace(' ', '_')}`",
                      "scalar_or_map": f"`{col.field}`, or `{col.field} {col.key.upper().replace(' ', '_')}`"
                      }.get(col.kind, f"`{col.field}`")
            kinds = {float: "number", int: "whole number", str: "text", bool: "TRUE or FALSE"}
            cells = {"scalar": kinds.get(col.type, ""), "list": f"comma-separated list ({kinds.get(col.type)}s)",
                     "json": "JSON list", "map": f"a column per {col.key}",
                     "scalar_or_map": f"number, or a column per {col.key}", "reference": "text"}[col.kind]
            out.append(f"| {header} | {cells} | {col.meaning.replace('|', chr(92) + '|')} |")
    return "\n".join(out) + "\n"


WORKBOOK_DOC_HEADER = """# Workbook format

Generated from `src/dcopt/instance/schema.py` (through `src/dcopt/instance/xlsx.py`) by
`python -m dcopt.docgen`; do not edit by hand. The fields, their units, ranges and
defaults are those of [instance-format.md](instance-format.md): a workbook holds the same
instance as a JSON file, and `dcopt convert` turns one into the other:

```sh
dcopt convert instances/quickstart.json quickstart.xlsx   # and back: quickstart.xlsx quickstart.json
dcopt solve quickstart.xlsx                                # validate, solve, sweep... as with JSON
```

Rules:

- Key/value sheets: column A the field, B its value, C its meaning (not read). Table
  sheets: row 1 the field names, one row per entry; empty rows are skipped. Every
  header cell has a comment with the field's meaning, range and default.
- An empty cell means the field's default (or is an error when the field is required).
- Year maps are year columns `FIELD YEAR`: `perf 2027`, `electricity_usd_per_mwh 2026`.
  A field that may be one number or a year map has its own column and year columns;
  fill one or the other in a row. Maps keyed by name work alike (`pue_overrides dlc`).
- A list of names or numbers is one cell, comma-separated: `air, dlc`, `3, 4, 5, 6`
  (or JSON: `["a,b"]`; `[]` is an empty list). `remote_loss_by_km` is JSON text.
- The catalog: a shipped catalog's name (`default`) or a catalog file's path (relative to
  the workbook) in the `catalog` row of `instance`, or the catalog itself in the sheets
  `catalog`, `catalog_sources`, `gpus`, `cooling`, `densities`, `fabrics`,
  `fabric_ports` and `dci_optics` (`dcopt convert --inline-catalog` writes them).
- Numbers typed as text (`'66`) are read as numbers; formulas are read as the values the
  file holds (a file saved by a spreadsheet program has them).
- A sheet whose name starts with `_` is yours (notes) and is not read. Any other unknown
  sheet, column or key/value row is an error, as unknown keys are in JSON.
- A problem names the sheet, the row and the column: `sites!F3 electricity_usd_per_mwh:
  must be >= 0 and <= 10000, got -5`, and below it the same place in the JSON format
  (`JSON path: sites[1].electricity_usd_per_mwh`); `dcopt validate` and `dcopt solve`
  exit 2 and list every problem at once.
"""
