"""The independent plan checker on a tiny instance whose plan is worked out by hand.

Instance: 2026-2028, two sites (Krasnokamensk with one existing module, Ust-Ilimsk to be opened),
one deposit (Tomtor), one rail link into Krasnokamensk (1-year transit) with an upgrade, one grid
with an existing connection to Krasnokamensk and a buildable one to Ust-Ilimsk, one R&D programme.

The plan, by hand:
- 2026: start 1 module at Krasnokamensk (10), open Ust-Ilimsk (5), start the rail upgrade (4) and
  the solvent-extraction programme (3); ship 500 t (arrives 2027). Capex 22.
- 2027: start 1 module at Ust-Ilimsk (8); Krasnokamensk has 2 modules (1000 t) and processes 500 t;
  ship 900 t (link 600 + upgrade 400 ready 2027); programme complete: recovery 0.90, HP share 0.70.
- 2028: Krasnokamensk processes 900 t; Ust-Ilimsk has 1 new module (400 t, 80 jobs), no feed. So no
  *new plant produces* in 2028: Krasnokamensk is an existing works expanded, Ust-Ilimsk is idle.
Opex (bn RUB): 2026 transport 500·1000·2/1e9 = 0.001;
2027 processing 0.2·500/1e3 = 0.1 + power 1.0 GWh·1500/1e6 = 0.0015 + transport 900·1000·2/1e9 = 0.0018;
2028 processing 0.2·900/1e3 = 0.18 + power 1.8·1500/1e6 = 0.0027.
Output: 2027 REO 450, HPO 315; 2028 REO 810, HPO 567. Spend (opex counts) 30.287 of 30.5.
"""

from __future__ import annotations

import pandas as pd
import pytest
from reeplan.check import Violation, assert_plan_ok, check_plan
from reeplan.instance.schema import Instance

K, U = "Krasnokamensk", "Ust-Ilimsk"
LINK, UPGRADE, GRID, SX = "Tomtor-Krasnokamensk rail", "Tomtor rail upgrade", "Irkutsk grid", "Solvent extraction"


def tiny_instance(**changes) -> Instance:
    """The hand-worked instance; keyword arguments replace top-level sections."""
    data = dict(
        name="tiny",
        horizon=dict(start_year=2026, end_year=2028),
        budget=dict(total_bn_rub=30.5, rd_envelope_bn_rub=3.0, yearly_cap_bn_rub={2026: 23.0}, opex_counts=True),
        technology=dict(recovery_today=0.85, hp_share_today=0.5, max_recovery=0.95, max_hp_share=1.0),
        policy=dict(
            plants_online=dict(enabled=True, year=2028, min_count=0),  # see test_idle_or_expanded_site_is_no_new_plant
            jobs=dict(enabled=True, year=2028, min_jobs=150),
            reo_output=dict(enabled=True, year=2028, min_t_per_yr=800),
            hpo_output=dict(enabled=True, year=2028, min_t_per_yr=500),
            hp_share=dict(enabled=True, year=2028, min_share=0.6),
        ),
        deposits=[dict(name="Tomtor", supply_t_per_yr=1000)],
        sites=[
            dict(name=K, existing_modules=1, max_modules=2, module_capacity_t_per_yr=500,
                 capex_bn_rub_per_module=10, development_cost_bn_rub=0, lead_time_yr=1,
                 opex_m_rub_per_t=0.2, electricity_mwh_per_t=2, jobs_per_module=100),
            dict(name=U, existing_modules=0, max_modules=2, module_capacity_t_per_yr=400,
                 capex_bn_rub_per_module=8, development_cost_bn_rub=5, lead_time_yr=1,
                 opex_m_rub_per_t=0.3, electricity_mwh_per_t=3, jobs_per_module=80),
        ],
        power_sources=[dict(name=GRID, spare_energy_gwh_per_yr=5, tariff_rub_per_mwh=1500)],
        power_connections=[
            dict(name="grid-K", source=GRID, site=K, capacity_gwh_per_yr=3, exists=True),
            dict(name="grid-U", source=GRID, site=U, capacity_gwh_per_yr=2, capex_bn_rub=2, lead_time_yr=1),
        ],
        links=[dict(name=LINK, deposit="Tomtor", site=K, mode="rail", distance_km=1000,
                    tariff_rub_per_t_km=2, capacity_t_per_yr=600, transit_yr=1)],
        link_upgrades=[dict(name=UPGRADE, link=LINK, capex_bn_rub=4, lead_time_yr=1, capacity_added_t_per_yr=400)],
        rd_programmes=[dict(name=SX, cost_bn_rub=3, duration_yr=1, recovery_gain=0.05, hp_share_gain=0.2)],
    )
    data.update(changes)
    return Instance.model_validate(data)


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    """A table from space-separated column names and row tuples."""
    return pd.DataFrame(rows, columns=columns.split())


