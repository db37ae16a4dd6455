"""Bad instances are rejected through the CLI with exit code 2, one problem per
JSON path, each with a fix, and no traceback (SPEC 7.11, 7.13, 7.14, 7.17, 7.21).

Every case starts from the small valid instance `base()` (`conftest.small_instance`, the
shape of shared/cases/h1_single_year_resale.json) and breaks one thing.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import cases_dir, small_instance

from dcopt.cli.main import main
from dcopt.instance.schema import Instance

DEPLOYMENT = {"site": "s1", "cooling": "air", "rack_kw": 20, "gpu": "g1", "fabric": "eth",
              "purchase_year": 2024, "gpus": 16, "price_usd_per_gpu": 25000}


def base() -> dict:
    return small_instance()


BASE = small_instance()


# --------------------------------------------------------------------------- helpers


def _key(part: str) -> str | int:
    return int(part) if part.isdigit() and len(part) < 4 else part


def _walk(data: dict, path: str) -> tuple[dict | list, str | int]:
    parts = [_key(p) for p in path.split(".")]
    for p in parts[:-1]:
        data = data[p]
    return data, parts[-1]


def put(path: str, value) -> Callable[[dict], None]:
    """An edit setting `path` ('sites.0.block_mw') to `value`."""

    def edit(d: dict) -> None:
        obj, last = _walk(d, path)
        obj[last] = copy.deepcopy(value)

    return edit


def drop(path: str) -> Callable[[dict], None]:
    def edit(d: dict) -> None:
        obj, last = _walk(d, path)
        del obj[last]

    return edit


def rename(path: str, new: str) -> Callable[[dict], None]:
    def edit(d: dict) -> None:
        obj, last = _walk(d, path)
        obj[new] = obj.pop(last)

    return edit


def append(path: str, value) -> Callable[[dict], None]:
    def edit(d: dict) -> None:
        obj, last = _walk(d, path)
        obj[last].append(copy.deepcopy(value))

    return edit


def both(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(d: dict) -> None:
        for e in edits:
            e(d)

    return edit


def existing(**changes) -> Callable[[dict], None]:
    """Add one existing deployment (and a block holding it), with `changes`."""
    return put("existing", {"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}],
                            "deployments": [{**DEPLOYMENT, **changes}]})


def run(args: list[str]):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def problems(stderr: str) -> dict[str, tuple[str, str]]:
    """`{json path: (what is wrong, fix)}` from the CLI's report."""
    lines = stderr.splitlines()
    out = {}
    for i, line in enumerate(lines):
        m = re.match(r"^  (\S+): (.+)$", line)
        if m and i + 1 < len(lines) and lines[i + 1].startswith("      fix: "):
            out[m.group(1)] = (m.group(2), lines[i + 1][len("      fix: "):])
    return out


def count(stderr: str) -> int:
    m = re.search(r"invalid instance \((\d+) problems?\)", stderr)
    assert m, stderr
    return int(m.group(1))


def assert_invalid(file: Path, path: str, words: tuple[str, ...] = (), fix_words: tuple[str, ...] = (),
                   commands: tuple[str, ...] = ("validate", "solve")) -> str:
    """Every command exits 2 and reports `path` with a message holding `words` and a fix."""
    stderr = ""
    for command in commands:
        code, stdout, stderr = run([command, str(file)])
        assert code == 2, (command, code, stdout, stderr)
        assert "Traceback" not in stdout + stderr
        assert stdout == ""
        found = problems(stderr)
        assert path in found, f"{path!r} not reported by {command}:\n{stderr}"
        message, fix = found[path]
        assert len(fix) > 8, stderr
        for w in words:
            assert w.lower() in message.lower(), f"{w!r} not in {message!r}"
        for w in fix_words:
            assert w.lower() in fix.lower(), f"{w!r} not in fix {fix!r}"
        assert count(stderr) == len(stderr.split("\n      fix: ")) - 1
    return stderr


def write(tmp_path: Path, data, name: str = "inst.json") -> Path:
    file = tmp_path / name
    file.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return file


# --------------------------------------------------------------------------- one broken thing each

TWO_YEARS = put("horizon.end_year", 2027)

