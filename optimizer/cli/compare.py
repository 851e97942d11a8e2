"""CLI commands: compare, sweep, alternatives (registered on the main app by optimizer/cli/app.py)."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from reeplan.analysis.sweep_plan import make_plan, value_bounds
from reeplan.cli.console import ForceOpt, NoStoreOpt, StoreOpt, err_console, frame_table, out_console, record_quietly
from reeplan.errors import NoSolutionError, PlanCheckError, UsageError
from reeplan.result.folders import prepare_out_dir
from reeplan.text import shown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def compare_cmd(
    scenarios: Annotated[list[str], typer.Argument(help="Instance files, FILE@path=value@..., scenario files "
                                                        "(base: + overrides:) or result folders")],
    out: Annotated[Path, typer.Option(help="Folder for the CSV tables and PNG charts")] = Path("reeplan-out/compare"),
    time_limit: Annotated[float | None, typer.Option(help="Seconds per scenario solve")] = None,
    force: ForceOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Solve what is not solved yet and compare scenarios: KPIs, allocation, plants, timing, inputs.

    A scenario may also be a run id of the run store (``7`` or ``run:7``)."""
    from reeplan.analysis.compare import compare, solve_missing  # defers pydantic and yaml
    from reeplan.report.compare_plots import compare_charts  # defers matplotlib and numpy
    from reeplan.solving.pipeline import solve  # defers pyomo and highspy
    from reeplan.sources import parse_scenario  # defers sqlite3 and pydantic

    if len(scenarios) < 2:
        raise UsageError("give at least two scenarios to compare")
    out = prepare_out_dir(out, force)
    parsed = [parse_scenario(s, store) for s in scenarios]
    unsolved = {id(sc) for sc in parsed if sc.result is None}

    def done(sc) -> None:
        err_console.print(f"  {shown(sc.label)}: {sc.result.status.value}")
        if id(sc) in unsolved and not no_store:
            record_quietly(store, sc.result, sc.instance, "compare", sc.label)

    solve_missing(parsed, lambda inst: solve(inst, time_limit=time_limit), on_done=done)
    result = compare(parsed)
    kpis = result.kpis.reset_index()
    out_console.print(frame_table(kpis, "KPIs side by side"))
    out_console.print(frame_table(result.allocation, "Where the money moved (bn RUB, changed rows)"))
    if len(result.plants):
        out_console.print(frame_table(result.plants, "Plants that differ"))
    if len(result.timing):
        out_console.print(frame_table(result.timing, "Projects whose start year differs (blank: not funded)"))
    out_console.print(frame_table(result.inputs, "Inputs that differ"))
    written = result.write(out) + compare_charts(result, out)
    out_console.print(f"wrote {len(written)} files to {shown(out)}/")
    failed = [sc.label for sc in parsed if sc.result is not None and sc.result.check_violations]
    if failed:
        raise PlanCheckError(f"the plans of {', '.join(failed)} failed the independent checker")


