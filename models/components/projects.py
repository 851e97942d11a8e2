"""One-off projects: connections, link upgrades, deposit and power expansions, R&D programmes.

Declares: `YEARS`, `PROJECTS`, `COMMITTED_PROJECTS`, `PROJECT_START`, `Project_Begun`,
`project_begun_monotone_constraint`, `Project_Started`, `Project_Ready`. Reads: ModelData only.

Decisions are cumulative ("step") binaries ``Project_Begun[k,t]`` = 1 if project k has started in
or before year t. ``Project_Started`` and ``Project_Ready`` are expressions of them. This is the
same feasible set as one binary per start year, but branching on "begun by t" splits the plans
evenly, which closes budget-limited instances far faster (see FORMULATION.md, section 2).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData
from reeplan.models.steps import add_monotone, step_difference, step_value_by, years_by_key
from reeplan.models.tables import table


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Project_Begun[k,t] (monotone binaries); Project_Started[k,t] and Project_Ready[k,t] derive from them."""
    m.YEARS = pyo.Set(initialize=data.years, ordered=True)
    m.PROJECTS = pyo.Set(initialize=list(data.projects), ordered=True)
    m.COMMITTED_PROJECTS = pyo.Set(initialize=list(data.committed_ready), ordered=True)
    m.PROJECT_START = pyo.Set(initialize=data.project_start, dimen=2, ordered=True)
    m.Project_Begun = pyo.Var(m.PROJECT_START, domain=pyo.Binary)
    add_monotone(m, m.Project_Begun, data.project_start, "project_begun_monotone_constraint")
    years_of = years_by_key(data.project_start)
    m.Project_Started = pyo.Expression(
        m.PROJECT_START, rule=lambda m, k, t: step_difference(m.Project_Begun, years_of, k, t))

    def ready(m, k, t):
        """1 if project k is complete (its effect available) in year t; a constant for a committed
        project (ready from its ready year). Parametric: the same through 0/1 selectors (models/tables.py)."""
        if data.parametric:
            if k in data.committed_ready:
                return table(m, data, "committed_ready")[k, t]
            select = table(m, data, "ready_select")
            return sum(select[k, s, t] * m.Project_Begun[k, s] for s in years_of.get(k, []))
        if k in data.committed_ready:
            return 1 if t >= data.committed_ready[k] else 0
        return step_value_by(m.Project_Begun, years_of, k, t, data.projects[k].lead_time_yr)

    m.Project_Ready = pyo.Expression(m.PROJECTS | m.COMMITTED_PROJECTS, m.YEARS, rule=ready)
