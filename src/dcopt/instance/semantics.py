"""Small definitions of SPEC section 1 and 2 shared by the model data and the
independent plan costing: discounting, residual value, prices, PUE, designs.

They read an `Instance` and return plain numbers in the instance's own units
(USD, kW, MW); nothing here knows about Pyomo.
"""

from __future__ import annotations

import math

from .schema import Cooling, Density, Fabric, Gpu, Instance, Site

HOURS_PER_YEAR = 8760.0
MWH_PER_KW_YEAR = HOURS_PER_YEAR / 1000.0  # 8.76: a constant 1 kW for a year
TRAINING = "training"
"""Workload name of training demand; inference workloads are named by region."""


def discount(inst: Instance, year: int) -> float:
    """delta(y) = (1 + r)^-(y - start_year)."""
    return (1.0 + inst.finance.discount_rate) ** -(year - inst.horizon.start_year)


def residual(age: float, life: float) -> float:
    """Straight-line residual fraction res(a, L) = max(0, 1 - a / L)."""
    return max(0.0, 1.0 - age / life)


def gpu_price_usd(gpu: Gpu, year: int) -> float:
    """Price per GPU in `year` (SPEC 7.14)."""
    price = gpu.price_usd_per_gpu
    if isinstance(price, dict):
        return float(price[str(year)])
    return float(price) * (1.0 - gpu.decline_per_year) ** (year - gpu.first_year)


def net_kw_per_gpu(fabric: Fabric, gpu: Gpu) -> float:
    """Network power per GPU, kW."""
    return fabric.watts_per_gbps * gpu.nic_gbps / 1000.0


def net_capex_usd_per_gpu(fabric: Fabric, gpu: Gpu) -> float:
    return fabric.capex_usd_per_gbps * gpu.nic_gbps


def unit_kw(gpu: Gpu, fabric: Fabric) -> float:
    """Rated IT kW of one purchase unit on a fabric (SPEC 7.1)."""
    return gpu.unit_gpus * (gpu.system_kw_per_gpu + net_kw_per_gpu(fabric, gpu))


def unit_capex_usd(gpu: Gpu, fabric: Fabric, year: int) -> float:
    """Capex of one purchase unit bought in `year`."""
    return gpu.unit_gpus * (gpu_price_usd(gpu, year) + net_capex_usd_per_gpu(fabric, gpu))


def site_pue(site: Site, cooling: Cooling) -> float:
    overrides = site.pue_overrides or {}
    return float(overrides.get(cooling.name, cooling.pue))


def electricity_usd_per_mwh(site: Site, year: int) -> float:
    price = site.electricity_usd_per_mwh
    return float(price[str(year)]) if isinstance(price, dict) else float(price)


def block_capex_usd(site: Site, cooling: Cooling, density: Density) -> float:
    """Capex of one block of hall design (cooling, density) at a site."""
    return site.block_mw * (
        site.shell_capex_usd_per_mw
        + 1000.0 * cooling.capex_usd_per_kw
        + 1000.0 / density.rack_kw * density.capex_usd_per_rack
    )


def is_design(cooling: Cooling, density: Density) -> bool:
    return density.rack_kw <= cooling.max_rack_kw


def design_id(cooling: str, rack_kw: float) -> str:
    """Name of hall design (cooling, rack_kw), e.g. 'dlc/130'."""
    return f"{cooling}/{rack_kw:g}"


def fits(gpu: Gpu, cooling: Cooling, density: Density) -> bool:
    """A new purchase of `gpu` may go into halls of this design."""
    return density.rack_kw >= gpu.min_rack_kw and (cooling.liquid or not gpu.liquid_required)


def attaches(gpu: Gpu, fabric: Fabric) -> bool:
    return gpu.nic_gbps <= fabric.max_gbps_per_port


def demand_value(year_map: dict[str, float], year: int) -> float:
    """Demand in `year`; missing years are 0 (SPEC 7.13)."""
    return float(year_map.get(str(year), 0.0))


def max_blocks_under_grid(max_facility_mw: float, pue: float, block_mw: float) -> int:
    """Whole blocks of one design the grid limit allows, with a tolerance for
    decimal inputs such as 0.3 / (1.5 * 0.2)."""
    return math.floor(max_facility_mw / (pue * block_mw) + 1e-9)


def retire_deadline(inst: Instance, purchase_year: int, gpu: Gpu) -> int:
    """Y* = max(start_year, purchase_year + max_life_years) (SPEC 7.16)."""
    return max(inst.horizon.start_year, purchase_year + gpu.max_life_years)
