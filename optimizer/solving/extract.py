"""Solved Pyomo model -> pandas result tables (see tables.md). Reads values only; decides nothing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyomo.core as pyo
from reeplan.models.components.policy import POLICY_ROWS
from reeplan.models.data import ModelData
from reeplan.result.tables import TABLES, ZERO_BELOW, conform


def _val(x) -> float:
    v = pyo.value(x, exception=False)
    return 0.0 if v is None else float(v)


def _int(x) -> int:
    return int(round(_val(x)))


def extract_tables(m: pyo.ConcreteModel, data: ModelData, duals: dict | None = None) -> dict[str, pd.DataFrame]:
    """All result tables of a solved model; ``duals`` maps constraint name -> marginal value."""
    return {**plan_tables(m, data), "constraints": _constraints(m, data, duals or {})}


def plan_tables(m: pyo.Block, data: ModelData) -> dict[str, pd.DataFrame]:
    """The plan's tables (every table but the rules'), also of a block without rules (a future's copy)."""
    return {
        "allocation": _allocation(m, data),
        "plants": _plants(m, data),
        "flows": _flows(m, data),
        "power": _power(m, data),
        "projects": _projects(m, data),
        "rd": _rd(m, data),
        "output": _output(m, data),
    }


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """The rows as the contract's table ``name`` (columns, order and dtypes of reeplan.result.tables)."""
    return conform(name, pd.DataFrame(rows, columns=TABLES[name].names))


def _allocation(m, data: ModelData) -> pd.DataFrame:
    sites = {s.name: s for s in data.instance.sites}
    rows = []
    for (s, t), var in m.Modules_Started.items():
        n = _int(var)
        if n:
            rows.append(dict(year=t, area="plants", item=s, kind="module", bn_rub=n * sites[s].capex_bn_rub_per_module))
    for (s, t), var in m.Site_Opened.items():
        if _int(var) and sites[s].development_cost_bn_rub > 0:
            rows.append(dict(year=t, area="plants", item=s, kind="site_opening", bn_rub=sites[s].development_cost_bn_rub))
    for (k, t), var in m.Project_Started.items():
        p = data.projects[k]
        if _int(var) and p.capex_bn_rub > 0:
            rows.append(dict(year=t, area=p.area, item=p.name, kind=p.kind, bn_rub=p.capex_bn_rub))
    for c in data.instance.committed:  # projects under way: their remaining capex, not a decision
        for year, money in sorted(c.capex_remaining_bn_rub.items()):
            if money > 0:
                rows.append(dict(year=year, area=c.area, item=c.name, kind="committed", bn_rub=money))
    df = _frame("allocation", rows)
    return df.sort_values(["year", "area", "item"], ignore_index=True)


def _plants(m, data: ModelData) -> pd.DataFrame:
    rows = []
    for s in data.instance.sites:
        opened = {t for (site, t), var in m.Site_Opened.items() if site == s.name and _int(var)}
        for t in data.years:
            started = _int(m.Modules_Started[s.name, t]) if (s.name, t) in m.Modules_Started else 0
            new_online = _int(m.New_Modules_Online[s.name, t])
            online = s.existing_modules + new_online
            rows.append(dict(site=s.name, year=t, opened=t in opened, modules_started=started, modules_online=online,
                             capacity_t=online * s.module_capacity_t_per_yr, feed_t=_val(m.Feed[s.name, t]),
                             jobs=s.jobs_per_module * new_online))
    return _frame("plants", rows)


def _flows(m, data: ModelData) -> pd.DataFrame:
    links = {ln.name: ln for ln in data.instance.links}
    rows = [dict(link=l, deposit=links[l].deposit, site=links[l].site, mode=links[l].mode, ship_year=t,
                 arrival_year=t + links[l].transit_yr, t=_val(var))
            for (l, t), var in m.Ship.items() if _val(var) >= ZERO_BELOW["t"]]  # below: solver noise
    return _frame("flows", rows)


def _power(m, data: ModelData) -> pd.DataFrame:
    conns = {c.name: c for c in data.instance.power_connections}
    rows = [dict(connection=c, source=conns[c].source, site=conns[c].site, year=t, gwh=_val(var))
            for (c, t), var in m.Power_Drawn.items() if _val(var) >= ZERO_BELOW["GWh"]]
    return _frame("power", rows)


def _projects(m, data: ModelData) -> pd.DataFrame:
    rows = []
    for (k, t), var in m.Project_Started.items():
        if _int(var):
            p = data.projects[k]
            rows.append(dict(project=p.name, kind=p.kind, area=p.area, start_year=t, ready_year=t + p.lead_time_yr,
                             capex_bn_rub=p.capex_bn_rub))
    return _frame("projects", rows)


def _rd(m, data: ModelData) -> pd.DataFrame:
    projects = _projects(m, data)
    rd = projects[projects["kind"] == "programme"]
    return conform("rd", pd.DataFrame({"programme": rd["project"], "start_year": rd["start_year"],
                                       "completion_year": rd["ready_year"],
                                       "cost_bn_rub": rd["capex_bn_rub"]}).reset_index(drop=True))


def _output(m, data: ModelData) -> pd.DataFrame:
    levels = {lv.key: lv for lv in data.levels}
    rows = []
    for t in data.years:
        used = max(levels, key=lambda k: _val(m.Level_Used[k, t]))
        feed = sum(_val(m.Feed[s, t]) for s in m.PLANT_SITES)
        capex = sum(_val(m.Capex[a, t]) for a in m.AREAS) + sum(
            money for (_, year), money in data.committed_capex.items() if year == t)
        rows.append(dict(year=t, feed_t=feed, reo_t=_val(m.REO_Output[t]), hpo_t=_val(m.HPO_Output[t]),
                         recovery=levels[used].recovery, hp_share=levels[used].hp_share, level=used,
                         capex_bn_rub=capex, opex_bn_rub=_val(m.Opex[t]), spend_bn_rub=_val(m.Spend[t]),
                         jobs=sum(s.jobs_per_module * _int(m.New_Modules_Online[s.name, t])
                                  for s in data.instance.sites)))
    return _frame("output", rows)


def rule_constraints(m) -> list[tuple[str, int | None, Any]]:
    """(rule name, year or None, constraint data) for every budget and policy rule in the model."""
    out: list[tuple[str, int | None, Any]] = [("budget_total", None, m.budget_total_constraint),
                                              ("budget_rd", None, m.budget_rd_constraint)]
    out += [("budget_yearly", t, c) for t, c in m.budget_yearly_constraint.items()]
    for name in POLICY_ROWS:
        con = getattr(m, f"policy_{name}_constraint", None)
        if con is not None:
            out.append((f"policy_{name}", None, con))
    return out


def _constraints(m, data: ModelData, duals: dict) -> pd.DataFrame:
    rows = []
    for rule, year, con in rule_constraints(m):
        body = _val(con.body)
        if con.upper is not None:
            rhs, slack = _val(con.upper), _val(con.upper) - body
        else:
            rhs, slack = _val(con.lower), body - _val(con.lower)
        rows.append(dict(rule=rule, year=year, lhs=body, rhs=rhs, slack=slack,
                         binding=abs(slack) <= 1e-6 * max(1.0, abs(rhs)), marginal=duals.get(con.name, float("nan"))))
    return _frame("constraints", rows)
