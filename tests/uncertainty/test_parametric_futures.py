"""Parametric futures (one model per plan and process) against the reference: a model built per future.

The reference builds each future's copy from the future's Instance (``build_stress_model``); the parametric
path builds the plan's model once and only moves the numbers of ``models/tables.py``. Both must give the
same outcomes on random futures of instances with every structure the schema allows (committed projects
whose ready year slips, transit years, link upgrades, deposit and power expansions, R&D prerequisites,
yearly caps, opex that counts), and the same model: row by row, the template at a future's values is
the ordinary compile of that future's copy.
"""

from __future__ import annotations

import pytest
from reeplan.generate import generate_instance
from reeplan.instance.io import load_instance
from reeplan.models.data import model_data
from reeplan.models.stochastic import build_stress_model
from reeplan.models.tables import future_tables
from reeplan.options import SolveOptions
from reeplan.solving.compile import compile_model
from reeplan.solving.pipeline import solve
from reeplan.uncertainty.futures import apply_future, sample_futures
from reeplan.uncertainty.stress import evaluate_futures, parametric_stress_model, plan_from_result

from tests.conftest import ROOT

NOT_OUTCOMES = {"seconds", "status", "check_violations"}


def _cases():
    yield "siberia-2030", load_instance(ROOT / "instances" / "siberia-2030.yaml")
    yield "tiny", load_instance(ROOT / "instances" / "tiny.yaml")
    tiny = load_instance(ROOT / "instances" / "tiny.yaml")
    yield "tiny-opex-counts", tiny.model_copy(update={"budget": tiny.budget.model_copy(update={"opex_counts": True})})
    for seed in (0, 1, 2):  # committed projects, upgrades, expansions, prerequisites; seed 2: opex counts
        yield f"generated-{seed}", generate_instance(4, 3, 2, 3, 6, seed=seed)


CASES = dict(_cases())


@pytest.fixture(scope="module")
def plans():
    out = {}
    for name, inst in CASES.items():
        res = solve(inst, SolveOptions(marginals=False, why=False, threads=1))
        out[name] = (inst, plan_from_result(inst, res))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_parametric_outcomes_equal_the_model_built_per_future(plans, name):
    inst, plan = plans[name]
    futures = sample_futures(inst, 12, seed=7).to_dict("records")
    futures.append({})  # the point estimate
    fast = evaluate_futures(inst, plan, futures, batch=5, check_every=6)
    slow = evaluate_futures(inst, plan, futures, batch=1, parametric=False)
    for k, (a, b) in enumerate(zip(fast, slow)):
        assert a["status"] == b["status"], k
        for key in b.keys() - NOT_OUTCOMES:
            if isinstance(b[key], bool):
                assert a[key] == b[key], (k, key)
            else:
                assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-4), (k, key)
    checked = [row["check_violations"] for row in fast if "check_violations" in row]
    assert len(checked) == 3 and sum(checked) == 0  # futures 0, 6 and 12 passed the independent checker