def sweep_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance: a .yaml file or a folder of CSV tables")],
    param: Annotated[list[str], typer.Option("--param", help="Dotted path of a numeric scalar (twice for a grid)")],
    values: Annotated[list[str], typer.Option("--values", help="START:STOP:STEP or a comma list, one per --param")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Fixed override for every point")] = None,
    objective: Annotated[str, typer.Option(help="max-hpo, max-cumulative-hpo or min-cost")] = "max-hpo",
    workers: Annotated[int, typer.Option(help="Local worker processes")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://HOST:8786")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Keep finished points in --out and do the rest")] = False,
    out: Annotated[Path, typer.Option(help="Folder for points/, sweep.csv and the curve")] = Path("reeplan-out/sweep"),
    time_limit: Annotated[float | None, typer.Option(help="Seconds per point")] = None,
    gap: Annotated[float, typer.Option(help="Relative MIP gap per point")] = 1e-4,
    target_hpo: Annotated[float | None, typer.Option(help="Find the least value of the (single) --param "
                                                          "reaching this HPO, by bisection")] = None,
    tolerance: Annotated[float, typer.Option(help="Bisection tolerance on the parameter")] = 1.0,
    no_reuse: Annotated[bool, typer.Option("--no-reuse", help="Rebuild the model at every point")] = False,
    force: ForceOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Sweep one parameter (or a grid of two); or, with --target-hpo, search the least budget for a target."""
    from reeplan.analysis.sweep import run_sweep, threshold_budget  # defers pyomo and numpy
    from reeplan.result.exports import write_tables  # defers pandas and pyarrow

    if workers < 1:
        raise UsageError("--workers must be >= 1")
    if target_hpo is not None:
        if len(param) != 1:
            raise UsageError("--target-hpo searches one --param")
        low, high = value_bounds(values[0])
        found = threshold_budget(instance, target_hpo, low, high, tolerance, tuple(set_ or []), param[0],
                                 on_step=lambda v, h: err_console.print(f"  {shown(param[0])}={v:,.3f}: " + (
                                     f"HPO {h:,.1f} t" if h > -math.inf else "infeasible")),
                                 objective=objective, time_limit=time_limit, mip_gap=gap)
        if found["reachable"]:
            out_console.print(f"least {shown(param[0])} reaching {target_hpo:,.0f} t HPO: [bold]{found['value']:,.3f}[/]"
                              f" (tolerance {tolerance})")
        else:
            out_console.print(f"[red]{shown(found['message'])}[/]")
        return
    record = None
    if not no_store:
        from reeplan.store.runs import default_store_path, record_run_quietly  # defers sqlite3 and pydantic

        record = partial(record_run_quietly, str(store or default_store_path()))  # called here, on the client
    plan = make_plan(instance, list(param), list(values), base_overrides=tuple(set_ or []), objective=objective,
                     time_limit=time_limit, mip_gap=gap, reuse=not no_reuse)
    columns = [TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("failed {task.fields[failed]}"),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn()]
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("sweep", total=len(plan.points), failed=0)
        df = run_sweep(plan, out, workers=workers, scheduler=scheduler, resume=resume, force=force, record=record,
                       on_progress=lambda d, f, t: progress.update(task, completed=d, failed=f))
    write_tables(out, {"sweep": df})
    labels = {"status": "status", "hpo_t": "HPO t", "spend_bn_rub": "spend", "spend_plants_bn_rub": "plants",
              "spend_power_bn_rub": "power", "spend_logistics_bn_rub": "logistics",
              "spend_mining_bn_rub": "mining", "spend_rd_bn_rub": "R&D",
              "marginal_total_hpo_per_bn_rub": "LP marginal", "fd_hpo_per_unit": "dHPO/dparam", "error": "error"}
    picked = [c for c in [*plan.params, *labels] if c in df.columns
              and not (c == "error" and not df["error"].fillna("").astype(bool).any())]
    table = df[picked].rename(columns=labels)
    if "error" in table:  # the first line of each error here; the whole text is in sweep.csv
        table["error"] = [str(e).strip().splitlines()[0][:100] if isinstance(e, str) and e.strip() else ""
                          for e in table["error"]]
    out_console.print(frame_table(table, f"Sweep of {shown(', '.join(plan.params))} (money in bn RUB; marginals in t HPO "
                                          "per unit of the parameter)", max_rows=60))
    if len(plan.params) == 1:
        from reeplan.report.compare_plots import sweep_curve  # defers matplotlib and numpy

        path = sweep_curve(df, plan.params[0], out / "curve.png")
        out_console.print(f"wrote {shown(out)}/sweep.csv, {shown(path)}")
    stats = df.attrs.get("run")
    if stats is not None and (scheduler is not None or workers > 1):
        err_console.print(shown(stats.summary()))
    failed = int((df["status"] == "error").sum())
    if failed == len(df):
        first = " ".join(line.strip() for line in str(df["error"].iloc[0]).splitlines()[:2]) if len(df) else ""
        raise NoSolutionError(f"every one of the {len(df)} sweep point(s) failed, so there is no curve (first "
                              f"error: {first}); the errors are in {out / 'sweep.csv'}")
    if failed:
        err_console.print(f"[yellow]{failed} point(s) failed; their errors are in sweep.csv[/]")


def alternatives_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance: a .yaml file or a folder of CSV tables")],
    count: Annotated[int, typer.Option(help="Plans to find, the optimum included")] = 5,
    slack: Annotated[float, typer.Option(help="Relative distance from the optimal objective allowed")] = 0.02,
    objective: Annotated[str, typer.Option(help="max-hpo or max-cumulative-hpo")] = "max-hpo",
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a scalar: dotted.path=value")] = None,
    out: Annotated[Path, typer.Option(help="Folder for alternatives.csv")] = Path("reeplan-out/alternatives"),
    force: ForceOpt = False,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve")] = None,
) -> None:
    """Near-optimal plans that fund different sites, connections, links and programmes."""
    from reeplan.analysis.alternatives import alternatives_table, find_alternatives  # defers pyomo and highspy
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.result.exports import write_tables  # defers pandas and pyarrow

    if count < 1 or not 0 <= slack < 1:
        raise UsageError("--count must be >= 1 and --slack in [0, 1)")
    if objective not in ("max-hpo", "max-cumulative-hpo"):
        raise UsageError("alternatives need an output objective: max-hpo or max-cumulative-hpo")
    inst = load_instance(instance, set_ or [])
    found = find_alternatives(inst, count, slack, objective, time_limit,
                              on_found=lambda a: err_console.print(f"  plan {a.rank}: objective {a.objective:,.1f}"))
    table = alternatives_table(found)
    out = prepare_out_dir(out, force)
    write_tables(out, {"alternatives": table.reset_index()})
    out_console.print(frame_table(table.reset_index(), f"{len(found)} plans within {slack:.1%} of the optimum",
                                   max_rows=80))
    bad = [a.rank for a in found if a.violations]
    if bad:
        err_console.print(f"[red]checker found violations in plans {bad}[/]")
        raise typer.Exit(1)
    out_console.print(f"every plan passed the independent checker; wrote {shown(out)}/alternatives.csv")


def register(app: typer.Typer) -> None:
    """Add compare, sweep and alternatives to the reeplan app."""
    app.command("compare")(compare_cmd)
    app.command("sweep")(sweep_cmd)
    app.command("alternatives")(alternatives_cmd)
