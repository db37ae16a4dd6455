"""The instance format of SPEC section 2, as frozen pydantic models.

This module is the single place where fields, units and defaults are written
down: `dcopt schema` prints the JSON Schema generated from it and
`docs/instance-format.md` is generated from it (`python -m dcopt.docgen`).

Conventions:

* every model forbids unknown keys (a typo must not be ignored) and is frozen;
* an explicit JSON ``null`` in an optional field means its default (SPEC 7.11);
* year maps are JSON objects with string keys (``{"2026": 1.5}``);
* shape and range checks live here; checks that need several parts of the
  instance (names that must exist, year maps that must cover the horizon)
  live in :mod:`dcopt.instance.checks`;
* every number has a `Range`: physically generous, and within what the model
  (money in M$, power in MW) and HiGHS represent accurately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# --------------------------------------------------------------------------- ranges


def number_text(x: float) -> str:
    """A bound or value as a message shows it: 0.1, 10000, 1e7, 1e-9."""
    text = f"{x:g}"
    if "e" not in text and abs(x) >= 1e5 and text.lstrip("-").rstrip("0") == "1":
        text = f"{x:.0e}"  # 100000 -> 1e5, like 1e7
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


@dataclass(frozen=True)
class Range:
    """The values a number may take. Every number of the instance has one: it is
    checked on load (the message states the whole range), shown in the JSON Schema
    and in docs/instance-format.md. Each range is physically generous (well beyond
    any real datacenter) and keeps the model's coefficients, in M$ and MW, in what
    HiGHS represents accurately."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    zero: bool = False  # 0 is allowed besides lo..hi

    def contains(self, x: float) -> bool:
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return (above and below) or (self.zero and x == 0)

    def text(self) -> str:
        """'>= 0 and <= 1e7', as in messages."""
        return (f"{'0, or ' if self.zero else ''}{'>' if self.lo_open else '>='} {number_text(self.lo)} and "
                f"{'<' if self.hi_open else '<='} {number_text(self.hi)}")

    def interval(self) -> str:
        """'[0, 1e7]', as in the docs."""
        return (f"{'0 or ' if self.zero else ''}{'(' if self.lo_open else '['}{number_text(self.lo)}, "
                f"{number_text(self.hi)}{')' if self.hi_open else ']'}")

    def json_schema(self) -> dict[str, Any]:
        bounds = {"exclusiveMinimum" if self.lo_open else "minimum": self.lo,
                  "exclusiveMaximum" if self.hi_open else "maximum": self.hi}
        return {"anyOf": [{"const": 0}, bounds]} if self.zero else bounds

    def check(self, x: float) -> float:
        if not self.contains(x):
            raise PydanticCustomError("out_of_range", "must be {range}", {"range": self.text()})
        return x


def number(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, zero: bool = False) -> Any:
    """A finite number in a `Range` (or 0, with `zero`)."""
    r = Range(float(lo), float(hi), lo_open, hi_open, zero)
    return Annotated[float, Field(allow_inf_nan=False, json_schema_extra=r.json_schema()),
                     AfterValidator(r.check), r]


def integer(lo: int, hi: int) -> Any:
    """A whole number in a `Range`."""
    r = Range(lo, hi)
    return Annotated[int, Field(json_schema_extra=r.json_schema()), AfterValidator(r.check), r]


def ranges_in(tp: Any) -> list[Range]:
    """The `Range`s in a type (its Annotated metadata, union members, list and map values)."""
    found: list[Range] = []
    stack = [tp]
    while stack:
        t = stack.pop()
        if isinstance(t, Range):
            found.append(t)
        elif hasattr(t, "__metadata__") or getattr(t, "__args__", None):
            stack.extend(getattr(t, "__metadata__", ()))
            stack.extend(getattr(t, "__args__", ()))
    return found


def field_range(model: type[BaseModel], name: str) -> Range | None:
    """The range of a number field of `model` (of its values, for a list or a map)."""
    field = model.model_fields[name]
    found = ranges_in(field.annotation) + [m for m in field.metadata if isinstance(m, Range)]
    return found[0] if found else None


@dataclass(frozen=True)
class MapOf:
    """Marks a JSON object field as a map from `key` (e.g. 'year', 'cooling name') to values."""

    key: str


def year_map(value: Any) -> Any:
    """A map from year (a string, as JSON requires) to `value`."""
    return Annotated[dict[str, value], MapOf("year")]


