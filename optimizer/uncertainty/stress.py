"""Monte Carlo stress test of a plan: keep its first-stage decisions, sample futures, re-optimise the rest.

Per future, what is built and funded (and when) is fixed; shipments, power draw and the technology
level in use adapt, and the budget and policy rules become measurements (overrun, target met or not).
Futures are evaluated in batches (one model with a copy per future, ``models/stochastic.py``), in this
process, in spawned workers or on a Dask cluster.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.core as pyo
from reeplan.check import check_plan
from reeplan.errors import UsageError
from reeplan.instance.policy_rules import RULES
from reeplan.instance.schema import Instance
from reeplan.models.data import AREAS, ModelData, model_data
from reeplan.models.stochastic import best_levels, build_parametric_stress_model, build_stress_model, stress_stages
from reeplan.models.tables import future_tables
from reeplan.options import SolveOptions
from reeplan.parallel import Pool
from reeplan.result.result import Kpis, Result, Status, atomic_write, json_safe
from reeplan.solving import highs
from reeplan.solving.compile import gc_paused
from reeplan.solving.extract import plan_tables
from reeplan.solving.parametric import ParametricModel
from reeplan.solving.pipeline import CHAIN_GAP, CHAIN_HIGHS_OPTIONS, run_chain
from reeplan.uncertainty.futures import (
    UNCERTAIN_INPUTS,
    apply_future,
    factor_columns,
    factor_tornado_futures,
    quantile,
    sample_futures,
    uncertain_items,
)

Plan = dict[tuple[str, tuple], float]  # first-stage decisions: (variable, index) -> value
TORNADO_QUANTILES = (0.1, 0.9)
RULE_UNITS = {name: rule.unit for name, rule in RULES.items()}


def plan_from_result(instance: Instance, result: Result) -> Plan:
    """The first-stage decisions of a solved plan, read from its ``plants`` and ``projects`` tables."""
    if not result.has_plan or "plants" not in result.tables:
        raise UsageError(f"result of {result.instance_name!r} has no plan ({result.status.value}); nothing to stress")
    data = model_data(instance)
    plants, projects = result.tables["plants"], result.tables["projects"]
    started = {(s, int(t)): int(n) for s, t, n in zip(plants["site"], plants["year"], plants["modules_started"]) if n}
    opened = {s: int(t) for s, t, o in zip(plants["site"], plants["year"], plants["opened"]) if bool(o)}
    begun = {f"{k}:{p}": int(t) for k, p, t in zip(projects["kind"], projects["project"], projects["start_year"])}
    plan: Plan = {}
    module_years: dict[str, list[int]] = {}
    for s, t in data.module_start:
        module_years.setdefault(s, []).append(t)
    for s, t in started:
        if t not in module_years.get(s, []):
            raise UsageError(f"the plan starts modules at {s!r} in {t}, which this instance does not allow")
    for s, years in module_years.items():
        total = 0
        for t in years:
            total += started.get((s, t), 0)
            plan[("Modules_Built_By", (s, t))] = float(total)
            if s in data.new_sites:
                plan[("Site_Open_By", (s, t))] = float(s in opened and opened[s] <= t)
    unknown = set(begun) - set(data.projects)
    if unknown:
        raise UsageError(f"the plan funds projects this instance does not have: {', '.join(sorted(unknown))}")
    for key, t in data.project_start:
        plan[("Project_Begun", (key, t))] = float(key in begun and begun[key] <= t)
    return plan


@dataclass
class StressReport:
    """Outcomes of a plan over sampled futures: per-sample table, summary, target odds and tornado."""

    instance_name: str
    plan_label: str
    samples: pd.DataFrame  # one row per future: sampled inputs, then outcomes
    nominal: dict  # outcomes in the point-estimate future
    summary: dict
    targets: pd.DataFrame
    tornado: pd.DataFrame
    drivers: pd.DataFrame
    seconds: dict = field(default_factory=dict)
    # schedule float (reeplan.uncertainty.schedule_float.with_schedule_float): per item, and HPO per delay
    float_table: pd.DataFrame | None = None
    float_by_delay: pd.DataFrame | None = None
    float_text: str = ""

    def text(self) -> str:
        """The report in plain words."""
        return describe(self)

    def write(self, out_dir: str | Path) -> list[Path]:
        """samples, targets, tornado, drivers (and float, float_by_delay when computed) as CSV and Parquet, and
        summary.json, each written atomically (the charts: ``reeplan.report.stress_charts.write_stress_charts``)."""
        from reeplan.result.exports import write_tables  # defers pyarrow

        out = Path(out_dir)
        paths = write_tables(out, {"samples": self.samples, "targets": self.targets, "tornado": self.tornado,
                                   "drivers": self.drivers, **self._float_tables()})
        meta = {"plan": self.plan_label, "instance": self.instance_name, "summary": self.summary,
                "nominal": self.nominal, "seconds": self.seconds, "text": self.text()}
        paths.append(atomic_write(out / "summary.json", json.dumps(json_safe(meta), indent=2, default=str)))
        return paths

    def _float_tables(self) -> dict[str, pd.DataFrame]:
        if self.float_table is None or self.float_by_delay is None:
            return {}
        return {"float": self.float_table, "float_by_delay": self.float_by_delay}


def _rules(instance: Instance) -> dict:
    policy = instance.policy
    return {name: getattr(policy, name) for name in RULE_UNITS if getattr(policy, name) is not None}


# What a future's outcome reads of its copy, by component: each over its whole index.
OUTCOME_COMPONENTS = ("Spend", "Capex", "REO_Output", "HPO_Output", "Jobs", "New_Modules_Online")


def _outcome(value: Callable[[str, object], float], data: ModelData, nominal: Instance) -> dict:
    """What one future's copy achieved (target year and policy years) and spent; ``value(component, index)``
    reads the copy's solved value of one entry of ``OUTCOME_COMPONENTS``."""
    target = nominal.target_year
    budget = nominal.budget
    spend = sum(value("Spend", t) for t in data.years)
    capex = {a: sum(value("Capex", (a, t)) for t in data.years) for a in AREAS}
    reo, hpo = value("REO_Output", target), value("HPO_Output", target)
    row = {"hpo_t": hpo, "reo_t": reo, "hp_share": hpo / reo if reo > 1e-9 else 0.0,
           "cumulative_hpo_t": sum(value("HPO_Output", t) for t in data.years),
           "spend_bn_rub": spend, **{f"capex_{a}_bn_rub": v for a, v in capex.items()},
           "overrun_bn_rub": max(0.0, spend - budget.total_bn_rub),
           "rd_overrun_bn_rub": max(0.0, capex["rd"] - budget.rd_envelope_bn_rub)}
    for name, rule in _rules(nominal).items():
        y = rule.year
        achieved: float
        goal: float
        if name == "plants_online":
            achieved = sum(value("New_Modules_Online", (s.name, y)) >= 0.5 for s in data.instance.sites)
            goal = rule.min_count
        elif name == "jobs":
            achieved, goal = value("Jobs", y), rule.min_jobs
        elif name == "hp_share":
            r, h = value("REO_Output", y), value("HPO_Output", y)
            achieved, goal = (h / r if r > 1e-9 else 0.0), rule.min_share
        else:
            achieved = value("REO_Output" if name == "reo_output" else "HPO_Output", y)
            goal = rule.min_t_per_yr
        row[f"{name}_achieved"] = float(achieved)
        row[f"{name}_met"] = bool(achieved >= goal - 1e-6 * max(1.0, abs(goal)))
    return row


