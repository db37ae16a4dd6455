"""Generate the docs that are written from the code: docs/instance-format.md from the
schema (the one place defaults live), docs/workbook-format.md from the workbook layout
(itself generated from the schema) and docs/plan-format.md from the plan models.

    python -m dcopt.docgen            # rewrite both
    python -m dcopt.docgen --check    # exit 1 if a committed file is stale
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
from .plan import format as p
from .plan.io import entry_model

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
the fields, with its units, conventions and settled readings, is in
[formulation.md](formulation.md); `dcopt schema` prints the same as JSON Schema.

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
    from .instance.xlsx import layout_markdown

    command = "python -m dcopt.docgen"
    status = write_or_check(target(), render(), command, argv)
    status = write_or_check(target().with_name("workbook-format.md"), layout_markdown(), command, argv) or status
    return write_or_check(plan_format_path(), plan_format_markdown(), command, argv) or status


# --------------------------------------------------------------------------- docs/plan-format.md

PLAN_SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Plan (top level)", p.Plan),
    *((f"{name}[]", entry_model(f.annotation)) for name, f in p.Plan.model_fields.items()),
    ("ScenarioPlan (top level, SPEC 8.8)", p.ScenarioPlan),
    ("cases[]", p.CasePlan),
]

_MODEL_NOTES: dict[str, str] = {
    "SiteOpening": "A site opened in a year (a site with existing blocks is open already).",
    "FabricArrival": "A fabric first deployed at a site in a year.",
    "BlockBuild": "Blocks of a hall design (cooling, rack density) commissioned at a site in a year.",
}

_FIELD_NOTES: dict[tuple[str, str], str] = {
    ("Plan", "openings"): "Sites opened, `openings[]` below.",
    ("Plan", "fabrics"): "Fabrics brought to sites, `fabrics[]` below.",
    ("Plan", "builds"): "Blocks built, `builds[]` below.",
    ("Plan", "purchases"): "GPUs bought, with their life, `purchases[]` below.",
    ("Plan", "retirements"): "Existing GPUs retired, `retirements[]` below.",
    ("SiteOpening", "site"): "Site name (`sites[].name`).",
    ("SiteOpening", "year"): "Year the site opens (its `site_fixed_capex_usd` is paid then).",
    ("FabricArrival", "site"): "Site name.",
    ("FabricArrival", "fabric"): "Fabric name (`catalog.fabrics[].name`).",
    ("FabricArrival", "year"): "Year the fabric is first deployed at the site.",
    ("BlockBuild", "site"): "Site name.",
    ("BlockBuild", "cooling"): "Cooling name of the hall design.",
    ("BlockBuild", "rack_kw"): "Rack density of the hall design (a `catalog.densities[].rack_kw`).",
    ("BlockBuild", "year"): "Year the blocks are commissioned.",
    ("BlockBuild", "blocks"): "Number of blocks (`block_mw` of IT each).",
    ("Purchase", "site"): "Site name.",
    ("Purchase", "cooling"): "Cooling of the halls the GPUs go into.",
    ("Purchase", "rack_kw"): "Rack density of those halls.",
    ("Purchase", "gpu"): "GPU name (`catalog.gpus[].name`).",
    ("Purchase", "fabric"): "Fabric the GPUs attach to.",
    ("Purchase", "year"): "Year bought.",
    ("Purchase", "gpus"): "Number of GPUs, a multiple of the GPU's `unit_gpus`.",
    ("Retirement", "year"): "Year at whose start the GPUs stop.",
    ("Retirement", "gpus"): "Number of GPUs, a multiple of the GPU's `unit_gpus`.",
    ("Allocation", "site"): "Site name.",
    ("Allocation", "gpu"): "GPU name.",
    ("Allocation", "fabric"): "Fabric name.",
    ("Allocation", "year"): "Year.",
    ("Allocation", "gpus"): "GPUs given to the workload (may be fractional).",
    ("GridUpgradeTaken", "site"): "Site name.",
    ("GridUpgradeTaken", "year"): "Year taken (its `capex_usd` is paid then; its MW count from then on).",
    ("OnsiteBuild", "site"): "Site name.",
    ("OnsiteBuild", "year"): "Year built.",
    ("OnsiteBuild", "mw"): "MW of generation built.",
    ("OnsiteGeneration", "site"): "Site name.",
    ("OnsiteGeneration", "option"): "Name of one of the site's `onsite_power` options.",
    ("OnsiteGeneration", "year"): "Year.",
    ("OnsiteGeneration", "mwh"): "Energy generated, MWh (at most the site's facility energy of the year).",
    ("RouteLit", "a"): "One end (a site of a `dci_routes` entry).",
    ("RouteLit", "b"): "The other end.",
    ("RouteLit", "year"): "Year lit (its `fixed_capex_usd` is paid then, `usd_per_year` from then on).",
    ("LinkInstall", "a"): "One end of the route.",
    ("LinkInstall", "b"): "The other end.",
    ("LinkInstall", "optic"): "Optic name (`catalog.dci_optics[].name`).",
    ("LinkInstall", "year"): "Year installed (links never retire).",
    ("LinkInstall", "links"): "Number of links (`gbps` of the optic each).",
    ("JobPlacement", "job"): "Job name (`demand.training_jobs[].name`).",
    ("JobPlacement", "year"): "Year (one with demand for the job).",
    ("JobPlacement", "home"): "Home site: anchors the routes and the distance loss.",
    ("JobPlacement", "remote_sites"): "Other sites the job spans, each on a route lit from the home site.",
    ("JobAllocation", "job"): "Job name.",
    ("JobAllocation", "year"): "Year.",
    ("JobAllocation", "home"): "The job's home site that year.",
    ("JobAllocation", "site"): "Site whose GPUs serve the job (the home or a remote site).",
    ("JobAllocation", "gpu"): "GPU name.",
    ("JobAllocation", "fabric"): "Fabric name.",
    ("JobAllocation", "gpus"): "GPUs given to the job (may be fractional).",
    ("RentalUse", "rental"): "Rental name (`rentals[].name`).",
    ("RentalUse", "year"): "Year (one in which the rental is offered).",
    ("RentalUse", "gpus"): "GPUs rented for the year (may be fractional).",
    ("RentalAllocation", "rental"): "Rental name.",
    ("RentalAllocation", "year"): "Year.",
    ("RentalAllocation", "gpus"): "Rented GPUs given to the workload (may be fractional).",
    ("ScenarioPlan", "cases"): "One plan per scenario case, `cases[]` below.",
    ("CasePlan", "case"): "Case name (`scenarios.cases[].name`).",
    ("CasePlan", "plan"): "The case's plan: a `Plan` as above.",
}

PLAN_DOC_HEADER = """# Plan format

