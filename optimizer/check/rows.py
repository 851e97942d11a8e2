"""The plan checker's row rules: each result table's rows name known items, occur once, and match the recomputed plan."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from typing import TypeVar

from reeplan.check.plan_data import _Plan
from reeplan.check.tables import _Findings, _Table

Item = TypeVar("Item")

# --------------------------------------------------------------------------------------------
# What every row rule does: place a row, skip unknown items, count repeats, compare columns


def _where(row: dict, columns: tuple[str, ...]) -> str:
    """Where a row stands in the plan: its key columns as ``column=value``."""
    return " ".join(f"{column}={row[column]}" for column in columns)


def _known_rows(table: _Table, columns: tuple[str, ...], known: Mapping[str, Item],
                f: _Findings) -> Iterator[tuple[dict, str, Item]]:
    """(row, where, item) for each row whose first key column names an item of ``known``; the others are flagged."""
    kind = columns[0]
    for row in table.rows:
        where = _where(row, columns)
        item = known.get(row[kind])
        if item is None:
            f.add(f"unknown_{kind}", where, f"{kind} is not in the instance")
            continue
        yield row, where, item


def _repeats(f: _Findings, rule: str, seen: Counter) -> None:
    """Flag places (``where``) that occur on more than one row."""
    for where, n in seen.items():
        if n > 1:
            f.add(rule, where, f"{n} rows where at most one is expected")


def _same_fields(f: _Findings, rule: str, where: str, row: dict, owner: str, expected: dict[str, str]) -> None:
    """Flag descriptive columns that disagree with the instance's item (unreadable cells are skipped)."""
    for column, value in expected.items():
        if row[column] is not None and row[column] != value:
            f.add(rule, where, f"{column} {row[column]!r} in the table, the {owner}'s is {value!r}")


def _derived_year(f: _Findings, rule: str, where: str, row: dict, column: str, formula: str, year: int) -> None:
    """Flag a year column that differs from the year its decision implies (an unreadable cell is skipped)."""
    if row[column] is not None and row[column] != year:
        f.add(rule, where, f"{column} {row[column]} in the table, {formula} = {year}")


# --------------------------------------------------------------------------------------------
# One rule per table


def _check_plant_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """plants table: one row per site and year, each derived column as recomputed."""
    seen: Counter = Counter()
    for row, where, _ in _known_rows(table, ("site", "year"), plan.sites, f):
        site, year = row["site"], row["year"]
        if year not in plan.years:
            f.add("plants_table", where, "year is outside the horizon")
            continue
        seen[where] += 1
        f.equal("modules_online", where, "modules online", row["modules_online"], plan.modules_online(site, year))
        f.equal("capacity_value", where, "capacity", row["capacity_t"], plan.capacity(site, year), " t")
        f.equal("feed_balance", where, "feed", row["feed_t"], plan.feed(site, year), " t")
        f.equal("jobs_value", where, "jobs", row["jobs"], plan.jobs(site, year))
    _repeats(f, "plants_table", seen)
    if table.usable:
        for site in plan.sites:
            for year in plan.years:
                if f"site={site} year={year}" not in seen:
                    f.add("plants_table", f"site={site} year={year}", "row is missing (one per site and year)")


def _check_flow_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """flows table: known links, consistent ends and mode, valid ship year, arrival = ship + transit."""
    seen: Counter = Counter()
    for row, where, link in _known_rows(table, ("link", "ship_year"), plan.links, f):
        ship_year, arrival = row["ship_year"], row["ship_year"] + link.transit_yr
        seen[where] += 1
        _same_fields(f, "flow_fields", where, row, "link", {"deposit": link.deposit, "site": link.site, "mode": link.mode})
        if not plan.fits(ship_year, link.transit_yr):
            f.add("ship_year", where, f"shipped in {ship_year} with transit {link.transit_yr} yr arrives "
                                      f"{arrival}, outside {plan.first_year}-{plan.last_year}")
        _derived_year(f, "arrival_year", where, row, "arrival_year", "ship_year + transit", arrival)
        f.at_least("flow_negative", where, "shipped", row["t"], "zero", 0.0, " t")
    _repeats(f, "flows_table", seen)


