"""The README's Python examples run as written (sample counts made smaller so that CI stays fast)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# the README's figures stay as they are; the test only shrinks how many futures it draws
SMALLER = {"samples=1000": "samples=40", "scenarios=20": "scenarios=3", "samples=500": "samples=30",
           "workers=2": "workers=1"}


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_python_examples():
    blocks = _python_blocks()
    assert blocks and all("from reeplan" in b for b in blocks)


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_example_runs(index, tmp_path):
    code = _python_blocks()[index]
    for big, small in SMALLER.items():
        code = code.replace(big, small)
    (tmp_path / "instances").symlink_to(ROOT / "instances")
    (tmp_path / "models.py").write_text("raise RuntimeError('a user file named models.py must not be imported')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out" / "base" / "summary.json").is_file() or "res.write" not in code
