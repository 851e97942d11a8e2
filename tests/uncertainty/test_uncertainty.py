"""Uncertainty: sampling, futures, the stress test and the robust plan, checked against hand derivations.

Instances:
- instances/tiny.yaml (its max-hpo optimum is derived at the top of that file): the plan is purity-rd
  + New Works (site 1 + module 2) + grid-to-new (1) + build-new-road (1), all started in 2025, ready in
  2027 = the target year; 7 bn spent of a 7 bn budget (R&D 2 of 2). Feed 1,000 t (500 at each site),
  technology 0.6 x 0.5 = 0.30 HPO per t -> 300 t HPO in 2027.
- tests/data/two_sites.yaml (derived in tests/solving/test_solve_hand.py): 1,050 t HPO, 9 bn spent.
- tests/data/just_in_time.yaml (derived at the top of that file): a deterministic plan that builds
  a site just in time, and a robust one that builds it a year earlier.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from reeplan.errors import InstanceError, UsageError
from reeplan.instance.io import load_instance
from reeplan.instance.schema import UNCERTAIN_INPUTS, Distribution
from reeplan.models.stochastic import Risk
from reeplan.options import SolveOptions
from reeplan.solving.pipeline import solve
from reeplan.uncertainty.futures import (
    DEFAULT_UNCERTAINTY,
    apply_future,
    draw,
    nominal_future,
    quantile,
    resolved_uncertainty,
    sample_futures,
    uncertain_items,
)
from reeplan.uncertainty.robust import parse_risk, solve_robust
from reeplan.uncertainty.stress import evaluate_futures, plan_from_result, stress_test

from tests.conftest import DATA, ROOT, load_two_sites

REL = 1e-6
TINY = ROOT / "instances" / "tiny.yaml"
SIBERIA = ROOT / "instances" / "siberia-2030.yaml"
JIT = DATA / "just_in_time.yaml"
EXACT = SolveOptions(mip_gap=1e-6, threads=1)  # robust solves: optimal to 1e-6, one thread (shared machine)


def close(a: float, b: float, rel: float = REL, abs_: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _with_uncertainty(tmp_path: Path, section, base: Path = TINY) -> Path:
    """A copy of ``base`` (YAML) with its ``uncertainty`` section replaced, written under tmp_path."""
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    data["uncertainty"] = section
    path = tmp_path / f"{base.stem}-uncertain.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _load_with(tmp_path: Path, section, base: Path = TINY):
    return load_instance(_with_uncertainty(tmp_path, section, base))


# Every input fixed at its point estimate (what UNCERTAIN_INPUTS says the nominal future is).
FIXED_AT_NOMINAL = {key: {"default": {"kind": "fixed", "value": spec[3]}} for key, spec in UNCERTAIN_INPUTS.items()}
# Point estimates, hand-written: a check on UNCERTAIN_INPUTS itself.
NOMINAL_BY_HAND = {"capex_overrun": 1.0, "construction_delay_yr": 0.0, "rd_success": 1.0, "rd_effect": 1.0,
                   "supply_shortfall": 0.0, "power_price": 1.0, "link_availability": 1.0}


@pytest.fixture(scope="module")
def tiny():
    return load_instance(TINY)


@pytest.fixture(scope="module")
def tiny_solved(tiny):
    return solve(tiny)


@pytest.fixture(scope="module")
def tiny_plan(tiny, tiny_solved):
    return plan_from_result(tiny, tiny_solved)


@pytest.fixture(scope="module")
def jit():
    return load_instance(JIT)


@pytest.fixture(scope="module")
def jit_solved(jit):
    return solve(jit)


# ---------------------------------------------------------------------------------------------------
# 1. Zero variance: every future is the point estimate, every sample reproduces solve()
# ---------------------------------------------------------------------------------------------------

def test_nominal_values_are_the_documented_point_estimates():
    assert {k: v[3] for k, v in UNCERTAIN_INPUTS.items()} == NOMINAL_BY_HAND


def _assert_every_sample_is_the_solve(report, result):
    hpo, spend = result.kpis["hpo_t"], result.kpis["spend_bn_rub"]
    assert close(result.objective, hpo)
    assert (report.samples["status"] == "optimal").all()
    for row in report.samples.itertuples():
        assert close(row.hpo_t, hpo), (row.Index, row.hpo_t, hpo)
        assert close(row.spend_bn_rub, spend), (row.Index, row.spend_bn_rub, spend)
        assert close(row.overrun_bn_rub, max(0.0, spend - report.summary["budget_bn_rub"]))
    assert close(report.nominal["hpo_t"], hpo)
    s = report.summary
    assert close(s["hpo_mean_t"], hpo) and close(s["hpo_std_t"], 0.0) and close(s["hpo_p10_t"], hpo)
    assert close(s["hpo_min_t"], hpo) and close(s["hpo_max_t"], hpo)
    assert s["p_hpo_at_least_planned"] == 1.0 and s["failed_samples"] == 0


@pytest.mark.parametrize("section", [{"enabled": False}, FIXED_AT_NOMINAL], ids=["disabled", "fixed-at-nominal"])
@pytest.mark.parametrize("base", [TINY, DATA / "two_sites.yaml"], ids=["tiny", "two-sites"])
def test_zero_variance_stress_reproduces_solve(tmp_path, section, base):
    """No input varies: there is no uncertain item, every future is {} (the point estimate), and each
    of the 4 samples gives exactly the deterministic HPO (tiny 300 t, two-sites 1,050 t) and spend
    (7 / 9 bn, no overrun)."""
    inst = _load_with(tmp_path, section, base)
    assert uncertain_items(inst) == []
    table = sample_futures(inst, 4, seed=11)
    assert table.shape == (4, 0)
    assert nominal_future(inst) == {}
    res = solve(inst)
    assert close(res.objective, {"tiny": 300.0, "two_sites": 1050.0}[base.stem])
    report = stress_test(inst, plan_from_result(inst, res), samples=4, seed=11)
    _assert_every_sample_is_the_solve(report, res)
    assert len(report.tornado) == 0  # nothing to swing


def test_degenerate_distributions_reproduce_solve(tmp_path, tiny_solved):
    """Distributions that are not `fixed` but have a single possible value equal to the point estimate
    (uniform(1, 1), triangular(0, 0, 0), discrete [1] with probability 1, bernoulli p = 1) are sampled
    like any other, yet every draw is the point estimate: 300 t and 7 bn in every future."""
    section = {
        "capex_overrun": {"default": {"kind": "uniform", "low": 1, "high": 1}},
        "construction_delay_yr": {"default": {"kind": "discrete", "values": [0], "probabilities": [1]}},
        "rd_success": {"default": {"kind": "bernoulli", "p": 1}},
        "rd_effect": {"default": {"kind": "triangular", "low": 1, "mode": 1, "high": 1}},
        "supply_shortfall": {"default": {"kind": "triangular", "low": 0, "mode": 0, "high": 0}},
        "power_price": {"default": {"kind": "uniform", "low": 1, "high": 1}},
        "link_availability": {"default": {"kind": "discrete", "values": [1], "probabilities": [1]}},
    }
    inst = _load_with(tmp_path, section)
    table = sample_futures(inst, 3, seed=5)
    assert table.shape[1] == len(uncertain_items(inst)) > 0
    for item in uncertain_items(inst):
        assert (table[item.column] == item.nominal).all()
    report = stress_test(inst, plan_from_result(inst, tiny_solved), samples=3, seed=5)
    _assert_every_sample_is_the_solve(report, tiny_solved)


def test_zero_variance_siberia_base_case():
    """The bundled base case with sampling switched off: 5 stress samples, each the solve's HPO and spend."""
    inst = load_instance(SIBERIA, ["uncertainty={'enabled': false}"])
    assert uncertain_items(inst) == []
    res = solve(inst)
    assert res.status.value == "optimal"
    report = stress_test(inst, plan_from_result(inst, res), samples=5, seed=0)
    _assert_every_sample_is_the_solve(report, res)


