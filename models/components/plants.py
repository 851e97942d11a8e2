"""Plant sites: opening, integer capacity modules with lead times, the modules online and their jobs.

Declares: `PLANT_SITES`, `MODULE_START`, `NEW_SITE_START`, `Modules_Built_By`, `Site_Open_By`,
`modules_monotone_constraint`, `site_open_monotone_constraint`, `Modules_Started`, `Site_Opened`,
`modules_need_open_site_constraint`, `New_Modules_Online`, `Modules_Online`, `Jobs`.
Reads: `YEARS` (projects).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData
from reeplan.models.steps import add_monotone, step_difference, step_value_by, years_by_key
from reeplan.models.tables import table


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Cumulative Modules_Built_By / Site_Open_By steps; Modules_Started, Site_Opened, the modules online
    and the jobs derive from them."""
    inst = data.instance
    sites = {s.name: s for s in inst.sites}
    room = {s: sites[s].max_modules - sites[s].existing_modules
            - sum(n for _, n in data.committed_modules.get(s, [])) for s in sites}
    m.PLANT_SITES = pyo.Set(initialize=list(sites), ordered=True)
    m.MODULE_START = pyo.Set(initialize=data.module_start, dimen=2, ordered=True)
    m.NEW_SITE_START = pyo.Set(initialize=[(s, t) for s, t in data.module_start if s in data.sites_to_open],
                               dimen=2, ordered=True)
    m.Modules_Built_By = pyo.Var(
        m.MODULE_START, domain=pyo.NonNegativeIntegers,
        bounds=lambda m, s, t: (0, room[s]),
    )
    m.Site_Open_By = pyo.Var(m.NEW_SITE_START, domain=pyo.Binary)
    add_monotone(m, m.Modules_Built_By, data.module_start, "modules_monotone_constraint")
    starts = years_by_key(data.module_start)
    add_monotone(m, m.Site_Open_By, list(m.NEW_SITE_START), "site_open_monotone_constraint")
    open_years = years_by_key(list(m.NEW_SITE_START))
    m.Modules_Started = pyo.Expression(
        m.MODULE_START, rule=lambda m, s, t: step_difference(m.Modules_Built_By, starts, s, t))
    m.Site_Opened = pyo.Expression(
        m.NEW_SITE_START, rule=lambda m, s, t: step_difference(m.Site_Open_By, open_years, s, t))
    m.modules_need_open_site_constraint = pyo.Constraint(
        m.NEW_SITE_START,
        rule=lambda m, s, t: m.Modules_Built_By[s, t] <= room[s] * m.Site_Open_By[s, t],
    )
    # New modules producing in t: started at least the lead time earlier, or committed and ready by then.
    def new_online(m, s, t):
        if data.parametric:  # the same through 0/1 selectors (models/tables.py)
            select = table(m, data, "module_select")
            return (sum(select[s, u, t] * m.Modules_Built_By[s, u] for u in starts.get(s, []))
                    + table(m, data, "committed_modules_online")[s, t])
        return step_value_by(m.Modules_Built_By, starts, s, t, data.site_lead(s)) + data.committed_modules_online(s, t)

    m.New_Modules_Online = pyo.Expression(m.PLANT_SITES, m.YEARS, rule=new_online)
    m.Modules_Online = pyo.Expression(
        m.PLANT_SITES, m.YEARS, rule=lambda m, s, t: sites[s].existing_modules + m.New_Modules_Online[s, t])
    m.Jobs = pyo.Expression(
        m.YEARS, rule=lambda m, t: sum(sites[s].jobs_per_module * m.New_Modules_Online[s, t] for s in m.PLANT_SITES))
