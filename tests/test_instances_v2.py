"""The shipped catalog's SPEC 8 fields, the market snippets, and the decisions a planner checks on
`instances/frontier-multidc.json` (on a reduced copy built here, small enough to solve to a 1e-4 gap
in seconds; no wall-clock expectation).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import dcopt
from dcopt import load_instance
from dcopt.instance.catalogs import shipped_catalog_names

REPO = Path(__file__).resolve().parent.parent
INSTANCES = REPO / "instances"
MODELS = REPO / "models"
FRONTIER = INSTANCES / "frontier-multidc.json"
INSTANCE_FILES = sorted(p for p in INSTANCES.glob("*.json") if not p.name.endswith("-plan.json"))


def _catalog() -> dict:
    return json.loads((MODELS / "default.json").read_text())


# --------------------------------------------------------------------------- catalog and instances


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda p: p.name)
def test_every_shipped_instance_validates_with_the_catalog(path):
    """Including the resale maps, which must cover start_year .. end_year + 1 of each instance."""
    inst = load_instance(path)
    assert inst.catalog.dci_optics


def test_markets_file_is_not_taken_for_a_catalog():
    assert shipped_catalog_names() == ["default"]


def test_catalog_section8_fields():
    cat = _catalog()
    gpus = {g["name"]: g for g in cat["gpus"]}
    for g in gpus.values():
        nvl72 = g["unit_gpus"] == 72
        # one NVLink (or PCIe) domain per server or rack: 8 (HGX, OAM), 72 (NVL72), 16 (the ASIC's server)
        assert g["scale_up_gpus"] == g["unit_gpus"] and g["unit_gpus"] in (8, 16, 72), g["name"]
        if nvl72:
            assert g["cooling"] == ["dlc"], g["name"]
        assert g["min_rack_kw"] < g["max_rack_kw"], g["name"]
        years = sorted(int(y) for y in g["resale_usd_per_gpu"])
        assert years == list(range(2024, 2046)), g["name"]
        prices = [g["resale_usd_per_gpu"][str(y)] for y in years]
        assert prices == sorted(prices, reverse=True), g["name"]  # a used GPU never gains value
        assert 0.025 <= g["annual_failure_rate"] <= 0.06
    for name in ("H100", "H200", "B200", "MI300X"):  # 8-GPU servers: air, rear-door and liquid variants
        assert gpus[name]["cooling"] == ["air", "rdhx", "dlc"]
    assert gpus["VR200-NVL72"]["nic_gbps"] == 800 and gpus["VR200-NVL72"]["nic_ports"] == 2
    # the used H100 of 2026 sits in the sourced 15-28 k$ band
    assert 15_000 <= gpus["H100"]["resale_usd_per_gpu"]["2026"] <= 28_000

    fabrics = {f["name"]: f for f in cat["fabrics"]}
    assert all("ports" in f and "capex_usd_per_gbps" not in f for f in fabrics.values())
    assert fabrics["cpo_ethernet"]["first_year"] == 2026
    assert fabrics["cpo_ethernet"]["maintenance_usd_per_gpu_year"] > max(
        f["maintenance_usd_per_gpu_year"] for n, f in fabrics.items() if n != "cpo_ethernet")
    assert fabrics["infiniband"]["max_gpus_per_site"] < fabrics["infiniband_3tier"]["max_gpus_per_site"]

    def port(fabric, gbps):
        return next(p for p in fabrics[fabric]["ports"] if p["gbps"] == gbps)

    # co-packaged optics pay off at 1.6T (cheaper and cooler than DSP pluggables), not at 800G
    # (Ethernet's linear-drive pluggables are cheaper there)
    assert port("cpo_ethernet", 1600)["capex_usd_per_port"] < port("ethernet", 1600)["capex_usd_per_port"]
    assert port("cpo_ethernet", 1600)["watts_per_port"] < port("ethernet", 1600)["watts_per_port"]
    assert port("ethernet", 800)["capex_usd_per_port"] < port("cpo_ethernet", 800)["capex_usd_per_port"]

    optics = {o["name"]: o for o in cat["dci_optics"]}
    assert set(optics) == {"400ZR", "800ZR", "400ZR-plus"}
    assert optics["400ZR-plus"]["max_km"] >= 1000 > optics["800ZR"]["max_km"]
    assert set(cat["sources"]) >= {s for g in gpus.values() for s in ("v2-1", "v2-4") if s in g["source"]}


def test_market_snippets_are_valid_spec_entries():
    markets = json.loads((MODELS / "markets" / "markets-2026.json").read_text())
    inst = json.loads((INSTANCES / "quickstart.json").read_text())
    inst["rentals"] = [m["rental"] for m in markets["rentals"]]
    inst["sites"][1]["colocation_usd_per_kw_month"] = markets["colocation"][0]["colocation_usd_per_kw_month"]
    loaded = load_instance(inst, base_dir=INSTANCES)
    assert {r.name for r in loaded.rentals} == {"h100-neocloud", "b200-neocloud", "h100-hyperscaler"}
    for m in markets["rentals"]:
        prices = [m["rental"]["usd_per_gpu_hour"][y] for y in sorted(m["rental"]["usd_per_gpu_hour"])]
        assert prices == sorted(prices, reverse=True) and m["source"]
    assert {"h100-neocloud": 2.60, "b200-neocloud": 5.30} == {
        m["rental"]["name"]: m["rental"]["usd_per_gpu_hour"]["2026"] for m in markets["rentals"][:2]}
    assert all(c["source"] and c["colocation_usd_per_kw_month"] > 0 for c in markets["colocation"])


# --------------------------------------------------------------------------- frontier-multidc


def frontier_mini(home_grid_mw: float | None = None, link_price_factor: float = 1.0) -> dict:
    """A reduced copy of frontier-multidc: the frontier job alone (its GPUs, DCI need and loss table),
    the three Texas campuses with their prices and routes, 2030-2031, demand 160,000 then 220,000
    H100-equivalents (about 18,000 then 25,000 VR200-NVL72), DLC halls in 5 MW blocks. Optionally the home campus's grid capped and every DCI
    link's price multiplied."""
    full = json.loads(FRONTIER.read_text())
    years = ["2030", "2031"]
    keep = ["tx-abilene", "tx-abilene-2", "tx-dfw"]
    sites = []
    for s in full["sites"]:
        if s["name"] not in keep:
            continue
        s = dict(s, block_mw=5, serves_regions=[], allowed_cooling=["dlc"],
                 electricity_usd_per_mwh={y: s["electricity_usd_per_mwh"][y] for y in years})
        if s["name"] == "tx-abilene" and home_grid_mw is not None:
            s["max_facility_mw"] = home_grid_mw
        sites.append(s)
    job = next(j for j in full["demand"]["training_jobs"] if j["name"] == "frontier")
    job = dict(job, perf={"2030": 160_000, "2031": 220_000})
    catalog = _catalog()
    for o in catalog["dci_optics"]:
        o["capex_usd_per_link"] *= link_price_factor
    return {
        "name": "frontier-mini",
        "horizon": {"start_year": 2030, "end_year": 2031},
        "finance": full["finance"],
        "options": full["options"],
        "catalog": catalog,
        "sites": sites,
        "demand": {"training_jobs": [job]},
        "dci_routes": [copy.deepcopy(r) for r in full["dci_routes"] if r["a"] in keep and r["b"] in keep],
    }


