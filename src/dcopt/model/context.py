"""What every component reads while preparing its data: the instance, looked up once.

`Context` holds the horizon, the discount factors, the catalog by name and
the prices and demands of one scenario case (SPEC 8.8: scales apply from the
reveal year on; without scenarios the case is the instance itself). Unit
conversion (USD -> M$, kW -> MW) happens where the model's coefficients are
made, never in the components' formulas, which are in the instance's units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..instance import semantics as sem
from ..instance.schema import Cooling, Density, Fabric, Gpu, Instance, ScenarioCase, Site

USD_PER_MUSD = 1e6
KW_PER_MW = 1000.0


@dataclass(frozen=True)
class Elastic:
    """Penalised slack on business constraints, for `--allow-unmet` and for
    explaining infeasibility (the SPEC itself has none: the default is `None`).

    `unmet_penalty_musd_per_perf`: demand may go unmet at this price per unit
    of throughput per year (discounted like any cash flow of that year).
    `limits`: grid MW, floor blocks, the budget, supply caps and DCI capacity
    may be exceeded, at a penalty per MW, block, M$, GPU or Gb/s. `relax`:
    structural rules that may be broken at a penalty per MW-year (builds and
    purchases before power_available_year, purchases outside a GPU's sale
    years, GPUs on a fabric slower than their port). `tco_weight` scales the
    SPEC costs in the objective (small in a diagnosis, where the penalties
    are the point).
    """

    unmet_penalty_musd_per_perf: float | None = None
    limits: bool = False
    relax: frozenset[str] = frozenset()
    tco_weight: float = 1.0


RELAXABLE_RULES: tuple[str, ...] = ("power_year", "sale_years", "port_speed")
BUDGET_EXCESS_WEIGHT_PER_MUSD = 0.05
"""Elastic penalty of 1 M$ over budget, against 1 per MW over a grid limit (about 20 M$ of capex)."""


def _scale(value: float | dict[str, float], name: str) -> float:
    return float(value.get(name, 1.0)) if isinstance(value, dict) else float(value)


@dataclass(frozen=True)
class Case:
    """One scenario case's scales (SPEC 8.8), applied in the years from `reveal_year` on."""

    name: str = ""
    probability: float = 1.0
    reveal_year: int | None = None
    spec: ScenarioCase | None = None

    def applies(self, year: int) -> bool:
        return self.spec is not None and self.reveal_year is not None and year >= self.reveal_year

    def training(self, year: int) -> float:
        return self.spec.training_scale if self.applies(year) else 1.0

    def job(self, job: str, year: int) -> float:
        return _scale(self.spec.job_scale, job) if self.applies(year) else 1.0

    def inference(self, region: str, year: int) -> float:
        return _scale(self.spec.inference_scale, region) if self.applies(year) else 1.0

    def electricity(self, year: int) -> float:
        return self.spec.electricity_scale if self.applies(year) else 1.0

    def gpu_price(self, gpu: str, year: int) -> float:
        return _scale(self.spec.gpu_price_scale, gpu) if self.applies(year) else 1.0


def cases_of(inst: Instance) -> list[Case]:
    """The scenario cases of an instance; one neutral case without scenarios."""
    sc = inst.scenarios
    if sc is None:
        return [Case()]
    return [Case(c.name, c.probability, sc.reveal_year, c) for c in sc.cases]


@dataclass
class Context:
    """The instance, looked up once, under one scenario case."""

    inst: Instance
    elastic: Elastic | None = None
    case: Case = field(default_factory=Case)

    def __post_init__(self) -> None:
        inst = self.inst
        cat = inst.catalog
        self.years: list[int] = inst.years
        self.y0, self.y_end = self.years[0], self.years[-1]
        self.salvage_year = self.y_end + 1
        self.all_years = [*self.years, self.salvage_year]
        self.disc = {y: sem.discount(inst, y) for y in self.all_years}
        self.disc_vec = np.array([self.disc[y] for y in self.all_years])
        self.gpus: dict[str, Gpu] = {g.name: g for g in cat.gpus}
        self.fabrics: dict[str, Fabric] = {f.name: f for f in cat.fabrics}
        self.coolings: dict[str, Cooling] = {k.name: k for k in cat.cooling}
        self.densities: dict[float, Density] = {d.rack_kw: d for d in cat.densities}
        self.sites: dict[str, Site] = {s.name: s for s in inst.sites}
        self.site_names: list[str] = [s.name for s in inst.sites]
        self.lives: list[int] = sorted(set(inst.options.life_choices_years))
        self.regions: list[str] = [d.region for d in inst.demand.inference]
        self.relax: frozenset[str] = self.elastic.relax if self.elastic is not None else frozenset()

    @property
    def limits(self) -> bool:
        """Business limits carry penalised excess (an elastic diagnosis)."""
        return self.elastic is not None and self.elastic.limits

    @cached_property
    def max_pue(self) -> float:
        """The highest PUE of any cooling type at any site."""
        return max([k.pue for k in self.coolings.values()]
                   + [v for s in self.inst.sites for v in (s.pue_overrides or {}).values()])

    @cached_property
    def facility_years_left(self) -> dict[int, float]:
        """Discounted years from y to end_year (recurring costs of something built in y)."""
        return {y: sum(self.disc[t] for t in self.years if t >= y) for y in self.years}

    # ------------------------------------------------------------------ prices of this case

    def gpu_price_usd(self, g: Gpu, year: int) -> float:
        """Purchase price per GPU in `year` (SPEC 7.14, 8.8); outside a year map's years (an
        elastic model, or a plan breaking the sale years) the nearest listed year's."""
        price = g.price_usd_per_gpu
        if isinstance(price, dict) and str(year) not in price:
            near = min((int(k) for k in price), key=lambda k: (abs(k - year), k))
            base = float(price[str(near)])
        else:
            base = sem.gpu_price_usd(g, year)
        return base * self.case.gpu_price(g.name, year)

    def unit_capex_usd(self, g: Gpu, f: Fabric, year: int) -> float:
        """Capex of one purchase unit bought in `year`."""
        return g.unit_gpus * (self.gpu_price_usd(g, year) + sem.net_capex_usd_per_gpu(f, g))

    def electricity_usd_per_mwh(self, site: Site, year: int) -> float:
        return sem.electricity_usd_per_mwh(site, year) * self.case.electricity(year)

    def electricity_vector(self, site_name: str) -> np.ndarray:
        """The site's grid price of every horizon year, USD per MWh."""
        cache = self.__dict__.setdefault("_elec", {})
        if site_name not in cache:
            site = self.sites[site_name]
            cache[site_name] = np.array([self.electricity_usd_per_mwh(site, y) for y in self.years])
        return cache[site_name]

    # ------------------------------------------------------------------ demand of this case

    def training_demand(self, year: int) -> float:
        return sem.demand_value(self.inst.demand.training, year) * self.case.training(year)

    def inference_demand(self, region: str, perf: dict[str, float], year: int) -> float:
        return sem.demand_value(perf, year) * self.case.inference(region, year)

    def job_demand(self, job: str, perf: dict[str, float], year: int) -> float:
        return sem.demand_value(perf, year) * self.case.job(job, year)
