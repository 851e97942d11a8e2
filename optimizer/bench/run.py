"""``reeplan bench``: every instance x solver configuration x repeat, each run in its own process, then the report.

A run is a child process (``reeplan.bench.isolate.run_isolated``, which starts
``python -m reeplan.bench.child --child SPEC RESULT``) so that a crash, a hang or a memory blow-up
of one run is recorded and the benchmark goes on. Inputs: reeplan instances (a .yaml file or a CSV
folder) and MPS files (``reeplan.bench.inputs``); the phases each run times are described in
``reeplan.bench.child``. Runs, a per-configuration summary (solved, time-outs, shifted geometric
mean), a Dolan-More performance profile and a list of disagreeing optima are written to the output
folder (``reeplan.bench.report``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from reeplan.bench.configs import solver_configs, solver_version
from reeplan.bench.inputs import BenchInstance, collect_instances
from reeplan.bench.isolate import run_isolated
from reeplan.bench.report import BenchReport, machine_info, write_bench_report
from reeplan.errors import UsageError
from reeplan.options import check_objective
from reeplan.result.folders import prepare_out_dir

METRICS = {"total": "total_s", "solve": "solve_s", "wall": "wall_s"}
PIPELINES = ("stage1", "solve")
# MPS files run on every solver but pyomo:NAME (each through its own reader: reeplan.bench.solvers)
PHASES = ("build_s", "transfer_s", "solve_s", "marginals_s", "extract_s")  # summed into total_s

RUN_COLUMNS = [
    "run_id", "instance", "kind", "path", "config", "solver", "solver_version", "options", "threads", "seed",
    "solver_options", "time_limit", "mip_gap", "objective_sense", "repeat", "status", "has_solution", "objective",
    "bound", "gap", "known_optimum", "optimum_rel_error", "check_violations", "check_message", "wrong", "wrong_reason",
    "pipeline", "load_s", "build_s", "transfer_s", "solve_s", "marginals_s", "extract_s", "total_s", "check_s",
    "wall_s", "nodes", "simplex_iterations", "variables", "constraints", "integers", "peak_rss_mb", "exit_code",
    "message", "load_avg_1m", "machine", "cores", "python", "reeplan_version", "started_at",
]


def _gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| relative to the objective; None unless both are finite."""
    if objective is None or bound is None or not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(objective - bound) / max(1e-10, abs(objective))


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    """The runs table with every column of RUN_COLUMNS, in that order."""
    for col in RUN_COLUMNS:
        if col not in df.columns:
            df[col] = None
    return df[RUN_COLUMNS]


def _finish_record(rec: dict, inst: BenchInstance) -> dict:
    """Objective (only with a solution), gap, known optimum and its error, and total_s as the sum of the phases."""
    obj, bound = rec.get("objective"), rec.get("bound")
    obj = float(obj) if isinstance(obj, (int, float)) and math.isfinite(obj) else None
    rec["objective"] = obj if rec.get("has_solution") else None
    rec["gap"] = _gap(rec["objective"], bound)
    if inst.known_optimum is not None:
        rec["known_optimum"] = inst.known_optimum
        if rec["objective"] is not None:
            rec["optimum_rel_error"] = abs(rec["objective"] - inst.known_optimum) / max(1.0, abs(inst.known_optimum))
    phases = [rec.get(k) for k in PHASES]
    if rec.get("total_s") is None and rec.get("status") not in ("crashed", "killed") and any(
            p is not None for p in phases):
        rec["total_s"] = sum(p for p in phases if p is not None)
    return rec


