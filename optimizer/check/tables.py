"""Reading the result tables for the plan checker: column types, typed rows, and findings with a tolerance."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from reeplan.result.tables import TABLES

# Column types of the tables the checker reads, from the result-table contract (reeplan.result.tables).
# Module counts are read as numbers, so that a fractional count is a finding (module_integrality)
# rather than an unreadable cell; "level" is a ';'-joined string and may be empty.
CHECKED_TABLES = ("allocation", "plants", "flows", "power", "projects", "rd", "output")
_KIND = {"int64": "int", "Int64": "int", "float64": "float", "bool": "bool", "str": "str"}
_READ_AS = {("plants", "modules_started"): "float", ("plants", "modules_online"): "float", ("output", "level"): "level"}
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    name: {c.name: _READ_AS.get((name, c.name), _KIND[c.dtype]) for c in TABLES[name].columns} for name in CHECKED_TABLES}
# Columns without which a row cannot be read (identity and decisions): if one is missing the
# table's rows are ignored. Any other missing column only skips the comparisons that use it.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "allocation": ("year", "item", "kind", "bn_rub"),
    "plants": ("site", "year", "opened", "modules_started"),
    "flows": ("link", "ship_year", "t"),
    "power": ("connection", "year", "gwh"),
    "projects": ("project", "kind", "start_year"),
    "rd": ("programme", "start_year"),
    "output": ("year", "level"),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, where in the plan, and the numbers."""

    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.detail}"


# --------------------------------------------------------------------------------------------
# Collecting findings with a tolerance


def _num(x: float) -> str:
    """A number with enough digits to show a small difference."""
    return f"{x:.10g}"


# Solvers meet rows to about 1e-7 of their scaled size; a residue like 1e-5 t of feed at a site with
# no capacity is numerical noise, not a plan. 1e-4 of a unit (t, GWh, bn RUB, job) is far below
# anything a plan decides.
ABS_TOL = 1e-4
# Solvers accept an integer within 1e-6 of a whole number; a module count of 1e-7 carries that share
# of a module's capacity in feed (1.5e-4 t at a 1,500 t/yr module), which the tables' whole module
# counts do not show. Capacity is checked with that much room per module the site can hold.
INTEGRALITY_TOL = 1e-6


class _Findings:
    """Collects violations and owns the relative+absolute tolerance."""

    def __init__(self, tol: float, abs_tol: float = ABS_TOL):
        self.tol = tol
        self.abs_tol = abs_tol
        self.violations: list[Violation] = []

    def add(self, rule: str, where: str, detail: str) -> None:
        """Record one violation."""
        self.violations.append(Violation(rule, where, detail))

    def differ(self, a: float, b: float) -> bool:
        """True when a and b differ by more than max(abs_tol, tol · max(1, |a|, |b|))."""
        return abs(a - b) > max(self.abs_tol, self.tol * max(1.0, abs(a), abs(b)))

    def exceeds(self, lhs: float, rhs: float) -> bool:
        """True when lhs > rhs by more than the tolerance."""
        return lhs - rhs > max(self.abs_tol, self.tol * max(1.0, abs(lhs), abs(rhs)))

    def equal(self, rule: str, where: str, what: str, reported, expected: float, unit: str = "") -> None:
        """Flag a table value that differs from its recomputed value (unreadable cells are skipped)."""
        if reported is not None and self.differ(reported, expected):
            self.add(rule, where, f"{what} {_num(reported)}{unit} in the table, recomputed {_num(expected)}{unit}")

    def at_most(self, rule: str, where: str, what: str, lhs: float, limit_what: str, rhs: float,
                unit: str = "") -> None:
        """Flag lhs > rhs."""
        if self.exceeds(lhs, rhs):
            self._limit_broken(rule, where, what, lhs, ">", limit_what, rhs, unit)

    def at_least(self, rule: str, where: str, what: str, lhs: float, limit_what: str, rhs: float,
                 unit: str = "") -> None:
        """Flag lhs < rhs."""
        if self.exceeds(rhs, lhs):
            self._limit_broken(rule, where, what, lhs, "<", limit_what, rhs, unit)

    def _limit_broken(self, rule: str, where: str, what: str, lhs: float, sign: str, limit_what: str, rhs: float,
                      unit: str) -> None:
        """Record ``what lhs sign limit_what rhs``."""
        self.add(rule, where, f"{what} {_num(lhs)}{unit} {sign} {limit_what} {_num(rhs)}{unit}")


# --------------------------------------------------------------------------------------------
# Reading the tables


@dataclass
class _Table:
    """One result table as typed rows; unreadable cells are None, missing columns are None."""

    name: str
    rows: list[dict]
    usable: bool  # present with all key columns (so absent rows mean "no activity")


def _is_missing(value) -> bool:
    """True for None / NaN / NA cells."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _coerce(value, kind: str):
    """The cell converted to its column type; ValueError if it cannot be."""
    if kind == "level":
        return "" if _is_missing(value) else str(value)
    if _is_missing(value):
        raise ValueError("empty cell")
    if kind == "str":
        return str(value)
    if kind == "bool":
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError("not a boolean")
        x = float(value)
        if abs(x - 1) <= 1e-6:
            return True
        if abs(x) <= 1e-6:
            return False
        raise ValueError("not a boolean")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError("not finite")
    if kind == "int":
        if abs(x - round(x)) > 1e-9:
            raise ValueError("not a whole number")
        return int(round(x))
    return x


def _read_table(name: str, frame, f: _Findings) -> _Table:
    """Check one table's presence and columns, and type its cells."""
    columns = TABLE_COLUMNS[name]
    if not isinstance(frame, pd.DataFrame):
        f.add("missing_table", f"table={name}", "table is missing from the result")
        return _Table(name, [], usable=False)
    missing = [c for c in columns if c not in frame.columns]
    for column in missing:
        f.add("missing_column", f"table={name}", f"column {column} is missing")
    if any(c in missing for c in KEY_COLUMNS[name]):
        return _Table(name, [], usable=False)
    rows = []
    for label, record in zip(frame.index, frame.to_dict("records"), strict=True):
        row: dict[str, object] = {}
        readable = True
        for column, kind in columns.items():
            if column in missing:
                row[column] = None
                continue
            try:
                row[column] = _coerce(record[column], kind)
            except (TypeError, ValueError):
                f.add("bad_value", f"table={name} row={label}",
                      f"column {column}: {record[column]!r} is not a valid {kind}")
                row[column] = None
                readable = readable and column not in KEY_COLUMNS[name]
        if readable:
            rows.append(row)
    return _Table(name, rows, usable=True)


def _read_tables(tables: dict, f: _Findings) -> dict[str, _Table]:
    """Every result table the checker needs, typed."""
    tables = tables or {}
    return {name: _read_table(name, tables.get(name), f) for name in TABLE_COLUMNS}


def _parse_level(text: str) -> list[str]:
    """Programme names of a ';'-joined level ('' is today's technology)."""
    return [part.strip() for part in text.split(";") if part.strip()]
