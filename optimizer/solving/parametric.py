"""One built model, many sets of numbers: a Pyomo model's mutable Params moved without walking Pyomo again.

``ParametricModel(m, objectives, outcomes)`` walks ``m`` once and writes every coefficient, bound, cost
and outcome as a polynomial in its mutable Params (each term: a number times a product of Params).
``solve(values)`` evaluates those polynomials with numpy for one set of Param values, hands HiGHS the
whole model in one ``passModel`` call (the same ``highspy.Highs`` object every time) and returns the
column values and the outcomes. The stress test uses it to evaluate a plan in each future with one
model per worker (``reeplan.uncertainty.stress``; FORMULATION.md, section 12.2).

Fixed variables are folded into constants at their values (a plan's first stage, fixed once per model).
Only active constraints and the given objectives are compiled. An expression that is not linear in the
free variables and polynomial in the Params (a Param in a denominator, a function call) is refused
with a ValueError naming its type, when the model is walked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.common.numeric_types import native_types
from pyomo.core.expr.numeric_expr import (
    DivisionExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.core.expr.visitor import identify_mutable_parameters
from reeplan.solving.compile import INF, gc_paused, mutable_parameters, variables_of
from reeplan.solving.highs import Run, new_highs, run_highs

_INTEGER, _CONTINUOUS = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
_CONSTANT = -1  # the "column" of a term with no variable
LATER_LP_OPTIONS = {"solver": "ipm"}
Poly = dict[tuple[int, tuple[int, ...]], float]  # (column or _CONSTANT, Param slots) -> coefficient


class _Expander:
    """Expands expressions into ``Poly`` terms; named expressions are expanded once and shared."""

    def __init__(self, column_of: dict[int, int], slot_of: dict[int, int]) -> None:
        self.column_of, self.slot_of = column_of, slot_of
        self._named: dict[int, Poly] = {}

    def expand(self, expr) -> Poly:
        if expr.__class__ in native_types:
            return {(_CONSTANT, ()): float(expr)} if expr else {}
        if expr.is_named_expression_type():
            key = id(expr)
            if key not in self._named:
                self._named[key] = self.expand(expr.expr)
            return self._named[key]
        if not expr.is_expression_type():  # a leaf: a variable or a parameter
            if expr.is_variable_type():
                if expr.fixed:
                    return {(_CONSTANT, ()): float(expr.value)} if expr.value else {}
                return {(self.column_of[id(expr)], ()): 1.0}
            if expr.is_parameter_type() and id(expr) in self.slot_of:
                return {(_CONSTANT, (self.slot_of[id(expr)],)): 1.0}
            value = float(pyo.value(expr))
            return {(_CONSTANT, ()): value} if value else {}
        if isinstance(expr, SumExpression):
            total: Poly = {}
            for arg in expr.args:
                for term, c in self.expand(arg).items():
                    total[term] = total.get(term, 0.0) + c
            return total
        if isinstance(expr, ProductExpression):  # MonomialTermExpression too
            return _times(self.expand(expr.args[0]), self.expand(expr.args[1]))
        if isinstance(expr, NegationExpression):
            return {key: -c for key, c in self.expand(expr.args[0]).items()}
        if isinstance(expr, DivisionExpression):
            den = self.expand(expr.args[1])
            if set(den) - {(_CONSTANT, ())}:
                raise ValueError(f"not polynomial in the parameters: a division by {expr.args[1]}")
            return {key: c / den[(_CONSTANT, ())] for key, c in self.expand(expr.args[0]).items()}
        if not expr.is_potentially_variable() and not any(
                id(p) in self.slot_of for p in identify_mutable_parameters(expr)):
            value = float(pyo.value(expr))  # e.g. a bound max(domain bound, given bound) of numbers only
            return {(_CONSTANT, ()): value} if value else {}
        raise ValueError(f"not polynomial in the parameters: {type(expr).__name__} ({expr})")


def _times(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for (col_a, pa), ca in a.items():
        for (col_b, pb), cb in b.items():
            if col_a != _CONSTANT and col_b != _CONSTANT:
                raise ValueError("not linear in the variables: a product of two variables")
            key = (max(col_a, col_b), tuple(sorted(pa + pb)))
            out[key] = out.get(key, 0.0) + ca * cb
    return out


@dataclass
class _Terms:
    """``values[target] = sum(coef * prod(theta[slots]))``: a set of polynomials over one Param vector."""

    target: np.ndarray  # int64 per term
    coef: np.ndarray  # float64 per term
    slots: np.ndarray  # int64, terms x degree; slot 0 holds 1.0 (pads lower-degree terms)
    size: int

    @classmethod
    def of(cls, items: list[tuple[int, float, tuple[int, ...]]], size: int) -> _Terms:
        degree = max((len(s) for _, _, s in items), default=0)
        slots = np.zeros((len(items), max(1, degree)), dtype=np.int64)
        for i, (_, _, s) in enumerate(items):
            slots[i, :len(s)] = s
        return cls(np.array([t for t, _, _ in items], dtype=np.int64),
                   np.array([c for _, c, _ in items], dtype=np.float64), slots, size)

    def evaluate(self, theta: np.ndarray) -> np.ndarray:
        """Values per copy: ``theta`` is (copies, Params + 1); the result (copies, size)."""
        weights = self.coef[None, :] * theta[:, self.slots].prod(axis=2)
        copies = theta.shape[0]
        target = (self.target[None, :] + self.size * np.arange(copies)[:, None]).ravel()
        values = np.bincount(target, weights.ravel(), minlength=copies * self.size)
        return values.astype(np.float64, copy=False).reshape(copies, self.size)  # int64 when there are no terms


@dataclass
class Arrays:
    """A model as HiGHS takes it: column and row bounds, the matrix as (row, column, value) in row order."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row: np.ndarray
    col: np.ndarray
    value: np.ndarray


