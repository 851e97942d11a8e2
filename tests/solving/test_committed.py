"""Committed projects (already under way): hand-derived on tests/data/two_sites.yaml, validation,
futures, and the base case's sourced pipeline (the SMZ separation complex)."""

from __future__ import annotations

import math

import pytest
from reeplan.check import check_plan
from reeplan.errors import InstanceError
from reeplan.instance.io import load_instance
from reeplan.result.targets import plants_online_note
from reeplan.solving.pipeline import solve
from reeplan.uncertainty.futures import apply_future

from tests.conftest import ROOT, load_two_sites

R1_UNDER_WAY = ("committed=[{'name': 'r1-under-way', 'kind': 'programme', 'item': 'R1', 'ready_year': 2026, "
                "'capex_remaining_bn_rub': {2025: 1.0}}]")
NO_PLANTS_RULE = "policy.plants_online.enabled=false"


def test_committed_programme_by_hand():
    """R1 is under way and complete in 2026 (a decision could only finish it in 2027), with 1 bn still to
    spend in 2025. 2025: Old alone at today's level, 1,000 t x 0.5 x 0.2 = 100 t. 2026 and 2027: New's two
    modules, road and power (started 2025, lead 1) and R1: 3,000 t x 0.7 x 0.5 = 1,050 t each. Sum 2,200 t.
    Capital: New opened 1 + road 1 + connection 1 + 2 modules 4 = 7 bn decided, + 1 bn committed = 8 bn
    against the budget; the R&D envelope holds the committed 1 bn."""
    inst = load_two_sites(R1_UNDER_WAY, NO_PLANTS_RULE)
    res = solve(inst, objective="max-cumulative-hpo")
    assert math.isclose(res.objective, 2200.0, rel_tol=1e-6)
    assert list(res.tables["output"]["hpo_t"].round(3)) == [100.0, 1050.0, 1050.0]
    assert math.isclose(res.kpis["spend_bn_rub"], 8.0, rel_tol=1e-6)
    assert res.kpis["committed_capex_bn_rub"] == pytest.approx(1.0)
    assert res.kpis["new_capex_bn_rub"] == pytest.approx(7.0)
    assert res.tables["rd"].empty, "a committed programme is not a decision"
    alloc = res.tables["allocation"]
    assert list(alloc.loc[alloc["kind"] == "committed", ["year", "area", "bn_rub"]].itertuples(index=False)) == [
        (2025, "rd", 1.0)]
    rd = res.tables["constraints"].set_index("rule").loc["budget_rd"]
    assert rd["lhs"] == pytest.approx(1.0)
    assert check_plan(inst, res.tables, res.objective_name, res.objective) == []


def test_committed_capex_outside_the_budget_when_it_does_not_count():
    inst = load_two_sites(R1_UNDER_WAY, NO_PLANTS_RULE, "budget.committed_counts=false")
    res = solve(inst, objective="max-cumulative-hpo")
    assert math.isclose(res.kpis["spend_bn_rub"], 7.0, rel_tol=1e-6)  # counted: the decisions only
    assert res.kpis["committed_capex_bn_rub"] == pytest.approx(1.0)  # still shown
    assert check_plan(inst, res.tables, res.objective_name, res.objective) == []


def test_committed_module_makes_a_new_plant_without_an_opening_decision():
    """One module at New under way, ready 2026: New produces in 2026 with no opening decision of its own,
    once its road and power are built (1 + 1 bn, started 2025). The plants-online rule (1 new plant in 2026)
    counts it."""
    inst = load_two_sites("committed=[{'name': 'new-line', 'kind': 'module', 'item': 'New', 'ready_year': 2026}]")
    res = solve(inst)
    plants = res.tables["plants"].set_index(["site", "year"])
    assert plants.loc[("New", 2026), "modules_online"] >= 1  # the committed line (and any the plan adds)
    assert not plants.loc[("New", 2025), "opened"] and not plants["opened"].any()
    assert res.targets.set_index("rule").loc["plants_online", "achieved"] == 1
    assert check_plan(inst, res.tables, res.objective_name, res.objective) == []


