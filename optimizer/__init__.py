"""reeplan: how to split a ruble budget across plant sites, hydro power, logistics and R&D.

Public API (imported lazily so that ``import reeplan`` stays cheap)::

    from reeplan import load_instance, solve, SolveOptions, check_plan, export_model
    result = solve(load_instance("instances/siberia-2030.yaml"))
    result.allocation  # pandas DataFrame
    report = stress_test(instance, plan_from_result(instance, result), samples=1000)  # futures
"""

from __future__ import annotations

import importlib

from reeplan.version import __version__

_API = {
    "load_instance": "reeplan.instance.io",
    "Instance": "reeplan.instance.schema",
    "solve": "reeplan.solving.pipeline",
    "SolveOptions": "reeplan.options",
    "Result": "reeplan.result.result",
    "Status": "reeplan.result.result",
    "check_plan": "reeplan.check",
    "diagnose": "reeplan.solving.diagnose",
    "export_model": "reeplan.solving.export",
    "instance_schema": "reeplan.instance.schema_json",
    "sample_futures": "reeplan.uncertainty.futures",
    "plan_from_result": "reeplan.uncertainty.stress",
    "stress_test": "reeplan.uncertainty.stress",
    "schedule_float": "reeplan.uncertainty.schedule_float",
    "adapt_plan": "reeplan.uncertainty.adapt",
    "with_schedule_float": "reeplan.uncertainty.schedule_float",
    "solve_robust": "reeplan.uncertainty.robust",
    "compare_under_uncertainty": "reeplan.uncertainty.robust",
    "parse_risk": "reeplan.uncertainty.robust",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'reeplan' has no attribute {name!r}")
