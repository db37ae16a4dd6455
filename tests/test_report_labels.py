"""Sweep charts name parameters by short names with units (`dcopt.report.labels`), and tick
labels never round two ticks into one label (`dcopt.report.charts.TickFormatter`)."""

from __future__ import annotations

import re

import pytest
from test_report import _body, parse, synthetic_sweeps, three_parameter_grid

from dcopt.report.charts import TickFormatter
from dcopt.report.labels import field_name_and_unit, param_label, param_labels
from dcopt.report.sweep import sweep_report_html


@pytest.mark.parametrize(("key", "name", "what", "number", "value"), [
    ("sites[name=tx-abilene].max_facility_mw", "tx-abilene max facility", "MW", 30, "30 MW"),
    ("catalog.gpus[*].price_usd_per_gpu*", "price, all GPUs", "factor, 1 = as given", 0.8, "×0.8"),
    ("sites[*].electricity_usd_per_mwh+", "electricity, all sites", "shift, USD/MWh", 10, "+10 USD/MWh"),
    ("sites[*].electricity_usd_per_mwh+", "electricity, all sites", "shift, USD/MWh", -5, "-5 USD/MWh"),
    ("finance.discount_rate", "discount rate", "", 0.08, "0.08"),
    ("finance.carbon_price_usd_per_t", "carbon price", "USD/t", 50, "50 USD/t"),
    ("sites[0].fixed_opex_usd_per_mw_year", "sites[0] fixed opex", "USD/MW-year", 120_000, "120,000 USD/MW-year"),
    ("catalog.coolings[name=dlc].pue", "dlc PUE", "", 1.1, "1.1"),
    ("demand", "demand", "factor, 1 = as given", 1.5, "×1.5"),  # = on demand scales
    ("demand.inference[region=eu]", "eu inference demand", "factor, 1 = as given", 2, "×2"),
    ("demand.training[2027]", "training demand, in 2027", "", 9000, "9,000"),
    ("sites[name=va-1].electricity_usd_per_mwh[2028]", "va-1 electricity, in 2028", "USD/MWh", 90, "90 USD/MWh"),
])
def test_param_label(key, name, what, number, value):
    label = param_label(key)
    assert (label.name, label.what) == (name, what)
    assert label.value(number) == value
    assert label.axis == (f"{name} ({what})" if what else name)


def test_field_units_and_clashing_names():
    assert field_name_and_unit("system_kw_per_gpu") == ("system", "kW/GPU")
    assert field_name_and_unit("maintenance_frac_per_year") == ("maintenance", "fraction/year")
    assert field_name_and_unit("annual_capex_budget_usd") == ("annual capex budget", "USD")
    assert param_label("not a path [").name == "not a path ["
    assert param_label("sites[*].block_mw").value(None) == "as given"
    # two parameters whose short names would be one keep their paths
    labels = param_labels(["finance.discount_rate", "finance.discount_rate*", "options.load_factor"])
    assert [x.name for x in labels.values()] == ["finance.discount_rate", "finance.discount_rate*", "load factor"]


@pytest.mark.parametrize(("ticks", "labels"), [
    ([79.5, 80, 80.5, 81], ["79.5", "80.0", "80.5", "81.0"]),  # not 80, 80, 80, 81
    ([0, 0.25, 0.5], ["0.00", "0.25", "0.50"]),  # not 0.2 for 0.25
    ([0, 500, 1000, 1500], ["0", "500", "1,000", "1,500"]),
    ([0.06, 0.08, 0.1], ["0.06", "0.08", "0.10"]),
    ([-0.5, 0, 0.5], ["-0.5", "0.0", "0.5"]),
    ([70, 75, 80], ["70", "75", "80"]),
])
def test_tick_labels_have_the_decimals_their_spacing_needs(ticks, labels):
    fmt = TickFormatter()
    fmt.set_locs(ticks)
    assert [fmt(v) for v in ticks] == labels
    assert fmt(-1e-13) == labels[ticks.index(0)] if 0 in ticks else True  # no "-0"


def svg_texts(html_text: str) -> list[str]:
    """Every text of the page's charts (matplotlib writes each as a comment in the SVG)."""
    return re.findall(r"<!-- (.*?) -->", html_text)


def test_sweep_charts_say_short_names_with_units_not_paths():
    oat = sweep_report_html(synthetic_sweeps()["oat"])
    texts = svg_texts(oat)
    assert "tx-abilene max facility low: 30 MW" in texts and "price, all GPUs high: ×1.3" in texts
    assert "low 30 MW · base 60 MW · high 90 MW" in texts  # the tornado's row
    assert "30 kW" in texts  # rack densities in the legend, with their unit
    page = parse(oat)
    assert [r[1] for r in _body(page.tables["sites-oat"])][:3] == [
        "base", "discount rate low: 0.06", "discount rate high: 0.14"]
    assert _body(page.tables["parameters"]) == [
        ["discount rate", "-", "finance.discount_rate"],
        ["tx-abilene max facility", "MW", "sites[name=tx-abilene].max_facility_mw"],
        ["price, all GPUs", "factor, 1 = as given", "catalog.gpus[*].price_usd_per_gpu*"]]
    grid = sweep_report_html(three_parameter_grid())
    texts = svg_texts(grid)
    assert "discount rate 0.06; tx-abilene max facility 30 MW; price, all GPUs ×0.8" in texts
    assert "TCO against tx-abilene max facility" in texts and "tx-abilene max facility (MW)" in texts
    for html_text in (oat, grid, sweep_report_html(synthetic_sweeps()["mc"])):
        paths = [t for t in svg_texts(html_text) if "[" in t or "_usd" in t or "finance." in t]
        assert not paths, paths