# ---------------------------------------------------------------------------------------------------
# 2. Hand-computed futures on tiny (plan: everything started 2025, ready 2027)
# ---------------------------------------------------------------------------------------------------

NEW = "New Works"
# (future, HPO t, spend bn, overrun bn, R&D overrun bn), each derived in the docstring below.
HAND_FUTURES = {
    "nominal": ({}, 300.0, 7.0, 0.0, 0.0),
    "site-late": ({f"construction_delay_yr[site:{NEW}]": 1}, 150.0, 7.0, 0.0, 0.0),
    "road-late": ({"construction_delay_yr[link_upgrade:build-new-road]": 2}, 150.0, 7.0, 0.0, 0.0),
    "half-supply": ({"supply_shortfall[deposit:Mine]": 0.5}, 150.0, 7.0, 0.0, 0.0),
    "rd-fails": ({"rd_success[programme:purity-rd]": 0}, 100.0, 7.0, 0.0, 0.0),
    "rd-half-effect": ({"rd_effect[programme:purity-rd]": 0.5}, 192.5, 7.0, 0.0, 0.0),
    "road-30pct": ({"link_availability[link:mine-to-new-road]": 0.3}, 240.0, 7.0, 0.0, 0.0),
    "rail-60pct": ({"link_availability[link:mine-to-old-rail]": 0.6}, 300.0, 7.0, 0.0, 0.0),
    "site-capex-x1.5": ({f"capex_overrun[site:{NEW}]": 1.5}, 300.0, 8.5, 1.5, 0.0),
    "rd-capex-x1.5": ({"capex_overrun[programme:purity-rd]": 1.5}, 300.0, 8.0, 1.0, 1.0),
    "power-x1.35": ({"power_price[source:Grid]": 1.35}, 300.0, 7.0, 0.0, 0.0),
    "shortfall+rd-fails+overruns": ({"supply_shortfall[deposit:Mine]": 0.3, "rd_success[programme:purity-rd]": 0,
                                     f"capex_overrun[site:{NEW}]": 1.5, "capex_overrun[programme:purity-rd]": 1.5},
                                    70.0, 9.5, 2.5, 1.0),
}


def test_hand_futures_on_tiny(tiny, tiny_plan):
    """Feed = min(site capacity online, supply, link capacity) per site; HPO = feed x recovery x share.
    Nominal: feed 500 (Old) + 500 (New) = 1,000 t, x 0.6 x 0.5 = 300 t; capex 7 bn = budget.

    - site-late: New Works lead 2 + 1 = 3, started 2025 -> ready 2028, after 2027. Feed 500 (Old only)
      x 0.30 = 150 t. Its capex is still spent: 7 bn, no overrun.
    - road-late: build-new-road lead 2 + 2 -> ready 2029: New Works has no feed; 500 x 0.30 = 150 t.
    - half-supply: Mine supplies 1,000 x (1 - 0.5) = 500 t (both sites could take 1,000): 500 x 0.30 = 150 t.
    - rd-fails: gains x 0: today's technology 0.5 x 0.2 = 0.10 per t; 1,000 x 0.10 = 100 t.
    - rd-half-effect: recovery 0.5 + 0.5 x 0.1 = 0.55, share 0.2 + 0.5 x 0.3 = 0.35; 1,000 x 0.1925 = 192.5 t.
    - road-30pct: road 0 + 1,000 x 0.3 = 300 t/yr to New Works -> feed 500 + 300 = 800 x 0.30 = 240 t.
    - rail-60pct: rail 1,000 x 0.6 = 600 t/yr >= the 500 t Old Works takes: no effect, 300 t.
    - site-capex-x1.5: New Works costs (1 + 2) x 1.5 = 4.5 instead of 3: spend 8.5, overrun 8.5 - 7 = 1.5.
    - rd-capex-x1.5: purity-rd costs 3: spend 8, overrun 1, R&D 3 over its 2 bn envelope by 1.
    - power-x1.35: only the tariff (opex) moves, and opex does not count against this budget: 300 t, 7 bn.
    - combined: supply 700 t, technology 0.10 -> 70 t; spend 7 + 1.5 + 1 = 9.5, overrun 2.5, R&D overrun 1.
    """
    names = list(HAND_FUTURES)
    rows = evaluate_futures(tiny, tiny_plan, [HAND_FUTURES[n][0] for n in names])
    assert len(rows) == len(names)
    for name, row in zip(names, rows):
        _, hpo, spend, overrun, rd_overrun = HAND_FUTURES[name]
        assert row["status"] == "optimal", name
        assert close(row["hpo_t"], hpo), (name, row["hpo_t"], hpo)
        assert close(row["spend_bn_rub"], spend), (name, row["spend_bn_rub"], spend)
        assert close(row["overrun_bn_rub"], overrun), (name, row["overrun_bn_rub"], overrun)
        assert close(row["rd_overrun_bn_rub"], rd_overrun), (name, row["rd_overrun_bn_rub"], rd_overrun)
        # the plants_online rule (>= 1 new plant in 2027) holds only if New Works comes online
        assert row["plants_online_met"] == (name not in {"site-late"}), name


