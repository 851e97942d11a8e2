"""The numbers of the model that a future moves, computed once from ``ModelData``; plain or as mutable Params.

A sampled future (``reeplan.uncertainty.futures.apply_future``) changes costs, capacities, supplies,
tariffs, R&D gains and lead times, never an index set (its model is built over the nominal decision
indices). ``future_tables`` is the one list of those numbers, by table name and key. The components
read them through ``table(m, data, name)``: plain floats (the ordinary build; the expressions are the
ones written with the floats themselves), or, when ``data.parametric``, a mutable Param of that name,
so that one built model serves every future of a plan and only the Params' values change
(``reeplan.solving.parametric``; FORMULATION.md, section 12.2).

Lead times move which year an item comes online. With ``data.parametric`` the cumulative decision
read at "the last start year t with t + lead <= year" (``models.steps.step_value_by``) is written
instead as a sum over the start years, each weighted by a 0/1 selector table (``ready_select``,
``module_select``): the selector of the last eligible start year is 1, the others 0, so the value is the
same, and a future with other lead times moves only the selectors.
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData
from reeplan.models.steps import years_by_key

# Table name -> what it holds (units in the name); every table is keyed as its comment says.
TABLES = {
    "link_capacity_t_per_yr": "link -> base capacity",
    "upgrade_capacity_added_t_per_yr": "link upgrade -> capacity added, at most the link's bound",
    "deposit_supply_t_per_yr": "(deposit, year) -> base supply in that year (0 before it is available)",
    "expansion_supply_added_t_per_yr": "deposit expansion -> supply added",
    "connection_capacity_gwh_per_yr": "connection -> capacity, at most what the site or source can use",
    "expansion_energy_added_gwh_per_yr": "power expansion -> energy added, at most what its source's sites need",
    "spare_energy_gwh_per_yr": "power source -> spare energy",
    "level_recovery": "technology level -> recovery",
    "level_hp_share": "technology level -> HP share",
    "feed_max_by_year_t": "year -> most feed any plan can process",
    "feed_max_t": "None -> the largest of feed_max_by_year_t (the bound of Feed_At_Level)",
    "module_capex_bn_rub": "site -> capex per module",
    "site_development_bn_rub": "site -> development cost of opening it",
    "project_capex_bn_rub": "project key -> capex",
    "committed_capex_bn_rub": "(area, year) -> remaining capex of committed projects",
    "tariff_rub_per_mwh": "power source -> tariff",
    "ready_select": "(project key, start year, year) -> 1 if that start year is the last one ready by year",
    "module_select": "(site, start year, year) -> 1 if modules started then are the last ones online by year",
    "committed_ready": "(committed project key, year) -> 1 if ready in year",
    "committed_modules_online": "(site, year) -> committed modules producing in year",
}


def _selectors(years_of: dict[str, list[int]], lead_of, years: list[int]) -> dict[tuple[str, int, int], float]:
    """(key, start year, year) -> 1.0 if that start year is the last one with start + lead <= year, else 0.0."""
    out = {}
    for key, starts in years_of.items():
        lead = lead_of(key)
        for t in years:
            eligible = [s for s in starts if s + lead <= t]
            last = eligible[-1] if eligible else None
            for s in starts:
                out[(key, s, t)] = float(s == last)
    return out


def _supply(data: ModelData) -> dict:
    deposits = {d.name: d for d in data.instance.deposits}
    links = {ln.name: ln for ln in data.instance.links}
    keys = sorted({(links[ln].deposit, t) for ln, t in data.ship_years})
    return {(d, t): deposits[d].supply_t_per_yr if t >= (deposits[d].available_from_year or t) else 0.0
            for d, t in keys}


_TABLE_OF = {
    "link_capacity_t_per_yr": lambda d: {ln.name: ln.capacity_t_per_yr for ln in d.instance.links},
    "upgrade_capacity_added_t_per_yr": lambda d: {u.name: min(u.capacity_added_t_per_yr, d.link_max_t[u.link])
                                                  for u in d.instance.link_upgrades},
    "deposit_supply_t_per_yr": _supply,
    "expansion_supply_added_t_per_yr": lambda d: {e.name: e.supply_added_t_per_yr
                                                  for e in d.instance.deposit_expansions},
    "connection_capacity_gwh_per_yr": lambda d: dict(d.connection_max_gwh),
    "expansion_energy_added_gwh_per_yr": lambda d: {x.name: min(x.energy_added_gwh_per_yr,
                                                                d.source_max_need_gwh[x.source])
                                                    for x in d.instance.power_expansions},
    "spare_energy_gwh_per_yr": lambda d: {p.name: p.spare_energy_gwh_per_yr for p in d.instance.power_sources},
    "level_recovery": lambda d: {lv.key: lv.recovery for lv in d.levels},
    "level_hp_share": lambda d: {lv.key: lv.hp_share for lv in d.levels},
    "feed_max_by_year_t": lambda d: dict(d.feed_max_by_year),
    "feed_max_t": lambda d: {None: d.feed_max_t},
    "module_capex_bn_rub": lambda d: {s.name: s.capex_bn_rub_per_module for s in d.instance.sites},
    "site_development_bn_rub": lambda d: {s.name: s.development_cost_bn_rub for s in d.instance.sites},
    "project_capex_bn_rub": lambda d: {k: p.capex_bn_rub for k, p in d.projects.items()},
    "committed_capex_bn_rub": lambda d: dict(d.committed_capex),
    "tariff_rub_per_mwh": lambda d: {p.name: p.tariff_rub_per_mwh for p in d.instance.power_sources},
    "ready_select": lambda d: _selectors(years_by_key(d.project_start), lambda k: d.projects[k].lead_time_yr,
                                         d.years),
    "module_select": lambda d: _selectors(years_by_key(d.module_start), d.site_lead, d.years),
    "committed_ready": lambda d: {(k, t): float(t >= ready) for k, ready in d.committed_ready.items()
                                  for t in d.years},
    "committed_modules_online": lambda d: {(s.name, t): float(d.committed_modules_online(s.name, t))
                                           for s in d.instance.sites for t in d.years},
}
assert set(_TABLE_OF) == set(TABLES)


def future_tables(data: ModelData) -> dict[str, dict]:
    """Every table of ``TABLES`` for one instance (a future's: its ModelData built with ``index_from`` the
    nominal instance, so that every table has the nominal model's keys)."""
    return {name: fn(data) for name, fn in _TABLE_OF.items()}


def table(m: pyo.Block, data: ModelData, name: str):
    """Table ``name`` of ``future_tables(data)``: the dict itself, or (``data.parametric``) the mutable Param
    ``name`` on ``m``, declared at its first read."""
    if not data.parametric:
        return _table(data, name)
    param = m.component(name)
    if param is None:
        values = _table(data, name)
        if list(values) == [None]:
            param = pyo.Param(initialize=values[None], mutable=True)
        else:
            param = pyo.Param(list(values), initialize=values, mutable=True, within=pyo.Reals)
        m.add_component(name, param)
        if list(values) == [None]:
            return {None: param}
    elif not param.is_indexed():
        return {None: param}
    return param


def _table(data: ModelData, name: str) -> dict:
    cache = data.__dict__.setdefault("_tables", {})  # a build reads a table many times: compute it once
    if name not in cache:
        cache[name] = _TABLE_OF[name](data)
    return cache[name]
