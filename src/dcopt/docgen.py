"""Generate docs/instance-format.md from the schema (the one place defaults live).

    python -m dcopt.docgen            # rewrite docs/instance-format.md
    python -m dcopt.docgen --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .instance import schema as s

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("Instance (top level)", s.Instance, ""),
    ("horizon", s.Horizon, "horizon"),
    ("finance", s.Finance, "finance"),
    ("options", s.Options, "options"),
    ("catalog", s.Catalog, "catalog"),
    ("catalog.gpus[]", s.Gpu, "SPEC 2.1"),
    ("catalog.cooling[]", s.Cooling, "SPEC 2.2"),
    ("catalog.densities[]", s.Density, "SPEC 2.3"),
    ("catalog.fabrics[]", s.Fabric, "SPEC 2.4"),
    ("sites[]", s.Site, "SPEC 2.5"),
    ("demand", s.Demand, "SPEC 2.6"),
    ("demand.inference[]", s.InferenceDemand, ""),
    ("existing", s.Existing, "SPEC 2.7"),
    ("existing.blocks[]", s.ExistingBlocks, ""),
    ("existing.deployments[]", s.ExistingDeployment, ""),
]

HEADER = """# Instance format

Generated from `src/dcopt/instance/schema.py` by `python -m dcopt.docgen`; do not edit
by hand (a test checks that this file matches the schema). The model behind
the fields is `SPEC.md`; `dcopt schema` prints the same as JSON Schema.

Rules that hold everywhere:

- Unknown keys are errors at any depth (a typo must not be ignored).
- An explicit `null` in an optional field means its default.
- Year maps are objects with string keys: `{"2026": 1.5, "2027": 2.0}`.
- Units are in the field names: `_usd`, `_mw` (facility and site power),
  `_kw` (rack, system and per-GPU power), `_mwh`, `_per_year`.
- `catalog` may be an object, the name of a shipped catalog (`"default"`),
  or a path to a catalog JSON file relative to the instance file.
- Every number has a range (the `range` column; for a list or a map, the range
  of its values): `[a, b]` includes both ends, `(a, b]` excludes `a`. A value
  outside is an error whose message states the range. The ranges reach far
  beyond real equipment and prices, and keep the model (money in M$, power in
  MW) within what the solver computes accurately. Calendar years, also the
  keys of year maps, are 1900 to 2200; a horizon has at most 50 years.
"""


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        keys = [m.key for m in tp.__metadata__ if isinstance(m, s.MapOf)]
        if keys:
            value = _type_name(typing.get_args(typing.get_args(tp)[0])[1])
            return "year map" if keys[0] == "year" else f"map from {keys[0]} to {value}"
        return _type_name(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        parts = [_type_name(a) for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        return f"map to {_type_name(typing.get_args(tp)[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "object"
    return {float: "number", int: "integer", str: "string", bool: "boolean"}.get(tp, str(tp))


def _field_type(field: Any) -> str:
    """The type of a model field; pydantic keeps a top-level Annotated's markers in `metadata`."""
    marks = [m for m in field.metadata if isinstance(m, s.MapOf)]
    return _type_name(typing.Annotated[field.annotation, marks[0]] if marks else field.annotation)


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "defaults of its fields"
        return f"`{value!r}`".replace("'", '"') if value not in ({}, []) else "empty"
    if field.default is None:
        return "none"
    if field.default is PydanticUndefined:
        return "required"
    return f"`{json.dumps(field.default)}`"


def render() -> str:
    out = [HEADER]
    for title, model, note in SECTIONS:
        out.append(f"\n## `{title}`\n")
        doc = (model.__doc__ or "").strip().splitlines()[0]
        cite = f" ({note})" if note.startswith("SPEC") and note not in doc else ""
        out.append(f"{doc}{cite}\n")
        out.append("| field | type | range | default | meaning |")
        out.append("|---|---|---|---|---|")
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            r = s.field_range(model, name)
            shown = r.interval() if r is not None else ""
            out.append(f"| `{name}` | {_field_type(field)} | {shown} | {_default(field)} | {desc} |")
    return "\n".join(out) + "\n"


def target() -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / "instance-format.md"


def write_or_check(path: Path, text: str, command: str, argv: list[str]) -> int:
    """Write a generated doc, or with ``--check`` in `argv` exit 1 when it is stale."""
    if "--check" in argv:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            print(f"{path} is stale: run {command}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def main(argv: list[str]) -> int:
    return write_or_check(target(), render(), "python -m dcopt.docgen", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
