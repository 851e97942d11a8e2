"""`reeplan export` writes an MPS file every solver reads: short names with a name map beside it, a minimisation
(a maximisation negated, and said so), stage 1 only. HiGHS, SCIP, CBC and GLPK read the exported base case
and agree on its optimum. CBC and GLPK are Debian packages (.ci/run installs them): without their programs the
test skips with the reason, except under CI, where they must be there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from reeplan.cli.app import main
from reeplan.instance.io import load_instance
from reeplan.solving.export import export_model, read_name_map

from tests.conftest import ROOT

BASE = ROOT / "instances" / "siberia-2030.yaml"
BASE_OPTIMUM = 21870.0  # stage 1, max-hpo: HPO tonnes (README, benchmarks/README.md)


def _program(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed under CI: .ci/run installs coinor-cbc and glpk-utils")
        pytest.skip(f"{name} is not installed (apt-get install coinor-cbc glpk-utils)")
    return exe


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "base.mps"
    main(["export", str(BASE), "--mps", str(path)])
    return path


def test_the_safe_form(exported):
    text = exported.read_text()
    assert "OBJSENSE" not in text and "OBJSENSE" not in text.upper()
    names = re.findall(r"^\s+(\S+)\s+(\S+)\s+\S+$", text.split("COLUMNS")[1].split("RHS")[0], re.M)
    assert names and all(len(c) <= 8 and len(r) <= 8 for c, r in names if c != "MARKER")
    assert "* model objective = -1 * file objective + 0" in text
    nm = read_name_map(exported.with_name("base.names.csv"))
    assert nm["objective"] == {"name": "stage1_objective", "sign": -1.0, "offset": 0.0}
    assert nm["columns"]["C0"].startswith("Project_Begun[") and len(nm["columns"]) == 614
    assert max(len(n) for n in nm["rows"].values()) > 100  # the model's own names: why they are not in the file
    # stage 1 only: no objective-chain (lexicographic) constraint is written
    assert not any(n.startswith(("lexicographic", "chain_")) for n in nm["rows"].values())
    assert text.count("\n N ") == 1


def test_highs_and_scip_agree(exported):
    import highspy
    import pyscipopt

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(exported))
    h.run()
    assert h.getObjectiveSense()[1] == highspy.ObjSense.kMinimize
    assert -h.getInfo().objective_function_value == pytest.approx(BASE_OPTIMUM, rel=1e-6)
    s = pyscipopt.Model()
    s.hideOutput()
    s.readProblem(str(exported))
    s.optimize()
    assert s.getStatus() == "optimal" and -s.getObjVal() == pytest.approx(BASE_OPTIMUM, rel=1e-6)


def test_cbc_reads_and_agrees(exported, tmp_path):
    exe = _program("cbc")
    sol = tmp_path / "cbc.txt"
    proc = subprocess.run([exe, str(exported), "-ratioGap", "1e-6", "-threads", "1", "-solve", "-solution", str(sol)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-500:]
    assert "read with 0 errors" in proc.stdout
    head = sol.read_text().splitlines()[0]
    assert head.startswith("Optimal") and -float(head.split()[-1]) == pytest.approx(BASE_OPTIMUM, rel=1e-6)


def test_glpk_reads_and_agrees(exported, tmp_path):
    exe = _program("glpsol")
    sol = tmp_path / "glpk.txt"
    proc = subprocess.run([exe, "--freemps", str(exported), "--mipgap", "1e-6", "-w", str(sol)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-500:]
    s_line = next(ln.split() for ln in sol.read_text().splitlines() if ln.startswith("s "))
    assert s_line[1] == "mip" and s_line[4] == "o"
    assert -float(s_line[5]) == pytest.approx(BASE_OPTIMUM, rel=1e-6)


def test_pyomo_form_and_lp_as_before(tmp_path):
    inst = load_instance(BASE)
    long = export_model(inst, tmp_path / "long.mps", form="pyomo")
    assert "OBJSENSE" in long.read_text() and not (tmp_path / "long.names.csv").exists()
    lp = export_model(inst, tmp_path / "model.lp")
    assert "\nmax \n" in lp.read_text()


def test_a_minimisation_is_written_as_is(tmp_path):
    path = export_model(load_instance(ROOT / "instances" / "tiny.yaml"), tmp_path / "tiny.mps", objective="min-cost")
    nm = read_name_map(tmp_path / "tiny.names.csv")
    assert nm["objective"]["sign"] == 1.0
    assert "this file minimises it" in path.read_text()