@pytest.mark.parametrize("entry, field, message", [
    ("{'name': 'x', 'kind': 'programme', 'item': 'R9', 'ready_year': 2026}", "item", "unknown"),
    ("{'name': 'x', 'kind': 'programme', 'item': 'R1', 'ready_year': 2024}", "ready_year", "before the horizon"),
    ("{'name': 'x', 'kind': 'module', 'item': 'New', 'modules': 4, 'ready_year': 2026}", "modules", "holds 3"),
    ("{'name': 'x', 'kind': 'programme', 'item': 'R1', 'ready_year': 2026, 'capex_remaining_bn_rub': {2031: 1}}",
     "capex_remaining_bn_rub", "outside the horizon"),
])
def test_bad_committed_entries_are_named(entry, field, message):
    with pytest.raises(InstanceError) as info:
        load_two_sites(f"committed=[{entry}]")
    problems = info.value.problems
    assert any(p.field == field and message in p.message and p.entity == "committed" for p in problems), problems


def test_futures_delay_and_overrun_committed_projects():
    inst = load_two_sites(R1_UNDER_WAY)
    late = apply_future(inst, {"construction_delay_yr[committed:r1-under-way]": 1,
                               "capex_overrun[committed:r1-under-way]": 1.5})
    (c,) = late.committed
    assert c.ready_year == 2027 and c.capex_remaining_bn_rub == {2025: 1.5}


BASE = ROOT / "instances" / "siberia-2030.yaml"


def test_base_case_pipeline_and_the_2026_rule():
    """The SMZ separation complex (2 lines at Solikamsk, ready 2027, 4.67 bn still to spend) is the only
    project under way the sources support; it is an addition to an existing works, not a new plant, so no
    new plant can produce in 2026 and the note says why."""
    inst = load_instance(BASE)
    (smz,) = inst.committed
    assert (smz.kind, smz.item, smz.modules, smz.ready_year) == ("module", "Solikamsk", 2, 2027)
    assert sum(smz.capex_remaining_bn_rub.values()) == pytest.approx(4.67)
    note = plants_online_note(inst, 2026)
    assert note.startswith("0 committed new plant(s) produce by 2026; 0 more can be added")
    assert "3 yr" in note
    res = solve(inst, why=False)
    assert math.isclose(res.objective, 21870.0, rel_tol=1e-6)
    solikamsk = res.tables["plants"].query("site == 'Solikamsk'").set_index("year")
    assert solikamsk.loc[2027, "modules_online"] == 5  # 2 existing + 2 committed + 1 decided (started 2025)
    assert check_plan(inst, res.tables, res.objective_name, res.objective) == []
    nothing = solve(load_instance(ROOT / "instances" / "variants" / "nothing-committed.yaml"), why=False)
    assert math.isclose(nothing.objective, 21870.0, rel_tol=1e-6)
    assert res.kpis["spend_bn_rub"] < nothing.kpis["spend_bn_rub"]  # the pipeline costs less than deciding anew


def test_compare_sets_committed_and_new_money_side_by_side():
    """R1 under way (1 bn left) vs R1 decided (2 bn): compare shows 1 bn committed against 0, and the
    decided capital 7 vs 9 bn (test_committed_programme_by_hand and test_solve_hand)."""
    from reeplan.analysis.compare import compare, solve_missing
    from reeplan.sources import parse_scenario

    two = ROOT / "tests" / "data" / "two_sites.yaml"
    under_way = parse_scenario(f"{two}@{NO_PLANTS_RULE}@{R1_UNDER_WAY}")
    decided = parse_scenario(f"{two}@{NO_PLANTS_RULE}")
    solve_missing([under_way, decided])
    kpis = compare([under_way, decided]).kpis
    a, b = under_way.label, decided.label
    assert kpis.loc["committed_capex_bn_rub (under way)", a] == pytest.approx(1.0)
    assert kpis.loc["committed_capex_bn_rub (under way)", b] == pytest.approx(0.0)
    assert kpis.loc["new_capex_bn_rub (decided)", a] == pytest.approx(7.0)
    assert kpis.loc["new_capex_bn_rub (decided)", b] == pytest.approx(9.0)
