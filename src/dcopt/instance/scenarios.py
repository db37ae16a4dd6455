"""Scenario cases as plain instances (SPEC 8.8).

`case_instance(inst, name)` is the instance a case describes, without
scenarios: its scales applied to the years from the reveal year on (pooled
training, job and inference demand, grid electricity prices, GPU purchase
prices). It is what the independent check costs each case's plan against,
and what "each case solved alone" (the expected value of perfect
information) solves. `mean_instance(inst)` is the probability-weighted mean
case (the value of the stochastic solution starts from its plan).
"""

from __future__ import annotations

from typing import Any

from . import semantics as sem
from .schema import Instance, ScenarioCase


def _factor(value: float | dict[str, float], name: str) -> float:
    return float(value.get(name, 1.0)) if isinstance(value, dict) else float(value)


def _scaled_map(year_map: dict[str, float], reveal: int, factor: float) -> dict[str, float]:
    return {y: (v * factor if int(y) >= reveal else v) for y, v in year_map.items()}


def scaled_instance(inst: Instance, reveal: int, scales: dict[str, Any]) -> Instance:
    """`inst` without scenarios, with `scales` (a case's fields) applied from `reveal` on."""
    doc = inst.model_dump(exclude_none=True)
    doc.pop("scenarios", None)
    years = [*inst.years]
    training = scales.get("training_scale", 1.0)
    doc["demand"]["training"] = _scaled_map(doc["demand"].get("training", {}), reveal, training)
    for dem in doc["demand"].get("inference", []):
        dem["perf"] = _scaled_map(dem["perf"], reveal, _factor(scales.get("inference_scale", 1.0), dem["region"]))
    for job in doc["demand"].get("training_jobs", []):
        job["perf"] = _scaled_map(job["perf"], reveal, _factor(scales.get("job_scale", 1.0), job["name"]))
    elec = scales.get("electricity_scale", 1.0)
    for site, s in zip(doc["sites"], inst.sites):
        site["electricity_usd_per_mwh"] = {
            str(y): sem.electricity_usd_per_mwh(s, y) * (elec if y >= reveal else 1.0) for y in years}
    for gpu, g in zip(doc["catalog"]["gpus"], inst.catalog.gpus):
        factor = _factor(scales.get("gpu_price_scale", 1.0), g.name)
        buyable = [y for y in years if g.first_year <= y <= g.last_year]
        if factor == 1.0 or not buyable:
            continue
        gpu["price_usd_per_gpu"] = {str(y): sem.gpu_price_usd(g, y) * (factor if y >= reveal else 1.0)
                                    for y in buyable}
        gpu.pop("price_decline_per_year", None)
    return Instance.model_validate(doc)


def case_instance(inst: Instance, case: str | ScenarioCase) -> Instance:
    """The instance of one scenario case, without scenarios."""
    sc = inst.scenarios
    assert sc is not None, "the instance has no scenarios"
    spec = case if isinstance(case, ScenarioCase) else next(c for c in sc.cases if c.name == case)
    return scaled_instance(inst, sc.reveal_year, spec.model_dump(exclude={"name", "probability"}))


def mean_instance(inst: Instance) -> Instance:
    """The mean-value instance: every scale replaced by its probability-weighted mean (maps
    per name)."""
    sc = inst.scenarios
    assert sc is not None, "the instance has no scenarios"
    names = {"job_scale": [j.name for j in inst.demand.training_jobs],
             "inference_scale": [d.region for d in inst.demand.inference],
             "gpu_price_scale": [g.name for g in inst.catalog.gpus]}
    scales: dict[str, Any] = {}
    for field in ("training_scale", "electricity_scale"):
        scales[field] = sum(c.probability * getattr(c, field) for c in sc.cases)
    for field, keys in names.items():
        scales[field] = {k: sum(c.probability * _factor(getattr(c, field), k) for c in sc.cases) for k in keys}
    return scaled_instance(inst, sc.reveal_year, scales)
