"""Compare scenarios: KPIs side by side, where the money moved, which plants and timings differ, and
which inputs differ. Scenarios are instance files, ``file@path=value@...`` overrides, scenario files
(``base:`` + ``overrides:``) or saved result folders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from reeplan.instance.schema import Instance
from reeplan.result.result import AREA_KEYS, Result


@dataclass
class Scenario:
    """One thing to compare: a label, its instance (if known) and its result once solved."""

    label: str
    instance: Instance | None
    result: Result | None = None
    source: str = ""


@dataclass
class Comparison:
    """The comparison tables (pandas) of several scenarios; the first is the reference."""

    scenarios: list[Scenario]
    kpis: pd.DataFrame
    allocation: pd.DataFrame
    plants: pd.DataFrame
    timing: pd.DataFrame
    inputs: pd.DataFrame
    output: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by file stem."""
        return {"kpis": self.kpis.reset_index(), "allocation_diff": self.allocation, "plants_diff": self.plants,
                "timing_diff": self.timing, "input_diff": self.inputs, "output": self.output}

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write the tables as CSV and Parquet to ``out_dir``, each file atomically (the charts:
        ``reeplan.report.compare_plots.compare_charts``)."""
        from reeplan.result.exports import write_tables  # defers pyarrow

        return write_tables(out_dir, self.tables())


def solve_missing(scenarios: list[Scenario], solve_fn=None, on_done=None) -> None:
    """Solve every scenario that has no result yet (``solve_fn(instance) -> Result``)."""
    if solve_fn is None:
        from reeplan.solving.pipeline import solve as solve_fn  # defers pyomo and highspy
    for sc in scenarios:
        if sc.result is None:
            sc.result = solve_fn(sc.instance)
        if on_done:
            on_done(sc)


def compare(scenarios: list[Scenario]) -> Comparison:
    """Build every comparison table; scenarios must be solved (see ``solve_missing``)."""
    make_labels_unique(scenarios)
    return Comparison(scenarios, _kpis(scenarios), _allocation_diff(scenarios), _plants_diff(scenarios),
                      _timing_diff(scenarios), _input_diff(scenarios), _output(scenarios))


def _solved(sc: Scenario) -> Result:
    """A scenario's result: ``compare`` takes solved scenarios only (see ``solve_missing``)."""
    assert sc.result is not None, f"scenario {sc.label!r} is not solved (solve_missing solves it)"
    return sc.result


def make_labels_unique(scenarios: list[Scenario]) -> None:
    """Give the second and later scenarios of a repeated label ``label (2)``, ``label (3)``... (in place)."""
    seen: dict[str, int] = {}
    for sc in scenarios:
        seen[sc.label] = seen.get(sc.label, 0) + 1
        if seen[sc.label] > 1:
            sc.label = f"{sc.label} ({seen[sc.label]})"


def _kpis(scenarios: list[Scenario]) -> pd.DataFrame:
    rows = {}
    for sc in scenarios:
        r = _solved(sc)
        k = r.kpis if r.has_plan else {}
        area = k.get("spend_by_area_bn_rub") or {}
        rows[sc.label] = {
            "status": r.status.value, "mip_gap": r.mip_gap, "hpo_t (target year)": k.get("hpo_t"),
            "reo_t (target year)": k.get("reo_t"), "cumulative_hpo_t": k.get("cumulative_hpo_t"),
            "spend_bn_rub": k.get("spend_bn_rub"),
            **{f"spend_{a}_bn_rub": area.get(a) for a in AREA_KEYS},
            "committed_capex_bn_rub (under way)": k.get("committed_capex_bn_rub"),
            "new_capex_bn_rub (decided)": k.get("new_capex_bn_rub"),
            "new_plants_online": k.get("new_plants_online"), "jobs": k.get("jobs"),
        }
    df = pd.DataFrame(rows)
    df.index.name = "kpi"
    return df


def _allocation_diff(scenarios: list[Scenario]) -> pd.DataFrame:
    """Money by area, item and year per scenario, with the change against the first; changed rows only."""
    frames = []
    for sc in scenarios:
        alloc = _solved(sc).tables.get("allocation") if _solved(sc).has_plan else None
        if alloc is None or alloc.empty:
            continue
        grouped = alloc.groupby(["area", "item", "year"], as_index=False)["bn_rub"].sum()
        frames.append(grouped.assign(scenario=sc.label))
    labels = [s.label for s in scenarios]
    if not frames:
        return pd.DataFrame(columns=["area", "item", "year", *labels])
    wide = pd.concat(frames).pivot_table(index=["area", "item", "year"], columns="scenario", values="bn_rub",
                                         aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=labels, fill_value=0.0)
    for label in labels[1:]:
        wide[f"change: {label}"] = wide[label] - wide[labels[0]]
    changed = (wide[labels].max(axis=1) - wide[labels].min(axis=1)).abs() > 1e-9
    wide = wide[changed].reset_index()
    wide.columns.name = None
    return wide


