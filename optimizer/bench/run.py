"""``reeplan bench``: run instances x solver configurations x repeats, each in its own process.

A run is a child process (``python -m reeplan.bench.run --child SPEC RESULT``) so that a crash, a hang
or a memory blow-up of one run is recorded and the benchmark goes on. The parent waits with
``os.wait4`` (peak memory = the child's ``ru_maxrss``) and kills the child at the wall limit.

Inputs: reeplan instances (a .yaml file or a CSV folder) and MPS files. For a reeplan instance the
child times the phases itself, calling the same functions as ``reeplan.solve()`` (stage 1 only: the
MILP every solver is given):

- build: ``model_data`` + ``reeplan.models.investment.build_model``;
- transfer: the hand-off to the solver. HiGHS (Pyomo's persistent in-memory interface): the time
  inside ``opt.solve`` minus HiGHS's own run time (``results.timing_info.highs_time``). Other
  solvers: writing the MPS file plus the solver reading it (SCIP), or Pyomo's whole call minus the
  solver's reported time (cbc, glpk);
- solve: the solver's own run time;
- extraction: loading the solution into the Pyomo model and ``reeplan.solving.extract.extract_tables``.

For an MPS file, transfer is the solver reading the file and extraction reading the solution
vector. Runs, a per-configuration summary (solved, time-outs, shifted geometric mean), a
Dolan-More performance profile and a list of disagreeing optima are written to the output folder.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from reeplan.errors import ReeplanError, UsageError
from reeplan.options import SolveOptions, check_objective
from reeplan.version import __version__

if TYPE_CHECKING:  # pandas is imported where used: a child run on an MPS file does not need it
    import pandas as pd

# Known optimal objectives (minimisation) of the MIPLIB 3 instances in benchmarks/miplib/.
KNOWN_OPTIMA = {"egout": 568.1007, "flugpl": 1201500.0, "rgn": 82.19999924}
OPTIMA_FILE = "optima.csv"  # file,objective next to .mps files adds or overrides known optima

# Named HiGHS option sets: (options, uses every core).
HIGHS_PRESETS: dict[str, tuple[dict, bool]] = {
    "highs": ({}, False),
    "highs-presolve-off": ({"presolve": "off"}, False),
    "highs-parallel": ({"parallel": "on"}, True),
}
PYOMO_SOLVERS = ("cbc", "glpk")  # legacy Pyomo plugins, found on the PATH or not
SOLVED = ("optimal", "infeasible", "unbounded")  # a proven answer
TIMEOUTS = ("time_limit", "killed")
FAILURES = ("error", "crashed")
SHIFT_SECONDS = 10.0
METRICS = {"total": "total_s", "solve": "solve_s", "wall": "wall_s"}
PIPELINES = ("stage1", "solve")

RUN_COLUMNS = [
    "run_id", "instance", "kind", "path", "config", "solver", "solver_version", "options", "threads", "seed",
    "time_limit", "mip_gap", "objective_sense", "repeat", "status", "has_solution", "objective", "bound", "gap",
    "known_optimum", "optimum_rel_error", "pipeline", "load_s", "build_s", "transfer_s", "solve_s", "marginals_s",
    "extract_s", "total_s",
    "wall_s", "nodes", "simplex_iterations", "variables", "constraints", "integers", "peak_rss_mb", "exit_code",
    "message", "load_avg_1m", "machine", "cores", "python", "reeplan_version", "started_at",
]


class BenchError(ReeplanError):
    """A run could not be set up (unreadable model, bad solver option)."""


# --------------------------------------------------------------------------------------------
# Configurations and inputs


@dataclass(frozen=True)
class SolverConfig:
    """One solver with its options; ``label`` names it in every table."""

    label: str
    solver: str  # highs | scip | cbc | glpk | any other Pyomo solver name
    options: dict = field(default_factory=dict)
    threads: int = 1


def parse_option(text: str) -> tuple[str, str, object]:
    """``solver:key=value`` -> (solver or configuration label, key, typed value)."""
    target, sep, rest = text.partition(":")
    key, eq, raw = rest.partition("=")
    if not sep or not eq or not target.strip() or not key.strip():
        raise UsageError(f"bad --option {text!r}: write solver:key=value, e.g. highs:presolve=off")
    return target.strip(), key.strip(), _typed(raw.strip())


def _typed(raw: str) -> object:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def solver_available(solver: str) -> tuple[bool, str]:
    """Whether a solver can run here, and a note saying why not."""
    if solver == "highs":
        return _has_module("highspy"), "highspy is not installed (pip install highspy)"
    if solver == "scip":
        return _has_module("pyscipopt"), "pyscipopt is not installed (pip install pyscipopt)"
    try:
        import pyomo.environ as pyo

        opt = pyo.SolverFactory(solver)
        ok = bool(opt is not None and opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001 - any failure to find a plugin means "not available"
        ok = False
    return ok, f"Pyomo cannot find solver {solver!r} (no executable on the PATH)"


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def solver_configs(names: Sequence[str], threads: int | None = None,
                   options: Iterable[str] = ()) -> tuple[list[SolverConfig], list[str]]:
    """Configurations for the given names, and notes for those skipped (solver absent).

    Names: the HiGHS presets (``highs``, ``highs-presolve-off``, ``highs-parallel``), ``scip``,
    ``cbc``, ``glpk`` or ``pyomo:NAME`` for any other solver Pyomo knows. Threads default to 1
    (reproducible) except for ``highs-parallel``, which takes every core unless ``threads`` is given.
    ``options`` are ``solver:key=value`` strings, applied to every configuration whose label or
    solver matches."""
    extra = [parse_option(o) for o in options]
    known = {*HIGHS_PRESETS, "scip", *PYOMO_SOLVERS}
    configs, notes, seen = [], [], set()
    for name in names or ["highs"]:
        if name in seen:
            continue
        seen.add(name)
        if name in HIGHS_PRESETS:
            opts, all_cores = HIGHS_PRESETS[name]
            solver, opts = "highs", dict(opts)
            n = threads or (max(2, os.cpu_count() or 1) if all_cores else 1)
        elif name in ("scip", *PYOMO_SOLVERS):
            solver, opts, n = name, {}, threads or 1
        elif name.startswith("pyomo:") and len(name) > 6:
            solver, opts, n = name[6:], {}, threads or 1
        else:
            raise UsageError(f"unknown solver {name!r}; choose from {', '.join(sorted(known))} or pyomo:NAME")
        ok, why = solver_available(solver)
        if not ok:
            notes.append(f"skipped {name}: {why}")
            continue
        for target, key, value in extra:
            if target in (name, solver):
                opts[key] = value
        configs.append(SolverConfig(name, solver, opts, n))
    unmatched = {t for t, _, _ in extra} - {c.label for c in configs} - {c.solver for c in configs}
    for target in sorted(unmatched):
        notes.append(f"--option for {target!r} matches no configuration run")
    return configs, notes


@dataclass(frozen=True)
class BenchInstance:
    name: str
    path: Path
    kind: str  # "reeplan" or "mps"
    known_optimum: float | None = None


def _is_mps(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".mps") or name.endswith(".mps.gz")


def _mps_stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".mps", ".MPS"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _read_optima(folder: Path) -> dict[str, float]:
    import pandas as pd

    table = folder / OPTIMA_FILE
    if not table.exists():
        return {}
    try:
        df = pd.read_csv(table)
        return {_mps_stem(Path(str(f))): float(v) for f, v in zip(df["file"], df["objective"])}
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot read {table}: {exc}; expected columns file,objective") from None


def collect_instances(paths: Sequence[str | Path]) -> list[BenchInstance]:
    """Expand files and folders: .mps(.gz) files, .yaml/.yml/.json instances, CSV-instance folders.

    A folder holding ``scalars.yaml`` is one instance; any other folder contributes its .mps and
    .yaml files and its CSV-instance sub-folders."""
    found: list[BenchInstance] = []

    def add(path: Path) -> None:
        if _is_mps(path):
            stem = _mps_stem(path)
            optima = {**KNOWN_OPTIMA, **_read_optima(path.parent)}
            found.append(BenchInstance(stem, path, "mps", optima.get(stem)))
        elif path.is_dir() and (path / "scalars.yaml").exists():
            found.append(BenchInstance(path.name, path, "reeplan"))
        elif path.suffix.lower() in (".yaml", ".yml", ".json") and path.name != "scalars.yaml":
            found.append(BenchInstance(path.stem, path, "reeplan"))

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        if path.is_dir() and not (path / "scalars.yaml").exists():
            before = len(found)
            for child in sorted(path.iterdir()):
                if child.is_file() or (child / "scalars.yaml").exists():
                    add(child)
            if len(found) == before:
                raise UsageError(f"{path} holds no .mps file, .yaml instance or CSV-instance folder")
        else:
            before = len(found)
            add(path)
            if len(found) == before:
                raise UsageError(f"cannot benchmark {path}: give a .mps file, a .yaml instance or a CSV folder")
    names: dict[str, int] = {}
    unique = []
    for inst in found:  # two inputs with one name: keep both, tell them apart
        n = names.get(inst.name, 0)
        names[inst.name] = n + 1
        unique.append(inst if n == 0 else BenchInstance(f"{inst.name}~{n + 1}", inst.path, inst.kind,
                                                        inst.known_optimum))
    return unique


# --------------------------------------------------------------------------------------------
# Machine and versions


def machine_info() -> dict:
    """CPU, cores, memory, platform and versions, for every table's header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gb = float("nan")

    versions = {}
    for pkg in ("highspy", "pyomo", "pyscipopt", "numpy", "pandas"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "platform": platform.platform(),
            "python": platform.python_version(), "reeplan": __version__, "versions": versions}


