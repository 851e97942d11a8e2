"""The ``reeplan`` command line: exit codes through ``main()``, output through Typer's CliRunner,
and one real subprocess per outcome class."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from reeplan.cli.app import app, main
from reeplan.errors import InfeasibleError
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
TWO_SITES = ROOT / "tests" / "data" / "two_sites.yaml"
OPTIMUM = 1050.0  # 3,000 t feed x 0.7 recovery x 0.5 HP share
TABLES = ("allocation", "plants", "flows", "power", "projects", "rd", "output", "constraints", "targets")

runner = CliRunner()


def exit_code(args: list) -> int:
    """Run ``main`` in process; the exit code it would give the shell (returning normally is 0)."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return 0 if exc.code is None else exc.code
    return 0


def main_fails(args: list) -> int:
    """Run ``main`` expecting a non-zero exit; return the code."""
    with pytest.raises(SystemExit) as excinfo:
        main([str(a) for a in args])
    assert excinfo.value.code not in (0, None)
    return excinfo.value.code


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def bad_instance(tmp_path: Path) -> Path:
    data = yaml.safe_load(TWO_SITES.read_text())
    data["sites"][1]["module_capacity_t_per_yr"] = -1000
    data["links"][0]["site"] = "Oldd"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    """two_sites solved once through ``main`` (exit code checked), shared by the read-only checks."""
    out = tmp_path_factory.mktemp("solved")
    assert exit_code(["solve", TWO_SITES, "--out", out, "--quiet"]) == 0
    return out


# --------------------------------------------------------------------------------------------
# solve
# --------------------------------------------------------------------------------------------


def test_solve_summary(solved):
    s = summary_of(solved)
    assert s["status"] == "optimal"
    assert s["objective"] == pytest.approx(OPTIMUM, rel=1e-4)
    assert s["hpo_t"] == pytest.approx(OPTIMUM, rel=1e-4)
    assert s["best_bound"] >= s["objective"] - 1e-6 * OPTIMUM
    assert s["best_bound"] == pytest.approx(OPTIMUM, rel=1e-4)
    assert 0 <= s["mip_gap"] <= 1e-4
    assert s["reo_t"] == pytest.approx(2 * OPTIMUM, rel=1e-4)  # HP share 0.5 after R&D
    assert 0 < s["spend_bn_rub"] <= 10 + 1e-6
    by_area = s["spend_by_area_bn_rub"]
    assert set(by_area) == {"plants", "power", "logistics", "mining", "rd"}
    assert sum(by_area.values()) == pytest.approx(s["spend_bn_rub"], abs=1e-6)
    assert by_area["rd"] == pytest.approx(2.0, abs=1e-6)
    assert {"build", "solve", "total"} <= set(s["seconds"])
    assert all(isinstance(v, float) and v >= 0 for v in s["seconds"].values())
    assert s["seconds"]["total"] >= s["seconds"]["build"]
    assert len(s["instance_sha256"]) == 64 and int(s["instance_sha256"], 16) >= 0
    assert s["solver"]["name"] == "highs"
    assert s["solver"]["version"]
    assert isinstance(s["solver"]["options"], dict)
    assert s["solver"]["options"]["mip_rel_gap"] == pytest.approx(1e-4)


def test_solve_sha_matches_the_instance(solved):
    from reeplan.instance.io import instance_sha256, load_instance

    assert summary_of(solved)["instance_sha256"] == instance_sha256(load_instance(TWO_SITES))


def test_solve_writes_one_csv_per_table(solved):
    for table in TABLES:
        path = solved / f"{table}.csv"
        assert path.is_file(), table
        df = pd.read_csv(path)
        assert len(df.columns) > 0, table
    assert not (solved / "diagnosis.csv").exists()
    assert not list(solved.glob(".*.tmp"))  # no leftovers of the atomic writes
    output = pd.read_csv(solved / "output.csv")
    assert list(output["year"]) == [2025, 2026, 2027]
    assert output.set_index("year").loc[2027, "hpo_t"] == pytest.approx(OPTIMUM, rel=1e-4)