def hand_tables() -> dict[str, pd.DataFrame]:
    """The result tables of the hand-worked plan, every number typed in by hand."""
    return {
        "allocation": _frame("year area item kind bn_rub", [
            (2026, "plants", K, "module", 10.0),
            (2026, "plants", U, "site_opening", 5.0),
            (2026, "logistics", UPGRADE, "link_upgrade", 4.0),
            (2026, "rd", SX, "programme", 3.0),
            (2027, "plants", U, "module", 8.0),
        ]),
        "plants": _frame("site year opened modules_started modules_online capacity_t feed_t jobs", [
            (K, 2026, False, 1, 1, 500.0, 0.0, 0.0),
            (K, 2027, False, 0, 2, 1000.0, 500.0, 100.0),
            (K, 2028, False, 0, 2, 1000.0, 900.0, 100.0),
            (U, 2026, True, 0, 0, 0.0, 0.0, 0.0),
            (U, 2027, False, 1, 0, 0.0, 0.0, 0.0),
            (U, 2028, False, 0, 1, 400.0, 0.0, 80.0),
        ]),
        "flows": _frame("link deposit site mode ship_year arrival_year t", [
            (LINK, "Tomtor", K, "rail", 2026, 2027, 500.0),
            (LINK, "Tomtor", K, "rail", 2027, 2028, 900.0),
        ]),
        "power": _frame("connection source site year gwh", [
            ("grid-K", GRID, K, 2027, 1.0),
            ("grid-K", GRID, K, 2028, 1.8),
        ]),
        "projects": _frame("project kind area start_year ready_year capex_bn_rub", [
            (UPGRADE, "link_upgrade", "logistics", 2026, 2027, 4.0),
            (SX, "programme", "rd", 2026, 2027, 3.0),
        ]),
        "rd": _frame("programme start_year completion_year cost_bn_rub", [
            (SX, 2026, 2027, 3.0),
        ]),
        "output": _frame(
            "year feed_t reo_t hpo_t recovery hp_share level capex_bn_rub opex_bn_rub spend_bn_rub jobs", [
                (2026, 0.0, 0.0, 0.0, 0.85, 0.5, "", 22.0, 0.001, 22.001, 0.0),
                (2027, 500.0, 450.0, 315.0, 0.9, 0.7, SX, 8.0, 0.1033, 8.1033, 100.0),
                (2028, 900.0, 810.0, 567.0, 0.9, 0.7, SX, 0.0, 0.1827, 0.1827, 180.0),
            ]),
    }


def mutate(tables: dict[str, pd.DataFrame], table: str, match: dict, column: str, value) -> dict:
    """A copy of the tables with one cell changed (the row is picked by ``match``; it must be unique)."""
    out = {name: frame.copy() for name, frame in tables.items()}
    frame = out[table]
    if isinstance(value, float) and pd.api.types.is_integer_dtype(frame[column]):
        frame[column] = frame[column].astype(float)
    elif not isinstance(value, (bool, int, float)):
        frame[column] = frame[column].astype(object)
    mask = pd.Series(True, index=frame.index)
    for key, wanted in match.items():
        mask &= frame[key] == wanted
    assert mask.sum() == 1, f"{table} {match} matches {mask.sum()} rows"
    frame.loc[mask, column] = value
    return out


