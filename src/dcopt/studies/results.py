"""The sweep results table: its columns, a row per solved point, and the results
file that rows are appended to as points finish (and read back by ``--resume``).

Columns (a contract, see `dcopt.sweep` and docs/sweeps.md): ``point``,
``param:<key>`` per varied parameter, ``design``, ``oat_param``,
``oat_level``, ``status``, ``has_plan``, ``message``, ``tco_usd``,
``mip_gap``, ``solve_seconds``, ``cost:<item>`` per cost item,
``sites_opened``, ``it_mw_by_cooling:<cooling>``, ``it_mw_by_rack_kw:<rack_kw>``,
``gpus_by_fabric:<fabric>``, ``gpus_bought:<gpu>``.

Files: a ``.csv`` results file is itself the journal: each finished point is
appended as one line, flushed, and at the end the file is rewritten in point
order. A ``.parquet`` or ``.xlsx`` results file has a CSV journal beside it
(``<name>.parquet.journal.csv``), turned into the Parquet file or the workbook
(one sheet, ``results``; numbers as numbers, an empty cell for NaN) at the end
and then removed. Floats are written with ``repr`` so that they read back exactly.

One run at a time: a sweep holds an exclusive lock (``flock``) on
``<name>.lock`` beside the results file while it reads and writes it, so a
second run on the same file (two ``--resume``, say) stops at once with
`ResultsFileLocked` instead of solving the same points again. The kernel
drops the lock when the process ends, however it ends; a lock file left by a
killed run is taken over.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..instance.errors import Problem
from ..instance.paths import SweepInputError
from ..instance.schema import Instance
from ..model.items import reported_items
from ..results.solution import Solution
from ..results.writers import from_spreadsheet_text, spreadsheet_text
from ..status import Status

if TYPE_CHECKING:
    import pandas as pd  # imported where used: `import dcopt` stays light

STRING_COLUMNS = ("design", "oat_param", "oat_level", "status", "message", "sites_opened", "decision",
                  "direction", "features", "difference")
"""Text columns (``decision`` is that of a break-even trace; ``direction``, ``features`` and
``difference`` those of an alternatives table, `dcopt.studies.alternatives`)."""
BOOL_COLUMNS = ("has_plan",)
INT_COLUMNS = ("point",)


def columns(param_keys: Sequence[str], inst: Instance) -> list[str]:
    """The table's columns, for varied parameters `param_keys` and the instance's catalog."""
    cat = inst.catalog
    return [
        "point",
        *(f"param:{k}" for k in param_keys),
        "design", "oat_param", "oat_level",
        "status", "has_plan", "message", "tco_usd", "mip_gap", "solve_seconds",
        *(f"cost:{item}" for item in reported_items(inst)),
        "sites_opened",
        *(f"it_mw_by_cooling:{c.name}" for c in cat.cooling),
        *(f"it_mw_by_rack_kw:{d.rack_kw:g}" for d in cat.densities),
        *(f"gpus_by_fabric:{f.name}" for f in cat.fabrics),
        *(f"gpus_bought:{g.name}" for g in cat.gpus),
    ]


def point_fields(index: int, values: dict[str, float], design: str, oat_param: str = "",
                 oat_level: str = "") -> dict[str, Any]:
    """The columns that say which point a row is."""
    return {"point": index, **{f"param:{k}": float(v) for k, v in values.items()},
            "design": design, "oat_param": oat_param, "oat_level": oat_level}


def solution_fields(inst: Instance, solution: Solution, seconds: float) -> dict[str, Any]:
    """Status, TCO, cost items and key decisions of a solved point."""
    row: dict[str, Any] = {
        "status": solution.status, "has_plan": solution.has_plan,
        "message": one_line(solution.message), "tco_usd": _num(solution.tco_usd),
        "mip_gap": _num(solution.mip_gap), "solve_seconds": seconds,
        "sites_opened": "",
    }
    if not solution.has_plan:
        if solution.diagnosis:
            row["message"] = one_line(" | ".join([solution.message, *solution.diagnosis]))
        return row
    for item in reported_items(inst):
        row[f"cost:{item}"] = float(solution.costs_npv_usd.get(item, 0.0))
    block_mw = {s.name: s.block_mw for s in inst.sites}
    cat = inst.catalog
    cooling = dict.fromkeys((c.name for c in cat.cooling), 0.0)
    density = dict.fromkeys((d.rack_kw for d in cat.densities), 0.0)
    for site in solution.sites:
        for b in site.blocks:
            cooling[b.cooling] += b.blocks * block_mw[site.name]
            density[b.rack_kw] += b.blocks * block_mw[site.name]
    fabric = dict.fromkeys((f.name for f in cat.fabrics), 0.0)
    gpus = dict.fromkeys((g.name for g in cat.gpus), 0.0)
    for p in solution.purchases:
        fabric[p.fabric] += p.gpus
        gpus[p.gpu] += p.gpus
    row["sites_opened"] = ";".join(s.name for s in solution.sites if s.open_year is not None)
    row.update({f"it_mw_by_cooling:{k}": v for k, v in cooling.items()})
    row.update({f"it_mw_by_rack_kw:{k:g}": v for k, v in density.items()})
    row.update({f"gpus_by_fabric:{k}": v for k, v in fabric.items()})
    row.update({f"gpus_bought:{k}": v for k, v in gpus.items()})
    return row


def failure_fields(status: Status, message: str, seconds: float) -> dict[str, Any]:
    """A point that produced no solution (invalid values, an exception)."""
    return {"status": status, "has_plan": False, "message": one_line(message), "tco_usd": math.nan,
            "mip_gap": math.nan, "solve_seconds": seconds, "sites_opened": ""}


def complete(row: dict[str, Any], cols: Sequence[str]) -> dict[str, Any]:
    """`row` with every column, missing numbers NaN and missing strings empty."""
    return {c: row.get(c, "" if c in STRING_COLUMNS else math.nan) for c in cols}


def one_line(text: str) -> str:
    return " | ".join(line.strip() for line in str(text).splitlines() if line.strip())


def _num(x: float | None) -> float:
    return math.nan if x is None else float(x)


def table(rows: Iterable[dict[str, Any]], cols: Sequence[str]) -> pd.DataFrame:
    """The results DataFrame: rows in point order, every column, stable dtypes."""
    import pandas as pd

    ordered = sorted(rows, key=lambda r: r["point"])
    df = pd.DataFrame.from_records([complete(r, cols) for r in ordered], columns=list(cols))
    df["point"] = df["point"].astype("int64")
    df["has_plan"] = df["has_plan"].astype(bool)
    for c in cols:
        if c not in STRING_COLUMNS + BOOL_COLUMNS + INT_COLUMNS:
            df[c] = df[c].astype("float64")
    return df


# --------------------------------------------------------------------------- files


def read_results(path: str | Path) -> pd.DataFrame:
    """A results file (``.csv``, ``.parquet`` or ``.xlsx``) as the DataFrame `dcopt.sweep`
    returns: the same dtypes, empty text columns as "" (not NaN)."""
    cols, rows = read_rows(path)
    return table(rows, cols)


def read_rows(path: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and typed rows of a results file (``.csv``, ``.parquet`` or ``.xlsx``):
    what `read_results` and `read_alternatives` turn into their tables."""
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
        cols = list(df.columns)
        return cols, [{c: _from_frame(c, v) for c, v in rec.items()} for rec in df.to_dict("records")]
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    cols = records[0] if records else []
    return cols, [{c: _typed(c, v) for c, v in zip(cols, rec)} for rec in records[1:] if len(rec) == len(cols)]


