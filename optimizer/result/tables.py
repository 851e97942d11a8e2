"""The result-table contract: every table's columns, dtypes and units, in one place.

Extraction conforms its frames to it, the file writer and reader use it (so a table read back from
CSV has the dtypes it was written with), the checker and the store read tables through it, and
``tables.md`` (the tables reference) is generated from it: ``python -m reeplan.result.tables``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# dtype names: "int64", "Int64" (an integer that may be missing), "float64", "bool", "str"
PANDAS_DTYPE = {"int64": "int64", "Int64": "Int64", "float64": "float64", "bool": "bool", "str": "str"}


@dataclass(frozen=True)
class Column:
    """One column: its name, dtype, unit ('' for none) and meaning."""

    name: str
    dtype: str
    unit: str = ""
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """One result table: its columns in order and what one row is."""

    name: str
    row: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name -> pandas dtype."""
        return {c.name: PANDAS_DTYPE[c.dtype] for c in self.columns}


def _t(name: str, row: str, *columns: tuple[str, ...]) -> Table:
    return Table(name, row, tuple(Column(*c) for c in columns))


YEAR = ("year", "int64", "year")
TABLES: dict[str, Table] = {t.name: t for t in (
    _t("allocation", "item and year with money committed (> 0)",
       YEAR, ("area", "str", "", "plants, power, logistics, mining, rd"),
       ("item", "str", "", "site, connection, link, deposit or programme"),
       ("kind", "str", "", "module, site_opening, connection, power_expansion, link_upgrade, deposit_expansion, "
                           "programme, committed"),
       ("bn_rub", "float64", "bn RUB", "capital committed")),
    _t("plants", "site × every year (all sites, all years)",
       ("site", "str"), YEAR, ("opened", "bool", "", "site opened in this year"),
       ("modules_started", "int64", "modules"), ("modules_online", "int64", "modules"),
       ("capacity_t", "float64", "t/yr", "feed capacity"), ("feed_t", "float64", "t", "concentrate refined"),
       ("jobs", "float64", "jobs", "jobs_per_module × new modules online")),
    _t("flows", "link × ship year with t > 0",
       ("link", "str"), ("deposit", "str"), ("site", "str"), ("mode", "str", "", "rail, river, road, winter_road, ..."),
       ("ship_year", "int64", "year"), ("arrival_year", "int64", "year"), ("t", "float64", "t", "concentrate shipped")),
    _t("power", "connection × year with gwh > 0",
       ("connection", "str"), ("source", "str"), ("site", "str"), YEAR, ("gwh", "float64", "GWh")),
    _t("projects", "project started",
       ("project", "str"), ("kind", "str", "", "connection, power_expansion, link_upgrade, deposit_expansion, programme"),
       ("area", "str"), ("start_year", "int64", "year"), ("ready_year", "int64", "year", "first year of its effect"),
       ("capex_bn_rub", "float64", "bn RUB")),
    _t("rd", "programme started",
       ("programme", "str"), ("start_year", "int64", "year"), ("completion_year", "int64", "year"),
       ("cost_bn_rub", "float64", "bn RUB")),
    _t("output", "every year",
       YEAR, ("feed_t", "float64", "t"), ("reo_t", "float64", "t", "rare-earth oxide"),
       ("hpo_t", "float64", "t", "high-purity oxide"), ("recovery", "float64", "fraction"),
       ("hp_share", "float64", "fraction", "high-purity share of the oxide"),
       ("level", "str", "", "programmes of the technology level used, ';'-joined, '' for today's"),
       ("capex_bn_rub", "float64", "bn RUB"), ("opex_bn_rub", "float64", "bn RUB"),
       ("spend_bn_rub", "float64", "bn RUB", "counted against the budget"), ("jobs", "float64", "jobs")),
    _t("constraints", "budget and policy rule in the model",
       ("rule", "str"), ("year", "Int64", "year", "missing for a whole-horizon rule"), ("lhs", "float64"),
       ("rhs", "float64"), ("slack", "float64", "", ">= 0 when satisfied"), ("binding", "bool"),
       ("marginal", "float64", "objective per unit of rhs", "LP dual with the integers fixed")),
    _t("marginals", "budget or policy rule relaxed by one step and re-solved",
       ("rule", "str"), ("year", "Int64", "year"), ("limit", "str"), ("used", "float64"), ("step", "float64"),
       ("unit", "str"), ("objective_after", "float64"), ("gain", "float64"), ("gain_unit", "str"),
       ("gain_per_unit", "float64"), ("lp_dual", "float64")),
    _t("limits", "relaxation of 'why not more?', best first",
       ("rank", "int64"), ("limit", "str"), ("relaxation", "str"), ("gain", "float64"), ("gain_unit", "str"),
       ("detail", "str")),
    _t("targets", "policy target",
       ("rule", "str"), YEAR, ("enforced", "bool"), ("target", "float64", "unit column"),
       ("achieved", "float64", "unit column"), ("shortfall", "float64", "unit column"), ("unit", "str"),
       ("note", "str")),
    _t("diagnosis", "rule that must give for the instance to become feasible",
       ("rule", "str"), ("year", "Int64", "year"), ("required", "float64", "unit column"),
       ("reachable", "float64", "unit column"), ("gives_by", "float64", "unit column"), ("unit", "str"),
       ("relative", "float64", "fraction"), ("message", "str")),
)}
TABLE_FILES = set(TABLES)  # the CSV files a written result may hold

