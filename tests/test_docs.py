"""Docs generated from the code stay in step with it."""

from __future__ import annotations

import re

from conftest import REPO

from dcopt import docgen
from dcopt.instance.schema import Instance


def test_instance_format_doc_matches_schema():
    committed = (REPO / "docs" / "instance-format.md").read_text(encoding="utf-8")
    assert committed == docgen.render(), "docs/instance-format.md is stale: run python -m dcopt.docgen"


def test_every_instance_field_is_documented():
    text = docgen.render()
    for name in Instance.model_fields:
        assert f"| `{name}` |" in text


def test_formulation_names_exist_in_the_model():
    """Every code name the formulation doc gives in backticks with an index is a model component."""
    from dcopt.instance.io import load_instance
    from dcopt.model import build_model
    from dcopt.model.data import prepare, prepare_cases

    m = build_model(prepare(load_instance(REPO / "instances" / "brownfield-refresh.json")))
    # every section-8 component, in a model with scenario blocks
    v2 = build_model(prepare_cases(load_instance(REPO / "tests" / "data" / "every-feature.json")))
    doc = (REPO / "docs" / "formulation.md").read_text(encoding="utf-8")
    names = set(re.findall(r"`([a-z_]+)\[", doc))
    optional = {"unmet", "grid_excess", "floor_excess", "budget_excess", "budget", "penalty",
                "coef_", "floor_space", "ports", "shared_"}
    missing = [n for n in names if m.component(n) is None and v2.component(n) is None
               and v2.case["boom"].component(n) is None and n not in optional]
    assert not missing, f"documented but not in the model: {missing}"


def _row(text: str, section: str, field: str) -> str:
    part = text.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
    return next(line for line in part.splitlines() if line.startswith(f"| `{field}` |"))


def test_instance_format_doc_types():
    text = docgen.render()
    assert "| map from cooling name to number |" in _row(text, "sites[]", "pue_overrides")
    assert "year map" not in _row(text, "sites[]", "pue_overrides")
    assert "| number or year map |" in _row(text, "sites[]", "electricity_usd_per_mwh")
    assert "| year map |" in _row(text, "demand", "training")
    assert "| `false` |" in _row(text, "catalog.gpus[]", "liquid_required")


def test_instance_format_doc_cites_each_spec_section_once():
    text = docgen.render()
    assert not re.search(r"\(SPEC [\d.]+\)\. \(SPEC [\d.]+\)", text)
    for line in text.splitlines():
        assert len(re.findall(r"\(SPEC [\d.]+\)", line)) <= 1, line


def test_instance_format_doc_gives_every_number_its_range():
    text = docgen.render()
    assert "| [0, 1e7] |" in _row(text, "catalog.gpus[]", "price_usd_per_gpu")
    assert "| [0.1, 10000] |" in _row(text, "catalog.densities[]", "rack_kw")
    assert "| (0, 1] |" in _row(text, "options", "load_factor")
    assert "| [1900, 2200] |" in _row(text, "horizon", "start_year")
    assert "| 0 or [0.001, 1e12] |" in _row(text, "demand", "training")
    for line in text.splitlines():
        if line.startswith("| `") and ("| number" in line or "| integer" in line or "of number" in line):
            assert re.search(r"\| (0 or )?[\[(]-?[\d.e]+, [\d.e]+[\])] \|", line), line
