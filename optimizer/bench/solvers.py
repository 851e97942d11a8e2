"""Solvers on MPS files, each through its own reader, with one meaning of time limit, gap, threads and seed.

``run_mps(solver, spec, path, rec, values)`` reads ``path`` with the solver named, sets its time limit
(seconds), relative MIP gap, threads and random seed from ``spec`` (plus ``spec["options"]``, the
solver's own option names), solves, and fills ``rec``: status (optimal, time_limit, infeasible,
unbounded, error, crashed, edition_limit), has_solution, objective and bound (*the file's* objective:
an exported reeplan model minimises, see ``reeplan.solving.export``), nodes, simplex iterations, the
model's size, the phase times (``transfer_s``: reading the file; ``solve_s``: the solver's own run) and
``solver_options`` (what was set, in the solver's own names). With ``values`` it returns the solution
by column name.

Solvers: ``highs`` (highspy), ``scip`` (pyscipopt), ``cbc`` and ``glpk`` (the ``cbc`` and ``glpsol``
programs, Debian's coinor-cbc and glpk-utils), ``ortools-cbc``, ``ortools-scip``, ``ortools-cpsat``
(OR-Tools' linear-solver wrapper, pip ``ortools``; CP-SAT takes a MILP with continuous variables by
scaling them to integers, so its "optimal" is checked like any other), ``gurobi`` (gurobipy),
``cplex`` (the ``cplex`` package) and ``xpress`` (the ``xpress`` package). The last three ship
size-limited free licences: a run above the limit is recorded as ``edition_limit`` (neither a failure
nor a win). A solver without a seed (GLPK) or threads (GLPK; SCIP's sequential solve) says so in
``solver_options``.
"""

from __future__ import annotations

import importlib
import math
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from reeplan.numbers import finite_or_none as _finite

OPTIONAL = ("ortools", "gurobipy", "cplex", "xpress")  # solver packages reeplan does not depend on


def optional_module(name: str):
    """Import one of the optional solver packages (OPTIONAL: ``ortools...``, ``gurobipy``, ``cplex...``, ``xpress``)
    when a run needs it, never before: each takes a noticeable share of a second to import, and most
    machines have only some of them. Xpress's community-licence warning on import is silenced."""
    if name.split(".")[0] not in OPTIONAL:
        raise ValueError(f"{name} is not an optional solver package")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


class SolverRunError(Exception):
    """A solver could not read the file or rejected an option."""


def _limit(spec: dict) -> float | None:
    t = spec.get("time_limit")
    return float(t) if t is not None else None




# --------------------------------------------------------------------------- HiGHS


def _highs(spec: dict, path: str, rec: dict, values: bool):
    import highspy  # defers highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    tick = time.perf_counter()
    status = h.readModel(path)
    rec["transfer_s"] = time.perf_counter() - tick
    if status == highspy.HighsStatus.kError or h.getNumCol() == 0:
        raise SolverRunError(f"HiGHS cannot read {path} as an MPS model")
    options = {"time_limit": _limit(spec), "mip_rel_gap": spec["mip_gap"], "threads": spec["threads"],
               "random_seed": spec["seed"], **spec["options"]}
    for key, value in options.items():
        if value is not None and h.setOptionValue(key, value) == highspy.HighsStatus.kError:
            raise SolverRunError(f"HiGHS rejects option {key}={value!r}")
    rec["solver_options"] = {k: v for k, v in options.items() if v is not None}
    lp = h.getLp()
    integrality = list(lp.integrality_) if len(lp.integrality_) else []
    rec.update(variables=h.getNumCol(), constraints=h.getNumRow(),
               integers=sum(1 for t in integrality if t != highspy.HighsVarType.kContinuous),
               objective_sense="max" if h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize else "min")
    tick = time.perf_counter()
    h.run()
    rec["solve_s"] = time.perf_counter() - tick
    # Named by the parent (reeplan.solving.highs.status_name): importing the Pyomo adapter here would add
    # about 1.5 s and 100 MB to every HiGHS run on an MPS file.
    rec["highs_model_status"] = int(h.getModelStatus())
    info = h.getInfo()
    rec["has_solution"] = info.primal_solution_status == 2
    out = None
    if rec["has_solution"]:
        sol = h.getSolution()
        rec["objective"] = float(info.objective_function_value)
        if values:
            names = [h.getColName(j)[1] for j in range(h.getNumCol())]
            out = dict(zip(names, list(sol.col_value)))
    rec["bound"] = float(info.mip_dual_bound) if rec["integers"] else rec.get("objective")
    rec["nodes"] = int(info.mip_node_count) if info.mip_node_count >= 0 else None
    rec["simplex_iterations"] = int(info.simplex_iteration_count)
    return out


