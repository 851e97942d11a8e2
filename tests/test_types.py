"""Type check (mypy) of the library, so a type error fails CI like any other test.

mypy cannot be pointed at ``optimizer/`` and ``models/``: their import names are ``reeplan`` and
``reeplan.models`` (pyproject.toml's package-dir). The test lays a link tree in a temporary folder,
``reeplan/`` holding a link to every entry of ``optimizer/`` plus ``reeplan/models -> models/``, and runs
``mypy -p reeplan`` there with the project's ``[tool.mypy]`` settings. About 20 s on two cores (a fresh cache
each run).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE_DIR: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]


def link_tree(dest: Path) -> Path:
    """``dest/reeplan``, laid out as the import names see the folders (package-dir of pyproject.toml)."""
    top = dest / "reeplan"
    top.mkdir()
    for entry in sorted((ROOT / PACKAGE_DIR["reeplan"]).iterdir()):
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for name, folder in PACKAGE_DIR.items():
        if name != "reeplan":
            link = top.joinpath(*name.split(".")[1:])
            assert not link.exists(), f"{name} is both a folder of its own and an entry of {PACKAGE_DIR['reeplan']}/"
            link.symlink_to(ROOT / folder)
    return top


def _as_folders(output: str) -> str:
    """mypy's ``reeplan/models/x.py:3:`` read back as the repository's ``models/x.py:3:``."""
    for name, folder in sorted(PACKAGE_DIR.items(), key=lambda item: -len(item[0])):
        output = re.sub(rf"^{re.escape(name.replace('.', '/'))}/", f"{folder}/", output, flags=re.MULTILINE)
    return output


def test_mypy_clean(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy not installed (pip install -e '.[test]' installs it)")
    link_tree(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    proc = subprocess.run([sys.executable, "-m", "mypy", "-p", "reeplan", "--config-file", str(ROOT / "pyproject.toml"),
                           "--cache-dir", str(tmp_path / ".mypy_cache")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"mypy exited {proc.returncode}:\n{_as_folders(proc.stdout + proc.stderr)}", pytrace=False)