def _plan_tables(scenarios: list[Scenario], name: str) -> Iterator[tuple[Scenario, pd.DataFrame]]:
    """(scenario, its table ``name``) for every scenario whose result has a plan with that table."""
    for sc in scenarios:
        result = _solved(sc)
        if result.has_plan and name in result.tables:
            yield sc, result.tables[name]


def _plants_diff(scenarios: list[Scenario]) -> pd.DataFrame:
    """Per site and scenario: first year a new module is online and modules online in the last year."""
    rows: dict[str, dict] = {}
    for sc, plants in _plan_tables(scenarios, "plants"):
        last = plants["year"].max()
        for site, rows_site in plants.groupby("site", sort=False):
            first = rows_site.loc[rows_site["jobs"] > 0, "year"]
            final = rows_site.loc[rows_site["year"] == last, "modules_online"]
            row = rows.setdefault(site, {"site": site})
            row[f"{sc.label}: first online"] = int(first.iloc[0]) if len(first) else None
            row[f"{sc.label}: modules (last year)"] = int(final.iloc[0]) if len(final) else 0
    df = pd.DataFrame(list(rows.values()))
    if df.empty:
        return df
    firsts = [c for c in df.columns if c.endswith("first online")]
    mods = [c for c in df.columns if c.endswith("(last year)")]
    opened = df[firsts].notna()
    df["difference"] = [
        _plant_note(df.loc[i, firsts], opened.loc[i], df.loc[i, mods]) for i in df.index]
    return df[df["difference"] != ""].reset_index(drop=True)


def _plant_note(firsts: pd.Series, opened: pd.Series, modules: pd.Series) -> str:
    names = [c.split(": ")[0] for c in firsts.index]
    if opened.all() or not opened.any():
        if opened.all() and firsts.nunique() > 1:
            return "timing: " + ", ".join(f"{n} {int(v)}" for n, v in zip(names, firsts))
        if modules.nunique() > 1:
            return "size: " + ", ".join(f"{n} {int(v)}" for n, v in zip(names, modules))
        return ""
    return "new plant only in " + ", ".join(n for n, o in zip(names, opened) if o)


def _timing_diff(scenarios: list[Scenario]) -> pd.DataFrame:
    """Start year of every project (connections, upgrades, expansions, programmes) per scenario."""
    rows: dict[tuple, dict] = {}
    for sc, projects in _plan_tables(scenarios, "projects"):
        for p in projects.itertuples():
            rows.setdefault((p.kind, p.project), {"kind": p.kind, "project": p.project})[sc.label] = int(p.start_year)
    df = pd.DataFrame(list(rows.values()))
    labels = [s.label for s in scenarios]
    for label in labels:
        if label not in df.columns:
            df[label] = None
    if df.empty:
        return pd.DataFrame(columns=["kind", "project", *labels])
    differs = df[labels].astype("float").apply(lambda r: r.nunique(dropna=False) > 1, axis=1)
    return df[differs].reset_index(drop=True)


def flatten(data, prefix: str = "") -> dict[str, object]:
    """Dotted paths of every scalar in an instance dump (list rows keyed by name)."""
    out: dict[str, object] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, list) and all(isinstance(r, dict) and "name" in r for r in data):
        for row in data:
            out.update(flatten({k: v for k, v in row.items() if k != "name"}, f"{prefix}{row['name']}."))
    else:
        out[prefix.rstrip(".")] = data
    return out


def _input_diff(scenarios: list[Scenario]) -> pd.DataFrame:
    """Every instance parameter whose value differs between scenarios."""
    flat = {sc.label: flatten(sc.instance.model_dump(mode="json")) for sc in scenarios if sc.instance is not None}
    if len(flat) < 2:
        return pd.DataFrame(columns=["parameter", *flat])
    keys = sorted(set().union(*flat.values()) - {"name", "description"})
    rows = []
    for key in keys:
        values = [flat[label].get(key) for label in flat]
        if any(v != values[0] for v in values[1:]):
            rows.append({"parameter": key, **{label: _cell(v) for label, v in zip(flat, values)}})
    return pd.DataFrame(rows, columns=["parameter", *flat])


def _cell(value) -> object:
    return yaml.safe_dump(value, default_flow_style=True).strip() if isinstance(value, (list, dict)) else value


def _output(scenarios: list[Scenario]) -> pd.DataFrame:
    results = [(sc.label, _solved(sc)) for sc in scenarios]
    frames = [r.tables["output"].assign(scenario=label) for label, r in results if r.has_plan and "output" in r.tables]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
