"""The stress page's critical-path view: the plan's items as Gantt bars, start to planned ready year, each with
its schedule float drawn after it (``reeplan.uncertainty.schedule_float``), critical items (no float) in red.

The chart is plain inline SVG (hover a bar: its native tooltip), so the page stays one offline file.
"""

from __future__ import annotations

import math

import pandas as pd
from reeplan.report.page import esc, num, table

CRITICAL_COLOR, BAR_COLOR, FLOAT_COLOR, SPARE_COLOR, NONE_COLOR = "#c53030", "#2b6cb0", "#90cdf4", "#9ae6b4", "#a0aec0"
ROW_PX, LABEL_PX, YEAR_PX, TOP_PX = 18, 300, 70, 22


def _int(value) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value) else int(value)


def _flag(value) -> bool:
    return bool(value) if not pd.isna(value) else False


def critical_path_svg(float_table: pd.DataFrame, target_year: int, first_year: int | None = None) -> str:
    """One bar per item from its start to its planned ready year, then its float (light blue; green and open-ended
    when it can slip past the target year); critical items red; the target year as a line."""
    rows = list(float_table.itertuples())
    starts = [y for y in (_int(r.start_year) for r in rows) if y is not None]
    y0: int = first_year if first_year is not None else min([*starts, target_year - 1])
    y1 = target_year + 1
    width = LABEL_PX + (y1 - y0) * YEAR_PX + 20
    height = TOP_PX + ROW_PX * len(rows) + 8

    def x(year: float) -> float:
        return LABEL_PX + (min(max(year, y0), y1) - y0) * YEAR_PX

    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="critical path: {len(rows)} items" data-chart="critical-path">']
    for year in range(y0, y1 + 1):
        out.append(f'<line x1="{x(year):.0f}" y1="{TOP_PX - 4}" x2="{x(year):.0f}" y2="{height}" stroke="#e2e8f0"/>')
        if year < y1:
            out.append(f'<text class="tick" x="{x(year) + YEAR_PX / 2:.0f}" y="{TOP_PX - 8}" text-anchor="middle">'
                       f"{year}</text>")
    out.append(f'<line x1="{x(target_year):.0f}" y1="{TOP_PX - 4}" x2="{x(target_year):.0f}" y2="{height}" '
               f'stroke="{CRITICAL_COLOR}" stroke-dasharray="4 3"><title>ready by the start of {target_year} to '
               f"produce in it</title></line>")
    for i, r in enumerate(rows):
        top = TOP_PX + i * ROW_PX
        critical, spare = _flag(r.critical), _flag(r.absorbs_all)
        start, ready, slack = _int(r.start_year), int(r.ready_year), _int(r.float_yr)
        color = CRITICAL_COLOR if critical else (NONE_COLOR if slack is None else BAR_COLOR)
        label = f"{r.name} ({str(r.kind).replace('_', ' ')})"
        short = label if len(label) <= 44 else label[:43] + "…"
        weight = ' font-weight="600"' if critical else ""
        out.append(f'<text class="tick" x="{LABEL_PX - 6}" y="{top + ROW_PX - 5}" text-anchor="end"{weight}>'
                   f"{esc(short)}<title>{esc(label)}</title></text>")
        left = x(start) if start is not None else x(y0)
        if slack is None:
            fate = "no delay input"
        elif critical:
            fate = f"no float: a year's delay cuts HPO by {num(r.hpo_lost_t_per_yr, 0, 't')}"
        elif spare:
            fate = f"can slip past {target_year} without HPO falling"
        else:
            fate = f"float {slack} yr, then a year more cuts HPO by {num(r.hpo_lost_t_per_yr, 0, 't')}"
        tip = f"{label}: {'under way' if start is None else f'starts {start}'}, ready {ready}; {fate}"
        dash = ' stroke="#2d3748" stroke-dasharray="3 2"' if start is None else ""
        out.append(f'<rect x="{left:.1f}" y="{top + 3}" width="{max(2.0, x(ready) - left):.1f}" height="{ROW_PX - 6}" '
                   f'fill="{color}"{dash}><title>{esc(tip)}</title></rect>')
        if slack:
            end = x(y1) if spare else x(ready + slack)
            out.append(f'<rect x="{x(ready):.1f}" y="{top + 5}" width="{max(0.0, end - x(ready)):.1f}" '
                       f'height="{ROW_PX - 10}" fill="{SPARE_COLOR if spare else FLOAT_COLOR}"><title>{esc(tip)}</title>'
                       "</rect>")
    out.append("</svg>")
    return "".join(out)


def critical_path_legend() -> str:
    """The colours of the critical-path chart, in words."""
    def swatch(color: str) -> str:
        return f'<i style="background:{color}"></i>'
    return (f'<div class="legend"><span>{swatch(CRITICAL_COLOR)}critical (no float)</span><span>{swatch(BAR_COLOR)}'
            f"build, start to planned ready year</span><span>{swatch(FLOAT_COLOR)}float</span><span>"
            f"{swatch(SPARE_COLOR)}can slip past the target year</span><span>{swatch(NONE_COLOR)}no delay input "
            "(R&amp;D)</span></div>")


def float_rows_table(float_table: pd.DataFrame) -> str:
    """The float table as HTML, critical rows highlighted."""
    rows, classes = [], []
    for r in float_table.itertuples():
        slack = _int(r.float_yr)
        shown = "–" if slack is None else (f"any (≥ {slack})" if _flag(r.absorbs_all) else str(slack))
        rows.append([esc(str(r.kind).replace("_", " ")), esc(r.name), esc(_int(r.start_year) or "under way"),
                     esc(int(r.ready_year)), shown, "yes" if _flag(r.critical) else "",
                     num(r.hpo_lost_t_per_yr, 0), num(r.hpo_lost_at_target_t, 0), esc(r.detail)])
        classes.append("binding" if _flag(r.critical) else "")
    return table([("kind", False), ("item", False), ("start", True), ("ready (planned)", True), ("float, yr", True),
                  ("critical", False), ("HPO lost, first year beyond float, t", True),
                  ("HPO lost if it misses the target year, t", True), ("what it covers", False)], rows, classes)