# --------------------------------------------------------------------------------------------
# The child: one run, phases timed in process


def _status_from_highs(model_status) -> str:
    import highspy

    s = highspy.HighsModelStatus
    return {s.kOptimal: "optimal", s.kTimeLimit: "time_limit", s.kIterationLimit: "time_limit",
            s.kSolutionLimit: "time_limit", s.kInterrupt: "time_limit", s.kInfeasible: "infeasible",
            s.kUnboundedOrInfeasible: "infeasible", s.kUnbounded: "unbounded"}.get(model_status, "error")


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(objective - bound) / max(1e-10, abs(objective))


def _run_mps_highs(spec: dict, rec: dict) -> None:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    tick = time.perf_counter()
    status = h.readModel(spec["path"])
    rec["transfer_s"] = time.perf_counter() - tick
    if status == highspy.HighsStatus.kError or h.getNumCol() == 0:
        raise BenchError(f"HiGHS cannot read {spec['path']} as an MPS model")
    options = {"time_limit": spec["time_limit"], "mip_rel_gap": spec["mip_gap"], "threads": spec["threads"],
               "random_seed": spec["seed"], **spec["options"]}
    for key, value in options.items():
        if value is not None and h.setOptionValue(key, value) == highspy.HighsStatus.kError:
            raise BenchError(f"HiGHS rejects option {key}={value!r}")
    lp = h.getLp()
    integrality = list(lp.integrality_) if len(lp.integrality_) else []
    rec.update(variables=h.getNumCol(), constraints=h.getNumRow(),
               integers=sum(1 for t in integrality if t != highspy.HighsVarType.kContinuous),
               objective_sense="max" if h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize else "min")
    tick = time.perf_counter()
    h.run()
    rec["solve_s"] = time.perf_counter() - tick
    rec["status"] = _status_from_highs(h.getModelStatus())
    tick = time.perf_counter()
    info = h.getInfo()
    rec["has_solution"] = info.primal_solution_status == 2
    if rec["has_solution"]:
        h.getSolution()
        rec["objective"] = float(info.objective_function_value)
    rec["bound"] = float(info.mip_dual_bound) if rec["integers"] else rec["objective"]
    rec["nodes"] = int(info.mip_node_count) if info.mip_node_count >= 0 else None
    rec["simplex_iterations"] = int(info.simplex_iteration_count)
    rec["extract_s"] = time.perf_counter() - tick


