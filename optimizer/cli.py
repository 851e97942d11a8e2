"""The ``reeplan`` command line: each command parses options, calls one API function, renders, exits.

Exit codes: 0 ok (a plan, possibly time-limited), 1 internal error, 2 usage error,
3 invalid instance, 4 infeasible (diagnosis printed), 5 no plan within the limits.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from optimizer.errors import InfeasibleError, NoSolutionError, ReeplanError, UsageError

try:  # typer >= 0.20 vendors click; older typer uses click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException  # type: ignore[no-redef]

app = typer.Typer(help="reeplan: split a capital budget across plant sites, hydro power, logistics and R&D "
                       "to get the most high-purity rare-earth oxide.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
out_console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, highlight=False)


class Objective(str, Enum):
    max_hpo = "max-hpo"
    max_cumulative_hpo = "max-cumulative-hpo"
    min_cost = "min-cost"


InstanceArg = Annotated[Path, typer.Argument(help="Instance: a .yaml file or a folder of CSV tables")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a scalar: dotted.path=value (repeatable)")]


@app.command()
def solve(
    instance: InstanceArg,
    objective: Annotated[Objective, typer.Option(help="What to optimise")] = Objective.max_hpo,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for the whole solve")] = None,
    gap: Annotated[float, typer.Option(help="Relative MIP gap at which HiGHS stops")] = 1e-4,
    threads: Annotated[int | None, typer.Option(help="Solver threads (default: HiGHS decides)")] = None,
    seed: Annotated[int, typer.Option(help="Solver random seed")] = 0,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder for summary.json and the CSV tables "
                                                  "[default: reeplan-out/<instance name>]")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the status line")] = False,
    store: Annotated[Path | None, typer.Option("--store", help="Run store file [default: $REEPLAN_STORE or "
                                                               "./reeplan-runs.sqlite]")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record this solve in the run store")] = False,
    log: Annotated[Path | None, typer.Option("--log", help="Write the full HiGHS log to this file")] = None,
    stage1_only: Annotated[bool, typer.Option("--stage1-only", help="Skip the objective chain after the primary "
                                              "objective (capital, output, opex, timing): faster, but the plan "
                                              "may spend money for nothing and its timing is arbitrary")] = False,
    no_why: Annotated[bool, typer.Option("--no-why", help="Skip the integer marginals and 'why not more?' "
                                         "(re-solves with each limit relaxed)")] = False,
    robust: Annotated[bool, typer.Option("--robust", help="Two-stage stochastic plan over sampled futures, compared "
                                         "with the deterministic plan", rich_help_panel="Robust")] = False,
    scenarios: Annotated[int, typer.Option(help="Futures the robust plan is built on", rich_help_panel="Robust")] = 20,
    risk: Annotated[str, typer.Option(help="mean, cvar:ALPHA or cvar:ALPHA:WEIGHT", rich_help_panel="Robust")] = "mean",
    sample_seed: Annotated[int, typer.Option(help="Seed of the futures the robust plan is built on",
                                             rich_help_panel="Robust")] = 0,
    eval_samples: Annotated[int, typer.Option(help="Fresh futures both plans are stress-tested on",
                                              rich_help_panel="Robust")] = 500,
    eval_seed: Annotated[int | None, typer.Option(help="Seed of the fresh futures [default: sample seed + 1]",
                                                  rich_help_panel="Robust")] = None,
    workers: Annotated[int, typer.Option(help="Local workers for the stress tests", rich_help_panel="Robust")] = 2,
) -> None:
    """Solve an instance and print the plan; write summary.json and one CSV per table; record the run.

    With --robust: also the two-stage stochastic plan, and both plans stress-tested on fresh futures."""
    from optimizer.instance.io import load_instance
    from optimizer.progress import ProgressLine
    from optimizer.render import render_result
    from optimizer.result import Status
    from optimizer.solving import SolveOptions
    from optimizer.solving import solve as solve_instance

    inst = load_instance(instance, set_ or [])
    opts = SolveOptions(objective=objective.value, time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed,
                        tie_break=not stage1_only, why=not no_why,
                        solver_options={"log_file": str(log)} if log else {})
    if robust:
        from optimizer.cli_uncertainty import solve_robust_cli

        if objective != Objective.max_hpo:
            raise UsageError("--robust maximises target-year HPO over futures; drop --objective")
        return solve_robust_cli(inst, opts, scenarios=scenarios, risk=risk, sample_seed=sample_seed,
                                eval_samples=eval_samples, eval_seed=eval_seed, workers=workers, out=out, quiet=quiet,
                                store=store, no_store=no_store)
    if not quiet:
        err_console.print(f"solving {inst.name} ({objective.value}) ...")
    cost = objective.value == "min-cost"
    with ProgressLine(enabled=not quiet, label="cost" if cost else "HPO", unit="bn RUB" if cost else "t") as line:
        result = solve_instance(inst, opts, progress=line if line.enabled else None, interruptible=True)
    if quiet:
        out_console.print(f"{result.status.value} objective={result.objective} gap={result.mip_gap}")
    else:
        render_result(result, out_console)
    folder = out or Path("reeplan-out") / inst.name
    result.write(folder, inst)
    if not quiet:
        out_console.print(f"wrote summary.json and tables to {folder}/")
    if not no_store:
        from optimizer.store import StoreError, open_store, record_run

        try:
            run_store = open_store(store)
            run_id = record_run(run_store, result, inst, "solve", set_ or [], opts)
        except StoreError as exc:  # the plan is written: a store problem must not fail the solve
            err_console.print(f"[yellow]warning:[/] run not recorded: {exc}")
        else:
            if not quiet:
                out_console.print(f"recorded as run {run_id} in {run_store.path} (reeplan runs show {run_id})")
    if result.status == Status.INFEASIBLE:
        raise InfeasibleError(result.message, result.diagnosis)
    if not result.has_plan:
        raise NoSolutionError(result.message)


@app.command()
def validate(instance: InstanceArg, set_: SetOpt = None) -> None:
    """Check an instance and report every problem (file, entity, row, field, value, hint)."""
    from optimizer.instance.io import load_instance

    inst = load_instance(instance, set_ or [])
    out_console.print(
        f"[green]valid[/] {inst.name}: {inst.years[0]}-{inst.years[-1]}, {len(inst.sites)} sites, "
        f"{len(inst.deposits)} deposits, {len(inst.links)} links, {len(inst.power_sources)} power sources, "
        f"{len(inst.power_connections)} connections, {len(inst.rd_programmes)} R&D programmes, "
        f"{len(inst.committed)} committed projects")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the instance format (units and descriptions included)."""
    from optimizer.instance.schema_json import instance_schema

    sys.stdout.write(json.dumps(instance_schema(), indent=2) + "\n")


