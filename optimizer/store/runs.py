"""The run store: every solve kept in one SQLite file, so that any run can be found, shown, exported and re-solved.

(About 480 lines: the public API plus the table definitions and migrations, which stay beside the
API that writes those tables; connection and locking are ``sqlite.py``, the table codec ``codec.py``.)

Layout (schema version ``SCHEMA_VERSION``)::

    schema_version(version, applied_utc, reeplan_version)   one row per migration applied
    instances(sha256 PK, name, json)                         the full validated instance, stored once
    runs(id PK, uid, created_utc, command, label, instance_name, instance_sha256 -> instances,
         overrides_json, objective_name, options_json, solver_name, solver_version, solver_json,
         status, has_plan, objective, best_bound, mip_gap, hpo_t, spend_bn_rub, seconds_total,
         seconds_json, kpis_json, result_json, extra_json, reeplan_version)
    run_tables(run_id -> runs, name, format, data)           one row per result table the run holds: format
                                                             'sql-v1' (its rows are in the typed table of that
                                                             name, data empty) or 'json-v1' (a table outside the
                                                             contract, as JSON with exact floats)
    allocation, plants, flows, power, projects, rd, output, constraints, marginals, limits, targets, diagnosis
        (run_id -> runs ON DELETE CASCADE, row, <the contract's columns>)  PRIMARY KEY (run_id, row)
        one SQL table per result table of the contract (reeplan.result.tables): INTEGER, REAL, TEXT columns
        (a bool is INTEGER 0/1, a missing Int64 is NULL), ``row`` the row's position in the table

So runs compare with plain SQL (``docs/store.md`` has example queries)::

    SELECT r.id, r.label, a.area, SUM(a.bn_rub) FROM allocation a JOIN runs r ON r.id = a.run_id
    GROUP BY r.id, a.area;

Concurrency: WAL journal, a busy timeout, ``BEGIN IMMEDIATE`` for every write and a retry with
backoff on ``database is locked``. A run is written in ONE transaction (run row, instance, tables),
so a writer killed at any point leaves either the whole run or nothing.

Versions: opening a store of an older schema migrates it (``MIGRATIONS``, one transaction per step);
opening a store written by a newer reeplan raises ``StoreVersionError`` instead of misreading it.

This module is the public API and the layout; ``reeplan.store.sqlite`` does the connections, locking,
WAL and migrations, ``reeplan.store.codec`` the JSON of tables and values.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from reeplan.errors import UsageError
from reeplan.result.exports import result_frames
from reeplan.result.tables import TABLES, conform
from reeplan.store.codec import finite as _finite
from reeplan.store.codec import frame_from_json, frame_to_json, plain, to_json
from reeplan.store.sqlite import Database, Migrations, StoreError, StoreVersionError, ensure_schema, utc_now
from reeplan.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from reeplan.instance.schema import Instance
    from reeplan.options import SolveOptions
    from reeplan.result.result import Result

DEFAULT_STORE = "reeplan-runs.sqlite"
STORE_ENV = "REEPLAN_STORE"
SCHEMA_VERSION = 2
TABLE_FORMAT = "json-v1"  # a table outside the contract: JSON in run_tables.data
SQL_FORMAT = "sql-v1"  # a table of the contract: its rows in the typed SQL table of its name
SQL_TYPES = {"int64": "INTEGER NOT NULL", "Int64": "INTEGER", "float64": "REAL", "bool": "INTEGER NOT NULL",
             "str": "TEXT NOT NULL"}


class RunNotFoundError(StoreError):
    """No run with the given id in the store."""


# --------------------------------------------------------------------------------------------
# schema and migrations
# --------------------------------------------------------------------------------------------

_V1 = [
    """CREATE TABLE instances (
        sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        json TEXT NOT NULL)""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        created_utc TEXT NOT NULL,
        command TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        instance_name TEXT NOT NULL,
        instance_sha256 TEXT NOT NULL REFERENCES instances(sha256),
        overrides_json TEXT NOT NULL,
        objective_name TEXT NOT NULL,
        options_json TEXT NOT NULL,
        solver_name TEXT,
        solver_version TEXT,
        solver_json TEXT NOT NULL,
        status TEXT NOT NULL,
        has_plan INTEGER NOT NULL,
        objective REAL,
        best_bound REAL,
        mip_gap REAL,
        hpo_t REAL,
        spend_bn_rub REAL,
        seconds_total REAL,
        seconds_json TEXT NOT NULL,
        kpis_json TEXT NOT NULL,
        result_json TEXT NOT NULL,
        extra_json TEXT NOT NULL DEFAULT '{}',
        reeplan_version TEXT NOT NULL)""",
    "CREATE INDEX runs_instance ON runs(instance_name)",
    "CREATE INDEX runs_status ON runs(status)",
    """CREATE TABLE run_tables (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        format TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (run_id, name))""",
]


def _q(name: str) -> str:
    """A quoted SQL identifier (columns such as ``limit`` and ``rank`` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def typed_table_sql(name: str) -> str:
    """CREATE TABLE of one contract table: run_id, row and the contract's columns with their SQL types."""
    cols = ", ".join(f"{_q(c.name)} {SQL_TYPES[c.dtype]}" for c in TABLES[name].columns)
    return (f"CREATE TABLE {_q(name)} (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, "
            f"row INTEGER NOT NULL, {cols}, PRIMARY KEY (run_id, row))")


def _sql_rows(name: str, df: pd.DataFrame) -> list[tuple]:
    """A conformed contract table as SQL parameter rows (run_id left out): row, then each column."""
    frame = conform(name, df)
    out = []
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        out.append((i, *(int(v) if isinstance(v, bool) else plain(v) for v in values)))
    return out


def _insert_typed(conn: sqlite3.Connection, run_id: int, name: str, rows: list[tuple]) -> None:
    cols = ", ".join(["run_id", "row", *(_q(c) for c in TABLES[name].names)])
    marks = ", ".join("?" * (len(TABLES[name].names) + 2))
    conn.executemany(f"INSERT INTO {_q(name)} ({cols}) VALUES ({marks})", [(run_id, *r) for r in rows])


def _migrate_to_typed_tables(conn: sqlite3.Connection) -> None:
    """Version 1 -> 2: every contract table of every run moves from a JSON blob to its typed SQL table."""
    for name in TABLES:
        conn.execute(typed_table_sql(name))
    blobs = conn.execute("SELECT run_id, name, data FROM run_tables WHERE format = ?", (TABLE_FORMAT,)).fetchall()
    for run_id, name, data in blobs:
        if name not in TABLES:
            continue
        frame = frame_from_json(data)
        if set(TABLES[name].names) != set(frame.columns):
            continue  # not exactly the contract's columns (an older table, or more): kept as JSON, nothing dropped
        try:
            rows = _sql_rows(name, frame)
        except (ValueError, TypeError):  # values the contract's types cannot hold (NaN in an integer column)
            continue  # kept as JSON
        _insert_typed(conn, run_id, name, rows)
        conn.execute("UPDATE run_tables SET format = ?, data = ? WHERE run_id = ? AND name = ?",
                     (SQL_FORMAT, b"", run_id, name))


# MIGRATIONS[v] brings a store from version v to v + 1 (v = 0: an empty file). Append, never edit.
MIGRATIONS: Migrations = {0: _V1, 1: _migrate_to_typed_tables}


class Store(Database):
    """One run store file. Cheap to create: each operation opens its own short-lived connection."""

    # the API functions below, as methods, for notebook users
    def record_run(self, *args, **kwargs) -> int:
        """``record_run`` on this store."""
        return record_run(self, *args, **kwargs)

    def list_runs(self, **kwargs) -> pd.DataFrame:
        """``list_runs`` on this store."""
        return list_runs(self, **kwargs)

    def get_run(self, run_id: int) -> dict:
        """``get_run`` on this store."""
        return get_run(self, run_id)

    def load_result(self, run_id: int) -> Result:
        """``load_result`` on this store."""
        return load_result(self, run_id)

    def load_run_instance(self, run_id: int) -> Instance:
        """``load_run_instance`` on this store."""
        return load_run_instance(self, run_id)

    def export_run(self, run_id: int, out_dir: str | Path) -> list[Path]:
        """``export_run`` on this store."""
        return export_run(self, run_id, out_dir)

    def remove_run(self, run_id: int, dry_run: bool = False) -> dict:
        """``remove_run`` on this store."""
        return remove_run(self, run_id, dry_run)

    def remove_runs(self, run_ids, dry_run: bool = False) -> list[dict]:
        """``remove_runs`` on this store."""
        return remove_runs(self, run_ids, dry_run)


def default_store_path() -> Path:
    """``$REEPLAN_STORE`` if set, else ``reeplan-runs.sqlite`` in the working directory."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


def open_store(path: str | Path | None = None, *, create: bool = True) -> Store:
    """Open (creating or migrating if needed) the run store at ``path`` (default: see ``default_store_path``).

    ``create=False``: a missing file is an error (for read-only commands such as ``runs list``)."""
    store = Store(Path(path) if path is not None else default_store_path())
    if not store.path.exists():
        if not create:
            raise StoreError(f"no run store at {store.path} (solve something first, or give --store PATH)")
        if store.path.parent and not store.path.parent.exists():
            store.path.parent.mkdir(parents=True, exist_ok=True)
    elif store.path.is_dir():
        raise StoreError(f"run store {store.path} is a directory, not a file")
    ensure_schema(store, SCHEMA_VERSION, MIGRATIONS)
    return store


def as_store(store: Store | str | Path | None) -> Store:
    """``store`` itself, or the existing store at that path (default: see ``default_store_path``)."""
    return store if isinstance(store, Store) else open_store(store, create=False)


# --------------------------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------------------------


def _options_dict(options, objective_name: str) -> dict:
    if options is None:
        return {"objective": objective_name}  # rerun fills in the SolveOptions defaults
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        return dataclasses.asdict(options)
    return dict(options)


def _result_meta(result: Result) -> dict:
    return {
        "instance_name": result.instance_name, "objective_name": result.objective_name,
        "status": result.status.value, "has_plan": result.has_plan, "objective": result.objective,
        "best_bound": result.best_bound, "mip_gap": result.mip_gap, "seconds": result.seconds,
        "kpis": result.kpis, "solver": result.solver, "instance_sha256": result.instance_sha256,
        "message": result.message, "nodes": result.nodes, "tie_break": result.tie_break,
        "objective_chain": result.chain, "check_violations": result.check_violations,
    }


def _run_payload(result: Result, instance: Instance, command: str, overrides, options, label: str,
                 extra: dict | None) -> dict:
    from reeplan.instance.io import instance_sha256  # defers pydantic and yaml

    sha = instance_sha256(instance)
    if result.instance_sha256 and result.instance_sha256 != sha:
        raise UsageError("record_run: the result was not computed from this instance (sha256 differs)")
    solver = result.solver or {}
    k = result.kpis
    if isinstance(overrides, dict):
        overrides = [f"{key}={value}" for key, value in overrides.items()]
    return {
        "uid": uuid.uuid4().hex, "created_utc": utc_now(), "command": command, "label": label,
        "instance_name": instance.name, "instance_sha256": sha,
        "instance_json": json.dumps(instance.model_dump(mode="json"), sort_keys=True, separators=(",", ":")),
        "overrides_json": to_json(list(overrides or [])), "objective_name": result.objective_name,
        "options_json": to_json(_options_dict(options, result.objective_name)),
        "solver_name": solver.get("name"), "solver_version": solver.get("version"), "solver_json": to_json(solver),
        "status": result.status.value, "has_plan": int(bool(result.has_plan)), "objective": _finite(result.objective),
        "best_bound": _finite(result.best_bound), "mip_gap": _finite(result.mip_gap), "hpo_t": _finite(k.get("hpo_t")),
        "spend_bn_rub": _finite(k.get("spend_bn_rub")), "seconds_total": _finite((result.seconds or {}).get("total")),
        "seconds_json": to_json(result.seconds or {}), "kpis_json": to_json(k), "result_json": to_json(_result_meta(result)),
        "extra_json": to_json(extra or {}), "reeplan_version": __version__,
    }





_RUN_COLUMNS = ("uid", "created_utc", "command", "label", "instance_name", "instance_sha256", "overrides_json",
                "objective_name", "options_json", "solver_name", "solver_version", "solver_json", "status", "has_plan",
                "objective", "best_bound", "mip_gap", "hpo_t", "spend_bn_rub", "seconds_total", "seconds_json",
                "kpis_json", "result_json", "extra_json", "reeplan_version")


def _insert_run_row(conn: sqlite3.Connection, payload: dict) -> int:
    """First half of a run's transaction: the instance (once per content) and the run row."""
    conn.execute("INSERT OR IGNORE INTO instances (sha256, name, json) VALUES (?, ?, ?)",
                 (payload["instance_sha256"], payload["instance_name"], payload["instance_json"]))
    cur = conn.execute(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))})",
                       [payload[c] for c in _RUN_COLUMNS])
    assert cur.lastrowid is not None  # an INSERT gives a row id
    return int(cur.lastrowid)


