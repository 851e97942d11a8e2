"""The building blocks of the HTML report: its CSS, escaping, number cells, tables, KPI tiles, figures."""

from __future__ import annotations

import base64
import html
import math

from reeplan.numbers import DASH, fixed, gap_percent, percent
from reeplan.text import plain

CSS = """
:root { --ink:#1a202c; --muted:#4a5568; --line:#e2e8f0; --bg:#f7fafc; --ok:#2f855a; --bad:#c53030; --warn:#b7791f; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Roboto, Helvetica, Arial, sans-serif;
       color:var(--ink); background:var(--bg); }
main { max-width:1180px; margin:0 auto; padding:28px 32px 48px; }
header h1 { font-size:26px; margin:0 0 4px; }
header p { margin:0; color:var(--muted); }
.badge { display:inline-block; padding:2px 10px; border-radius:12px; color:#fff; font-weight:600; font-size:13px;
         vertical-align:middle; margin-left:8px; letter-spacing:.02em; }
.kpis { display:grid; grid-template-columns:repeat(4, 1fr); gap:12px; margin:20px 0 8px; }
.kpi { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.kpi .label { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
.kpi .value { font-size:24px; font-weight:700; margin:2px 0; white-space:nowrap; }
.kpi .sub { font-size:13px; color:var(--muted); }
.kpi .sub b.ok { color:var(--ok); } .kpi .sub b.bad { color:var(--bad); }
.bar { height:6px; background:var(--line); border-radius:3px; margin-top:6px; overflow:hidden; }
.bar > span { display:block; height:100%; background:#2b6cb0; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:18px 20px; margin:18px 0; }
section h2 { font-size:18px; margin:0 0 4px; }
section p.note { margin:2px 0 12px; color:var(--muted); font-size:13.5px; }
figure { margin:8px 0 0; }
figure img { display:block; width:100%; height:auto; }
table { border-collapse:collapse; width:100%; font-size:13.5px; margin-top:8px; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { background:var(--bg); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.binding td { background:#fffbea; }
.ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; } .muted { color:var(--muted); }
.grid2 { display:grid; grid-template-columns:3fr 2fr; gap:18px; }
.grid2 > div { min-width:0; }
.message { border-left:4px solid var(--warn); background:#fffaf0; padding:8px 12px; margin:14px 0 0; }
footer { color:var(--muted); font-size:12.5px; margin-top:24px; }
code { font-family:"DejaVu Sans Mono", Menlo, Consolas, monospace; font-size:12.5px; }
@media (max-width: 900px) { .grid2 { grid-template-columns:1fr; } .kpis { grid-template-columns:repeat(2, 1fr); }
  main { padding:16px; } }
"""


def esc(x) -> str:
    """HTML-escaped text, control characters written as escapes (``\\x1b``); '' for None."""
    return html.escape("" if x is None else plain(x))


def num(x, digits: int = 0, unit: str = "") -> str:
    """A number with thousands separators and ``digits`` decimals, then its unit ('–' if missing; text escaped)."""
    if isinstance(x, str):
        return esc(x)
    return fixed(x, digits, unit, missing=DASH)


def pct(x, digits: int = 0) -> str:
    """A fraction as a percentage ('–' if missing)."""
    return percent(x, digits, missing=DASH)


def gap_text(g) -> str:
    """A relative MIP gap as a percentage ('–' if unknown)."""
    return gap_percent(g, missing=DASH)


def table(headers: list[tuple[str, bool]], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """headers: (title, numeric); cells are already-escaped HTML."""
    head = "".join(f'<th class="num">{esc(h)}</th>' if num else f"<th>{esc(h)}</th>" for h, num in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="num">{c}</td>' if num else f"<td>{c}</td>" for c, (_, num) in zip(row, headers))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kpi_tile(label: str, value: str, sub: str = "", fraction: float | None = None) -> str:
    """One KPI tile: label, value, a line below, and a bar when ``fraction`` is given."""
    bar = ""
    if fraction is not None and math.isfinite(fraction):
        bar = f'<div class="bar"><span style="width:{max(0.0, min(1.0, fraction)) * 100:.1f}%"></span></div>'
    return (f'<div class="kpi"><div class="label">{esc(label)}</div><div class="value">{value}</div>'
            f'<div class="sub">{sub}</div>{bar}</div>')


def img(chart) -> str:
    """A chart as an inline ``data:`` PNG figure (the page needs no other file)."""
    data = base64.b64encode(chart.png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" width="{chart.width}" height="{chart.height}" '
            f'alt="{esc(chart.alt[:600])}" title="{esc(chart.title)}" data-chart="{esc(chart.name)}"></figure>')


def section(title: str, note: str, body: str, sid: str) -> str:
    """A titled section of the page with an optional note."""
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f'<section id="{esc(sid)}"><h2>{esc(title)}</h2>{note_html}{body}</section>'


