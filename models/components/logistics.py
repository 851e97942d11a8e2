"""Logistics: shipments on deposit -> site links, link capacity with upgrades, deposit supply, and the
feed they deliver to each site within the capacity of its modules online.

Declares: `LINKS`, `DEPOSITS`, `SHIP_YEARS`, `Ship`, `link_capacity_constraint`, `deposit_supply_constraint`,
`Feed`, `plant_capacity_constraint`. Reads: `YEARS`, `Project_Ready` (projects); `PLANT_SITES`,
`Modules_Online` (plants).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData
from reeplan.models.tables import table


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Ship[l,t] within link capacity and deposit supply; Feed[s,t] = shipments arriving at s in t, within
    the capacity of the modules online at s."""
    inst = data.instance
    links = {ln.name: ln for ln in inst.links}
    m.LINKS = pyo.Set(initialize=list(links), ordered=True)
    m.DEPOSITS = pyo.Set(initialize=[d.name for d in inst.deposits], ordered=True)
    m.SHIP_YEARS = pyo.Set(initialize=data.ship_years, dimen=2, ordered=True)
    m.Ship = pyo.Var(m.SHIP_YEARS, domain=pyo.NonNegativeReals)

    upgrades_of: dict[str, list] = {name: [] for name in links}
    for u in inst.link_upgrades:
        upgrades_of[u.link].append(u)
    capacity, added = table(m, data, "link_capacity_t_per_yr"), table(m, data, "upgrade_capacity_added_t_per_yr")
    m.link_capacity_constraint = pyo.Constraint(
        m.SHIP_YEARS,
        rule=lambda m, l, t: m.Ship[l, t] <= capacity[l] + sum(
            added[u.name] * m.Project_Ready[f"link_upgrade:{u.name}", t] for u in upgrades_of[l]),
    )

    expansions_of: dict[str, list] = {d.name: [] for d in inst.deposits}
    for e in inst.deposit_expansions:
        expansions_of[e.deposit].append(e)
    supply = table(m, data, "deposit_supply_t_per_yr")
    supply_added = table(m, data, "expansion_supply_added_t_per_yr")
    ships_from: dict[tuple[str, int], list] = {}
    arrivals: dict[tuple[str, int], list] = {}
    for l, t in data.ship_years:
        ships_from.setdefault((links[l].deposit, t), []).append((l, t))
        arrivals.setdefault((links[l].site, t + links[l].transit_yr), []).append((l, t))

    def supply_rule(m, d, t):
        shipped = ships_from.get((d, t))
        if not shipped:
            return pyo.Constraint.Skip
        added = sum(supply_added[e.name] * m.Project_Ready[f"deposit_expansion:{e.name}", t] for e in expansions_of[d])
        return sum(m.Ship[i] for i in shipped) <= supply[d, t] + added

    m.deposit_supply_constraint = pyo.Constraint(
        sorted({(links[l].deposit, t) for l, t in data.ship_years}), rule=supply_rule)
    m.Feed = pyo.Expression(
        m.PLANT_SITES, m.YEARS,
        rule=lambda m, s, t: sum(m.Ship[i] for i in arrivals.get((s, t), [])),
    )
    sites = {s.name: s for s in inst.sites}
    m.plant_capacity_constraint = pyo.Constraint(
        m.PLANT_SITES, m.YEARS,
        rule=lambda m, s, t: m.Feed[s, t] <= sites[s].module_capacity_t_per_yr * m.Modules_Online[s, t],
    )
