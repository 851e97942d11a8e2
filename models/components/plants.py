"""Plant sites: opening, integer capacity modules with lead times, feed within capacity."""

from __future__ import annotations

import pyomo.environ as pyo

from models.components.sets import ModelData


def add_plants(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Site_Opened, Modules_Started and the capacity they give; Feed is defined by logistics."""
    inst = data.instance
    sites = {s.name: s for s in inst.sites}
    m.PLANT_SITES = pyo.Set(initialize=list(sites), ordered=True)
    m.MODULE_START = pyo.Set(initialize=data.module_start, dimen=2, ordered=True)
    m.NEW_SITE_START = pyo.Set(initialize=[(s, t) for s, t in data.module_start if s in data.new_sites],
                               dimen=2, ordered=True)
    m.Modules_Started = pyo.Var(
        m.MODULE_START, domain=pyo.NonNegativeIntegers,
        bounds=lambda m, s, t: (0, sites[s].max_modules - sites[s].existing_modules),
    )
    m.Site_Opened = pyo.Var(m.NEW_SITE_START, domain=pyo.Binary)

    starts: dict[str, list[int]] = {s: [] for s in sites}
    for s, t in data.module_start:
        starts[s].append(t)
    m.module_starts_of = starts

    m.site_open_once_constraint = pyo.Constraint(
        [s for s in data.new_sites if len(starts[s]) > 1],
        rule=lambda m, s: sum(m.Site_Opened[s, t] for t in starts[s]) <= 1,
    )
    m.modules_need_open_site_constraint = pyo.Constraint(
        m.NEW_SITE_START,
        rule=lambda m, s, t: m.Modules_Started[s, t] <= (sites[s].max_modules - sites[s].existing_modules)
        * sum(m.Site_Opened[s, tau] for tau in starts[s] if tau <= t),
    )
    m.module_limit_constraint = pyo.Constraint(
        [s for s in sites if len(starts[s]) > 1],
        rule=lambda m, s: sum(m.Modules_Started[s, t] for t in starts[s])
        <= sites[s].max_modules - sites[s].existing_modules,
    )


def new_modules_online(m: pyo.ConcreteModel, data: ModelData, site: str, year: int):
    """Expression: new modules at ``site`` producing in ``year`` (started >= lead time earlier)."""
    lead = next(s.lead_time_yr for s in data.instance.sites if s.name == site)
    return sum(m.Modules_Started[site, t] for t in m.module_starts_of[site] if t + lead <= year)


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
