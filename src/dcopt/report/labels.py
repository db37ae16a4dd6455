"""Short names of sweep parameters, with their units, for charts (not raw paths).

A parameter key (``sites[name=tx-abilene].max_facility_mw``,
``catalog.gpus[*].price_usd_per_gpu*``, see `dcopt.instance.paths`) is read by
the sweep path parser and named from its last field, whose unit is in its
name (``_usd_per_mwh`` is USD/MWh, ``_mw`` MW; docs/instance-format.md), and
from what its selectors pick:

    sites[name=tx-abilene].max_facility_mw     tx-abilene max facility   MW
    catalog.gpus[*].price_usd_per_gpu*         price, all GPUs           x factor (1 = as given)
    sites[*].electricity_usd_per_mwh+          electricity, all sites    + USD/MWh
    demand.training                            training demand           x factor (1 = as given)
    finance.discount_rate                      discount rate

A value is written with its unit: ``30 MW``, ``x0.8``, ``+10 USD/MWh``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..instance.paths import Param, SweepInputError, parse_param

_UNIT_WORDS = {"usd": "USD", "mw": "MW", "kw": "kW", "mwh": "MWh", "kg": "kg", "t": "t", "gbps": "Gb/s",
               "km": "km", "years": "years", "year": "year", "gpu": "GPU", "gpus": "GPUs", "rack": "rack",
               "frac": "fraction", "w": "W", "watts": "W", "pct": "%", "h": "h", "mbps": "Mb/s"}
_UNIT_START = {"usd", "mw", "kw", "mwh", "kg", "gbps", "km", "years", "frac", "w", "watts", "pct", "mbps"}
_COLLECTIONS = {"gpus": "GPUs", "sites": "sites", "coolings": "cooling types", "densities": "rack densities",
                "fabrics": "fabrics", "inference": "regions", "jobs": "jobs", "rentals": "rentals"}
_WORDS = {"pue": "PUE", "capex": "capex", "opex": "opex", "nic": "NIC", "dci": "DCI", "gpu": "GPU"}
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class ParamLabel:
    key: str  # as in the sweep table (the path with * or + for its operator)
    name: str  # "tx-abilene max facility"
    unit: str  # "MW", "" when the field has none
    op: str  # "=", "*=", "+="

    @property
    def what(self) -> str:
        """What its numbers are: ``MW``, ``factor, 1 = as given``, ``shift, USD/MWh``."""
        if self.op == "*=":
            return "factor, 1 = as given"
        if self.op == "+=":
            return f"shift{', ' + self.unit if self.unit else ''}"
        return self.unit

    @property
    def axis(self) -> str:
        """An axis title: the name and what its numbers are."""
        return f"{self.name} ({self.what})" if self.what else self.name

    def value(self, v: object) -> str:
        """``30 MW``, ``x0.8``, ``+10 USD/MWh``; ``as given`` for no value."""
        f = number(v)
        if f is None:
            return "as given" if v is None or v == "" or (isinstance(v, float) and math.isnan(v)) else str(v)
        text = f"{f:,.4g}" if abs(f) < 1e4 else f"{f:,.0f}"
        if self.op == "*=":
            return f"×{text}"
        if self.op == "+=":
            return f"{'+' if f >= 0 else ''}{text}{' ' + self.unit if self.unit else ''}"
        return f"{text} {self.unit}" if self.unit and self.unit != "fraction" else text


def number(v: object) -> float | None:
    """`v` as a float; None for no number (NaN, empty, text)."""
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def field_name_and_unit(field: str) -> tuple[str, str]:
    """``electricity_usd_per_mwh`` -> (``electricity``, ``USD/MWh``); ``discount_rate`` -> (``discount rate``, "")."""
    tokens = field.split("_")
    start = next((i for i, t in enumerate(tokens) if t in _UNIT_START and i > 0), len(tokens))
    name = " ".join(_WORDS.get(t, t) for t in tokens[:start])
    unit, sep = "", ""
    for t in tokens[start:]:
        if t == "per":
            sep = "/"
            continue
        unit += sep + _UNIT_WORDS.get(t, t)
        sep = "-"
    return name, unit


def param_label(key: str) -> ParamLabel:
    """The short name and unit of a parameter key (the key itself when it is no parameter path)."""
    try:
        param = parse_param(key)
    except SweepInputError:
        return ParamLabel(key, key, "", "=")
    return ParamLabel(key, *_name(param), param.op if not param.scales_demand else "*=")


def _name(param: Param) -> tuple[str, str]:
    fields = [s.key for s in param.steps if s.kind == "field"]
    last = fields[-1]
    if fields[0] == "demand":
        name, unit = ("demand" if len(fields) == 1 else f"{last} demand"), ""
    else:
        name, unit = field_name_and_unit(last)
    before, after, collection = [], [], ""
    for s in param.steps:
        if s.kind == "field":
            collection = _COLLECTIONS.get(s.key, s.key)
        elif s.kind == "match":
            before.append(s.value)
        elif s.kind == "all":
            after.append(f"all {collection}")
        elif _YEAR.match(s.key):
            after.append(f"in {s.key}")
        else:
            before.append(f"{collection}[{s.key}]")
    text = " ".join([*before, name])
    return (f"{text}, {', '.join(after)}" if after else text), unit


def param_labels(keys: list[str]) -> dict[str, ParamLabel]:
    """A label per key; keys whose short names coincide keep their paths (every name is unique)."""
    labels = {k: param_label(k) for k in keys}
    names = [lab.name for lab in labels.values()]
    return {k: lab if names.count(lab.name) == 1 else ParamLabel(k, k, lab.unit, lab.op)
            for k, lab in labels.items()}
