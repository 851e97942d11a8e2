"""The run store: exact round trip, concurrent writers in several processes, a writer killed mid-transaction,
a store of a newer schema, the migration path, rerun reproducing the objective, and the ``runs`` commands."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest
import reeplan
from reeplan.cli.app import app, main
from reeplan.instance.io import instance_sha256, load_instance
from reeplan.sources import rerun
from reeplan.store import runs as run_store
from reeplan.store.runs import (
    RunNotFoundError,
    StoreError,
    StoreVersionError,
    export_run,
    get_run,
    integrity_check,
    list_runs,
    load_result,
    open_store,
    record_run,
    remove_run,
)
from typer.testing import CliRunner

from tests.conftest import DATA, ROOT, load_two_sites

TWO_SITES = DATA / "two_sites.yaml"
runner = CliRunner()

# reeplan.solving.pipeline (Pyomo) is imported inside the tests: the writer processes import this module and
# stay light without it.


def solve(*args, **kwargs):
    from reeplan.solving.pipeline import solve as solve_instance

    return solve_instance(*args, **kwargs)


def SolveOptions(**kwargs):  # noqa: N802 - stands for the class
    from reeplan.options import SolveOptions as Options

    return Options(**kwargs)


def _json(obj):
    return json.loads(json.dumps(obj))


@pytest.fixture(scope="module")
def solved():
    inst = load_two_sites()
    opts = SolveOptions()
    return inst, opts, solve(inst, opts)


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "runs.sqlite")


def _exit_code(args) -> int:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return 0 if exc.code is None else exc.code
    return 0


# --------------------------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------------------------


def test_record_and_load_round_trip(store, solved):
    inst, opts, res = solved
    run_id = record_run(store, res, inst, "solve", ["budget.total_bn_rub=10"], opts, label="base", extra={"k": 1})
    back = load_result(store, run_id)
    assert set(back.tables) == set(res.tables)
    for name, df in res.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(back.targets, res.targets, check_exact=True)
    assert back.diagnosis is None
    assert back.summary() == res.summary()  # every KPI, timing, solver option, bit for bit

    run = get_run(store, run_id)
    assert run["id"] == run_id and len(run["uid"]) == 32 and run["created_utc"].endswith("Z")
    assert run["command"] == "solve" and run["label"] == "base" and run["extra"] == {"k": 1}
    assert run["instance_name"] == "two-sites"
    assert run["instance_sha256"] == instance_sha256(inst) == res.instance_sha256
    assert run["instance"] == _json(inst.model_dump(mode="json"))
    assert run["overrides"] == ["budget.total_bn_rub=10"]
    assert run["options"] == _json(dataclasses.asdict(opts))
    assert run["objective_name"] == "max-hpo" and run["status"] == "optimal" and run["has_plan"]
    assert run["objective"] == res.objective and run["best_bound"] == res.best_bound and run["mip_gap"] == res.mip_gap
    assert run["solver"]["name"] == "highs" and run["solver"]["version"] == res.solver["version"]
    assert run["seconds"] == res.seconds and run["kpis"] == _json(res.kpis)
    assert run["reeplan_version"] == reeplan.__version__
    assert set(run["tables"]) == set(res.tables) | {"targets"}


def test_export_writes_the_files_result_write_writes(store, solved, tmp_path):
    inst, opts, res = solved
    run_id = record_run(store, res, inst, "solve", [], opts)
    direct = res.write(tmp_path / "direct")
    exported = export_run(store, run_id, tmp_path / "exported")
    assert {p.name for p in exported} == {p.name for p in direct} | {"instance.yaml"}
    for path in direct:
        assert (tmp_path / "exported" / path.name).read_bytes() == path.read_bytes(), path.name
    again = load_instance(tmp_path / "exported" / "instance.yaml")
    assert instance_sha256(again) == instance_sha256(inst)


def test_list_filter_and_remove(store, solved):
    inst, opts, res = solved
    infeasible_inst = load_two_sites("policy.plants_online.min_count=3")
    infeasible = solve(infeasible_inst, SolveOptions(diagnose=False))
    a = record_run(store, res, inst, "solve", [], opts)
    b = record_run(store, infeasible, infeasible_inst, "sweep", ["policy.plants_online.min_count=3"], None)
    c = record_run(store, res, inst, "bench", [], opts)
    df = list_runs(store)
    assert list(df["id"]) == [a, b, c]
    assert list(df.columns) == run_store.LIST_COLUMNS
    assert list(list_runs(store, status="infeasible")["id"]) == [b]
    assert list(list_runs(store, instance="two-sites", command="bench")["id"]) == [c]
    assert list(list_runs(store, limit=2)["id"]) == [b, c]
    assert list_runs(store, instance="nope").empty
    back = load_result(store, b)
    assert back.status.value == "infeasible" and not back.has_plan and back.objective is None
    remove_run(store, b)
    assert list(list_runs(store)["id"]) == [a, c]
    with pytest.raises(RunNotFoundError, match="no run"):
        get_run(store, b)
    with pytest.raises(RunNotFoundError):
        remove_run(store, 999)
    with sqlite3.connect(store.path) as conn:  # the infeasible instance went with its only run
        assert conn.execute("SELECT COUNT(*) FROM instances").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM run_tables WHERE run_id = ?", (b,)).fetchone()[0] == 0
    assert integrity_check(store) == []


def test_default_store_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REEPLAN_STORE", str(tmp_path / "env" / "store.sqlite"))
    st = open_store()
    assert st.path == tmp_path / "env" / "store.sqlite" and st.path.is_file()
    monkeypatch.delenv("REEPLAN_STORE")
    monkeypatch.chdir(tmp_path)
    assert open_store().path == Path("reeplan-runs.sqlite")
    with sqlite3.connect(tmp_path / "reeplan-runs.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --------------------------------------------------------------------------------------------
# concurrency and crashes (separate processes, via a fork server: HiGHS threads and plain fork do not mix)
# --------------------------------------------------------------------------------------------

WORKERS, RUNS_EACH = 4, 5


def _context():
    """Fresh worker processes without fork's hazards (this process may run HiGHS threads): a fork server
    that imported this module once forks each worker in milliseconds; spawn where there is none."""
    if "forkserver" not in mp.get_all_start_methods():  # pragma: no cover - Windows
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.store.test_store"])
    return ctx


@pytest.fixture(scope="module")
def variants():
    """RUNS_EACH solved variants of two_sites (different budgets): (overrides, instance, options, result)."""
    out = []
    for k in range(RUNS_EACH):
        overrides = [f"budget.total_bn_rub={6 + k}"]
        inst = load_two_sites(*overrides)
        opts = SolveOptions(threads=1)
        out.append((overrides, inst, opts, solve(inst, opts)))
    return out


def _writer(path: str, worker: int, variants, barrier, queue) -> None:
    """Wait for every worker, then record the RUNS_EACH variants back to back, each in its own transaction."""
    st = open_store(path)
    barrier.wait(timeout=120)
    out = []
    for k, (overrides, inst, opts, res) in enumerate(variants):
        out.append((record_run(st, res, inst, "test", overrides, opts, label=f"w{worker}-{k}"), worker, k))
    queue.put(out)


def test_concurrent_writers_lose_nothing(tmp_path, variants):
    path = tmp_path / "runs.sqlite"
    open_store(path)
    ctx = _context()
    barrier, queue = ctx.Barrier(WORKERS), ctx.Queue()
    light = [(ov, inst, dataclasses.asdict(opts), res) for ov, inst, opts, res in variants]  # no Pyomo import to unpickle
    procs = [ctx.Process(target=_writer, args=(str(path), w, light, barrier, queue)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    written = [rec for _ in procs for rec in queue.get(timeout=120)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(written) == WORKERS * RUNS_EACH
    df = list_runs(path)
    assert len(df) == WORKERS * RUNS_EACH
    assert sorted(df["id"]) == sorted(r[0] for r in written)
    assert sorted(df["label"]) == sorted(f"w{w}-{k}" for w in range(WORKERS) for k in range(RUNS_EACH))
    objectives = {res.objective for _, _, _, res in variants}
    assert len(objectives) > 1  # the variants differ, so a mix-up would show
    for run_id, worker, k in written:
        overrides, inst, _, res = variants[k]
        run = get_run(path, run_id)
        assert run["label"] == f"w{worker}-{k}" and run["overrides"] == overrides
        assert run["options"]["threads"] == 1
        assert run["instance_sha256"] == instance_sha256(inst)
        back = load_result(path, run_id)
        assert back.summary() == res.summary()
        for name, table in res.tables.items():
            pd.testing.assert_frame_equal(back.tables[name], table, check_exact=True)
    assert integrity_check(path) == []


def _partial_writer(path: str, result, instance, ready) -> None:
    """Begin a run's transaction, write the run row and part of its tables, then hang until killed."""
    st = open_store(path)
    payload = run_store._run_payload(result, instance, "killed", [], None, "", None)
    tables = run_store._encode_tables(run_store.result_frames(result))
    conn = st.connect()
    conn.execute("BEGIN IMMEDIATE")
    run_id = run_store._insert_run_row(conn, payload)
    run_store._insert_tables(conn, run_id, dict(list(tables.items())[:3]))
    ready.set()
    time.sleep(120)


