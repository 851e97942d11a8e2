"""The notebook display of a ``Result`` (``Result._repr_html_``): a compact, escaped HTML summary."""

from __future__ import annotations

import html
from typing import Any

from reeplan.numbers import fixed, gap_percent

Result = Any  # a reeplan.result.result.Result (not imported: that module imports this one)

_COLORS = {"optimal": "#2f855a", "time_limit": "#b7791f", "interrupted": "#b7791f"}


def result_html(result: Result) -> str:
    """Status badge, objective and gap, headline KPIs, targets met, and the tables held (rows each)."""
    esc = html.escape
    k = result.kpis
    color = _COLORS.get(result.status.value, "#c53030")
    rows = [("objective", f"{esc(result.objective_name)} = {fixed(result.objective)}"),
            ("gap", gap_percent(result.mip_gap, missing="–"))]
    if result.has_plan:
        rows += [("HPO (target year)", fixed(k.hpo_t, 0, "t")), ("REO (target year)", fixed(k.reo_t, 0, "t")),
                 ("spend", fixed(k.spend_bn_rub, 1, "bn RUB")), ("new plants online", fixed(k.new_plants_online, 0)),
                 ("jobs", fixed(k.jobs, 0))]
    if result.targets is not None and len(result.targets):
        met = int((result.targets["shortfall"] <= 1e-6 * result.targets["target"].abs().clip(lower=1)).sum())
        rows.append(("targets met", f"{met} of {len(result.targets)}"))
    if result.message:
        rows.append(("message", esc(result.message[:300])))
    tables = ", ".join(f"<code>{esc(n)}</code> ({len(df)})" for n, df in result.tables.items()) or "none"
    body = "".join(f"<tr><th style='text-align:left;padding-right:12px'>{esc(a)}</th><td>{b}</td></tr>"
                   for a, b in rows)
    return (f"<div class='reeplan-result'><b>{esc(result.instance_name)}</b> "
            f"<span style='background:{color};color:#fff;border-radius:8px;padding:1px 8px'>"
            f"{esc(result.status.value)}</span><table>{body}</table>"
            f"<div style='font-size:90%'>tables (rows): {tables} — as attributes, e.g. <code>result.plants</code>; "
            f"exports: <code>to_xarray()</code>, <code>to_netcdf()</code>, <code>to_excel()</code>, "
            f"<code>to_parquet()</code></div></div>")
