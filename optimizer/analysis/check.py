"""Independent checker of a solved plan: recompute everything from the instance and the decisions.

Only pandas and the standard library are used (no Pyomo, no solver, no model code), so a bug in
the model cannot hide itself here. The *decisions* are read from the result tables described in
``optimizer/result/tables.md``:

- modules started and site openings (``plants.modules_started``, ``plants.opened``),
- shipments (``flows.t`` per link and ship year),
- power drawn (``power.gwh`` per connection and year),
- project starts (``projects.start_year``, R&D programmes included),
- the technology level used each year (``output.level``).

Every other column (modules online, capacity, feed, jobs, arrival and ready years, money, output)
is recomputed from those decisions and the instance, compared with the table, and every rule of
``models/FORMULATION.md`` is checked on the recomputed quantities. All problems are collected;
nothing raises except ``assert_plan_ok``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import pandas as pd
from reeplan.instance.schema import Instance
from reeplan.options import OBJECTIVES

# Area of every kind of money commitment (allocation.kind / projects.kind).
KIND_AREA: dict[str, str] = {
    "module": "plants",
    "site_opening": "plants",
    "connection": "power",
    "power_expansion": "power",
    "link_upgrade": "logistics",
    "deposit_expansion": "mining",
    "programme": "rd",
}
PROJECT_KINDS = ("connection", "power_expansion", "link_upgrade", "deposit_expansion", "programme")

# Column types of every result table (tables.md). "level" is a ';'-joined string, empty allowed.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "allocation": {"year": "int", "area": "str", "item": "str", "kind": "str", "bn_rub": "float"},
    "plants": {
        "site": "str", "year": "int", "opened": "bool", "modules_started": "float",
        "modules_online": "float", "capacity_t": "float", "feed_t": "float", "jobs": "float",
    },
    "flows": {
        "link": "str", "deposit": "str", "site": "str", "mode": "str",
        "ship_year": "int", "arrival_year": "int", "t": "float",
    },
    "power": {"connection": "str", "source": "str", "site": "str", "year": "int", "gwh": "float"},
    "projects": {
        "project": "str", "kind": "str", "area": "str", "start_year": "int",
        "ready_year": "int", "capex_bn_rub": "float",
    },
    "rd": {"programme": "str", "start_year": "int", "completion_year": "int", "cost_bn_rub": "float"},
    "output": {
        "year": "int", "feed_t": "float", "reo_t": "float", "hpo_t": "float", "recovery": "float",
        "hp_share": "float", "level": "level", "capex_bn_rub": "float", "opex_bn_rub": "float",
        "spend_bn_rub": "float", "jobs": "float",
    },
}
# Columns without which a row cannot be read (identity and decisions): if one is missing the
# table's rows are ignored. Any other missing column only skips the comparisons that use it.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "allocation": ("year", "item", "kind", "bn_rub"),
    "plants": ("site", "year", "opened", "modules_started"),
    "flows": ("link", "ship_year", "t"),
    "power": ("connection", "year", "gwh"),
    "projects": ("project", "kind", "start_year"),
    "rd": ("programme", "start_year"),
    "output": ("year", "level"),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, where in the plan, and the numbers."""

    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.detail}"


# --------------------------------------------------------------------------------------------
# Collecting findings with a tolerance


def _num(x: float) -> str:
    """A number with enough digits to show a small difference."""
    return f"{x:.10g}"


# Solvers meet rows to about 1e-7 of their scaled size; a residue like 1e-5 t of feed at a site with
# no capacity is numerical noise, not a plan. 1e-4 of a unit (t, GWh, bn RUB, job) is far below
# anything a plan decides.
ABS_TOL = 1e-4
# Solvers accept an integer within 1e-6 of a whole number; a module count of 1e-7 carries that share
# of a module's capacity in feed (1.5e-4 t at a 1,500 t/yr module), which the tables' whole module
# counts do not show. Capacity is checked with that much room per module the site can hold.
INTEGRALITY_TOL = 1e-6


