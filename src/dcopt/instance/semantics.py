"""Small definitions of SPEC section 1 and 2 shared by the model data and the
independent plan costing: discounting, residual value, prices, PUE, designs.

They read an `Instance` and return plain numbers in the instance's own units
(USD, kW, MW); nothing here knows about Pyomo.
"""

from __future__ import annotations

import math

from .schema import Cooling, Density, Fabric, Gpu, Instance, Port, Rental, Site

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


def port_option(fabric: Fabric, gpu: Gpu) -> Port | None:
    """The port a GPU uses on a fabric priced per port (SPEC 8.6): the slowest option at least
    as fast as its nic_gbps; above every option (an existing deployment, SPEC 8.10.13) the
    fastest. None for a fabric priced per Gb/s."""
    if fabric.ports is None:
        return None
    fast_enough = [p for p in fabric.ports if p.gbps >= gpu.nic_gbps]
    if fast_enough:
        return min(fast_enough, key=lambda p: p.gbps)
    return max(fabric.ports, key=lambda p: p.gbps)


def net_kw_per_gpu(fabric: Fabric, gpu: Gpu) -> float:
    """Network power per GPU, kW (SPEC 2.4, 8.6)."""
    port = port_option(fabric, gpu)
    if port is not None:
        return gpu.nic_ports * port.watts_per_port / 1000.0
    return fabric.watts_per_gbps * gpu.nic_gbps * gpu.nic_ports / 1000.0


def net_capex_usd_per_gpu(fabric: Fabric, gpu: Gpu) -> float:
    """Network capex per GPU (SPEC 2.4, 8.6)."""
    port = port_option(fabric, gpu)
    if port is not None:
        return gpu.nic_ports * port.capex_usd_per_port
    return fabric.capex_usd_per_gbps * gpu.nic_gbps * gpu.nic_ports


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


def cooling_fits(gpu: Gpu, cooling: Cooling) -> bool:
    """Its servers can use this cooling type (SPEC 2.1 liquid_required, 8.5 cooling)."""
    if gpu.liquid_required and not cooling.liquid:
        return False
    return gpu.cooling is None or cooling.name in gpu.cooling


def density_fits(gpu: Gpu, density: Density) -> bool:
    """Its servers can fill racks of this density (SPEC 2.1 min_rack_kw, 8.5 max_rack_kw)."""
    if density.rack_kw < gpu.min_rack_kw:
        return False
    return gpu.max_rack_kw is None or density.rack_kw <= gpu.max_rack_kw


def fits(gpu: Gpu, cooling: Cooling, density: Density) -> bool:
    """A new purchase of `gpu` may go into halls of this design."""
    return cooling_fits(gpu, cooling) and density_fits(gpu, density)


def attaches(gpu: Gpu, fabric: Fabric) -> bool:
    """A new purchase of `gpu` may attach to `fabric` (SPEC 2.4, 8.6)."""
    if gpu.nic_gbps > fabric.max_gbps_per_port:
        return False
    return fabric.ports is None or any(p.gbps >= gpu.nic_gbps for p in fabric.ports)


def technology_year(cooling: Cooling, density: Density) -> int | None:
    """First year a hall of this design can be commissioned (SPEC 8.5), None: always."""
    years = [y for y in (cooling.first_year, density.first_year) if y is not None]
    return max(years) if years else None


def surviving(gpu: Gpu, age: int) -> float:
    """Surviving fraction of a unit of age `age` (SPEC 8.2, 8.10.15: 1 in its purchase year)."""
    return (1.0 - gpu.annual_failure_rate) ** max(age, 0)


def maintenance_factor(gpu: Gpu, age: int) -> float:
    """Maintenance of a unit of age `age`, as a fraction of its capex (SPEC 5, 8.2)."""
    return gpu.maintenance_frac_per_year * (1.0 + gpu.maintenance_growth_per_year) ** max(age, 0)


def gpu_credit_usd(gpu: Gpu, fabric: Fabric, capex_per_gpu: float, year: int, age: float) -> float:
    """What one GPU brings back when sold in `year` at age `age` (SPEC 5, 8.2): the market price
    plus the network's book value when the model has a market map, else the book value of
    `capex_per_gpu` (GPU price and network), less the resale fee."""
    if gpu.resale_usd_per_gpu is not None:
        value = float(gpu.resale_usd_per_gpu[str(year)]) + net_capex_usd_per_gpu(fabric, gpu) * residual(
            age, gpu.depreciation_years)
    else:
        value = capex_per_gpu * residual(age, gpu.depreciation_years)
    return (1.0 - gpu.resale_fee_frac) * value


def remote_loss(loss_by_km: list[list[float]], distance_km: float) -> float | None:
    """Throughput lost by a remote GPU at `distance_km` (SPEC 8.1, 8.10.17), None: out of reach."""
    for max_km, loss in loss_by_km:
        if distance_km <= max_km:
            return float(loss)
    return None


def year_value(value: float | dict[str, float] | None, year: int) -> float | None:
    """A number or a year map at `year`; None when absent (a map missing the year, or no value)."""
    if value is None:
        return None
    if isinstance(value, dict):
        got = value.get(str(year))
        return None if got is None else float(got)
    return float(value)


def delivered_per_gpu(gpu: Gpu, fabric: Fabric, workload: str) -> float:
    """Throughput one owned GPU on a fabric delivers to pooled training or to an inference
    region (SPEC 4)."""
    if workload == TRAINING:
        return gpu.training_perf * fabric.training_efficiency * fabric.availability
    return gpu.inference_perf * fabric.availability


def rental_delivered_per_gpu(gpu: Gpu, rental: Rental, workload: str) -> float:
    """Throughput one rented GPU delivers to pooled training or to an inference region (SPEC 8.7)."""
    if workload == TRAINING:
        return gpu.training_perf * rental.training_efficiency * rental.availability
    return gpu.inference_perf * rental.availability


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
