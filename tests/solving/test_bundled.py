"""Every bundled instance: solves optimal (gap <= 1e-4), passes the independent checker, and matches
the regression table tests/regression.csv (objective, model size and plan fingerprint)."""

from __future__ import annotations

import csv
import math
from functools import cache

import pytest
from reeplan.check import check_plan
from reeplan.instance.io import load_instance
from reeplan.models.investment import build_model
from reeplan.result.result import plan_fingerprint
from reeplan.solving.pipeline import solve

from tests.conftest import ROOT

BUNDLED = sorted((ROOT / "instances").glob("*.yaml")) + sorted((ROOT / "instances" / "variants").glob("*.yaml"))
FEASIBLE = [p for p in BUNDLED if "all-targets" not in p.name]
REGRESSION = ROOT / "tests" / "regression.csv"


@cache
def solved(path):
    inst = load_instance(path)
    return inst, solve(inst)


def regression_rows() -> dict[str, dict]:
    with REGRESSION.open() as fh:
        return {row["instance"]: row for row in csv.DictReader(line for line in fh if not line.startswith("#"))}


def model_size(inst) -> tuple[int, int, int]:
    import pyomo.environ as pyo

    m = build_model(inst)
    variables = list(m.component_data_objects(pyo.Var, active=True))
    constraints = list(m.component_data_objects(pyo.Constraint, active=True))
    return len(variables), len(constraints), sum(v.is_integer() for v in variables)


@pytest.mark.parametrize("path", FEASIBLE, ids=lambda p: p.stem)
def test_bundled_solves_optimal_and_checks(path):
    inst, res = solved(path)
    assert res.status.value == "optimal", res.message
    assert res.mip_gap is not None and res.mip_gap <= 1e-4
    violations = check_plan(inst, res.tables, res.objective_name, res.objective)
    assert violations == [], violations


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_regression_table(path):
    rows = regression_rows()
    assert path.stem in rows, f"add {path.stem} to {REGRESSION}"
    row = rows[path.stem]
    inst = load_instance(path)
    assert model_size(inst) == (int(row["variables"]), int(row["constraints"]), int(row["integers"]))
    _, res = solved(path)
    if row["status"] == "infeasible":
        assert res.status.value == "infeasible" and res.diagnosis is not None and len(res.diagnosis)
    else:
        # Both solves stop at a 1e-4 relative gap, so two correct runs may differ by up to that much.
        assert math.isclose(res.objective, float(row["objective"]), rel_tol=1e-4)
        # the same decisions, not only the same objective (the fast path, the chain and reuse may not move them)
        assert plan_fingerprint(res.tables) == row["plan"], f"{path.stem}: the plan changed"
