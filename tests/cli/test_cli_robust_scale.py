"""``reeplan solve --robust`` at scale from the command line: the warm-start option and the gap in words."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import ROOT, run_reeplan

TINY = ROOT / "instances" / "tiny.yaml"


def reeplan(*args, cwd: Path) -> subprocess.CompletedProcess:
    return run_reeplan(*args, cwd=cwd, timeout=300)


def test_bad_warm_start_scenarios_is_exit_2_before_any_solve(tmp_path):
    proc = reeplan("solve", TINY, "--robust", "--scenarios", 4, "--warm-start-scenarios", 4, "--no-store",
                   cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "--warm-start-scenarios" in proc.stderr and "fewer than --scenarios (4), got 4" in proc.stderr
    assert "Traceback" not in proc.stderr and "deterministic plan" not in proc.stderr


def test_warm_started_robust_solve_prints_its_gap_and_records_the_start(tmp_path):
    out = tmp_path / "robust"
    proc = reeplan("solve", TINY, "--robust", "--scenarios", 4, "--warm-start-scenarios", 2, "--eval-samples", 10,
                   "--workers", 1, "--budget-rule", "expected:0.5", "--out", out, "--no-store", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "at most 600 s, warm-started from the plan of its first 2 futures" in " ".join(proc.stderr.split())
    saved = json.loads((out / "comparison" / "robust.json").read_text())
    assert saved["warm_start"]["scenarios"] == 2 and saved["warm_start"]["small_rule"] == "expected:0.25"
    assert saved["time_limit_s"] == 600
    assert saved["gap_statement"] in " ".join(proc.stdout.split())
    assert "proven by HiGHS's bound" in saved["gap_statement"]
