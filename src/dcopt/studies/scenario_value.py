r"""What planning for scenarios is worth (SPEC 8.8): EVPI and VSS.

For an instance with scenarios and its stochastic optimum :math:`SP`
(the expected TCO of the best plan that shares its first stage):

* **wait and see** :math:`WS = \sum_c p_c\, \mathrm{TCO}^*_c`, each case solved
  alone as if its future were known; the **expected value of perfect
  information** is :math:`EVPI = SP - WS \ge 0`: what a perfect forecast
  would save.
* **expected result of the mean-value plan** :math:`EEV`: solve the instance
  with every scale at its probability-weighted mean, fix that plan's
  decisions of the years before the reveal year, and re-solve each case
  with them; the **value of the stochastic solution** is
  :math:`VSS = EEV - SP \ge 0`: what planning for the cases saves over
  planning for the average.

Both hold within the solves' MIP gaps. The case solves are independent and
run on local worker processes (`jobs`) or a Dask cluster (`dask`), like
sweep points.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..instance.io import load_instance
from ..instance.scenarios import case_instance, mean_instance
from ..instance.schema import Instance
from ..pipeline.solve import Pipeline
from ..plan.format import Plan
from ..results.solution import Solution
from ..solver.highs import SolveOptions


@dataclass(frozen=True)
class CaseSolve:
    """One independent solve: an instance document, and first-stage decisions to hold."""

    name: str
    document: dict[str, Any]
    fixed: Plan | None = None
    fixed_before: int | None = None


@dataclass
class ScenarioValue:
    stochastic_tco_usd: float
    wait_and_see_tco_usd: float | None
    evpi_usd: float | None
    mean_value_tco_usd: float | None
    eev_tco_usd: float | None
    vss_usd: float | None
    case_tco_usd: dict[str, float | None] = field(default_factory=dict)  # each case alone
    case_eev_usd: dict[str, float | None] = field(default_factory=dict)  # each case with the mean plan's first stage
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def m(x: float | None) -> str:
            return "n/a" if x is None else f"{x / 1e6:,.2f} M$"

        return [f"stochastic optimum (expected TCO): {m(self.stochastic_tco_usd)}",
                (f"wait and see (each case alone, expected): {m(self.wait_and_see_tco_usd)}; "
                 f"EVPI {m(self.evpi_usd)}"),
                (f"mean-value plan's first stage in every case (expected): {m(self.eev_tco_usd)}; "
                 f"VSS {m(self.vss_usd)}"), *self.notes]


def _run(task: CaseSolve, options: SolveOptions) -> tuple[str, float | None, str]:
    inst = load_instance(task.document)
    sol = Pipeline(options).solve(inst, task.fixed, task.fixed_before)
    return task.name, sol.tco_usd if sol.has_plan else None, sol.status


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def run_solves(tasks: list[CaseSolve], options: SolveOptions, jobs: int = 1, dask: Any = None
               ) -> dict[str, tuple[float | None, str]]:
    """Solve independent tasks inline, on `jobs` local processes, or on Dask."""
    if dask is not None:
        from distributed import Client

        client = dask if isinstance(dask, Client) else Client(dask)
        try:
            futures = [client.submit(_run, t, options, pure=False) for t in tasks]
            results = client.gather(futures)
        finally:
            if not isinstance(dask, Client):
                client.close()
    elif jobs > 1 and len(tasks) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context,
                                 initializer=_init_worker) as pool:
            results = list(pool.map(_run, tasks, [options] * len(tasks)))
    else:
        results = [_run(t, options) for t in tasks]
    return {name: (tco, status) for name, tco, status in results}


def scenario_value(inst: Instance, stochastic: Solution, options: SolveOptions | None = None, jobs: int = 1,
                   dask: Any = None) -> ScenarioValue:
    """EVPI and VSS of `inst` given its stochastic solution."""
    sc = inst.scenarios
    if sc is None or stochastic.tco_usd is None:
        raise ValueError("the value of scenarios needs an instance with scenarios and its solved plan")
    options = (options or SolveOptions()).model_copy(update={"log": False})
    probs = {c.name: c.probability for c in sc.cases}
    alone = run_solves([CaseSolve(c.name, case_instance(inst, c).model_dump(exclude_none=True)) for c in sc.cases],
                       options, jobs, dask)
    out = ScenarioValue(stochastic.tco_usd, None, None, None, None, None,
                        case_tco_usd={n: tco for n, (tco, _) in alone.items()})
    if all(tco is not None for tco, _ in alone.values()):
        out.wait_and_see_tco_usd = sum(probs[n] * tco for n, (tco, _) in alone.items())
        out.evpi_usd = stochastic.tco_usd - out.wait_and_see_tco_usd
    else:
        out.notes.append("a case has no plan on its own: " + ", ".join(
            f"{n} ({status})" for n, (tco, status) in alone.items() if tco is None))
    mean = Pipeline(options).solve(mean_instance(inst))
    if not mean.has_plan:
        out.notes.append(f"the mean-value instance has no plan ({mean.status}): no VSS")
        return out
    out.mean_value_tco_usd = mean.tco_usd
    plan = mean.plan()
    tasks = [CaseSolve(c.name, case_instance(inst, c).model_dump(exclude_none=True), plan, sc.reveal_year)
             for c in sc.cases]
    eev = run_solves(tasks, options, jobs, dask)
    out.case_eev_usd = {n: tco for n, (tco, _) in eev.items()}
    if all(tco is not None for tco, _ in eev.values()):
        out.eev_tco_usd = sum(probs[n] * tco for n, (tco, _) in eev.items())
        out.vss_usd = out.eev_tco_usd - stochastic.tco_usd
    else:
        out.notes.append("the mean-value plan's first stage leaves a case without a plan: " + ", ".join(
            f"{n} ({status})" for n, (tco, status) in eev.items() if tco is None))
    return out