def _read_xlsx(path: Path, check: Any = None) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and rows of a results workbook; `check(header, path)` runs before the
    cells are read. A file that is not a workbook, or a cell of the wrong kind (text in a
    number column), is a `SweepInputError` naming the cell."""
    from openpyxl.utils import get_column_letter

    from ..instance.xlsxfile import WorkbookFileError
    from ..results.xlsx import read_table

    try:
        cols, records = read_table(path)
    except WorkbookFileError as exc:
        raise SweepInputError([Problem(str(path), f"cannot be read as sweep results: {exc}",
                                       "give a results workbook written by dcopt sweep, or write to "
                                       "another file")]) from None
    if check is not None:
        check(cols, path)
    rows = []
    for i, rec in enumerate(records, start=2):
        if all(v is None for v in rec):
            continue
        row = {}
        for j, (c, v) in enumerate(zip(cols, rec), start=1):
            got = _from_cell(c, v)
            if got is _BAD:
                raise SweepInputError([Problem(
                    f"{path}: {get_column_letter(j)}{i} {c}",
                    f"expected {_KIND.get(c, 'a number')}, got {type(v).__name__} {v!r}",
                    "correct the cell, or write the sweep to another file")])
            row[c] = got
        rows.append(row)
    return cols, rows


_BAD = object()
_KIND = {**dict.fromkeys(BOOL_COLUMNS, "TRUE or FALSE"), **dict.fromkeys(INT_COLUMNS, "a whole number")}


def _from_cell(column: str, value: Any) -> Any:
    """A value of a results workbook's cell as the row dicts hold it, or `_BAD`."""
    if column in STRING_COLUMNS:
        return "" if value is None else str(value)
    if column in BOOL_COLUMNS:
        return value if isinstance(value, bool) else _BAD
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if column in INT_COLUMNS:
        return int(value) if number and float(value).is_integer() else _BAD
    if value is None:
        return math.nan
    if number:
        return float(value)
    if isinstance(value, str) and value.strip().lower() in ("inf", "-inf", "nan"):
        return float(value)  # how the writer keeps infinities (text, as Excel has none)
    return _BAD