def _value_in(values: dict, name: str, index: object) -> float:
    return values[(name, index)]


def _values_of(sub: pyo.Block) -> Callable[[str, object], float]:
    return lambda name, index: pyo.value(getattr(sub, name)[index])


# The checker reads the Pyomo model (about 0.1 s a future, ten times a future's evaluation): one in a hundred.
CHECK_EVERY = 100


def evaluate_futures(nominal: Instance, plan: Plan, futures: list[dict], *, batch: int = 25,
                     options: SolveOptions | None = None, parametric: bool = True,
                     check_every: int = CHECK_EVERY, numbers: list[int] | None = None) -> list[dict]:
    """Outcome rows of ``plan`` in each future (a dict of sampled values, ``{}`` = point estimate); ``batch``
    futures share one HiGHS run, each its own copy of the model.

    ``parametric`` (default): the plan's model is built once per process and each future only moves its
    numbers (``reeplan.solving.parametric``), and the futures numbered 0, ``check_every``, 2 x ``check_every``...
    (``numbers``: each future's number, default its position) pass through the independent checker; else
    (the reference it is tested against) a model with ``batch`` future copies is built per batch, and the
    first future of each is checked."""
    opts = options or SolveOptions(threads=1, mip_gap=1e-6, marginals=False, diagnose=False)
    if batch < 1 or check_every < 1:
        raise UsageError(f"batch and check_every must be at least 1, got {batch} and {check_every}")
    if parametric:
        return _evaluate_parametric(nominal, plan, futures, batch, opts, check_every,
                                    list(range(len(futures))) if numbers is None else numbers)
    rows = []
    for start in range(0, len(futures), batch):
        rows += _evaluate_batch(nominal, plan, futures[start:start + batch], opts)
    return rows