def _encode_tables(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[str, object]]:
    """name -> (format, payload): SQL rows for a contract table, JSON text for any other."""
    out: dict[str, tuple[str, object]] = {}
    for name, df in frames.items():
        if name in TABLES and set(TABLES[name].names) == set(df.columns):
            try:
                out[name] = (SQL_FORMAT, _sql_rows(name, df))
                continue
            except (ValueError, TypeError):  # values the contract's types cannot hold: kept whole as JSON
                pass
        out[name] = (TABLE_FORMAT, frame_to_json(df))
    return out


def _insert_tables(conn: sqlite3.Connection, run_id: int, tables: dict[str, tuple[str, object]]) -> None:
    """Second half: the result tables (already encoded): typed rows, and one run_tables row per table."""
    for name, (fmt, payload) in tables.items():
        if fmt == SQL_FORMAT:
            _insert_typed(conn, run_id, name, payload)  # type: ignore[arg-type]  # rows, by the format
            conn.execute("INSERT INTO run_tables (run_id, name, format, data) VALUES (?, ?, ?, ?)",
                         (run_id, name, SQL_FORMAT, b""))
        else:
            conn.execute("INSERT INTO run_tables (run_id, name, format, data) VALUES (?, ?, ?, ?)",
                         (run_id, name, fmt, str(payload).encode()))


