"""CLI: ``reeplan adapt``, a plan re-optimised year by year in sampled futures (registered by optimizer/cli/app.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from reeplan.cli.console import ForceOpt, NoStoreOpt, StoreOpt, frame_table, out_console
from reeplan.cli.uncertainty import DEFAULT_WORKERS, _progress_bar, _store_of, load_plan
from reeplan.result.folders import default_out_dir, prepare_out_dir
from reeplan.text import shown


def adapt_cmd(
    plan: Annotated[str, typer.Argument(help="The plan: a result folder (reeplan solve --out), a run id, or an "
                                             "instance file (solved first)")],
    samples: Annotated[int, typer.Option(help="Number of sampled futures (the stress test's, same seed)")] = 200,
    seed: Annotated[int, typer.Option(help="Sampling seed: same seed, same futures, same numbers")] = 0,
    workers: Annotated[int, typer.Option(help="Local worker processes")] = DEFAULT_WORKERS,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (instead of local workers)")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the tables "
                                                  "[default: reeplan-out/<instance>-adapt]")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary")] = False,
    force: ForceOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Re-plan a plan year by year as each sampled future reveals itself; compare it with the plan kept as it is."""
    from reeplan.report.stress_charts import outcome_chart  # defers matplotlib
    from reeplan.uncertainty.adapt import adapt_plan  # defers pyomo and highspy
    from reeplan.uncertainty.stress import plan_from_result  # defers pyomo and highspy

    run_store = _store_of(store, no_store)
    inst, result = load_plan(plan, run_store.path if run_store else store)
    folder = prepare_out_dir(out if out is not None else default_out_dir(inst.name, "-adapt"), force)
    fixed = plan_from_result(inst, result)
    with _progress_bar("futures", quiet) as bar:
        task = bar.add_task("futures", total=samples)
        report = adapt_plan(inst, fixed, samples=samples, seed=seed, workers=workers, scheduler=scheduler,
                            plan_label=f"plan of {inst.name}", on_progress=lambda d, t: bar.update(task, completed=d))
    report.write(folder)
    chart = outcome_chart(report.outcome_views())
    (folder / "adapt_outcomes.png").write_bytes(chart.png)
    out_console.print(shown(report.text()))
    if not quiet:
        out_console.print(frame_table(report.comparison.reset_index(), "Static plan and adaptive policy, same futures"))
    out_console.print(f"wrote the tables and adapt_outcomes.png to {shown(folder)}/ ({report.seconds['total']:.1f} s, "
                      f"{report.seconds['workers']} worker(s))")


def register(app: typer.Typer) -> None:
    """Add adapt to the reeplan app."""
    app.command("adapt")(adapt_cmd)
