"""One benchmark run inside its own process: ``python -m reeplan.bench.child --child SPEC RESULT``.

The parent (``reeplan.bench.isolate.run_isolated``) writes SPEC (JSON: kind, path, solver, options,
threads, seed, time limit, gap, objective, pipeline); this process does the run and writes its
record to RESULT, or the exception that stopped it. For a reeplan instance the phases are timed
here, calling the same functions as ``reeplan.solve()`` (stage 1 only: the MILP every solver is given):

- build: ``model_data`` + ``reeplan.models.investment.build_model``;
- transfer: the hand-off to the solver. HiGHS: compiling the model to arrays and passing it whole
  (``reeplan.solving.highs.HighsModel``). Every other solver (``reeplan.bench.solvers``): compiling and
  writing the safe MPS file (``reeplan.solving.export.write_mps``) plus the solver's own reader;
  ``pyomo:NAME``: Pyomo's whole call minus the solver's reported time;
- solve: the solver's own run time;
- extraction: loading the solution into the Pyomo model and ``reeplan.solving.extract.extract_tables``;
- then (not timed into the total) the independent checker ``reeplan.check.check_plan`` on the plan:
  ``check_violations`` counts what it found, so a solver's wrong "optimal" plan is caught.

For an MPS file, transfer is the solver reading the file and extraction reading the solution vector.
Top-level imports stay light: they weigh on every run's wall time and peak memory.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
from reeplan.bench.solvers import SolverRunError, run_mps
from reeplan.errors import ReeplanError
from reeplan.options import SolveOptions


class BenchError(ReeplanError):
    """A run could not be set up (unreadable model, bad solver option)."""


def json_default(x):
    """JSON encoding of the spec and record files: numpy scalars as numbers, anything else as text."""
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return str(x)


def _run_mps(spec: dict, rec: dict) -> None:

    tick = time.perf_counter()
    try:
        run_mps(spec["solver"], spec, spec["path"], rec, values=False)
    except SolverRunError as exc:
        raise BenchError(str(exc)) from None
    rec.setdefault("extract_s", 0.0)
    rec["mps_run_s"] = time.perf_counter() - tick


def _model_size(m) -> dict:
    import pyomo.environ as pyo  # defers pyomo

    n = ni = 0
    for v in m.component_data_objects(pyo.Var, active=True):
        n += 1
        ni += v.is_integer() or v.is_binary()
    nc = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    return {"variables": n, "constraints": nc, "integers": ni}


def _run_reeplan(spec: dict, rec: dict) -> None:
    import pyomo.environ as pyo  # defers pyomo
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.models.data import model_data  # defers pydantic
    from reeplan.models.investment import build_model  # defers pyomo and pydantic
    from reeplan.solving.extract import extract_tables  # defers pyomo and pandas

    tick = time.perf_counter()
    inst = load_instance(spec["path"])
    rec["load_s"] = time.perf_counter() - tick
    tick = time.perf_counter()
    data = model_data(inst)
    m = build_model(inst, spec["objective"], data=data)
    rec["build_s"] = time.perf_counter() - tick
    rec.update(_model_size(m))  # the stage-2 parts are deactivated and not counted
    rec["objective_sense"] = "max" if m.stage1_objective.sense == pyo.maximize else "min"
    solver = spec["solver"]
    if solver == "highs":
        loaded = _reeplan_highs(spec, m, rec)
    elif solver.startswith("pyomo:"):
        loaded = _reeplan_pyomo(spec, m, rec)
    else:
        loaded = _reeplan_via_mps(spec, m, rec)
    tick = time.perf_counter()
    tables = None
    if rec.get("has_solution"):
        loaded()
        tables = extract_tables(m, data)
        rec["objective"] = float(pyo.value(m.Primary))
    rec["extract_s"] = time.perf_counter() - tick
    if tables is not None and spec.get("check", True):
        _check(inst, tables, spec["objective"], rec)


def _check(inst, tables: dict, objective: str, rec: dict) -> None:
    """The independent checker on the plan the solver returned (not timed: it is no part of any solver's run)."""
    from reeplan.check import check_plan  # defers pandas

    tick = time.perf_counter()
    violations = check_plan(inst, tables, objective, rec["objective"])
    rec["check_s"] = time.perf_counter() - tick
    rec["check_violations"] = len(violations)
    if violations:
        rec["check_message"] = "; ".join(str(v) for v in violations[:3])[:500]


def _reeplan_highs(spec: dict, m, rec: dict) -> Callable[[], None]:
    from reeplan.solving import highs  # defers pyomo and highspy

    tick = time.perf_counter()
    hm = highs.HighsModel(m)  # compile to arrays and hand to HiGHS in one call
    transfer = time.perf_counter() - tick
    run = highs.run(hm, time_limit=spec["time_limit"], mip_gap=spec["mip_gap"], threads=spec["threads"],
                    options={"random_seed": spec["seed"], **spec["options"]}, changes_pushed=True)
    rec.update(transfer_s=transfer, solve_s=run.seconds, status=run.status.value, has_solution=run.has_plan,
               objective=run.incumbent, bound=run.bound, nodes=run.nodes,
               simplex_iterations=int(hm.highs.getInfo().simplex_iteration_count))
    return hm.load_plan


def _reeplan_via_mps(spec: dict, m, rec: dict) -> Callable[[], None]:
    """Any solver but HiGHS: the stage-1 model written as safe MPS (``reeplan.solving.export``), read by the
    solver's own reader; transfer = compiling and writing the file + the solver reading it."""
    from reeplan.models.components.objective import stage1_only  # defers pyomo and pydantic
    from reeplan.solving.export import write_mps  # defers pyomo

    stage1_only(m)
    with tempfile.TemporaryDirectory(prefix="reeplan-bench-") as tmp:
        path = Path(tmp) / "model.mps"
        tick = time.perf_counter()
        exported = write_mps(m, path, names=False)
        written = time.perf_counter() - tick
        try:
            values = run_mps(spec["solver"], spec, str(path), rec, values=True)
        except SolverRunError as exc:
            raise BenchError(str(exc)) from None
    rec["transfer_s"] = written + (rec.get("transfer_s") or 0.0)
    rec["bound"] = exported.model_objective(rec.get("bound"))  # the file minimises; the model may maximise
    rec["file_objective"] = rec.pop("objective", None)
    rec["objective_sense"] = "max" if exported.maximize else "min"
    columns = exported.columns

    def load() -> None:
        got = values or {}
        for j, var in enumerate(columns):
            if not var.fixed:
                var.set_value(got.get(f"C{j}", 0.0), skip_validation=True)  # CBC lists nonzero columns only

    return load


def _reeplan_pyomo(spec: dict, m, rec: dict) -> Callable[[], None]:
    import pyomo.environ as pyo  # defers pyomo
    from pyomo.opt import TerminationCondition as TC  # defers pyomo
    from reeplan.models.components.objective import stage1_only  # defers pyomo and pydantic

    stage1_only(m)
    name = spec["solver"].removeprefix("pyomo:")
    opt = pyo.SolverFactory(name)
    options = dict(spec["options"])
    if name == "cbc":
        options.setdefault("ratioGap", spec["mip_gap"])
        options.setdefault("threads", spec["threads"])
        if spec["time_limit"] is not None:
            options.setdefault("sec", spec["time_limit"])
    elif name == "glpk":
        options.setdefault("mipgap", spec["mip_gap"])
        if spec["time_limit"] is not None:
            options.setdefault("tmlim", int(math.ceil(spec["time_limit"])))
    tick = time.perf_counter()
    res = opt.solve(m, options=options, load_solutions=False)
    call = time.perf_counter() - tick
    solver_time = getattr(res.solver, "wallclock_time", None) or getattr(res.solver, "time", None)
    solver_time = float(solver_time) if isinstance(solver_time, (int, float)) and solver_time > 0 else call
    tc = res.solver.termination_condition
    status = {TC.optimal: "optimal", TC.maxTimeLimit: "time_limit", TC.infeasible: "infeasible",
              TC.unbounded: "unbounded", TC.infeasibleOrUnbounded: "infeasible"}.get(tc, "error")
    has = len(res.solution) > 0
    sense_max = m.stage1_objective.sense == pyo.maximize
    bound = res.problem.upper_bound if sense_max else res.problem.lower_bound
    bound = float(bound) if isinstance(bound, (int, float)) and math.isfinite(bound) else None
    rec.update(transfer_s=max(0.0, call - solver_time), solve_s=solver_time, status=status, has_solution=has,
               bound=bound, message="" if status != "error" else f"termination {tc}")

    def load() -> None:
        m.solutions.load_from(res)

    return load


def run_child(spec: dict) -> dict:
    """Do one run in this process and return its record (raises on any failure)."""
    rec: dict = {"status": "error", "has_solution": False}
    if spec["kind"] == "mps":
        if spec["solver"].startswith("pyomo:"):
            raise BenchError(f"MPS input does not run on {spec['solver']} (Pyomo solvers take reeplan instances)")
        _run_mps(spec, rec)
    elif spec.get("pipeline", "stage1") == "solve":
        if spec["solver"] != "highs":
            raise BenchError("the whole reeplan solve runs on HiGHS only")
        _run_reeplan_solve(spec, rec)
    else:
        _run_reeplan(spec, rec)
    return rec


def _run_reeplan_solve(spec: dict, rec: dict) -> None:
    """The whole ``reeplan.solve()`` (stage 1, tie-break, marginals, extraction) as ``reeplan solve`` runs it.

    Its own phase times are kept: build, solve (both stages, hand-off included: transfer is not
    separated), marginals, extraction; ``total_s`` is its ``seconds["total"]``."""
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.solving.pipeline import solve  # defers pyomo and highspy

    tick = time.perf_counter()
    inst = load_instance(spec["path"])
    rec["load_s"] = time.perf_counter() - tick
    opts = SolveOptions(objective=spec["objective"], time_limit=spec["time_limit"], mip_gap=spec["mip_gap"],
                        threads=spec["threads"], seed=spec["seed"], solver_options=dict(spec["options"]))
    res = solve(inst, opts)
    sec = res.seconds
    rec.update(status=res.status.value, has_solution=res.has_plan, objective=res.objective, bound=res.best_bound,
               nodes=res.nodes, build_s=sec.get("build"), solve_s=sec.get("solve"), marginals_s=sec.get("marginals"),
               extract_s=sec.get("extract"), total_s=sec.get("total"),
               message="; ".join(x for x in (res.message, f"tie-break: {res.tie_break}" if res.tie_break else "") if x))


def _child_main(argv: list[str]) -> int:
    """Read the spec file ``argv[0]``, run it, write the record to ``argv[1]``; 1 if the run raised."""
    spec_file, out_file = Path(argv[0]), Path(argv[1])
    spec = json.loads(spec_file.read_text())
    rec: dict
    code = 0
    try:
        rec = run_child(spec)
    except BaseException as exc:  # noqa: BLE001 - everything is recorded, nothing escapes the run
        traceback.print_exc()
        rec = {"status": "error", "has_solution": False, "message": f"{exc.__class__.__name__}: {exc}"}
        code = 1
    rec["peak_rss_mb_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tmp = out_file.with_suffix(".partial")
    tmp.write_text(json.dumps(rec, default=json_default))
    tmp.replace(out_file)
    return code


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.exit(_child_main(sys.argv[2:]))
    sys.stderr.write("usage: reeplan bench ... (this module's entry point is for child runs only)\n")
    sys.exit(2)
