"""The run store keeps the contract's tables as typed SQL tables keyed by run id, migrates a store written by
the previous schema (JSON blobs; ``data/store-v1.sqlite`` was written by reeplan before this change) forward,
and the example queries of docs/store.md run."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from reeplan.instance.io import load_instance
from reeplan.result.exports import result_frames
from reeplan.result.tables import TABLES, conform
from reeplan.solving.pipeline import solve
from reeplan.store import runs as run_store
from reeplan.store.codec import frame_from_json
from reeplan.store.runs import list_runs, load_result, open_store, record_run, remove_runs

from tests.conftest import DATA, ROOT

V1_STORE = Path(__file__).parent / "data" / "store-v1.sqlite"


@pytest.fixture(scope="module")
def solved():
    inst = load_instance(DATA / "two_sites.yaml")
    return inst, solve(inst)


def _v1_frames(path: Path, run_id: int) -> dict[str, pd.DataFrame]:
    """The tables of a v1 store read as reeplan read them before (JSON, then the contract)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name, data FROM run_tables WHERE run_id = ?", (run_id,)).fetchall()
    return {name: conform(name, frame_from_json(data)) for name, data in rows}


def test_tables_are_typed_sql_tables(tmp_path, solved):
    inst, result = solved
    path = tmp_path / "runs.sqlite"
    run_id = record_run(open_store(path), result, inst, "solve")
    with sqlite3.connect(path) as conn:
        types = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(plants)")}
        assert types["year"] == "INTEGER" and types["feed_t"] == "REAL" and types["site"] == "TEXT"
        n = conn.execute("SELECT COUNT(*) FROM plants WHERE run_id = ?", (run_id,)).fetchone()[0]
        assert n == len(result.plants)
        assert conn.execute("SELECT COUNT(*) FROM run_tables WHERE format = 'json-v1'").fetchone()[0] == 0
    back = load_result(path, run_id)
    for name, df in result_frames(result).items():
        pd.testing.assert_frame_equal(result_frames(back)[name], df.reset_index(drop=True), obj=name)
    remove_runs(path, [run_id])
    with sqlite3.connect(path) as conn:
        assert all(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] == 0 for t in TABLES)


def test_a_store_of_the_previous_schema_migrates_forward(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(V1_STORE, path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1
    ids = [1, 2]
    before = {i: _v1_frames(path, i) for i in ids}
    store = open_store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == run_store.SCHEMA_VERSION
        assert conn.execute("SELECT COUNT(*) FROM run_tables WHERE format = 'json-v1'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM diagnosis WHERE run_id = 2").fetchone()[0] > 0
    for i in ids:
        frames = result_frames(load_result(store, i))
        assert set(frames) == set(before[i])
        for name, df in before[i].items():
            pd.testing.assert_frame_equal(frames[name], df, obj=f"run {i} {name}")
    assert list(list_runs(store)["id"]) == ids
    assert run_store.integrity_check(store) == []


def test_documented_queries_run(tmp_path, solved):
    inst, result = solved
    path = tmp_path / "runs.sqlite"
    store = open_store(path)
    record_run(store, result, inst, "solve", label="base")
    cheaper = load_instance(DATA / "two_sites.yaml", ["budget.total_bn_rub=6"])
    record_run(store, solve(cheaper), cheaper, "solve", label="budget 20")
    queries = re.findall(r"```sql\n(.*?)```", (ROOT / "docs" / "store.md").read_text(), re.S)
    assert len(queries) >= 3
    with sqlite3.connect(path) as conn:
        for sql in queries:
            rows = conn.execute(sql).fetchall()
            assert rows, sql
