"""Shared fixtures: small hand-checkable instances built from tests/data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from reeplan.instance.io import load_instance

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session", autouse=True)
def _run_store_in_tmp(tmp_path_factory):
    """`reeplan solve` records every run: keep the tests' runs out of the working directory."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REEPLAN_STORE", str(tmp_path_factory.getbasetemp() / "reeplan-runs.sqlite"))
        yield


def run_reeplan(*args, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess (no terminal, no standard input), as a user would."""
    return subprocess.run([sys.executable, "-m", "reeplan", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def two_sites_path() -> Path:
    return DATA / "two_sites.yaml"


def load_two_sites(*overrides: str):
    """The two-site instance with ``--set`` style overrides."""
    return load_instance(DATA / "two_sites.yaml", list(overrides))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run slow cross-checks (SCIP on the full bundled instances, minutes)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: minutes-long cross-check; run with --runslow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow cross-check: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
