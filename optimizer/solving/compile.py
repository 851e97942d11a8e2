"""A Pyomo model compiled to arrays: columns, rows (CSR), bounds and every objective, in one walk.

The Pyomo model stays the formulation of record; this is how it reaches HiGHS. One walk of every
constraint with Pyomo's own linear walker (``pyomo.repn.linear.LinearRepnVisitor``, the one its LP and
NL writers use) gives each row's coefficients, with named expressions walked once and shared; the rows
are then handed to HiGHS whole (``reeplan.solving.highs.HighsModel``) instead of one call per row and
column as Pyomo's persistent interface does.

Conventions, chosen so that a row's dual and a column's value mean what Pyomo's HiGHS interface gives:
- every constraint of the model is a row, active or not, in Pyomo's component order; an inactive one is
  compiled too (so that activating it later is a bound change) and reaches HiGHS as a free row;
- a row is ``lower <= a.x <= upper`` with the body's constant moved into both bounds;
- every variable of the model is a column, fixed ones included (with lower = upper = value), so that
  fixing or unfixing after compilation is a bound change, not a new model;
- every objective, active or not, is compiled to a cost vector (the objective chain switches between
  them in place).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.core as pyo
from pyomo.common.collections import ComponentSet
from pyomo.common.numeric_types import native_types
from pyomo.core.expr.visitor import identify_mutable_parameters
from pyomo.repn.linear import LinearRepnVisitor
from pyomo.repn.util import FileDeterminism, FileDeterminism_to_SortComponents, VarRecorder

INF = math.inf


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a block that makes many small objects and no cycles worth collecting.

    Pyomo's build and this compilation allocate millions of small objects; the collector's passes over
    them took a third of the build time on the large family (measured: benchmarks/README.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Objective:
    """One objective as a sparse cost vector: ``offset + value . x[index]``, to be maximised or minimised."""

    component: Any  # the Pyomo ObjectiveData
    index: np.ndarray  # int32 column indices
    value: np.ndarray  # float64 coefficients
    offset: float
    maximize: bool


@dataclass
class Rows:
    """Rows in compressed sparse row form, with their bounds (the body's constant moved into both)."""

    lower: np.ndarray
    upper: np.ndarray
    start: np.ndarray  # int32, len(rows) + 1
    index: np.ndarray  # int32 column indices
    value: np.ndarray  # float64 coefficients


@dataclass
class LinearModel:
    """A Pyomo model as arrays (the conventions of this module's docstring)."""

    columns: list  # Pyomo VarData, column order
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    constraints: list  # Pyomo ConstraintData, row order
    active: np.ndarray  # bool per row: is the constraint active (else it reaches HiGHS as a free row)
    rows: Rows
    objectives: list[Objective]

    @property
    def nonzeros(self) -> int:
        """Nonzero matrix coefficients."""
        return len(self.rows.value)


class Compiler:
    """Compiles rows and objectives of one model against its column order; keeps that order for later rows."""

    def __init__(self, columns: list) -> None:
        self.columns = columns
        self.column_of = {id(v): i for i, v in enumerate(columns)}
        self._var_map = {id(v): v for v in columns}  # pre-filled: column i is columns[i]
        self._recorder = VarRecorder(self._var_map, FileDeterminism_to_SortComponents(FileDeterminism.ORDERED))

    def _visitor(self) -> LinearRepnVisitor:
        # A fresh subexpression cache per call: named expressions hold mutable parameters whose values change.
        return LinearRepnVisitor({}, var_recorder=self._recorder)

    def _new_columns(self) -> None:
        """Columns for variables first met in an expression (outside the model's own tree)."""
        if len(self._var_map) > len(self.columns):
            for vid, var in self._var_map.items():
                if vid not in self.column_of:
                    self.column_of[vid] = len(self.columns)
                    self.columns.append(var)

    def rows(self, constraints: Iterable) -> Rows:
        """The rows of ``constraints`` (ValueError naming a constraint that is not linear)."""
        visitor = self._visitor()
        lowers: list[float] = []
        uppers: list[float] = []
        starts = [0]
        ids: list[int] = []
        values: list[float] = []
        for con in constraints:
            lb, body, ub = con.to_bounded_expression()
            repn = visitor.walk_expression(body)
            if repn.nonlinear is not None:
                raise ValueError(f"constraint {con.name} is not linear")
            constant = _number(repn.constant)
            lowers.append(-INF if lb is None else _number(lb) - constant)
            uppers.append(INF if ub is None else _number(ub) - constant)
            for vid, coef in repn.linear.items():
                if coef != 0:
                    ids.append(vid)
                    values.append(coef)
            starts.append(len(ids))
        self._new_columns()
        column_of = self.column_of
        index = np.fromiter((column_of[v] for v in ids), dtype=np.int32, count=len(ids))
        value = np.fromiter((_number(c) for c in values), dtype=np.float64, count=len(values))
        return Rows(np.array(lowers, dtype=np.float64), np.array(uppers, dtype=np.float64),
                    np.array(starts, dtype=np.int32), index, value)

    def objective(self, obj) -> Objective:
        """The cost vector of one objective."""
        repn = self._visitor().walk_expression(obj.expr)
        if repn.nonlinear is not None:
            raise ValueError(f"objective {obj.name} is not linear")
        items = [(vid, coef) for vid, coef in repn.linear.items() if coef != 0]
        self._new_columns()
        index = np.fromiter((self.column_of[v] for v, _ in items), dtype=np.int32, count=len(items))
        value = np.fromiter((_number(c) for _, c in items), dtype=np.float64, count=len(items))
        return Objective(obj, index, value, _number(repn.constant), obj.sense == pyo.maximize)


def _number(x) -> float:
    return float(x) if x.__class__ in native_types else float(pyo.value(x))


def variables_of(m: pyo.Block) -> list:
    """Every variable of ``m`` (active blocks and inactive ones), in component order."""
    return list(m.component_data_objects(pyo.Var, active=None, descend_into=True))


def constraints_of(m: pyo.Block) -> list:
    """Every constraint of ``m``, active or not, in component order."""
    return list(m.component_data_objects(pyo.Constraint, active=None, descend_into=True))


def objectives_of(m: pyo.Block) -> list:
    """Every objective of ``m``, active or not."""
    return list(m.component_data_objects(pyo.Objective, active=None, descend_into=True))


@contextmanager
def fixed_as_columns(variables: list) -> Iterator[list]:
    """Fixed variables unfixed while the walker runs (it would fold them into constants), fixed again after."""
    fixed = [v for v in variables if v.fixed]
    for v in fixed:
        v.unfix()
    try:
        yield fixed
    finally:
        for v in fixed:
            v.fix()


def column_bounds(columns: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, integer) per column; a fixed variable's bounds are its value."""
    n = len(columns)
    lower = np.empty(n)
    upper = np.empty(n)
    integer = np.zeros(n, dtype=bool)
    for i, v in enumerate(columns):
        if v.fixed:
            lower[i] = upper[i] = v.value
        else:
            lb, ub = v.bounds
            lower[i] = -INF if lb is None else lb
            upper[i] = INF if ub is None else ub
        integer[i] = v.is_integer()
    return lower, upper, integer


def compile_model(m: pyo.Block) -> tuple[LinearModel, Compiler]:
    """``m`` as arrays, and the compiler that keeps its column order (for rows added later)."""
    with gc_paused():
        columns = variables_of(m)
        constraints = constraints_of(m)
        compiler = Compiler(columns)
        with fixed_as_columns(columns):
            rows = compiler.rows(constraints)
            objectives = [compiler.objective(o) for o in objectives_of(m)]
        lower, upper, integer = column_bounds(compiler.columns)
        active = np.fromiter((c.active for c in constraints), dtype=bool, count=len(constraints))
    return LinearModel(compiler.columns, lower, upper, integer, constraints, active, rows, objectives), compiler


def mutable_parameters(m: pyo.Block) -> list:
    """Every mutable parameter entry of ``m``."""
    return [p for comp in m.component_objects(pyo.Param, descend_into=True) if comp.mutable for p in comp.values()]


def parameters_read(expr) -> set[int]:
    """``id`` of every mutable parameter an expression (objective or constraint part) reads."""
    if expr is None or expr.__class__ in native_types:
        return set()
    return {id(p) for p in identify_mutable_parameters(expr)}


def rows_using(constraints: list, params: list) -> dict[int, list[int]]:
    """{id(param): [row, ...]} for the rows whose body or bounds read each of ``params``."""
    wanted = ComponentSet(params)
    out: dict[int, list[int]] = {}
    for r, con in enumerate(constraints):
        found = ComponentSet()
        for expr in (con.body, con.lower, con.upper):
            if expr is not None and expr.__class__ not in native_types:
                found.update(identify_mutable_parameters(expr))
        for p in found:
            if p in wanted:
                out.setdefault(id(p), []).append(r)
    return out
