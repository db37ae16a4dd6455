"""Registries on the bottom floor: the cost items and the physical quantities.

Every layer (model, plan costing, writers, report, evaluate, sweeps) takes the
code name, the label, the kind and the group of a cost item from here, and
the name and unit of a tallied quantity.

A **cost item** is a named part of the TCO (SPEC 5 and 8.9). Its *kind* says
what kind of money it is: ``capex`` (paid when something is bought or
built), ``opex`` (paid every year something runs), ``credit`` (money coming
back: resale and salvage, negative in the TCO) or ``mixed`` (an item with
both capex and opex parts, such as ``dci``: route and link capex plus the
yearly fibre lease). Its *group* says what it pays for, for explanations.
An item is reported when the instance has what can carry it: the 13 items
of SPEC 5 always, a section-8 item only when its feature is present.

A **quantity** is a physical or accounting amount tallied per variable key and
year like money: facility energy (MWh), grid and on-site energy (MWh),
emissions (t CO2), gross capex (USD, the budget's basis), built and loaded
MW, and GPUs running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..instance.schema import Instance

Kind = Literal["capex", "opex", "credit", "mixed"]


@dataclass(frozen=True)
class CostItem:
    name: str
    label: str
    kind: Kind
    group: str
    spec: str
    feature: str | None = None  # the section-8 feature that brings it; None: always reported


@dataclass(frozen=True)
class Group:
    name: str
    label: str


GROUPS: dict[str, Group] = {g.name: g for g in (
    Group("gpus", "GPUs (purchases, maintenance, resale)"),
    Group("sites", "sites and halls (opening, fabrics, blocks, opex, maintenance, salvage)"),
    Group("power", "power (electricity, carbon, grid upgrades and on-site generation)"),
    Group("network", "networks (fabric maintenance and data-centre interconnect)"),
    Group("hosted", "hosted capacity (rented GPUs and colocation)"),
)}
"""What cost items pay for: a group's net difference is the money really lost or saved
(a dearer purchase comes partly back as resale or salvage)."""


COST_ITEM_LIST: tuple[CostItem, ...] = (
    CostItem("site_opening", "Opening sites (land, substation)", "capex", "sites", "5"),
    CostItem("fabric_fixed", "Setting up a network fabric at a site", "capex", "sites", "5"),
    CostItem("blocks", "Building data halls", "capex", "sites", "5"),
    CostItem("deployments", "Buying GPUs with their network", "capex", "gpus", "5"),
    CostItem("energy", "Electricity (and on-site fuel)", "opex", "power", "5, 8.4"),
    CostItem("carbon", "Carbon price", "opex", "power", "5, 8.4"),
    CostItem("fixed_opex", "Site running costs (staff, security, insurance)", "opex", "sites", "5"),
    CostItem("facility_maintenance", "Facility maintenance", "opex", "sites", "5"),
    CostItem("deployment_maintenance", "GPU maintenance", "opex", "gpus", "5, 8.2"),
    CostItem("resale", "GPUs resold at end of life (credit)", "credit", "gpus", "5, 8.2"),
    CostItem("existing_retirement", "Existing GPUs sold when retired (credit)", "credit", "gpus", "5, 8.2"),
    CostItem("existing_residual", "Existing GPUs' value at the end (credit)", "credit", "gpus", "5, 8.2"),
    CostItem("facility_salvage", "Facilities' remaining value at the end (credit)", "credit", "sites", "5"),
    CostItem("dci", "Data-centre interconnect (routes lit, fibre lease, ZR links)", "mixed", "network", "8.1",
             feature="dci"),
    CostItem("grid_upgrades", "Grid upgrades", "capex", "power", "8.3", feature="grid_upgrades"),
    CostItem("onsite_capex", "Building on-site generation", "capex", "power", "8.4", feature="onsite"),
    CostItem("onsite_fixed_opex", "On-site generation fixed opex", "opex", "power", "8.4", feature="onsite"),
    CostItem("fabric_maintenance", "Fabric maintenance (optics and switch repairs)", "opex", "network", "8.6",
             feature="fabric_maintenance"),
    CostItem("rental", "Rented GPUs (cloud, by the GPU-hour)", "opex", "hosted", "8.7", feature="rental"),
    CostItem("colocation", "Colocation fees", "opex", "hosted", "8.7", feature="colocation"),
)

COST_ITEMS: dict[str, CostItem] = {i.name: i for i in COST_ITEM_LIST}
"""Every cost item by code name, in reporting order (credits are negative)."""

SPEC5_ITEMS: tuple[str, ...] = tuple(i.name for i in COST_ITEM_LIST if i.feature is None)
"""The 13 items of SPEC section 5, reported for every instance."""

PENALTY_ITEMS: tuple[str, ...] = ("unmet_demand", "relaxation")
"""Objective terms that are not costs: priced unmet demand (--allow-unmet) and the
penalties of an elastic diagnosis. Never part of the TCO."""


def reported_items(inst: Instance) -> tuple[str, ...]:
    """The cost items of a solution: SPEC 5's always, a section-8 item when the instance has
    the feature that carries it."""
    features = {
        "dci": bool(inst.dci_routes or inst.demand.training_jobs),
        "grid_upgrades": any(s.grid_upgrades for s in inst.sites),
        "onsite": any(s.onsite_power for s in inst.sites),
        "fabric_maintenance": any(f.maintenance_usd_per_gpu_year > 0 for f in inst.catalog.fabrics),
        "rental": bool(inst.rentals),
        "colocation": any(s.colocation_usd_per_kw_month is not None for s in inst.sites),
    }
    return tuple(i.name for i in COST_ITEM_LIST if i.feature is None or features[i.feature])


def item_label(item: str) -> str:
    """The plain-words label of a cost item (its code name, readable, if unknown)."""
    known = COST_ITEMS.get(item)
    return known.label if known is not None else item.replace("_", " ").capitalize()


def is_credit(item: str) -> bool:
    known = COST_ITEMS.get(item)
    return known is not None and known.kind == "credit"


def items_of_group(group: str, items: tuple[str, ...] | None = None) -> tuple[str, ...]:
    return tuple(i.name for i in COST_ITEM_LIST if i.group == group and (items is None or i.name in items))


@dataclass(frozen=True)
class Quantity:
    name: str
    unit: str
    label: str


QUANTITY_LIST: tuple[Quantity, ...] = (
    Quantity("energy_mwh", "MWh", "facility energy (IT x PUE x load factor)"),
    Quantity("grid_mwh", "MWh", "energy drawn from the grid"),
    Quantity("onsite_mwh", "MWh", "energy generated on site"),
    Quantity("emissions_t", "t CO2", "emissions of grid and on-site energy"),
    Quantity("capex_usd", "USD", "gross capex (the budget's basis, SPEC 7.2)"),
    Quantity("built_it_mw", "MW", "IT capacity of the blocks built (existing included)"),
    Quantity("built_facility_mw", "MW", "facility power of the blocks built: IT x PUE (what the grid caps)"),
    Quantity("it_load_mw", "MW", "rated IT power of the active units"),
    Quantity("gpus", "GPUs", "GPUs running (installed, failed ones included)"),
)
QUANTITIES: dict[str, Quantity] = {q.name: q for q in QUANTITY_LIST}