def test_hand_futures_batching_does_not_matter(tiny, tiny_plan):
    """Futures in one model share no variable: batches of 1, 3 or all give the same rows."""
    futures = [f for f, *_ in HAND_FUTURES.values()]
    by = {b: evaluate_futures(tiny, tiny_plan, futures, batch=b) for b in (1, 3, 25)}
    for b in (1, 3):
        for r1, r2 in zip(by[b], by[25]):
            assert close(r1["hpo_t"], r2["hpo_t"]) and close(r1["spend_bn_rub"], r2["spend_bn_rub"])


def test_power_price_counts_when_opex_counts(tiny, tiny_plan):
    """With opex counting against the budget, the tiny plan's 2027 operation costs (tiny.yaml header)
    processing 1,000 t x 1 m RUB = 1.000 bn, power 10 GWh x 2,000 RUB/MWh = 0.020 bn, transport 0.001 bn.
    The stress chain's output stage also runs Old Works in 2025 and 2026 (500 t each, HPO 50 t each:
    cumulative 400 t), each year processing 0.5 bn + power 5 GWh x 2,000 = 0.010 bn + rail 500 t x 500 km
    x 2 RUB = 0.0005 bn = 0.5105 bn: spend 7 + 1.021 + 1.021 = 9.042 bn. At 1.35 x the tariff power costs
    0.027 bn in 2027 and 0.0135 bn in each earlier year: spend 7 + 1.028 + 1.028 = 9.056, overrun 2.056."""
    inst = tiny.model_copy(update={"budget": tiny.budget.model_copy(update={"opex_counts": True})})
    nominal, dear = evaluate_futures(inst, tiny_plan, [{}, {"power_price[source:Grid]": 1.35}])
    assert close(nominal["hpo_t"], 300.0) and close(dear["hpo_t"], 300.0)
    assert close(nominal["cumulative_hpo_t"], 400.0) and close(dear["cumulative_hpo_t"], 400.0)
    assert close(nominal["spend_bn_rub"], 9.042) and close(nominal["overrun_bn_rub"], 2.042)
    assert close(dear["spend_bn_rub"], 9.056) and close(dear["overrun_bn_rub"], 2.056)


