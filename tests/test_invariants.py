"""Properties every solved plan must have, checked on the reference cases and tiny instances.

* the cost breakdown sums to the TCO;
* the TCO never falls when electricity, a GPU price or demand rises, or a grid limit tightens;
* a plan respects the grid, hall and floor limits, meets demand, allocates no more GPUs than run,
  and buys only what SPEC 3 allows;
* solving twice gives the same solution.

Limits are recomputed here from the instance and the reported plan (sites' blocks, purchases,
existing deployments minus retirements), not read from dcopt's own tallies.
"""

from __future__ import annotations

import copy
import functools
import json
from collections import defaultdict

import pytest
from conftest import cases_dir
from tiny import every_year, tiny

import dcopt

# ----------------------------------------------------------------------------- instances

# the reference cases that solve in about a second or less, with existing assets, budgets,
# inference, liquid-only GPUs, min rack densities, allowed_cooling and late power among them
CASE_FILES = [
    "gen-007.json",
    "gen-008.json",
    "gen-014.json",
    "gen-015.json",
    "gen-019.json",
    "gen-024-budget.json",
    "gen-026.json",
    "gen-027.json",
    "gen-030.json",
    "gen-032.json",
    "gen-036.json",
    "gen-037.json",
    "gen-038.json",
    "gen-039.json",
    "gen-040.json",
    "gen-041.json",
    "gen-042.json",
    "gen-043.json",
    "gen-052.json",
    "h1_single_year_resale.json",
    "h2_discounting_multi_year.json",
    "h3_existing_retirement.json",
    "h4_two_fabrics.json",
    "h5_budget_prebuild.json",
    "h6_budget_fixed_costs.json",
]
# the subset used for the (several solves each) monotonicity checks
MONOTONE_CASES = [
    "gen-007.json",
    "gen-015.json",
    "gen-030.json",
    "gen-036.json",
    "gen-040.json",
    "gen-041.json",
    "h2_discounting_multi_year.json",
    "h3_existing_retirement.json",
    "h4_two_fabrics.json",
]

RICH = {
    "name": "rich tiny: two sites, two GPUs, liquid, min rack, port speeds, inference, brownfield",
    "horizon": {"start_year": 2026, "end_year": 2028},
    "finance": {
        "discount_rate": 0.07,
        "carbon_price_usd_per_t": 40,
        "facility_life_years": 15,
        "facility_maintenance_frac_per_year": 0.01,
    },
    "options": {"life_choices_years": [2, 3, 4], "load_factor": 0.75},
    "catalog": {
        "gpus": [
            {
                "name": "hgx",
                "first_year": 2023,
                "last_year": 2028,
                "price_usd_per_gpu": 25000,
                "price_decline_per_year": 0.1,
                "system_kw_per_gpu": 1.4,
                "training_perf": 1.0,
                "inference_perf": 1.0,
                "unit_gpus": 8,
                "nic_gbps": 400,
                "max_life_years": 5,
                "depreciation_years": 5,
                "maintenance_frac_per_year": 0.02,
            },
            {
                "name": "nvl",
                "first_year": 2027,
                "last_year": 2028,
                "price_usd_per_gpu": {"2027": 45000, "2028": 40000},
                "system_kw_per_gpu": 1.8,
                "training_perf": 2.5,
                "inference_perf": 3.0,
                "unit_gpus": 72,
                "nic_gbps": 800,
                "min_rack_kw": 80,
                "liquid_required": True,
                "max_life_years": 6,
                "depreciation_years": 6,
            },
        ],
        "cooling": [
            {
                "name": "air",
                "liquid": False,
                "max_rack_kw": 40,
                "capex_usd_per_kw": 400,
                "pue": 1.4,
            },
            {
                "name": "dlc",
                "liquid": True,
                "max_rack_kw": 150,
                "capex_usd_per_kw": 900,
                "pue": 1.15,
            },
        ],
        "densities": [
            {"rack_kw": 20, "capex_usd_per_rack": 30000},
            {"rack_kw": 40, "capex_usd_per_rack": 50000},
            {"rack_kw": 120, "capex_usd_per_rack": 120000},
        ],
        "fabrics": [
            {
                "name": "eth400",
                "max_gbps_per_port": 400,
                "capex_usd_per_gbps": 3,
                "watts_per_gbps": 0.02,
                "site_fixed_capex_usd": 100000,
                "training_efficiency": 0.95,
            },
            {
                "name": "ib",
                "max_gbps_per_port": 800,
                "capex_usd_per_gbps": 8,
                "watts_per_gbps": 0.03,
                "site_fixed_capex_usd": 400000,
                "availability": 0.99,
            },
        ],
    },
    "sites": [
        {
            "name": "a",
            "region": "us",
            "max_facility_mw": 1.0,
            "block_mw": 0.25,
            "max_blocks": 3,
            "site_fixed_capex_usd": 2000000,
            "shell_capex_usd_per_mw": 8000000,
            "fixed_opex_usd_per_mw_year": 50000,
            "electricity_usd_per_mwh": 80,
            "carbon_kg_per_mwh": 300,
            "allowed_cooling": ["air"],
            "pue_overrides": {"air": 1.3},
        },
        {
            "name": "b",
            "region": "eu",
            "serves_regions": ["eu", "us"],
            "max_facility_mw": 1.5,
            "block_mw": 0.5,
            "max_blocks": 2,
            "power_available_year": 2027,
            "site_fixed_capex_usd": 3000000,
            "shell_capex_usd_per_mw": 9000000,
            "electricity_usd_per_mwh": {"2026": 60, "2027": 65, "2028": 70},
            "carbon_kg_per_mwh": 100,
        },
    ],
    "demand": {
        "training": {"2026": 100, "2027": 300, "2028": 500},
        "inference": [
            {"region": "us", "perf": {"2026": 60, "2027": 150, "2028": 250}},
            {"region": "eu", "perf": {"2027": 100, "2028": 200}},
        ],
    },
    "existing": {
        "blocks": [{"site": "a", "cooling": "air", "rack_kw": 20, "blocks": 1}],
        "deployments": [
            {
                "site": "a",
                "cooling": "air",
                "rack_kw": 20,
                "gpu": "hgx",
                "fabric": "eth400",
                "purchase_year": 2023,
                "gpus": 64,
                "price_usd_per_gpu": 28000,
            }
        ],
    },
}

