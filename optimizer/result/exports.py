"""Typed exports of a ``Result``: Parquet, netCDF (an ``xarray.Dataset``) and one Excel workbook, each read back
equal (dtypes included: the table contract of ``reeplan.result.tables`` restores them).

- **Parquet**: one ``<table>.parquet`` per table (written by ``Result.write`` beside the CSVs, by default).
- **netCDF** (``result.nc``): ``to_xarray`` makes one ``xarray.Dataset``. Tables on a full grid become variables
  on real dimensions (``plants_feed_t(site, year)``, ``output_hpo_t(year)``); every other table keeps its rows on
  a dimension named after it (``flows``, ``allocation``...) with one variable per column (``flows__t``). Derived
  cubes for analysis sit beside them (``shipped_t(deposit, site, year)``, ``power_gwh(source, site, year)``,
  ``committed_bn_rub(area, year)``); the reader ignores those. Every variable has its ``units`` attribute, the
  Dataset the result's summary (``summary_json``) and the headline KPIs as attributes.
- **Excel** (``result.xlsx``): a ``kpis`` sheet (figure, value, unit), one sheet per table, and a ``_summary``
  sheet holding summary.json in chunks (so the reader restores the whole ``Result``).

The optional engines are imported lazily: xarray with h5netcdf (or netCDF4) for netCDF, openpyxl for Excel;
pyarrow (a core dependency) for Parquet. ``pip install reeplan[export]`` installs the optional ones.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from reeplan.errors import UsageError
from reeplan.result.folders import write_new_file
from reeplan.result.tables import TABLES, conform

# This module does not import reeplan.result.result (which imports it): its writers take a ``Result`` (any object
# with ``tables``, ``targets``, ``diagnosis`` and ``summary()``), its readers return (summary, frames), and
# reeplan.result.result turns those into a ``Result`` (``read_netcdf``, ``read_excel``, ``read_parquet_result``).
Result = Any
Read = tuple[dict, dict[str, pd.DataFrame]]  # (summary.json's content, tables by name)

FORMATS = ("csv", "parquet", "netcdf", "excel")  # what ``Result.write(formats=...)`` and ``--format`` know
DEFAULT_FORMATS = ("csv", "parquet")
NETCDF_FILE = "result.nc"
EXCEL_FILE = "result.xlsx"
KPI_SHEET = "kpis"
SUMMARY_SHEET = "_summary"
_CHUNK = 30_000  # characters of summary JSON per Excel cell (a cell holds at most 32,767)

# tables stored on real dimensions in netCDF: name -> its key columns (a full grid, in this order)
GRID_TABLES = {"plants": ("site", "year"), "output": ("year",)}
KPI_UNITS = {"objective": "objective unit", "hpo_t": "t", "reo_t": "t", "cumulative_hpo_t": "t",
             "spend_bn_rub": "bn RUB", "committed_capex_bn_rub": "bn RUB", "new_capex_bn_rub": "bn RUB",
             "total_cost_bn_rub": "bn RUB", "new_plants_online": "plants", "jobs": "jobs"}


def parse_formats(text: str | None) -> tuple[str, ...]:
    """``--format netcdf,excel`` -> the formats to write: always CSV and Parquet, plus those named."""
    names = [t.strip().lower() for t in (text or "").split(",") if t.strip()]
    aliases = {"nc": "netcdf", "xlsx": "excel", "xls": "excel", "pq": "parquet"}
    names = [aliases.get(n, n) for n in names]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UsageError(f"--format {text!r}: unknown format(s) {', '.join(unknown)}; known: {', '.join(FORMATS)}")
    return tuple(dict.fromkeys([*DEFAULT_FORMATS, *names]))


def result_frames(result: Result) -> dict[str, pd.DataFrame]:
    """Every table of ``result`` (its plan tables, targets and diagnosis), by name."""
    frames = dict(result.tables)
    if result.targets is not None:
        frames["targets"] = result.targets
    if result.diagnosis is not None:
        frames["diagnosis"] = result.diagnosis
    return frames


def _conformed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    if name in TABLES and set(TABLES[name].names) <= set(df.columns):
        return conform(name, df).reset_index(drop=True)
    return df.reset_index(drop=True)


def finish(summary: dict, frames: dict[str, pd.DataFrame]) -> Read:
    """(summary, frames with the contract's dtypes)."""
    return summary, {n: _conformed(n, df) for n, df in frames.items()}


# ------------------------------------------------------------------------------------------ Parquet


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """One table as Parquet (pyarrow), without the index."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def read_table_parquet(name: str, path: str | Path) -> pd.DataFrame:
    """A table written as Parquet, with the contract's dtypes."""
    return _conformed(name, pd.read_parquet(path, engine="pyarrow"))


def read_parquet(folder: str | Path) -> Read:
    """A result folder read from its Parquet tables (and summary.json)."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    frames = {name: read_table_parquet(name, folder / f"{name}.parquet") for name in TABLES
              if (folder / f"{name}.parquet").is_file()}
    return finish(summary, frames)


def write_tables(folder: str | Path, frames: dict[str, pd.DataFrame], formats=DEFAULT_FORMATS) -> list[Path]:
    """Write any tables (a comparison's, a sweep's) as ``<name>.csv`` and ``<name>.parquet`` into ``folder``, each
    file atomically (a random temporary name, then a rename); return the paths. For commands whose outputs are
    not a ``Result`` but should still come out typed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in frames.items():
        if "csv" in formats:
            paths.append(write_new_file(folder / f"{name}.csv", df.to_csv(index=False), replace=True))
        if "parquet" in formats:
            paths.append(write_new_file(folder / f"{name}.parquet", parquet_bytes(_one_type_per_column(df)),
                                        replace=True))
    return paths


def _one_type_per_column(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every object column that mixes kinds of value (a comparison's KPI column holds numbers and
    text) turned to text, missing values kept: Parquet holds one type per column. ``attrs`` (a sweep's run
    statistics) are not written."""
    mixed = [c for c in df.columns if df[c].dtype == object
             and len({type(v) for v in df[c].dropna().tolist()}) > 1]
    out = df.copy(deep=bool(mixed))
    out.attrs = {}
    for c in mixed:
        out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    return out


# ------------------------------------------------------------------------------------------ xarray / netCDF


def _is_grid(df: pd.DataFrame, keys: tuple[str, ...]) -> bool:
    """Whether ``df`` holds every combination of its key values exactly once, in key-major order."""
    if df.empty:
        return False
    levels = [list(dict.fromkeys(df[k])) for k in keys]
    full = pd.MultiIndex.from_product(levels, names=list(keys)).to_frame(index=False)
    return len(full) == len(df) and all((full[k].to_numpy() == df[k].to_numpy()).all() for k in keys)


def _values(series: pd.Series):
    """A column as a numpy array netCDF can hold (text as objects, a nullable integer as float with NaN)."""
    if str(series.dtype) == "Int64":
        return series.astype("float64").to_numpy()
    if series.dtype == bool:
        return series.to_numpy(dtype=bool)
    if series.dtype.kind in "if":
        return series.to_numpy()
    return series.astype(object).to_numpy()


def to_xarray(result: Result):
    """The result as one ``xarray.Dataset`` (see the module docstring for its layout)."""
    import numpy as np  # defers numpy
    import xarray as xr  # defers xarray

    ds = xr.Dataset()
    frames = result_frames(result)
    stored: dict[str, str] = {}
    for name, df in frames.items():
        table = TABLES.get(name)
        units = {c.name: c.unit for c in table.columns} if table else {}
        docs = {c.name: c.doc for c in table.columns} if table else {}
        keys = GRID_TABLES.get(name)
        if keys and _is_grid(df, keys):
            coords = {k: list(dict.fromkeys(df[k])) for k in keys}
            shape = tuple(len(v) for v in coords.values())
            for k, v in coords.items():
                ds.coords[k] = np.asarray(v, dtype=object if df[k].dtype.kind not in "iu" else "int64")
                ds.coords[k].attrs["units"] = units.get(k, "")
            for col in df.columns:
                if col in keys:
                    continue
                ds[f"{name}_{col}"] = (keys, _values(df[col]).reshape(shape),
                                       {"units": units.get(col, ""), "long_name": docs.get(col, "") or col,
                                        "table": name, "column": col})
            stored[name] = "grid:" + ",".join(keys)
        else:
            dim = name
            ds.coords[dim] = np.arange(len(df), dtype="int64")
            for col in df.columns:
                ds[f"{name}__{col}"] = ((dim,), _values(df[col]),
                                        {"units": units.get(col, ""), "long_name": docs.get(col, "") or col,
                                         "table": name, "column": col})
            stored[name] = "rows"
    _derived(ds, frames)
    summary = result.summary()
    ds.attrs.update({
        "title": f"reeplan result: {result.instance_name}", "instance": result.instance_name,
        "objective_name": result.objective_name, "status": result.status.value, "has_plan": int(result.has_plan),
        "tables_json": json.dumps(stored), "summary_json": json.dumps(summary),
        "conventions": "money bn RUB, material t REO, energy GWh, time calendar years (see tables.md)",
    })
    for key, unit in KPI_UNITS.items():
        value = summary.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ds.attrs[f"kpi_{key}"] = float(value)
            ds.attrs[f"kpi_{key}_units"] = unit
    return ds


def _on_sites(ds, cube):
    """``cube`` on the dataset's own ``site`` coordinate (every site of the plan), 0 where nothing flows: assigned
    as is, xarray would align it to that coordinate and show NaN for a site without flows."""
    if "site" in ds.coords and "site" in cube.dims:
        cube = cube.reindex(site=ds["site"].values, fill_value=0.0)
    return cube


def _derived(ds, frames: dict[str, pd.DataFrame]) -> None:
    """Cubes on the plan's real dimensions (deposit, site, source, area, year), for analysis."""
    flows = frames.get("flows")
    if flows is not None and not flows.empty:
        cube = flows.groupby(["deposit", "site", "ship_year"])["t"].sum().to_xarray().fillna(0.0)
        ds["shipped_t"] = _on_sites(ds, cube).astype("float64")
        ds["shipped_t"].attrs = {"units": "t", "long_name": "concentrate shipped, deposit -> site, by ship year",
                                 "derived": 1}
    power = frames.get("power")
    if power is not None and not power.empty:
        cube = power.groupby(["source", "site", "year"])["gwh"].sum().to_xarray().fillna(0.0)
        ds["power_gwh"] = _on_sites(ds, cube.rename(year="power_year"))
        ds["power_gwh"].attrs = {"units": "GWh", "long_name": "energy delivered, source -> site", "derived": 1}
    alloc = frames.get("allocation")
    if alloc is not None and not alloc.empty:
        cube = alloc.groupby(["area", "year"])["bn_rub"].sum().to_xarray().fillna(0.0)
        ds["committed_bn_rub"] = cube.rename(year="money_year")  # renamed first: no alignment to the plan's years
        ds["committed_bn_rub"].attrs = {"units": "bn RUB", "long_name": "capital committed by area and year",
                                        "derived": 1}


def from_xarray(ds) -> Read:
    """The ``Result`` a Dataset made by ``to_xarray`` (or read from its netCDF file) holds."""
    stored = json.loads(ds.attrs["tables_json"])
    frames = {}
    for name, how in stored.items():
        table = TABLES.get(name)
        if how == "rows":
            cols = [v for v in ds.data_vars if v.startswith(f"{name}__")]
            data = {ds[v].attrs.get("column", v.split("__", 1)[1]): ds[v].values for v in cols}
            df = pd.DataFrame(data, index=range(ds.sizes.get(name, 0)))
        else:
            keys = how.split(":", 1)[1].split(",")
            cols = [v for v in ds.data_vars if ds[v].attrs.get("table") == name and not ds[v].attrs.get("derived")]
            index = pd.MultiIndex.from_product([list(ds[k].values) for k in keys], names=keys)
            data = {ds[v].attrs["column"]: ds[v].transpose(*keys).values.reshape(-1) for v in cols}
            df = pd.DataFrame(data, index=index).reset_index()
        if table is not None:
            order = [c for c in table.names if c in df.columns]
            df = df[order + [c for c in df.columns if c not in order]]
        frames[name] = df
    return finish(json.loads(ds.attrs["summary_json"]), frames)


def _netcdf_engine() -> str:
    for engine, module in (("h5netcdf", "h5netcdf"), ("netcdf4", "netCDF4")):
        try:
            __import__(module)
        except ImportError:
            continue
        return engine
    raise UsageError("netCDF needs h5netcdf or netCDF4: pip install 'reeplan[export]'")


def netcdf_bytes(result: Result) -> bytes:
    """The result as a netCDF-4 file's bytes."""
    ds = to_xarray(result)
    encoding = {}
    for name, var in ds.variables.items():
        if var.dtype == object:
            encoding[name] = {"dtype": str}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NETCDF_FILE
        ds.to_netcdf(path, engine=_netcdf_engine(), encoding=encoding)
        return path.read_bytes()


def read_netcdf(path: str | Path) -> Read:
    """A ``Result`` from a netCDF file written by ``Result.to_netcdf`` / ``--format netcdf``."""
    import xarray as xr  # defers xarray

    with xr.open_dataset(path, engine=_netcdf_engine()) as ds:
        return from_xarray(ds.load())


# ------------------------------------------------------------------------------------------ Excel


def _kpi_rows(summary: dict) -> list[dict[str, Any]]:
    rows = [{"figure": "status", "value": summary.get("status"), "unit": ""},
            {"figure": "objective_name", "value": summary.get("objective_name"), "unit": ""}]
    for key, unit in KPI_UNITS.items():
        rows.append({"figure": key, "value": summary.get(key), "unit": unit})
    for area, value in (summary.get("spend_by_area_bn_rub") or {}).items():
        rows.append({"figure": f"spend_{area}", "value": value, "unit": "bn RUB"})
    rows.append({"figure": "mip_gap", "value": summary.get("mip_gap"), "unit": "fraction"})
    return rows


def excel_bytes(result: Result) -> bytes:
    """The result as one Excel workbook: a KPI sheet, one sheet per table, the summary (for the reader)."""
    try:
        import openpyxl  # noqa: F401 - the engine pandas uses
    except ImportError:
        raise UsageError("Excel needs openpyxl: pip install 'reeplan[export]'") from None
    summary = result.summary()
    text = json.dumps(summary)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        kpis = pd.DataFrame(_kpi_rows(summary), columns=["figure", "value", "unit"])
        kpis["value"] = kpis["value"].astype(object)
        kpis.to_excel(writer, sheet_name=KPI_SHEET, index=False)
        for name, df in result_frames(result).items():
            out = df.copy()
            for col in out.columns:
                if str(out[col].dtype) == "Int64":
                    out[col] = out[col].astype(object).where(out[col].notna(), None)
            out.to_excel(writer, sheet_name=name[:31], index=False)
        chunks = [text[i:i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]
        pd.DataFrame({"summary_json": chunks}).to_excel(writer, sheet_name=SUMMARY_SHEET, index=False)
        writer.book[SUMMARY_SHEET].sheet_state = "hidden"
        for sheet in writer.book.worksheets:
            sheet.freeze_panes = "A2"
    return buf.getvalue()


def read_excel(path: str | Path) -> Read:
    """A ``Result`` from a workbook written by ``Result.to_excel`` / ``--format excel`` (types from the contract)."""
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", keep_default_na=False,
                           na_values={})
    summary = json.loads("".join(str(c) for c in sheets.pop(SUMMARY_SHEET)["summary_json"]))
    sheets.pop(KPI_SHEET, None)
    frames = {}
    for name, df in sheets.items():
        table = TABLES.get(name)
        if table is not None:
            for col in table.columns:
                if col.name in df.columns and col.dtype != "str":
                    df[col.name] = df[col.name].replace("", None)
                    if col.dtype == "bool":
                        df[col.name] = df[col.name].astype(bool)
                    else:
                        df[col.name] = pd.to_numeric(df[col.name])
        frames[name] = df
    return finish(summary, frames)
