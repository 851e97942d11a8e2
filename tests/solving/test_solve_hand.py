"""Optima derived by hand on tests/data/two_sites.yaml (and a transit variant).

The instance, 2025-2027: deposit D supplies 3,000 t/yr. Site Old has 1 module (1,000 t/yr) with
an existing rail link and power connection. Site New (up to 3 modules of 1,000 t/yr, 2 bn RUB each,
lead time 1 yr) needs opening (1 bn), a road (1 bn, ready one year after start) and a power
connection (1 bn, same). Programme R1 costs 2 bn, takes 2 years, lifts recovery 0.5 -> 0.7 and HP
share 0.2 -> 0.5, so HPO per t feed is 0.1 today and 0.35 with R1. Budget 10 bn, R&D envelope 2 bn;
at least one new plant online in 2026. Opex does not count against the budget.
"""

from __future__ import annotations

import math

import pytest
from reeplan.check import check_plan
from reeplan.solving.pipeline import solve

from tests.conftest import load_two_sites

REL = 1e-6


def _assert_plan(instance, result):
    violations = check_plan(instance, result.tables, result.objective_name, result.objective)
    assert violations == [], violations


def test_max_hpo_two_sites():
    """R1 must start in 2025 to finish by 2027 (2 bn). The other 8 bn: open New + road + connection
    (3 bn) and 2 modules (4 bn) -> 3,000 t/yr capacity = the supply; a 3rd module (2 bn) does not fit and
    would have no feed. HPO 2027 = 3,000 x 0.35 = 1,050 t. Without R1 the best is 3,000 x 0.1 = 300 t.
    Cheapest such plan: 9 bn of capital."""
    inst = load_two_sites()
    res = solve(inst)
    assert res.status.value == "optimal"
    assert math.isclose(res.objective, 1050.0, rel_tol=REL)
    assert math.isclose(res.kpis["spend_bn_rub"], 9.0, rel_tol=REL)
    assert res.kpis["spend_by_area_bn_rub"] == pytest.approx({"plants": 5.0, "power": 1.0, "logistics": 1.0, "mining": 0.0,
                                                                "rd": 2.0})
    assert res.mip_gap is not None and res.mip_gap <= 1e-4
    _assert_plan(inst, res)


def test_max_hpo_small_budget():
    """Budget 5: R1 (2 bn) + Old alone gives 1,000 x 0.35 = 350 t; the rest (3 bn) could open New with
    road and power but buys no module. Skipping R1 gives at best 2,000 x 0.1 = 200 t. So 350 t, and the
    tie-break spends only the 2 bn of R1 (no money for nothing)."""
    inst = load_two_sites("budget.total_bn_rub=5", "policy.plants_online.enabled=false")
    res = solve(inst)
    assert math.isclose(res.objective, 350.0, rel_tol=REL)
    assert math.isclose(res.kpis["spend_bn_rub"], 2.0, rel_tol=REL)
    _assert_plan(inst, res)


def test_max_cumulative_hpo():
    """2025: only Old runs at today's level: 1,000 x 0.1 = 100 t. 2026: New's 2 modules (started 2025)
    and its road and power are ready: 3,000 x 0.1 = 300 t. 2027: R1 complete: 3,000 x 0.35 = 1,050 t.
    Sum 1,450 t, and no plan does better (supply caps each year)."""
    inst = load_two_sites()
    res = solve(inst, objective="max-cumulative-hpo")
    assert math.isclose(res.objective, 1450.0, rel_tol=REL)
    assert list(res.tables["output"]["hpo_t"].round(3)) == [100.0, 300.0, 1050.0]
    _assert_plan(inst, res)


def test_min_cost_hpo_target():
    """At least 700 t HPO in 2027 needs R1 (without it 3,000 x 0.1 = 300 t at most) and 2,000 t of feed:
    Old + one New module. min-cost is the least *budget*, and opex does not count against it here, so the
    answer is the capital 2 + 1 + 1 + 1 + 2 = 7 bn. The chain then runs the plan for the most output:
    Old from 2025 (1,000 t x 0.1 = 100 t), Old and New from 2026 (2,000 t x 0.1 = 200 t), 2027 at 700 t."""
    inst = load_two_sites("policy.hpo_output={'enabled': true, 'year': 2027, 'min_t_per_yr': 700}")
    res = solve(inst, objective="min-cost")
    assert math.isclose(res.objective, 7.0, rel_tol=REL)
    assert res.kpis["hpo_t"] >= 700 - 1e-6
    assert list(res.tables["output"]["hpo_t"].round(3)) == [100.0, 200.0, 700.0]
    _assert_plan(inst, res)


def test_min_cost_refuses_without_an_output_target():
    """Without an enforced output rule the least budget is 0 for a plan that produces nothing: refused."""
    from reeplan.errors import UsageError

    with pytest.raises(UsageError, match="policy.hpo_output.enabled=true"):
        solve(load_two_sites(), objective="min-cost")


def test_transit_delays_feed():
    """With a 1-year transit on the existing rail link and no New site, concentrate shipped in 2025
    arrives in 2026: 2025 output is zero and 2026 output is 1,000 x 0.1 = 100 t (R1 cannot finish before
    2027; envelope set to 0)."""
    inst = load_two_sites("links.D-Old.transit_yr=1", "sites.New.max_modules=0", "policy.plants_online.enabled=false",
                          "budget.rd_envelope_bn_rub=0")
    res = solve(inst, objective="max-cumulative-hpo")
    hpo = list(res.tables["output"]["hpo_t"].round(3))
    assert hpo == [0.0, 100.0, 100.0]
    assert math.isclose(res.objective, 200.0, rel_tol=REL)
    _assert_plan(inst, res)


def test_infeasible_gets_diagnosis():
    """Three new plants by 2026 are impossible: only New is a new site -> short by 2."""
    inst = load_two_sites("policy.plants_online.min_count=3")
    res = solve(inst)
    assert res.status.value == "infeasible" and not res.has_plan
    row = res.diagnosis.iloc[0]
    assert row["rule"] == "policy_plants_online"
    assert math.isclose(row["gives_by"], 2.0, rel_tol=REL)
    assert "short by 2" in row["message"]


def test_time_limit_reports_a_plan_or_none():
    """A tiny time limit either returns a plan flagged as such or says no plan exists; never a crash."""
    res = solve(load_two_sites(), time_limit=1e-3)
    assert res.status.value in {"optimal", "time_limit"}
    assert res.has_plan == (res.objective is not None)
