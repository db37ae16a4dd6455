"""Writers of an `Evaluation` (`dcopt evaluate`): JSON and the readable text, with the
comparison against the optimum when there is one. Labels of cost items come from the
registry (`dcopt.model.items`)."""

from __future__ import annotations

from pathlib import Path

from ..instance.semantics import TRAINING
from ..model.items import item_label
from .evaluation import Comparison, Evaluation


def write_json(ev: Evaluation, path: str | Path) -> None:
    Path(path).write_text(ev.model_dump_json(indent=1) + "\n", encoding="utf-8")


def money(usd: float) -> str:
    """A money amount in M$, with sensible precision."""
    v = usd / 1e6
    return f"{v:,.2f} M$" if abs(v) < 100 else f"{v:,.1f} M$"


def verdict(ev: Evaluation) -> str:
    if ev.feasible:
        return "meets all demand within every limit"
    return "; ".join(x for x in (
        f"breaks {len(ev.broken_limits)} limit(s)" if ev.broken_limits else "",
        "leaves demand unmet" if ev.unmet_demand else "") if x)


def evaluation_text(ev: Evaluation, top_sites: int = 6) -> str:
    lines = [f"{ev.instance_name or 'instance'}: plan {ev.plan_source or '(given)'}"]
    what = "expected TCO" if ev.scenarios is not None else "TCO"
    lines.append(f"{what[0].upper()}{what[1:]} {money(ev.tco_usd)} (NPV); {verdict(ev)}")
    lines += _cost_lines(ev, top_sites)
    if ev.scenarios is not None:
        lines += _scenario_lines(ev)
    else:
        lines += _plan_lines(ev)
    lines += [f"note: {n}" for n in ev.notes]
    if ev.comparison is not None:
        lines += comparison_lines(ev.comparison)
    return "\n".join(lines)


def _cost_lines(ev: Evaluation, top_sites: int) -> list[str]:
    shown = [(item, usd) for item, usd in ev.costs_npv_usd.items() if abs(usd) > 0.005]
    width = max([46, *(len(item_label(i)) for i, _ in shown)])
    lines = ["", "Cost items (NPV):"]
    lines += [f"  {item_label(item):<{width}} {money(usd):>14}" for item, usd in shown]
    lines.append(f"  {'total':<{width}} {money(ev.tco_usd):>14}")
    sites = sorted(((s, sum(c.values())) for s, c in ev.costs_by_site_npv_usd.items()
                    if any(abs(v) > 0.005 for v in c.values())), key=lambda kv: -abs(kv[1]))
    if sites:
        lines += ["", "By site (NPV, largest items):"]
        for s, total in sites[:top_sites]:
            items = sorted(ev.costs_by_site_npv_usd[s].items(), key=lambda kv: -abs(kv[1]))
            parts = ", ".join(f"{item_label(i)} {money(v)}" for i, v in items[:4] if abs(v) > 0.005)
            lines.append(f"  {s}: {money(total)} ({parts})")
        if len(sites) > top_sites:
            lines.append(f"  ... {len(sites) - top_sites} more sites")
    return lines


def _workload(ev: Evaluation, name: str) -> str:
    jobs = {j.job for j in ev.jobs} | {j for y in ev.years for j in y.job_demand}
    if name == TRAINING:
        return "training"
    return f"training job {name}" if name in jobs else f"inference {name}"


def _plan_lines(ev: Evaluation, indent: str = "") -> list[str]:
    """Broken limits, unmet demand, training jobs and rentals of one plan."""
    lines = []
    if ev.broken_limits:
        lines += ["", f"{indent}Limits broken:"]
        lines += [f"{indent}  - {b.constraint} [{b.where}]: {b.message}" for b in ev.broken_limits]
    if ev.unmet_demand:
        lines += ["", f"{indent}Unmet demand (with the best allocation of the plan's GPUs):"]
        for u in ev.unmet_demand:
            lines.append(f"{indent}  {u.year} {_workload(ev, u.workload)}: {u.unmet:,.6g} of {u.demand:,.6g} "
                         f"short ({100 * u.unmet / u.demand:.1f} %)")
    if ev.jobs:
        lines += ["", f"{indent}Training jobs (home, GPU model, GPUs by site, delivered of demand):"]
        for j in ev.jobs:
            at = ", ".join(f"{s.site} {s.gpus:,.4g}" + (f" (-{100 * s.loss:.0f} %)" if s.loss else "")
                           for s in j.sites) or "no GPUs"
            lines.append(f"{indent}  {j.year} {j.job}: home {j.home or '-'}, {j.gpu or 'mixed'}; {at}; "
                         f"{j.delivered:,.6g} of {j.demand:,.6g}")
    if ev.rented:
        lines += ["", f"{indent}Rented GPUs:"]
        lines += [f"{indent}  {r.year} {r.rental}: {r.gpus:,.6g} {r.gpu}" for r in ev.rented]
    return lines


def _scenario_lines(ev: Evaluation) -> list[str]:
    sc = ev.scenarios
    assert sc is not None
    lines = []
    shared = [b for b in ev.broken_limits if b.case is None]
    if shared:
        lines += ["", "Limits broken across cases:"]
        lines += [f"  - {b.constraint} [{b.where}]: {b.message}" for b in shared]
    lines += ["", f"Scenario cases (decisions from {sc.reveal_year} on may differ):"]
    for c in sc.cases:
        e = c.evaluation
        lines.append(f"  case {c.name} (probability {c.probability:g}): TCO {money(e.tco_usd)} (NPV); "
                     f"{verdict(e)}")
        lines += [x for x in _plan_lines(e, indent="    ") if x]
    return lines


def comparison_lines(c: Comparison) -> list[str]:
    lines = ["", "Compared with the optimum:", f"  {c.summary}"]
    if c.by_site_item:
        lines.append("  Differences by site and item, largest first (yours minus optimum, NPV):")
        for d in c.by_site_item[:10]:
            lines.append(f"    {d.difference_usd / 1e6:+10,.2f} M$  {item_label(d.item)} at {d.site} "
                         f"({money(d.yours_usd)} against {money(d.optimum_usd)})")
        if len(c.by_site_item) > 10:
            rest = sum(d.difference_usd for d in c.by_site_item[10:])
            lines.append(f"    {rest / 1e6:+10,.2f} M$  {len(c.by_site_item) - 10} smaller differences")
    if c.by_item:
        lines.append("  By cost item:")
        lines += [f"    {d.difference_usd / 1e6:+10,.2f} M$  {item_label(d.item)}" for d in c.by_item]
    if c.by_group:
        lines.append("  Net by site and what it pays for:")
        lines += [f"    {g.difference_usd / 1e6:+10,.2f} M$  {g.group} at {g.site}" for g in c.by_group]
    if c.by_site:
        lines.append("  By site:")
        lines += [f"    {d.difference_usd / 1e6:+10,.2f} M$  {d.site} ({money(d.yours_usd)} against "
                  f"{money(d.optimum_usd)})" for d in c.by_site]
    if c.decisions:
        lines.append("  Decisions:")
        lines += [f"    {x}" for x in c.decisions]
    return lines
