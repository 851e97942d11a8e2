"""Hydro power: energy drawn through connections (existing or built), within source spare energy.

Declares: `CONNECTIONS`, `POWER_SOURCES`, `Power_Drawn`, `power_need_constraint`,
`connection_capacity_constraint`, `power_source_constraint`. Reads: `YEARS`, `Project_Ready` (projects);
`PLANT_SITES` (plants); `Feed` (logistics).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData
from reeplan.models.tables import table


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Power_Drawn[c,t] meets each site's electricity need, within connection and source limits."""
    inst = data.instance
    conns = {c.name: c for c in inst.power_connections}
    sites = {s.name: s for s in inst.sites}
    m.CONNECTIONS = pyo.Set(initialize=list(conns), ordered=True)
    m.POWER_SOURCES = pyo.Set(initialize=[p.name for p in inst.power_sources], ordered=True)
    m.Power_Drawn = pyo.Var(m.CONNECTIONS, m.YEARS, domain=pyo.NonNegativeReals)

    conns_at = {s: [c for c in conns if conns[c].site == s] for s in sites}
    m.power_need_constraint = pyo.Constraint(
        m.PLANT_SITES, m.YEARS,
        rule=lambda m, s, t: sum(m.Power_Drawn[c, t] for c in conns_at[s])
        == sites[s].electricity_mwh_per_t / 1000.0 * m.Feed[s, t],
    )

    capacity = table(m, data, "connection_capacity_gwh_per_yr")  # tightened by the most the site or source can use

    def connection_rule(m, c, t):
        cap = capacity[c]
        if conns[c].exists:
            return m.Power_Drawn[c, t] <= cap
        return m.Power_Drawn[c, t] <= cap * m.Project_Ready[f"connection:{c}", t]

    m.connection_capacity_constraint = pyo.Constraint(m.CONNECTIONS, m.YEARS, rule=connection_rule)

    expansions_of = {p.name: [x for x in inst.power_expansions if x.source == p.name] for p in inst.power_sources}
    spare = table(m, data, "spare_energy_gwh_per_yr")
    added = table(m, data, "expansion_energy_added_gwh_per_yr")
    conns_from = {p.name: [c for c in conns if conns[c].source == p.name] for p in inst.power_sources}
    m.power_source_constraint = pyo.Constraint(
        [(p, t) for p in conns_from if conns_from[p] for t in data.years],
        rule=lambda m, p, t: sum(m.Power_Drawn[c, t] for c in conns_from[p]) <= spare[p] + sum(
            added[x.name] * m.Project_Ready[f"power_expansion:{x.name}", t] for x in expansions_of[p]),
    )