OWN = {
    "rich": RICH,
    # grid-bound tiny: 0.3 MW of grid at PUE 1.5 admits 2 blocks of 0.1 MW; demand grows to
    # fill them
    "tiny-grid": tiny(
        years=(2026, 2028),
        site={"max_facility_mw": 0.3},
        gpu={"system_kw_per_gpu": 6.0, "maintenance_frac_per_year": 0.03},
        options={"life_choices_years": [2, 3]},
        demand={"training": {"2026": 16, "2027": 24, "2028": 32}},
    ),
    # floor-bound tiny: max_blocks 2 (the existing one included) of 0.05 MW, demand 64 needs
    # 64 x 1.01 kW = 64.64 kW, i.e. both blocks; an existing deployment retires at Y* = 2027
    "tiny-floor": tiny(
        years=(2026, 2028),
        site={"max_blocks": 2, "block_mw": 0.05},
        gpu={"first_year": 2020, "depreciation_years": 6},
        demand={"training": every_year(64, 2026, 2028)},
        existing={
            "blocks": [{"site": "s1", "cooling": "air", "rack_kw": 20, "blocks": 1}],
            "deployments": [
                {
                    "site": "s1",
                    "cooling": "air",
                    "rack_kw": 20,
                    "gpu": "g1",
                    "fabric": "eth",
                    "purchase_year": 2021,
                    "gpus": 16,
                    "price_usd_per_gpu": 9000,
                }
            ],
        },
    ),
}


def load(name: str) -> dict:
    """An instance dict: one of OWN, or a reference case file (skipped if the cases are absent)."""
    if name in OWN:
        return copy.deepcopy(OWN[name])
    folder = cases_dir()
    if folder is None:
        pytest.skip(
            "reference cases not found: set DCOPT_CASES_DIR or place shared/cases next to the repo"
        )
    return json.loads((folder / name).read_text())


@functools.cache
def _solve_cached(name: str) -> dcopt.Solution:
    return dcopt.solve(load(name), mip_gap=1e-9)


