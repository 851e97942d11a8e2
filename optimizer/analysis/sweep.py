"""Parameter sweeps: one row per point (status, objective, HPO, spend by area, marginal values).

In this process the points form one chain; with workers (``reeplan.parallel.Pool``: local processes or a
Dask cluster) they are split into strided chains, one per worker thread (``plan_chains``). A chain builds
the model once (a worker thread keeps it for its next chain) and, while the next point differs only in
mutable budget parameters, re-solves it in place (one HiGHS object, warm-started from the previous plan);
otherwise it rebuilds. A task carries the instance's content (``InstanceData``, read once by the client)
and returns its rows: only this process writes ``<out>/points/<index>.json`` and the run-store rows, as
each point (in process) or chain (on workers) finishes, so an interrupted sweep resumes without redoing
points, and a failing point is recorded with its error instead of stopping the sweep.

Bounded work: a sweep has at most ``MAX_SWEEP_POINTS`` points (10,000; ``$REEPLAN_MAX_SWEEP_POINTS``
raises or lowers it), counted before any list is built; ``threshold_budget`` halves its interval at most
``MAX_BISECTION_STEPS`` times (60) and says so when it stops on that bound. A ``--param`` that is not a
numeric scalar of the instance is refused before any point is solved (``check_params``), and the sweep
table always has every column, even when every point failed. The output folder is checked and marked
(``reeplan.result.folders.prepare_out_dir``) before the first point: a folder reeplan did not write is
refused unless ``force``.
"""

from __future__ import annotations

import json
import math
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from reeplan.analysis.sweep_plan import (
    MAX_BISECTION_STEPS,
    POINTS_DIR,
    InstanceData,
    SweepPlan,
    _too_many,
    check_params,
    max_sweep_points,
)
from reeplan.errors import ReeplanError, UsageError
from reeplan.models.components.budget import MUTABLE_BUDGET_FIELDS
from reeplan.options import SolveOptions
from reeplan.parallel import Pool, RunStats
from reeplan.result.folders import prepare_out_dir
from reeplan.result.result import AREA_KEYS, atomic_write


def solve_point(plan: SweepPlan, index: int, built_cache: dict, source: InstanceData | None = None) -> dict:
    """Solve one point (re-using ``built_cache['model']`` when possible); return its row.

    ``source``: the instance content the client read (a task's copy); without it the file is read here.
    With ``plan.extra['ship']`` the row also carries ``_ship``: (result, instance, overrides, options) for
    the client to record in the run store (a worker never writes there)."""
    from reeplan.solving.pipeline import build, can_reuse, retarget, solve_built  # defers highspy

    tick = time.perf_counter()
    row: dict[str, object] = {"index": index, **dict(zip(plan.params, plan.points[index]))}
    try:
        overrides = plan.overrides_at(index)
        inst = (source or InstanceData.read(plan.instance_path)).load(overrides)
        cached = built_cache.get("model")
        reused = (plan.reuse and cached is not None and cached.objective == plan.objective
                  and can_reuse(cached, inst))
        if reused and cached is not None:  # reused implies a cached model; said again for the type checker
            built = cached
            retarget(built, inst)
        else:
            built_cache.pop("model", None)  # the old model goes before the new one is built
            built = build(inst, plan.objective)
            built_cache["model"] = built
        opts = SolveOptions(objective=plan.objective, time_limit=plan.time_limit, mip_gap=plan.mip_gap,
                            threads=plan.threads, diagnose=False, why=False,
                            tie_break=not plan.extra.get("stage1_only", False))
        res = solve_built(built, opts)
        row.update(_row(res), reused=reused, error="")
        if plan.extra.get("ship"):
            row["_ship"] = (res, inst, overrides, opts)
    except ReeplanError as exc:
        row.update(status="error", error=f"{exc.__class__.__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a failing point is recorded, the sweep goes on
        row.update(status="error", error=f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=3)}")
    row["seconds"] = time.perf_counter() - tick
    return row


