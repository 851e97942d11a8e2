"""Budget rules through ``solve_robust`` on sampled futures: each holds exactly in sample, recomputed from the plan
and the futures' prices independently of the model; the option's parser; the overrun statistics by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reeplan.cli.app import main
from reeplan.errors import UsageError
from reeplan.instance.io import load_instance
from reeplan.models.stochastic import BudgetRule
from reeplan.options import SolveOptions
from reeplan.uncertainty.budget_rules import cvar, overrun_statistics, parse_budget_rule, wilson
from reeplan.uncertainty.futures import apply_future, sample_futures
from reeplan.uncertainty.robust import compare_under_uncertainty, solve_robust

from tests.conftest import ROOT

TINY = ROOT / "instances" / "tiny.yaml"
EXACT = SolveOptions(mip_gap=1e-6, threads=1, marginals=False, why=False, diagnose=False)
K, SEED = 8, 2


@pytest.fixture(scope="module")
def tiny():
    return load_instance(TINY, ["policy.plants_online.enabled=false"])


def independent_spend(future, result) -> float:
    """Capex of the plan at the future's prices, from the plan's tables and the future Instance alone (tiny has no
    committed projects and its opex does not count)."""
    sites = {s.name: s for s in future.sites}
    plants = result.tables["plants"]
    spend = sum(sites[s].capex_bn_rub_per_module * n for s, n in zip(plants["site"], plants["modules_started"]))
    spend += sum(sites[s].development_cost_bn_rub for s, o in zip(plants["site"], plants["opened"]) if bool(o))
    price = {("connection", c.name): c.capex_bn_rub for c in future.power_connections if not c.exists}
    price |= {("link_upgrade", u.name): u.capex_bn_rub for u in future.link_upgrades}
    price |= {("programme", r.name): r.cost_bn_rub for r in future.rd_programmes}
    price |= {("power_expansion", x.name): x.capex_bn_rub for x in future.power_expansions}
    price |= {("deposit_expansion", e.name): e.capex_bn_rub for e in future.deposit_expansions}
    projects = result.tables["projects"]
    return float(spend + sum(price[(k, p)] for k, p in zip(projects["kind"], projects["project"])))


def in_sample_overruns(tiny, result) -> list[float]:
    futures = sample_futures(tiny, K, SEED).to_dict("records")
    spend = [independent_spend(apply_future(tiny, f), result) for f in futures]
    assert spend == pytest.approx(list(result.tables["scenarios"]["spend_in_model_bn_rub"]), abs=1e-6)
    return [max(0.0, s - tiny.budget.total_bn_rub) for s in spend]


@pytest.fixture(scope="module")
def nominal_overruns(tiny):
    """The plan that keeps the budget at point estimates only overruns on these futures (so each rule below binds)."""
    rob = solve_robust(tiny, scenarios=K, seed=SEED, options=EXACT)
    return in_sample_overruns(tiny, rob)


RULES = ["expected:0.3", "chance:0.25", "cvar:0.5:0.6"]


@pytest.mark.parametrize("text", RULES)
def test_each_rule_holds_exactly_in_sample(tiny, nominal_overruns, text):
    """The nominal plan breaks each rule on these K = 8 futures (seed 2); the rule's plan keeps it, measured on the
    overruns recomputed from its tables and the futures' prices (and equal to the solved copies' spend)."""
    rule = parse_budget_rule(text)
    o_nom = np.array(nominal_overruns)
    rob = solve_robust(tiny, scenarios=K, seed=SEED, budget=rule, options=EXACT)
    assert rob.status.value == "optimal" and rob.kpis["robust"]["budget_rule"] == text
    o = np.array(in_sample_overruns(tiny, rob))
    if rule.kind == "expected":
        assert o_nom.mean() > rule.limit_bn_rub
        assert o.mean() <= rule.limit_bn_rub + 1e-6
    elif rule.kind == "chance":
        assert (o_nom > 1e-6).sum() > rule.alpha * K
        assert (o > 1e-6).sum() <= rule.alpha * K
    else:
        assert cvar(o_nom, rule.alpha) > rule.limit_bn_rub
        assert cvar(o, rule.alpha) <= rule.limit_bn_rub + 1e-6
    stats = rob.kpis["robust"]["in_sample_overrun"]
    assert stats["overrun_frequency"] == pytest.approx((o > 1e-6).mean())
    assert stats["expected_overrun_bn_rub"] == pytest.approx(o.mean(), abs=1e-6)


@pytest.mark.parametrize("text", ["", "chance", "chance:1", "chance:-0.1", "chance:x", "expected:-1", "expected:inf",
                                  "cvar:0.5", "cvar:1:2", "cvar:0.5:-1", "mean", "nominal:1", "expected:1:2"])
def test_malformed_rules_are_usage_errors(text):
    with pytest.raises(UsageError, match="--budget-rule"):
        parse_budget_rule(text)


def test_rules_parse_to_their_labels():
    assert parse_budget_rule("nominal") == BudgetRule()
    assert parse_budget_rule(" Chance:0.2 ") == BudgetRule("chance", alpha=0.2)
    assert parse_budget_rule("expected:10") == BudgetRule("expected", limit_bn_rub=10)
    assert parse_budget_rule("cvar:0.8:20") == BudgetRule("cvar", 0.8, 20)
    for text in ("nominal", "chance:0.2", "expected:10", "cvar:0.8:20"):
        assert parse_budget_rule(text).label == text


def test_cli_bad_budget_rule_exits_2_before_any_solve(tmp_path, capsys):
    try:
        main(["solve", str(TINY), "--robust", "--no-store", "--out", str(tmp_path / "o"), "--budget-rule", "chance:2"])
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and "--budget-rule" in err and "chance:2" in err and "Traceback" not in err
    assert "solving" not in err and not (tmp_path / "o").exists()


def test_cvar_and_intervals_by_hand():
    """CVaR_0.5 of (0, 0, 1, 3) is the mean of the worst two: 2; CVaR_0.75: 3; of (0, 1, 2) at 0.5 the tail is
    1.5 outcomes: (2 + 0.5 x 1) / 1.5 = 5/3. Wilson 95% for 0 of 10: centre = half = (z²/20)/(1 + z²/10) = 0.1388,
    so (0, 0.2775); for 5 of 10: 0.5 ± 1.96·sqrt(0.025 + z²/400)/(1 + z²/10) = (0.2366, 0.7634)."""
    assert cvar(np.array([0, 0, 1, 3]), 0.5) == pytest.approx(2.0)
    assert cvar(np.array([3, 0, 1, 0]), 0.75) == pytest.approx(3.0)
    assert cvar(np.array([0, 1, 2]), 0.5) == pytest.approx(5 / 3)
    assert cvar(np.array([0, 1, 2]), 0.0) == pytest.approx(1.0)  # alpha 0: the mean
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    st = overrun_statistics(np.array([0, 0, 1, 3]), 0.5, boot=500)
    assert st["overrun_frequency"] == 0.5 and st["expected_overrun_bn_rub"] == 1.0
    half = 1.959963984540054 * np.std([0, 0, 1, 3], ddof=1) / 2
    assert st["expected_overrun_high_bn_rub"] == pytest.approx(1 + half)
    assert st["cvar_overrun_low_bn_rub"] <= 2.0 <= st["cvar_overrun_high_bn_rub"] <= 3.0


def test_comparison_reports_overrun_intervals():
    """The out-of-sample table gives, per plan, P(overrun) inside its Wilson interval, the expected overrun inside
    its CLT interval, and the CVaR of overrun with a bootstrap interval, each equal to the stress samples' figures.
    (tiny as shipped: its plants_online rule makes every plan open New Works, and the nominal plan adds purity-rd,
    7 bn of a 7 bn budget, so it overruns whenever capex does; chance:0 must keep 4 futures within the money.)"""
    tiny = load_instance(TINY)
    nominal = solve_robust(tiny, scenarios=4, seed=0, options=EXACT)
    capped = solve_robust(tiny, scenarios=4, seed=0, budget=BudgetRule("chance", alpha=0.0), options=EXACT)
    cmp = compare_under_uncertainty(tiny, {"nominal": nominal, "chance:0": capped}, samples=30, seed=5)
    for label, rep in cmp.reports.items():
        col = cmp.table[label]
        o = rep.samples["overrun_bn_rub"].to_numpy()
        assert col["P(overrun), 95% low (Wilson)"] <= col["P(overrun)"] <= col["P(overrun), 95% high (Wilson)"]
        lo, hi = wilson(int((o > 1e-6).sum()), len(o))
        assert math.isclose(col["P(overrun), 95% low (Wilson)"], lo) and math.isclose(
            col["P(overrun), 95% high (Wilson)"], hi)
        assert col["expected overrun, 95% low (CLT), bn RUB"] <= col["expected overrun, bn RUB"] + 1e-12
        assert col["CVaR80 of overrun, bn RUB"] == pytest.approx(cvar(o, 0.8))
    assert cmp.table["nominal"]["P(overrun)"] > cmp.table["chance:0"]["P(overrun)"]