# Years and durations
YEAR_RANGE = Range(1900, 2200)
Year = integer(1900, 2200)
"""A calendar year (also the keys of year maps). Earlier or later years are typos (or a
year like -1e30), and would make discount factors overflow."""
MAX_HORIZON_YEARS = 50
LifeYears = integer(1, 30)
"""A GPU's service life, whole years."""
DepreciationYears = number(1, 30)
FacilityLifeYears = number(1, 100)

# Money, USD
UsdPerGpu = number(0, 1e7)
"""GPU prices: 10 M$ per GPU is 100 times any accelerator's price."""
UsdOneTime = number(0, 1e11)
"""One-time capex of a site or a fabric at a site: up to 100 G$."""
UsdBudget = number(0, 1e13)
UsdPerMw = number(0, 1e9)
UsdPerMwYear = number(0, 1e7)
UsdPerMwh = number(0, 1e4)
"""Electricity: 10 USD/kWh as a yearly average is 25 times the dearest grid."""
UsdPerT = number(0, 1e4)
UsdPerKw = number(0, 1e5)
UsdPerRack = number(0, 1e7)
UsdPerGbps = number(0, 1e3)

# Power, bandwidth, carbon
FacilityMw = number(0, 1e5)
"""Grid limit of a site: 100 GW is twenty times the largest campus announced."""
BlockMw = number(0.01, 1e4)
"""A block from one 10 kW rack to 10 GW."""
KwPerGpu = number(0.01, 100)
RackKw = number(0.1, 1e4)
MinRackKw = number(0, 1e4)
Gbps = number(0, 1e5)
WattsPerGbps = number(0, 10)
KgCo2PerMwh = number(0, 2000)
"""Grid carbon intensity: lignite emits about 1,100 kg CO2 per MWh."""
Pue = number(1, 5)
"""PUE is facility power over IT power: at least 1 by definition (heat reuse is not
modelled); 5 is twice the least efficient datacenter's."""

# Throughput (in the instance's own unit) and fractions
Perf = number(0, 1e6)
"""Throughput per GPU: in H100-equivalents about 1; the unit is yours, as long as a GPU
delivers at most 1e6 of it."""
DemandValue = number(1e-3, 1e12, zero=True)
"""Throughput required in a year, in the unit of `Perf`: 0, or from 0.001 (less is within
the solver's tolerances: HiGHS took 1e-7 as met by nothing) up to 1e12 (the model carries
demand as a coefficient, and HiGHS rejects 1e15)."""
Fraction = number(0, 1)
Efficiency = number(0, 2)
DiscountRate = number(-0.1, 1)
LoadFactor = number(0, 1, lo_open=True)
Decline = number(0, 1, hi_open=True)

PriceMap = year_map(UsdPerGpu)
ElectricityMap = year_map(UsdPerMwh)
DemandMap = year_map(DemandValue)
PueMap = Annotated[dict[str, Pue], MapOf("cooling name")]

# Counts
UnitGpus = integer(1, 10_000)
BlockCount = integer(0, 1_000_000)
GpuCount = integer(0, 100_000_000)

# Section 8
GpusPerYear = number(0, 1e9)
"""A number of GPUs (a supply cap, a fabric's size, a rental's cap): up to a billion."""
GpuCapMap = year_map(GpusPerYear)
FailureRate = number(0, 1, hi_open=True)
Growth = number(-0.5, 1)
"""Yearly growth of maintenance with age: from -50 % to doubling every year."""
ScaleUp = integer(1, 100_000)
NicPorts = integer(1, 64)
LeadYears = integer(0, 20)
MaxSites = integer(1, 1000)
UsdPerPort = number(0, 1e6)
WattsPerPort = number(0, 1e4)
Km = number(0, 1e5)
"""A fibre distance: 100,000 km is twice around the earth."""
UsdPerLink = number(0, 1e8)
UsdPerYear = number(0, 1e10)
UsdUpgrade = number(0, 1e11)
UsdPerGpuHour = number(0, 1e3)
UsdPerKwMonth = number(0, 1e4)
CapacityFactor = number(0, 1, lo_open=True)
Probability = number(0, 1, lo_open=True)
Scale = number(0, 100)
"""A scenario's multiplier on demand or prices: 0 (none) to a hundredfold."""
ResaleMap = year_map(UsdPerGpu)
RentalPriceMap = year_map(UsdPerGpuHour)

