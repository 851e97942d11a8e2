"""The HiGHS adapter: a Pyomo model compiled once into one ``highspy.Highs`` object, re-solved in place.

``HighsModel(m)`` compiles ``m`` to arrays (``reeplan.solving.compile``) and hands them to HiGHS in one
``passModel`` call. Changes made to the Pyomo model afterwards reach HiGHS through ``update()``, as
changes of bounds, coefficients, costs and a few added rows; the HiGHS object, its presolve-free model
and its last solution stay. What ``update()`` sees:

- a mutable parameter's new value (budget, policy targets, the objective chain's bounds): the rows that
  read it are walked again and their bounds and coefficients changed (the map from parameter to rows
  is built at the first such change, then kept);
- a constraint activated or deactivated: its row's bounds switch between its own and free;
- another objective activated: costs, sense and offset switched;
- constraints, variables or objectives added since (``alternatives`` adds no-good cuts): added in bulk;
- with ``bounds=True`` only, variables fixed, unfixed or re-bounded (a scan of every column).

Pyomo's persistent interface (``pyomo.contrib.solver.solvers.highs``) did the same one row and one column
per call, with the log captured through a file descriptor; this adapter replaced it (figures in
benchmarks/README.md).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.core as pyo
from reeplan.errors import SolverUnavailableError
from reeplan.result.result import Status
from reeplan.solving.callbacks import attach_progress, interrupt_on_sigint
from reeplan.solving.compile import (
    INF,
    LinearModel,
    Objective,
    Rows,
    column_bounds,
    compile_model,
    constraints_of,
    fixed_as_columns,
    gc_paused,
    mutable_parameters,
    objectives_of,
    parameters_read,
    rows_using,
    variables_of,
)
from reeplan.solving.numerics import check_model

_log = logging.getLogger(__name__)
_S = highspy.HighsModelStatus
_STATUS = {
    _S.kOptimal: Status.OPTIMAL, _S.kTimeLimit: Status.TIME_LIMIT, _S.kIterationLimit: Status.TIME_LIMIT,
    _S.kSolutionLimit: Status.TIME_LIMIT, _S.kInterrupt: Status.TIME_LIMIT, _S.kInfeasible: Status.INFEASIBLE,
    _S.kUnboundedOrInfeasible: Status.INFEASIBLE, _S.kUnbounded: Status.UNBOUNDED,
}
_CONTINUOUS, _INTEGER = highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger


def status_name(model_status) -> str:
    """The reeplan status (a ``Status`` value) of a raw HiGHS model status or its int.

    A Ctrl-C stop (``kInterrupt``) reads as a time limit here; only ``run`` knows it asked for one."""
    return _STATUS.get(_S(int(model_status)), Status.ERROR).value


_banner_shown: list = []


@functools.cache
def solver_version() -> str:
    """HiGHS version as 'major.minor.patch' (asked once per process)."""
    return new_highs().version()


def new_highs() -> highspy.Highs:
    """A silent ``highspy.Highs`` (SolverUnavailableError if highspy cannot start).

    HiGHS prints its banner to standard output on the first object of a process, before any option can
    switch it off; that one construction runs with descriptor 1 pointed at /dev/null."""
    try:
        if _banner_shown:
            h = highspy.Highs()
        else:
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown.append(True)
    except (ImportError, OSError) as exc:  # pragma: no cover - highspy is a dependency
        raise SolverUnavailableError(f"HiGHS (highspy) cannot start: {exc}") from exc
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class Run:
    """What one HiGHS run returned."""

    status: Status
    has_plan: bool
    incumbent: float | None
    bound: float | None
    seconds: float  # HiGHS's run, wall clock
    nodes: int | None


class HighsModel:
    """A Pyomo model compiled to one HiGHS object (see the module docstring for what ``update`` follows)."""

    def __init__(self, m: pyo.Block) -> None:
        tick = time.perf_counter()
        self.model = m
        lin, self._compiler = compile_model(m)
        check_model(lin, m.name)  # coefficients and bounds HiGHS can trust, or InstanceError naming the rows
        self.compile_seconds = time.perf_counter() - tick
        self.linear: LinearModel = lin
        self.highs = new_highs()
        self.add_calls = 0  # highspy calls that added columns or rows (the model is passed whole: 1)
        tick = time.perf_counter()
        self._pass(lin)
        self.transfer_seconds = time.perf_counter() - tick
        self.row_of = {id(c): r for r, c in enumerate(lin.constraints)}
        self._objective_of = {id(o.component): o for o in lin.objectives}
        self._params = mutable_parameters(m)
        self._param_values = [p.value for p in self._params]
        self._param_rows: dict[int, list[int]] | None = None  # built at the first parameter change
        self._objective_reads: dict[int, set[int]] = {}  # id(objective) -> ids of the parameters it reads
        self._objective: Objective | None = None
        self._set_objective(self._active_objective())

    # -- transfer ---------------------------------------------------------------------------------

    def _pass(self, lin: LinearModel) -> None:
        lp = highspy.HighsLp()
        n, rows = len(lin.columns), lin.rows
        lp.num_col_, lp.num_row_ = n, len(lin.constraints)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_, lp.col_upper_ = lin.col_lower, lin.col_upper
        lp.row_lower_ = np.where(lin.active, rows.lower, -INF)
        lp.row_upper_ = np.where(lin.active, rows.upper, INF)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(lin.constraints)
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = rows.start, rows.index, rows.value
        if lin.integer.any():
            lp.integrality_ = [_INTEGER if i else _CONTINUOUS for i in lin.integer]
        _ok(self.highs.passModel(lp), "passModel")
        self.add_calls += 1

    # -- objective ----------------------------------------------------------------------------------

    def _active_objective(self) -> Objective | None:
        active = [o for o in objectives_of(self.model) if o.active]
        if len(active) > 1:
            raise ValueError(f"more than one active objective: {', '.join(o.name for o in active)}")
        if not active:
            return None
        compiled = self._objective_of.get(id(active[0]))
        if compiled is None or compiled.component is not active[0]:  # added after compilation
            compiled = self._compiler.objective(active[0])
            self._add_new_columns()
            self._objective_of[id(active[0])] = compiled
            self._objective_reads.pop(id(active[0]), None)
        return compiled

    def _set_objective(self, obj: Objective | None) -> None:
        if obj is self._objective:
            return
        n = len(self.linear.columns)
        cost = np.zeros(n)
        if obj is not None:
            np.add.at(cost, obj.index, obj.value)
        h = self.highs
        _ok(h.changeColsCost(n, np.arange(n, dtype=np.int32), cost), "changeColsCost")
        sense = highspy.ObjSense.kMaximize if obj is not None and obj.maximize else highspy.ObjSense.kMinimize
        _ok(h.changeObjectiveSense(sense), "changeObjectiveSense")
        _ok(h.changeObjectiveOffset(0.0 if obj is None else obj.offset), "changeObjectiveOffset")
        self._objective = obj

    # -- changes ----------------------------------------------------------------------------------

    def update(self, *, bounds: bool = False) -> None:
        """Push every change of the Pyomo model since the last update (module docstring); ``bounds``: also
        rescan variable bounds and fixings."""
        with gc_paused():
            self._add_new_rows()
            self._push_parameters()
            self._push_activity()
            if bounds:
                self._push_column_bounds()
            self._set_objective(self._active_objective())

    def _add_new_columns(self) -> None:
        lin, n_before = self.linear, len(self.linear.col_lower)
        new = lin.columns[n_before:]
        if not new:
            return
        lower, upper, integer = column_bounds(new)
        _ok(self.highs.addCols(len(new), np.zeros(len(new)), lower, upper, 0, np.zeros(0, dtype=np.int32),
                               np.zeros(0, dtype=np.int32), np.zeros(0)), "addCols")
        self.add_calls += 1
        idx = np.arange(n_before, n_before + len(new), dtype=np.int32)
        if integer.any():
            _ok(self.highs.changeColsIntegrality(int(integer.sum()), idx[integer],
                                                 np.full(int(integer.sum()), _INTEGER)), "changeColsIntegrality")
        lin.col_lower = np.concatenate([lin.col_lower, lower])
        lin.col_upper = np.concatenate([lin.col_upper, upper])
        lin.integer = np.concatenate([lin.integer, integer])

    def _add_new_rows(self) -> None:
        new = [c for c in constraints_of(self.model) if self.row_of.get(id(c), -1) < 0
               or self.linear.constraints[self.row_of[id(c)]] is not c]
        if not new:
            return
        with fixed_as_columns(variables_of(self.model)):
            rows = self._compiler.rows(new)
        self._add_new_columns()
        active = np.fromiter((c.active for c in new), dtype=bool, count=len(new))
        _ok(self.highs.addRows(len(new), np.where(active, rows.lower, -INF), np.where(active, rows.upper, INF),
                               len(rows.value), rows.start[:-1], rows.index, rows.value), "addRows")
        self.add_calls += 1
        lin = self.linear
        first = len(lin.constraints)
        for k, c in enumerate(new):
            self.row_of[id(c)] = first + k
        lin.constraints.extend(new)
        lin.active = np.concatenate([lin.active, active])
        offset = lin.rows.start[-1]
        lin.rows = Rows(np.concatenate([lin.rows.lower, rows.lower]), np.concatenate([lin.rows.upper, rows.upper]),
                        np.concatenate([lin.rows.start, rows.start[1:] + offset]),
                        np.concatenate([lin.rows.index, rows.index]), np.concatenate([lin.rows.value, rows.value]))
        self._param_rows = None  # the new rows may read parameters too

    def _push_parameters(self) -> None:
        changed = [p for p, old in zip(self._params, self._param_values) if p.value != old]
        if not changed:
            return
        if self._param_rows is None:
            self._param_rows = rows_using(self.linear.constraints, self._params)
        rows = sorted({r for p in changed for r in self._param_rows.get(id(p), [])})
        self._param_values = [p.value for p in self._params]
        if rows:
            self._recompile_rows(rows)
        # an objective that reads a changed parameter is compiled again when next activated (the others,
        # the chain's stages in the base model, keep their compiled costs: no walk per sweep point)
        ids = {id(p) for p in changed}
        for key, obj in list(self._objective_of.items()):
            if key not in self._objective_reads:
                self._objective_reads[key] = parameters_read(obj.component.expr)
            if self._objective_reads[key] & ids:
                del self._objective_of[key]
                if self._objective is obj:
                    self._objective = None
        self._set_objective(self._active_objective())

    def _recompile_rows(self, rows: list[int]) -> None:
        lin = self.linear
        cons = [lin.constraints[r] for r in rows]
        with fixed_as_columns(lin.columns):
            new = self._compiler.rows(cons)
        self._add_new_columns()
        old = lin.rows
        for k, r in enumerate(rows):
            before = dict(zip(old.index[old.start[r]:old.start[r + 1]].tolist(),
                              old.value[old.start[r]:old.start[r + 1]].tolist()))
            after = dict(zip(new.index[new.start[k]:new.start[k + 1]].tolist(),
                             new.value[new.start[k]:new.start[k + 1]].tolist()))
            for col in before.keys() | after.keys():
                if before.get(col, 0.0) != after.get(col, 0.0):
                    _ok(self.highs.changeCoeff(r, col, after.get(col, 0.0)), "changeCoeff")
            if before != after:  # keep the arrays true to HiGHS: rebuild this row's slice
                self._replace_row(r, after)
            old = lin.rows
            old.lower[r], old.upper[r] = new.lower[k], new.upper[k]
            if lin.active[r]:
                _ok(self.highs.changeRowBounds(r, float(new.lower[k]), float(new.upper[k])), "changeRowBounds")

    def _replace_row(self, r: int, coefs: dict[int, float]) -> None:
        rows = self.linear.rows
        a, b = int(rows.start[r]), int(rows.start[r + 1])
        cols = np.array(sorted(coefs), dtype=np.int32)
        vals = np.array([coefs[c] for c in cols.tolist()], dtype=np.float64)
        shift = len(cols) - (b - a)
        start = rows.start.copy()
        start[r + 1:] += shift
        self.linear.rows = Rows(rows.lower, rows.upper, start, np.concatenate([rows.index[:a], cols, rows.index[b:]]),
                                np.concatenate([rows.value[:a], vals, rows.value[b:]]))

    def _push_activity(self) -> None:
        lin = self.linear
        now = np.fromiter((c.active for c in lin.constraints), dtype=bool, count=len(lin.constraints))
        flipped = np.flatnonzero(now != lin.active)
        if not len(flipped):
            return
        lin.active = now
        lower = np.where(now[flipped], lin.rows.lower[flipped], -INF)
        upper = np.where(now[flipped], lin.rows.upper[flipped], INF)
        _ok(self.highs.changeRowsBounds(len(flipped), flipped.astype(np.int32), lower, upper),  # type: ignore[attr-defined]
            "changeRowsBounds")  # highspy 1.16 has it; its type stubs miss it

    def _push_column_bounds(self) -> None:
        lin = self.linear
        lower, upper, _ = column_bounds(lin.columns)
        moved = np.flatnonzero((lower != lin.col_lower) | (upper != lin.col_upper))
        if len(moved):
            _ok(self.highs.changeColsBounds(len(moved), moved.astype(np.int32), lower[moved], upper[moved]),
                "changeColsBounds")
            lin.col_lower, lin.col_upper = lower, upper

    # -- solutions ----------------------------------------------------------------------------------

    def column_values(self) -> np.ndarray:
        """HiGHS's current column values (the last run's plan)."""
        return np.asarray(self.highs.getSolution().col_value)

    def load_plan(self) -> None:
        """Copy the last run's column values into the Pyomo variables (fixed ones keep their values)."""
        for v, x in zip(self.linear.columns, self.column_values().tolist()):
            if not v.fixed:
                v.set_value(x, skip_validation=True)

    def row_duals(self, constraints: list) -> dict:
        """{constraint: dual} of the last run (HiGHS's row duals, as Pyomo's interface reports them)."""
        duals = self.highs.getSolution().row_dual
        return {c: float(duals[self.row_of[id(c)]]) for c in constraints}


