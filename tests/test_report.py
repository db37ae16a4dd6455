"""HTML reports (issue 5): one per instance in instances/, and one per sweep design.

Solves are cached once per test session (`solved_instances`, shared with
test_report_browser.py) with a loose gap and no time limit: a plan with its gap
is all a report needs, and a gap, unlike a time limit, does not depend on how
fast the machine is.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import itertools
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dcopt import load_instance, solve
from dcopt.report import read_sweep_table, solution_report_html, sweep_report_html, write_report
from dcopt.report.plan_report import Figures, fleet_segments
from dcopt.results.writers import write_csv, write_json

REPO = Path(__file__).resolve().parent.parent
INSTANCES = REPO / "instances"

PLAN_CHARTS = ["tco-waterfall", "spend-by-year", "cash-by-item", "gpu-fleet", "refresh-timeline",
               "site-power", "site-mix", "site-fabrics", "demand", "energy"]
SWEEP_CHARTS = {
    "oat": ["tornado", "sites-oat", "mix-oat"],
    "grid": ["tco-by-parameter", "sites-grid", "mix-grid"],
    "mc": ["tco-distribution", "tco-scatter", "sites-mc", "mix-mc"],
}


# =========================================================================== shared helpers

def instance_files() -> list[Path]:
    """Every instance file in instances/ (JSON with a horizon; plan files and the like are not)."""
    out = []
    for path in sorted(INSTANCES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "horizon" in data:
            out.append(path)
    return out


def solve_instance(path: Path, quick: bool = True):
    """Solve for a report: quick = a 5 % gap, which the plan rounded from the LP relaxation
    meets on hyperscale-10site (within 3 % of the LP bound), and for larger instances a 90 %
    gap, which it meets at once. No time limit: the result is the same on any machine."""
    inst = load_instance(path)
    if not quick:
        return solve(inst), inst
    gap = 0.05 if len(inst.sites) * len(inst.years) <= 100 else 0.9
    return solve(inst, mip_gap=gap), inst


@functools.lru_cache(maxsize=1)
def solved_instances() -> tuple:
    """(name, solution, instance) of every instance file, solved once per session."""
    return tuple((p.stem, *solve_instance(p)) for p in instance_files())


@functools.cache
def instance_report(name: str) -> str:
    """The report of instances/<name>.json (with its instance), built once per session."""
    _, solution, inst = next(x for x in solved_instances() if x[0] == name)
    return solution_report_html(solution, inst)


def chart_ids(html_text: str) -> list[str]:
    return re.findall(r'<figure class="chart" id="([^"]+)"', html_text)


def build_solution_report(solution, inst=None) -> tuple[str, list[str]]:
    text = solution_report_html(solution, inst)
    return text, chart_ids(text)


def build_sweep_report(table: pd.DataFrame, title: str = "") -> tuple[str, list[str]]:
    text = sweep_report_html(table, title)
    return text, chart_ids(text)


class _Tables(HTMLParser):
    """Tables with a data-table attribute (cells: data-value when given, else the text) and the
    CSV download links (data-csv)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[object]]] = {}
        self.csv: dict[str, str] = {}
        self._name: str | None = None
        self._cell: list[str] | None = None
        self._value: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-table" in a:
            self._name = a["data-table"]
            self.tables[self._name] = []
        elif tag == "tr" and self._name is not None:
            self.tables[self._name].append([])
        elif tag in ("td", "th") and self._name is not None:
            self._cell, self._value = [], a.get("data-value")
        elif tag == "a" and "data-csv" in a:
            self.csv[a["data-csv"]] = base64.b64decode(a["href"].split("base64,", 1)[1]).decode("utf-8")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            v: object = "".join(self._cell)
            if self._value is not None:
                v = float(self._value)
            self.tables[self._name][-1].append(v)
            self._cell = None
        elif tag == "table":
            self._name = None


def parse(html_text: str) -> _Tables:
    p = _Tables()
    p.feed(html_text)
    return p


def close(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def _body(rows: list[list[object]]) -> list[list[object]]:
    return rows[1:]  # the header row


def assert_self_contained(html_text: str) -> None:
    assert "<script" not in html_text.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html_text), "a reference to the network"
    assert not re.search(r"url\((['\"]?)(https?:)?//", html_text), "a CSS reference to the network"
    assert not re.search(r"@import", html_text)


# =========================================================================== plan reports

