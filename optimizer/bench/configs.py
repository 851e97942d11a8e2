"""Solver configurations of a benchmark: named option sets, ``solver:key=value`` options, availability, versions."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata

from reeplan.bench.solvers import optional_module
from reeplan.errors import UsageError

# Named HiGHS option sets: (options, uses every core).
HIGHS_PRESETS: dict[str, tuple[dict, bool]] = {
    "highs": ({}, False),
    "highs-presolve-off": ({"presolve": "off"}, False),
    "highs-parallel": ({"parallel": "on"}, True),
    "highs-heuristics-off": ({"mip_heuristic_effort": 0.0}, False),
    "highs-heuristics-high": ({"mip_heuristic_effort": 0.3}, False),
    "highs-symmetry-off": ({"mip_detect_symmetry": False}, False),
}
PYOMO_SOLVERS = ()  # cbc and glpk now run as their own programs on the safe MPS file (reeplan.bench.solvers)


@dataclass(frozen=True)
class SolverInfo:
    """A solver ``reeplan bench`` knows: how it is reached, how to install it, the limits of its free edition."""

    name: str
    what: str
    install: str
    edition: str = ""  # the free edition's limits, for size-limited commercial packages
    publish: str = ""  # what the free edition's licence says about publishing benchmark results


SOLVERS: dict[str, SolverInfo] = {
    "highs": SolverInfo("highs", "HiGHS through reeplan's adapter (instances) or highspy's reader (MPS)",
                        "pip install highspy (a reeplan dependency)"),
    "scip": SolverInfo("scip", "SCIP through PySCIPOpt's reader", "pip install pyscipopt (in reeplan's test extra)"),
    "cbc": SolverInfo("cbc", "the cbc program (COIN-OR CBC) on the safe MPS file",
                      "apt-get install coinor-cbc (Debian; or any cbc on the PATH)"),
    "glpk": SolverInfo("glpk", "the glpsol program (GLPK) on the safe MPS file",
                       "apt-get install glpk-utils (Debian; or any glpsol on the PATH)"),
    "ortools-cbc": SolverInfo("ortools-cbc", "OR-Tools' linear-solver wrapper, CBC backend",
                              "pip install ortools (in reeplan's test extra)"),
    "ortools-scip": SolverInfo("ortools-scip", "OR-Tools' linear-solver wrapper, SCIP backend",
                               "pip install ortools (in reeplan's test extra)"),
    "ortools-cpsat": SolverInfo("ortools-cpsat", "OR-Tools' CP-SAT through the linear-solver wrapper "
                                "(continuous variables scaled to integers)",
                                "pip install ortools (in reeplan's test extra)"),
    "gurobi": SolverInfo("gurobi", "Gurobi through gurobipy's reader", "pip install 'reeplan[commercial]' (gurobipy)",
                         edition="the pip wheel's restricted licence: at most 2,000 variables and 2,000 constraints, "
                                 "not for production use",
                         publish="its licence forbids publishing benchmark results"),
    "cplex": SolverInfo("cplex", "CPLEX through the cplex package's reader", "pip install 'reeplan[commercial]' (cplex)",
                        edition="Community Edition: at most 1,000 variables and 1,000 constraints",
                        publish="its licence text (IBM ILAN, Community Edition LI) has no benchmark clause"),
    "xpress": SolverInfo("xpress", "FICO Xpress through the xpress package's reader",
                         "pip install 'reeplan[commercial]' (xpress)",
                         edition="community licence: at most 5,000 rows plus columns",
                         publish="its licence forbids publishing benchmark results without FICO's written consent"),
}
NAMED = tuple(dict.fromkeys((*HIGHS_PRESETS, *SOLVERS)))


@dataclass(frozen=True)
class SolverConfig:
    """One solver with its options; ``label`` names it in every table."""

    label: str
    solver: str  # a key of SOLVERS, or pyomo:NAME
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
    """Whether a solver can run here, and a note saying why not and how to install it."""
    hint = SOLVERS[solver].install if solver in SOLVERS else ""
    if solver == "highs":
        return _has_module("highspy"), f"highspy is not installed ({hint})"
    if solver == "scip":
        return _has_module("pyscipopt"), f"pyscipopt is not installed ({hint})"
    if solver in ("cbc", "glpk"):
        program = {"cbc": "cbc", "glpk": "glpsol"}[solver]
        return shutil.which(program) is not None, f"no {program} program on the PATH ({hint})"
    if solver.startswith("ortools-"):
        if not _has_module("ortools"):
            return False, f"ortools is not installed ({hint})"
        backend = {"ortools-cbc": "CBC", "ortools-scip": "SCIP", "ortools-cpsat": "CP-SAT"}[solver]
        try:
            ok = optional_module("ortools.linear_solver.pywraplp").Solver.CreateSolver(backend) is not None
        except Exception:  # noqa: BLE001
            ok = False
        return ok, f"this ortools has no {backend} backend"
    if solver in ("gurobi", "cplex", "xpress"):
        module = {"gurobi": "gurobipy", "cplex": "cplex", "xpress": "xpress"}[solver]
        return _has_module(module), f"{module} is not installed ({hint}; {SOLVERS[solver].edition})"
    name = solver.removeprefix("pyomo:")
    try:
        import pyomo.environ as pyo  # defers pyomo

        opt = pyo.SolverFactory(name)
        ok = bool(opt is not None and opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001 - any failure to find a plugin means "not available"
        ok = False
    return ok, f"Pyomo cannot find solver {name!r} (no executable on the PATH)"


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
    configs, notes, seen = [], [], set()
    for name in names or ["highs"]:
        if name in seen:
            continue
        seen.add(name)
        if name in HIGHS_PRESETS:
            opts, all_cores = HIGHS_PRESETS[name]
            solver, opts = "highs", dict(opts)
            n = threads or (max(2, os.cpu_count() or 1) if all_cores else 1)
        elif name in SOLVERS:
            solver, opts, n = name, {}, threads or 1
        elif name.startswith("pyomo:") and len(name) > 6:
            solver, opts, n = name, {}, threads or 1
        elif name.startswith("py:") and name.count(":") >= 2:  # a Python function module:function (plug-in)
            solver, opts, n = name, {}, threads or 1
        else:
            raise UsageError(f"unknown solver {name!r}; choose from {', '.join(NAMED)}, pyomo:NAME or "
                             "py:MODULE:FUNCTION")
        ok, why = (True, "") if solver.startswith("py:") else solver_available(solver)
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


def solver_version(config: SolverConfig) -> str:
    """The solver's name and version as the tables show it (the bare solver name if it cannot be asked)."""
    solver = config.solver
    try:
        if solver == "highs":
            return f"HiGHS {metadata.version('highspy')}"
        if solver == "scip":
            import pyscipopt  # defers pyscipopt

            return f"SCIP {pyscipopt.Model().version()} (PySCIPOpt {metadata.version('pyscipopt')})"
        if solver in ("cbc", "glpk"):
            exe = shutil.which("cbc" if solver == "cbc" else "glpsol") or solver
            args = [exe, "-quit"] if solver == "cbc" else [exe, "--version"]
            text = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False).stdout
            m = re.search(r"Version:\s*(\S+)", text) if solver == "cbc" else re.search(r"Solver\s+(\S+)", text)
            return f"{'CBC' if solver == 'cbc' else 'GLPK'} {m.group(1) if m else '?'}"
        if solver.startswith("ortools-"):
            ortools = optional_module("ortools")
            pywraplp = optional_module("ortools.linear_solver.pywraplp")
            backend = {"ortools-cbc": "CBC", "ortools-scip": "SCIP", "ortools-cpsat": "CP-SAT"}[solver]
            s = pywraplp.Solver.CreateSolver(backend)
            return f"OR-Tools {ortools.__version__} ({s.SolverVersion()})"
        if solver == "gurobi":
            gurobipy = optional_module("gurobipy")
            return f"Gurobi {'.'.join(map(str, gurobipy.gurobi.version()))} (gurobipy {metadata.version('gurobipy')})"
        if solver == "cplex":
            cplex = optional_module("cplex")
            return f"CPLEX {cplex.Cplex().get_version()} (Community Edition package {metadata.version('cplex')})"
        if solver == "xpress":
            xpress = optional_module("xpress")
            return f"Xpress {xpress.getVersion()} (xpress {metadata.version('xpress')})"
        if solver.startswith("py:"):
            return solver
        import pyomo.environ as pyo  # defers pyomo

        v = pyo.SolverFactory(solver.removeprefix("pyomo:")).version()
        return f"{solver} {'.'.join(map(str, v)) if v else '?'}"
    except Exception:  # noqa: BLE001
        return solver


def list_solvers() -> list[dict]:
    """Every solver ``reeplan bench`` knows: available here or why not, how to install it, its edition limits."""
    rows = []
    for name in NAMED:
        solver = "highs" if name in HIGHS_PRESETS else name
        ok, why = solver_available(solver)
        info = SOLVERS[solver]
        opts = HIGHS_PRESETS[name][0] if name in HIGHS_PRESETS else {}
        rows.append(dict(name=name, available=ok, version=solver_version(SolverConfig(name, solver)) if ok else "",
                         what=info.what + (f" with {opts}" if opts else ""), why_not="" if ok else why,
                         install=info.install, edition=info.edition, publish=info.publish))
    return rows
