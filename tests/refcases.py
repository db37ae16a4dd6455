"""The reference cases: the copies shipped in tests/reference_cases/ (always there) and
the shared folder ../shared/cases beside the repository, or $DCOPT_CASES_DIR (when
present), each case tested once.

- A case in both, byte-identical (file and expected result): tested once.
- A case in both that differs: tested from the shared folder (the source of the
  copies), and `staleness` says the shipped copy is stale, naming the file.
- A case in one of them only: tested from there (new shared cases are picked up
  without a change to the repository).

Everything is found relative to this file, not to the current directory.
`sub` is a subfolder of both (``"v2"``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHIPPED = TESTS / "reference_cases"
"""The copies shipped with the repository (see its README.md)."""


def shared_dir(sub: str = "") -> Path | None:
    """The shared cases: $DCOPT_CASES_DIR, else ../shared/cases next to the repository
    (with `sub` appended), if it holds an expected.json."""
    env = os.environ.get("DCOPT_CASES_DIR")
    for base in ([Path(env)] if env else []) + [TESTS.parent.parent / "shared" / "cases"]:
        folder = base / sub if sub else base
        if (folder / "expected.json").is_file():
            return folder
    return None


def shipped_dir(sub: str = "") -> Path:
    return SHIPPED / sub if sub else SHIPPED


@dataclass(frozen=True)
class Case:
    """One reference case: the file to solve and its expected result (`path`,
    `expected`), and where it exists (`shipped`, `shared`: the files, or None)."""

    name: str
    path: Path
    expected: dict
    shipped: Path | None
    shared: Path | None
    shipped_expected: dict | None
    shared_expected: dict | None

    def staleness(self) -> str | None:
        """Why the shipped copy differs from the shared case, or None if it does not."""
        if self.shipped is None or self.shared is None:
            return None
        what = []
        if not self.shipped.is_file() or self.shipped.read_bytes() != self.shared.read_bytes():
            what.append("its file differs")
        if self.shipped_expected != self.shared_expected:
            what.append(f"its expected result differs ({self.shipped_expected} here, "
                        f"{self.shared_expected} in {self.shared.parent / 'expected.json'})")
        if not what:
            return None
        return (f"the shipped copy {_show(self.shipped)} is stale: {' and '.join(what)} from the shared "
                f"case {self.shared}; copy the shared case over it (see {_show(SHIPPED / 'README.md')})")


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(TESTS.parent))
    except ValueError:
        return str(path)


def _expected(folder: Path | None) -> dict[str, dict]:
    if folder is None or not (folder / "expected.json").is_file():
        return {}
    return json.loads((folder / "expected.json").read_text(encoding="utf-8"))


def reference_cases(sub: str = "") -> list[Case]:
    """Every case of the shipped copies and of the shared folder, once, by name."""
    shipped, shared = shipped_dir(sub), shared_dir(sub)
    mine, theirs = _expected(shipped), _expected(shared)
    out = []
    for name in sorted(set(mine) | set(theirs)):
        in_shared = name in theirs
        out.append(Case(
            name=name,
            path=(shared if in_shared else shipped) / name,
            expected=theirs[name] if in_shared else mine[name],
            shipped=shipped / name if name in mine else None,
            shared=shared / name if in_shared else None,
            shipped_expected=mine.get(name),
            shared_expected=theirs.get(name),
        ))
    return out


def in_both(cases: list[Case]) -> list[Case]:
    """The cases shipped and shared alike (whose copies must be current)."""
    return [c for c in cases if c.shipped is not None and c.shared is not None]


def case_path(name: str, sub: str = "") -> Path:
    """The file of the case called `name`, as `reference_cases` tests it."""
    shared = shared_dir(sub)
    if shared is not None and name in _expected(shared):
        return shared / name
    return shipped_dir(sub) / name


def ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]
