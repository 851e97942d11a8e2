"""reeplan on a real Dask cluster, run as a user would: a ``dask scheduler`` and two ``dask worker`` processes
started from the command line on 127.0.0.1, each in its own empty temporary directory; ``reeplan`` commands
run from the client's directory with relative paths. Checked: the results equal a local run, only the client
writes (no reeplan file in the workers' directories; ``--resume`` and ``reeplan runs list`` on the client see
every point), a worker killed mid-task (its whole process group, nanny included) loses nothing and is counted
as a retry, and a scheduler lost mid-run ends the command with a clear message and a resumable state.

The tests share one cluster and run in file order: the last two kill a worker, then the scheduler."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from reeplan.analysis.sweep import run_sweep
from reeplan.analysis.sweep_plan import POINTS_DIR, make_plan
from reeplan.store.runs import list_runs

from tests.cluster import Cluster
from tests.conftest import ROOT

pytest.importorskip("distributed")

TWO = "tests/data/two_sites.yaml"  # relative: the workers' directories have no tests/ folder
SIBERIA = "instances/siberia-2030.yaml"
NO_POLICY = "policy.plants_online.enabled=false"
RESULT_COLUMNS = ["index", "status", "objective", "hpo_t", "reo_t", "spend_bn_rub", "total_cost_bn_rub"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start(workers=2)
        yield c
    finally:
        c.stop()  # by the ids of the processes started here


WIDE = {**os.environ, "COLUMNS": "250"}  # messages on one line each


def reeplan(*args: str, cwd=ROOT, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reeplan", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=WIDE)


def same_table(a: pd.DataFrame, b: pd.DataFrame, rel: float = 1e-6) -> None:
    assert list(a["index"]) == list(b["index"]) and list(a["status"]) == list(b["status"])
    for column in RESULT_COLUMNS[2:]:
        for x, y in zip(a[column], b[column]):
            assert (pd.isna(x) and pd.isna(y)) or math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-6), column


def no_reeplan_files(cluster: Cluster) -> None:
    left = cluster.files_left()
    assert left == [], f"files in the cluster's working directories: {left}"


def test_sweep_with_a_relative_path_runs_on_both_workers_and_only_the_client_writes(cluster, tmp_path):
    store, out = tmp_path / "runs.sqlite", tmp_path / "sweep"
    proc = reeplan("sweep", TWO, "--param", "budget.total_bn_rub", "--values", "0:12:1", "--set", NO_POLICY,
                   "--scheduler", cluster.address, "--store", str(store), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 task(s) on the Dask cluster" in proc.stderr  # one chain per worker thread, not one chunk
    df = pd.read_csv(out / "sweep.csv")
    local = run_sweep(make_plan(ROOT / TWO, ["budget.total_bn_rub"], ["0:12:1"], base_overrides=(NO_POLICY,)))
    assert set(df["status"]) == {"optimal"}
    same_table(df, local)
    solved = df[df["inferred_from"].isna()]
    runs = list_runs(store)
    assert len(runs) == len(solved) and set(runs["command"]) == {"sweep"}  # one row per solved point, on the client
    listed = reeplan("runs", "list", "--store", str(store))
    rows = [line for line in listed.stdout.splitlines() if re.match(r"\s*\d+\s+\d{4}-\d\d-\d\d .* sweep ", line)]
    assert listed.returncode == 0 and len(rows) == len(solved), listed.stdout
    assert len(list((out / POINTS_DIR).glob("*.json"))) == 13
    no_reeplan_files(cluster)

    # --resume on the client after the cluster run: only the points whose checkpoint is gone are solved again
    for name in ("3.json", "11.json"):
        (out / POINTS_DIR / name).unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / POINTS_DIR).glob("*.json")}
    again = reeplan("sweep", TWO, "--param", "budget.total_bn_rub", "--values", "0:12:1", "--set", NO_POLICY,
                    "--scheduler", cluster.address, "--store", str(store), "--out", str(out), "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert all((out / POINTS_DIR / n).stat().st_mtime_ns == t for n, t in kept.items())
    same_table(pd.read_csv(out / "sweep.csv"), local)
    assert len(list_runs(store)) <= len(solved) + 2
    no_reeplan_files(cluster)


def test_every_point_failing_on_the_cluster_exits_5_with_a_message(cluster, tmp_path):
    proc = reeplan("sweep", TWO, "--param", "technology.recovery_today", "--values", "1.5,2", "--scheduler",
                   cluster.address, "--no-store", "--out", str(tmp_path / "bad"))
    assert proc.returncode == 5, proc.stderr[-3000:]
    assert "every one of the 2 sweep point(s) failed" in proc.stderr and "KeyError" not in proc.stderr
    assert (tmp_path / "bad" / "sweep.csv").exists()


def test_batch_on_the_cluster_equals_a_local_batch(cluster, tmp_path):
    (tmp_path / "half.yaml").write_text(f"base: {ROOT / TWO}\nname: half\noverrides:\n  budget.total_bn_rub: 5\n")
    store = tmp_path / "runs.sqlite"
    specs = [f"{TWO}@{NO_POLICY}", str(tmp_path / "half.yaml"), "tests/data/*.yaml@budget.total_bn_rub=7"]
    proc = reeplan("batch", *specs, "--scheduler", cluster.address, "--store", str(store), "--out", str(tmp_path / "b"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "5 task(s) on the Dask cluster" in proc.stderr
    local = reeplan("batch", *specs, "--no-store", "--out", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr[-3000:]
    on_cluster = pd.read_csv(tmp_path / "b" / "comparison" / "kpis.csv")
    here = pd.read_csv(tmp_path / "local" / "comparison" / "kpis.csv")
    pd.testing.assert_frame_equal(on_cluster[on_cluster["kpi"].str.contains("hpo|spend")],
                                  here[here["kpi"].str.contains("hpo|spend")])
    assert len(list_runs(store, command="batch")) == 5
    assert len(list((tmp_path / "b" / "scenarios").glob("*/summary.json"))) == 5
    no_reeplan_files(cluster)
    resumed = reeplan("batch", *specs, "--scheduler", cluster.address, "--store", str(store), "--out",
                      str(tmp_path / "b"), "--resume")
    assert resumed.returncode == 0 and resumed.stderr.count("kept from the earlier run") == 5, resumed.stderr[-2000:]
    assert len(list_runs(store, command="batch")) == 5  # nothing solved again


def test_stress_on_the_cluster_equals_a_local_run(cluster, tmp_path):
    common = ["stress", TWO, "--samples", "60", "--seed", "3", "--batch", "10", "--no-store", "--quiet"]
    there = reeplan(*common, "--scheduler", cluster.address, "--out", str(tmp_path / "there"))
    assert there.returncode == 0, there.stderr[-3000:]
    assert "task(s) on the Dask cluster" in there.stderr and "0 retried after a lost worker" in there.stderr
    here = reeplan(*common, "--workers", "1", "--out", str(tmp_path / "here"))
    assert here.returncode == 0, here.stderr[-3000:]
    cols = ["hpo_t", "spend_bn_rub", "overrun_bn_rub"]
    a, b = (pd.read_csv(tmp_path / side / "samples.csv")[cols] for side in ("there", "here"))
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)
    no_reeplan_files(cluster)


def _kill_a_busy_worker(cluster: Cluster, killed: dict, timeout: float = 120) -> None:
    """Once a worker runs a task, SIGKILL its whole process group (nanny and worker)."""
    deadline = time.time() + timeout
    with cluster.client() as client:
        while time.time() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                name = client.scheduler_info()["workers"][busy[0]]["name"]
                time.sleep(0.5)  # the task is under way
                cluster.kill(cluster.workers[name])
                killed["name"] = name
                return
            time.sleep(0.05)


def test_a_worker_killed_mid_task_loses_no_result(cluster, tmp_path):
    store, out = tmp_path / "runs.sqlite", tmp_path / "sweep"
    args = ["sweep", SIBERIA, "--param", "budget.total_bn_rub", "--values", "300,400", "--scheduler",
            cluster.address, "--store", str(store), "--out", str(out)]
    killed: dict = {}
    killer = threading.Thread(target=_kill_a_busy_worker, args=(cluster, killed))
    killer.start()
    proc = reeplan(*args)
    killer.join()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert killed, "no worker was seen running a task"
    assert "1 retried after a lost worker" in proc.stderr or "2 retried after a lost worker" in proc.stderr, \
        proc.stderr[-2000:]
    df = pd.read_csv(out / "sweep.csv")
    local = run_sweep(make_plan(ROOT / SIBERIA, ["budget.total_bn_rub"], ["300,400"]))
    same_table(df, local, rel=1e-4)  # equal within the MIP gap the points are solved to
    assert len(list_runs(store)) == int(df["inferred_from"].isna().sum())
    no_reeplan_files(cluster)


def test_a_scheduler_lost_mid_run_is_a_clear_error_and_the_sweep_resumes(cluster, tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", SIBERIA, "--param", "budget.total_bn_rub", "--values", "300:400:100", "--no-store",
            "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "reeplan", *args, "--scheduler", cluster.address], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, env=WIDE)
    try:
        with cluster.client() as client:
            deadline = time.time() + 120
            while time.time() < deadline and not any(client.processing().values()):
                time.sleep(0.05)
        cluster.kill(cluster.scheduler)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, err[-3000:]
    assert "lost the Dask scheduler" in err and "--resume" in err and "Traceback" not in err, err[-3000:]
    assert (out / "sweep.json").exists()  # the sweep is there to resume
    again = reeplan(*args, "--resume")  # here, without the cluster
    assert again.returncode == 0, again.stderr[-3000:]
    assert list(pd.read_csv(out / "sweep.csv")["status"]) == ["optimal", "optimal"]


def test_a_scheduler_without_workers_is_a_clear_error(tmp_path):
    from reeplan.parallel import ClusterError, Pool

    lonely = Cluster(tmp_path / "lonely")
    try:
        lonely.start(workers=0)
        with pytest.raises(ClusterError, match="has no worker"):
            Pool(scheduler=lonely.address, connect_timeout=2)
    finally:
        lonely.stop()