class _Findings:
    """Collects violations and owns the relative+absolute tolerance."""

    def __init__(self, tol: float, abs_tol: float = ABS_TOL):
        self.tol = tol
        self.abs_tol = abs_tol
        self.violations: list[Violation] = []

    def add(self, rule: str, where: str, detail: str) -> None:
        """Record one violation."""
        self.violations.append(Violation(rule, where, detail))

    def differ(self, a: float, b: float) -> bool:
        """True when a and b differ by more than max(abs_tol, tol · max(1, |a|, |b|))."""
        return abs(a - b) > max(self.abs_tol, self.tol * max(1.0, abs(a), abs(b)))

    def exceeds(self, lhs: float, rhs: float) -> bool:
        """True when lhs > rhs by more than the tolerance."""
        return lhs - rhs > max(self.abs_tol, self.tol * max(1.0, abs(lhs), abs(rhs)))

    def equal(self, rule: str, where: str, what: str, reported, expected: float, unit: str = "") -> None:
        """Flag a table value that differs from its recomputed value (unreadable cells are skipped)."""
        if reported is not None and self.differ(reported, expected):
            self.add(rule, where, f"{what} {_num(reported)}{unit} in the table, recomputed {_num(expected)}{unit}")

    def at_most(self, rule: str, where: str, what: str, lhs: float, limit_what: str, rhs: float,
                unit: str = "") -> None:
        """Flag lhs > rhs."""
        if self.exceeds(lhs, rhs):
            self.add(rule, where, f"{what} {_num(lhs)}{unit} > {limit_what} {_num(rhs)}{unit}")

    def at_least(self, rule: str, where: str, what: str, lhs: float, limit_what: str, rhs: float,
                 unit: str = "") -> None:
        """Flag lhs < rhs."""
        if self.exceeds(rhs, lhs):
            self.add(rule, where, f"{what} {_num(lhs)}{unit} < {limit_what} {_num(rhs)}{unit}")


# --------------------------------------------------------------------------------------------
# Reading the tables


@dataclass
class _Table:
    """One result table as typed rows; unreadable cells are None, missing columns are None."""

    name: str
    rows: list[dict]
    usable: bool  # present with all key columns (so absent rows mean "no activity")


def _is_missing(value) -> bool:
    """True for None / NaN / NA cells."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _coerce(value, kind: str):
    """The cell converted to its column type; ValueError if it cannot be."""
    if kind == "level":
        return "" if _is_missing(value) else str(value)
    if _is_missing(value):
        raise ValueError("empty cell")
    if kind == "str":
        return str(value)
    if kind == "bool":
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError("not a boolean")
        x = float(value)
        if abs(x - 1) <= 1e-6:
            return True
        if abs(x) <= 1e-6:
            return False
        raise ValueError("not a boolean")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError("not finite")
    if kind == "int":
        if abs(x - round(x)) > 1e-9:
            raise ValueError("not a whole number")
        return int(round(x))
    return x


def _read_table(name: str, frame, f: _Findings) -> _Table:
    """Check one table's presence and columns, and type its cells."""
    columns = TABLE_COLUMNS[name]
    if not isinstance(frame, pd.DataFrame):
        f.add("missing_table", f"table={name}", "table is missing from the result")
        return _Table(name, [], usable=False)
    missing = [c for c in columns if c not in frame.columns]
    for column in missing:
        f.add("missing_column", f"table={name}", f"column {column} is missing")
    if any(c in missing for c in KEY_COLUMNS[name]):
        return _Table(name, [], usable=False)
    rows = []
    for label, record in zip(frame.index, frame.to_dict("records"), strict=True):
        row, readable = {}, True
        for column, kind in columns.items():
            if column in missing:
                row[column] = None
                continue
            try:
                row[column] = _coerce(record[column], kind)
            except (TypeError, ValueError):
                f.add("bad_value", f"table={name} row={label}",
                      f"column {column}: {record[column]!r} is not a valid {kind}")
                row[column] = None
                readable = readable and column not in KEY_COLUMNS[name]
        if readable:
            rows.append(row)
    return _Table(name, rows, usable=True)


def _read_tables(tables: dict, f: _Findings) -> dict[str, _Table]:
    """Every result table the checker needs, typed."""
    tables = tables or {}
    return {name: _read_table(name, tables.get(name), f) for name in TABLE_COLUMNS}


def _parse_level(text: str) -> list[str]:
    """Programme names of a ';'-joined level ('' is today's technology)."""
    return [part.strip() for part in text.split(";") if part.strip()]