def test_solve_summary_is_strict_json(solved):
    # NaN/inf must not leak into summary.json (they are not JSON)
    text = (solved / "summary.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} in summary.json"))


def test_solve_output_via_runner(tmp_path):
    result = runner.invoke(app, ["solve", str(TWO_SITES), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "OPTIMAL" in result.stdout and "two-sites" in result.stdout
    assert "wrote summary.json" in result.stdout
    assert "solving two-sites" in result.stderr
    assert summary_of(tmp_path)["status"] == "optimal"


def test_solve_quiet_prints_status_line_only(tmp_path):
    result = runner.invoke(app, ["solve", str(TWO_SITES), "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optimal objective=")
    assert result.stderr == ""


def test_set_budget_lowers_the_answer(solved, tmp_path):
    assert exit_code(["solve", TWO_SITES, "--out", tmp_path, "--quiet", "--set", "budget.total_bn_rub=5"]) == 0
    s = summary_of(tmp_path)
    assert s["status"] == "optimal"
    assert s["objective"] < summary_of(solved)["objective"] - 1
    assert s["spend_bn_rub"] <= 5 + 1e-6
    assert s["instance_sha256"] != summary_of(solved)["instance_sha256"]


def test_min_cost_needs_an_output_target(tmp_path, capsys):
    """min-cost without an enforced output rule is refused with a usage error (exit 2) naming the rule."""
    assert exit_code(["solve", TWO_SITES, "--out", tmp_path, "--quiet", "--objective", "min-cost"]) == 2
    assert "policy.hpo_output.enabled=true" in capsys.readouterr().err.replace("\n", "")


def test_min_cost_objective(tmp_path):
    assert exit_code(["solve", TWO_SITES, "--out", tmp_path, "--quiet", "--objective", "min-cost",
                      "--set", "policy.hpo_output.enabled=true", "--set", "policy.hpo_output.min_t_per_yr=700"]) == 0
    s = summary_of(tmp_path)
    assert s["status"] == "optimal" and s["objective_name"] == "min-cost"


def test_infeasible_exit_4_with_diagnosis(tmp_path, capsys):
    args = ["solve", TWO_SITES, "--out", tmp_path, "--set", "policy.plants_online.min_count=3"]
    assert main_fails(args) == 4
    captured = capsys.readouterr()
    assert "short by 2" in captured.out
    assert "infeasible" in captured.err.lower()
    assert "Traceback" not in captured.out + captured.err
    diagnosis = pd.read_csv(tmp_path / "diagnosis.csv")
    assert "policy_plants_online" in set(diagnosis["rule"])
    assert diagnosis["message"].str.contains("short by 2").any()
    s = summary_of(tmp_path)
    assert s["status"] == "infeasible" and s["objective"] is None
    assert s["diagnosis"] and "short by 2" in s["diagnosis"][0]["message"]


def test_infeasible_output_via_runner(tmp_path):
    result = runner.invoke(app, ["solve", str(TWO_SITES), "--out", str(tmp_path),
                                 "--set", "policy.plants_online.min_count=3"])
    assert isinstance(result.exception, InfeasibleError)
    assert "INFEASIBLE" in result.stdout and "short by 2" in result.stdout


# --------------------------------------------------------------------------------------------
# Errors and exit codes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_bad_instance_exit_3_lists_problems(tmp_path, capsys, command):
    bad = bad_instance(tmp_path)
    assert main_fails([command, bad, *(["--out", tmp_path / "out"] if command == "solve" else [])]) == 3
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    err = captured.err
    assert "2 problems" in err
    assert "module_capacity_t_per_yr" in err and "'New'" in err
    assert "Oldd" in err and "did you mean 'Old'" in err
    assert str(bad) in err
    assert not (tmp_path / "out").exists()


def test_missing_file_no_traceback(tmp_path, capsys):
    code = main_fails(["solve", tmp_path / "nope.yaml", "--out", tmp_path / "out"])
    assert code == 3
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "no such file" in captured.err


def test_set_unknown_path_exit_3(capsys):
    assert main_fails(["validate", TWO_SITES, "--set", "nosuch.path=1"]) == 3
    err = capsys.readouterr().err
    assert "--set" in err and "nosuch" in err


def test_set_malformed_exit_3(capsys):
    assert main_fails(["validate", TWO_SITES, "--set", "foo"]) == 3
    assert "PATH=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--time-limit", "-1"], ["--time-limit", "0"], ["--gap", "1.5"],
                                    ["--threads", "0"]])
