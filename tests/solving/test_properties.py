"""Invariants of the model checked on random variations of the two-site instance (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from reeplan.solving.pipeline import solve

from tests.conftest import load_two_sites

TOL = 1e-6


def _hpo(*overrides: str) -> float:
    res = solve(load_two_sites(*overrides), tie_break=False, marginals=False)
    assert res.status.value == "optimal"
    return res.objective


budgets = st.floats(min_value=0.0, max_value=14.0, allow_nan=False).map(lambda b: round(b, 2))


@settings(max_examples=12, deadline=None)
@given(b1=budgets, b2=budgets, capex=st.sampled_from([1.0, 2.0, 2.5, 4.0]))
def test_more_budget_never_lowers_hpo(b1, b2, capex):
    lo, hi = sorted((b1, b2))
    common = ("policy.plants_online.enabled=false", f"sites.New.capex_bn_rub_per_module={capex}")
    assert _hpo(f"budget.total_bn_rub={hi}", *common) >= _hpo(f"budget.total_bn_rub={lo}", *common) - TOL


@settings(max_examples=10, deadline=None)
@given(budget=budgets, min_count=st.integers(0, 1), year=st.sampled_from([2026, 2027]))
def test_switching_a_policy_off_never_lowers_hpo(budget, min_count, year):
    base = (f"budget.total_bn_rub={budget}", f"policy.plants_online.year={year}",
            f"policy.plants_online.min_count={min_count}")
    on = solve(load_two_sites(*base), tie_break=False, marginals=False)
    off = _hpo(*base, "policy.plants_online.enabled=false")
    if on.has_plan:
        assert off >= on.objective - TOL
    else:
        assert on.status.value == "infeasible"