def test_instances_are_all_covered():
    names = {p.stem for p in instance_files()}
    assert {"quickstart", "brownfield-refresh", "power-capped", "hyperscale-10site", "large-50site"} <= names


@pytest.mark.parametrize("name", [p.stem for p in instance_files()])
def test_report_for_every_instance(name, tmp_path):
    _, solution, _inst = next(x for x in solved_instances() if x[0] == name)
    assert solution.has_plan, solution.message
    text = instance_report(name)
    charts = chart_ids(text)
    # the v1.1 charts in their order; section-8 panels (tests/test_report_sections8.py) where the
    # plan uses those features (the shipped catalog's failure rates, upgrades, jobs, ...)
    assert [c for c in charts if c in PLAN_CHARTS] == PLAN_CHARTS
    assert_self_contained(text)
    for cid in charts:  # every chart has its SVG, a how-to-read line and the numbers behind it
        fig = text[text.index(f'<figure class="chart" id="{cid}"'):]
        fig = fig[:fig.index("</figure>")]
        assert "<svg" in fig and "How to read:" in fig and f'data-table="{cid}"' in fig, cid


@pytest.mark.parametrize("name", ["quickstart", "brownfield-refresh"])
def test_report_from_files_with_and_without_the_instance(name, tmp_path):
    _, solution, _ = next(x for x in solved_instances() if x[0] == name)
    write_json(solution, tmp_path / "s.json")
    out = write_report(tmp_path / "s.json", tmp_path / "r.html", instance=INSTANCES / f"{name}.json")
    assert out.read_text(encoding="utf-8") == instance_report(name)
    bare = write_report(tmp_path / "s.json", tmp_path / "bare.html").read_text(encoding="utf-8")
    assert [c for c in chart_ids(bare) if c in PLAN_CHARTS] == PLAN_CHARTS


@pytest.mark.parametrize("name", ["quickstart", "brownfield-refresh", "hyperscale-10site"])
def test_report_agrees_with_csv_tables(name, tmp_path):
    """The report's tables, download links and chart numbers are those `--csv DIR` writes."""
    _, s, _inst = next(x for x in solved_instances() if x[0] == name)
    text = instance_report(name)
    page = parse(text)
    files = {p.name: p for p in write_csv(s, tmp_path / "csv")}
    csv_rows = {}
    for fname, path in files.items():
        on_disk = path.read_bytes().decode("utf-8")
        assert page.csv[fname] == on_disk, f"{fname}: download differs from --csv"
        rows = list(csv.reader(io.StringIO(on_disk)))
        csv_rows[fname[:-4]] = rows
        shown = _body(page.tables[f"csv:{fname[:-4]}"])
        assert len(shown) == len(rows) - 1, fname
        for got, want in zip(shown, rows[1:]):
            for g, w in zip(got, want):
                if isinstance(g, float):
                    assert close(g, float(w)), (fname, got, want)
    # waterfall = costs.csv npv_usd
    costs = {r[0]: float(r[1]) for r in csv_rows["costs"][1:]}
    for item, _, npv, _ in _body(page.tables["tco-waterfall"]):
        assert close(npv, costs[item])
    assert {r[0] for r in _body(page.tables["tco-waterfall"])} == {k for k, v in costs.items() if abs(v) >= 0.5}
    # headline TCO = the sum of costs.csv
    assert f"{sum(costs.values()) / 1e6:,.1f} M$" in text
    # spending, demand, energy = years.csv
    years = csv_rows["years"]
    training = {int(r[0]): r for r in years[1:] if r[1] == "training"}
    for year, capex, opex, total in _body(page.tables["spend-by-year"]):
        assert close(capex, float(training[int(year)][6])) and close(opex, float(training[int(year)][7]))
    for year, mwh, t in _body(page.tables["energy"]):
        assert close(mwh, float(training[int(year)][4])) and close(t, float(training[int(year)][5]))
    by_workload = {(int(r[0]), r[1].removeprefix("inference:")): r for r in years[1:]}
    for year, w, demand, delivered in _body(page.tables["demand"]):
        r = by_workload[(int(year), w)]
        assert close(demand, float(r[2])) and close(delivered, float(r[3]))
    # site power = sites.csv
    sites = {(r[0], int(r[5])): r for r in csv_rows["sites"][1:]}
    for site, year, limit, it, fac, load, drawn in _body(page.tables["site-power"]):
        r = sites[(site, int(year))]
        assert [limit, it, fac, load, drawn] == pytest.approx(
            [float(r[4]), float(r[6]), float(r[7]), float(r[8]), float(r[9])])
    # the fleet chart adds up to the Solution's GPUs running each year
    totals: dict[int, float] = {}
    for year, _, _, gpus in _body(page.tables["gpu-fleet"]):
        totals[int(year)] = totals.get(int(year), 0.0) + gpus
    for y in s.years:
        assert totals.get(y.year, 0.0) == pytest.approx(sum(y.active_gpus.values()))