# --------------------------------------------------------------------------------------------
# The plan: decisions from the tables, everything else recomputed from them


@dataclass(frozen=True)
class _ProjectSpec:
    """A one-off build decision of the instance: its cost and lead time."""

    kind: str
    name: str
    capex_bn_rub: float
    lead_time_yr: int

    @property
    def area(self) -> str:
        """Budget area of the project."""
        return KIND_AREA[self.kind]


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
        self.committed_ready = {(c.kind, c.item): c.ready_year for c in inst.committed if c.kind != "module"}
        self.committed_modules = defaultdict(list)
        for c in inst.committed:
            if c.kind == "module":
                self.committed_modules[c.item].append((c.ready_year, c.modules))
        self.links_into = {s: [lk for lk in inst.links if lk.site == s] for s in self.sites}
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

    # --- projects ---------------------------------------------------------------------------
    def ready(self, kind: str, name: str, year: int) -> bool:
        """Project_Ready: the project was started at least its lead time before ``year``."""
        if (kind, name) in self.committed_ready:
            return year >= self.committed_ready[(kind, name)]
        spec = self.projects.get((kind, name))
        if spec is None:
            return False
        return any(start + spec.lead_time_yr <= year for start in self.starts.get((kind, name), []))

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
        gain = sum(self.programmes[r].recovery_gain for r in self.level(year))
        return min(tech.max_recovery, tech.recovery_today + gain)

    def hp_share(self, year: int) -> float:
        """High-purity share of the level used: today's plus gains, capped."""
        tech = self.inst.technology
        gain = sum(self.programmes[r].hp_share_gain for r in self.level(year))
        return min(tech.max_hp_share, tech.hp_share_today + gain)

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


# --------------------------------------------------------------------------------------------
# Rule families


def _duplicates(f: _Findings, rule: str, counts: Counter, where) -> None:
    """Flag keys that occur on more than one row."""
    for key, n in counts.items():
        if n > 1:
            f.add(rule, where(key), f"{n} rows where at most one is expected")


def _check_plant_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """plants table: one row per site and year, each derived column as recomputed."""
    seen: Counter = Counter()
    for row in table.rows:
        site, year = row["site"], row["year"]
        where = f"site={site} year={year}"
        if site not in plan.sites:
            f.add("unknown_site", where, "site is not in the instance")
            continue
        if year not in plan.years:
            f.add("plants_table", where, "year is outside the horizon")
            continue
        seen[(site, year)] += 1
        f.equal("modules_online", where, "modules online", row["modules_online"], plan.modules_online(site, year))
        f.equal("capacity_value", where, "capacity", row["capacity_t"], plan.capacity(site, year), " t")
        f.equal("feed_balance", where, "feed", row["feed_t"], plan.feed(site, year), " t")
        f.equal("jobs_value", where, "jobs", row["jobs"], plan.jobs(site, year))
    _duplicates(f, "plants_table", seen, lambda k: f"site={k[0]} year={k[1]}")
    if table.usable:
        for site in plan.sites:
            for year in plan.years:
                if (site, year) not in seen:
                    f.add("plants_table", f"site={site} year={year}", "row is missing (one per site and year)")


def _check_module_decisions(plan: _Plan, f: _Findings) -> None:
    """Modules start only in whole numbers, in time to finish, at an open site, within max_modules."""
    for site in plan.sites.values():
        openings = plan.openings.get(site.name, [])
        for year, n in plan.site_starts(site.name):
            where = f"site={site.name} year={year}"
            if n < 0 or abs(n - round(n)) > 1e-6:
                f.add("module_integrality", where, f"{_num(n)} modules started: not a whole number >= 0")
            if n > 0 and not (plan.first_year <= year and year + site.lead_time_yr <= plan.last_year):
                f.add("module_start_year", where,
                      f"module started in {year} with lead time {site.lead_time_yr} yr would produce from "
                      f"{year + site.lead_time_yr}, outside {plan.first_year}-{plan.last_year}")
            opened_by_commitment = any(c.item == site.name and c.kind in ("module", "site_opening")
                                       for c in plan.committed.values())
            if n > 0 and site.existing_modules == 0 and not opened_by_commitment and not any(o <= year for o in openings):
                opened = f"opened in {sorted(openings)}" if openings else "never opened"
                f.add("module_site_closed", where, f"{_num(n)} modules started at a site not open yet ({opened})")
        if site.existing_modules > 0 and openings:
            f.add("site_open_existing", f"site={site.name}",
                  f"opened in {sorted(openings)} but already open with {site.existing_modules} existing modules")
        if len(openings) > 1:
            f.add("site_open_once", f"site={site.name}", f"opened {len(openings)} times: {sorted(openings)}")
        committed = sum(n for _, n in plan.committed_modules.get(site.name, []))
        total = site.existing_modules + committed + sum(n for _, n in plan.site_starts(site.name))
        f.at_most("module_limit", f"site={site.name}", "modules (existing + committed + started)", total,
                  "max_modules", site.max_modules)


