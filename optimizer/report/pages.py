"""The report's other page kinds, each one self-contained offline file like the plan page:

- **scenarios**: several plans side by side (runs, result folders, or the folder ``reeplan compare`` wrote):
  KPIs, money by area and year, plants and output trajectories, differences from the first highlighted;
- **sweep**: the folder ``reeplan sweep`` wrote: its curve, and each point's plan one click away (when the run
  store has it);
- **stress**: a stress run (its record in the store, or the folder ``reeplan stress`` wrote) or the comparison
  ``solve --robust`` wrote: outcome distributions, target odds and the tornado - never a plan page;
- **bench**: the folder ``reeplan bench`` wrote: solved counts, shifted geometric means, performance profile.

``folder_kind`` tells which kind a folder holds. The pages are built from files and ``Result`` objects only
(reading those folders needs no other reeplan package).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from reeplan.numbers import finite_or_none as _f
from reeplan.report.critical_path import critical_path_legend, critical_path_svg, float_rows_table
from reeplan.report.interactive import AREA_NAMES, PAGE_BUDGET_BYTES, Page, shell
from reeplan.report.page import esc, kpi_tile, num, pct, section, table
from reeplan.result.result import AREA_KEYS, Result, atomic_write
from reeplan.version import __version__

KINDS = ("plan", "scenarios", "sweep", "stress", "bench")


def folder_kind(path: str | Path) -> str | None:
    """plan, scenarios (a compare folder), sweep, stress, robust or bench; None for anything else."""
    p = Path(path)
    if not p.is_dir():
        return None
    if (p / "sweep.json").is_file() or (p / "sweep.csv").is_file():
        return "sweep"
    if (p / "runs.csv").is_file() and (p / "summary.csv").is_file():
        return "bench"
    if (p / "samples.parquet").is_file() or (p / "samples.csv").is_file():
        return "stress"
    if (p / "kpis.csv").is_file() and (p / "allocation_diff.csv").is_file():
        return "scenarios"
    if (p / "summary.json").is_file():
        return "robust" if (p / "comparison").is_dir() else "plan"
    return None


def is_stress_result(result: Result) -> bool:
    """Whether a stored run is a stress test's record (outcome distributions, not a plan)."""
    return result.objective_name == "stress" or "samples" in result.tables


def write_page(html: str, path: str | Path) -> Path:
    """Write a page (atomically), refusing one over the size budget."""
    size = len(html.encode("utf-8"))
    if size > PAGE_BUDGET_BYTES:  # pragma: no cover - a guard; tests check real pages stay far below
        raise ValueError(f"report page of {size:,} bytes is over the {PAGE_BUDGET_BYTES:,} byte budget")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, html)


def _header(title: str, subtitle: str, kind: str) -> str:
    return (f"<header><h1>{esc(title)} <span class='badge' style='background:#4a5568'>{esc(kind)}</span></h1>"
            f"<p>{subtitle}</p></header>")


def _footer() -> str:
    return (f"<footer>reeplan {esc(__version__)} · generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}"
            "</footer>")




# ------------------------------------------------------------------------------------------ scenarios

SCENARIO_KPIS = [("status", "status", None), ("HPO t (target year)", "hpo_t", 0), ("REO t (target year)", "reo_t", 0),
                 ("cumulative HPO t", "cumulative_hpo_t", 0), ("spend bn RUB", "spend_bn_rub", 1),
                 ("new capex bn RUB", "new_capex_bn_rub", 1), ("total cost bn RUB", "total_cost_bn_rub", 1),
                 ("new plants online", "new_plants_online", 0), ("jobs", "jobs", 0), ("MIP gap", "mip_gap", None)]


def _diff_cell(value, ref, digits) -> str:
    text = num(value, digits) if digits is not None else esc(value)
    if ref is None or value is None:
        return f'<td class="num">{text}</td>'
    fv, fr = _f(value), _f(ref)
    if fv is None or fr is None:
        same = str(value) == str(ref)
        return f'<td class="num{"" if same else " diff"}">{text}</td>'
    if abs(fv - fr) <= 1e-6 * max(1.0, abs(fr)):
        return f'<td class="num">{text}</td>'
    sign = "up" if fv > fr else "down"
    delta = fv - fr
    return (f'<td class="num diff {sign}" data-v="{fv}">{text} '
            f'<span class="muted">({"+" if delta > 0 else ""}{num(delta, digits or 0)})</span></td>')


