"""Parameter sweeps: one row per point (status, objective, HPO, spend by area, marginal values).

Points are split into contiguous chunks, one per worker. A worker builds the model once and, while
the next point differs only in mutable budget parameters, re-solves it in place (persistent HiGHS,
warm-started from the previous plan); otherwise it rebuilds. Every finished point is written at once
to ``<out>/points/<index>.json``, so an interrupted sweep resumes without redoing points, and a failing
point is recorded with its error instead of stopping the sweep.
"""

from __future__ import annotations

import itertools
import json
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from reeplan.errors import ReeplanError, UsageError
from reeplan.models.components.budget import MUTABLE_BUDGET_FIELDS
from reeplan.options import SolveOptions
from reeplan.parallel import map_chunks
from reeplan.result.result import AREA_KEYS

POINTS_DIR = "points"


@dataclass(frozen=True)
class SweepPlan:
    """What to sweep: an instance, fixed overrides, and the parameter values of every point."""

    instance_path: str
    params: tuple[str, ...]
    points: tuple[tuple[float, ...], ...]
    base_overrides: tuple[str, ...] = ()
    objective: str = "max-hpo"
    time_limit: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = 1  # one thread per point: parallelism comes from workers
    reuse: bool = True
    extra: dict = field(default_factory=dict)

    def overrides_at(self, index: int) -> list[str]:
        """``--set`` strings of one point."""
        return [*self.base_overrides, *(f"{p}={_fmt(v)}" for p, v in zip(self.params, self.points[index]))]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_values(text: str) -> list[float]:
    """``start:stop:step`` (inclusive, like numpy.arange with the stop added) or ``a,b,c``."""
    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            n = int(math.floor((parts[1] - parts[0]) / parts[2] + 1e-9)) + 1
            return [round(parts[0] + i * parts[2], 10) for i in range(n)]
        values = [float(x) for x in text.split(",") if x.strip()]
        if not values:
            raise ValueError
        return values
    except ValueError:
        raise UsageError(f"bad --values {text!r}: use START:STOP:STEP (STEP > 0) or a comma list like 300,500,700") \
            from None


def make_plan(instance_path: str | Path, params: list[str], values: list[str], **kw) -> SweepPlan:
    """A sweep over one parameter or the grid of two (``values[i]`` belongs to ``params[i]``)."""
    if not params or len(params) != len(values):
        raise UsageError("give one --values per --param")
    if len(params) > 2:
        raise UsageError("at most two --param (a grid)")
    grids = [parse_values(v) for v in values]
    points = tuple(itertools.product(*grids))
    return SweepPlan(str(instance_path), tuple(params), points, **kw)


def solve_point(plan: SweepPlan, index: int, built_cache: dict) -> dict:
    """Solve one point (re-using ``built_cache['model']`` when possible); return its row."""
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.solving.pipeline import build, can_reuse, retarget, solve_built  # defers highspy

    tick = time.perf_counter()
    row: dict[str, object] = {"index": index, **dict(zip(plan.params, plan.points[index]))}
    try:
        inst = load_instance(plan.instance_path, plan.overrides_at(index))
        cached = built_cache.get("model")
        reused = plan.reuse and cached is not None and can_reuse(cached, inst)
        if reused and cached is not None:  # reused implies a cached model; said again for the type checker
            built = cached
            retarget(built, inst)
        else:
            built = build(inst, plan.objective)
            built_cache["model"] = built
        opts = SolveOptions(objective=plan.objective, time_limit=plan.time_limit, mip_gap=plan.mip_gap,
                            threads=plan.threads, diagnose=False, why=False,
                            tie_break=not plan.extra.get("stage1_only", False))
        res = solve_built(built, opts)
        row.update(_row(res), reused=reused, error="")
        if plan.extra.get("record"):  # e.g. the run store's record_run_quietly, bound to a store path
            row["run_id"] = plan.extra["record"](res, inst, "sweep", plan.overrides_at(index), opts,
                                                 label=f"sweep point {index}")
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
    }


