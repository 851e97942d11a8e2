"""One-off projects: connections, link upgrades, deposit and power expansions, R&D programmes."""

from __future__ import annotations

import pyomo.environ as pyo

from models.components.sets import ModelData


def add_projects(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Project_Started[k,t] binaries, at most one start each; Project_Ready is their lagged sum."""
    m.PROJECTS = pyo.Set(initialize=list(data.projects), ordered=True)
    m.PROJECT_START = pyo.Set(initialize=data.project_start, dimen=2, ordered=True)
    m.Project_Started = pyo.Var(m.PROJECT_START, domain=pyo.Binary)

    starts_of: dict[str, list] = {k: [] for k in data.projects}
    for k, t in data.project_start:
        starts_of[k].append(t)

    m.project_once_constraint = pyo.Constraint(
        [k for k in data.projects if len(starts_of[k]) > 1],
        rule=lambda m, k: sum(m.Project_Started[k, t] for t in starts_of[k]) <= 1,
    )


def project_ready(m: pyo.ConcreteModel, data: ModelData, key: str, year: int):
    """Expression: 1 if project ``key`` is complete (its effect available) in ``year``."""
    return sum(m.Project_Started[idx] for idx in data.ready_starts(key, year))


def project_capex(m: pyo.ConcreteModel, data: ModelData, area: str, year: int):
    """Money committed in ``year`` to projects of one investment area (bn RUB)."""
    return sum(p.capex_bn_rub * m.Project_Started[p.key, year]
               for p in data.projects.values() if p.area == area and (p.key, year) in m.PROJECT_START)
