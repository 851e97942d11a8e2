"""Schedule float: per item of a plan, the years of delay it absorbs before target-year HPO falls.

Hand-derived case ("late tiny", built from instances/tiny.yaml below): horizon 2025-2029, target 2029, Mine
1,500 t/yr; Old Works 500 t/yr existing + a committed second module (500 t/yr, ready 2027, so 1,000 t/yr
from 2027 on the existing rail and grid-to-old); New Works one module (500 t/yr) needing its site, the grid-to-new
connection and the new road; purity-rd gives 0.6 x 0.5 = 0.30 HPO per t of feed. The plan (fixed by hand):
  - New Works opened and one module started 2025, lead 2 -> produces from 2027;
  - grid-to-new (lead 1) begun 2028 -> ready 2029 (just in time: the critical item);
  - build-new-road (lead 2) begun 2026 -> ready 2028;
  - rail-upgrade (lead 1, +500 t/yr on a rail link that is never full) begun 2025 -> ready 2026;
  - purity-rd begun 2025 (duration 2) -> complete 2027.
Target-year HPO: 1,500 t feed x 0.30 = 450 t. Without New Works (its site, connection or road late) or without
the committed module (1,000 t feed): 300 t, a loss of 150 t. So, delaying one item by d years:
  - New Works: produces from 2027 + d; in time for 2029 while d <= 2: float 2, then -150 t; d = 3 takes the
    module start past the horizon (max delay 3);
  - grid-to-new: ready 2029 + d > 2029 at d = 1: float 0 (critical), -150 t;
  - build-new-road: ready 2028 + d: float 1, -150 t at d = 2;
  - rail-upgrade: never needed: absorbs every delay up to 4 (2026 + 4 > 2029), nothing lost;
  - committed module: ready 2027 + d: float 2, -150 t at d = 3;
  - purity-rd: an R&D programme's duration is no uncertain input: no float.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from reeplan.errors import UsageError
from reeplan.instance.io import load_instance
from reeplan.instance.schema import Instance
from reeplan.models.data import model_data
from reeplan.options import SolveOptions
from reeplan.uncertainty.futures import apply_future
from reeplan.uncertainty.robust import solve_fixed_plan
from reeplan.uncertainty.schedule_float import describe_float, schedule_float
from reeplan.uncertainty.stress import stress_test

from tests.conftest import run_reeplan

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny.yaml"
CONNECTION, ROAD, RAIL = "connection:grid-to-new", "link_upgrade:build-new-road", "link_upgrade:rail-upgrade"
STARTS = {CONNECTION: 2028, ROAD: 2026, RAIL: 2025, "programme:purity-rd": 2025}


def late_tiny() -> Instance:
    """instances/tiny.yaml stretched to 2029 with a committed module and an idle rail upgrade (module docstring)."""
    raw = load_instance(TINY).model_dump()
    raw["horizon"].update(end_year=2029, target_year=2029)
    raw["budget"]["total_bn_rub"] = 20
    raw["policy"]["plants_online"]["enabled"] = False
    raw["deposits"][0]["supply_t_per_yr"] = 1500
    raw["power_sources"][0]["spare_energy_gwh_per_yr"] = 20
    old = next(s for s in raw["sites"] if s["name"] == "Old Works")
    old["max_modules"] = 2
    next(c for c in raw["power_connections"] if c["name"] == "grid-to-new")["lead_time_yr"] = 1
    raw["link_upgrades"].append({**raw["link_upgrades"][0], "name": "rail-upgrade", "link": "mine-to-old-rail",
                                 "lead_time_yr": 1, "capacity_added_t_per_yr": 500})
    raw["committed"] = [{"name": "old-works-second-module", "kind": "module", "item": "Old Works", "modules": 1,
                         "ready_year": 2027, "capex_remaining_bn_rub": {2025: 1.0}}]
    return Instance.model_validate(raw)


def hand_plan(instance: Instance, modules: dict[str, int], starts: dict[str, int]) -> dict:
    """The first-stage decisions: ``modules`` site -> year of its one module (and opening), ``starts`` project ->
    year begun; cumulative over the instance's start years, as ``plan_from_result`` writes them."""
    data = model_data(instance)
    plan = {}
    for s, t in data.module_start:
        built = float(s in modules and modules[s] <= t)
        plan[("Modules_Built_By", (s, t))] = built
        if s in data.new_sites:
            plan[("Site_Open_By", (s, t))] = built
    for key, t in data.project_start:
        plan[("Project_Begun", (key, t))] = float(key in starts and starts[key] <= t)
    return plan


@pytest.fixture(scope="module")
def case():
    inst = late_tiny()
    plan = hand_plan(inst, {"New Works": 2025}, STARTS)
    return inst, plan, schedule_float(inst, plan)


