"""Numbers HiGHS can trust: every coefficient and bound of a built model checked before any solve.

The rule (``check_model``, called on every model handed to HiGHS, ``reeplan.solving.highs.HighsModel``,
on the arrays HiGHS receives, before any solve):

1. Every coefficient - of every constraint and every objective, the deactivated stages of the
   tie-break chain included (each reaches HiGHS as an objective and as a lexicographic row) - is
   finite and below ``MAX_ABS`` = 1e15 in absolute value.
2. Every finite row bound (right-hand side) and variable bound is below ``MAX_ABS`` too; an infinite
   bound is no bound.

A model that breaks the rule is refused with an ``InstanceError`` (exit 3) naming each row (constraint,
objective or variable), the variable and the value; no solve is attempted.

Why: HiGHS reads |x| >= 1e20 as infinite (``kHighsInf``), so a capacity of 1e20 silently becomes "no
limit", and long before that a double's 15-16 significant digits run out against HiGHS's absolute
tolerances (feasibility 1e-7, integrality 1e-6): with a module capacity of 1e15 t/yr, 1e-6 of a module
is a gigaton, and ``instances/tiny.yaml`` with that capacity was reported "optimal" with 400 t HPO,
more than the 300 t its concentrate can give at all. The instance schema keeps every input far below
this (``reeplan.instance.schema``: money <= 1e6 bn RUB, tonnage <= 1e9 t/yr, ...); the check catches
what the schema cannot see - products of inputs inside the model (capacity x modules, big-M terms)
and instances changed in memory without validation (``model_copy``, the perturbed futures of a
stress test).

The ratio of the largest to the smallest nonzero |matrix coefficient| is reported
(``CoefficientRange.ratio``, logged at DEBUG level on logger ``reeplan.solving.numerics``), not
refused: the bundled instances are at 1e5 (tiny) and 5.1e6 (siberia-2030 and every variant; 2.0e9
with ``budget.opex_counts=true``, where transport costs of 2e-5 bn RUB/t enter the budget rows), but
the generated benchmark families reach 1.0e12 (``generate_family("xl", 1)``; medium 6e10, large 3e11)
from the same harmless source - a small cost share beside a large feed bound, which HiGHS's scaling
handles. A cap low enough to mean something numerically (1e9 to 1e12) would refuse valid instances.

Cost: vectorised over the arrays HiGHS receives (``reeplan.solving.compile``), so well under 1 ms on
``instances/siberia-2030.yaml`` and about 10 ms on ``generate_family("xl", 0)`` (94,714 rows, 363,979
nonzeros); the walk of the model through Pyomo that it replaced took 30 to 45 ms and about 1 s at
the large family.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from reeplan.errors import InstanceError, Problem
from reeplan.solving.compile import LinearModel

MAX_ABS = 1e15  # |coefficient| or |bound| at or above this is refused (HiGHS's infinity is 1e20)
HIGHS_INFINITY = 1e20
MAX_LISTED = 20  # offending numbers listed one by one; the rest are counted

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One number of the model: what it is, the row (constraint, objective or variable) and column it sits in."""

    kind: str  # "coefficient", "objective coefficient", "row bound", "variable bound"
    row: str
    column: str
    value: float


@dataclass
class CoefficientRange:
    """The range of a model's numbers: matrix coefficients, objective coefficients, bounds, and what breaks the rule."""

    largest: float = 0.0  # largest nonzero |matrix coefficient|
    smallest: float = math.inf  # smallest nonzero |matrix coefficient|
    largest_at: Entry | None = None
    smallest_at: Entry | None = None
    objective_largest: float = 0.0
    objective_smallest: float = math.inf
    bound_largest: float = 0.0  # largest finite |row or variable bound|
    rows: int = 0
    nonzeros: int = 0
    offending: list[Entry] = field(default_factory=list)  # the first few of each kind
    offending_count: int = 0

    @property
    def ratio(self) -> float:
        """Largest over smallest nonzero |matrix coefficient| below ``MAX_ABS`` (1 if there is none)."""
        return self.largest / self.smallest if self.largest else 1.0

    def summary(self) -> str:
        """One line: the matrix range, its ratio, the objective range and the largest bound."""
        if not self.largest:
            return "no coefficients"
        return (f"matrix |a| in [{self.smallest:.3g}, {self.largest:.3g}] (ratio {self.ratio:.3g}, {self.rows} rows, "
                f"{self.nonzeros} nonzeros); objective |c| in [{self.objective_smallest:.3g}, "
                f"{self.objective_largest:.3g}]; largest finite bound {self.bound_largest:.3g}")