# Solver noise. HiGHS meets rows within its feasibility tolerance (1e-7, on scaled rows) and accepts
# integers within 1e-6, so the values of a plan carry residue: 29159.999970839996 t, 4.85e-05 t, -0.0.
# Every float column is cleaned once, when extraction conforms it to this contract: a value below
# ZERO_BELOW of its unit (default ZERO_BELOW_OTHER) becomes 0, and every value keeps SIGNIFICANT_DIGITS
# significant digits. Tonnes and GWh: 1e-4 is the independent checker's absolute tolerance
# (reeplan.check), so a cleaned plan checks as the raw one does. Cleaning is idempotent: reading a
# written table back conforms it again and changes nothing.
SIGNIFICANT_DIGITS = 9
ZERO_BELOW = {"t": 1e-4, "t/yr": 1e-4, "GWh": 1e-4, "bn RUB": 1e-6, "jobs": 1e-4, "modules": 1e-4}
ZERO_BELOW_OTHER = 1e-9


def clean_solver_noise(values, unit: str = "") -> np.ndarray:
    """``values`` (float) with solver residue removed: zero below ``ZERO_BELOW[unit]``, ``SIGNIFICANT_DIGITS``
    significant digits, no negative zero; NaN and infinities kept."""
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    finite = np.isfinite(x) & (x != 0)
    size = np.abs(x[finite])
    exponent = np.floor(np.log10(size))
    scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - exponent)
    out[finite] = np.round(x[finite] * scale) / scale
    out[np.isfinite(x) & (np.abs(x) < ZERO_BELOW.get(unit, ZERO_BELOW_OTHER))] = 0.0
    return out + 0.0  # -0.0 -> 0.0


def conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the contract's columns, in order, with the contract's dtypes (missing text becomes '') and
    float columns cleaned of solver noise (``clean_solver_noise``)."""
    table = TABLES[name]
    missing = [c for c in table.names if c not in df.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks columns {missing}")
    out = df[table.names].copy()
    for col in table.columns:
        if col.dtype == "str":
            out[col.name] = out[col.name].fillna("").astype(str)
        elif col.dtype == "int64" and out[col.name].dtype.kind == "f":
            out[col.name] = out[col.name].round().astype("int64")
        elif col.dtype == "Int64":
            out[col.name] = pd.to_numeric(out[col.name], errors="coerce").round().astype("Int64")
        elif col.dtype == "float64":
            out[col.name] = clean_solver_noise(pd.to_numeric(out[col.name], errors="coerce"), col.unit)
        else:
            out[col.name] = out[col.name].astype(PANDAS_DTYPE[col.dtype])
    return out


def read_table_csv(name: str, path: str | Path) -> pd.DataFrame:
    """A table written by ``Result.write``, with the contract's dtypes (an empty text cell is '', not NaN)."""
    table = TABLES[name]
    df = pd.read_csv(path, keep_default_na=False, na_values={c.name: [""] for c in table.columns if c.dtype != "str"})
    return conform(name, df) if set(table.names) <= set(df.columns) else df


def tables_markdown() -> str:
    """The tables reference (``tables.md``), generated from TABLES."""
    lines = ["# Result tables", "",
             "Generated from `optimizer/result/tables.py` (`python -m reeplan.result.tables > "
             "optimizer/result/tables.md`); a test checks that this file is current. Extraction, the file",
             "writer and reader, the checker and the run store all use that contract. Money bn RUB, material t",
             "REO (oxide content), energy GWh, time calendar years. Dtypes are pandas dtypes: `Int64` is an",
             "integer that may be missing; `str` text is never missing (an empty cell is '').", "",
             f"Solver noise is cleaned once, at extraction: every float keeps {SIGNIFICANT_DIGITS} significant "
             "digits, and a value below", "the threshold of its unit is 0 ("
             + ", ".join(f"{u}: {v:g}" for u, v in ZERO_BELOW.items()) + f"; other units: {ZERO_BELOW_OTHER:g}).",
             ""]
    for table in TABLES.values():
        lines += [f"## `{table.name}`: one row per {table.row}", "", "| column | dtype | unit | meaning |",
                  "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {c.dtype} | {c.unit} | {c.doc} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(tables_markdown())
