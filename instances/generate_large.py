"""Generate the benchmark instances `large-50site.json` and `hyperscale-10site.json`.

Deterministic: a seeded `random.Random` and fixed iteration order, so re-running
reproduces both files byte for byte:

    python instances/generate_large.py            # writes both next to this script
    python instances/generate_large.py --check    # exit 1 if a file would change

Every location figure below comes from the dcopt reference catalog
(shared/reference/tech-catalog.md, section 5) and carries its reference id
[n]; (D) marks a figure derived by arithmetic, (E) an estimate with no source.
See instances/README.md for the derivations.

Demand is in H100-equivalents: the catalog's training_perf and inference_perf
are relative to an H100 (= 1.0), so a demand of 100,000 means the throughput of
100,000 H100s on InfiniBand.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Construction: the site's shell capex is the market's all-in construction cost
# per MW of critical IT minus the parts the catalog prices separately: the
# cooling plant (mechanical 22.5 % of hard cost [64]) and the white-space
# fit-out (racks, PDUs, containment: 10 % [61]).  (D)
SHELL_SHARE = 1.0 - 0.225 - 0.10

# Site opening: dedicated substation ~0.3 M$ per MW (40 M$ for 135 MW [108]) plus
# land at 244k $/acre [61] with ~0.5 acre per facility MW (E), on the grid limit.
SUBSTATION_USD_PER_MW = 300_000
LAND_USD_PER_MW = 0.5 * 244_000

FIXED_OPEX_USD_PER_MW_YEAR = 100_000  # (E) staff, security, insurance; no source
USD_PER_EUR = 1.08  # (E) for the eu-north estimates
USD_PER_SGD = 0.74  # (E)

# One template per location of the reference catalog, section 5.
#   elec: $/MWh in 2026; esc: yearly nominal escalation; carbon: kg CO2/MWh;
#   build: all-in construction M$/MW; power: first year a new large load can be
#   connected; pue: climate overrides (E: free cooling in the Nordics, hot and
#   humid Singapore; [45] "free/evaporative cooling is geographic").
LOCATIONS: list[dict] = [
    # N. Virginia (Dominion): industrial 89 $/MWh (2023) [67] + Dominion capacity
    # 18.5 $/MWh (2025/26) [69] (D); +3 %/yr for PJM capacity pressure [69][70] (E);
    # grid 343 g (2025) [73]; C&W US average 11.7 M$/MW [61]; Dominion large loads
    # 4-7 years [65] -> 2029 (E).
    {"key": "va", "region": "us-east", "elec": 107.0, "esc": 0.03, "carbon": 343, "build": 11.7, "power": 2029},
    # Ohio (PJM): industrial 79 $/MWh (Apr 2025) [68] + PJM capacity 13.7 - 1.2 $/MWh
    # [69] (D); PJM grid 343 g [73]; US average build [61]; queue ~5 years [66] but
    # earlier than Dominion -> 2027 (E).
    {"key": "oh", "region": "us-east", "elec": 92.0, "esc": 0.03, "carbon": 343, "build": 11.7, "power": 2027},
    # Texas (ERCOT): industrial 66 $/MWh [67]; 299 g (2025) [73]; San Antonio 9.3 M$/MW [61].
    {"key": "tx", "region": "us-central", "elec": 66.0, "esc": 0.02, "carbon": 299, "build": 9.3, "power": 2026},
    # Iowa: industrial 60 $/MWh (Apr 2025) [68]; 432 g (2025) [73]; US average [61].
    {"key": "ia", "region": "us-central", "elec": 60.0, "esc": 0.02, "carbon": 432, "build": 11.7, "power": 2027},
    # Oregon: industrial 75 $/MWh [67]; 98 g (2025) [73]; US average [61].
    {"key": "or", "region": "us-west", "elec": 75.0, "esc": 0.02, "carbon": 98, "build": 11.7, "power": 2026},
    # Finland: large-load tariff (E) 55 EUR/MWh (Eurostat small-band 93.9 EUR [71] is
    # far above DC tariffs; reference E range 40-70); 30 g (2025) [73];
    # Frankfurt 11.6 M$/MW [62] as the European proxy (E).
    {"key": "fi", "region": "eu-north", "elec": round(55 * USD_PER_EUR, 1), "esc": 0.02, "carbon": 30, "build": 11.6,
         "power": 2026, "pue": {"air": 1.2, "rdhx": 1.15, "dlc": 1.08, "immersion": 1.04}},
    # Sweden: (E) 50 EUR/MWh (among the lowest non-household prices [71]); Stockholm 19 g
    # (2025) [73]; Frankfurt proxy [62].
    {"key": "se", "region": "eu-north", "elec": round(50 * USD_PER_EUR, 1), "esc": 0.02, "carbon": 19, "build": 11.6,
         "power": 2027, "pue": {"air": 1.2, "rdhx": 1.15, "dlc": 1.08, "immersion": 1.04}},
    # Norway: (E) 50 EUR/MWh [71]; 30 g (Ember 2023) [75]; Frankfurt proxy [62].
    {"key": "no", "region": "eu-north", "elec": round(50 * USD_PER_EUR, 1), "esc": 0.02, "carbon": 30, "build": 11.6,
         "power": 2028, "pue": {"air": 1.2, "rdhx": 1.15, "dlc": 1.08, "immersion": 1.04}},
    # Ireland: (E) 130 EUR/MWh, about half the Eurostat small-band 256 EUR/MWh [71];
    # 310 g (291-333) [75][76]; London 12.0 M$/MW [62] as proxy (E); Dublin
    # connection lead times not found (reference 5.2) -> 2030 (E).
    {"key": "ie", "region": "eu-west", "elec": round(130 * USD_PER_EUR, 1), "esc": 0.02, "carbon": 310, "build": 12.0,
         "power": 2030},
    # Singapore: (E) 200 S$/MWh (reference E range 150-250) ; 366 g (2025) [73];
    # 14.5 M$/MW [62]; (E) hot and humid: worse PUE.
    {"key": "sg", "region": "apac", "elec": round(200 * USD_PER_SGD, 1), "esc": 0.02, "carbon": 366, "build": 14.5,
         "power": 2026, "pue": {"air": 1.5, "rdhx": 1.35, "dlc": 1.15, "immersion": 1.08}},
]

FINANCE = {
    "discount_rate": 0.10,  # (E) reference 5.5: 10 % nominal, sensitivity 6-15 % [42][43]
    "carbon_price_usd_per_t": 50,  # (E) internal carbon price, a scenario choice
    "facility_life_years": 20,
    "facility_maintenance_frac_per_year": 0.02,  # (E) reference 5.5: 1.5-3 %
}

# Inference growth per year (E): steep in 2027-2029, tapering; training +20 %/yr
# (E, below the +40 %/yr price-performance trend [39]).  Inference overtakes
# training in 2028.
INFERENCE_GROWTH = [2.0, 1.8, 1.6, 1.45, 1.35, 1.28, 1.22, 1.18, 1.15, 1.12, 1.10, 1.08, 1.07, 1.06]
TRAINING_GROWTH = 1.20


def electricity(loc: dict, start: int, end: int, factor: float = 1.0) -> dict[str, float]:
    base = loc["elec"] * factor
    return {str(y): round(base * (1 + loc["esc"]) ** (y - 2026), 2) for y in range(start, end + 1)}


def site(name: str, loc: dict, *, serves: list[str], max_mw: int, block_mw: int, power_year: int,
         start: int, end: int, elec_factor: float = 1.0, build_factor: float = 1.0,
         max_blocks: int | None = None, allowed: list[str] | None = None) -> dict:
    s = {
        "name": name,
        "region": loc["region"],
        "serves_regions": serves,
        "max_facility_mw": max_mw,
        "power_available_year": max(start, power_year),
        "block_mw": block_mw,
    }
    if max_blocks is not None:
        s["max_blocks"] = max_blocks
    s.update({
        "site_fixed_capex_usd": int(round((SUBSTATION_USD_PER_MW + LAND_USD_PER_MW) * max_mw * build_factor, -4)),
        "shell_capex_usd_per_mw": int(round(loc["build"] * 1e6 * SHELL_SHARE * build_factor, -3)),
        "fixed_opex_usd_per_mw_year": FIXED_OPEX_USD_PER_MW_YEAR,
        "electricity_usd_per_mwh": electricity(loc, start, end, elec_factor),
        "carbon_kg_per_mwh": loc["carbon"],
    })
    if allowed is not None:
        s["allowed_cooling"] = allowed
    if "pue" in loc:
        s["pue_overrides"] = dict(loc["pue"])
    return s


def demand_series(start: int, end: int, training0: float, inference0: float) -> tuple[dict, list[float]]:
    training = {}
    inference = []
    t, i = training0, inference0
    for n, y in enumerate(range(start, end + 1)):
        if n > 0:
            t *= TRAINING_GROWTH
            i *= INFERENCE_GROWTH[n - 1]
        training[str(y)] = round(t, -2)
        inference.append(i)
    return training, inference


def split(total: list[float], share: float, start: int) -> dict[str, float]:
    return {str(start + n): round(v * share, -2) for n, v in enumerate(total)}


# --------------------------------------------------------------------------- hyperscale-10site


def hyperscale() -> dict:
    start, end = 2026, 2035
    serves = {"us-east": ["na"], "us-central": ["na"], "us-west": ["na"],
              "eu-north": ["europe"], "eu-west": ["europe"], "apac": ["apac"]}
    # one site per location: (name, max facility MW, block MW)
    plan = [("va-ashburn", 300, 20), ("oh-new-albany", 200, 20), ("tx-abilene", 120, 20),
            ("ia-council-bluffs", 150, 10), ("or-hillsboro", 100, 10), ("fi-hamina", 80, 10),
            ("se-lulea", 100, 10), ("no-stavanger", 60, 10), ("ie-dublin", 50, 5), ("sg-jurong", 50, 5)]
    sites = []
    for (name, mw, block), loc in zip(plan, LOCATIONS):
        sites.append(site(name, loc, serves=serves[loc["region"]], max_mw=mw, block_mw=block,
                          power_year=loc["power"], start=start, end=end))
    training, inference = demand_series(start, end, 45_000, 20_000)
    return {
        "name": "hyperscale-10site: 10 sites in 6 regions, 2026-2035, training + 3 inference regions "
                "(H100-equivalents); generated by instances/generate_large.py",
        "horizon": {"start_year": start, "end_year": end},
        "finance": FINANCE,
        "options": {"life_choices_years": [3, 4, 5, 6], "load_factor": 0.8},
        "catalog": "default",
        "sites": sites,
        "demand": {
            "training": training,
            "inference": [
                {"region": "na", "perf": split(inference, 0.50, start)},
                {"region": "europe", "perf": split(inference, 0.30, start)},
                {"region": "apac", "perf": split(inference, 0.20, start)},
            ],
        },
    }


# --------------------------------------------------------------------------- large-50site


def large(seed: int = 20260) -> dict:
    rng = random.Random(seed)
    start, end = 2026, 2040
    serves = {"us-east": ["na-east"], "us-central": ["na-east", "na-west"], "us-west": ["na-west"],
              "eu-north": ["europe"], "eu-west": ["europe"], "apac": ["apac"]}
    sites = []
    for loc in LOCATIONS:
        for k in range(1, 6):
            max_mw = rng.choice([50, 100, 150, 200, 300])
            block = rng.choice([b for b in (5, 10, 15, 20) if b * 1.6 <= max_mw])
            # the first site of a location has the location's lead time; the others
            # 0-4 years more (queues [65][66], E)
            power_year = min(loc["power"] + (0 if k == 1 else rng.randint(0, 4)), 2034)
            allowed = None
            if rng.random() < 0.2:
                allowed = ["air", "rdhx", "dlc"]  # (E) no immersion permit / operator policy
            max_blocks = None
            if rng.random() < 0.3:
                max_blocks = max(2, int(max_mw / block * rng.uniform(0.5, 0.9)))  # floor space (E)
            sites.append(site(
                f"{loc['key']}-{k:02d}", loc, serves=serves[loc["region"]], max_mw=max_mw, block_mw=block,
                power_year=power_year, start=start, end=end,
                elec_factor=round(rng.uniform(0.92, 1.08), 3), build_factor=round(rng.uniform(0.95, 1.05), 3),
                max_blocks=max_blocks, allowed=allowed,
            ))
    training, inference = demand_series(start, end, 100_000, 45_000)
    return {
        "name": "large-50site: benchmark, 50 sites (5 per location) in 6 regions, 2026-2040, training + "
                "4 inference regions (H100-equivalents); generated by instances/generate_large.py",
        "horizon": {"start_year": start, "end_year": end},
        "finance": FINANCE,
        "options": {"life_choices_years": [3, 4, 5, 6], "load_factor": 0.8},
        "catalog": "default",
        "sites": sites,
        "demand": {
            "training": training,
            "inference": [
                {"region": "na-east", "perf": split(inference, 0.35, start)},
                {"region": "na-west", "perf": split(inference, 0.20, start)},
                {"region": "europe", "perf": split(inference, 0.30, start)},
                {"region": "apac", "perf": split(inference, 0.15, start)},
            ],
        },
    }


def _compact(value, indent: int = 0) -> str:
    """JSON with two-space indentation, but objects and lists that hold only
    numbers and strings (year maps, name lists) on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict) and value:
        if all(not isinstance(v, (dict, list)) for v in value.values()):
            return json.dumps(value, ensure_ascii=False)
        items = [f"{inner}{json.dumps(k)}: {_compact(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value:
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value, ensure_ascii=False)
        items = [inner + _compact(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def render(instance: dict) -> str:
    return _compact(instance) + "\n"


def main(argv: list[str]) -> int:
    outputs = {"hyperscale-10site.json": render(hyperscale()), "large-50site.json": render(large())}
    changed = []
    for name, text in outputs.items():
        path = HERE / name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            changed.append(name)
            if "--check" not in argv:
                path.write_text(text, encoding="utf-8")
    if "--check" in argv:
        if changed:
            print("would change: " + ", ".join(changed))
            return 1
        print("up to date")
        return 0
    print("wrote " + ", ".join(outputs) if changed else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