# --------------------------------------------------------------------------- SCIP

_SCIP_STATUS = {"optimal": "optimal", "timelimit": "time_limit", "gaplimit": "optimal", "infeasible": "infeasible",
                "unbounded": "unbounded", "inforunbd": "infeasible", "nodelimit": "time_limit",
                "userinterrupt": "time_limit"}


def _scip(spec: dict, path: str, rec: dict, values: bool):
    import pyscipopt  # defers pyscipopt

    s = pyscipopt.Model()
    s.hideOutput()
    tick = time.perf_counter()
    try:
        s.readProblem(path)
    except Exception as exc:  # noqa: BLE001 - pyscipopt raises plain Exceptions for unreadable files
        raise SolverRunError(f"SCIP cannot read {path}: {exc}") from None
    rec["transfer_s"] = time.perf_counter() - tick
    params = {"limits/gap": spec["mip_gap"], "randomization/randomseedshift": spec["seed"], **spec["options"]}
    if _limit(spec) is not None:
        params["limits/time"] = _limit(spec)
    for key, value in params.items():
        try:
            s.setParam(key, value)
        except Exception as exc:  # noqa: BLE001
            raise SolverRunError(f"SCIP rejects parameter {key}={value!r}: {exc}") from None
    rec["solver_options"] = {**params, "threads": "1 (SCIP's sequential solve)"}
    svars = s.getVars()
    rec.update(variables=len(svars), constraints=s.getNConss(),
               integers=sum(1 for v in svars if v.vtype() in ("BINARY", "INTEGER", "IMPLINT")),
               objective_sense="max" if s.getObjectiveSense() == "maximize" else "min")
    tick = time.perf_counter()
    s.optimize()
    rec["solve_s"] = time.perf_counter() - tick
    rec["status"] = _SCIP_STATUS.get(s.getStatus(), "error")
    if rec["status"] == "error":
        rec["message"] = f"SCIP status {s.getStatus()}"
    rec["has_solution"] = s.getNSols() > 0
    out = None
    if rec["has_solution"]:
        rec["objective"] = float(s.getObjVal())
        best = s.getBestSol()
        vals = {v.name: s.getSolVal(best, v) for v in s.getVars()}
        out = vals if values else None
    rec["bound"] = _finite(s.getDualbound())
    rec["nodes"] = int(s.getNNodes())
    rec["simplex_iterations"] = int(s.getNLPIterations())
    return out


# --------------------------------------------------------------------------- CBC and GLPK (their programs)


def _program(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise SolverRunError(f"{name} is not on the PATH")
    return exe


def _run_program(args: list[str], spec: dict, what: str) -> tuple[str, float, int]:
    limit = _limit(spec)
    wall = None if limit is None else 2 * limit + 30
    tick = time.perf_counter()
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=wall, check=False)
    except subprocess.TimeoutExpired:
        raise SolverRunError(f"{what} did not stop within {wall} s of a {limit} s time limit") from None
    return proc.stdout + proc.stderr, time.perf_counter() - tick, proc.returncode


def _crashed(rec: dict, what: str, code: int, log: str) -> None:
    rec["status"] = "crashed"
    tail = " | ".join(log.strip().splitlines()[-2:])
    rec["message"] = f"{what} died ({'signal ' + str(-code) if code < 0 else 'exit code ' + str(code)}): {tail}"


