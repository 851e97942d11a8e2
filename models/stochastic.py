"""Scenario models: the extensive form of the two-stage stochastic plan, and the fixed-plan stress model.

Both hang one copy of the investment model per sampled future under a root model (as mpi-sppy's
extensive form does): each copy is ``build_model`` of the future (every component of
``investment.COMPONENTS`` declared on it) without rules or objective, a block ``scenario_<k>``.
First-stage decisions (which sites, modules, projects and programmes, and when) are tied across
copies; everything else is per-future recourse. See FORMULATION.md, section 12.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import pyomo.core as pyo
from reeplan.instance.schema import Instance
from reeplan.models.components.budget import committed_counted
from reeplan.models.components.objective import add_objective_chain
from reeplan.models.data import ModelData, model_data
from reeplan.models.investment import build_model

# The first-stage (here-and-now) variables; everything else in a scenario copy is recourse.
FIRST_STAGE = ("Project_Begun", "Modules_Built_By", "Site_Open_By")


@dataclass(frozen=True)
class Risk:
    """Objective over scenarios: (1 - weight) x expected HPO + weight x CVaR_alpha(HPO)."""

    alpha: float = 0.0  # CVaR level: the mean of the worst (1 - alpha) share of futures
    weight: float = 0.0  # 0: expected HPO only

    @property
    def label(self) -> str:
        """Short name of the risk measure: ``mean`` or ``cvar:<alpha>:<weight>``."""
        return "mean" if self.weight == 0 else f"cvar:{self.alpha:g}:{self.weight:g}"


@dataclass(frozen=True)
class BudgetRule:
    """How the total budget binds the futures of the extensive form (FORMULATION.md, section 12.1).

    ``nominal``: only at point estimates (the nominal model's budget rule); ``expected``: mean overrun over
    the futures <= ``limit_bn_rub``; ``chance``: overrun in at most a share ``alpha`` of the futures (one
    binary per future); ``cvar``: CVaR_alpha of the overrun <= ``limit_bn_rub``. Every rule keeps the
    point-estimate budget as well."""

    kind: Literal["nominal", "expected", "chance", "cvar"] = "nominal"
    alpha: float = 0.0
    limit_bn_rub: float = 0.0

    @property
    def label(self) -> str:
        """The rule as ``--budget-rule`` spells it."""
        if self.kind == "nominal":
            return "nominal"
        if self.kind == "expected":
            return f"expected:{self.limit_bn_rub:g}"
        if self.kind == "chance":
            return f"chance:{self.alpha:g}"
        return f"cvar:{self.alpha:g}:{self.limit_bn_rub:g}"


def scenario_model(future: Instance, nominal: Instance) -> tuple[pyo.ConcreteModel, ModelData]:
    """One future's copy: the model of the perturbed instance over the nominal decision indices, no
    rules and no objective (the caller decides what binds)."""
    data = model_data(future, index_from=nominal)
    return build_model(future, objective=None, data=data, rules=False), data


def first_stage_values(m: pyo.Block) -> dict[tuple[str, tuple], float]:
    """{(variable name, index): value} of the first-stage decisions of a solved model."""
    return {(name, idx): float(round(var.value)) for name in FIRST_STAGE
            for idx, var in getattr(m, name).items() if var.value is not None}


def _target_hpo(block: pyo.Block, instance: Instance):
    return block.HPO_Output[instance.target_year]


def build_stress_model(nominal: Instance, futures: list[Instance], plan: dict[tuple[str, tuple], float]
                       ) -> tuple[pyo.ConcreteModel, list[tuple[pyo.Block, ModelData]]]:
    """The plan's first stage fixed in every future's copy; maximise the sum of target-year HPO (the
    futures are independent, so this maximises each), then the chain of ``stress_stages``.

    Returns the root model and, per future in order, its copy (block ``scenario_<k>``) and data."""
    root = pyo.ConcreteModel(name=f"{nominal.name}-stress")
    scenarios = []
    for k, future in enumerate(futures):
        sub, data = scenario_model(future, nominal)
        for name in FIRST_STAGE:
            for idx, var in getattr(sub, name).items():
                var.fix(plan.get((name, idx), 0.0))
        root.add_component(f"scenario_{k}", sub)
        scenarios.append((sub, data))
    add_objective_chain(root, [(name, sum(expr(sub) for sub, _ in scenarios), sense)
                               for name, expr, sense in stress_stages(nominal)])
    return root, scenarios


def stress_stages(nominal: Instance) -> list[tuple[str, Callable[[pyo.Block], Any], object]]:
    """The stress model's objective chain, per copy (name, expression of a copy, sense): the most HPO in the
    target year; then the most HPO over the horizon (operate what exists and what is built, as the
    deterministic chain's ``output`` stage), so that no year's operation is arbitrary; then, only when opex
    counts against the budget, the least total cost (a future's spend is then its cheapest operation)."""
    stages = [("primary", lambda sub: _target_hpo(sub, nominal), pyo.maximize),
              ("output", lambda sub: sum(sub.HPO_Output[t] for t in nominal.years), pyo.maximize)]
    if nominal.budget.opex_counts:
        stages.append(("cost", lambda sub: sub.Total_Cost, pyo.minimize))
    return stages


def build_parametric_stress_model(nominal: Instance, plan: dict[tuple[str, tuple], float]
                                  ) -> tuple[pyo.ConcreteModel, ModelData]:
    """One copy of the nominal model with the plan's first stage fixed and the numbers a future moves as
    mutable Params (``models/tables.py``): the stress model of one future, built once for all of them
    (FORMULATION.md, section 12.2). No objective: the caller states the stages (``build_stress_model``'s)."""
    data = replace(model_data(nominal), parametric=True)
    sub = build_model(nominal, objective=None, data=data, rules=False)
    for name in FIRST_STAGE:
        for idx, var in getattr(sub, name).items():
            var.fix(plan.get((name, idx), 0.0))
    return sub, data


def max_spend_bn_rub(sub: pyo.Block, data: ModelData) -> float:
    """An upper bound on a copy's total spend Σ_t Spend[t] over every point of the copy (FORMULATION.md 12.1).

    Capex: each project started at most once (Σ_t Project_Started = the last Project_Begun <= 1), each
    site's modules at most its room (Σ_t Modules_Started = the last Modules_Built_By <= its upper bound),
    each new site opened at most once, each at the copy's (the future's) prices; plus the committed capex
    that counts. Opex (only when it counts): the interval bound of Σ_t Opex[t] over the variables' bounds after
    feasibility-based bound tightening (FBBT) of a clone of the copy."""
    capex = sum(p.capex_bn_rub for key, p in data.projects.items()
                if any(k == key for k, _ in data.project_start))
    sites = {s.name: s for s in data.instance.sites}
    room: dict[str, float] = {}
    for (s, _t), var in sub.Modules_Built_By.items():
        room[s] = max(room.get(s, 0.0), float(var.ub))
    capex += sum(sites[s].capex_bn_rub_per_module * n for s, n in room.items())
    capex += sum(sites[s].development_cost_bn_rub for s in {s for s, _ in sub.NEW_SITE_START})
    capex += sum(committed_counted(data).values())
    if not data.instance.budget.opex_counts:
        return float(capex)
    from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr, fbbt  # defers pyomo.contrib

    tightened = sub.clone()  # FBBT tightens the clone's variable bounds from its rows, never the copy's own
    fbbt(tightened)
    _, opex = compute_bounds_on_expr(sum(tightened.Opex[t] for t in data.years))
    if opex is None:
        raise NoBigMError("the opex of a scenario copy has no finite upper bound, so the chance rule has no valid "
                          "big-M; use --budget-rule expected:X or cvar:ALPHA:X")
    return float(capex + opex)


class NoBigMError(ValueError):
    """The chance rule cannot bound a future's spend (``max_spend_bn_rub``)."""


def add_budget_rule(root: pyo.ConcreteModel, copies: list[tuple[pyo.Block, ModelData]], budget_bn_rub: float,
                    rule: BudgetRule, big_m: list[float] | None = None) -> None:
    """The budget rule over the futures (nothing for ``nominal``); ``big_m`` overrides the chance rule's
    per-future M (tests: the un-tightened form)."""
    if rule.kind == "nominal":
        return
    weight = 1.0 / len(copies)
    keys = list(range(len(copies)))
    root.SCENARIOS = pyo.Set(initialize=keys, ordered=True)
    root.Scenario_Spend = pyo.Expression(
        root.SCENARIOS, rule=lambda m, k: sum(copies[k][0].Spend[t] for t in copies[k][1].years))
    if rule.kind == "chance":
        m_values = big_m if big_m is not None else [
            max(0.0, max_spend_bn_rub(sub, data) - budget_bn_rub) for sub, data in copies]
        root.overrun_big_m_bn_rub = pyo.Param(root.SCENARIOS, initialize=dict(zip(keys, m_values)))
        root.Overrun_Allowed = pyo.Var(root.SCENARIOS, domain=pyo.Binary)
        root.chance_overrun_constraint = pyo.Constraint(
            root.SCENARIOS, rule=lambda m, k: m.Scenario_Spend[k] - budget_bn_rub
            <= m.overrun_big_m_bn_rub[k] * m.Overrun_Allowed[k])
        root.chance_count_constraint = pyo.Constraint(
            expr=sum(weight * root.Overrun_Allowed[k] for k in keys) <= rule.alpha + 1e-9)
        return
    root.Budget_Overrun = pyo.Var(root.SCENARIOS, domain=pyo.NonNegativeReals)
    root.scenario_overrun_constraint = pyo.Constraint(
        root.SCENARIOS, rule=lambda m, k: m.Budget_Overrun[k] >= m.Scenario_Spend[k] - budget_bn_rub)
    if rule.kind == "expected":
        root.Expected_Overrun = pyo.Expression(expr=sum(weight * root.Budget_Overrun[k] for k in keys))
        root.expected_overrun_constraint = pyo.Constraint(expr=root.Expected_Overrun <= rule.limit_bn_rub)
        return
    root.Overrun_VaR = pyo.Var(domain=pyo.Reals)
    root.Overrun_Tail = pyo.Var(root.SCENARIOS, domain=pyo.NonNegativeReals)
    root.cvar_overrun_tail_constraint = pyo.Constraint(
        root.SCENARIOS, rule=lambda m, k: m.Overrun_Tail[k] >= m.Budget_Overrun[k] - m.Overrun_VaR)
    root.CVaR_Overrun = pyo.Expression(
        expr=root.Overrun_VaR + sum(weight * root.Overrun_Tail[k] for k in keys) / (1 - rule.alpha))
    root.cvar_overrun_constraint = pyo.Constraint(expr=root.CVaR_Overrun <= rule.limit_bn_rub)


def build_extensive_form(nominal: Instance, futures: list[Instance], risk: Risk = Risk(),
                         budget: BudgetRule = BudgetRule(), big_m: list[float] | None = None) -> pyo.ConcreteModel:
    """Two-stage stochastic plan: the nominal model (its budget and policy rules bind the first stage)
    plus one recourse copy per future, tied by non-anticipativity, the budget rule over the copies;
    maximise the risk measure of HPO."""
    root = build_model(nominal, objective=None)
    subs = []
    copies = []
    weight = 1.0 / len(futures)
    for k, future in enumerate(futures):
        sub, data = scenario_model(future, nominal)
        root.add_component(f"scenario_{k}", sub)
        subs.append(sub)
        copies.append((sub, data))
        pairs = [(getattr(sub, name)[idx], var) for name in FIRST_STAGE for idx, var in getattr(root, name).items()]
        sub.nonanticipativity_constraint = pyo.ConstraintList()
        for copy, decision in pairs:
            sub.nonanticipativity_constraint.add(copy == decision)
    add_budget_rule(root, copies, nominal.budget.total_bn_rub, budget, big_m)
    hpo = {k: _target_hpo(sub, nominal) for k, sub in enumerate(subs)}
    expected = sum(weight * h for h in hpo.values())
    if risk.weight > 0:
        # CVaR of a gain (Rockafellar-Uryasev): max VaR - E[(VaR - HPO)+] / (1 - alpha)
        root.Value_At_Risk = pyo.Var(domain=pyo.Reals)
        root.Tail_Shortfall = pyo.Var(list(hpo), domain=pyo.NonNegativeReals)
        root.cvar_tail_constraint = pyo.Constraint(
            list(hpo), rule=lambda m, k: m.Tail_Shortfall[k] >= m.Value_At_Risk - hpo[k])
        root.CVaR_HPO = pyo.Expression(expr=root.Value_At_Risk - sum(
            weight * root.Tail_Shortfall[k] for k in hpo) / (1 - risk.alpha))
        primary = (1 - risk.weight) * expected + risk.weight * root.CVaR_HPO
    else:
        primary = expected
    root.Expected_HPO = pyo.Expression(expr=expected)
    root.Expected_Total_Cost = pyo.Expression(expr=sum(weight * sub.Total_Cost for sub in subs))
    add_objective_chain(root, [("primary", primary, pyo.maximize), ("cost", root.Expected_Total_Cost, pyo.minimize)])
    return root


def scenario_spend_values(root: pyo.Block, n: int) -> list[float]:
    """Σ_t Spend[t] of each of the ``n`` scenario copies of a solved extensive form (bn RUB)."""
    out = []
    for k in range(n):
        sub = root.component(f"scenario_{k}")
        out.append(float(sum(pyo.value(sub.Spend[t]) for t in sub.YEARS)))
    return out