# ---------------------------------------------------------------------------------------------------
# 3. Same seed, same numbers
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("base", [TINY, SIBERIA], ids=["tiny", "siberia"])
def test_sample_futures_reproducible(base):
    inst = load_instance(base)
    a, b = sample_futures(inst, 30, seed=7), sample_futures(inst, 30, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == [it.column for it in uncertain_items(inst)]
    assert a.shape == (30, len(uncertain_items(inst)))
    c = sample_futures(inst, 30, seed=8)
    assert not a.equals(c)
    # the same (instance, n, seed) is always the same table, whatever was sampled before
    sample_futures(inst, 5, seed=123)
    pd.testing.assert_frame_equal(a, sample_futures(inst, 30, seed=7))


def test_stress_test_reproducible(tiny, tiny_plan):
    """Default uncertainty on tiny: two runs with seed 3 agree on every number (timings aside); seed 4 differs."""
    runs = [stress_test(tiny, tiny_plan, samples=6, seed=s) for s in (3, 3, 4)]
    drop = ["seconds"]
    pd.testing.assert_frame_equal(runs[0].samples.drop(columns=drop), runs[1].samples.drop(columns=drop))
    assert runs[0].summary == runs[1].summary
    pd.testing.assert_frame_equal(runs[0].tornado, runs[1].tornado)
    pd.testing.assert_frame_equal(runs[0].targets, runs[1].targets)
    pd.testing.assert_frame_equal(runs[0].drivers, runs[1].drivers)
    assert runs[0].text() == runs[1].text()
    sampled = [it.column for it in uncertain_items(tiny)]
    assert not runs[0].samples[sampled].equals(runs[2].samples[sampled])
    assert runs[0].summary != runs[2].summary
    # the sample table's inputs are exactly sample_futures(instance, n, seed)
    pd.testing.assert_frame_equal(runs[0].samples[sampled], sample_futures(tiny, 6, 3).reset_index(drop=True))
    # and its outcomes those of evaluate_futures on those futures
    rows = evaluate_futures(tiny, tiny_plan, sample_futures(tiny, 6, 3).to_dict("records"))
    for got, want in zip(runs[0].samples["hpo_t"], rows):
        assert close(got, want["hpo_t"])


def test_stress_test_rejects_bad_counts(tiny, tiny_plan):
    with pytest.raises(UsageError):
        stress_test(tiny, tiny_plan, samples=0)
    with pytest.raises(UsageError):
        stress_test(tiny, tiny_plan, samples=2, batch=0)


# ---------------------------------------------------------------------------------------------------
# 4. Robust plans
# ---------------------------------------------------------------------------------------------------

def _mean_hpo(instance, plan, futures: pd.DataFrame) -> float:
    rows = evaluate_futures(instance, plan, futures.to_dict("records"))
    assert all(r["status"] == "optimal" for r in rows)
    return float(np.mean([r["hpo_t"] for r in rows]))


def _cvar(values, alpha: float) -> float:
    """CVaR_alpha of a gain over equally likely values, straight from the Rockafellar-Uryasev formula
    max_eta eta - E[(eta - H)+] / (1 - alpha) (piecewise linear, concave in eta: optimum at a value)."""
    h = np.asarray(values, dtype=float)
    return max(eta - np.mean(np.maximum(eta - h, 0.0)) / (1 - alpha) for eta in h)


def test_cvar_helper_by_hand():
    """Worst 20% of ten values 1..10 is {1, 2}: CVaR_0.8 = 1.5; CVaR_0 = mean = 5.5."""
    assert close(_cvar(range(1, 11), 0.8), 1.5)
    assert close(_cvar(range(1, 11), 0.0), 5.5)


def test_jit_deterministic_plan(jit, jit_solved):
    """tests/data/just_in_time.yaml header: P1 (purity-rd 2025, New Works 2026), 121 t, 6 bn."""
    plan = plan_from_result(jit, jit_solved)
    assert close(jit_solved.objective, 121.0) and close(jit_solved.kpis["spend_bn_rub"], 6.0)
    assert plan[("Project_Begun", ("programme:purity-rd", 2025))] == 1.0
    assert plan[("Modules_Built_By", (NEW, 2025))] == 0.0 and plan[("Modules_Built_By", (NEW, 2026))] == 1.0
    late = evaluate_futures(jit, plan, [{f"construction_delay_yr[site:{NEW}]": 1}])[0]
    assert close(late["hpo_t"], 60.5)


@pytest.mark.parametrize("scenarios,seed", [(4, 0), (8, 0)])
def test_robust_jit_by_hand(jit, jit_solved, scenarios, seed):
    """With a share d of the K futures delaying New Works: mean HPO of the deterministic plan P1 is
    121 - 60.5 d, of P2 (New Works in 2025, no R&D) 100; the robust plan is the better of the two.
    K=4, seed 0: d = 1/4 -> robust = P1, 105.875 t (equal to the deterministic plan).
    K=8, seed 0: d = 5/8 -> robust = P2, 100 t, strictly better than P1's 121 - 37.8125 = 83.1875 t:
    starting New Works a year early survives the delay, at the price of the R&D programme."""
    futures = sample_futures(jit, scenarios, seed)
    assert list(futures.columns) == [f"construction_delay_yr[site:{NEW}]"]
    d = float(futures.iloc[:, 0].mean())
    assert d == {4: 0.25, 8: 0.625}[scenarios]  # the hand numbers in the docstring
    det_mean = _mean_hpo(jit, plan_from_result(jit, jit_solved), futures)
    assert close(det_mean, 121 - 60.5 * d)
    rob = solve_robust(jit, scenarios=scenarios, seed=seed, options=EXACT)
    assert rob.status.value == "optimal"
    expected = rob.kpis["robust"]["expected_hpo_in_sample_t"]
    assert close(expected, max(121 - 60.5 * d, 100.0))
    assert close(rob.objective, expected)
    assert expected >= det_mean - 1e-6
    plan = plan_from_result(jit, rob)
    early = d > 21 / 60.5
    assert plan[("Modules_Built_By", (NEW, 2025))] == float(early)
    assert plan[("Project_Begun", ("programme:purity-rd", 2025))] == float(not early)
    if early:
        assert expected > det_mean + 10.0
    # in-sample scenario outcomes: P2 gives 100 t everywhere; P1 121 on time, 60.5 late
    scen = rob.tables["scenarios"]
    for delay, hpo in zip(scen[f"construction_delay_yr[site:{NEW}]"], scen["hpo_t"]):
        assert close(hpo, 100.0 if early else (60.5 if delay else 121.0))


@pytest.mark.parametrize("base,seed", [(TINY, 3), (DATA / "two_sites.yaml", 3), (TINY, 11)],
                         ids=["tiny-3", "two-sites-3", "tiny-11"])
def test_robust_never_worse_in_sample(base, seed):
    """The deterministic plan is feasible in the extensive form and its recourse there is the stress
    model's, so the robust expected HPO over the K futures is at least the deterministic plan's mean
    over the same futures (default distributions, K = 5)."""
    inst = load_instance(base)
    det = solve(inst)
    futures = sample_futures(inst, 5, seed)
    det_mean = _mean_hpo(inst, plan_from_result(inst, det), futures)
    rob = solve_robust(inst, scenarios=5, seed=seed, options=EXACT)
    expected = rob.kpis["robust"]["expected_hpo_in_sample_t"]
    assert expected >= det_mean - 1e-6 * max(1.0, det_mean)
    # and the robust plan, re-evaluated by the stress model on the same futures, has that mean
    assert close(_mean_hpo(inst, plan_from_result(inst, rob), futures), expected, rel=1e-5)
    # the in-sample table holds those futures
    pd.testing.assert_frame_equal(rob.tables["scenarios"][list(futures.columns)], futures.reset_index(drop=True))


@pytest.mark.parametrize("section", [{"enabled": False}, FIXED_AT_NOMINAL], ids=["disabled", "fixed-at-nominal"])
def test_robust_zero_variance_is_deterministic(tmp_path, section):
    """Every future is the point estimate: the robust objective is the deterministic one (300 t on
    tiny), and the robust plan reaches it in the point-estimate future."""
    inst = _load_with(tmp_path, section)
    det = solve(inst)
    rob = solve_robust(inst, scenarios=3, seed=1, options=EXACT)
    assert close(det.objective, 300.0) and close(rob.objective, det.objective)
    assert close(rob.kpis["robust"]["expected_hpo_in_sample_t"], 300.0)
    assert close(evaluate_futures(inst, plan_from_result(inst, rob), [{}])[0]["hpo_t"], 300.0)
    assert close(rob.kpis["spend_bn_rub"], 7.0)


def test_robust_cvar_jit_by_hand(jit):
    """cvar:0.9 over K = 10 futures is the worst single future. The sample (seed 0) has a delayed one,
    so P1's CVaR is 60.5 and P2's 100: the CVaR plan is P2 with objective 100 t, which is also its mean."""
    futures = sample_futures(jit, 10, 0)
    assert futures.iloc[:, 0].max() == 1.0
    rob = solve_robust(jit, scenarios=10, seed=0, risk=parse_risk("cvar:0.9"), options=EXACT)
    assert close(rob.objective, 100.0)
    assert close(rob.kpis["robust"]["cvar_hpo_in_sample_t"], 100.0)
    assert rob.kpis["robust"]["risk"] == "cvar:0.9:1"
    assert plan_from_result(jit, rob)[("Modules_Built_By", (NEW, 2025))] == 1.0


@pytest.mark.parametrize("base", [TINY, DATA / "two_sites.yaml"], ids=["tiny", "two-sites"])
def test_robust_cvar_bounds(base):
    """CVaR_0.8 over K = 10 futures = mean of the worst two. For the CVaR-robust plan:
    its objective is its CVaR <= its mean (in the model and when re-evaluated); and it is at least the
    deterministic plan's CVaR over the same futures (that plan is feasible there)."""
    inst = load_instance(base)
    futures = sample_futures(inst, 10, 3)
    rob = solve_robust(inst, scenarios=10, seed=3, risk=parse_risk("cvar:0.8"), options=EXACT)
    k = rob.kpis["robust"]
    assert close(rob.objective, k["cvar_hpo_in_sample_t"])
    assert rob.objective <= k["expected_hpo_in_sample_t"] + 1e-6
    rows = evaluate_futures(inst, plan_from_result(inst, rob), futures.to_dict("records"))
    hpo = [r["hpo_t"] for r in rows]
    assert close(_cvar(hpo, 0.8), rob.objective, rel=1e-5)
    assert rob.objective <= float(np.mean(hpo)) + 1e-6
    det_rows = evaluate_futures(inst, plan_from_result(inst, solve(inst)), futures.to_dict("records"))
    assert rob.objective >= _cvar([r["hpo_t"] for r in det_rows], 0.8) - 1e-5


@pytest.mark.parametrize("text,risk", [("mean", Risk()), (" MEAN ", Risk()), ("cvar:0.9", Risk(0.9, 1.0)),
                                       ("cvar:0.95:0.5", Risk(0.95, 0.5)), ("cvar:0", Risk(0.0, 1.0)),
                                       ("CVaR:0.5:0", Risk(0.5, 0.0))])
def test_parse_risk(text, risk):
    assert parse_risk(text) == risk


@pytest.mark.parametrize("text", ["", "cvar", "cvar:", "cvar:1", "cvar:1.5", "cvar:-0.1", "cvar:0.9:1.5",
                                  "cvar:0.9:-1", "cvar:abc", "cvar:0.9:0.5:1", "median", "mean:0.9", "var:0.9"])
def test_parse_risk_rejects(text):
    with pytest.raises(UsageError, match="--risk"):
        parse_risk(text)


def test_robust_rejects_no_scenarios(tiny):
    with pytest.raises(UsageError):
        solve_robust(tiny, scenarios=0)


# ---------------------------------------------------------------------------------------------------
# 5. Distributions
# ---------------------------------------------------------------------------------------------------

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def uniforms(draw_):
    low, width = draw_(finite), draw_(st.floats(min_value=0, max_value=1e4))
    return Distribution(kind="uniform", low=low, high=low + width)


@st.composite
def triangulars(draw_):
    low, w1, w2 = draw_(finite), draw_(st.floats(min_value=0, max_value=1e4)), draw_(st.floats(min_value=0, max_value=1e4))
    return Distribution(kind="triangular", low=low, mode=low + w1, high=low + w1 + w2)


@st.composite
def discretes(draw_):
    values = draw_(st.lists(finite, min_size=1, max_size=6))
    weights = draw_(st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=len(values), max_size=len(values)))
    total = sum(weights)
    return Distribution(kind="discrete", values=values, probabilities=[w / total for w in weights])


