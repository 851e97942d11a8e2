"""A bench run in the run store: one ``reeplan bench`` record of a reeplan instance, kept with ``record_run``."""

from __future__ import annotations

import json
from pathlib import Path

from reeplan.instance.io import load_instance
from reeplan.numbers import finite_or_none as _finite
from reeplan.result.result import Kpis, Result, Status
from reeplan.store.runs import Store, record_run

PHASES = ("build_s", "transfer_s", "solve_s", "extract_s", "total_s")  # kept as the stored run's seconds




def _bench_result(rec: dict, objective_name: str, instance_name: str) -> Result:
    """The bench record as a ``Result``: status, objective, bound, gap, phase times and solver; no plan tables."""
    try:
        status = Status(rec.get("status"))
    except ValueError:  # crashed, killed: not a solve status
        status = Status.ERROR
    seconds = {key[:-2]: value for key in PHASES if (value := _finite(rec.get(key))) is not None}
    options = rec.get("options")
    solver = {"name": rec.get("solver"), "version": rec.get("solver_version"),
              "options": json.loads(options) if isinstance(options, str) and options.startswith("{") else options}
    return Result(instance_name, objective_name, status, bool(rec.get("has_solution")), _finite(rec.get("objective")),
                  _finite(rec.get("bound")), _finite(rec.get("gap")), seconds, {}, Kpis(), solver=solver)


def record_bench_run(store: Store | str | Path | None, rec: dict, objective_name: str = "max-hpo") -> int | None:
    """Record one ``reeplan bench`` run of a reeplan instance (KPIs, timings, solver; no plan tables).

    MPS runs carry no reeplan instance to store and are skipped (None), and so are runs a free edition refused
    (``edition_limit``: no solve took place); both stay in the bench's runs.csv."""
    if rec.get("kind") != "reeplan" or rec.get("status") == "edition_limit":
        return None
    instance = load_instance(rec["path"])
    extra = {k: v for k, v in rec.items() if isinstance(v, (str, int, float, bool)) or v is None}
    return record_run(store, _bench_result(rec, objective_name, instance.name), instance, "bench",
                      label=f"bench {rec.get('config')} r{rec.get('repeat')}", extra=extra)
