"""Budget rules of the extensive form (FORMULATION.md, section 12.1) on four hand-chosen futures of tiny.

Instance: instances/tiny.yaml with its plants_online rule off (so building nothing is allowed), budget
B = 7 bn RUB. Every build starts in 2025 and is ready in 2027 (the header of tiny.yaml); output does not
vary across these futures, only capex:

    F0: point estimates       F1: capex_overrun[site:New Works] = 1.2
    F2: capex_overrun[programme:purity-rd] = 1.5       F3: capex_overrun[site:New Works] = 2.0

Candidate plans (HPO in 2027 in every future; spend per future = Σ capex at the future's prices):

    plan          HPO   spend F0..F3                 overrun O_ω           E[O]   #O>0  CVaR_0.5(O)
    nothing        50   0, 0, 0, 0                   0, 0, 0, 0            0      0     0
    purity-rd     150   2, 2, 3, 2                   0, 0, 0, 0            0      0     0
    New Works     100   5, 5.6, 5, 8                 0, 0, 0, 1            0.25   1     0.5
    both          300   7, 7.6, 8, 10                0, 0.6, 1, 3          1.15   3     (3 + 1) / 2 = 2

(New Works = site opening 1 + one module 2, both x the site factor, + connection 1 + road 1; F1:
3 x 1.2 + 2 = 5.6; F3: 3 x 2 + 2 = 8. purity-rd in F2: 2 x 1.5 = 3.) Any other plan produces no more
than one of these at a higher cost, so the tie-break (least expected cost) never keeps it.
The expected-HPO plan is therefore `both` (300 t) when the rule admits it, else `purity-rd` (150 t):

    nominal -> both; expected:1.2 -> both (1.15 <= 1.2); expected:1.1 -> purity-rd;
    chance:0.75 -> both (3 of 4 may overrun); chance:0.5 -> purity-rd (only 2 of 4);
    cvar:0.5:2.05 -> both (2 <= 2.05); cvar:0.5:1.9 -> purity-rd; cvar:0:1.2 = expected:1.2 -> both.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo
import pytest
from reeplan.instance.io import load_instance
from reeplan.models.stochastic import (
    BudgetRule,
    Risk,
    build_extensive_form,
    first_stage_values,
    max_spend_bn_rub,
    scenario_model,
    scenario_spend_values,
)
from reeplan.options import SolveOptions
from reeplan.solving import highs
from reeplan.solving.pipeline import run_chain
from reeplan.uncertainty.budget_rules import cvar, parse_budget_rule
from reeplan.uncertainty.futures import apply_future

from tests.conftest import ROOT

TINY = ROOT / "instances" / "tiny.yaml"
NEW = "New Works"
HAND = [{}, {f"capex_overrun[site:{NEW}]": 1.2}, {"capex_overrun[programme:purity-rd]": 1.5},
        {f"capex_overrun[site:{NEW}]": 2.0}]
OPTS = SolveOptions(mip_gap=1e-9, threads=1, marginals=False, why=False, diagnose=False)
BOTH = {"connection:grid-to-new", "link_upgrade:build-new-road", "programme:purity-rd"}
RD_ONLY = {"programme:purity-rd"}


@pytest.fixture(scope="module")
def tiny():
    return load_instance(TINY, ["policy.plants_online.enabled=false"])


def _solve(tiny, rule: BudgetRule, big_m=None):
    m = build_extensive_form(tiny, [apply_future(tiny, f) for f in HAND], Risk(), rule, big_m)
    hm = highs.HighsModel(m)
    run = highs.run(hm, time_limit=None, mip_gap=OPTS.mip_gap, threads=1, options=OPTS.highs_options())
    assert run.status.value == "optimal"
    hm.load_plan()
    assert run.incumbent is not None
    run_chain(hm, OPTS, run.incumbent, None)
    return m


def _projects(m) -> set[str]:
    return {idx[0] for (name, idx), v in first_stage_values(m).items() if name == "Project_Begun" and v}


def _overruns(m, budget=7.0) -> list[float]:
    return [max(0.0, s - budget) for s in scenario_spend_values(m, len(HAND))]


CASES = {  # rule -> (expected HPO, projects begun, site opened)
    "nominal": (300.0, BOTH, True),
    "expected:1.2": (300.0, BOTH, True),
    "expected:1.1": (150.0, RD_ONLY, False),
    "chance:0.75": (300.0, BOTH, True),
    "chance:0.5": (150.0, RD_ONLY, False),
    "cvar:0.5:2.05": (300.0, BOTH, True),
    "cvar:0.5:1.9": (150.0, RD_ONLY, False),
    "cvar:0:1.2": (300.0, BOTH, True),
}


@pytest.mark.parametrize("text", list(CASES))
def test_each_rule_gives_the_plan_derived_by_hand(tiny, text):
    """The table of the module docstring: objective, projects begun and whether New Works opens."""
    hpo, projects, opened = CASES[text]
    m = _solve(tiny, parse_budget_rule(text))
    assert math.isclose(pyo.value(m.Primary), hpo, rel_tol=1e-7)
    assert _projects(m) == projects
    assert (first_stage_values(m).get(("Site_Open_By", (NEW, 2025)), 0.0) == 1.0) is opened
    spend = scenario_spend_values(m, 4)
    want = [7, 7.6, 8, 10] if opened else [2, 2, 3, 2]
    assert spend == pytest.approx(want, abs=1e-6)


def test_rule_quantities_in_the_model_match_the_hand_values(tiny):
    """With plan `both` admitted: overruns 0, 0.6, 1, 3, so E[O] = 1.15 and CVaR_0.5(O) = 2 (computed from the
    copies' spend, not read from the rule's own variables, which may sit anywhere between the true value and the
    limit); the rows' quantities are upper bounds within the limit; the chance rule allows exactly F1..F3."""
    m = _solve(tiny, BudgetRule("expected", limit_bn_rub=1.2))
    assert _overruns(m) == pytest.approx([0, 0.6, 1, 3], abs=1e-6)
    assert 1.15 - 1e-6 <= pyo.value(m.Expected_Overrun) <= 1.2 + 1e-6
    m = _solve(tiny, BudgetRule("cvar", 0.5, 2.05))
    assert cvar(_overruns(m), 0.5) == pytest.approx(2.0, abs=1e-6)
    assert 2.0 - 1e-6 <= pyo.value(m.CVaR_Overrun) <= 2.05 + 1e-6
    m = _solve(tiny, BudgetRule("chance", alpha=0.75))
    assert [round(m.Overrun_Allowed[k].value) for k in range(4)] == [0, 1, 1, 1]


