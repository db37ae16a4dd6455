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
