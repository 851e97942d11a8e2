"""Every plan reported has passed the independent checker; one that fails it is written, flagged and exits 6."""

from __future__ import annotations

import json

import pytest
from reeplan.cli.app import main
from reeplan.errors import PlanCheckError
from reeplan.instance.io import load_instance
from reeplan.solving import pipeline
from reeplan.solving.pipeline import solve

from tests.conftest import DATA

TWO = DATA / "two_sites.yaml"


def test_a_correct_plan_passes_the_checker_and_says_so(tmp_path):
    result = solve(load_instance(TWO))
    assert result.check_violations == [] and "check" in result.seconds
    result.write(tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text())["check_violations"] == []


def _corrupt_flows(real):
    """extract_tables, then one shipment 1 t larger than the plan: the flows no longer balance the feed."""

    def extract(m, data, duals=None):
        tables = real(m, data, duals)
        flows = tables["flows"]
        flows.loc[flows.index[0], "t"] += 1.0
        return tables

    return extract


def test_a_plan_the_checker_rejects_is_flagged(monkeypatch):
    monkeypatch.setattr(pipeline, "extract_tables", _corrupt_flows(pipeline.extract_tables))
    result = solve(load_instance(TWO), why=False)
    assert result.check_violations and any("flow" in v or "feed" in v for v in result.check_violations)


def test_the_cli_exits_6_on_a_rejected_plan_and_keeps_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(pipeline, "extract_tables", _corrupt_flows(pipeline.extract_tables))
    with pytest.raises(SystemExit) as stop:
        main(["solve", str(TWO), "--out", str(tmp_path / "out"), "--no-store", "--no-why"])
    assert stop.value.code == PlanCheckError.exit_code == 6
    assert "failed the independent checker" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["check_violations"]


def test_sweep_rows_carry_the_checker_verdict():
    from reeplan.analysis.sweep import run_sweep
    from reeplan.analysis.sweep_plan import make_plan

    df = run_sweep(make_plan(TWO, ["budget.total_bn_rub"], ["5,10"]))
    assert (df["check_violations"] == 0).all()
