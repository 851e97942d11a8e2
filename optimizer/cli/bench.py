"""CLI commands ``reeplan generate`` and ``reeplan bench`` (registered on the main app by optimizer/cli/app.py).

Thin layers: parse options, call ``reeplan.generate`` / ``reeplan.bench.run`` (``reeplan.bench.record`` for the
run store), render with rich, exit.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from reeplan.bench.configs import list_solvers
from reeplan.cli.console import err_console, out_console
from reeplan.errors import UsageError
from reeplan.numbers import significant
from reeplan.text import shown


def register(app: typer.Typer) -> None:
    """Add this module's commands to the reeplan app."""

    @app.command()
    def generate(
        sites: Annotated[int | None, typer.Option(help="Plant sites [default: the family's, or 9]")] = None,
        deposits: Annotated[int | None, typer.Option(help="Deposits [default: the family's, or 10]")] = None,
        power_sources: Annotated[int | None, typer.Option(help="Power sources [default: the family's, or 9]")] = None,
        programmes: Annotated[int | None, typer.Option(help="R&D programmes, at most 8 [default: the family's, or 5]")] = None,
        years: Annotated[int | None, typer.Option(help="Planning years [default: the family's, or 6]")] = None,
        seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same instance")] = 0,
        family: Annotated[str | None, typer.Option(help="Start from a named family: small, medium, large, xl")] = None,
        budget_share: Annotated[float | None, typer.Option(
            help="Total budget as a share of the full build-out's capex [default: the family's, or 0.5]")] = None,
        out: Annotated[Path | None, typer.Option(help="A .yaml file, or a folder for the CSV format "
                                                      "[default: generated/<name>, a CSV folder]")] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file, or write into a "
                                                            "folder reeplan did not write")] = False,
    ) -> None:
        """Generate a valid synthetic instance shaped like the base case, deterministic by seed."""
        from reeplan.generate import FAMILIES, family_size, generate_instance, write_generated  # defers numpy and pydantic

        base = asdict(family_size(family)) if family else {**asdict(FAMILIES["small"]), "budget_share": 0.5}
        given = dict(sites=sites, deposits=deposits, power_sources=power_sources, programmes=programmes, years=years,
                     budget_share=budget_share)
        spec: dict[str, Any] = {k: (v if v is not None else base[k]) for k, v in given.items()}
        name = f"{family}-seed{seed}" if family and all(v is None for v in given.values()) else None
        inst = generate_instance(**spec, seed=seed, name=name)
        path = write_generated(inst, out or Path("generated") / inst.name, force=force)

        out_console.print(
            f"wrote {shown(path)}: {shown(inst.name)}, {inst.years[0]}-{inst.years[-1]}, {len(inst.sites)} sites, "
            f"{len(inst.deposits)} deposits, {len(inst.links)} links, {len(inst.power_sources)} power sources, "
            f"{len(inst.power_connections)} connections, {len(inst.rd_programmes)} R&D programmes, "
            f"budget {inst.budget.total_bn_rub:g} bn RUB")

    @app.command()
    def bench(
        instances: Annotated[list[Path] | None, typer.Argument(help="Instances: .yaml files, CSV folders, .mps files, "
                                                                     "or folders holding them")] = None,
        solver: Annotated[list[str] | None, typer.Option(
            "--solver", help="Configuration (repeatable): highs, highs-presolve-off, highs-parallel, "
                             "highs-heuristics-off, highs-heuristics-high, highs-symmetry-off, scip, cbc, glpk, "
                             "ortools-cbc, ortools-scip, ortools-cpsat, gurobi, cplex, xpress, pyomo:NAME "
                             "[default: highs]; see --list-solvers")] = None,
        list_solvers: Annotated[bool, typer.Option("--list-solvers", help="List the solvers: available here, or why "
                                                                           "not and how to install them")] = False,
        repeat: Annotated[int, typer.Option(help="Runs of each instance x configuration")] = 1,
        time_limit: Annotated[float, typer.Option(help="Solver time limit per run, seconds")] = 60.0,
        threads: Annotated[int | None, typer.Option(help="Solver threads [default: 1; highs-parallel: all cores]")] = None,
        seed: Annotated[int, typer.Option(help="Solver random seed")] = 0,
        gap: Annotated[float, typer.Option(help="Relative MIP gap for every solver")] = 1e-4,
        option: Annotated[list[str] | None, typer.Option(
            "--option", help="Solver option solver:key=value (repeatable), e.g. highs:mip_heuristic_effort=0.1")] = None,
        objective: Annotated[str, typer.Option(help="Stage-1 objective of reeplan instances")] = "max-hpo",
        metric: Annotated[str, typer.Option(help="Time the summary uses: total (build+transfer+solve+extract), "
                                                 "solve, or wall (whole child process)")] = "total",
        pipeline: Annotated[str, typer.Option(help="Reeplan instances: stage1 (build/transfer/solve/extract of "
                                                   "the stage-1 MILP, any solver) or solve (the whole reeplan "
                                                   "solve, HiGHS only)")] = "stage1",
        wall_limit: Annotated[float | None, typer.Option(help="Kill a run after this many seconds "
                                                              "[default: 2 x time limit + 60]")] = None,
        out: Annotated[Path, typer.Option(help="Folder for runs.csv/.parquet, summary.csv, profile.png/.svg, "
                                               "disagreements.csv, meta.json, logs/")] = Path("bench-out"),
        store: Annotated[Path | None, typer.Option("--store", help="Run store file [default: $REEPLAN_STORE or "
                                                                   "./reeplan-runs.sqlite]")] = None,
        no_store: Annotated[bool, typer.Option("--no-store", help="Do not record runs in the run store")] = False,
        force: Annotated[bool, typer.Option("--force", help="Write into an --out folder reeplan did not write "
                                                            "(its other files are kept)")] = False,
    ) -> None:
        """Benchmark solvers: each instance x configuration x repeat in its own process."""
        if list_solvers:
            _print_solvers()
            return
        if not instances:
            raise UsageError("give the instances to benchmark (or --list-solvers)")
        from reeplan.bench.record import record_bench_run  # defers sqlite3 and pydantic
        from reeplan.bench.run import run_bench  # defers pyomo and highspy
        from reeplan.store.runs import StoreError, open_store  # defers sqlite3 and pydantic
        from rich.table import Table  # defers rich

        run_store = None if no_store else open_store(store)

        def progress(rec: dict) -> None:
            if run_store is not None:
                try:
                    record_bench_run(run_store, rec, objective)
                except (StoreError, OSError, ValueError) as exc:  # the benchmark goes on; its CSVs hold every run
                    err_console.print(f"[yellow]run {shown(rec.get('run_id'))} not recorded in the store: {shown(exc)}[/]")
            colour = "green" if rec["status"] == "optimal" else "yellow" if rec["status"] in (
                "time_limit", "edition_limit") else "red"
            if rec.get("check_violations"):
                colour = "red"
            err_console.print(
                f"  run {shown(rec['run_id'])} {shown(rec['instance'])} {shown('[' + rec['config'] + ']')} "
                f"r{shown(rec['repeat'])}: [{colour}]{shown(rec['status'])}[/] obj={significant(rec.get('objective'), 10)} "
                f"total={significant(rec.get('total_s'))} s wall={significant(rec.get('wall_s'))} s"
                + (f" ({shown(rec['message'])})" if rec.get("message") and rec["status"] != "optimal" else ""),
                soft_wrap=True)

        report = run_bench(instances, solver or ["highs"], repeat=repeat, time_limit=time_limit, threads=threads,
                           seed=seed, gap=gap, options=option or [], out=out, objective=objective,
                           wall_limit=wall_limit, metric=metric, pipeline=pipeline, progress=progress, force=force)
        m = report.machine
        out_console.print(f"machine: {shown(m['cpu'])}, {m['cores']} cores, {m['memory_gb']} GB; "
                          f"Python {shown(m['python'])}; reeplan {shown(m['reeplan'])}; "
                          f"time limit {time_limit:g} s, gap {gap:g}, seed {seed}")
        table = Table(title=f"summary ({shown(metric)} seconds; shifted geometric mean, shift 10 s, time-outs at the limit)")
        for col in ("config", "solver", "instances", "runs", "solved", "timeouts", "failures", "wrong",
                    "edition limit", "sgm_s", "mean_peak_rss_mb"):
            table.add_column(col, justify="left" if col in ("config", "solver") else "right")
        for row in report.summary.itertuples(index=False):
            wrong = f"[bold red]{row.wrong}[/]" if row.wrong else "0"
            style = "red" if row.wrong else None
            table.add_row(shown(row.config), shown(row.solver), str(row.instances), str(row.runs), str(row.solved),
                          str(row.timeouts), str(row.failures), wrong, str(row.edition_limit), significant(row.sgm_s),
                          significant(row.mean_peak_rss_mb, 4), style=style)
        out_console.print(table)
        if report.wrong is not None and len(report.wrong):
            out_console.print("[bold red]wrong answers (not counted as solved; at the time limit in the means):[/]")
            for row in report.wrong.itertuples(index=False):
                out_console.print(f"[bold red]WRONG:[/] {shown(row.instance)} {shown('[' + row.config + ']')} "
                                  f"{shown(row.status)}: {shown(row.wrong_reason)}", soft_wrap=True)
        limited = report.runs[report.runs["status"].eq("edition_limit")]
        for (inst, config), _ in limited.groupby(["instance", "config"], sort=False):
            out_console.print(f"[yellow]skipped: edition limit[/] {shown(inst)} {shown('[' + config + ']')}", soft_wrap=True)
        known = report.runs[report.runs["known_optimum"].notna()]
        if len(known):
            kt = Table(title="known optima (over repeats: median objective, worst relative error)")
            for col in ("instance", "config", "optimal runs", "objective", "known", "rel. error"):
                kt.add_column(col)
            for (inst, config), g in known.groupby(["instance", "config"], sort=False):
                kt.add_row(shown(inst), shown(config), f"{int((g['status'] == 'optimal').sum())}/{len(g)}",
                           significant(g["objective"].median(), 10), significant(g["known_optimum"].iloc[0], 10),
                           significant(g["optimum_rel_error"].max(), 2))
            out_console.print(kt)
        if len(report.disagreements):
            for row in report.disagreements.itertuples(index=False):
                out_console.print(f"[bold red]flag:[/] {shown(row.instance)}: {shown(row.what)}: {shown(row.configs)} "
                                  f"(relative spread {row.rel_spread:.2g} > {row.tolerance:.2g})", soft_wrap=True)
        else:
            out_console.print("no disagreement between configurations on optimal objectives")
        for note in report.notes:
            out_console.print(f"[yellow]note:[/] {shown(note)}", soft_wrap=True)
        out_console.print(f"wrote {shown(', '.join(p.name for p in report.files))} to {shown(report.out)}/")


def _print_solvers() -> None:
    """``reeplan bench --list-solvers``: each solver, available or why not, how to install it, edition limits."""
    from rich.table import Table  # defers rich

    table = Table(title="solvers of reeplan bench (every one takes the same time limit, gap, threads and seed)")
    for col in ("name", "here", "version / why not", "install", "free edition"):
        table.add_column(col)
    for r in list_solvers():
        here = "[green]available[/]" if r["available"] else "[yellow]missing[/]"
        edition = "; ".join(x for x in (r["edition"], r["publish"]) if x)
        table.add_row(shown(r["name"]), here, shown(r["version"] or r["why_not"]), shown(r["install"]), shown(edition))
    out_console.print(table)
