"""CLI commands for 'runs' and 'report' (registered on the main app by optimizer/cli/app.py).

Thin: parse, call ``reeplan.store.runs`` / ``reeplan.report.html``, render with rich. Bad input raises a
``ReeplanError`` subclass (``StoreError``, ``UsageError``), which ``cli.main`` maps to an exit code.
"""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from reeplan.cli.console import ForceOpt, StoreOpt, err_console, out_console
from reeplan.errors import InfeasibleError, NoSolutionError, UsageError
from reeplan.numbers import fixed, gap
from reeplan.options import SolveOptions
from reeplan.text import shown
from rich import box
from rich.table import Table

RunIdArg = Annotated[int, typer.Argument(help="Run id (see `reeplan runs list`)", min=1)]

REPRODUCE_REL_TOL = 1e-6


class StatusFilter(str, Enum):
    """Solve statuses ``reeplan runs list --status`` can filter on."""

    optimal = "optimal"
    time_limit = "time_limit"
    interrupted = "interrupted"
    infeasible = "infeasible"
    unbounded = "unbounded"
    error = "error"


def _store(path: Path | None, create: bool = False):
    from reeplan.store.runs import open_store  # defers sqlite3 and pydantic

    return open_store(path, create=create)


runs_app = typer.Typer(help="The run store: every solve kept (inputs, options, versions, status, tables).",
                       no_args_is_help=True)


@runs_app.command("list")
def list_cmd(
    instance: Annotated[str | None, typer.Option(help="Only runs of this instance name")] = None,
    status: Annotated[StatusFilter | None, typer.Option(help="Only runs with this status")] = None,
    command: Annotated[str | None, typer.Option(help="Only runs made by this command (solve, rerun, sweep, ...)")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the newest N runs", min=1)] = None,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON lines")] = False,
) -> None:
    """List the recorded runs, oldest first."""
    from reeplan.store.runs import list_runs  # defers sqlite3 and pydantic

    st = _store(store)
    df = list_runs(st, instance=instance, status=status.value if status else None, command=command, limit=limit)
    if as_json:
        for rec in df.to_dict(orient="records"):
            typer.echo(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}))
        return
    if df.empty:
        out_console.print(f"no runs in {shown(st.path)}" + (" matching the filters" if instance or status or command else ""))
        return
    labels = bool(df["label"].astype(bool).any())
    wide = out_console.width >= 120  # narrow terminals get the essential columns only
    columns = [("id", True, True), ("time (UTC)", False, True), ("command", False, wide), ("instance", False, True),
               ("objective", False, True), ("status", False, True), ("value", True, True), ("gap", True, wide),
               ("HPO t", True, True), ("spend", True, wide), ("s", True, wide), ("label", False, wide and labels)]
    table = Table(title=f"Runs in {shown(st.path)}", box=box.SIMPLE_HEAD, pad_edge=False)
    for col, right, visible in columns:
        if visible:
            table.add_column(col, justify="right" if right else "left",
                             no_wrap=col in ("id", "time (UTC)", "status", "value", "gap"))
    for r in df.itertuples():
        style = {"optimal": "green", "time_limit": "yellow", "interrupted": "yellow"}.get(r.status, "red")
        cells = {"id": str(r.id), "time (UTC)": shown(r.created_utc.replace("T", " ")[:16]),
                 "command": shown(r.command), "instance": shown(r.instance), "objective": shown(r.objective_name),
                 "status": f"[{style}]{shown(r.status)}[/]", "value": fixed(r.objective), "gap": gap(r.mip_gap),
                 "HPO t": fixed(r.hpo_t, 0), "spend": fixed(r.spend_bn_rub), "s": fixed(r.seconds, 1),
                 "label": shown(r.label or "")}
        table.add_row(*[cells[col] for col, _, visible in columns if visible])
    out_console.print(table)
    legend = "value: objective" + ("; spend: bn RUB counted against the budget; s: seconds" if wide else
                                   " (a wider terminal, or --json, shows every column)")
    out_console.print(legend, style="dim")