def bernoullis():
    return unit.map(lambda p: Distribution(kind="bernoulli", p=p))


def fixeds():
    return finite.map(lambda v: Distribution(kind="fixed", value=v))


any_distribution = st.one_of(uniforms(), triangulars(), discretes(), bernoullis(), fixeds())


def _support(dist: Distribution) -> tuple[float, float]:
    if dist.kind == "fixed":
        return dist.value, dist.value
    if dist.kind in ("uniform", "triangular"):
        return dist.low, dist.high
    if dist.kind == "bernoulli":
        return 0.0, 1.0
    return min(dist.values), max(dist.values)


@settings(max_examples=150, deadline=None)
@given(dist=any_distribution, seed=seeds, n=st.integers(min_value=1, max_value=50))
def test_draws_lie_in_support(dist, seed, n):
    x = draw(dist, np.random.default_rng(seed), n)
    assert x.shape == (n,) and np.isfinite(x).all()
    low, high = _support(dist)
    assert (x >= low).all() and (x <= high).all()
    if dist.kind == "bernoulli":
        assert set(np.unique(x)) <= {0.0, 1.0}
        if dist.p == 0:
            assert (x == 0).all()
        if dist.p == 1:
            assert (x == 1).all()
    if dist.kind == "discrete":
        assert set(np.unique(x)) <= set(float(v) for v in dist.values)
    if dist.kind == "fixed":
        assert (x == dist.value).all()


@settings(max_examples=150, deadline=None)
@given(dist=any_distribution, q1=unit, q2=unit)
def test_quantile_monotone_and_in_support(dist, q1, q2):
    lo_q, hi_q = sorted((q1, q2))
    a, b = quantile(dist, lo_q), quantile(dist, hi_q)
    low, high = _support(dist)
    tol = 1e-9 * max(1.0, abs(low), abs(high))
    assert a <= b + tol
    assert low - tol <= a <= high + tol and low - tol <= b <= high + tol
    if dist.kind == "discrete":
        assert a in dist.values and b in dist.values
    if dist.kind == "bernoulli":
        assert a in (0.0, 1.0) and b in (0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(dist=uniforms(), q=unit)
def test_uniform_quantile_is_linear(dist, q):
    assert close(quantile(dist, q), dist.low + q * (dist.high - dist.low), abs_=1e-9 * max(1.0, abs(dist.high)))


@pytest.mark.parametrize("dist", [Distribution(kind="triangular", low=0.95, mode=1.10, high=1.50),
                                  Distribution(kind="triangular", low=0.0, mode=0.0, high=1.0),
                                  Distribution(kind="triangular", low=0.85, mode=1.0, high=1.0),
                                  Distribution(kind="uniform", low=2.0, high=5.0)])
def test_quantile_inverts_sampled_cdf(dist):
    """The share of 40,000 draws below quantile(q) is q (within 0.01), for q = 0.1 .. 0.9."""
    x = draw(dist, np.random.default_rng(0), 40_000)
    for q in np.linspace(0.1, 0.9, 9):
        assert abs(float((x <= quantile(dist, q)).mean()) - q) < 0.01, q


def test_quantile_by_hand():
    """triangular(0, 1, 2) is symmetric: median 1, P25 = sqrt(0.25 x 2 x 1) = 0.7071.
    discrete 0 (55%), 1 (30%), 2 (15%): P10 = 0, P55 = 0 (lower quantile), P60 = 1, P90 = 2.
    bernoulli(0.8): P10 = 0 (fails with 20%), P90 = 1."""
    tri = Distribution(kind="triangular", low=0, mode=1, high=2)
    assert close(quantile(tri, 0.5), 1.0) and close(quantile(tri, 0.25), math.sqrt(0.5))
    assert close(quantile(tri, 0.75), 2 - math.sqrt(0.5))
    dis = DEFAULT_UNCERTAINTY.construction_delay_yr.default
    assert [quantile(dis, q) for q in (0.1, 0.55, 0.6, 0.9)] == [0.0, 0.0, 1.0, 2.0]
    ber = DEFAULT_UNCERTAINTY.rd_success.default
    assert quantile(ber, 0.1) == 0.0 and quantile(ber, 0.9) == 1.0


@pytest.mark.parametrize("raw,words", [
    ({"kind": "triangular", "low": 1, "high": 2}, "needs mode"),
    ({"kind": "uniform", "low": 1}, "needs high"),
    ({"kind": "fixed"}, "needs value"),
    ({"kind": "bernoulli"}, "needs p"),
    ({"kind": "uniform", "low": 2, "high": 1}, "low <= mode <= high"),
    ({"kind": "triangular", "low": 0, "mode": 3, "high": 2}, "low <= mode <= high"),
    ({"kind": "discrete", "values": [0, 1], "probabilities": [0.5, 0.6]}, "sum to 1"),
    ({"kind": "discrete", "values": [0, 1], "probabilities": [1.0]}, "as many probabilities"),
    ({"kind": "discrete", "values": [], "probabilities": []}, "needs values"),
    ({"kind": "bernoulli", "p": 1.5}, "less than or equal to 1"),
    ({"kind": "normal", "low": 0, "high": 1}, "triangular"),
])
def test_invalid_distribution_direct(raw, words):
    with pytest.raises(ValidationError, match=words):
        Distribution.model_validate(raw)


@settings(max_examples=60, deadline=None)
@given(probs=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=5))
def test_discrete_probabilities_must_sum_to_one(probs):
    raw = {"kind": "discrete", "values": list(range(len(probs))), "probabilities": probs}
    if abs(sum(probs) - 1) > 1e-6:
        with pytest.raises(ValidationError, match="sum to 1"):
            Distribution.model_validate(raw)
    else:
        Distribution.model_validate(raw)