_MODELS: dict[tuple, tuple[ParametricModel, pyo.Block, dict]] = {}  # per process: (instance, plan) -> its model
_MODELS_KEPT = 4


def parametric_stress_model(nominal: Instance, plan: Plan) -> tuple[ParametricModel, pyo.Block, dict]:
    """The plan's stress model compiled once per process (kept for the next batch of the same plan), the
    Pyomo copy it was compiled from, and the column of each ``Level_Used[level, year]``."""
    from reeplan.instance.io import instance_sha256  # defers pydantic and yaml

    key = (instance_sha256(nominal), tuple(sorted(plan.items())))
    if key not in _MODELS:
        sub, _ = build_parametric_stress_model(nominal, plan)
        stages = [(expr(sub), sense == pyo.maximize) for _, expr, sense in stress_stages(nominal)]
        outcomes = {(name, index): entry for name in OUTCOME_COMPONENTS
                    for index, entry in getattr(sub, name).items()}
        while len(_MODELS) >= _MODELS_KEPT:
            _MODELS.pop(next(iter(_MODELS)))
        model = ParametricModel(sub, stages, outcomes)
        column = {id(v): i for i, v in enumerate(model.columns)}
        _MODELS[key] = (model, sub, {index: column[id(v)] for index, v in sub.Level_Used.items()})
    return _MODELS[key]


def _evaluate_parametric(nominal: Instance, plan: Plan, futures: list[dict], batch: int,
                         opts: SolveOptions, check_every: int, numbers: list[int]) -> list[dict]:
    model, sub, level_column = parametric_stress_model(nominal, plan)
    rows = []
    for start in range(0, len(futures), batch):
        tick = time.perf_counter()
        chunk = [apply_future(nominal, f) for f in futures[start:start + batch]]
        datas = [model_data(future, index_from=nominal) for future in chunk]
        tables = [future_tables(data) for data in datas]
        thetas = np.array([model.theta(t) for t in tables])
        # each year's technology level is the best one ready (models.stochastic.best_levels): the rest is an LP
        fixed = np.full((len(chunk), len(model.columns)), np.nan)
        for k, (data, table) in enumerate(zip(datas, tables)):
            best = best_levels(data, table, plan)
            for (level, year), col in level_column.items():
                fixed[k, col] = float(best[year] == level)
        sol = model.solve(thetas, mip_gap=opts.mip_gap, threads=opts.threads, options=opts.highs_options(),
                          time_limit=opts.time_limit, lex_tolerance=opts.lex_tolerance, chain_gap=CHAIN_GAP,
                          chain_options=CHAIN_HIGHS_OPTIONS, fixed=fixed)
        if sol.columns is None:
            seconds = (time.perf_counter() - tick) / len(chunk)
            rows += [{"status": sol.run.status.value, "seconds": seconds} for _ in chunk]
            continue
        out = [{"status": sol.run.status.value, **_outcome(partial(_value_in, values), data, nominal)}
               for values, data in zip(sol.outcomes, datas)]
        for k in [k for k in range(len(chunk)) if numbers[start + k] in (-1, 0) or numbers[start + k] % check_every == 0]:
            model.load(thetas[k], sol.columns[k])
            out[k]["check_violations"] = len(check_future(chunk[k], sub, datas[k]))
        seconds = (time.perf_counter() - tick) / len(chunk)
        rows += [{**row, "seconds": seconds} for row in out]
    return rows


