"""The robust solve at scale: the warm start from the plan of the first K0 futures, the whole-solve time limit and
the gap HiGHS proves (optimizer/uncertainty/robust.py).

Base case (instances/siberia-2030.yaml) at K = 4 futures (seed 0), mean HPO, ``expected:5``: small enough to solve
to a gap of 1e-4 in seconds, large enough that the plan of the first futures is not the plan of all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reeplan.errors import UsageError
from reeplan.instance.io import load_instance
from reeplan.models.stochastic import FIRST_STAGE, BudgetRule, Risk, build_extensive_form
from reeplan.options import SolveOptions
from reeplan.solving import highs
from reeplan.uncertainty import robust
from reeplan.uncertainty.futures import apply_future, sample_futures

ROOT = Path(__file__).resolve().parents[2]
SIBERIA = ROOT / "instances" / "siberia-2030.yaml"
RULE = BudgetRule("expected", limit_bn_rub=5.0)
K, K0 = 4, 2
OPTS = SolveOptions(threads=1, mip_gap=1e-4, tie_break=False)


@pytest.fixture(scope="module")
def base():
    return load_instance(SIBERIA)


@pytest.fixture(scope="module")
def futures(base):
    return [apply_future(base, f) for f in sample_futures(base, K, 0).to_dict("records")]


@pytest.fixture(scope="module")
def cold(base):
    return robust.solve_robust(base, scenarios=K, seed=0, budget=RULE, warm_start_scenarios=0, options=OPTS)


@pytest.fixture(scope="module")
def warm(base):
    return robust.solve_robust(base, scenarios=K, seed=0, budget=RULE, warm_start_scenarios=K0, options=OPTS)


def test_warm_start_size_default_and_bad_values():
    assert robust.warm_start_size(200, None) == 25 and robust.warm_start_size(100, None) == 12
    assert robust.warm_start_size(99, None) == 0 and robust.warm_start_size(20, 5) == 5
    for bad in (-1, 20, 21):
        with pytest.raises(UsageError, match="--warm-start-scenarios"):
            robust.warm_start_size(20, bad)


def test_tightened_rule():
    assert robust.tightened(BudgetRule("chance", alpha=0.2), 0.5).label == "chance:0.1"
    assert robust.tightened(RULE, 0.5).label == "expected:2.5"
    assert robust.tightened(BudgetRule("cvar", alpha=0.8, limit_bn_rub=20), 0.5).label == "cvar:0.8:10"
    assert robust.tightened(BudgetRule(), 0.5).label == "nominal"


def test_warm_and_cold_agree_within_their_gaps(cold, warm):
    """Both runs solve the same K-future model: their objectives differ by no more than both gaps allow."""
    assert cold.status.value == warm.status.value == "optimal"
    start = warm.kpis["robust"]["warm_start"]
    assert start["scenarios"] == K0 and start["small_rule"] == "expected:2.5"
    assert start["start_objective"] is not None, "the plan of the first futures keeps the rule over all of them"
    slack = (cold.mip_gap + warm.mip_gap) * abs(cold.objective) + 1e-6
    assert abs(warm.objective - cold.objective) <= slack
    assert cold.kpis["robust"]["warm_start"] is None


@pytest.mark.parametrize("which", ["cold", "warm"])
def test_reported_gap_is_the_incumbent_and_bound(which, request):
    """gap = (bound - incumbent) / incumbent for a maximisation, by hand; the words carry the same numbers."""
    r = request.getfixturevalue(which)
    k = r.kpis["robust"]
    assert r.best_bound >= r.objective - 1e-6
    assert r.mip_gap == pytest.approx((r.best_bound - r.objective) / r.objective, abs=1e-12)
    assert k["stage1_gap"] == pytest.approx((k["stage1_bound"] - k["stage1_objective"]) / k["stage1_objective"],
                                            abs=1e-12)
    assert r.mip_gap <= 1e-4 + 1e-9  # optimal at the gap asked
    words = k["gap_statement"]
    assert f"gap {r.mip_gap:.3%} proven by HiGHS's bound" in words
    assert f"above {r.best_bound:,.1f} t" in words and f"over the {K} futures" in words
    assert ("proves no bound by itself" in words) == (which == "warm")


def test_start_value_is_the_plan_of_the_first_futures_re_solved(base, futures, warm):
    """The start's objective = the plan of the first K0 futures (re-solved from scratch under the tightened rule)
    with its first stage fixed in a fresh K-future model; the final plan is at least as good."""
    small = build_extensive_form(base, futures[:K0], Risk(), robust.tightened(RULE, robust.WARM_START_RULE_MARGIN))
    shm = highs.HighsModel(small)
    assert highs.run(shm, time_limit=60, mip_gap=1e-4, threads=1, options={}).status.value == "optimal"
    shm.load_plan()
    plan = {key: v for key, v in robust.first_stage_values(small).items()}
    big = build_extensive_form(base, futures, Risk(), RULE)
    for name in FIRST_STAGE:
        for idx, var in getattr(big, name).items():
            var.fix(plan.get((name, idx), 0.0))
    run = highs.run(highs.HighsModel(big), time_limit=60, mip_gap=1e-4, threads=1, options={})
    start = warm.kpis["robust"]["warm_start"]["start_objective"]
    assert run.status.value == "optimal"
    assert start == pytest.approx(run.incumbent, rel=2e-4)  # both within HiGHS's gap of the fixed plan's best
    assert warm.objective >= start - 1e-6


def test_highs_uses_the_start(base, futures):
    """Stopped before it can search (1 ms), HiGHS reports the start as its incumbent; cold, it has nothing."""
    runs = {}
    for k0 in (0, K0):
        m = build_extensive_form(base, futures, Risk(), RULE)
        hm = highs.HighsModel(m)
        info = robust._warm_start(base, futures[:k0], Risk(), RULE, hm, OPTS, 60.0) if k0 else None
        runs[k0] = (info, highs.run(hm, time_limit=1e-3, mip_gap=1e-4, threads=1, options={}, changes_pushed=bool(k0)))
    info, run = runs[K0]
    assert run.has_plan and run.incumbent >= info["start_objective"] - 1e-6
    assert not runs[0][1].has_plan
