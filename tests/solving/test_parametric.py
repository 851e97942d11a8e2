"""reeplan.solving.parametric: one walk of a model, many sets of Param values; checked by hand and against
the ordinary compile of the same model at the same values."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
import pytest
from reeplan.solving.compile import compile_model
from reeplan.solving.parametric import ParametricModel

OPTS = dict(mip_gap=1e-9, threads=1, options={})


def _toy():
    """max 3x + 2y  s.t. x + y <= cap, x <= a*b (a product of two Params), y integer <= 10, z fixed at 2 in
    x - z <= 5 (a fixed variable folds into the bound)."""
    m = pyo.ConcreteModel()
    m.cap = pyo.Param(initialize=4.0, mutable=True)
    m.a = pyo.Param(initialize=1.0, mutable=True)
    m.b = pyo.Param(initialize=2.0, mutable=True)
    m.x = pyo.Var(bounds=(0, None))
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.z = pyo.Var()
    m.z.fix(2.0)
    m.total = pyo.Constraint(expr=m.x + m.y <= m.cap)
    m.product = pyo.Constraint(expr=m.x <= m.a * m.b)
    m.folded = pyo.Constraint(expr=m.x - m.z <= 5)
    m.value = pyo.Expression(expr=3 * m.x + 2 * m.y)
    return m


@pytest.mark.parametrize("cap, a, b", [(4.0, 1.0, 2.0), (7.5, 2.0, 1.5), (1.0, 3.0, 3.0), (20.0, 2.0, 5.0)])
def test_toy_optimum_by_hand(cap, a, b):
    """By hand: for each integer y, x = min(a*b, 7, cap - y); the best of 3x + 2y over y = 0..10 with x >= 0."""
    m = _toy()
    pm = ParametricModel(m, [(m.value, True)], {"value": m.value, "x": m.x})
    theta = pm.theta({"cap": {None: cap}, "a": {None: a}, "b": {None: b}})
    sol = pm.solve(theta, **OPTS)
    best = max(3 * min(a * b, 7.0, cap - y) + 2 * y for y in range(11) if cap - y >= 0)
    assert sol.outcomes[0]["value"] == pytest.approx(best)
    assert sol.run.incumbent == pytest.approx(best)
    assert sol.outcomes[0]["x"] <= min(a * b, 7.0, cap) + 1e-9


def test_copies_solve_side_by_side_each_at_its_own_values():
    m = _toy()
    pm = ParametricModel(m, [(m.value, True)], {"value": m.value})
    thetas = np.array([pm.theta({"cap": {None: c}, "a": {None: 1.0}, "b": {None: 2.0}}) for c in (1.0, 4.0, 30.0)])
    sol = pm.solve(thetas, **OPTS)
    assert [o["value"] for o in sol.outcomes] == pytest.approx([3.0, 3 * 2 + 2 * 2, 3 * 2 + 2 * 10])
    assert sol.columns is not None and sol.columns.shape == (3, 2)


def test_arrays_equal_the_ordinary_compile_at_the_same_values():
    """The template at some values equals compile_model of the model with its Params set to them (the fixed
    column folded into the bound by hand)."""
    m = _toy()
    pm = ParametricModel(m, [(m.value, True)], {})
    values = {"cap": {None: 6.5}, "a": {None: 0.5}, "b": {None: 3.0}}
    arrays = pm.arrays(pm.theta(values))
    for name, v in values.items():
        m.component(name).set_value(v[None])
    lin, _ = compile_model(m)
    z = [i for i, v in enumerate(lin.columns) if v.fixed]
    free = [i for i, v in enumerate(lin.columns) if not v.fixed]
    for r, con in enumerate(lin.constraints):
        a, b = lin.rows.start[r], lin.rows.start[r + 1]
        row = dict(zip(lin.rows.index[a:b].tolist(), lin.rows.value[a:b].tolist()))
        folded = sum(row.get(i, 0.0) * lin.columns[i].value for i in z)
        mine = pm.constraints.index(con)
        assert arrays.row_upper[mine] == pytest.approx(lin.rows.upper[r] - folded)
        got = {int(c): v for rr, c, v in zip(arrays.row, arrays.col, arrays.value) if rr == mine}
        want = {free.index(i): v for i, v in row.items() if i in free and v != 0}
        assert got == pytest.approx(want)


def test_a_later_stage_keeps_the_earlier_optimum():
    """Stage 1: max x + y <= 4 (many optima); stage 2: min y among them -> x = 4, y = 0 (x <= 4 by hand)."""
    m = pyo.ConcreteModel()
    m.cap = pyo.Param(initialize=4.0, mutable=True)
    m.x = pyo.Var(bounds=(0, 4))
    m.y = pyo.Var(bounds=(0, 10))
    m.c = pyo.Constraint(expr=m.x + m.y <= m.cap)
    pm = ParametricModel(m, [(m.x + m.y, True), (m.y, False)], {"x": m.x, "y": m.y})
    sol = pm.solve(pm.theta({"cap": {None: 9.0}}), lex_tolerance=1e-9, **OPTS)
    assert sol.outcomes[0] == pytest.approx({"x": 4.0, "y": 5.0})
    sol = pm.solve(pm.theta({"cap": {None: 3.0}}), lex_tolerance=1e-9, **OPTS)
    assert sol.outcomes[0] == pytest.approx({"x": 3.0, "y": 0.0})


def test_what_is_not_polynomial_in_the_params_is_refused():
    m = pyo.ConcreteModel()
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.x = pyo.Var()
    m.y = pyo.Var()
    m.c = pyo.Constraint(expr=m.x / m.p <= 1)
    with pytest.raises(ValueError, match="division"):
        ParametricModel(m, [(m.x, True)], {})
    m.c.deactivate()
    m.d = pyo.Constraint(expr=m.x * m.y <= 1)
    with pytest.raises(ValueError, match="product of two variables"):
        ParametricModel(m, [(m.x, True)], {})


def test_every_param_must_be_given():
    m = _toy()
    pm = ParametricModel(m, [(m.value, True)], {})
    with pytest.raises(ValueError, match="'b'"):
        pm.theta({"cap": {None: 1.0}, "a": {None: 1.0}})
