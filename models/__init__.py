"""Pyomo formulations of reeplan (no file I/O, no solver calls). See FORMULATION.md."""

from models.components.objective import OBJECTIVES

FORMULATIONS = {"investment": "models.investment:build_model"}

__all__ = ["FORMULATIONS", "OBJECTIVES"]
