"""The docs site builds with warnings as errors (mkdocs --strict), with the CLI reference generated from the
Typer app and the API reference from the docstrings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra (mkdocs, mkdocs-material, mkdocstrings-python)")
    pytest.importorskip("material", reason="mkdocs-material (docs extra)")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    import typer
    from reeplan.cli.app import app

    for name in typer.main.get_command(app).commands:
        assert f"reeplan {name}" in cli, name
    assert "--format" in cli and "--version" in cli
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "to_xarray" in api and "read_excel" in api and "open_store" in api
    assert (site / "tables" / "index.html").is_file() and (site / "screenshots" / "plan-map.png").is_file()
