"""CLI: ``reeplan stress`` and the ``--robust`` mode of ``reeplan solve`` (registered by optimizer/cli/app.py)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from reeplan.cli.console import ForceOpt, NoStoreOpt, StoreOpt, err_console, frame_table, out_console, record_quietly
from reeplan.errors import NoSolutionError, PlanCheckError, UsageError
from reeplan.result.folders import default_out_dir, prepare_out_dir
from reeplan.text import shown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def _progress_bar(label: str, quiet: bool):
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("left"),
               TimeRemainingColumn()]
    return Progress(*columns, console=err_console, transient=False, disable=quiet)


def _store_of(store: Path | None, no_store: bool):
    if no_store:
        return None
    from reeplan.store.runs import StoreError, open_store  # defers sqlite3 and pydantic

    try:
        return open_store(store)
    except StoreError as exc:
        err_console.print(f"[yellow]warning:[/] runs not recorded: {shown(exc)}")
        return None


def load_plan(spec: str, store=None):
    """(instance, result) of a result folder, a run id, or an instance file (solved here, max-hpo)."""
    from reeplan.solving.pipeline import solve  # defers pyomo and highspy
    from reeplan.sources import parse_scenario  # defers sqlite3 and pydantic

    scenario = parse_scenario(spec, store)
    if scenario.instance is None:
        raise UsageError(f"{spec}: the result folder has no instance.yaml; solve it again with reeplan solve --out")
    if scenario.result is None:
        err_console.print(f"solving {shown(scenario.instance.name)} (max-hpo) to get a plan ...")
        scenario.result = solve(scenario.instance, marginals=False)
    return scenario.instance, scenario.result


def stress_cmd(
    plan: Annotated[str, typer.Argument(help="The plan: a result folder (reeplan solve --out), a run id, or an "
                                             "instance file (solved first)")],
    samples: Annotated[int, typer.Option(help="Number of sampled futures")] = 1000,
    seed: Annotated[int, typer.Option(help="Sampling seed: same seed, same futures, same numbers")] = 0,
    workers: Annotated[int, typer.Option(help="Local worker processes")] = DEFAULT_WORKERS,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (instead of local workers)")] = None,
    batch: Annotated[int, typer.Option(help="Futures side by side in one HiGHS run")] = 25,
    out: Annotated[Path | None, typer.Option(help="Folder for the tables and charts "
                                                  "[default: reeplan-out/<instance>-stress]")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary")] = False,
    schedule_float: Annotated[bool, typer.Option("--float/--no-float", help="Also the schedule float: per item, the "
                                                 "years of delay it absorbs before target-year HPO falls")] = True,
    force: ForceOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Stress-test a plan: keep what it builds and when, sample futures, re-optimise operation in each."""
    from reeplan.report.stress_charts import write_stress_charts  # defers matplotlib and numpy
    from reeplan.uncertainty.schedule_float import with_schedule_float  # defers pyomo and highspy
    from reeplan.uncertainty.stress import plan_from_result, stress_result, stress_test  # defers pyomo and highspy

    run_store = _store_of(store, no_store)
    inst, result = load_plan(plan, run_store.path if run_store else store)
    folder = prepare_out_dir(out if out is not None else default_out_dir(inst.name, "-stress"), force)
    fixed = plan_from_result(inst, result)
    with _progress_bar("futures", quiet) as bar:
        task = bar.add_task("futures", total=samples)
        report = stress_test(inst, fixed, samples=samples, seed=seed, workers=workers,
                             scheduler=scheduler, batch=batch, plan_label=f"plan of {inst.name}",
                             on_progress=lambda d, t: bar.update(task, completed=d))
    if schedule_float:
        err_console.print("schedule float: delaying each item of the plan alone ...")
        report = with_schedule_float(report, inst, fixed, batch=batch)
    report.write(folder)
    write_stress_charts(report, folder)
    out_console.print(shown(report.text()))
    if not quiet:
        tornado = report.tornado.rename(columns={"hpo_low_t": "HPO at P10", "hpo_high_t": "HPO at P90",
                                               "overrun_low_bn_rub": "overrun at P10", "overrun_high_bn_rub":
                                               "overrun at P90", "hpo_swing_t": "HPO swing"})
        out_console.print(frame_table(tornado.drop(columns="hpo_nominal_t"), "Tornado: each input at its P10 / P90, "
                                       "others at point estimates (HPO t, overrun bn RUB)"))
        if report.float_table is not None and len(report.float_table):
            shown_float = report.float_table[["kind", "name", "start_year", "ready_year", "float_yr", "critical",
                                              "hpo_lost_t_per_yr"]].rename(columns={
                "start_year": "start", "ready_year": "ready", "float_yr": "float yr",
                "hpo_lost_t_per_yr": "HPO lost, 1st yr beyond float"})
            out_console.print(frame_table(shown_float, "Schedule float: each item delayed alone (years, HPO t)"))
    out_console.print(f"{report.seconds['total']:.1f} s ({report.seconds['per_sample'] * 1e3:.0f} ms per future)"
                      + (f"; schedule float {report.seconds['float']:.1f} s" if schedule_float else "")
                      + f"; wrote samples, targets, tornado, drivers, {'float, ' if schedule_float else ''}"
                      f"summary.json and charts to {shown(folder)}/")
    if scheduler is not None:
        retried = report.seconds.get("tasks_retried")
        err_console.print(f"{report.seconds.get('tasks')} task(s) on the Dask cluster at {shown(scheduler)}, "
                          + ("retries unknown" if retried is None else f"{retried} retried after a lost worker"))
    if run_store is not None:
        record_quietly(run_store, stress_result(report, inst), inst, "stress", f"{samples} futures, seed {seed}")