def _row(res) -> dict:
    k = res.kpis if res.has_plan else {}
    area = k.get("spend_by_area_bn_rub") or {}
    marginals = k.get("marginals") or {}
    return {
        "status": res.status.value, "objective": res.objective, "best_bound": res.best_bound, "mip_gap": res.mip_gap,
        "hpo_t": k.get("hpo_t"), "reo_t": k.get("reo_t"), "spend_bn_rub": k.get("spend_bn_rub"),
        **{f"spend_{a}_bn_rub": area.get(a) for a in AREA_KEYS},
        "new_plants_online": k.get("new_plants_online"), "total_cost_bn_rub": k.get("total_cost_bn_rub"),
        "marginal_total_hpo_per_bn_rub": marginals.get("budget_total"),
        "marginal_rd_hpo_per_bn_rub": marginals.get("budget_rd"),
        **{f"marginal_cap_{key.split()[-1]}_hpo_per_bn_rub": v for key, v in marginals.items()
           if key.startswith("budget_yearly")},
        "solve_seconds": res.seconds.get("solve"), "build_seconds": res.seconds.get("build"),
        "check_violations": len(res.check_violations),  # the independent checker's findings on this point's plan
    }


def run_chunk(plan: SweepPlan, indices: list[int], out_dir: str | None = None, cache: dict | None = None,
              on_row: Callable[[dict], None] | None = None, source: InstanceData | None = None) -> list[dict]:
    """Solve the given points with one model (a chain of in-place re-solves), handing each row to ``on_row``
    as soon as it is done (and writing it under ``out_dir`` if given: in the client only).

    For a single relaxing budget parameter (see ``_plateau_eligible``) the points are visited by
    bisection: when the two ends of an interval have the same optimal output *and* the same cheapest
    cost, every point between has that plan as its optimum too, and is filled in without a solve."""
    cache = {} if cache is None else cache
    rows: dict[int, dict] = {}

    def solve_and_write(index: int) -> dict:
        row = solve_point(plan, index, cache, source)
        row.setdefault("inferred_from", None)
        if out_dir is not None:
            _write_point(Path(out_dir), row)
        rows[index] = row
        if on_row:
            on_row(row)
        return row

    if not _plateau_eligible(plan) or len(indices) < 3:
        for index in indices:
            solve_and_write(index)
        return [rows[i] for i in indices]
    order = sorted(indices, key=lambda i: plan.points[i][0])
    stack = [(0, len(order) - 1)]
    solve_and_write(order[0])
    solve_and_write(order[-1])
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        a, b = rows[order[lo]], rows[order[hi]]
        if _same_plan_value(a, b):
            solved = {key: v for key, v in a.items() if key not in ("_ship", "run_id")}  # an inferred row is no run
            for k in range(lo + 1, hi):
                row = {**solved, "index": order[k], plan.params[0]: plan.points[order[k]][0], "inferred_from": a["index"],
                       "seconds": 0.0, "solve_seconds": 0.0, "build_seconds": 0.0, "reused": True}
                if out_dir is not None:
                    _write_point(Path(out_dir), row)
                rows[order[k]] = row
                if on_row:
                    on_row(row)
            continue
        mid = (lo + hi) // 2
        solve_and_write(order[mid])
        stack += [(mid, hi), (lo, mid)]
    return [rows[i] for i in indices]


# the mutable budget limits (reeplan.models.components.budget.MUTABLE_BUDGET_FIELDS): raising one only adds plans
RELAXING_PARAMS = tuple(f"budget.{name}" for name in MUTABLE_BUDGET_FIELDS if name != "yearly_cap_bn_rub")


def _plateau_eligible(plan: SweepPlan) -> bool:
    """One budget limit swept, an output objective, opex not counted: raising the limit only adds plans."""
    if len(plan.params) != 1 or not plan.reuse or plan.objective == "min-cost":
        return False
    param = plan.params[0]
    if not (param in RELAXING_PARAMS or param.startswith("budget.yearly_cap_bn_rub.")):
        return False
    return not any(o.replace(" ", "").lower() == "budget.opex_counts=true" for o in plan.base_overrides) and \
        not plan.extra.get("opex_counts", False)


def _same_plan_value(a: dict, b: dict, tol: float = 1e-7) -> bool:
    """Both optimal with equal output and equal cheapest cost (relative tolerance)."""
    if a.get("status") != "optimal" or b.get("status") != "optimal":
        return False
    def close(x, y):
        return x is not None and y is not None and abs(x - y) <= tol * max(1.0, abs(x), abs(y))
    return close(a.get("objective"), b.get("objective")) and close(a.get("total_cost_bn_rub"), b.get("total_cost_bn_rub"))


