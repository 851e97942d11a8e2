"""The plan checker's model rules (models/FORMULATION.md) on the recomputed plan: limits, timing, budget, policy."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TypeGuard, TypeVar

from reeplan.check.plan_data import _Plan
from reeplan.check.tables import ABS_TOL, INTEGRALITY_TOL, _Findings, _num
from reeplan.instance.schema import TargetAtYear
from reeplan.options import OBJECTIVES

Rule = TypeVar("Rule", bound=TargetAtYear)


def _totals_by(amounts: dict[tuple[str, int], float], items: dict, attribute: str) -> dict[tuple[str, int], float]:
    """Amounts per (item, year) summed per (the item's ``attribute``, year): shipments per deposit, power per source."""
    totals: dict[tuple[str, int], float] = defaultdict(float)
    for (name, year), amount in amounts.items():
        if name in items:
            totals[(getattr(items[name], attribute), year)] += amount
    return totals


def _check_module_decisions(plan: _Plan, f: _Findings) -> None:
    """Modules start only in whole numbers, in time to finish, at an open site, within max_modules."""
    for site in plan.sites.values():
        openings = plan.openings.get(site.name, [])
        for year, n in plan.site_starts(site.name):
            where = f"site={site.name} year={year}"
            if n < 0 or abs(n - round(n)) > 1e-6:
                f.add("module_integrality", where, f"{_num(n)} modules started: not a whole number >= 0")
            if n > 0 and not plan.fits(year, site.lead_time_yr):
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


def _check_link_capacity(plan: _Plan, f: _Findings) -> None:
    """Shipments on each link and ship year fit its capacity plus upgrades ready that year."""
    for (name, year), shipped in sorted(plan.shipped.items()):
        link = plan.links.get(name)
        if link is None:
            continue
        capacity = link.capacity_t_per_yr + plan.added("link_upgrade", name, year)
        f.at_most("link_capacity", f"link={name} ship_year={year}", "shipped", shipped, "capacity", capacity, " t")


def _check_deposit_supply(plan: _Plan, f: _Findings) -> None:
    """Shipments from each deposit and year fit its supply plus expansions ready that year."""
    for (deposit_name, year), t in sorted(_totals_by(plan.shipped, plan.links, "deposit").items()):
        deposit = plan.deposits.get(deposit_name)
        if deposit is None:
            continue
        available = deposit.available_from_year is None or year >= deposit.available_from_year
        supply = (deposit.supply_t_per_yr if available else 0.0) + plan.added("deposit_expansion", deposit_name, year)
        f.at_most("deposit_supply", f"deposit={deposit_name} year={year}", "shipped", t, "supply", supply, " t")


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
    for (source_name, year), gwh in sorted(_totals_by(plan.drawn, plan.connections, "source").items()):
        source = plan.sources.get(source_name)
        if source is None:
            continue
        energy = source.spare_energy_gwh_per_yr + plan.added("power_expansion", source_name, year)
        f.at_most("power_source", f"source={source_name} year={year}", "drawn", gwh, "energy available",
                  energy, " GWh")


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


def _enabled(rule: Rule | None) -> TypeGuard[Rule]:
    """True for a policy rule the instance has and switches on."""
    return rule is not None and rule.enabled


def _check_policy(plan: _Plan, f: _Findings) -> None:
    """Every enabled policy rule holds in its year."""
    policy = plan.inst.policy
    plants = policy.plants_online
    if _enabled(plants):
        # a new plant: a site with no existing module, a new module online and the minimum feed processed
        online = [s for s in plan.sites if plan.sites[s].existing_modules == 0
                  and plan.new_modules_online(s, plants.year) >= 1 - f.tol
                  and plan.feed(s, plants.year) >= plants.min_feed_t_per_yr * (1 - f.tol) - ABS_TOL]
        f.at_least("policy_plants_online", f"year={plants.year}", f"new plants producing {sorted(online)}:",
                   len(online), "required", plants.min_count)
    # floors on one quantity in the rule's year: (rule, name, what, the quantity of a year, the floor's field, unit)
    floors = ((policy.jobs, "policy_jobs", "new jobs", plan.total_jobs, "min_jobs", ""),
              (policy.reo_output, "policy_reo_output", "REO output", plan.reo, "min_t_per_yr", " t"),
              (policy.hpo_output, "policy_hpo_output", "HPO output", plan.hpo, "min_t_per_yr", " t"))
    for floor_rule, name, what, quantity, floor, unit in floors:
        if _enabled(floor_rule):
            f.at_least(name, f"year={floor_rule.year}", what, quantity(floor_rule.year), "required",
                       getattr(floor_rule, floor), unit)
    share = policy.hp_share
    if _enabled(share):
        reo = plan.reo(share.year)
        f.at_least("policy_hp_share", f"year={share.year}", "HPO output", plan.hpo(share.year),
                   f"min_share {_num(share.min_share)} × REO {_num(reo)} t =", share.min_share * reo, " t")
        f.at_least("policy_hp_share_output", f"year={share.year}", "REO output (an empty year does not meet the floor)",
                   reo, "required", share.min_output_t_per_yr, " t")


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
