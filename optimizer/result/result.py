"""``Result``: why the solver stopped, whether a plan exists, KPIs and pandas tables; writers."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd
import yaml
from reeplan.instance.schema import INVESTMENT_AREAS
from reeplan.result import exports
from reeplan.result.display import result_html
from reeplan.result.folders import write_folder, write_new_file
from reeplan.result.tables import TABLE_FILES, TABLES, read_table_csv


class Status(str, Enum):
    """Why the solve stopped (termination), independent of whether a plan exists."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INTERRUPTED = "interrupted"  # Ctrl-C: the best plan found so far is kept
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


AREA_KEYS = INVESTMENT_AREAS  # the allocation table's areas, in order
INSTANCE_FILE = "instance.yaml"
# every file name Result.write may write: on a rewrite, the ones it does not write again are dropped as stale
LOG_FILE = "reeplan.log"  # the run's log (reeplan.logs), written into --out with the result
RESULT_FILES = frozenset({"summary.json", INSTANCE_FILE, LOG_FILE, "result.nc", "result.xlsx",
                          *(f"{name}.csv" for name in TABLE_FILES), *(f"{name}.parquet" for name in TABLE_FILES)})

# the KPIs summary.json holds at its top level (as Kpis fields of the same names)
KPI_KEYS = ("hpo_t", "reo_t", "cumulative_hpo_t", "spend_bn_rub", "spend_by_area_bn_rub", "committed_capex_bn_rub",
            "new_capex_bn_rub", "total_cost_bn_rub", "new_plants_online", "jobs")

T = TypeVar("T")


class _Figure(Generic[T]):
    """One KPI as a typed attribute of ``Kpis``: ``kpis.hpo_t`` is ``kpis.get("hpo_t")``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Kpis | None, objtype: type | None = None) -> T | None:
        if obj is None:
            return self  # type: ignore[return-value]  # the descriptor itself, on the class
        return obj.get(self.name)

    def __set__(self, obj: Kpis, value: T | None) -> None:
        obj[self.name] = value


class Kpis(dict[str, Any]):
    """Headline figures of a plan (target year unless the name says otherwise).

    A dict (JSON-ready, ``kpis["hpo_t"]``, ``.get``) whose known figures are also typed attributes
    (``result.kpis.hpo_t``, tab completion); commands may add more keys (``"robust"``, stress summaries)."""

    objective: _Figure[float] = _Figure()
    hpo_t: _Figure[float] = _Figure()  # t HPO in the target year
    reo_t: _Figure[float] = _Figure()  # t REO in the target year
    cumulative_hpo_t: _Figure[float] = _Figure()  # t HPO over the horizon
    spend_bn_rub: _Figure[float] = _Figure()  # counted against the budget, whole horizon
    spend_by_area_bn_rub: _Figure[dict[str, float]] = _Figure()  # capex by investment area
    committed_capex_bn_rub: _Figure[float] = _Figure()  # capital of projects already under way
    new_capex_bn_rub: _Figure[float] = _Figure()  # capital the plan decides
    total_cost_bn_rub: _Figure[float] = _Figure()  # capex + opex, whole horizon
    new_plants_online: _Figure[int] = _Figure()  # new sites online in the target year
    jobs: _Figure[float] = _Figure()  # new jobs in the target year
    marginals: _Figure[dict[str, float]] = _Figure()  # LP duals of the budget rules (t HPO per bn RUB)


class _TableAttribute:
    """``result.plants`` is ``result.tables["plants"]``: a real attribute (tab completion, types)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Result | None, objtype: type | None = None) -> pd.DataFrame:
        if obj is None:
            return self  # the descriptor itself, on the class (pandas is untyped for mypy here)
        try:
            return obj.tables[self.name]
        except KeyError:
            raise AttributeError(f"this result has no {self.name!r} table (it has: "
                                 f"{', '.join(obj.tables) or 'none'})") from None