@pytest.mark.parametrize("section,where,words", [
    ({"capex_overrun": {"default": {"kind": "triangular", "low": 1, "high": 2}}},
     "capex_overrun.default", "needs mode"),
    ({"capex_overrun": {"by_item": {NEW: {"kind": "uniform", "low": 2, "high": 1}}}},
     f"capex_overrun.by_item.{NEW}", "low <= mode <= high"),
    ({"construction_delay_yr": {"default": {"kind": "discrete", "values": [0, 1], "probabilities": [0.5, 0.6]}}},
     "construction_delay_yr.default", "sum to 1"),
    ({"capex_overrun": {"by_item": {"NoSuchSite": {"kind": "fixed", "value": 1}}}},
     "by_item.NoSuchSite", "has this name"),
    ({"capex_overrun": {"by_item": {"New Work": {"kind": "fixed", "value": 1}}}},
     "by_item.New Work", "did you mean 'New Works'"),
    ({"link_availability": {"by_group": {"hovercraft": {"kind": "fixed", "value": 1}}}},
     "by_group.hovercraft", "is in this group"),
    ({"supply_shortfall": {"default": {"kind": "uniform", "low": 0, "high": 1.5}}},
     "supply_shortfall:default", "outside what supply_shortfall can take"),
    ({"link_availability": {"by_group": {"rail": {"kind": "triangular", "low": 0.5, "mode": 1, "high": 1.2}}}},
     "link_availability:by_group.rail", "outside what link_availability can take"),
    ({"construction_delay_yr": {"default": {"kind": "discrete", "values": [0, 0.5], "probabilities": [0.5, 0.5]}}},
     "construction_delay_yr:default", "whole numbers"),
    ({"rd_success": {"default": {"kind": "fixed", "value": 0.5}}}, "rd_success:default", "whole numbers"),
    ({"capex_overrun": {"default": {"kind": "fixed", "value": -1}}}, "capex_overrun:default", "outside"),
    ({"capex_overrunn": {"default": {"kind": "fixed", "value": 1}}}, "capex_overrunn", "did you mean 'capex_overrun'"),
    ({"rd_success": {"default": {"kind": "bernoulli", "p": 1.5}}}, "rd_success.default.p", "less than or equal to 1"),
])
def test_invalid_uncertainty_names_the_field(tmp_path, section, where, words):
    """Loading through load_instance collects the problem as an InstanceError that names the
    uncertainty section, the input and the entry (default / by_group.X / by_item.X)."""
    with pytest.raises(InstanceError) as err:
        _load_with(tmp_path, section)
    text = str(err.value)
    assert "uncertainty" in text and where in text and words in text, text
    assert all(p.entity == "uncertainty" for p in err.value.problems)


def test_every_problem_reported_at_once(tmp_path):
    section = {"capex_overrun": {"by_item": {"NoSuchSite": {"kind": "fixed", "value": 1}}},
               "supply_shortfall": {"default": {"kind": "uniform", "low": 0, "high": 1.5}},
               "rd_success": {"default": {"kind": "bernoulli"}}}
    with pytest.raises(InstanceError) as err:
        _load_with(tmp_path, section)
    text = str(err.value)
    assert len(err.value.problems) == 3
    for where in ("by_item.NoSuchSite", "supply_shortfall", "rd_success.default"):
        assert where in text


def test_valid_sections_load(tmp_path):
    """The docs' example section on tiny (names replaced): it loads and overrides what it names."""
    section = {"capex_overrun": {"default": {"kind": "triangular", "low": 1.0, "mode": 1.2, "high": 1.8},
                                 "by_item": {NEW: {"kind": "fixed", "value": 1.0}}},
               "construction_delay_yr": {"default": {"kind": "discrete", "values": [0, 1], "probabilities": [0.8, 0.2]}},
               "power_price": None}
    inst = _load_with(tmp_path, section)
    spec = resolved_uncertainty(inst)
    assert spec.power_price is None
    assert spec.rd_success == DEFAULT_UNCERTAINTY.rd_success  # not mentioned: the default
    cols = [it.column for it in uncertain_items(inst)]
    assert f"capex_overrun[site:{NEW}]" not in cols  # fixed at its nominal 1.0: not sampled
    assert "capex_overrun[site:Old Works]" in cols
    assert not any(c.startswith("power_price") for c in cols)