def test_big_m_is_the_largest_spend_a_copy_can_reach(tiny):
    """S̄ = purity-rd 2 f_rd + connection 1 + road 1 + (2 modules x 2 + opening 1) x f_site:
    F0 9, F1 2 + 2 + 6 = 10, F2 3 + 2 + 5 = 10, F3 2 + 2 + 10 = 14; M = S̄ - 7 = 2, 3, 3, 7.
    The plan that builds everything it may spends exactly S̄ in each copy (the bound is attained)."""
    bounds = []
    for future in HAND:
        sub, data = scenario_model(apply_future(tiny, future), tiny)
        bounds.append(max_spend_bn_rub(sub, data))
        for var in sub.Project_Begun.values():
            var.fix(1)
        for var in sub.Site_Open_By.values():
            var.fix(1)
        for var in sub.Modules_Built_By.values():
            var.fix(var.ub)
        assert pyo.value(sum(sub.Spend[t] for t in data.years)) == pytest.approx(bounds[-1], abs=1e-9)
    assert bounds == pytest.approx([9, 10, 10, 14], abs=1e-9)
    m = build_extensive_form(tiny, [apply_future(tiny, f) for f in HAND], budget=BudgetRule("chance", alpha=0.5))
    assert [pyo.value(m.overrun_big_m_bn_rub[k]) for k in range(4)] == pytest.approx([2, 3, 3, 7], abs=1e-9)


@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.75])
def test_tight_big_m_gives_the_optimum_of_the_untightened_form(tiny, alpha):
    """M = 10^4 bn RUB in every future (valid, loose) and the tight M give the same objective and plan."""
    rule = BudgetRule("chance", alpha=alpha)
    tight, loose = _solve(tiny, rule), _solve(tiny, rule, big_m=[1e4] * 4)
    assert pyo.value(tight.Primary) == pytest.approx(pyo.value(loose.Primary), rel=1e-9)
    assert first_stage_values(tight) == first_stage_values(loose)
    assert sum(o > 1e-6 for o in _overruns(tight)) <= alpha * 4


def test_a_too_small_big_m_cuts_the_plan(tiny):
    """The test can fail: M below the true overrun of F3 (3 bn) forbids `both` even though chance:0.75 admits it."""
    m = _solve(tiny, BudgetRule("chance", alpha=0.75), big_m=[2, 3, 3, 2.5])
    assert pyo.value(m.Primary) == pytest.approx(150.0)


def test_big_m_with_opex_counted_bounds_the_copys_spend(tiny):
    """With opex counting, S̄ adds the FBBT bound of the copy's opex. Maximising the copy's whole spend (first stage
    free, an LP-feasible MILP) never exceeds S̄ (9 bn of capex + the opex bound), and the chance rule solves."""
    inst = tiny.model_copy(update={"budget": tiny.budget.model_copy(update={"opex_counts": True})})
    sub, data = scenario_model(inst, inst)
    bound = max_spend_bn_rub(sub, data)
    assert bound > 9.0
    sub.spend_objective = pyo.Objective(expr=sum(sub.Spend[t] for t in data.years), sense=pyo.maximize)
    hm = highs.HighsModel(sub)
    run = highs.run(hm, time_limit=None, mip_gap=1e-9, threads=1, options={})
    assert run.status.value == "optimal" and run.incumbent is not None
    assert 9.0 < run.incumbent <= bound + 1e-6
    m = build_extensive_form(inst, [apply_future(inst, f) for f in HAND], budget=BudgetRule("chance", alpha=0.5))
    assert all(pyo.value(m.overrun_big_m_bn_rub[k]) > 0 for k in range(4))
