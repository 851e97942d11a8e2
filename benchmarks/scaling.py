"""Scaling study: how reeplan's time and memory grow with the size of the plan, and how much of it is
spent outside HiGHS.

For each family (``reeplan.generate.FAMILIES``) and repeat, three child processes side by side
(``reeplan.bench.isolate.run_isolated``: one fresh Python process each, peak memory = its ru_maxrss):

1. reeplan stage 1, phase by phase: build (model_data + build_model), transfer (Pyomo -> HiGHS:
   time inside ``opt.solve`` minus HiGHS's run time), HiGHS, extraction (load values + tables);
2. reeplan's whole ``solve`` as ``reeplan solve`` runs it (stage 1, lexicographic tie-break,
   marginal values, extraction);
3. HiGHS alone (highspy) on the MPS file ``reeplan export`` writes for the same instance: read + run.

overhead ratio  = (build + transfer + extraction) / HiGHS time        (run 1)
end-to-end ratio = reeplan's whole solve / HiGHS alone (read + run)   (run 2 / run 3)
stage-1 end-to-end ratio = run 1's build + transfer + HiGHS + extraction / HiGHS alone

Every solver run uses 1 thread, seed 0 and relative gap 1e-4. Usage:

    .venv/bin/python benchmarks/scaling.py                       # all families: 3 repeats, xl 1
    .venv/bin/python benchmarks/scaling.py --families small medium --repeat 5
Writes benchmarks/results/scaling.csv (per family, medians over repeats), scaling_runs.csv (every
repeat), scaling.png / .svg, and prints the markdown tables for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reeplan.bench.isolate import run_isolated
from reeplan.bench.report import machine_info, save_png_svg
from reeplan.generate import FAMILIES, generate_family, write_generated
from reeplan.solving.export import export_model

HERE = Path(__file__).resolve().parent
THREADS, SEED, GAP = 1, 0, 1e-4


def _spec(path: Path, kind: str, pipeline: str | None, time_limit: float) -> dict:
    return dict(kind=kind, path=str(path), solver="highs", options={}, threads=THREADS, seed=SEED,
                time_limit=time_limit, mip_gap=GAP, objective="max-hpo", pipeline=pipeline)


def measure_family(family: str, work: Path, repeat: int, time_limit: float, log_dir: Path) -> list[dict]:
    """Generate, export and run the three measurements ``repeat`` times; one row per repeat."""
    inst = generate_family(family, SEED)
    folder = write_generated(inst, work / family)
    tick = time.perf_counter()
    mps = export_model(inst, work / f"{family}.mps")
    export_s = time.perf_counter() - tick
    wall = 2 * time_limit + 300
    rows = []
    for r in range(repeat):
        load = os.getloadavg()[0]
        stage1 = run_isolated(_spec(folder, "reeplan", "stage1", time_limit), wall, log_dir / f"{family}-r{r}-stage1.log")
        whole = run_isolated(_spec(folder, "reeplan", "solve", time_limit), wall, log_dir / f"{family}-r{r}-solve.log")
        alone = run_isolated(_spec(mps, "mps", None, time_limit), wall, log_dir / f"{family}-r{r}-highspy.log")
        highs_alone = (alone.get("transfer_s") or math.nan) + (alone.get("solve_s") or math.nan)
        overhead = sum(stage1.get(k) or 0.0 for k in ("build_s", "transfer_s", "extract_s"))
        stage1_total = overhead + (stage1.get("solve_s") or math.nan)
        rows.append(dict(
            family=family, repeat=r + 1, variables=stage1.get("variables"), constraints=stage1.get("constraints"),
            integers=stage1.get("integers"), sites=len(inst.sites), deposits=len(inst.deposits),
            links=len(inst.links), years=len(inst.years), programmes=len(inst.rd_programmes),
            stage1_status=stage1["status"], stage1_objective=stage1.get("objective"), stage1_nodes=stage1.get("nodes"),
            load_s=stage1.get("load_s"), build_s=stage1.get("build_s"), transfer_s=stage1.get("transfer_s"),
            highs_s=stage1.get("solve_s"), extract_s=stage1.get("extract_s"), stage1_total_s=stage1_total,
            peak_rss_mb=stage1.get("peak_rss_mb"),
            overhead_ratio=overhead / stage1["solve_s"] if stage1.get("solve_s") else math.nan,
            solve_status=whole["status"], solve_objective=whole.get("objective"), solve_build_s=whole.get("build_s"),
            solve_solver_s=whole.get("solve_s"), solve_marginals_s=whole.get("marginals_s"),
            solve_extract_s=whole.get("extract_s"), solve_total_s=whole.get("total_s"),
            solve_peak_rss_mb=whole.get("peak_rss_mb"),
            alone_status=alone["status"], alone_objective=alone.get("objective"), alone_nodes=alone.get("nodes"),
            alone_read_s=alone.get("transfer_s"), alone_run_s=alone.get("solve_s"), alone_s=highs_alone,
            alone_peak_rss_mb=alone.get("peak_rss_mb"),
            e2e_ratio=(whole.get("total_s") or math.nan) / highs_alone,
            e2e_stage1_ratio=stage1_total / highs_alone,
            export_mps_s=export_s, load_avg_1m=load,
        ))
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()}), flush=True)
    return rows


def bytes_per_variable(df: pd.DataFrame, column: str = "peak_rss_mb") -> tuple[float, float, float]:
    """Least-squares fit peak memory = a + b * variables: (b in bytes/variable, a in MB, R^2)."""
    x = df["variables"].astype(float).to_numpy()
    y = df[column].astype(float).to_numpy() * 2**20
    if len(x) < 2:
        return math.nan, math.nan, math.nan
    b, a = np.polyfit(x, y, 1)
    r2 = 1 - np.sum((y - (a + b * x)) ** 2) / np.sum((y - y.mean()) ** 2)
    return float(b), float(a / 2**20), float(r2)


def plot(summary: pd.DataFrame, stem: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = summary["variables"]
    for col, label, style in [("build_s", "build (Pyomo model)", "o-"), ("transfer_s", "transfer Pyomo -> HiGHS", "s-"),
                              ("highs_s", "HiGHS (stage 1)", "^-"), ("extract_s", "extraction", "v-"),
                              ("solve_total_s", "reeplan solve, whole", "D--"),
                              ("alone_s", "HiGHS alone on the MPS (read + run)", "x--")]:
        ax1.plot(x, summary[col], style, label=label)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("variables")
    ax1.set_ylabel("seconds")
    ax1.set_title("time by phase (1 thread, gap 1e-4)", fontsize=9)
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=7)
    ax2.plot(x, summary["peak_rss_mb"], "o-", label="reeplan stage 1 (child process)")
    ax2.plot(x, summary["solve_peak_rss_mb"], "D--", label="reeplan solve, whole")
    ax2.plot(x, summary["alone_peak_rss_mb"], "x--", label="HiGHS alone on the MPS")
    ax2.set_xlabel("variables")
    ax2.set_ylabel("peak RSS, MB")
    ax2.set_title("peak memory", fontsize=9)
    ax2.grid(True, alpha=0.3)
    ax2.legend(fontsize=7)
    return save_png_svg(fig, stem, dpi=110)


def markdown(df: pd.DataFrame, cols: list[str], digits: int = 3) -> str:
    def cell(v):
        if isinstance(v, float) and v.is_integer() and abs(v) >= 100:
            return str(int(v))
        if isinstance(v, float):
            return "-" if math.isnan(v) else f"{v:.{digits}g}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df[cols].itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--repeat", type=int, default=3, help="repeats of every family but xl")
    parser.add_argument("--xl-repeat", type=int, default=1, help="repeats of the xl family (minutes each)")
    parser.add_argument("--time-limit", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--work", type=Path, help="folder for the generated instances and MPS files [temporary]")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="reeplan-scaling-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for family in args.families:
            repeat = args.xl_repeat if family == "xl" else args.repeat
            rows += measure_family(family, work, repeat, args.time_limit, work / "logs")
    runs = pd.DataFrame(rows)
    runs.to_csv(args.out / "scaling_runs.csv", index=False)
    numeric = runs.select_dtypes("number").columns.drop("repeat")
    summary = runs.groupby("family", sort=False)[list(numeric)].median().reset_index()
    for col in ("stage1_status", "solve_status", "alone_status"):
        summary[col] = runs.groupby("family", sort=False)[col].agg(lambda s: "/".join(sorted(set(s)))).to_numpy()
    summary["repeats"] = runs.groupby("family", sort=False).size().to_numpy()
    summary["x_base_case"] = summary["variables"] / 613
    summary.to_csv(args.out / "scaling.csv", index=False)
    files = plot(summary, args.out / "scaling")
    b, a, r2 = bytes_per_variable(runs)
    b2, a2, r22 = bytes_per_variable(runs, "solve_peak_rss_mb")
    meta = {"machine": machine_info(), "threads": THREADS, "seed": SEED, "gap": GAP, "time_limit": args.time_limit,
            "repeat": args.repeat, "xl_repeat": args.xl_repeat, "bytes_per_variable_stage1": b,
            "baseline_mb_stage1": a, "r2_stage1": r2, "bytes_per_variable_solve": b2, "baseline_mb_solve": a2, "r2_solve": r22}
    (args.out / "scaling_meta.json").write_text(json.dumps(meta, indent=2))
    print()
    print(markdown(summary, ["family", "variables", "constraints", "integers", "x_base_case", "build_s", "transfer_s",
                             "highs_s", "extract_s", "peak_rss_mb", "overhead_ratio"]))
    print()
    print(markdown(summary, ["family", "stage1_status", "solve_status", "alone_status", "stage1_total_s",
                             "solve_total_s", "alone_read_s", "alone_run_s", "stage1_nodes", "alone_nodes",
                             "e2e_stage1_ratio", "e2e_ratio"]))
    print()
    print(f"peak memory (stage 1) = {a:.0f} MB + {b:.0f} bytes x variables (R^2 {r2:.4f}); "
          f"whole solve: {a2:.0f} MB + {b2:.0f} bytes x variables (R^2 {r22:.4f})")
    print("wrote", ", ".join(str(p) for p in [args.out / "scaling.csv", args.out / "scaling_runs.csv", *files]))


if __name__ == "__main__":
    main()