def _cbc(spec: dict, path: str, rec: dict, values: bool):
    exe = _program("cbc")
    # CBC reads randomCbcSeed 0 as "seed from the time of day": seed s is passed as s + 1, always fixed
    opts = {"ratioGap": spec["mip_gap"], "threads": spec["threads"], "randomCbcSeed": spec["seed"] + 1}
    if _limit(spec) is not None:
        opts["sec"] = _limit(spec)
    opts.update(spec["options"])
    rec["solver_options"] = opts
    with tempfile.TemporaryDirectory(prefix="reeplan-cbc-") as tmp:
        sol = Path(tmp) / "solution.txt"
        args = [exe, path]
        for k, v in opts.items():
            args += [f"-{k}", str(v)]
        args += ["-solve", "-solution", str(sol)]
        log, wall, code = _run_program(args, spec, "cbc")
        rec["solver_log_tail"] = " | ".join(log.strip().splitlines()[-3:])
        m = re.search(r"Problem \S+ has (\d+) rows, (\d+) columns", log)
        if m:
            rec.update(constraints=int(m.group(1)), variables=int(m.group(2)))
        if "read with 0 errors" not in log and re.search(r"read with \d+ errors", log):
            raise SolverRunError(f"cbc cannot read {path}: {rec['solver_log_tail']}")
        if code != 0 or not sol.exists():
            _crashed(rec, "cbc", code, log)
            rec["solve_s"] = wall
            return None
        text = sol.read_text().splitlines()
    head = text[0] if text else ""
    m = re.search(r"Time \(Wallclock seconds\):\s*([\d.eE+-]+)", log)
    rec["solve_s"] = float(m.group(1)) if m else wall
    rec["transfer_s"] = max(0.0, wall - rec["solve_s"])  # process start, reading and writing the solution
    low = head.lower()
    if low.startswith("optimal"):
        rec["status"] = "optimal"
    elif "infeasible" in low:
        rec["status"] = "infeasible"
    elif "unbounded" in low:
        rec["status"] = "unbounded"
    elif low.startswith("stopped"):
        rec["status"] = "time_limit"
    else:
        rec["status"], rec["message"] = "error", f"cbc: {head}"
    m = re.search(r"objective value\s+([-\d.eE+]+)", head)
    has = m is not None and rec["status"] in ("optimal", "time_limit") and "no integer" not in low
    rec["has_solution"] = has
    if has and m is not None:
        rec["objective"] = float(m.group(1))
    lb = re.search(r"Lower bound:\s*([-\d.eE+]+)", log)
    rec["bound"] = float(lb.group(1)) if lb else rec.get("objective") if rec["status"] == "optimal" else None
    nodes = re.search(r"Enumerated nodes:\s*(\d+)", log)
    iters = re.search(r"Total iterations:\s*(\d+)", log)
    rec["nodes"] = int(nodes.group(1)) if nodes else None
    rec["simplex_iterations"] = int(iters.group(1)) if iters else None
    if not (has and values):
        return None
    out: dict[str, float] = {}
    for line in text[1:]:  # "  index name value reduced-cost", columns only where nonzero; "**" marks infeasible
        parts = line.replace("**", " ").split()
        if len(parts) >= 3:
            out[parts[1]] = float(parts[2])
    return out


