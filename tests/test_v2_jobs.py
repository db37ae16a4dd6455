"""Known-answer tests for SPEC 8.1: training jobs, the one-model rule, DCI routes and links.

Base numbers: tests/tiny2.py (1 kW GPUs at 10_000 USD in units of 8, 0.1 MW blocks of
100_000 USD that hold 12 units, PUE 1.25, 100 USD/MWh, no network cost, discount 0,
load factor 1, one life choice of 4 years, facility life 10). Each unit costs 80_000 and
8_760 USD of energy a year; resold at T + 1 = 2027 (age 1) for res(1, 4) = 0.75 of its
capex, or at 2028 (age 2) for res(2, 4) = 0.5.

SPEC formulas used (8.1):
    throughput   sum jalloc * training_perf * (1 - loss(h, s)) >= perf_j[t], loss(h, h) = 0;
                 loss of a remote site = that of the first remote_loss_by_km entry with
                 max_km >= the route's distance_km
    DCI          dci_gbps_per_gpu * (GPUs allocated at the remote site) <= gbps * links
                 installed by t (links never retire, 8.10.6; allocated, not installed GPUs)
    one model    single_gpu_model: in each year all the job's GPUs are of one model
    item dci     fixed_capex_usd in the year lit + usd_per_year every year from it to T
                 + capex_usd_per_link per link in its year
    salvage      links: -capex * res(T + 1 - y, life_years) at T + 1, in facility_salvage;
                 route capex: none
"""

from __future__ import annotations

import math

import pytest
from tiny2 import (
    BLOCK_CAPEX,
    UNIT_CAPEX,
    UNIT_YEAR_ENERGY,
    assert_items,
    assert_non_decreasing,
    every_year,
    gpu,
    instance,
    res,
    site,
    solved,
    tco,
)

import dcopt

# --------------------------------------------------------------------------- a job across two sites

ZR = {"name": "zr", "gbps": 400, "max_km": 120, "capex_usd_per_link": 3000, "life_years": 5}
# cheaper, but it does not reach the 60 km route: using it would be a bug
SHORT = {"name": "short", "gbps": 400, "max_km": 40, "capex_usd_per_link": 500}
ROUTE = {"a": "A", "b": "B", "distance_km": 60, "fixed_capex_usd": 20000, "usd_per_year": 1500}
# 60 km: the first entry with max_km >= 60 is [100, 0.2], so a remote GPU delivers 0.8
LOSS = [[30, 0.05], [100, 0.2]]


def span_instance(
    *,
    dci_gbps_per_gpu: float = 50,
    link_usd: float = 3000,
    route_fixed: float = 20000,
    max_sites: int = 2,
) -> dict:
    """Job 'llm' of perf 150 in 2026 and 2027; sites A and B hold one block (12 units) each."""
    return instance(
        years=(2026, 2027),
        sites=[site("A", max_blocks=1), site("B", max_blocks=1)],
        dci_optics=[{**ZR, "capex_usd_per_link": link_usd}, SHORT],
        dci_routes=[{**ROUTE, "fixed_capex_usd": route_fixed}],
        jobs=[
            {
                "name": "llm",
                "perf": every_year(150, 2026, 2027),
                "max_sites": max_sites,
                "dci_gbps_per_gpu": dci_gbps_per_gpu,
                "remote_loss_by_km": LOSS,
            }
        ],
    )