@dataclass
class Result:
    """Outcome of one solve. ``status`` says why it stopped; ``has_plan`` whether tables hold a plan."""

    instance_name: str
    objective_name: str
    status: Status
    has_plan: bool
    objective: float | None = None
    best_bound: float | None = None
    mip_gap: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    kpis: Kpis = field(default_factory=Kpis)
    targets: pd.DataFrame | None = None
    diagnosis: pd.DataFrame | None = None
    solver: dict = field(default_factory=dict)
    instance_sha256: str = ""
    message: str = ""
    nodes: int | None = None
    tie_break: str = ""
    chain: list[dict] = field(default_factory=list)  # one row per stage of the objective chain
    check_violations: list[str] = field(default_factory=list)  # what the independent checker found (none: passed)

    # the tables of a plan as attributes (see tables.md); ``targets`` and ``diagnosis`` are fields
    allocation = _TableAttribute()
    plants = _TableAttribute()
    flows = _TableAttribute()
    power = _TableAttribute()
    projects = _TableAttribute()
    rd = _TableAttribute()
    output = _TableAttribute()
    constraints = _TableAttribute()
    marginals = _TableAttribute()
    limits = _TableAttribute()

    def __post_init__(self) -> None:
        if not isinstance(self.kpis, Kpis):
            self.kpis = Kpis(self.kpis)

    def summary(self) -> dict:
        """JSON-ready summary (the content of summary.json)."""
        k = self.kpis
        return json_safe({
            "instance": self.instance_name,
            "objective_name": self.objective_name,
            "status": self.status.value,
            "has_plan": self.has_plan,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "mip_gap": self.mip_gap,
            **{key: k.get(key) for key in KPI_KEYS},
            "targets": None if self.targets is None else self.targets.to_dict(orient="records"),
            "marginal_hpo_per_bn_rub": k.marginals,  # LP duals (integers fixed): see integer_marginals
            "integer_marginals": _records(self.tables.get("marginals")),
            "why_not_more": _records(self.tables.get("limits")),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(orient="records"),
            "seconds": self.seconds,
            "nodes": self.nodes,
            "tie_break": self.tie_break,
            "objective_chain": self.chain,
            "check_violations": self.check_violations,
            "instance_sha256": self.instance_sha256,
            "plan_fingerprint": plan_fingerprint(self.tables) if self.has_plan and self.tables else None,
            "solver": self.solver,
            "message": self.message,
        })

    def write(self, out_dir: str | Path, instance=None, *, force: bool = False, formats=("csv", "parquet"),
              extra_files: dict[str, str | bytes] | None = None) -> list[Path]:
        """Write summary.json, each table as CSV and Parquet and (if given) instance.yaml to ``out_dir``; return
        their paths. ``formats`` may add ``"netcdf"`` (result.nc) and ``"excel"`` (result.xlsx), see
        ``reeplan.result.exports``; ``extra_files``: more (name, content) files, e.g. the run's log.

        The folder is replaced whole (``reeplan.result.folders.write_folder``): a killed write leaves the old
        result or the new one, complete, never a mix. A folder reeplan did not write is refused (``UsageError``)
        unless ``force``; either way every file of the folder that reeplan did not write is kept, and reeplan's
        files of an earlier result that this one has not (a stale table would mislead) are dropped."""
        chosen = exports.parse_formats(",".join(formats)) if not isinstance(formats, str) else exports.parse_formats(formats)
        return write_folder(out_dir, self._files(instance, chosen, extra_files or {}), owned=RESULT_FILES, force=force,
                            kind="result")

    def _files(self, instance=None, formats=("csv", "parquet"), extra_files=None) -> Iterator[tuple[str, str | bytes]]:
        """(file name, content) of every file ``write`` writes, made one at a time."""
        yield "summary.json", json.dumps(self.summary(), indent=2) + "\n"
        if instance is not None:
            yield INSTANCE_FILE, yaml.safe_dump(instance.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        for name, df in exports.result_frames(self).items():
            if "csv" in formats:
                yield f"{name}.csv", df.to_csv(index=False)
            if "parquet" in formats:
                yield f"{name}.parquet", exports.parquet_bytes(df)
        if "netcdf" in formats:
            yield exports.NETCDF_FILE, exports.netcdf_bytes(self)
        if "excel" in formats:
            yield exports.EXCEL_FILE, exports.excel_bytes(self)
        yield from (extra_files or {}).items()

    # ------------------------------------------------------------------ exports (reeplan.result.exports)

    def to_xarray(self):
        """The result as one ``xarray.Dataset``: tables on their dimensions (year, site, deposit, ...), units as
        attributes; ``reeplan.result.exports.from_xarray`` turns it back into an equal ``Result``."""
        return exports.to_xarray(self)

    def to_netcdf(self, path: str | Path) -> Path:
        """Write ``to_xarray()`` as a netCDF-4 file; ``reeplan.result.exports.read_netcdf`` reads it back."""
        return atomic_write(Path(path), exports.netcdf_bytes(self))

    def to_excel(self, path: str | Path) -> Path:
        """Write one Excel workbook (a KPI sheet and a sheet per table); ``read_excel`` reads it back typed."""
        return atomic_write(Path(path), exports.excel_bytes(self))

    def to_parquet(self, folder: str | Path) -> list[Path]:
        """Write each table as ``<folder>/<table>.parquet`` (and summary.json); ``read_parquet_result`` reads them."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [atomic_write(folder / "summary.json", json.dumps(self.summary(), indent=2) + "\n")]
        for name, df in exports.result_frames(self).items():
            paths.append(atomic_write(folder / f"{name}.parquet", exports.parquet_bytes(df)))
        return paths

    # ------------------------------------------------------------------ notebooks

    def __dir__(self) -> list[str]:
        """Attributes for Tab completion: the tables this result holds come first-class."""
        names = set(super().__dir__())
        hidden = {n for n in TABLES if n not in self.tables and n not in ("targets", "diagnosis")}
        return sorted(names - hidden)

    def _repr_html_(self) -> str:
        """A compact summary for Jupyter: status, objective, headline KPIs and the tables held."""
        return result_html(self)


def result_from(summary: dict, frames: dict[str, pd.DataFrame]) -> Result:
    """A ``Result`` from its summary (the content of summary.json) and its tables (contract dtypes)."""
    tables = {n: df for n, df in frames.items() if n not in ("targets", "diagnosis")}
    kpis = Kpis({key: summary.get(key) for key in KPI_KEYS}, objective=summary.get("objective"),
                marginals=summary.get("marginal_hpo_per_bn_rub"))
    return Result(summary.get("instance", ""), summary.get("objective_name", "max-hpo"), Status(summary["status"]),
                  bool(summary.get("has_plan")), summary.get("objective"), summary.get("best_bound"),
                  summary.get("mip_gap"), summary.get("seconds") or {}, tables, kpis, frames.get("targets"),
                  frames.get("diagnosis"), summary.get("solver") or {}, summary.get("instance_sha256", ""),
                  summary.get("message", ""), summary.get("nodes"), summary.get("tie_break", ""),
                  summary.get("objective_chain") or [], summary.get("check_violations") or [])


def read_parquet_result(folder: str | Path) -> Result:
    """A result folder read from its Parquet tables and summary.json (exact dtypes)."""
    return result_from(*exports.read_parquet(folder))


def read_netcdf(path: str | Path) -> Result:
    """A ``Result`` from a netCDF file written by ``Result.to_netcdf`` or ``solve --format netcdf``."""
    return result_from(*exports.read_netcdf(path))


def read_excel(path: str | Path) -> Result:
    """A ``Result`` from a workbook written by ``Result.to_excel`` or ``solve --format excel`` (types restored
    from the table contract)."""
    return result_from(*exports.read_excel(path))


def from_xarray(ds) -> Result:
    """The ``Result`` held by a Dataset made by ``Result.to_xarray`` (or opened from its netCDF file)."""
    return result_from(*exports.from_xarray(ds))


def read_result(folder: str | Path) -> Result:
    """Load a result written by ``Result.write`` (summary.json and the CSV tables)."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    tables = {}
    for name in sorted(TABLE_FILES - {"targets", "diagnosis"}):
        path = folder / f"{name}.csv"
        if path.exists():
            tables[name] = read_table_csv(name, path)
    extra = {name: read_table_csv(name, folder / f"{name}.csv") if (folder / f"{name}.csv").exists() else None
             for name in ("targets", "diagnosis")}
    kpis = Kpis({key: summary.get(key) for key in KPI_KEYS}, objective=summary.get("objective"),
                marginals=summary.get("marginal_hpo_per_bn_rub"))
    return Result(summary.get("instance", folder.name), summary.get("objective_name", "max-hpo"),
                  Status(summary["status"]), bool(summary.get("has_plan")), summary.get("objective"),
                  summary.get("best_bound"), summary.get("mip_gap"), summary.get("seconds") or {}, tables, kpis,
                  extra["targets"], extra["diagnosis"], summary.get("solver") or {}, summary.get("instance_sha256", ""),
                  summary.get("message", ""), summary.get("nodes"), summary.get("tie_break", ""),
                  summary.get("objective_chain") or [], summary.get("check_violations") or [])


# The decisions of a plan, by table: what is funded, opened, built and started, and when (integers only:
# operation - flows, power, feed - may tie between equally good plans and is not part of the fingerprint).
FINGERPRINT_COLUMNS = {
    "allocation": ("year", "area", "item", "kind"),
    "plants": ("site", "year", "opened", "modules_started"),
    "projects": ("project", "start_year"),
}


def plan_fingerprint(tables: dict[str, pd.DataFrame]) -> str:
    """The first 16 hex digits of a SHA-256 of a plan's decisions (``FINGERPRINT_COLUMNS``), rows sorted:
    two results with the same fingerprint fund, build and start the same things in the same years."""
    digest = hashlib.sha256()
    for name, columns in FINGERPRINT_COLUMNS.items():
        df = tables.get(name)
        rows = [] if df is None or df.empty else sorted(
            "|".join(v if isinstance(v, str) else f"{float(v):.10g}" for v in row)
            for row in df.loc[:, list(columns)].itertuples(index=False, name=None))
        if name == "plants":  # a site-year with nothing opened and nothing started decides nothing
            rows = [r for r in rows if not r.endswith("|0|0")]
        digest.update(f"{name}\n".encode())
        digest.update("\n".join(rows).encode())
    return digest.hexdigest()[:16]


def _records(df: pd.DataFrame | None) -> list[dict] | None:
    return None if df is None else df.to_dict(orient="records")


def atomic_write(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and a rename, so a reader never sees half; return ``path``.

    The temporary file has a random name and is created exclusively (``O_EXCL | O_NOFOLLOW``): a symlink or
    file planted beside ``path`` is never followed nor overwritten."""
    return write_new_file(Path(path), text, replace=True)


def json_safe(obj):
    """NaN/inf -> None, numpy scalars -> Python, recursively."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def mip_gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap |bound - objective| / |objective| (0 when both are 0)."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = abs(bound - objective)
    if diff <= 1e-9:
        return 0.0
    return diff / max(abs(objective), 1e-10)
