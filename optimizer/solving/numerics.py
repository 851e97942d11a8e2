"""Numbers HiGHS can trust: every coefficient and bound of a built model checked before any solve.

The rule (``check_model``, called by ``reeplan.solving.pipeline.build`` right after the model is built):

1. Every coefficient - of the active constraints, and of every objective, the deactivated stages of the
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

Cost: one walk of the model through Pyomo's ``generate_standard_repn``: 30 to 45 ms on
``instances/siberia-2030.yaml`` (1,031 rows, 2,623 nonzeros; building the model takes about 40 ms,
HiGHS's ``set_instance`` at the first solve 60 to 110 ms), about 1 s on ``generate_family("large", 1)``
(24,000 rows; build 1.3 s, ``set_instance`` 5.4 s). Reading HiGHS's own copy of the LP
(``Highs.getLp()``) would take under 1 ms, but ``build`` does not load HiGHS (the first solve does),
so that needs ``set_instance`` moved into ``build``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo
from pyomo.repn.standard_repn import generate_standard_repn
from reeplan.errors import InstanceError, Problem

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
    offending: list[Entry] = field(default_factory=list)

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


def coefficient_range(m: pyo.Block) -> CoefficientRange:
    """Walk the active constraints, every objective and every variable bound of ``m``; nothing raised.

    Names (costly in Pyomo) are made only for the numbers reported: the extremes and the offenders."""
    out = CoefficientRange()
    offending: list[tuple[str, Any, Any, float]] = []
    largest: tuple[Any, Any, float] | None = None
    smallest: tuple[Any, Any, float] | None = None
    for con in m.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
        out.rows += 1
        for var, coef in zip(repn.linear_vars, repn.linear_coefs):
            a = abs(coef)
            if a == 0.0:
                continue
            out.nonzeros += 1
            if not a < MAX_ABS:  # also nan
                offending.append(("coefficient", con, var, float(coef)))
                continue
            if a > out.largest:
                out.largest, largest = a, (con, var, float(coef))
            if a < out.smallest:
                out.smallest, smallest = a, (con, var, float(coef))
        constant = float(repn.constant or 0.0)
        for bound in (con.lb, con.ub):
            if bound is not None and _note_bound(out, float(bound) - constant):
                offending.append(("row bound", con, None, float(bound) - constant))
    for obj in m.component_data_objects(pyo.Objective, active=None, descend_into=True):
        repn = generate_standard_repn(obj.expr, compute_values=True, quadratic=False)
        for var, coef in zip(repn.linear_vars, repn.linear_coefs):
            a = abs(coef)
            if a == 0.0:
                continue
            if not a < MAX_ABS:
                offending.append(("objective coefficient", obj, var, float(coef)))
                continue
            out.objective_largest = max(out.objective_largest, a)
            out.objective_smallest = min(out.objective_smallest, a)
    for var in m.component_data_objects(pyo.Var, descend_into=True):
        for bound in (var.lb, var.ub):
            if bound is not None and _note_bound(out, float(bound)):
                offending.append(("variable bound", var, None, float(bound)))
    out.offending = [Entry(kind, row.name, "" if col is None else col.name, x) for kind, row, col, x in offending]
    if largest is not None:
        out.largest_at = Entry("coefficient", largest[0].name, largest[1].name, largest[2])
    if smallest is not None:
        out.smallest_at = Entry("coefficient", smallest[0].name, smallest[1].name, smallest[2])
    return out


def _note_bound(out: CoefficientRange, bound: float) -> bool:
    """Record a finite bound's size; True if it breaks the rule (nan, or |bound| >= MAX_ABS)."""
    if math.isinf(bound):
        return False  # no bound
    if not abs(bound) < MAX_ABS:
        return True
    out.bound_largest = max(out.bound_largest, abs(bound))
    return False


def _problem(where: str, e: Entry) -> Problem:
    if math.isnan(e.value):
        return Problem(where, "", e.row, e.column, e.value, f"{e.kind} nan: not a number",
                       "a value in the data behind this row is not a number (an instance changed without validation?)")
    return Problem(where, "", e.row, e.column, e.value,
                   f"{e.kind} {e.value:g}: at or above {MAX_ABS:g} in absolute value (HiGHS reads {HIGHS_INFINITY:g} "
                   "as infinite and loses precision far earlier)",
                   "the instance data behind this row are too large for the solver: look for a value in the wrong "
                   "unit (t, not kg; bn RUB, not RUB) in the item the row names")


def check_model(m: pyo.Block) -> CoefficientRange:
    """``coefficient_range`` of ``m``; InstanceError naming every row that breaks the rule of this module."""
    found = coefficient_range(m)
    where = f"model of {m.name!r}"
    problems = [_problem(where, e) for e in found.offending[:MAX_LISTED]]
    if len(found.offending) > MAX_LISTED:
        problems.append(Problem(where, "", "", "", len(found.offending) - MAX_LISTED,
                                f"and {len(found.offending) - MAX_LISTED} more numbers of this size", ""))
    if problems:
        raise InstanceError(problems)
    log.debug("coefficients of %s: %s", where, found.summary())
    return found
