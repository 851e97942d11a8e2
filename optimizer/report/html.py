"""One self-contained HTML page per plan: KPIs, charts (inline PNG), tables and the instance's assumptions.

The page opens offline: CSS is inline, charts are ``data:`` PNGs, there is no script and no link to
any other file or host. ``write_plan_report`` takes a ``Result`` (with its ``Instance``);
``reeplan.sources.write_report`` starts from a run id or a folder.
"""

from __future__ import annotations

import base64
import html
import math
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from reeplan.result.result import AREA_KEYS, Result
from reeplan.version import __version__

STATUS_COLORS = {"optimal": "#2f855a", "time_limit": "#b7791f", "interrupted": "#b7791f"}


# --------------------------------------------------------------------------------------------
# chart inputs
# --------------------------------------------------------------------------------------------


def plan_inputs(result: Result, instance=None):
    """What the charts need besides the tables: from the instance when known, else from the tables."""
    from reeplan.report.plots import PlanInputs

    output = result.tables["output"]
    years = sorted(int(y) for y in output["year"])
    cons = result.tables.get("constraints", pd.DataFrame(columns=["rule", "year", "rhs"]))
    if instance is not None:
        b, t = instance.budget, instance.technology
        return PlanInputs(
            years=instance.years, target_year=instance.target_year,
            lead_times={s.name: s.lead_time_yr for s in instance.sites},
            existing_modules={s.name: s.existing_modules for s in instance.sites},
            yearly_caps={int(y): float(v) for y, v in b.yearly_cap_bn_rub.items()},
            total_budget=b.total_bn_rub, rd_envelope=b.rd_envelope_bn_rub,
            max_recovery=t.max_recovery, max_hp_share=t.max_hp_share)

    def rhs(rule):
        rows = cons[cons["rule"] == rule]
        return None if rows.empty else float(rows["rhs"].iloc[0])

    caps = {int(y): float(r) for y, r in zip(cons.loc[cons["rule"] == "budget_yearly", "year"],
                                             cons.loc[cons["rule"] == "budget_yearly", "rhs"])}
    target_year = years[-1]
    if result.targets is not None and not result.targets.empty and "hpo_t" in result.kpis:
        hpo = output.set_index("year")["hpo_t"]
        match = [int(y) for y, v in hpo.items() if abs(float(v) - float(result.kpis["hpo_t"])) <= 1e-6 * max(1, v)]
        target_year = match[-1] if match else target_year
    return PlanInputs(years=years, target_year=target_year, lead_times={}, existing_modules={}, yearly_caps=caps,
                      total_budget=rhs("budget_total"), rd_envelope=rhs("budget_rd"))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

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


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _isnum(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _n(x, digits: int = 0, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    try:
        text = f"{float(x):,.{digits}f}"
    except (TypeError, ValueError):
        return _e(x)
    return f"{text}{' ' + unit if unit else ''}"


def _pct(x, digits: int = 0) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.{digits}%}"


def _gap(g) -> str:
    if g is None or (isinstance(g, float) and math.isnan(g)):
        return "–"
    return "0 %" if g == 0 else f"{g:.2%}" if g >= 1e-4 else "< 0.01 %"


def _table(headers: list[tuple[str, bool]], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """headers: (title, numeric); cells are already-escaped HTML."""
    head = "".join(f'<th class="num">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>" for h, num in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="num">{c}</td>' if num else f"<td>{c}</td>" for c, (_, num) in zip(row, headers))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpi(label: str, value: str, sub: str = "", fraction: float | None = None) -> str:
    bar = ""
    if fraction is not None and math.isfinite(fraction):
        bar = f'<div class="bar"><span style="width:{max(0.0, min(1.0, fraction)) * 100:.1f}%"></span></div>'
    return (f'<div class="kpi"><div class="label">{_e(label)}</div><div class="value">{value}</div>'
            f'<div class="sub">{sub}</div>{bar}</div>')


def _target_row(result: Result, rule: str):
    t = result.targets
    if t is None or t.empty:
        return None
    rows = t[t["rule"] == rule]
    return None if rows.empty else rows.iloc[0]


def _vs_target(result: Result, rule: str, fmt) -> tuple[str, float | None]:
    t = _target_row(result, rule)
    if t is None:
        return '<span class="muted">no target in the instance</span>', None
    target, achieved = float(t["target"]), float(t["achieved"])
    met = float(t["shortfall"]) <= 1e-6 * max(1.0, abs(target))
    enforced = "enforced" if bool(t["enforced"]) else "reported only"
    verdict = '<b class="ok">met</b>' if met else f'<b class="bad">short by {fmt(float(t["shortfall"]))}</b>'
    return f"target {fmt(target)} in {int(t['year'])} ({enforced}): {verdict}", (achieved / target if target else None)


def _kpi_header(result: Result, inputs) -> str:
    k = result.kpis
    cards = []
    ty = inputs.target_year if inputs is not None else ""
    sub, frac = _vs_target(result, "hpo_output", lambda v: _n(v, 0, "t"))
    cards.append(_kpi(f"HPO output {ty}", _n(k.get("hpo_t"), 0, "t/yr"), sub, frac))
    sub, frac = _vs_target(result, "reo_output", lambda v: _n(v, 0, "t"))
    cards.append(_kpi(f"REO output {ty}", _n(k.get("reo_t"), 0, "t/yr"), sub, frac))
    share = None
    if _isnum(k.get("reo_t")) and k.get("reo_t") and _isnum(k.get("hpo_t")):
        share = float(k["hpo_t"]) / float(k["reo_t"])
    sub, frac = _vs_target(result, "hp_share", lambda v: _pct(v))
    cards.append(_kpi(f"High-purity share {ty}", _pct(share), sub, frac))
    spend = k.get("spend_bn_rub")
    budget = inputs.total_budget if inputs is not None else None
    if budget:
        used = float(spend or 0)
        sub = f"of {_n(budget, 0)} bn RUB budget ({_pct(used / budget)}), {_n(budget - used, 1)} unspent"
        cards.append(_kpi("Spend (counted vs budget)", _n(spend, 1, "bn RUB"), sub, float(spend or 0) / budget))
    else:
        cards.append(_kpi("Spend (counted vs budget)", _n(spend, 1, "bn RUB"), "budget unknown"))
    by_area = k.get("spend_by_area_bn_rub") or {}
    rd_env = inputs.rd_envelope if inputs is not None else None
    if by_area:
        rd = float(by_area.get("rd", 0.0))
        sub = f"of {_n(rd_env, 0)} bn RUB envelope" if rd_env else ""
        cards.append(_kpi("R&D committed", _n(rd, 1, "bn RUB"), sub, rd / rd_env if rd_env else None))
    sub, _ = _vs_target(result, "jobs", lambda v: _n(v, 0))
    cards.append(_kpi(f"New jobs {ty}", _n(k.get("jobs"), 0), sub))
    sub, _ = _vs_target(result, "plants_online", lambda v: _n(v, 0))
    cards.append(_kpi(f"New plants online {ty}", _n(k.get("new_plants_online"), 0), sub))
    color = STATUS_COLORS.get(result.status.value, "#c53030")
    bound = (f"bound {_n(result.best_bound, 1)}" if _isnum(result.best_bound) else "no bound")
    cards.append(_kpi("Solver status", f'<span style="color:{color}">{_e(result.status.value.replace("_", " "))}</span>',
                      f"gap {_gap(result.mip_gap)} · {bound}"))
    return f'<div class="kpis">{"".join(cards)}</div>'


def _img(chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" width="{chart.width}" height="{chart.height}" '
            f'alt="{_e(chart.alt[:600])}" title="{_e(chart.title)}" data-chart="{_e(chart.name)}"></figure>')


def _section(title: str, note: str, body: str, sid: str) -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f'<section id="{_e(sid)}"><h2>{_e(title)}</h2>{note_html}{body}</section>'


def _targets_table(result: Result) -> str:
    t = result.targets
    if t is None or t.empty:
        return '<p class="muted">The instance sets no policy targets.</p>'
    rows = []
    for r in t.itertuples():
        frac = r.unit == "fraction"
        f = (lambda v: _pct(v, 1)) if frac else (lambda v: _n(v, 0))
        met = r.shortfall <= 1e-6 * max(1.0, abs(r.target))
        note = getattr(r, "note", "")
        rule = _e(r.rule) + (f'<br><span class="muted">{_e(note)}</span>' if isinstance(note, str) and note else "")
        rows.append([rule, _e(r.year), "yes" if r.enforced else '<span class="muted">no (reported)</span>',
                     f(r.target), f(r.achieved),
                     '<span class="ok">met</span>' if met else f'<span class="bad">{f(r.shortfall)}</span>',
                     _e("share" if frac else r.unit)])
    return _table([("rule", False), ("year", True), ("enforced", False), ("target", True), ("achieved", True),
                   ("shortfall", True), ("unit", False)], rows)


RULE_TEXT = {"budget_total": "total budget", "budget_rd": "R&D envelope", "budget_yearly": "yearly cap",
             "policy_jobs": "jobs rule", "policy_hp_share": "HP-share rule", "policy_plants_online": "plants-online rule",
             "policy_reo_output": "REO output rule", "policy_hpo_output": "HPO output rule",
             "policy_hp_share_output": "HP-share rule: output in the year"}


def _constraints_table(result: Result) -> str:
    cons = result.tables.get("constraints")
    if cons is None or cons.empty:
        return '<p class="muted">No budget or policy rules in the model.</p>'
    cons = cons.assign(_order=(~cons["binding"].astype(bool)).astype(int)).sort_values(["_order"], kind="stable")
    marg = result.tables.get("marginals")
    steps = {} if marg is None else {(r.rule, int(r.year) if r.rule == "budget_yearly" else None): r
                                     for r in marg.itertuples()}
    rows, classes = [], []
    for r in cons.itertuples():
        year = None if pd.isna(r.year) else int(r.year)
        m = steps.get((r.rule, year))
        gain = "" if m is None or pd.isna(m.gain) else f"{_n(m.gain, 0)} {_e(m.gain_unit)} per {_e(_step_text(m))}"
        rows.append([f"{_e(RULE_TEXT.get(r.rule, r.rule))} <code class='muted'>{_e(r.rule)}</code>",
                     "" if year is None else str(year), _n(r.lhs, 1), _n(r.rhs, 1), _n(r.slack, 1),
                     "binding" if bool(r.binding) else "", gain, _n(r.marginal, 3)])
        classes.append("binding" if bool(r.binding) else "")
    return _table([("rule", False), ("year", True), ("used", True), ("limit", True), ("slack", True), ("", False),
                   ("integer marginal", True), ("LP dual", True)], rows, classes)


def _step_text(m) -> str:
    return f"{m.step * 100:.0f} points" if m.unit == "share" else f"{_n(m.step, 0)} {m.unit}"


def _limits_table(result: Result) -> str:
    limits = result.tables["limits"]
    rows = [[str(r.rank), _e(r.limit), _e(r.relaxation),
             "–" if pd.isna(r.gain) else f"{_n(r.gain, 0)} {_e(r.gain_unit)}",
             "" if pd.isna(r.detail) else _e(r.detail)]
            for r in limits.itertuples()]
    return _table([("rank", True), ("limit", False), ("relaxed by", False), ("gain", True), ("what binds", False)],
                  rows)


def _flows_table(result: Result) -> str:
    flows = result.tables.get("flows")
    if flows is None or flows.empty:
        return '<p class="muted">No concentrate shipped.</p>'
    flows = flows[flows["t"] > 0.5].sort_values(["arrival_year", "t"], ascending=[True, False])
    rows = [[_e(r.deposit), _e(r.site), _e(str(r.mode).replace("_", " ")), _e(r.link), str(int(r.ship_year)),
             str(int(r.arrival_year)), _n(r.t, 0)] for r in flows.itertuples()]
    return _table([("deposit", False), ("site", False), ("mode", False), ("link", False), ("shipped", True),
                   ("arrives", True), ("t REO", True)], rows)


def _plants_table(result: Result, inputs) -> str:
    plants = result.tables.get("plants")
    if plants is None or plants.empty:
        return ""
    last = plants["year"].max()
    rows = []
    for site, g in plants.groupby("site", sort=False):
        if g["modules_started"].sum() == 0 and g["feed_t"].max() <= 0.5:
            continue
        g = g.sort_values("year")
        opened = g.loc[g["opened"].astype(bool), "year"]
        starts = ", ".join(f"{int(y)}: {int(n)}" for y, n in zip(g["year"], g["modules_started"]) if n)
        final = g[g["year"] == last].iloc[0]
        rows.append([_e(site), str(int(opened.iloc[0])) if len(opened) else '<span class="muted">existing</span>',
                     starts or "–", str(int(final["modules_online"])), _n(final["capacity_t"], 0), _n(final["feed_t"], 0),
                     _n(final["jobs"], 0)])
    if not rows:
        return ""
    return _table([("site", False), ("opened", True), ("modules started (year: n)", False), (f"modules {last}", True),
                   (f"capacity {last}, t", True), (f"feed {last}, t", True), (f"new jobs {last}", True)], rows)


def _spend_table(result: Result) -> str:
    alloc = result.tables.get("allocation")
    output = result.tables.get("output")
    if alloc is None or output is None:
        return ""
    years = [int(y) for y in output["year"]]
    pivot = alloc.pivot_table(index="area", columns="year", values="bn_rub", aggfunc="sum", fill_value=0.0)
    rows = []
    for area in AREA_KEYS:
        vals = [float(pivot.loc[area, y]) if area in pivot.index and y in pivot.columns else 0.0 for y in years]
        rows.append([_e({"rd": "R&D"}.get(area, area)), *[_n(v, 1) for v in vals], f"<b>{_n(sum(vals), 1)}</b>"])
    committed = alloc[alloc["kind"] == "committed"]
    if len(committed):
        by_year = committed.groupby("year")["bn_rub"].sum()
        vals = [float(by_year.get(y, 0.0)) for y in years]
        rows.append(['<span class="muted">of which under way (committed)</span>', *[_n(v, 1) for v in vals],
                     f"<b>{_n(sum(vals), 1)}</b>"])
        new = [float(alloc.loc[(alloc["kind"] != "committed") & (alloc["year"] == y), "bn_rub"].sum()) for y in years]
        rows.append(['<span class="muted">new decisions</span>', *[_n(v, 1) for v in new], f"<b>{_n(sum(new), 1)}</b>"])
    rows.append(["counted against budget", *[_n(v, 1) for v in output["spend_bn_rub"]],
                 f"<b>{_n(output['spend_bn_rub'].sum(), 1)}</b>"])
    return _table([("bn RUB", False), *[(str(y), True) for y in years], ("total", True)], rows)


def _assumptions(result: Result, instance, inputs) -> str:
    if instance is None:
        caps = ", ".join(f"{y}: {_n(v, 0)}" for y, v in sorted(inputs.yearly_caps.items())) if inputs else ""
        text = ("The instance itself is not available for this source (export the run with "
                "<code>reeplan runs export</code>, or keep <code>instance.yaml</code> beside summary.json). "
                "Budget rules read from the constraints table: ")
        bits = []
        if inputs is not None and inputs.total_budget is not None:
            bits.append(f"total budget {_n(inputs.total_budget, 0)} bn RUB")
        if inputs is not None and inputs.rd_envelope is not None:
            bits.append(f"R&D envelope {_n(inputs.rd_envelope, 0)} bn RUB")
        if caps:
            bits.append(f"yearly caps {caps}")
        return f'<p class="note">{text}{_e("; ".join(bits) or "none")}.</p>'
    h, b, t, p = instance.horizon, instance.budget, instance.technology, instance.policy
    general = _table([("assumption", False), ("value", False)], [
        ["horizon", f"{h.start_year}–{h.end_year}, target year {instance.target_year}"],
        ["total budget", f"{_n(b.total_bn_rub, 0)} bn RUB"],
        ["R&D envelope", f"{_n(b.rd_envelope_bn_rub, 0)} bn RUB"],
        ["yearly caps", _e(", ".join(f"{y}: {_n(v, 0)}" for y, v in sorted(b.yearly_cap_bn_rub.items())) or "none")
         + (" bn RUB" if b.yearly_cap_bn_rub else "")],
        ["operating cost counts against budget", "yes" if b.opex_counts else "no"],
        ["recovery today → ceiling", f"{_pct(t.recovery_today)} → {_pct(t.max_recovery)}"],
        ["high-purity share today → ceiling", f"{_pct(t.hp_share_today)} → {_pct(t.max_hp_share)}"],
        ["best purity today", f"{t.purity_today_pct:g} %"],
        ["entities", _e(f"{len(instance.deposits)} deposits ({len(instance.deposit_expansions)} expansions), "
                        f"{len(instance.sites)} sites, {len(instance.power_sources)} power sources, "
                        f"{len(instance.power_connections)} connections, {len(instance.links)} links "
                        f"({len(instance.link_upgrades)} upgrades), {len(instance.rd_programmes)} R&D programmes")],
    ])
    policy_rows = []
    for name, rule, value in (
        ("new plants online", p.plants_online, p.plants_online and _n(p.plants_online.min_count, 0)),
        ("new jobs", p.jobs, p.jobs and _n(p.jobs.min_jobs, 0)),
        ("REO output", p.reo_output, p.reo_output and _n(p.reo_output.min_t_per_yr, 0, "t/yr")),
        ("HPO output", p.hpo_output, p.hpo_output and _n(p.hpo_output.min_t_per_yr, 0, "t/yr")),
        ("high-purity share", p.hp_share, p.hp_share and _pct(p.hp_share.min_share)),
    ):
        if rule is None:
            continue
        policy_rows.append([_e(name), f"≥ {value}", str(rule.year),
                            '<span class="ok">enforced</span>' if rule.enabled else '<span class="muted">reported only</span>'])
    policy = (_table([("policy rule", False), ("threshold", False), ("year", True), ("", False)], policy_rows)
              if policy_rows else '<p class="muted">No policy rules.</p>')
    desc = f'<p class="note">{_e(instance.description)}</p>' if instance.description else ""
    return f'{desc}<div class="grid2"><div>{general}</div><div>{policy}</div></div>'


def build_html(result: Result, instance=None, charts=None, source: str = "", inputs=None) -> str:
    """The report page as one string."""
    name = result.instance_name
    color = STATUS_COLORS.get(result.status.value, "#c53030")
    sec = result.seconds or {}
    solver = result.solver or {}
    subtitle = (f"objective <b>{_e(result.objective_name)}</b> = {_n(result.objective, 1)}"
                f" · {_e(source)} · instance <code>{_e(result.instance_sha256[:12])}</code>")
    parts = [f"<header><h1>{_e(name)} <span class='badge' style='background:{color}'>"
             f"{_e(result.status.value.replace('_', ' '))}</span></h1><p>{subtitle}</p></header>"]
    if result.has_plan:
        parts.append(_kpi_header(result, inputs))
    if result.message:
        parts.append(f'<div class="message">{_e(result.message)}</div>')
    if result.diagnosis is not None and not result.diagnosis.empty:
        rows = [[_e(r.rule), _e(r.message)] for r in result.diagnosis.itertuples()]
        parts.append(_section("Diagnosis: rules that must give", "Largest first.",
                              _table([("rule", False), ("what must change", False)], rows), "diagnosis"))
    by_name = {c.name: c for c in (charts or [])}
    if result.has_plan:
        if "gantt" in by_name:
            parts.append(_section("When plants and R&D programmes are built",
                                  "Each bar runs from the year construction starts to the first year the modules "
                                  "produce (◆); R&D bars end when the programme's gain takes effect.",
                                  _img(by_name["gantt"]) + _plants_table(result, inputs), "gantt"))
        if "spend" in by_name:
            parts.append(_section("Where the money goes",
                                  "Money is committed in the year a build or programme starts (bn RUB). Red marks: "
                                  "yearly caps, total budget and R&D envelope.",
                                  _img(by_name["spend"]) + _spend_table(result), "spend"))
        if "output" in by_name:
            parts.append(_section("Output against the targets",
                                  "Red lines: policy targets (enforced ones are hard constraints of the model; the others are "
                                  "reported only).",
                                  _img(by_name["output"]) + _targets_table(result), "output"))
        flows_body = (_img(by_name["flows"]) if "flows" in by_name else "") + _flows_table(result)
        parts.append(_section("Concentrate flows, deposit → plant site", "t REO (oxide content) per year shipped.",
                              flows_body, "flows"))
        if "projects" in by_name:
            parts.append(_section("Infrastructure: power, logistics and mining", "Grid connections, new generation, "
                                  "transport links and mine expansions, from start to in service (◆).",
                                  _img(by_name["projects"]), "projects"))
        if result.tables.get("limits") is not None:
            parts.append(_section("Why not more?", "What limits the objective, ranked by the objective gained when "
                                  "each limit is relaxed by its step (re-solved).", _limits_table(result), "limits"))
        parts.append(_section("Budget and policy rules",
                              "Binding rules first (highlighted). Integer marginal: the objective gained by relaxing "
                              "the rule by its step, re-solved. LP dual: change of the objective per unit of the "
                              "limit in the LP with every integer decision fixed, for reference (usually 0 when "
                              "capital is decided by integers). Policy rules are shown in model form "
                              "(e.g. HP share: HPO − share × REO ≥ 0).",
                              _constraints_table(result), "constraints"))
    parts.append(_section("Assumptions of the instance", "", _assumptions(result, instance, inputs), "assumptions"))
    timing = " · ".join(f"{k} {float(v):.2f}s" for k, v in sec.items() if _isnum(v))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<footer>reeplan {_e(__version__)} · solver {_e(solver.get('name', '?'))} "
                 f"{_e(solver.get('version', ''))} · {_e(timing)} · tie-break: {_e(result.tie_break or '–')} · "
                 f"generated {generated}</footer>")
    title = f"reeplan report — {name}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


def write_plan_report(result: Result, html_path: str | Path, png_dir: str | Path | None = None, *,
                      instance=None, where: str = "result in memory") -> dict:
    """Write the HTML report of ``result`` (and the charts as PNG files to ``png_dir``).

    ``instance`` gives the assumptions and lead times (without it the page says what it lacks);
    ``where`` says on the page what the plan was read from. Returns {"html": path, "png": [paths],
    "charts": [names]}. To start from a run id or a folder, use ``reeplan.sources.write_report``."""
    from reeplan.report.plots import plan_charts

    inst = instance
    charts, inputs = [], None
    if result.has_plan and "output" in result.tables:
        inputs = plan_inputs(result, inst)
        charts = plan_charts(result.tables, result.targets, inputs)
    page = build_html(result, inst, charts, where, inputs)
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = html_path.with_name(f".{html_path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(html_path)
    pngs = []
    if png_dir is not None:
        png_dir = Path(png_dir)
        png_dir.mkdir(parents=True, exist_ok=True)
        for chart in charts:
            path = png_dir / f"{chart.name}.png"
            path.write_bytes(chart.png)
            pngs.append(path)
    return {"html": html_path, "png": pngs, "charts": [c.name for c in charts]}
