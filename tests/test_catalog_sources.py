"""Every figure of the shipped catalog has a source or an explicit estimate mark.

models/README.md ends with a table "Figure sources" of one row per figure of
models/default.json: list, entry, field, value, reference ids, flag. These tests parse it
(no solve) and fail when a catalog figure has no row, when a row's value is stale, when a
row cites an id that the catalog's `sources` map does not define, or when a row is neither
sourced (ids with a `read` or `D` flag) nor marked as an estimate (a flag with `E`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[1] / "models"
CATALOG = json.loads((MODELS / "default.json").read_text())
FLAGS = {"read", "D", "E", "D/E", "read/E"}
KEYS = {"gpus": "name", "cooling": "name", "densities": "rack_kw", "fabrics": "name", "dci_optics": "name"}


def _value(field: str, v: object) -> str:
    if field == "ports":
        return "; ".join(f"{p['gbps']}G {p['capex_usd_per_port']} $ {p['watts_per_port']} W" for p in v)
    if isinstance(v, dict):
        return f"map {min(v)}-{max(v)}"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:g}" if isinstance(v, float) else str(v)


def _entry(lst: str, item: dict) -> str:
    return f"{item['rack_kw']:g} kW" if lst == "densities" else item[KEYS[lst]]


def catalog_figures() -> dict[tuple[str, str, str], str]:
    """(list, entry, field) -> value text, for every figure of default.json."""
    out = {}
    for lst, key in KEYS.items():
        for item in CATALOG[lst]:
            for field, v in item.items():
                if field in (key, "source"):
                    continue
                out[(lst, _entry(lst, item), field)] = _value(field, v)
    return out


def table_rows() -> dict[tuple[str, str, str], tuple[str, str, str]]:
    text = (MODELS / "README.md").read_text()
    assert "## Figure sources" in text, "models/README.md has no 'Figure sources' section"
    section = text.split("## Figure sources", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("list", "---"):
            continue
        key = tuple(cells[:3])
        assert key not in rows, f"two rows for {key}"
        rows[key] = (cells[3], cells[4], cells[5])
    return rows


ROWS = table_rows()


def test_the_table_is_read():
    assert len(ROWS) > 200


def test_every_catalog_figure_has_a_row_with_its_value():
    figures = catalog_figures()
    missing = sorted(set(figures) - set(ROWS))
    assert not missing, f"catalog figures without a row in models/README.md 'Figure sources': {missing}"
    stale = {k: (ROWS[k][0], v) for k, v in figures.items() if ROWS[k][0] != v}
    assert not stale, f"rows whose value differs from default.json (row, catalog): {stale}"
    extra = sorted(set(ROWS) - set(figures))
    assert not extra, f"rows for figures not in the catalog: {extra}"


@pytest.mark.parametrize("key", sorted(ROWS), ids=lambda k: ".".join(k))
def test_every_figure_is_sourced_or_marked_as_an_estimate(key):
    _, ids_text, flag = ROWS[key]
    assert flag in FLAGS, f"{key}: flag {flag!r} is not one of {sorted(FLAGS)}"
    ids = re.findall(r"\[([^\]]+)\]", ids_text)
    unknown = [i for i in ids if i not in CATALOG["sources"]]
    assert not unknown, f"{key}: cites {unknown}, not in default.json's sources map"
    assert ids or "E" in flag.split("/"), f"{key}: neither a source id nor an estimate mark (E)"


def test_every_gpu_source_text_names_its_training_basis():
    """training_perf is MLPerf-based (or zero for an inference-only part), never a bare FLOPS ratio."""
    for g in CATALOG["gpus"]:
        assert "training_perf" in g["source"], g["name"]
        assert g["training_perf"] == 0 or "MLPerf" in g["source"] or "[25]" in g["source"], g["name"]


def test_the_inference_only_part_has_no_training_throughput():
    asic = [g for g in CATALOG["gpus"] if g["training_perf"] == 0]
    assert [g["name"] for g in asic] == ["QC-AI200"] and asic[0]["inference_perf"] > 0
