"""Sweep designs: which parameter values each point of a sweep uses.

A varied parameter is written ``PATH=VALUES`` (or ``PATH*=``, ``PATH+=``,
see `dcopt.params`); what VALUES may be depends on the design:

=========  ==========================================================================
design     VALUES
=========  ==========================================================================
grid       ``LOW:HIGH:N`` (N evenly spaced values, both ends included),
           ``V1,V2,...`` or one value ``V``. Points: the cartesian product, the
           first parameter varying slowest.
oat        ``LOW:HIGH`` or ``LOW,HIGH`` (base: the instance as given), or
           ``LOW,BASE,HIGH``. Points: one base point (every parameter at its
           base), then the low and the high point of each parameter in turn,
           the others at their base (one at a time, for tornado charts).
mc         ``LOW:HIGH`` or ``uniform:LOW:HIGH``, ``normal:MEAN:SD``,
           ``triangular:LOW:MODE:HIGH``. Points: N samples drawn with a seed,
           independently (``random``) or by Latin hypercube (``lhs``).
=========  ==========================================================================

In Python the values may also be given as a sequence of numbers (grid
values; oat ``(low, high)`` or ``(low, base, high)``; mc ``(low, high)``
uniform) or a `Distribution`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..instance.errors import Problem
from ..instance.paths import Param, SweepInputError, base_value, parse_param, split_assignment

DESIGNS: tuple[str, ...] = ("grid", "oat", "mc")
SAMPLINGS: tuple[str, ...] = ("random", "lhs")


@dataclass(frozen=True)
class Distribution:
    """A distribution for Monte Carlo: uniform(low, high), normal(mean, sd) or
    triangular(low, mode, high)."""

    kind: Literal["uniform", "normal", "triangular"]
    args: tuple[float, ...]

    def __post_init__(self) -> None:
        want = {"uniform": 2, "normal": 2, "triangular": 3}.get(self.kind)
        if want is None or len(self.args) != want:
            raise ValueError(f"{self.kind} takes {want} numbers, got {len(self.args)}")

    def check(self, where: str) -> None:
        """Raise `SweepInputError` for impossible parameters (e.g. low > high)."""
        a = self.args
        if self.kind == "uniform" and a[0] > a[1]:
            fix = "give LOW <= HIGH"
        elif self.kind == "normal" and a[1] < 0:
            fix = "give SD >= 0"
        elif self.kind == "triangular" and not (a[0] <= a[1] <= a[2] and a[0] < a[2]):
            fix = "give LOW <= MODE <= HIGH with LOW < HIGH"
        else:
            return
        raise SweepInputError([Problem(where, f"impossible {self.kind}{self.args}", fix)])

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        """The values at cumulative probabilities `u` (inverse CDF), for sampling."""
        from scipy import stats

        a = self.args
        if self.kind == "uniform":
            return stats.uniform(loc=a[0], scale=a[1] - a[0]).ppf(u)
        if self.kind == "normal":
            return stats.norm(loc=a[0], scale=a[1]).ppf(u) if a[1] > 0 else np.full(u.shape, a[0])
        return stats.triang(c=(a[1] - a[0]) / (a[2] - a[0]), loc=a[0], scale=a[2] - a[0]).ppf(u)


@dataclass(frozen=True)
class Values:
    """Numbers given for a parameter; `is_range` for ``LOW:HIGH`` (two ends, no count)."""

    numbers: tuple[float, ...]
    is_range: bool = False


Spec = Values | Distribution


@dataclass(frozen=True)
class Vary:
    """A varied parameter and the values it takes."""

    param: Param
    spec: Spec

    @property
    def key(self) -> str:
        return self.param.key


@dataclass(frozen=True)
class Point:
    """One point of a sweep: the value of each varied parameter (NaN: as given)."""

    index: int
    values: dict[str, float]
    design: str
    oat_param: str = ""
    oat_level: str = ""


# --------------------------------------------------------------------------- parsing


def parse_vary(vary: Sequence[str] | Mapping[str, Any] | str) -> list[Vary]:
    """`["PATH=VALUES", ...]` or `{"PATH": values, "PATH*": values, ...}` -> `Vary`s."""
    if isinstance(vary, str):
        vary = [vary]
    out: list[Vary] = []
    if isinstance(vary, Mapping):
        for key, values in vary.items():
            param = parse_param(key)
            out.append(Vary(param, _spec(values, param.key)))
    else:
        for text in vary:
            param, values = split_assignment(text)
            out.append(Vary(param, _spec(values, param.key)))
    if not out:
        raise SweepInputError([Problem("--vary", "no parameter to vary",
                                       "give at least one PATH=VALUES, e.g. finance.discount_rate=0.06:0.1:3")])
    keys = [v.key for v in out]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SweepInputError([Problem(dup[0], "varied twice", "give each parameter once")])
    return out


def _spec(values: Any, where: str) -> Spec:
    if isinstance(values, Distribution):
        values.check(where)
        return values
    if isinstance(values, str):
        return parse_values(values, where)
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        return Values((float(values),))
    try:
        numbers = tuple(float(x) for x in values)
    except (TypeError, ValueError):
        raise SweepInputError([Problem(where, f"cannot read values {values!r}",
                                       "give numbers, a 'LOW:HIGH:N' string or a Distribution")]) from None
    if not numbers:
        raise SweepInputError([Problem(where, "no values", "give at least one value")])
    return Values(_finite(numbers, where))


def parse_values(text: str, where: str) -> Spec:
    """Parse the VALUES of ``PATH=VALUES`` (see the module docstring)."""
    text = text.strip()
    head, _, rest = text.partition(":")
    if head.strip().lower() in ("uniform", "normal", "triangular"):
        kind = head.strip().lower()
        dist = Distribution(kind, _numbers(rest.split(":"), where, text)) if _count_ok(kind, rest) else None
        if dist is None:
            form = {"uniform": "uniform:LOW:HIGH", "normal": "normal:MEAN:SD",
                    "triangular": "triangular:LOW:MODE:HIGH"}[kind]
            raise SweepInputError([Problem(where, f"bad distribution {text!r}", f"write {form}")])
        dist.check(where)
        return dist
    if ":" in text:
        parts = text.split(":")
        if len(parts) == 2:
            return Values(_numbers(parts, where, text), is_range=True)
        if len(parts) == 3:
            low, high = _numbers(parts[:2], where, text)
            n = _count(parts[2], where, text)
            return Values(tuple(float(x) for x in np.linspace(low, high, n)) if n > 1 else (low,))
        raise SweepInputError([Problem(where, f"cannot read {text!r}",
                                       "write LOW:HIGH:N, LOW:HIGH, V1,V2,... or a distribution")])
    return Values(_numbers(text.split(","), where, text))


def _count_ok(kind: str, rest: str) -> bool:
    return bool(rest) and len(rest.split(":")) == {"uniform": 2, "normal": 2, "triangular": 3}[kind]


def _numbers(parts: Sequence[str], where: str, text: str) -> tuple[float, ...]:
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        raise SweepInputError([Problem(where, f"cannot read {text!r}: not a number",
                                       "write numbers like 0.08, 1e6 or -5")]) from None
    return _finite(numbers, where)


def _finite(numbers: tuple[float, ...], where: str) -> tuple[float, ...]:
    if not all(math.isfinite(x) for x in numbers):
        raise SweepInputError([Problem(where, "values must be finite numbers", "remove nan or inf")])
    return numbers


MAX_POINTS = 1_000_000
"""Most points of a design (and values of a LOW:HIGH:N): more is a typo, not a sweep."""


def _count(text: str, where: str, whole: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_POINTS:
        raise SweepInputError([Problem(where, f"cannot read {whole!r}: N must be a whole number from 1 "
                                              f"to {MAX_POINTS:,}", "write LOW:HIGH:N, e.g. 40:120:5")])
    return n


# --------------------------------------------------------------------------- points


def points(design: str, varies: list[Vary], document: dict[str, Any], samples: int | None = None,
           seed: int = 0, sampling: str = "random") -> list[Point]:
    """The points of a design, in order. `document` is the instance dict (for oat bases)."""
    if design == "grid":
        return grid_points(varies)
    if design == "oat":
        return oat_points(varies, document)
    if design == "mc":
        return mc_points(varies, samples if samples is not None else 100, seed, sampling)
    raise SweepInputError([Problem("--design", f"unknown design {design!r}", "use grid, oat or mc")])


def grid_points(varies: list[Vary]) -> list[Point]:
    """The cartesian product of each parameter's values, the first parameter varying slowest."""
    lists = []
    for v in varies:
        if isinstance(v.spec, Distribution) or v.spec.is_range:
            raise SweepInputError([Problem(v.key, "a grid needs values, not a range or a distribution",
                                           "write LOW:HIGH:N (N values) or V1,V2,...")])
        lists.append(v.spec.numbers)
    if math.prod(len(values) for values in lists) > MAX_POINTS:
        sizes = " x ".join(str(len(values)) for values in lists)
        raise SweepInputError([Problem("--vary", f"the grid has {sizes} points, more than {MAX_POINTS:,}",
                                       "vary fewer parameters or give fewer values, or use --design mc")])
    keys = [v.key for v in varies]
    return [Point(i, dict(zip(keys, combo)), "grid") for i, combo in enumerate(itertools.product(*lists))]