def test_the_float_of_each_item_is_the_one_derived_by_hand(case):
    _, _, found = case
    got = found.table.set_index("name")
    expected = pd.DataFrame([
        # name, kind, start, ready, float, absorbs all, critical, lost per yr beyond float, lost if past target, max delay
        ("New Works", "site", 2025, 2027, 2, False, False, 150.0, 150.0, 3),
        ("grid-to-new", "connection", 2028, 2029, 0, False, True, 150.0, 150.0, 1),
        ("build-new-road", "link_upgrade", 2026, 2028, 1, False, False, 150.0, 150.0, 2),
        ("rail-upgrade", "link_upgrade", 2025, 2026, 4, True, False, 0.0, 0.0, 4),
        ("old-works-second-module", "committed", None, 2027, 2, False, False, 150.0, 150.0, 3),
    ], columns=["name", "kind", "start_year", "ready_year", "float_yr", "absorbs_all", "critical",
                "hpo_lost_t_per_yr", "hpo_lost_at_target_t", "max_delay_yr"]).set_index("name")
    assert list(got.index) == [*expected.index[:4], "purity-rd", expected.index[4]]  # sites, projects, committed
    for name, row in expected.iterrows():
        for col, want in row.items():
            have = got.loc[name, col]
            if pd.isna(want):  # the committed module: under way, no start in the plan
                assert pd.isna(have), (name, col)
            elif isinstance(want, float):
                assert have == pytest.approx(want, abs=1e-3), (name, col)
            else:
                assert have == want, (name, col, have)
    assert got.loc["New Works", "delay_column"] == "construction_delay_yr[site:New Works]"
    assert list(got["hpo_planned_t"]) == pytest.approx([450.0] * 6, abs=1e-3)
    rd = got.loc["purity-rd"]
    assert rd["kind"] == "programme" and pd.isna(rd["float_yr"]) and pd.isna(rd["delay_column"])


def test_by_delay_table_has_every_delay_up_to_the_target_year(case):
    _, _, found = case
    d = found.by_delay
    road = d[d["name"] == "build-new-road"]
    assert list(road["delay_yr"]) == [0, 1, 2] and list(road["ready_year"]) == [2028, 2029, 2030]
    assert list(road["hpo_t"].round(3)) == [450.0, 450.0, 300.0]
    assert len(d) == sum(1 + n for n in (3, 1, 2, 4, 3))  # delay 0 and 1..max for each delayable item
    assert (d["status"] == "optimal").all()


def _future_plan(future: Instance, plan: dict) -> dict:
    """The plan restricted to the start years the future's lead times still allow (a start pushed past the horizon
    is no build): the independent model is built from the future itself, not from the nominal index."""
    data = model_data(future)
    keep = set(data.module_start) | set(data.project_start)
    return {(name, idx): v for (name, idx), v in plan.items() if idx in keep}


@pytest.mark.parametrize("column, delay", [("site:New Works", 2), ("site:New Works", 3), (CONNECTION, 1),
                                           (ROAD, 1), (ROAD, 2), (RAIL, 4), ("committed:old-works-second-module", 3)])
def test_float_agrees_with_a_fresh_solve_of_the_delayed_future(case, column, delay):
    """The delayed future built with apply_future, its own model from scratch with the plan fixed (the
    deterministic max-hpo model: target-year HPO at its best), gives the HPO of the float table's row."""
    inst, plan, found = case
    kind, name = column.split(":", 1)
    future = apply_future(inst, {f"construction_delay_yr[{column}]": float(delay)})
    fresh = solve_fixed_plan(future, _future_plan(future, plan), SolveOptions(threads=1, mip_gap=1e-9))
    assert fresh.has_plan
    d = found.by_delay
    row = d[(d["kind"] == kind) & (d["name"] == name) & (d["delay_yr"] == delay)]
    assert len(row) == 1
    hpo = float(fresh.tables["output"].set_index("year").loc[inst.target_year, "hpo_t"])
    assert hpo == pytest.approx(float(row["hpo_t"].iloc[0]), abs=1e-3)


def test_describe_names_the_critical_items(case):
    _, _, found = case
    text = found.text()
    assert "1 of 5 items have no float" in text and "grid-to-new" in text
    assert "New Works" not in text.split("Of the others")[0]
    assert "1 can slip past 2029" in text and "1 take no delay input" in text and "3 absorb 1-2 years of delay" in text
    assert describe_float(found.table.iloc[0:0], 2029).startswith("Schedule float: the plan builds nothing")


def test_a_plan_that_builds_nothing_has_an_empty_float_table():
    inst = late_tiny().model_copy(update={"committed": []})
    found = schedule_float(inst, hand_plan(inst, {}, {}))
    assert found.table.empty and found.by_delay.empty
    assert "builds nothing" in found.text()


