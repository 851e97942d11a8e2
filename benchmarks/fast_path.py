"""The fast path, side by side in one run: reeplan against HiGHS alone doing the same work.

"HiGHS alone" is a Python process (or, in process, a fresh ``highspy.Highs``) that reads the model as an
MPS file written by HiGHS from the very object reeplan solves, plus the chain's cost vectors (an .npz),
and runs exactly reeplan's stages with reeplan's options: stage 1, then each chain stage with the earlier
stage held by its row, warm-started from the previous plan. Nothing of Pyomo or reeplan is imported.

Rows (each a median over ``--repeats`` paired, alternating runs; ratios are of medians):
- ``whole process``: ``reeplan solve BASE --no-why --no-store --quiet`` (stage 1, chain, LP marginals,
  checker, files) against the HiGHS-alone process (imports, MPS read, stage 1 and chain);
- ``lexicographic solve, in process`` per family: ``solve(..., why=False, marginals=False, check=False)``
  total seconds (build, compile, transfer, stages, extraction) against HiGHS alone's read and stages;
- ``build + transfer per variable`` per family: Pyomo build, compilation to arrays, ``passModel``;
- ``marginal-value LP``: the LP with integers fixed, in place on the solved HiGHS object.

    .venv/bin/python benchmarks/fast_path.py                    # about 3-6 minutes
    .venv/bin/python benchmarks/fast_path.py --repeats 3 --families small medium
    .venv/bin/python benchmarks/fast_path.py --check            # CI: sizes and optima only, no timing

Writes benchmarks/results/fast_path.csv and fast_path_meta.json (machine, versions, load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "siberia-2030.yaml"
OUT = ROOT / "benchmarks" / "results"

# The HiGHS-alone program: imports highspy and numpy only.
ALONE = textwrap.dedent("""
    import sys, time, json
    import numpy as np
    import highspy

    def main(mps, npz):
        tick = time.perf_counter()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(mps)
        read = time.perf_counter() - tick
        z = np.load(npz, allow_pickle=False)
        options, chain_options = json.loads(str(z["options"])), json.loads(str(z["chain_options"]))
        n = h.getNumCol()
        idx = np.arange(n, dtype=np.int32)

        lp = h.getLp()
        integer = (np.array([int(t) for t in lp.integrality_]) == int(highspy.HighsVarType.kInteger)
                   if len(lp.integrality_) else np.zeros(n, dtype=bool))

        def stage(cost, maximize, opts):
            h.changeColsCost(n, idx, cost)
            h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)
            h.resetOptions()
            for k, v in {"output_flag": False, **opts}.items():
                h.setOptionValue(k, v)
            h.run()
            # the stage's value at the plan with integers snapped to whole numbers, as reeplan reads it
            # (HiGHS accepts integers within 1e-6; a bound read off an unsnapped plan can cut off every integer one)
            x = np.asarray(h.getSolution().col_value)
            x = np.where(integer, np.round(x), x)
            return float(cost @ x)

        costs, senses, offsets = z["costs"], z["senses"], z["offsets"]
        tick = time.perf_counter()
        values = [stage(costs[0], bool(senses[0]), options) + offsets[0]]
        for k in range(1, len(costs)):
            # hold the previous stage within the tolerance: its objective as a row (the constant moved out)
            zk, tol = values[-1], float(z["lex_tolerance"]) * max(1.0, abs(values[-1]))
            lo, hi = (zk - tol, highspy.kHighsInf) if senses[k - 1] else (-highspy.kHighsInf, zk + tol)
            nz = np.flatnonzero(costs[k - 1]).astype(np.int32)
            sol = h.getSolution()
            h.addRow(lo - offsets[k - 1], hi - offsets[k - 1], len(nz), nz, costs[k - 1][nz])
            h.setSolution(sol)
            values.append(stage(costs[k], bool(senses[k]), chain_options) + offsets[k])
        print(json.dumps({"read_s": read, "stages_s": time.perf_counter() - tick, "values": values}))

    main(sys.argv[1], sys.argv[2])