def _check_plant_capacity(plan: _Plan, f: _Findings) -> None:
    """Feed arriving at each site and year fits the modules online."""
    for site in plan.sites:
        for year in plan.years:
            s = plan.sites[site]
            room = INTEGRALITY_TOL * s.max_modules * s.module_capacity_t_per_yr
            f.at_most("plant_capacity", f"site={site} year={year}", "feed", plan.feed(site, year) - room,
                      "capacity", plan.capacity(site, year), " t")


def _check_flow_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """flows table: known links, consistent ends and mode, valid ship year, arrival = ship + transit."""
    seen: Counter = Counter()
    for row in table.rows:
        name, ship_year = row["link"], row["ship_year"]
        where = f"link={name} ship_year={ship_year}"
        link = plan.links.get(name)
        if link is None:
            f.add("unknown_link", where, "link is not in the instance")
            continue
        seen[(name, ship_year)] += 1
        for column, expected in (("deposit", link.deposit), ("site", link.site), ("mode", link.mode)):
            if row[column] is not None and row[column] != expected:
                f.add("flow_fields", where, f"{column} {row[column]!r} in the table, the link's is {expected!r}")
        if not (plan.first_year <= ship_year and ship_year + link.transit_yr <= plan.last_year):
            f.add("ship_year", where, f"shipped in {ship_year} with transit {link.transit_yr} yr arrives "
                                      f"{ship_year + link.transit_yr}, outside {plan.first_year}-{plan.last_year}")
        arrival = ship_year + link.transit_yr
        if row["arrival_year"] is not None and row["arrival_year"] != arrival:
            f.add("arrival_year", where, f"arrival_year {row['arrival_year']} in the table, ship_year + transit "
                                         f"= {arrival}")
        f.at_least("flow_negative", where, "shipped", row["t"], "zero", 0.0, " t")
    _duplicates(f, "flows_table", seen, lambda k: f"link={k[0]} ship_year={k[1]}")


def _check_link_capacity(plan: _Plan, f: _Findings) -> None:
    """Shipments on each link and ship year fit its capacity plus upgrades ready that year."""
    for (name, year), shipped in sorted(plan.shipped.items()):
        link = plan.links.get(name)
        if link is None:
            continue
        capacity = link.capacity_t_per_yr + sum(
            u.capacity_added_t_per_yr for u in plan.inst.link_upgrades
            if u.link == name and plan.ready("link_upgrade", u.name, year))
        f.at_most("link_capacity", f"link={name} ship_year={year}", "shipped", shipped, "capacity", capacity, " t")


def _check_deposit_supply(plan: _Plan, f: _Findings) -> None:
    """Shipments from each deposit and year fit its supply plus expansions ready that year."""
    shipped: dict[tuple[str, int], float] = defaultdict(float)
    for (name, year), t in plan.shipped.items():
        if name in plan.links:
            shipped[(plan.links[name].deposit, year)] += t
    for (deposit_name, year), t in sorted(shipped.items()):
        deposit = plan.deposits.get(deposit_name)
        if deposit is None:
            continue
        available = deposit.available_from_year is None or year >= deposit.available_from_year
        supply = (deposit.supply_t_per_yr if available else 0.0) + sum(
            e.supply_added_t_per_yr for e in plan.inst.deposit_expansions
            if e.deposit == deposit_name and plan.ready("deposit_expansion", e.name, year))
        f.at_most("deposit_supply", f"deposit={deposit_name} year={year}", "shipped", t, "supply", supply, " t")