def run_chunk(plan: SweepPlan, indices: list[int], out_dir: str | None, cache: dict | None = None,
              on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Solve the given points with one model, writing each row as soon as it is done.

    For a single relaxing budget parameter (see ``_plateau_eligible``) the points are visited by
    bisection: when the two ends of an interval have the same optimal output *and* the same cheapest
    cost, every point between has that plan as its optimum too, and is filled in without a solve."""
    cache = {} if cache is None else cache
    rows: dict[int, dict] = {}

    def solve_and_write(index: int) -> dict:
        row = solve_point(plan, index, cache)
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
            for k in range(lo + 1, hi):
                row = {**a, "index": order[k], plan.params[0]: plan.points[order[k]][0], "inferred_from": a["index"],
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
    tmp = folder / f".{row['index']}.json.tmp"
    tmp.write_text(json.dumps(row, default=_json_default))
    tmp.replace(folder / f"{row['index']}.json")


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


def _chunks(indices: list[int], n: int) -> list[list[int]]:
    n = max(1, min(n, len(indices)))
    size = math.ceil(len(indices) / n)
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def run_sweep(plan: SweepPlan, out_dir: str | Path | None = None, workers: int = 1, scheduler: str | None = None,
              resume: bool = False, on_progress: Callable[[int, int, int], None] | None = None) -> pd.DataFrame:
    """Run every point (in parallel if asked) and return the sweep table, one row per point."""
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        meta = {"plan": asdict(plan)}
        meta_path = out / "sweep.json"
        if resume and meta_path.exists():
            old = json.loads(meta_path.read_text())["plan"]
            new = json.loads(json.dumps(meta["plan"], default=_json_default))
            if {k: v for k, v in new.items() if k != "extra"} != {k: v for k, v in old.items() if k != "extra"}:
                raise UsageError(f"--resume: {out} holds a different sweep; use another --out or drop --resume")
        elif not resume and (out / POINTS_DIR).exists():
            for stale in (out / POINTS_DIR).glob("*.json"):
                stale.unlink()
        meta_path.write_text(json.dumps(meta, indent=2, default=_json_default))
    done = _read_points(out) if (resume and out is not None) else {}
    todo = [i for i in range(len(plan.points)) if i not in done or done[i].get("status") == "error"]
    rows = dict(done)
    failed = sum(1 for r in rows.values() if r.get("status") == "error")
    report = on_progress or (lambda d, f, t: None)
    report(len(rows), failed, len(plan.points))

    def collect(chunk_rows: list[dict]) -> None:
        nonlocal failed
        for row in chunk_rows:
            rows[row["index"]] = row
            failed += row.get("status") == "error"
        report(len(rows), failed, len(plan.points))

    chunks = _chunks(todo, workers if scheduler is None else max(workers, 1)) if todo else []
    out_text = None if out is None else str(out)
    if scheduler is None and (workers <= 1 or len(chunks) <= 1):
        cache: dict = {}
        for chunk in chunks:
            run_chunk(plan, chunk, out_text, cache, on_row=lambda row: collect([row]))
    else:
        def poll() -> None:  # points written by the workers so far
            if out is not None:
                report(len(set(_read_points(out)) | set(rows)), failed, len(plan.points))

        map_chunks(partial(run_chunk, plan, out_dir=out_text), chunks, collect, workers=workers,
                   scheduler=scheduler, poll=poll)
    return sweep_table(plan, rows)


def sweep_table(plan: SweepPlan, rows: dict[int, dict]) -> pd.DataFrame:
    """Rows in point order, plus the finite-difference slope of HPO along a single parameter."""
    df = pd.DataFrame([rows[i] for i in sorted(rows)])
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
                     on_step: Callable[[float, float], None] | None = None, **solve_kw) -> dict:
    """Least value of ``param`` in [low, high] whose optimal HPO reaches ``target_hpo`` (bisection).

    Relies on optimal HPO being non-decreasing in a budget (more money never lowers it)."""
    plan = SweepPlan(str(instance_path), (param,), ((low,), (high,)), tuple(base_overrides), **solve_kw)
    cache: dict = {}

    def hpo_at(value: float) -> float:
        # the search reads only the optimum, which the objective chain does not change
        p = SweepPlan(plan.instance_path, plan.params, ((value,),), plan.base_overrides, plan.objective,
                      plan.time_limit, plan.mip_gap, plan.threads, extra={"stage1_only": True})
        row = solve_point(p, 0, cache)
        hpo = row.get("hpo_t")
        if row.get("status") == "infeasible":  # e.g. too little money for the enforced policy rules
            hpo = -math.inf
        elif row.get("status") != "optimal" or hpo is None:
            raise ReeplanError(f"point {param}={value} did not solve: {row.get('status')} {row.get('error', '')}")
        if on_step:
            on_step(value, hpo)
        return float(hpo)

    ceiling = hpo_at(high)
    if ceiling < target_hpo - 1e-6:
        return {"reachable": False, "param": param, "target_hpo_t": target_hpo, "high": high, "ceiling_hpo_t": ceiling,
                **_why_unreachable(plan, param, high, target_hpo, ceiling)}
    if hpo_at(low) >= target_hpo - 1e-6:
        return {"reachable": True, "param": param, "target_hpo_t": target_hpo, "value": low, "low": low}
    lo, hi = low, high
    while hi - lo > tolerance:
        mid = (lo + hi) / 2
        if hpo_at(mid) >= target_hpo - 1e-6:
            hi = mid
        else:
            lo = mid
    return {"reachable": True, "param": param, "target_hpo_t": target_hpo, "value": hi,
            "not_enough": lo, "tolerance": tolerance}