def _raw_table(headers: list[tuple[str, bool]], rows: list[str]) -> str:
    head = "".join(f'<th class="num">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>" for h, n in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def scenarios_html(items: list[tuple[str, Result]], source: str = "") -> str:
    """Several plans side by side; the first is the reference the others' differences are taken from."""
    page = Page()
    labels = [label for label, _ in items]
    results = [r for _, r in items]
    parts = [_header(f"{len(items)} scenarios", esc(source or ", ".join(labels)), "scenarios")]
    tiles = []
    for label, r in items:
        k = r.kpis
        tiles.append(kpi_tile(label, num(k.get("hpo_t"), 0, "t HPO"),
                              f"spend {num(k.get('spend_bn_rub'), 1)} bn RUB · {esc(r.status.value)}"))
    parts.append(f'<div class="kpis">{"".join(tiles)}</div>')
    rows = []
    for name, key, digits in SCENARIO_KPIS:
        values = [r.status.value if key == "status" else (r.mip_gap if key == "mip_gap" else r.kpis.get(key))
                  for r in results]
        cells = [f'<td class="num">{num(values[0], digits) if digits is not None else esc(values[0])}</td>']
        cells += [_diff_cell(v, values[0], digits) for v in values[1:]]
        rows.append(f"<tr><td>{esc(name)}</td>{''.join(cells)}</tr>")
    for area in AREA_KEYS:
        values = [(r.kpis.get("spend_by_area_bn_rub") or {}).get(area) for r in results]
        cells = [f'<td class="num">{num(values[0], 1)}</td>'] + [_diff_cell(v, values[0], 1) for v in values[1:]]
        rows.append(f"<tr><td>spend: {esc(AREA_NAMES[area])} bn RUB</td>{''.join(cells)}</tr>")
    parts.append(section("Key figures side by side", f"Differences from <b>{esc(labels[0])}</b> are highlighted "
                         "(green: more, red: less).", _raw_table([("figure", False), *[(lb, True) for lb in labels]],
                                                                 rows), "kpis"))
    plans = [(lb, r) for lb, r in items if r.has_plan and "output" in r.tables]
    if plans:
        years = sorted({int(y) for _, r in plans for y in r.tables["output"]["year"]})
        series = []
        for _i, (lb, r) in enumerate(plans):
            hpo = r.tables["output"].set_index("year")["hpo_t"]
            series.append({"name": lb, "values": [float(hpo.get(y, np.nan)) for y in years]})
        parts.append(section("Output trajectories", "HPO t per year, one line per scenario.",
                             page.chart("trajectories", {"kind": "line", "x": years, "series": series,
                                                         "xLabel": "year", "yLabel": "t HPO", "unit": "t"})
                             + _trajectory_table(plans, years), "trajectories"))
        money = []
        for area in AREA_KEYS:
            for _i, (lb, r) in enumerate(plans):
                a = r.tables.get("allocation")
                by = a[a["area"] == area].groupby("year")["bn_rub"].sum() if a is not None and not a.empty else {}
                money.append((area, lb, [float(by.get(y, 0.0)) if len(by) else 0.0 for y in years]))
        figures = []
        for area in AREA_KEYS:
            rows_area = [m for m in money if m[0] == area]
            if all(sum(v) == 0 for _, _, v in rows_area):
                continue
            figures.append(f"<h3>{esc(AREA_NAMES[area])}</h3>" + page.chart(
                f"money-{area}", {"kind": "bar", "x": years, "xLabel": "year", "yLabel": "bn RUB", "unit": "bn RUB",
                                  "height": 200, "series": [{"name": lb, "values": v} for _, lb, v in rows_area]},
                hint=False))
        parts.append(section("Money by area and year", "bn RUB committed per year, each scenario a bar.",
                             "".join(figures) + _money_table(plans, years), "money"))
        parts.append(section("Plants", "Modules online in the last year and the year the first new module starts, "
                             "by site; differences from the first scenario highlighted.", _plants_side(plans), "plants"))
    parts.append(_footer())
    return shell("reeplan scenarios — " + ", ".join(labels)[:120], "".join(parts), page)


def _trajectory_table(plans, years) -> str:
    rows = []
    ref = plans[0][1].tables["output"].set_index("year")["hpo_t"]
    for lb, r in plans:
        hpo = r.tables["output"].set_index("year")["hpo_t"]
        cells = [(_diff_cell(hpo.get(y), ref.get(y), 0) if lb != plans[0][0] else f'<td class="num">{num(hpo.get(y), 0)}</td>')
                 for y in years]
        rows.append(f"<tr><td>{esc(lb)}</td>{''.join(cells)}</tr>")
    return _raw_table([("t HPO", False), *[(str(y), True) for y in years]], rows)


def _money_table(plans, years) -> str:
    rows = []
    for area in AREA_KEYS:
        ref = None
        for lb, r in plans:
            a = r.tables.get("allocation")
            by = a[a["area"] == area].groupby("year")["bn_rub"].sum() if a is not None and not a.empty else pd.Series()
            vals = [float(by.get(y, 0.0)) for y in years]
            if ref is None:
                ref = vals
                cells = [f'<td class="num">{num(v, 1)}</td>' for v in vals]
            else:
                cells = [_diff_cell(v, rv, 1) for v, rv in zip(vals, ref)]
            rows.append(f"<tr><td>{esc(AREA_NAMES[area])}</td><td>{esc(lb)}</td>{''.join(cells)}</tr>")
    return _raw_table([("area", False), ("scenario", False), *[(str(y), True) for y in years]], rows)


def _plants_side(plans) -> str:
    sites = list(dict.fromkeys(s for _, r in plans for s in r.tables["plants"]["site"]))
    rows = []
    for site in sites:
        cells, ref = [], None
        for _, r in plans:
            p = r.tables["plants"]
            g = p[p["site"] == site]
            last = int(g.loc[g["year"] == g["year"].max(), "modules_online"].sum()) if len(g) else 0
            started = g.loc[g["modules_started"] > 0, "year"]
            first = int(started.min()) if len(started) else None
            value = (last, first)
            if ref is None:
                ref = value
                cells.append(f'<td class="num">{last}</td><td class="num">{first or "–"}</td>')
            else:
                cells.append(_diff_cell(last, ref[0], 0) + (f'<td class="num{" diff" if first != ref[1] else ""}">'
                                                             f'{first or "–"}</td>'))
        if any("diff" in c for c in cells) or any(not c.startswith('<td class="num">0<') for c in cells):
            rows.append(f"<tr><td>{esc(site)}</td>{''.join(cells)}</tr>")
    headers = [("site", False)]
    for lb, _ in plans:
        headers += [(f"{lb}: modules", True), (f"{lb}: first start", True)]
    return _raw_table(headers, rows)


def compare_folder_html(folder: str | Path) -> str:
    """The folder ``reeplan compare`` wrote, as a scenarios page (from its CSV tables)."""
    folder = Path(folder)
    page = Page()
    kpis = pd.read_csv(folder / "kpis.csv", keep_default_na=False)
    labels = [c for c in kpis.columns if c != "kpi"]
    parts = [_header(f"{len(labels)} scenarios", f"folder {esc(folder)}", "scenarios")]
    rows = []
    for r in kpis.itertuples(index=False):
        values = list(r)[1:]
        cells = [f'<td class="num">{esc(values[0])}</td>'] + [_diff_cell(_f(v) if _f(v) is not None else v,
                                                                         _f(values[0]) if _f(values[0]) is not None
                                                                         else values[0], 1) for v in values[1:]]
        rows.append(f"<tr><td>{esc(r[0])}</td>{''.join(cells)}</tr>")
    parts.append(section("Key figures side by side", f"Differences from <b>{esc(labels[0])}</b> highlighted.",
                         _raw_table([("figure", False), *[(lb, True) for lb in labels]], rows), "kpis"))
    out_path = folder / "output.csv"
    if out_path.is_file():
        out = pd.read_csv(out_path)
        years = sorted(int(y) for y in out["year"].unique())
        series = [{"name": str(s), "values": [float(g.set_index("year")["hpo_t"].get(y, np.nan)) for y in years]}
                  for s, g in out.groupby("scenario", sort=False)]
        parts.append(section("Output trajectories", "HPO t per year.", page.chart(
            "trajectories", {"kind": "line", "x": years, "series": series, "xLabel": "year", "yLabel": "t HPO",
                             "unit": "t"}), "trajectories"))
    for name, title in (("allocation_diff", "Money: what differs by item and year (bn RUB)"),
                        ("plants_diff", "Plants: what differs"), ("timing_diff", "Timing: what differs"),
                        ("input_diff", "Inputs that differ")):
        path = folder / f"{name}.csv"
        if path.is_file():
            df = pd.read_csv(path, keep_default_na=False)
            body = _frame_table(df) if len(df) else '<p class="muted">No differences.</p>'
            parts.append(section(title, "", body, name))
    parts.append(_footer())
    return shell("reeplan scenarios — " + ", ".join(labels)[:120], "".join(parts), page)


def _frame_table(df: pd.DataFrame, max_rows: int = 400) -> str:
    headers = [(str(c), pd.api.types.is_numeric_dtype(df[c])) for c in df.columns]
    rows = []
    for r in df.head(max_rows).itertuples(index=False):
        cells = []
        for v, (_, numeric) in zip(r, headers):
            if numeric and _f(v) is not None:
                x = float(v)
                cells.append(num(x, 0 if x.is_integer() or abs(x) >= 100 else 3 if abs(x) < 1 else 1))
            else:
                cells.append(esc(v))
        rows.append(cells)
    return table(headers, rows)


# ------------------------------------------------------------------------------------------ sweep


def sweep_html(folder: str | Path, plans: dict[int, Result] | None = None) -> str:
    """The sweep's curve (HPO and spend over the parameter) and its points; each point's plan (from the run
    store, ``plans``: point index -> Result) one click away."""
    folder = Path(folder)
    page = Page()
    df = pd.read_csv(folder / "sweep.csv")
    meta = json.loads((folder / "sweep.json").read_text()) if (folder / "sweep.json").is_file() else {}
    params = (meta.get("plan") or {}).get("params") or [c for c in df.columns if "." in c][:1]
    x = params[0]
    df = df.sort_values(x)
    parts = [_header(f"Sweep of {', '.join(params)}", f"folder {esc(folder)} · {len(df)} points", "sweep")]
    ok = df["status"].isin(["optimal", "time_limit"])
    xs = [float(v) for v in df[x]]
    series = [{"name": "HPO t (target year)", "values": [float(v) if k else None for v, k in zip(df["hpo_t"], ok)]}]
    spend = [{"name": "spend bn RUB", "color": "#dd6b20", "values": [float(v) if k else None
                                                                     for v, k in zip(df["spend_bn_rub"], ok)]}]
    parts.append(section("The curve", f"HPO in the target year over {esc(x)}; hover a point for its figures. "
                         "Each point's plan is in the table below (click its row's link).",
                         page.chart("curve", {"kind": "line", "x": xs, "series": series, "xLabel": x, "yLabel": "t HPO",
                                              "unit": "t"})
                         + page.chart("spend", {"kind": "line", "x": xs, "series": spend, "xLabel": x,
                                                "yLabel": "bn RUB", "unit": "bn RUB", "height": 220}), "curve"))
    cols = [c for c in [*params, "status", "hpo_t", "reo_t", "spend_bn_rub", "new_plants_online", "fd_hpo_per_unit",
                        "run_id"] if c in df.columns]
    rows = []
    for r in df.itertuples(index=False):
        d = r._asdict() if hasattr(r, "_asdict") else dict(zip(df.columns, r))
        d = dict(zip(df.columns, r))
        idx = int(d["index"]) if "index" in d else None
        cells = [num(d[c], 0 if c in ("hpo_t", "reo_t", "run_id") else 2) if _f(d[c]) is not None else esc(d[c])
                 for c in cols]
        link = (f'<a href="#point-{idx}" onclick="document.getElementById(\'point-{idx}\').open=true">plan</a>'
                if plans and idx in plans else "")
        rows.append([*cells, link])
    parts.append(section("Points", "", table([*[(c, c not in ("status",)) for c in cols], ("", False)], rows),
                         "points"))
    if plans:
        details = []
        for idx, res in sorted(plans.items()):
            value = df.loc[df["index"] == idx, x]
            title = f"point {idx}: {x} = {num(value.iloc[0], 2) if len(value) else '?'}"
            details.append(f'<details id="point-{idx}"><summary>{esc(title)}</summary>{_plan_summary(res)}</details>')
        parts.append(section("Each point's plan", "Money by area and year and the plants of each point's plan.",
                             "".join(details), "plans"))
    parts.append(_footer())
    return shell(f"reeplan sweep — {', '.join(params)}", "".join(parts), page)


def _plan_summary(r: Result) -> str:
    k = r.kpis
    head = (f"<p>HPO {num(k.get('hpo_t'), 0)} t · spend {num(k.get('spend_bn_rub'), 1)} bn RUB · "
            f"{esc(r.status.value)}</p>")
    if not r.has_plan or "allocation" not in r.tables:
        return head
    a = r.tables["allocation"]
    years = [int(y) for y in r.tables["output"]["year"]]
    by = a.groupby(["area", "year"])["bn_rub"].sum() if not a.empty else pd.Series(dtype=float)
    rows = [[esc(AREA_NAMES[area]), *[num(by.get((area, y), 0.0), 1) for y in years]] for area in AREA_KEYS]
    money = table([("bn RUB", False), *[(str(y), True) for y in years]], rows)
    p = r.tables["plants"]
    built = p[p["modules_started"] > 0].groupby("site")["modules_started"].sum()
    plants = table([("site", False), ("modules started", True)], [[esc(s), str(int(n))] for s, n in built.items()])
    return head + money + plants


# ------------------------------------------------------------------------------------------ stress


def _hist(values, bins: int = 20) -> tuple[list[float], list[int]]:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return [], []
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return [float((a + b) / 2) for a, b in zip(edges[:-1], edges[1:])], [int(c) for c in counts]


def stress_html(reports: dict[str, dict], source: str = "", title: str = "", preface: str = "") -> str:
    """Stress-test outcomes: ``reports`` label -> {summary, samples, targets, tornado} (one report, or the
    deterministic and robust plans of ``solve --robust``); ``preface``: a section shown first (the robust page's)."""
    page = Page()
    labels = list(reports)
    parts = [_header(title or f"Stress test of {labels[0]}", esc(source), "stress")]
    parts.append('<div class="message">A stress test: each plan is held fixed and operated in sampled futures. '
                 "These are distributions of outcomes, not a plan.</div>")
    parts.append(preface)
    tiles = []
    for lb, rep in reports.items():
        s = rep["summary"]
        tiles.append(kpi_tile(f"{lb}: HPO mean", num(s.get("hpo_mean_t"), 0, "t"),
                              f"P10 {num(s.get('hpo_p10_t'), 0)} · P50 {num(s.get('hpo_p50_t'), 0)} · "
                              f"P90 {num(s.get('hpo_p90_t'), 0)} · {num(s.get('samples'), 0)} futures"))
        tiles.append(kpi_tile(f"{lb}: expected spend", num(s.get("expected_spend_bn_rub"), 1, "bn RUB"),
                              f"P(overrun) {pct(s.get('p_overrun'))}" if s.get("p_overrun") is not None else ""))
    parts.append(f'<div class="kpis">{"".join(tiles)}</div>')
    for column, name, unit in (("hpo_t", "HPO in the target year", "t"), ("spend_bn_rub", "Spend", "bn RUB")):
        allv = [float(v) for rep in reports.values() if column in rep["samples"] for v in rep["samples"][column]]
        if not allv:
            continue
        centers, _ = _hist(allv, 20)
        lo, hi = min(allv), max(allv)
        width = (hi - lo) / 20 if hi > lo else 1.0
        series = []
        for lb, rep in reports.items():
            if column not in rep["samples"]:
                continue
            v = np.asarray(rep["samples"][column], dtype=float)
            counts, _ = np.histogram(v, bins=20, range=(lo, lo + 20 * width))
            series.append({"name": lb, "values": [int(c) for c in counts]})
        parts.append(section(f"Distribution: {name}", f"Futures per bin of {esc(unit)}; hover a bar.",
                             page.chart(f"hist-{column}", {"kind": "bar", "x": [round(c, 1) for c in centers],
                                                           "series": series, "xLabel": unit, "yLabel": "futures"}),
                             f"dist-{column}"))
    for lb, rep in reports.items():
        t = rep.get("targets")
        if t is not None and len(t):
            rows = [[esc(r.rule), esc(r.year), "yes" if str(r.enforced) in ("True", "true", "1") else "no",
                     num(r.target, 2 if r.unit == "fraction" else 0), esc(r.unit), pct(_f(r.probability_met)),
                     num(_f(r.mean_achieved), 2 if r.unit == "fraction" else 0),
                     num(_f(r.p10_achieved), 2 if r.unit == "fraction" else 0)] for r in t.itertuples()]
            odds = page.chart(f"odds-{labels.index(lb)}", {"kind": "bar", "x": [str(r.rule) for r in t.itertuples()],
                                                           "series": [{"name": "probability met", "values": [
                                                               _f(r.probability_met) for r in t.itertuples()]}],
                                                           "yLabel": "probability", "height": 220, "ymax": 1.0},
                              hint=False)
            parts.append(section(f"Target odds: {lb}", "Share of the futures in which each policy target is met.",
                                 odds + table([("rule", False), ("year", True), ("enforced", False), ("target", True),
                                               ("unit", False), ("P(met)", True), ("mean achieved", True),
                                               ("P10 achieved", True)], rows), f"odds-{labels.index(lb)}"))
        tor = rep.get("tornado")
        if tor is not None and len(tor):
            tor = tor.sort_values("hpo_swing_t", ascending=False).head(12)
            spec = {"kind": "bar", "x": [str(v) for v in tor["input"]], "yLabel": "t HPO", "unit": "t", "height": 240,
                    "series": [{"name": "low", "values": list(tor["hpo_low_t"])},
                               {"name": "high", "values": list(tor["hpo_high_t"])}]}
            parts.append(section(f"What moves HPO most: {lb}", "HPO with each uncertain input at its low and high "
                                 "end, the others at their point estimates.",
                                 page.chart(f"tornado-{labels.index(lb)}", spec, hint=False)
                                 + table([("input", False), ("HPO at low end, t", True), ("HPO at high end, t", True),
                                          ("swing, t", True)],
                                         [[esc(r.input), num(r.hpo_low_t, 0), num(r.hpo_high_t, 0), num(r.hpo_swing_t, 0)]
                                          for r in tor.itertuples()]),
                                 f"tornado-{labels.index(lb)}"))
        parts.append(_critical_path_section(rep, f"float-{labels.index(lb)}", lb))
    parts.append(_footer())
    return shell(title or f"reeplan stress — {labels[0]}", "".join(parts), page)


def _critical_path_section(rep: dict, sid: str, label: str) -> str:
    """The critical-path view of a report's schedule float ('' when the stress test computed none)."""
    table_ = rep.get("float")
    if table_ is None or not len(table_):
        return ""
    year = int(rep["summary"].get("target_year") or max(int(y) for y in table_["ready_year"]))
    critical = table_[table_["critical"].fillna(False).astype(bool)]
    note = (f"Each item of the plan delayed alone, everything else at its point estimate: its float is the years "
            f"of delay it absorbs before {year} HPO falls. {len(critical)} of {int(table_['float_yr'].notna().sum())} "
            "items have no float (red). A site is one item: its delay moves all its modules. Hover a bar.")
    chart = f'<div class="chart">{critical_path_svg(table_, year)}</div>{critical_path_legend()}'
    return section(f"Critical path: {label}", esc(note), chart + float_rows_table(table_), sid)


def stress_report_from_folder(folder: str | Path) -> dict:
    """{summary, samples, targets, tornado} from the folder ``reeplan stress`` (or ``StressReport.write``) wrote."""
    folder = Path(folder)
    meta = json.loads((folder / "summary.json").read_text()) if (folder / "summary.json").is_file() else {}
    samples = (pd.read_parquet(folder / "samples.parquet") if (folder / "samples.parquet").is_file()
               else pd.read_csv(folder / "samples.csv"))
    read = lambda name: pd.read_csv(folder / f"{name}.csv") if (folder / f"{name}.csv").is_file() else None  # noqa: E731
    return {"summary": meta.get("summary") or {}, "samples": samples, "targets": read("targets"),
            "tornado": read("tornado"), "float": read("float"), "label": meta.get("plan") or folder.name}


def stress_report_from_result(result: Result) -> dict:
    """{summary, samples, targets, tornado} from a stress test's record in the run store."""
    return {"summary": dict(result.kpis), "samples": result.tables.get("samples", pd.DataFrame()),
            "targets": result.tables.get("target_odds"), "tornado": result.tables.get("tornado"),
            "float": result.tables.get("float"), "label": result.instance_name}


# ------------------------------------------------------------------------------------------ bench


def bench_html(folder: str | Path) -> str:
    """The bench folder: solved counts, shifted geometric means and the performance profile."""
    folder = Path(folder)
    page = Page()
    summary = pd.read_csv(folder / "summary.csv")
    runs = pd.read_csv(folder / "runs.csv")
    meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").is_file() else {}
    machine = meta.get("machine") or {}
    parts = [_header("Benchmark", f"folder {esc(folder)} · {esc(machine.get('cpu', ''))} · "
                     f"{esc(machine.get('cores', ''))} cores · metric {esc(meta.get('metric', ''))}", "bench")]
    configs = [str(c) for c in summary["config"]]
    parts.append(section("Solved and shifted geometric mean", "Instances solved per configuration, and the "
                         "shifted geometric mean of the time (s; lower is better).",
                         page.chart("solved", {"kind": "bar", "x": configs, "series": [
                             {"name": "solved", "values": list(summary["solved"])},
                             {"name": "timeouts", "values": list(summary["timeouts"]), "color": "#dd6b20"},
                             {"name": "failures", "values": list(summary["failures"]), "color": "#c53030"}],
                             "yLabel": "runs", "height": 240}, hint=False)
                         + page.chart("sgm", {"kind": "bar", "x": configs, "series": [
                             {"name": "shifted geometric mean, s", "values": list(summary["sgm_s"])}],
                             "yLabel": "s", "unit": "s", "height": 220}, hint=False)
                         + _frame_table(summary), "summary"))
    prof_path = folder / "profile.csv"
    if prof_path.is_file():
        prof = pd.read_csv(prof_path)
        taus = [float(t) for t in prof["tau"]]
        series = [{"name": c, "values": list(prof[c])} for c in prof.columns if c != "tau"]
        parts.append(section("Performance profile", "Share of instances each configuration solves within τ times "
                             "the best configuration's time (higher and further left is better).",
                             page.chart("profile", {"kind": "step", "x": taus, "series": series, "xLabel": "τ",
                                                    "yLabel": "share of instances", "ymax": 1.0}), "profile"))
    cols = [c for c in ("instance", "config", "status", "objective", "gap", "total_s", "nodes") if c in runs.columns]
    parts.append(section("Runs", "", _frame_table(runs[cols]), "runs"))
    parts.append(_footer())
    return shell("reeplan bench", "".join(parts), page)
