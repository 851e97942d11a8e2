"""Money: capital committed per area and year, operating cost, total / R&D / yearly budget rules."""

from __future__ import annotations

import pyomo.environ as pyo
from reeplan.models.components.elastic import elastic_var
from reeplan.models.components.logistics import transport_cost_bn_rub
from reeplan.models.components.plants import plants_capex
from reeplan.models.components.power import power_cost_bn_rub
from reeplan.models.components.projects import project_capex
from reeplan.models.data import AREAS, ModelData


def add_money(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Capex[a,t], Opex[t], Spend[t] (what counts against the budget) and Total_Cost."""
    sites = {s.name: s for s in data.instance.sites}
    m.AREAS = pyo.Set(initialize=AREAS, ordered=True)
    m.Capex = pyo.Expression(
        m.AREAS, data.years,
        rule=lambda m, a, t: plants_capex(m, data, t) if a == "plants" else project_capex(m, data, a, t),
    )
    m.Opex = pyo.Expression(
        data.years,
        rule=lambda m, t: sum(sites[s].opex_m_rub_per_t / 1e3 * m.Feed[s, t] for s in m.PLANT_SITES)
        + power_cost_bn_rub(m, data, t) + transport_cost_bn_rub(m, data, t),
    )
    opex_counts = data.instance.budget.opex_counts
    committed = committed_counted(data)
    m.Spend = pyo.Expression(
        data.years, rule=lambda m, t: sum(m.Capex[a, t] for a in m.AREAS) + (m.Opex[t] if opex_counts else 0)
        + sum(committed.get((a, t), 0.0) for a in AREAS))
    m.Total_Cost = pyo.Expression(expr=sum(sum(m.Capex[a, t] for a in m.AREAS) + m.Opex[t] for t in data.years)
                                  + sum(data.committed_capex.values()))


def committed_counted(data: ModelData) -> dict[tuple[str, int], float]:
    """Remaining capex of committed projects that counts against the budget, by (area, year) (bn RUB)."""
    return data.committed_capex if data.instance.budget.committed_counts else {}


def add_budget_rules(m: pyo.ConcreteModel, data: ModelData, elastic: bool = False) -> None:
    """Total budget, R&D envelope and yearly caps; with ``elastic`` each gets an Overrun variable."""
    budget = data.instance.budget
    m.total_budget_bn_rub = pyo.Param(initialize=budget.total_bn_rub, mutable=True)
    m.rd_envelope_bn_rub = pyo.Param(initialize=budget.rd_envelope_bn_rub, mutable=True)
    cap_years = [t for t in data.years if t in budget.yearly_cap_bn_rub]
    m.CAP_YEARS = pyo.Set(initialize=cap_years, ordered=True)
    m.yearly_cap_bn_rub = pyo.Param(m.CAP_YEARS, initialize=lambda m, t: budget.yearly_cap_bn_rub[t], mutable=True)

    overrun = elastic_var(m, "Overrun_Budget", ["total", "rd"] + [f"year {t}" for t in cap_years], elastic)
    m.budget_total_constraint = pyo.Constraint(
        expr=sum(m.Spend[t] for t in data.years) - overrun("total") <= m.total_budget_bn_rub)
    committed_rd = sum(money for (area, _), money in committed_counted(data).items() if area == "rd")
    m.budget_rd_constraint = pyo.Constraint(
        expr=sum(m.Capex["rd", t] for t in data.years) + committed_rd - overrun("rd") <= m.rd_envelope_bn_rub)
    m.budget_yearly_constraint = pyo.Constraint(
        m.CAP_YEARS, rule=lambda m, t: m.Spend[t] - overrun(f"year {t}") <= m.yearly_cap_bn_rub[t])