def _evaluate_batch(nominal: Instance, plan: Plan, futures: list[dict], opts: SolveOptions) -> list[dict]:
    tick = time.perf_counter()
    with gc_paused():
        m, scenarios = build_stress_model(nominal, [apply_future(nominal, f) for f in futures], plan)
    hm = highs.HighsModel(m)
    run = highs.run(hm, time_limit=opts.time_limit, mip_gap=opts.mip_gap, threads=opts.threads,
                    options=opts.highs_options())
    if not run.has_plan:
        return [{"status": run.status.value, "seconds": (time.perf_counter() - tick) / len(futures)} for _ in futures]
    hm.load_plan()
    if run.status == Status.OPTIMAL:  # the rest of the chain (stress_stages): most output, then cheapest
        assert run.incumbent is not None  # an optimal run has one
        run_chain(hm, opts, run.incumbent, opts.time_limit)
    seconds = (time.perf_counter() - tick) / len(futures)
    rows = [{"status": run.status.value, **_outcome(_values_of(sub), data, nominal), "seconds": seconds}
            for sub, data in scenarios]
    if scenarios and run.has_plan:  # the first future of every batch passes the independent checker
        sub, data = scenarios[0]
        rows[0]["check_violations"] = len(check_future(data.instance, sub, data))
    return rows


def check_future(future: Instance, sub: pyo.Block, data: ModelData) -> list:
    """The independent checker's violations of one future's operation (``reeplan.check``).

    A future's copy binds physics, not the money or the policy targets (the stress test measures overruns
    and shortfalls, it does not forbid them), so the future is checked with its budget and policy rules
    out of the way (the largest budget the schema allows, no yearly caps, every policy rule off), and the
    findings of ``DELAY_RULES`` are dropped."""
    budget = future.budget.model_copy(update={"total_bn_rub": 1e6, "rd_envelope_bn_rub": 1e6, "yearly_cap_bn_rub": {}})
    policy = future.policy.model_copy(update={name: None for name in RULES})
    free = future.model_copy(update={"budget": budget, "policy": policy})
    return [v for v in check_plan(free, plan_tables(sub, data), "max-hpo", None) if v.rule not in DELAY_RULES]


# Planning rules a fixed plan breaks in a future by being late, not by wrong operation: a start the
# future's longer lead time pushes past the horizon (the item then simply does not produce in the horizon).
DELAY_RULES = frozenset({"module_start_year", "project_start_year"})


def _run_chunk(nominal: Instance, plan: Plan, batch: int, check_every: int, parametric: bool,
               chunk: list[tuple[int, dict]]) -> list[dict]:
    """Worker entry point: evaluate (index, future) pairs, return rows tagged with their index."""
    rows = evaluate_futures(nominal, plan, [f for _, f in chunk], batch=batch, check_every=check_every,
                            parametric=parametric, numbers=[i for i, _ in chunk])
    return [{"sample": i, **row} for (i, _), row in zip(chunk, rows)]