def _placements(sol):
    assert sol.status == "optimal", sol.message
    frontier = [p for p in sol.job_placements if p.job == "frontier"]
    assert [p.year for p in frontier] == [2030, 2031]
    return frontier


def test_frontier_mini_is_a_copy_of_the_instance():
    full = load_instance(FRONTIER)
    mini = load_instance(frontier_mini())
    job = {j.name: j for j in full.demand.training_jobs}["frontier"]
    (mini_job,) = mini.demand.training_jobs
    assert (mini_job.gpus, mini_job.min_scale_up_gpus, mini_job.max_sites, mini_job.dci_gbps_per_gpu,
            mini_job.remote_loss_by_km) == (job.gpus, 72, 3, job.dci_gbps_per_gpu, job.remote_loss_by_km)
    assert {r.distance_km for r in mini.dci_routes} == {10, 290}


def test_frontier_job_with_room_at_home_stays_there():
    sol = dcopt.solve(frontier_mini())
    for p in _placements(sol):
        assert (p.home, p.gpu, p.remote_sites) == ("tx-abilene", "VR200-NVL72", [])
    assert not sol.links


def test_frontier_job_spans_sites_when_the_home_campus_is_capped():
    sol = dcopt.solve(frontier_mini(home_grid_mw=30))
    placements = _placements(sol)
    assert all(p.remote_sites for p in placements)
    for p in placements:  # the two Abilene campuses, 10 km apart, over coherent links
        assert {p.home, *p.remote_sites} == {"tx-abilene", "tx-abilene-2"}
    jobs = [j for j in sol.jobs if j.job == "frontier"]
    assert [j.year for j in jobs] == [2030, 2031]
    for j in jobs:
        remote = [s for s in j.sites if s.site != j.home]
        assert remote and all(s.loss == pytest.approx(0.03) for s in remote)
        assert j.delivered >= j.demand * (1 - 1e-6)
    assert sum(x.links for x in sol.links) > 0
    assert sol.costs_npv_usd["dci"] > 0


def test_frontier_job_stays_on_one_site_when_links_cost_ten_times_more():
    sol = dcopt.solve(frontier_mini(home_grid_mw=30, link_price_factor=10))
    placements = _placements(sol)
    assert all(p.remote_sites == [] for p in placements)
    assert len({p.home for p in placements}) == 1  # the whole job moves to one campus with room
    assert not sol.links