def _glpk(spec: dict, path: str, rec: dict, values: bool):
    exe = _program("glpsol")
    opts: dict = {"mipgap": spec["mip_gap"]}
    limit = _limit(spec)
    if limit is not None:
        opts["tmlim"] = int(math.ceil(limit))
    opts.update(spec["options"])
    rec["solver_options"] = {**opts, "threads": "1 (GLPK is sequential)", "seed": "none (GLPK's search has no seed)"}
    with tempfile.TemporaryDirectory(prefix="reeplan-glpk-") as tmp:
        sol = Path(tmp) / "solution.txt"
        args = [exe, "--freemps", path, "-w", str(sol)]
        for k, v in opts.items():
            args += [f"--{k}"] + ([] if v is True else [str(v)])
        log, wall, code = _run_program(args, spec, "glpsol")
        rec["solver_log_tail"] = " | ".join(log.strip().splitlines()[-3:])
        if "MPS file processing error" in log or "error" in log.lower() and not sol.exists():
            raise SolverRunError(f"glpsol cannot read {path}: {rec['solver_log_tail']}")
        if code != 0 and not sol.exists():
            _crashed(rec, "glpsol", code, log)
            rec["solve_s"] = wall
            return None
        text = sol.read_text().splitlines()
    rec["solve_s"] = wall  # glpsol reads and solves in one process; both are in solve_s
    rec["transfer_s"] = 0.0
    s_line = next((ln.split() for ln in text if ln.startswith("s ")), [])
    cols = {}
    kind = s_line[1] if len(s_line) > 1 else ""
    if len(s_line) >= 4:
        rec.update(constraints=int(s_line[2]), variables=int(s_line[3]))
    limit_hit = "TIME LIMIT EXCEEDED" in log
    if kind == "mip" and len(s_line) >= 6:
        st, obj = s_line[4], s_line[5]
        rec["status"] = {"o": "optimal", "f": "time_limit" if limit_hit else "optimal", "n": "infeasible",
                         "u": "time_limit" if limit_hit else "error"}.get(st, "error")
        rec["has_solution"] = st in ("o", "f")
        for ln in text:
            if ln.startswith("j "):
                p = ln.split()
                cols[int(p[1])] = float(p[2])
    elif kind == "bas" and len(s_line) >= 7:  # an LP: basic solution "s bas rows cols pst dst obj"
        pst, dst, obj = s_line[4], s_line[5], s_line[6]
        rec["status"] = "optimal" if pst == "f" and dst == "f" else "infeasible" if pst == "n" else \
            "unbounded" if dst == "n" else "time_limit" if limit_hit else "error"
        rec["has_solution"] = pst == "f"
        for ln in text:
            if ln.startswith("j "):
                p = ln.split()
                cols[int(p[1])] = float(p[3])
    else:
        rec["status"], rec["message"], obj = "error", f"glpsol wrote no solution: {rec['solver_log_tail']}", "nan"
    if rec.get("has_solution"):
        rec["objective"] = float(obj)
    bounds = re.findall(r"mip =\s*(\S+) [<>]=\s*(.+?)\s+\S+% \(", log)
    last = bounds[-1][1].strip() if bounds else ""
    rec["bound"] = rec.get("objective") if rec["status"] == "optimal" else _finite(last)
    if rec["status"] == "optimal" and not limit_hit:
        rec["bound"] = rec.get("objective")
    rec["nodes"] = None
    if not (rec.get("has_solution") and values):
        return None
    names = _mps_column_names(path)  # glpsol's solution file numbers the columns
    return {names[j - 1]: v for j, v in cols.items() if 0 < j <= len(names)}


def _mps_column_names(path: str) -> list[str]:
    """Column names of a free MPS file, in order (the COLUMNS section's first fields, markers skipped)."""
    names: list[str] = []
    seen: set[str] = set()
    section = ""
    with open(path) as fh:
        for line in fh:
            if not line.strip() or line.startswith("*"):
                continue
            if not line[0].isspace():
                section = line.split()[0].upper()
                continue
            if section == "COLUMNS":
                first = line.split()[0]
                if "'MARKER'" in line:
                    continue
                if first not in seen:
                    seen.add(first)
                    names.append(first)
    return names


# --------------------------------------------------------------------------- OR-Tools

_ORTOOLS = {"ortools-cbc": "CBC", "ortools-scip": "SCIP", "ortools-cpsat": "CP-SAT"}


