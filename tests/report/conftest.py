"""Fixtures of the report tests: the base case solved once, and one page of every kind written by `reeplan report`
(plan, three scenarios, sweep, stress, bench) from what the commands themselves wrote."""

from __future__ import annotations

import pytest
from reeplan.cli.app import app
from reeplan.instance.io import load_instance
from reeplan.store.runs import open_store, record_run
from typer.testing import CliRunner

from tests.conftest import DATA, ROOT

BASE = ROOT / "instances" / "siberia-2030.yaml"
TWO = DATA / "two_sites.yaml"
runner = CliRunner()


def invoke(*args: str):
    out = runner.invoke(app, [str(a) for a in args])
    assert out.exit_code == 0, out.output
    return out


@pytest.fixture(scope="session")
def base():
    """The base case solved once: (instance, result)."""
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import solve

    inst = load_instance(BASE)
    return inst, solve(inst, SolveOptions(threads=1))


@pytest.fixture(scope="session")
def pages(base, tmp_path_factory):
    """kind -> (html path, what it was made from): one page of every kind, and the store they used."""
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import solve

    out = tmp_path_factory.mktemp("pages")
    store = open_store(out / "runs.sqlite")
    inst, res = base
    plan_id = record_run(store, res, inst, "solve", [], None, label="base case")
    made = {}
    invoke("report", plan_id, "--html", out / "plan.html", "--store", store.path)
    made["plan"] = (out / "plan.html", f"run {plan_id}")
    ids = []
    for budget in (10, 6, 3):
        two = load_instance(TWO, [f"budget.total_bn_rub={budget}"])
        ids.append(record_run(store, solve(two, SolveOptions(threads=1)), two, "solve", label=f"budget {budget}"))
    invoke("report", *ids, "--html", out / "scenarios.html", "--store", store.path)
    made["scenarios"] = (out / "scenarios.html", ids)
    invoke("sweep", TWO, "--param", "budget.total_bn_rub", "--values", "4,6,10", "--out", out / "sweep",
           "--store", store.path)
    invoke("report", out / "sweep", "--html", out / "sweep.html", "--store", store.path)
    made["sweep"] = (out / "sweep.html", out / "sweep")
    invoke("stress", TWO, "--samples", "12", "--workers", "1", "--out", out / "stress", "--quiet", "--store", store.path)
    stress_id = int(store.list_runs(command="stress")["id"].iloc[-1])
    invoke("report", stress_id, "--html", out / "stress.html", "--store", store.path)
    made["stress"] = (out / "stress.html", stress_id)
    invoke("bench", ROOT / "instances" / "tiny.yaml", TWO, "--solver", "highs", "--solver", "highs-presolve-off",
           "--time-limit", "30", "--out", out / "bench", "--no-store")
    invoke("report", out / "bench", "--html", out / "bench.html")
    made["bench"] = (out / "bench.html", out / "bench")
    made["store"] = store.path
    made["out"] = out
    return made
