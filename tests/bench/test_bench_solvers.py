"""Every solver reeplan bench knows: each one available here solves a MIPLIB file and a reeplan instance to the
known optimum; a solver that returns a wrong "optimal" (a fake one, ``py:MODULE:FUNCTION``) is flagged, not
counted as solved and not averaged in; a run above a free edition's size limit is "edition limit", neither a
failure nor a win; --list-solvers says what is missing and how to install it; the Mittelmann-style table."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest
from reeplan.bench.configs import list_solvers, solver_available
from reeplan.bench.inputs import KNOWN_OPTIMA
from reeplan.bench.run import run_bench
from reeplan.bench.stats import mark_wrong, mittelmann_table, summarize
from reeplan.cli.app import main

from tests.conftest import ROOT

MIPLIB = ROOT / "benchmarks" / "miplib"
TINY = ROOT / "instances" / "tiny.yaml"
TINY_OPTIMUM = 300.0

FAKE = '''
from reeplan.bench.solvers import run_mps

def wrong_optimum(spec, path, rec, values):
    """HiGHS's answer, then 1 % off, still claimed optimal."""
    out = run_mps("highs", spec, path, rec, values)
    rec.pop("highs_model_status", None)
    rec.update(status="optimal", objective=rec["objective"] * 1.01, bound=rec["objective"] * 1.01)
    return out

def empty_plan(spec, path, rec, values):
    """An "optimal" plan that builds nothing (every column 0)."""
    rec.update(status="optimal", has_solution=True, objective=0.0, bound=0.0, solve_s=0.001, transfer_s=0.0)
    return {}

def too_big(spec, path, rec, values):
    rec.update(status="edition_limit", message="fake edition: problem size limits exceeded", has_solution=False)
