"""Pyomo formulations of reeplan (no file I/O, no solver calls). See FORMULATION.md."""

from reeplan.options import OBJECTIVES

FORMULATIONS = {"investment": "reeplan.models.investment:build_model"}

__all__ = ["FORMULATIONS", "OBJECTIVES"]
