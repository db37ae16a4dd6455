"""`Instance` -> `ModelData`: the index sets and plain numbers the model is built from.

All lookups, defaults and unit conversion happen here, once. Inside the model
money is in M$ (1e6 USD) and power in MW, so that coefficients stay within a
few orders of magnitude; `USD_PER_MUSD` converts back at the boundary.

Only keys that can be non-zero become variables: a purchase exists only for a
GPU on sale that year, at a site whose power is available, in a hall design
allowed there that can host it, on a fabric fast enough, with a life choice
(lives reaching past the horizon are merged, SPEC section 3).

Every cost item of SPEC section 5 becomes, per variable family, a map from
variable key to its NPV coefficient, plus a constant (existing assets), so
that the model's cost expressions are plain sums.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields

from ..instance import semantics as sem
from ..instance.schema import Instance

USD_PER_MUSD = 1e6
KW_PER_MW = 1000.0

COST_ITEMS: tuple[str, ...] = (
    "site_opening",
    "fabric_fixed",
    "blocks",
    "deployments",
    "energy",
    "carbon",
    "fixed_opex",
    "facility_maintenance",
    "deployment_maintenance",
    "resale",
    "existing_retirement",
    "existing_residual",
    "facility_salvage",
)
"""Cost items of SPEC section 5, in reporting order (credits are negative)."""

CAPEX_ITEMS: tuple[str, ...] = ("site_opening", "fabric_fixed", "blocks", "deployments")

PENALTY_ITEMS: tuple[str, ...] = ("unmet_demand", "relaxation")
"""Objective terms that are not costs of SPEC 5: priced unmet demand (--allow-unmet)
and the penalties of an elastic diagnosis. Never part of the TCO."""

FAMILY_ITEMS: dict[str, tuple[str, ...]] = {
    "open": ("site_opening", "facility_salvage"),
    "fab": ("fabric_fixed", "facility_salvage"),
    "build": ("blocks", "fixed_opex", "facility_maintenance", "facility_salvage", "relaxation"),
    "buy": ("deployments", "energy", "carbon", "deployment_maintenance", "resale", "relaxation"),
    "retire": ("energy", "carbon", "deployment_maintenance", "existing_retirement", "existing_residual"),
    "unmet": ("unmet_demand",),
    "grid_excess": ("relaxation",),
    "floor_excess": ("relaxation",),
    "budget_excess": ("relaxation",),
}
"""Which cost items each variable family can carry a coefficient in."""

RELAXABLE_RULES: tuple[str, ...] = ("power_year", "sale_years", "port_speed")
BUDGET_EXCESS_WEIGHT_PER_MUSD = 0.05
"""Elastic penalty of 1 M$ over budget, against 1 per MW over a grid limit (about 20 M$ of capex)."""


@dataclass(frozen=True)
class Elastic:
    """Penalised slack on business constraints, for `--allow-unmet` and for
    explaining infeasibility (SPEC itself has none: the default is `None`).

    `unmet_penalty_musd_per_perf`: demand may go unmet at this price per unit
    of throughput per year (discounted like any cash flow of that year).
    `limits`: grid MW, floor blocks and the budget may be exceeded, at a
    penalty per MW, block or M$. `relax`: structural rules that may be
    broken at a penalty per MW-year (builds and purchases before
    power_available_year, purchases outside a GPU's sale years, GPUs on a
    fabric slower than their port). `tco_weight` scales the SPEC costs in
    the objective (small in a diagnosis, where the penalties are the point).
    """

    unmet_penalty_musd_per_perf: float | None = None
    limits: bool = False
    relax: frozenset[str] = frozenset()
    tco_weight: float = 1.0

# Variable keys
SiteYear = tuple[str, int]
FabKey = tuple[str, str, int]  # site, fabric, year
BuildKey = tuple[str, str, int]  # site, design, year
BuyKey = tuple[str, str, str, str, int, int]  # site, design, gpu, fabric, year, life
RetireKey = tuple[int, int]  # existing deployment index, year
AllocKey = tuple[str, str, str, int, str]  # site, gpu, fabric, year, workload
FleetKey = tuple[str, str, str, str]  # site, design, gpu, fabric


@dataclass
class ExistingUnits:
    """An existing deployment in model terms."""

    index: int
    site: str
    design: str
    gpu: str
    fabric: str
    purchase_year: int
    units: int
    unit_mw: float
    deadline_year: int  # Y*: all units gone by its start when <= end_year
    retire_years: list[int]
    must_retire_all: bool


@dataclass
class ModelData:
    """Index sets and numbers for the model, in M$ and MW."""

    name: str
    years: list[int]
    salvage_year: int
    discount: dict[int, float]

    sites: list[str]
    regions: list[str]
    designs: dict[str, tuple[str, float]]  # design id -> (cooling, rack_kw)
    site_designs: dict[str, list[str]]  # designs that can hold units at a site
    block_mw: dict[str, float]
    max_facility_mw: dict[str, float]
    max_blocks: dict[str, int | None]
    site_max_it_mw: dict[str, float]  # largest IT MW the site can ever have
    pue: dict[tuple[str, str], float]  # (site, design)
    existing_blocks: dict[tuple[str, str], int]
    open_sites: list[str]  # open from the start (existing blocks)
    present_fabrics: dict[str, list[str]]  # fabrics present from the start

    open_keys: list[SiteYear]
    fab_keys: list[FabKey]
    build_keys: list[BuildKey]
    build_ub: dict[BuildKey, int]
    buy_keys: list[BuyKey]
    buy_ub: dict[BuyKey, int]
    existing: list[ExistingUnits]
    retire_keys: list[RetireKey]
    alloc_keys: list[AllocKey]

    gpu_unit_gpus: dict[str, int]
    unit_mw: dict[tuple[str, str], float]  # (gpu, fabric) -> MW of one unit
    fleet_keys: list[FleetKey]  # (s, h, g, f) that can have active units
    active_buys: dict[tuple[FleetKey, int], list[BuyKey]]
    active_existing: dict[tuple[FleetKey, int], list[int]]  # existing deployment indices

    training_demand: dict[int, float]
    inference_demand: dict[tuple[str, int], float]  # (region, year)
    perf: dict[tuple[str, str, str], float]  # (gpu, fabric, workload) -> per-GPU delivered perf
    site_workloads: dict[str, list[str]]

    budget_musd: float | None
    static_infeasibilities: list[str] = field(default_factory=list)
    elastic: Elastic | None = None
    demand_rows: list[tuple[str, int]] = field(default_factory=list)  # (workload, year) with demand > 0
    relaxed: dict[str, dict] = field(default_factory=dict)  # family -> key -> text of the broken rule
    capex_musd: dict[str, dict] = field(default_factory=dict)  # family -> key -> nominal M$
    cost_coef: dict[str, dict[str, dict]] = field(default_factory=dict)  # item -> family -> key -> M$
    cost_const: dict[str, float] = field(default_factory=dict)  # item -> M$

    def open_by_keys(self, site: str, year: int) -> list[SiteYear]:
        return [(site, y) for (s, y) in self.open_keys if s == site and y <= year]


def prepare(inst: Instance, elastic: Elastic | None = None) -> ModelData:
    """Turn a validated instance into model data (`elastic`: see `Elastic`)."""
    cat = inst.catalog
    years = inst.years
    y0, y_end = years[0], years[-1]
    salvage_year = y_end + 1
    disc = {y: sem.discount(inst, y) for y in [*years, salvage_year]}
    coolings = {k.name: k for k in cat.cooling}
    densities = {d.rack_kw: d for d in cat.densities}
    gpus = {g.name: g for g in cat.gpus}
    fabrics = {f.name: f for f in cat.fabrics}
    fin = inst.finance
    lf = inst.options.load_factor
    lives = sorted(set(inst.options.life_choices_years))

    def M(usd: float) -> float:
        return usd / USD_PER_MUSD

    designs = {
        sem.design_id(k.name, d.rack_kw): (k.name, d.rack_kw)
        for k in cat.cooling
        for d in cat.densities
        if sem.is_design(k, d)
    }

    relax = elastic.relax if elastic is not None else frozenset()
    relaxed: dict[str, dict] = defaultdict(dict)
    coef: dict[str, dict[str, dict]] = {item: defaultdict(dict) for item in (*COST_ITEMS, *PENALTY_ITEMS)}
    const: dict[str, float] = {item: 0.0 for item in COST_ITEMS}
    capex: dict[str, dict] = defaultdict(dict)

    def add(item: str, family: str, key: object, value: float) -> None:
        if value != 0.0:
            fam = coef[item][family]
            fam[key] = fam.get(key, 0.0) + value

    # ------------------------------------------------------------------ existing assets per site
    existing_blocks: dict[tuple[str, str], int] = defaultdict(int)
    for b in inst.existing.blocks:
        existing_blocks[(b.site, sem.design_id(b.cooling, b.rack_kw))] += b.blocks
    existing_blocks = {k: v for k, v in existing_blocks.items() if v > 0}
    present_fabrics: dict[str, list[str]] = defaultdict(list)
    dep_designs: dict[str, set[str]] = defaultdict(set)
    for dep in inst.existing.deployments:
        if dep.fabric not in present_fabrics[dep.site]:
            present_fabrics[dep.site].append(dep.fabric)
        dep_designs[dep.site].add(sem.design_id(dep.cooling, dep.rack_kw))

    # ------------------------------------------------------------------ sites, designs, blocks
    site_names = [s.name for s in inst.sites]
    site_by_name = {s.name: s for s in inst.sites}
    site_designs: dict[str, list[str]] = {}
    buildable: dict[str, list[str]] = {}
    pue: dict[tuple[str, str], float] = {}
    block_capex: dict[tuple[str, str], float] = {}
    open_sites: list[str] = []
    site_max_it_mw: dict[str, float] = {}
    open_keys: list[SiteYear] = []
    build_keys: list[BuildKey] = []
    build_ub: dict[BuildKey, int] = {}
    max_blocks: dict[str, int | None] = {}

    facility_years_left = {y: sum(disc[t] for t in years if t >= y) for y in years}
    max_pue = max([k.pue for k in cat.cooling] + [v for s in inst.sites for v in (s.pue_overrides or {}).values()])
    loose_facility_mw = (_demand_it_mw_bound(inst) * max_pue if elastic is not None and elastic.limits
                         else 0.0)

    def block_items(s_name: str, h: str, y: int) -> dict[str, float]:
        """NPV (M$) per cost item of one block of design h built at s in year y."""
        site = site_by_name[s_name]
        cap = block_capex[(s_name, h)]
        return {
            "blocks": M(cap) * disc[y],
            "fixed_opex": M(site.fixed_opex_usd_per_mw_year * site.block_mw) * facility_years_left[y],
            "facility_maintenance": M(fin.facility_maintenance_frac_per_year * cap) * facility_years_left[y],
            "facility_salvage": -M(cap) * sem.residual(salvage_year - y, fin.facility_life_years)
            * disc[salvage_year],
        }

    for s in inst.sites:
        allowed = set(s.allowed_cooling) if s.allowed_cooling is not None else set(coolings)
        held = {h for (site, h) in existing_blocks if site == s.name} | dep_designs[s.name]
        site_designs[s.name] = [h for h in designs if designs[h][0] in allowed or h in held]
        for h in site_designs[s.name]:
            k, rack = designs[h]
            pue[(s.name, h)] = sem.site_pue(s, coolings[k])
            block_capex[(s.name, h)] = sem.block_capex_usd(s, coolings[k], densities[rack])
        n_existing = sum(v for (site, _), v in existing_blocks.items() if site == s.name)
        if n_existing > 0:
            open_sites.append(s.name)
        grid_used = sum(
            pue[(s.name, h)] * s.block_mw * v for (site, h), v in existing_blocks.items() if site == s.name
        )
        grid_left = max(0.0, s.max_facility_mw - grid_used)
        floor_left = None if s.max_blocks is None else max(0, s.max_blocks - n_existing)
        if elastic is not None and elastic.limits:
            # the grid and floor rows carry penalised excess: block bounds must not
            # repeat the limits, only stay finite
            grid_left = max(grid_left, loose_facility_mw + 2 * s.block_mw * max_pue)
            floor_left = None
        max_blocks[s.name] = s.max_blocks
        build_years = [y for y in years if y >= s.power_available_year or "power_year" in relax]
        buildable[s.name] = []
        most_new = 0
        candidates = {}
        for h in site_designs[s.name]:
            if designs[h][0] not in allowed:
                continue
            ub = sem.max_blocks_under_grid(grid_left, pue[(s.name, h)], s.block_mw)
            if floor_left is not None:
                ub = min(ub, floor_left)
            if ub > 0 and build_years:
                candidates[h] = ub
        for h in _undominated(s.name, candidates, held, designs, build_years, block_capex, block_items,
                              [g.min_rack_kw for g in cat.gpus], {k.name: k.liquid for k in cat.cooling},
                              pue):
            ub = candidates[h]
            most_new = max(most_new, ub)
            buildable[s.name].append(h)
            for y in build_years:
                build_keys.append((s.name, h, y))
                build_ub[(s.name, h, y)] = ub
        site_designs[s.name] = [h for h in site_designs[s.name] if h in buildable[s.name] or h in held]
        site_max_it_mw[s.name] = s.block_mw * (n_existing + most_new)
        if s.name not in open_sites and buildable[s.name]:
            open_keys.extend((s.name, y) for y in years)

    # site opening: cost in its year, salvage at the end
    for s_name, y in open_keys:
        usd = site_by_name[s_name].site_fixed_capex_usd
        add("site_opening", "open", (s_name, y), M(usd) * disc[y])
        add("facility_salvage", "open", (s_name, y),
            -M(usd) * sem.residual(salvage_year - y, fin.facility_life_years) * disc[salvage_year])
        capex["open"][(s_name, y)] = M(usd)

    # blocks: capex, recurring costs from the build year on, salvage
    for key in build_keys:
        for item, value in block_items(*key).items():
            add(item, "build", key, value)
        capex["build"][key] = M(block_capex[key[:2]])
        early = site_by_name[key[0]].power_available_year - key[2]
        if early > 0:
            add("relaxation", "build", key, site_by_name[key[0]].block_mw * early)
            relaxed["build"][key] = f"built {early} year(s) before power is available"
    for (s_name, h), n in existing_blocks.items():
        site = site_by_name[s_name]
        const["fixed_opex"] += M(site.fixed_opex_usd_per_mw_year * site.block_mw) * n * facility_years_left[y0]
        const["facility_maintenance"] += (
            M(fin.facility_maintenance_frac_per_year * block_capex[(s_name, h)]) * n * facility_years_left[y0]
        )

    # ------------------------------------------------------------------ fabrics
    fab_keys: list[FabKey] = []
    usable_fabrics: dict[str, set[str]] = defaultdict(set)  # filled by purchases below

    # ------------------------------------------------------------------ purchases
    unit_mw: dict[tuple[str, str], float] = {}
    for g in cat.gpus:
        for f in cat.fabrics:
            unit_mw[(g.name, f.name)] = sem.unit_kw(g, f) / KW_PER_MW

    def running_cost_musd(s_name: str, h: str, g_name: str, f_name: str, t: int) -> tuple[float, float]:
        """Nominal energy and carbon cost (M$) of one unit running in year t."""
        site = site_by_name[s_name]
        mwh = sem.MWH_PER_KW_YEAR * KW_PER_MW * lf * pue[(s_name, h)] * unit_mw[(g_name, f_name)]
        energy = mwh * sem.electricity_usd_per_mwh(site, t)
        carbon = mwh * fin.carbon_price_usd_per_t * site.carbon_kg_per_mwh / 1000.0
        return M(energy), M(carbon)

    buy_keys: list[BuyKey] = []
    buy_ub: dict[BuyKey, int] = {}
    for s in inst.sites:
        can_hold = set(buildable[s.name]) | {h for (site, h) in existing_blocks if site == s.name}
        allowed = set(s.allowed_cooling) if s.allowed_cooling is not None else set(coolings)
        for h in site_designs[s.name]:
            k_name, rack = designs[h]
            if h not in can_hold or k_name not in allowed:
                continue
            for g in cat.gpus:
                if not sem.fits(g, coolings[k_name], densities[rack]):
                    continue
                buy_years = [
                    y for y in years
                    if (g.first_year <= y <= g.last_year or "sale_years" in relax)
                    and (y >= s.power_available_year or "power_year" in relax)
                ]
                for f in cat.fabrics:
                    if not sem.attaches(g, f) and "port_speed" not in relax:
                        continue
                    ub = int(site_max_it_mw[s.name] / unit_mw[(g.name, f.name)] + 1e-9)
                    if ub <= 0:
                        continue
                    for y in buy_years:
                        seen: set[int] = set()
                        for life in lives:
                            if life > g.max_life_years:
                                continue
                            eff = min(life, salvage_year - y)
                            if eff in seen:
                                continue
                            seen.add(eff)
                            key = (s.name, h, g.name, f.name, y, eff)
                            buy_keys.append(key)
                            buy_ub[key] = ub
                            usable_fabrics[s.name].add(f.name)

    for key in buy_keys:
        s_name, h, g_name, f_name, y, life = key
        g, f = gpus[g_name], fabrics[f_name]
        if relax:
            broken = _broken_purchase_rules(site_by_name[s_name], g, f, y)
            if broken:
                add("relaxation", "buy", key, unit_mw[(g_name, f_name)] * sum(w for _, w in broken))
                relaxed["buy"][key] = "; ".join(text for text, _ in broken)
        cap = M(_unit_capex_any_year(g, f, y))
        capex["buy"][key] = cap
        add("deployments", "buy", key, cap * disc[y])
        energy = carbon = maint = 0.0
        for t in range(y, y + life):
            e, c = running_cost_musd(s_name, h, g_name, f_name, t)
            energy += e * disc[t]
            carbon += c * disc[t]
            maint += g.maintenance_frac_per_year * cap * disc[t]
        add("energy", "buy", key, energy)
        add("carbon", "buy", key, carbon)
        add("deployment_maintenance", "buy", key, maint)
        add("resale", "buy", key, -cap * sem.residual(life, g.depreciation_years) * disc[y + life])

    # fabrics that a purchase could use and that are not already present
    for s in inst.sites:
        for f in cat.fabrics:
            if f.name in usable_fabrics[s.name] and f.name not in present_fabrics[s.name]:
                for y in years:
                    fab_keys.append((s.name, f.name, y))
    for key in fab_keys:
        s_name, f_name, y = key
        usd = fabrics[f_name].site_fixed_capex_usd
        add("fabric_fixed", "fab", key, M(usd) * disc[y])
        add("facility_salvage", "fab", key,
            -M(usd) * sem.residual(salvage_year - y, fin.facility_life_years) * disc[salvage_year])
        capex["fab"][key] = M(usd)

    # ------------------------------------------------------------------ existing deployments
    existing: list[ExistingUnits] = []
    retire_keys: list[RetireKey] = []
    for i, dep in enumerate(inst.existing.deployments):
        g, f = gpus[dep.gpu], fabrics[dep.fabric]
        h = sem.design_id(dep.cooling, dep.rack_kw)
        deadline = sem.retire_deadline(inst, dep.purchase_year, g)
        ex = ExistingUnits(
            index=i, site=dep.site, design=h, gpu=g.name, fabric=f.name,
            purchase_year=dep.purchase_year, units=dep.gpus // g.unit_gpus,
            unit_mw=unit_mw[(g.name, f.name)], deadline_year=deadline,
            retire_years=[y for y in years if y <= deadline],
            must_retire_all=deadline <= y_end,
        )
        existing.append(ex)
        value = M(g.unit_gpus * (dep.price_usd_per_gpu + sem.net_capex_usd_per_gpu(f, g)))
        # running costs of year t are paid by N - (units retired at or before t)
        run = {}
        for t in years:
            e, c = running_cost_musd(dep.site, h, g.name, f.name, t)
            run[t] = (e * disc[t], c * disc[t], g.maintenance_frac_per_year * value * disc[t])
        const["energy"] += ex.units * sum(r[0] for r in run.values())
        const["carbon"] += ex.units * sum(r[1] for r in run.values())
        const["deployment_maintenance"] += ex.units * sum(r[2] for r in run.values())
        residual_end = value * sem.residual(salvage_year - dep.purchase_year, g.depreciation_years)
        const["existing_residual"] -= ex.units * residual_end * disc[salvage_year]
        for y in ex.retire_years:
            key = (i, y)
            retire_keys.append(key)
            later = [r for t, r in run.items() if t >= y]
            add("energy", "retire", key, -sum(r[0] for r in later))
            add("carbon", "retire", key, -sum(r[1] for r in later))
            add("deployment_maintenance", "retire", key, -sum(r[2] for r in later))
            add("existing_retirement", "retire", key,
                -value * sem.residual(y - dep.purchase_year, g.depreciation_years) * disc[y])
            add("existing_residual", "retire", key, residual_end * disc[salvage_year])

    # ------------------------------------------------------------------ active units
    active_buys: dict[tuple[FleetKey, int], list[BuyKey]] = defaultdict(list)
    for key in buy_keys:
        s_name, h, g_name, f_name, y, life = key
        for t in range(y, y + life):
            active_buys[((s_name, h, g_name, f_name), t)].append(key)
    active_existing: dict[tuple[FleetKey, int], list[int]] = defaultdict(list)
    for ex in existing:
        for t in years:
            if t < ex.deadline_year or not ex.must_retire_all:
                active_existing[((ex.site, ex.design, ex.gpu, ex.fabric), t)].append(ex.index)
    fleet_keys = sorted({fk for (fk, _) in active_buys} | {fk for (fk, _) in active_existing},
                        key=_fleet_order(site_names, list(designs), list(gpus), list(fabrics)))

    # ------------------------------------------------------------------ demand and allocation
    training = {y: sem.demand_value(inst.demand.training, y) for y in years}
    inference: dict[tuple[str, int], float] = {}
    regions: list[str] = []
    for d in inst.demand.inference:
        regions.append(d.region)
        for y in years:
            inference[(d.region, y)] = sem.demand_value(d.perf, y)
    perf: dict[tuple[str, str, str], float] = {}
    for g in cat.gpus:
        for f in cat.fabrics:
            perf[(g.name, f.name, sem.TRAINING)] = g.training_perf * f.training_efficiency * f.availability
            for r in regions:
                perf[(g.name, f.name, r)] = g.inference_perf * f.availability
    site_workloads = {
        s.name: [sem.TRAINING] + [r for r in regions if r in s.served_regions] for s in inst.sites
    }
    gf_years: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for (fk, t) in [*active_buys, *active_existing]:
        s_name, _, g_name, f_name = fk
        gf_years[(s_name, g_name, f_name)].add(t)
    alloc_keys: list[AllocKey] = []
    for (s_name, g_name, f_name), ts in sorted(gf_years.items(), key=lambda kv: (site_names.index(kv[0][0]), kv[0][1], kv[0][2])):
        for t in sorted(ts):
            for w in site_workloads[s_name]:
                need = training[t] if w == sem.TRAINING else inference[(w, t)]
                if need > 0 and perf[(g_name, f_name, w)] > 0:
                    alloc_keys.append((s_name, g_name, f_name, t, w))

    demand_rows = [(sem.TRAINING, t) for t in years if training[t] > 0]
    demand_rows += [(r, t) for r in regions for t in years if inference[(r, t)] > 0]
    static = _static_infeasibilities(inst, d_years=years, training=training, inference=inference,
                                     alloc_keys=alloc_keys, existing_blocks=existing_blocks, pue=pue)
    if elastic is not None:
        if elastic.unmet_penalty_musd_per_perf is not None:
            for w, t in demand_rows:
                add("unmet_demand", "unmet", (w, t), elastic.unmet_penalty_musd_per_perf * disc[t])
            static = [p for p in static if not p.startswith(("training demand", "inference demand"))]
        if elastic.limits:
            for s_name in dict.fromkeys(k[0] for k in build_keys):
                add("relaxation", "grid_excess", s_name, 1.0)
                if max_blocks[s_name] is not None:
                    add("relaxation", "floor_excess", s_name, site_by_name[s_name].block_mw)
            if fin.annual_capex_budget_usd is not None:
                for t in years:
                    add("relaxation", "budget_excess", t, BUDGET_EXCESS_WEIGHT_PER_MUSD)
    budget = fin.annual_capex_budget_usd
    return ModelData(
        name=inst.name,
        years=years,
        salvage_year=salvage_year,
        discount=disc,
        sites=site_names,
        regions=regions,
        designs=designs,
        site_designs=site_designs,
        block_mw={s.name: s.block_mw for s in inst.sites},
        max_facility_mw={s.name: s.max_facility_mw for s in inst.sites},
        max_blocks=max_blocks,
        site_max_it_mw=site_max_it_mw,
        pue=pue,
        existing_blocks=dict(existing_blocks),
        open_sites=open_sites,
        present_fabrics={s: list(v) for s, v in present_fabrics.items()},
        open_keys=open_keys,
        fab_keys=fab_keys,
        build_keys=build_keys,
        build_ub=build_ub,
        buy_keys=buy_keys,
        buy_ub=buy_ub,
        existing=existing,
        retire_keys=retire_keys,
        alloc_keys=alloc_keys,
        gpu_unit_gpus={g.name: g.unit_gpus for g in cat.gpus},
        unit_mw=unit_mw,
        fleet_keys=fleet_keys,
        active_buys=dict(active_buys),
        active_existing=dict(active_existing),
        training_demand=training,
        inference_demand=inference,
        perf=perf,
        site_workloads=site_workloads,
        budget_musd=None if budget is None else M(budget),
        capex_musd=dict(capex),
        cost_coef={item: dict(fams) for item, fams in coef.items()},
        cost_const=const,
        static_infeasibilities=static,
        elastic=elastic,
        demand_rows=demand_rows,
        relaxed=dict(relaxed),
    )


NUMBER_FIELDS = frozenset({
    "name", "cost_coef", "cost_const", "capex_musd", "budget_musd", "training_demand",
    "inference_demand", "static_infeasibilities", "discount",
})
"""ModelData fields that are mutable parameters of the model (or reporting only): two
instances whose data differ only in these solve on the same model, updated in place."""


def same_structure(a: ModelData, b: ModelData) -> bool:
    """True when `b` can be solved by updating the numbers of a model built from `a`:
    the same variables and rows, the same constant coefficients, a budget in both
    or in neither."""
    if (a.budget_musd is None) != (b.budget_musd is None):
        return False
    for f in fields(ModelData):
        if f.name not in NUMBER_FIELDS and getattr(a, f.name) != getattr(b, f.name):
            return False
    return True


def _demand_it_mw_bound(inst: Instance) -> float:
    """Twice the IT MW that the peak year's whole demand would need on the least
    productive GPU and fabric, plus the existing units: more than any site could use."""
    cat = inst.catalog
    peak = max(sem.demand_value(inst.demand.training, t)
               + sum(sem.demand_value(d.perf, t) for d in inst.demand.inference) for t in inst.years)
    per_kw = [per / sem.unit_kw(g, f) * g.unit_gpus
              for g in cat.gpus for f in cat.fabrics
              for per in (g.training_perf * f.training_efficiency * f.availability,
                          g.inference_perf * f.availability) if per > 0]
    gpus = {g.name: g for g in cat.gpus}
    fabrics = {f.name: f for f in cat.fabrics}
    existing_kw = sum(d.gpus / gpus[d.gpu].unit_gpus * sem.unit_kw(gpus[d.gpu], fabrics[d.fabric])
                      for d in inst.existing.deployments)
    demand_kw = peak / min(per_kw) if per_kw and peak > 0 else 0.0
    return (2.0 * demand_kw + existing_kw) / KW_PER_MW


def _broken_purchase_rules(site, g, f, y: int) -> list[tuple[str, float]]:
    """Rules a purchase key of an elastic model breaks, with a weight (years or 1)."""
    out = []
    if y < site.power_available_year:
        out.append((f"bought {site.power_available_year - y} year(s) before power is available",
                    site.power_available_year - y))
    if y < g.first_year or y > g.last_year:
        off = g.first_year - y if y < g.first_year else y - g.last_year
        out.append((f"{g.name} bought in {y}, outside its sale years {g.first_year}-{g.last_year}", off))
    if not sem.attaches(g, f):
        out.append((f"{g.name} needs {g.nic_gbps:g} Gb/s ports, {f.name} serves {f.max_gbps_per_port:g}", 1.0))
    return out


def _unit_capex_any_year(g, f, y: int) -> float:
    """Unit capex in `y`; outside a year-map price's years (elastic models only) the nearest year's."""
    if isinstance(g.price_usd_per_gpu, dict) and str(y) not in g.price_usd_per_gpu:
        near = min((int(k) for k in g.price_usd_per_gpu), key=lambda k: (abs(k - y), k))
        return g.unit_gpus * (g.price_usd_per_gpu[str(near)] + sem.net_capex_usd_per_gpu(f, g))
    return sem.unit_capex_usd(g, f, y)


def _static_infeasibilities(inst: Instance, d_years, training, inference, alloc_keys,
                            existing_blocks, pue) -> list[str]:
    """Infeasibilities visible before any solve: demand no GPU could ever serve,
    existing blocks beyond a grid or floor limit."""
    out = []
    served = {(k[4], k[3]) for k in alloc_keys}
    for t in d_years:
        if training[t] > 0 and (sem.TRAINING, t) not in served:
            out.append(f"training demand of {training[t]:g} in {t} cannot be served: no GPU can be "
                       f"running at any site in {t} (check GPU sale years, power_available_year, "
                       "allowed_cooling, densities and port speeds)")
    for (r, t), need in inference.items():
        if need > 0 and (r, t) not in served:
            sites = [s.name for s in inst.sites if r in s.served_regions]
            why = (f"no site serves region {r!r}" if not sites
                   else f"no GPU can be running in {t} at the sites serving it ({', '.join(sites)})")
            out.append(f"inference demand of {need:g} in region {r!r} in {t} cannot be served: {why}")
    for s in inst.sites:
        mine = {h: n for (site, h), n in existing_blocks.items() if site == s.name}
        grid = sum(pue[(s.name, h)] * s.block_mw * n for h, n in mine.items())
        if grid > s.max_facility_mw * (1 + 1e-9):
            out.append(f"site {s.name!r}: existing blocks draw {grid:g} MW of facility power, above its "
                       f"grid limit max_facility_mw {s.max_facility_mw:g}")
        if s.max_blocks is not None and sum(mine.values()) > s.max_blocks:
            out.append(f"site {s.name!r}: {sum(mine.values())} existing blocks exceed max_blocks {s.max_blocks}")
    return out


def _undominated(site: str, candidates: dict[str, int], held: set[str], designs, build_years,
                 block_capex, block_items, min_racks: list[float], liquid: dict[str, bool],
                 pue: dict[tuple[str, str], float]) -> list[str]:
    """Buildable designs that no other design dominates.

    Design A dominates design B at a site when A can host every GPU B can
    (A is liquid if B is, and no catalog GPU's ``min_rack_kw`` falls between
    their densities; a denser rack always qualifies), A's PUE there is no
    higher (so every unit's energy and carbon cost no more, and the grid
    allows at least as many blocks) and A's blocks cost no more: in the NPV
    of all cost items together and in gross capex (the budget), for every
    build year. Any plan building B is
    then matched by one building A instead, at no higher TCO, so B is dropped
    for new builds. Of two equal designs the first in catalog order stays. A
    design holding existing blocks or units at the site is kept (its existing
    capacity is pooled with new blocks of the design). Checked per instance,
    never assumed: negative discount rates or odd rack prices keep designs.
    """
    order = list(candidates)

    def hosts(h: str) -> set[int]:
        rack = designs[h][1]
        return {i for i, need in enumerate(min_racks) if need <= rack}

    def npv(h: str, y: int) -> float:
        return sum(block_items(site, h, y).values())

    def dominates(a: str, b: str) -> bool:
        if liquid[designs[b][0]] and not liquid[designs[a][0]]:
            return False
        if pue[(site, a)] > pue[(site, b)] or candidates[a] < candidates[b] or not hosts(a) >= hosts(b):
            return False
        if block_capex[(site, a)] > block_capex[(site, b)]:
            return False
        if any(npv(a, y) > npv(b, y) for y in build_years):
            return False
        equal = (hosts(a) == hosts(b) and block_capex[(site, a)] == block_capex[(site, b)]
                 and pue[(site, a)] == pue[(site, b)] and liquid[designs[a][0]] == liquid[designs[b][0]]
                 and all(npv(a, y) == npv(b, y) for y in build_years))
        return not equal or order.index(a) < order.index(b)

    return [h for h in order if h in held or not any(dominates(o, h) for o in order if o != h)]


def _fleet_order(sites: list[str], designs: list[str], gpus: list[str], fabrics: list[str]):
    pos = {
        0: {n: i for i, n in enumerate(sites)},
        1: {n: i for i, n in enumerate(designs)},
        2: {n: i for i, n in enumerate(gpus)},
        3: {n: i for i, n in enumerate(fabrics)},
    }
    return lambda fk: tuple(pos[i][fk[i]] for i in range(4))