def _ortools(spec: dict, path: str, rec: dict, values: bool, backend: str):
    pywraplp = optional_module("ortools.linear_solver.pywraplp")
    model_builder = optional_module("ortools.linear_solver.python.model_builder")

    tick = time.perf_counter()
    mb = model_builder.Model()
    if not mb.import_from_mps_file(path):
        raise SolverRunError(f"OR-Tools cannot read {path}")
    proto = mb.export_to_proto()
    s = pywraplp.Solver.CreateSolver(backend)
    if s is None:
        raise SolverRunError(f"OR-Tools has no {backend} backend here")
    err = s.LoadModelFromProto(proto)
    if err:
        raise SolverRunError(f"OR-Tools cannot load {path}: {err}")
    rec["transfer_s"] = time.perf_counter() - tick
    applied: dict = {"relative_mip_gap": spec["mip_gap"], "num_threads": spec["threads"]}
    limit = _limit(spec)
    if limit is not None:
        s.SetTimeLimit(int(limit * 1000))
        applied["time_limit_ms"] = int(limit * 1000)
    if spec["threads"]:
        s.SetNumThreads(int(spec["threads"]))
    specific = {"SCIP": f"randomization/randomseedshift = {spec['seed']}", "CP-SAT": f"random_seed:{spec['seed']}",
                "CBC": ""}[backend]
    extra = " ".join(f"{k}:{v}" if backend == "CP-SAT" else f"{k} = {v}" for k, v in spec["options"].items())
    specific = (specific + ("\n" if backend == "SCIP" else " ") + extra).strip() if extra else specific
    if specific:
        if not s.SetSolverSpecificParametersAsString(specific):
            raise SolverRunError(f"OR-Tools {backend} rejects parameters {specific!r}")
        applied["solver_specific"] = specific
    if backend == "CBC":
        applied["seed"] = "none (OR-Tools passes no seed to CBC)"
    rec["solver_options"] = applied
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, float(spec["mip_gap"]))
    variables = s.variables()
    rec.update(variables=len(variables), constraints=s.NumConstraints(),
               integers=sum(1 for v in variables if v.integer()),
               objective_sense="max" if s.Objective().maximization() else "min")
    tick = time.perf_counter()
    st = s.Solve(params)
    rec["solve_s"] = time.perf_counter() - tick
    S = pywraplp.Solver
    limit_hit = limit is not None and rec["solve_s"] >= 0.98 * limit
    rec["status"] = {S.OPTIMAL: "optimal", S.FEASIBLE: "time_limit", S.INFEASIBLE: "infeasible",
                     S.UNBOUNDED: "unbounded", S.NOT_SOLVED: "time_limit" if limit_hit else "error"}.get(st, "error")
    if rec["status"] == "error":
        rec["message"] = f"OR-Tools {backend} result status {st}" + (
            " (MODEL_INVALID: CP-SAT cannot take this model, e.g. continuous variables it cannot scale)"
            if st == S.MODEL_INVALID else "")
    rec["has_solution"] = st in (S.OPTIMAL, S.FEASIBLE)
    if rec["has_solution"]:
        rec["objective"] = float(s.Objective().Value())
    rec["bound"] = _finite(s.Objective().BestBound()) if rec["integers"] else rec.get("objective")
    try:
        rec["nodes"] = int(s.nodes())
    except Exception:  # noqa: BLE001 - not every backend counts nodes
        rec["nodes"] = None
    try:
        rec["simplex_iterations"] = int(s.iterations())
    except Exception:  # noqa: BLE001
        rec["simplex_iterations"] = None
    if rec["has_solution"] and values:  # the wrapper renames the columns; they keep the file's order
        return {pv.name: v.solution_value() for pv, v in zip(proto.variable, variables)}
    return None


# --------------------------------------------------------------------------- commercial (free editions)


def _gurobi(spec: dict, path: str, rec: dict, values: bool):
    gp = optional_module("gurobipy")

    env = gp.Env(empty=True)
    env.setParam("OutputFlag", 0)
    env.start()
    tick = time.perf_counter()
    try:
        m = gp.read(path, env)
    except gp.GurobiError as exc:
        raise SolverRunError(f"Gurobi cannot read {path}: {exc}") from None
    rec["transfer_s"] = time.perf_counter() - tick
    params = {"MIPGap": spec["mip_gap"], "Threads": spec["threads"], "Seed": spec["seed"], **spec["options"]}
    if _limit(spec) is not None:
        params["TimeLimit"] = _limit(spec)
    for k, v in params.items():
        m.setParam(k, v)
    rec["solver_options"] = params
    rec.update(variables=m.NumVars, constraints=m.NumConstrs, integers=m.NumIntVars,
               objective_sense="max" if m.ModelSense == -1 else "min")
    tick = time.perf_counter()
    try:
        m.optimize()
    except gp.GurobiError as exc:
        if exc.errno == 10010 or "size-limited" in str(exc):  # GRB_ERROR_SIZE_LIMIT_EXCEEDED
            rec["status"], rec["message"] = "edition_limit", f"Gurobi: {exc}"
            return None
        raise
    rec["solve_s"] = time.perf_counter() - tick
    st = m.Status
    rec["status"] = {2: "optimal", 3: "infeasible", 4: "infeasible", 5: "unbounded", 9: "time_limit",
                     8: "time_limit", 11: "time_limit"}.get(st, "error")
    if rec["status"] == "error":
        rec["message"] = f"Gurobi status {st}"
    rec["has_solution"] = m.SolCount > 0
    if rec["has_solution"]:
        rec["objective"] = float(m.ObjVal)
    rec["bound"] = _finite(m.ObjBound) if m.IsMIP else rec.get("objective")
    rec["nodes"] = int(m.NodeCount) if m.IsMIP else None
    rec["simplex_iterations"] = int(m.IterCount)
    if rec["has_solution"] and values:
        return {v.VarName: v.X for v in m.getVars()}
    return None


