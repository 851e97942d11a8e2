"""A robust plan at many futures within a time limit (issue 15, "Scale"), on the base case (instances/siberia-2030.yaml).

Each run is ``solve_robust`` (mean HPO, a budget rule, K futures of seed 0) in its own Python process under
``/usr/bin/time -v``, with the robust solve's time limit (default 600 s: build, warm start, HiGHS, extraction)
and the warm start it is asked for (``--k0``: the plan of the first K0 futures, completed in the K-future model,
is HiGHS's MIP start; 0: cold). Recorded per run: wall and CPU seconds and peak memory (``time -v``), the load
average at start and end, the phases' seconds, the warm start's figures (small model's status and gap, the
start's objective in the K-future model), stage 1's status, incumbent, bound and gap (HiGHS's proof), the final
objective and gap, and the gap in words.

    .venv/bin/python benchmarks/robust_scale.py                                  # K = 200, K0 = 50, expected:5
    .venv/bin/python benchmarks/robust_scale.py --k 200 --k0 50 0 --rule expected:5 --time-limit 600

Appends one row per run to ``OUT/robust_scale.csv`` (OUT defaults to benchmarks/results).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "siberia-2030.yaml"


def measure(k: int, k0: int, rule: str, time_limit: float, threads: int | None) -> dict:
    """One robust solve, its figures as a flat dict (child process)."""
    from reeplan import load_instance
    from reeplan.options import SolveOptions
    from reeplan.uncertainty.budget_rules import parse_budget_rule
    from reeplan.uncertainty.robust import solve_robust

    inst = load_instance(BASE)
    r = solve_robust(inst, scenarios=k, seed=0, budget=parse_budget_rule(rule), warm_start_scenarios=k0,
                     options=SolveOptions(threads=threads, time_limit=time_limit, mip_gap=1e-4))
    rob = r.kpis.get("robust", {})
    warm = rob.get("warm_start") or {}
    return {"k": k, "k0": k0, "rule": rule, "time_limit_s": time_limit, "threads": threads,
            **{f"{p}_s": v for p, v in (r.seconds or {}).items()},
            "status": r.status.value, "objective": r.objective, "best_bound": r.best_bound, "mip_gap": r.mip_gap,
            "stage1_objective": rob.get("stage1_objective"), "stage1_bound": rob.get("stage1_bound"),
            "stage1_gap": rob.get("stage1_gap"), "nodes": r.nodes, "tie_break": r.tie_break,
            **{f"warm_{key}": warm.get(key) for key in ("small_status", "small_objective", "small_bound", "small_gap",
                                                        "small_seconds", "start_status", "start_objective", "seconds")},
            "in_sample_overrun_frequency": (rob.get("in_sample_overrun") or {}).get("overrun_frequency"),
            "in_sample_expected_overrun_bn_rub": (rob.get("in_sample_overrun") or {}).get("expected_overrun_bn_rub"),
            "expected_hpo_in_sample_t": rob.get("expected_hpo_in_sample_t"), "gap_statement": rob.get("gap_statement")}


def _time_v(text: str) -> dict:
    """Wall seconds, CPU seconds and peak resident memory from ``/usr/bin/time -v``'s report."""
    def field(name):
        m = re.search(rf"{re.escape(name)}: (.+)", text)
        return m.group(1).strip() if m else None

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    seconds = None
    if wall:
        parts = [float(x) for x in wall.split(":")]
        seconds = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    cpu = sum(float(field(n) or 0) for n in ("User time (seconds)", "System time (seconds)"))
    rss = field("Maximum resident set size (kbytes)")
    return {"process_wall_s": seconds, "process_cpu_s": cpu, "peak_rss_mb": int(rss) / 1024 if rss else None}


def run_child(k: int, k0: int, rule: str, time_limit: float, threads: int | None) -> dict:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out, timing = Path(tmp) / "result.json", Path(tmp) / "time.txt"
        cmd = ["/usr/bin/time", "-v", "-o", str(timing), sys.executable, __file__, "--one", str(k), str(k0), rule,
               str(time_limit), str(threads or 0), "--result", str(out)]
        subprocess.run(cmd, cwd=ROOT, check=False)
        rec = json.loads(out.read_text()) if out.is_file() else {"k": k, "k0": k0, "rule": rule, "status": "crashed"}
        rec.update(_time_v(timing.read_text() if timing.is_file() else ""))
    rec.update(load_1min_start=load[0], load_5min_start=load[1], load_1min_end=os.getloadavg()[0])
    print(json.dumps(rec), flush=True)
    return rec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--k", type=int, nargs="+", default=[200], help="futures of the robust model")
    p.add_argument("--k0", type=int, nargs="+", default=[50], help="warm start from the first K0 futures (0: cold)")
    p.add_argument("--rule", default="expected:5", help="budget rule (--budget-rule)")
    p.add_argument("--time-limit", type=float, default=600.0, help="the whole robust solve, s")
    p.add_argument("--threads", type=int, default=0, help="HiGHS threads (0: HiGHS decides, as the CLI)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--one", nargs=5, help=argparse.SUPPRESS)  # child mode: K K0 RULE LIMIT THREADS
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        k, k0, rule, limit, threads = args.one
        rec = measure(int(k), int(k0), rule, float(limit), int(threads) or None)
        args.result.write_text(json.dumps(rec, default=str))
        return
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    rows = []
    for k in args.k:
        for k0 in args.k0:
            rec = run_child(k, k0, args.rule, args.time_limit, args.threads)
            rec.update(when_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"), commit=git.stdout.strip()
                       + ("+dirty" if dirty else ""), host=os.uname().nodename, cpus=os.cpu_count())
            rows.append(rec)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "robust_scale.csv"
    table = pd.DataFrame(rows)
    if path.is_file():
        table = pd.concat([pd.read_csv(path), table], ignore_index=True)
    table.to_csv(path, index=False)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
