"""Lint (ruff) on the project's own code, so style problems fail CI like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_ruff_clean():
    beside_python = Path(sys.executable).parent / "ruff"
    ruff = shutil.which("ruff") or (str(beside_python) if beside_python.exists() else None)
    if ruff is None:
        pytest.skip("ruff not installed (pip install -e '.[test]' installs it)")
    proc = subprocess.run([ruff, "check", "optimizer", "models", "tests", "benchmarks", "instances"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