def test_headline_figures_are_sums_and_ratios_of_the_solution():
    _, s, _inst = next(x for x in solved_instances() if x[0] == "quickstart")
    f = Figures(s)
    delivered = sum(y.training_delivered + sum(y.inference_delivered.values()) for y in s.years)
    assert f.per_unit == pytest.approx(s.tco_usd / delivered)
    assert f.gpus_bought == sum(p.gpus for p in s.purchases)
    assert f.emissions_t == pytest.approx(sum(y.emissions_t for y in s.years))
    text = instance_report("quickstart")
    assert "USD per H100-equivalent-year of delivered throughput" in text
    assert f"{f.per_unit:,.0f} USD" in text


def test_existing_gpus_by_vintage():
    """Brownfield: existing GPUs show their purchase year, from the Solution alone."""
    _, s, inst = next(x for x in solved_instances() if x[0] == "brownfield-refresh")
    with_inst = instance_report("brownfield-refresh")
    existing = set(re.findall(r"[\d,]+ H100 at va-ashburn \(existing\)", with_inst))
    assert existing  # the existing H100 fleet, by vintage (part of it retired early on this catalog)
    for segs in (fleet_segments(s, inst), fleet_segments(s)):
        for y in s.years:
            assert sum(v.get(y.year, 0.0) for v in segs.values()) == pytest.approx(sum(y.active_gpus.values()))
    bare = solution_report_html(s)
    assert "give --instance" not in bare and set(re.findall(r"[\d,]+ H100 at va-ashburn \(existing\)", bare)) == existing


def test_instance_must_match_the_solution():
    _, s, _ = next(x for x in solved_instances() if x[0] == "quickstart")
    with pytest.raises(ValueError, match="not the one"):
        solution_report_html(s, load_instance(INSTANCES / "power-capped.json"))


def test_no_plan_report_says_why():
    from conftest import small_instance

    data = small_instance()
    data["demand"]["training"] = {"2026": 1e6}
    s = solve(load_instance(data))
    assert not s.has_plan
    text, ids = build_solution_report(s)
    assert ids == [] and "No plan" in text and s.diagnosis[0][:30] in text.replace("&#x27;", "'")


@pytest.mark.parametrize("price", [1000.0, 1e7])
def test_unmet_demand_is_shown(price):
    """Demand left unmet, with nothing built (cheap shortfall) or a little built."""
    from conftest import small_instance

    data = small_instance()
    data["demand"]["training"] = {"2026": 1e6}
    s = solve(load_instance(data), allow_unmet_usd_per_perf=price)
    assert s.has_plan and s.unmet_demand
    assert bool(s.purchases) == (price > 1000)
    text, ids = build_solution_report(s)
    assert ids == PLAN_CHARTS and "Demand left unmet" in text


# =========================================================================== sweeps

SITES = ["tx-abilene", "or-hillsboro", "va-ashburn"]


def _decisions(rate: float, cap: float, price: float) -> dict[str, object]:
    """Synthetic decisions and costs that change with the parameters."""
    sites = ["tx-abilene"] + (["or-hillsboro"] if cap < 40 else []) + (["va-ashburn"] if rate < 0.08 else [])
    mi355 = 1440 + 800 * (price - 1.0)
    vr = 720 + 400 * (1.0 - price) + (200 if rate > 0.1 else 0)
    dlc = 5.0 * len(sites)
    air = 5.0 if cap < 40 else 0.0
    capex = 60e6 + 40e6 * price + 0.3e6 * (60 - cap)
    row: dict[str, object] = {
        "sites_opened": ";".join(sites),
        "it_mw_by_cooling:air": air, "it_mw_by_cooling:dlc": dlc, "it_mw_by_cooling:immersion": 0.0,
        "it_mw_by_rack_kw:30": air, "it_mw_by_rack_kw:200": dlc,
        "gpus_by_fabric:infiniband": mi355, "gpus_by_fabric:cpo_ethernet": vr,
        "gpus_bought:MI355X": mi355, "gpus_bought:VR200-NVL72": vr, "gpus_bought:H100": 0.0,
        "cost:deployments": capex, "cost:energy": 5e6 * (1 + rate), "cost:resale": -25e6 * price,
    }
    row["tco_usd"] = sum(v for k, v in row.items() if k.startswith("cost:")) * (1.1 - rate)
    return row


