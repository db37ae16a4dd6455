"""The walk-through of docs/python.md runs as written: its python code blocks, in order, in one
namespace, from a folder that has the repository's instances/ (as the repository's own)."""

from __future__ import annotations

import os
import re

from conftest import REPO

DOC = REPO / "docs" / "python.md"


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_python_walkthrough_runs(tmp_path, capsys):
    blocks = code_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    (tmp_path / "instances").symlink_to(REPO / "instances", target_is_directory=True)
    namespace: dict = {"__name__": "__main__"}
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, block in enumerate(blocks):
            exec(compile(block, f"{DOC.name}, block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    assert "optimal" in out and "M$" in out
    assert "sites[name=va-1].electricity_usd_per_mwh - no element of sites" in out
    assert "alternative(s) within 2 % of the optimal TCO" in out
    assert "Compared with the optimum:" in out
    for name in ("quickstart-tables/purchases.csv", "quickstart.html", "alternatives.html", "front.html"):
        assert (tmp_path / name).is_file(), name
    assert namespace["alts"].table["alternative"].iloc[0] == 0
    front = namespace["front"].table().sort_values("emissions_t")
    assert front["tco_usd"].is_monotonic_decreasing