def stress_test(instance: Instance, plan: Plan, *, samples: int = 1000, seed: int = 0, workers: int = 1,
                scheduler: str | None = None, batch: int = 25, plan_label: str = "plan",
                on_progress: Callable[[int, int], None] | None = None, pool: Pool | None = None,
                check_every: int = CHECK_EVERY, parametric: bool = True) -> StressReport:
    """Sample ``samples`` futures (seeded) and evaluate the plan in each; same inputs, same numbers.

    ``pool``: an open ``reeplan.parallel.Pool`` to run on (its workers are kept for the next call, e.g. the
    other plan of a comparison); else one is opened for this call from ``workers`` / ``scheduler``. Tasks
    carry the instance and the plan and return rows; nothing is written on a worker. ``check_every`` and
    ``parametric``: as ``evaluate_futures``."""
    if samples < 1:
        raise UsageError(f"--samples must be at least 1, got {samples}")
    if batch < 1 or workers < 1 or check_every < 1:
        raise UsageError("batch, workers and check_every must be at least 1")
    clock = time.perf_counter()
    table = sample_futures(instance, samples, seed)
    futures = table.to_dict("records")
    oat = _tornado_futures(instance)
    jobs_list = [(i, f) for i, f in enumerate(futures)] + [(samples + j, f) for j, (_, f) in enumerate(oat)]
    jobs_list.append((-1, {}))  # the point-estimate future
    done: dict[int, dict] = {}
    report = on_progress or (lambda d, t: None)

    def collect(rows: list[dict]) -> None:
        for row in rows:
            done[row["sample"]] = row
        report(min(len(done), samples), samples)

    own = pool is None
    pool = Pool(workers, scheduler) if pool is None else pool
    try:
        # about four tasks per slot (at least eight off this process): uneven ones even out, a lost worker costs little
        chunks = _split(jobs_list, batch, 1 if pool.local else max(2, pool.slots()))
        task = partial(_run_chunk, instance, plan, batch, check_every, parametric)
        stats = pool.map(task, chunks, collect, name="stress batch")
    finally:
        if own:
            pool.close()
    nominal = done[-1]
    outcomes = pd.DataFrame([done[i] for i in range(samples)]).drop(columns="sample")
    sample_table = pd.concat([table.reset_index(), outcomes], axis=1)
    tornado = _tornado_table(oat, [done[samples + j] for j in range(len(oat))], nominal)
    seconds = {"total": time.perf_counter() - clock, "per_sample": float(outcomes["seconds"].mean()),
               "workers": stats.slots, "tasks": stats.tasks, "tasks_retried": stats.retried}
    summary = summarise(instance, sample_table, nominal, samples=samples, seed=seed)
    checked = outcomes["check_violations"].dropna() if "check_violations" in outcomes else pd.Series(dtype=float)
    summary["futures_checked"] = int(len(checked))  # one in check_every futures (independent checker)
    summary["check_every"] = check_every
    summary["futures_check_violations"] = int(checked.sum())
    return StressReport(instance.name, plan_label, sample_table, nominal, summary,
                        targets_odds(instance, sample_table, nominal), tornado,
                        drivers(sample_table, [it.column for it in uncertain_items(instance)] + factor_columns(instance)),
                        seconds)


def _split(jobs_list: list, batch: int, workers: int) -> list[list]:
    """Chunks of whole batches, about four per worker so that uneven chunks even out."""
    n_batches = math.ceil(len(jobs_list) / batch)
    per_chunk = max(1, math.ceil(n_batches / (4 * workers))) * batch if workers > 1 else len(jobs_list)
    return [jobs_list[i:i + per_chunk] for i in range(0, len(jobs_list), per_chunk)]


