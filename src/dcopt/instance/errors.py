"""Problems found in an instance, reported together with their JSON paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instance: where (JSON path), what, and how to fix it.
    In a workbook `path` names the cell (``sites!F3 block_mw``) and `json_path` the same
    place in the JSON format (``sites[1].block_mw``), when it has one."""

    path: str
    message: str
    fix: str = ""
    json_path: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        if self.json_path and self.json_path != self.path:
            text += f"\n    JSON path: {self.json_path}"
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