Name = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    """Base of every instance model: unknown keys are errors, values frozen,
    and an explicit ``null`` in a field that has a default means the default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fields = cls.model_fields
            return {
                k: v
                for k, v in data.items()
                if not (v is None and k in fields and not fields[k].is_required())
            }
        return data


def _check_year_keys(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if isinstance(value, dict):
        for key in value:
            if not (key.isascii() and key.isdigit() and len(key) == 4):
                raise ValueError(
                    f"year key {key!r} is not a four-digit year; write years as strings like \"2027\""
                )
            if not YEAR_RANGE.contains(int(key)):
                raise ValueError(f"year key {key!r} is outside {YEAR_RANGE.lo:g}..{YEAR_RANGE.hi:g}; "
                                 "write calendar years like \"2027\"")
    return value


def _not_before(value: int, info: ValidationInfo, first: str, last: str) -> None:
    """Raise if `value` (field `last`) is before the already validated field `first`."""
    start = info.data.get(first)
    if start is not None and value < start:
        raise ValueError(f"{first} {start} is after {last} {value}; make {last} >= {first} (swap them)")


# --------------------------------------------------------------------------- horizon, finance, options


class Horizon(Strict):
    """Planning horizon: one period per calendar year, both ends inclusive."""

    start_year: Year = Field(description="First planning year.")
    end_year: Year = Field(
        description=f"Last planning year (inclusive); the horizon is at most {MAX_HORIZON_YEARS} years."
    )

    @field_validator("end_year")
    @classmethod
    def _ordered(cls, end_year: int, info: ValidationInfo) -> int:
        _not_before(end_year, info, "start_year", "end_year")
        start = info.data.get("start_year")
        if start is not None and end_year - start + 1 > MAX_HORIZON_YEARS:
            raise ValueError(
                f"the horizon {start}-{end_year} has {end_year - start + 1} years, more than "
                f"{MAX_HORIZON_YEARS}; plan at most {MAX_HORIZON_YEARS} years (GPUs live a few years "
                "and facilities a few decades: later years change no decision)"
            )
        return end_year

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))


class Finance(Strict):
    """Money: discounting, carbon price, facility life and the capex budget."""

    discount_rate: DiscountRate = Field(
        description="Yearly discount rate r; cash flows of year y are multiplied by (1+r)^-(y-start_year). "
        "Negative rates down to -10 % are allowed (a real rate below inflation); nearer -1 the "
        "discount factor of later years explodes (r = -0.99 makes each year 100 times the one "
        "before), which no planner means.",
    )
    carbon_price_usd_per_t: UsdPerT = Field(0, description="Carbon price, USD per t CO2.")
    facility_life_years: FacilityLifeYears = Field(
        20, description="Straight-line life of facility capex (opening, fabric fixed, blocks) for salvage."
    )
    facility_maintenance_frac_per_year: Fraction = Field(
        0, description="Yearly facility maintenance, fraction of the capex of built blocks."
    )
    annual_capex_budget_usd: UsdBudget | None = Field(
        None, description="Cap on the gross (undiscounted) capex of each year; none when absent."
    )


class Options(Strict):
    """Modelling options of the instance."""

    life_choices_years: list[LifeYears] = Field(
        default_factory=lambda: [3, 4, 5, 6],
        min_length=1,
        description="Service lives (years) a purchase may be given.",
    )
    load_factor: LoadFactor = Field(
        0.8, description="Average fraction of rated IT power drawn, for energy. Above 0: GPUs that "
        "serve demand draw power (to leave energy out of a study, set the electricity prices and the "
        "carbon price to 0)."
    )


# --------------------------------------------------------------------------- catalog


class Gpu(Strict):
    """A GPU model that can be bought (SPEC 2.1)."""

    name: Name = Field(description="Unique id.")
    first_year: Year = Field(description="First year it can be bought.")
    last_year: Year = Field(description="Last year it can be bought (inclusive).")
    price_usd_per_gpu: UsdPerGpu | PriceMap = Field(
        description="Price in first_year (a number, declining by price_decline_per_year) or a year map "
        "holding every purchasable year inside the horizon."
    )
    price_decline_per_year: Decline | None = Field(
        None,
        description="With a number price: price(y) = price * (1 - decline)^(y - first_year). "
        "Not allowed with a year-map price (give a year map for a price that rises). Default 0.",
    )
    system_kw_per_gpu: KwPerGpu = Field(description="IT power per GPU, host share included, kW.")
    training_perf: Perf = Field(description="Effective training throughput per GPU.")
    inference_perf: Perf = Field(description="Inference throughput per GPU.")
    unit_gpus: UnitGpus = Field(8, description="GPUs per purchase unit.")
    min_rack_kw: MinRackKw = Field(0, description="Smallest rack density (kW) that can host it.")
    liquid_required: StrictBool = Field(False, description="Needs a liquid cooling type.")
    nic_gbps: Gbps = Field(400, description="Scale-out bandwidth per GPU, Gb/s.")
    max_life_years: LifeYears = Field(6, description="Longest service life, years.")
    depreciation_years: DepreciationYears = Field(
        6, description="Straight-line life L of its resale value, years."
    )
    maintenance_frac_per_year: Fraction = Field(
        0, description="Yearly maintenance, fraction of the deployment's capex."
    )
    scale_up_gpus: ScaleUp | None = Field(
        None, description="GPUs in one scale-up (NVLink) domain: 8 for an HGX server, 72 for an NVL72 "
        "rack (SPEC 8.1). Default: unit_gpus."
    )
    resale_usd_per_gpu: ResaleMap | None = Field(
        None, description="What a used GPU of this model fetches when sold in a calendar year, whatever "
        "its age; must cover every year from start_year to end_year + 1 (SPEC 8.2). Default: book value."
    )
    resale_fee_frac: FailureRate = Field(
        0, description="Share of every GPU sale's proceeds lost to de-installation, transport, data "
        "wiping and the broker (SPEC 8.2)."
    )
    annual_failure_rate: FailureRate = Field(
        0, description="Fraction of a unit's working GPUs that fail each year, not replaced; only "
        "surviving GPUs serve demand (SPEC 8.2)."
    )
    maintenance_growth_per_year: Growth = Field(
        0, description="Yearly growth of maintenance with age: maintenance of age a is "
        "maintenance_frac_per_year * (1 + growth)^a of the capex (SPEC 8.2)."
    )
    max_gpus_per_year: GpusPerYear | GpuCapMap | None = Field(
        None, description="Supply cap: GPUs of this model bought in a year, all sites together; a number "
        "or a year map (missing years: no cap) (SPEC 8.3). Default: none."
    )
    min_order_gpus: GpuCount | None = Field(
        None, description="A purchase order (GPUs of this model bought at one site in one year) is 0 or "
        "at least this many GPUs (SPEC 8.3). Default: none."
    )
    cooling: list[Name] | None = Field(
        None, description="Cooling types its servers can use (SPEC 8.5). Default: all (the liquid ones "
        "if liquid_required)."
    )
    max_rack_kw: RackKw | None = Field(
        None, description="Densest rack its servers can fill, kW (SPEC 8.5). Default: none."
    )
    nic_ports: NicPorts = Field(
        1, description="Scale-out ports per GPU; nic_gbps is the speed of each (SPEC 8.6)."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )

    _years = field_validator("price_usd_per_gpu", "resale_usd_per_gpu", "max_gpus_per_year")(_check_year_keys)

    @field_validator("last_year")
    @classmethod
    def _ordered(cls, last_year: int, info: ValidationInfo) -> int:
        _not_before(last_year, info, "first_year", "last_year")
        return last_year

    @field_validator("price_decline_per_year")
    @classmethod
    def _decline_needs_number(cls, decline: float | None, info: ValidationInfo) -> float | None:
        if decline is not None and isinstance(info.data.get("price_usd_per_gpu"), dict):
            raise ValueError(
                "not allowed with a year map price_usd_per_gpu; drop price_decline_per_year "
                "(a year map already states every year's price), or give the price as one number"
            )
        return decline

    @property
    def decline_per_year(self) -> float:
        return self.price_decline_per_year or 0.0

    @property
    def scale_up(self) -> int:
        return self.scale_up_gpus if self.scale_up_gpus is not None else self.unit_gpus


class Cooling(Strict):
    """A cooling type (SPEC 2.2)."""

    name: Name = Field(description="Unique id, e.g. air, rdhx, dlc, immersion.")
    liquid: StrictBool = Field(description="Counts as liquid cooling.")
    max_rack_kw: RackKw = Field(description="Densest rack it can cool, kW.")
    capex_usd_per_kw: UsdPerKw = Field(description="Cooling plant capex per kW of IT capacity.")
    pue: Pue = Field(
        description="Power usage effectiveness (facility power / IT power): at least 1 by definition "
        "(heat reuse is not modelled)."
    )
    first_year: Year | None = Field(
        None, description="First year a hall with this cooling can be commissioned (SPEC 8.5). Default: none."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Density(Strict):
    """A rack density (SPEC 2.3)."""

    rack_kw: RackKw = Field(description="IT kW per rack (unique).")
    capex_usd_per_rack: UsdPerRack = Field(description="Rack, PDUs, busway and containment, USD.")
    first_year: Year | None = Field(
        None, description="First year a hall with this density can be commissioned (SPEC 8.5). Default: none."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Port(Strict):
    """A port option of a fabric (SPEC 8.6): a GPU uses the slowest port at least as fast as its nic_gbps."""

    gbps: Gbps = Field(description="Port speed, Gb/s (unique within the fabric).")
    capex_usd_per_port: UsdPerPort = Field(description="Capex per GPU port (switch share, optics, cables), USD.")
    watts_per_port: WattsPerPort = Field(description="Network power per GPU port, W.")


class Fabric(Strict):
    """A scale-out network fabric (SPEC 2.4, 8.6)."""

    name: Name = Field(description="Unique id, e.g. infiniband, ethernet, cpo_ethernet.")
    max_gbps_per_port: Gbps | None = Field(
        None, description="Fastest GPU port it serves, Gb/s. Required without ports; with ports, "
        "default: the fastest port's gbps."
    )
    capex_usd_per_gbps: UsdPerGbps | None = Field(
        None, description="Network capex per Gb/s of a GPU's ports: capex per GPU = capex_usd_per_gbps * "
        "nic_gbps * nic_ports (switch share, optics, cables). Required without ports; not allowed with them."
    )
    watts_per_gbps: WattsPerGbps | None = Field(
        None, description="Network power per Gb/s of a GPU's ports, W. Required without ports; not "
        "allowed with them."
    )
    ports: list[Port] | None = Field(
        None, description="Port options priced per port (SPEC 8.6); replaces capex_usd_per_gbps and "
        "watts_per_gbps. Default: none."
    )
    site_fixed_capex_usd: UsdOneTime = Field(
        0, description="One-time cost of bringing this fabric to a site (spine/core, management)."
    )
    training_efficiency: Efficiency = Field(
        1, description="Multiplier on training throughput; above 1 only when the fabric beats the one "
        "the GPUs' training_perf was measured on."
    )
    availability: Fraction = Field(1, description="Fraction of time its GPUs are usable.")
    max_gpus_per_site: GpusPerYear | None = Field(
        None, description="Most GPUs installed on this fabric at one site in a year, existing and failed "
        "ones included (fat-tree size) (SPEC 8.6). Default: none."
    )
    maintenance_usd_per_gpu_year: UsdPerGpu = Field(
        0, description="Optics and switch repairs per installed GPU on this fabric per year (SPEC 8.6)."
    )
    first_year: Year | None = Field(
        None, description="First year GPUs can be bought onto it (SPEC 8.6). Default: none."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )

    @model_validator(mode="after")
    def _pricing(self) -> Fabric:
        per_gbps = [f for f in ("capex_usd_per_gbps", "watts_per_gbps") if getattr(self, f) is not None]
        if self.ports is not None:
            if per_gbps:
                raise ValueError(f"{' and '.join(per_gbps)} not allowed together with ports; price the "
                                 "fabric either per port (ports) or per Gb/s, not both")
            if not self.ports:
                raise ValueError("ports is empty; give at least one port option {gbps, "
                                 "capex_usd_per_port, watts_per_port}, or price per Gb/s instead")
            if self.max_gbps_per_port is None:
                object.__setattr__(self, "max_gbps_per_port", max(p.gbps for p in self.ports))
        else:
            missing = [f for f in ("max_gbps_per_port", "capex_usd_per_gbps", "watts_per_gbps")
                       if getattr(self, f) is None]
            if missing:
                raise ValueError(f"{', '.join(missing)} missing; give max_gbps_per_port, "
                                 "capex_usd_per_gbps and watts_per_gbps, or port options (ports)")
        return self


class DciOptic(Strict):
    """A coherent pluggable for data-centre interconnect links (400ZR, 800ZR, ZR+) (SPEC 8.1)."""

    name: Name = Field(description="Unique id.")
    gbps: Gbps = Field(description="Capacity of one link (one wavelength, a module at each end), Gb/s.")
    max_km: Km = Field(description="Longest route it reaches, km.")
    capex_usd_per_link: UsdPerLink = Field(description="Both modules and the line-system port share, USD.")
    first_year: Year | None = Field(None, description="First year it can be installed. Default: none.")
    life_years: FacilityLifeYears = Field(5, description="Straight-line life of a link's capex, for salvage.")
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Catalog(Strict):
    """Equipment catalog: GPUs, cooling types, rack densities and fabrics."""

    description: str = Field("", description="Free text (what the catalog is, when it was compiled).")
    sources: Annotated[dict[str, str], MapOf("source key")] = Field(
        default_factory=dict,
        description="Source notes: a key (e.g. a reference id) to the citation. Not used by the model.",
    )
    gpus: list[Gpu] = Field(min_length=1, description="GPU models.")
    cooling: list[Cooling] = Field(min_length=1, description="Cooling types.")
    densities: list[Density] = Field(min_length=1, description="Rack densities.")
    fabrics: list[Fabric] = Field(min_length=1, description="Scale-out fabrics.")
    dci_optics: list[DciOptic] = Field(
        default_factory=list, description="Optics for links on data-centre interconnect routes (SPEC 8.1)."
    )


# --------------------------------------------------------------------------- sites, demand, existing


class GridUpgrade(Strict):
    """More grid MW at a site from a year on, at a capex (SPEC 8.3)."""

    name: Name = Field(description="Unique within the site.")
    mw: FacilityMw = Field(description="Grid MW added to max_facility_mw.")
    capex_usd: UsdUpgrade = Field(description="Capex, paid in the year it is taken.")
    first_year: Year | None = Field(None, description="First year it can be taken. Default: start_year.")


class OnsitePower(Strict):
    """An on-site generation option (gas turbines, engines, fuel cells) (SPEC 8.4)."""

    name: Name = Field(description="Unique within the site.")
    max_mw: FacilityMw = Field(description="Most MW that can be built.")
    capex_usd_per_mw: UsdPerMw = Field(description="Capex per MW built.")
    fixed_opex_usd_per_mw_year: UsdPerMwYear = Field(0, description="Fixed opex per MW built, per year.")
    fuel_usd_per_mwh: UsdPerMwh = Field(description="Fuel and variable O&M per MWh generated.")
    carbon_kg_per_mwh: KgCo2PerMwh = Field(0, description="Carbon intensity of its energy, kg CO2 per MWh.")
    capacity_factor: CapacityFactor = Field(
        1, description="Most energy per MW built: 8760 * capacity_factor MWh a year."
    )
    first_year: Year | None = Field(None, description="First year it can be built. Default: start_year.")


class Site(Strict):
    """A candidate site (SPEC 2.5, 8.3, 8.4, 8.7)."""

    name: Name = Field(description="Unique id.")
    region: Name = Field(description="Where it is.")
    serves_regions: list[Name] | None = Field(
        None,
        description="Inference regions it can serve within latency; taken literally when given. "
        "Default: [region].",
    )
    max_facility_mw: FacilityMw = Field(description="Grid limit on facility power (IT x PUE), MW.")
    power_available_year: Year | None = Field(
        None, description="First year any capacity can be commissioned. Default: start_year."
    )
    block_mw: BlockMw = Field(description="IT capacity of one buildable block (hall, container), MW.")
    max_blocks: BlockCount | None = Field(
        None, description="Floor-space limit on blocks (existing included). Default: none."
    )
    site_fixed_capex_usd: UsdOneTime = Field(
        0, description="One-time cost of opening the site (land, substation)."
    )
    shell_capex_usd_per_mw: UsdPerMw = Field(
        description="Building and electrical capex per MW of IT."
    )
    fixed_opex_usd_per_mw_year: UsdPerMwYear = Field(
        0, description="Staff, security, insurance per built MW of IT per year."
    )
    electricity_usd_per_mwh: UsdPerMwh | ElectricityMap = Field(
        description="Electricity price: a number or a year map covering the horizon."
    )
    carbon_kg_per_mwh: KgCo2PerMwh = Field(0, description="Grid carbon intensity, kg CO2 per MWh.")
    allowed_cooling: list[Name] | None = Field(
        None, description="Cooling names allowed here (builds and purchases). Default: all."
    )
    pue_overrides: PueMap | None = Field(
        None, description="{cooling name: pue} for this climate. Default: none."
    )
    build_lead_time_years: LeadYears = Field(
        0, description="A block commissioned in year y is decided and paid in y - lead (SPEC 8.3)."
    )
    grid_upgrades: list[GridUpgrade] = Field(
        default_factory=list, description="Options for more grid MW from a year on (SPEC 8.3)."
    )
    onsite_power: list[OnsitePower] = Field(
        default_factory=list, description="On-site generation options (SPEC 8.4)."
    )
    colocation_usd_per_kw_month: UsdPerKwMonth | None = Field(
        None, description="A colocation site: its blocks cost no block capex, maintenance or salvage but "
        "pay 12 * 1000 * block_mw * this per block and year (SPEC 8.7). Default: none (owned)."
    )

    _years = field_validator("electricity_usd_per_mwh")(_check_year_keys)

    @property
    def served_regions(self) -> list[str]:
        return list(self.serves_regions) if self.serves_regions is not None else [self.region]


class InferenceDemand(Strict):
    """Inference throughput required in one region."""

    region: Name = Field(description="Region to serve.")
    perf: DemandMap = Field(
        default_factory=dict,
        description="Year map of inference throughput required (missing years: 0). A positive value "
        "is at least 0.001: choose a smaller unit for less.",
    )

    _years = field_validator("perf")(_check_year_keys)


LossStep = Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=2)]


class TrainingJob(Strict):
    """A training cluster: one GPU model, a home site, maybe a few remote sites over DCI (SPEC 8.1)."""

    name: Name = Field(description="Unique id (not 'training', not an inference region).")
    perf: DemandMap = Field(description="Year map of throughput required (same unit as training_perf).")
    gpus: list[Name] | None = Field(None, description="GPU models it may use. Default: all.")
    min_scale_up_gpus: ScaleUp = Field(1, description="Only GPUs with scale_up_gpus >= this.")
    single_gpu_model: StrictBool = Field(True, description="In each year all its GPUs are of one model.")
    max_sites: MaxSites = Field(1, description="Sites it may span in one year, home included.")
    dci_gbps_per_gpu: Gbps = Field(
        0, description="DCI bandwidth each GPU at a remote site needs to the home site, Gb/s."
    )
    remote_loss_by_km: list[LossStep] = Field(
        default_factory=lambda: [[10, 0.05], [1000, 0.10]],
        description="[[max_km, loss], ...], ascending max_km: a remote GPU at route distance d delivers "
        "1 - loss of its throughput, loss of the first entry with max_km >= d; longer routes cannot "
        "carry the job.",
    )

    _years = field_validator("perf")(_check_year_keys)


class Demand(Strict):
    """Compute demand (SPEC 2.6, 8.1)."""

    training: DemandMap = Field(
        default_factory=dict,
        description="Year map of effective training throughput required (missing years: 0). A "
        "positive value is at least 0.001: choose a smaller unit for less.",
    )
    inference: list[InferenceDemand] = Field(
        default_factory=list, description="Inference demand per region."
    )
    training_jobs: list[TrainingJob] = Field(
        default_factory=list, description="Training jobs: clusters placed on sites (SPEC 8.1)."
    )

    _years = field_validator("training")(_check_year_keys)


class ExistingBlocks(Strict):
    """Blocks already built (SPEC 2.7)."""

    site: Name = Field(description="Site name.")
    cooling: Name = Field(description="Cooling name.")
    rack_kw: RackKw = Field(description="Rack density of the hall design.")
    blocks: BlockCount = Field(description="Number of blocks.")


class ExistingDeployment(Strict):
    """GPUs already running (SPEC 2.7)."""

    site: Name = Field(description="Site name.")
    cooling: Name = Field(description="Cooling name of its hall design.")
    rack_kw: RackKw = Field(description="Rack density of its hall design.")
    gpu: Name = Field(description="GPU name.")
    fabric: Name = Field(description="Fabric name.")
    purchase_year: Year = Field(description="Year bought; before start_year.")
    gpus: GpuCount = Field(description="GPUs, a multiple of the GPU's unit_gpus.")
    price_usd_per_gpu: UsdPerGpu = Field(description="Price paid per GPU.")


class Existing(Strict):
    """Brownfield assets (SPEC 2.7)."""

    blocks: list[ExistingBlocks] = Field(default_factory=list, description="Existing blocks.")
    deployments: list[ExistingDeployment] = Field(
        default_factory=list, description="Existing GPU deployments."
    )


class DciRoute(Strict):
    """A fibre route between two sites (unordered; one per pair) (SPEC 8.1)."""

    a: Name = Field(description="One site.")
    b: Name = Field(description="The other site.")
    distance_km: Km = Field(description="Fibre distance, km.")
    fixed_capex_usd: UsdOneTime = Field(
        0, description="One-time cost to light the route (line system, amplifiers)."
    )
    usd_per_year: UsdPerYear = Field(
        0, description="Fibre lease and operations, every year from the year it is lit."
    )


class Rental(Strict):
    """GPU capacity rented by the GPU-hour from a cloud or GPU-leasing provider (SPEC 8.7)."""

    name: Name = Field(description="Unique id.")
    gpu: Name = Field(description="Catalog GPU model it provides (its training_perf and inference_perf).")
    usd_per_gpu_hour: UsdPerGpuHour | RentalPriceMap = Field(
        description="Price per GPU-hour: a number or a year map covering the years offered in the horizon."
    )
    max_gpus: GpusPerYear | GpuCapMap | None = Field(
        None, description="Most GPUs rentable in a year: a number or a year map (missing years: no cap)."
    )
    first_year: Year | None = Field(None, description="First year offered. Default: start_year.")
    last_year: Year | None = Field(None, description="Last year offered. Default: end_year.")
    serves_regions: list[Name] | None = Field(
        None, description="Inference regions it can serve. Default: every region."
    )
    training: StrictBool = Field(True, description="May serve the pooled training demand.")
    training_efficiency: Efficiency = Field(1, description="Multiplier on training throughput.")
    availability: Fraction = Field(1, description="Fraction of time its GPUs are usable.")

    _years = field_validator("usd_per_gpu_hour", "max_gpus")(_check_year_keys)


ScaleMap = Scale | Annotated[dict[str, Scale], MapOf("name")]


class ScenarioCase(Strict):
    """One possible future: scales applied in the years from the reveal year on (SPEC 8.8)."""

    name: Name = Field(description="Unique id.")
    probability: Probability = Field(description="Probability of this case; the cases' probabilities sum to 1.")
    training_scale: Scale = Field(1, description="Multiplies the pooled training demand.")
    job_scale: ScaleMap = Field(1, description="Multiplies job demand: a number, or {job: scale}.")
    inference_scale: ScaleMap = Field(
        1, description="Multiplies inference demand: a number, or {region: scale}."
    )
    electricity_scale: Scale = Field(1, description="Multiplies every site's grid electricity price.")
    gpu_price_scale: ScaleMap = Field(
        1, description="Multiplies GPU purchase prices: a number, or {gpu: scale}."
    )


class Scenarios(Strict):
    """A two-stage stochastic instance: one plan until the reveal year, then one per case (SPEC 8.8)."""

    reveal_year: Year = Field(description="First year whose decisions may differ between cases.")
    cases: list[ScenarioCase] = Field(min_length=1, description="The possible futures.")


class Instance(Strict):
    """A dcopt instance (SPEC section 2). `catalog` is resolved to an object on load."""

    name: str = Field("", description="Free text name.")
    horizon: Horizon = Field(description="Planning years.")
    finance: Finance = Field(description="Discounting, carbon price, facility life, budget.")
    options: Options = Field(default_factory=Options, description="Modelling options.")
    catalog: Catalog = Field(
        description="Equipment catalog: an object, or (in the JSON file) the name of a shipped "
        "catalog such as \"default\", or a path relative to the instance file."
    )
    sites: list[Site] = Field(min_length=1, description="Candidate sites.")
    demand: Demand = Field(default_factory=Demand, description="Compute demand.")
    existing: Existing = Field(default_factory=Existing, description="Brownfield assets.")
    dci_routes: list[DciRoute] = Field(
        default_factory=list, description="Fibre routes between sites, for training jobs (SPEC 8.1)."
    )
    rentals: list[Rental] = Field(default_factory=list, description="GPUs rentable by the hour (SPEC 8.7).")
    scenarios: Scenarios | None = Field(
        None, description="Demand and price scenarios revealed in a year (SPEC 8.8). Default: none."
    )

    @property
    def years(self) -> list[int]:
        return self.horizon.years

    def with_changes(self, changes) -> Instance:
        """A new validated instance with `changes` applied: ``{PATH: value}`` by sweep parameter path
        (``PATH*=`` scales, ``PATH+=`` shifts; see `dcopt.instance.changes`). Raises `InstanceError`."""
        from .changes import with_changes

        return with_changes(self, changes)

    @model_validator(mode="after")
    def _resolve_site_defaults(self) -> Instance:
        """Defaults that depend on other fields, resolved once here."""
        sites = [
            s.model_copy(
                update={
                    "power_available_year": s.power_available_year
                    if s.power_available_year is not None
                    else self.horizon.start_year,
                    "serves_regions": s.serves_regions
                    if s.serves_regions is not None
                    else [s.region],
                }
            )
            for s in self.sites
        ]
        object.__setattr__(self, "sites", sites)
        return self


def instance_json_schema() -> dict[str, Any]:
    """JSON Schema of the instance file; `catalog` may also be a string there."""
    schema = Instance.model_json_schema()
    props = schema["properties"]
    cat = props["catalog"]
    props["catalog"] = {
        "description": cat.get("description", ""),
        "anyOf": [{"$ref": cat.get("$ref", "#/$defs/Catalog")}, {"type": "string"}],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dcopt instance"
    return schema
