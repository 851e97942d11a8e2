"""Stress-test and robust-plan benchmark (issue 6), on the base case (instances/siberia-2030.yaml).

Measures
(a) the stress test of the deterministic base-case plan: ``stress_test(..., samples=N, seed=0,
    workers=W)`` with 1,000 samples on 2 workers and 200 samples on 1 worker (wall time of the call,
    wall time per sample, the library's own per-sample figure = mean batch time share inside a
    worker, and the 2-worker speed-up on per-sample wall time);
(b) the extensive form (two-stage robust model, ``solve_robust``) for K = 10, 50, 200 sampled
    futures: build, transfer (Pyomo -> arrays -> HiGHS, ``HighsModel``), HiGHS (stage 1 and the lexicographic
    stage 2 apart), extraction and total seconds, status, objective, bound, gap, nodes, model size and
    the in-sample expected HPO. HiGHS: 1 thread, relative gap 1e-4, seed 0.

Every measurement runs in its own Python process (this script with ``--one``), so the peak resident
memory (``ru_maxrss`` from ``os.wait4``; for the stress test the largest of the parent and its
worker processes) belongs to that run alone. The 1-minute load average at its start and end and its
CPU seconds (workers included) are recorded: on a shared machine, CPU well below wall x processes
means the run waited for a core.

    .venv/bin/python benchmarks/stress_robust.py                       # everything, about 20-30 min
    .venv/bin/python benchmarks/stress_robust.py --ks 10 50 --skip-stress
    .venv/bin/python benchmarks/stress_robust.py --samples 1000 --workers 2 --one-worker-samples 200

Writes ``OUT/stress_robust.csv`` (one row per measurement) and ``OUT/stress_robust_meta.json``
(machine, versions, date, options, derived speed-up); OUT defaults to benchmarks/results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "siberia-2030.yaml"


# ----------------------------------------------------------------------------------------------
# Child: one measurement, printed as JSON


def measure_stress(samples: int, workers: int) -> dict:
    from reeplan import load_instance, solve
    from reeplan.uncertainty.stress import plan_from_result, stress_test

    inst = load_instance(BASE)
    tick = time.perf_counter()
    det = solve(inst, marginals=False)
    det_s = time.perf_counter() - tick
    plan = plan_from_result(inst, det)
    tick = time.perf_counter()
    rep = stress_test(inst, plan, samples=samples, seed=0, workers=workers)
    wall = time.perf_counter() - tick
    return {"kind": "stress", "samples": samples, "workers": workers, "deterministic_solve_s": det_s,
            "wall_s": wall, "per_sample_wall_s": wall / samples, "total_s": rep.seconds["total"],
            "per_sample_in_worker_s": rep.seconds["per_sample"], "status": det.status.value,
            "failed_samples": rep.summary["failed_samples"], "planned_hpo_t": rep.summary["planned_hpo_t"],
            "hpo_mean_t": rep.summary["hpo_mean_t"]}


def measure_robust(k: int, time_limit: float) -> dict:
    from reeplan import load_instance
    from reeplan.options import SolveOptions
    from reeplan.solving import highs
    from reeplan.uncertainty.robust import solve_robust

    calls, size = [], {}
    real_run = highs.run

    def timed_run(hm, **kw):  # record each HiGHS run (stage 1, stage 2) and the model's size
        if not size:
            lp = hm.highs.getLp()
            size.update(columns=lp.num_col_, rows=lp.num_row_, nonzeros=len(lp.a_matrix_.value_),
                        integers=sum(1 for v in lp.integrality_ if v != highs.highspy.HighsVarType.kContinuous))
        out = real_run(hm, **kw)
        calls.append((out.seconds, out.status.value))
        return out

    highs.run = timed_run
    inst = load_instance(BASE)
    # cold (no warm start, the extensive form as such); robust_scale.py measures the warm start
    r = solve_robust(inst, scenarios=k, seed=0, warm_start_scenarios=0,
                     options=SolveOptions(threads=1, time_limit=time_limit, mip_gap=1e-4))
    robust = r.kpis.get("robust", {})
    return {"kind": "robust", "k": k, "time_limit": time_limit, **{f"{p}_s": v for p, v in r.seconds.items()},
            **{f"stage{i}_{key}": v for i, call in enumerate(calls[:2], 1) for key, v in zip(("solve_s", "status"), call)},
            "later_highs_runs": len(calls[2:]),  # e.g. inside the extraction, not part of solve_s
            "status": r.status.value, "tie_break": r.tie_break, "objective": r.objective, "best_bound": r.best_bound,
            "mip_gap": r.mip_gap, "nodes": r.nodes, "expected_hpo_in_sample_t": robust.get("expected_hpo_in_sample_t"),
            "hpo_t_point_estimate": r.kpis.get("hpo_t"), **size}


# ----------------------------------------------------------------------------------------------
# Parent: one child process per measurement


def run_child(args: list[str]) -> dict:
    load = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    tick = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--one", *args, "--result", str(out)], cwd=ROOT)
    try:
        _, status, usage = os.wait4(proc.pid, 0)  # blocks; the child enforces its own time limit
    except BaseException:
        proc.kill()
        raise
    rec = json.loads(out.read_text()) if out.stat().st_size else {"status": "crashed", "exit": status}
    out.unlink()
    rec.update(process_wall_s=time.perf_counter() - tick, process_cpu_s=usage.ru_utime + usage.ru_stime,
               peak_rss_mb=usage.ru_maxrss / 1024, load_1min_start=load, load_1min_end=os.getloadavg()[0])
    print(json.dumps(rec), flush=True)
    return rec


def meta(args: argparse.Namespace, rows: list[dict]) -> dict:
    from reeplan.bench.report import machine_info

    info = {"machine": machine_info(), "started": args.started, "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": args.commit, "instance": str(BASE.relative_to(ROOT)), "seed": 0, "threads": 1, "mip_gap": 1e-4,
            "args": {k: v for k, v in vars(args).items() if k not in ("one", "result", "started", "commit")}}
    stress = {r["workers"]: r for r in rows if r.get("kind") == "stress" and "per_sample_wall_s" in r}
    if 1 in stress and args.workers in stress and args.workers != 1:
        info[f"speedup_{args.workers}_workers_per_sample_wall"] = (stress[1]["per_sample_wall_s"]
                                                                   / stress[args.workers]["per_sample_wall_s"])
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=1000, help="stress-test samples on --workers workers")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--one-worker-samples", type=int, default=200, help="samples for the 1-worker run (0: skip)")
    p.add_argument("--ks", type=int, nargs="+", default=[10, 50, 200], help="robust model sizes (futures)")
    p.add_argument("--time-limit", type=float, default=600.0, help="robust runs: whole-solve time limit, s")
    p.add_argument("--small-k-time-limit", type=float, default=300.0, help="limit for K <= 10, s")
    p.add_argument("--skip-stress", action="store_true")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--one", nargs=3, metavar=("KIND", "A", "B"), help=argparse.SUPPRESS)  # child mode
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.one:  # child: one measurement
        kind, a, b = args.one
        rec = measure_stress(int(a), int(b)) if kind == "stress" else measure_robust(int(a), float(b))
        args.result.write_text(json.dumps(rec))
        return

    args.started = datetime.now(UTC).isoformat(timespec="seconds")
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    args.commit = git.stdout.strip() or None  # the code measured: HEAD when the run starts
    rows = []
    if not args.skip_stress:
        rows.append(run_child(["stress", str(args.samples), str(args.workers)]))
        if args.one_worker_samples:
            rows.append(run_child(["stress", str(args.one_worker_samples), "1"]))
    for k in args.ks:
        limit = args.small_k_time_limit if k <= 10 else args.time_limit
        rows.append(run_child(["robust", str(k), str(limit)]))
    args.out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).convert_dtypes().to_csv(args.out / "stress_robust.csv", index=False)
    (args.out / "stress_robust_meta.json").write_text(json.dumps(meta(args, rows), indent=2, default=str))
    print(f"wrote {args.out / 'stress_robust.csv'} and stress_robust_meta.json")


if __name__ == "__main__":
    main()
