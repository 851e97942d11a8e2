"""Bad option values are usage errors (exit 2) found before any solve, never internal errors."""

from __future__ import annotations

import pytest
from reeplan.cli.app import main

from tests.conftest import DATA

TWO = str(DATA / "two_sites.yaml")


def _exit(args, capsys) -> tuple[int, str]:
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["--time-limit", "nan"], ["--time-limit", "inf"], ["--time-limit", "-1"],
    ["--threads", "100000"], ["--threads", "0"], ["--seed", "-1"],
])
def test_bad_solver_options_are_usage_errors_before_the_solve(args, tmp_path, capsys):
    code, err = _exit(["solve", TWO, "--no-store", "--out", tmp_path / "out", *args], capsys)
    assert code == 2 and "internal error" not in err and "solving" not in err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_log_to_a_folder_is_refused_before_the_solve(tmp_path, capsys):
    code, err = _exit(["solve", TWO, "--no-store", "--out", tmp_path / "out", "--log", tmp_path], capsys)
    assert code == 2 and "--log" in err


def test_a_huge_run_id_is_no_such_run(tmp_path, capsys):
    _exit(["solve", TWO, "--out", tmp_path / "out", "--store", tmp_path / "runs.sqlite", "--quiet"], capsys)
    code, err = _exit(["runs", "show", "99999999999999999999", "--store", tmp_path / "runs.sqlite"], capsys)
    assert code == 2 and "no run" in err and "internal error" not in err


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan") / "out"
    main(["solve", TWO, "--no-store", "--out", str(folder), "--quiet"])
    return folder


@pytest.mark.parametrize("args", [["--seed", "-1"], ["--scheduler", "::::"], ["--samples", "0"]])
def test_bad_stress_options_are_usage_errors(args, plan_folder, tmp_path, capsys):
    code, err = _exit(["stress", plan_folder, "--no-store", "--out", tmp_path / "s", "--samples", "5", *args], capsys)
    assert code == 2 and "internal error" not in err


def test_bench_out_refuses_a_folder_of_the_users_before_any_run(tmp_path, capsys):
    """``bench --out`` on a non-empty folder reeplan did not write: exit 2 before any run, the folder untouched."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "runs.csv").write_text("my own runs")
    code, err = _exit(["bench", "instances/tiny.yaml", "--out", out, "--no-store"], capsys)
    assert code == 2 and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["runs.csv"]
    assert (out / "runs.csv").read_text() == "my own runs"