_SCIP_STATUS = {"optimal": "optimal", "timelimit": "time_limit", "gaplimit": "optimal", "infeasible": "infeasible",
                "unbounded": "unbounded", "inforunbd": "infeasible", "nodelimit": "time_limit",
                "userinterrupt": "time_limit"}


def _scip_model(spec: dict, path: str, rec: dict):
    import pyscipopt

    s = pyscipopt.Model()
    s.hideOutput()
    tick = time.perf_counter()
    try:
        s.readProblem(path)
    except Exception as exc:  # noqa: BLE001 - pyscipopt raises plain Exceptions for unreadable files
        raise BenchError(f"SCIP cannot read {path}: {exc}") from None
    rec["transfer_s"] = rec.get("transfer_s", 0.0) + time.perf_counter() - tick
    params = {"limits/gap": spec["mip_gap"], "randomization/randomseedshift": spec["seed"], **spec["options"]}
    if spec["time_limit"] is not None:
        params["limits/time"] = spec["time_limit"]
    for key, value in params.items():
        try:
            s.setParam(key, value)
        except Exception as exc:  # noqa: BLE001
            raise BenchError(f"SCIP rejects parameter {key}={value!r}: {exc}") from None
    svars = s.getVars()
    rec.update(variables=len(svars), constraints=s.getNConss(),
               integers=sum(1 for v in svars if v.vtype() in ("BINARY", "INTEGER", "IMPLINT")),
               objective_sense="max" if s.getObjectiveSense() == "maximize" else "min")
    return s


