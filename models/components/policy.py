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
    """Add each enabled policy rule; with ``elastic`` each gets a Shortfall variable."""
    rules = enabled_rules(data)
    short = elastic_var(m, "Shortfall_Policy", list(rules), elastic)
    if "plants_online" in rules:
        rule = rules["plants_online"]
        eligible = [s for s in m.PLANT_SITES if any(t + _lead(data, s) <= rule.year for t in m.module_starts_of[s])]
        m.Plant_Online = pyo.Var(eligible, domain=pyo.Binary)
        m.plant_online_link_constraint = pyo.Constraint(
            eligible, rule=lambda m, s: m.Plant_Online[s] <= new_modules_online(m, data, s, rule.year))
        m.policy_plants_online_constraint = pyo.Constraint(
            expr=sum(m.Plant_Online[s] for s in eligible) + short("plants_online") >= rule.min_count)
    if "jobs" in rules:
        rule = rules["jobs"]
        m.policy_jobs_constraint = pyo.Constraint(expr=jobs(m, data, rule.year) + short("jobs") >= rule.min_jobs)
    if "reo_output" in rules:
        rule = rules["reo_output"]
        m.policy_reo_output_constraint = pyo.Constraint(
            expr=m.REO_Output[rule.year] + short("reo_output") >= rule.min_t_per_yr)
    if "hpo_output" in rules:
        rule = rules["hpo_output"]
        m.policy_hpo_output_constraint = pyo.Constraint(
            expr=m.HPO_Output[rule.year] + short("hpo_output") >= rule.min_t_per_yr)
    if "hp_share" in rules:
        rule = rules["hp_share"]
        # Shortfall in t HPO: how much more high-purity oxide the share would need.
        m.policy_hp_share_constraint = pyo.Constraint(
            expr=m.HPO_Output[rule.year] + short("hp_share") >= rule.min_share * m.REO_Output[rule.year])


def _lead(data: ModelData, site: str) -> int:
    return next(s.lead_time_yr for s in data.instance.sites if s.name == site)
