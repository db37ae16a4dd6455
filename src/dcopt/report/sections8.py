"""The section-8 topics of a plan report, each placed after the v1.1 section it extends.

A topic appears only when the solution has something for it, so a v1.1 solution's report is
unchanged. With scenarios, the top-level plan fields are the shared first stage (jobs, routes and
rentals are per case), so the topics are drawn once per case, after the scenarios section.
"""

from __future__ import annotations

from ..instance.schema import Instance
from ..results.solution import Solution
from . import jobs, lifecycle, power, supply
from .charts import Chart
from .plan_report import _per_unit_label, _units
from .scenarios import scenario_section

Section = tuple[str, str, list[Chart], str]


def topics(s: Solution, inst: Instance | None, unit: str | None, prefix: str = "") -> list[tuple[str, Section]]:
    """(anchors of the sections it may follow, first present wins; section) of every section-8 topic
    with something to draw."""
    units = _units(unit)
    out = [
        ("fleet", ("lifecycle", "GPU life and build lead times",
                   [lifecycle.survival_chart(s, inst, prefix), lifecycle.block_pipeline_chart(s, prefix)], "")),
        ("sites", ("power", "Power sources and network ports",
                   [power.power_stack_chart(s, prefix), power.energy_sources_chart(s, prefix),
                    power.fabric_ports_chart(s, prefix)], "")),
        ("demand", ("jobs", "Training jobs and data-centre interconnect",
                    [jobs.job_placement_chart(s, prefix), jobs.job_throughput_chart(s, units, prefix),
                     jobs.dci_routes_chart(s, prefix)], "")),
        ("jobs demand", ("supply", "Build, colocate or rent",
                  [supply.supply_mix_chart(s, units, prefix),
                   supply.supply_cost_chart(s, _per_unit_label(unit), prefix)], "")),
    ]
    return [(after, (prefix + a, t, [c for c in cs if c is not None], x)) for after, (a, t, cs, x) in out
            if any(c is not None for c in cs)]


def with_section8(base: list[Section], s: Solution, inst: Instance | None, unit: str | None) -> list[Section]:
    """`base` (the v1.1 sections) with the section-8 topics and, with scenarios, the scenarios section
    and each case's topics."""
    if s.scenarios is not None:
        out = _insert(base, "money", [scenario_section(s, inst)])
        return _insert(out, "scenarios", case_sections(s, inst, unit))
    out = list(base)
    for after, section in topics(s, inst, unit):
        out = _insert(out, after, [section])
    return out


def case_sections(s: Solution, inst: Instance | None, unit: str | None) -> list[Section]:
    """One section per scenario case with its section-8 topics (chart ids prefixed by the case)."""
    out = []
    for i, c in enumerate(s.scenarios.cases, start=1):
        prefix = f"case{i}-"
        charts = [ch for _, (_, _, cs, _) in topics(c.solution, inst, unit, prefix) for ch in cs]
        if charts:
            intro = (f"<p>The section-8 panels of case {c.name}: its jobs, power, lifecycle and supply over the "
                     "whole horizon, the shared first stage included.</p>")
            out.append((f"case{i}", f"Case {c.name} (p = {c.probability:g}): its own plan in detail", charts, intro))
    return out


def _insert(sections: list[Section], after: str, new: list[Section]) -> list[Section]:
    """`new` right after the first section of `after` (anchors, space-separated) that is there; at
    the end when none is."""
    anchors = [a for a, *_ in sections]
    for anchor in after.split():
        if anchor in anchors:
            i = anchors.index(anchor) + 1
            return sections[:i] + new + sections[i:]
    return sections + new