def test_stress_report_writes_the_float_tables(case, tmp_path):
    from reeplan.uncertainty.schedule_float import with_schedule_float

    inst, plan, found = case
    report = with_schedule_float(stress_test(inst, plan, samples=3, seed=1, workers=1), inst, plan)
    report.write(tmp_path)
    written = pd.read_csv(tmp_path / "float.csv")
    assert list(written["float_yr"].fillna(-1).astype(int)) == [2, 0, 1, 4, -1, 2]
    assert (tmp_path / "float_by_delay.parquet").is_file()
    assert "grid-to-new" in report.text() and math.isfinite(report.seconds["float"])


def test_bad_batch_is_a_usage_error(case):
    inst, plan, _ = case
    with pytest.raises(UsageError):
        schedule_float(inst, plan, batch=0)


def test_base_case_float_agrees_with_fresh_solves_of_delayed_futures():
    """siberia-2030's max-hpo plan: a critical site, the critical mine, a site with a year of float, and the committed
    complex pushed past 2030, each re-solved from scratch; the float table's verdicts follow from those HPOs."""
    from reeplan.solving.pipeline import solve
    from reeplan.uncertainty.stress import plan_from_result

    inst = load_instance(ROOT / "instances" / "siberia-2030.yaml")
    plan = plan_from_result(inst, solve(inst, marginals=False))
    found = schedule_float(inst, plan)
    table, d = found.table.set_index("name"), found.by_delay
    planned = float(table["hpo_planned_t"].iloc[0])
    for column, delay in [("site:Ust-Ilimsk", 1), ("deposit_expansion:tomtor-buranny-stage-1", 1),
                          ("site:Kodinsk", 1), ("committed:smz-separation-complex", 4)]:
        kind, name = column.split(":", 1)
        future = apply_future(inst, {f"construction_delay_yr[{column}]": float(delay)})
        fresh = solve_fixed_plan(future, _future_plan(future, plan), SolveOptions(threads=1, mip_gap=1e-9))
        hpo = float(fresh.tables["output"].set_index("year").loc[inst.target_year, "hpo_t"])
        row = d[(d["kind"] == kind) & (d["name"] == name) & (d["delay_yr"] == delay)]
        assert hpo == pytest.approx(float(row["hpo_t"].iloc[0]), abs=1e-2), column
        falls = hpo < planned - 1e-2
        if delay == 1:
            assert bool(table.loc[name, "critical"]) == falls, column
        if falls and int(table.loc[name, "float_yr"]) == delay - 1:
            assert float(table.loc[name, "hpo_lost_t_per_yr"]) == pytest.approx(planned - hpo, abs=1e-2), column
    assert table.loc["Ust-Ilimsk", "critical"] and not table.loc["Kodinsk", "critical"]


def _reeplan(*args, cwd: Path):
    return run_reeplan(*args, cwd=cwd, timeout=300)


def test_stress_cli_writes_float_and_names_the_critical_items_and_the_page_draws_them(tmp_path):
    """instances/tiny.yaml: every build starts 2025 and is ready in 2027, the target year (derivation at the top
    of that file), so New Works, grid-to-new and build-new-road have no float; purity-rd takes no delay."""
    import xml.etree.ElementTree as ET

    out = tmp_path / "stress"
    proc = _reeplan("stress", TINY, "--samples", 5, "--workers", 1, "--out", out, "--no-store", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out / "float.csv").set_index("name")
    assert sorted(table.index[table["critical"].fillna(False).astype(bool)]) == ["New Works", "build-new-road",
                                                                                   "grid-to-new"]
    assert table.loc["New Works", "hpo_lost_t_per_yr"] == pytest.approx(150.0, abs=1e-3)  # 300 t -> 500 t x 0.30 (Old only)
    assert pd.isna(table.loc["purity-rd", "float_yr"])
    said = " ".join(proc.stdout.split())  # the console wraps long lines
    assert "3 of 3 items have no float" in said
    for name in ("New Works", "grid-to-new", "build-new-road"):
        assert name in said
    page = tmp_path / "stress.html"
    proc = _reeplan("report", out, "--html", page, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = page.read_text(encoding="utf-8")
    assert "Critical path" in html
    svg = html[html.index('<svg viewBox="0 0', html.index("Critical path")):]
    root = ET.fromstring(svg[:svg.index("</svg>") + 6])
    bars = [r for r in root.iter("rect") if r.get("fill") == "#c53030"]
    assert len(bars) == 3  # the three critical items, in red


def test_stress_cli_no_float_writes_no_float_table(tmp_path):
    out = tmp_path / "stress"
    proc = _reeplan("stress", TINY, "--samples", 3, "--workers", 1, "--out", out, "--no-store", "--no-float",
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "float.csv").exists() and "no float" not in proc.stdout