def record_run(store: Store | str | Path | None, result: Result, instance: Instance, command: str = "solve",
               overrides: list[str] | dict | None = None, options: SolveOptions | dict | None = None, *,
               label: str = "", extra: dict | None = None) -> int:
    """Record one solve (inputs, options, versions, status, KPIs, every table) in ONE transaction; return its id.

    ``command``: what produced it (solve, sweep, compare, bench, rerun); ``overrides``: the ``--set`` strings
    (already applied to ``instance``); ``options``: the ``SolveOptions`` used (re-used by ``rerun``);
    ``label``: a free text (sweep point, scenario name); ``extra``: any JSON-ready metadata."""
    store = store if isinstance(store, Store) else open_store(store)
    payload = _run_payload(result, instance, command, overrides, options, label, extra)
    tables = _encode_tables(result_frames(result))  # encode outside the lock

    def write(conn):
        run_id = _insert_run_row(conn, payload)
        _insert_tables(conn, run_id, tables)
        return run_id

    return store.write(write, "record the run")


def record_run_quietly(store: Store | str | Path | None, result: Result, instance: Instance, command: str,
                       overrides=(), options=None, label: str = "") -> int | None:
    """``record_run``, or None when the store cannot take the run: a store problem never fails a solve."""
    try:
        return record_run(store, result, instance, command, overrides, options, label=label)
    except StoreError:
        return None


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------

