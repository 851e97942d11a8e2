"""Bench runs of reeplan instances are recorded in the run store (MPS runs have no instance to keep)."""

from __future__ import annotations

from reeplan.bench.record import record_bench_run
from reeplan.store.runs import get_run, list_runs

from tests.conftest import ROOT


def test_bench_run_recorded(tmp_path):
    store = tmp_path / "runs.sqlite"
    rec = {"kind": "reeplan", "path": str(ROOT / "instances" / "tiny.yaml"), "status": "optimal", "has_solution": True,
           "objective": 300.0, "bound": 300.0, "gap": 0.0, "solver": "highs", "solver_version": "HiGHS 1.16.0",
           "options": "{}", "build_s": 0.01, "solve_s": 0.02, "total_s": 0.05, "config": "highs", "repeat": 1}
    run_id = record_bench_run(store, rec)
    runs = list_runs(store)
    assert len(runs) == 1 and get_run(store, run_id)["command"] == "bench"
    assert record_bench_run(store, {**rec, "kind": "mps"}) is None
    assert record_bench_run(store, {**rec, "status": "edition_limit", "has_solution": False}) is None
