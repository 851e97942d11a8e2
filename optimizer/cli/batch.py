"""CLI: ``reeplan batch SCENARIO...`` solves many scenarios (locally or on a Dask cluster) and compares them
(registered by optimizer/cli/app.py)."""

from __future__ import annotations

import glob
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from reeplan.cli.console import ForceOpt, NoStoreOpt, StoreOpt, err_console, frame_table, out_console
from reeplan.errors import PlanCheckError, UsageError
from reeplan.options import SolveOptions, check_objective
from reeplan.text import shown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

GLOB_CHARS = set("*?[")


def expand(specs: list[str]) -> list[str]:
    """Each spec as given, or, when its path part is a glob (``scenarios/*.yaml@budget.total_bn_rub=5``), every
    matching path in sorted order with the same overrides; a glob matching nothing is a UsageError."""
    out: list[str] = []
    for spec in specs:
        path, sep, overrides = spec.partition("@")
        if not GLOB_CHARS & set(path):
            out.append(spec)
            continue
        matches = sorted(glob.glob(path))
        if not matches:
            raise UsageError(f"{spec}: no file matches {path!r}")
        out += [f"{m}{sep}{overrides}" for m in matches]
    return out


def batch_cmd(
    scenarios: Annotated[list[str], typer.Argument(help="Instance files, globs (runs/*.yaml), FILE@path=value@..., "
                                                        "scenario files (base: + overrides:), result folders, run ids")],
    out: Annotated[Path, typer.Option(help="Folder for scenarios/<NN>-<label>/, batch.json and the comparison")]
    = Path("reeplan-out/batch"),
    workers: Annotated[int, typer.Option(help="Local worker processes")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://HOST:8786")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Keep the scenarios already solved in --out, solve the "
                                                          "rest")] = False,
    objective: Annotated[str, typer.Option(help="max-hpo, max-cumulative-hpo or min-cost")] = "max-hpo",
    time_limit: Annotated[float | None, typer.Option(help="Seconds per scenario")] = None,
    gap: Annotated[float, typer.Option(help="Relative MIP gap per scenario")] = 1e-4,
    force: ForceOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Solve a batch of scenarios (each result kept as it finishes, every run in the store) and compare them."""
    from reeplan.analysis.batch import CHECKPOINT, SCENARIOS_DIR, run_batch  # defers pyomo and pandas
    from reeplan.report.compare_plots import compare_charts  # defers matplotlib and numpy
    from reeplan.sources import parse_scenario  # defers sqlite3 and pydantic

    if workers < 1:
        raise UsageError("--workers must be >= 1")
    options = SolveOptions(objective=check_objective(objective), time_limit=time_limit, mip_gap=gap)
    parsed = [parse_scenario(s, store) for s in expand(list(scenarios))]
    record = None
    if not no_store:
        from reeplan.store.runs import default_store_path, record_run_quietly  # defers sqlite3 and pydantic

        record = partial(record_run_quietly, str(store or default_store_path()))  # called here, on the client
    columns = [TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TextColumn("failed {task.fields[failed]}"),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn()]
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("batch", total=len(parsed), failed=0)
        outcome = run_batch(parsed, out, options=options, workers=workers, scheduler=scheduler, resume=resume,
                            force=force, record=record,
                            on_progress=lambda d, f, t: progress.update(task, completed=d, failed=f))
    for sc in parsed:
        state = sc.result.status.value if sc.result is not None else "error"
        note = " (kept from the earlier run)" if sc.label in outcome.resumed else ""
        err_console.print(f"  {shown(sc.label)}: {state}{note}")
    if scheduler is not None or workers > 1:
        err_console.print(shown(outcome.stats.summary()))
    cmp = outcome.comparison
    if cmp is not None:
        out_console.print(frame_table(cmp.kpis.reset_index(), "KPIs side by side"))
        folder = out / "comparison"
        written = cmp.write(folder) + compare_charts(cmp, folder)
        out_console.print(f"wrote {len(outcome.folders)} result folder(s) to {shown(out / SCENARIOS_DIR)}/, "
                          f"{shown(out / CHECKPOINT)} and {len(written)} comparison files to {shown(folder)}/")
    else:
        out_console.print(f"wrote {len(outcome.folders)} result folder(s) to {shown(out / SCENARIOS_DIR)}/ "
                          "(one solved scenario: nothing to compare)")
    if outcome.errors:
        for label, error in outcome.errors.items():
            err_console.print(f"[yellow]{shown(label)} failed:[/] {shown(error.splitlines()[0])}")
        err_console.print(f"[yellow]{len(outcome.errors)} scenario(s) failed; rerun with --resume to retry them[/]")
    bad = [sc.label for sc in parsed if sc.result is not None and sc.result.check_violations]
    if bad:
        raise PlanCheckError(f"the plans of {', '.join(bad)} failed the independent checker")


def register(app: typer.Typer) -> None:
    """Add batch to the reeplan app."""
    app.command("batch")(batch_cmd)
