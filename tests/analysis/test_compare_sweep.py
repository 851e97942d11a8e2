"""compare, sweep, alternatives and marginal values on hand-checkable instances."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from functools import partial

import pandas as pd
import pytest
from reeplan.analysis.alternatives import alternatives_table, find_alternatives
from reeplan.analysis.compare import compare, solve_missing
from reeplan.analysis.sweep import run_sweep, threshold_budget
from reeplan.analysis.sweep_plan import POINTS_DIR, make_plan, parse_values
from reeplan.instance.io import load_instance
from reeplan.report.compare_plots import compare_charts
from reeplan.solving.pipeline import solve
from reeplan.sources import parse_scenario
from reeplan.store.runs import record_run_quietly

from tests.conftest import DATA, ROOT

TWO = str(DATA / "two_sites.yaml")
NO_POLICY = "policy.plants_online.enabled=false"


def test_compare_two_budgets_hand_checked(tmp_path):
    """Budget 10 vs 5 (no plant rule): at 10 the plan is R1 + New (open 1, road 1, power 1, 2 modules 4)
    = 9 bn and 1,050 t; at 5 only R1 (2 bn), 350 t (see test_solve_hand). So the diff is exactly the New
    site's 7 bn, New opens only in the first, and the inputs differ only in the budget."""
    first = parse_scenario(f"{TWO}@{NO_POLICY}")
    second = parse_scenario(f"{TWO}@{NO_POLICY}@budget.total_bn_rub=5")
    solve_missing([first, second])
    cmp = compare([first, second])
    a, b = first.label, second.label
    assert math.isclose(cmp.kpis.loc["hpo_t (target year)", a], 1050, rel_tol=1e-6)
    assert math.isclose(cmp.kpis.loc["hpo_t (target year)", b], 350, rel_tol=1e-6)
    moved = {(r.area, r.item): (r._4, r._5) for r in cmp.allocation.itertuples()}
    assert moved == {("plants", "New"): (5.0, 0.0), ("logistics", "road"): (1.0, 0.0), ("power", "P-New"): (1.0, 0.0)}
    assert list(cmp.plants["site"]) == ["New"] and cmp.plants["difference"][0] == f"new plant only in {a}"
    assert set(cmp.timing["project"]) == {"road", "P-New"}
    assert list(cmp.inputs["parameter"]) == ["budget.total_bn_rub"]
    written = cmp.write(tmp_path) + compare_charts(cmp, tmp_path)
    assert (tmp_path / "spend_by_area.png").stat().st_size > 1000 and len(written) == 14  # 6 tables x CSV + Parquet, 2 charts


def test_compare_accepts_result_folders_and_scenario_files(tmp_path):
    res = solve(load_instance(TWO))
    res.write(tmp_path / "saved", load_instance(TWO))
    (tmp_path / "half.yaml").write_text(f"base: {TWO}\nname: half\noverrides:\n  budget.total_bn_rub: 5\n")
    saved, scen = parse_scenario(str(tmp_path / "saved")), parse_scenario(str(tmp_path / "half.yaml"))
    assert saved.result is not None and scen.label == "half"
    solve_missing([saved, scen])
    cmp = compare([saved, scen])
    assert list(cmp.inputs["parameter"]) == ["budget.total_bn_rub"]


def test_parse_values():
    assert parse_values("300:1000:350") == [300.0, 650.0, 1000.0]
    assert parse_values("1,2.5") == [1.0, 2.5]
    from reeplan.errors import UsageError

    for bad in ("1:2", "5:1:1", "1:2:0", "x", ""):
        with pytest.raises(UsageError):
            parse_values(bad)


def test_sweep_matches_independent_solves_and_is_monotone(tmp_path):
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["0:12:3"], base_overrides=(NO_POLICY,))
    df = run_sweep(plan, tmp_path)
    assert list(df["status"]) == ["optimal"] * 5
    assert df["reused"].iloc[1:].all()  # one model for the whole sweep
    for budget, hpo in zip(df["budget.total_bn_rub"], df["hpo_t"]):
        cold = solve(load_instance(TWO, [NO_POLICY, f"budget.total_bn_rub={budget}"]))
        assert math.isclose(hpo, cold.objective, rel_tol=1e-6, abs_tol=1e-6)
    assert all(b >= a - 1e-6 for a, b in zip(df["hpo_t"], df["hpo_t"].iloc[1:]))
    assert len(list((tmp_path / POINTS_DIR).glob("*.json"))) == 5