@dataclass
class Solution:
    """One evaluation: the run, the column values per copy (None without a plan), the outcomes per copy."""

    run: Run
    columns: np.ndarray | None  # (copies, columns)
    outcomes: list[dict]  # per copy: {outcome name: value}


class ParametricModel:
    """``m`` compiled once as polynomials in its mutable Params (module docstring).

    ``objectives``: the lexicographic stages, (expression, maximize), solved in order, each later one with
    the earlier ones held within ``lex_tolerance`` of their values; ``outcomes``: named expressions whose
    values every solve returns. ``solve`` takes one Param vector per copy: ``copies`` independent copies
    of the model, side by side in one HiGHS model (block diagonal; each stage's objective summed over them),
    share HiGHS's per-run work (measured: benchmarks/README.md, "parametric futures")."""

    def __init__(self, m: pyo.Block, objectives: list[tuple[object, bool]], outcomes: Mapping) -> None:
        with gc_paused():
            self.params = mutable_parameters(m)
            slot_of = {id(p): i + 1 for i, p in enumerate(self.params)}
            self.columns = [v for v in variables_of(m) if not v.fixed]
            column_of = {id(v): i for i, v in enumerate(self.columns)}
            ex = _Expander(column_of, slot_of)
            self.constraints = list(m.component_data_objects(pyo.Constraint, active=True, descend_into=True))
            self._compile_rows(ex)
            self._compile_columns(ex)
            n = len(self.columns)
            self._objectives = [(self._linear(ex, [expr], n), maximize) for expr, maximize in objectives]
            self.outcome_names = list(outcomes)
            self._outcomes = self._linear(ex, [outcomes[k] for k in self.outcome_names], n)
        self.highs = new_highs()
        self._slot = {(p.parent_component().name, p.index()): i + 1 for i, p in enumerate(self.params)}
        self._table_slots: dict[str, tuple[list, np.ndarray]] = {}

    def _compile_rows(self, ex: _Expander) -> None:
        nnz_of: dict[tuple[int, int], int] = {}
        matrix, lower, upper = [], [], []
        for r, con in enumerate(self.constraints):
            lb, body, ub = con.to_bounded_expression()
            for (col, slots), c in ex.expand(body).items():
                if col == _CONSTANT:  # the body's constant moves into both bounds
                    lower.append((r, -c, slots))
                    upper.append((r, -c, slots))
                else:
                    matrix.append((nnz_of.setdefault((r, col), len(nnz_of)), c, slots))
            for bound, out in ((lb, lower), (ub, upper)):
                if bound is not None:
                    out += [(r, c, s) for (_, s), c in _constant(ex.expand(bound), con.name).items()]
        rows = len(self.constraints)
        bounds = [c.to_bounded_expression() for c in self.constraints]
        self._lower_free = np.array([b[0] is None for b in bounds], dtype=bool)
        self._upper_free = np.array([b[2] is None for b in bounds], dtype=bool)
        entries = sorted(nnz_of)  # row-wise, columns ascending: the order HiGHS is handed
        position = {e: i for i, e in enumerate(entries)}
        self._row = np.array([r for r, _ in entries], dtype=np.int64)
        self._col = np.array([c for _, c in entries], dtype=np.int64)
        self._matrix = _Terms.of(_renumber(matrix, nnz_of, position), len(entries))
        self._row_lower, self._row_upper = _Terms.of(lower, rows), _Terms.of(upper, rows)

    def _compile_columns(self, ex: _Expander) -> None:
        col_lower: list[tuple[int, float, tuple[int, ...]]] = []
        col_upper: list[tuple[int, float, tuple[int, ...]]] = []
        for i, v in enumerate(self.columns):
            for bound, out in ((v.lower, col_lower), (v.upper, col_upper)):
                if bound is not None:
                    out += [(i, c, s) for (_, s), c in _constant(ex.expand(bound), v.name).items()]
        n = len(self.columns)
        self._col_lower_free = np.array([v.lower is None for v in self.columns], dtype=bool)
        self._col_upper_free = np.array([v.upper is None for v in self.columns], dtype=bool)
        self._col_lower, self._col_upper = _Terms.of(col_lower, n), _Terms.of(col_upper, n)
        self.integer = np.array([v.is_integer() for v in self.columns], dtype=bool)

    @staticmethod
    def _linear(ex: _Expander, exprs: list, n: int) -> tuple[np.ndarray, np.ndarray, _Terms, _Terms]:
        """Linear expressions as (expression, column) entries with polynomial coefficients, and constants."""
        entries: dict[tuple[int, int], int] = {}
        coefs, consts = [], []
        for o, expr in enumerate(exprs):
            for (col, s), c in ex.expand(expr).items():
                if col == _CONSTANT:
                    consts.append((o, c, s))
                else:
                    coefs.append((entries.setdefault((o, col), len(entries)), c, s))
        rows = np.array([o for o, _ in entries], dtype=np.int64)
        cols = np.array([c for _, c in entries], dtype=np.int64)
        return rows, cols, _Terms.of(coefs, len(entries)), _Terms.of(consts, len(exprs))

    def theta(self, tables: Mapping[str, Mapping]) -> np.ndarray:
        """The Param vector (slot 0 = 1) for ``{Param name: {index: value}}``; every Param must be given."""
        if not self._table_slots:
            by_table: dict[str, list] = {}
            for (name, index), slot in self._slot.items():
                by_table.setdefault(name, []).append((index, slot))
            self._table_slots = {name: ([i for i, _ in pairs], np.array([s for _, s in pairs], dtype=np.int64))
                                 for name, pairs in by_table.items()}
        theta = np.ones(len(self.params) + 1)
        for name, (keys, slots) in self._table_slots.items():
            values = tables.get(name)
            if values is None:
                raise ValueError(f"no values given for the Params {name!r}")
            try:
                theta[slots] = [values[k] for k in keys]
            except KeyError as exc:
                raise ValueError(f"no value given for {name}[{exc.args[0]!r}]") from None
        return theta

    def load(self, theta: np.ndarray, columns: np.ndarray | None) -> None:
        """Set the Pyomo model's Params (and its free variables, if given) to one copy's values, so that the
        formulation of record can be read and checked at that point."""
        for p, value in zip(self.params, theta[1:].tolist()):
            p.set_value(value)
        if columns is not None:
            for v, x in zip(self.columns, columns.tolist()):
                v.set_value(x, skip_validation=True)

    def solve(self, thetas: np.ndarray, *, mip_gap: float, threads: int | None, options: dict,
              time_limit: float | None = None, lex_tolerance: float = 0.0, chain_gap: float | None = None,
              chain_options: Mapping | None = None, fixed: np.ndarray | None = None) -> Solution:
        """Every objective stage for copies at the Param vectors ``thetas`` (copies, Params + 1); the columns
        (copies, columns) of the last stage's plan and the outcomes per copy. ``fixed`` (copies, columns):
        a column's value where it is not NaN (both its bounds); a model whose integers are all fixed so is
        solved as the LP it is."""
        thetas = np.atleast_2d(thetas)
        copies = thetas.shape[0]
        arrays = self.arrays(thetas)
        integer = np.tile(self.integer, copies)
        if fixed is not None:
            at = ~np.isnan(fixed.ravel())
            arrays.col_lower[at] = arrays.col_upper[at] = fixed.ravel()[at]
            integer &= ~at
        n_rows, n_cols = len(arrays.row_lower), len(arrays.col_lower)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_lower_, lp.col_upper_ = arrays.col_lower, arrays.col_upper
        lp.row_lower_, lp.row_upper_ = arrays.row_lower, arrays.row_upper
        costs = [(self._dense(terms, thetas, len(self.columns)), maximize) for terms, maximize in self._objectives]
        (cost, offset), maximize = costs[0]
        lp.col_cost_, lp.offset_ = cost, offset
        lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
        lp.a_matrix_.start_ = np.searchsorted(arrays.row, np.arange(n_rows + 1)).astype(np.int32)
        lp.a_matrix_.index_, lp.a_matrix_.value_ = arrays.col.astype(np.int32), arrays.value
        if integer.any():
            lp.integrality_ = [_INTEGER if i else _CONTINUOUS for i in integer.tolist()]
        h = self.highs
        _ok(h.passModel(lp), "passModel")
        run = run_highs(h, has_objective=True, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                        options=options)
        n = len(self.columns)
        kept: tuple[Run, np.ndarray] | None = None  # the last stage with a plan, if a later one finds none
        for k in range(1, len(costs)):
            if not run.has_plan or run.incumbent is None:
                break
            kept = (run, np.asarray(h.getSolution().col_value, dtype=float).copy())
            # each copy keeps its own earlier stage within lex_tolerance of its own value: one row per copy
            (prev_cost, _), prev_max = costs[k - 1]
            x = np.asarray(h.getSolution().col_value)
            per_copy = prev_cost.reshape(copies, n)
            value = (per_copy * x.reshape(copies, n)).sum(axis=1)  # offsets left out on both sides of the row
            slack = lex_tolerance * np.maximum(1.0, np.abs(value + self._offsets(k - 1, thetas)))
            lower = np.where(prev_max, value - slack, -INF)
            upper = np.where(prev_max, INF, value + slack)
            index = [np.flatnonzero(per_copy[c]) for c in range(copies)]
            starts = np.cumsum([0] + [len(i) for i in index[:-1]]).astype(np.int32)
            cols = np.concatenate([i + c * n for c, i in enumerate(index)]).astype(np.int32)
            _ok(h.addRows(copies, lower, upper, len(cols), starts, cols, prev_cost[cols]), "addRows")
            start = h.getSolution()
            (cost, offset), maximize = costs[k]
            _ok(h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost), "changeColsCost")
            _ok(h.changeObjectiveOffset(offset), "changeObjectiveOffset")
            _ok(h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize),
                "changeObjectiveSense")
            if start.value_valid and integer.any():  # a MIP start; an LP re-solves from its kept basis instead
                h.setSolution(start)
            # an LP's later stage: interior point (with crossover to a vertex), measured at a third of the simplex
            # time on the stress model's output stage (benchmarks/README.md, "parametric futures")
            later = {**(chain_options or {}), **({} if integer.any() else LATER_LP_OPTIONS), **options}
            run = run_highs(h, has_objective=True, time_limit=time_limit,
                            mip_gap=mip_gap if chain_gap is None else min(mip_gap, chain_gap), threads=threads,
                            options=later)
        if not run.has_plan and kept is not None:  # a later stage failed: the earlier stage's plan stands
            run, flat = kept
        elif not run.has_plan:
            return Solution(run, None, [])
        else:
            flat = np.asarray(h.getSolution().col_value, dtype=float)
        x = flat.reshape(copies, len(self.columns))
        if self.integer.any():  # integers as integers, as the ordinary path rounds them (round_integers)
            x = np.where(self.integer[None, :], np.round(x), x)
        rows, cols, terms, consts = self._outcomes
        weights = terms.evaluate(thetas) * x[:, cols]  # (copies, entries)
        outcome = consts.evaluate(thetas)
        for k in range(copies):
            outcome[k] += np.bincount(rows, weights[k], minlength=len(self.outcome_names))
        return Solution(run, x, [dict(zip(self.outcome_names, o.tolist())) for o in outcome])

    def arrays(self, thetas: np.ndarray) -> Arrays:
        """The model HiGHS is handed for copies at ``thetas``: bounds, and the matrix by (row, column), zeros
        left out, rows in order (copy k's rows and columns follow copy k - 1's)."""
        thetas = np.atleast_2d(thetas)
        copies, n_rows, n_cols = thetas.shape[0], len(self.constraints), len(self.columns)
        shift = np.arange(copies)[:, None]
        row = (self._row[None, :] + n_rows * shift).ravel()
        col = (self._col[None, :] + n_cols * shift).ravel()
        values = self._matrix.evaluate(thetas).ravel()
        keep = values != 0.0
        return Arrays(np.where(self._col_lower_free, -INF, self._col_lower.evaluate(thetas)).ravel(),
                      np.where(self._col_upper_free, INF, self._col_upper.evaluate(thetas)).ravel(),
                      np.where(self._lower_free, -INF, self._row_lower.evaluate(thetas)).ravel(),
                      np.where(self._upper_free, INF, self._row_upper.evaluate(thetas)).ravel(),
                      row[keep], col[keep], values[keep])

    def _offsets(self, stage: int, thetas: np.ndarray) -> np.ndarray:
        """Each copy's constant of objective ``stage``."""
        return self._objectives[stage][0][3].evaluate(thetas)[:, 0]

    @staticmethod
    def _dense(linear: tuple, thetas: np.ndarray, n_cols: int) -> tuple[np.ndarray, float]:
        """One objective over every copy: its cost vector (copies x columns, flat) and its summed offset."""
        _, cols, terms, consts = linear
        cost = np.zeros((thetas.shape[0], n_cols))
        values = terms.evaluate(thetas)
        for k in range(thetas.shape[0]):
            np.add.at(cost[k], cols, values[k])
        return cost.ravel(), float(consts.evaluate(thetas).sum())


def _renumber(items: list, nnz_of: dict, position: dict) -> list:
    """Matrix terms re-targeted from first-seen entry order to the sorted (row, column) order."""
    order = {i: position[key] for key, i in nnz_of.items()}
    return [(order[i], c, s) for i, c, s in items]


def _ok(status, what: str) -> None:
    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS refused {what}")


def _constant(poly: Poly, where: str) -> Poly:
    if any(col != _CONSTANT for col, _ in poly):
        raise ValueError(f"{where}: a bound that reads a variable")
    return poly