def write_results_xlsx(path: Path, df: pd.DataFrame) -> None:
    from ..results.xlsx import write_table

    def native(v: Any) -> Any:
        return v.item() if isinstance(v, np.generic) else v

    write_table(path, list(df.columns), ([native(v) for v in rec] for rec in df.itertuples(index=False)))


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(spreadsheet_text(str(value)))  # text: never a spreadsheet formula


def _typed(column: str, text: str) -> Any:
    if column in STRING_COLUMNS:
        return from_spreadsheet_text(text)
    if column in BOOL_COLUMNS:
        return text == "True"
    if column in INT_COLUMNS:
        return int(text)
    return float(text) if text != "" else math.nan


def csv_text(df: pd.DataFrame) -> str:
    """A results table (or a break-even trace) as the CSV text a results file holds."""
    cols = list(df.columns)
    return csv_line(dict(zip(cols, cols)), cols) + "".join(csv_line(row, cols) for row in df.to_dict("records"))


def csv_line(row: dict[str, Any], cols: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(row.get(c)) for c in cols])
    return buf.getvalue()


class ResultsFileLocked(SweepInputError):
    """Another run holds the lock of the results file (the CLI exits 2 on it)."""

    def __init__(self, path: Path, lock_path: Path, holder_pid: int | None) -> None:
        who = f"another dcopt run (pid {holder_pid})" if holder_pid else "another dcopt run"
        fix = "wait until that run ends (or stop it), or write to another file with -o"
        super().__init__([Problem(str(path), f"is locked: {who} is writing it (lock file {lock_path})", fix)])
        self.args = (f"{path} is locked: {who} holds it (lock file {lock_path})\n  fix: {fix}",)