Generated from `src/dcopt/plan/format.py` by `python -m dcopt.docgen`; do not edit by
hand (a test checks that this file matches the model).

A plan holds the decisions of SPEC sections 3 and 8 and nothing else: which
sites open when, which fabrics come to which site, which blocks are built,
which GPUs are bought (with their life) and which existing GPUs retire; and
with section 8, grid upgrades, on-site generation, DCI routes lit and links
installed, where training jobs run, and GPUs rented. `dcopt evaluate
instance.json plan.json` costs a plan, chooses its allocation (which GPUs
serve which demand, the allocation that leaves the least demand unmet), and
reports every limit it breaks; `--compare` also solves for the optimum and
explains the difference. `instances/quickstart-plan.json` is an example for
`instances/quickstart.json`.

Rules:

- Unknown keys are errors at any depth; names must be those of the instance
  and years inside its horizon (an invalid plan exits 2, naming the JSON path).
- Every list may be left out (empty); a hand-written plan needs no
  `allocations`, `job_allocations` or `rental_allocations`: `dcopt evaluate`
  chooses them (and replaces any the plan gives).
- A site with existing blocks is open already (no `openings` entry); a fabric
  used by an existing deployment is present already (no `fabrics` entry).
- A purchase runs `year .. year + life_years - 1`, and is resold at the start
  of `min(year + life_years, end_year + 1)`; its hall design `(cooling,
  rack_kw)` must have capacity at the site (built `builds`, or existing
  blocks) and the fabric must be at the site by `year`.
