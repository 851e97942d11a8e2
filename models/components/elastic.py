"""Elastic slacks for the infeasibility diagnosis: one non-negative variable per business rule.

Declares (only when ``data.elastic`` and ``data.rules``): `Overrun_Budget`, `Shortfall_Policy`.
Reads: ModelData only.

Budget and policy put these slacks on their rules when they exist; the objective component then
minimises their relative sum (elastic_objective, FORMULATION.md, section 11).
"""

from __future__ import annotations

import pyomo.core as pyo
from reeplan.models.data import ModelData, enabled_rules, policy_row_names

# The slack variables, in declaration order: (variable name, what it relaxes).
SLACK_VARIABLES = ("Overrun_Budget", "Shortfall_Policy")


def declare(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Overrun_Budget[label] (total, rd, 'year t' per capped year) and Shortfall_Policy[row] (each enabled
    policy row), both >= 0, in the diagnosis variant only."""
    if not (data.elastic and data.rules):
        return
    m.Overrun_Budget = pyo.Var(["total", "rd"] + [f"year {t}" for t in data.cap_years], domain=pyo.NonNegativeReals)
    m.Shortfall_Policy = pyo.Var(policy_row_names(enabled_rules(data)), domain=pyo.NonNegativeReals)


def elastic_slacks(m: pyo.Block) -> dict[tuple[str, str], pyo.Var]:
    """{(variable name, label): slack} of a model built with ``elastic`` (empty otherwise), in declaration order."""
    return {(name, label): var for name in SLACK_VARIABLES if m.component(name) is not None
            for label, var in m.component(name).items()}
