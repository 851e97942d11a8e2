"""Objectives: stage 1 (max-hpo, max-cumulative-hpo, min-cost), the lexicographic stage 2, and the
elastic objective of the infeasibility diagnosis."""

from __future__ import annotations

import pyomo.environ as pyo

from models.components.policy import enabled_rules
from models.components.sets import ModelData

OBJECTIVES = ("max-hpo", "max-cumulative-hpo", "min-cost")


def add_objectives(m: pyo.ConcreteModel, data: ModelData, objective: str) -> None:
    """Stage-1 objective (active) and the deactivated stage 2 with its lexicographic bound."""
    target = data.instance.target_year
    if objective == "max-hpo":
        primary, sense = m.HPO_Output[target], pyo.maximize
    elif objective == "max-cumulative-hpo":
        primary, sense = sum(m.HPO_Output[t] for t in data.years), pyo.maximize
    elif objective == "min-cost":
        primary, sense = m.Total_Cost, pyo.minimize
    else:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    m.objective_name = objective
    if objective == "min-cost":  # tie-break: most HPO among the cheapest plans
        add_lexicographic(m, primary, sense, m.HPO_Output[target], pyo.maximize)
    else:  # tie-break: cheapest plan among those with the best output
        add_lexicographic(m, primary, sense, m.Total_Cost, pyo.minimize)


def add_lexicographic(m: pyo.Block, primary, sense, tie_break, tie_break_sense) -> None:
    """``stage1_objective`` (active) on ``Primary``; deactivated ``stage2_objective`` and the bound
    ``lexicographic_constraint`` (Primary no worse than ``lex_bound``) that the solver switches on."""
    m.Primary = pyo.Expression(expr=primary)
    m.stage1_objective = pyo.Objective(expr=m.Primary, sense=sense)
    m.stage2_objective = pyo.Objective(expr=tie_break, sense=tie_break_sense)
    m.stage2_objective.deactivate()
    m.lex_bound = pyo.Param(initialize=0.0, mutable=True)
    if sense == pyo.maximize:
        m.lexicographic_constraint = pyo.Constraint(expr=m.Primary >= m.lex_bound)
    else:
        m.lexicographic_constraint = pyo.Constraint(expr=m.Primary <= m.lex_bound)
    m.lexicographic_constraint.deactivate()


def add_elastic_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Minimise the relative violation of the business rules (policy shortfalls, budget overruns)."""
    rules = enabled_rules(data)
    budget = data.instance.budget
    reo_rule = rules.get("reo_output")
    scale = {
        ("Overrun_Budget", "total"): budget.total_bn_rub,
        ("Overrun_Budget", "rd"): budget.rd_envelope_bn_rub,
        **{("Overrun_Budget", f"year {t}"): cap for t, cap in budget.yearly_cap_bn_rub.items()},
        **{("Shortfall_Policy", name): _rule_rhs(rule, reo_rule, data) for name, rule in rules.items()},
    }
    slacks = getattr(m, "elastic_slacks", {})
    m.elastic_objective = pyo.Objective(
        expr=sum(var / max(1.0, scale.get(key, 1.0)) for key, var in slacks.items()), sense=pyo.minimize)


def _rule_rhs(rule, reo_rule, data: ModelData) -> float:
    for attr in ("min_count", "min_jobs", "min_t_per_yr"):
        if hasattr(rule, attr):
            return float(getattr(rule, attr))
    reo = reo_rule.min_t_per_yr if reo_rule is not None else data.feed_max_t
    return rule.min_share * reo