def oat_points(varies: list[Vary], document: dict[str, Any]) -> list[Point]:
    """A base point, then low and high of each parameter in turn (the others at base)."""
    levels = {v.key: _oat_levels(v, document) for v in varies}
    base = {k: lv[1] for k, lv in levels.items()}
    out = [Point(0, dict(base), "oat", "", "base")]
    for v in varies:
        low, _, high = levels[v.key]
        for level, value in (("low", low), ("high", high)):
            out.append(Point(len(out), {**base, v.key: value}, "oat", v.key, level))
    return out


def _oat_levels(v: Vary, document: dict[str, Any]) -> tuple[float, float, float]:
    spec = v.spec
    if isinstance(spec, Values) and len(spec.numbers) == 3 and not spec.is_range:
        return spec.numbers  # type: ignore[return-value]
    if isinstance(spec, Values) and len(spec.numbers) == 2:
        return spec.numbers[0], base_value(document, v.param), spec.numbers[1]
    raise SweepInputError([Problem(v.key, "one-at-a-time takes a low and a high value",
                                   "write LOW:HIGH (base: the instance as given) or LOW,BASE,HIGH")])


def mc_points(varies: list[Vary], samples: int, seed: int, sampling: str) -> list[Point]:
    """`samples` points drawn with `seed`: independent uniforms or a Latin hypercube,
    mapped through each parameter's inverse CDF."""
    if samples < 1:
        raise SweepInputError([Problem("--samples", f"got {samples}", "give a number of samples >= 1")])
    dists = [_distribution(v) for v in varies]
    rng = np.random.default_rng(seed)
    if sampling == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(varies), rng=rng).random(samples)
    elif sampling == "random":
        u = rng.random((samples, len(varies)))
    else:
        raise SweepInputError([Problem("--sampling", f"unknown sampling {sampling!r}", "use random or lhs")])
    columns = [dist.quantiles(u[:, j]) for j, dist in enumerate(dists)]
    keys = [v.key for v in varies]
    return [Point(i, {k: float(col[i]) for k, col in zip(keys, columns)}, "mc") for i in range(samples)]


def _distribution(v: Vary) -> Distribution:
    if isinstance(v.spec, Distribution):
        return v.spec
    if len(v.spec.numbers) == 2:
        dist = Distribution("uniform", v.spec.numbers)
        dist.check(v.key)
        return dist
    raise SweepInputError([Problem(v.key, "Monte Carlo needs a range or a distribution",
                                   "write LOW:HIGH, normal:MEAN:SD or triangular:LOW:MODE:HIGH")])
