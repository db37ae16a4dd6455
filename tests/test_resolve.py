"""Re-solving variants in place (dcopt.pipeline.solve.Pipeline) gives exactly the TCO of
a fresh solve, and rebuilds only when the structure changes."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import cases_dir

import dcopt
from dcopt.instance.io import load_instance
from dcopt.pipeline.solve import Pipeline as Resolver


def _scaled_prices(base: dict, factor: float) -> dict:
    v = copy.deepcopy(base)
    for g in v["catalog"]["gpus"]:
        p = g["price_usd_per_gpu"]
        g["price_usd_per_gpu"] = {k: x * factor for k, x in p.items()} if isinstance(p, dict) else p * factor
    return v


def _variants(base: dict):
    yield copy.deepcopy(base)
    v = copy.deepcopy(base)
    v["finance"]["discount_rate"] += 0.03
    yield v
    yield _scaled_prices(base, 0.7)
    v = copy.deepcopy(base)
    v["demand"]["training"] = {k: x * 1.1 for k, x in v["demand"]["training"].items()}
    yield v
    v = copy.deepcopy(base)
    v["finance"]["carbon_price_usd_per_t"] = 80
    yield v


@pytest.mark.parametrize("name", ["gen-038.json", "h5_budget_prebuild.json", "h3_existing_retirement.json"])
def test_updates_in_place_match_fresh_solves(name):
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found")
    base = json.loads((folder / name).read_text())
    resolver = Resolver(dcopt.SolveOptions(mip_gap=1e-9))
    for variant in _variants(base):
        inst = load_instance(variant)
        again = resolver.solve(inst)
        fresh = dcopt.solve(inst, mip_gap=1e-9)
        assert again.status == fresh.status
        if fresh.tco_usd is not None:
            assert again.tco_usd == pytest.approx(fresh.tco_usd, rel=1e-9)
            assert again.costs_npv_usd == pytest.approx(fresh.costs_npv_usd, rel=1e-9, abs=1e-3)
    # prices, discount, demand values and carbon are parameters: one build serves all
    assert resolver.builds == 1


def test_structure_change_rebuilds():
    folder = cases_dir()
    if folder is None:
        pytest.skip("reference cases not found")
    base = json.loads((folder / "gen-038.json").read_text())
    resolver = Resolver(dcopt.SolveOptions(mip_gap=1e-9))
    resolver.solve(load_instance(base))
    v = copy.deepcopy(base)
    v["sites"][1]["max_facility_mw"] *= 2  # changes block bounds: a new model
    again = resolver.solve(load_instance(v))
    assert resolver.builds == 2
    assert again.tco_usd == pytest.approx(dcopt.solve(load_instance(v), mip_gap=1e-9).tco_usd, rel=1e-9)
