"""The HiGHS adapter: Pyomo's in-memory persistent interface, status mapping, MIP start, duals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import Results, SolutionStatus, TerminationCondition
from reeplan.errors import SolverUnavailableError
from reeplan.result.result import Status
from reeplan.solving.callbacks import attach_progress, interrupt_on_sigint

_STATUS = {
    TerminationCondition.convergenceCriteriaSatisfied: Status.OPTIMAL,
    TerminationCondition.maxTimeLimit: Status.TIME_LIMIT,
    TerminationCondition.iterationLimit: Status.TIME_LIMIT,
    TerminationCondition.interrupted: Status.TIME_LIMIT,
    TerminationCondition.provenInfeasible: Status.INFEASIBLE,
    TerminationCondition.locallyInfeasible: Status.INFEASIBLE,
    TerminationCondition.infeasibleOrUnbounded: Status.INFEASIBLE,
    TerminationCondition.unbounded: Status.UNBOUNDED,
}


def status_name(model_status) -> str:
    """The reeplan status (a ``Status`` value) of a raw HiGHS model status or its int, for code driving highspy itself.

    Read as Pyomo's interface reads it, then ``_STATUS``: the same answer ``run`` gives, except that only ``run``
    turns a Ctrl-C it asked for into ``interrupted``."""
    s = highspy.HighsModelStatus
    termination = {s.kOptimal: TerminationCondition.convergenceCriteriaSatisfied,
                   s.kTimeLimit: TerminationCondition.maxTimeLimit, s.kIterationLimit: TerminationCondition.iterationLimit,
                   s.kSolutionLimit: TerminationCondition.iterationLimit, s.kInterrupt: TerminationCondition.interrupted,
                   s.kInfeasible: TerminationCondition.provenInfeasible,
                   s.kUnboundedOrInfeasible: TerminationCondition.infeasibleOrUnbounded,
                   s.kUnbounded: TerminationCondition.unbounded}.get(s(int(model_status)))
    return _STATUS.get(termination, Status.ERROR).value


class _InterruptIsExpected(logging.Filter):
    """Pyomo warns about HiGHS's kInterrupt status (a Ctrl-C we asked for); ``run`` maps it to ``interrupted``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "kInterrupt" not in record.getMessage()


logging.getLogger("pyomo.contrib.solver.solvers.highs").addFilter(_InterruptIsExpected())


@dataclass
class Run:
    """What one HiGHS run returned."""

    status: Status
    has_plan: bool
    incumbent: float | None
    bound: float | None
    seconds: float
    nodes: int | None
    results: Results  # Pyomo's: solution_loader, timing_info, ...


def new_solver():
    """A fresh persistent HiGHS interface (raises SolverUnavailableError if highspy is missing)."""
    from pyomo.contrib.solver.solvers.highs import Highs  # defers pyomo

    opt = Highs()
    if not opt.available():
        raise SolverUnavailableError("HiGHS (highspy) is not installed: pip install highspy")
    return opt


def solver_version(opt) -> str:
    """HiGHS version as 'major.minor.patch'."""
    return ".".join(map(str, opt.version()))


NO_AUTO_UPDATES = {key: False for key in (
    "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
    "check_for_new_objective", "update_constraints", "update_vars", "update_parameters",
    "update_named_expressions", "update_objective")}


_threads_in_use: list = []  # thread count of HiGHS's process-wide scheduler, once started


def _use_threads(threads: int | None) -> None:
    """HiGHS keeps one scheduler per process; a run asking another thread count fails unless it is reset."""
    if _threads_in_use and _threads_in_use[0] != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _threads_in_use.clear()
    if not _threads_in_use:
        _threads_in_use.append(threads)


def run(opt, m: pyo.ConcreteModel, *, time_limit: float | None, mip_gap: float | None, threads: int | None,
        options: dict, changes_pushed: bool = False, progress: Callable[[dict], None] | None = None,
        interruptible: bool = False) -> Run:
    """Solve (or re-solve, pushing only changes) without loading the solution.

    ``changes_pushed``: the caller already pushed every change (``push_changes_with_start``), so the
    structure scans are skipped; they would also discard a MIP start.
    ``progress``: called with incumbent, bound, gap and elapsed time (``reeplan.solving.callbacks.attach_progress``).
    ``interruptible``: the first Ctrl-C stops HiGHS and keeps its incumbent (status ``interrupted``)."""
    extra = {"auto_updates": NO_AUTO_UPDATES} if changes_pushed else {}
    _use_threads(threads)
    if opt._model is not m:  # load the model now, so that callbacks can attach to the HiGHS object
        opt.set_instance(m)
        extra = {"auto_updates": NO_AUTO_UPDATES}  # just loaded: nothing to scan for
    with ExitStack() as stack:
        if progress is not None or interruptible:
            if progress is not None:
                stack.enter_context(attach_progress(opt._solver_model, progress))
            if interruptible:
                on_request = getattr(progress, "mark_interrupted", None)
                stack.enter_context(interrupt_on_sigint(opt._solver_model, on_request))
        # HiGHS keeps options between runs; start each run from its defaults so that options of an
        # earlier run (a chain stage's heuristics, a time limit) do not leak into this one.
        opt._solver_model.resetOptions()
        res = opt.solve(m, load_solutions=False, raise_exception_on_nonoptimal_result=False, time_limit=time_limit,
                        rel_gap=mip_gap, threads=threads, solver_options=dict(options), **extra)
    status = _STATUS.get(res.termination_condition, Status.ERROR)
    if opt._solver_model.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        status = Status.INTERRUPTED
    has_plan = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    info = opt._solver_model.getInfo()
    nodes = int(info.mip_node_count) if info.mip_node_count >= 0 else None
    return Run(status, has_plan, res.incumbent_objective, res.objective_bound,
               float(res.timing_info.wall_time or 0.0), nodes, res)


def push_changes_with_start(opt, m: pyo.ConcreteModel) -> None:
    """Push pending model changes to HiGHS, then hand it its previous solution as a MIP start.

    The start is read before the update (a changed model invalidates HiGHS's stored solution)
    and is valid as long as no column was added or removed."""
    highs = opt._solver_model
    sol = highs.getSolution()
    opt.update()
    if sol.value_valid and len(sol.col_value) == highs.getNumCol():
        highs.setSolution(sol)


def lp_duals(m: pyo.ConcreteModel, constraints: list, *, time_limit: float | None,
             threads: int | None = None) -> dict[str, float]:
    """Fix every integer variable at its value, solve the LP, return {constraint name: dual}; unfix after.

    A fresh interface is used and every column is marked continuous in HiGHS (fixed integer
    columns keep their integrality in Pyomo's interface, and a MIP gives no duals)."""
    fixed = []
    for v in m.component_data_objects(pyo.Var, active=True):
        if v.is_integer() and not v.fixed and v.value is not None:
            v.fix(round(v.value))
            fixed.append(v)
    try:
        lp = new_solver()
        lp.set_instance(m)
        model = lp._solver_model
        n = model.getNumCol()
        if n:
            model.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                        np.full(n, highspy.HighsVarType.kContinuous))
        _use_threads(threads)
        res = lp.solve(m, threads=threads, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                       time_limit=time_limit)
        if res.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
            return {}
        duals = res.solution_loader.get_duals(cons_to_load=constraints)
        return {c.name: float(d) for c, d in duals.items()}
    finally:
        for v in fixed:
            v.unfix()