def _write_point(out: Path, row: dict) -> None:
    folder = out / POINTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    plain = {k: v for k, v in row.items() if not k.startswith("_")}
    atomic_write(folder / f"{int(row['index'])}.json", json.dumps(plain, default=_json_default))


_WORKER = threading.local()  # per worker thread: the model of its last chain, kept for its next task


def sweep_task(plan: SweepPlan, source: InstanceData, indices: list[int]) -> list[dict]:
    """A task of a parallel sweep (a worker runs it): one chain of points, re-using the model this worker
    thread built for its previous task where it can; returns the rows (nothing is written here)."""
    cache = getattr(_WORKER, "cache", None)
    if cache is None:
        cache = _WORKER.cache = {}
    return run_chunk(plan, indices, None, cache, source=source)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def _read_points(out: Path) -> dict[int, dict]:
    rows = {}
    for path in sorted((out / POINTS_DIR).glob("*.json")):
        try:
            row = json.loads(path.read_text())
            rows[int(row["index"])] = row
        except (ValueError, KeyError, OSError):
            continue  # a damaged file: the point is redone
    return rows


MAX_POINTS_PER_TASK = 16  # a task returns its rows when its chain ends: at most this many points wait for it


def plan_chains(indices: list[int], slots: int, per_task: int = MAX_POINTS_PER_TASK) -> list[list[int]]:
    """Chains of points for ``slots`` parallel workers: one chain per slot, or a multiple of the slots when a
    chain would be longer than ``per_task`` points (so that results come back, and are checkpointed by the
    client, at least every ``per_task`` points).

    The chains are strided (chain k takes every n-th point from the k-th): each spans the whole range, so
    they cost about the same even where part of the range is cheap (a budget plateau the bisection fills in
    without solving: contiguous chains would leave one worker idle there), and each still re-solves one
    model in place from point to point."""
    if not indices:
        return []
    slots = max(1, slots)
    n = min(len(indices), slots * max(1, math.ceil(len(indices) / (slots * per_task))))
    return [indices[k::n] for k in range(n)]


def run_sweep(plan: SweepPlan, out_dir: str | Path | None = None, workers: int = 1, scheduler: str | None = None,
              resume: bool = False, on_progress: Callable[[int, int, int], None] | None = None, *,
              force: bool = False, record: Callable | None = None, pool: Pool | None = None) -> pd.DataFrame:
    """Run every point (in parallel if asked) and return the sweep table, one row per point.

    Before any point: the swept paths are checked (``check_params``) and ``out_dir`` is checked and marked
    (a non-empty folder reeplan did not write is refused unless ``force``). The instance is read once here
    and travels with every task; the tasks return rows, and this process alone writes ``points/<i>.json``
    and calls ``record(result, instance, "sweep", overrides, options, label=...)`` (e.g. the run store's
    ``record_run_quietly`` bound to a path; ``plan.extra['record']`` is taken too) as each task finishes.
    ``df.attrs['run']`` holds the ``RunStats`` (tasks, slots, retried after a lost worker)."""
    limit = max_sweep_points()
    if len(plan.points) > limit:
        raise _too_many(len(plan.points), limit, "this sweep")
    if "record" in plan.extra:  # a callable never travels: it runs here, on the client
        record = record or plan.extra["record"]
        plan = replace(plan, extra={k: v for k, v in plan.extra.items() if k != "record"})
    if record is not None:
        plan = replace(plan, extra={**plan.extra, "ship": True})
    source = InstanceData.read(plan.instance_path)
    check_params(plan, source)
    out = prepare_out_dir(out_dir, force, kind="sweep") if out_dir is not None else None
    if out is not None:
        meta = {"plan": asdict(plan), "instance_sha256": source.sha256}
        meta_path = out / "sweep.json"
        if resume and meta_path.exists():
            saved = json.loads(meta_path.read_text())
            old = saved["plan"]
            new = json.loads(json.dumps(meta["plan"], default=_json_default))
            if {k: v for k, v in new.items() if k != "extra"} != {k: v for k, v in old.items() if k != "extra"}:
                raise UsageError(f"--resume: {out} holds a different sweep; use another --out or drop --resume")
            if saved.get("instance_sha256") not in (None, source.sha256):  # same path, other content
                raise UsageError(f"--resume: the instance {plan.instance_path} changed since {out} was swept (its "
                                 "points belong to the old file); drop --resume or use another --out")
        elif not resume and (out / POINTS_DIR).exists():
            for stale in (out / POINTS_DIR).glob("*.json"):
                stale.unlink()
        atomic_write(meta_path, json.dumps(meta, indent=2, default=_json_default))
    done = _read_points(out) if (resume and out is not None) else {}
    todo = [i for i in range(len(plan.points)) if i not in done or done[i].get("status") == "error"]
    rows = dict(done)
    report = on_progress or (lambda d, f, t: None)

    def failed() -> int:
        return sum(1 for r in rows.values() if r.get("status") == "error")

    report(len(rows), failed(), len(plan.points))

    def keep(row: dict) -> None:  # this process only: the checkpoint, then the store row, then its id
        ship = row.pop("_ship", None)
        if out is not None:  # checkpoint first: a kill before the store row at worst loses that row, never
            _write_point(out, row)  # records the point twice on --resume
        if ship is not None and record is not None:
            res, inst, overrides, opts = ship
            row["run_id"] = record(res, inst, "sweep", overrides, opts, label=f"sweep point {row['index']}")
            if out is not None:
                _write_point(out, row)
        rows[row["index"]] = row

    def collect(chunk_rows: list[dict]) -> None:
        for row in chunk_rows:
            keep(row)
        report(len(rows), failed(), len(plan.points))

    own = pool is None
    pool = Pool(workers, scheduler) if pool is None else pool
    try:
        if pool.local:
            cache: dict = {}
            stats = RunStats(1 if todo else 0, 0, 1, "in-process")
            tick = time.perf_counter()
            run_chunk(plan, todo, None, cache, on_row=lambda row: collect([row]), source=source)
            stats.seconds = time.perf_counter() - tick
        else:
            chains = plan_chains(todo, pool.slots())
            stats = pool.map(partial(sweep_task, plan, source), chains, collect, name="sweep chain")
    finally:
        if own:
            pool.close()
    df = sweep_table(plan, rows)
    df.attrs["run"] = stats
    return df


