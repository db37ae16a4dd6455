"""Opening and saving .xlsx files with openpyxl: what the instance, plan and sweep
workbooks share.

- `save`: floats are written exactly (openpyxl writes ``%.16g``, which can change the
  last digit of a float: 0.1 + 0.2 would read back as 0.3); strings that start with
  ``=`` are text, never formulas; the file is replaced atomically.
- `open_workbook`: refuses files too large to be an instance (also once unzipped),
  and says plainly when a file is not an .xlsx workbook.
- `text_problem`: why a string cannot be a cell (control characters, more than
  Excel's 32,767 characters).

openpyxl is imported where used, so that ``import dcopt`` stays light.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_BYTES = 100 * 2**20
"""Largest workbook read, as a file and unzipped (an instance workbook is a few kB)."""
MAX_CELL_CHARS = 32_767
"""Excel's limit on the text of one cell."""
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
"""Characters XML 1.0 (and so .xlsx) cannot hold: control characters but tab and newlines."""


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
"""Files read as workbooks (openpyxl's formats)."""
OTHER_SPREADSHEETS = (".xls", ".ods", ".numbers")
"""Spreadsheet files dcopt cannot read: a problem says to save them as .xlsx."""


def is_workbook(path: str | Path) -> bool:
    """Whether `path` names a spreadsheet (read as a workbook, not as JSON)."""
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES + OTHER_SPREADSHEETS


class WorkbookFileError(ValueError):
    """A file that cannot be read as a workbook; the message says why."""


def text_problem(text: str) -> str | None:
    """Why `text` cannot be written into a cell, or None."""
    bad = _ILLEGAL.search(text)
    if bad:
        return f"holds the control character {ascii(bad.group())[1:-1]}, which a workbook cannot hold"
    if len(text) > MAX_CELL_CHARS:
        return f"has {len(text)} characters, more than the {MAX_CELL_CHARS} a workbook cell holds"
    return None


def set_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write `value` at (row, column) as a number, a boolean, text (never a formula) or
    nothing (None, NaN, ""). Returns the cell."""
    cell = ws.cell(row=row, column=column)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        cell.value = None
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would take a leading '=' for a formula
    else:
        cell.value = value
    return cell


def _exact(value: Any) -> Any:
    return repr(value) if isinstance(value, float) and math.isfinite(value) else None


@contextlib.contextmanager
def exact_floats() -> Iterator[None]:
    """While it is open, openpyxl's cell writer formats floats with `repr` (the shortest text
    that reads back as the same float) instead of ``%.16g``: around `save`, and around the
    appends of a write-only workbook (which writes its rows as they come). A test checks
    that floats round-trip, so a future openpyxl that moves this function is noticed."""
    from openpyxl.cell import _writer

    original = getattr(_writer, "safe_string", None)
    if original is None:  # pragma: no cover - another openpyxl: the round-trip test says so
        yield
        return

    def safe_string(value: Any) -> str:
        exact = _exact(value)
        return exact if exact is not None else original(value)

    _writer.safe_string = safe_string
    try:
        yield
    finally:
        _writer.safe_string = original


def save(wb: Any, path: str | Path) -> None:
    """Save `wb` at `path` (atomically: a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with exact_floats():
            wb.save(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def open_workbook(path: str | Path, *, data_only: bool = False) -> Any:
    """The workbook at `path`, read-only (rows are streamed; close it when done).
    Raises `WorkbookFileError` for a file that is missing, too large or not .xlsx."""
    from openpyxl import load_workbook

    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WorkbookFileError(f"file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise WorkbookFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if size > MAX_BYTES:
        raise WorkbookFileError(f"{path} is larger than {MAX_BYTES // 2**20} MiB: not an instance workbook")
    try:
        with zipfile.ZipFile(path) as z:
            unzipped = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WorkbookFileError(f"{path} is not an Excel workbook (.xlsx is a zip file; this is not one)"
                                ) from None
    if unzipped > MAX_BYTES:
        raise WorkbookFileError(f"{path} unzips to more than {MAX_BYTES // 2**20} MiB: not an instance workbook")
    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise WorkbookFileError(f"{path} is not a readable Excel workbook ({type(exc).__name__}: {exc})"
                                ) from None


def sheet_rows(ws: Any) -> list[list[tuple[Any, str]]]:
    """The rows of a read-only sheet as lists of (value, openpyxl data type), trailing empty
    rows dropped; row i of the result is the sheet's row i + 1."""
    rows: list[list[tuple[Any, str]]] = []
    last = 0
    ws.reset_dimensions()  # a writer's wrong <dimension> must not hide cells; rows become ragged
    for row in ws.iter_rows():
        cells = [(getattr(c, "value", None), getattr(c, "data_type", "n")) for c in row]
        rows.append(cells)
        if any(v is not None and not (isinstance(v, str) and not v.strip()) for v, _ in cells):
            last = len(rows)
    return rows[:last]
