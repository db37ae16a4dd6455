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
  live in :mod:`dcopt.checks`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

YearMap = dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]]
"""A map from year (a string, as JSON requires) to a non-negative number."""

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
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
    return value


def _not_before(value: int, info: ValidationInfo, first: str, last: str) -> None:
    """Raise if `value` (field `last`) is before the already validated field `first`."""
    start = info.data.get(first)
    if start is not None and value < start:
        raise ValueError(f"{first} {start} is after {last} {value}; make {last} >= {first} (swap them)")


# --------------------------------------------------------------------------- horizon, finance, options


class Horizon(Strict):
    """Planning horizon: one period per calendar year, both ends inclusive."""

    start_year: int = Field(ge=1900, le=2200, description="First planning year.")
    end_year: int = Field(ge=1900, le=2200, description="Last planning year (inclusive).")

    @field_validator("end_year")
    @classmethod
    def _ordered(cls, end_year: int, info: ValidationInfo) -> int:
        _not_before(end_year, info, "start_year", "end_year")
        return end_year

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))


class Finance(Strict):
    """Money: discounting, carbon price, facility life and the capex budget."""

    discount_rate: float = Field(
        gt=-1, allow_inf_nan=False,
        description="Yearly discount rate r; cash flows of year y are multiplied by (1+r)^-(y-start_year).",
    )
    carbon_price_usd_per_t: NonNegative = Field(0, description="Carbon price, USD per t CO2.")
    facility_life_years: Positive = Field(
        20, description="Straight-line life of facility capex (opening, fabric fixed, blocks) for salvage."
    )
    facility_maintenance_frac_per_year: NonNegative = Field(
        0, description="Yearly facility maintenance, fraction of the capex of built blocks."
    )
    annual_capex_budget_usd: NonNegative | None = Field(
        None, description="Cap on the gross (undiscounted) capex of each year; none when absent."
    )


class Options(Strict):
    """Modelling options of the instance."""

    life_choices_years: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=lambda: [3, 4, 5, 6],
        min_length=1,
        description="Service lives (years) a purchase may be given.",
    )
    load_factor: Fraction = Field(
        0.8, description="Average fraction of rated IT power drawn, for energy."
    )


# --------------------------------------------------------------------------- catalog


