"""The HiGHS adapter: the model reaches HiGHS whole, matches Pyomo's own reading of it, and re-solves in
place give what cold solves give."""

from __future__ import annotations

import math
import random

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.standard_repn import generate_standard_repn
from reeplan.generate import generate_instance
from reeplan.instance.io import load_instance
from reeplan.solving import highs
from reeplan.solving.extract import rule_constraints
from reeplan.solving.pipeline import build, solve, solve_built

from tests.conftest import ROOT

BASE = ROOT / "instances" / "siberia-2030.yaml"
TINY = ROOT / "instances" / "tiny.yaml"
ADDING = ("passModel", "addRow", "addRows", "addCol", "addCols", "addVar", "addVars", "addConstr", "addConstrs")


def test_base_case_reaches_highs_in_a_constant_number_of_calls(monkeypatch):
    """Build and the whole solve (chain, LP marginals, integer marginals) add columns and rows in at most
    2 highspy calls; Pyomo's persistent interface made one call per row and column (1,600 here)."""
    calls = []
    for name in ADDING:
        original = getattr(highspy.Highs, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(highspy.Highs, name, spy)
    res = solve(load_instance(BASE))
    assert res.status.value == "optimal" and res.tables["marginals"] is not None
    # one passModel for the model; "why not more?" builds two relaxed instances (2 more), no row-by-row adds
    assert calls.count("passModel") <= 3 and len(calls) - calls.count("passModel") == 0, calls


@pytest.mark.parametrize("path", [TINY, BASE], ids=["tiny", "siberia"])
def test_rows_match_pyomo_standard_repn(path):
    """Every row's coefficients and bounds, read independently with Pyomo's generate_standard_repn."""
    built = build(load_instance(path))
    lin = built.highs.linear
    col = {id(v): i for i, v in enumerate(lin.columns)}
    assert len(lin.constraints) == len(list(built.model.component_data_objects(pyo.Constraint, active=None)))
    for r, con in enumerate(lin.constraints):
        repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
        want = {}
        for v, c in zip(repn.linear_vars, repn.linear_coefs):
            want[col[id(v)]] = want.get(col[id(v)], 0.0) + c
        want = {k: c for k, c in want.items() if c != 0}
        a, b = lin.rows.start[r], lin.rows.start[r + 1]
        got = dict(zip(lin.rows.index[a:b].tolist(), lin.rows.value[a:b].tolist()))
        assert got.keys() == want.keys(), con.name
        assert all(math.isclose(got[k], want[k], rel_tol=1e-12, abs_tol=1e-15) for k in got), con.name
        const = float(repn.constant or 0.0)
        lo = -math.inf if con.lb is None else con.lb - const
        hi = math.inf if con.ub is None else con.ub - const
        assert math.isclose(lin.rows.lower[r], lo, abs_tol=1e-9) or lin.rows.lower[r] == lo == -math.inf, con.name
        assert math.isclose(lin.rows.upper[r], hi, abs_tol=1e-9) or lin.rows.upper[r] == hi == math.inf, con.name
    # what HiGHS holds is what was compiled: inactive rows free, active rows bounded
    lp = built.highs.highs.getLp()
    assert lp.num_row_ == len(lin.constraints) and lp.num_col_ == len(lin.columns)
    lower = np.asarray(lp.row_lower_)
    assert np.array_equal(lower[~lin.active], np.full((~lin.active).sum(), -highspy.kHighsInf))
    assert np.allclose(lower[lin.active], lin.rows.lower[lin.active])


def _budget_bound_instance(seed: int):
    """A generated instance (transit years, existing plants, committed projects, prerequisites, yearly caps)."""
    return generate_instance(sites=3, deposits=3, power_sources=2, programmes=2, years=6, seed=seed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_in_place_budget_changes_equal_cold_solves(seed):
    """Re-solving the same HiGHS object after budget changes gives the cold solve's optimum, every time."""
    inst = _budget_bound_instance(seed)
    built = build(inst)
    fast = dict(tie_break=False, marginals=False, why=False, diagnose=False, mip_gap=1e-9)
    rng = random.Random(seed)
    for _ in range(4):
        total = round(rng.uniform(0.3, 1.0) * inst.budget.total_bn_rub, 1)
        caps = {t: round(cap * rng.uniform(0.5, 1.2), 1) for t, cap in inst.budget.yearly_cap_bn_rub.items()}
        changed = inst.model_copy(update={"budget": inst.budget.model_copy(
            update={"total_bn_rub": total, "yearly_cap_bn_rub": caps})})
        from reeplan.solving.pipeline import retarget

        retarget(built, changed)
        warm = solve_built(built, **fast)
        cold = solve(changed, **fast)
        assert warm.status == cold.status
        if cold.objective is not None:
            assert math.isclose(warm.objective, cold.objective, rel_tol=1e-7, abs_tol=1e-6), (total, caps)


def test_lp_duals_in_place_equal_a_fresh_lp():
    """Duals from fixing integers on the solved HiGHS object equal those of a fresh model with the integers
    fixed in Pyomo; the solved model is left as it was (its re-solve gives the same optimum)."""
    built = build(load_instance(BASE))
    res = solve_built(built, tie_break=True, marginals=False, why=False)
    cons = [c for _, _, c in rule_constraints(built.model)]
    in_place = highs.lp_duals(built.highs, cons, time_limit=None)
    m = built.model
    fixed = [v for v in m.component_data_objects(pyo.Var) if v.is_integer() and not v.fixed]
    for v in fixed:
        v.fix(round(v.value))
    fresh_model = highs.HighsModel(m)
    h = fresh_model.highs
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kContinuous))
    run = highs.run(fresh_model, time_limit=None, mip_gap=None, threads=None, options={}, changes_pushed=True)
    assert run.status.value == "optimal"
    fresh = {c.name: d for c, d in fresh_model.row_duals(cons).items()}
    for v in fixed:
        v.unfix()
    assert in_place.keys() == fresh.keys() and in_place
    for name in fresh:
        assert math.isclose(in_place[name], fresh[name], rel_tol=1e-6, abs_tol=1e-7), name
    again = solve_built(built, tie_break=False, marginals=False, why=False)
    assert math.isclose(again.objective, res.objective, rel_tol=1e-9)