def _scip_solve(s, rec: dict) -> None:
    tick = time.perf_counter()
    s.optimize()
    rec["solve_s"] = time.perf_counter() - tick
    rec["status"] = _SCIP_STATUS.get(s.getStatus(), "error")
    if rec["status"] == "error":
        rec["message"] = f"SCIP status {s.getStatus()}"
    rec["has_solution"] = s.getNSols() > 0
    if rec["has_solution"]:
        rec["objective"] = float(s.getObjVal())
    bound = s.getDualbound()
    rec["bound"] = float(bound) if math.isfinite(bound) else None
    rec["nodes"] = int(s.getNNodes())
    rec["simplex_iterations"] = int(s.getNLPIterations())


def _run_mps_scip(spec: dict, rec: dict) -> None:
    s = _scip_model(spec, spec["path"], rec)
    _scip_solve(s, rec)
    tick = time.perf_counter()
    if rec["has_solution"]:
        best = s.getBestSol()
        [s.getSolVal(best, v) for v in s.getVars()]
    rec["extract_s"] = time.perf_counter() - tick


def _model_size(m) -> dict:
    import pyomo.environ as pyo

    n = ni = 0
    for v in m.component_data_objects(pyo.Var, active=True):
        n += 1
        ni += v.is_integer() or v.is_binary()
    nc = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    return {"variables": n, "constraints": nc, "integers": ni}


def _run_reeplan(spec: dict, rec: dict) -> None:
    import pyomo.environ as pyo
    from reeplan.instance.io import load_instance
    from reeplan.models.data import model_data
    from reeplan.models.investment import build_model
    from reeplan.solving.extract import extract_tables

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
    elif solver == "scip":
        loaded = _reeplan_scip(spec, m, rec)
    else:
        loaded = _reeplan_pyomo(spec, m, rec)
    tick = time.perf_counter()
    if rec.get("has_solution"):
        loaded()
        extract_tables(m, data)
        rec["objective"] = float(pyo.value(m.Primary))
    rec["extract_s"] = time.perf_counter() - tick


def _reeplan_highs(spec: dict, m, rec: dict) -> Callable[[], None]:
    from reeplan.solving import highs

    opt = highs.new_solver()
    tick = time.perf_counter()
    run = highs.run(opt, m, time_limit=spec["time_limit"], mip_gap=spec["mip_gap"], threads=spec["threads"],
                    options={"random_seed": spec["seed"], **spec["options"]})
    call = time.perf_counter() - tick
    highs_time = float(getattr(run.results.timing_info, "highs_time", None) or opt._solver_model.getRunTime())
    rec.update(transfer_s=call - highs_time, solve_s=highs_time, status=run.status.value, has_solution=run.has_plan,
               objective=run.incumbent, bound=run.bound, nodes=run.nodes,
               simplex_iterations=int(opt._solver_model.getInfo().simplex_iteration_count))
    return run.results.solution_loader.load_vars


def _reeplan_scip(spec: dict, m, rec: dict) -> Callable[[], None]:
    from reeplan.models.components.objective import stage1_only

    stage1_only(m)
    with tempfile.TemporaryDirectory(prefix="reeplan-bench-") as tmp:
        path = Path(tmp) / "model.mps"
        tick = time.perf_counter()
        _, smap_id = m.write(str(path), io_options={"symbolic_solver_labels": True})
        rec["transfer_s"] = time.perf_counter() - tick
        s = _scip_model(spec, str(path), rec)
    _scip_solve(s, rec)
    by_symbol = m.solutions.symbol_map[smap_id].bySymbol

    def load() -> None:
        best = s.getBestSol()
        for v in s.getVars():
            var = by_symbol.get(v.name)
            var = var() if isinstance(var, weakref.ref) else var
            if var is not None:
                var.set_value(s.getSolVal(best, v), skip_validation=True)

    return load


def _reeplan_pyomo(spec: dict, m, rec: dict) -> Callable[[], None]:
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition as TC
    from reeplan.models.components.objective import stage1_only

    stage1_only(m)
    opt = pyo.SolverFactory(spec["solver"])
    options = dict(spec["options"])
    if spec["solver"] == "cbc":
        options.setdefault("ratioGap", spec["mip_gap"])
        options.setdefault("threads", spec["threads"])
        if spec["time_limit"] is not None:
            options.setdefault("sec", spec["time_limit"])
    elif spec["solver"] == "glpk":
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
    fault = spec.get("fault")  # test hook: make the child fail in a given way
    if fault == "raise":
        raise RuntimeError("fault injected by the test harness")
    if fault == "exit":
        os._exit(3)
    if fault == "hang":
        time.sleep(3600)
    rec: dict = {"status": "error", "has_solution": False}
    if spec["kind"] == "mps":
        if spec["solver"] == "highs":
            _run_mps_highs(spec, rec)
        elif spec["solver"] == "scip":
            _run_mps_scip(spec, rec)
        else:
            raise BenchError(f"MPS input runs on HiGHS and SCIP only, not {spec['solver']}")
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
    from reeplan.instance.io import load_instance
    from reeplan.solving.pipeline import solve

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
    tmp.write_text(json.dumps(rec, default=_json_default))
    tmp.replace(out_file)
    return code


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return str(x)