def _tornado_futures(instance: Instance) -> list[tuple[tuple[str, str], dict]]:
    """One-at-a-time futures: every item of one input at its low (P10) or high (P90) quantile; then each shared
    factor at its P10 / P90 with the items it covers at their point estimates moved by it alone."""
    items = uncertain_items(instance)
    out = []
    for key in UNCERTAIN_INPUTS:
        mine = [it for it in items if it.input == key]
        if mine:
            for side, q in zip(("low", "high"), TORNADO_QUANTILES):
                out.append(((key, side), {it.column: quantile(it.distribution, q) for it in mine}))
    return out + factor_tornado_futures(instance, TORNADO_QUANTILES)


def _tornado_table(oat: list, rows: list[dict], nominal: dict) -> pd.DataFrame:
    """HPO and overrun with each input at its P10 and P90, against the point-estimate future."""
    by_input: dict[str, dict] = {}
    for ((key, side), _), row in zip(oat, rows):
        entry = by_input.setdefault(key, {"input": key})
        entry[f"hpo_{side}_t"] = row.get("hpo_t")
        entry[f"overrun_{side}_bn_rub"] = row.get("overrun_bn_rub")
    df = pd.DataFrame(list(by_input.values()), columns=["input", "hpo_low_t", "hpo_high_t", "overrun_low_bn_rub",
                                                         "overrun_high_bn_rub"])
    df["hpo_nominal_t"] = nominal["hpo_t"]
    df["hpo_swing_t"] = (df["hpo_high_t"] - df["hpo_low_t"]).abs()
    return df.sort_values("hpo_swing_t", ascending=False, ignore_index=True)


def drivers(samples: pd.DataFrame, columns: list[str], top: int = 15) -> pd.DataFrame:
    """Items whose sampled values move target-year HPO most (Spearman rank correlation over the samples)."""
    if len(samples) < 3 or not columns:
        return pd.DataFrame(columns=["item", "spearman_hpo", "spearman_overrun"])
    ranks = samples[columns + ["hpo_t", "overrun_bn_rub"]].rank()
    corr = ranks.corr().loc[columns, ["hpo_t", "overrun_bn_rub"]].fillna(0.0)
    corr.columns = ["spearman_hpo", "spearman_overrun"]
    corr = corr.reindex(corr["spearman_hpo"].abs().sort_values(ascending=False).index)
    return corr.head(top).rename_axis("item").reset_index()


def summarise(instance: Instance, table: pd.DataFrame, nominal: dict, **meta) -> dict:
    """Distribution of target-year HPO, the odds of each target, expected budget overrun."""
    hpo = table["hpo_t"].astype(float)
    return {
        **meta, "target_year": instance.target_year, "planned_hpo_t": nominal["hpo_t"],
        "hpo_mean_t": float(hpo.mean()), "hpo_std_t": float(hpo.std(ddof=0)),
        "hpo_p10_t": float(hpo.quantile(0.1)), "hpo_p50_t": float(hpo.quantile(0.5)),
        "hpo_p90_t": float(hpo.quantile(0.9)), "hpo_min_t": float(hpo.min()), "hpo_max_t": float(hpo.max()),
        "p_hpo_at_least_planned": float((hpo >= nominal["hpo_t"] - 1e-6).mean()),
        "expected_overrun_bn_rub": float(table["overrun_bn_rub"].mean()),
        "p_overrun": float((table["overrun_bn_rub"] > 1e-9).mean()),
        "expected_rd_overrun_bn_rub": float(table["rd_overrun_bn_rub"].mean()),
        "expected_spend_bn_rub": float(table["spend_bn_rub"].mean()),
        "planned_spend_bn_rub": nominal["spend_bn_rub"],
        "budget_bn_rub": instance.budget.total_bn_rub,
        "failed_samples": int((table["status"] != Status.OPTIMAL.value).sum()),
    }