def test_job_spans_two_sites_with_distance_loss_route_and_links():
    """One site holds 96 GPUs (perf 96 < 150), so the job spans A and B.

    The home holds a full block, 12 units (96 GPUs). The remote GPUs deliver 1 - 0.2 = 0.8
    each: (150 - 96) / 0.8 = 67.5 GPUs must be allocated there, so 9 units (72 GPUs; 8 units
    give 0.8 * 64 = 51.2 < 54). 21 units in all; 20 cannot do (96 + 0.8 * 64 = 147.2 < 150).
    Other 21-unit splits need more remote GPUs: home 11 + remote 10 allocates
    (150 - 88) / 0.8 = 77.5 remote GPUs, home 10 + remote 11 allocates 87.5, so more links.
    DCI: 50 Gb/s * 67.5 allocated GPUs = 3_375 Gb/s -> ceil(3_375 / 400) = 9 links of 'zr'
    (the 'short' optic does not reach 60 km), installed in 2026 and carrying 2027 too.
    GPUs bought in 2026 (life 4) run both years, so nothing is bought in 2027.
    """
    sol = solved(span_instance())
    links = math.ceil(50 * (150 - 96) / 0.8 / 400)
    assert links == 9
    units = 12 + 9
    expected = {
        "blocks": 2 * BLOCK_CAPEX,  # one block at each site, 2026
        "deployments": units * UNIT_CAPEX,  # 21 * 80_000 = 1_680_000
        "energy": units * UNIT_YEAR_ENERGY * 2,  # 21 units, two years: 367_920
        "resale": -units * UNIT_CAPEX * res(2028 - 2026, 4),  # age 2: -840_000
        # route lit in 2026: fixed 20_000, 1_500 in 2026 and 2027, 9 links * 3_000
        "dci": 20_000 + 1_500 * 2 + links * 3_000,  # 50_000
        # blocks: res(2, 10) = 0.8; links: res(2028 - 2026, 5) = 0.6; the route has none
        "facility_salvage": -(2 * BLOCK_CAPEX * res(2, 10) + links * 3_000 * res(2, 5)),
    }
    assert expected["facility_salvage"] == pytest.approx(-176_200)
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(1_281_720, rel=1e-9)
    assert sol.costs_nominal_usd["dci"] == {
        2026: pytest.approx(20_000 + 1_500 + 9 * 3_000),
        2027: pytest.approx(1_500),
    }
    bought = sorted(sum(p.gpus for p in sol.purchases if p.site == s) for s in ("A", "B"))
    assert bought == [72, 96]
    assert {p.year for p in sol.purchases} == {2026}


def test_job_without_route_cannot_span():
    """Without the route, no single site reaches perf 150 (96 GPUs at most): infeasible
    (SPEC 8.10.4: a job no site can host makes the instance infeasible, not invalid)."""
    inst = span_instance()
    del inst["dci_routes"]
    sol = dcopt.solve(inst, mip_gap=1e-9)
    assert sol.status == "infeasible" and not sol.has_plan


# --------------------------------------------------------------------------- one GPU model per job


def one_model_instance(single_gpu_model: bool) -> dict:
    """Job perf 100 in one year at the one site. 'g': perf 1, 10_000 USD; 'b': perf 2, 18_000."""
    return instance(
        gpus=[gpu(), gpu(name="b", price_usd_per_gpu=18000, training_perf=2.0)],
        jobs=[{"name": "job", "perf": {"2026": 100}, "single_gpu_model": single_gpu_model}],
    )


