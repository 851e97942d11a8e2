"""Independent checker of a solved plan: recompute everything from the instance and the decisions.

Only pandas and the standard library are used (no Pyomo, no solver, no model code), so a bug in
the model cannot hide itself here. The *decisions* are read from the result tables described in
``optimizer/result/tables.md``:

- modules started and site openings (``plants.modules_started``, ``plants.opened``),
- shipments (``flows.t`` per link and ship year),
- power drawn (``power.gwh`` per connection and year),
- project starts (``projects.start_year``, R&D programmes included),
- the technology level used each year (``output.level``).

Every other column (modules online, capacity, feed, jobs, arrival and ready years, money, output)
is recomputed from those decisions and the instance, compared with the table, and every rule of
``models/FORMULATION.md`` is checked on the recomputed quantities. All problems are collected;
nothing raises except ``assert_plan_ok``.

This module is the public API; the checker's parts are ``check_tables`` (typed rows, tolerances),
``check_plan_data`` (the decisions and every recomputed quantity), ``check_rows`` (each table's rows
against the plan) and ``check_rules`` (the formulation's rules on the plan).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from reeplan.check.plan_data import KIND_AREA, PROJECT_KINDS, _Plan
from reeplan.check.rows import (
    _check_allocation,
    _check_flow_rows,
    _check_output_rows,
    _check_plant_rows,
    _check_power_rows,
    _check_project_rows,
    _check_rd_rows,
)
from reeplan.check.rules import (
    _check_budget,
    _check_deposit_supply,
    _check_levels,
    _check_link_capacity,
    _check_module_decisions,
    _check_objective,
    _check_plant_capacity,
    _check_policy,
    _check_power_balance,
    _check_rd_prerequisites,
)
from reeplan.check.tables import (
    ABS_TOL,
    INTEGRALITY_TOL,
    KEY_COLUMNS,
    TABLE_COLUMNS,
    Violation,
    _Findings,
    _read_tables,
)
from reeplan.instance.schema import Instance

__all__ = ["ABS_TOL", "INTEGRALITY_TOL", "KEY_COLUMNS", "KIND_AREA", "PROJECT_KINDS", "TABLE_COLUMNS", "Violation",
           "assert_plan_ok", "check_plan"]


# every check in the order its violations are reported, with the tables it reads besides the plan
CHECKS: tuple[tuple[Callable[..., None], tuple[str, ...]], ...] = (
          (_check_plant_rows, ("plants",)), (_check_module_decisions, ()), (_check_plant_capacity, ()),
          (_check_flow_rows, ("flows",)), (_check_link_capacity, ()), (_check_deposit_supply, ()),
          (_check_power_rows, ("power",)), (_check_power_balance, ()), (_check_project_rows, ("projects",)),
          (_check_rd_rows, ("rd", "projects")), (_check_rd_prerequisites, ()), (_check_allocation, ("allocation",)),
          (_check_budget, ()), (_check_levels, ()), (_check_output_rows, ("output",)), (_check_policy, ()))


def check_plan(instance: Instance, tables: dict[str, pd.DataFrame], objective: str = "max-hpo",
               reported_objective: float | None = None, tol: float = 1e-5) -> list[Violation]:
    """Recompute spend, flows, capacity, lead times, power and output from the tables; return every violation."""
    f = _Findings(tol)
    read = _read_tables(tables, f)
    plan = _Plan(instance, read)
    for check, table_names in CHECKS:
        check(plan, *(read[name] for name in table_names), f)
    _check_objective(plan, objective, reported_objective, f)
    return f.violations


def assert_plan_ok(instance: Instance, tables: dict[str, pd.DataFrame], objective: str = "max-hpo",
                   reported_objective: float | None = None, tol: float = 1e-5) -> None:
    """Raise AssertionError listing every violation of the plan, if there is any."""
    violations = check_plan(instance, tables, objective, reported_objective, tol)
    if violations:
        lines = "\n".join(f"  - {v}" for v in violations)
        raise AssertionError(f"{len(violations)} plan violation{'s' if len(violations) != 1 else ''}:\n{lines}")