def test_writer_killed_mid_transaction_leaves_a_consistent_store(tmp_path, solved):
    inst, opts, res = solved
    path = tmp_path / "runs.sqlite"
    first = record_run(path, res, inst, "solve", [], opts)
    ctx = _context()
    ready = ctx.Event()
    child = ctx.Process(target=_partial_writer, args=(str(path), res, inst, ready))
    child.start()
    try:
        assert ready.wait(timeout=60), "the writer never started its transaction"
        assert list(list_runs(path)["id"]) == [first]  # WAL: readers see the last commit, not the open one
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    assert integrity_check(path) == []
    assert list(list_runs(path)["id"]) == [first]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        orphans = conn.execute("SELECT COUNT(*) FROM run_tables WHERE run_id NOT IN (SELECT id FROM runs)").fetchone()
        assert orphans[0] == 0
    tick = time.monotonic()
    second = record_run(path, res, inst, "solve", [], opts)  # the lock died with it
    assert time.monotonic() - tick < 5
    assert list(list_runs(path)["id"]) == [first, second]
    assert load_result(path, second).summary() == res.summary()


# --------------------------------------------------------------------------------------------
# versions
# --------------------------------------------------------------------------------------------


def test_store_of_a_newer_version_gives_a_clear_error(tmp_path, capsys):
    path = tmp_path / "runs.sqlite"
    open_store(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, '2099-01-01T00:00:00Z', '9.0.0')",
                     (run_store.SCHEMA_VERSION + 1,))
    with pytest.raises(StoreVersionError, match="newer reeplan"):
        open_store(path)
    assert _exit_code(["runs", "list", "--store", path]) == 2
    err = capsys.readouterr().err
    assert "newer reeplan" in err and f"schema version {run_store.SCHEMA_VERSION + 1}" in err
    assert "Traceback" not in err


