"""The claims planners quote (issue 17), as the optimum of the shipped catalog shows them.

One test per claim of docs/claims.md, on the small instances of instances/claims/ (default
catalog, a few seconds each). Each asserts the decision the doc reports, so a catalog or model
change that silently flips a claim fails here. Where the optimum disagrees with the claim on the
sourced numbers, the test asserts the disagreement and the assumption that makes the claim hold.
Every solve goes through the independent plan check (the default pipeline: a plan that fails it
is not returned as optimal), so each test first asserts an optimal status.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dcopt
from dcopt.instance.io import load_instance

CLAIMS = Path(__file__).resolve().parents[1] / "instances" / "claims"


def solve(name: str, changes: dict | None = None):
    inst = load_instance(CLAIMS / f"{name}.json")
    if changes:
        inst = inst.with_changes(changes)
    sol = dcopt.solve(inst)
    assert sol.status == "optimal", sol.message
    return sol


def test_claim_instances_are_current():
    """instances/claims/*.json are what instances/claims/generate.py writes."""
    proc = subprocess.run([sys.executable, str(CLAIMS / "generate.py"), "--check"], check=False,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def liquid(sol, cooling: str) -> bool:
    return {c.name: c.liquid for c in sol.instance.catalog.cooling}[cooling]


def fabrics(sol, gpu: str | None = None) -> set[str]:
    return {p.fabric for p in sol.purchases if gpu is None or p.gpu == gpu}


def test_claim1_nvl72_racks_go_liquid_8_gpu_servers_go_to_air():
    sol = solve("c1-cooling")
    nvl72 = [p for p in sol.purchases if p.gpu == "GB300-NVL72"]
    hgx = [p for p in sol.purchases if p.gpu == "B200"]
    assert nvl72 and all(liquid(sol, p.cooling) and p.rack_kw == 130 for p in nvl72)
    assert hgx and all(p.cooling == "air" and p.rack_kw == 30 for p in hgx)


def test_claim2_optics_pluggables_at_800g_and_cpo_at_1600g_only_with_pluggable_availability():
    # 800G GPUs (GB300 and VR200's 2 x 800G): linear-drive pluggables (the ethernet entry), never CPO
    assert fabrics(solve("c2-optics")) == {"ethernet"}
    # one 1.6T port per VR200: CPO is cheaper per port, but its (E) 0.99 availability and 3x
    # maintenance keep the pluggables ...
    one_port = {"catalog.gpus[name=VR200-NVL72].nic_gbps": 1600, "catalog.gpus[name=VR200-NVL72].nic_ports": 1}
    assert fabrics(solve("c2-optics", one_port)) == {"ethernet"}
    # ... until CPO is as available as pluggables (Meta's field data, [81]): then CPO wins at 1.6T
    sol = solve("c2-optics", one_port | {"catalog.fabrics[name=cpo_ethernet].availability": 0.995})
    assert fabrics(sol, "VR200-NVL72") == {"cpo_ethernet"}


def test_claim3_ethernet_for_both_at_094_efficiency_infiniband_for_training_below_093():
    sol = solve("c3-fabrics")
    assert fabrics(sol) == {"ethernet"}  # the finding: RoCE at 0.94 carries training too
    sol = solve("c3-fabrics", {"catalog.fabrics[name=ethernet].training_efficiency": 0.90})
    training = {a.fabric for a in sol.allocations if a.workload == "training" and a.gpus > 1e-6}
    assert "infiniband" in training
    inference_only = [p for p in sol.purchases if p.gpu == "QC-AI200"]
    assert inference_only and {p.fabric for p in inference_only} == {"ethernet"}


def test_claim4_old_gpus_retire_early_whether_or_not_power_binds():
    def retired_by_2026(sol) -> int:
        return sum(r.gpus for r in sol.retirements if r.year <= 2026)

    capped, ample = solve("c4-power-binds"), solve("c4-power-binds", {"sites[name=tx-abilene].max_facility_mw": 100})
    # sourced figures: the used market pays so much for an H100 that it goes at once, power or not
    assert retired_by_2026(capped) >= 2000 and retired_by_2026(ample) >= 2000
    # a thin used market (10 % of the curve) and no maintenance: now power decides
    thin = {"catalog.gpus[name=H100].resale_usd_per_gpu*": 0.1, "catalog.gpus[name=H100].maintenance_frac_per_year": 0}
    capped = solve("c4-power-binds", thin)
    ample = solve("c4-power-binds", thin | {"sites[name=tx-abilene].max_facility_mw": 100})
    assert retired_by_2026(capped) >= 1000 and retired_by_2026(ample) == 0
    assert sum(r.gpus for r in ample.retirements) < sum(r.gpus for r in capped.retirements)


def test_claim5_gpus_bought_in_2026_are_kept_six_years():
    sol = solve("c5-life")
    first = [p for p in sol.purchases if p.year == 2026 and p.gpu == "GB300-NVL72"]
    assert first and all(p.resale_year - p.year == 6 for p in first)
    # ... even when the successor is three times faster: it needs new 200 kW halls
    sol = solve("c5-life", {"catalog.gpus[name=VR200-NVL72].training_perf*": 3})
    first = [p for p in sol.purchases if p.year == 2026 and p.gpu == "GB300-NVL72"]
    assert first and all(p.resale_year - p.year == 6 for p in first)


def test_claim6_training_gpus_move_to_inference():
    sol = solve("c6-cascade")
    assert {p.year for p in sol.purchases if p.gpu == "GB300-NVL72"} == {2026}
    alloc = {(a.year, a.workload): a.gpus for a in sol.allocations if a.gpu == "GB300-NVL72"}
    assert alloc[(2026, "training")] > 1000
    assert alloc.get((2029, "us"), 0) > 500 and alloc[(2029, "us")] > alloc.get((2029, "training"), 0)


def test_claim7_beyond_one_sites_power_the_job_spans_sites_losing_more_with_distance():
    sol = solve("c7-multisite")
    jobs = {j.year: j for j in sol.jobs if j.job == "frontier"}
    assert [len(jobs[y].sites) for y in (2030, 2031)] == [2, 3]
    losses = sorted(round(s.loss, 3) for s in jobs[2031].sites)
    assert losses == [0.0, 0.03, 0.06]  # home, the 10 km neighbour, Dallas at 290 km
    # below ~0.8 x the demand one campus holds it (tx-dfw, 120 MW)
    sol = solve("c7-multisite", {"demand.training_jobs[name=frontier].perf*": 0.75})
    assert all(not p.remote_sites for p in sol.job_placements)


def test_claim8_a_capped_cheap_grid_wins_with_onsite_power_over_the_remote_site():
    sol = solve("c8-power-first")
    assert any(g.site == "tx-abilene" and g.mw > 0 for g in sol.onsite_builds)
    opened = {s.name for s in sol.sites if s.open_year is not None}
    assert opened == {"tx-abilene"} and not sol.grid_upgrades


def test_claim9_small_demand_rents_large_demand_builds():
    sol = solve("c9-rent-or-build")
    assert {s.name for s in sol.sites if s.open_year is not None} == {"oh-columbus"}
    rented = {r.year: r.gpus for r in sol.rentals}
    assert rented[2026] > 100  # while the site is being built (one year of lead time) ...
    assert all(v < 5 for y, v in rented.items() if y > 2026)  # ... then owned, but for top-ups
    sol = solve("c9-rent-or-build", {"demand.inference[*].perf*": 0.3})
    assert not [s for s in sol.sites if s.open_year is not None]
    assert {r.year for r in sol.rentals if r.gpus > 1} == {2026, 2027, 2028, 2029}


def test_claim10_inference_growth_buys_the_asic_and_ethernet():
    sol = solve("c10-inference-shift")
    asic = [p for p in sol.purchases if p.gpu == "QC-AI200"]
    assert {p.year for p in asic} == {2026, 2027, 2028}  # the inference-only part takes a share each year
    assert fabrics(sol) == {"ethernet"}
    # its margin is thin: 10 % dearer and it is not bought
    sol = solve("c10-inference-shift", {"catalog.gpus[name=QC-AI200].price_usd_per_gpu*": 1.1})
    assert not [p for p in sol.purchases if p.gpu == "QC-AI200"]