def rules(violations: list[Violation]) -> set[str]:
    """The rule names among the violations."""
    return {v.rule for v in violations}


# ---------------------------------------------------------------------------------------------
# The hand-worked plan is consistent


def test_hand_plan_has_no_violation():
    assert check_plan(tiny_instance(), hand_tables()) == []


@pytest.mark.parametrize("objective, value", [
    ("max-hpo", 567.0),
    ("max-cumulative-hpo", 882.0),
    ("min-cost", 30.287),
])
def test_reported_objective_matches(objective, value):
    assert check_plan(tiny_instance(), hand_tables(), objective, reported_objective=value) == []


def test_assert_plan_ok_passes_and_raises_listing_every_violation():
    assert_plan_ok(tiny_instance(), hand_tables(), reported_objective=567.0)
    bad = mutate(hand_tables(), "output", {"year": 2028}, "recovery", 0.92)
    with pytest.raises(AssertionError, match="recovery_formula"):
        assert_plan_ok(tiny_instance(), bad, reported_objective=600.0)


def test_differences_within_tolerance_are_accepted():
    tables = mutate(hand_tables(), "output", {"year": 2028}, "hpo_t", 567.0 * (1 + 1e-7))
    tables = mutate(tables, "output", {"year": 2027}, "opex_bn_rub", 0.1033 + 1e-9)
    assert check_plan(tiny_instance(), tables) == []


def test_tables_read_back_from_csv_still_check(tmp_path):
    for name, frame in hand_tables().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    read = {name: pd.read_csv(tmp_path / f"{name}.csv") for name in hand_tables()}
    assert read["output"]["level"].isna().any()  # '' comes back as NaN: today's level
    assert check_plan(tiny_instance(), read) == []


# ---------------------------------------------------------------------------------------------
# One wrong cell, one expected rule


