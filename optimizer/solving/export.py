"""Write the exact model (as reeplan would solve it, stage 1) as MPS or LP for any other solver.

The MPS file is written in a *safe* form that every MPS reader tried accepts (HiGHS, SCIP, CBC 2.10,
GLPK 5.0, OR-Tools, CPLEX, Gurobi, Xpress): free MPS, short names (columns ``C0, C1, ...``, rows
``R0, R1, ...``, objective ``OBJ``), no ``OBJSENSE`` section (a maximisation is written negated, as a
minimisation), explicit bounds on every integer column, no objective constant (it is kept in the name
map). Reeplan's own names run to 169 characters and crash CBC's reader; GLPK rejects ``OBJSENSE``.
Beside ``model.mps`` the name map ``model.names.csv`` gives, per file name, the model's name
(``kind,mps_name,model_name,sign,offset``); its ``objective`` row says how the file's objective maps
back: ``model objective = sign * file objective + offset``.

Only stage 1 is written: for a lexicographic objective chain, the primary objective (the tie-break
stages are re-solves with the primary held at its optimum, which a file cannot express).
``form="pyomo"`` writes Pyomo's own MPS instead (the model's full names, ``OBJSENSE``), as before.
The LP format is Pyomo's writer with the model's names.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from reeplan.errors import UsageError
from reeplan.instance.schema import Instance
from reeplan.models.components.objective import stage1_only
from reeplan.models.investment import build_model

FORMS = ("safe", "pyomo")
_MARKER = "    MARKER                 'MARKER'                 {}"


@dataclass
class MpsExport:
    """What ``write_mps`` wrote: the file, its name map, and how the file's objective maps back to the model's."""

    path: Path
    names_path: Path | None
    columns: list  # Pyomo VarData per file column C0, C1, ...
    rows: list  # Pyomo ConstraintData per file row R0, R1, ...
    sign: float = 1.0  # model objective = sign * file objective + offset
    offset: float = 0.0
    objective_name: str = ""
    maximize: bool = False
    integers: int = 0
    notes: list[str] = field(default_factory=list)

    def model_objective(self, file_objective: float | None) -> float | None:
        """The model's objective value for a value of the file's objective (None stays None)."""
        if file_objective is None or not math.isfinite(file_objective):
            return file_objective
        return self.sign * file_objective + self.offset


def _num(x: float) -> str:
    """A number as MPS text: at most 12 characters where that is exact (fixed MPS's field width), else repr."""
    x = float(x)
    if x == int(x) and abs(x) < 1e11:
        return str(int(x))
    for digits in (12, 11, 10, 9, 8, 7):
        text = f"{x:.{digits}g}"
        if len(text) <= 12 and float(text) == x:
            return text
    return repr(x)


def _card(f1: str, f2: str, f3: str = "", f4: str = "") -> str:
    """One MPS line with its fields at fixed MPS's columns (2-3, 5-12, 15-22, 25-36), also valid free MPS.

    CBC 2.10 decides per line whether it is fixed or free format and misreads short unaligned lines;
    aligned fields read the same either way. Names are at most 8 characters (``C123``, ``R45``)."""
    line = f" {f1:<2} {f2:<8}  {f3:<8}  {f4}" if f3 or f4 else f" {f1:<2} {f2}"
    return line.rstrip()


def write_mps(m, path: str | Path, *, names: bool = True, header: str = "") -> MpsExport:
    """Write the Pyomo model ``m`` (one active, linear objective) as safe free MPS (module docstring).

    Inactive constraints are left out; fixed variables are columns with an ``FX`` bound. ``names``:
    also write the name map CSV beside the file. Returns the columns and rows in file order."""
    from reeplan.solving.compile import compile_model  # defers pyomo

    path = Path(path)
    lin, _ = compile_model(m)
    active_objs = [o for o in lin.objectives if o.component.active]
    if len(active_objs) != 1:
        raise UsageError(f"the model has {len(active_objs)} active objectives; an MPS file holds one")
    obj = active_objs[0]
    sign = -1.0 if obj.maximize else 1.0  # the file always minimises: a maximisation is negated
    cost = np.zeros(len(lin.columns))
    np.add.at(cost, obj.index, obj.value)
    keep = [r for r in range(len(lin.constraints)) if lin.active[r]
            and not (math.isinf(lin.rows.lower[r]) and math.isinf(lin.rows.upper[r]))]
    rows = lin.rows
    # column-wise entries: (row in file, coefficient) per column
    col_entries: list[list[tuple[int, float]]] = [[] for _ in lin.columns]
    for k, r in enumerate(keep):
        for j, a in zip(rows.index[rows.start[r]:rows.start[r + 1]].tolist(),
                        rows.value[rows.start[r]:rows.start[r + 1]].tolist()):
            col_entries[j].append((k, a))
    lines: list[str] = []
    for text in header.splitlines():
        lines.append(f"* {text}")
    lines += [f"* objective {obj.component.name}: {'maximised' if obj.maximize else 'minimised'} in the model; "
              f"this file minimises {'its negation' if obj.maximize else 'it'}"
              + (f" (constant {_num(obj.offset)} left out)" if obj.offset else ""),
              f"* model objective = {_num(sign)} * file objective + {_num(obj.offset)}",
              "NAME          REEPLAN", "ROWS", _card("N", "OBJ")]
    rhs: list[str] = []
    ranges: list[str] = []
    for k, r in enumerate(keep):
        lo, up = float(rows.lower[r]), float(rows.upper[r])
        if lo == up:
            kind, value = "E", lo
        elif math.isinf(lo):
            kind, value = "L", up
        elif math.isinf(up):
            kind, value = "G", lo
        else:  # ranged: an L row with range up - lo
            kind, value = "L", up
            ranges.append(_card("", "RNG", f"R{k}", _num(up - lo)))
        lines.append(_card(kind, f"R{k}"))
        if value != 0:
            rhs.append(_card("", "RHS", f"R{k}", _num(value)))
    lines.append("COLUMNS")
    in_int = False
    n_int = 0
    for j in range(len(lin.columns)):
        integer = bool(lin.integer[j])
        if integer != in_int:
            lines.append(_MARKER.format("'INTORG'" if integer else "'INTEND'"))
            in_int = integer
        n_int += integer
        c = sign * float(cost[j])
        entries = ([("OBJ", c)] if c != 0 else []) + [(f"R{k}", a) for k, a in col_entries[j]]
        if not entries:  # a column in no row and not in the objective: still declared
            entries = [("OBJ", 0.0)]
        for name, a in entries:
            lines.append(_card("", f"C{j}", name, _num(a)))
    if in_int:
        lines.append(_MARKER.format("'INTEND'"))
    lines.append("RHS")
    lines += rhs
    if ranges:
        lines.append("RANGES")
        lines += ranges
    lines.append("BOUNDS")
    for j in range(len(lin.columns)):
        lo, up, integer = float(lin.col_lower[j]), float(lin.col_upper[j]), bool(lin.integer[j])
        if lo == up:
            lines.append(_card("FX", "BND", f"C{j}", _num(lo)))
            continue
        if math.isinf(lo) and math.isinf(up):
            lines.append(_card("FR", "BND", f"C{j}"))
            continue
        if math.isinf(lo):
            lines.append(_card("MI", "BND", f"C{j}"))
        elif lo != 0 or integer:
            lines.append(_card("LO", "BND", f"C{j}", _num(lo)))
        if math.isinf(up):
            if integer:  # some readers give an integer column without bounds an upper bound of 1
                lines.append(_card("PL", "BND", f"C{j}"))
        else:
            lines.append(_card("UP", "BND", f"C{j}", _num(up)))
    lines.append("ENDATA")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
    constraints = [lin.constraints[r] for r in keep]
    out = MpsExport(path, None, list(lin.columns), constraints, sign, float(obj.offset), obj.component.name,
                    obj.maximize, n_int)
    if names:
        out.names_path = names_path(path)
        tmp = out.names_path.with_name(f".{out.names_path.name}.partial")
        with tmp.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["kind", "mps_name", "model_name", "sign", "offset"])
            w.writerow(["objective", "OBJ", obj.component.name, _num(sign), _num(obj.offset)])
            for j, v in enumerate(lin.columns):
                w.writerow(["column", f"C{j}", v.name, "", ""])
            for k, c in enumerate(constraints):
                w.writerow(["row", f"R{k}", c.name, "", ""])
        tmp.replace(out.names_path)
    return out