def _ok(status, what: str) -> None:
    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS refused {what}")


_threads_in_use: list = []  # thread count of HiGHS's process-wide scheduler, once started


def _use_threads(threads: int | None) -> None:
    """HiGHS keeps one scheduler per process; a run asking another thread count fails unless it is reset."""
    if _threads_in_use and _threads_in_use[0] != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _threads_in_use.clear()
    if not _threads_in_use:
        _threads_in_use.append(threads)


def run(hm: HighsModel, *, time_limit: float | None, mip_gap: float | None, threads: int | None,
        options: dict, changes_pushed: bool = False, progress: Callable[[dict], None] | None = None,
        interruptible: bool = False) -> Run:
    """Solve (or re-solve in place) without loading the plan into Pyomo (``hm.load_plan()`` does).

    ``changes_pushed``: the caller already pushed every change (``push_changes_with_start``).
    ``progress``: called with incumbent, bound, gap and elapsed time (``reeplan.solving.callbacks.attach_progress``).
    ``interruptible``: the first Ctrl-C stops HiGHS and keeps its incumbent (status ``interrupted``).
    ``options``: HiGHS options by name; ``log_file`` writes HiGHS's log there (nothing reaches the console)."""
    if not changes_pushed:
        hm.update()
    return run_highs(hm.highs, has_objective=hm._objective is not None, time_limit=time_limit, mip_gap=mip_gap,
                     threads=threads, options=options, progress=progress, interruptible=interruptible)


