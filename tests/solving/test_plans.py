"""Plans a planner can act on, checked on the base case against values computed another way.

- the objective chain: existing plants run from the first year, the plan is unique (three seeds,
  one and two threads give the same yearly allocation; excluding the plan by a no-good cut makes
  some level of the chain strictly worse);
- integer marginals equal the difference of two cold solves;
- min-cost is the least budget: max-hpo just below it misses the target, at it reaches it;
- "why not more?" names reachable concentrate and the R&D envelope.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd
import pyomo.environ as pyo
import pytest
from reeplan.check import check_plan
from reeplan.instance.io import load_instance
from reeplan.solving.pipeline import build, solve, solve_built

from tests.conftest import ROOT

BASE = ROOT / "instances" / "siberia-2030.yaml"
TWENTY_KT = ["policy.hpo_output.enabled=true", "policy.hpo_output.min_t_per_yr=20000"]


@cache
def base_result():
    return solve(load_instance(BASE))


def _plan_frames(res) -> list[pd.DataFrame]:
    """The decisions and the yearly money of a plan: what must not depend on seed or threads."""
    return [res.tables["allocation"], res.tables["plants"][["site", "year", "modules_started", "feed_t"]],
            res.tables["projects"][["project", "start_year"]],
            res.tables["flows"].query("t > 1e-3")]  # below a kilogram: solver noise, not a shipment


def assert_same_plan(a, b) -> None:
    for x, y in zip(_plan_frames(a), _plan_frames(b)):
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_exact=False,
                                      atol=1e-2, rtol=0)


def test_base_case_runs_what_exists_and_keeps_its_optimum():
    res = base_result()
    assert res.status.value == "optimal"
    assert math.isclose(res.objective, 21870.0, rel_tol=1e-6)
    plants = res.tables["plants"]
    solikamsk = plants[plants["site"] == "Solikamsk"].set_index("year")["feed_t"]
    assert (solikamsk >= 2600 - 1e-2).all(), "the existing works (2 x 1,300 t/yr) runs in every year"
    assert res.kpis["cumulative_hpo_t"] >= 36800
    assert res.tie_break.startswith("full chain optimal")
    assert check_plan(load_instance(BASE), res.tables, res.objective_name, res.objective) == []


def test_every_module_online_processes_feed_when_supply_allows():
    """No idle capacity while concentrate is left unshipped: each year, either every module online is
    full or every deposit ships all it can (the chain's 'operate what exists and what is built')."""
    res = base_result()
    plants, out = res.tables["plants"], res.tables["output"].set_index("year")
    for year, rows in plants.groupby("year"):
        idle = (rows["capacity_t"] - rows["feed_t"]).clip(lower=0).sum()
        assert idle < 1e-3 or out.loc[year, "feed_t"] > 0


@pytest.mark.parametrize("seed, threads", [(1, None), (2, None), (0, 1), (0, 2)])
def test_same_plan_for_any_seed_and_thread_count(seed, threads):
    other = solve(load_instance(BASE), seed=seed, threads=threads, why=False)
    assert_same_plan(other, base_result())


def _no_good_cut(m) -> None:
    """Exclude the loaded plan's first-stage decisions (binaries flipped, or an integer moved by >= 1)."""
    binaries, moves = [], []
    m.no_good_up = pyo.Var(list(m.Modules_Built_By), domain=pyo.Binary)
    m.no_good_down = pyo.Var(list(m.Modules_Built_By), domain=pyo.Binary)
    m.no_good_rows = pyo.ConstraintList()
    for idx, x in m.Modules_Built_By.items():
        v, upper = round(x.value), x.ub
        m.no_good_rows.add(x >= (v + 1) * m.no_good_up[idx])
        m.no_good_rows.add(x <= v - 1 + (upper - v + 1) * (1 - m.no_good_down[idx]))
        moves += [m.no_good_up[idx], m.no_good_down[idx]]
    for var in (m.Project_Begun, m.Site_Open_By):
        for x in var.values():
            binaries.append(1 - x if round(x.value) == 1 else x)
    m.no_good_rows.add(sum(binaries) + sum(moves) >= 1)


def test_excluding_the_plan_is_strictly_worse_at_some_level_of_the_chain():
    inst = load_instance(BASE)
    built = build(inst)
    first = solve_built(built, why=False, marginals=False)
    _no_good_cut(built.model)
    # the cut's rows and columns are added to the same HiGHS object (HighsModel.update)
    second = solve_built(built, why=False, marginals=False)
    if not second.has_plan:
        return  # no other plan at all: unique
    for a, b in zip(first.chain, second.chain):
        assert a["stage"] == b["stage"]
        tol = 1e-6 * max(1.0, abs(a["value"]))
        if abs(a["value"] - b["value"]) > tol:
            worse = b["value"] < a["value"] if a["sense"] == "max" else b["value"] > a["value"]
            assert worse, (a, b)
            return
    pytest.fail(f"another plan ties at every level: {first.chain} vs {second.chain}")


def _cold(*overrides: str, objective: str = "max-hpo") -> float:
    res = solve(load_instance(BASE, list(overrides)), objective=objective, tie_break=False, marginals=False,
                why=False, mip_gap=1e-9)
    assert res.status.value == "optimal"
    return res.objective


def test_rd_envelope_marginal_equals_two_cold_solves():
    res = base_result()
    m = res.tables["marginals"].set_index("rule")
    row = m.loc["budget_rd"]
    assert row["step"] == 10.0
    assert row["gain"] > 0
    cold = _cold("budget.rd_envelope_bn_rub=70") - _cold()
    assert math.isclose(row["gain"], cold, rel_tol=1e-6, abs_tol=1e-3)
    assert m.loc["budget_total", "gain"] == pytest.approx(_cold("budget.total_bn_rub=710") - _cold(), abs=1e-3)


def test_why_not_more_names_concentrate_and_the_rd_envelope():
    limits = base_result().tables["limits"]
    top = list(limits["limit"].head(2))
    assert top == ["reachable concentrate", "R&D envelope"]
    assert limits["gain"].iloc[0] > 0 and limits["gain"].iloc[1] > 0
    concentrate = limits.iloc[0]
    assert "Tomtor" in concentrate["detail"]
    # the ranking's gains are the objective gained from the relaxed instance, computed cold here
    from reeplan.solving.marginals import more_concentrate

    relaxed = solve(more_concentrate(load_instance(BASE)), tie_break=False, marginals=False, why=False, mip_gap=1e-9)
    assert concentrate["gain"] == pytest.approx(relaxed.objective - 21870.0, abs=1e-2)


def test_min_cost_is_the_least_budget_for_twenty_kt():
    res = solve(load_instance(BASE, TWENTY_KT), objective="min-cost", why=False)
    assert res.status.value == "optimal"
    least = res.objective
    assert 500 < least < 510
    assert res.kpis["hpo_t"] >= 20000 - 1e-6
    assert res.tables["output"]["hpo_t"].sum() > res.kpis["hpo_t"], "it produces before the target year too"
    # computed another way: max-hpo with that budget reaches 20 kt, with 0.5 bn less it does not
    assert _cold(f"budget.total_bn_rub={least + 1e-6}") >= 20000 - 1e-3
    assert _cold(f"budget.total_bn_rub={least - 0.5}") < 20000


def test_set_switches_on_a_rule_the_file_omits():
    inst = load_instance(BASE, TWENTY_KT)
    assert inst.policy.hpo_output.enabled and inst.policy.hpo_output.year == inst.target_year


def test_result_tables_carry_marginals_and_limits(tmp_path):
    res = base_result()
    res.write(tmp_path)
    back = pd.read_csv(tmp_path / "limits.csv")
    assert list(back["limit"].head(2)) == ["reachable concentrate", "R&D envelope"]
    assert set(pd.read_csv(tmp_path / "marginals.csv")["rule"]) >= {"budget_total", "budget_rd", "budget_yearly"}