def _row(point: int, design: str, rate: float, cap: float, price: float, oat_param: str = "",
         oat_level: str = "", ok: bool = True) -> dict[str, object]:
    base = {"point": point, "param:finance.discount_rate": rate,
            "param:sites[name=tx-abilene].max_facility_mw": cap, "param:catalog.gpus[*].price_usd_per_gpu*": price,
            "design": design, "oat_param": oat_param, "oat_level": oat_level, "mip_gap": 0.001,
            "solve_seconds": 1.5}
    if not ok:
        return {**base, "status": "infeasible", "has_plan": False,
                "message": "no plan exists: the instance is infeasible", "tco_usd": float("nan")}
    return {**base, "status": "optimal", "has_plan": True, "message": "optimal", **_decisions(rate, cap, price)}


@functools.lru_cache(maxsize=1)
def _sweeps() -> dict[str, pd.DataFrame]:
    keys = ("finance.discount_rate", "sites[name=tx-abilene].max_facility_mw",
            "catalog.gpus[*].price_usd_per_gpu*")
    base = {"finance.discount_rate": 0.1, "sites[name=tx-abilene].max_facility_mw": 60.0,
            "catalog.gpus[*].price_usd_per_gpu*": 1.0}
    levels = {"finance.discount_rate": (0.06, 0.14), "sites[name=tx-abilene].max_facility_mw": (30.0, 90.0),
              "catalog.gpus[*].price_usd_per_gpu*": (0.8, 1.3)}
    oat = [_row(0, "oat", *base.values(), "", "base")]
    for k in keys:
        for level, v in zip(("low", "high"), levels[k]):
            vals = {**base, k: v}
            oat.append(_row(len(oat), "oat", *vals.values(), k, level))
    grid = []
    for rate in (0.06, 0.08, 0.1, 0.12):
        for cap in (30.0, 60.0, 90.0):
            grid.append(_row(len(grid), "grid", rate, cap, 1.0, ok=not (rate == 0.12 and cap == 30.0)))
    rng = np.random.default_rng(7)
    mc = [_row(i, "mc", float(rng.uniform(0.06, 0.14)), float(rng.uniform(30, 90)), float(rng.normal(1, 0.1)),
               ok=i != 5) for i in range(80)]
    return {"oat": pd.DataFrame(oat), "grid": pd.DataFrame(grid), "mc": pd.DataFrame(mc)}


def synthetic_sweeps() -> dict[str, pd.DataFrame]:
    """Small sweep tables of each design, in the columns `dcopt sweep` writes."""
    return {k: v.copy() for k, v in _sweeps().items()}


def three_parameter_grid() -> pd.DataFrame:
    """A grid over all three parameters (18 points): the longest point labels and legends."""
    levels = itertools.product((0.06, 0.1, 0.14), (30.0, 60.0, 90.0), (0.8, 1.2))
    return pd.DataFrame([_row(i, "grid", rate, cap, price) for i, (rate, cap, price) in enumerate(levels)])


@pytest.mark.parametrize("design", ["oat", "grid", "mc"])
def test_sweep_report(design, tmp_path):
    table = synthetic_sweeps()[design]
    text, ids = build_sweep_report(table, design)
    assert ids == SWEEP_CHARTS[design]
    assert_self_contained(text)
    page = parse(text)
    # the table as read is in the report, and its download is the same table
    shown = pd.read_csv(io.StringIO(page.csv["sweep.csv"]))
    assert list(shown.columns) == list(table.columns) and len(shown) == len(table)
    assert np.allclose(shown["tco_usd"].to_numpy(), table["tco_usd"].to_numpy(), equal_nan=True)
    # points without a plan are listed
    failed = table[~table["has_plan"]]
    if not failed.empty:
        assert [int(r[0]) for r in _body(page.tables["no-plan"])] == failed["point"].tolist()
    # the same through a CSV and a Parquet file and write_report
    table.to_csv(tmp_path / "results.csv", index=False)
    out = write_report(tmp_path / "results.csv", tmp_path / "sweep.html")
    assert chart_ids(out.read_text(encoding="utf-8")) == SWEEP_CHARTS[design]
    pytest.importorskip("pyarrow")
    table.to_parquet(tmp_path / "results.parquet", index=False)
    assert read_sweep_table(tmp_path / "results.parquet")["tco_usd"].equals(
        read_sweep_table(tmp_path / "results.csv")["tco_usd"])


