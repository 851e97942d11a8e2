"""Logistics: shipments on deposit -> site links, link capacity with upgrades, deposit supply."""

from __future__ import annotations

import pyomo.environ as pyo
from reeplan.models.components.projects import project_ready
from reeplan.models.data import ModelData


def add_logistics(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Ship[l,t] within link capacity and deposit supply; Feed[s,t] = shipments arriving at s in t."""
    inst = data.instance
    links = {ln.name: ln for ln in inst.links}
    m.LINKS = pyo.Set(initialize=list(links), ordered=True)
    m.DEPOSITS = pyo.Set(initialize=[d.name for d in inst.deposits], ordered=True)
    m.SHIP_YEARS = pyo.Set(initialize=data.ship_years, dimen=2, ordered=True)
    m.Ship = pyo.Var(m.SHIP_YEARS, domain=pyo.NonNegativeReals)

    upgrades_of: dict[str, list] = {name: [] for name in links}
    for u in inst.link_upgrades:
        upgrades_of[u.link].append(u)
    m.link_capacity_constraint = pyo.Constraint(
        m.SHIP_YEARS,
        rule=lambda m, l, t: m.Ship[l, t] <= links[l].capacity_t_per_yr + sum(
            min(u.capacity_added_t_per_yr, data.link_max_t[l]) * project_ready(m, data, f"link_upgrade:{u.name}", t)
            for u in upgrades_of[l]),
    )

    expansions_of: dict[str, list] = {d.name: [] for d in inst.deposits}
    for e in inst.deposit_expansions:
        expansions_of[e.deposit].append(e)
    deposits = {d.name: d for d in inst.deposits}
    ships_from: dict[tuple[str, int], list] = {}
    arrivals: dict[tuple[str, int], list] = {}
    for l, t in data.ship_years:
        ships_from.setdefault((links[l].deposit, t), []).append((l, t))
        arrivals.setdefault((links[l].site, t + links[l].transit_yr), []).append((l, t))

    def supply_rule(m, d, t):
        shipped = ships_from.get((d, t))
        if not shipped:
            return pyo.Constraint.Skip
        base = deposits[d].supply_t_per_yr if t >= (deposits[d].available_from_year or t) else 0.0
        added = sum(e.supply_added_t_per_yr * project_ready(m, data, f"deposit_expansion:{e.name}", t)
                    for e in expansions_of[d])
        return sum(m.Ship[i] for i in shipped) <= base + added

    m.deposit_supply_constraint = pyo.Constraint(
        sorted({(links[l].deposit, t) for l, t in data.ship_years}), rule=supply_rule)
    m.Feed = pyo.Expression(
        [(s.name, t) for s in inst.sites for t in data.years],
        rule=lambda m, s, t: sum(m.Ship[i] for i in arrivals.get((s, t), [])),
    )


def transport_cost_bn_rub(m: pyo.ConcreteModel, data: ModelData, year: int):
    """Transport cost of shipments made in ``year`` (bn RUB)."""
    links = {ln.name: ln for ln in data.instance.links}
    return sum(links[l].tariff_rub_per_t_km * links[l].distance_km / 1e9 * m.Ship[l, t]
               for l, t in m.SHIP_YEARS if t == year)