def test_migration_path_upgrades_an_older_store(tmp_path, solved, monkeypatch):
    inst, opts, res = solved
    path = tmp_path / "runs.sqlite"
    run_id = record_run(open_store(path), res, inst, "solve", [], opts)
    monkeypatch.setattr(run_store, "SCHEMA_VERSION", run_store.SCHEMA_VERSION + 1)
    monkeypatch.setitem(run_store.MIGRATIONS, run_store.SCHEMA_VERSION - 1,
                        ["ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''"])
    open_store(path)
    with sqlite3.connect(path) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    assert versions == list(range(1, run_store.SCHEMA_VERSION + 1))
    assert "note" in columns
    assert load_result(path, run_id).summary() == res.summary()


def test_not_a_store(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database, just text " * 100)
    with pytest.raises(StoreError):
        open_store(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a reeplan run store"):
        open_store(other)
    with pytest.raises(StoreError, match="no run store"):
        open_store(tmp_path / "missing.sqlite", create=False)


# --------------------------------------------------------------------------------------------
# rerun
# --------------------------------------------------------------------------------------------


def test_rerun_reproduces_the_base_case(store):
    inst = load_instance(ROOT / "instances" / "siberia-2030.yaml")
    opts = SolveOptions(threads=1)
    res = solve(inst, opts)
    run_id = record_run(store, res, inst, "solve", [], opts)
    again = rerun(store, run_id)
    assert again.status == res.status
    assert again.objective == pytest.approx(res.objective, rel=1e-6)
    assert again.instance_sha256 == res.instance_sha256
    assert again.solver["options"] == res.solver["options"]


# --------------------------------------------------------------------------------------------
# the runs commands
# --------------------------------------------------------------------------------------------


def test_runs_commands(tmp_path, solved):
    inst, opts, res = solved
    path = tmp_path / "runs.sqlite"
    run_id = record_run(open_store(path), res, inst, "solve", [], opts)

    out = runner.invoke(app, ["runs", "list", "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert "two-sites" in out.stdout and "optimal" in out.stdout

    out = runner.invoke(app, ["runs", "list", "--store", str(path), "--json", "--status", "optimal"])
    assert out.exit_code == 0, out.output
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == [run_id]

    out = runner.invoke(app, ["runs", "show", str(run_id), "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert res.instance_sha256 in out.stdout and "OPTIMAL" in out.stdout

    out = runner.invoke(app, ["runs", "export", str(run_id), "--out", str(tmp_path / "exp"), "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert json.loads((tmp_path / "exp" / "summary.json").read_text()) == _json(res.summary())

    out = runner.invoke(app, ["runs", "rerun", str(run_id), "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert "reproduced" in out.stdout
    rerun_id = int(list_runs(path)["id"].iloc[-1])
    assert get_run(path, rerun_id)["extra"] == {"rerun_of": run_id}

    out = runner.invoke(app, ["runs", "rm", str(rerun_id), "--store", str(path), "--yes"])
    assert out.exit_code == 0, out.output
    assert list(list_runs(path)["id"]) == [run_id]


def test_runs_bad_input_exit_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "runs.sqlite"
    open_store(path)
    assert _exit_code(["runs", "show", "7", "--store", path]) == 2
    assert _exit_code(["runs", "rm", "7", "--store", path]) == 2
    assert _exit_code(["runs", "list", "--store", tmp_path / "missing.sqlite"]) == 2
    assert _exit_code(["runs", "show", "abc", "--store", path]) == 2
    assert _exit_code(["runs", "list", "--status", "bogus", "--store", path]) == 2
    err = capsys.readouterr().err
    assert "no run 7" in err and "no run store" in err and "Traceback" not in err


def test_runs_rm_shows_first_and_asks(tmp_path, solved):
    path = tmp_path / "runs.sqlite"
    run_id = record_run(path, solved[2], solved[0])
    out = runner.invoke(app, ["runs", "rm", str(run_id), "--store", str(path), "--dry-run"])
    assert out.exit_code == 0 and f"run {run_id}" in out.output
    assert list(list_runs(path)["id"]) == [run_id]  # a dry run deletes nothing
    assert _exit_code(["runs", "rm", str(run_id), "--store", path]) == 2  # no terminal to ask on: --yes needed
    assert list(list_runs(path)["id"]) == [run_id]
    out = runner.invoke(app, ["runs", "rm", str(run_id), "--store", str(path)], input="n\n")
    assert list(list_runs(path)["id"]) == [run_id]  # answered no (or no terminal): nothing removed
