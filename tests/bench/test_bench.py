"""The benchmark harness: summaries and performance-profile maths on hand-made tables, failing runs
recorded (a corrupt MPS file, a child that raises, dies, hangs or blows up its memory) while the benchmark goes on, a
MIPLIB file's known optimum, and a reeplan instance timed phase by phase."""

from __future__ import annotations

import math
import resource
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reeplan.bench.configs import parse_option, solver_configs
from reeplan.bench.inputs import KNOWN_OPTIMA, collect_instances
from reeplan.bench.isolate import run_isolated
from reeplan.bench.run import run_bench
from reeplan.bench.stats import disagreements, performance_profile, performance_ratios, shifted_geometric_mean, summarize
from reeplan.cli.app import main
from reeplan.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
MIPLIB = ROOT / "benchmarks" / "miplib"
TINY = ROOT / "instances" / "tiny.yaml"
TINY_OPTIMUM = 300.0  # derived by hand in the header of instances/tiny.yaml


def runs_table(rows: list[tuple]) -> pd.DataFrame:
    """Hand-made runs: (instance, config, status, total_s, objective); time limit 60 s."""
    return pd.DataFrame([dict(instance=i, config=c, solver=c.split("-")[0], status=s, total_s=t, objective=o,
                              time_limit=60.0, nodes=1, peak_rss_mb=100.0, known_optimum=np.nan)
                         for i, c, s, t, o in rows])


# ------------------------------------------------------------------ maths on hand-made tables


def test_shifted_geometric_mean_by_hand():
    assert shifted_geometric_mean([0.0, 0.0]) == pytest.approx(0.0, abs=1e-12)
    assert shifted_geometric_mean([5.0]) == pytest.approx(5.0)
    # (1 + 10)(4 + 10)(49 + 10) = 11 * 14 * 59 = 9086; cube root - 10
    assert shifted_geometric_mean([1.0, 4.0, 49.0]) == pytest.approx(9086 ** (1 / 3) - 10)
    assert shifted_geometric_mean([2.0, 8.0], shift=0.0) == pytest.approx(4.0)
    assert math.isnan(shifted_geometric_mean([]))


def test_summary_on_a_hand_made_runs_table():
    runs = runs_table([
        # config A: p1 solved in 1 s, p2 in 2 s and 4 s (median 3 s), p3 time-out (counts at 60 s)
        ("p1", "A", "optimal", 1.0, 10.0),
        ("p2", "A", "optimal", 2.0, 20.0),
        ("p2", "A", "optimal", 4.0, 20.0),
        ("p3", "A", "time_limit", 61.5, 31.0),
        # config B: p1 in 4 s, p2 crashed (at the limit), p3 proven infeasible in 8 s (solved)
        ("p1", "B-x", "optimal", 4.0, 10.0),
        ("p2", "B-x", "crashed", np.nan, np.nan),
        ("p3", "B-x", "infeasible", 8.0, np.nan),
    ])
    s = summarize(runs).set_index("config")
    assert s.loc["A", "instances"] == 3 and s.loc["A", "runs"] == 4
    assert s.loc["A", "solved"] == 2 and s.loc["A", "timeouts"] == 1 and s.loc["A", "failures"] == 0
    assert s.loc["A", "sgm_s"] == pytest.approx(((1 + 10) * (3 + 10) * (60 + 10)) ** (1 / 3) - 10)
    assert s.loc["B-x", "solved"] == 2 and s.loc["B-x", "timeouts"] == 0 and s.loc["B-x", "failures"] == 1
    assert s.loc["B-x", "sgm_s"] == pytest.approx(((4 + 10) * (60 + 10) * (8 + 10)) ** (1 / 3) - 10)
    assert s.loc["B-x", "solver"] == "B"


def test_performance_ratios_and_profile_on_a_small_example():
    times = pd.DataFrame({"A": [1.0, 2.0, np.inf, np.nan], "B": [2.0, 1.0, 4.0, np.inf]},
                         index=["p1", "p2", "p3", "p4"])
    r = performance_ratios(times)
    assert r["A"].tolist()[:2] == [1.0, 2.0] and np.isinf(r.loc["p3", "A"])
    assert r["B"].tolist()[:3] == [2.0, 1.0, 1.0]
    assert np.isinf(r.loc["p4"]).all()  # nobody solved p4: it counts against everyone
    prof = performance_profile(r, [1.0, 1.5, 2.0, 100.0])
    assert prof["A"].tolist() == [0.25, 0.25, 0.5, 0.5]
    assert prof["B"].tolist() == [0.5, 0.5, 0.75, 0.75]


def test_performance_profile_with_a_zero_time():
    r = performance_ratios(pd.DataFrame({"A": [0.0], "B": [1e-6]}))
    assert r.loc[0, "A"] == 1.0 and r.loc[0, "B"] == pytest.approx(1.0)