def coefficient_range(lin: LinearModel) -> CoefficientRange:
    """The numbers of a compiled model: active rows, every objective, every column bound; nothing raised.

    Vectorised over the arrays HiGHS receives; names are made only for the numbers reported (the
    extremes and the offenders)."""
    out = CoefficientRange()
    rows = lin.rows
    active_rows = np.arange(len(lin.constraints))  # every row is checked: the chain activates inactive ones
    out.rows = int(lin.active.sum())
    row_of_entry = np.repeat(active_rows, np.diff(rows.start))
    take = rows.value != 0
    values, entry_rows, entry_cols = rows.value[take], row_of_entry[take], rows.index[take]
    in_active_row = lin.active[entry_rows]
    out.nonzeros = int(in_active_row.sum())
    offending: list[Entry] = []
    size = np.abs(values)
    bad = ~(size < MAX_ABS)  # also nan
    for k in np.flatnonzero(bad)[:MAX_LISTED + 1].tolist():
        offending.append(Entry("coefficient", lin.constraints[entry_rows[k]].name, lin.columns[entry_cols[k]].name,
                               float(values[k])))
    out.offending_count = int(bad.sum())
    good = np.flatnonzero(~bad & in_active_row)  # the range reported: the rows of stage 1
    if len(good):
        hi, lo = good[np.argmax(size[good])], good[np.argmin(size[good])]
        out.largest, out.smallest = float(size[hi]), float(size[lo])
        out.largest_at = Entry("coefficient", lin.constraints[entry_rows[hi]].name, lin.columns[entry_cols[hi]].name,
                               float(values[hi]))
        out.smallest_at = Entry("coefficient", lin.constraints[entry_rows[lo]].name,
                                lin.columns[entry_cols[lo]].name, float(values[lo]))
    for bounds in (rows.lower[active_rows], rows.upper[active_rows]):
        bad_rows = _bad_bounds(out, bounds)
        out.offending_count += len(bad_rows)
        offending += [Entry("row bound", lin.constraints[active_rows[k]].name, "", float(bounds[k]))
                      for k in bad_rows[:MAX_LISTED + 1].tolist()]
    for obj in lin.objectives:
        size = np.abs(obj.value)
        bad = ~(size < MAX_ABS)
        out.offending_count += int(bad.sum())
        offending += [Entry("objective coefficient", obj.component.name, lin.columns[obj.index[k]].name,
                            float(obj.value[k])) for k in np.flatnonzero(bad)[:MAX_LISTED + 1].tolist()]
        if (~bad).any():
            out.objective_largest = max(out.objective_largest, float(size[~bad].max()))
            out.objective_smallest = min(out.objective_smallest, float(size[~bad].min()))
    for bounds in (lin.col_lower, lin.col_upper):
        bad_cols = _bad_bounds(out, bounds)
        out.offending_count += len(bad_cols)
        offending += [Entry("variable bound", lin.columns[k].name, "", float(bounds[k]))
                      for k in bad_cols[:MAX_LISTED + 1].tolist()]
    out.offending = offending
    return out


def _bad_bounds(out: CoefficientRange, bounds: np.ndarray) -> np.ndarray:
    """Positions of bounds that break the rule (nan, or finite and |bound| >= MAX_ABS); records the largest finite one."""
    finite = np.isfinite(bounds)
    size = np.abs(bounds[finite])
    if len(size):
        ok = size[size < MAX_ABS]
        if len(ok):
            out.bound_largest = max(out.bound_largest, float(ok.max()))
    return np.flatnonzero(np.isnan(bounds) | (finite & ~(np.abs(np.where(finite, bounds, 0.0)) < MAX_ABS)))


def _problem(where: str, e: Entry) -> Problem:
    if math.isnan(e.value):
        return Problem(where, "", e.row, e.column, e.value, f"{e.kind} nan: not a number",
                       "a value in the data behind this row is not a number (an instance changed without validation?)")
    return Problem(where, "", e.row, e.column, e.value,
                   f"{e.kind} {e.value:g}: at or above {MAX_ABS:g} in absolute value (HiGHS reads {HIGHS_INFINITY:g} "
                   "as infinite and loses precision far earlier)",
                   "the instance data behind this row are too large for the solver: look for a value in the wrong "
                   "unit (t, not kg; bn RUB, not RUB) in the item the row names")


def check_model(lin: LinearModel, name: str) -> CoefficientRange:
    """``coefficient_range`` of the compiled model ``name``; InstanceError naming every row that breaks the rule."""
    found = coefficient_range(lin)
    where = f"model of {name!r}"
    problems = [_problem(where, e) for e in found.offending[:MAX_LISTED]]
    if found.offending_count > MAX_LISTED:
        problems.append(Problem(where, "", "", "", found.offending_count - MAX_LISTED,
                                f"and {found.offending_count - MAX_LISTED} more numbers of this size", ""))
    if problems:
        raise InstanceError(problems)
    log.debug("coefficients of %s: %s", where, found.summary())
    return found
