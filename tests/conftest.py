"""Shared fixtures: where the reference cases live, tiny instance builders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def cases_dir() -> Path | None:
    """The reference cases: $DCOPT_CASES_DIR, else ../shared/cases next to the repository."""
    env = os.environ.get("DCOPT_CASES_DIR")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "cases"]:
        if (candidate / "expected.json").is_file():
            return candidate
    return None


def reference_cases() -> list[tuple[str, dict]]:
    folder = cases_dir()
    if folder is None:
        return []
    expected = json.loads((folder / "expected.json").read_text())
    return sorted(expected.items())


@pytest.fixture
def cases() -> Path:
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found: set DCOPT_CASES_DIR or place shared/cases next to the repo")
    return folder
