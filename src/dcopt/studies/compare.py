"""A given plan against the optimum (`dcopt evaluate --compare`).

:func:`compare` solves the instance through the one pipeline and explains the
difference of an evaluated plan from the optimum: by cost item, by site and
item, by site, and by group of items at a site (net of resale and salvage:
the money really lost or saved), in sentences with the largest contributions
first, and the main decisions side by side. With scenarios the expected
costs are compared, and the decisions case by case.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..instance.scenarios import case_instance
from ..instance.schema import Instance
from ..model.items import GROUPS, is_credit, item_label, items_of_group, reported_items
from ..pipeline.totals import plan_totals
from ..results.evaluation import Comparison, Difference, Evaluation, GroupDifference, SiteDifference
from ..results.evaluation_writers import money
from ..results.solution import PurchaseResult, RetirementResult, SiteResult, Solution


def compare(inst: Instance, evaluation: Evaluation, options: Any = None) -> Comparison:
    """Solve `inst` for the optimum and explain how the evaluated plan differs from it.
    Sets and returns `evaluation.comparison`."""
    from ..pipeline.solve import solve

    return explain(inst, evaluation, solve(inst, options))


def compare_solutions(inst: Instance, solution: Solution, reference: Solution) -> Comparison:
    """`solution`'s plan (evaluated afresh) against `reference`, a solution of the same instance
    (`Solution.compare`)."""
    from .evaluate import evaluate

    plan = solution.scenario_plan() if solution.scenarios is not None else solution.plan()
    return explain(inst, evaluate(inst, plan, plan_source="solution"), reference)


def explain(inst: Instance, evaluation: Evaluation, optimum: Solution) -> Comparison:
    """How the evaluated plan differs from `optimum` (or why there is nothing to compare with).
    Sets and returns `evaluation.comparison`."""
    comparison = _no_optimum(optimum) if not optimum.has_plan else _against(inst, evaluation, optimum)
    evaluation.comparison = comparison
    return comparison


def _no_optimum(optimum: Solution) -> Comparison:
    reasons = "; ".join(optimum.diagnosis) if optimum.diagnosis else optimum.message
    return Comparison(
        optimum_status=optimum.status, optimum_message=optimum.message, optimum_tco_usd=None,
        optimum_mip_gap=None, optimum=optimum,
        summary=f"No optimum to compare with: {optimum.message}" + (f" ({reasons})" if reasons else ""),
    )


def _against(inst: Instance, ev: Evaluation, optimum: Solution) -> Comparison:
    items = reported_items(inst)
    mine, theirs = ev.costs_by_site_npv_usd, site_costs(inst, optimum)
    opt_tco = float(optimum.tco_usd or 0.0)
    diff = ev.tco_usd - opt_tco
    noise = 1e-6 * max(abs(ev.tco_usd), abs(opt_tco), 1.0)
    by_item = _differences(items, {None: ev.costs_npv_usd}, {None: optimum.costs_npv_usd}, noise)
    by_site_item = _differences(items, mine, theirs, noise)
    by_site = []
    for s in inst.sites:
        a, b = sum(mine.get(s.name, {}).values()), sum(theirs.get(s.name, {}).values())
        if abs(a - b) > noise:
            by_site.append(SiteDifference(site=s.name, yours_usd=a, optimum_usd=b, difference_usd=a - b))
    by_site.sort(key=lambda d: -abs(d.difference_usd))
    groups = _group_differences(inst, items, mine, theirs, noise)
    return Comparison(
        optimum_status=optimum.status, optimum_message=optimum.message, optimum_tco_usd=opt_tco,
        optimum_mip_gap=optimum.mip_gap, difference_usd=diff,
        summary=_summary(ev, optimum, diff, by_site_item, groups, noise),
        by_group=groups, by_item=by_item, by_site_item=by_site_item, by_site=by_site,
        decisions=_decisions(inst, ev, optimum), optimum=optimum,
    )


def site_costs(inst: Instance, solution: Solution) -> dict[str, dict[str, float]]:
    """NPV of each cost item per site of a solution's plan (with scenarios, the expectation
    over the cases)."""
    if solution.scenarios is None:
        _, costs = plan_totals(inst, solution.plan())
        return {s.name: costs.site_npv_usd(s.name) for s in inst.sites}
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for c in solution.scenarios.cases:
        case_inst = case_instance(inst, c.name)
        _, costs = plan_totals(case_inst, c.solution.plan())
        for s in inst.sites:
            for item, usd in costs.site_npv_usd(s.name).items():
                out[s.name][item] += c.probability * usd
    return {s: dict(v) for s, v in out.items()}


def _differences(items: tuple[str, ...], mine: dict, theirs: dict, noise: float) -> list[Difference]:
    """Per (site or None, item): yours minus the optimum, largest first."""
    out = []
    for site in mine.keys() | theirs.keys():
        for item in items:
            a, b = mine.get(site, {}).get(item, 0.0), theirs.get(site, {}).get(item, 0.0)
            if abs(a - b) > noise:
                out.append(Difference(item=item, site=site, yours_usd=a, optimum_usd=b, difference_usd=a - b,
                                      text=difference_text(item, site, a - b)))
    return sorted(out, key=lambda d: (-abs(d.difference_usd), d.site or "", d.item))


def difference_text(item: str, site: str | None, d: float) -> str:
    """'12.30 M$ more on electricity at site tx-abilene', in a finance reader's words."""
    label = _in_sentence(item_label(item))
    where = f" at site {site}" if site is not None else ""
    if is_credit(item):  # a credit: a higher cost means less money back
        return f"{money(d)} less {label}{where}" if d > 0 else f"{money(-d)} more {label}{where}"
    return f"{money(d)} more on {label}{where}" if d > 0 else f"{money(-d)} less on {label}{where}"