def test_sweep_grid_and_failing_point(tmp_path):
    plan = make_plan(TWO, ["budget.total_bn_rub", "technology.recovery_today"], ["5,10", "0.5,1.5"],
                     base_overrides=(NO_POLICY,))
    df = run_sweep(plan, tmp_path)
    assert len(df) == 4
    bad = df[df["technology.recovery_today"] == 1.5]
    assert set(bad["status"]) == {"error"} and bad["error"].str.contains("recovery_today").all()
    assert set(df[df["technology.recovery_today"] == 0.5]["status"]) == {"optimal"}


def test_killed_sweep_resumes_without_redoing_points(tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "reeplan", "sweep", TWO, "--param", "budget.total_bn_rub", "--values", "0:40:1",
           "--set", NO_POLICY, "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / POINTS_DIR).glob("*.json"))) < 3:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (out / POINTS_DIR).glob("*.json")}
    assert 3 <= len(before) < 41, "the sweep should have been killed part-way"
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["0:40:1"], base_overrides=(NO_POLICY,))
    df = run_sweep(plan, out, resume=True)
    assert len(df) == 41 and set(df["status"]) == {"optimal"}
    after = {p.name: p.stat().st_mtime_ns for p in (out / POINTS_DIR).glob("*.json")}
    assert all(after[name] == mtime for name, mtime in before.items())  # finished points not redone


def test_sweep_with_two_local_workers(tmp_path):
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["0:12:4"], base_overrides=(NO_POLICY,))
    one = run_sweep(plan, tmp_path / "one")
    two = run_sweep(plan, tmp_path / "two", workers=2)
    assert [round(x, 6) for x in one["hpo_t"]] == [round(x, 6) for x in two["hpo_t"]]


def test_sweep_on_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        plan = make_plan(TWO, ["budget.total_bn_rub"], ["4,8,12"], base_overrides=(NO_POLICY,))
        df = run_sweep(plan, tmp_path, scheduler=cluster.scheduler_address)
    assert list(df["status"]) == ["optimal"] * 3
    assert math.isclose(df["hpo_t"].iloc[-1], 1050, rel_tol=1e-6)


def test_threshold_budget_by_bisection():
    """700 t HPO needs R1 (2) + New opened with road, power and one module (5) = 7 bn (test_solve_hand)."""
    found = threshold_budget(TWO, 700, 0, 20, tolerance=0.01, base_overrides=(NO_POLICY,))
    assert found["reachable"] and 7.0 <= found["value"] <= 7.01
    out = threshold_budget(TWO, 5000, 0, 20, base_overrides=(NO_POLICY,))
    assert not out["reachable"]
    # the ceiling is the 1,050 t of test_solve_hand (supply 3,000 t x 0.35), and concentrate caps it:
    # 10 % more supply gives 3,300 t x 0.35 = 1,155 t only with a third New module, which 20 bn buys
    assert math.isclose(out["ceiling_hpo_t"], 1050, rel_tol=1e-6)
    assert "ceiling there is 1,050 t" in out["message"] and "reachable concentrate" in out["message"]
    top = out["limits"][0]
    assert top["limit"] == "reachable concentrate" and math.isclose(top["gain"], 105, rel_tol=1e-6)


def test_marginal_value_matches_sweep_finite_difference():
    """With opex counted against the budget and budget 11.5-12 bn, the plan's integers are fixed (R1 + New
    with 2 modules = 9 bn of capital) and the rest of the money buys feed: each t costs 1e-3 bn processing
    + 8 MWh x 3,000 RUB + ~200 RUB transport = 1.0242e-3 bn and yields 0.35 t HPO, so the LP dual of the
    total budget is 0.35 / 1.0242e-3 = 341.7 t HPO per bn RUB; the sweep's finite difference agrees."""
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["11.5,11.75,12"],
                     base_overrides=(NO_POLICY, "budget.opex_counts=true"))
    df = run_sweep(plan)
    fd = df["fd_hpo_per_unit"].iloc[1:]
    duals = df["marginal_total_hpo_per_bn_rub"]
    assert all(math.isclose(d, 341.73, rel_tol=1e-3) for d in duals)
    assert all(math.isclose(f, d, rel_tol=1e-3) for f, d in zip(fd, duals.iloc[1:]))