@pytest.mark.parametrize("table, match, column, value, rule", [
    # over-capacity feed: 1100 t arrive in 2028 at 1000 t of capacity (also over link and supply)
    ("flows", {"ship_year": 2027}, "t", 1100.0, "plant_capacity"),
    ("flows", {"ship_year": 2027}, "t", 1100.0, "link_capacity"),
    ("flows", {"ship_year": 2027}, "t", 1100.0, "deposit_supply"),
    ("flows", {"ship_year": 2027}, "t", 1100.0, "feed_balance"),
    # 700 t in 2026, before the upgrade is ready: 600 t link
    ("flows", {"ship_year": 2026}, "t", 700.0, "link_capacity"),
    ("flows", {"ship_year": 2026}, "arrival_year", 2026, "arrival_year"),
    ("flows", {"ship_year": 2026}, "site", U, "flow_fields"),
    ("flows", {"ship_year": 2026}, "link", "Nowhere rail", "unknown_link"),
    # budget overrun: a second module at Ust-Ilimsk costs 8 more than the 0.213 left
    ("plants", {"site": U, "year": 2027}, "modules_started", 2, "budget_total"),
    # module started before the site is open: the opening is dropped
    ("plants", {"site": U, "year": 2026}, "opened", False, "module_site_closed"),
    ("plants", {"site": U, "year": 2027}, "opened", True, "site_open_once"),
    ("plants", {"site": K, "year": 2027}, "opened", True, "site_open_existing"),
    ("plants", {"site": K, "year": 2027}, "modules_started", 1, "module_limit"),
    ("plants", {"site": U, "year": 2027}, "modules_started", 0.5, "module_integrality"),
    # lead time violated: a module that could only produce in 2029; one online a year early
    ("plants", {"site": U, "year": 2028}, "modules_started", 1, "module_start_year"),
    ("plants", {"site": U, "year": 2027}, "modules_online", 1, "modules_online"),
    ("plants", {"site": K, "year": 2026}, "capacity_t", 1000.0, "capacity_value"),
    ("plants", {"site": K, "year": 2028}, "feed_t", 1200.0, "feed_balance"),
    ("plants", {"site": U, "year": 2028}, "jobs", 160.0, "jobs_value"),
    ("plants", {"site": U, "year": 2028}, "site", "Nowhere", "unknown_site"),
    # lead time violated on projects: ready a year early; upgrade started late; programme started late
    ("projects", {"project": UPGRADE}, "ready_year", 2026, "project_ready_year"),
    ("projects", {"project": UPGRADE}, "start_year", 2027, "link_capacity"),
    ("projects", {"project": UPGRADE}, "start_year", 2028, "project_start_year"),
    ("projects", {"project": SX}, "start_year", 2027, "level_not_ready"),
    ("projects", {"project": SX}, "start_year", 2027, "rd_projects_mismatch"),
    ("projects", {"project": UPGRADE}, "capex_bn_rub", 3.0, "project_capex"),
    ("projects", {"project": UPGRADE}, "area", "power", "project_area"),
    ("projects", {"project": UPGRADE}, "kind", "deposit_expansion", "unknown_project"),
    ("rd", {"programme": SX}, "completion_year", 2028, "rd_completion_year"),
    ("rd", {"programme": SX}, "cost_bn_rub", 2.0, "rd_cost"),
    ("rd", {"programme": SX}, "programme", "Alchemy", "unknown_programme"),
    # power
    ("power", {"year": 2028}, "gwh", 3.5, "connection_capacity"),
    ("power", {"year": 2028}, "gwh", 2.0, "power_need"),
    ("power", {"year": 2028}, "connection", "grid-U", "connection_capacity"),
    ("power", {"year": 2028}, "source", "Bratsk hydro", "power_fields"),
    # money
    ("allocation", {"item": K}, "bn_rub", 11.0, "allocation_cost"),
    ("allocation", {"item": K}, "bn_rub", 11.0, "allocation_area_year"),
    ("allocation", {"item": UPGRADE}, "area", "power", "allocation_area"),
    ("allocation", {"item": SX}, "item", "Alchemy", "allocation_unknown_item"),
    ("output", {"year": 2026}, "capex_bn_rub", 21.0, "output_capex"),
    ("output", {"year": 2028}, "opex_bn_rub", 0.18, "output_opex"),
    ("output", {"year": 2026}, "spend_bn_rub", 22.0, "output_spend"),
    # output
    ("output", {"year": 2028}, "recovery", 0.92, "recovery_formula"),
    ("output", {"year": 2028}, "hp_share", 0.8, "hp_share_formula"),
    ("output", {"year": 2027}, "reo_t", 425.0, "reo_formula"),
    ("output", {"year": 2028}, "hpo_t", 570.0, "hpo_formula"),
    ("output", {"year": 2027}, "feed_t", 900.0, "output_feed"),
    ("output", {"year": 2028}, "jobs", 100.0, "output_jobs"),
    ("output", {"year": 2026}, "level", SX, "level_not_ready"),
    ("output", {"year": 2028}, "level", "Alchemy", "level_unknown"),
    ("output", {"year": 2028}, "year", 2030, "output_table"),
])
def test_single_wrong_cell_is_caught(table, match, column, value, rule):
    tables = mutate(hand_tables(), table, match, column, value)
    found = check_plan(tiny_instance(), tables)
    assert rule in rules(found), found


@pytest.mark.parametrize("reported", [float("nan"), float("inf")])
def test_non_finite_objective_is_caught(reported):
    assert rules(check_plan(tiny_instance(), hand_tables(), reported_objective=reported)) == {"objective"}


def test_wrong_objective_is_caught():
    found = check_plan(tiny_instance(), hand_tables(), "max-hpo", reported_objective=600.0)
    assert rules(found) == {"objective"}
    assert "567" in found[0].detail