def solution(name: str) -> dcopt.Solution:
    sol = _solve_cached(name)
    assert sol.status == "optimal" and sol.has_plan, (name, sol.status, sol.message)
    return sol


def tco(inst: dict) -> float | None:
    """Optimal TCO, or None when no plan exists."""
    sol = dcopt.solve(inst, mip_gap=1e-9)
    if sol.status == "infeasible":
        return None
    assert sol.status == "optimal", (sol.status, sol.message)
    return sol.tco_usd


ALL = list(OWN) + CASE_FILES


# ----------------------------------------------------------------------------- breakdown


@pytest.mark.parametrize("name", ALL)
def test_breakdown_sums_to_tco(name):
    sol = solution(name)
    assert sum(sol.costs_npv_usd.values()) == pytest.approx(sol.tco_usd, rel=1e-9)
    inst = dcopt.load_instance(load(name))
    r, y0 = inst.finance.discount_rate, inst.horizon.start_year
    for item, nominal in sol.costs_nominal_usd.items():
        npv = sum(v * (1 + r) ** -(y - y0) for y, v in nominal.items())
        assert npv == pytest.approx(sol.costs_npv_usd[item], rel=1e-9, abs=1e-6), item


# ----------------------------------------------------------------------------- monotonicity


def _scale_map_or_number(value, factor):
    if isinstance(value, dict):
        return {y: v * factor for y, v in value.items()}
    return value * factor


def _assert_not_lower(new: float | None, base: float, what: str) -> None:
    assert new is not None, f"{what}: became infeasible"
    assert new >= base - 1e-7 * abs(base), f"{what}: TCO fell from {base:,.2f} to {new:,.2f}"


@pytest.mark.parametrize("name", MONOTONE_CASES + ["rich", "tiny-grid"])
def test_raising_electricity_never_lowers_tco(name):
    base = solution(name).tco_usd
    previous = base
    for factor in (1.25, 2.0):  # x1.0 is the base
        inst = load(name)
        for s in inst["sites"]:
            s["electricity_usd_per_mwh"] = _scale_map_or_number(
                s["electricity_usd_per_mwh"], factor
            )
        new = tco(inst)
        _assert_not_lower(new, previous, f"electricity x{factor}")
        previous = new
    # a year map raising only the last year's price at the first site
    inst = load(name)
    y0, y1 = inst["horizon"]["start_year"], inst["horizon"]["end_year"]
    site = inst["sites"][0]
    price = site["electricity_usd_per_mwh"]
    as_map = dict(price) if isinstance(price, dict) else every_year(price, y0, y1)
    as_map[str(y1)] = as_map[str(y1)] * 3 + 10
    site["electricity_usd_per_mwh"] = as_map
    _assert_not_lower(tco(inst), base, "last year's electricity x3 + 10 at the first site")


def _assert_chain(tcos: list[float | None], what: str) -> None:
    """TCOs of ever tighter instances: never lower, and once infeasible, infeasible for good."""
    for i in range(1, len(tcos)):
        before, after = tcos[i - 1], tcos[i]
        if before is None:
            assert after is None, f"{what}: step {i} became feasible again"
        elif after is not None:
            _assert_not_lower(after, before, f"{what}: step {i}")


@pytest.mark.parametrize("name", MONOTONE_CASES + ["rich"])
def test_raising_gpu_price_never_lowers_tco(name):
    """Each GPU's price x1.25 then x2 (a budget may make the instance infeasible: TCO +inf)."""
    inst = load(name)
    assert inst["finance"]["discount_rate"] >= 0  # resale credit never outweighs a price rise
    base = solution(name).tco_usd
    for i in range(len(inst["catalog"]["gpus"])):
        tcos: list[float | None] = [base]
        for factor in (1.25, 2.0):
            raised = load(name)
            g = raised["catalog"]["gpus"][i]
            g["price_usd_per_gpu"] = _scale_map_or_number(g["price_usd_per_gpu"], factor)
            tcos.append(tco(raised))
        _assert_chain(tcos, f"price of {g['name']} x1.25, x2")


