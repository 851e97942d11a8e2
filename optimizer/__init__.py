"""reeplan: how to split a ruble budget across plant sites, hydro power, logistics and R&D.

Public API (imported lazily so that ``import optimizer`` stays cheap)::

    from optimizer import load_instance, solve, SolveOptions, check_plan, export_model
    result = solve(load_instance("instances/siberia-2030.yaml"))
    result.allocation  # pandas DataFrame
    report = stress_test(instance, plan_from_result(instance, result), samples=1000)  # futures
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = {
    "load_instance": "optimizer.instance.io",
    "Instance": "optimizer.instance.schema",
    "solve": "optimizer.solving",
    "SolveOptions": "optimizer.solving",
    "Result": "optimizer.result",
    "Status": "optimizer.result",
    "check_plan": "optimizer.check",
    "diagnose": "optimizer.diagnosis",
    "export_model": "optimizer.export",
    "instance_schema": "optimizer.instance.schema_json",
    "sample_futures": "optimizer.uncertainty",
    "plan_from_result": "optimizer.stress",
    "stress_test": "optimizer.stress",
    "solve_robust": "optimizer.robust",
    "compare_under_uncertainty": "optimizer.robust",
    "parse_risk": "optimizer.robust",
}

__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
