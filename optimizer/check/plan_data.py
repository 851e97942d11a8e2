"""The plan the checker judges: decisions read from the typed tables, every other quantity recomputed from them."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from reeplan.check.tables import _parse_level, _Table
from reeplan.instance.schema import COMMITTED_KINDS, Instance

# Area of every kind of money commitment (allocation.kind / projects.kind): the instance's own map.
KIND_AREA: dict[str, str] = COMMITTED_KINDS
PROJECT_KINDS = ("connection", "power_expansion", "link_upgrade", "deposit_expansion", "programme")


# --------------------------------------------------------------------------------------------
# The plan: decisions from the tables, everything else recomputed from them


# The model keeps a record like this one (models/data.py, ``Project``). It is re-derived here from the
# instance on purpose: an independent checker that reused the model's code would share its bugs, so a
# wrong cost or lead time there would pass here too.
class _ProjectSpec(NamedTuple):
    """A one-off build decision of the instance: its kind, name, cost and lead time."""

    kind: str
    name: str
    capex_bn_rub: float
    lead_time_yr: int


def _project_catalogue(inst: Instance) -> dict[tuple[str, str], _ProjectSpec]:
    """Every project of the instance keyed by (kind, name); existing connections are not projects."""
    specs = [_ProjectSpec("connection", c.name, c.capex_bn_rub, c.lead_time_yr)
             for c in inst.power_connections if not c.exists]
    specs += [_ProjectSpec("power_expansion", x.name, x.capex_bn_rub, x.lead_time_yr)
              for x in inst.power_expansions]
    specs += [_ProjectSpec("link_upgrade", u.name, u.capex_bn_rub, u.lead_time_yr) for u in inst.link_upgrades]
    specs += [_ProjectSpec("deposit_expansion", e.name, e.capex_bn_rub, e.lead_time_yr)
              for e in inst.deposit_expansions]
    specs += [_ProjectSpec("programme", r.name, r.cost_bn_rub, r.duration_yr) for r in inst.rd_programmes]
    return {(s.kind, s.name): s for s in specs}


class _Plan:
    """The plan's decisions read from the tables, and every quantity recomputed from them."""

    def __init__(self, inst: Instance, tables: dict[str, _Table]):
        self.inst = inst
        self.years = inst.years
        self.first_year, self.last_year = inst.horizon.start_year, inst.horizon.end_year
        self.sites = {s.name: s for s in inst.sites}
        self.deposits = {d.name: d for d in inst.deposits}
        self.links = {lk.name: lk for lk in inst.links}
        self.sources = {p.name: p for p in inst.power_sources}
        self.connections = {c.name: c for c in inst.power_connections}
        self.programmes = {r.name: r for r in inst.rd_programmes}
        self.projects = _project_catalogue(inst)
        # committed projects are fixed by the instance: (kind, item) -> first year ready; modules per site
        self.committed = {c.name: c for c in inst.committed}
        self.committed_ready: dict[tuple[str, str], int] = {(c.kind, c.item): c.ready_year for c in inst.committed
                                                             if c.kind != "module"}
        self.committed_modules = defaultdict(list)
        for c in inst.committed:
            if c.kind == "module":
                self.committed_modules[c.item].append((c.ready_year, c.modules))
        self.links_into = {s: [lk for lk in inst.links if lk.site == s] for s in self.sites}
        # what each project adds, and to which link, deposit or source: (kind, target) -> [(project, amount)]
        self.additions: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
        for u in inst.link_upgrades:
            self.additions[("link_upgrade", u.link)].append((u.name, u.capacity_added_t_per_yr))
        for e in inst.deposit_expansions:
            self.additions[("deposit_expansion", e.deposit)].append((e.name, e.supply_added_t_per_yr))
        for x in inst.power_expansions:
            self.additions[("power_expansion", x.source)].append((x.name, x.energy_added_gwh_per_yr))
        self._read_decisions(tables)
        self._starts_at = {s: sorted((y, n) for (site, y), n in self.modules_started.items() if site == s and n != 0)
                           for s in self.sites}
        self._capex_items = self._commitments()

    def _read_decisions(self, tables: dict[str, _Table]) -> None:
        """Collect the decisions; rows for unknown entities are kept and flagged by the checks."""
        started: dict[tuple[str, int], float] = defaultdict(float)
        openings: dict[str, list[int]] = defaultdict(list)
        for row in tables["plants"].rows:
            started[(row["site"], row["year"])] += row["modules_started"]
            if row["opened"]:
                openings[row["site"]].append(row["year"])
        shipped: dict[tuple[str, int], float] = defaultdict(float)
        for row in tables["flows"].rows:
            shipped[(row["link"], row["ship_year"])] += row["t"]
        drawn: dict[tuple[str, int], float] = defaultdict(float)
        for row in tables["power"].rows:
            drawn[(row["connection"], row["year"])] += row["gwh"]
        starts: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row in tables["projects"].rows:
            starts[(row["kind"], row["project"])].append(row["start_year"])
        levels: dict[int, list[str]] = {}
        for row in tables["output"].rows:
            levels.setdefault(row["year"], _parse_level(row["level"]))
        self.modules_started, self.openings = dict(started), dict(openings)
        self.shipped, self.drawn, self.starts, self.levels = dict(shipped), dict(drawn), dict(starts), levels

    def fits(self, start: int, lead_time_yr: int) -> bool:
        """A decision taken in ``start`` that takes effect ``lead_time_yr`` later does so within the horizon."""
        return self.first_year <= start and start + lead_time_yr <= self.last_year

    # --- projects ---------------------------------------------------------------------------
    def ready(self, kind: str, name: str, year: int) -> bool:
        """Project_Ready: the project was started at least its lead time before ``year``."""
        if (kind, name) in self.committed_ready:
            return year >= self.committed_ready[(kind, name)]
        spec = self.projects.get((kind, name))
        if spec is None:
            return False
        return any(start + spec.lead_time_yr <= year for start in self.starts.get((kind, name), []))

    def added(self, kind: str, target: str, year: int) -> float:
        """What the projects of ``kind`` ready by ``year`` add to ``target`` (a link, deposit or power source)."""
        return sum(amount for name, amount in self.additions.get((kind, target), []) if self.ready(kind, name, year))

    # --- plants -----------------------------------------------------------------------------
    def site_starts(self, site: str) -> list[tuple[int, float]]:
        """(year, modules started) at a site, every year with a non-zero start."""
        return self._starts_at.get(site, [])

    def new_modules_online(self, site: str, year: int) -> float:
        """Modules started at least the lead time before ``year``, and committed modules ready by then."""
        lead = self.sites[site].lead_time_yr
        return sum(n for y, n in self.site_starts(site) if y + lead <= year) + sum(
            n for ready, n in self.committed_modules.get(site, []) if ready <= year)

    def modules_online(self, site: str, year: int) -> float:
        """Existing modules plus new modules online."""
        return self.sites[site].existing_modules + self.new_modules_online(site, year)

    def capacity(self, site: str, year: int) -> float:
        """Feed capacity of a site in a year [t]."""
        return self.sites[site].module_capacity_t_per_yr * self.modules_online(site, year)

    def feed(self, site: str, year: int) -> float:
        """Concentrate arriving at a site in a year [t REO]."""
        return sum(self.shipped.get((lk.name, year - lk.transit_yr), 0.0) for lk in self.links_into.get(site, []))

    def total_feed(self, year: int) -> float:
        """Feed of all sites in a year [t REO]."""
        return sum(self.feed(s, year) for s in self.sites)

    def jobs(self, site: str, year: int) -> float:
        """New jobs at a site: jobs per module × new modules online."""
        return self.sites[site].jobs_per_module * self.new_modules_online(site, year)

    def total_jobs(self, year: int) -> float:
        """New jobs at all sites in a year."""
        return sum(self.jobs(s, year) for s in self.sites)

    # --- technology and output --------------------------------------------------------------
    def level(self, year: int) -> set[str]:
        """Known programmes of the level used in a year (today's technology if no output row)."""
        return {name for name in self.levels.get(year, []) if name in self.programmes}

    def recovery(self, year: int) -> float:
        """Recovery of the level used: today's plus gains, capped."""
        tech = self.inst.technology
        return min(tech.max_recovery, tech.recovery_today + sum(p.recovery_gain for p in self._level_programmes(year)))

    def hp_share(self, year: int) -> float:
        """High-purity share of the level used: today's plus gains, capped."""
        tech = self.inst.technology
        return min(tech.max_hp_share, tech.hp_share_today + sum(p.hp_share_gain for p in self._level_programmes(year)))

    def _level_programmes(self, year: int) -> list:
        """The programmes of the level used in a year."""
        return [self.programmes[r] for r in self.level(year)]

    def reo(self, year: int) -> float:
        """REO output [t]."""
        return self.total_feed(year) * self.recovery(year)

    def hpo(self, year: int) -> float:
        """High-purity oxide output [t]."""
        return self.reo(year) * self.hp_share(year)

    # --- money ------------------------------------------------------------------------------
    def capex_items(self) -> dict[tuple[int, str, str], float]:
        """Money committed per (year, kind, item) by the decisions [bn RUB]."""
        return self._capex_items

    def _commitments(self) -> dict[tuple[int, str, str], float]:
        """Cost × decision for every module, site opening and project started."""
        items: dict[tuple[int, str, str], float] = defaultdict(float)
        for (site, year), n in self.modules_started.items():
            if site in self.sites and n:
                items[(year, "module", site)] += self.sites[site].capex_bn_rub_per_module * n
        for site, years in self.openings.items():
            if site in self.sites:
                for year in years:
                    items[(year, "site_opening", site)] += self.sites[site].development_cost_bn_rub
        for (kind, name), years in self.starts.items():
            spec = self.projects.get((kind, name))
            if spec is not None:
                for year in years:
                    items[(year, kind, name)] += spec.capex_bn_rub
        for c in self.committed.values():
            for year, money in c.capex_remaining_bn_rub.items():
                if money > 0:
                    items[(year, "committed", c.name)] += money
        return dict(items)

    def area_of(self, kind: str, item: str) -> str | None:
        """Investment area of a money line (a committed project's area is its kind's)."""
        if kind == "committed":
            return self.committed[item].area if item in self.committed else None
        return KIND_AREA.get(kind)

    def counted_capex(self, year: int) -> float:
        """Capital counted against the budget in a year: committed projects' only if budget.committed_counts."""
        counts = self.inst.budget.committed_counts
        return sum(v for (y, kind, _), v in self.capex_items().items() if y == year and (counts or kind != "committed"))

    def capex(self, year: int) -> float:
        """Capital committed in a year [bn RUB]."""
        return sum(v for (y, _, _), v in self.capex_items().items() if y == year)

    def opex(self, year: int) -> float:
        """Processing + power + transport cost in a year [bn RUB]."""
        processing = sum(s.opex_m_rub_per_t * self.feed(s.name, year) for s in self.sites.values()) / 1e3
        power = sum(self.sources[c.source].tariff_rub_per_mwh * self.drawn.get((c.name, year), 0.0)
                    for c in self.connections.values() if c.source in self.sources) / 1e6
        transport = sum(lk.tariff_rub_per_t_km * lk.distance_km * self.shipped.get((lk.name, year), 0.0)
                        for lk in self.links.values()) / 1e9
        return processing + power + transport

    def spend(self, year: int) -> float:
        """Money counted against the budget in a year [bn RUB]."""
        return self.counted_capex(year) + (self.opex(year) if self.inst.budget.opex_counts else 0.0)

    def total_capex(self) -> float:
        """All capital committed by the plan [bn RUB]."""
        return sum(self.capex_items().values())

    def total_cost(self) -> float:
        """Total_Cost: all capital plus operating cost over the horizon [bn RUB]."""
        return self.total_capex() + sum(self.opex(y) for y in self.years)
