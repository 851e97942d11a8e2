"""The same model, exported as MPS, solved by SCIP (pyscipopt) gives reeplan's optimum."""

from __future__ import annotations

import math

import pytest
from reeplan.solving.export import export_model, names_path, read_name_map
from reeplan.solving.pipeline import solve

from tests.conftest import ROOT, load_two_sites

pyscipopt = pytest.importorskip("pyscipopt")


def scip_objective(mps_path) -> float:
    """SCIP's optimum of the exported file, as the model's objective (the file minimises: see its name map)."""
    model = pyscipopt.Model()
    model.hideOutput()
    model.readProblem(str(mps_path))
    model.setParam("limits/gap", 1e-9)
    model.optimize()
    assert model.getStatus() == "optimal"
    sense = read_name_map(names_path(mps_path))["objective"]
    return sense["sign"] * model.getObjVal() + sense["offset"]


@pytest.mark.parametrize("objective", ["max-hpo", "max-cumulative-hpo", "min-cost"])
def test_scip_agrees_on_two_sites(tmp_path, objective):
    target = "policy.hpo_output={'enabled': true, 'year': 2027, 'min_t_per_yr': 700}"
    overrides = [target] if objective == "min-cost" else []
    inst = load_two_sites(*overrides)
    res = solve(inst, objective=objective, mip_gap=1e-9)
    path = export_model(inst, tmp_path / "model.mps", objective)
    assert math.isclose(scip_objective(path), res.objective, rel_tol=1e-6, abs_tol=1e-6)


BUNDLED = sorted((ROOT / "instances").glob("*.yaml")) + sorted((ROOT / "instances" / "variants").glob("*.yaml"))
FAST = {"tiny"}  # SCIP needs ~40 s on the Siberian instances (HiGHS ~2 s): those run with --runslow


@pytest.mark.parametrize("path", [pytest.param(p, marks=() if p.stem in FAST else pytest.mark.slow)
                                  for p in BUNDLED if "all-targets" not in p.name], ids=lambda p: p.stem)
def test_scip_agrees_on_bundled(tmp_path, path):
    from reeplan.instance.io import load_instance

    inst = load_instance(path)
    res = solve(inst, mip_gap=1e-9)
    assert res.status.value == "optimal"
    mps = export_model(inst, tmp_path / "model.mps")
    assert math.isclose(scip_objective(mps), res.objective, rel_tol=1e-6, abs_tol=1e-6)
