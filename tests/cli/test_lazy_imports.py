"""Each command imports only what it uses: `reeplan --help`, `validate` and `solve` run in a fresh process,
and the heavy packages they must not load are checked in ``sys.modules`` afterwards."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROGRAM = """
import json, sys
from reeplan.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules}),
                  "pyomo_environ": "pyomo.environ" in sys.modules}))
"""
NEVER = {"matplotlib", "dask", "distributed", "pyscipopt", "scipy", "xarray", "plotly"}


def _loaded(tmp_path, *args) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, cwd=tmp_path,
                         timeout=300)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), out.stderr
    return set(report["modules"]) | ({"pyomo.environ"} if report["pyomo_environ"] else set())


def _pandas_brings() -> set[str]:
    """What ``import pandas`` loads by itself (pandas 3 imports pyarrow when it is installed)."""
    out = subprocess.run([sys.executable, "-c", "import sys, pandas; print(' '.join(sorted({m.split('.')[0] "
                          "for m in sys.modules})))"], capture_output=True, text=True, timeout=120)
    return set(out.stdout.split())


@pytest.mark.parametrize("args, also_never", [
    (["--help"], {"pandas", "numpy", "pyomo", "highspy", "pydantic", "yaml", "pyarrow"}),
    (["validate", str(ROOT / "instances" / "siberia-2030.yaml")], {"pandas", "numpy", "pyomo", "highspy", "pyarrow"}),
], ids=["help", "validate"])
def test_help_and_validate_load_no_solver_and_no_tables(tmp_path, args, also_never):
    loaded = _loaded(tmp_path, *args)
    assert not loaded & (NEVER | also_never), sorted(loaded & (NEVER | also_never))


def test_solve_loads_no_plotting_no_cluster_no_other_solver(tmp_path):
    loaded = _loaded(tmp_path, "solve", str(ROOT / "instances" / "tiny.yaml"), "--no-store", "--quiet",
                     "--out", str(tmp_path / "out"))
    assert {"pyomo", "highspy", "pandas"} <= loaded
    assert not loaded & NEVER, sorted(loaded & NEVER)
    # the model is pyomo.core; pyomo.environ (every solver plugin and transformation, about 0.3 s more) is
    # loaded only by the commands that need Pyomo's file writers or solver factory (export --lp, bench pyomo:NAME)
    assert "pyomo.environ" not in loaded
    # pyarrow only as pandas' own import, never reeplan's
    assert "pyarrow" not in loaded or "pyarrow" in _pandas_brings()
