"""CLI commands ``solve``, ``validate``, ``schema`` and ``export``: one instance in, one plan or file out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from reeplan.cli.console import ForceOpt, InstanceArg, Objective, SetOpt, err_console, out_console
from reeplan.errors import InfeasibleError, NoSolutionError, PlanCheckError, UsageError
from reeplan.options import SolveOptions
from reeplan.result.folders import check_out_dir, default_out_dir
from reeplan.result.runlog import RunLog, get_logger, setup_console_logging
from reeplan.text import shown
from reeplan.version import __version__

MAX_HPO = Objective("max-hpo")  # the default objective (Objective's members are made from a list: no attributes)


def solve_cmd(
    instance: InstanceArg,
    objective: Annotated[Objective, typer.Option(help="What to optimise")] = MAX_HPO,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for the whole solve (default: none; with "
                                                          "--robust: 600)")] = None,
    gap: Annotated[float, typer.Option(help="Relative MIP gap at which HiGHS stops")] = 1e-4,
    threads: Annotated[int | None, typer.Option(help="Solver threads (default: HiGHS decides)")] = None,
    seed: Annotated[int, typer.Option(help="Solver random seed")] = 0,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder for summary.json and the CSV tables "
                                                  "[default: reeplan-out/<instance name>]")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the status line")] = False,
    force: ForceOpt = False,
    store: Annotated[Path | None, typer.Option("--store", help="Run store file [default: $REEPLAN_STORE or "
                                                               "./reeplan-runs.sqlite]")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record this solve in the run store")] = False,
    log: Annotated[Path | None, typer.Option("--log", help="Write the full HiGHS log to this file")] = None,
    formats: Annotated[str | None, typer.Option("--format", help="Also write these, comma-separated: netcdf "
                                                "(result.nc, an xarray Dataset), excel (result.xlsx). CSV and "
                                                "Parquet are always written")] = None,
    stage1_only: Annotated[bool, typer.Option("--stage1-only", help="Skip the objective chain after the primary "
                                              "objective (capital, output, opex, timing): faster, but the plan "
                                              "may spend money for nothing and its timing is arbitrary")] = False,
    no_why: Annotated[bool, typer.Option("--no-why", help="Skip the integer marginals and 'why not more?' "
                                         "(re-solves with each limit relaxed)")] = False,
    stage_time_limit: Annotated[float | None, typer.Option(
        help="Seconds at most for each stage of the objective chain (default: none, the stages' gaps decide "
             "the plan; a stage stopped by it is reported with its gap)")] = None,
    robust: Annotated[bool, typer.Option("--robust", help="Two-stage stochastic plan over sampled futures, compared "
                                         "with the deterministic plan", rich_help_panel="Robust")] = False,
    scenarios: Annotated[int, typer.Option(help="Futures the robust plan is built on", rich_help_panel="Robust")] = 20,
    risk: Annotated[str, typer.Option(help="mean, cvar:ALPHA or cvar:ALPHA:WEIGHT", rich_help_panel="Robust")] = "mean",
    budget_rule: Annotated[str, typer.Option(
        "--budget-rule", help="How the budget binds the futures: chance:ALPHA (overrun in at most ALPHA of them), "
        "expected:X (mean overrun <= X bn RUB), cvar:ALPHA:X (CVaR_ALPHA of overrun <= X bn RUB) or nominal "
        "(point estimates only)", rich_help_panel="Robust")] = "chance:0.2",
    sample_seed: Annotated[int, typer.Option(help="Seed of the futures the robust plan is built on",
                                             rich_help_panel="Robust")] = 0,
    eval_samples: Annotated[int, typer.Option(help="Fresh futures both plans are stress-tested on",
                                              rich_help_panel="Robust")] = 500,
    eval_seed: Annotated[int | None, typer.Option(help="Seed of the fresh futures [default: sample seed + 1]",
                                                  rich_help_panel="Robust")] = None,
    workers: Annotated[int, typer.Option(help="Local workers for the stress tests", rich_help_panel="Robust")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address for the stress tests (instead of "
                                                       "local workers)", rich_help_panel="Robust")] = None,
    warm_start_scenarios: Annotated[int | None, typer.Option(
        help="Warm-start the robust solve from the plan of its first K0 futures (0: none) [default: K // 8 from "
             "--scenarios 100 on, else none]", rich_help_panel="Robust")] = None,
) -> None:
    """Solve an instance and print the plan; write summary.json, each table as CSV and Parquet (--format: netCDF,
    Excel), the run's log (reeplan.log); record the run.

    With --robust: also the two-stage stochastic plan, and both plans stress-tested on fresh futures."""

    from reeplan.result.exports import parse_formats  # defers pandas
    from reeplan.result.result import LOG_FILE  # defers pydantic and yaml

    chosen = parse_formats(formats)  # a bad --format fails before the solve
    run_log = RunLog().__enter__()
    logger = get_logger("cli.solve")
    try:
        return _solve(instance, objective, time_limit, gap, threads, seed, set_, out, quiet, force, store, no_store,
                      log, stage1_only, no_why, stage_time_limit, robust, scenarios, risk, sample_seed, eval_samples,
                      eval_seed, workers, chosen, run_log, logger, LOG_FILE, budget_rule, scheduler,
                      warm_start_scenarios)
    finally:
        run_log.__exit__(None, None, None)


def _solve(instance, objective, time_limit, gap, threads, seed, set_, out, quiet, force, store, no_store, log,
           stage1_only, no_why, stage_time_limit, robust, scenarios, risk, sample_seed, eval_samples, eval_seed,
           workers, chosen, run_log, logger, log_file, budget_rule="chance:0.2", scheduler=None,
           warm_start_scenarios=None) -> None:
    from reeplan.cli.progress import ProgressLine  # defers rich
    from reeplan.cli.render import render_result  # defers pydantic and yaml
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.result.result import Status  # defers pydantic and yaml
    from reeplan.solving.pipeline import solve  # defers pyomo and highspy

    logger.info("reeplan solve %s (objective %s, --set %s)", instance, objective.value, " ".join(set_ or []) or "none")
    inst = load_instance(instance, set_ or [])
    logger.info("instance %s: %d sites, %d deposits, %d links", inst.name, len(inst.sites), len(inst.deposits),
                len(inst.links))
    # the output folder is checked before the solve, so that a bad --out never costs the plan
    folder = check_out_dir(out if out is not None else default_out_dir(inst.name, "-robust" if robust else ""), force)
    if log is not None and ((log.exists() and not log.is_file()) or not log.parent.is_dir()):
        raise UsageError(f"--log {shown(log)}: give a file in an existing folder")
    opts = SolveOptions(objective=objective.value, time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed,
                        tie_break=not stage1_only, why=not no_why, stage_time_limit=stage_time_limit,
                        solver_options={"log_file": str(log)} if log else {})
    if robust:
        from reeplan.cli.uncertainty import solve_robust_cli  # defers pandas and rich
        from reeplan.uncertainty.budget_rules import parse_budget_rule  # defers pyomo
        from reeplan.uncertainty.robust import warm_start_size  # defers pyomo and highspy

        parse_budget_rule(budget_rule)  # a bad --budget-rule fails before any solve
        warm_start_size(scenarios, warm_start_scenarios)  # so does a bad --warm-start-scenarios

        if objective != MAX_HPO:
            raise UsageError("--robust maximises target-year HPO over futures; drop --objective")
        return solve_robust_cli(inst, opts, scenarios=scenarios, risk=risk, sample_seed=sample_seed,
                                eval_samples=eval_samples, eval_seed=eval_seed, workers=workers, out=folder, quiet=quiet,
                                store=store, no_store=no_store, force=force, budget_rule=budget_rule,
                                scheduler=scheduler, warm_start_scenarios=warm_start_scenarios)
    if not quiet:
        err_console.print(f"solving {shown(inst.name)} ({objective.value}) ...")
    cost = objective.value == "min-cost"
    with ProgressLine(enabled=not quiet, label="cost" if cost else "HPO", unit="bn RUB" if cost else "t") as line:
        result = solve(inst, opts, progress=line if line.enabled else None, interruptible=True)
    logger.info("%s: objective %s, gap %s, %.2f s", result.status.value, result.objective, result.mip_gap,
                (result.seconds or {}).get("total", 0.0))
    logger.info("writing %s to %s", ", ".join(chosen), folder)
    # first: a closed output pipe (| head) must not cost the plan
    result.write(folder, inst, force=force, formats=chosen, extra_files={log_file: run_log.text()})
    if quiet:
        out_console.print(f"{result.status.value} objective={result.objective} gap={result.mip_gap}", markup=False)
    else:
        render_result(result, out_console)
    if not quiet:
        out_console.print(f"wrote summary.json and tables to {shown(folder)}/")
    if not no_store:
        from reeplan.store.runs import StoreError, open_store, record_run  # defers sqlite3 and pydantic

        try:
            run_store = open_store(store)
            run_id = record_run(run_store, result, inst, "solve", set_ or [], opts)
        except StoreError as exc:  # the plan is written: a store problem must not fail the solve
            logger.warning("run not recorded: %s", exc)
            err_console.print(f"[yellow]warning:[/] run not recorded: {shown(exc)}")
        else:
            if not quiet:
                out_console.print(f"recorded as run {run_id} in {shown(run_store.path)} (reeplan runs show {run_id})")
    if result.status == Status.INFEASIBLE:
        raise InfeasibleError(result.message, result.diagnosis)
    if not result.has_plan:
        raise NoSolutionError(result.message)
    if result.check_violations:
        raise PlanCheckError(f"the plan failed the independent checker ({len(result.check_violations)} violations, "
                             "also in summary.json): " + "; ".join(result.check_violations[:5]))


def validate_cmd(instance: InstanceArg, set_: SetOpt = None) -> None:
    """Check an instance and report every problem (file, entity, row, field, value, hint)."""
    from reeplan.instance.io import load_instance  # defers pydantic and yaml

    inst = load_instance(instance, set_ or [])
    out_console.print(
        f"[green]valid[/] {shown(inst.name)}: {inst.years[0]}-{inst.years[-1]}, {len(inst.sites)} sites, "
        f"{len(inst.deposits)} deposits, {len(inst.links)} links, {len(inst.power_sources)} power sources, "
        f"{len(inst.power_connections)} connections, {len(inst.rd_programmes)} R&D programmes, "
        f"{len(inst.committed)} committed projects")


def schema_cmd() -> None:
    """Print the JSON Schema of the instance format (units and descriptions included)."""
    from reeplan.instance.schema_json import instance_schema  # defers pydantic

    sys.stdout.write(json.dumps(instance_schema(), indent=2) + "\n")


def export_cmd(
    instance: InstanceArg,
    mps: Annotated[Path | None, typer.Option(help="Write the model as free MPS")] = None,
    lp: Annotated[Path | None, typer.Option(help="Write the model in CPLEX LP format")] = None,
    objective: Annotated[Objective, typer.Option(help="Stage-1 objective written")] = MAX_HPO,
    set_: SetOpt = None,
) -> None:
    """Write the exact stage-1 model for any other solver."""
    from reeplan.instance.io import load_instance  # defers pydantic and yaml
    from reeplan.solving.export import export_model  # defers pyomo and pydantic

    if mps is None and lp is None:
        raise UsageError("give --mps FILE and/or --lp FILE")
    inst = load_instance(instance, set_ or [])
    for path in (p for p in (mps, lp) if p is not None):
        export_model(inst, path, objective.value)
        out_console.print(f"wrote {shown(path)}")



def _version(value: bool) -> None:
    if value:
        typer.echo(f"reeplan {__version__}")
        raise typer.Exit()


def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print reeplan's version and exit")] = False,
) -> None:
    """reeplan's own options (before the command): --version; sets up logging for every command."""
    setup_console_logging()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (and the app's own options: --version, logging)."""
    app.callback()(main_options)
    for name, command in (("solve", solve_cmd), ("validate", validate_cmd), ("schema", schema_cmd),
                          ("export", export_cmd)):
        app.command(name)(command)
