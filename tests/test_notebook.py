"""The notebook (notebooks/base-case.ipynb) runs top to bottom in a fresh kernel, within a bounded time."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "base-case.ipynb"
BUDGET_S = 600  # the whole notebook; each cell at most CELL_S
CELL_S = 300


def test_notebook_runs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="docs extra (nbformat, nbclient, ipykernel)")
    nbclient = pytest.importorskip("nbclient", reason="docs extra (nbformat, nbclient, ipykernel)")
    pytest.importorskip("ipykernel", reason="docs extra (ipykernel)")
    monkeypatch.setenv("REEPLAN_STORE", str(tmp_path / "runs.sqlite"))
    work = tmp_path / "notebooks"
    work.mkdir()
    (tmp_path / "instances").symlink_to(ROOT / "instances")
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    nb = nbformat.read(work / NOTEBOOK.name, as_version=4)
    tick = time.monotonic()
    nbclient.NotebookClient(nb, timeout=CELL_S, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    assert time.monotonic() - tick < BUDGET_S
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("reeplan-result" in h for h in html)  # the Result's notebook display
    assert (work / "notebook-out" / "base.nc").is_file() and (work / "notebook-out" / "base.xlsx").is_file()
