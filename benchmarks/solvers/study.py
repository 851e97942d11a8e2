"""The solver study: every free solver reeplan bench knows, on the bundled instances, generated families (loose and
budget-bound) and the MIPLIB files, one process per run. Results (runs.csv, summary.csv, table.md, profile.png,
meta.json) go to benchmarks/solvers/results/{miplib,bundled,families}/; see benchmarks/solvers/README.md.

    .venv/bin/python benchmarks/solvers/study.py [--repeat 3] [--generated-repeat 1] [--time-limit 60] [--only GROUP]

Gurobi and Xpress are not run: their free licences forbid publishing benchmark results (README)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "solvers" / "results"
SOLVERS = ["highs", "scip", "cbc", "glpk", "ortools-cbc", "ortools-scip", "ortools-cpsat", "cplex"]
GENERATED = [(["--family", "medium"], "medium-seed{s}"),
             (["--sites", "20", "--deposits", "20", "--power-sources", "10", "--programmes", "5", "--years", "8",
               "--budget-share", "0.5"], "tight-s20-seed{s}")]


def reeplan(*args: str) -> None:
    exe = Path(sys.executable).with_name("reeplan")
    subprocess.run([str(exe), *args], check=True)


def bench(group: str, inputs: list[Path], repeat: int, time_limit: float) -> None:
    out = OUT / group
    args = ["bench", *map(str, inputs), "--repeat", str(repeat), "--time-limit", str(time_limit), "--out", str(out),
            "--no-store"]
    for s in SOLVERS:
        args += ["--solver", s]
    reeplan(*args)
    shutil.rmtree(out / "logs", ignore_errors=True)  # one log per run: kept out of the repository
    (out / "runs.parquet").unlink(missing_ok=True)  # runs.csv holds the same


def rerender(group: str) -> None:
    """Rewrite a group's summary, table, profile and meta.json from its runs.csv (no solver is run)."""
    import json

    import pandas as pd
    from reeplan.bench.report import write_bench_report

    out = OUT / group
    meta = json.loads((out / "meta.json").read_text())
    runs = pd.read_csv(out / "runs.csv").drop(columns=["wrong", "wrong_reason"], errors="ignore")
    notes = [n for n in meta["notes"] if not n.startswith("left out of the performance profile")]
    write_bench_report(runs, out, machine=meta["machine"], notes=notes, gap=meta["settings"]["gap"],
                       metric=meta["metric"], settings=meta["settings"])
    (out / "runs.parquet").unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generated-repeat", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--only", choices=["miplib", "bundled", "generated"])
    ap.add_argument("--rerender", action="store_true", help="only rewrite the reports from the committed runs.csv")
    a = ap.parse_args()
    if a.rerender:
        for group in ([a.only] if a.only else ["miplib", "bundled", "generated"]):
            rerender("families" if group == "generated" else group)
        return
    if a.only in (None, "miplib"):
        bench("miplib", [ROOT / "benchmarks" / "miplib"], a.repeat, a.time_limit)
    if a.only in (None, "bundled"):
        bench("bundled", [ROOT / "instances", ROOT / "instances" / "variants"], a.repeat, a.time_limit)
    if a.only in (None, "generated"):
        gen = ROOT / "generated" / "solver-study"
        for extra, name in GENERATED:
            for s in range(3):
                reeplan("generate", *extra, "--seed", str(s), "--out", str(gen / name.format(s=s)))
        bench("families", [gen], a.generated_repeat, a.time_limit)  # not "generated": .gitignore keeps those out


if __name__ == "__main__":
    main()