def test_disagreements_flag_different_optima_only_beyond_tolerance():
    runs = runs_table([
        ("same", "A", "optimal", 1.0, 100.0), ("same", "B", "optimal", 1.0, 100.0 + 1e-6),
        ("diff", "A", "optimal", 1.0, 100.0), ("diff", "B", "optimal", 1.0, 100.5),
        ("diff", "C", "time_limit", 1.0, 90.0),  # not optimal: never compared
    ])
    flags = disagreements(runs, rel_tol=1e-4)
    assert flags["instance"].tolist() == ["diff"]
    assert "A=100" in flags.loc[0, "configs"] and "B=100.5" in flags.loc[0, "configs"]
    runs["known_optimum"] = [np.nan, np.nan, 100.5, 100.5, 100.5]
    flags = disagreements(runs, rel_tol=1e-4)
    assert set(flags["what"]) == {"configurations disagree", "differs from the known optimum"}


# ------------------------------------------------------------------ configurations and inputs


def test_options_and_configurations():
    assert parse_option("highs:presolve=off") == ("highs", "presolve", "off")
    assert parse_option("scip:limits/nodes=10") == ("scip", "limits/nodes", 10)
    assert parse_option("highs:mip_rel_gap=1e-6")[2] == 1e-6
    assert parse_option("highs:mip_detect_symmetry=false")[2] is False
    with pytest.raises(UsageError):
        parse_option("presolve=off")
    configs, notes = solver_configs(["highs", "highs-presolve-off", "highs-parallel", "pyomo:no_such_solver_xyz"],
                                    options=["highs:mip_rel_gap=1e-6", "highs-parallel:random_seed=3"])
    by = {c.label: c for c in configs}
    assert by["highs"].threads == 1 and by["highs"].options == {"mip_rel_gap": 1e-6}
    assert by["highs-presolve-off"].options == {"presolve": "off", "mip_rel_gap": 1e-6}
    assert by["highs-parallel"].options["parallel"] == "on" and by["highs-parallel"].threads >= 2
    assert any("no_such_solver_xyz" in n and "skipped" in n for n in notes)
    with pytest.raises(UsageError):
        solver_configs(["gurobi-fast"])


def test_collect_instances(tmp_path):
    found = collect_instances([MIPLIB, TINY])
    assert [(i.name, i.kind) for i in found] == [("egout", "mps"), ("flugpl", "mps"), ("rgn", "mps"), ("tiny", "reeplan")]
    assert {i.name: i.known_optimum for i in found if i.kind == "mps"} == KNOWN_OPTIMA
    with pytest.raises(UsageError):
        collect_instances([tmp_path / "missing.mps"])
    with pytest.raises(UsageError):
        collect_instances([tmp_path])  # an empty folder


# ------------------------------------------------------------------ real runs, one process each


def test_failing_runs_are_recorded_and_the_benchmark_goes_on(tmp_path):
    corrupt = tmp_path / "corrupt.mps"
    corrupt.write_bytes(b"this is not an MPS file\n\x00\x01 garbage\n")
    shutil.copy(MIPLIB / "flugpl.mps", tmp_path / "flugpl.mps")
    solvers = ["highs"]
    report = run_bench([corrupt, tmp_path / "flugpl.mps"], solvers, time_limit=30, out=tmp_path / "out")
    runs = report.runs.set_index(["instance", "config"])
    for config in solvers:
        bad = runs.loc[("corrupt", config)]
        assert bad["status"] == "error" and isinstance(bad["message"], str) and bad["message"]
        good = runs.loc[("flugpl", config)]
        assert good["status"] == "optimal"
        assert abs(good["objective"] - KNOWN_OPTIMA["flugpl"]) <= 1e-6 * KNOWN_OPTIMA["flugpl"]
        assert good["optimum_rel_error"] <= 1e-6
        assert good["peak_rss_mb"] > 10 and good["wall_s"] > 0 and good["variables"] == 18
        assert good["machine"] and good["reeplan_version"] and good["solver_version"]
    summary = report.summary.set_index("config")
    assert (summary["solved"] == 1).all() and (summary["failures"] == 1).all()
    assert report.disagreements.empty
    for name in ("runs.csv", "summary.csv", "disagreements.csv", "profile.csv", "meta.json"):
        assert (tmp_path / "out" / name).exists()
    assert len(pd.read_csv(tmp_path / "out" / "runs.csv")) == 2 * len(solvers)
    if _has("pyarrow"):
        assert len(pd.read_parquet(tmp_path / "out" / "runs.parquet")) == 2 * len(solvers)
    if _has("matplotlib"):
        assert (tmp_path / "out" / "profile.png").stat().st_size > 0
        assert (tmp_path / "out" / "profile.svg").stat().st_size > 0


