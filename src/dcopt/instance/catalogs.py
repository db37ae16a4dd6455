"""Equipment catalogs shipped with dcopt (the repository's `models/` folder).

In a wheel the folder is installed as `dcopt/models`; in a source checkout
(editable install, or running from `src/`) it is found at the repository root.
"""

from __future__ import annotations

from pathlib import Path


def shipped_catalog_dir() -> Path | None:
    """The folder holding shipped catalogs, or None if it cannot be found."""
    package = Path(__file__).resolve().parent.parent  # dcopt/
    for candidate in (package / "models", package.parent.parent / "models"):
        if candidate.is_dir():
            return candidate
    return None


def shipped_catalog_names() -> list[str]:
    folder = shipped_catalog_dir()
    if folder is None:
        return []
    return sorted(p.stem for p in folder.glob("*.json"))


def is_catalog_name(ref: str) -> bool:
    """A name without a path separator and without `.json` names a shipped catalog (SPEC 7.21)."""
    return "/" not in ref and "\\" not in ref and not ref.endswith(".json")


def find_catalog(ref: str, base_dir: Path) -> Path | None:
    """Resolve a catalog reference (SPEC 7.21).

    A name without a path separator and without `.json` is a shipped catalog;
    anything else is a path relative to `base_dir` (the instance's folder).
    """
    if is_catalog_name(ref):
        folder = shipped_catalog_dir()
        path = folder / f"{ref}.json" if folder is not None else None
        return path if path is not None and path.is_file() else None
    path = Path(ref)
    if not path.is_absolute():
        path = base_dir / path
    return path if path.is_file() else None