# the columns of a point without a plan (its row from a result that has none): every sweep table has them
_NO_PLAN = SimpleNamespace(has_plan=False, kpis={}, status=SimpleNamespace(value=""), objective=None, best_bound=None,
                           mip_gap=None, seconds={}, check_violations=[])
_TEXT_COLUMNS = ("status", "error")


def _columns(plan: SweepPlan) -> list[str]:
    return ["index", *plan.params, *_row(_NO_PLAN), "reused", "inferred_from", "error", "seconds"]


def sweep_table(plan: SweepPlan, rows: dict[int, dict]) -> pd.DataFrame:
    """Rows in point order, plus the finite-difference slope of HPO along a single parameter.

    Every column of a solved point is there even when no point solved (empty numbers, NaN): a sweep in which
    every point failed is a table of errors, not a crash."""
    columns = list(dict.fromkeys(_columns(plan)))
    df = pd.DataFrame([rows[i] for i in sorted(rows)])
    for column in columns:
        if column not in df:
            df[column] = "" if column == "error" else (None if column in _TEXT_COLUMNS else float("nan"))
        elif column not in _TEXT_COLUMNS and df[column].isna().all():
            df[column] = df[column].astype(float)
    df = df[columns + [c for c in df.columns if c not in columns]]
    if len(plan.params) == 1 and "hpo_t" in df and len(df) > 1:
        p = plan.params[0]
        ordered = df.sort_values(p)
        slope = ordered["hpo_t"].astype(float).diff() / ordered[p].astype(float).diff()
        df["fd_hpo_per_unit"] = slope.reindex(df.index)
    return df


def _why_unreachable(plan: SweepPlan, param: str, high: float, target_hpo: float, ceiling: float) -> dict:
    """What caps HPO at the top of the range: the ranked limits of the plan solved there."""
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.solving.marginals import limits_sentence  # defers highspy
    from reeplan.solving.pipeline import solve  # defers highspy

    head = f"{target_hpo:,.0f} t HPO is not reachable even with {param}={high:g}"
    if ceiling == -math.inf:
        return {"message": f"{head}: no plan meets the enforced rules there", "limits": None}
    inst = load_instance(plan.instance_path, [*plan.base_overrides, f"{param}={high}"])
    res = solve(inst, SolveOptions(objective=plan.objective, time_limit=plan.time_limit, mip_gap=plan.mip_gap,
                                   threads=plan.threads, diagnose=False))
    limits = res.tables.get("limits")
    why = "" if limits is None else f"; what caps it: {limits_sentence(limits)}"
    return {"message": f"{head}: the ceiling there is {ceiling:,.0f} t{why}",
            "limits": None if limits is None else limits.to_dict(orient="records")}


