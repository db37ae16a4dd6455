"""Named key types of the model's variables and rows.

Keys are named tuples: Pyomo indexes by them as by plain tuples (and hands
plain tuples back), while the data layer reads fields by name
(``key.site``, never ``key[4]``). Keys of cumulative "by year" variables
end with the year (`dcopt.model.cumulative`).

Scenarios (SPEC 8.8) do not add a field here: each scenario case is a copy
of the whole model in its own block, built by the same components from the
case's data, and the decisions before the reveal year are tied together
(`dcopt.model.scenarios`).
"""

from __future__ import annotations

from typing import NamedTuple


class SiteYear(NamedTuple):
    site: str
    year: int


class FabKey(NamedTuple):
    site: str
    fabric: str
    year: int


class BuildKey(NamedTuple):
    """Blocks of `design` at `site` commissioned in `year` (decided `lead` years earlier)."""

    site: str
    design: str
    year: int


class BuyKey(NamedTuple):
    site: str
    design: str
    gpu: str
    fabric: str
    year: int
    life: int


class RetireKey(NamedTuple):
    deployment: int
    year: int


class FleetKey(NamedTuple):
    site: str
    design: str
    gpu: str
    fabric: str


class ActiveKey(NamedTuple):
    site: str
    design: str
    gpu: str
    fabric: str
    year: int


class AllocKey(NamedTuple):
    site: str
    gpu: str
    fabric: str
    year: int
    workload: str


class SiteGpuYear(NamedTuple):
    site: str
    gpu: str
    year: int


class GpuYear(NamedTuple):
    gpu: str
    year: int


class SiteFabricYear(NamedTuple):
    site: str
    fabric: str
    year: int


class UpgradeKey(NamedTuple):
    site: str
    upgrade: str
    year: int


class GenKey(NamedTuple):
    site: str
    option: str
    year: int


class RouteYear(NamedTuple):
    a: str
    b: str
    year: int


class LinkKey(NamedTuple):
    a: str
    b: str
    optic: str
    year: int


class JobYear(NamedTuple):
    job: str
    year: int


class HomeKey(NamedTuple):
    job: str
    site: str
    year: int


class ModelKey(NamedTuple):
    job: str
    gpu: str
    year: int


class SpanKey(NamedTuple):
    job: str
    home: str
    site: str
    year: int


class JallocKey(NamedTuple):
    job: str
    home: str
    site: str
    gpu: str
    fabric: str
    year: int


class RentKey(NamedTuple):
    rental: str
    year: int


class RentAllocKey(NamedTuple):
    rental: str
    year: int
    workload: str


class DemandKey(NamedTuple):
    workload: str
    year: int