# --------------------------------------------------------------------------------------------
# The parent: one process per run


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_isolated(spec: dict, wall_limit: float, log_path: Path | None = None) -> dict:
    """Run one spec in a fresh Python process; always return a record (status crashed/killed on failure).

    ``wall_s``: the child's whole life (Python start-up included); ``peak_rss_mb``: its ru_maxrss."""
    with tempfile.TemporaryDirectory(prefix="reeplan-run-") as tmp:
        spec_file, out_file = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_file.write_text(json.dumps(spec, default=_json_default))
        log_path = log_path or Path(tmp) / "child.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": str(spec.get("threads") or 1)}
        with log_path.open("wb") as log:
            tick = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "reeplan.bench.run", "--child", str(spec_file),
                                     str(out_file)], stdout=log, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
            killed, status, usage = False, 0, None
            deadline = tick + wall_limit
            try:
                while True:
                    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                    if pid:
                        break
                    if time.perf_counter() > deadline:
                        killed = True
                        _kill_group(proc.pid)
                        _, status, usage = os.wait4(proc.pid, 0)
                        break
                    time.sleep(0.02)
            except BaseException:  # Ctrl-C in the parent: the child has its own session, stop it too
                _kill_group(proc.pid)
                proc.wait()
                raise
            wall = time.perf_counter() - tick
            proc.returncode = os.waitstatus_to_exitcode(status)
        if out_file.exists() and not killed:
            rec = json.loads(out_file.read_text())
        else:
            rec = {"status": "killed" if killed else "crashed", "has_solution": False}
            if killed:
                rec["message"] = f"killed at the wall limit of {wall_limit:g} s"
            else:
                rec["message"] = f"child died with exit code {proc.returncode}: {_tail(log_path)}".rstrip(": ")
        rec.pop("peak_rss_mb_self", None)
        rec["wall_s"] = wall
        rec["exit_code"] = proc.returncode
        rec["peak_rss_mb"] = usage.ru_maxrss / 1024 if usage is not None else None
        if rec.get("status") == "error" and not rec.get("message"):
            rec["message"] = _tail(log_path)
    return rec


# --------------------------------------------------------------------------------------------
# Analysis: summary, performance profile, disagreements


def shifted_geometric_mean(values: Iterable[float], shift: float = SHIFT_SECONDS) -> float:
    """exp(mean(log(t + shift))) - shift; NaN for no values."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return float("nan")
    return float(np.exp(np.mean(np.log(arr + shift))) - shift)


def run_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Per run: ``solved`` (a proven answer) and ``time``: the metric if solved, else the time limit.

    A run without a time limit that did not finish counts at the slowest time measured."""
    import pandas as pd

    df = runs.copy()
    df["solved"] = df["status"].isin(SOLVED)
    measured = pd.to_numeric(df[metric], errors="coerce")
    limit = pd.to_numeric(df["time_limit"], errors="coerce") if "time_limit" in df else pd.Series(np.nan, df.index)
    slowest = float(measured.max()) if measured.notna().any() else 0.0
    limit = limit.fillna(slowest)
    df["time"] = np.where(df["solved"] & measured.notna(), measured, limit)
    return df