def _check_power_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """power table: known connections, consistent source and site, years in the horizon."""
    seen: Counter = Counter()
    for row in table.rows:
        name, year = row["connection"], row["year"]
        where = f"connection={name} year={year}"
        connection = plan.connections.get(name)
        if connection is None:
            f.add("unknown_connection", where, "connection is not in the instance")
            continue
        seen[(name, year)] += 1
        for column, expected in (("source", connection.source), ("site", connection.site)):
            if row[column] is not None and row[column] != expected:
                f.add("power_fields", where, f"{column} {row[column]!r} in the table, the connection's is "
                                             f"{expected!r}")
        if year not in plan.years:
            f.add("power_year", where, "year is outside the horizon")
        f.at_least("power_negative", where, "drawn", row["gwh"], "zero", 0.0, " GWh")
    _duplicates(f, "power_table", seen, lambda k: f"connection={k[0]} year={k[1]}")


def _check_power_balance(plan: _Plan, f: _Findings) -> None:
    """Energy drawn by each site equals its need; connections and sources within capacity."""
    for site in plan.sites.values():
        for year in plan.years:
            drawn = sum(plan.drawn.get((c.name, year), 0.0) for c in plan.connections.values() if c.site == site.name)
            need = site.electricity_mwh_per_t * plan.feed(site.name, year) / 1000
            if f.differ(drawn, need):
                f.add("power_need", f"site={site.name} year={year}",
                      f"drawn {_num(drawn)} GWh, need {_num(need)} GWh (feed {_num(plan.feed(site.name, year))} t)")
    for (name, year), gwh in sorted(plan.drawn.items()):
        connection = plan.connections.get(name)
        if connection is None:
            continue
        in_service = connection.exists or plan.ready("connection", name, year)
        capacity = connection.capacity_gwh_per_yr if in_service else 0.0
        limit = "capacity" if in_service else "capacity (not in service yet)"
        f.at_most("connection_capacity", f"connection={name} year={year}", "drawn", gwh, limit, capacity, " GWh")
    drawn_from: dict[tuple[str, int], float] = defaultdict(float)
    for (name, year), gwh in plan.drawn.items():
        if name in plan.connections:
            drawn_from[(plan.connections[name].source, year)] += gwh
    for (source_name, year), gwh in sorted(drawn_from.items()):
        source = plan.sources.get(source_name)
        if source is None:
            continue
        energy = source.spare_energy_gwh_per_yr + sum(
            x.energy_added_gwh_per_yr for x in plan.inst.power_expansions
            if x.source == source_name and plan.ready("power_expansion", x.name, year))
        f.at_most("power_source", f"source={source_name} year={year}", "drawn", gwh, "energy available",
                  energy, " GWh")


def _check_project_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """projects table: known projects, started once in a start year that can finish, ready and capex right."""
    seen: Counter = Counter()
    for row in table.rows:
        kind, name, start = row["kind"], row["project"], row["start_year"]
        where = f"project={name} kind={kind}"
        spec = plan.projects.get((kind, name))
        if spec is None:
            existing = kind == "connection" and name in plan.connections
            f.add("unknown_project", where,
                  "connection already exists (not a decision)" if existing else "no such project in the instance")
            continue
        if (kind, name) in plan.committed_ready:
            f.add("committed_decided", where, "already under way (committed in the instance): not a decision")
        seen[(kind, name)] += 1
        if row["area"] is not None and row["area"] != spec.area:
            f.add("project_area", where, f"area {row['area']!r} in the table, expected {spec.area!r}")
        ready = start + spec.lead_time_yr
        if not (plan.first_year <= start and ready <= plan.last_year):
            f.add("project_start_year", where, f"started {start} with lead time {spec.lead_time_yr} yr, ready "
                                               f"{ready}, outside {plan.first_year}-{plan.last_year}")
        if row["ready_year"] is not None and row["ready_year"] != ready:
            f.add("project_ready_year", where, f"ready_year {row['ready_year']} in the table, start_year + lead "
                                               f"time = {start} + {spec.lead_time_yr} = {ready}")
        f.equal("project_capex", where, "capex", row["capex_bn_rub"], spec.capex_bn_rub, " bn RUB")
    _duplicates(f, "project_once", seen, lambda k: f"project={k[1]} kind={k[0]}")


