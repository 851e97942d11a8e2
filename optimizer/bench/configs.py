"""Solver configurations of a benchmark: named option sets, ``solver:key=value`` options, availability, versions."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata

from reeplan.errors import UsageError

# Named HiGHS option sets: (options, uses every core).
HIGHS_PRESETS: dict[str, tuple[dict, bool]] = {
    "highs": ({}, False),
    "highs-presolve-off": ({"presolve": "off"}, False),
    "highs-parallel": ({"parallel": "on"}, True),
}
PYOMO_SOLVERS = ("cbc", "glpk")  # legacy Pyomo plugins, found on the PATH or not


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
        import pyomo.environ as pyo  # defers pyomo

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


def solver_version(config: SolverConfig) -> str:
    """The solver's name and version as the tables show it (the bare solver name if it cannot be asked)."""
    try:
        if config.solver == "highs":
            return f"HiGHS {metadata.version('highspy')}"
        if config.solver == "scip":
            import pyscipopt  # defers pyscipopt

            return f"SCIP {pyscipopt.Model().version()} (PySCIPOpt {metadata.version('pyscipopt')})"
        import pyomo.environ as pyo  # defers pyomo

        v = pyo.SolverFactory(config.solver).version()
        return f"{config.solver} {'.'.join(map(str, v)) if v else '?'}"
    except Exception:  # noqa: BLE001
        return config.solver
