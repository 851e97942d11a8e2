"""Plant sites: opening, integer capacity modules with lead times, feed within capacity."""

from __future__ import annotations

import pyomo.environ as pyo
from reeplan.models.components.projects import cumulative_steps, step_difference, step_value_by
from reeplan.models.data import ModelData


def add_plants(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Cumulative Modules_Built_By / Site_Open_By steps; Modules_Started and Site_Opened derive from them."""
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
    starts = cumulative_steps(m, m.Modules_Built_By, data.module_start, "modules_monotone_constraint")
    for s in sites:
        starts.setdefault(s, [])
    m.module_starts_of = starts
    open_years = cumulative_steps(m, m.Site_Open_By, list(m.NEW_SITE_START), "site_open_monotone_constraint")
    m.Modules_Started = pyo.Expression(
        m.MODULE_START, rule=lambda m, s, t: step_difference(m.Modules_Built_By, starts, s, t))
    m.Site_Opened = pyo.Expression(
        m.NEW_SITE_START, rule=lambda m, s, t: step_difference(m.Site_Open_By, open_years, s, t))
    m.modules_need_open_site_constraint = pyo.Constraint(
        m.NEW_SITE_START,
        rule=lambda m, s, t: m.Modules_Built_By[s, t] <= room[s] * m.Site_Open_By[s, t],
    )


def new_modules_online(m: pyo.ConcreteModel, data: ModelData, site: str, year: int):
    """Expression: new modules at ``site`` producing in ``year``: started >= lead time earlier, or committed
    and ready by then."""
    lead = next(s.lead_time_yr for s in data.instance.sites if s.name == site)
    return step_value_by(m.Modules_Built_By, m.module_starts_of, site, year, lead) + data.committed_modules_online(
        site, year)


def add_plant_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Feed at each site within the capacity of its modules online."""
    sites = {s.name: s for s in data.instance.sites}
    m.plant_capacity_constraint = pyo.Constraint(
        m.PLANT_SITES, data.years,
        rule=lambda m, s, t: m.Feed[s, t] <= sites[s].module_capacity_t_per_yr
        * (sites[s].existing_modules + new_modules_online(m, data, s, t)),
    )


def plants_capex(m: pyo.ConcreteModel, data: ModelData, year: int):
    """Money committed in ``year`` to modules and site openings (bn RUB)."""
    sites = {s.name: s for s in data.instance.sites}
    return sum(sites[s].capex_bn_rub_per_module * m.Modules_Started[s, t] for s, t in m.MODULE_START if t == year) + sum(
        sites[s].development_cost_bn_rub * m.Site_Opened[s, t] for s, t in m.NEW_SITE_START if t == year)


def jobs(m: pyo.ConcreteModel, data: ModelData, year: int):
    """Expression: new jobs at new modules online in ``year``."""
    return sum(s.jobs_per_module * new_modules_online(m, data, s.name, year) for s in data.instance.sites)
