"""One self-contained HTML page per plan: KPIs, interactive charts, a map, tables and the instance's assumptions.

The page opens offline and fetches nothing: CSS, script (``report.js``), chart and map data are inline
(``reeplan.report.interactive``); ``--png`` also writes the matplotlib charts as PNG files for slides.
``write_plan_report`` takes a ``Result`` (with its ``Instance``);
``reeplan.sources.write_report`` starts from a run id or a folder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from reeplan.errors import UsageError
from reeplan.numbers import is_number
from reeplan.report.interactive import Page, plan_figures, shell
from reeplan.report.page import esc, gap_text, kpi_tile, num, pct, section, table
from reeplan.result.folders import write_new_file
from reeplan.result.result import AREA_KEYS, Result, atomic_write
from reeplan.version import __version__

STATUS_COLORS = {"optimal": "#2f855a", "time_limit": "#b7791f", "interrupted": "#b7791f"}


# --------------------------------------------------------------------------------------------
# chart inputs
# --------------------------------------------------------------------------------------------


def plan_inputs(result: Result, instance=None):
    """What the charts need besides the tables: from the instance when known, else from the tables."""
    from reeplan.report.chart_style import PlanInputs  # defers matplotlib

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
    sub, frac = _vs_target(result, "hpo_output", lambda v: num(v, 0, "t"))
    cards.append(kpi_tile(f"HPO output {ty}", num(k.get("hpo_t"), 0, "t/yr"), sub, frac))
    sub, frac = _vs_target(result, "reo_output", lambda v: num(v, 0, "t"))
    cards.append(kpi_tile(f"REO output {ty}", num(k.get("reo_t"), 0, "t/yr"), sub, frac))
    share = None
    if is_number(k.get("reo_t")) and k.get("reo_t") and is_number(k.get("hpo_t")):
        share = float(k["hpo_t"]) / float(k["reo_t"])
    sub, frac = _vs_target(result, "hp_share", lambda v: pct(v))
    cards.append(kpi_tile(f"High-purity share {ty}", pct(share), sub, frac))
    spend = k.get("spend_bn_rub")
    budget = inputs.total_budget if inputs is not None else None
    if budget:
        used = float(spend or 0)
        sub = f"of {num(budget, 0)} bn RUB budget ({pct(used / budget)}), {num(budget - used, 1)} unspent"
        cards.append(kpi_tile("Spend (counted vs budget)", num(spend, 1, "bn RUB"), sub, float(spend or 0) / budget))
    else:
        cards.append(kpi_tile("Spend (counted vs budget)", num(spend, 1, "bn RUB"), "budget unknown"))
    by_area = k.get("spend_by_area_bn_rub") or {}
    rd_env = inputs.rd_envelope if inputs is not None else None
    if by_area:
        rd = float(by_area.get("rd", 0.0))
        sub = f"of {num(rd_env, 0)} bn RUB envelope" if rd_env else ""
        cards.append(kpi_tile("R&D committed", num(rd, 1, "bn RUB"), sub, rd / rd_env if rd_env else None))
    sub, _ = _vs_target(result, "jobs", lambda v: num(v, 0))
    cards.append(kpi_tile(f"New jobs {ty}", num(k.get("jobs"), 0), sub))
    sub, _ = _vs_target(result, "plants_online", lambda v: num(v, 0))
    cards.append(kpi_tile(f"New plants online {ty}", num(k.get("new_plants_online"), 0), sub))
    color = STATUS_COLORS.get(result.status.value, "#c53030")
    bound = (f"bound {num(result.best_bound, 1)}" if is_number(result.best_bound) else "no bound")
    cards.append(kpi_tile("Solver status", f'<span style="color:{color}">{esc(result.status.value.replace("_", " "))}</span>',
                      f"gap {gap_text(result.mip_gap)} · {bound}"))
    return f'<div class="kpis">{"".join(cards)}</div>'


def _targets_table(result: Result) -> str:
    t = result.targets
    if t is None or t.empty:
        return '<p class="muted">The instance sets no policy targets.</p>'
    rows = []
    for r in t.itertuples():
        frac = r.unit == "fraction"
        f = (lambda v: pct(v, 1)) if frac else (lambda v: num(v, 0))
        met = r.shortfall <= 1e-6 * max(1.0, abs(r.target))
        note = getattr(r, "note", "")
        rule = esc(r.rule) + (f'<br><span class="muted">{esc(note)}</span>' if isinstance(note, str) and note else "")
        rows.append([rule, esc(r.year), "yes" if r.enforced else '<span class="muted">no (reported)</span>',
                     f(r.target), f(r.achieved),
                     '<span class="ok">met</span>' if met else f'<span class="bad">{f(r.shortfall)}</span>',
                     esc("share" if frac else r.unit)])
    return table([("rule", False), ("year", True), ("enforced", False), ("target", True), ("achieved", True),
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
        gain = "" if m is None or pd.isna(m.gain) else f"{num(m.gain, 0)} {esc(m.gain_unit)} per {esc(_step_text(m))}"
        rows.append([f"{esc(RULE_TEXT.get(r.rule, r.rule))} <code class='muted'>{esc(r.rule)}</code>",
                     "" if year is None else str(year), num(r.lhs, 1), num(r.rhs, 1), num(r.slack, 1),
                     "binding" if bool(r.binding) else "", gain, num(r.marginal, 3)])
        classes.append("binding" if bool(r.binding) else "")
    return table([("rule", False), ("year", True), ("used", True), ("limit", True), ("slack", True), ("", False),
                   ("integer marginal", True), ("LP dual", True)], rows, classes)


def _step_text(m) -> str:
    return f"{m.step * 100:.0f} points" if m.unit == "share" else f"{num(m.step, 0)} {m.unit}"


def _limits_table(result: Result) -> str:
    limits = result.tables["limits"]
    rows = [[str(r.rank), esc(r.limit), esc(r.relaxation),
             "–" if pd.isna(r.gain) else f"{num(r.gain, 0)} {esc(r.gain_unit)}",
             "" if pd.isna(r.detail) else esc(r.detail)]
            for r in limits.itertuples()]
    return table([("rank", True), ("limit", False), ("relaxed by", False), ("gain", True), ("what binds", False)],
                  rows)


def _flows_table(result: Result) -> str:
    flows = result.tables.get("flows")
    if flows is None or flows.empty:
        return '<p class="muted">No concentrate shipped.</p>'
    flows = flows[flows["t"] > 0.5].sort_values(["arrival_year", "t"], ascending=[True, False])
    rows = [[esc(r.deposit), esc(r.site), esc(str(r.mode).replace("_", " ")), esc(r.link), str(int(r.ship_year)),
             str(int(r.arrival_year)), num(r.t, 0)] for r in flows.itertuples()]
    return table([("deposit", False), ("site", False), ("mode", False), ("link", False), ("shipped", True),
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
        rows.append([esc(site), str(int(opened.iloc[0])) if len(opened) else '<span class="muted">existing</span>',
                     starts or "–", str(int(final["modules_online"])), num(final["capacity_t"], 0), num(final["feed_t"], 0),
                     num(final["jobs"], 0)])
    if not rows:
        return ""
    return table([("site", False), ("opened", True), ("modules started (year: n)", False), (f"modules {last}", True),
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
        rows.append([esc({"rd": "R&D"}.get(area, area)), *[num(v, 1) for v in vals], f"<b>{num(sum(vals), 1)}</b>"])
    committed = alloc[alloc["kind"] == "committed"]
    if len(committed):
        by_year = committed.groupby("year")["bn_rub"].sum()
        vals = [float(by_year.get(y, 0.0)) for y in years]
        rows.append(['<span class="muted">of which under way (committed)</span>', *[num(v, 1) for v in vals],
                     f"<b>{num(sum(vals), 1)}</b>"])
        new = [float(alloc.loc[(alloc["kind"] != "committed") & (alloc["year"] == y), "bn_rub"].sum()) for y in years]
        rows.append(['<span class="muted">new decisions</span>', *[num(v, 1) for v in new], f"<b>{num(sum(new), 1)}</b>"])
    rows.append(["counted against budget", *[num(v, 1) for v in output["spend_bn_rub"]],
                 f"<b>{num(output['spend_bn_rub'].sum(), 1)}</b>"])
    return table([("bn RUB", False), *[(str(y), True) for y in years], ("total", True)], rows)


def _assumptions(result: Result, instance, inputs) -> str:
    if instance is None:
        caps = ", ".join(f"{y}: {num(v, 0)}" for y, v in sorted(inputs.yearly_caps.items())) if inputs else ""
        text = ("The instance itself is not available for this source (export the run with "
                "<code>reeplan runs export</code>, or keep <code>instance.yaml</code> beside summary.json). "
                "Budget rules read from the constraints table: ")
        bits = []
        if inputs is not None and inputs.total_budget is not None:
            bits.append(f"total budget {num(inputs.total_budget, 0)} bn RUB")
        if inputs is not None and inputs.rd_envelope is not None:
            bits.append(f"R&D envelope {num(inputs.rd_envelope, 0)} bn RUB")
        if caps:
            bits.append(f"yearly caps {caps}")
        return f'<p class="note">{text}{esc("; ".join(bits) or "none")}.</p>'
    h, b, t, p = instance.horizon, instance.budget, instance.technology, instance.policy
    general = table([("assumption", False), ("value", False)], [
        ["horizon", f"{h.start_year}–{h.end_year}, target year {instance.target_year}"],
        ["total budget", f"{num(b.total_bn_rub, 0)} bn RUB"],
        ["R&D envelope", f"{num(b.rd_envelope_bn_rub, 0)} bn RUB"],
        ["yearly caps", esc(", ".join(f"{y}: {num(v, 0)}" for y, v in sorted(b.yearly_cap_bn_rub.items())) or "none")
         + (" bn RUB" if b.yearly_cap_bn_rub else "")],
        ["operating cost counts against budget", "yes" if b.opex_counts else "no"],
        ["recovery today → ceiling", f"{pct(t.recovery_today)} → {pct(t.max_recovery)}"],
        ["high-purity share today → ceiling", f"{pct(t.hp_share_today)} → {pct(t.max_hp_share)}"],
        ["best purity today", f"{t.purity_today_pct:g} %"],
        ["entities", esc(f"{len(instance.deposits)} deposits ({len(instance.deposit_expansions)} expansions), "
                        f"{len(instance.sites)} sites, {len(instance.power_sources)} power sources, "
                        f"{len(instance.power_connections)} connections, {len(instance.links)} links "
                        f"({len(instance.link_upgrades)} upgrades), {len(instance.rd_programmes)} R&D programmes")],
    ])
    policy_rows = []
    for name, rule, value in (
        ("new plants online", p.plants_online, p.plants_online and num(p.plants_online.min_count, 0)),
        ("new jobs", p.jobs, p.jobs and num(p.jobs.min_jobs, 0)),
        ("REO output", p.reo_output, p.reo_output and num(p.reo_output.min_t_per_yr, 0, "t/yr")),
        ("HPO output", p.hpo_output, p.hpo_output and num(p.hpo_output.min_t_per_yr, 0, "t/yr")),
        ("high-purity share", p.hp_share, p.hp_share and pct(p.hp_share.min_share)),
    ):
        if rule is None:
            continue
        policy_rows.append([esc(name), f"≥ {value}", str(rule.year),
                            '<span class="ok">enforced</span>' if rule.enabled else '<span class="muted">reported only</span>'])
    policy = (table([("policy rule", False), ("threshold", False), ("year", True), ("", False)], policy_rows)
              if policy_rows else '<p class="muted">No policy rules.</p>')
    desc = f'<p class="note">{esc(instance.description)}</p>' if instance.description else ""
    return f'{desc}<div class="grid2"><div>{general}</div><div>{policy}</div></div>'


def build_html(result: Result, instance=None, charts=None, source: str = "", inputs=None) -> str:
    """The report page as one string. ``charts``: figure name -> HTML (``interactive.plan_figures``)."""
    page = Page()
    figs = dict(charts) if isinstance(charts, dict) else {}
    if not figs and result.has_plan and "output" in result.tables:
        figs = plan_figures(result, inputs, page, instance)
    name = result.instance_name
    color = STATUS_COLORS.get(result.status.value, "#c53030")
    sec = result.seconds or {}
    solver = result.solver or {}
    subtitle = (f"objective <b>{esc(result.objective_name)}</b> = {num(result.objective, 1)}"
                f" · {esc(source)} · instance <code>{esc(result.instance_sha256[:12])}</code>")
    parts = [f"<header><h1>{esc(name)} <span class='badge' style='background:{color}'>"
             f"{esc(result.status.value.replace('_', ' '))}</span></h1><p>{subtitle}</p></header>"]
    if result.has_plan:
        parts.append(_kpi_header(result, inputs))
    if result.message:
        parts.append(f'<div class="message">{esc(result.message)}</div>')
    if result.diagnosis is not None and not result.diagnosis.empty:
        rows = [[esc(r.rule), esc(r.message)] for r in result.diagnosis.itertuples()]
        parts.append(section("Diagnosis: rules that must give", "Largest first.",
                              table([("rule", False), ("what must change", False)], rows), "diagnosis"))
    if result.has_plan and "output" in result.tables:
        if "map" in figs:
            parts.append(section("The network on the map", "Deposits, plant sites and power sources with the links "
                                  "and connections between them; sized by what flows, coloured by the year it starts.",
                                  figs["map"], "map"))
        elif instance is None:
            parts.append(section("The network on the map", "", '<p class="muted">The instance is not available for '
                                  "this source, so there are no coordinates to draw.</p>", "map"))
        else:
            parts.append(section("The network on the map", "", '<p class="muted">This instance gives no coordinates '
                                  "(optional <code>lat</code>/<code>lon</code> on deposits, sites and power "
                                  "sources).</p>", "map"))
        parts.append(section("When plants are built", "Modules online by site and year; the table gives the years "
                              "modules start (construction) and the capacity and feed in the last year.",
                              figs.get("plants", "") + _plants_table(result, inputs), "gantt"))
        parts.append(section("Where the money goes",
                              "Money is committed in the year a build or programme starts (bn RUB), by area. Red "
                              "marks: yearly caps.", figs.get("spend", "") + _spend_table(result), "spend"))
        parts.append(section("Output against the targets",
                              "Red marks: policy targets (enforced ones are hard constraints of the model; the others "
                              "are reported only).", figs.get("output", "") + _targets_table(result), "output"))
        parts.append(section("Concentrate flows, deposit → plant site", "t REO (oxide content) arriving per year.",
                              figs.get("flows", "") + _flows_table(result), "flows"))
        parts.append(section("Infrastructure: power, logistics and mining", "Projects the plan starts.",
                              _projects_table(result), "projects"))
        if result.tables.get("limits") is not None:
            parts.append(section("Why not more?", "What limits the objective, ranked by the objective gained when "
                                  "each limit is relaxed by its step (re-solved).", _limits_table(result), "limits"))
        parts.append(section("Budget and policy rules",
                              "Binding rules first (highlighted). Integer marginal: the objective gained by relaxing "
                              "the rule by its step, re-solved. LP dual: change of the objective per unit of the "
                              "limit in the LP with every integer decision fixed, for reference (usually 0 when "
                              "capital is decided by integers). Policy rules are shown in model form "
                              "(e.g. HP share: HPO − share × REO ≥ 0).",
                              _constraints_table(result), "constraints"))
    parts.append(section("Assumptions of the instance", "", _assumptions(result, instance, inputs), "assumptions"))
    timing = " · ".join(f"{k} {float(v):.2f}s" for k, v in sec.items() if is_number(v))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<footer>reeplan {esc(__version__)} · solver {esc(solver.get('name', '?'))} "
                 f"{esc(solver.get('version', ''))} · {esc(timing)} · tie-break: {esc(result.tie_break or '–')} · "
                 f"generated {generated}</footer>")
    return shell(f"reeplan report — {name}", "".join(parts), page)


def _projects_table(result: Result) -> str:
    projects = result.tables.get("projects")
    if projects is None or projects.empty:
        return '<p class="muted">No infrastructure project started.</p>'
    rows = [[esc(r.project), esc(str(r.kind).replace("_", " ")), esc(r.area), str(int(r.start_year)),
             str(int(r.ready_year)), num(r.capex_bn_rub, 1)] for r in projects.itertuples()]
    return table([("project", False), ("kind", False), ("area", False), ("start", True), ("ready", True),
                  ("capex bn RUB", True)], rows)


def write_plan_report(result: Result, html_path: str | Path, png_dir: str | Path | None = None, *,
                      instance=None, where: str = "result in memory") -> dict:
    """Write the HTML report of ``result`` (and the charts as PNG files to ``png_dir``).

    ``instance`` gives the assumptions and lead times (without it the page says what it lacks);
    ``where`` says on the page what the plan was read from. Returns {"html": path, "png": [paths],
    "charts": [names]}. To start from a run id or a folder, use ``reeplan.sources.write_report``."""
    from reeplan.report.plots import plan_charts  # defers matplotlib and numpy

    # the paths are checked before any chart is drawn: a typo costs no rendering
    html_path = Path(html_path)
    if not html_path.name or html_path.is_dir():
        raise UsageError(f"--html {str(html_path)!r}: give the name of the HTML file to write")
    if any(p.exists() and not p.is_dir() for p in html_path.parents):
        raise UsageError(f"--html {str(html_path)!r}: a part of the folder path is an existing file")
    if png_dir is not None and any(p.exists() and not p.is_dir() for p in (Path(png_dir), *Path(png_dir).parents)):
        raise UsageError(f"--png {str(png_dir)!r}: give a folder for the PNG charts")
    inst = instance
    charts, inputs = [], None
    if result.has_plan and "output" in result.tables:
        inputs = plan_inputs(result, inst)
        if png_dir is not None:  # the PNG charts (matplotlib) only for --png: the page draws its own
            charts = plan_charts(result.tables, result.targets, inputs)
    page = build_html(result, inst, None, where, inputs)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(html_path, page)  # a random temporary name, created exclusively, then renamed
    pngs = []
    if png_dir is not None:
        png_dir = Path(png_dir)
        png_dir.mkdir(parents=True, exist_ok=True)
        for chart in charts:
            pngs.append(write_new_file(png_dir / f"{chart.name}.png", chart.png, replace=True))
    return {"html": html_path, "png": pngs, "charts": [c.name for c in charts]}