def test_single_wrong_cell_gives_only_its_own_rule():
    found = check_plan(tiny_instance(), mutate(hand_tables(), "output", {"year": 2028}, "recovery", 0.92))
    assert [v.rule for v in found] == ["recovery_formula"]
    assert found[0].where == "year=2028"


# ---------------------------------------------------------------------------------------------
# The same plan against a stricter instance


def test_prerequisite_violated():
    """A second programme requiring SX: fine when started 2027 (SX complete), not when started 2026."""
    instance = tiny_instance(rd_programmes=[
        dict(name=SX, cost_bn_rub=3, duration_yr=1, recovery_gain=0.05, hp_share_gain=0.2),
        dict(name="Doping", cost_bn_rub=0, duration_yr=1, prerequisites=[SX]),
    ])

    def with_doping(start: int) -> dict[str, pd.DataFrame]:
        tables = hand_tables()
        tables["projects"] = pd.concat([tables["projects"], _frame(
            "project kind area start_year ready_year capex_bn_rub",
            [("Doping", "programme", "rd", start, start + 1, 0.0)])], ignore_index=True)
        tables["rd"] = pd.concat([tables["rd"], _frame(
            "programme start_year completion_year cost_bn_rub", [("Doping", start, start + 1, 0.0)])],
            ignore_index=True)
        return tables

    assert check_plan(instance, with_doping(2027)) == []
    found = check_plan(instance, with_doping(2026))
    assert rules(found) == {"rd_prerequisite"}
    assert found[0].where == "programme=Doping start_year=2026"


def test_level_must_be_closed_under_prerequisites():
    instance = tiny_instance(rd_programmes=[
        dict(name="Pilot", cost_bn_rub=0, duration_yr=0),
        dict(name=SX, cost_bn_rub=3, duration_yr=1, recovery_gain=0.05, hp_share_gain=0.2,
             prerequisites=["Pilot"]),
    ])
    tables = hand_tables()
    tables["projects"] = pd.concat([tables["projects"], _frame(
        "project kind area start_year ready_year capex_bn_rub", [("Pilot", "programme", "rd", 2026, 2026, 0.0)])],
        ignore_index=True)
    tables["rd"] = pd.concat([tables["rd"], _frame(
        "programme start_year completion_year cost_bn_rub", [("Pilot", 2026, 2026, 0.0)])], ignore_index=True)
    assert rules(check_plan(instance, tables)) == {"level_not_closed"}
    tables = mutate(tables, "output", {"year": 2027}, "level", f"Pilot;{SX}")
    tables = mutate(tables, "output", {"year": 2028}, "level", f"{SX}; Pilot")
    assert check_plan(instance, tables) == []


@pytest.mark.parametrize("changes, rule", [
    (dict(budget=dict(total_bn_rub=30.5, rd_envelope_bn_rub=2.0, yearly_cap_bn_rub={2026: 23.0}, opex_counts=True)),
     "budget_rd"),
    (dict(budget=dict(total_bn_rub=30.5, rd_envelope_bn_rub=3.0, yearly_cap_bn_rub={2026: 22.0}, opex_counts=True)),
     "budget_yearly"),
    (dict(budget=dict(total_bn_rub=30.2, rd_envelope_bn_rub=3.0, yearly_cap_bn_rub={2026: 23.0}, opex_counts=True)),
     "budget_total"),
    (dict(power_sources=[dict(name=GRID, spare_energy_gwh_per_yr=1.5, tariff_rub_per_mwh=1500)]), "power_source"),
    (dict(deposits=[dict(name="Tomtor", supply_t_per_yr=1000, available_from_year=2027)]), "deposit_supply"),
    (dict(policy=dict(plants_online=dict(enabled=True, year=2027, min_count=2))), "policy_plants_online"),
    (dict(policy=dict(jobs=dict(enabled=True, year=2028, min_jobs=200))), "policy_jobs"),
    (dict(policy=dict(reo_output=dict(enabled=True, year=2028, min_t_per_yr=900))), "policy_reo_output"),
    (dict(policy=dict(hpo_output=dict(enabled=True, year=2027, min_t_per_yr=400))), "policy_hpo_output"),
    (dict(policy=dict(hp_share=dict(enabled=True, year=2028, min_share=0.75))), "policy_hp_share"),
])
def test_stricter_instance_rules(changes, rule):
    found = check_plan(tiny_instance(**changes), hand_tables())
    assert rules(found) == {rule}, found