@runs_app.command("show")
def show_cmd(run_id: RunIdArg, store: StoreOpt = None) -> None:
    """Show everything recorded about a run, then its plan."""
    from reeplan.cli.render import render_result  # defers pydantic and yaml
    from reeplan.store.runs import get_run, load_result  # defers sqlite3 and pydantic

    st = _store(store)
    run = get_run(st, run_id)
    table = Table(title=f"Run {run['id']}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    solver = run["solver"] or {}
    rows = [
        ("recorded", f"{run['created_utc']} by `{run['command']}`" + (f" · {run['label']}" if run["label"] else "")),
        ("instance", f"{run['instance_name']} · sha256 {run['instance_sha256']}"),
        ("overrides", " ".join(run["overrides"]) or "none"),
        ("objective", f"{run['objective_name']} = {fixed(run['objective'])} · bound {fixed(run['best_bound'])} · "
                      f"gap {gap(run['mip_gap'])}"),
        ("status", f"{run['status']}" + (f" · {run['message']}" if run["message"] else "")),
        ("options", json.dumps(run["options"], sort_keys=True)),
        ("solver", f"{solver.get('name', '?')} {solver.get('version', '')} · "
                   f"{json.dumps(solver.get('options', {}), sort_keys=True)}"),
        ("seconds", " · ".join(f"{k} {float(v):.2f}" for k, v in run["seconds"].items())),
        ("reeplan", run["reeplan_version"]),
        ("uid", run["uid"]),
    ]
    if run["extra"]:
        rows.append(("extra", json.dumps(run["extra"], sort_keys=True)))
    for k, v in rows:
        table.add_row(k, shown(v))
    out_console.print(table)
    render_result(load_result(st, run_id), out_console)


@runs_app.command("export")
def export_cmd(
    run_id: RunIdArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for summary.json, the CSV tables and instance.yaml")],
    force: ForceOpt = False,
    store: StoreOpt = None,
) -> None:
    """Write a run as `solve --out` does (summary.json + CSVs), plus the exact instance solved."""
    from reeplan.store.runs import export_run  # defers sqlite3 and pydantic

    written = export_run(_store(store), run_id, out, force=force)
    out_console.print(f"wrote {len(written)} files to {shown(out)}/ (summary.json, tables, instance.yaml)")


@runs_app.command("rerun")
def rerun_cmd(
    run_id: RunIdArg,
    store: StoreOpt = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the new run")] = False,
    time_limit: Annotated[float | None, typer.Option(help="Replace the stored time limit (seconds)")] = None,
) -> None:
    """Solve a stored run again (same instance, same options) and compare the objective."""
    from reeplan.cli.render import render_result  # defers pydantic and yaml
    from reeplan.result.result import Status  # defers pydantic and yaml
    from reeplan.sources import rerun  # defers sqlite3 and pydantic
    from reeplan.store.runs import get_run, load_run_instance, record_run  # defers sqlite3 and pydantic

    st = _store(store)
    old = get_run(st, run_id)
    err_console.print(f"re-solving run {run_id}: {shown(old['instance_name'])} ({shown(old['objective_name'])}) ...")
    overrides = {} if time_limit is None else {"time_limit": time_limit}
    result = rerun(st, run_id, **overrides)
    render_result(result, out_console)
    if not no_store:
        known = {k: v for k, v in old["options"].items() if k in SolveOptions.__dataclass_fields__}
        new_id = record_run(st, result, load_run_instance(st, run_id), "rerun", old["overrides"],
                            SolveOptions(**{**known, **overrides}), label=f"rerun of {run_id}",
                            extra={"rerun_of": run_id})
        out_console.print(f"recorded as run {new_id} in {shown(st.path)}")
    before, after = old["objective"], result.objective
    if before is not None and after is not None:
        rel = abs(after - before) / max(abs(before), 1e-10)
        if rel <= REPRODUCE_REL_TOL:
            out_console.print(f"[green]reproduced[/]: objective {fixed(after, 4)} (stored {fixed(before, 4)}, "
                              f"relative difference {rel:.1e})")
        else:
            out_console.print(f"[bold yellow]differs[/]: objective {fixed(after, 4)}, stored {fixed(before, 4)} "
                              f"(relative difference {rel:.1e} > {REPRODUCE_REL_TOL:g})")
    elif old["status"] != result.status.value:
        out_console.print(f"[bold yellow]status differs[/]: {result.status.value}, stored {shown(old['status'])}")
    if result.status == Status.INFEASIBLE:
        raise InfeasibleError(result.message, result.diagnosis)
    if not result.has_plan:
        raise NoSolutionError(result.message)


@runs_app.command("rm")
def rm_cmd(
    run_ids: Annotated[list[int], typer.Argument(help="Run id(s) to delete", min=1)],
    store: StoreOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing")] = False,
) -> None:
    """Delete runs (and their tables) from the store: shows what goes, asks first (--yes to skip, --dry-run to look)."""


    from reeplan.store.runs import remove_runs  # defers sqlite3 and pydantic

    st = _store(store)
    plan = remove_runs(st, run_ids, dry_run=True)  # every id must exist, or nothing is removed
    for item in plan:
        out_console.print(f"run {item['id']}: {shown(item['command'])} of {shown(item['instance_name'])}, "
                          f"{shown(item['created_utc'])}, {len(item['tables'])} tables"
                          + (" and its instance" if item["instance_removed"] else ""))
    if dry_run:
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("runs rm asks before deleting: give --yes (or --dry-run to see what would go)")
        if not typer.confirm(f"delete {len(plan)} run(s)?", default=False):
            raise typer.Exit(1)
    for item in remove_runs(st, run_ids):
        out_console.print(f"removed run {item['id']}")


def report_cmd(
    sources: Annotated[list[str], typer.Argument(metavar="RUN_OR_DIR...", help=(
        "One run id of the store or one folder (written by solve, compare, sweep, stress, solve --robust or "
        "bench): its page. Several run ids or result folders: a scenarios page, side by side"))],
    html_file: Annotated[Path, typer.Option("--html", help="HTML file to write (one self-contained page)")],
    png: Annotated[Path | None, typer.Option("--png", help="Also write each chart of a plan as a PNG file to this "
                                                           "folder")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="For a solve --robust folder: the robust plan's page "
                                                      "instead of its distributions")] = False,
    store: StoreOpt = None,
) -> None:
    """Write a self-contained interactive HTML page: a plan (KPIs, map, charts, tables, assumptions), several plans
    side by side, a sweep's curve, a stress test's distributions or a benchmark; --png for slides."""
    written = write_report_page(sources, html_file, png, store=store, plan=plan)
    out_console.print(f"wrote {shown(written['html'])} ({written['kind']} page, {written['bytes']:,} bytes)"
                      + (f" and {len(written['png'])} PNG charts to {shown(png)}/" if png else ""))


