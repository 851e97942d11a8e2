"""One-off projects: connections, link upgrades, deposit and power expansions, R&D programmes.

Decisions are cumulative ("step") binaries ``Project_Begun[k,t]`` = 1 if project k has started in
or before year t. ``Project_Started`` and ``Project_Ready`` are expressions of them. This is the
same feasible set as one binary per start year, but branching on "begun by t" splits the plans
evenly, which closes budget-limited instances far faster (see FORMULATION.md, section 2).
"""

from __future__ import annotations

import pyomo.environ as pyo
from reeplan.models.data import ModelData


def cumulative_steps(m: pyo.ConcreteModel, var, index: list[tuple[str, int]], name: str) -> dict[str, list[int]]:
    """Add ``var[k,t] >= var[k,t-1]`` over each key's sorted years; return the years of each key."""
    years_of: dict[str, list[int]] = {}
    for k, t in index:
        years_of.setdefault(k, []).append(t)
    pairs = [(k, years[i]) for k, years in years_of.items() for i in range(1, len(years))]
    prev = {(k, years[i]): years[i - 1] for k, years in years_of.items() for i in range(1, len(years))}
    m.add_component(name, pyo.Constraint(pairs, rule=lambda m, k, t: var[k, prev[k, t]] <= var[k, t]))
    return years_of


def step_difference(var, years_of: dict[str, list[int]], key: str, year: int):
    """Expression: the increase of a cumulative variable in ``year`` (what starts in that year)."""
    years = years_of[key]
    i = years.index(year)
    return var[key, year] - var[key, years[i - 1]] if i else var[key, year]


def step_value_by(var, years_of: dict[str, list[int]], key: str, year: int, lead: int):
    """Expression: the cumulative variable at the last year t with t + lead <= ``year`` (0 if none)."""
    eligible = [t for t in years_of.get(key, []) if t + lead <= year]
    return var[key, eligible[-1]] if eligible else 0


def add_projects(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Project_Begun[k,t] (monotone binaries); Project_Started and Project_Ready derive from them."""
    m.PROJECTS = pyo.Set(initialize=list(data.projects), ordered=True)
    m.PROJECT_START = pyo.Set(initialize=data.project_start, dimen=2, ordered=True)
    m.Project_Begun = pyo.Var(m.PROJECT_START, domain=pyo.Binary)
    years_of = cumulative_steps(m, m.Project_Begun, data.project_start, "project_begun_monotone_constraint")
    m.project_years_of = years_of
    m.Project_Started = pyo.Expression(
        m.PROJECT_START, rule=lambda m, k, t: step_difference(m.Project_Begun, years_of, k, t))


def project_ready(m: pyo.ConcreteModel, data: ModelData, key: str, year: int):
    """Expression: 1 if project ``key`` is complete (its effect available) in ``year``; a constant for a
    committed project (ready from its ready year)."""
    if key in data.committed_ready:
        return 1 if year >= data.committed_ready[key] else 0
    if key not in data.projects:  # committed elsewhere, or no such decision: never ready
        return 0
    return step_value_by(m.Project_Begun, m.project_years_of, key, year, data.projects[key].lead_time_yr)


def project_capex(m: pyo.ConcreteModel, data: ModelData, area: str, year: int):
    """Money committed in ``year`` to projects of one investment area (bn RUB)."""
    return sum(p.capex_bn_rub * m.Project_Started[p.key, year]
               for p in data.projects.values() if p.area == area and (p.key, year) in m.PROJECT_START)