def instance_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Per instance x configuration over repeats: median time, solved if at least half the repeats were."""

    df = run_times(runs, metric)
    return (df.groupby(["instance", "config"], sort=False)
              .agg(time=("time", "median"), solved=("solved", lambda s: s.mean() >= 0.5), runs=("time", "size"))
              .reset_index())


def summarize(runs: pd.DataFrame, metric: str = "total_s", shift: float = SHIFT_SECONDS) -> pd.DataFrame:
    """Per configuration: instances, runs, solved instances, time-outs, failures, shifted geometric mean."""
    import pandas as pd

    if runs.empty:
        return pd.DataFrame(columns=["config", "solver", "instances", "runs", "solved", "timeouts", "failures",
                                     "sgm_s", "mean_nodes", "mean_peak_rss_mb"])
    per = instance_times(runs, metric)
    rows = []
    for config, group in runs.groupby("config", sort=False):
        p = per[per["config"] == config]
        rows.append(dict(
            config=config, solver=group["solver"].iloc[0], instances=int(p["instance"].nunique()),
            runs=len(group), solved=int(p["solved"].sum()), timeouts=int(group["status"].isin(TIMEOUTS).sum()),
            failures=int(group["status"].isin(FAILURES).sum()), sgm_s=shifted_geometric_mean(p["time"], shift),
            mean_nodes=float(pd.to_numeric(group["nodes"], errors="coerce").mean()),
            mean_peak_rss_mb=float(pd.to_numeric(group["peak_rss_mb"], errors="coerce").mean()),
        ))
    return pd.DataFrame(rows)


def performance_ratios(times: pd.DataFrame) -> pd.DataFrame:
    """Dolan-More ratios r[p, s] = t[p, s] / min_s t[p, s] (rows instances, columns configurations).

    A NaN or inf time (not solved) gives an infinite ratio; so does every configuration on an
    instance that none solved. Times are floored at 1 microsecond so that a zero time divides."""

    t = times.astype(float).fillna(np.inf).clip(lower=1e-6)
    best = t.min(axis=1)
    return t.div(best, axis=0).fillna(np.inf)  # inf / inf (nobody solved it) -> inf


def performance_profile(ratios: pd.DataFrame, taus: Sequence[float]) -> pd.DataFrame:
    """rho_s(tau) = share of instances whose ratio is at most tau; rows tau, columns configurations."""
    import pandas as pd

    n = len(ratios)
    data = {c: [float((ratios[c] <= tau).sum()) / n if n else float("nan") for tau in taus] for c in ratios.columns}
    return pd.DataFrame(data, index=pd.Index(list(taus), name="tau"))


def profile_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Instance x configuration table of solved times (inf where unsolved), for the profile."""

    per = instance_times(runs, metric)
    per["t"] = np.where(per["solved"], per["time"], np.inf)
    return per.pivot(index="instance", columns="config", values="t")


def profile_taus(ratios: pd.DataFrame, points: int = 200) -> list[float]:
    finite = ratios.to_numpy()[np.isfinite(ratios.to_numpy())]
    top = max(2.0, float(finite.max()) * 1.05) if finite.size else 2.0
    grid = np.unique(np.concatenate([np.geomspace(1.0, top, points), finite if finite.size else []]))
    return [float(x) for x in grid]


def disagreements(runs: pd.DataFrame, rel_tol: float) -> pd.DataFrame:
    """Instances whose optimal runs disagree (spread above ``rel_tol`` relative), or miss the known optimum."""
    import pandas as pd

    cols = ["instance", "what", "configs", "min_objective", "max_objective", "rel_spread", "tolerance"]
    rows = []
    ok = runs[runs["status"].eq("optimal") & pd.to_numeric(runs["objective"], errors="coerce").notna()]
    for inst, group in ok.groupby("instance", sort=False):
        obj = pd.to_numeric(group["objective"])
        by_config = obj.groupby(group["config"]).median()
        lo, hi = float(by_config.min()), float(by_config.max())
        spread = (hi - lo) / max(1.0, abs(hi), abs(lo))
        if len(by_config) > 1 and spread > rel_tol:
            rows.append(dict(instance=inst, what="configurations disagree", configs=", ".join(
                f"{c}={v:.10g}" for c, v in by_config.items()), min_objective=lo, max_objective=hi,
                rel_spread=spread, tolerance=rel_tol))
        known = pd.to_numeric(group.get("known_optimum"), errors="coerce").dropna()
        if len(known):
            k = float(known.iloc[0])
            wrong = {c: v for c, v in by_config.items() if abs(v - k) / max(1.0, abs(k)) > rel_tol}
            if wrong:
                vals = [*wrong.values(), k]
                rows.append(dict(instance=inst, what="differs from the known optimum", configs=", ".join(
                    f"{c}={v:.10g}" for c, v in wrong.items()) + f" (known {k:.10g})", min_objective=min(vals),
                    max_objective=max(vals), rel_spread=max(abs(v - k) / max(1.0, abs(k)) for v in wrong.values()),
                    tolerance=rel_tol))
    return pd.DataFrame(rows, columns=cols)