def _in_sentence(label: str) -> str:
    """'Buying GPUs' -> 'buying GPUs' (an acronym such as 'GPU maintenance' stays)."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def _group_differences(inst: Instance, items: tuple[str, ...], mine: dict[str, dict[str, float]],
                       theirs: dict[str, dict[str, float]], noise: float) -> list[GroupDifference]:
    """(group, site, yours minus optimum), largest first."""
    out = []
    for s in inst.sites:
        for group in GROUPS.values():
            members = items_of_group(group.name, items)
            d = sum(mine.get(s.name, {}).get(i, 0.0) - theirs.get(s.name, {}).get(i, 0.0) for i in members)
            if members and abs(d) > noise:
                out.append(GroupDifference(group=group.label, site=s.name, difference_usd=d))
    return sorted(out, key=lambda g: -abs(g.difference_usd))


def _summary(ev: Evaluation, optimum: Solution, diff: float, parts: list[Difference],
             groups: list[GroupDifference], noise: float) -> str:
    opt_tco = float(optimum.tco_usd or 0.0)
    which = ("the optimum" if optimum.status == "optimal"
             else f"the best plan found ({optimum.status}, within {100 * (optimum.mip_gap or 0):.2f} % "
                  "of the optimum)")
    if abs(diff) <= noise:
        text = f"Your plan costs the same as {which}: TCO {money(opt_tco)} (NPV)."
    else:
        text = _difference_sentences(ev, which, opt_tco, diff, parts, groups)
    if ev.unmet_demand:
        short = ", ".join(f"{u.unmet:,.4g} of {u.workload} in {u.year}" for u in ev.unmet_demand[:4])
        more_rows = len(ev.unmet_demand) - 4
        and_more = f" and {more_rows} more" if more_rows > 0 else ""
        text += f" Your plan leaves demand unmet ({short}{and_more}), which the optimum meets."
    if ev.broken_limits:
        kinds = sorted({b.constraint for b in ev.broken_limits})
        text += (f" Your plan breaks {len(ev.broken_limits)} limit(s) ({', '.join(kinds)}), "
                 "which the optimum respects.")
    if optimum.unmet_demand:
        text += " The optimum was solved with --allow-unmet and leaves some demand unmet."
    return text


def _difference_sentences(ev: Evaluation, which: str, opt_tco: float, diff: float, parts: list[Difference],
                          groups: list[GroupDifference]) -> str:
    more = diff > 0
    pct = f", {'+' if more else '-'}{100 * abs(diff) / abs(opt_tco):.1f} %" if opt_tco else ""
    text = (f"Your plan pays {money(abs(diff))} {'more' if more else 'less'} than {which}: "
            f"TCO {money(ev.tco_usd)} against {money(opt_tco)} (NPV{pct}).")
    same = [g for g in groups if (g.difference_usd > 0) == more]
    if same:
        shown = [f"{money(abs(g.difference_usd))} {'in' if i else 'of it in'} {g.group.split(' (')[0]} "
                 f"at site {g.site}" for i, g in enumerate(same[:3])]
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        text += f" Net of resale and salvage, {listed}."
        against = [g for g in groups if (g.difference_usd > 0) != more]
        if against:
            g = against[0]
            text += (f" Against that, it {'saves' if more else 'pays'} {money(abs(g.difference_usd))} "
                     f"{'on' if more else 'more on'} {g.group.split(' (')[0]} at site {g.site}.")
    big = [d for d in parts if (d.difference_usd > 0) == more][:2]
    if big:
        text += " Largest items: " + " and ".join(d.text for d in big)
        offset = [d for d in parts if (d.difference_usd > 0) != more][:1]
        if offset:
            text += f", partly offset by {offset[0].text}"
        text += "."
    return text


# --------------------------------------------------------------------------- decisions


def _decisions(inst: Instance, ev: Evaluation, optimum: Solution) -> list[str]:
    """The main decisions side by side; with scenarios, case by case."""
    if ev.scenarios is None or optimum.scenarios is None:
        return _decision_differences(inst, ev, optimum)
    theirs = {c.name: c.solution for c in optimum.scenarios.cases}
    return [f"case {c.name}: {line}" for c in ev.scenarios.cases if c.name in theirs
            for line in _decision_differences(inst, c.evaluation, theirs[c.name])]


def _decision_differences(inst: Instance, ev: Evaluation, optimum: Solution) -> list[str]:
    """Sites, IT MW built, GPUs bought, existing GPUs retired, GPUs rented."""
    out = []
    last = inst.horizon.end_year
    opt_sites = {s.name: s for s in optimum.sites}
    for s in ev.sites:
        o = opt_sites.get(s.name)
        mine, theirs = _site_line(s, last), (_site_line(o, last) if o is not None else "not opened")
        if mine != theirs:
            out.append(f"site {s.name}: yours {mine}; optimum {theirs}")
    mine_gpus, opt_gpus = _bought(ev.purchases), _bought(optimum.purchases)
    if mine_gpus != opt_gpus:
        out.append(f"GPUs bought: yours {_gpu_list(mine_gpus)}; optimum {_gpu_list(opt_gpus)}")
    if {(r.deployment, r.year, r.gpus) for r in ev.retirements} != \
            {(r.deployment, r.year, r.gpus) for r in optimum.retirements}:
        out.append("existing GPUs retired: yours " + _retired(ev.retirements) + "; optimum "
                   + _retired(optimum.retirements))
    mine_rented, opt_rented = _rented(ev.rented), _rented(optimum.rented)
    if mine_rented != opt_rented:
        out.append(f"GPUs rented: yours {mine_rented}; optimum {opt_rented}")
    return out


def _site_line(s: SiteResult, last: int) -> str:
    if s.open_year is None:
        return "not opened"
    how = "existing" if s.opened_by_existing else f"opened {s.open_year}"
    halls: dict[str, int] = defaultdict(int)
    for b in s.blocks:
        halls[f"{b.cooling}/{b.rack_kw:g} kW"] += b.blocks
    mix = ", ".join(f"{n} x {k}" for k, n in halls.items()) or "no blocks"
    return f"{how}, {s.built_it_mw.get(last, 0.0):g} MW IT by {last} ({mix})"


def _bought(purchases: list[PurchaseResult]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for q in purchases:
        out[q.gpu] += q.gpus
    return dict(sorted(out.items()))


def _gpu_list(bought: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {g}" for g, n in bought.items()) or "none"


def _retired(rows: list[RetirementResult]) -> str:
    return ", ".join(f"{r.gpus} of deployment {r.deployment} in {r.year}" for r in rows) or "none"


def _rented(rows) -> str:
    return ", ".join(f"{r.gpus:,.4g} {r.gpu} from {r.rental} in {r.year}" for r in rows) or "none"