class ResultsLock:
    """An exclusive lock on ``<results file>.lock``, held while a sweep uses the file.

    ``flock`` (``msvcrt.locking`` on Windows), never waiting: if another process
    holds it, `acquire` raises `ResultsFileLocked` naming the file and that
    process's pid (written into the lock file). The lock file is removed on
    release; one left by a killed run holds no lock and is taken over.
    """

    def __init__(self, results_path: Path) -> None:
        self.results_path = Path(results_path)
        self.path = self.results_path.with_name(self.results_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        assert self._fd is None, "already held"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock_fd(fd)
            except OSError:
                holder = _pid_in(fd)
                os.close(fd)
                raise ResultsFileLocked(self.results_path, self.path, holder) from None
            if _same_file(fd, self.path):
                break
            os.close(fd)  # its holder removed it between our open and our lock: open it afresh
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        if _UNLINK_WHILE_HELD:  # remove it while still holding it, so nobody locks a removed file
            with contextlib.suppress(OSError):
                self.path.unlink()
        os.close(self._fd)  # releases the lock
        self._fd = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_UNLINK_WHILE_HELD = fcntl is not None
"""POSIX can remove a file that is open (and locked); Windows cannot, so there the lock
file stays (empty of meaning once unlocked)."""


def _lock_fd(fd: int) -> None:
    """Lock `fd` exclusively without waiting; OSError if another process holds it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    elif sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _pid_in(fd: int) -> int | None:
    """The pid the holder wrote into the lock file, if it can be read."""
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace") if hasattr(os, "pread") else ""
        return int(text.split()[0]) if text.split() else None
    except (OSError, ValueError):
        return None


def _same_file(fd: int, path: Path) -> bool:
    try:
        st, now = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino)


class ResultsFile:
    """Where a sweep's rows go: appended as they finish, ordered at the end."""

    def __init__(self, path: Path, cols: Sequence[str]) -> None:
        self.path = Path(path)
        self.cols = list(cols)
        self.kind = self.path.suffix.lower().lstrip(".")
        self.parquet = self.kind in ("parquet", "xlsx")  # a CSV journal beside the file
        self.journal = self.path.with_name(self.path.name + ".journal.csv") if self.parquet else self.path
        self.lock = ResultsLock(self.path)
        self._handle: io.TextIOWrapper | None = None

    def exists(self) -> bool:
        return self.path.exists() or self.journal.exists()

    def read(self) -> list[dict[str, Any]]:
        """Rows already recorded (the final file and the journal); a torn last line is dropped."""
        rows: list[dict[str, Any]] = []
        if self.kind == "xlsx" and self.path.exists():
            rows += _read_xlsx(self.path, self._check_header)[1]
        elif self.parquet and self.path.exists():
            import pandas as pd

            df = pd.read_parquet(self.path)
            self._check_header(list(df.columns), self.path)
            rows += [{c: _from_frame(c, v) for c, v in rec.items()} for rec in df.to_dict("records")]
        if self.journal.exists():
            rows += self._read_journal()
        return rows

    def _read_journal(self) -> list[dict[str, Any]]:
        text = self.journal.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]  # a line cut by a crash: that point runs again
            with open(self.journal, "r+", encoding="utf-8") as fh:
                fh.truncate(len(text.encode("utf-8")))
        records = list(csv.reader(io.StringIO(text)))
        if not records:
            return []
        self._check_header(records[0], self.journal)
        return [{c: _typed(c, v) for c, v in zip(self.cols, rec)} for rec in records[1:] if rec]

    def _check_header(self, header: list[str], where: Path) -> None:
        if header != self.cols:
            raise SweepInputError([Problem(
                str(where), "holds the results of a different sweep (its columns differ)",
                "resume with the same instance and --vary options, or write to another file")])

    def open(self, resume: bool) -> None:
        """Start appending; without `resume` the journal starts empty (header only)."""
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        fresh = not resume or not self.journal.exists() or self.journal.stat().st_size == 0
        self._handle = open(self.journal, "w" if fresh else "a", encoding="utf-8",  # noqa: SIM115
                            newline="")  # kept open while the sweep runs; closed by close()
        if fresh:
            self._handle.write(csv_line(dict(zip(self.cols, self.cols)), self.cols))
            self._handle.flush()

    def append(self, row: dict[str, Any]) -> None:
        """Record one finished point (one write, flushed to the OS)."""
        assert self._handle is not None, "open() first"
        self._handle.write(csv_line(row, self.cols))
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self, df: pd.DataFrame) -> None:
        """Write the whole table in point order (atomically) and drop a Parquet journal."""
        self.close()
        tmp = self.path.with_name(self.path.name + ".tmp")
        if self.kind == "xlsx":
            write_results_xlsx(tmp, df)
        elif self.parquet:
            df.to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(csv_line(dict(zip(self.cols, self.cols)), self.cols))
                fh.writelines(csv_line(row, self.cols) for row in df.to_dict("records"))
        os.replace(tmp, self.path)
        if self.parquet and self.journal.exists():
            self.journal.unlink()

    def remove(self) -> None:
        """Delete the results file and its journal (starting a sweep over)."""
        for p in {self.path, self.journal}:
            if p.exists():
                p.unlink()


def _from_frame(column: str, value: Any) -> Any:
    """A value read from a Parquet table, as the row dicts hold it."""
    if column in STRING_COLUMNS:
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if column in BOOL_COLUMNS:
        return bool(value)
    if column in INT_COLUMNS:
        return int(value)
    return math.nan if value is None else float(value)