@pytest.mark.parametrize("name", MONOTONE_CASES + ["rich", "tiny-floor"])
def test_raising_demand_never_lowers_tco(name):
    tcos: list[float | None] = [solution(name).tco_usd]
    for factor in (1.1, 1.3):
        inst = load(name)
        demand = inst.get("demand") or {}
        demand["training"] = {y: v * factor for y, v in (demand.get("training") or {}).items()}
        for d in demand.get("inference") or []:
            d["perf"] = {y: v * factor for y, v in d["perf"].items()}
        inst["demand"] = demand
        tcos.append(tco(inst))
    _assert_chain(tcos, "demand x1.1, x1.3")


@pytest.mark.parametrize("name", MONOTONE_CASES + ["rich", "tiny-grid"])
def test_tightening_grid_never_lowers_tco(name):
    sol = solution(name)
    tcos: list[float | None] = [sol.tco_usd]
    # every site's limit x0.95, x0.85; then 0.9 x the most the optimal plan uses (binding)
    for factor in (0.95, 0.85):
        inst = load(name)
        for s in inst["sites"]:
            s["max_facility_mw"] *= factor
        tcos.append(tco(inst))
    _assert_chain(tcos, "grid x0.95, x0.85")
    inst = load(name)
    for s, res in zip(inst["sites"], sol.sites):
        used = max(res.facility_mw.values(), default=0.0)
        s["max_facility_mw"] = 0.9 * (used if used > 0 else s["max_facility_mw"])
    _assert_chain([tcos[0], tco(inst)], "grid at 0.9 x use")


# ----------------------------------------------------------------------------- plan validity


def _kw_per_gpu(cat, gpu: str, fabric: str) -> float:
    g = next(x for x in cat.gpus if x.name == gpu)
    f = next(x for x in cat.fabrics if x.name == fabric)
    return g.system_kw_per_gpu + f.watts_per_gbps * g.nic_gbps / 1000


def _y_star(inst, dep) -> int:
    g = next(x for x in inst.catalog.gpus if x.name == dep.gpu)
    return max(inst.horizon.start_year, dep.purchase_year + g.max_life_years)


def _active_gpus(inst, sol) -> dict[tuple, float]:
    """(site, cooling, rack_kw, gpu, fabric, year) -> GPUs running: purchases, plus existing
    deployments minus their retirements."""
    active: dict[tuple, float] = defaultdict(float)
    for p in sol.purchases:
        for t in range(p.year, p.resale_year):
            active[(p.site, p.cooling, float(p.rack_kw), p.gpu, p.fabric, t)] += p.gpus
    for i, dep in enumerate(inst.existing.deployments):
        for t in inst.years:
            retired = sum(r.gpus for r in sol.retirements if r.deployment == i and r.year <= t)
            active[(dep.site, dep.cooling, float(dep.rack_kw), dep.gpu, dep.fabric, t)] += (
                dep.gpus - retired
            )
    return active


def _pue(site, cooling) -> float:
    overrides = site.pue_overrides or {}
    return overrides.get(cooling.name, cooling.pue)


@pytest.mark.parametrize("name", ALL)
def test_plan_respects_grid_hall_and_floor(name):
    inst = dcopt.load_instance(load(name))
    sol = solution(name)
    coolings = {k.name: k for k in inst.catalog.cooling}
    sites = {s.name: s for s in inst.sites}
    active = _active_gpus(inst, sol)
    for res in sol.sites:
        s = sites[res.name]
        # existing blocks as the instance states them, built ones as reported
        blocks = [
            (b.cooling, float(b.rack_kw), None, b.blocks)
            for b in inst.existing.blocks
            if b.site == s.name and b.blocks > 0
        ]
        blocks += [
            (b.cooling, float(b.rack_kw), b.year, b.blocks)
            for b in res.blocks
            if b.year is not None
        ]
        assert sum(b.blocks for b in res.blocks if b.year is None) == sum(
            b[3] for b in blocks if b[2] is None
        )
        if s.max_blocks is not None:
            assert sum(b[3] for b in blocks) <= s.max_blocks, f"{s.name}: floor"
        for cooling, rack_kw, year, n in blocks:
            if year is not None:
                assert inst.horizon.start_year <= year <= inst.horizon.end_year
                assert year >= s.power_available_year, f"{s.name}: block before power"
                assert s.allowed_cooling is None or cooling in s.allowed_cooling
                assert res.open_year is not None and res.open_year <= year
            assert rack_kw <= coolings[cooling].max_rack_kw  # a hall design of the catalog
        for t in inst.years:
            built = [(c, k, n) for c, k, y, n in blocks if y is None or y <= t]
            facility = sum(s.block_mw * _pue(s, coolings[c]) * n for c, _, n in built)
            assert facility <= s.max_facility_mw * (1 + 1e-9) + 1e-9, f"{s.name} {t}: grid"
            assert res.facility_mw[t] == pytest.approx(facility, rel=1e-9, abs=1e-12)
            halls = {(c, k) for c, k, _ in built} | {
                (key[1], key[2]) for key in active if key[0] == s.name
            }
            for c, k in halls:
                capacity_kw = (
                    1000 * s.block_mw * sum(n for c2, k2, n in built if (c2, k2) == (c, k))
                )
                load_kw = sum(
                    gpus * _kw_per_gpu(inst.catalog, key[3], key[4])
                    for key, gpus in active.items()
                    if key[:3] == (s.name, c, k) and key[5] == t
                )
                assert load_kw <= capacity_kw * (1 + 1e-9) + 1e-6, f"{s.name} {c}/{k} {t}: hall"