def run_bench(paths: Sequence[str | Path], solvers: Sequence[str] = ("highs",), *, repeat: int = 1,
              time_limit: float = 60.0, threads: int | None = None, seed: int = 0, gap: float = 1e-4,
              options: Iterable[str] = (), out: str | Path = "bench-out", objective: str = "max-hpo",
              wall_limit: float | None = None, metric: str = "total", pipeline: str = "stage1",
              plots: bool = True, progress: Callable[[dict], None] | None = None, force: bool = False) -> BenchReport:
    """Run every instance x configuration x repeat in its own process; write and return the results.

    ``metric``: the time the summary and profile use: ``total`` (build + transfer + solve +
    extraction), ``solve`` (solver only) or ``wall`` (the whole child process).
    ``wall_limit``: seconds after which a child is killed (default 2 x time limit + 60).
    ``pipeline`` (reeplan instances): ``stage1`` times build / transfer / solve / extraction of the
    stage-1 MILP on any solver; ``solve`` runs the whole ``reeplan solve`` (tie-break and marginals
    included, HiGHS only). ``out``: a new folder, one an earlier bench wrote, or (``force``) any folder;
    checked before the first run (``reeplan.result.folders.prepare_out_dir``)."""
    if repeat < 1:
        raise UsageError(f"repeat must be >= 1, got {repeat}")
    if time_limit is None or time_limit <= 0:
        raise UsageError(f"time limit must be positive, got {time_limit}")
    if threads is not None and threads < 1:
        raise UsageError(f"threads must be >= 1, got {threads}")
    if not 0 <= gap < 1:
        raise UsageError(f"relative gap must be in [0, 1), got {gap}")
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
    if pipeline not in PIPELINES:
        raise UsageError(f"unknown pipeline {pipeline!r}; choose one of: {', '.join(PIPELINES)}")
    check_objective(objective)
    instances = collect_instances(paths)
    configs, notes = solver_configs(solvers, threads, options)
    if not configs:
        raise UsageError("no solver configuration can run here: " + "; ".join(notes))
    if pipeline == "solve" and any(i.kind == "reeplan" for i in instances):
        others = [c.label for c in configs if c.solver != "highs"]
        if others:
            notes.append(f"the whole reeplan solve runs on HiGHS only: {', '.join(others)} skipped on reeplan instances")
    no_mps = [c for c in configs if c.solver.startswith("pyomo:")]
    if no_mps and any(i.kind == "mps" for i in instances):
        notes.append(f"MPS files do not run on Pyomo solvers: {', '.join(c.label for c in no_mps)} skipped on them")
    out = prepare_out_dir(out, force, kind="bench")
    (out / "logs").mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    versions = {c.label: solver_version(c) for c in configs}
    wall_limit = wall_limit or 2 * time_limit + 60
    records = []
    n = 0
    for r in range(repeat):  # repeats outermost: slow drift of the machine hits every configuration alike
        for inst in instances:
            for config in configs:
                if inst.kind == "mps" and config.solver.startswith("pyomo:"):
                    continue
                if inst.kind == "reeplan" and pipeline == "solve" and config.solver != "highs":
                    continue
                n += 1
                run_id = f"{n:04d}"
                spec = dict(kind=inst.kind, path=str(inst.path), solver=config.solver, options=config.options,
                            threads=config.threads, seed=seed, time_limit=time_limit, mip_gap=gap,
                            objective=objective, pipeline=pipeline if inst.kind == "reeplan" else None)
                started = datetime.now(UTC).isoformat(timespec="seconds")
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                log = out / "logs" / f"{run_id}-{_safe(inst.name)}-{_safe(config.label)}-r{r + 1}.log"
                rec = run_isolated(spec, wall_limit, log)
                rec.update(run_id=run_id, instance=inst.name, kind=inst.kind, path=str(inst.path),
                           config=config.label, solver=config.solver, solver_version=versions[config.label],
                           options=json.dumps(config.options, sort_keys=True), threads=config.threads, seed=seed,
                           time_limit=time_limit, mip_gap=gap, repeat=r + 1, load_avg_1m=load,
                           pipeline=spec["pipeline"],
                           machine=machine["cpu"], cores=machine["cores"], python=machine["python"],
                           reeplan_version=machine["reeplan"], started_at=started)
                if isinstance(rec.get("solver_options"), dict):
                    rec["solver_options"] = json.dumps(rec["solver_options"], sort_keys=True, default=str)
                rec = _finish_record(rec, inst)
                records.append(rec)
                if progress:
                    progress(rec)
    runs = _ordered(pd.DataFrame(records))
    settings = dict(solvers=[asdict(c) for c in configs], repeat=repeat, time_limit=time_limit, wall_limit=wall_limit,
                    seed=seed, gap=gap, objective=objective, pipeline=pipeline, metric=metric, solver_versions=versions)
    return write_bench_report(runs, out, machine=machine, notes=notes, gap=gap, metric=METRICS[metric], plots=plots,
                              settings=settings)


def _safe(text: str) -> str:
    """A name fit for a log file name."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:60]