def test_tornado_numbers_are_the_table_differences():
    table = synthetic_sweeps()["oat"]
    page = parse(sweep_report_html(table))
    base = float(table.loc[table["oat_level"] == "base", "tco_usd"].iloc[0])
    rows = _body(page.tables["tornado"])
    assert len(rows) == 6
    for param, level, value, _, base_tco, tco, change, status in rows:
        r = table[(table["oat_param"] == param) & (table["oat_level"] == level)].iloc[0]
        assert close(tco, r["tco_usd"]) and close(base_tco, base) and close(change, r["tco_usd"] - base)
        assert close(value, r[f"param:{param}"])
    # largest swing first
    swings = [abs(r[6]) for r in rows]
    by_param = {}
    for r, sw in zip(rows, swings):
        by_param[r[0]] = max(by_param.get(r[0], 0.0), sw)
    assert list(by_param.values()) == sorted(by_param.values(), reverse=True)
    # decision changes against the base: a low facility cap opens or-hillsboro
    changes = _body(page.tables["oat-changes"])
    cap = next(r for r in changes if r[0].startswith("sites[") and r[1] == "low")
    assert cap[4] == "or-hillsboro"


def test_mc_distribution_statistics():
    table = synthetic_sweeps()["mc"]
    page = parse(sweep_report_html(table))
    stats = {r[0]: r[1] for r in _body(page.tables["tco-distribution"])}
    ok = table.loc[table["has_plan"], "tco_usd"].to_numpy()
    assert stats["runs with a plan"] == len(ok) == 79
    assert close(stats["median (P50)"], float(np.percentile(ok, 50)))
    assert close(stats["P90"], float(np.percentile(ok, 90)))
    shares = {r[0]: r[1] for r in _body(page.tables["sites-mc"])}
    assert shares["tx-abilene"] == 1.0 and 0 < shares["or-hillsboro"] < 1


def test_sweep_with_several_designs_and_bad_input(tmp_path):
    both = pd.concat([synthetic_sweeps()["oat"], synthetic_sweeps()["grid"].assign(
        point=lambda d: d["point"] + 100)], ignore_index=True)
    _, ids = build_sweep_report(both)
    assert ids == SWEEP_CHARTS["oat"] + SWEEP_CHARTS["grid"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(_cli(), ["report", str(bad), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "missing point, design, has_plan, tco_usd" in result.output


# =========================================================================== command line

def _cli():
    from dcopt.cli.main import main

    return main


def test_cli_report_and_solve_report(tmp_path):
    runner = CliRunner()
    _, s, _ = next(x for x in solved_instances() if x[0] == "quickstart")
    write_json(s, tmp_path / "q.json")
    r = runner.invoke(_cli(), ["report", str(tmp_path / "q.json"), "-o", str(tmp_path / "q.html"),
                               "--instance", str(INSTANCES / "quickstart.json")])
    assert r.exit_code == 0, r.output
    assert [c for c in chart_ids((tmp_path / "q.html").read_text(encoding="utf-8")) if c in PLAN_CHARTS] == PLAN_CHARTS
    r = runner.invoke(_cli(), ["solve", str(INSTANCES / "quickstart.json"), "-q", "--mip-gap", "0.05",
                               "--report", str(tmp_path / "solve.html")])
    assert r.exit_code == 0, r.output
    assert [c for c in chart_ids((tmp_path / "solve.html").read_text(encoding="utf-8")) if c in PLAN_CHARTS] == PLAN_CHARTS
    synthetic_sweeps()["mc"].to_csv(tmp_path / "mc.csv", index=False)
    r = runner.invoke(_cli(), ["report", str(tmp_path / "mc.csv"), "-o", str(tmp_path / "mc.html")])
    assert r.exit_code == 0, r.output
    assert chart_ids((tmp_path / "mc.html").read_text(encoding="utf-8")) == SWEEP_CHARTS["mc"]
    r = runner.invoke(_cli(), ["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "m.html")])
    assert r.exit_code == 2 and "file not found" in r.output