def solve_robust_cli(inst, opts, *, scenarios: int, risk: str, sample_seed: int, eval_samples: int,
                     eval_seed: int | None, workers: int, out: Path, quiet: bool, store: Path | None,
                     no_store: bool, force: bool = False, scheduler: str | None = None,
                     budget_rule: str = "chance:0.2", warm_start_scenarios: int | None = None) -> None:
    """``reeplan solve --robust``: deterministic and robust plans, both stress-tested on the same fresh futures
    (local workers, or the Dask cluster at ``scheduler``)."""
    from reeplan.cli.render import render_result  # defers pydantic and yaml
    from reeplan.report.robust_page import ROBUST_FILE  # defers pandas
    from reeplan.report.stress_charts import outcome_chart  # defers matplotlib and numpy
    from reeplan.result.exports import write_tables  # defers pandas and pyarrow
    from reeplan.result.result import atomic_write, json_safe  # defers pydantic and yaml
    from reeplan.solving.pipeline import solve  # defers pyomo and highspy
    from reeplan.uncertainty.budget_rules import parse_budget_rule  # defers pyomo
    from reeplan.uncertainty.robust import (  # defers pyomo and highspy
        DEFAULT_ROBUST_TIME_LIMIT_S,
        compare_under_uncertainty,
        parse_risk,
        solve_robust,
        warm_start_size,
    )

    measure = parse_risk(risk)
    money = parse_budget_rule(budget_rule)
    run_store = _store_of(store, no_store)
    err_console.print(f"solving {shown(inst.name)}: deterministic plan ...")
    det = solve(inst, replace(opts, marginals=False))
    if not det.has_plan:
        raise NoSolutionError(f"no deterministic plan ({det.status.value}): {det.message}")
    k0 = warm_start_size(scenarios, warm_start_scenarios)
    limit = opts.time_limit if opts.time_limit is not None else DEFAULT_ROBUST_TIME_LIMIT_S
    err_console.print(f"robust plan over {scenarios} sampled futures (seed {sample_seed}, {shown(measure.label)}, "
                      f"budget rule {shown(money.label)}, at most {limit:,.0f} s"
                      + (f", warm-started from the plan of its first {k0} futures" if k0 else "") + ") ...")
    rob = solve_robust(inst, scenarios=scenarios, seed=sample_seed, risk=measure, options=opts, budget=money,
                       warm_start_scenarios=k0)
    if not rob.has_plan:
        raise NoSolutionError(f"no robust plan ({rob.status.value}) under --budget-rule {money.label}; try a looser rule, "
                              "fewer --scenarios or a --time-limit")
    if rob.check_violations:
        raise PlanCheckError("the robust plan failed the independent checker: " + "; ".join(rob.check_violations[:5]))
    folder = out  # checked by the caller before the deterministic solve
    rob.write(folder, inst, force=force)
    if not quiet:
        render_result(rob, out_console)
    seed = sample_seed + 1 if eval_seed is None else eval_seed
    with _progress_bar("stress tests", quiet) as bar:
        task = bar.add_task("stress", total=eval_samples)
        cmp = compare_under_uncertainty(inst, {"deterministic": det, "robust": rob}, samples=eval_samples, seed=seed,
                                        workers=workers, scheduler=scheduler,
                                        on_progress=lambda d, t: bar.update(task, completed=d))
    cmp_dir = folder / "comparison"
    for label, report in cmp.reports.items():
        report.write(cmp_dir / label)
    write_tables(cmp_dir, {"comparison": cmp.table.reset_index()})
    # the robust plan's rule, in-sample overrun and gap, for the report's robust page (reeplan.report.robust_page)
    atomic_write(cmp_dir / ROBUST_FILE, json.dumps(json_safe(rob.kpis["robust"]), indent=2) + "\n")
    chart = outcome_chart(cmp.reports)
    (cmp_dir / f"{chart.name}.png").write_bytes(chart.png)
    k = rob.kpis["robust"]
    out_console.print(f"robust plan: expected HPO {k['expected_hpo_in_sample_t']:,.0f} t over its {scenarios} "
                      f"futures ({rob.status.value}, gap {rob.mip_gap}, {rob.seconds['total']:.1f} s); budget rule "
                      f"{money.label}: overrun in {k['in_sample_overrun']['overrun_frequency']:.0%} of them, "
                      f"expected overrun {k['in_sample_overrun']['expected_overrun_bn_rub']:,.1f} bn RUB")
    out_console.print(shown(k["gap_statement"]))
    out_console.print(frame_table(cmp.table.reset_index(), f"Both plans on the same {eval_samples:,} fresh futures "
                                                            f"(seed {seed})"))
    out_console.print(shown(cmp.text()))
    out_console.print(f"wrote the robust plan to {shown(folder)}/ and the comparison (CSV, {chart.name}.png) "
                      f"to {shown(cmp_dir)}/")
    if run_store is not None:
        record_quietly(run_store, rob, inst, "solve --robust", f"{scenarios} futures, {measure.label}, {money.label}")


def register(app: typer.Typer) -> None:
    """Add stress to the reeplan app."""
    app.command("stress")(stress_cmd)
