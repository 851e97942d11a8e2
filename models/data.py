"""Index sets and derived data of the investment model, computed once from the Instance.

Everything here is plain Python (no Pyomo), so it can be reused and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from reeplan.instance.policy_rules import RULES
from reeplan.instance.schema import INVESTMENT_AREAS, Instance

# Project kinds and the investment area their money counts against.
PROJECT_AREAS = {
    "connection": "power",
    "power_expansion": "power",
    "link_upgrade": "logistics",
    "deposit_expansion": "mining",
    "programme": "rd",
}
AREAS = INVESTMENT_AREAS
# The policy switches of the instance, and the rows they give (``hp_share_output`` beside ``hp_share``).
POLICY_RULES = tuple(RULES)  # in the order of reeplan.instance.policy_rules
POLICY_ROWS = POLICY_RULES + ("hp_share_output",)


@dataclass(frozen=True)
class Project:
    """A one-off build decision (binary, started at most once)."""

    key: str  # "kind:name", unique across kinds
    kind: str
    name: str
    capex_bn_rub: float
    lead_time_yr: int

    @property
    def area(self) -> str:
        """Investment area its capex counts against (power, logistics, mining, rd)."""
        return PROJECT_AREAS[self.kind]


@dataclass(frozen=True)
class TechLevel:
    """A set of completed R&D programmes and the recovery / HP share it gives."""

    key: str  # programme names joined by ';' ('' for today's technology)
    programmes: tuple[str, ...]
    recovery: float
    hp_share: float


@dataclass
class ModelData:
    """Sparse index sets and parameters for one Instance, and what variant of the model to build.

    The last four fields are the build's choices (``build_model`` sets them on a copy): the stage-1
    objective (None: none), the elastic diagnosis variant, whether the budget and policy rules
    are part of the model (not in the scenario copies of ``models/stochastic.py``), and whether the
    numbers a future moves are mutable Params (``models/tables.py``: one built model, many futures)."""

    instance: Instance
    years: list[int]
    projects: dict[str, Project] = field(default_factory=dict)
    project_start: list[tuple[str, int]] = field(default_factory=list)
    module_start: list[tuple[str, int]] = field(default_factory=list)
    new_sites: list[str] = field(default_factory=list)
    ship_years: list[tuple[str, int]] = field(default_factory=list)
    levels: list[TechLevel] = field(default_factory=list)
    feed_max_t: float = 0.0
    feed_max_by_year: dict[int, float] = field(default_factory=dict)
    link_max_t: dict[str, float] = field(default_factory=dict)
    connection_max_gwh: dict[str, float] = field(default_factory=dict)
    source_max_need_gwh: dict[str, float] = field(default_factory=dict)
    # committed projects (instance.committed): fixed, not decided
    committed_ready: dict[str, int] = field(default_factory=dict)  # "kind:name" -> first year ready
    committed_modules: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # site -> (ready, count)
    committed_capex: dict[tuple[str, int], float] = field(default_factory=dict)  # (area, year) -> bn RUB
    sites_to_open: list[str] = field(default_factory=list)  # new sites whose opening is a decision
    # what to build (models/investment.py:build_model)
    objective: str | None = "max-hpo"  # stage-1 objective (reeplan.options.OBJECTIVES), None: no objective
    elastic: bool = False  # the infeasibility diagnosis: a slack on every rule, minimise their relative sum
    rules: bool = True  # budget and policy rules (False: the scenario copies of models/stochastic.py)
    parametric: bool = False  # the numbers a future moves as mutable Params (models/tables.py), rules off

    def committed_modules_online(self, site: str, year: int) -> int:
        """Committed modules at ``site`` producing in ``year``."""
        return sum(n for ready, n in self.committed_modules.get(site, []) if ready <= year)

    def site_lead(self, site: str) -> int:
        """Lead time of a module at ``site`` (yr), from its start to its first year online."""
        return next(s.lead_time_yr for s in self.instance.sites if s.name == site)

    @property
    def cap_years(self) -> list[int]:
        """Years with a yearly spending cap."""
        return [t for t in self.years if t in self.instance.budget.yearly_cap_bn_rub]


def enabled_rules(data: ModelData) -> dict:
    """The policy rules switched on in the instance, by name."""
    policy = data.instance.policy
    return {name: getattr(policy, name) for name in POLICY_RULES
            if getattr(policy, name) is not None and getattr(policy, name).enabled}


def policy_row_names(rules: dict) -> list[str]:
    """The rows of the enabled rules: one per rule, and ``hp_share_output`` beside ``hp_share``."""
    return [row for name in rules for row in ([name, "hp_share_output"] if name == "hp_share" else [name])]


def _project_rows(instance: Instance) -> list[tuple[str, str, float, int]]:
    """(kind, name, capex bn RUB, lead time yr) of every one-off project that is a decision (not committed)."""
    committed = {c.key for c in instance.committed}
    return [row for row in _all_project_rows(instance) if f"{row[0]}:{row[1]}" not in committed]


def _all_project_rows(instance: Instance) -> list[tuple[str, str, float, int]]:
    return (
        [("connection", c.name, c.capex_bn_rub, c.lead_time_yr) for c in instance.power_connections if not c.exists]
        + [("power_expansion", x.name, x.capex_bn_rub, x.lead_time_yr) for x in instance.power_expansions]
        + [("link_upgrade", u.name, u.capex_bn_rub, u.lead_time_yr) for u in instance.link_upgrades]
        + [("deposit_expansion", e.name, e.capex_bn_rub, e.lead_time_yr) for e in instance.deposit_expansions]
        + [("programme", r.name, r.cost_bn_rub, r.duration_yr) for r in instance.rd_programmes]
    )


def _tech_levels(instance: Instance) -> list[TechLevel]:
    """Every prerequisite-closed set of programmes, with its recovery and HP share."""
    tech = instance.technology
    programmes = {p.name: p for p in instance.rd_programmes}
    levels = []
    names = list(programmes)
    for size in range(len(names) + 1):
        for subset in combinations(names, size):
            chosen = set(subset)
            if any(q not in chosen for r in subset for q in programmes[r].prerequisites):
                continue
            recovery = min(tech.max_recovery, tech.recovery_today + sum(programmes[r].recovery_gain for r in subset))
            share = min(tech.max_hp_share, tech.hp_share_today + sum(programmes[r].hp_share_gain for r in subset))
            levels.append(TechLevel(";".join(subset), tuple(subset), recovery, share))
    return levels


def model_data(instance: Instance, index_from: Instance | None = None, tight_bounds: bool = True) -> ModelData:
    """Compute the sparse index sets of the model from a validated Instance.

    ``index_from``: take the decision index sets (start years) from this instance instead, so that
    models of perturbed futures (other lead times and costs) share the decisions of the nominal one.
    ``tight_bounds=False``: big-M coefficients are the raw capacities (FORMULATION.md, section 6.1);
    the tightened ones are proven equivalent there and tested against these."""
    years = instance.years
    end = years[-1]
    data = ModelData(instance, years)
    index = index_from or instance
    nominal_lead = {f"{kind}:{name}": lead for kind, name, _, lead in _project_rows(index)}
    site_lead = {s.name: s.lead_time_yr for s in index.sites}
    for kind, name, capex, lead in _project_rows(instance):
        key = f"{kind}:{name}"
        data.projects[key] = Project(key, kind, name, capex, lead)
        data.project_start += [(key, t) for t in years if t + nominal_lead[key] <= end]
    _committed(instance, data)
    room = {s.name: s.max_modules - s.existing_modules - sum(n for _, n in data.committed_modules.get(s.name, []))
            for s in instance.sites}
    data.module_start = [(s.name, t) for s in instance.sites for t in years if t + site_lead[s.name] <= end
                         and room[s.name] > 0]
    data.new_sites = [s.name for s in instance.sites if s.existing_modules == 0]
    opened = {c.item for c in instance.committed if c.kind in ("module", "site_opening")}
    data.sites_to_open = [s for s in data.new_sites if s not in opened]
    data.ship_years = [(ln.name, t) for ln in instance.links for t in years if t + ln.transit_yr <= end]
    data.levels = _tech_levels(instance)
    if tight_bounds:
        _tight_bounds(instance, data)
    else:
        _raw_bounds(instance, data)
    data.feed_max_t = max(data.feed_max_by_year.values(), default=0.0)
    return data


def _committed(instance: Instance, data: ModelData) -> None:
    """Readiness, modules and remaining capex of the committed projects."""
    for c in instance.committed:
        if c.kind == "module":
            data.committed_modules.setdefault(c.item, []).append((c.ready_year, c.modules))
        elif c.kind != "site_opening":
            data.committed_ready[c.key] = c.ready_year
        for year, money in c.capex_remaining_bn_rub.items():
            data.committed_capex[(c.area, year)] = data.committed_capex.get((c.area, year), 0.0) + money


def _raw_bounds(instance: Instance, data: ModelData) -> None:
    """Big-M coefficients from raw capacities only: the reference the tightened ones are tested against."""
    site_cap = sum(s.max_modules * s.module_capacity_t_per_yr for s in instance.sites)
    data.feed_max_by_year = {t: site_cap for t in data.years}
    data.link_max_t = {ln.name: float("inf") for ln in instance.links}
    data.connection_max_gwh = {c.name: c.capacity_gwh_per_yr for c in instance.power_connections}
    data.source_max_need_gwh = {p.name: float("inf") for p in instance.power_sources}


def deposit_supply_max_t(instance: Instance, deposit: str, year: int) -> float:
    """Most concentrate ``deposit`` can ship in ``year`` (t REO): its supply if available, plus every
    expansion that could be complete by then (started in the first year)."""
    start = instance.horizon.start_year
    d = next(d for d in instance.deposits if d.name == deposit)
    base = d.supply_t_per_yr if year >= (d.available_from_year or year) else 0.0
    committed = {c.item: c.ready_year for c in instance.committed if c.kind == "deposit_expansion"}
    return base + sum(e.supply_added_t_per_yr for e in instance.deposit_expansions
                      if e.deposit == deposit and year >= committed.get(e.name, start + e.lead_time_yr))


def _tight_bounds(instance: Instance, data: ModelData) -> None:
    """Upper bounds implied by the data, used as big-M coefficients (valid: never cut off a plan).

    Proofs: FORMULATION.md, section 6.1. The feed bound of year t counts each deposit once per
    distinct transit time of its links: shipments made in t - tau on a link with transit tau all
    arrive in t, so a deposit with a 0-year and a 1-year link can deliver two years' supply in one."""
    site_max_t = {s.name: s.max_modules * s.module_capacity_t_per_yr for s in instance.sites}
    deposit_max_t = {d.name: d.supply_t_per_yr for d in instance.deposits}
    for e in instance.deposit_expansions:
        deposit_max_t[e.deposit] += e.supply_added_t_per_yr
    for ln in instance.links:
        data.link_max_t[ln.name] = min(site_max_t[ln.site], deposit_max_t[ln.deposit])
    site_need_gwh = {s.name: s.electricity_mwh_per_t * site_max_t[s.name] / 1e3 for s in instance.sites}
    source_max = {p.name: p.spare_energy_gwh_per_yr for p in instance.power_sources}
    for x in instance.power_expansions:
        source_max[x.source] += x.energy_added_gwh_per_yr
    for c in instance.power_connections:
        data.connection_max_gwh[c.name] = min(c.capacity_gwh_per_yr, site_need_gwh[c.site], source_max[c.source])
    for p in instance.power_sources:
        data.source_max_need_gwh[p.name] = sum(site_need_gwh[c.site] for c in instance.power_connections
                                               if c.source == p.name)
    transits: dict[str, set[int]] = {}
    for ln in instance.links:
        transits.setdefault(ln.deposit, set()).add(ln.transit_yr)
    start = data.years[0]
    for t in data.years:
        cap = sum(s.module_capacity_t_per_yr * (s.max_modules if t >= start + s.lead_time_yr
                                                else s.existing_modules + data.committed_modules_online(s.name, t))
                  for s in instance.sites)
        arriving = sum(deposit_supply_max_t(instance, d, t - tau)
                       for d, taus in transits.items() for tau in taus if t - tau >= start)
        data.feed_max_by_year[t] = min(cap, arriving)
