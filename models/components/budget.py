"""Money: capital committed per area and year, operating cost, total / R&D / yearly budget rules.

Declares: `AREAS`, `Capex`, `Opex`, `Spend`, `Total_Cost`; with ``data.rules`` also `total_budget_bn_rub`,
`rd_envelope_bn_rub`, `CAP_YEARS`, `yearly_cap_bn_rub`, `budget_total_constraint`, `budget_rd_constraint`,
`budget_yearly_constraint`. Reads: `YEARS`, `PROJECT_START`, `Project_Started` (projects); `PLANT_SITES`, `MODULE_START`,
`NEW_SITE_START`, `Modules_Started`, `Site_Opened` (plants); `SHIP_YEARS`, `Ship`, `Feed` (logistics);
`Power_Drawn` (power); `Overrun_Budget` (elastic, when declared).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import AREAS, ModelData
from reeplan.models.tables import table


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """The money expressions, and (with ``data.rules``) the budget rules on them."""
    add_money(m, data)
    if data.rules:
        add_budget_rules(m, data)


def add_money(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Capex[a,t], Opex[t], Spend[t] (what counts against the budget) and Total_Cost."""
    sites = {s.name: s for s in data.instance.sites}
    m.AREAS = pyo.Set(initialize=AREAS, ordered=True)
    m.Capex = pyo.Expression(
        m.AREAS, m.YEARS,
        rule=lambda m, a, t: _plants_capex(m, data, t) if a == "plants" else _project_capex(m, data, a, t),
    )
    m.Opex = pyo.Expression(
        m.YEARS,
        rule=lambda m, t: sum(sites[s].opex_m_rub_per_t / 1e3 * m.Feed[s, t] for s in m.PLANT_SITES)
        + _power_cost_bn_rub(m, data, t) + _transport_cost_bn_rub(m, data, t),
    )
    opex_counts = data.instance.budget.opex_counts
    committed_capex = table(m, data, "committed_capex_bn_rub")
    counted = committed_counted(data)  # the keys of committed_capex that count against the budget
    m.Spend = pyo.Expression(
        m.YEARS, rule=lambda m, t: sum(m.Capex[a, t] for a in m.AREAS) + (m.Opex[t] if opex_counts else 0)
        + sum(committed_capex[a, t] if (a, t) in counted else 0.0 for a in AREAS))
    m.Total_Cost = pyo.Expression(expr=sum(sum(m.Capex[a, t] for a in m.AREAS) + m.Opex[t] for t in data.years)
                                  + sum(committed_capex[key] for key in data.committed_capex))


def _plants_capex(m: pyo.ConcreteModel, data: ModelData, year: int):
    """Money committed in ``year`` to modules and site openings (bn RUB)."""
    module, development = table(m, data, "module_capex_bn_rub"), table(m, data, "site_development_bn_rub")
    return sum(module[s] * m.Modules_Started[s, t] for s, t in m.MODULE_START if t == year) + sum(
        development[s] * m.Site_Opened[s, t] for s, t in m.NEW_SITE_START if t == year)


def _project_capex(m: pyo.ConcreteModel, data: ModelData, area: str, year: int):
    """Money committed in ``year`` to projects of one investment area (bn RUB)."""
    capex = table(m, data, "project_capex_bn_rub")
    return sum(capex[p.key] * m.Project_Started[p.key, year]
               for p in data.projects.values() if p.area == area and (p.key, year) in m.PROJECT_START)


def _power_cost_bn_rub(m: pyo.ConcreteModel, data: ModelData, year: int):
    """Cost of energy drawn in ``year`` (bn RUB): GWh x RUB/MWh x 1e3 MWh/GWh / 1e9."""
    tariff = table(m, data, "tariff_rub_per_mwh")
    return sum(tariff[c.source] / 1e6 * m.Power_Drawn[c.name, year] for c in data.instance.power_connections)


def _transport_cost_bn_rub(m: pyo.ConcreteModel, data: ModelData, year: int):
    """Transport cost of shipments made in ``year`` (bn RUB)."""
    links = {ln.name: ln for ln in data.instance.links}
    return sum(links[l].tariff_rub_per_t_km * links[l].distance_km / 1e9 * m.Ship[l, t]
               for l, t in m.SHIP_YEARS if t == year)


def committed_counted(data: ModelData) -> dict[tuple[str, int], float]:
    """Remaining capex of committed projects that counts against the budget, by (area, year) (bn RUB)."""
    return data.committed_capex if data.instance.budget.committed_counts else {}


# The instance's budget fields held in mutable Params (field -> Param): the one list of what a
# re-solve may change in place (``reeplan.solving.pipeline.retarget``, the sweep's plateau rule).
MUTABLE_BUDGET_FIELDS = {"total_bn_rub": "total_budget_bn_rub", "rd_envelope_bn_rub": "rd_envelope_bn_rub",
                         "yearly_cap_bn_rub": "yearly_cap_bn_rub"}


def set_budget(m: pyo.ConcreteModel, budget) -> None:
    """Point the budget Params of a built model at ``budget`` (same capped years): no rebuild."""
    m.total_budget_bn_rub.set_value(budget.total_bn_rub)
    m.rd_envelope_bn_rub.set_value(budget.rd_envelope_bn_rub)
    for year in m.CAP_YEARS:
        m.yearly_cap_bn_rub[year].set_value(budget.yearly_cap_bn_rub[year])


def add_budget_rules(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Total budget, R&D envelope and yearly caps; each less its Overrun_Budget slack when elastic declared one."""
    budget = data.instance.budget
    m.total_budget_bn_rub = pyo.Param(initialize=budget.total_bn_rub, mutable=True)
    m.rd_envelope_bn_rub = pyo.Param(initialize=budget.rd_envelope_bn_rub, mutable=True)
    m.CAP_YEARS = pyo.Set(initialize=data.cap_years, ordered=True)
    m.yearly_cap_bn_rub = pyo.Param(m.CAP_YEARS, initialize=lambda m, t: budget.yearly_cap_bn_rub[t], mutable=True)

    slack = m.component("Overrun_Budget")  # the diagnosis variant's slack (elastic), else none

    def overrun(label: str):
        return 0 if slack is None else slack[label]

    m.budget_total_constraint = pyo.Constraint(
        expr=sum(m.Spend[t] for t in data.years) - overrun("total") <= m.total_budget_bn_rub)
    committed_rd = sum(money for (area, _), money in committed_counted(data).items() if area == "rd")
    m.budget_rd_constraint = pyo.Constraint(
        expr=sum(m.Capex["rd", t] for t in data.years) + committed_rd - overrun("rd") <= m.rd_envelope_bn_rub)
    m.budget_yearly_constraint = pyo.Constraint(
        m.CAP_YEARS, rule=lambda m, t: m.Spend[t] - overrun(f"year {t}") <= m.yearly_cap_bn_rub[t])
