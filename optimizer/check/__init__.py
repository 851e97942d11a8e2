"""The independent plan checker (pandas only, no Pyomo): every rule of the formulation re-derived from the tables.

Below the model and the solver in the layers, so that every solve can check its plan before reporting it.
"""

from reeplan.check.checker import ABS_TOL, INTEGRALITY_TOL, Violation, assert_plan_ok, check_plan

__all__ = ["ABS_TOL", "INTEGRALITY_TOL", "Violation", "assert_plan_ok", "check_plan"]
