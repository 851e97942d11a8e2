"""build_model(instance) -> ConcreteModel: the components of ``COMPONENTS``, declared in order.

Every component module (models/components/) has ``declare(m, data)``: it adds its sets, parameters,
variables, named expressions and constraints, reading only ``ModelData`` and what the components
before it in ``COMPONENTS`` declared on ``m`` (each module's docstring says what it declares and reads).
"""

from __future__ import annotations

from dataclasses import replace

import pyomo.core as pyo
from reeplan.instance.schema import Instance
from reeplan.models.components import budget, elastic, logistics, objective, output, plants, policy, power, projects
from reeplan.models.data import ModelData, model_data

# Dependency order, lowest first: projects (readiness) feeds plants (modules online), both feed logistics
# (shipments, feed within capacity online), feed drives power and output; elastic's slacks precede the
# budget and policy rules that use them; the objectives read everything.
COMPONENTS = (projects, plants, logistics, power, output, elastic, budget, policy, objective)


def declare_components(m: pyo.Block, data: ModelData) -> None:
    """Declare every component of ``COMPONENTS`` on ``m``, in order."""
    for component in COMPONENTS:
        component.declare(m, data)


def build_model(instance: Instance, objective: str | None = "max-hpo", elastic: bool = False,
                data: ModelData | None = None, rules: bool = True) -> pyo.ConcreteModel:
    """The investment MILP for one instance; ``elastic`` builds the diagnosis variant.

    ``objective=None`` adds no objective and ``rules=False`` no budget or policy rule: the pieces a
    caller composes into bigger models (the scenario copies of ``models/stochastic.py``). The choices
    travel in a copy of ``data`` (``ModelData.objective``, ``elastic``, ``rules``); ``data`` is not changed."""
    data = replace(data or model_data(instance), objective=objective, elastic=elastic, rules=rules)
    if data.parametric and (rules or elastic):  # the policy rows read lead times as structure, not Params
        raise ValueError("a parametric model (ModelData.parametric) has no budget or policy rules")
    m = pyo.ConcreteModel(name=instance.name)
    declare_components(m, data)
    return m
