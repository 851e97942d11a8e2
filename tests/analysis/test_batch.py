"""reeplan batch: many scenarios solved, each kept as it finishes, resumable, recorded, compared at the end."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from functools import partial

import pytest
from reeplan.analysis.batch import CHECKPOINT, SCENARIOS_DIR, run_batch
from reeplan.errors import NoSolutionError
from reeplan.options import SolveOptions
from reeplan.sources import parse_scenario
from reeplan.store.runs import list_runs, record_run_quietly

from tests.conftest import DATA, ROOT

TWO = str(DATA / "two_sites.yaml")
NO_POLICY = "policy.plants_online.enabled=false"


def test_batch_solves_records_compares_and_resumes(tmp_path):
    (tmp_path / "half.yaml").write_text(f"base: {TWO}\nname: half\noverrides:\n  budget.total_bn_rub: 5\n")
    store = tmp_path / "runs.sqlite"
    specs = [f"{TWO}@{NO_POLICY}", str(tmp_path / "half.yaml")]
    out = run_batch([parse_scenario(s) for s in specs], tmp_path / "b", record=partial(record_run_quietly, str(store)))
    assert out.comparison is not None and not out.errors
    kpis = out.comparison.kpis
    assert math.isclose(kpis.loc["hpo_t (target year)"].iloc[0], 1050, rel_tol=1e-6)
    assert len(list_runs(store, command="batch")) == 2
    assert len(list((tmp_path / "b" / SCENARIOS_DIR).glob("*/summary.json"))) == 2
    again = run_batch([parse_scenario(s) for s in specs], tmp_path / "b", resume=True, workers=2,
                      record=partial(record_run_quietly, str(store)))
    assert sorted(again.resumed) == sorted(sc.label for sc in again.scenarios) and again.stats.tasks == 0
    assert len(list_runs(store, command="batch")) == 2


def test_a_failing_scenario_is_recorded_and_every_one_failing_is_exit_5(tmp_path):
    """min-cost needs an output target: the scenario without one fails (UsageError in the task), the other solves."""
    good = parse_scenario(f"{TWO}@{NO_POLICY}@policy.hpo_output.enabled=true@policy.hpo_output.min_t_per_yr=350")
    bad = parse_scenario(f"{TWO}@{NO_POLICY}")
    out = run_batch([good, bad], tmp_path / "b", options=SolveOptions(objective="min-cost"))
    assert list(out.errors) == [bad.label] and "min-cost needs an enforced output target" in out.errors[bad.label]
    assert good.result is not None and good.result.status.value == "optimal" and out.comparison is None
    entries = json.loads((tmp_path / "b" / CHECKPOINT).read_text())["scenarios"]
    assert [e["status"] for e in entries] == ["optimal", "error"]
    with pytest.raises(NoSolutionError, match="no scenario of the batch could be solved"):
        run_batch([parse_scenario(f"{TWO}@{NO_POLICY}")], tmp_path / "c", options=SolveOptions(objective="min-cost"))


def test_cli_batch_expands_globs_with_overrides(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reeplan", "batch", "tests/data/*.yaml@budget.total_bn_rub=7",
                           "--no-store", "--out", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(list((tmp_path / "b" / SCENARIOS_DIR).glob("*/summary.json"))) == len(list((DATA).glob("*.yaml")))
    assert (tmp_path / "b" / "comparison" / "kpis.csv").is_file()
    nothing = subprocess.run([sys.executable, "-m", "reeplan", "batch", "tests/data/nothing-*.yaml", "--no-store",
                              "--out", str(tmp_path / "n")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert nothing.returncode == 2 and "no file matches" in nothing.stderr


def test_two_scenarios_with_one_label_keep_their_own_outcomes(tmp_path):
    """Two files both named base.yaml (other folders, other budgets): each keeps its own folder, result and label."""
    for sub, budget in (("a", 10), ("b", 5)):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "base.yaml").write_text(f"base: {TWO}\noverrides:\n  budget.total_bn_rub: {budget}\n"
                                                  f"  policy.plants_online.enabled: false\n")
    scenarios = [parse_scenario(str(tmp_path / s / "base.yaml")) for s in ("a", "b")]
    out = run_batch(scenarios, tmp_path / "out")
    labels = [sc.label for sc in out.scenarios]
    assert len(set(labels)) == 2 and len(out.folders) == 2 and not out.errors
    hpo = {sc.label: sc.result.kpis["hpo_t"] for sc in out.scenarios}
    assert sorted(round(v) for v in hpo.values()) == [350, 1050]  # test_compare_two_budgets_hand_checked