def test_single_gpu_model_rule_binds():
    """The job must pick one model although a mix would be cheaper.

    Net of the resale at age 1 (res(1, 4) = 0.75) and with 8_760 USD of energy, a unit of
    'g' costs 0.25 * 80_000 + 8_760 = 28_760 for perf 8, a unit of 'b'
    0.25 * 8 * 18_000 + 8_760 = 44_760 for perf 16; a block costs 0.1 * 100_000 net.
    One model:  all 'b': 7 units (perf 112 >= 100; 6 give 96), 56 GPUs in one block:
                7 * 44_760 + 10_000 = 323_320.
                all 'g': 13 units (104 GPUs > 96: two blocks): 13 * 28_760 + 20_000 = 393_880.
    Mixed (not allowed here): 6 'b' + 1 'g' (perf 104, 56 GPUs, one block):
                6 * 44_760 + 28_760 + 10_000 = 307_320 < 323_320.
    """
    sol = solved(one_model_instance(True))
    expected = {
        "deployments": 7 * 8 * 18_000,  # 1_008_000
        "resale": -7 * 8 * 18_000 * res(1, 4),  # -756_000
        "energy": 7 * UNIT_YEAR_ENERGY,  # 61_320
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(1, 10),  # -90_000
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(323_320, rel=1e-9)
    assert {p.gpu for p in sol.purchases} == {"b"}
    assert sum(p.gpus for p in sol.purchases) == 56


def test_single_gpu_model_off_mixes():
    """The same job with single_gpu_model false takes the mix: 6 units of 'b' + 1 of 'g'
    (perf 96 + 8 = 104), 307_320 (see above; 5 'b' + 3 'g' costs 5 * 44_760 + 3 * 28_760
    + 10_000 = 320_080)."""
    sol = solved(one_model_instance(False))
    expected = {
        "deployments": 6 * 8 * 18_000 + UNIT_CAPEX,  # 944_000
        "resale": -(6 * 8 * 18_000 + UNIT_CAPEX) * res(1, 4),
        "energy": 7 * UNIT_YEAR_ENERGY,
        "blocks": BLOCK_CAPEX,
        "facility_salvage": -BLOCK_CAPEX * res(1, 10),
    }
    assert_items(sol, expected)
    assert sol.tco_usd == pytest.approx(307_320, rel=1e-9)


# --------------------------------------------------------------------------- properties


def test_more_dci_bandwidth_per_gpu_never_lowers_tco():
    """Raising dci_gbps_per_gpu only adds links: 0, 25, 50, 100, 200 Gb/s per remote GPU."""
    values = [tco(span_instance(dci_gbps_per_gpu=g)) for g in (0, 25, 50, 100, 200)]
    assert_non_decreasing(values, "dci_gbps_per_gpu")
    assert values[0] < values[-1]  # 0 links against ceil(200 * 67.5 / 400) = 34


def test_dearer_links_or_route_never_lower_tco():
    """Raising the link price or the route's fixed capex never lowers the TCO."""
    by_link = [tco(span_instance(link_usd=p)) for p in (1000, 3000, 9000)]
    assert_non_decreasing(by_link, "capex_usd_per_link")
    assert by_link[0] < by_link[-1]  # the job cannot avoid the links
    by_route = [tco(span_instance(route_fixed=c)) for c in (0, 20000, 200000)]
    assert_non_decreasing(by_route, "fixed_capex_usd")


def three_site_job(max_sites: int) -> dict:
    """Job perf 150 in one year. A and C hold one block (96 GPUs) each; B holds two (192) but
    costs 3_000_000 to open. Routes A-B, A-C, B-C of 60 km."""
    routes = [
        {"a": a, "b": b, "distance_km": 60, "fixed_capex_usd": 20000, "usd_per_year": 1500}
        for a, b in (("A", "B"), ("A", "C"), ("B", "C"))
    ]
    return instance(
        sites=[
            site("A", max_blocks=1),
            site("B", max_blocks=2, site_fixed_capex_usd=3_000_000),
            site("C", max_blocks=1),
        ],
        dci_optics=[ZR],
        dci_routes=routes,
        jobs=[
            {
                "name": "llm",
                "perf": {"2026": 150},
                "max_sites": max_sites,
                "dci_gbps_per_gpu": 50,
                "remote_loss_by_km": LOSS,
            }
        ],
    )


def test_max_sites_one_never_beats_three():
    """max_sites 1 <= 2 <= 3 only widens the choice: TCO(1) >= TCO(2) >= TCO(3).

    Here it binds: with one site only B can host the job (19 units), and B's opening net of
    salvage, 3_000_000 * (1 - res(1, 10)) = 300_000, exceeds everything spanning A and C adds
    (2 more units: 2 * (0.25 * 80_000 + 8_760) = 57_520; the route 21_500; 9 links
    9 * 3_000 * 0.2 = 5_400)."""
    values = [tco(three_site_job(k)) for k in (1, 2, 3)]
    assert_non_decreasing(values[::-1], "max_sites")  # TCO falls (weakly) as max_sites rises
    assert values[0] > values[2]