def test_fixing_after_build_reaches_highs_with_bounds_update():
    """Fixing a site's modules at 0 after the model reached HiGHS, then unfixing: each re-solve in place gives
    what a HiGHS object compiled afresh from the same Pyomo model gives."""
    built = build(load_instance(BASE))
    stage1 = dict(tie_break=False, marginals=False, why=False, diagnose=False, check=False)
    free = solve_built(built, **stage1)
    m = built.model
    for site in ("Krasnoyarsk", "Bratsk"):
        chosen = [v for (s, _), v in m.Modules_Built_By.items() if s == site]
        assert chosen, site
        for v in chosen:
            v.fix(0)
        built.highs.update(bounds=True)
        in_place = highs.run(built.highs, time_limit=None, mip_gap=1e-4, threads=None, options={})
        cold = highs.run(highs.HighsModel(m), time_limit=None, mip_gap=1e-4, threads=None, options={})
        assert in_place.status == cold.status
        assert math.isclose(in_place.incumbent, cold.incumbent, rel_tol=2e-4), site
        for v in chosen:
            v.unfix()
        built.highs.update(bounds=True)
    again = highs.run(built.highs, time_limit=None, mip_gap=1e-4, threads=None, options={})
    assert math.isclose(again.incumbent, free.objective, rel_tol=2e-4)


def test_a_stage_time_cap_is_reported_with_its_gap():
    """--stage-time-limit caps each chain stage (not stage 1); the stage it stops says so, with its gap
    ('unknown' when HiGHS had no bound yet), and the plan is the best found so far."""
    from reeplan.generate import generate_family

    inst = generate_family("small", 0)
    res = solve(inst, threads=1, why=False, marginals=False, stage_time_limit=1e-3)
    free = solve(inst, threads=1, why=False, marginals=False, tie_break=False)
    assert res.has_plan and res.chain[0]["stage"] == "primary" and res.objective == free.objective
    assert res.chain[-1]["status"] == "time_limit" and "gap" in res.chain[-1]
    assert "time_limit at gap" in res.tie_break and "later stages not run" in res.tie_break
    assert res.check_violations == []


def test_a_changed_parameter_reaches_the_objectives_that_read_it_and_only_those():
    """max p*x + y with x + y <= cap: each parameter change re-solved in place equals the hand-solved optimum
    (x = cap if p > 1 else 0 ... ), while an objective that reads no parameter keeps its compiled costs."""
    m = pyo.ConcreteModel(name="toy")
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.cap = pyo.Param(initialize=4.0, mutable=True)
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(bounds=(0, 3))
    m.share = pyo.Constraint(expr=m.x + m.y <= m.cap)
    m.value = pyo.Objective(expr=m.p * m.x + m.y, sense=pyo.maximize)
    m.plain = pyo.Objective(expr=m.x + 2 * m.y, sense=pyo.maximize)
    m.plain.deactivate()
    hm = highs.HighsModel(m)

    def best() -> float:
        run = highs.run(hm, time_limit=None, mip_gap=None, threads=1, options={})
        assert run.status.value == "optimal"
        return run.incumbent

    assert best() == pytest.approx(8.0)  # x = 4
    plain_before = None
    for p, cap in ((0.5, 4.0), (0.5, 6.0), (3.0, 6.0)):
        m.p.set_value(p)
        m.cap.set_value(cap)
        hm.update()
        y = min(3.0, cap) if p < 1 else 0.0
        assert best() == pytest.approx(p * (cap - y) + y)  # hand-solved: the dearer of x and y fills cap first
        plain = hm._objective_of[id(m.plain)] if id(m.plain) in hm._objective_of else None
        assert plain is not None and (plain_before is None or plain is plain_before)  # compiled once, kept
        plain_before = plain
    m.value.deactivate()
    m.plain.activate()
    hm.update()
    assert best() == pytest.approx(3.0 + 2 * 3.0)  # y = 3, x = 3
