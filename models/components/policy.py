"""Policy switches: plants online, jobs, REO and HPO output, HP share, each in its year when enabled.

Declares (only with ``data.rules``): `POLICY_RULES`, `Policy_Level`, `PLANTS_ELIGIBLE`, `Plant_Online`,
`plant_online_link_constraint`, `plant_online_feed_constraint`, `hp_share_floor`, `policy_level_constraint`,
`policy_target`, and `policy_<rule>_constraint` per enabled rule row. Reads: `New_Modules_Online`,
`Jobs` (plants); `Feed` (logistics); `REO_Output`, `HPO_Output` (output); `Shortfall_Policy` (elastic,
when declared).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import POLICY_ROWS, POLICY_RULES, ModelData, enabled_rules, policy_row_names

__all__ = ["POLICY_ROWS", "POLICY_RULES", "declare", "enabled_rules", "policy_row_names"]


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Add each enabled policy rule; in the diagnosis variant each less its Shortfall_Policy slack.

    Each rule reads ``Policy_Level[rule] + Shortfall >= target`` with ``Policy_Level[rule]`` equal to
    the achieved value, so that a rule nothing can reach (e.g. no site can be online by its year) is
    a well-formed infeasible row, not a trivially false expression."""
    if not data.rules:
        return
    rules = enabled_rules(data)
    names = policy_row_names(rules)
    slack = m.component("Shortfall_Policy")  # the diagnosis variant's slack (elastic), else none

    def short(label: str):
        return 0 if slack is None else slack[label]

    m.POLICY_RULES = pyo.Set(initialize=names, ordered=True)
    m.Policy_Level = pyo.Var(m.POLICY_RULES, domain=pyo.Reals)
    achieved, target = {}, {}
    if "plants_online" in rules:
        # A new plant (a site with no existing module) counts when it has a new module online and
        # processes at least min_feed in the year: built-but-idle capacity is not a plant "producing".
        rule = rules["plants_online"]
        eligible = [s for s in data.new_sites
                    if any(site == s and t + data.site_lead(s) <= rule.year for site, t in data.module_start)
                    or data.committed_modules_online(s, rule.year) > 0]
        m.PLANTS_ELIGIBLE = pyo.Set(initialize=eligible, ordered=True)
        m.Plant_Online = pyo.Var(m.PLANTS_ELIGIBLE, domain=pyo.Binary)
        m.plant_online_link_constraint = pyo.Constraint(
            m.PLANTS_ELIGIBLE, rule=lambda m, s: m.Plant_Online[s] <= m.New_Modules_Online[s, rule.year])
        m.plant_online_feed_constraint = pyo.Constraint(
            m.PLANTS_ELIGIBLE, rule=lambda m, s: m.Feed[s, rule.year] >= rule.min_feed_t_per_yr * m.Plant_Online[s])
        achieved["plants_online"] = sum(m.Plant_Online[s] for s in eligible)
        target["plants_online"] = rule.min_count
    if "jobs" in rules:
        achieved["jobs"], target["jobs"] = m.Jobs[rules["jobs"].year], rules["jobs"].min_jobs
    if "reo_output" in rules:
        rule = rules["reo_output"]
        achieved["reo_output"], target["reo_output"] = m.REO_Output[rule.year], rule.min_t_per_yr
    if "hpo_output" in rules:
        rule = rules["hpo_output"]
        achieved["hpo_output"], target["hpo_output"] = m.HPO_Output[rule.year], rule.min_t_per_yr
    if "hp_share" in rules:
        # Level = HPO - share x REO (t HPO above the floor); shortfall in t HPO. The floor is met only
        # in a year with output: a separate row asks for at least min_output t REO.
        rule = rules["hp_share"]
        m.hp_share_floor = pyo.Param(initialize=rule.min_share, mutable=True)  # mutable: integer marginals
        achieved["hp_share"] = m.HPO_Output[rule.year] - m.hp_share_floor * m.REO_Output[rule.year]
        target["hp_share"] = 0.0
        achieved["hp_share_output"] = m.REO_Output[rule.year]
        target["hp_share_output"] = rule.min_output_t_per_yr
    m.policy_level_constraint = pyo.Constraint(m.POLICY_RULES, rule=lambda m, r: m.Policy_Level[r] == achieved[r])
    m.policy_target = pyo.Param(m.POLICY_RULES, initialize=target, mutable=True)  # mutable: integer marginals
    for name in names:
        m.add_component(f"policy_{name}_constraint",
                        pyo.Constraint(expr=m.Policy_Level[name] + short(name) >= m.policy_target[name]))