LIST_COLUMNS = ["id", "created_utc", "command", "label", "instance", "objective_name", "status", "objective",
                "best_bound", "mip_gap", "hpo_t", "spend_bn_rub", "seconds", "reeplan_version"]


def list_runs(store: Store | str | Path | None = None, *, instance: str | None = None, status: str | None = None,
              command: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Runs, oldest first (``limit``: only the newest N), filtered by instance name, status and command."""
    store = as_store(store)
    where, args = [], []
    for column, value in (("instance_name", instance), ("status", status), ("command", command)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    sql = ("SELECT id, created_utc, command, label, instance_name AS instance, objective_name, status, objective, "
           "best_bound, mip_gap, hpo_t, spend_bn_rub, seconds_total AS seconds, reeplan_version FROM runs")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"

    rows = store.read(lambda conn: [tuple(r) for r in conn.execute(sql, args)], "list runs")
    df = pd.DataFrame(rows[::-1], columns=LIST_COLUMNS)
    df["id"] = df["id"].astype("int64")
    for col in ("objective", "best_bound", "mip_gap", "hpo_t", "spend_bn_rub", "seconds"):
        df[col] = df[col].astype("float64")
    return df


def _run_row(conn: sqlite3.Connection, run_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM runs WHERE id = ?", (_run_id(run_id),)).fetchone()
    if row is None:
        raise RunNotFoundError(f"no run {run_id} in the run store (see `reeplan runs list`)")
    return row


def _run_id(run_id) -> int:
    try:
        number = int(str(run_id).lstrip("#"))
    except ValueError:
        raise UsageError(f"a run id is a number (see `reeplan runs list`), got {run_id!r}") from None
    if not 1 <= number < 2**63:  # SQLite's integer range
        raise RunNotFoundError(f"no run {run_id} in the store (see `reeplan runs list`)")
    return number


def get_run(store: Store | str | Path | None, run_id: int) -> dict:
    """Everything recorded about one run except the tables: ids, time, command, instance (full), overrides,
    options, solver, status, bound, gap, timings, KPIs, versions, and the names of the stored tables."""
    store = as_store(store)

    def read(conn):
        row = _run_row(conn, run_id)
        inst = conn.execute("SELECT json FROM instances WHERE sha256 = ?", (row["instance_sha256"],)).fetchone()
        names = [r[0] for r in conn.execute("SELECT name FROM run_tables WHERE run_id = ? ORDER BY name", (row["id"],))]
        return row, inst, names

    row, inst, names = store.read(read, "read a run")
    meta = json.loads(row["result_json"])
    return {
        "id": row["id"], "uid": row["uid"], "created_utc": row["created_utc"], "command": row["command"],
        "label": row["label"], "instance_name": row["instance_name"], "instance_sha256": row["instance_sha256"],
        "instance": json.loads(inst[0]) if inst else None, "overrides": json.loads(row["overrides_json"]),
        "objective_name": row["objective_name"], "options": json.loads(row["options_json"]),
        "solver": json.loads(row["solver_json"]), "status": row["status"], "has_plan": bool(row["has_plan"]),
        "objective": row["objective"], "best_bound": row["best_bound"], "mip_gap": row["mip_gap"],
        "seconds": json.loads(row["seconds_json"]), "kpis": json.loads(row["kpis_json"]),
        "message": meta.get("message", ""), "tie_break": meta.get("tie_break", ""), "nodes": meta.get("nodes"),
        "extra": json.loads(row["extra_json"]), "reeplan_version": row["reeplan_version"], "tables": names,
    }


def load_result(store: Store | str | Path | None, run_id: int) -> Result:
    """The stored run as a ``Result`` (tables, KPIs, targets, diagnosis, solver, timings) - for reports and export."""
    from reeplan.result.result import Result, Status  # defers pandas and pydantic

    store = as_store(store)

    def read(conn):
        row = _run_row(conn, run_id)
        tables = conn.execute("SELECT name, format, data FROM run_tables WHERE run_id = ? ORDER BY rowid",
                              (row["id"],)).fetchall()
        typed = {}
        for name, fmt, _ in tables:
            if fmt == SQL_FORMAT and name in TABLES:
                cols = ", ".join(_q(c) for c in TABLES[name].names)
                typed[name] = conn.execute(f"SELECT {cols} FROM {_q(name)} WHERE run_id = ? ORDER BY row",
                                           (row["id"],)).fetchall()
        return row, tables, typed

    row, tables, typed = store.read(read, "read a run")
    meta = json.loads(row["result_json"])
    frames = {}
    for name, fmt, data in tables:
        if fmt == SQL_FORMAT and name in typed:
            frame = pd.DataFrame([tuple(r) for r in typed[name]], columns=TABLES[name].names)
            frame = frame.astype({c.name: "object" for c in TABLES[name].columns if c.dtype == "str"})
            if frame.empty:
                frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in TABLES[name].names})
        elif fmt == TABLE_FORMAT:
            frame = frame_from_json(data)
        else:
            raise StoreVersionError(f"run {run_id}: table {name!r} is stored as {fmt!r}, unknown to this reeplan")
        # tables of the contract come back with its dtypes (a store written before it kept pandas' own)
        frames[name] = conform(name, frame) if name in TABLES and set(TABLES[name].names) <= set(frame.columns) else frame
    targets, diagnosis = frames.pop("targets", None), frames.pop("diagnosis", None)
    return Result(meta["instance_name"], meta["objective_name"], Status(meta["status"]), meta["has_plan"],
                  objective=meta["objective"], best_bound=meta["best_bound"], mip_gap=meta["mip_gap"],
                  seconds=meta["seconds"], tables=frames, kpis=meta["kpis"], targets=targets, diagnosis=diagnosis,
                  solver=meta["solver"], instance_sha256=meta["instance_sha256"], message=meta["message"],
                  nodes=meta["nodes"], tie_break=meta["tie_break"], chain=meta.get("objective_chain") or [],
                  check_violations=meta.get("check_violations") or [])


def load_run_instance(store: Store | str | Path | None, run_id: int) -> Instance:
    """The exact instance the run solved (overrides applied), rebuilt and validated."""
    from reeplan.instance.io import instance_sha256  # defers pydantic and yaml
    from reeplan.instance.schema import Instance  # defers pydantic

    run = get_run(store, run_id)
    if run["instance"] is None:  # pragma: no cover - prevented by the foreign key
        raise StoreError(f"run {run_id}: its instance is missing from the store")
    instance = Instance.model_validate(run["instance"])
    if instance_sha256(instance) != run["instance_sha256"]:
        raise StoreError(f"run {run_id}: the stored instance does not match its sha256 (store damaged?)")
    return instance


def find_instance(store: Store | str | Path | None, sha256: str) -> Instance | None:
    """The stored instance with this content hash, if any run used it."""
    from reeplan.instance.schema import Instance  # defers pydantic

    store = as_store(store)
    row = store.read(lambda conn: conn.execute("SELECT json FROM instances WHERE sha256 = ?", (sha256,)).fetchone(),
                     "read an instance")
    return None if row is None else Instance.model_validate(json.loads(row[0]))


def export_run(store: Store | str | Path | None, run_id: int, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write the run with ``Result.write``: summary.json, one CSV per table and instance.yaml (the exact
    instance solved, overrides applied: ``reeplan solve out_dir/instance.yaml`` re-solves it).

    A non-empty folder reeplan did not write is refused (``UsageError``) unless ``force`` (see ``Result.write``)."""
    store = as_store(store)
    return load_result(store, run_id).write(out_dir, instance=load_run_instance(store, run_id), force=force)


def _removal(conn: sqlite3.Connection, run_id: int, leaving: set[int]) -> dict:
    """What removing one run takes (its row, tables and, when no run outside ``leaving`` uses it, its instance)."""
    row = _run_row(conn, run_id)
    tables = [r[0] for r in conn.execute("SELECT name FROM run_tables WHERE run_id = ? ORDER BY name", (row["id"],))]
    marks = ",".join("?" * len(leaving))
    others = conn.execute(f"SELECT COUNT(*) FROM runs WHERE instance_sha256 = ? AND id NOT IN ({marks})",
                          (row["instance_sha256"], *sorted(leaving))).fetchone()[0]
    return {"id": row["id"], "created_utc": row["created_utc"], "command": row["command"], "label": row["label"],
            "instance_name": row["instance_name"], "instance_sha256": row["instance_sha256"], "status": row["status"],
            "tables": tables, "instance_removed": others == 0, "removed": False}


def remove_runs(store: Store | str | Path | None, run_ids, dry_run: bool = False) -> list[dict]:
    """Delete runs, their tables and each instance no remaining run uses, in ONE transaction: every id must
    exist, or nothing is removed (``RunNotFoundError``).

    Returns one dict per run saying what is (``dry_run``: would be) removed: ``id``, ``created_utc``,
    ``command``, ``label``, ``instance_name``, ``instance_sha256``, ``status``, ``tables`` (names),
    ``instance_removed`` (the instance goes too) and ``removed`` (False for a dry run) - for a confirmation prompt."""
    store = as_store(store)
    ids = list(dict.fromkeys(_run_id(r) for r in run_ids))

    def plan(conn):
        return [_removal(conn, run_id, set(ids)) for run_id in ids]

    if dry_run:
        return store.read(plan, "plan the removal of runs")

    def delete(conn):
        found = plan(conn)
        for item in found:
            for name in TABLES:  # also done by ON DELETE CASCADE; explicit, whatever the connection's pragmas
                conn.execute(f"DELETE FROM {_q(name)} WHERE run_id = ?", (item["id"],))
            conn.execute("DELETE FROM run_tables WHERE run_id = ?", (item["id"],))
            conn.execute("DELETE FROM runs WHERE id = ?", (item["id"],))
        for sha in {item["instance_sha256"] for item in found}:
            conn.execute("DELETE FROM instances WHERE sha256 = ? AND NOT EXISTS "
                         "(SELECT 1 FROM runs WHERE runs.instance_sha256 = instances.sha256)", (sha,))
        return [{**item, "removed": True} for item in found]

    return store.write(delete, f"remove run{'s' if len(ids) != 1 else ''} {', '.join(map(str, ids))}")


def remove_run(store: Store | str | Path | None, run_id: int, dry_run: bool = False) -> dict:
    """Delete a run and its tables (and its instance when no other run uses it); return what is removed
    (``dry_run``: what would be, removing nothing) - see ``remove_runs`` for the keys."""
    return remove_runs(store, [run_id], dry_run)[0]


def integrity_check(store: Store | str | Path | None) -> list[str]:
    """SQLite's integrity and foreign-key checks; [] when the store is sound."""
    store = as_store(store)

    def check(conn):
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check")]
        return problems

    return store.read(check, "check the store")
