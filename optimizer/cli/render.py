"""Rich rendering of results for the terminal (presentation only: no computation of results).

Every name, message or other text from the result is data: it goes into rich through ``shown``."""

from __future__ import annotations

import pandas as pd
from reeplan.numbers import fixed, gap
from reeplan.result.result import AREA_KEYS, Result, Status
from reeplan.text import shown
from rich.console import Console
from rich.table import Table

STATUS_STYLE = {Status.OPTIMAL: "bold green", Status.TIME_LIMIT: "bold yellow", Status.INTERRUPTED: "bold yellow"}


def render_result(result: Result, console: Console) -> None:
    """Status line, spend by area and year, plants, output vs targets, binding rules, diagnosis."""
    style = STATUS_STYLE.get(result.status, "bold red")
    sec = result.seconds
    console.print(
        f"[{style}]{result.status.value.upper()}[/] {shown(result.instance_name)} · objective {shown(result.objective_name)}"
        f" = {fixed(result.objective)} · bound {fixed(result.best_bound)} · gap {gap(result.mip_gap)}"
        f" · build {sec.get('build', 0):.2f}s solve {sec.get('solve', 0):.2f}s total {sec.get('total', 0):.2f}s")
    if result.message:
        console.print(f"[yellow]{shown(result.message)}[/]")
    if result.diagnosis is not None:
        _render_diagnosis(result.diagnosis, console)
    if not result.has_plan:
        return
    k = result.kpis
    console.print(f"HPO {fixed(k.hpo_t, 0)} t · REO {fixed(k.reo_t, 0)} t in the target year · "
                  f"spend {fixed(k.spend_bn_rub)} bn RUB · new plants {fixed(k.new_plants_online, 0)} · "
                  f"jobs {fixed(k.jobs, 0)} · tie-break: {shown(result.tie_break)}")
    if "output" not in result.tables:  # a record that is not a plan (a stress test): its figures only
        return
    _render_spend(result.tables["output"], result.tables["allocation"], console)
    _render_plants(result.tables["plants"], console)
    _render_rd(result.tables["rd"], console)
    _render_output(result.tables["output"], console)
    if result.targets is not None and len(result.targets):
        _render_targets(result.targets, console)
    _render_constraints(result.tables["constraints"], result.tables.get("marginals"), console)
    if result.tables.get("limits") is not None:
        _render_limits(result.tables["limits"], console)


def _render_spend(output: pd.DataFrame, allocation: pd.DataFrame, console: Console) -> None:
    years = list(output["year"])
    table = Table(title="Money committed by area and year (bn RUB)")
    table.add_column("area")
    for y in years:
        table.add_column(str(y), justify="right")
    table.add_column("total", justify="right", style="bold")
    pivot = allocation.pivot_table(index="area", columns="year", values="bn_rub", aggfunc="sum", fill_value=0.0)
    for area in AREA_KEYS:
        values = [float(pivot.loc[area, y]) if area in pivot.index and y in pivot.columns else 0.0 for y in years]
        table.add_row(area, *[fixed(v) for v in values], fixed(sum(values)))
    committed = allocation[allocation["kind"] == "committed"]
    if len(committed):
        by_year = committed.groupby("year")["bn_rub"].sum()
        vals = [float(by_year.get(y, 0.0)) for y in years]
        table.add_row("  of which under way (all areas)", *[fixed(v) for v in vals], fixed(sum(vals)), style="dim")
    table.add_row("opex", *[fixed(v) for v in output["opex_bn_rub"]], fixed(output["opex_bn_rub"].sum()))
    table.add_row("counted vs budget", *[fixed(v) for v in output["spend_bn_rub"]], fixed(output["spend_bn_rub"].sum()))
    console.print(table)


def _render_plants(plants: pd.DataFrame, console: Console) -> None:
    built = plants[plants["modules_started"] > 0]
    if built.empty:
        console.print("No new modules built.")
        return
    table = Table(title="Plants: new modules started (year: count) and first year online")
    for col in ("site", "opened", "modules started", "first online", "modules online (last year)", "jobs", "feed (last year, t)"):
        table.add_column(col, justify="left" if col == "site" else "right")
    last = plants["year"].max()
    for site, rows in plants.groupby("site", sort=False):
        if rows["modules_started"].sum() == 0:
            continue
        opened = rows.loc[rows["opened"], "year"]
        starts = ", ".join(f"{y}: {n}" for y, n in zip(rows["year"], rows["modules_started"]) if n)
        first_new = rows.loc[rows["jobs"] > 0, "year"]
        final = rows[rows["year"] == last].iloc[0]
        table.add_row(shown(site), str(opened.iloc[0]) if len(opened) else "existing", starts,
                      str(first_new.iloc[0]) if len(first_new) else "-", str(final["modules_online"]),
                      fixed(final["jobs"], 0), fixed(final["feed_t"], 0))
    console.print(table)