def _check_rd_rows(plan: _Plan, rd: _Table, projects: _Table, f: _Findings) -> None:
    """rd table: known programmes, started once, same starts as projects, completion and cost right."""
    seen: Counter = Counter()
    rd_starts: set[tuple[str, int]] = set()
    for row in rd.rows:
        name, start = row["programme"], row["start_year"]
        where = f"programme={name}"
        programme = plan.programmes.get(name)
        if programme is None:
            f.add("unknown_programme", where, "programme is not in the instance")
            continue
        seen[name] += 1
        rd_starts.add((name, start))
        completion = start + programme.duration_yr
        if row["completion_year"] is not None and row["completion_year"] != completion:
            f.add("rd_completion_year", where, f"completion_year {row['completion_year']} in the table, start_year "
                                               f"+ duration = {start} + {programme.duration_yr} = {completion}")
        f.equal("rd_cost", where, "cost", row["cost_bn_rub"], programme.cost_bn_rub, " bn RUB")
    _duplicates(f, "rd_once", seen, lambda k: f"programme={k}")
    if rd.usable and projects.usable:
        project_starts = {(name, y) for (kind, name), ys in plan.starts.items()
                          if kind == "programme" and name in plan.programmes for y in ys}
        for name, start in sorted(rd_starts - project_starts):
            f.add("rd_projects_mismatch", f"programme={name}",
                  f"rd table starts it in {start}, projects table does not")
        for name, start in sorted(project_starts - rd_starts):
            f.add("rd_projects_mismatch", f"programme={name}",
                  f"projects table starts it in {start}, rd table does not")


def _check_rd_prerequisites(plan: _Plan, f: _Findings) -> None:
    """Every prerequisite of a programme is complete in the year the programme starts."""
    for (kind, name), starts in sorted(plan.starts.items()):
        programme = plan.programmes.get(name)
        if kind != "programme" or programme is None:
            continue
        for start in starts:
            for prerequisite in programme.prerequisites:
                if plan.ready("programme", prerequisite, start):
                    continue
                started = plan.starts.get(("programme", prerequisite), [])
                spec = plan.projects.get(("programme", prerequisite))
                state = (f"started {started}, complete {[y + spec.lead_time_yr for y in started]}"
                         if started and spec else "never started")
                f.add("rd_prerequisite", f"programme={name} start_year={start}",
                      f"prerequisite {prerequisite} is not complete by {start} ({state})")


def _is_item(plan: _Plan, kind: str, item: str) -> bool:
    """True if the instance has an item of this kind that money can be committed to."""
    if kind in ("module", "site_opening"):
        return item in plan.sites
    if kind == "committed":
        return item in plan.committed
    return (kind, item) in plan.projects and (kind, item) not in plan.committed_ready


def _check_allocation(plan: _Plan, table: _Table, f: _Findings) -> None:
    """allocation table: each item's money = cost × decision, and totals by area and year."""
    if not table.usable:
        return
    reported: dict[tuple[int, str, str], float] = defaultdict(float)
    reported_by_area: dict[tuple[str, int], float] = defaultdict(float)
    for row in table.rows:
        year, kind, item = row["year"], row["kind"], row["item"]
        where = f"item={item} kind={kind} year={year}"
        if plan.area_of(kind, item) is None or not _is_item(plan, kind, item):
            f.add("allocation_unknown_item", where, "no such item of this kind in the instance")
            continue
        belongs = plan.area_of(kind, item)
        area = row["area"] if row["area"] is not None else belongs
        if area != belongs:
            f.add("allocation_area", where, f"area {area!r} in the table, a {kind} belongs to {belongs!r}")
        reported[(year, kind, item)] += row["bn_rub"]
        reported_by_area[(area, year)] += row["bn_rub"]
    expected = plan.capex_items()
    for key in sorted(set(reported) | set(expected)):
        year, kind, item = key
        f.equal("allocation_cost", f"item={item} kind={kind} year={year}", "money",
                reported.get(key, 0.0), expected.get(key, 0.0), " bn RUB")
    expected_by_area: dict[tuple[str, int], float] = defaultdict(float)
    for (year, kind, item), money in expected.items():
        expected_by_area[(plan.area_of(kind, item), year)] += money
    for area, year in sorted(set(reported_by_area) | set(expected_by_area)):
        f.equal("allocation_area_year", f"area={area} year={year}", "money",
                reported_by_area.get((area, year), 0.0), expected_by_area.get((area, year), 0.0), " bn RUB")