@pytest.mark.parametrize("name", ALL)
def test_demand_met_and_allocations_within_active_gpus(name):
    inst = dcopt.load_instance(load(name))
    sol = solution(name)
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    sites = {s.name: s for s in inst.sites}
    active = _active_gpus(inst, sol)
    for v in active.values():
        assert v >= 0
    per_kind: dict[tuple, float] = defaultdict(float)
    for key, n in active.items():
        per_kind[(key[0], key[3], key[4], key[5])] += n
    allocated: dict[tuple, float] = defaultdict(float)
    delivered: dict[tuple, float] = defaultdict(float)
    for a in sol.allocations:
        assert a.gpus >= 0
        allocated[(a.site, a.gpu, a.fabric, a.year)] += a.gpus
        g, f = gpus[a.gpu], fabrics[a.fabric]
        if a.workload == "training":
            delivered[("training", a.year)] += (
                a.gpus * g.training_perf * f.training_efficiency * f.availability
            )
        else:
            assert a.workload in sites[a.site].served_regions, (
                f"{a.site} does not serve {a.workload}"
            )
            delivered[(a.workload, a.year)] += a.gpus * g.inference_perf * f.availability
    for key, n in allocated.items():
        assert n <= per_kind.get(key, 0.0) * (1 + 1e-9) + 1e-6, (
            f"{key}: allocates more GPUs than run"
        )
    by_year = {y.year: y for y in sol.years}
    assert sorted(by_year) == inst.years
    for t in inst.years:
        y = by_year[t]
        need = float(inst.demand.training.get(str(t), 0.0))
        assert y.training_demand == pytest.approx(need)
        assert delivered[("training", t)] >= need * (1 - 1e-6) - 1e-9, f"{t}: training"
        assert y.training_delivered == pytest.approx(delivered[("training", t)], rel=1e-9, abs=1e-9)
        for d in inst.demand.inference:
            need = float(d.perf.get(str(t), 0.0))
            assert delivered[(d.region, t)] >= need * (1 - 1e-6) - 1e-9, (
                f"{t}: inference {d.region}"
            )
            assert y.inference_delivered[d.region] >= need * (1 - 1e-6) - 1e-9
        running = defaultdict(float)
        for key, n in active.items():
            if key[5] == t:
                running[key[3]] += n
        assert {g: v for g, v in running.items() if v > 0} == pytest.approx(y.active_gpus)


