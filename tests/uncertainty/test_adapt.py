"""Adaptive re-planning (reeplan.uncertainty.adapt): what is revealed when, commitments kept, the nominal
future reproduced, the same numbers whatever the workers, and the command line."""

from __future__ import annotations

import pandas as pd
import pytest
from reeplan.instance.io import load_instance
from reeplan.options import SolveOptions
from reeplan.solving.pipeline import solve
from reeplan.uncertainty.adapt import adapt_future, adapt_plan, revealed, started_items
from reeplan.uncertainty.futures import nominal_future, sample_futures
from reeplan.uncertainty.stress import evaluate_futures, plan_from_result

from tests.conftest import ROOT, run_reeplan

BASE = ROOT / "instances" / "siberia-2030.yaml"


@pytest.fixture(scope="module")
def base():
    inst = load_instance(BASE)
    return inst, plan_from_result(inst, solve(inst, SolveOptions(marginals=False, why=False)))


def test_what_is_revealed_when(base):
    """Nothing before the first year; then the operating inputs, and delay and capex of exactly the items the
    plan started before that year (committed ones are under way), and R&D outcomes once complete."""
    inst, plan = base
    future = sample_futures(inst, 1, seed=3).to_dict("records")[0]
    assert revealed(inst, plan, future, inst.horizon.start_year) == {}
    known = revealed(inst, plan, future, 2026)
    started = started_items(inst, plan, 2026)
    for column in future:
        if "[" not in column:
            continue
        kind, item = column[:-1].split("[", 1)
        if kind in ("supply_shortfall", "power_price", "link_availability"):
            assert column in known
        elif kind in ("capex_overrun", "construction_delay_yr"):
            assert (column in known) == (item in started), column
    sites = {s.name for s in inst.sites}
    by_2026 = {name for (var, (name, t)), v in plan.items() if var == "Modules_Built_By" and t < 2026 and v >= 0.5}
    assert {i.split(":", 1)[1] for i in started if i.startswith("site:")} == by_2026 & sites
    programmes = {r.name: r.duration_yr for r in inst.rd_programmes}
    for column in known:
        if column.startswith(("rd_success", "rd_effect")):
            name = column[:-1].split(":", 1)[1]
            start = min(t for (var, (k, t)), v in plan.items() if var == "Project_Begun" and k == f"programme:{name}"
                        and v >= 0.5)
            assert start + programmes[name] <= 2026


def test_the_nominal_future_keeps_the_plans_output(base):
    """Every value at its point estimate: each re-plan sees the plan's own world, so the policy's HPO is the
    plan's (21,870 t, the deterministic optimum), and its first-year decisions are the plan's."""
    inst, plan = base
    final, info = adapt_future(inst, plan, nominal_future(inst))
    static, adaptive = evaluate_futures(inst, plan, [{}])[0], evaluate_futures(inst, final, [{}])[0]
    assert adaptive["hpo_t"] == pytest.approx(static["hpo_t"], rel=1e-6)
    assert static["hpo_t"] == pytest.approx(21870.0, rel=1e-6)
    assert info["replans"] >= 1
    first = inst.horizon.start_year
    assert {k: v for k, v in final.items() if k[1][1] == first} == {k: v for k, v in plan.items() if k[1][1] == first}


def test_commitments_are_kept_and_the_static_rows_are_the_stress_tests(base):
    inst, plan = base
    future = sample_futures(inst, 3, seed=5).to_dict("records")[2]
    final, info = adapt_future(inst, plan, future)
    first = inst.horizon.start_year
    assert {k: v for k, v in final.items() if k[1][1] == first} == {k: v for k, v in plan.items() if k[1][1] == first}
    report = adapt_plan(inst, plan, samples=3, seed=5)
    static = pd.DataFrame(evaluate_futures(inst, plan, sample_futures(inst, 3, seed=5).to_dict("records")))
    assert report.samples["static_hpo_t"].tolist() == pytest.approx(static["hpo_t"].tolist())
    assert report.samples.loc[2, "adaptive_hpo_t"] == pytest.approx(evaluate_futures(inst, final, [future])[0]["hpo_t"],
                                                                    rel=1e-6)
    gain = report.samples["adaptive_hpo_t"] - report.samples["static_hpo_t"]
    assert report.summary["value_of_flexibility_t"] == pytest.approx(gain.mean())


def test_same_numbers_whatever_the_workers():
    inst = load_instance(ROOT / "instances" / "tiny.yaml")
    plan = plan_from_result(inst, solve(inst, SolveOptions(marginals=False, why=False)))
    one = adapt_plan(inst, plan, samples=6, seed=2, workers=1)
    two = adapt_plan(inst, plan, samples=6, seed=2, workers=2)
    cols = [c for c in one.samples.columns if not c.endswith("seconds")]
    pd.testing.assert_frame_equal(one.samples[cols], two.samples[cols])


def _reeplan(*args, cwd):
    return run_reeplan(*args, cwd=cwd)


def test_adapt_command_writes_its_tables_and_refuses_bad_counts(tmp_path):
    tiny = ROOT / "instances" / "tiny.yaml"
    done = _reeplan("adapt", str(tiny), "--samples", "4", "--workers", "1", "--out", "out", "--no-store",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("adapt_samples.csv", "adapt_comparison.csv", "adapt_targets.csv", "adapt_summary.json",
                 "adapt_outcomes.png"):
        assert (tmp_path / "out" / name).exists(), name
    assert "value of flexibility" in done.stdout
    bad = _reeplan("adapt", str(tiny), "--samples", "0", "--out", "bad", "--no-store", cwd=tmp_path)
    assert bad.returncode == 2 and "--samples must be at least 1" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