def _check_power_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """power table: known connections, consistent source and site, years in the horizon."""
    seen: Counter = Counter()
    for row, where, connection in _known_rows(table, ("connection", "year"), plan.connections, f):
        seen[where] += 1
        _same_fields(f, "power_fields", where, row, "connection", {"source": connection.source, "site": connection.site})
        if row["year"] not in plan.years:
            f.add("power_year", where, "year is outside the horizon")
        f.at_least("power_negative", where, "drawn", row["gwh"], "zero", 0.0, " GWh")
    _repeats(f, "power_table", seen)


def _check_project_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """projects table: known projects, started once in a start year that can finish, ready and capex right."""
    seen: Counter = Counter()
    for row in table.rows:
        kind, name, start = row["kind"], row["project"], row["start_year"]
        where = _where(row, ("project", "kind"))
        spec = plan.projects.get((kind, name))
        if spec is None:
            existing = kind == "connection" and name in plan.connections
            f.add("unknown_project", where,
                  "connection already exists (not a decision)" if existing else "no such project in the instance")
            continue
        if (kind, name) in plan.committed_ready:
            f.add("committed_decided", where, "already under way (committed in the instance): not a decision")
        seen[where] += 1
        area = plan.area_of(kind, name)
        if row["area"] is not None and row["area"] != area:
            f.add("project_area", where, f"area {row['area']!r} in the table, expected {area!r}")
        ready = start + spec.lead_time_yr
        if not plan.fits(start, spec.lead_time_yr):
            f.add("project_start_year", where, f"started {start} with lead time {spec.lead_time_yr} yr, ready "
                                               f"{ready}, outside {plan.first_year}-{plan.last_year}")
        _derived_year(f, "project_ready_year", where, row, "ready_year",
                      f"start_year + lead time = {start} + {spec.lead_time_yr}", ready)
        f.equal("project_capex", where, "capex", row["capex_bn_rub"], spec.capex_bn_rub, " bn RUB")
    _repeats(f, "project_once", seen)


def _check_rd_rows(plan: _Plan, rd: _Table, projects: _Table, f: _Findings) -> None:
    """rd table: known programmes, started once, same starts as projects, completion and cost right."""
    seen: Counter = Counter()
    rd_starts: set[tuple[str, int]] = set()
    for row, where, programme in _known_rows(rd, ("programme",), plan.programmes, f):
        name, start = row["programme"], row["start_year"]
        seen[where] += 1
        rd_starts.add((name, start))
        _derived_year(f, "rd_completion_year", where, row, "completion_year",
                      f"start_year + duration = {start} + {programme.duration_yr}", start + programme.duration_yr)
        f.equal("rd_cost", where, "cost", row["cost_bn_rub"], programme.cost_bn_rub, " bn RUB")
    _repeats(f, "rd_once", seen)
    if rd.usable and projects.usable:
        project_starts = {(name, y) for (kind, name), ys in plan.starts.items()
                          if kind == "programme" and name in plan.programmes for y in ys}
        for name, start in sorted(rd_starts - project_starts):
            f.add("rd_projects_mismatch", f"programme={name}",
                  f"rd table starts it in {start}, projects table does not")
        for name, start in sorted(project_starts - rd_starts):
            f.add("rd_projects_mismatch", f"programme={name}",
                  f"projects table starts it in {start}, rd table does not")


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
    reported_by_area: dict[tuple[str | None, int], float] = defaultdict(float)
    for row in table.rows:
        year, kind, item = row["year"], row["kind"], row["item"]
        where = _where(row, ("item", "kind", "year"))
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
    expected_by_area: dict[tuple[str | None, int], float] = defaultdict(float)
    for (year, kind, item), money in expected.items():
        expected_by_area[(plan.area_of(kind, item), year)] += money
    for area, year in sorted(set(reported_by_area) | set(expected_by_area)):
        f.equal("allocation_area_year", f"area={area} year={year}", "money",
                reported_by_area.get((area, year), 0.0), expected_by_area.get((area, year), 0.0), " bn RUB")


def _check_output_rows(plan: _Plan, table: _Table, f: _Findings) -> None:
    """output table: one row per year; feed, recovery, share, output, money and jobs as recomputed."""
    seen: Counter = Counter()
    for row in table.rows:
        year = row["year"]
        where = _where(row, ("year",))
        if year not in plan.years:
            f.add("output_table", where, "year is outside the horizon")
            continue
        seen[where] += 1
        if seen[where] > 1:
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
    _repeats(f, "output_table", seen)
    if table.usable:
        for year in plan.years:
            if f"year={year}" not in seen:
                f.add("output_table", f"year={year}", "row is missing (one per year)")