@pytest.mark.parametrize("name", ALL)
def test_purchases_and_retirements_are_allowed(name):
    inst = dcopt.load_instance(load(name))
    sol = solution(name)
    y0, y1 = inst.horizon.start_year, inst.horizon.end_year
    gpus = {g.name: g for g in inst.catalog.gpus}
    fabrics = {f.name: f for f in inst.catalog.fabrics}
    coolings = {k.name: k for k in inst.catalog.cooling}
    sites = {s.name: s for s in inst.sites}
    results = {s.name: s for s in sol.sites}
    lives = inst.options.life_choices_years
    for p in sol.purchases:
        g, f, k, s = gpus[p.gpu], fabrics[p.fabric], coolings[p.cooling], sites[p.site]
        assert y0 <= p.year <= y1
        assert g.first_year <= p.year <= g.last_year, f"{p}: not on sale"
        assert p.year >= s.power_available_year, f"{p}: before power"
        assert p.rack_kw >= g.min_rack_kw, f"{p}: min_rack_kw"
        assert p.rack_kw <= k.max_rack_kw, f"{p}: not a hall design"
        assert k.liquid or not g.liquid_required, f"{p}: liquid required"
        assert s.allowed_cooling is None or p.cooling in s.allowed_cooling, (
            f"{p}: cooling not allowed"
        )
        assert g.nic_gbps <= f.max_gbps_per_port, f"{p}: port speed"
        assert p.gpus > 0 and p.gpus % g.unit_gpus == 0, f"{p}: whole units"
        assert p.resale_year == min(p.year + p.life_years, y1 + 1)
        # a life choice, or one reaching past the horizon reported as running to its end (SPEC 7.10)
        allowed = [l for l in lives if l <= g.max_life_years]
        assert p.life_years in allowed or (
            p.year + p.life_years == y1 + 1 and any(l >= p.life_years for l in allowed)
        ), f"{p}: life"
        site = results[p.site]
        assert site.open_year is not None and site.open_year <= p.year, f"{p}: site not open"
        present = [a.year for a in site.fabrics if a.fabric == p.fabric]
        assert present and min(y if y is not None else y0 for y in present) <= p.year, (
            f"{p}: no fabric"
        )
    retired: dict[int, int] = defaultdict(int)
    deps = inst.existing.deployments
    for r in sol.retirements:
        dep = deps[r.deployment]
        assert (r.site, r.gpu, r.fabric) == (dep.site, dep.gpu, dep.fabric)
        assert y0 <= r.year <= min(y1, _y_star(inst, dep)), f"{r}: after Y*"
        assert r.gpus > 0 and r.gpus % gpus[dep.gpu].unit_gpus == 0
        retired[r.deployment] += r.gpus
    for i, dep in enumerate(deps):
        assert retired[i] <= dep.gpus
        if _y_star(inst, dep) <= y1:
            assert retired[i] == dep.gpus, f"existing {i}: not all gone by Y*"


# ----------------------------------------------------------------------------- limits bind


def test_grid_limit_is_respected_when_it_binds():
    """tiny-grid: 4 units x 8 GPUs x 6.01 kW = 192.3 kW need 2 blocks (0.3 MW facility at PUE 1.5);
    with the grid at 0.29 MW only one block fits and demand 32 cannot be met."""
    sol = solution("tiny-grid")
    assert max(sol.sites[0].facility_mw.values()) == pytest.approx(0.3)
    inst = load("tiny-grid")
    inst["sites"][0]["max_facility_mw"] = 0.29
    assert tco(inst) is None


def test_floor_limit_is_respected_when_it_binds():
    """tiny-floor: max_blocks 2 (existing block included) of 0.05 MW = 100 kW of halls; demand 64
    needs 64.64 kW: both blocks. Demand 104 needs 105.04 kW: a third block, which the floor
    forbids (infeasible) and which is built once max_blocks is lifted."""
    sol = solution("tiny-floor")
    assert sum(b.blocks for b in sol.sites[0].blocks) == 2
    inst = load("tiny-floor")
    inst["demand"]["training"] = every_year(104, 2026, 2028)
    assert tco(inst) is None
    inst["sites"][0]["max_blocks"] = None
    lifted = dcopt.solve(inst, mip_gap=1e-9)
    assert lifted.status == "optimal"
    assert sum(b.blocks for b in lifted.sites[0].blocks) == 3


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", ["rich", "gen-015.json", "gen-037.json"])
def test_solving_twice_gives_the_same_solution(name):
    inst = load(name)
    first = dcopt.solve(copy.deepcopy(inst), mip_gap=1e-9)
    second = dcopt.solve(copy.deepcopy(inst), mip_gap=1e-9)
    exclude = {"solve_seconds", "solver"}
    assert first.model_dump(exclude=exclude) == second.model_dump(exclude=exclude)
    assert json.dumps(first.model_dump(mode="json", exclude=exclude), sort_keys=True) == json.dumps(
        second.model_dump(mode="json", exclude=exclude), sort_keys=True
    )