def targets_odds(instance: Instance, samples: pd.DataFrame, nominal: dict) -> pd.DataFrame:
    """Per policy rule: target, value in the point-estimate future, probability met, mean and P10 achieved."""
    rows = []
    for name, rule in _rules(instance).items():
        achieved = samples[f"{name}_achieved"].astype(float)
        goal = next(getattr(rule, a) for a in ("min_count", "min_jobs", "min_t_per_yr", "min_share") if hasattr(rule, a))
        rows.append(dict(rule=name, year=rule.year, enforced=rule.enabled, target=float(goal), unit=RULE_UNITS[name],
                         planned=nominal[f"{name}_achieved"], planned_met=nominal[f"{name}_met"],
                         probability_met=float(samples[f"{name}_met"].astype(bool).mean()),
                         mean_achieved=float(achieved.mean()), p10_achieved=float(achieved.quantile(0.1))))
    return pd.DataFrame(rows, columns=["rule", "year", "enforced", "target", "unit", "planned", "planned_met",
                                       "probability_met", "mean_achieved", "p10_achieved"])


def target_words(row) -> str:
    """A policy target as it reads in a sentence: '60%' for a share, '3,500 jobs' otherwise."""
    return f"{row.target:.0%}" if row.unit == "fraction" else f"{row.target:,.0f} {row.unit}"


def describe(report: StressReport) -> str:
    """Plain-words summary of a stress test."""
    s, year = report.summary, report.summary["target_year"]
    lines = [
        f"{report.plan_label}: in {s['samples']:,} sampled futures (seed {s['seed']}), HPO in {year} averages "
        f"{s['hpo_mean_t']:,.0f} t (P10 {s['hpo_p10_t']:,.0f}, P50 {s['hpo_p50_t']:,.0f}, P90 {s['hpo_p90_t']:,.0f}) "
        f"against {s['planned_hpo_t']:,.0f} t planned; it reaches the planned output in "
        f"{s['p_hpo_at_least_planned']:.0%} of futures.",
    ]
    for row in report.targets.itertuples():
        lines.append(f"  - {row.rule} {target_words(row)} by {row.year}: met in {row.probability_met:.0%} of futures "
                     f"(planned: {'met' if row.planned_met else 'not met'}).")
    lines.append(f"  - budget {s['budget_bn_rub']:,.0f} bn RUB: overrun in {s['p_overrun']:.0%} of futures, expected "
                 f"overrun {s['expected_overrun_bn_rub']:,.1f} bn RUB (R&D envelope: "
                 f"{s['expected_rd_overrun_bn_rub']:,.1f} bn RUB); expected spend {s['expected_spend_bn_rub']:,.1f} "
                 f"of {s['planned_spend_bn_rub']:,.1f} bn RUB planned.")
    if len(report.tornado):
        top = report.tornado.iloc[0]
        lines.append(f"  - the biggest driver of HPO is {top['input']}: {top['hpo_low_t']:,.0f} t at its P10, "
                     f"{top['hpo_high_t']:,.0f} t at its P90.")
    if s.get("futures_checked"):
        bad = s["futures_check_violations"]
        lines.append(f"  - {s['futures_checked']} of the futures (one in {s.get('check_every', CHECK_EVERY)}) passed through "
                     f"the independent checker: {'no violation' if not bad else f'{bad} violations (a bug: please report it)'}.")
    if s.get("failed_samples"):
        lines.append(f"  - {s['failed_samples']} futures did not solve; see the status column.")
    if report.float_text:
        lines.append(report.float_text)
    return "\n".join(lines)


def stress_result(report: StressReport, instance: Instance) -> Result:
    """The report as a ``Result`` (tables and KPIs) so that the run store can keep it."""
    from reeplan.instance.io import instance_sha256  # defers pydantic and yaml

    return Result(instance.name, "stress", Status.OPTIMAL, True, objective=report.summary["hpo_mean_t"],
                  seconds=report.seconds, kpis=Kpis({**report.summary, "hpo_t": report.summary["hpo_mean_t"],
                                                     "spend_bn_rub": report.summary["expected_spend_bn_rub"]}),
                  tables={"samples": report.samples, "tornado": report.tornado, "drivers": report.drivers,
                          "target_odds": report.targets, **report._float_tables()},
                  instance_sha256=instance_sha256(instance), message=describe(report))