def _rows_by_name(lin, prefix: str) -> dict[str, tuple[float, float, dict[str, float]]]:
    """{constraint name: (lower, upper, {free variable name: coefficient})} of active rows, fixed columns folded."""
    out = {}
    for r, con in enumerate(lin.constraints):
        if not lin.active[r]:
            continue
        a, b = lin.rows.start[r], lin.rows.start[r + 1]
        coefs, folded = {}, 0.0
        for i, c in zip(lin.rows.index[a:b].tolist(), lin.rows.value[a:b].tolist()):
            var = lin.columns[i]
            if var.fixed:
                folded += c * var.value
            elif c != 0:
                coefs[var.name.removeprefix(prefix)] = c
        out[con.name.removeprefix(prefix)] = (lin.rows.lower[r] - folded, lin.rows.upper[r] - folded, coefs)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_the_template_at_a_future_is_the_compile_of_that_futures_model(plans, name):
    inst, plan = plans[name]
    model, _, _ = parametric_stress_model(inst, plan)
    for future in sample_futures(inst, 3, seed=11).to_dict("records"):
        f = apply_future(inst, future)
        arrays = model.arrays(model.theta(future_tables(model_data(f, index_from=inst))))
        root, _ = build_stress_model(inst, [f], plan)
        lin = compile_model(root)[0]
        want = _rows_by_name(lin, "scenario_0.")
        want = {k: v for k, v in want.items() if not k.startswith(("lexicographic", "chain_"))}
        names = [c.name for c in model.constraints]
        assert set(names) == set(want)
        columns = [v.name for v in model.columns]
        for r, row_name in enumerate(names):
            lo, hi, coefs = want[row_name]
            assert arrays.row_lower[r] == pytest.approx(lo, rel=1e-12, abs=1e-9), row_name
            assert arrays.row_upper[r] == pytest.approx(hi, rel=1e-12, abs=1e-9), row_name
            mine = arrays.row == r
            got = {columns[c]: v for c, v in zip(arrays.col[mine].tolist(), arrays.value[mine].tolist())}
            assert got == pytest.approx(coefs, rel=1e-12), row_name
        bounds = {v.name.removeprefix("scenario_0."): (lo, hi)
                  for v, lo, hi in zip(lin.columns, lin.col_lower, lin.col_upper) if not v.fixed}
        assert set(columns) == set(bounds)
        for c, col_name in enumerate(columns):
            assert (arrays.col_lower[c], arrays.col_upper[c]) == pytest.approx(bounds[col_name]), col_name


def test_one_model_per_plan_and_process_is_reused(plans):
    inst, plan = plans["tiny"]
    first, _, _ = parametric_stress_model(inst, plan)
    again, _, _ = parametric_stress_model(inst.model_copy(), dict(plan))
    assert again is first


def test_a_futures_whole_horizon_output_is_the_most_the_plan_allows(plans):
    """Cumulative HPO in a future is the most the fixed plan can produce with the target year at its best,
    computed here from scratch: target-year HPO held at the stress optimum, total HPO maximised in a fresh
    model with no start. (HiGHS 1.16 handed back its MIP start as the solution of this very stage, single
    future, while reporting the better optimum: highs.run_highs solves again when that happens.)"""
    import pyomo.core as pyo
    from reeplan.solving import highs

    inst, plan = plans["siberia-2030"]
    future = sample_futures(inst, 50, seed=0).to_dict("records")[11]  # the future where the start came back
    rows = {p: evaluate_futures(inst, plan, [future], batch=1, parametric=p)[0] for p in (True, False)}
    root, [(sub, _)] = build_stress_model(inst, [apply_future(inst, future)], plan)
    for obj in root.component_data_objects(pyo.Objective):
        obj.deactivate()
    root.keep = pyo.Constraint(expr=sub.HPO_Output[inst.target_year] >= rows[False]["hpo_t"] * (1 - 1e-9))
    root.total = pyo.Objective(expr=sum(sub.HPO_Output[t] for t in inst.years), sense=pyo.maximize)
    fresh = highs.run(highs.HighsModel(root), time_limit=None, mip_gap=1e-9, threads=1, options={})
    assert fresh.incumbent > rows[False]["hpo_t"] + 1.0  # the plan produces before the target year too
    for p, row in rows.items():
        assert row["cumulative_hpo_t"] == pytest.approx(fresh.incumbent, rel=1e-6), p


def test_best_levels_by_hand(plans):
    """tiny.yaml: the plan funds purity-rd (2 yr, from 2025), ready in 2027: level 'purity-rd' (0.6 x 0.5 =
    0.30) in 2027, today's level '' (0.5 x 0.2) before. If the programme fails its gains are 0: both levels
    give 0.10 and equal recovery, and the first listed ('') is kept."""
    from reeplan.models.stochastic import best_levels

    inst, plan = plans["tiny"]
    for future, want in (({}, {2025: "", 2026: "", 2027: "purity-rd"}),
                         ({"rd_success[programme:purity-rd]": 0.0}, {2025: "", 2026: "", 2027: ""})):
        data = model_data(apply_future(inst, future), index_from=inst)
        assert best_levels(data, future_tables(data), plan) == want