def _check_budget(plan: _Plan, f: _Findings) -> None:
    """Total spend, R&D envelope and yearly caps, on money recomputed from the decisions."""
    budget = plan.inst.budget
    opex = sum(plan.opex(y) for y in plan.years) if budget.opex_counts else 0.0
    total = sum(plan.counted_capex(y) for y in plan.years) + opex
    what = "capex + opex" if budget.opex_counts else "capex"
    f.at_most("budget_total", "horizon", f"spend ({what})", total, "total budget", budget.total_bn_rub, " bn RUB")
    rd = sum(v for (_, kind, item), v in plan.capex_items().items() if kind == "programme"
             or (kind == "committed" and budget.committed_counts and plan.area_of(kind, item) == "rd"))
    f.at_most("budget_rd", "horizon", "R&D committed", rd, "R&D envelope", budget.rd_envelope_bn_rub, " bn RUB")
    for year, cap in sorted(budget.yearly_cap_bn_rub.items()):
        f.at_most("budget_yearly", f"year={year}", f"spend ({what})", plan.spend(year), "yearly cap", cap, " bn RUB")


def _check_levels(plan: _Plan, f: _Findings) -> None:
    """The technology level used each year is a known, prerequisite-closed set of complete programmes."""
    for year in plan.years:
        names = plan.levels.get(year, [])
        where = f"year={year}"
        for name in names:
            if name not in plan.programmes:
                f.add("level_unknown", where, f"level names {name!r}, not a programme of the instance")
        used = plan.level(year)
        for name in sorted(used):
            missing = [q for q in plan.programmes[name].prerequisites if q not in used]
            if missing:
                f.add("level_not_closed", where, f"level has {name} but not its prerequisites {missing}")
            if not plan.ready("programme", name, year):
                starts = plan.starts.get(("programme", name), [])
                duration = plan.programmes[name].duration_yr
                state = f"complete {[s + duration for s in starts]}" if starts else "never started"
                f.add("level_not_ready", where, f"level uses {name}, not complete by {year} ({state})")


def _check_output_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """output table: one row per year; feed, recovery, share, output, money and jobs as recomputed."""
    seen: Counter = Counter()
    for row in table.rows:
        year = row["year"]
        where = f"year={year}"
        if year not in plan.years:
            f.add("output_table", where, "year is outside the horizon")
            continue
        seen[year] += 1
        if seen[year] > 1:
            continue
        f.equal("output_feed", where, "feed", row["feed_t"], plan.total_feed(year), " t")
        f.equal("recovery_formula", where, "recovery", row["recovery"], plan.recovery(year))
        f.equal("hp_share_formula", where, "hp_share", row["hp_share"], plan.hp_share(year))
        f.equal("reo_formula", where, "reo", row["reo_t"], plan.reo(year), " t")
        f.equal("hpo_formula", where, "hpo", row["hpo_t"], plan.hpo(year), " t")
        f.equal("output_capex", where, "capex", row["capex_bn_rub"], plan.capex(year), " bn RUB")
        f.equal("output_opex", where, "opex", row["opex_bn_rub"], plan.opex(year), " bn RUB")
        f.equal("output_spend", where, "spend", row["spend_bn_rub"], plan.spend(year), " bn RUB")
        f.equal("output_jobs", where, "jobs", row["jobs"], plan.total_jobs(year))
    _duplicates(f, "output_table", seen, lambda k: f"year={k}")
    if table.usable:
        for year in plan.years:
            if year not in seen:
                f.add("output_table", f"year={year}", "row is missing (one per year)")