def test_bad_option_value_exit_2(tmp_path, capsys, option):
    assert main_fails(["solve", TWO_SITES, "--out", tmp_path, *option]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "error" in captured.err
    assert not (tmp_path / "summary.json").exists()


def test_unknown_objective_rejected_by_app():
    # The Typer app itself (standalone, as CliRunner runs it) treats it as a usage error.
    result = runner.invoke(app, ["solve", str(TWO_SITES), "--objective", "nope"])
    assert result.exit_code == 2
    assert "nope" in result.output


USAGE_REASON = ("BUG: optimizer/cli/app.py main() has `except (typer.BadParameter, typer.UsageError)`, but typer "
                "0.29 has no `typer.UsageError`; evaluating that clause raises AttributeError, so every click usage "
                "error (unknown objective/option, missing argument) ends in a Traceback and exit 1 instead of a "
                "message and exit 2. Fix: catch click's UsageError (e.g. typer._click.exceptions / click.UsageError)")


@pytest.mark.parametrize("args", [
    ["solve", TWO_SITES, "--objective", "nope"],
    ["export", TWO_SITES, "--objective", "nope", "--mps", "x.mps"],
    ["solve", TWO_SITES, "--no-such-option"],
    ["solve"],
], ids=["objective", "export-objective", "unknown-option", "missing-argument"])
def test_usage_error_exit_2(capsys, args):
    assert main_fails(args) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_internal_error_exit_1_short_message(monkeypatch, capsys):
    import reeplan.instance.io as io

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(io, "load_instance", boom)
    assert main_fails(["validate", TWO_SITES]) == 1
    captured = capsys.readouterr()
    assert "internal error" in captured.err and "boom" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_inf_in_instance_exit_3(tmp_path, capsys):
    data = yaml.safe_load(TWO_SITES.read_text())
    data["sites"][0]["lead_time_yr"] = math.inf
    path = tmp_path / "inf.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main_fails(["validate", path]) == 3
    assert "lead_time_yr" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# schema, validate, export
# --------------------------------------------------------------------------------------------


def _has_key(node, key: str) -> bool:
    if isinstance(node, dict):
        return key in node or any(_has_key(v, key) for v in node.values())
    if isinstance(node, list):
        return any(_has_key(v, key) for v in node)
    return False


def test_schema_prints_json_with_units():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert {"horizon", "budget", "sites", "links"} <= set(schema["properties"])
    assert _has_key(schema, "unit")
    assert "bn RUB" in result.stdout


def test_schema_exit_0_via_main(capsys):
    assert exit_code(["schema"]) == 0
    assert "properties" in json.loads(capsys.readouterr().out)


def test_validate_valid_file(capsys):
    assert exit_code(["validate", TWO_SITES]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "two-sites" in out and "2 sites" in out


def test_validate_via_runner_with_set():
    result = runner.invoke(app, ["validate", str(TWO_SITES), "--set", "budget.total_bn_rub=500"])
    assert result.exit_code == 0
    assert "valid" in result.stdout


def test_validate_csv_folder(tmp_path, capsys):
    from reeplan.instance.io import load_instance, write_csv_folder

    folder = write_csv_folder(load_instance(TWO_SITES), tmp_path / "csv")
    assert exit_code(["validate", folder]) == 0
    assert "valid" in capsys.readouterr().out


def test_export_mps_and_lp(tmp_path, capsys):
    mps, lp = tmp_path / "model.mps", tmp_path / "sub" / "model.lp"
    assert exit_code(["export", TWO_SITES, "--mps", mps, "--lp", lp]) == 0
    assert mps.is_file() and lp.is_file()
    mps_text, lp_text = mps.read_text(), lp.read_text()
    assert "ROWS" in mps_text and "COLUMNS" in mps_text
    assert "max" in lp_text and ("s.t." in lp_text or "subject to" in lp_text.lower())
    assert "stage2" not in mps_text + lp_text  # stage 1 only
    out = capsys.readouterr().out
    assert str(mps) in out and str(lp) in out
    assert not list(tmp_path.rglob(".*partial*"))


def test_export_without_target_exit_2(capsys):
    assert main_fails(["export", TWO_SITES]) == 2
    assert "--mps" in capsys.readouterr().err


def test_export_unknown_suffix_exit_2(tmp_path, capsys):
    assert main_fails(["export", TWO_SITES, "--mps", tmp_path / "model.txt"]) == 2
    assert not (tmp_path / "model.txt").exists()


# --------------------------------------------------------------------------------------------
# Output folder
# --------------------------------------------------------------------------------------------


def test_new_solve_keeps_unrelated_files(tmp_path):
    out = tmp_path / "out"
    (out / "notes").mkdir(parents=True)
    (out / "README.txt").write_text("mine")
    (out / "my_analysis.csv").write_text("a,b\n1,2\n")
    (out / "notes" / "n.md").write_text("keep")
    assert exit_code(["solve", TWO_SITES, "--out", out, "--quiet"]) == 2  # not reeplan's folder: refused first
    assert exit_code(["solve", TWO_SITES, "--out", out, "--quiet", "--force"]) == 0
    assert exit_code(["solve", TWO_SITES, "--out", out, "--quiet", "--set", "budget.total_bn_rub=5"]) == 0  # now marked
    assert (out / "README.txt").read_text() == "mine"
    assert (out / "my_analysis.csv").read_text() == "a,b\n1,2\n"
    assert (out / "notes" / "n.md").read_text() == "keep"
    assert summary_of(out)["objective"] < OPTIMUM - 1  # the second run's answer replaced the first


def test_infeasible_solve_leaves_no_stale_plan_tables(tmp_path):
    out = tmp_path / "out"
    assert exit_code(["solve", TWO_SITES, "--out", out, "--quiet"]) == 0
    old = (out / "allocation.csv").read_text()
    code = exit_code(["solve", TWO_SITES, "--out", out, "--quiet", "--set", "policy.plants_online.min_count=3"])
    assert code == 4 and summary_of(out)["status"] == "infeasible"
    assert not (out / "allocation.csv").exists() or (out / "allocation.csv").read_text() != old


# --------------------------------------------------------------------------------------------
# Real subprocesses
# --------------------------------------------------------------------------------------------


def test_subprocess_solve_exit_0(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reeplan", "solve", "tests/data/two_sites.yaml",
                           "--out", str(tmp_path), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("optimal")
    assert summary_of(tmp_path)["objective"] == pytest.approx(OPTIMUM, rel=1e-4)


def test_subprocess_validate_bad_exit_3(tmp_path):
    bad = bad_instance(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "reeplan", "validate", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "module_capacity_t_per_yr" in proc.stderr and "2 problems" in proc.stderr


def test_out_naming_a_file_fails_before_the_solve(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("mine")
    assert exit_code(["solve", TWO_SITES, "--out", target, "--quiet"]) == 2
    assert target.read_text() == "mine" and "solving" not in capsys.readouterr().err