def plot_profile(profile: pd.DataFrame, path_stem: Path, title: str) -> list[Path]:
    """Write the performance profile as PNG and SVG (matplotlib); returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for config in profile.columns:
        ax.step(profile.index, profile[config], where="post", label=config)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1, max(2.0, float(profile.index.max())))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau: time / best time on the instance (log2)")
    ax.set_ylabel("share of instances within tau")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return save_png_svg(fig, path_stem, dpi=120)


def save_png_svg(fig, path_stem: Path, dpi: int = 120) -> list[Path]:
    """Write a matplotlib figure as PNG and SVG next to each other, close it, return both paths."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        path = path_stem.with_suffix(f".{ext}")
        fig.savefig(path, dpi=dpi)
        out.append(path)
    plt.close(fig)
    return out


# --------------------------------------------------------------------------------------------
# The whole benchmark


@dataclass
class BenchReport:
    out: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    disagreements: pd.DataFrame
    notes: list[str]
    files: list[Path]
    machine: dict


def _ordered(df: pd.DataFrame) -> pd.DataFrame:

    for col in RUN_COLUMNS:
        if col not in df.columns:
            df[col] = None
    return df[RUN_COLUMNS]


def _finish_record(rec: dict, spec: dict, inst: BenchInstance) -> dict:
    obj, bound = rec.get("objective"), rec.get("bound")
    obj = float(obj) if isinstance(obj, (int, float)) and math.isfinite(obj) else None
    rec["objective"] = obj if rec.get("has_solution") else None
    rec["gap"] = _gap(rec["objective"], bound)
    if inst.known_optimum is not None:
        rec["known_optimum"] = inst.known_optimum
        if rec["objective"] is not None:
            rec["optimum_rel_error"] = abs(rec["objective"] - inst.known_optimum) / max(1.0, abs(inst.known_optimum))
    phases = [rec.get(k) for k in ("build_s", "transfer_s", "solve_s", "marginals_s", "extract_s")]
    if rec.get("total_s") is None and rec.get("status") not in ("crashed", "killed") and any(
            p is not None for p in phases):
        rec["total_s"] = sum(p for p in phases if p is not None)
    return rec


def solver_version(config: SolverConfig) -> str:
    try:
        if config.solver == "highs":
            return f"HiGHS {metadata.version('highspy')}"
        if config.solver == "scip":
            import pyscipopt

            return f"SCIP {pyscipopt.Model().version()} (PySCIPOpt {metadata.version('pyscipopt')})"
        import pyomo.environ as pyo

        v = pyo.SolverFactory(config.solver).version()
        return f"{config.solver} {'.'.join(map(str, v)) if v else '?'}"
    except Exception:  # noqa: BLE001
        return config.solver