""")


def export_for_alone(instance_path: Path | None, family: str | None, folder: Path) -> tuple[Path, Path, dict]:
    """MPS (written by HiGHS from reeplan's own object) and the chain's costs; the reeplan reference figures."""
    from reeplan.generate import generate_family
    from reeplan.instance.io import load_instance
    from reeplan.models.components.objective import objective_chain
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import CHAIN_GAP, CHAIN_HIGHS_OPTIONS, build

    inst = load_instance(instance_path) if instance_path else generate_family(family, 0)
    built = build(inst)
    hm, opts = built.highs, SolveOptions(threads=1)
    mps, npz = folder / f"{inst.name}.mps", folder / f"{inst.name}.npz"
    hm.highs.writeModel(str(mps))  # stage 1 as HiGHS holds it (the chain's inactive rows are free rows: dropped)
    chain = objective_chain(built.model)
    n = len(hm.linear.columns)
    costs, senses, offsets = [], [], []
    for _, obj, _, _ in chain:
        compiled = hm._compiler.objective(obj)
        cost = np.zeros(n)
        np.add.at(cost, compiled.index, compiled.value)
        costs.append(cost)
        senses.append(compiled.maximize)
        offsets.append(compiled.offset)
    base = {"time_limit": 600.0, "mip_rel_gap": opts.mip_gap, "threads": 1, **opts.highs_options()}
    chain_opts = {**base, "mip_rel_gap": min(opts.mip_gap, CHAIN_GAP), **CHAIN_HIGHS_OPTIONS}
    np.savez(npz, costs=np.array(costs), senses=np.array(senses), offsets=np.array(offsets),
             lex_tolerance=opts.lex_tolerance, options=json.dumps(base), chain_options=json.dumps(chain_opts))
    return mps, npz, {"instance": inst, "variables": n, "rows": len(hm.linear.constraints)}


def run_alone(mps: Path, npz: Path) -> tuple[float, dict]:
    """Whole process wall seconds of the HiGHS-alone program, and what it printed."""
    tick = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", ALONE, str(mps), str(npz)], capture_output=True, text=True,
                         check=True)
    return time.perf_counter() - tick, json.loads(out.stdout.strip().splitlines()[-1])


def run_reeplan_process(folder: Path) -> float:
    cmd = [str(Path(sys.executable).with_name("reeplan")), "solve", str(BASE), "--no-why", "--no-store", "--quiet",
           "--threads", "1", "--out", str(folder / "out"), "--force"]
    tick = time.perf_counter()
    subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=folder)
    return time.perf_counter() - tick


def in_process(inst) -> dict:
    from reeplan.solving.pipeline import solve

    res = solve(inst, threads=1, why=False, marginals=False, check=False)
    return {"total_s": res.seconds["total"], "build_s": res.seconds["build"], "objective": res.objective,
            "chain": [r["value"] for r in res.chain]}


def alone_in_process(mps: Path, npz: Path) -> dict:
    namespace: dict = {}
    exec(compile(ALONE.replace("main(sys.argv[1], sys.argv[2])", ""), "alone", "exec"), namespace)
    import contextlib
    import io

    buf = io.StringIO()
    tick = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        namespace["main"](str(mps), str(npz))
    wall = time.perf_counter() - tick
    return {"total_s": wall, **json.loads(buf.getvalue().strip().splitlines()[-1])}


def build_per_variable(family: str) -> dict:
    from reeplan.generate import generate_family
    from reeplan.solving.pipeline import build

    inst = generate_family(family, 0)
    tick = time.perf_counter()
    built = build(inst)
    total = time.perf_counter() - tick
    hm = built.highs
    n = len(hm.linear.columns)
    return {"variables": n, "build_transfer_s": total, "us_per_variable": total / n * 1e6,
            "compile_us_per_variable": hm.compile_seconds / n * 1e6,
            "transfer_us_per_variable": hm.transfer_seconds / n * 1e6}


def marginal_lp(family: str) -> dict:
    from reeplan.generate import generate_family
    from reeplan.solving.pipeline import solve

    res = solve(generate_family(family, 0), threads=1, why=False)
    return {"marginals_s": res.seconds.get("marginals")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--families", nargs="*", default=["small", "medium"])
    parser.add_argument("--per-variable", nargs="*", default=["medium", "large", "xl"])
    parser.add_argument("--check", action="store_true", help="sizes and optima agree; no timing (CI)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = []
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [("base", BASE, None)] + [(f, None, f) for f in args.families]
        exported = {name: export_for_alone(path, fam, folder) for name, path, fam in cases}
        for name, (mps, npz, ref) in exported.items():
            mine, alone = in_process(ref["instance"]), alone_in_process(mps, npz)
            # the primary and the first chain stage must agree; later stages may differ within the stages' gaps
            # (a stage's value within its 1e-7 gap moves the bound the next stage works under)
            agree = len(mine["chain"]) == len(alone["values"]) and all(
                abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(mine["chain"][:2], alone["values"][:2]))
            if not agree:
                raise SystemExit(f"{name}: reeplan's chain {mine['chain']} differs from HiGHS alone {alone['values']}")
            print(f"{name}: {ref['variables']} variables, {ref['rows']} rows; chain, reeplan {mine['chain']}, "
                  f"HiGHS alone {alone['values']}")
        if args.check:
            return
        base_mps, base_npz, _ = exported["base"]
        whole_r, whole_h = [], []
        for _ in range(args.repeats):
            whole_r.append(run_reeplan_process(folder))
            whole_h.append(run_alone(base_mps, base_npz)[0])
        rows.append(_row("whole process, base case", "reeplan solve --no-why / HiGHS alone process", whole_r,
                         whole_h, 1.5))
        for name, (mps, npz, ref) in exported.items():
            mine_s, alone_s = [], []
            for _ in range(args.repeats):
                mine_s.append(in_process(ref["instance"])["total_s"])
                alone_s.append(alone_in_process(mps, npz)["total_s"])
            rows.append(_row(f"lexicographic solve in process, {name}", "solve() / HiGHS alone in process", mine_s,
                             alone_s, 1.15))
        for family in args.per_variable:
            figures = [build_per_variable(family) for _ in range(max(1, args.repeats // 2))]
            med = statistics.median(f["us_per_variable"] for f in figures)
            rows.append({"figure": f"build + transfer per variable, {family}", "what": "us per variable",
                         "reeplan": round(med, 1), "highs_alone": None, "ratio": None, "target": 20.0,
                         "detail": json.dumps({k: round(statistics.median(f[k] for f in figures), 2)
                                               for k in figures[0]})})
        lp = [marginal_lp("medium")["marginals_s"] for _ in range(args.repeats)]
        rows.append({"figure": "marginal-value LP, medium", "what": "seconds, in place", "reeplan":
                     round(statistics.median(lp), 4), "highs_alone": None, "ratio": None, "target": None,
                     "detail": "before: 0.36 s (a second full Pyomo -> HiGHS transfer)"})
    args.out.mkdir(parents=True, exist_ok=True)
    import csv

    with (args.out / "fast_path.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import highspy
    import pyomo.version

    meta = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "pyomo": pyomo.version.version,
            "highs": highspy.Highs().version(), "repeats": args.repeats, "threads": 1,
            "load_1min_start": load_start, "load_1min_end": os.getloadavg()[0]}
    (args.out / "fast_path_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    for r in rows:
        print(f"{r['figure']:<48} {r['reeplan']!s:>9} {r['highs_alone']!s:>9} ratio {r['ratio']!s:>6} "
              f"(target {r['target']})")


def _row(figure: str, what: str, mine: list[float], alone: list[float], target: float) -> dict:
    a, b = statistics.median(mine), statistics.median(alone)
    return {"figure": figure, "what": what, "reeplan": round(a, 3), "highs_alone": round(b, 3),
            "ratio": round(a / b, 2), "target": target,
            "detail": json.dumps({"reeplan_s": [round(x, 3) for x in mine], "alone_s": [round(x, 3) for x in alone],
                                  "median_of_ratios": round(statistics.median(x / y for x, y in zip(mine, alone)), 2)})}


if __name__ == "__main__":
    main()
