"""Scenario models: the extensive form of the two-stage stochastic plan, and the fixed-plan stress model.

Both hang one copy of the investment model per sampled future under a root model (as mpi-sppy's
extensive form does): each copy is ``build_model`` of the future (every component of
``investment.COMPONENTS`` declared on it) without rules or objective, a block ``scenario_<k>``.
First-stage decisions (which sites, modules, projects and programmes, and when) are tied across
copies; everything else is per-future recourse. See FORMULATION.md, section 12.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.core as pyo
from reeplan.instance.schema import Instance
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
    futures are independent, so this maximises each), tie-break: least total cost.

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
    add_objective_chain(root, [("primary", sum(_target_hpo(sub, nominal) for sub, _ in scenarios), pyo.maximize),
                               ("cost", sum(sub.Total_Cost for sub, _ in scenarios), pyo.minimize)])
    return root, scenarios


def build_extensive_form(nominal: Instance, futures: list[Instance], risk: Risk = Risk()) -> pyo.ConcreteModel:
    """Two-stage stochastic plan: the nominal model (its budget and policy rules bind the first stage)
    plus one recourse copy per future, tied by non-anticipativity; maximise the risk measure of HPO."""
    root = build_model(nominal, objective=None)
    subs = []
    weight = 1.0 / len(futures)
    for k, future in enumerate(futures):
        sub, _ = scenario_model(future, nominal)
        root.add_component(f"scenario_{k}", sub)
        subs.append(sub)
        pairs = [(getattr(sub, name)[idx], var) for name in FIRST_STAGE for idx, var in getattr(root, name).items()]
        sub.nonanticipativity_constraint = pyo.ConstraintList()
        for copy, decision in pairs:
            sub.nonanticipativity_constraint.add(copy == decision)
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
