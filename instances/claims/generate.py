"""Write the small claim instances of docs/claims.md (instances/claims/*.json).

    python instances/claims/generate.py          # (re)write them
    python instances/claims/generate.py --check  # exit 1 if a file is not up to date

Every instance names the shipped catalog ("catalog": "default"); the location figures are
those of instances/README.md (Texas: 66 $/MWh [67], 299 kg/MWh [73], 9.3 M$/MW all-in [61],
shell 0.675 x that; Nordic: 54 $/MWh (E), 30 kg/MWh [75]). Demand figures are (E): sized so
that each instance solves in seconds and asks its one question.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FINANCE = {"discount_rate": 0.1, "carbon_price_usd_per_t": 0, "facility_life_years": 20,
           "facility_maintenance_frac_per_year": 0.02}


def years(a: int, b: int) -> list[int]:
    return list(range(a, b + 1))


def esc(base: float, a: int, b: int, rate: float = 0.02) -> dict[str, float]:
    return {str(y): round(base * (1 + rate) ** (y - a), 2) for y in years(a, b)}


def texas(name: str = "tx-abilene", mw: float = 30, block: float = 5, a: int = 2026, b: int = 2028,
          cooling: tuple[str, ...] = ("dlc",), **extra) -> dict:
    return {"name": name, "region": "us-central", "serves_regions": ["us"], "max_facility_mw": mw,
            "block_mw": block, "site_fixed_capex_usd": round(422000 * mw), "shell_capex_usd_per_mw": 6278000,
            "fixed_opex_usd_per_mw_year": 100000, "electricity_usd_per_mwh": esc(66, a, b),
            "carbon_kg_per_mwh": 299, "allowed_cooling": list(cooling), **extra}


def instance(name: str, what: str, a: int, b: int, sites: list[dict], demand: dict, lives=(3, 4, 5, 6),
             **extra) -> dict:
    return {"name": f"{name}: {what}", "horizon": {"start_year": a, "end_year": b},
            "finance": dict(FINANCE), "options": {"life_choices_years": list(lives), "load_factor": 0.8},
            "catalog": "default", "sites": sites, "demand": demand, **extra}


def ramp(a: int, b: int, first: float, step: float) -> dict[str, float]:
    return {str(y): first + step * (y - a) for y in years(a, b)}


def build() -> dict[str, dict]:
    out = {}
    # 1. cooling by density: an NVL72 job and an 8-GPU (HGX B200) job at one site that may build air,
    # rear-door or direct-liquid halls
    out["c1-cooling"] = instance(
        "c1-cooling", "an NVL72 training job and an HGX B200 job at one Texas site with air, rear-door and "
        "direct-liquid halls, 2026-2027", 2026, 2027,
        [texas(b=2027, cooling=("air", "rdhx", "dlc"))],
        {"training_jobs": [
            {"name": "nvl72", "perf": {"2026": 3000, "2027": 3000}, "gpus": ["GB300-NVL72"], "min_scale_up_gpus": 72},
            {"name": "hgx", "perf": {"2026": 1500, "2027": 1500}, "gpus": ["B200"]}]}, lives=(3,))
    # 2. optics by port speed: 800G GPUs (GB300) and, in the test, VR200 with one 1.6T port
    out["c2-optics"] = instance(
        "c2-optics", "inference on 800G GPUs (GB300 NVL72, VR200 NVL72) at one Texas site, 2027-2028; "
        "fabrics: Ethernet with pluggables or co-packaged optics, InfiniBand", 2027, 2028,
        [texas(a=2027, b=2028)],
        {"inference": [{"region": "us", "perf": {"2027": 20000, "2028": 30000}}]}, lives=(3,))
    # 3. InfiniBand for training, Ethernet for inference
    out["c3-fabrics"] = instance(
        "c3-fabrics", "training and inference at one Texas site, 2026-2027: which fabric for which workload",
        2026, 2027, [texas(b=2027)],
        {"training": {"2026": 4000, "2027": 6000}, "inference": [{"region": "us", "perf": {"2026": 3000, "2027": 5000}}]},
        lives=(3,))
    # 4. power binds: an H100 fleet bought in 2024 at a site whose grid limit is 10 MW, training growing;
    # the test compares it with the same site at 100 MW
    h100 = [{"site": "tx-abilene", "cooling": "air", "rack_kw": 30, "gpu": "H100", "fabric": "infiniband",
             "purchase_year": 2024, "gpus": 2048, "price_usd_per_gpu": 37080}]
    out["c4-power-binds"] = instance(
        "c4-power-binds", "2,048 H100s bought in 2024 (HGX H100 price, [16]) in air halls at a Texas site whose "
        "grid limit is 10 MW, training growing, 2026-2029", 2026, 2029,
        [texas(mw=10, block=2.5, b=2029, cooling=("air", "dlc"), site_fixed_capex_usd=0)],
        {"training": {"2026": 2500, "2027": 6000, "2028": 10000, "2029": 15000}},
        existing={"blocks": [{"site": "tx-abilene", "cooling": "air", "rack_kw": 30, "blocks": 2}],
                  "deployments": h100}, lives=(3, 4, 5, 6))
    # 5. GPU life: training bought 2026 in a plan to 2031
    out["c5-life"] = instance(
        "c5-life", "training at one Texas site, 2026-2031: how long GPUs bought in 2026 are kept", 2026, 2031,
        [texas(mw=40, block=5, b=2031)], {"training": {str(y): 3000 for y in years(2026, 2031)}})
    # 6. old training GPUs move to inference: training flat then falling, inference growing
    out["c6-cascade"] = instance(
        "c6-cascade", "training falling from 2028 while inference grows, one Texas site, 2026-2029", 2026, 2029,
        [texas(b=2029)],
        {"training": {"2026": 4000, "2027": 4000, "2028": 2000, "2029": 1000},
         "inference": [{"region": "us", "perf": {"2026": 500, "2027": 1500, "2028": 3000, "2029": 4500}}]},
        lives=(4, 5, 6))
    # 7. demand beyond one site's power: the frontier job of frontier-multidc on its three Texas campuses,
    # 2030-2031, the home campus's grid capped at 30 MW (the reduced copy of tests/test_instances_v2.py)
    full = json.loads((HERE.parent / "frontier-multidc.json").read_text())
    keep, ys = ["tx-abilene", "tx-abilene-2", "tx-dfw"], ["2030", "2031"]
    sites = []
    for s in full["sites"]:
        if s["name"] in keep:
            s = dict(s, block_mw=5, serves_regions=[], allowed_cooling=["dlc"],
                     electricity_usd_per_mwh={y: s["electricity_usd_per_mwh"][y] for y in ys})
            if s["name"] == "tx-abilene":
                s["max_facility_mw"] = 30
            sites.append(s)
    job = next(j for j in full["demand"]["training_jobs"] if j["name"] == "frontier")
    out["c7-multisite"] = instance(
        "c7-multisite", "the frontier job of frontier-multidc (200,000 then 400,000 H100-equivalents on 72-GPU "
        "domains, up to 3 sites) on the three Texas campuses, the home campus's grid capped at 30 MW, 2030-2031",
        2030, 2031, sites, {"training_jobs": [dict(job, perf={"2030": 200000, "2031": 400000})]},
        lives=tuple(full["options"]["life_choices_years"]),
        dci_routes=[copy.deepcopy(r) for r in full["dci_routes"] if r["a"] in keep and r["b"] in keep])
    # 8. a grid capped for years: power-first's two sites, engines and upgrade, demand halved, 2027-2030
    pf = json.loads((HERE.parent / "power-first.json").read_text())
    ys = [str(y) for y in years(2026, 2030)]
    sites = [dict(copy.deepcopy(s), electricity_usd_per_mwh={y: s["electricity_usd_per_mwh"][y] for y in ys})
             for s in pf["sites"]]
    half = {y: pf["demand"]["training"][y] / 2 for y in ys[1:]}
    inf = {y: pf["demand"]["inference"][0]["perf"][y] / 2 for y in ys[1:]}
    out["c8-power-first"] = instance(
        "c8-power-first", "power-first with half its demand, 2026-2030 (demand from 2027): a cheap Texas site capped at 40 MW until a "
        "2029 upgrade, on-site engines/turbines/fuel cells, or a power-rich Nordic site for training", 2026, 2030,
        sites, {"training": half, "inference": [{"region": "us", "perf": inf}]}, lives=(3, 4))
    # 9. rent, colocate or build: the enterprise-private-ai sites and rentals, 2026-2029, us-east only
    ent = json.loads((HERE.parent / "enterprise-private-ai.json").read_text())
    oh = copy.deepcopy(ent["sites"][0])
    oh["electricity_usd_per_mwh"] = {y: v for y, v in oh["electricity_usd_per_mwh"].items() if int(y) <= 2029}
    rentals = [copy.deepcopy(r) for r in ent["rentals"]]
    for r in rentals:
        r["usd_per_gpu_hour"] = {y: v for y, v in r["usd_per_gpu_hour"].items() if int(y) <= 2029}
    out["c9-rent-or-build"] = instance(
        "c9-rent-or-build", "an enterprise's us-east inference (800 -> 2,500 H100-equivalents), build in Ohio or "
        "rent H100/B200 by the hour (models/markets/markets-2026.json), 2026-2029", 2026, 2029, [oh],
        {"inference": [{"region": "us-east", "perf": {"2026": 800, "2027": 1400, "2028": 2000, "2029": 2500}}]},
        lives=(3, 4), rentals=rentals)
    # 10. inference overtaking training in 2027
    out["c10-inference-shift"] = instance(
        "c10-inference-shift", "training flat at 6,000 while inference grows past it in 2027, one Texas site, "
        "2026-2028", 2026, 2028, [texas(b=2028)],
        {"training": {"2026": 6000, "2027": 6000, "2028": 6000},
         "inference": [{"region": "us", "perf": {"2026": 2000, "2027": 7000, "2028": 14000}}]}, lives=(3,))
    return out


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for name, doc in build().items():
        path = HERE / f"{name}.json"
        text = json.dumps(doc, indent=2) + "\n"
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print("not up to date: " + ", ".join(stale) + " (run python instances/claims/generate.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
