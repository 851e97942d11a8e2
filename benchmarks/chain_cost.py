"""What the objective chain and the integer marginals cost, side by side in one run (issue 10).

For each instance, in this process (imports excluded), medians over ``--repeats`` runs of
``reeplan.solve``:

- ``stage1``: stage 1 only (``tie_break=False, why=False``): the primary objective;
- ``chain``: stage 1 and the objective chain (capital, output, opex, timing), no marginals;
- ``full``: what ``reeplan solve`` does: chain, LP duals, integer marginals and "why not more?".

It prints and writes ``OUT/chain_cost.csv`` with each phase's seconds (``Result.seconds``), the
seconds of every chain stage, and the ratios chain / stage1 and full / stage1.

    .venv/bin/python benchmarks/chain_cost.py                    # base case and half budget, 3 repeats
    .venv/bin/python benchmarks/chain_cost.py --repeats 5 --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reeplan.instance.io import load_instance  # noqa: E402
from reeplan.solving.pipeline import solve  # noqa: E402

INSTANCES = ["instances/siberia-2030.yaml", "instances/variants/half-budget.yaml"]
MODES = {"stage1": dict(tie_break=False, why=False), "chain": dict(why=False), "full": {}}


def measure(path: str, repeats: int, threads: int | None) -> list[dict]:
    inst = load_instance(ROOT / path)
    rows = []
    for mode, kw in MODES.items():
        runs = [solve(inst, threads=threads, **kw) for _ in range(repeats)]
        seconds = {k: statistics.median(r.seconds.get(k, 0.0) for r in runs) for k in runs[0].seconds}
        stages = {f"stage_{row['stage']}_s": statistics.median(
            next((s["seconds"] for s in r.chain if s["stage"] == row["stage"]), 0.0) for r in runs)
            for row in runs[0].chain if row["stage"] != "primary"}
        rows.append(dict(instance=Path(path).stem, mode=mode, objective=runs[0].objective, status=runs[0].status.value,
                         repeats=repeats, threads=threads, **{f"{k}_s": v for k, v in seconds.items()}, **stages))
    base = rows[0]["total_s"]
    for row in rows:
        row["total_over_stage1"] = row["total_s"] / base if base else None
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    rows = [row for path in INSTANCES for row in measure(path, args.repeats, args.threads)]
    df = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "chain_cost.csv", index=False)
    cols = [c for c in ("instance", "mode", "objective", "solve_s", "chain_s", "why_not_more_s", "total_s",
                        "total_over_stage1") if c in df]
    print(f"{os.cpu_count()} cores; medians of {args.repeats} runs; seconds in process (imports excluded)")
    print(df[cols].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