# The real child entry (reeplan.bench.child._child_main: read the spec, write the record), its run
# replaced by a fault named on the command line: run_isolated starts this script instead of the child.
FAULTY_CHILD = '''
import os, sys, time
from reeplan.bench import child

real_run_child = child.run_child

def run_child(spec):
    fault, _, mb = sys.argv[1].partition(":")
    if fault == "raise":
        raise RuntimeError("fault injected by the test harness")
    if fault == "exit":
        os._exit(3)
    if fault == "hang":
        time.sleep(3600)
    if fault == "memory":  # touch MB megabytes, then die of it
        hog = b"x" * (int(mb) * 2**20)
        raise MemoryError(f"fault injected by the test harness after {len(hog) >> 20} MB")
    return real_run_child(spec)

child.run_child = run_child
sys.exit(child._child_main(sys.argv[3:]))  # argv: fault --child SPEC RESULT
'''


@pytest.mark.parametrize("fault,status", [("raise", "error"), ("exit", "crashed"), ("hang", "killed"),
                                          ("memory", "error")])
def test_a_failing_child_is_recorded(tmp_path, fault, status):
    script = tmp_path / "faulty_child.py"
    script.write_text(FAULTY_CHILD)
    spec = dict(kind="mps", path=str(MIPLIB / "flugpl.mps"), solver="highs", options={}, threads=1, seed=0,
                time_limit=10, mip_gap=1e-4, objective="max-hpo")
    # A child's ru_maxrss starts at the parent's resident memory (Linux): the hog must be bigger to show.
    hog_mb = max(300, int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024) + 100)
    arg = f"memory:{hog_mb}" if fault == "memory" else fault
    rec = run_isolated(spec, wall_limit=2.0 if fault == "hang" else 30.0, log_path=tmp_path / "child.log",
                       command=[sys.executable, str(script), arg])
    assert rec["status"] == status
    assert rec["message"]
    assert rec["peak_rss_mb"] is not None and rec["wall_s"] > 0
    if fault in ("raise", "memory"):
        assert "fault injected" in rec["message"]
    if fault == "exit":
        assert rec["exit_code"] == 3
    if fault == "hang":
        assert 2.0 <= rec["wall_s"] < 30
    if fault == "memory":
        assert rec["peak_rss_mb"] >= hog_mb


def test_the_child_without_a_fault_solves(tmp_path):
    """The same script with no fault runs the real child: the harness above exercises the real protocol."""
    script = tmp_path / "faulty_child.py"
    script.write_text(FAULTY_CHILD)
    spec = dict(kind="mps", path=str(MIPLIB / "flugpl.mps"), solver="highs", options={}, threads=1, seed=0,
                time_limit=10, mip_gap=1e-4, objective="max-hpo")
    rec = run_isolated(spec, wall_limit=30.0, command=[sys.executable, str(script), "none"])
    assert rec["status"] == "optimal" and rec["exit_code"] == 0
    assert abs(rec["objective"] - KNOWN_OPTIMA["flugpl"]) <= 1e-6 * KNOWN_OPTIMA["flugpl"]


def test_reeplan_instance_phases(tmp_path):
    report = run_bench([TINY], ["highs"], time_limit=30, out=tmp_path / "out", plots=False)
    run = report.runs.iloc[0]
    assert run["status"] == "optimal" and run["objective"] == pytest.approx(TINY_OPTIMUM, rel=1e-6)
    assert run["objective_sense"] == "max" and run["variables"] == 31 and run["integers"] > 0
    for phase in ("load_s", "build_s", "transfer_s", "solve_s", "extract_s"):
        assert run[phase] >= 0, phase
    assert run["total_s"] == pytest.approx(run["build_s"] + run["transfer_s"] + run["solve_s"] + run["extract_s"])
    assert run["wall_s"] > run["total_s"]


def test_bench_cli_scip_on_miplib(tmp_path, capsys):
    solver = "scip" if _has("pyscipopt") else "highs"
    main(["bench", str(MIPLIB / "egout.mps"), "--time-limit", "30", "--out", str(tmp_path / "out"),
          "--solver", solver, "--solver", "pyomo:no_such_solver_xyz"])
    out = capsys.readouterr().out
    assert "568.1007" in out and "known optima" in out
    run = pd.read_csv(tmp_path / "out" / "runs.csv").iloc[0]
    assert run["status"] == "optimal" and run["optimum_rel_error"] <= 1e-6
    assert "skipped pyomo:no_such_solver_xyz" in out
    for args in (["--repeat", "0"], ["--solver", "nope"], ["--option", "bad"]):
        with pytest.raises(SystemExit) as exc:
            main(["bench", str(MIPLIB / "egout.mps"), *args, "--out", str(tmp_path / "x")])
        assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
