"""``benchmarks/fast_path.py --check`` in CI: reeplan and HiGHS alone (the MPS HiGHS writes from reeplan's own
object, solved by a fresh ``highspy.Highs`` with reeplan's stages) agree on every stage of the chain of the base
case and the small family, and the base case keeps its size; no timing is asserted (timing is the benchmark's)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys

from tests.conftest import ROOT


def test_fast_path_check_agrees_with_highs_alone_and_keeps_model_size():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fast_path.py"), "--check", "--families", "small"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    sizes = dict(re.findall(r"^(\w+): (\d+) variables", done.stdout, flags=re.M))
    assert set(sizes) == {"base", "small"}
    with open(ROOT / "tests" / "regression.csv", encoding="utf-8") as fh:
        rows = {r["instance"]: r for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    assert int(sizes["base"]) == int(rows["siberia-2030"]["variables"])
