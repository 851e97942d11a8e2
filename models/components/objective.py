"""Objectives: stage 1 (max-hpo, max-cumulative-hpo, min-cost), the lexicographic objective chain
after it, and the elastic objective of the infeasibility diagnosis.

Declares (the chain, when ``data.objective`` is set): `Primary`, `stage1_objective`, `lex_bound`,
`lexicographic_constraint`, and per later stage `chain_<stage>_objective`, `chain_<stage>_bound`,
`chain_<stage>_constraint`; (``data.elastic``) `elastic_objective` instead. Reads: `YEARS`,
`PROJECT_START`, `Project_Begun` (projects); `MODULE_START`, `NEW_SITE_START`, `Modules_Built_By`,
`Site_Open_By` (plants); `HPO_Output` (output); `Overrun_Budget`, `Shortfall_Policy` (elastic);
`AREAS`, `Capex`, `Opex`, `Spend` (budget).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData, enabled_rules
from reeplan.options import OBJECTIVES

# The chain after the primary objective (FORMULATION.md, section 9), in order, with what each stage means.
CHAIN_STAGES = {
    "capital": "least capital committed (no money for nothing)",
    "output": "most HPO over the horizon (operate what exists and what is built)",
    "opex": "least operating cost",
    "timing": "commit money as late as the plan allows",
}
# Ties in the timing stage between items of equal capex: each item's weight gets this much (bn RUB)
# times 1 + its rank / (n + 1), so that items listed earlier in the instance start earlier.
TIMING_TIE_BN_RUB = 1e-3


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """The elastic objective (diagnosis variant), else the chain of ``data.objective`` (None: nothing)."""
    if data.elastic:
        add_elastic_objective(m, data)
    elif data.objective is not None:
        add_objectives(m, data, data.objective)


def add_objectives(m: pyo.ConcreteModel, data: ModelData, objective: str) -> None:
    """Stage-1 objective (active) and the deactivated objective chain after it."""
    target = data.instance.target_year
    capital = sum(m.Capex[a, t] for a in m.AREAS for t in data.years)
    if objective == "max-hpo":
        primary, sense = m.HPO_Output[target], pyo.maximize
    elif objective == "max-cumulative-hpo":
        primary, sense = sum(m.HPO_Output[t] for t in data.years), pyo.maximize
    elif objective == "min-cost":  # the least budget: what counts against it
        primary, sense = sum(m.Spend[t] for t in data.years), pyo.minimize
    else:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    stages = [("primary", primary, sense)]
    if not (objective == "min-cost" and not data.instance.budget.opex_counts):  # else capital is the primary
        stages.append(("capital", capital, pyo.minimize))
    if objective != "max-cumulative-hpo":
        stages.append(("output", sum(m.HPO_Output[t] for t in data.years), pyo.maximize))
    stages.append(("opex", sum(m.Opex[t] for t in data.years), pyo.minimize))
    stages.append(("timing", commitment_timing(m, data), pyo.minimize))
    add_objective_chain(m, stages)


def commitment_timing(m: pyo.ConcreteModel, data: ModelData):
    """Sum over years of the capital committed by then (bn RUB x yr): smaller when money is committed later.

    Each cumulative decision ``X_by[t]`` counts its cost once per year from its start to the horizon's
    end; a small rank-based term breaks ties between items of equal cost (``TIMING_TIE_BN_RUB``)."""
    sites = {s.name: s for s in data.instance.sites}
    keys = list(data.projects) + [f"site:{s}" for s in sites] + [f"module:{s}" for s in sites]
    rank = {k: 1.0 + i / (len(keys) + 1) for i, k in enumerate(keys)}
    tie = TIMING_TIE_BN_RUB
    return (sum((data.projects[k].capex_bn_rub + tie * rank[k]) * m.Project_Begun[k, t] for k, t in m.PROJECT_START)
            + sum((sites[s].capex_bn_rub_per_module + tie * rank[f"module:{s}"]) * m.Modules_Built_By[s, t]
                  for s, t in m.MODULE_START)
            + sum((sites[s].development_cost_bn_rub + tie * rank[f"site:{s}"]) * m.Site_Open_By[s, t]
                  for s, t in m.NEW_SITE_START))


def add_objective_chain(m: pyo.Block, stages: list[tuple[str, object, object]]) -> None:
    """A lexicographic chain of (name, expression, sense); the first is the primary objective.

    ``stage1_objective`` (active) on ``Primary``, with ``lexicographic_constraint`` keeping it no
    worse than ``lex_bound``; each later stage ``name`` gets a deactivated ``chain_<name>_objective``
    and, for the stages after it, ``chain_<name>_constraint`` against the mutable ``chain_<name>_bound``.
    ``objective_chain(m)`` lists (name, objective, bound, constraint) in order; the solver walks it."""
    (_, primary, sense), rest = stages[0], stages[1:]
    m.Primary = pyo.Expression(expr=primary)
    m.stage1_objective = pyo.Objective(expr=m.Primary, sense=sense)
    m.lex_bound = pyo.Param(initialize=0.0, mutable=True)
    m.lexicographic_constraint = pyo.Constraint(
        expr=m.Primary >= m.lex_bound if sense == pyo.maximize else m.Primary <= m.lex_bound)
    m.lexicographic_constraint.deactivate()
    for name, expr, stage_sense in rest:
        obj = pyo.Objective(expr=expr, sense=stage_sense)
        m.add_component(f"chain_{name}_objective", obj)
        obj.deactivate()
        bound = pyo.Param(initialize=0.0, mutable=True)
        m.add_component(f"chain_{name}_bound", bound)
        con = pyo.Constraint(expr=obj.expr >= bound if stage_sense == pyo.maximize else obj.expr <= bound)
        m.add_component(f"chain_{name}_constraint", con)
        con.deactivate()


def objective_chain(m: pyo.Block) -> list[tuple[str, pyo.Objective, pyo.Param, pyo.Constraint]]:
    """(stage name, objective, bound, constraint) of the chain on ``m``, primary first, in declaration
    order; read off the named components (``stage1_objective``, ``chain_<name>_objective``, ...). After
    ``stage1_only`` the chain is the primary alone, without its constraint (None)."""
    chain = [("primary", m.stage1_objective, m.lex_bound, m.component("lexicographic_constraint"))]
    for obj in m.component_objects(pyo.Objective, descend_into=False):
        name = obj.local_name
        if name.startswith("chain_") and name.endswith("_objective"):
            stage = name.removeprefix("chain_").removesuffix("_objective")
            chain.append((stage, obj, m.component(f"chain_{stage}_bound"), m.component(f"chain_{stage}_constraint")))
    return chain


def stage1_only(m: pyo.Block) -> None:
    """Drop every deactivated part of the chain, so that a file or a benchmark holds exactly stage 1."""
    for name, obj, bound, con in objective_chain(m):
        if con is not None:
            m.del_component(con)
        if name != "primary":
            m.del_component(obj)
            m.del_component(bound)


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
        **({("Shortfall_Policy", "hp_share_output"): rules["hp_share"].min_output_t_per_yr} if "hp_share" in rules
           else {}),
    }
    slacks = {(name, label): var for name in ("Overrun_Budget", "Shortfall_Policy") if m.component(name) is not None
              for label, var in m.component(name).items()}
    m.elastic_objective = pyo.Objective(
        expr=sum(var / max(1.0, scale.get(key, 1.0)) for key, var in slacks.items()), sense=pyo.minimize)


def _rule_rhs(rule, reo_rule, data: ModelData) -> float:
    for attr in ("min_count", "min_jobs", "min_t_per_yr"):
        if hasattr(rule, attr):
            return float(getattr(rule, attr))
    reo = reo_rule.min_t_per_yr if reo_rule is not None else data.feed_max_t
    return rule.min_share * reo
