"""Index sets and derived data of the investment model, computed once from the Instance.

Everything here is plain Python (no Pyomo), so it can be reused and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from optimizer.instance.schema import Instance

# Project kinds and the investment area their money counts against.
PROJECT_AREAS = {
    "connection": "power",
    "power_expansion": "power",
    "link_upgrade": "logistics",
    "deposit_expansion": "logistics",
    "programme": "rd",
}
AREAS = ("plants", "power", "logistics", "rd")


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
    """Sparse index sets and parameters for one Instance."""

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

    def ready_starts(self, key: str, year: int) -> list[tuple[str, int]]:
        """Start indices of project ``key`` that make it ready by ``year``."""
        lead = self.projects[key].lead_time_yr
        return [(key, t) for t in self.years if t + lead <= year and (key, t) in self._project_start_set]

    def __post_init__(self) -> None:
        self._project_start_set: set = set()


def _project_rows(instance: Instance) -> list[tuple[str, str, float, int]]:
    """(kind, name, capex bn RUB, lead time yr) of every one-off project."""
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


def model_data(instance: Instance, index_from: Instance | None = None) -> ModelData:
    """Compute the sparse index sets of the model from a validated Instance.

    ``index_from``: take the decision index sets (start years) from this instance instead, so that
    models of perturbed futures (other lead times and costs) share the decisions of the nominal one."""
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
    data._project_start_set = set(data.project_start)
    data.module_start = [(s.name, t) for s in instance.sites for t in years if t + site_lead[s.name] <= end
                         and s.existing_modules < s.max_modules]
    data.new_sites = [s.name for s in instance.sites if s.existing_modules == 0]
    data.ship_years = [(ln.name, t) for ln in instance.links for t in years if t + ln.transit_yr <= end]
    data.levels = _tech_levels(instance)
    site_cap = sum(s.max_modules * s.module_capacity_t_per_yr for s in instance.sites)
    supply = sum(d.supply_t_per_yr for d in instance.deposits) + sum(
        e.supply_added_t_per_yr for e in instance.deposit_expansions)
    data.feed_max_t = min(site_cap, supply)
    _tight_bounds(instance, data)
    return data


def _tight_bounds(instance: Instance, data: ModelData) -> None:
    """Upper bounds implied by the data, used as big-M coefficients (valid: never cut off a plan)."""
    end = data.years[-1]
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
    for t in data.years:
        cap = sum(s.module_capacity_t_per_yr * (s.max_modules if t >= data.years[0] + s.lead_time_yr
                                                else s.existing_modules) for s in instance.sites)
        supply = sum(d.supply_t_per_yr for d in instance.deposits if t >= (d.available_from_year or t)) + sum(
            e.supply_added_t_per_yr for e in instance.deposit_expansions if t >= data.years[0] + e.lead_time_yr)
        data.feed_max_by_year[t] = min(cap, supply) if t <= end else 0.0
