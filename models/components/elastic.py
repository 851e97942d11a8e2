"""Elastic slacks for the infeasibility diagnosis: one non-negative variable per business rule."""

from __future__ import annotations

import pyomo.environ as pyo


def elastic_var(m: pyo.ConcreteModel, name: str, labels: list[str], elastic: bool):
    """A slack per rule label when ``elastic`` (registered in ``m.elastic_slacks``), else zero."""
    if not elastic:
        return lambda label: 0
    var = pyo.Var(labels, domain=pyo.NonNegativeReals)
    m.add_component(name, var)
    if not hasattr(m, "elastic_slacks"):
        m.elastic_slacks = {}
    for label in labels:
        m.elastic_slacks[(name, label)] = var[label]
    return lambda label: var[label]
