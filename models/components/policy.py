"""Policy switches: plants online, jobs, REO and HPO output, HP share, each in its year when enabled."""

from __future__ import annotations

import pyomo.environ as pyo

from models.components.elastic import elastic_var
from models.components.plants import jobs, new_modules_online
from models.components.sets import ModelData

POLICY_RULES = ("plants_online", "jobs", "reo_output", "hpo_output", "hp_share")


def enabled_rules(data: ModelData) -> dict:
    """The policy rules switched on in the instance, by name."""
    policy = data.instance.policy
    return {name: getattr(policy, name) for name in POLICY_RULES
            if getattr(policy, name) is not None and getattr(policy, name).enabled}


def add_policy(m: pyo.ConcreteModel, data: ModelData, elastic: bool = False) -> None:
    """Add each enabled policy rule; with ``elastic`` each gets a Shortfall variable.

    Each rule reads ``Policy_Level[rule] + Shortfall >= target`` with ``Policy_Level[rule]`` equal to
    the achieved value, so that a rule nothing can reach (e.g. no site can be online by its year) is
    a well-formed infeasible row, not a trivially false expression."""
    rules = enabled_rules(data)
    short = elastic_var(m, "Shortfall_Policy", list(rules), elastic)
    m.POLICY_RULES = pyo.Set(initialize=list(rules), ordered=True)
    m.Policy_Level = pyo.Var(m.POLICY_RULES, domain=pyo.Reals)
    achieved, target = {}, {}
    if "plants_online" in rules:
        rule = rules["plants_online"]
        eligible = [s for s in m.PLANT_SITES if any(t + _lead(data, s) <= rule.year for t in m.module_starts_of[s])]
        m.Plant_Online = pyo.Var(eligible, domain=pyo.Binary)
        m.plant_online_link_constraint = pyo.Constraint(
            eligible, rule=lambda m, s: m.Plant_Online[s] <= new_modules_online(m, data, s, rule.year))
        achieved["plants_online"] = sum(m.Plant_Online[s] for s in eligible)
        target["plants_online"] = rule.min_count
    if "jobs" in rules:
        achieved["jobs"], target["jobs"] = jobs(m, data, rules["jobs"].year), rules["jobs"].min_jobs
    if "reo_output" in rules:
        rule = rules["reo_output"]
        achieved["reo_output"], target["reo_output"] = m.REO_Output[rule.year], rule.min_t_per_yr
    if "hpo_output" in rules:
        rule = rules["hpo_output"]
        achieved["hpo_output"], target["hpo_output"] = m.HPO_Output[rule.year], rule.min_t_per_yr
    if "hp_share" in rules:
        # Level = HPO - share x REO (t HPO above the floor); shortfall in t HPO.
        rule = rules["hp_share"]
        achieved["hp_share"] = m.HPO_Output[rule.year] - rule.min_share * m.REO_Output[rule.year]
        target["hp_share"] = 0.0
    m.policy_level_constraint = pyo.Constraint(m.POLICY_RULES, rule=lambda m, r: m.Policy_Level[r] == achieved[r])
    for name in rules:
        m.add_component(f"policy_{name}_constraint",
                        pyo.Constraint(expr=m.Policy_Level[name] + short(name) >= target[name]))


def _lead(data: ModelData, site: str) -> int:
    return next(s.lead_time_yr for s in data.instance.sites if s.name == site)
