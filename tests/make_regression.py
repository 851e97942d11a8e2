"""Regenerate tests/regression.csv from the bundled instances (run by hand after a deliberate
model or data change, and say why in the commit message)."""

from __future__ import annotations

import csv
import sys

from reeplan.instance.io import load_instance
from reeplan.result.result import plan_fingerprint
from reeplan.solving.pipeline import solve

from tests.solving.test_bundled import BUNDLED, REGRESSION, model_size


def main() -> None:
    writer = csv.writer(sys.stdout)
    rows = []
    for path in BUNDLED:
        inst = load_instance(path)
        res = solve(inst, mip_gap=1e-6)
        n_var, n_con, n_int = model_size(inst)
        rows.append([path.stem, res.status.value, "" if res.objective is None else f"{res.objective:.6f}",
                     n_var, n_con, n_int, plan_fingerprint(res.tables) if res.has_plan else ""])
    with REGRESSION.open("w", newline="") as fh:
        fh.write("# objective values solved at mip_gap 1e-6, plan = result.plan_fingerprint (decisions); change only "
                 "with a reason in the commit\n")
        writer = csv.writer(fh)
        writer.writerow(["instance", "status", "objective", "variables", "constraints", "integers", "plan"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
