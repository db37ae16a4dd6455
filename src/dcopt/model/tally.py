r"""Tallies: what one unit of a decision costs and uses, per key and year.

A component describes each of its variable families by a *unit tally*: for a
key :math:`k`, the nominal amounts that one unit of the variable brings in
each year :math:`y` (horizon years and the salvage year :math:`T+1`): USD per
cost item (`dcopt.model.items.COST_ITEMS`) and the quantities (MWh, t CO2,
gross capex). A `Tally` holds them for all keys of a family as arrays.

Everything downstream uses the same numbers:

* the model's cost expressions discount them, :math:`c_{i,k} = \sum_y u_{i,k,y}\,\delta(y)`;
* plan costing multiplies them by the plan's values, :math:`N_{i,y} = \sum_k x_k u_{i,k,y}`,
  so the breakdown by item and year, the report and the CSV always sum to the TCO;
* the budget (gross capex of a year) and the energy and emissions of a site
  and year are sums of tallied quantities.

Fixed families (existing blocks and deployments) have tallies too, with values
given by the instance instead of a variable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

Amounts = Iterable[tuple[str, int | range, float | np.ndarray]]
"""(item or quantity name, year, nominal amount per unit); or (name, a range of consecutive
years, an array of one amount per year)."""


@dataclass
class Tally:
    """Unit amounts of one variable family: `values[name][row, col]` for key `keys[row]` and
    year `years[col]`."""

    family: str
    keys: list[tuple]
    years: list[int]
    values: dict[str, np.ndarray]
    site_of: Callable[[tuple], str] | None = None
    unit: Callable[[tuple], Amounts] | None = None  # the unit tally of any key (see `extend`)
    gpu_of: Callable[[tuple], str] | None = None
    index: dict[tuple, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {k: i for i, k in enumerate(self.keys)}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.values)

    def npv(self, name: str, discount: np.ndarray) -> np.ndarray:
        """Per key: the discounted sum of `name` over the years (0 where absent)."""
        arr = self.values.get(name)
        if arr is None:
            return np.zeros(len(self.keys))
        return arr @ discount

    def row(self, key: tuple, name: str) -> np.ndarray:
        arr = self.values.get(name)
        if arr is None or key not in self.index:
            return np.zeros(len(self.years))
        return arr[self.index[key]]

    def weighted(self, x: dict[tuple, float]) -> dict[str, np.ndarray]:
        """Nominal amount per name and year of the family at values `x` (key -> units)."""
        rows = [self.index[k] for k in x if k in self.index]
        w = np.array([x[k] for k in x if k in self.index], dtype=float)
        return {name: (w @ arr[rows] if rows else np.zeros(len(self.years)))
                for name, arr in self.values.items()}


def build_tally(family: str, keys: Sequence[tuple], years: Sequence[int],
                unit: Callable[[tuple], Amounts], site_of: Callable[[tuple], str] | None = None,
                gpu_of: Callable[[tuple], str] | None = None) -> Tally:
    """The tally of `keys`, each described by `unit(key)` (amounts of one unit)."""
    col = {y: j for j, y in enumerate(years)}
    shape = (len(keys), len(years))
    values: dict[str, np.ndarray] = {}
    for i, key in enumerate(keys):
        for name, year, amount in unit(key):
            arr = values.get(name)
            if arr is None:
                arr = values[name] = np.zeros(shape)
            if isinstance(year, range):
                if len(year):
                    start = col[year.start]
                    arr[i, start:start + len(year)] += amount
            else:
                arr[i, col[year]] += amount
    values = {name: arr for name, arr in values.items() if arr.any()}
    return Tally(family, list(keys), list(years), values, site_of, unit, gpu_of)


def extend(tally: Tally, keys: Sequence[tuple]) -> Tally:
    """`tally` with the rows of `keys` it lacks (costing a plan whose entries the model has
    no variable for, e.g. a purchase outside a GPU's sale years in `dcopt evaluate`)."""
    new = [k for k in dict.fromkeys(keys) if k not in tally.index]
    if not new:
        return tally
    more = build_tally(tally.family, new, tally.years, tally.unit, tally.site_of, tally.gpu_of)
    names = set(tally.values) | set(more.values)
    zeros = np.zeros((len(tally.keys), len(tally.years)))
    zeros_new = np.zeros((len(new), len(tally.years)))
    values = {n: np.vstack([tally.values.get(n, zeros), more.values.get(n, zeros_new)]) for n in names}
    return Tally(tally.family, tally.keys + new, tally.years, values, tally.site_of, tally.unit, tally.gpu_of)