def test_item_precedence(tmp_path):
    """by_item beats by_group beats default; a link's group is its mode."""
    section = {"link_availability": {"default": {"kind": "fixed", "value": 0.9},
                                     "by_group": {"road": {"kind": "fixed", "value": 0.5}},
                                     "by_item": {"mine-to-old-rail": {"kind": "fixed", "value": 0.7}}},
               "capex_overrun": {"default": {"kind": "fixed", "value": 2.0},
                                 "by_group": {"rd": {"kind": "fixed", "value": 3.0}},
                                 "by_item": {"Old Works": {"kind": "fixed", "value": 1.0}}}}
    inst = _load_with(tmp_path, section)
    row = sample_futures(inst, 1, 0).iloc[0].to_dict()
    assert row["link_availability[link:mine-to-old-rail]"] == 0.7
    assert row["link_availability[link:mine-to-new-road]"] == 0.5
    assert row[f"capex_overrun[site:{NEW}]"] == 2.0
    assert row["capex_overrun[programme:purity-rd]"] == 3.0
    assert "capex_overrun[site:Old Works]" not in row  # fixed at nominal: not an uncertain item


# ---------------------------------------------------------------------------------------------------
# 6. apply_future
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("base", [TINY, DATA / "two_sites.yaml", SIBERIA], ids=["tiny", "two-sites", "siberia"])
def test_nominal_future_changes_nothing(base):
    inst = load_instance(base)
    nominal = nominal_future(inst)
    assert set(nominal) == {it.column for it in uncertain_items(inst)} and nominal
    for column, value in nominal.items():
        assert value == NOMINAL_BY_HAND[column.split("[")[0]]
    assert apply_future(inst, nominal).model_dump() == inst.model_dump()
    assert apply_future(inst, {}).model_dump() == inst.model_dump()


def test_apply_future_by_hand(tiny):
    site = {s.name: s for s in tiny.sites}
    f = apply_future(tiny, {f"capex_overrun[site:{NEW}]": 2.0, f"construction_delay_yr[site:{NEW}]": 2,
                            "construction_delay_yr[connection:grid-to-new]": 1,
                            "capex_overrun[link_upgrade:build-new-road]": 1.5,
                            "rd_success[programme:purity-rd]": 0, "supply_shortfall[deposit:Mine]": 0.25,
                            "link_availability[link:mine-to-new-road]": 0.5, "power_price[source:Grid]": 1.2})
    new = {s.name: s for s in f.sites}
    # capex factor 2 doubles both the module capex and the development cost of New Works only
    assert new[NEW].capex_bn_rub_per_module == 2 * site[NEW].capex_bn_rub_per_module == 4.0
    assert new[NEW].development_cost_bn_rub == 2 * site[NEW].development_cost_bn_rub == 2.0
    assert new["Old Works"] == site["Old Works"]
    # a delay adds to the lead time
    assert new[NEW].lead_time_yr == site[NEW].lead_time_yr + 2 == 4
    assert f.power_connections[1].lead_time_yr == 3 and f.power_connections[1].capex_bn_rub == 1.0
    assert f.power_connections[0] == tiny.power_connections[0]  # existing: untouched
    assert f.link_upgrades[0].capex_bn_rub == 1.5 and f.link_upgrades[0].lead_time_yr == 2
    # a failed programme gains nothing, costs the same
    assert f.rd_programmes[0].recovery_gain == 0.0 and f.rd_programmes[0].hp_share_gain == 0.0
    assert f.rd_programmes[0].cost_bn_rub == 2.0
    # supply 1,000 x 0.75; the road's upgrade 1,000 x 0.5 (its base capacity 0 stays 0); tariff 2,000 x 1.2
    assert f.deposits[0].supply_t_per_yr == 750.0
    assert f.link_upgrades[0].capacity_added_t_per_yr == 500.0
    assert [ln.capacity_t_per_yr for ln in f.links] == [1000.0, 0.0]
    assert close(f.power_sources[0].tariff_rub_per_mwh, 2400.0)
    # what no input touches is unchanged
    assert f.horizon == tiny.horizon and f.budget == tiny.budget and f.technology == tiny.technology
    # the nominal instance is untouched (frozen models, copies)
    assert load_instance(TINY).model_dump() == tiny.model_dump()


def test_apply_future_rd_effect_and_expansions(tiny):
    """rd_effect scales both gains; rd_success 1 keeps them. Deposit expansions and link capacities
    follow their deposit's shortfall and their link's availability."""
    f = apply_future(tiny, {"rd_effect[programme:purity-rd]": 0.5})
    assert close(f.rd_programmes[0].recovery_gain, 0.05) and close(f.rd_programmes[0].hp_share_gain, 0.15)
    two = load_two_sites()
    f2 = apply_future(two, {"supply_shortfall[deposit:D]": 0.1, "link_availability[link:D-Old]": 0.4})
    assert close(f2.deposits[0].supply_t_per_yr, 2700.0)
    assert close(f2.links[0].capacity_t_per_yr, 2000.0) and f2.links[1].capacity_t_per_yr == 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(capex=st.floats(min_value=0, max_value=5), delay=st.integers(min_value=0, max_value=5),
       success=st.sampled_from([0, 1]), effect=st.floats(min_value=0, max_value=2), short=unit, avail=unit)
def test_apply_future_scales(tiny, capex, delay, success, effect, short, avail):
    f = apply_future(tiny, {f"capex_overrun[site:{NEW}]": capex, f"construction_delay_yr[site:{NEW}]": delay,
                            "rd_success[programme:purity-rd]": success, "rd_effect[programme:purity-rd]": effect,
                            "supply_shortfall[deposit:Mine]": short, "link_availability[link:mine-to-old-rail]": avail})
    s = f.sites[1]
    assert s.name == NEW
    assert close(s.capex_bn_rub_per_module, 2.0 * capex) and close(s.development_cost_bn_rub, 1.0 * capex)
    assert s.lead_time_yr == 2 + delay
    assert close(f.rd_programmes[0].recovery_gain, 0.1 * success * effect)
    assert close(f.rd_programmes[0].hp_share_gain, 0.3 * success * effect)
    assert close(f.deposits[0].supply_t_per_yr, 1000.0 * (1 - short))
    assert close(f.links[0].capacity_t_per_yr, 1000.0 * avail)


