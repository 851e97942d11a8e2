"""Parametric futures (issue 12): the stress test of the base-case plan, side by side in one run.

Rows, each measured in this one process one after the other (so that they share the machine's state):
- ``solve``: one base-case ``solve()`` as the stress benchmark has always taken it (``marginals=False``:
  the whole objective chain and "why not more"), and ``solve_stage1``: stage 1 only (no tie-break, no
  marginals, no "why not more"): two denominators for the stress ratio;
- ``stress``: ``stress_test(samples=N, seed=0)`` of the base-case plan, with the parametric path (one model per
  plan and process) on 1 and on W workers, and with the reference path (a model of ``batch`` future copies
  built per batch, as before) on 1 and on W workers;
- ``highs_alone``: HiGHS's own run time inside the parametric 1-worker stress test (the sum over its runs).

Spawned workers import reeplan (pyomo, pandas, highspy) before their first task; that start-up is part of
the W-worker rows, as a user meets it. Each row states the 1-minute load average at its start.

    .venv/bin/python benchmarks/parametric_futures.py                    # about 3-5 min
    .venv/bin/python benchmarks/parametric_futures.py --samples 200 --skip-reference

Writes ``OUT/parametric_futures.csv`` and ``OUT/parametric_futures_meta.json`` (OUT: benchmarks/results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "siberia-2030.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true", help="leave out the model-per-batch path")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    import highspy
    import reeplan
    from reeplan import load_instance, solve
    from reeplan.options import SolveOptions
    from reeplan.solving import parametric
    from reeplan.uncertainty.stress import plan_from_result, stress_test

    inst = load_instance(BASE)
    rows: list[dict] = []

    def timed(kind: str, fn, **meta):
        load = os.getloadavg()[0]
        tick = time.perf_counter()
        out = fn()
        rows.append({"kind": kind, **meta, "wall_s": time.perf_counter() - tick, "load_1min_start": load})
        print(f"{kind:<14} {meta}  {rows[-1]['wall_s']:8.2f} s  (load {load:.2f})", flush=True)
        return out

    solve(inst, SolveOptions(marginals=False))  # warm: imports and first-call costs out of the figures
    det = timed("solve", lambda: solve(inst, SolveOptions(marginals=False)))
    timed("solve_stage1", lambda: solve(inst, SolveOptions(marginals=False, tie_break=False, why=False)))
    plan = plan_from_result(inst, det)

    highs_seconds: list[float] = []
    run = parametric.run_highs

    def counting(*a, **k):  # HiGHS's own time inside the parametric path, 1 worker (in this process)
        result = run(*a, **k)
        highs_seconds.append(result.seconds)
        return result

    parametric.run_highs = counting
    try:
        report = timed("stress", lambda: stress_test(inst, plan, samples=args.samples, workers=1),
                       path="parametric", workers=1, samples=args.samples)
    finally:
        parametric.run_highs = run
    rows.append({"kind": "highs_alone", "path": "parametric", "workers": 1, "samples": args.samples,
                 "wall_s": sum(highs_seconds), "load_1min_start": os.getloadavg()[0]})
    hpo = report.summary["hpo_mean_t"]
    timed("stress", lambda: stress_test(inst, plan, samples=args.samples, workers=args.workers),
          path="parametric", workers=args.workers, samples=args.samples)
    if not args.skip_reference:
        ref = timed("stress", lambda: stress_test(inst, plan, samples=args.samples, workers=1, parametric=False),
                    path="reference", workers=1, samples=args.samples)
        assert abs(ref.summary["hpo_mean_t"] - hpo) <= 1e-4 * max(1.0, hpo), (ref.summary["hpo_mean_t"], hpo)
        timed("stress", lambda: stress_test(inst, plan, samples=args.samples, workers=args.workers, parametric=False),
              path="reference", workers=args.workers, samples=args.samples)

    df = pd.DataFrame(rows)
    solve_s = float(df.loc[df.kind == "solve", "wall_s"].iloc[0])
    stage1_s = float(df.loc[df.kind == "solve_stage1", "wall_s"].iloc[0])
    df["per_solve"] = df["wall_s"] / solve_s
    df["per_stage1_solve"] = df["wall_s"] / stage1_s
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "parametric_futures.csv", index=False)
    meta = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "reeplan": reeplan.__version__,
            "highs": highspy.Highs().version(), "samples": args.samples, "workers": args.workers,
            "hpo_mean_t": hpo}
    (args.out / "parametric_futures_meta.json").write_text(json.dumps(meta, indent=2))
    print(df.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