def run_highs(h: highspy.Highs, *, has_objective: bool, time_limit: float | None, mip_gap: float | None,
              threads: int | None, options: dict, progress: Callable[[dict], None] | None = None,
              interruptible: bool = False) -> Run:
    """Run a ``highspy.Highs`` object holding a model (``run``'s options and statuses, for any holder)."""
    _use_threads(threads)
    # HiGHS keeps options between runs; start each run from its defaults so that options of an
    # earlier run (a chain stage's heuristics, a time limit) do not leak into this one.
    h.resetOptions()
    settings: dict[str, object] = {"output_flag": "log_file" in options, "log_to_console": False}
    if threads is not None:
        settings["threads"] = threads
    if time_limit is not None:
        settings["time_limit"] = float(time_limit)
    if mip_gap is not None:
        settings["mip_rel_gap"] = float(mip_gap)
    for key, value in {**settings, **options}.items():
        if h.setOptionValue(key, value) == highspy.HighsStatus.kError:
            raise ValueError(f"HiGHS rejects option {key}={value!r}")
    with ExitStack() as stack:
        if progress is not None:
            stack.enter_context(attach_progress(h, progress))
        if interruptible:
            stack.enter_context(interrupt_on_sigint(h, getattr(progress, "mark_interrupted", None)))
        tick = time.perf_counter()
        h.run()
        if has_objective and _start_kept(h):
            # HiGHS 1.16 can report the optimum of a MIP started from a user solution (setSolution) yet hand
            # back that start as its solution (seen in the stress chain's second stage); solve again from scratch
            _log.debug("HiGHS returned its start, not the optimum it reports: solved again without the start")
            h.clearSolver()
            h.run()
        seconds = time.perf_counter() - tick
    model_status = h.getModelStatus()
    status = Status.INTERRUPTED if model_status == _S.kInterrupt else _STATUS.get(model_status, Status.ERROR)
    info = h.getInfo()
    has_plan = model_status == _S.kOptimal or info.primal_solution_status == 2  # 2: feasible
    incumbent = float(info.objective_function_value) if has_plan and has_objective else None
    bound: float | None
    if info.mip_node_count >= 0:
        bound = float(info.mip_dual_bound)
    else:  # an LP: its optimum is its bound
        bound = incumbent if status == Status.OPTIMAL else None
    nodes = int(info.mip_node_count) if info.mip_node_count >= 0 else None
    return Run(status, has_plan, incumbent, bound, seconds, nodes)