@app.command()
def export(
    instance: InstanceArg,
    mps: Annotated[Path | None, typer.Option(help="Write the model as free MPS")] = None,
    lp: Annotated[Path | None, typer.Option(help="Write the model in CPLEX LP format")] = None,
    objective: Annotated[Objective, typer.Option(help="Stage-1 objective written")] = Objective.max_hpo,
    set_: SetOpt = None,
) -> None:
    """Write the exact stage-1 model for any other solver."""
    from optimizer.export import export_model
    from optimizer.instance.io import load_instance

    if mps is None and lp is None:
        raise UsageError("give --mps FILE and/or --lp FILE")
    inst = load_instance(instance, set_ or [])
    for path in (p for p in (mps, lp) if p is not None):
        export_model(inst, path, objective.value)
        out_console.print(f"wrote {path}")


def _register_command_modules() -> None:
    """Commands that live in their own modules (one writer per module)."""
    from optimizer import cli_bench, cli_compare, cli_runs, cli_uncertainty

    for module in (cli_compare, cli_bench, cli_runs, cli_uncertainty):
        module.register(app)


_register_command_modules()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn reeplan errors into a message and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("REEPLAN_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    try:
        app(args=args, standalone_mode=False)
    except ReeplanError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        if isinstance(exc, InfeasibleError):
            err_console.print("[red]infeasible:[/] the diagnosis above names the rules that must give")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except ClickException as exc:  # usage errors: bad option, missing argument, no such file
        exc.show(file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug: short message, traceback only under --debug
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {exc.__class__.__name__}: {exc} "
                          "(run with --debug for the traceback, and please report it)")
        sys.exit(1)