def threshold_budget(instance_path: str | Path, target_hpo: float, low: float, high: float, tolerance: float = 1.0,
                     base_overrides: tuple[str, ...] = (), param: str = "budget.total_bn_rub",
                     on_step: Callable[[float, float], None] | None = None, *,
                     max_iterations: int = MAX_BISECTION_STEPS, **solve_kw) -> dict:
    """Least value of ``param`` in [low, high] whose optimal HPO reaches ``target_hpo`` (bisection).

    Relies on optimal HPO being non-decreasing in a budget (more money never lowers it). The interval is
    halved until it is at most ``tolerance`` wide, at most ``max_iterations`` times, or until floating point
    cannot halve it further; the answer says which (``stopped``: "tolerance", "iterations" or "precision";
    ``stopped_on_bound``; ``iterations``; ``message`` when the tolerance was not reached)."""
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance > 0):
        raise UsageError(f"bisection tolerance must be a finite number > 0, got {tolerance!r}")
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise UsageError(f"bisection range must be finite with low <= high, got [{low!r}, {high!r}]")
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or max_iterations < 1:
        raise UsageError(f"max_iterations must be a whole number >= 1, got {max_iterations!r}")
    if not math.isfinite(target_hpo):
        raise UsageError(f"target HPO must be a finite number, got {target_hpo!r}")
    plan = SweepPlan(str(instance_path), (param,), ((low,), (high,)), tuple(base_overrides), **solve_kw)
    source = InstanceData.read(plan.instance_path)
    check_params(plan, source)
    cache: dict = {}

    def hpo_at(value: float) -> float:
        # the search reads only the optimum, which the objective chain does not change
        p = SweepPlan(plan.instance_path, plan.params, ((value,),), plan.base_overrides, plan.objective,
                      plan.time_limit, plan.mip_gap, plan.threads, extra={"stage1_only": True})
        row = solve_point(p, 0, cache, source)
        hpo = row.get("hpo_t")
        if row.get("status") == "infeasible":  # e.g. too little money for the enforced policy rules
            hpo = -math.inf
        elif row.get("status") != "optimal" or hpo is None:
            raise UsageError(f"point {param}={value} did not solve: {row.get('status')} {row.get('error', '')}")
        if on_step:
            on_step(value, hpo)
        return float(hpo)

    unbisected = {"iterations": 0, "stopped": "tolerance", "stopped_on_bound": False}
    ceiling = hpo_at(high)
    if ceiling < target_hpo - 1e-6:
        return {"reachable": False, "param": param, "target_hpo_t": target_hpo, "high": high, "ceiling_hpo_t": ceiling,
                **unbisected, **_why_unreachable(plan, param, high, target_hpo, ceiling)}
    if hpo_at(low) >= target_hpo - 1e-6:
        return {"reachable": True, "param": param, "target_hpo_t": target_hpo, "value": low, "low": low, **unbisected}
    lo, hi = low, high
    iterations, stopped = 0, "tolerance"
    while hi - lo > tolerance:
        if iterations >= max_iterations:
            stopped = "iterations"
            break
        mid = (lo + hi) / 2
        if not lo < mid < hi:  # floating point cannot halve the interval any further
            stopped = "precision"
            break
        iterations += 1
        if hpo_at(mid) >= target_hpo - 1e-6:
            hi = mid
        else:
            lo = mid
    found = {"reachable": True, "param": param, "target_hpo_t": target_hpo, "value": hi, "not_enough": lo,
             "tolerance": tolerance, "iterations": iterations, "stopped": stopped,
             "stopped_on_bound": stopped == "iterations"}
    if stopped == "iterations":
        found["message"] = (f"bisection stopped on its bound of {max_iterations} iterations with {param} between "
                            f"{lo:,.6g} and {hi:,.6g}, wider than the tolerance {tolerance:g}; {hi:,.6g} reaches the "
                            "target")
    elif stopped == "precision":
        found["message"] = (f"bisection stopped after {iterations} iterations: floating point cannot halve "
                            f"[{lo!r}, {hi!r}] further (tolerance {tolerance:g} is below its precision)")
    return found