def _cplex(spec: dict, path: str, rec: dict, values: bool):
    cplex = optional_module("cplex")
    exceptions = optional_module("cplex.exceptions")
    CplexError, CplexSolverError = exceptions.CplexError, exceptions.CplexSolverError

    c = cplex.Cplex()
    for stream in (c.set_results_stream, c.set_log_stream, c.set_warning_stream, c.set_error_stream):
        stream(None)
    tick = time.perf_counter()
    try:
        c.read(path)
    except CplexError as exc:
        raise SolverRunError(f"CPLEX cannot read {path}: {exc}") from None
    rec["transfer_s"] = time.perf_counter() - tick
    p = c.parameters
    p.mip.tolerances.mipgap.set(float(spec["mip_gap"]))
    p.threads.set(int(spec["threads"]))
    p.randomseed.set(int(spec["seed"]))
    applied: dict = {"mip.tolerances.mipgap": spec["mip_gap"], "threads": spec["threads"], "randomseed": spec["seed"]}
    if _limit(spec) is not None:
        p.timelimit.set(_limit(spec))
        applied["timelimit"] = _limit(spec)
    for k, v in spec["options"].items():  # dotted names: mip.strategy.search=1
        target = p
        for part in k.split("."):
            target = getattr(target, part)
        target.set(v)
        applied[k] = v
    rec["solver_options"] = applied
    ints = c.variables.get_num_integer() + c.variables.get_num_binary()
    rec.update(variables=c.variables.get_num(), constraints=c.linear_constraints.get_num(), integers=ints,
               objective_sense="max" if c.objective.get_sense() == c.objective.sense.maximize else "min")
    tick = time.perf_counter()
    try:
        c.solve()
    except CplexSolverError as exc:
        code = exc.args[2] if len(exc.args) > 2 else None
        if code == 1016 or "size limits" in str(exc):  # CPXERR_RESTRICTED_VERSION: Community Edition
            rec["status"], rec["message"] = "edition_limit", f"CPLEX: {str(exc).strip()}"
            return None
        raise
    rec["solve_s"] = time.perf_counter() - tick
    st = c.solution.get_status()
    rec["status"] = {1: "optimal", 101: "optimal", 102: "optimal", 2: "unbounded", 118: "unbounded", 3: "infeasible",
                     103: "infeasible", 4: "infeasible", 119: "infeasible", 11: "time_limit", 107: "time_limit",
                     108: "time_limit"}.get(st, "error")
    if rec["status"] == "error":
        rec["message"] = f"CPLEX status {st}: {c.solution.get_status_string()}"
    rec["has_solution"] = c.solution.is_primal_feasible()
    if rec["has_solution"]:
        rec["objective"] = float(c.solution.get_objective_value())
    if ints:
        rec["bound"] = _finite(c.solution.MIP.get_best_objective())
        rec["nodes"] = int(c.solution.progress.get_num_nodes_processed())
    else:
        rec["bound"] = rec.get("objective")
    rec["simplex_iterations"] = int(c.solution.progress.get_num_iterations())
    if rec["has_solution"] and values:
        return dict(zip(c.variables.get_names(), c.solution.get_values()))
    return None