- `retirements[].deployment` is the index (from 0) in the instance's
  `existing.deployments`; existing GPUs not retired keep running (until
  their retirement deadline, SPEC 7.16).
- The allocation shares each year's surviving GPUs (SPEC 8.2: each purchase
  and existing deployment weighted by the surviving fraction of its age)
  between pooled training, the inference regions a site serves and the
  training jobs; the plan's rented GPUs serve pooled training (when the
  rental's `training` is true) and the regions the rental serves, with its
  efficiency and availability. Unmet throughput is summed over pooled
  training, the inference regions and the jobs, and minimised.
- Training jobs (SPEC 8.1): a `job_placements` entry fixes a job's home,
  its GPU model and its remote sites in a year; the job then gets GPUs of
  that model at those sites, a remote GPU delivering `1 - loss` of its
  throughput at the route's distance, only over a route lit by that year
  and within the job's reach, and within the DCI capacity of the links
  installed on the route by then (`dci_gbps_per_gpu` per remote GPU).
- A job-year with demand and no `job_placements` entry is placed by
  `dcopt evaluate`: at one site holding GPUs of an eligible model that year
  (that site is its home, with no remote sites), with one GPU model for a
  `single_gpu_model` job, choosing the site and model that leave the least
  unmet throughput together with the rest of the allocation; where no site
  holds an eligible model, the job's demand is reported unmet. A placement
  of a `single_gpu_model` job without `gpu` gets its model chosen likewise.
  The placements chosen are reported (`job_placements` of the evaluation)
  with a note.
- Scenarios (SPEC 8.8): for an instance with `scenarios`, give a
  `ScenarioPlan` (one plan per case, below) or a solution JSON with
  scenarios; each case's plan is evaluated against the case's instance
  (its scales applied from the reveal year on), and the expected TCO and
  every case's TCO are reported. Decisions of years before the reveal year
  that differ between cases are reported as broken limits
  (`shared_decisions`). A single `Plan` for a scenario instance is applied
  to every case (a note says so).
- A solution JSON written by `dcopt solve` is accepted as a plan too (its
  decisions are taken).

Example (two sites' worth of decisions):

```json
{
  "openings":  [{"site": "tx-abilene", "year": 2026}],
  "fabrics":   [{"site": "tx-abilene", "fabric": "infiniband", "year": 2026}],
  "builds":    [{"site": "tx-abilene", "cooling": "dlc", "rack_kw": 130, "year": 2026, "blocks": 1}],
  "purchases": [{"site": "tx-abilene", "cooling": "dlc", "rack_kw": 130, "gpu": "B200",
                 "fabric": "infiniband", "year": 2026, "gpus": 1568, "life_years": 4}],
  "retirements": []
}
```

A training job spread over two sites (SPEC 8.1), as a plan writes it:

```json
{
  "routes_lit":     [{"a": "A", "b": "B", "year": 2026}],
  "links":          [{"a": "A", "b": "B", "optic": "400zr", "year": 2026, "links": 3}],
  "job_placements": [{"job": "llm", "year": 2026, "home": "A", "gpu": "g", "remote_sites": ["B"]}]
}
```
"""


def plan_format_markdown() -> str:
    out = [PLAN_DOC_HEADER]
    for title, model in PLAN_SECTIONS:
        out.append(f"\n## `{title}`\n")
        doc = (model.__doc__ or "").strip() or _MODEL_NOTES.get(model.__name__, "")
        out.append(" ".join(doc.split("\n\n")[0].split()) + "\n")
        out.append("| field | type | default | meaning |")
        out.append("|---|---|---|---|")
        for name, field in model.model_fields.items():
            desc = field.description or _FIELD_NOTES.get((model.__name__, name), "")
            desc = desc.replace("|", "\\|")
            out.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
    return "\n".join(out) + "\n"


def plan_format_path() -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / "plan-format.md"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