class Gpu(Strict):
    """A GPU model that can be bought (SPEC 2.1)."""

    name: Name = Field(description="Unique id.")
    first_year: int = Field(description="First year it can be bought.")
    last_year: int = Field(description="Last year it can be bought (inclusive).")
    price_usd_per_gpu: NonNegative | YearMap = Field(
        description="Price in first_year (a number, declining by price_decline_per_year) or a year map "
        "holding every purchasable year inside the horizon."
    )
    price_decline_per_year: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = Field(
        None,
        description="With a number price: price(y) = price * (1 - decline)^(y - first_year). "
        "Not allowed with a year-map price. Default 0.",
    )
    system_kw_per_gpu: Positive = Field(description="IT power per GPU, host share included, kW.")
    training_perf: NonNegative = Field(description="Effective training throughput per GPU.")
    inference_perf: NonNegative = Field(description="Inference throughput per GPU.")
    unit_gpus: Annotated[int, Field(ge=1)] = Field(8, description="GPUs per purchase unit.")
    min_rack_kw: NonNegative = Field(0, description="Smallest rack density (kW) that can host it.")
    liquid_required: StrictBool = Field(False, description="Needs a liquid cooling type.")
    nic_gbps: NonNegative = Field(400, description="Scale-out bandwidth per GPU, Gb/s.")
    max_life_years: Annotated[int, Field(ge=1)] = Field(6, description="Longest service life, years.")
    depreciation_years: Positive = Field(6, description="Straight-line life L of its resale value, years.")
    maintenance_frac_per_year: NonNegative = Field(
        0, description="Yearly maintenance, fraction of the deployment's capex."
    )
    scale_up_gpus: Annotated[int, Field(ge=1)] | None = Field(
        None, description="GPUs in one scale-up (NVLink) domain: 8 for an HGX server, 72 for an NVL72 "
        "rack (SPEC 8.1). Default: unit_gpus."
    )
    resale_usd_per_gpu: YearMap | None = Field(
        None, description="What a used GPU of this model fetches when sold in a calendar year, whatever "
        "its age; must cover every year from start_year to end_year + 1 (SPEC 8.2). Default: book value."
    )
    resale_fee_frac: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        0, description="Share of every GPU sale's proceeds lost to de-installation, transport, data "
        "wiping and the broker (SPEC 8.2)."
    )
    annual_failure_rate: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        0, description="Fraction of a unit's working GPUs that fail each year, not replaced; only "
        "surviving GPUs serve demand (SPEC 8.2)."
    )
    maintenance_growth_per_year: Annotated[float, Field(gt=-1, allow_inf_nan=False)] = Field(
        0, description="Yearly growth of maintenance with age: maintenance of age a is "
        "maintenance_frac_per_year * (1 + growth)^a of the capex (SPEC 8.2)."
    )
    max_gpus_per_year: NonNegative | YearMap | None = Field(
        None, description="Supply cap: GPUs of this model bought in a year, all sites together; a number "
        "or a year map (missing years: no cap) (SPEC 8.3). Default: none."
    )
    min_order_gpus: Annotated[int, Field(ge=0)] | None = Field(
        None, description="A purchase order (GPUs of this model bought at one site in one year) is 0 or "
        "at least this many GPUs (SPEC 8.3). Default: none."
    )
    cooling: list[Name] | None = Field(
        None, description="Cooling types its servers can use (SPEC 8.5). Default: all (the liquid ones "
        "if liquid_required)."
    )
    max_rack_kw: Positive | None = Field(
        None, description="Densest rack its servers can fill, kW (SPEC 8.5). Default: none."
    )
    nic_ports: Annotated[int, Field(ge=1)] = Field(
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
    max_rack_kw: Positive = Field(description="Densest rack it can cool, kW.")
    capex_usd_per_kw: NonNegative = Field(description="Cooling plant capex per kW of IT capacity.")
    pue: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        description="Power usage effectiveness (facility power / IT power)."
    )
    first_year: int | None = Field(
        None, description="First year a hall with this cooling can be commissioned (SPEC 8.5). Default: none."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Density(Strict):
    """A rack density (SPEC 2.3)."""

    rack_kw: Positive = Field(description="IT kW per rack (unique).")
    capex_usd_per_rack: NonNegative = Field(description="Rack, PDUs, busway and containment, USD.")
    first_year: int | None = Field(
        None, description="First year a hall with this density can be commissioned (SPEC 8.5). Default: none."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Port(Strict):
    """A port option of a fabric (SPEC 8.6): a GPU uses the slowest port at least as fast as its nic_gbps."""

    gbps: Positive = Field(description="Port speed, Gb/s (unique within the fabric).")
    capex_usd_per_port: NonNegative = Field(description="Capex per GPU port (switch share, optics, cables), USD.")
    watts_per_port: NonNegative = Field(description="Network power per GPU port, W.")


class Fabric(Strict):
    """A scale-out network fabric (SPEC 2.4, 8.6)."""

    name: Name = Field(description="Unique id, e.g. infiniband, ethernet, cpo_ethernet.")
    max_gbps_per_port: NonNegative | None = Field(
        None, description="Fastest GPU port it serves, Gb/s. Required without ports; with ports, "
        "default: the fastest port's gbps."
    )
    capex_usd_per_gbps: NonNegative | None = Field(
        None, description="Network capex per Gb/s of a GPU's ports: capex per GPU = capex_usd_per_gbps * "
        "nic_gbps * nic_ports (switch share, optics, cables). Required without ports; not allowed with them."
    )
    watts_per_gbps: NonNegative | None = Field(
        None, description="Network power per Gb/s of a GPU's ports, W. Required without ports; not "
        "allowed with them."
    )
    ports: list[Port] | None = Field(
        None, description="Port options priced per port (SPEC 8.6); replaces capex_usd_per_gbps and "
        "watts_per_gbps. Default: none."
    )
    site_fixed_capex_usd: NonNegative = Field(
        0, description="One-time cost of bringing this fabric to a site (spine/core, management)."
    )
    training_efficiency: NonNegative = Field(1, description="Multiplier on training throughput.")
    availability: Fraction = Field(1, description="Fraction of time its GPUs are usable.")
    max_gpus_per_site: NonNegative | None = Field(
        None, description="Most GPUs installed on this fabric at one site in a year, existing and failed "
        "ones included (fat-tree size) (SPEC 8.6). Default: none."
    )
    maintenance_usd_per_gpu_year: NonNegative = Field(
        0, description="Optics and switch repairs per installed GPU on this fabric per year (SPEC 8.6)."
    )
    first_year: int | None = Field(
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
    gbps: Positive = Field(description="Capacity of one link (one wavelength, a module at each end), Gb/s.")
    max_km: Positive = Field(description="Longest route it reaches, km.")
    capex_usd_per_link: NonNegative = Field(description="Both modules and the line-system port share, USD.")
    first_year: int | None = Field(None, description="First year it can be installed. Default: none.")
    life_years: Positive = Field(5, description="Straight-line life of a link's capex, for salvage.")
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Catalog(Strict):
    """Equipment catalog: GPUs, cooling types, rack densities and fabrics."""

    description: str = Field("", description="Free text (what the catalog is, when it was compiled).")
    sources: dict[str, str] = Field(
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
    mw: NonNegative = Field(description="Grid MW added to max_facility_mw.")
    capex_usd: NonNegative = Field(description="Capex, paid in the year it is taken.")
    first_year: int | None = Field(None, description="First year it can be taken. Default: start_year.")


class OnsitePower(Strict):
    """An on-site generation option (gas turbines, engines, fuel cells) (SPEC 8.4)."""

    name: Name = Field(description="Unique within the site.")
    max_mw: NonNegative = Field(description="Most MW that can be built.")
    capex_usd_per_mw: NonNegative = Field(description="Capex per MW built.")
    fixed_opex_usd_per_mw_year: NonNegative = Field(0, description="Fixed opex per MW built, per year.")
    fuel_usd_per_mwh: NonNegative = Field(description="Fuel and variable O&M per MWh generated.")
    carbon_kg_per_mwh: NonNegative = Field(0, description="Carbon intensity of its energy, kg CO2 per MWh.")
    capacity_factor: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        1, description="Most energy per MW built: 8760 * capacity_factor MWh a year."
    )
    first_year: int | None = Field(None, description="First year it can be built. Default: start_year.")


class Site(Strict):
    """A candidate site (SPEC 2.5, 8.3, 8.4, 8.7)."""

    name: Name = Field(description="Unique id.")
    region: Name = Field(description="Where it is.")
    serves_regions: list[Name] | None = Field(
        None,
        description="Inference regions it can serve within latency; taken literally when given. "
        "Default: [region].",
    )
    max_facility_mw: NonNegative = Field(description="Grid limit on facility power (IT x PUE), MW.")
    power_available_year: int | None = Field(
        None, description="First year any capacity can be commissioned. Default: start_year."
    )
    block_mw: Positive = Field(description="IT capacity of one buildable block (hall, container), MW.")
    max_blocks: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Floor-space limit on blocks (existing included). Default: none."
    )
    site_fixed_capex_usd: NonNegative = Field(
        0, description="One-time cost of opening the site (land, substation)."
    )
    shell_capex_usd_per_mw: NonNegative = Field(
        description="Building and electrical capex per MW of IT."
    )
    fixed_opex_usd_per_mw_year: NonNegative = Field(
        0, description="Staff, security, insurance per built MW of IT per year."
    )
    electricity_usd_per_mwh: NonNegative | YearMap = Field(
        description="Electricity price: a number or a year map covering the horizon."
    )
    carbon_kg_per_mwh: NonNegative = Field(0, description="Grid carbon intensity, kg CO2 per MWh.")
    allowed_cooling: list[Name] | None = Field(
        None, description="Cooling names allowed here (builds and purchases). Default: all."
    )
    pue_overrides: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] | None = Field(
        None, description="{cooling name: pue} for this climate. Default: none."
    )
    build_lead_time_years: Annotated[int, Field(ge=0)] = Field(
        0, description="A block commissioned in year y is decided and paid in y - lead (SPEC 8.3)."
    )
    grid_upgrades: list[GridUpgrade] = Field(
        default_factory=list, description="Options for more grid MW from a year on (SPEC 8.3)."
    )
    onsite_power: list[OnsitePower] = Field(
        default_factory=list, description="On-site generation options (SPEC 8.4)."
    )
    colocation_usd_per_kw_month: NonNegative | None = Field(
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
    perf: YearMap = Field(
        default_factory=dict,
        description="Year map of inference throughput required (missing years: 0).",
    )

    _years = field_validator("perf")(_check_year_keys)


LossStep = Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=2)]