def names_path(mps_path: str | Path) -> Path:
    """The name map beside an exported MPS file: ``model.mps`` -> ``model.names.csv``."""
    p = Path(mps_path)
    return p.with_name(f"{p.name[:-4] if p.name.lower().endswith('.mps') else p.name}.names.csv")


def read_name_map(path: str | Path) -> dict:
    """The name map as {"objective": {...}, "columns": {mps_name: model_name}, "rows": {...}}."""
    out: dict = {"objective": {}, "columns": {}, "rows": {}}
    with Path(path).open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] == "objective":
                out["objective"] = {"name": row["model_name"], "sign": float(row["sign"]), "offset": float(row["offset"])}
            else:
                out[f"{row['kind']}s"][row["mps_name"]] = row["model_name"]
    return out


def export_model(instance: Instance, path: str | Path, objective: str = "max-hpo", *, form: str = "safe") -> Path:
    """Write the stage-1 model to ``path``; the format follows the suffix (.mps or .lp).

    MPS: ``form="safe"`` (default; module docstring) writes short names, a minimisation and the name
    map ``<stem>.names.csv`` beside the file; ``form="pyomo"`` Pyomo's writer with the model's names."""
    path = Path(path)
    if path.suffix.lower() not in {".mps", ".lp"}:
        raise UsageError(f"cannot tell the format of {path}: use a .mps or .lp file name")
    if form not in FORMS:
        raise UsageError(f"unknown MPS form {form!r}; choose one of: {', '.join(FORMS)}")
    m = build_model(instance, objective)
    stage1_only(m)  # the file is exactly the stage-1 model (the primary objective of a chain)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".mps" and form == "safe":
        write_mps(m, path, header=f"reeplan export: {instance.name}, objective {objective}, stage 1")
        return path
    import pyomo.environ  # noqa: F401  # defers pyomo.environ: registers Pyomo's file writers (the solve path needs only pyomo.core)

    tmp = path.with_name(f".{path.stem}-partial{path.suffix}")
    m.write(str(tmp), format=path.suffix.lower()[1:], io_options={"symbolic_solver_labels": True})
    tmp.replace(path)
    return path