def test_alternatives_are_near_optimal_distinct_and_checked():
    inst = load_instance(ROOT / "instances" / "siberia-2030.yaml")
    alts = find_alternatives(inst, count=3, slack=0.02)
    best = alts[0].objective
    assert len(alts) == 3
    funded = [tuple(sorted(k for k, v in a.funded.items() if v)) for a in alts]
    assert len(set(funded)) == 3  # distinct funded decisions
    for alt in alts:
        assert alt.objective >= (1 - 0.02) * best - 1e-6
        assert alt.violations == []
    table = alternatives_table(alts)
    assert list(table.columns) == ["plan 1", "plan 2", "plan 3"] and (table.loc["checker"] == "ok").all()


def test_cli_sweep_and_compare(tmp_path):
    from reeplan.cli.app import main

    main(["sweep", TWO, "--param", "budget.total_bn_rub", "--values", "5,10", "--set", NO_POLICY,
          "--out", str(tmp_path / "s")])  # returns normally on success
    assert (tmp_path / "s" / "sweep.csv").exists() and (tmp_path / "s" / "curve.png").stat().st_size > 1000
    main(["compare", TWO, f"{TWO}@budget.total_bn_rub=5", "--out", str(tmp_path / "c")])
    assert (tmp_path / "c" / "kpis.csv").exists()
    for folder, stem in (("s", "sweep"), ("c", "kpis"), ("c", "allocation_diff")):  # typed Parquet beside the CSV
        typed = pd.read_parquet(tmp_path / folder / f"{stem}.parquet")
        text = pd.read_csv(tmp_path / folder / f"{stem}.csv")
        assert list(typed.columns) == list(text.columns) and len(typed) == len(text) > 0
        numbers = [c for c in text.select_dtypes("number").columns if c in typed.select_dtypes("number").columns]
        assert numbers or stem == "kpis"  # figures stay numbers (a KPI column mixing text and numbers is text)
        pd.testing.assert_frame_equal(typed[numbers].astype(float), text[numbers].astype(float), check_exact=False)
    with pytest.raises(SystemExit) as exc:
        main(["sweep", TWO, "--param", "budget.total_bn_rub", "--values", "1:2"])
    assert exc.value.code == 2


def test_plateau_points_are_inferred_and_match_cold_solves(tmp_path):
    """From 9 bn up the two-site optimum is the same plan (1,050 t for 9 bn of capital): with equal output
    and equal cheapest cost at 9 and 14 bn, every budget between has that plan as its optimum (more money
    only adds plans, and a cheaper plan there would also have been feasible at 9 bn)."""
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["9:14:1"], base_overrides=(NO_POLICY,))
    df = run_sweep(plan, tmp_path)
    inferred = df[df["inferred_from"].notna()]
    assert len(inferred) == 4 and set(inferred["inferred_from"]) == {0}
    for budget, hpo, spend in zip(df["budget.total_bn_rub"], df["hpo_t"], df["spend_bn_rub"]):
        cold = solve(load_instance(TWO, [NO_POLICY, f"budget.total_bn_rub={budget}"]))
        assert math.isclose(hpo, cold.objective, rel_tol=1e-6)
        assert math.isclose(spend, cold.kpis["spend_bn_rub"], rel_tol=1e-6)


def test_sweep_points_and_compare_scenarios_are_recorded(tmp_path):
    from reeplan.store.runs import list_runs

    store = tmp_path / "runs.sqlite"
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["5,10"], base_overrides=(NO_POLICY,), 
                     extra={"record": partial(record_run_quietly, str(store))})
    df = run_sweep(plan)
    runs = list_runs(store)
    assert len(runs) == 2 and df["run_id"].notna().all()
    first = parse_scenario(str(int(df["run_id"].iloc[0])), store)
    second = parse_scenario(f"run:{int(df['run_id'].iloc[1])}", store)
    cmp = compare([first, second])
    assert list(cmp.inputs["parameter"]) == ["budget.total_bn_rub"]
    assert math.isclose(cmp.kpis.loc["hpo_t (target year)", "run 2"], 1050, rel_tol=1e-6)


def test_resume_refuses_a_sweep_whose_instance_file_changed(tmp_path):
    """Same path, other content: the finished points belong to the old file, so --resume is refused (exit 2)."""
    inst = tmp_path / "two.yaml"
    inst.write_text((DATA / "two_sites.yaml").read_text())
    plan = make_plan(str(inst), ["budget.total_bn_rub"], ["5,10"], base_overrides=(NO_POLICY,))
    run_sweep(plan, tmp_path / "s")
    inst.write_text(inst.read_text().replace("recovery_today: 0.5", "recovery_today: 0.45", 1))
    from reeplan.errors import UsageError

    with pytest.raises(UsageError, match="changed"):
        run_sweep(plan, tmp_path / "s", resume=True)
