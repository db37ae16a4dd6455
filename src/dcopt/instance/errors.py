"""Problems found in an instance, reported together with their JSON paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instance: where (JSON path), what, and how to fix it."""

    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


class InstanceError(ValueError):
    """The instance is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem], source: str = "", catalog: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        self.catalog = catalog  # the catalog file the instance names, if any
        named = f"{source} (catalog {catalog})" if source and catalog else source or (
            f"catalog {catalog}" if catalog else "")
        head = f"{named}: " if named else ""
        n = len(self.problems)
        lines = [f"{head}invalid instance ({n} problem{'s' if n != 1 else ''})"]
        lines += [f"  {p}".replace("\n", "\n  ") for p in self.problems]
        super().__init__("\n".join(lines))
