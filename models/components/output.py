"""R&D prerequisites and the exact linearisation of output = feed x recovery x HP share.

Declares: `rd_prerequisite_constraint`, `TECH_LEVELS`, `Level_Used`, `Feed_At_Level`, `one_level_constraint`,
`level_needs_programme_constraint`, `feed_split_constraint`, `level_feed_limit_constraint`, `REO_Output`,
`HPO_Output`. Reads: `YEARS`, `Project_Started`, `Project_Ready` (projects); `PLANT_SITES` (plants);
`Feed` (logistics).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData
from reeplan.models.tables import table


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """A programme starts only when its prerequisites are complete; one technology level per year, all
    feed processed at it; REO and HPO are linear in the split."""
    prereqs = {r.name: r.prerequisites for r in data.instance.rd_programmes}
    index = [(f"programme:{r}", q, t) for (key, t) in data.project_start
             if key.startswith("programme:") for r in [key.split(":", 1)[1]] for q in prereqs[r]]
    m.rd_prerequisite_constraint = pyo.Constraint(
        index,
        rule=lambda m, k, q, t: m.Project_Started[k, t] <= m.Project_Ready[f"programme:{q}", t],
    )

    levels = {lv.key: lv for lv in data.levels}
    m.TECH_LEVELS = pyo.Set(initialize=list(levels), ordered=True)
    m.Level_Used = pyo.Var(m.TECH_LEVELS, m.YEARS, domain=pyo.Binary)
    feed_max = table(m, data, "feed_max_by_year_t")
    recovery, share = table(m, data, "level_recovery"), table(m, data, "level_hp_share")
    m.Feed_At_Level = pyo.Var(m.TECH_LEVELS, m.YEARS, domain=pyo.NonNegativeReals,
                              bounds=(0, table(m, data, "feed_max_t")[None]))
    m.one_level_constraint = pyo.Constraint(
        m.YEARS, rule=lambda m, t: sum(m.Level_Used[s, t] for s in m.TECH_LEVELS) == 1)
    m.level_needs_programme_constraint = pyo.Constraint(
        [(s, r, t) for s, lv in levels.items() for r in lv.programmes for t in data.years],
        rule=lambda m, s, r, t: m.Level_Used[s, t] <= m.Project_Ready[f"programme:{r}", t],
    )
    m.feed_split_constraint = pyo.Constraint(
        m.YEARS,
        rule=lambda m, t: sum(m.Feed_At_Level[s, t] for s in m.TECH_LEVELS) == sum(m.Feed[s, t] for s in m.PLANT_SITES),
    )
    m.level_feed_limit_constraint = pyo.Constraint(
        m.TECH_LEVELS, m.YEARS,
        rule=lambda m, s, t: m.Feed_At_Level[s, t] <= feed_max[t] * m.Level_Used[s, t],
    )
    m.REO_Output = pyo.Expression(
        m.YEARS, rule=lambda m, t: sum(recovery[s] * m.Feed_At_Level[s, t] for s in m.TECH_LEVELS))
    m.HPO_Output = pyo.Expression(
        m.YEARS, rule=lambda m, t: sum(recovery[s] * share[s] * m.Feed_At_Level[s, t] for s in m.TECH_LEVELS),
    )