def test_disabled_policy_rule_is_not_checked():
    policy = dict(jobs=dict(enabled=False, year=2028, min_jobs=10_000))
    assert check_plan(tiny_instance(policy=policy), hand_tables()) == []


def test_opex_outside_budget_when_it_does_not_count():
    budget = dict(total_bn_rub=30.0, rd_envelope_bn_rub=3.0, yearly_cap_bn_rub={2026: 22.0}, opex_counts=False)
    tables = hand_tables()
    for year, capex in ((2026, 22.0), (2027, 8.0), (2028, 0.0)):
        tables = mutate(tables, "output", {"year": year}, "spend_bn_rub", capex)
    assert check_plan(tiny_instance(budget=budget), tables) == []
    # min-cost is the least budget: with opex outside it, the capital alone (22 + 8)
    assert check_plan(tiny_instance(budget=budget), tables, "min-cost", reported_objective=30.0) == []


# ---------------------------------------------------------------------------------------------
# Broken tables: a violation, never a crash


def test_missing_table_is_a_violation():
    tables = hand_tables()
    del tables["flows"]
    found = check_plan(tiny_instance(), tables)
    assert Violation("missing_table", "table=flows", "table is missing from the result") in found


def test_missing_column_is_a_violation_and_skips_only_its_comparisons():
    tables = hand_tables()
    tables["output"] = tables["output"].drop(columns=["hpo_t"])
    found = check_plan(tiny_instance(), tables)
    assert rules(found) == {"missing_column"}
    assert "hpo_t" in found[0].detail


def test_missing_key_column_ignores_the_table():
    tables = hand_tables()
    tables["flows"] = tables["flows"].drop(columns=["t"])
    found = check_plan(tiny_instance(), tables)
    assert "missing_column" in rules(found)
    assert "feed_balance" in rules(found)  # without shipments the plants' feed is unsupported


def test_unreadable_cell_is_a_violation():
    tables = mutate(hand_tables(), "plants", {"site": K, "year": 2028}, "capacity_t", "lots")
    found = check_plan(tiny_instance(), tables)
    assert rules(found) == {"bad_value"}


def test_empty_result_is_all_violations_no_crash():
    found = check_plan(tiny_instance(), {})
    assert {"missing_table", "policy_jobs"} <= rules(found)


def test_unknown_objective_is_a_violation():
    assert rules(check_plan(tiny_instance(), hand_tables(), objective="max-fun")) == {"objective"}


def test_idle_or_expanded_site_is_no_new_plant():
    """Plants online counts new sites that process at least the minimum feed: in the hand plan Krasnokamensk
    is an expansion of an existing works and Ust-Ilimsk is built but idle in 2028, so 0 new plants."""
    inst = tiny_instance(policy=dict(plants_online=dict(enabled=True, year=2028, min_count=1)))
    rules = [v.rule for v in check_plan(inst, hand_tables())]
    assert rules == ["policy_plants_online"]


def test_empty_year_does_not_meet_the_hp_share_floor():
    """A 60 % floor in a year with no output is not met (the share of nothing is no share)."""
    inst = tiny_instance(horizon=dict(start_year=2026, end_year=2028),
                         policy=dict(hp_share=dict(enabled=True, year=2026, min_share=0.6)))
    assert "policy_hp_share_output" in [v.rule for v in check_plan(inst, hand_tables())]
