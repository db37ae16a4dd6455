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
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )

    _years = field_validator("price_usd_per_gpu")(_check_year_keys)

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


class Cooling(Strict):
    """A cooling type (SPEC 2.2)."""

    name: Name = Field(description="Unique id, e.g. air, rdhx, dlc, immersion.")
    liquid: StrictBool = Field(description="Counts as liquid cooling.")
    max_rack_kw: Positive = Field(description="Densest rack it can cool, kW.")
    capex_usd_per_kw: NonNegative = Field(description="Cooling plant capex per kW of IT capacity.")
    pue: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        description="Power usage effectiveness (facility power / IT power)."
    )
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Density(Strict):
    """A rack density (SPEC 2.3)."""

    rack_kw: Positive = Field(description="IT kW per rack (unique).")
    capex_usd_per_rack: NonNegative = Field(description="Rack, PDUs, busway and containment, USD.")
    source: str = Field(
        "", description="Where its figures come from (reference ids, notes). Not used by the model."
    )


class Fabric(Strict):
    """A scale-out network fabric (SPEC 2.4)."""

    name: Name = Field(description="Unique id, e.g. infiniband, ethernet, cpo_ethernet.")
    max_gbps_per_port: NonNegative = Field(description="Fastest GPU port it serves, Gb/s.")
    capex_usd_per_gbps: NonNegative = Field(
        description="Network capex per Gb/s of a GPU's nic_gbps (switch share, optics, cables)."
    )
    watts_per_gbps: NonNegative = Field(description="Network power per Gb/s of a GPU's nic_gbps, W.")
    site_fixed_capex_usd: NonNegative = Field(
        0, description="One-time cost of bringing this fabric to a site (spine/core, management)."
    )
    training_efficiency: NonNegative = Field(1, description="Multiplier on training throughput.")
    availability: Fraction = Field(1, description="Fraction of time its GPUs are usable.")
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


# --------------------------------------------------------------------------- sites, demand, existing


class Site(Strict):
    """A candidate site (SPEC 2.5)."""

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


class Demand(Strict):
    """Compute demand (SPEC 2.6)."""

    training: YearMap = Field(
        default_factory=dict,
        description="Year map of effective training throughput required (missing years: 0).",
    )
    inference: list[InferenceDemand] = Field(
        default_factory=list, description="Inference demand per region."
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

    @property
    def years(self) -> list[int]:
        return self.horizon.years

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
