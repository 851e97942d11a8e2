"""The interactive parts of the report pages: charts and the map as data for ``report.js`` (shipped beside this
module and inlined into every page), and the page shell.

A page stays one self-contained file that fetches nothing: the CSS, the script (``report.js``, ~25 KB, no
library), the chart and map data (JSON in a ``<script type="application/json">``) and the map's outline
(Natural Earth 1:110k countries, public domain, ``outline.json``) are all inside it. ``PAGE_BUDGET_BYTES``
is the size a page must stay under (tested).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import pandas as pd
from reeplan.numbers import finite_or_none as _finite
from reeplan.report.page import CSS, esc
from reeplan.result.result import AREA_KEYS

PAGE_BUDGET_BYTES = 6_000_000  # every page (plan, scenarios, sweep, stress, bench) stays under 6 MB
AREA_COLORS = {"plants": "#2b6cb0", "power": "#d69e2e", "logistics": "#805ad5", "mining": "#975a16", "rd": "#2f855a"}
AREA_NAMES = {"plants": "plants", "power": "power", "logistics": "logistics", "mining": "mining", "rd": "R&D"}

EXTRA_CSS = """
.chart { width:100%; min-height:120px; margin-top:8px; position:relative; }
.chart svg, .map svg { display:block; width:100%; height:auto; user-select:none; }
.chart .tick { font-size:11px; fill:#4a5568; } .chart .axis { font-size:12px; fill:#2d3748; }
.chart .ref { font-size:11px; fill:#c53030; } .chart .hit { cursor:crosshair; }
.legend { font-size:12.5px; color:#4a5568; margin:4px 0 0 60px; } .legend span { margin-right:14px; white-space:nowrap; }
.legend i, .tip i { display:inline-block; width:11px; height:11px; margin-right:5px; vertical-align:-1px; border-radius:2px; }
.tip { position:fixed; display:none; z-index:10; pointer-events:none; background:#fff; border:1px solid #a0aec0;
       border-radius:6px; padding:6px 9px; font-size:12.5px; box-shadow:0 2px 8px rgba(0,0,0,.15); max-width:360px; }
.tip table { margin:2px 0 0; font-size:12.5px; } .tip td { padding:1px 6px 1px 0; border:0; }
.map { width:100%; border:1px solid var(--line); border-radius:6px; overflow:hidden; cursor:grab; background:#eef5fb; }
.map .label { fill:#1a202c; paint-order:stroke; stroke:#fff; stroke-width:.25; }
th.sortable { cursor:pointer; } th.sortable:hover { background:#edf2f7; }
th[aria-sort=ascending]::after { content:" ▲"; font-size:10px; } th[aria-sort=descending]::after { content:" ▼"; font-size:10px; }
input.filter { margin:8px 0 0; padding:4px 8px; border:1px solid var(--line); border-radius:5px; font:inherit; width:240px; }
.hint { font-size:12px; color:var(--muted); }
td.diff { background:#fefcbf; font-weight:600; } td.up { color:#2f855a; } td.down { color:#c53030; }
.maplegend { font-size:12.5px; color:#4a5568; margin-top:6px; line-height:1.9; }
.maplegend svg { vertical-align:middle; margin:0 4px 0 10px; }
nav.kinds a { margin-right:12px; }
"""


@cache
def report_script() -> str:
    """report.js, as shipped with the package."""
    return resources.files("reeplan.report").joinpath("report.js").read_text(encoding="utf-8")


@cache
def outline() -> list[dict]:
    """The map's outline: Russia and its neighbours (Natural Earth 1:110m admin-0, public domain)."""
    data = json.loads(resources.files("reeplan.report").joinpath("outline.json").read_text(encoding="utf-8"))
    return data["countries"]




class Page:
    """The data of one page: chart specs and maps, referred to by id from the HTML."""

    def __init__(self) -> None:
        self.charts: dict[str, dict] = {}
        self.maps: dict[str, dict] = {}

    def chart(self, cid: str, spec: dict, hint: bool = True) -> str:
        """A chart's placeholder (``report.js`` draws it); ``spec``: kind (line, step, bar, stack, scatter), x,
        series [{name, values, color}], refs [{y, i?, label}], xLabel, yLabel, unit, height."""
        spec = dict(spec)
        spec["series"] = [{**s, "values": [_finite(v) for v in s["values"]]} for s in spec.get("series", [])]
        self.charts[cid] = spec
        note = '<div class="hint">Hover for values · drag across to zoom · double-click to reset</div>' if hint else ""
        return f'<div class="chart" data-chart-id="{esc(cid)}" id="chart-{esc(cid)}"></div>{note}'

    def map(self, mid: str, spec: dict) -> str:
        """The map's placeholder."""
        self.maps[mid] = spec
        return (f'<div class="map" data-map-id="{esc(mid)}" id="map-{esc(mid)}"></div>'
                '<div class="hint">Wheel to zoom · drag to pan · double-click to reset · hover for details</div>')

    def data_json(self) -> str:
        """The page's data as JSON safe inside a <script> element."""
        text = json.dumps({"charts": self.charts, "maps": self.maps}, separators=(",", ":"), allow_nan=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def shell(title: str, body: str, page: Page) -> str:
    """A whole page: CSS, body, data and script inline; nothing else to fetch."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}{EXTRA_CSS}</style></head>"
            f"<body><main>{body}</main>"
            f'<script type="application/json" id="reeplan-data">{page.data_json()}</script>'
            f"<script>{report_script()}</script></body></html>\n")


# ------------------------------------------------------------------------------------------ plan charts


def plan_figures(result, inputs, page: Page, instance=None) -> dict[str, str]:
    """The plan page's figures (name -> HTML): spend, output, plants, flows, map."""
    t = result.tables
    output, alloc = t.get("output"), t.get("allocation")
    figures: dict[str, str] = {}
    if output is None or output.empty:
        return figures
    years = [int(y) for y in output["year"]]
    if alloc is not None:
        pivot = alloc.groupby(["area", "year"])["bn_rub"].sum() if not alloc.empty else pd.Series(dtype=float)
        series = [{"name": AREA_NAMES[a], "color": AREA_COLORS[a],
                   "values": [float(pivot.get((a, y), 0.0)) for y in years]} for a in AREA_KEYS]
        refs = []
        if inputs is not None:
            refs = [{"y": float(v), "i": years.index(y), "label": f"yearly cap {y}"}
                    for y, v in sorted(inputs.yearly_caps.items()) if y in years]
        figures["spend"] = page.chart("spend", {"kind": "stack", "x": years, "series": series, "refs": refs,
                                                "xLabel": "year", "yLabel": "bn RUB committed", "unit": "bn RUB",
                                                "refLegend": "yearly cap"})
    out_series = [{"name": "HPO t", "color": "#2b6cb0", "values": list(output["hpo_t"])},
                  {"name": "REO t", "color": "#a0aec0", "values": list(output["reo_t"])},
                  {"name": "feed t", "color": "#dd6b20", "values": list(output["feed_t"]), "dash": "4 3"}]
    refs = []
    if result.targets is not None:
        for r in result.targets.itertuples():
            if r.rule in ("hpo_output", "reo_output") and int(r.year) in years:
                refs.append({"y": float(r.target), "i": years.index(int(r.year)),
                             "label": f"{r.rule.replace('_', ' ')} target {r.year}"})
    figures["output"] = page.chart("output", {"kind": "line", "x": years, "series": out_series, "refs": refs,
                                              "xLabel": "year", "yLabel": "t per year", "unit": "t",
                                              "refLegend": "target"})
    plants = t.get("plants")
    if plants is not None and not plants.empty:
        online = plants.pivot_table(index="site", columns="year", values="modules_online", aggfunc="sum", sort=False)
        active = [s for s in online.index if float(online.loc[s].max()) > 0]
        figures["plants"] = page.chart("plants", {"kind": "stack", "x": years, "xLabel": "year", "unit": "modules",
                                                  "yLabel": "modules online", "series": [
                                                      {"name": str(s), "values": [float(online.loc[s].get(y, 0)) for y in years]}
                                                      for s in active]})
    flows = t.get("flows")
    if flows is not None and not flows.empty:
        by = flows.groupby(["deposit", "arrival_year"])["t"].sum()
        deposits = list(dict.fromkeys(flows["deposit"]))
        figures["flows"] = page.chart("flows", {"kind": "stack", "x": years, "xLabel": "arrival year", "unit": "t",
                                                "yLabel": "t REO arriving", "series": [
                                                    {"name": str(d), "values": [float(by.get((d, y), 0.0)) for y in years]}
                                                    for d in deposits]})
    if instance is not None:
        spec = map_spec(result, instance)
        if spec is not None:
            figures["map"] = page.map("network", spec) + map_legend(spec)
    return figures


# ------------------------------------------------------------------------------------------ the map


def _first(df: pd.DataFrame | None, mask, column: str):
    if df is None or df.empty:
        return None
    rows = df.loc[mask(df), column]
    return int(rows.min()) if len(rows) else None


def map_spec(result, instance) -> dict | None:
    """Nodes (deposits, sites, power sources) and edges (links, connections) with coordinates, sized by flow and
    coloured by start year; None when the instance has no coordinates at all. Entities without coordinates are
    listed in ``missing``."""
    t = result.tables
    plants, flows, power, projects = t.get("plants"), t.get("flows"), t.get("power"), t.get("projects")
    years = instance.years
    where: dict[tuple[str, str], tuple[float, float]] = {}
    missing = []
    for kind, items in (("deposit", instance.deposits), ("site", instance.sites), ("source", instance.power_sources)):
        for e in items:
            if e.lat is not None and e.lon is not None:
                where[(kind, e.name)] = (float(e.lat), float(e.lon))
            else:
                missing.append(f"{kind} {e.name}")
    if not where:
        return None
    shipped = flows.groupby("deposit")["t"].sum() if flows is not None and not flows.empty else pd.Series(dtype=float)
    received = flows.groupby("site")["t"].sum() if flows is not None and not flows.empty else pd.Series(dtype=float)
    energy = power.groupby("source")["gwh"].sum() if power is not None and not power.empty else pd.Series(dtype=float)
    started: dict[str, int] = {}
    if projects is not None and not projects.empty:
        for r in projects.itertuples():
            started.setdefault(str(r.project), int(r.start_year))
    nodes = []
    expansions: dict[str, int] = {}
    for x in instance.deposit_expansions:
        if x.name in started:
            expansions[x.deposit] = min(expansions.get(x.deposit, 9999), started[x.name])
    for d in instance.deposits:
        if ("deposit", d.name) not in where:
            continue
        lat, lon = where[("deposit", d.name)]
        total = float(shipped.get(d.name, 0.0))
        year = expansions.get(d.name)
        first_ship = _first(flows, lambda f, n=d.name: (f["deposit"] == n) & (f["t"] > 0), "ship_year")
        nodes.append({"kind": "deposit", "name": d.name, "lat": lat, "lon": lon, "size": total, "used": total > 0,
                      "year": year if year is not None else first_ship, "existing": d.supply_t_per_yr > 0,
                      "info": f"<b>{esc(d.name)}</b> (deposit)<br>{esc(d.region)}<br>shipped {total:,.0f} t REO over "
                              f"the horizon" + (f"<br>expansion started {year}" if year else "")})
    for s in instance.sites:
        if ("site", s.name) not in where:
            continue
        lat, lon = where[("site", s.name)]
        feed = float(received.get(s.name, 0.0))
        year = _first(plants, lambda p, n=s.name: (p["site"] == n) & (p["modules_started"] > 0), "year")
        last = plants[(plants["site"] == s.name) & (plants["year"] == plants["year"].max())] if plants is not None else None
        online = int(last["modules_online"].iloc[0]) if last is not None and len(last) else s.existing_modules
        nodes.append({"kind": "site", "name": s.name, "lat": lat, "lon": lon, "size": feed,
                      "used": feed > 0 or year is not None, "year": year, "existing": s.existing_modules > 0,
                      "info": f"<b>{esc(s.name)}</b> (plant site)<br>{esc(s.region)}<br>"
                              f"modules online {years[-1]}: {online} (existing {s.existing_modules})<br>"
                              f"feed received {feed:,.0f} t" + (f"<br>first module started {year}" if year else "")})
    for p in instance.power_sources:
        if ("source", p.name) not in where:
            continue
        lat, lon = where[("source", p.name)]
        gwh = float(energy.get(p.name, 0.0))
        nodes.append({"kind": "source", "name": p.name, "lat": lat, "lon": lon, "size": gwh, "used": gwh > 0,
                      "year": None, "existing": True,
                      "info": f"<b>{esc(p.name)}</b> (power source)<br>{esc(p.region)}<br>spare "
                              f"{p.spare_energy_gwh_per_yr:,.0f} GWh/yr · {p.tariff_rub_per_mwh:,.0f} RUB/MWh<br>"
                              f"drawn {gwh:,.0f} GWh over the horizon"})
    for n in nodes:
        if n["kind"] == "source":
            n["used"] = n["size"] > 0
    link_flow = flows.groupby("link")["t"].sum() if flows is not None and not flows.empty else pd.Series(dtype=float)
    conn_flow = power.groupby("connection")["gwh"].sum() if power is not None and not power.empty else pd.Series(dtype=float)
    upgrades: dict[str, int] = {}
    for u in instance.link_upgrades:
        if u.name in started:
            upgrades[u.link] = min(upgrades.get(u.link, 9999), started[u.name])
    edges = []
    for link in instance.links:
        a, b = where.get(("deposit", link.deposit)), where.get(("site", link.site))
        if a is None or b is None:
            continue
        tonnes = float(link_flow.get(link.name, 0.0))
        first = _first(flows, lambda f, n=link.name: (f["link"] == n) & (f["t"] > 0), "ship_year")
        up = upgrades.get(link.name)
        edges.append({"kind": "link", "name": link.name, "from": a, "to": b, "mode": link.mode, "flow": tonnes,
                      "upgraded": up is not None, "year": up if up is not None else first,
                      "info": f"<b>{esc(link.name)}</b><br>{esc(link.deposit)} → {esc(link.site)} · "
                              f"{esc(link.mode.replace('_', ' '))} · {link.distance_km:,.0f} km<br>"
                              f"shipped {tonnes:,.0f} t REO" + (f"<br>upgrade started {up}" if up else "")})
    for c in instance.power_connections:
        a, b = where.get(("source", c.source)), where.get(("site", c.site))
        if a is None or b is None:
            continue
        gwh = float(conn_flow.get(c.name, 0.0))
        year = started.get(c.name)
        edges.append({"kind": "connection", "name": c.name, "from": a, "to": b, "mode": None, "flow": gwh,
                      "upgraded": year is not None, "year": year if year is not None else (years[0] if gwh else None),
                      "info": f"<b>{esc(c.name)}</b><br>{esc(c.source)} → {esc(c.site)} · "
                              f"{'existing' if c.exists else 'new line'}<br>carried {gwh:,.0f} GWh"
                              + (f"<br>built from {year}" if year else "")})
    return {"nodes": nodes, "edges": edges, "years": [years[0], years[-1]], "outline": outline(),
            "missing": missing}


def map_legend(spec: dict) -> str:
    """What the map's marks mean (HTML beside the map)."""
    lo, hi = spec["years"]
    ramp = "".join(f'<rect x="{i * 24}" width="24" height="12" fill="{c}"/>' for i, c in enumerate(
        ["rgb(68,1,84)", "rgb(59,82,139)", "rgb(33,145,140)", "rgb(94,201,98)", "rgb(253,231,37)"]))
    modes = [("rail", "#2d3748", ""), ("road", "#975a16", "7 3"), ("river", "#3182ce", "2 3"),
             ("winter road", "#63b3ed", "1 4"), ("multimodal", "#805ad5", "8 3 2 3"), ("power connection", "#d69e2e", "2 2")]
    lines = "".join(f'<svg width="34" height="10"><line x1="0" y1="5" x2="34" y2="5" stroke="{c}" stroke-width="2.5" '
                    f'stroke-dasharray="{d}"/></svg>{esc(m)}' for m, c, d in modes)
    missing = spec.get("missing") or []
    note = (f'<br><span class="muted">Not on the map (no coordinates): {esc(", ".join(missing))}</span>'
            if missing else "")
    return (f'<div class="maplegend"><svg width="14" height="14"><path d="M7,1L13,12L1,12Z" fill="#718096"/></svg>deposit'
            f'<svg width="14" height="14"><circle cx="7" cy="7" r="6" fill="#718096"/></svg>plant site'
            f'<svg width="14" height="14"><rect x="1" y="1" width="12" height="12" fill="#718096"/></svg>power source'
            f'<br>{lines}<svg width="34" height="10"><line x1="0" y1="5" x2="34" y2="5" stroke="#f6e05e" '
            f'stroke-width="7"/></svg>upgraded or built by the plan'
            f'<br>Size: t shipped (deposits, links), t received (sites), GWh drawn (sources, connections). Colour: '
            f'start year <svg width="120" height="12">{ramp}</svg> {lo}–{hi}; grey: unused. A dark outline: in '
            f'service today.{note}</div>')