class TrainingJob(Strict):
    """A training cluster: one GPU model, a home site, maybe a few remote sites over DCI (SPEC 8.1)."""

    name: Name = Field(description="Unique id (not 'training', not an inference region).")
    perf: YearMap = Field(description="Year map of throughput required (same unit as training_perf).")
    gpus: list[Name] | None = Field(None, description="GPU models it may use. Default: all.")
    min_scale_up_gpus: Annotated[int, Field(ge=1)] = Field(
        1, description="Only GPUs with scale_up_gpus >= this."
    )
    single_gpu_model: StrictBool = Field(True, description="In each year all its GPUs are of one model.")
    max_sites: int = Field(1, description="Sites it may span in one year, home included (>= 1).")
    dci_gbps_per_gpu: NonNegative = Field(
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

    training: YearMap = Field(
        default_factory=dict,
        description="Year map of effective training throughput required (missing years: 0).",
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
    rack_kw: Positive = Field(description="Rack density of the hall design.")
    blocks: Annotated[int, Field(ge=0)] = Field(description="Number of blocks.")


class ExistingDeployment(Strict):
    """GPUs already running (SPEC 2.7)."""

    site: Name = Field(description="Site name.")
    cooling: Name = Field(description="Cooling name of its hall design.")
    rack_kw: Positive = Field(description="Rack density of its hall design.")
    gpu: Name = Field(description="GPU name.")
    fabric: Name = Field(description="Fabric name.")
    purchase_year: int = Field(description="Year bought; before start_year.")
    gpus: Annotated[int, Field(ge=0)] = Field(description="GPUs, a multiple of the GPU's unit_gpus.")
    price_usd_per_gpu: NonNegative = Field(description="Price paid per GPU.")


class Existing(Strict):
    """Brownfield assets."""

    blocks: list[ExistingBlocks] = Field(default_factory=list, description="Existing blocks.")
    deployments: list[ExistingDeployment] = Field(
        default_factory=list, description="Existing GPU deployments."
    )


class DciRoute(Strict):
    """A fibre route between two sites (unordered; one per pair) (SPEC 8.1)."""

    a: Name = Field(description="One site.")
    b: Name = Field(description="The other site.")
    distance_km: NonNegative = Field(description="Fibre distance, km.")
    fixed_capex_usd: NonNegative = Field(
        0, description="One-time cost to light the route (line system, amplifiers)."
    )
    usd_per_year: NonNegative = Field(
        0, description="Fibre lease and operations, every year from the year it is lit."
    )


class Rental(Strict):
    """GPU capacity rented by the GPU-hour from a cloud or GPU-leasing provider (SPEC 8.7)."""

    name: Name = Field(description="Unique id.")
    gpu: Name = Field(description="Catalog GPU model it provides (its training_perf and inference_perf).")
    usd_per_gpu_hour: NonNegative | YearMap = Field(
        description="Price per GPU-hour: a number or a year map covering the years offered in the horizon."
    )
    max_gpus: NonNegative | YearMap | None = Field(
        None, description="Most GPUs rentable in a year: a number or a year map (missing years: no cap)."
    )
    first_year: int | None = Field(None, description="First year offered. Default: start_year.")
    last_year: int | None = Field(None, description="Last year offered. Default: end_year.")
    serves_regions: list[Name] | None = Field(
        None, description="Inference regions it can serve. Default: every region."
    )
    training: StrictBool = Field(True, description="May serve the pooled training demand.")
    training_efficiency: NonNegative = Field(1, description="Multiplier on training throughput.")
    availability: Fraction = Field(1, description="Fraction of time its GPUs are usable.")

    _years = field_validator("usd_per_gpu_hour", "max_gpus")(_check_year_keys)


ScaleMap = NonNegative | dict[str, NonNegative]


class ScenarioCase(Strict):
    """One possible future: scales applied in the years from the reveal year on (SPEC 8.8)."""

    name: Name = Field(description="Unique id.")
    probability: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        description="Probability of this case; the cases' probabilities sum to 1."
    )
    training_scale: NonNegative = Field(1, description="Multiplies the pooled training demand.")
    job_scale: ScaleMap = Field(1, description="Multiplies job demand: a number, or {job: scale}.")
    inference_scale: ScaleMap = Field(
        1, description="Multiplies inference demand: a number, or {region: scale}."
    )
    electricity_scale: NonNegative = Field(1, description="Multiplies every site's grid electricity price.")
    gpu_price_scale: ScaleMap = Field(
        1, description="Multiplies GPU purchase prices: a number, or {gpu: scale}."
    )


class Scenarios(Strict):
    """A two-stage stochastic instance: one plan until the reveal year, then one per case (SPEC 8.8)."""

    reveal_year: int = Field(description="First year whose decisions may differ between cases.")
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
