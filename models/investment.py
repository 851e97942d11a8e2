"""build_model(instance) -> ConcreteModel: composes the components in dependency order."""

from __future__ import annotations

import pyomo.environ as pyo
from reeplan.instance.schema import Instance
from reeplan.models.components.budget import add_budget_rules, add_money
from reeplan.models.components.logistics import add_logistics
from reeplan.models.components.objective import add_elastic_objective, add_objectives
from reeplan.models.components.output import add_output, add_rd_prerequisites
from reeplan.models.components.plants import add_plant_capacity, add_plants
from reeplan.models.components.policy import add_policy
from reeplan.models.components.power import add_power
from reeplan.models.components.projects import add_projects
from reeplan.models.data import ModelData, model_data


def build_model(instance: Instance, objective: str | None = "max-hpo", elastic: bool = False,
                data: ModelData | None = None, rules: bool = True) -> pyo.ConcreteModel:
    """The investment MILP for one instance; ``elastic`` builds the diagnosis variant.

    ``objective=None`` adds no objective and ``rules=False`` no budget or policy rule: the pieces a
    caller composes into bigger models (the scenario copies of ``models/stochastic.py``)."""
    data = data or model_data(instance)
    m = pyo.ConcreteModel(name=instance.name)
    m.reeplan_data = data
    add_projects(m, data)
    add_plants(m, data)
    add_logistics(m, data)
    add_plant_capacity(m, data)
    add_power(m, data)
    add_rd_prerequisites(m, data)
    add_output(m, data)
    add_money(m, data)
    if rules:
        add_budget_rules(m, data, elastic=elastic)
        add_policy(m, data, elastic=elastic)
    if elastic:
        add_elastic_objective(m, data)
    elif objective is not None:
        add_objectives(m, data, objective)
    return m
