"""Out-of-sample overruns of robust plans built under a budget rule, as the number of scenarios K grows.

For each K: the robust plan (mean HPO, the rule) over K futures (seed 0), then stress-tested on N fresh futures
(seed 1, the same for every K and for the deterministic plan): overrun frequency (Wilson 95%), expected overrun
(CLT 95%) and CVaR_0.8 of the overrun (bootstrap 95%). Appends one row per plan to
benchmarks/results/budget_rules.csv.

    python benchmarks/budget_rules.py --rule chance:0.2 --k 10 20 50 --samples 500
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from reeplan.instance.io import load_instance
from reeplan.options import SolveOptions
from reeplan.solving.pipeline import solve
from reeplan.uncertainty.budget_rules import overrun_statistics, parse_budget_rule
from reeplan.uncertainty.robust import solve_robust
from reeplan.uncertainty.stress import plan_from_result, stress_test

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "budget_rules.csv"
FIELDS = ["when_utc", "instance", "overrides", "plan", "rule", "k", "sample_seed", "status", "gap", "solve_s", "in_sample_freq",
          "eval_samples", "eval_seed", "oos_freq", "oos_freq_low", "oos_freq_high", "oos_expected_overrun_bn_rub",
          "oos_expected_overrun_low", "oos_expected_overrun_high", "oos_cvar80_overrun_bn_rub", "oos_cvar80_low",
          "oos_cvar80_high", "oos_mean_hpo_t", "planned_spend_bn_rub", "stress_s", "host"]


def _row(inst, label, rule, k, result, report, solve_s, stress_s, eval_seed, in_sample=None, overrides=()) -> dict:
    st = overrun_statistics(report.samples["overrun_bn_rub"].to_numpy(), 0.8)
    return {"when_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"), "instance": inst.name,
            "overrides": " ".join(overrides), "plan": label,
            "rule": rule, "k": k, "sample_seed": 0 if k else "", "status": result.status.value,
            "gap": result.mip_gap, "solve_s": round(solve_s, 1), "in_sample_freq": in_sample,
            "eval_samples": st["n"], "eval_seed": eval_seed, "oos_freq": st["overrun_frequency"],
            "oos_freq_low": round(st["overrun_frequency_low"], 4), "oos_freq_high": round(st["overrun_frequency_high"], 4),
            "oos_expected_overrun_bn_rub": round(st["expected_overrun_bn_rub"], 3),
            "oos_expected_overrun_low": round(st["expected_overrun_low_bn_rub"], 3),
            "oos_expected_overrun_high": round(st["expected_overrun_high_bn_rub"], 3),
            "oos_cvar80_overrun_bn_rub": round(st["cvar_overrun_bn_rub"], 3),
            "oos_cvar80_low": round(st["cvar_overrun_low_bn_rub"], 3),
            "oos_cvar80_high": round(st["cvar_overrun_high_bn_rub"], 3),
            "oos_mean_hpo_t": round(report.summary["hpo_mean_t"], 1),
            "planned_spend_bn_rub": round(report.summary["planned_spend_bn_rub"], 2), "stress_s": round(stress_s, 1),
            "host": platform.node()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "siberia-2030.yaml"))
    ap.add_argument("--rule", default="chance:0.2")
    ap.add_argument("--k", type=int, nargs="+", default=[10, 20, 50])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--eval-seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per robust solve")
    ap.add_argument("--deterministic", action="store_true", help="also the deterministic plan (one row)")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    help="instance override (as reeplan --set), e.g. \"uncertainty={'factors': {'enabled': true}}\"")
    args = ap.parse_args()
    inst = load_instance(args.instance, args.overrides)
    rule = parse_budget_rule(args.rule)
    rows = []
    if args.deterministic:
        tick = time.perf_counter()
        det = solve(inst, marginals=False, why=False)
        solve_s = time.perf_counter() - tick
        tick = time.perf_counter()
        rep = stress_test(inst, plan_from_result(inst, det), samples=args.samples, seed=args.eval_seed,
                          workers=args.workers)
        rows.append(_row(inst, "deterministic", "nominal", 0, det, rep, solve_s, time.perf_counter() - tick,
                         args.eval_seed, overrides=args.overrides))
        print(rows[-1], flush=True)
        _append(rows[-1:])
    for k in args.k:
        tick = time.perf_counter()
        rob = solve_robust(inst, scenarios=k, seed=0, budget=rule,
                           options=SolveOptions(time_limit=args.time_limit, marginals=False, why=False, diagnose=False))
        solve_s = time.perf_counter() - tick
        if not rob.has_plan:
            print(f"K={k}: no plan ({rob.status.value}) after {solve_s:.0f} s", flush=True)
            continue
        tick = time.perf_counter()
        rep = stress_test(inst, plan_from_result(inst, rob), samples=args.samples, seed=args.eval_seed,
                          workers=args.workers)
        rows.append(_row(inst, "robust", rule.label, k, rob, rep, solve_s, time.perf_counter() - tick, args.eval_seed,
                         rob.kpis["robust"]["in_sample_overrun"]["overrun_frequency"], args.overrides))
        print(rows[-1], flush=True)
        _append(rows[-1:])


def _append(rows: list[dict]) -> None:
    new = not OUT.exists()
    with OUT.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