# ---------------------------------------------------------------------------------------------------
# 7. plan_from_result round trip
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides", [[], ["budget.total_bn_rub=5", "policy.plants_online.enabled=false"]],
                         ids=["two-sites", "two-sites-budget-5"])
def test_plan_round_trip_two_sites(overrides):
    """The plan read back from the tables, fixed and re-operated in the point-estimate future, gives the
    solve's HPO and spend (1,050 t / 9 bn; with budget 5: 350 t / 2 bn, tests/solving/test_solve_hand.py)."""
    inst = load_two_sites(*overrides)
    res = solve(inst)
    plan = plan_from_result(inst, res)
    row = evaluate_futures(inst, plan, [{}])[0]
    assert close(row["hpo_t"], res.objective) and close(row["hpo_t"], 1050.0 if not overrides else 350.0)
    assert close(row["spend_bn_rub"], res.kpis["spend_bn_rub"])
    # every first-stage variable of the instance has a value in the plan, all 0/1 or whole modules
    assert all(float(v).is_integer() for v in plan.values())


def test_plan_round_trip_tiny(tiny, tiny_solved, tiny_plan):
    row = evaluate_futures(tiny, tiny_plan, [{}])[0]
    assert close(row["hpo_t"], tiny_solved.objective) and close(row["hpo_t"], 300.0)
    assert close(row["spend_bn_rub"], 7.0) and row["plants_online_met"]
    assert {k: v for k, v in tiny_plan.items() if v} == {
        ("Modules_Built_By", (NEW, 2025)): 1.0, ("Site_Open_By", (NEW, 2025)): 1.0,
        ("Project_Begun", ("connection:grid-to-new", 2025)): 1.0,
        ("Project_Begun", ("link_upgrade:build-new-road", 2025)): 1.0,
        ("Project_Begun", ("programme:purity-rd", 2025)): 1.0}


def test_plan_from_result_without_plan():
    """Three new plants by 2026 are impossible on two-sites: no plan, nothing to stress."""
    inst = load_two_sites("policy.plants_online.min_count=3")
    res = solve(inst)
    assert not res.has_plan
    with pytest.raises(UsageError, match="no plan"):
        plan_from_result(inst, res)


def test_plan_from_result_rejects_foreign_projects(tiny, tiny_solved):
    """A plan funding a project the instance does not have is refused."""
    other = tiny.model_copy(update={"rd_programmes": []})
    with pytest.raises(UsageError, match="purity-rd"):
        plan_from_result(other, tiny_solved)


# ---------------------------------------------------------------------------------------------------
# Bugs found while writing these tests: each test fails until its bug is fixed
# ---------------------------------------------------------------------------------------------------

def test_bug_discrete_probabilities_accepted_but_not_sampleable(tmp_path):
    """Distribution accepts probabilities summing to 1 within 1e-6 (schema.py), but draw() hands them
    to numpy's Generator.choice, which insists on 1 within sqrt(eps) ~ 1.5e-8: thirds written as
    0.3333333 load fine and then every stress test / robust solve crashes with ValueError."""
    section = {"construction_delay_yr": {"default": {"kind": "discrete", "values": [0, 1, 2],
                                                     "probabilities": [0.3333333, 0.3333333, 0.3333333]}}}
    try:
        inst = _load_with(tmp_path, section)
    except InstanceError:
        return  # rejecting it at load time is a fix too
    table = sample_futures(inst, 20, seed=0)
    cols = [c for c in table.columns if c.startswith("construction_delay_yr")]
    assert cols and table[cols].isin([0.0, 1.0, 2.0]).all().all()


def test_bug_robust_kpis_describe_an_unoperated_copy(tiny):
    """solve_robust says its tables describe the plan in the point-estimate future, but they are read
    from the extensive form's root (nominal) block, whose operation is in no objective: HiGHS leaves its
    feed at 0, so kpis['hpo_t'] and tables['output'] report 0 t HPO for every robust plan."""
    rob = solve_robust(tiny, scenarios=4, seed=0, options=EXACT)
    point = evaluate_futures(tiny, plan_from_result(tiny, rob), [{}])[0]
    assert point["hpo_t"] > 0
    assert close(rob.kpis["hpo_t"], point["hpo_t"]), (rob.kpis["hpo_t"], point["hpo_t"])


def test_bug_cvar_in_sample_outcomes_are_throttled(tiny):
    """With a pure CVaR objective, futures above the VaR do not enter the objective and the stage-2
    tie-break (min expected cost, opex included) cuts their output down to the VaR: the in-sample table
    and expected_hpo_in_sample_t understate what the plan yields when each future's operation is
    re-optimised for the most HPO (docs/UNCERTAINTY.md, FORMULATION.md section 12)."""
    futures = sample_futures(tiny, 10, 3)
    rob = solve_robust(tiny, scenarios=10, seed=3, risk=parse_risk("cvar:0.8"), options=EXACT)
    rows = evaluate_futures(tiny, plan_from_result(tiny, rob), futures.to_dict("records"))
    best = [r["hpo_t"] for r in rows]
    assert list(rob.tables["scenarios"]["hpo_t"]) == pytest.approx(best, rel=1e-5)
    assert rob.kpis["robust"]["expected_hpo_in_sample_t"] == pytest.approx(float(np.mean(best)), rel=1e-5)


def test_group_override_that_matches_no_item_is_rejected(tmp_path):
    """link_availability groups are link modes: an area name there would silently do nothing."""
    data = yaml.safe_load((ROOT / "instances" / "tiny.yaml").read_text())
    data["uncertainty"] = {"link_availability": {"by_group": {"logistics": {"kind": "fixed", "value": 0.5}}}}
    path = tmp_path / "bad-group.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path)
    assert "by_group.logistics" in str(excinfo.value) and "link_availability" in str(excinfo.value)


def test_a_sample_of_futures_passes_the_independent_checker():
    """One future in every ``check_every`` is checked (operation only: money and targets do not bind in a future)."""
    from reeplan.uncertainty.stress import describe

    inst = load_instance(ROOT / "instances" / "siberia-2030.yaml")
    res = solve(inst, why=False)
    report = stress_test(inst, plan_from_result(inst, res), samples=12, seed=4, batch=5, check_every=4)
    assert report.summary["futures_checked"] >= 3 and report.summary["futures_check_violations"] == 0
    assert "passed through the independent checker: no violation" in describe(report)
