"""``reeplan stress`` and ``reeplan solve --robust`` from the command line: files, exit codes, store, workers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import yaml
from reeplan.instance.io import load_instance
from reeplan.solving.pipeline import solve
from reeplan.store.runs import list_runs
from reeplan.uncertainty.stress import plan_from_result, stress_test

from tests.conftest import ROOT, run_reeplan

TINY = ROOT / "instances" / "tiny.yaml"


def reeplan(*args, cwd: Path) -> subprocess.CompletedProcess:
    return run_reeplan(*args, cwd=cwd, timeout=300)


def test_stress_of_instance_writes_tables_charts_and_store(tmp_path):
    store = tmp_path / "runs.sqlite"
    out = tmp_path / "stress"
    proc = reeplan("stress", TINY, "--samples", 30, "--seed", 3, "--workers", 1, "--out", out, "--store", store,
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "30 sampled futures (seed 3)" in proc.stdout
    for name in ("samples.csv", "samples.parquet", "targets.csv", "tornado.csv", "drivers.csv", "summary.json",
                 "stress_outcomes.png", "stress_tornado.png"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())["summary"]
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == 30 and summary["samples"] == 30
    assert abs(summary["hpo_mean_t"] - samples["hpo_t"].mean()) < 1e-6
    runs = list_runs(store)
    assert list(runs["command"]) == ["stress"]


def test_stress_of_result_folder_and_run_id_agree(tmp_path):
    store = tmp_path / "runs.sqlite"
    assert reeplan("solve", TINY, "--out", tmp_path / "plan", "--store", store, "--quiet", cwd=tmp_path).returncode == 0
    by_folder = reeplan("stress", tmp_path / "plan", "--samples", 10, "--workers", 1, "--out", tmp_path / "a",
                        "--no-store", cwd=tmp_path)
    by_run = reeplan("stress", "1", "--samples", 10, "--workers", 1, "--out", tmp_path / "b", "--store", store,
                     cwd=tmp_path)
    assert by_folder.returncode == 0 and by_run.returncode == 0, by_folder.stderr + by_run.stderr
    a, b = (pd.read_csv(tmp_path / d / "samples.csv") for d in "ab")
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))


def test_bad_options_and_bad_uncertainty_give_clear_errors(tmp_path):
    proc = reeplan("stress", TINY, "--samples", 0, "--no-store", cwd=tmp_path)
    assert proc.returncode == 2 and "--samples" in proc.stderr and "Traceback" not in proc.stderr
    proc = reeplan("solve", TINY, "--robust", "--risk", "cvar:1.5", "--no-store", cwd=tmp_path)
    assert proc.returncode == 2 and "--risk" in proc.stderr and "Traceback" not in proc.stderr
    data = yaml.safe_load(TINY.read_text())
    data["uncertainty"] = {"supply_shortfall": {"default": {"kind": "triangular", "low": 0, "mode": 0.1,
                                                            "high": 1.5}}}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    proc = reeplan("stress", bad, "--samples", 5, "--no-store", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "uncertainty" in proc.stderr and "supply_shortfall" in proc.stderr and "1.5" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_solve_robust_writes_plan_and_comparison(tmp_path):
    out = tmp_path / "robust"
    proc = reeplan("solve", TINY, "--robust", "--scenarios", 4, "--eval-samples", 12, "--workers", 1, "--out", out,
                   "--no-store", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Value of the stochastic solution" in proc.stdout
    table = pd.read_csv(out / "comparison" / "comparison.csv").set_index("measure")
    assert list(table.columns) == ["deterministic", "robust"]
    assert (out / "comparison" / "stress_outcomes.png").stat().st_size > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective_name"] == "robust-mean"
    assert len(pd.read_csv(out / "scenarios.csv")) == 4


def test_two_workers_give_the_same_numbers_as_one():
    inst = load_instance(TINY)
    plan = plan_from_result(inst, solve(inst, marginals=False))
    one = stress_test(inst, plan, samples=40, seed=5, workers=1, batch=7)
    two = stress_test(inst, plan, samples=40, seed=5, workers=2, batch=7)
    cols = [c for c in one.samples.columns if c != "seconds"]
    pd.testing.assert_frame_equal(one.samples[cols], two.samples[cols])
    pd.testing.assert_frame_equal(one.tornado, two.tornado)


def test_robust_stress_tests_go_to_the_scheduler_given(tmp_path):
    """``solve --robust --scheduler``: the fresh-future stress tests go to that Dask scheduler; one that cannot be
    reached is a clear error (exit 2, no traceback) after the plans are written, not a silent local run."""
    proc = reeplan("solve", TINY, "--robust", "--scenarios", 2, "--eval-samples", 5, "--budget-rule", "nominal",
                   "--scheduler", "tcp://127.0.0.1:9", "--no-store", "--quiet", "--out", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Dask scheduler" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "r" / "summary.json").is_file()