def run_bench(paths: Sequence[str | Path], solvers: Sequence[str] = ("highs",), *, repeat: int = 1,
              time_limit: float = 60.0, threads: int | None = None, seed: int = 0, gap: float = 1e-4,
              options: Iterable[str] = (), out: str | Path = "bench-out", objective: str = "max-hpo",
              wall_limit: float | None = None, metric: str = "total", pipeline: str = "stage1",
              plots: bool = True, progress: Callable[[dict], None] | None = None) -> BenchReport:
    """Run every instance x configuration x repeat in its own process; write and return the results.

    ``metric``: the time the summary and profile use: ``total`` (build + transfer + solve +
    extraction), ``solve`` (solver only) or ``wall`` (the whole child process).
    ``wall_limit``: seconds after which a child is killed (default 2 x time limit + 60).
    ``pipeline`` (reeplan instances): ``stage1`` times build / transfer / solve / extraction of the
    stage-1 MILP on any solver; ``solve`` runs the whole ``reeplan solve`` (tie-break and marginals
    included, HiGHS only)."""
    import pandas as pd

    if repeat < 1:
        raise UsageError(f"repeat must be >= 1, got {repeat}")
    if time_limit is None or time_limit <= 0:
        raise UsageError(f"time limit must be positive, got {time_limit}")
    if threads is not None and threads < 1:
        raise UsageError(f"threads must be >= 1, got {threads}")
    if not 0 <= gap < 1:
        raise UsageError(f"relative gap must be in [0, 1), got {gap}")
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
    if pipeline not in PIPELINES:
        raise UsageError(f"unknown pipeline {pipeline!r}; choose one of: {', '.join(PIPELINES)}")
    check_objective(objective)
    instances = collect_instances(paths)
    configs, notes = solver_configs(solvers, threads, options)
    if not configs:
        raise UsageError("no solver configuration can run here: " + "; ".join(notes))
    if pipeline == "solve" and any(i.kind == "reeplan" for i in instances):
        others = [c.label for c in configs if c.solver != "highs"]
        if others:
            notes.append(f"the whole reeplan solve runs on HiGHS only: {', '.join(others)} skipped on reeplan instances")
    mps_only = [c for c in configs if c.solver not in ("highs", "scip")]
    if mps_only and any(i.kind == "mps" for i in instances):
        notes.append(f"MPS files run on HiGHS and SCIP only: {', '.join(c.label for c in mps_only)} "
                     "skipped on them")
    out = Path(out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    versions = {c.label: solver_version(c) for c in configs}
    wall_limit = wall_limit or 2 * time_limit + 60
    records = []
    n = 0
    for r in range(repeat):  # repeats outermost: slow drift of the machine hits every configuration alike
        for inst in instances:
            for config in configs:
                if inst.kind == "mps" and config.solver not in ("highs", "scip"):
                    continue
                if inst.kind == "reeplan" and pipeline == "solve" and config.solver != "highs":
                    continue
                n += 1
                run_id = f"{n:04d}"
                spec = dict(kind=inst.kind, path=str(inst.path), solver=config.solver, options=config.options,
                            threads=config.threads, seed=seed, time_limit=time_limit, mip_gap=gap,
                            objective=objective, pipeline=pipeline if inst.kind == "reeplan" else None)
                started = datetime.now(UTC).isoformat(timespec="seconds")
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                log = out / "logs" / f"{run_id}-{_safe(inst.name)}-{_safe(config.label)}-r{r + 1}.log"
                rec = run_isolated(spec, wall_limit, log)
                rec.update(run_id=run_id, instance=inst.name, kind=inst.kind, path=str(inst.path),
                           config=config.label, solver=config.solver, solver_version=versions[config.label],
                           options=json.dumps(config.options, sort_keys=True), threads=config.threads, seed=seed,
                           time_limit=time_limit, mip_gap=gap, repeat=r + 1, load_avg_1m=load,
                           pipeline=spec["pipeline"],
                           machine=machine["cpu"], cores=machine["cores"], python=machine["python"],
                           reeplan_version=machine["reeplan"], started_at=started)
                rec = _finish_record(rec, spec, inst)
                records.append(rec)
                if progress:
                    progress(rec)
    runs = _ordered(pd.DataFrame(records))
    return write_bench_report(runs, out, machine=machine, notes=notes, gap=gap, metric=METRICS[metric], plots=plots,
                        settings=dict(solvers=[asdict(c) for c in configs], repeat=repeat, time_limit=time_limit,
                                      wall_limit=wall_limit, seed=seed, gap=gap, objective=objective,
                                      pipeline=pipeline,
                                      metric=metric, solver_versions=versions))


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:60]


def write_bench_report(runs: pd.DataFrame, out: Path, *, machine: dict, notes: list[str], gap: float,
                 metric: str = "total_s", plots: bool = True, settings: dict | None = None) -> BenchReport:
    """Write runs (CSV, Parquet), summary, profile (CSV, PNG, SVG), disagreements and meta.json."""

    out.mkdir(parents=True, exist_ok=True)
    files = []
    runs.to_csv(out / "runs.csv", index=False)
    files.append(out / "runs.csv")
    try:
        runs.assign(options=runs["options"].fillna("").astype(str), message=runs["message"].fillna("").astype(str)
                    ).to_parquet(out / "runs.parquet", index=False)
        files.append(out / "runs.parquet")
    except ImportError:
        notes.append("runs.parquet not written: install pyarrow")
    summary = summarize(runs, metric)
    summary.to_csv(out / "summary.csv", index=False)
    files.append(out / "summary.csv")
    tol = gap + 1e-6
    disagree = disagreements(runs, tol)
    disagree.to_csv(out / "disagreements.csv", index=False)
    files.append(out / "disagreements.csv")
    if not runs.empty:
        ratios = performance_ratios(profile_times(runs, metric))
        profile = performance_profile(ratios, profile_taus(ratios))
        profile.to_csv(out / "profile.csv")
        files.append(out / "profile.csv")
        if plots:
            title = (f"Performance profile ({metric}; {len(ratios)} instances; {machine['cpu']}, "
                     f"{machine['cores']} cores)")
            try:
                files += plot_profile(profile, out / "profile", title)
            except ImportError:
                notes.append("profile.png/svg not written: install matplotlib")
    meta = {"machine": machine, "settings": settings or {}, "notes": notes, "metric": metric,
            "disagreement_tolerance": tol, "written_at": datetime.now(UTC).isoformat(timespec="seconds")}
    (out / "meta.json").write_text(json.dumps(meta, indent=2, default=_json_default))
    files.append(out / "meta.json")
    return BenchReport(out, runs, summary, disagree, notes, files, machine)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.exit(_child_main(sys.argv[2:]))
    sys.stderr.write("usage: reeplan bench ... (this module's entry point is for child runs only)\n")
    sys.exit(2)