def _start_kept(h: highspy.Highs) -> bool:
    """Does the solution HiGHS holds fail to reach the objective value it reports (a MIP start handed back)?"""
    info = h.getInfo()
    if h.getModelStatus() != _S.kOptimal or info.mip_node_count < 0:  # an LP, or no proven optimum
        return False
    lp, sol = h.getLp(), h.getSolution()
    if not sol.value_valid:
        return False
    value = float(np.dot(lp.col_cost_, sol.col_value)) + lp.offset_
    reported = float(info.objective_function_value)
    return abs(value - reported) > 1e-7 * max(1.0, abs(reported))


def push_changes_with_start(hm: HighsModel) -> None:
    """Push pending model changes to HiGHS, then hand it its previous solution as a MIP start.

    The start is read before the update (a changed model invalidates HiGHS's stored solution)
    and is valid as long as no column was added."""
    h = hm.highs
    sol = h.getSolution()
    hm.update()
    if sol.value_valid and len(sol.col_value) == h.getNumCol():
        h.setSolution(sol)


def lp_duals(hm: HighsModel, constraints: list, *, time_limit: float | None,
             threads: int | None = None) -> dict[str, float]:
    """Every integer column fixed at the loaded plan's value and made continuous, the LP solved in place,
    {constraint name: dual} returned; integrality and bounds restored after (the model is as before)."""
    hm.update()  # the model as Pyomo holds it now (after the chain: the primary objective, no chain rows)
    lin, h = hm.linear, hm.highs
    ints = np.flatnonzero(lin.integer).astype(np.int32)
    columns = lin.columns
    plan = np.array([round(columns[i].value) if columns[i].value is not None else lin.col_lower[i]
                     for i in ints.tolist()], dtype=np.float64)
    start = h.getSolution()
    k = len(ints)
    try:
        if k:
            _ok(h.changeColsBounds(k, ints, plan, plan), "changeColsBounds")
            _ok(h.changeColsIntegrality(k, ints, np.full(k, _CONTINUOUS)), "changeColsIntegrality")
        res = run(hm, time_limit=time_limit, mip_gap=None, threads=threads, options={}, changes_pushed=True)
        if res.status != Status.OPTIMAL:
            return {}
        return {c.name: d for c, d in hm.row_duals(constraints).items()}
    finally:
        if k:
            _ok(h.changeColsIntegrality(k, ints, np.full(k, _INTEGER)), "changeColsIntegrality")
            _ok(h.changeColsBounds(k, ints, lin.col_lower[ints], lin.col_upper[ints]), "changeColsBounds")
        if start.value_valid and len(start.col_value) == h.getNumCol():
            h.setSolution(start)
