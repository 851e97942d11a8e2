"""Results shared by the result tests: one feasible and one infeasible solve, built once per module."""

from __future__ import annotations

import pytest
from reeplan.instance.io import load_instance
from reeplan.result.result import Status
from reeplan.solving.pipeline import solve

from tests.conftest import DATA, ROOT


@pytest.fixture(scope="module")
def solved():
    feasible = solve(load_instance(DATA / "two_sites.yaml"))
    infeasible = solve(load_instance(ROOT / "instances" / "variants" / "all-targets-hard.yaml"), why=False)
    assert feasible.status == Status.OPTIMAL and infeasible.status == Status.INFEASIBLE
    return feasible, infeasible