CASES: list[tuple[str, Callable[[dict], None], str, tuple[str, ...], tuple[str, ...]]] = [
    # id, edit, JSON path reported, words of the message, words of the fix
    ("unknown-top-key", put("optoins", {}), "optoins", ("unknown key",), ("did you mean 'options'",)),
    ("unknown-deep-key", rename("sites.0.max_facility_mw", "max_facility_MW"), "sites[0].max_facility_MW",
     ("unknown key",), ("did you mean 'max_facility_mw'",)),
    ("unknown-catalog-key", put("catalog.gpus.0.nic_gpbs", 400), "catalog.gpus[0].nic_gpbs",
     ("unknown key",), ("did you mean 'nic_gbps'",)),
    ("string-for-number", put("sites.0.block_mw", "0.1"), "sites[0].block_mw", ("number", "'0.1'"), ("number",)),
    ("number-for-name", put("catalog.gpus.0.name", 7), "catalog.gpus[0].name", ("string", "7"), ("quotes",)),
    ("list-for-object", put("finance", [0.1]), "finance", ("object", "list"), ("object",)),
    ("bool-for-number", put("options.load_factor", True), "options.load_factor", ("number", "true"), ("number",)),
    ("number-for-bool", put("catalog.cooling.0.liquid", 0), "catalog.cooling[0].liquid", ("true or false",),
     ("true or false",)),
    ("string-for-int", put("horizon.start_year", "2026"), "horizon.start_year", ("whole number",), ("whole",)),
    ("float-for-int", put("catalog.gpus.0.unit_gpus", 8.5), "catalog.gpus[0].unit_gpus", ("whole number",),
     ("whole",)),
    ("string-for-price", put("catalog.gpus.0.price_usd_per_gpu", "20k"), "catalog.gpus[0].price_usd_per_gpu",
     ("number", "year map"), ("year map",)),
    ("missing-horizon", drop("horizon"), "horizon", ("missing",), ("add 'horizon'",)),
    ("missing-block-mw", drop("sites.0.block_mw"), "sites[0].block_mw", ("missing",), ("add 'block_mw'",)),
    ("missing-discount-rate", drop("finance.discount_rate"), "finance.discount_rate", ("missing",),
     ("discount_rate",)),
    ("no-sites", put("sites", []), "sites", ("at least 1",), ("add",)),
    ("negative-power", put("sites.0.max_facility_mw", -1), "sites[0].max_facility_mw", (">= 0", "-1"), (">= 0",)),
    ("negative-price", put("catalog.gpus.0.price_usd_per_gpu", -5), "catalog.gpus[0].price_usd_per_gpu",
     (">= 0", "-5"), (">= 0",)),
    ("negative-price-in-map", put("catalog.gpus.0.price_usd_per_gpu", {"2026": -5}),
     "catalog.gpus[0].price_usd_per_gpu.2026", (">= 0",), (">= 0",)),
    ("negative-electricity-map", put("sites.0.electricity_usd_per_mwh", {"2026": -1}),
     "sites[0].electricity_usd_per_mwh.2026", (">= 0",), (">= 0",)),
    ("negative-demand", put("demand.training.2026", -50), "demand.training.2026", (">= 0",), (">= 0",)),
    ("negative-inference-demand", put("demand.inference", [{"region": "us-east", "perf": {"2026": -1}}]),
     "demand.inference[0].perf.2026", (">= 0",), (">= 0",)),
    ("negative-carbon-price", put("finance.carbon_price_usd_per_t", -1), "finance.carbon_price_usd_per_t",
     (">= 0",), (">= 0",)),
    ("zero-block-mw", put("sites.0.block_mw", 0), "sites[0].block_mw", (">= 0.01 and <= 10000", "got 0"),
     (">= 0.01",)),
    ("zero-pue", put("catalog.cooling.0.pue", 0), "catalog.cooling[0].pue", (">= 1 and <= 5",), (">= 1",)),
    ("pue-below-one", put("catalog.cooling.0.pue", 0.95), "catalog.cooling[0].pue", (">= 1", "0.95"),
     ("at least 1",)),
    ("zero-pue-override", put("sites.0.pue_overrides", {"air": 0}), "sites[0].pue_overrides.air", (">= 1",),
     (">= 1",)),
    ("zero-rack-kw", put("catalog.densities.0.rack_kw", 0), "catalog.densities[0].rack_kw", (">= 0.1",),
     (">= 0.1 and <= 10000",)),
    ("zero-system-kw", put("catalog.gpus.0.system_kw_per_gpu", 0), "catalog.gpus[0].system_kw_per_gpu",
     (">= 0.01 and <= 100",), (">= 0.01",)),
    ("zero-depreciation", put("catalog.gpus.0.depreciation_years", 0), "catalog.gpus[0].depreciation_years",
     (">= 1 and <= 30",), (">= 1",)),
    ("zero-facility-life", put("finance.facility_life_years", 0), "finance.facility_life_years", (">= 1",),
     (">= 1 and <= 100",)),
    ("discount-rate-minus-one", put("finance.discount_rate", -1), "finance.discount_rate", (">= -0.1",),
     (">= -0.1 and <= 1",)),
    ("nan-discount-rate", put("finance.discount_rate", float("nan")), "finance.discount_rate", ("finite",),
     ("finite",)),
    ("load-factor-above-one", put("options.load_factor", 1.2), "options.load_factor", ("<= 1", "1.2"), ("<= 1",)),
    ("availability-above-one", put("catalog.fabrics.0.availability", 1.5), "catalog.fabrics[0].availability",
     ("<= 1",), ("<= 1",)),
    ("empty-life-choices", put("options.life_choices_years", []), "options.life_choices_years", ("at least 1",),
     ("add",)),
    ("start-after-end", put("horizon.start_year", 2027), "horizon.end_year", ("2027", "2026"), ("end_year",)),
    ("first-after-last-year", put("catalog.gpus.0.first_year", 2027), "catalog.gpus[0].last_year",
     ("2027", "2026"), ("last_year",)),
    ("duplicate-gpu", append("catalog.gpus", BASE["catalog"]["gpus"][0]), "catalog.gpus[1].name",
     ("duplicate", "'g1'", "catalog.gpus[0]"), ("rename",)),
    ("duplicate-site", append("sites", BASE["sites"][0]), "sites[1].name", ("duplicate", "'s1'"), ("rename",)),
    ("duplicate-cooling", append("catalog.cooling", BASE["catalog"]["cooling"][0]), "catalog.cooling[1].name",
     ("duplicate", "'air'"), ("rename",)),
    ("duplicate-fabric", append("catalog.fabrics", BASE["catalog"]["fabrics"][0]), "catalog.fabrics[1].name",
     ("duplicate", "'eth'"), ("rename",)),
    ("duplicate-rack-kw", append("catalog.densities", {"rack_kw": 20.0, "capex_usd_per_rack": 1}),
     "catalog.densities[1].rack_kw", ("duplicate", "20"), ("once",)),
    ("duplicate-region", put("demand.inference", [{"region": "us-east", "perf": {"2026": 1}},
                                                  {"region": "us-east", "perf": {"2026": 2}}]),
     "demand.inference[1].region", ("duplicate", "'us-east'"), ("merge",)),
    ("unknown-allowed-cooling", put("sites.0.allowed_cooling", ["air", "dlc"]), "sites[0].allowed_cooling[1]",
     ("unknown cooling", "'dlc'"), ("air",)),
    ("unknown-pue-override", put("sites.0.pue_overrides", {"dlc": 1.1}), "sites[0].pue_overrides.dlc",
     ("unknown cooling", "'dlc'"), ("air",)),
    ("existing-unknown-gpu", existing(gpu="h100"), "existing.deployments[0].gpu", ("unknown GPU", "'h100'"),
     ("g1",)),
    ("existing-unknown-fabric", existing(fabric="ib"), "existing.deployments[0].fabric",
     ("unknown fabric", "'ib'"), ("eth",)),
    ("existing-unknown-site", existing(site="s9"), "existing.deployments[0].site", ("unknown site", "'s9'"),
     ("s1",)),
    ("existing-block-unknown-site",
     put("existing", {"blocks": [{"site": "s2", "cooling": "air", "rack_kw": 20, "blocks": 1}]}),
     "existing.blocks[0].site", ("unknown site",), ("s1",)),
    ("existing-unknown-rack-kw", existing(rack_kw=30), "existing.deployments[0].rack_kw", ("30",), ("20",)),
    ("existing-no-hall-design",
     both(append("catalog.densities", {"rack_kw": 50, "capex_usd_per_rack": 1}),
          put("existing", {"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 50, "blocks": 1}]})),
     "existing.blocks[0].rack_kw", ("no hall design", "40"), ("density",)),
    ("existing-purchase-year-in-horizon", existing(purchase_year=2026), "existing.deployments[0].purchase_year",
     ("2026", "start_year"), ("before",)),
    ("existing-gpus-not-unit-multiple", existing(gpus=12), "existing.deployments[0].gpus",
     ("12", "multiple", "8"), ("multiple of 8",)),
    ("existing-negative-blocks",
     put("existing", {"blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": -1}]}),
     "existing.blocks[0].blocks", (">= 0",), (">= 0",)),
    ("electricity-map-misses-year", both(TWO_YEARS, put("sites.0.electricity_usd_per_mwh", {"2026": 100})),
     "sites[0].electricity_usd_per_mwh", ("2027",), ("2027",)),
    ("price-map-misses-year", both(TWO_YEARS, put("catalog.gpus.0.last_year", 2030),
                                   put("catalog.gpus.0.price_usd_per_gpu", {"2026": 20000})),
     "catalog.gpus[0].price_usd_per_gpu", ("2027", "purchasable"), ("2027",)),
    ("price-map-with-decline", both(put("catalog.gpus.0.price_usd_per_gpu", {"2026": 20000}),
                                    put("catalog.gpus.0.price_decline_per_year", 0.1)),
     "catalog.gpus[0].price_decline_per_year", ("year map",), ("drop",)),
    ("bad-year-key", put("demand.training", {"20x6": 5}), "demand.training", ("'20x6'", "year"), ('"2027"',)),
    ("bad-year-key-electricity", put("sites.0.electricity_usd_per_mwh", {"2026": 100, "26": 100}),
     "sites[0].electricity_usd_per_mwh", ("'26'", "year"), ('"2027"',)),
    ("unknown-shipped-catalog", put("catalog", "no_such_catalog"), "catalog", ("'no_such_catalog'",),
     ("shipped",)),
    ("missing-catalog-file", put("catalog", "catalogs/missing.json"), "catalog", ("not found", "missing.json"),
     ("relative to",)),
    ("catalog-wrong-type", put("catalog", 5), "catalog", ("object",), ("shipped",)),
    # hostile numbers: finite, but beyond anything physical (issue 9); the message states the range
    ("gpu-price-1e308", put("catalog.gpus.0.price_usd_per_gpu", 1e308), "catalog.gpus[0].price_usd_per_gpu",
     (">= 0 and <= 1e7", "1e308"), (">= 0 and <= 1e7",)),
    ("gpu-price-map-1e308", put("catalog.gpus.0.price_usd_per_gpu", {"2026": 1e308}),
     "catalog.gpus[0].price_usd_per_gpu.2026", ("<= 1e7",), ("<= 1e7",)),
    ("demand-1e-7", put("demand.training.2026", 1e-7), "demand.training.2026", ("0, or >= 0.001 and <= 1e12",),
     ("smaller unit",)),
    ("demand-below-a-hundredth-of-a-gpu", both(put("catalog.gpus.0.training_perf", 100),
                                               put("demand.training.2026", 0.5)),
     "demand.training.2026", ("0.5", "of one GPU's training throughput", "catalog.gpus[0].training_perf"),
     ("unit of the GPUs' throughput",)),
    ("inference-demand-below-a-hundredth-of-a-gpu",
     both(put("catalog.gpus.0.inference_perf", 1e4), put("demand.inference", [{"region": "us-east",
                                                                              "perf": {"2026": 1}}])),
     "demand.inference[0].perf.2026", ("0.00011 of one GPU", "inference", "9000 per GPU"),
     ("at least 0.01 of one GPU",)),
    ("demand-1e15", put("demand.training.2026", 1e15), "demand.training.2026", ("<= 1e12", "1e15"), ("<= 1e12",)),
    ("demand-1e308", put("demand.inference", [{"region": "us-east", "perf": {"2026": 1e308}}]),
     "demand.inference[0].perf.2026", ("<= 1e12",), ("<= 1e12",)),
    ("electricity-1e308", put("sites.0.electricity_usd_per_mwh", 1e308), "sites[0].electricity_usd_per_mwh",
     ("<= 10000",), ("<= 10000",)),
    ("density-1e-9", put("catalog.densities.0.rack_kw", 1e-9), "catalog.densities[0].rack_kw",
     (">= 0.1 and <= 10000", "1e-9"), (">= 0.1",)),
    ("huge-int-year", put("catalog.gpus.0.first_year", -10**30), "catalog.gpus[0].first_year",
     (">= 1900 and <= 2200", "-1e30"), (">= 1900",)),
    ("float-year", put("horizon.end_year", -1e30), "horizon.end_year", ("whole number",), ("whole",)),
    ("year-key-out-of-range", put("demand.training", {"0001": 5}), "demand.training", ("'0001'", "1900"),
     ("calendar years",)),
    ("horizon-too-long", put("horizon.end_year", 2200), "horizon.end_year", ("175 years", "50"), ("at most 50",)),
    ("discount-rate-near-minus-one", put("finance.discount_rate", -0.99), "finance.discount_rate",
     (">= -0.1 and <= 1",), ("-10 %",)),
    ("load-factor-zero", put("options.load_factor", 0), "options.load_factor", ("> 0 and <= 1",),
     ("electricity",)),
    ("life-choice-huge", put("options.life_choices_years", [3, 10**6]), "options.life_choices_years[1]",
     ("<= 30",), ("<= 30",)),
    ("carbon-intensity-absurd", put("sites.0.carbon_kg_per_mwh", 1e9), "sites[0].carbon_kg_per_mwh",
     ("<= 2000",), ("<= 2000",)),
    ("existing-gpus-huge", existing(gpus=8 * 10**20), "existing.deployments[0].gpus", ("<= 1e8",), ("<= 1e8",)),
]


@pytest.mark.parametrize(("edit", "path", "words", "fix_words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_instance(tmp_path, edit, path, words, fix_words):
    data = base()
    edit(data)
    assert_invalid(write(tmp_path, data), path, words, fix_words)


def test_at_least_twenty_kinds():
    assert len(CASES) >= 20


def test_malformed_json_gives_line_and_column(tmp_path):
    text = json.dumps(base(), indent=1).replace('"start_year": 2026,', '"start_year": 2026', 1)  # line 4
    file = write(tmp_path, text)
    stderr = assert_invalid(file, "$", ("malformed JSON", "line 5, column"), ("comma",))
    assert count(stderr) == 1


def test_top_level_not_an_object(tmp_path):
    assert_invalid(write(tmp_path, [base()]), "$", ("JSON object", "list"), ("{",))


def test_instance_file_not_found(tmp_path):
    code, _stdout, stderr = run(["validate", str(tmp_path / "nope.json")])
    assert code == 2 and "nope.json" in stderr and "fix:" in stderr and "Traceback" not in stderr


def test_empty_file(tmp_path):
    assert_invalid(write(tmp_path, ""), "$", ("malformed JSON", "line 1"), ())


def test_catalog_file_is_checked_too(tmp_path):
    cat = copy.deepcopy(BASE["catalog"])
    cat["cooling"][0]["pue"] = -1
    write(tmp_path, cat, "cat.json")
    data = base()
    data["catalog"] = "cat.json"
    assert_invalid(write(tmp_path, data), "catalog.cooling[0].pue", (">= 1", "cat.json"), ())


def test_malformed_catalog_file(tmp_path):
    write(tmp_path, "{\"gpus\": [}", "cat.json")
    data = base()
    data["catalog"] = "cat.json"
    assert_invalid(write(tmp_path, data), "catalog", ("malformed JSON", "cat.json", "line 1"), ())


def test_several_problems_reported_at_once(tmp_path):
    data = base()
    data["sites"][0]["block_mw"] = 0                          # schema
    data["sites"][0]["colour"] = "red"                        # schema, unknown key
    data["finance"]["discount_rate"] = "8%"                   # schema, type
    data["options"]["load_factor"] = 2                        # schema, range
    del data["catalog"]["gpus"][0]["training_perf"]           # schema, missing
    stderr = assert_invalid(write(tmp_path, data), "sites[0].block_mw")
    found = problems(stderr)
    assert set(found) == {"sites[0].block_mw", "sites[0].colour", "finance.discount_rate",
                          "options.load_factor", "catalog.gpus[0].training_perf"}
    assert count(stderr) == 5


def test_several_cross_reference_problems_reported_at_once(tmp_path):
    data = base()
    data["catalog"]["gpus"].append(copy.deepcopy(data["catalog"]["gpus"][0]))   # duplicate GPU
    data["sites"][0]["allowed_cooling"] = ["dlc"]                                # unknown cooling
    data["sites"][0]["electricity_usd_per_mwh"] = {"2025": 100}                  # misses 2026
    data["existing"] = {"deployments": [{**DEPLOYMENT, "gpus": 3, "fabric": "ib", "purchase_year": 2030}]}
    stderr = assert_invalid(write(tmp_path, data), "catalog.gpus[1].name")
    assert set(problems(stderr)) == {
        "catalog.gpus[1].name", "sites[0].allowed_cooling[0]", "sites[0].electricity_usd_per_mwh",
        "existing.deployments[0].gpus", "existing.deployments[0].fabric", "existing.deployments[0].purchase_year",
    }
    assert count(stderr) == 6


def test_subprocess_exit_code_and_no_traceback(tmp_path):
    data = base()
    data["sites"][0]["max_facility_MW"] = data["sites"][0].pop("max_facility_mw")
    file = write(tmp_path, data)
    for command in ("validate", "solve"):
        proc = subprocess.run([sys.executable, "-m", "dcopt.cli.main", command, str(file)],
                              check=False, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc
        assert proc.stdout == ""
        assert "Traceback" not in proc.stderr
        assert "sites[0].max_facility_MW: unknown key" in proc.stderr
        assert "did you mean 'max_facility_mw'" in proc.stderr
        assert "sites[0].max_facility_mw: required key is missing" in proc.stderr


def test_subprocess_malformed_json(tmp_path):
    file = write(tmp_path, '{"name": "x" "horizon": {}}')
    proc = subprocess.run([sys.executable, "-m", "dcopt.cli.main", "validate", str(file)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "line 1, column 14" in proc.stderr and "fix:" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- valid but infeasible (SPEC 7.13)


def test_demand_in_unserved_region_is_infeasible_not_invalid(tmp_path):
    data = base()
    data["demand"]["inference"] = [{"region": "eu-west", "perf": {"2026": 10}}]
    file = write(tmp_path, data)
    code, stdout, stderr = run(["validate", str(file)])
    assert code == 0, stderr
    assert "valid" in stdout
    code, stdout, stderr = run(["solve", str(file)])
    assert code == 1, stdout + stderr
    assert "infeasible" in stdout + stderr
    assert "eu-west" in stdout + stderr
    assert "Traceback" not in stdout + stderr


def test_demand_outside_horizon_and_zero_demand_unserved_are_fine(tmp_path):
    data = base()
    data["demand"]["training"]["2031"] = 5                              # outside the horizon: ignored
    data["demand"]["inference"] = [{"region": "eu-west", "perf": {"2026": 0}}]
    code, _, stderr = run(["validate", str(write(tmp_path, data))])
    assert code == 0, stderr


# --------------------------------------------------------------------------- valid cases and the schema


def _case_files() -> list[Path]:
    folder = cases_dir()
    return sorted(folder.glob("*.json")) if folder is not None else []


def test_reference_cases_validate(cases):
    files = [f for f in _case_files() if f.name != "expected.json"]
    assert files
    for file in files:
        code, stdout, stderr = run(["validate", str(file)])
        assert code == 0, (file.name, stderr)
        assert stdout.startswith(f"{file}: valid")


def _range_errors(file: Path) -> list[tuple]:
    """Errors of `file` other than unknown or missing keys: values outside a field's range.
    Files of the v2 format (../shared/cases/v2) use fields that this version does not have;
    their values of the fields it has must still be in range."""
    from pydantic import ValidationError

    from dcopt.instance.catalogs import find_catalog

    data = json.loads(file.read_text())
    if isinstance(data.get("catalog"), str):
        data["catalog"] = json.loads(find_catalog(data["catalog"], file.parent).read_text())
    try:
        Instance.model_validate(data)
    except ValidationError as exc:
        return [(e["loc"], e["msg"]) for e in exc.errors(include_url=False)
                if e["type"] not in ("extra_forbidden", "missing")]
    return []


def test_every_shipped_and_reference_instance_is_within_the_ranges():
    repo = Path(__file__).resolve().parent.parent
    files = sorted((repo / "instances").glob("*.json"))
    folder = cases_dir()
    if folder is not None:
        files += sorted(folder.glob("*.json")) + sorted((folder / "v2").glob("*.json"))
    files = [f for f in files if f.name != "expected.json" and not f.name.endswith("-plan.json")]
    assert len(files) >= 5
    bad = {f.name: errors for f in files if (errors := _range_errors(f))}
    assert not bad


def test_base_is_valid(tmp_path):
    code, _stdout, stderr = run(["validate", str(write(tmp_path, base()))])
    assert code == 0, stderr


def test_schema_prints_json_matching_instance():
    code, stdout, _ = run(["schema"])
    assert code == 0
    schema = json.loads(stdout)
    assert set(schema["properties"]) == set(Instance.model_fields)
    assert set(schema["required"]) == {"horizon", "finance", "catalog", "sites"}
    assert schema["additionalProperties"] is False
    assert {"type": "string"} in schema["properties"]["catalog"]["anyOf"]


# --------------------------------------------------------------------------- hostile text and structure (issue 9)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_instance_is_invalid_input(tmp_path, depth):
    text = json.dumps(base())[:-1] + f', "name": {_deep(depth)}}}'
    stderr = assert_invalid(write(tmp_path, text), "name[0]" + "[0]" * 30 if depth == 40 else "$", ("nested",),
                            ("brackets",))
    assert count(stderr) == 1


@pytest.mark.parametrize("depth", [40, 1000])
def test_deeply_nested_catalog_file_is_invalid_input(tmp_path, depth):
    cat = json.dumps(BASE["catalog"])[:-1] + f', "description": {_deep(depth)}}}'
    write(tmp_path, cat, "cat.json")
    data = base()
    data["catalog"] = "cat.json"
    stderr = assert_invalid(write(tmp_path, data), "catalog.description[0]" + "[0]" * 30 if depth == 40
                            else "catalog", ("nested", "cat.json"), ("brackets",))
    assert count(stderr) == 1


def test_deeply_nested_dict_is_an_instance_error():
    from dcopt.instance.errors import InstanceError
    from dcopt.instance.io import load_instance

    data = base()
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    data["sites"][0]["serves_regions"] = nested
    with pytest.raises(InstanceError, match="nested more than 32 levels"):
        load_instance(data)


@pytest.mark.parametrize(("edit", "path"), [
    (put("name", "plant \ud800"), "name"),
    (put("sites.0.name", "s\udc801"), "sites[0].name"),
    (put("catalog.gpus.0.source", "\udfff"), "catalog.gpus[0].source"),
    (put("sites.0.\ud83dregion", 1), "sites[0].\\ud83dregion"),
], ids=["instance-name", "site-name", "free-text", "key"])
def test_lone_surrogate_is_invalid_input(tmp_path, edit, path):
    data = base()
    edit(data)
    stderr = assert_invalid(write(tmp_path, data), path, ("lone surrogate",), ("remove it",))
    assert "\ud800" not in stderr and "\udc80" not in stderr


def test_lone_surrogate_and_other_problems_reported_together(tmp_path):
    data = base()
    data["name"] = "\ud800"
    data["sites"][0]["block_mw"] = 0
    stderr = assert_invalid(write(tmp_path, data), "name", ("surrogate",))
    assert set(problems(stderr)) == {"name", "sites[0].block_mw"}


def test_integer_of_thousands_of_digits_is_invalid_input(tmp_path):
    text = json.dumps(base()).replace('"block_mw": 0.1', '"block_mw": ' + "9" * 5000)
    assert_invalid(write(tmp_path, text), "$", ("digits",), ("significant digits",))


def test_huge_integer_from_python_is_shown_short():
    from dcopt.instance.errors import InstanceError
    from dcopt.instance.io import load_instance

    data = base()
    data["sites"][0]["max_facility_mw"] = 10**5000
    with pytest.raises(InstanceError) as err:
        load_instance(data)
    [problem] = err.value.problems
    assert problem.path == "sites[0].max_facility_mw"
    assert "5001-digit number" in problem.message and len(problem.message) < 120


@pytest.mark.parametrize("ref", ["a\x00b", "x" * 5000, "dir/\x00.json"])
def test_catalog_name_the_file_system_cannot_hold(tmp_path, ref):
    data = base()
    data["catalog"] = ref
    assert_invalid(write(tmp_path, data), "catalog", ("catalog",), ("path",))


# --------------------------------------------------------------------------- a catalog file's problems (issue 9)


@pytest.mark.parametrize(("catalog_text", "path", "words"), [
    ('{"gpus": [}', "catalog", ("malformed JSON", "line 1")),
    (b"\xff\xfe{}", "catalog", ("not UTF-8",)),
    ("[1, 2]", "catalog", ("JSON object",)),
    (json.dumps({**BASE["catalog"], "colour": "red"}), "catalog.colour", ("unknown key",)),
    (json.dumps({**BASE["catalog"], "densities": [{"rack_kw": 1e-9, "capex_usd_per_rack": 1}]}),
     "catalog.densities[0].rack_kw", (">= 0.1",)),
], ids=["malformed", "not-utf8", "not-an-object", "unknown-key", "out-of-range"])
def test_catalog_file_problems_are_headed_with_the_instance(tmp_path, catalog_text, path, words):
    folder = tmp_path / "catalogs"
    folder.mkdir()
    cat = folder / "cat.json"
    if isinstance(catalog_text, bytes):
        cat.write_bytes(catalog_text)
    else:
        cat.write_text(catalog_text)
    data = base()
    data["catalog"] = "catalogs/cat.json"
    file = write(tmp_path, data)
    stderr = assert_invalid(file, path, words)
    heading = stderr.splitlines()[0]
    assert heading.startswith(f"{file} (catalog {cat}): invalid instance"), heading
    assert str(cat) in problems(stderr)[path][0]


def test_instance_problems_with_a_catalog_file_name_only_the_instance(tmp_path):
    write(tmp_path, BASE["catalog"], "cat.json")
    data = base()
    data["catalog"] = "cat.json"
    data["sites"][0]["block_mw"] = 0
    file = write(tmp_path, data)
    stderr = assert_invalid(file, "sites[0].block_mw")
    assert stderr.splitlines()[0].startswith(f"{file}: invalid instance")


# --------------------------------------------------------------------------- every problem at once (issue 9)


def test_typo_zero_block_and_duplicate_site_are_three_problems_at_once(tmp_path):
    data = base()
    data["sites"][0]["carbon_kg_per_MWh"] = data["sites"][0].pop("carbon_kg_per_mwh")  # a typo
    data["sites"][0]["block_mw"] = 0                                                    # out of range
    data["sites"].append(copy.deepcopy(BASE["sites"][0]))                               # duplicate name
    stderr = assert_invalid(write(tmp_path, data), "sites[1].name", ("duplicate", "'s1'"))
    assert set(problems(stderr)) == {"sites[0].carbon_kg_per_MWh", "sites[0].block_mw", "sites[1].name"}
    assert count(stderr) == 3


def test_cross_field_checks_use_what_could_be_validated(tmp_path):
    data = base()
    data["horizon"]["end_year"] = 2027
    data["finance"]["discount_rate"] = "8%"                                      # invalid elsewhere
    data["catalog"]["gpus"].append({**BASE["catalog"]["gpus"][0], "unit_gpus": 0})  # duplicate, bad unit
    data["sites"][0]["electricity_usd_per_mwh"] = {"2026": -1}                  # negative, misses 2027
    data["sites"][0]["allowed_cooling"] = ["dlc"]
    data["existing"] = {"deployments": [{**DEPLOYMENT, "gpus": 12, "fabric": "ib", "rack_kw": "20"}]}
    stderr = assert_invalid(write(tmp_path, data), "catalog.gpus[1].name")
    assert set(problems(stderr)) == {
        "finance.discount_rate", "catalog.gpus[1].unit_gpus", "catalog.gpus[1].name",
        "sites[0].electricity_usd_per_mwh.2026", "sites[0].electricity_usd_per_mwh",
        "sites[0].allowed_cooling[0]", "existing.deployments[0].rack_kw", "existing.deployments[0].gpus",
        "existing.deployments[0].fabric",
    }


def test_no_unknown_name_is_claimed_when_a_name_is_itself_invalid(tmp_path):
    data = base()
    data["catalog"]["cooling"].append({**BASE["catalog"]["cooling"][0], "name": 7})  # meant 'dlc'?
    data["sites"][0]["allowed_cooling"] = ["dlc"]
    stderr = assert_invalid(write(tmp_path, data), "catalog.cooling[1].name")
    assert set(problems(stderr)) == {"catalog.cooling[1].name"}


def test_a_huge_catalog_file_is_not_read(tmp_path):
    """A catalog path may name any file (e.g. a device or /proc file): beyond 100 MiB it is
    refused before reading."""
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:  # sparse: no disk used
        fh.truncate(101 * 2**20)
    data = base()
    data["catalog"] = "huge.json"
    assert_invalid(write(tmp_path, data), "catalog", ("larger than 100 MiB",), ("path",))


@pytest.mark.parametrize("catalog", ["missing.json", "no_such_catalog", "bad.json"])
def test_a_catalog_that_cannot_be_read_and_other_problems_come_together(tmp_path, catalog):
    write(tmp_path, '{"gpus": [}', "bad.json")
    data = base()
    data["catalog"] = catalog
    data["sites"][0]["block_mw"] = 0
    data["sites"].append(copy.deepcopy(BASE["sites"][0]))
    stderr = assert_invalid(write(tmp_path, data), "catalog", ())
    assert set(problems(stderr)) == {"catalog", "sites[0].block_mw", "sites[1].name"}