def _xpress(spec: dict, path: str, rec: dict, values: bool):
    xp = optional_module("xpress")
    p = xp.problem()
    p.setControl("outputlog", 0)
    tick = time.perf_counter()
    try:
        p.read(path)
    except Exception as exc:  # noqa: BLE001 - xpress.ModelError / SolverError / InterfaceError
        if "licen" in str(exc).lower() and ("size" in str(exc).lower() or "limit" in str(exc).lower()):
            rec["status"], rec["message"] = "edition_limit", f"Xpress: {exc}"
            return None
        raise SolverRunError(f"Xpress cannot read {path}: {exc}") from None
    rec["transfer_s"] = time.perf_counter() - tick
    controls = {"miprelstop": spec["mip_gap"], "threads": spec["threads"], "randomseed": spec["seed"],
                **spec["options"]}
    if _limit(spec) is not None:
        controls["timelimit"] = _limit(spec)
    for k, v in controls.items():
        p.setControl(k, v)
    rec["solver_options"] = controls
    a = p.attributes
    rec.update(variables=a.cols, constraints=a.rows, integers=a.mipents,
               objective_sense="max" if a.objsense < 0 else "min")
    tick = time.perf_counter()
    try:
        p.optimize()
    except Exception as exc:  # noqa: BLE001
        text = str(exc).lower()
        if "licen" in text or "size" in text and "limit" in text:
            rec["status"], rec["message"] = "edition_limit", f"Xpress: {exc}"
            return None
        raise
    rec["solve_s"] = time.perf_counter() - tick
    solve, sol = a.solvestatus, a.solstatus
    if int(solve) == int(xp.SolveStatus.FAILED) or int(solve) == int(xp.SolveStatus.UNSTARTED):
        text = str(getattr(xp, "getlasterror", lambda *_: "")(p) or "")
        if "licen" in text.lower() or "size" in text.lower():
            rec["status"], rec["message"] = "edition_limit", f"Xpress: {text.strip()}"
            return None
    rec["status"] = {int(xp.SolStatus.OPTIMAL): "optimal", int(xp.SolStatus.INFEASIBLE): "infeasible",
                     int(xp.SolStatus.UNBOUNDED): "unbounded"}.get(int(sol), "time_limit"
                                                                   if int(solve) == int(xp.SolveStatus.STOPPED) else "error")
    if rec["status"] == "error":
        rec["message"] = f"Xpress solve status {solve}, solution status {sol}"
    rec["has_solution"] = int(sol) in (int(xp.SolStatus.OPTIMAL), int(xp.SolStatus.FEASIBLE))
    if rec["has_solution"]:
        rec["objective"] = float(a.objval if a.mipents == 0 else a.mipobjval)
    rec["bound"] = _finite(a.bestbound) if a.mipents else rec.get("objective")
    rec["nodes"] = int(a.nodes) if a.mipents else None
    rec["simplex_iterations"] = int(a.simplexiter)
    if rec["has_solution"] and values:
        cols = p.getVariable()
        return dict(zip([v.name for v in cols], p.getSolution()))
    return None


RUNNERS = {"highs": _highs, "scip": _scip, "cbc": _cbc, "glpk": _glpk, "gurobi": _gurobi, "cplex": _cplex,
           "xpress": _xpress}
MPS_SOLVERS = (*RUNNERS, *_ORTOOLS)


def run_mps(solver: str, spec: dict, path: str, rec: dict, values: bool = False) -> dict[str, float] | None:
    """Run ``solver`` on the MPS file ``path`` (module docstring); the solution by column name if ``values``."""
    if solver in _ORTOOLS:
        return _ortools(spec, path, rec, values, _ORTOOLS[solver])
    if solver.startswith("py:"):  # a solver given as a Python function module:function (tests, plug-ins)
        module, _, func = solver[3:].rpartition(":")
        return getattr(importlib.import_module(module), func)(spec, path, rec, values)
    runner = RUNNERS.get(solver)
    if runner is None:
        raise SolverRunError(f"{solver} does not run MPS files; choose one of: {', '.join(MPS_SOLVERS)}")
    return runner(spec, path, rec, values)