def _check_policy(plan: _Plan, f: _Findings) -> None:
    """Every enabled policy rule holds in its year."""
    policy = plan.inst.policy
    rule = policy.plants_online
    if rule is not None and rule.enabled:
        # a new plant: a site with no existing module, a new module online and the minimum feed processed
        online = [s for s in plan.sites if plan.sites[s].existing_modules == 0
                  and plan.new_modules_online(s, rule.year) >= 1 - f.tol
                  and plan.feed(s, rule.year) >= rule.min_feed_t_per_yr * (1 - f.tol) - ABS_TOL]
        f.at_least("policy_plants_online", f"year={rule.year}", f"new plants producing {sorted(online)}:", len(online),
                   "required", rule.min_count)
    rule = policy.jobs
    if rule is not None and rule.enabled:
        f.at_least("policy_jobs", f"year={rule.year}", "new jobs", plan.total_jobs(rule.year), "required",
                   rule.min_jobs)
    rule = policy.reo_output
    if rule is not None and rule.enabled:
        f.at_least("policy_reo_output", f"year={rule.year}", "REO output", plan.reo(rule.year), "required",
                   rule.min_t_per_yr, " t")
    rule = policy.hpo_output
    if rule is not None and rule.enabled:
        f.at_least("policy_hpo_output", f"year={rule.year}", "HPO output", plan.hpo(rule.year), "required",
                   rule.min_t_per_yr, " t")
    rule = policy.hp_share
    if rule is not None and rule.enabled:
        reo = plan.reo(rule.year)
        f.at_least("policy_hp_share", f"year={rule.year}", "HPO output", plan.hpo(rule.year),
                   f"min_share {_num(rule.min_share)} × REO {_num(reo)} t =", rule.min_share * reo, " t")
        f.at_least("policy_hp_share_output", f"year={rule.year}", "REO output (an empty year does not meet the floor)",
                   reo, "required", rule.min_output_t_per_yr, " t")


def _objective_value(plan: _Plan, objective: str) -> float:
    """The stage-1 objective evaluated on the recomputed plan."""
    if objective == "max-hpo":
        return plan.hpo(plan.inst.target_year)
    if objective == "max-cumulative-hpo":
        return sum(plan.hpo(y) for y in plan.years)
    return sum(plan.spend(y) for y in plan.years)  # min-cost: what counts against the budget


def _check_objective(plan: _Plan, objective: str, reported: float | None, f: _Findings) -> None:
    """The reported objective equals the stage-1 objective recomputed from the plan."""
    if objective not in OBJECTIVES:
        f.add("objective", f"objective={objective}", f"unknown objective; expected one of {list(OBJECTIVES)}")
        return
    if reported is None:
        return
    expected = _objective_value(plan, objective)
    if not math.isfinite(float(reported)) or f.differ(float(reported), expected):
        f.add("objective", f"objective={objective}", f"reported {_num(float(reported))}, recomputed {_num(expected)}")


# --------------------------------------------------------------------------------------------
# Public API


def check_plan(instance: Instance, tables: dict[str, pd.DataFrame], objective: str = "max-hpo",
               reported_objective: float | None = None, tol: float = 1e-5) -> list[Violation]:
    """Recompute spend, flows, capacity, lead times, power and output from the tables; return every violation."""
    f = _Findings(tol)
    read = _read_tables(tables, f)
    plan = _Plan(instance, read)
    _check_plant_rows(plan, read["plants"], f)
    _check_module_decisions(plan, f)
    _check_plant_capacity(plan, f)
    _check_flow_rows(plan, read["flows"], f)
    _check_link_capacity(plan, f)
    _check_deposit_supply(plan, f)
    _check_power_rows(plan, read["power"], f)
    _check_power_balance(plan, f)
    _check_project_rows(plan, read["projects"], f)
    _check_rd_rows(plan, read["rd"], read["projects"], f)
    _check_rd_prerequisites(plan, f)
    _check_allocation(plan, read["allocation"], f)
    _check_budget(plan, f)
    _check_levels(plan, f)
    _check_output_rows(plan, read["output"], f)
    _check_policy(plan, f)
    _check_objective(plan, objective, reported_objective, f)
    return f.violations


def assert_plan_ok(instance: Instance, tables: dict[str, pd.DataFrame], objective: str = "max-hpo",
                   reported_objective: float | None = None, tol: float = 1e-5) -> None:
    """Raise AssertionError listing every violation of the plan, if there is any."""
    violations = check_plan(instance, tables, objective, reported_objective, tol)
    if violations:
        lines = "\n".join(f"  - {v}" for v in violations)
        raise AssertionError(f"{len(violations)} plan violation{'s' if len(violations) != 1 else ''}:\n{lines}")