'''


@pytest.fixture
def fake_solvers(tmp_path, monkeypatch):
    (tmp_path / "fake_solvers.py").write_text(FAKE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p))


FREE = ["highs", "scip", "cbc", "glpk", "ortools-cbc", "ortools-scip", "ortools-cpsat"]
COMMERCIAL = ["gurobi", "cplex", "xpress"]


def test_every_available_solver_reproduces_the_known_optima(tmp_path):
    missing = [s for s in FREE if not solver_available(s)[0]]
    if os.environ.get("CI") == "true":  # .ci/run installs every free solver
        assert not missing, f"not installed under CI: {missing}"
    solvers = [s for s in FREE + COMMERCIAL if solver_available(s)[0]]
    report = run_bench([MIPLIB / "flugpl.mps", TINY], solvers, time_limit=30, out=tmp_path / "out", plots=False)
    runs = report.runs.set_index(["instance", "config"])
    for s in solvers:
        for inst, optimum in (("flugpl", KNOWN_OPTIMA["flugpl"]), ("tiny", TINY_OPTIMUM)):
            run = runs.loc[(inst, s)]
            assert run["status"] == "optimal", (s, inst, run["message"])
            assert run["objective"] == pytest.approx(optimum, rel=1e-6), (s, inst)
            assert not run["wrong"] and run["solver_version"] and run["solver_options"]
        assert runs.loc[("tiny", s), "check_violations"] == 0
    summary = report.summary.set_index("config")
    assert (summary["solved"] == 2).all() and (summary["wrong"] == 0).all()


def test_a_wrong_optimum_is_flagged_and_not_averaged_in(tmp_path, fake_solvers, capsys):
    out = tmp_path / "out"
    main(["bench", str(MIPLIB / "flugpl.mps"), str(TINY), "--solver", "highs", "--solver",
          "py:fake_solvers:wrong_optimum", "--solver", "py:fake_solvers:empty_plan", "--time-limit", "30",
          "--out", str(out), "--no-store"])
    text = capsys.readouterr().out
    assert "WRONG:" in text and "known optimum is 1201500" in text
    runs = pd.read_csv(out / "runs.csv").set_index(["instance", "config"])
    bad = runs.loc[("flugpl", "py:fake_solvers:wrong_optimum")]
    assert bad["status"] == "optimal" and bad["wrong"] and "known optimum" in bad["wrong_reason"]
    empty = runs.loc[("tiny", "py:fake_solvers:empty_plan")]  # no known optimum: the checker and the others catch it
    assert empty["wrong"] and "independent checker" in empty["wrong_reason"] and "checked plan with 300" in \
        empty["wrong_reason"]
    assert not runs.loc[("tiny", "highs"), "wrong"] and not runs.loc[("flugpl", "highs"), "wrong"]
    summary = pd.read_csv(out / "summary.csv").set_index("config")
    assert summary.loc["py:fake_solvers:wrong_optimum", "wrong"] == 1
    assert summary.loc["py:fake_solvers:wrong_optimum", "solved"] == 1  # tiny only: flugpl is not counted
    # the wrong run counts at the time limit (30 s), not at its own fast time
    assert summary.loc["py:fake_solvers:wrong_optimum", "sgm_s"] > summary.loc["highs", "sgm_s"] + 5
    assert len(pd.read_csv(out / "wrong.csv")) == 3  # flugpl: both fakes; tiny: the empty plan
    table = (out / "table.md").read_text()
    assert "WRONG" in table and "| **1** |" in table


def test_edition_limit_is_neither_a_failure_nor_a_win(tmp_path, fake_solvers, capsys):
    out = tmp_path / "out"
    main(["bench", str(MIPLIB / "flugpl.mps"), "--solver", "highs", "--solver", "py:fake_solvers:too_big",
          "--time-limit", "30", "--out", str(out), "--no-store"])
    assert "skipped: edition limit" in capsys.readouterr().out
    s = pd.read_csv(out / "summary.csv").set_index("config").loc["py:fake_solvers:too_big"]
    assert s["edition_limit"] == 1 and s["failures"] == 0 and s["solved"] == 0 and s["instances"] == 0
    assert "| ed. |" in (out / "table.md").read_text()


@pytest.mark.skipif(not solver_available("cplex")[0], reason="cplex (Community Edition) is not installed")
def test_cplex_community_edition_limit_recognised(tmp_path):
    report = run_bench([ROOT / "instances" / "siberia-2030.yaml"], ["cplex"], time_limit=30, out=tmp_path / "o",
                       plots=False)
    run = report.runs.iloc[0]
    assert run["status"] == "edition_limit" and "1016" in run["message"]


def test_list_solvers_says_why_and_how(monkeypatch, capsys):
    rows = {r["name"]: r for r in list_solvers()}
    assert set(FREE + COMMERCIAL) <= set(rows) and rows["highs"]["available"]
    monkeypatch.setenv("PATH", "/nonexistent")  # neither cbc nor glpsol can be found
    rows = {r["name"]: r for r in list_solvers()}
    assert not rows["cbc"]["available"] and "apt-get install coinor-cbc" in rows["cbc"]["install"]
    assert "no glpsol program on the PATH" in rows["glpk"]["why_not"]
    assert "2,000 variables" in rows["gurobi"]["edition"] and "forbids publishing" in rows["gurobi"]["publish"]
    main(["bench", "--list-solvers"])
    out = capsys.readouterr().out
    assert "coinor-cbc" in out and "missing" in out and "available" in out
    assert shutil.which("cbc") is None


def test_mittelmann_table_by_hand():
    runs = pd.DataFrame([
        dict(instance="p1", config="A", solver="a", status="optimal", total_s=1.0, objective=10.0, time_limit=60.0,
             known_optimum=10.0, objective_sense="min", kind="mps", has_solution=True, solver_version="A 1"),
        dict(instance="p1", config="B", solver="b", status="optimal", total_s=0.5, objective=11.0, time_limit=60.0,
             known_optimum=10.0, objective_sense="min", kind="mps", has_solution=True, solver_version="B 2"),
        dict(instance="p2", config="A", solver="a", status="time_limit", total_s=61.0, objective=5.0, time_limit=60.0,
             known_optimum=np.nan, objective_sense="min", kind="mps", has_solution=True, solver_version="A 1"),
        dict(instance="p2", config="B", solver="b", status="edition_limit", total_s=np.nan, objective=np.nan,
             time_limit=60.0, known_optimum=np.nan, objective_sense="min", kind="mps", has_solution=False,
             solver_version="B 2"),
    ])
    runs = mark_wrong(runs, 1e-4)
    assert runs["wrong"].tolist() == [False, True, False, False]
    summary = summarize(runs)
    s = summary.set_index("config")
    assert s.loc["B", "wrong"] == 1 and s.loc["B", "solved"] == 0 and s.loc["B", "edition_limit"] == 1
    assert s.loc["B", "sgm_s"] == pytest.approx(60.0)  # the wrong run at the limit; p2 left out (edition limit)
    assert s.loc["A", "sgm_s"] == pytest.approx(((1 + 10) * (60 + 10)) ** 0.5 - 10)
    table = mittelmann_table(runs, summary)
    assert "shift 10 s" in table and "| p1 | 1 | WRONG |" in table and "| p2 | t/o | ed. |" in table


def test_a_run_within_the_solvers_own_gap_is_not_wrong_and_an_unchecked_mps_plan_proves_nothing():
    """Known optimum 100 (min), gap 0.01: 101.005 is within the solver's own gap (|z - z*| / |z| = 0.00995), so
    not wrong at the tolerance write_bench_report uses (g / (1 - g) + 1e-6); 101.5 is wrong. On an MPS file
    without a known optimum, a better but unchecked objective by another solver does not make a run wrong."""
    gap = 0.01
    tol = gap / (1 - gap) + 1e-6

    def run(instance, config, z, known):
        return dict(instance=instance, config=config, solver=config, status="optimal", total_s=1.0, objective=z,
                    time_limit=60.0, known_optimum=known, objective_sense="min", kind="mps", has_solution=True,
                    solver_version="x")

    runs = pd.DataFrame([run("p", "A", 101.005, 100.0), run("p", "B", 101.5, 100.0),
                         run("q", "A", 50.0, np.nan), run("q", "B", 40.0, np.nan)])
    assert mark_wrong(runs, tol)["wrong"].tolist() == [False, True, False, False]
