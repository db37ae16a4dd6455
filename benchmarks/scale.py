"""Scaled benchmark instances: any number of sites and years, and catalog size.

    python benchmarks/scale.py --sites 25 --years 10 -o s25x10.json
    python benchmarks/scale.py --sites 50 --years 15 --gpus 5 -o s50x15-5gpus.json

The same kind of instance as `instances/large-50site.json`, from the same
sourced location figures (instances/generate_large.py): sites cycle through
the ten reference locations with seeded sizes, block sizes, power years,
floor-space and cooling restrictions; training plus four inference regions
growing as in the generator, scaled with the number of sites; an existing
2023-24 H100 fleet at every fifth site (as in the reference scaling study).
The catalog is the shipped default, inline, optionally cut to its first N
GPU models; the last GPU stays on sale to the horizon's end so that every
year has something to buy.
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


def scaled(n_sites: int, n_years: int, n_gpus: int | None = None, seed: int = 1) -> dict:
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
    return {
        "name": f"scaled {n_sites} sites x {n_years} years"
                + (f", {n_gpus} GPU models" if n_gpus else "") + f" (benchmarks/scale.py, seed {seed})",
        "horizon": {"start_year": start, "end_year": end},
        "finance": GEN.FINANCE,
        "options": {"life_choices_years": [3, 4, 5, 6], "load_factor": 0.8},
        "catalog": catalog(n_gpus, end),
        "sites": sites,
        "demand": {
            "training": training,
            "inference": [{"region": r, "perf": GEN.split(inference, share, start)}
                          for r, share in REGION_SHARES.items()],
        },
        "existing": {"blocks": blocks, "deployments": deployments},
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, required=True)
    p.add_argument("--years", type=int, required=True)
    p.add_argument("--gpus", type=int, default=None, help="keep the first N GPU models of the catalog")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    a.output.write_text(json.dumps(scaled(a.sites, a.years, a.gpus, a.seed), indent=1) + "\n")
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
