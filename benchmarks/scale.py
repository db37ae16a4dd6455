"""Scaled benchmark instances: any number of sites and years, and catalog size.

    python benchmarks/scale.py --sites 25 --years 10 -o s25x10.json
    python benchmarks/scale.py --sites 50 --years 15 --gpus 5 -o s50x15-5gpus.json
    python benchmarks/scale.py --sites 10 --years 5 --jobs 2 --routes --onsite --cases 3 -o v2.json

The same kind of instance as `instances/large-50site.json`, from the same
sourced location figures (instances/generate_large.py): sites cycle through
the ten reference locations with seeded sizes, block sizes, power years,
floor-space and cooling restrictions; training plus four inference regions
growing as in the generator, scaled with the number of sites; an existing
2023-24 H100 fleet at every fifth site (as in the reference scaling study).
The catalog is the shipped default, inline, optionally cut to its first N
GPU models; the last GPU stays on sale to the horizon's end so that every
year has something to buy.

The SPEC 8 options, each off by default (the v1.1 instance as before):
`jobs` training jobs, each taking a share of the training demand (job k:
8 % / (k + 1) of it), of at least 8-GPU scale-up, spanning up to two sites
over DCI with a loss growing with distance; `routes`: a DCI fibre route
between each pair of sites at the same reference location (15 km) and
between the first sites of neighbouring locations (300 km); `onsite`:
fuel cells and engines at every site with a grid upgrade from the fifth
year on; `cases`: 1 to 3 scenario cases (base, boom, bust) revealed in the
third year.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("generate_large", REPO / "instances" / "generate_large.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
SERVES = {"us-east": ["na-east"], "us-central": ["na-east", "na-west"], "us-west": ["na-west"],
          "eu-north": ["europe"], "eu-west": ["europe"], "apac": ["apac"]}
REGION_SHARES = {"na-east": 0.35, "na-west": 0.20, "europe": 0.30, "apac": 0.15}
EXISTING_EVERY = 5
H100_KW_PER_UNIT = 8 * (1.28 + 0.16 * 400 / 1000)  # default catalog H100 on InfiniBand


def catalog(n_gpus: int | None, end_year: int) -> dict:
    cat = json.loads((REPO / "models" / "default.json").read_text())
    gpus = cat["gpus"] if n_gpus is None else cat["gpus"][:n_gpus]
    if n_gpus is not None and not any(g["name"] == "H100" for g in gpus):
        gpus = [next(g for g in cat["gpus"] if g["name"] == "H100"), *gpus]
    latest = max(gpus, key=lambda g: g["last_year"])
    latest["last_year"] = max(latest["last_year"], end_year)
    cat["gpus"] = gpus
    return cat


def scaled(n_sites: int, n_years: int, n_gpus: int | None = None, seed: int = 1, *, jobs: int = 0,
           routes: bool = False, onsite: bool = False, cases: int = 0) -> dict:
    rng = random.Random(seed)
    start = 2026
    end = start + n_years - 1
    sites, blocks, deployments = [], [], []
    for i in range(n_sites):
        loc = GEN.LOCATIONS[i % len(GEN.LOCATIONS)]
        k = i // len(GEN.LOCATIONS) + 1
        max_mw = rng.choice([50, 100, 150, 200, 300])
        block = rng.choice([b for b in (5, 10, 15, 20) if b * 1.6 <= max_mw])
        power_year = min(loc["power"] + (0 if k == 1 else rng.randint(0, 4)), end)
        allowed = ["air", "rdhx", "dlc"] if rng.random() < 0.2 else None
        max_blocks = max(2, int(max_mw / block * rng.uniform(0.5, 0.9))) if rng.random() < 0.3 else None
        name = f"{loc['key']}-{k:02d}"
        sites.append(GEN.site(
            name, loc, serves=SERVES[loc["region"]], max_mw=max_mw, block_mw=block, power_year=power_year,
            start=start, end=end, elec_factor=round(rng.uniform(0.92, 1.08), 3),
            build_factor=round(rng.uniform(0.95, 1.05), 3), max_blocks=max_blocks, allowed=allowed,
        ))
        air_pue = loc.get("pue", {}).get("air", 1.35)
        if i % EXISTING_EVERY == 0 and 2 * block * air_pue <= max_mw:
            blocks.append({"site": name, "cooling": "air", "rack_kw": 30, "blocks": 2})
            units = int(0.8 * 2 * block * 1000 / H100_KW_PER_UNIT)
            deployments.append({"site": name, "cooling": "air", "rack_kw": 30, "gpu": "H100",
                                "fabric": "infiniband", "purchase_year": 2023 + i % 2, "gpus": 8 * units,
                                "price_usd_per_gpu": 37000})
    growth = GEN.INFERENCE_GROWTH + [1.05] * max(0, n_years - 1 - len(GEN.INFERENCE_GROWTH))
    training, inference = {}, []
    t, inf = 2000.0 * n_sites, 900.0 * n_sites
    for n, y in enumerate(range(start, end + 1)):
        if n > 0:
            t *= GEN.TRAINING_GROWTH
            inf *= growth[n - 1]
        training[str(y)] = round(t, -2)
        inference.append(inf)
    if onsite:
        for site in sites:
            _onsite(site, start, n_years)
    job_list = []
    for k in range(jobs):
        share = 0.08 / (k + 1)
        job_list.append({
            "name": f"job{k + 1}", "perf": {y: round(v * share, -1) for y, v in training.items()},
            "min_scale_up_gpus": 8, "max_sites": 2, "dci_gbps_per_gpu": 50 if k == 0 else 0,
            "remote_loss_by_km": [[20, 0.03], [400, 0.08]],
        })
        training = {y: round(v * (1 - share), -1) for y, v in training.items()}
    route_list = _routes(sites) if routes else []
    demand = {
        "training": training,
        "inference": [{"region": r, "perf": GEN.split(inference, share, start)}
                      for r, share in REGION_SHARES.items()],
    }
    if job_list:
        demand["training_jobs"] = job_list
    out = {
        "name": f"scaled {n_sites} sites x {n_years} years"
                + (f", {n_gpus} GPU models" if n_gpus else "")
                + (f", {jobs} jobs" if jobs else "") + (", routes" if routes else "")
                + (", on-site power" if onsite else "") + (f", {cases} cases" if cases else "")
                + f" (benchmarks/scale.py, seed {seed})",
        "horizon": {"start_year": start, "end_year": end},
        "finance": GEN.FINANCE,
        "options": {"life_choices_years": [3, 4, 5, 6], "load_factor": 0.8},
        "catalog": catalog(n_gpus, end),
        "sites": sites,
        "demand": demand,
        "existing": {"blocks": blocks, "deployments": deployments},
    }
    if route_list:
        out["dci_routes"] = route_list
    if cases:
        out["scenarios"] = {"reveal_year": start + min(2, n_years - 1), "cases": CASES[:cases]}
        if cases == 1:
            out["scenarios"]["cases"] = [{"name": "base", "probability": 1.0}]
    return out


CASES = [{"name": "base", "probability": 0.5},
         {"name": "boom", "probability": 0.3, "inference_scale": 1.4, "gpu_price_scale": 1.1},
         {"name": "bust", "probability": 0.2, "inference_scale": 0.6, "training_scale": 0.8,
          "gpu_price_scale": 0.8}]


def _onsite(site: dict, start: int, n_years: int) -> None:
    mw = site["max_facility_mw"]
    site["onsite_power"] = [
        {"name": "fuel-cells", "max_mw": max(10, mw // 3), "capex_usd_per_mw": 4470000,
         "fixed_opex_usd_per_mw_year": 0, "fuel_usd_per_mwh": 84, "carbon_kg_per_mwh": 438,
         "capacity_factor": 0.95, "first_year": start},
        {"name": "recip-engines", "max_mw": max(10, mw // 2), "capex_usd_per_mw": 2120000,
         "fixed_opex_usd_per_mw_year": 20000, "fuel_usd_per_mwh": 70, "carbon_kg_per_mwh": 447,
         "capacity_factor": 0.95, "first_year": start + 1},
    ]
    site["grid_upgrades"] = [{"name": "substation", "mw": mw, "capex_usd": int(500000 * mw),
                              "first_year": start + min(4, n_years - 1)}]


def _routes(sites: list[dict]) -> list[dict]:
    """Same-location pairs (i, i + 10: 15 km) and first sites of neighbouring locations (300 km)."""
    n = len(GEN.LOCATIONS)
    out = []
    for i in range(len(sites)):
        if i + n < len(sites):
            out.append({"a": sites[i]["name"], "b": sites[i + n]["name"], "distance_km": 15,
                        "fixed_capex_usd": 600000, "usd_per_year": 15000})
    for i in range(min(n, len(sites)) - 1):
        out.append({"a": sites[i]["name"], "b": sites[i + 1]["name"], "distance_km": 300,
                    "fixed_capex_usd": 2000000, "usd_per_year": 300000})
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, required=True)
    p.add_argument("--years", type=int, required=True)
    p.add_argument("--gpus", type=int, default=None, help="keep the first N GPU models of the catalog")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=0, help="training jobs (SPEC 8.1)")
    p.add_argument("--routes", action="store_true", help="DCI routes between sites")
    p.add_argument("--onsite", action="store_true", help="on-site power and grid upgrades at every site")
    p.add_argument("--cases", type=int, default=0, help="scenario cases (0: none, up to 3)")
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    data = scaled(a.sites, a.years, a.gpus, a.seed, jobs=a.jobs, routes=a.routes, onsite=a.onsite, cases=a.cases)
    a.output.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