def write_report_page(sources: list[str], html_file: Path, png: Path | None = None, *, store=None,
                      plan: bool = False) -> dict:
    """The page of one or several sources (see ``report_cmd``); returns {html, kind, bytes, png}."""
    from reeplan.report import pages  # defers pandas and numpy
    from reeplan.sources import resolve_source, write_report  # defers sqlite3 and pydantic
    from reeplan.store.runs import StoreError, default_store_path, load_result  # defers sqlite3 and pydantic

    if not sources:
        raise UsageError("give a run id or a folder to report on")
    if png is not None and len(sources) > 1:
        raise UsageError("--png writes a plan's charts: give one run or folder")
    html_file = Path(html_file)
    if not html_file.name or html_file.is_dir():
        raise UsageError(f"--html {str(html_file)!r}: give the name of the HTML file to write")
    kind = None
    if len(sources) > 1:
        from reeplan.store.runs import get_run  # defers sqlite3 and pydantic

        items = []
        for src in sources:
            result, _, where = resolve_source(src, store=store)
            if where.startswith("run ") and not Path(src).is_dir():
                label = get_run(store, int(where.split()[1]))["label"]
                where += f": {label}" if label else ""
            if pages.is_stress_result(result):
                raise UsageError(f"{src} is a stress test, not a plan: report it on its own")
            items.append((where, result))
        html, kind = pages.scenarios_html(items, ", ".join(sources)), "scenarios"
    else:
        src = sources[0]
        folder = Path(src)
        kind = pages.folder_kind(folder) if folder.is_dir() else None
        if kind == "robust" and plan:
            kind = "plan"
        if kind == "sweep":
            plans = {}
            try:
                import pandas as pd  # defers pandas

                table = pd.read_csv(folder / "sweep.csv")
                path = Path(store) if store is not None else default_store_path()
                if "run_id" in table.columns and path.is_file():
                    for idx, run_id in zip(table["index"], table["run_id"]):
                        if pd.notna(run_id):
                            plans[int(idx)] = load_result(path, int(run_id))
            except (StoreError, OSError, ValueError, KeyError):
                plans = {}
            html = pages.sweep_html(folder, plans)
        elif kind == "bench":
            html = pages.bench_html(folder)
        elif kind == "stress":
            rep = pages.stress_report_from_folder(folder)
            html = pages.stress_html({rep["label"]: rep}, f"folder {folder}")
        elif kind == "robust":
            from reeplan.report.robust_page import robust_html  # defers pandas

            html, kind = robust_html(folder), "stress"
        elif kind == "scenarios":
            html = pages.compare_folder_html(folder)
        else:
            result, _, where = resolve_source(src, store=store)
            if pages.is_stress_result(result):
                rep = pages.stress_report_from_result(result)
                html, kind = pages.stress_html({rep["label"]: rep}, where), "stress"
            else:
                written = write_report(src, html_file, png, store=store)
                return {**written, "kind": "plan", "bytes": Path(written["html"]).stat().st_size}
    path = pages.write_page(html, html_file)
    return {"html": path, "kind": kind, "bytes": path.stat().st_size, "png": [], "charts": []}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the reeplan app."""
    app.add_typer(runs_app, name="runs")
    app.command("report")(report_cmd)