def _render_rd(rd: pd.DataFrame, console: Console) -> None:
    if rd.empty:
        return
    table = Table(title="R&D programmes")
    for col in ("programme", "start", "complete", "cost bn RUB"):
        table.add_column(col)
    for r in rd.itertuples():
        table.add_row(shown(r.programme), str(r.start_year), str(r.completion_year), fixed(r.cost_bn_rub))
    console.print(table)


def _render_output(output: pd.DataFrame, console: Console) -> None:
    table = Table(title="Output trajectory")
    for col in ("year", "feed t", "REO t", "HPO t", "recovery", "HP share", "R&D level", "jobs"):
        table.add_column(col, justify="right")
    for r in output.itertuples():
        table.add_row(str(r.year), fixed(r.feed_t, 0), fixed(r.reo_t, 0), fixed(r.hpo_t, 0), f"{r.recovery:.1%}",
                      f"{r.hp_share:.1%}", shown(r.level or "today"), fixed(r.jobs, 0))
    console.print(table)


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    return table


def _render_targets(targets: pd.DataFrame, console: Console) -> None:
    table = _table("Targets of the plan", ("rule", "year", "enforced", "target", "achieved", "shortfall", "unit"))
    for r in targets.itertuples():
        ok = r.shortfall <= 1e-6 * max(1.0, abs(r.target))
        digits = 2 if r.unit == "fraction" else 0
        table.add_row(shown(r.rule), str(r.year), "yes" if r.enforced else "no", fixed(r.target, digits),
                      fixed(r.achieved, digits), "[green]met[/]" if ok else f"[red]{fixed(r.shortfall, digits)}[/]",
                      shown(r.unit))
    console.print(table)
    for r in targets.itertuples():
        note = getattr(r, "note", "")
        if isinstance(note, str) and note:
            console.print(f"  {shown(r.rule)}: {shown(note)}")


def _render_constraints(cons: pd.DataFrame, marginals: pd.DataFrame | None, console: Console) -> None:
    # yearly caps are told apart by year; each policy rule has one row (its year is the rule's)
    steps = {} if marginals is None else {(r.rule, int(r.year) if r.rule == "budget_yearly" else None): r
                                          for r in marginals.itertuples()}
    table = _table("Budget and policy rules: integer marginal = objective gained by relaxing the rule by its step "
                   "(re-solved); LP dual with integers fixed, for reference",
                   ("rule", "year", "used", "limit", "slack", "binding", "step", "integer marginal", "LP dual"))
    for r in cons.itertuples():
        year = None if pd.isna(r.year) else int(r.year)
        m = steps.get((r.rule, year))
        step = "" if m is None else (f"{m.step:.0%}".replace("%", " pts") if m.unit == "share"
                                     else f"{fixed(m.step, 0)} {shown(m.unit)}")
        gain = "" if m is None or m.gain is None or pd.isna(m.gain) else f"{fixed(m.gain, 0)} {shown(m.gain_unit)}"
        table.add_row(shown(r.rule), "" if year is None else str(year), fixed(r.lhs), fixed(r.rhs), fixed(r.slack),
                      "yes" if r.binding else "", step, gain, fixed(r.marginal, 3))
    console.print(table)


def _render_limits(limits: pd.DataFrame, console: Console) -> None:
    table = _table("Why not more? What limits the objective, ranked by the gain from relaxing it",
                   ("rank", "limit", "relaxed by", "gain", "what binds"))
    for r in limits.itertuples():
        gain = "-" if r.gain is None or pd.isna(r.gain) else f"{fixed(r.gain, 0)} {shown(r.gain_unit)}"
        table.add_row(str(r.rank), shown(r.limit), shown(r.relaxation), gain,
                      "" if r.detail is None or pd.isna(r.detail) else shown(r.detail))
    console.print(table)


def _render_diagnosis(diag: pd.DataFrame, console: Console) -> None:
    table = Table(title="Diagnosis: rules that must give (largest first)", title_style="bold red")
    table.add_column("rule")
    table.add_column("what must change")
    for r in diag.itertuples():
        table.add_row(shown(r.rule), shown(r.message))
    console.print(table)
