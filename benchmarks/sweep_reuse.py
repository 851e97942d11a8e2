"""Sweep benchmark (issue 3): a 30-point budget sweep of the base case, side by side in one run:
(a) model reuse (one build, one HiGHS object re-solved in place, warm starts) vs 30 independent cold solves;
(b) the same sweep with 2 local workers vs 1. Writes benchmarks/results/sweep_reuse.csv.

Run: python benchmarks/sweep_reuse.py [--points 30]
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from pathlib import Path

from reeplan.analysis.sweep import run_sweep
from reeplan.analysis.sweep_plan import make_plan
from reeplan.instance.io import load_instance
from reeplan.options import SolveOptions
from reeplan.solving.pipeline import solve

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "siberia-2030.yaml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--start", type=float, default=300.0)
    parser.add_argument("--step", type=float, default=20.0)
    args = parser.parse_args()
    values = [args.start + i * args.step for i in range(args.points)]
    spec = ",".join(str(v) for v in values)
    plan = make_plan(BASE, ["budget.total_bn_rub"], [spec], threads=1)

    tick = time.perf_counter()
    reuse = run_sweep(plan, workers=1)
    reuse_s = time.perf_counter() - tick

    tick = time.perf_counter()
    cold = []
    for v in values:
        res = solve(load_instance(BASE, [f"budget.total_bn_rub={v}"]), SolveOptions(threads=1, diagnose=False))
        cold.append(res.objective)
    cold_s = time.perf_counter() - tick

    tick = time.perf_counter()
    two = run_sweep(plan, workers=2)
    two_s = time.perf_counter() - tick

    same = all(abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(reuse["objective"], cold))
    same_two = all(abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(two["objective"], cold))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        ("points", args.points), ("cold_solves_s", cold_s), ("sweep_reuse_1_worker_s", reuse_s),
        ("reuse_speedup", cold_s / reuse_s), ("sweep_reuse_2_workers_s", two_s), ("workers_speedup", reuse_s / two_s),
        ("objectives_identical_reuse_vs_cold", same), ("objectives_identical_2w_vs_cold", same_two),
        ("build_s_per_cold_solve", sum(reuse["build_seconds"].fillna(0)) / max(1, int((~reuse["reused"]).sum()))),
        ("machine", f"{platform.processor() or platform.machine()} {platform.system()} python {platform.python_version()}"),
    ]
    with (out / "sweep_reuse.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([("metric", "value"), *rows])
    for name, value in rows:
        print(f"{name:40s} {value}")
    per_point = reuse[["budget.total_bn_rub", "objective", "solve_seconds", "reused"]].assign(cold_objective=cold)
    per_point.to_csv(out / "sweep_reuse_points.csv", index=False)


if __name__ == "__main__":
    main()
