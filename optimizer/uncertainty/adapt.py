"""Adaptive re-planning: a plan re-optimised year by year as a future reveals itself, beside the static plan.

Information model (docs/plans-under-uncertainty.md, "Adaptive re-planning"). A future is simulated year by
year. Before the first year nothing is known: the plan's first-year decisions are made as planned. At the
start of each later year t the ministry knows
- for every item the current plan started before t (a site's first modules or its opening, a project
  begun, a committed project under way): its realised construction delay and capex overrun;
- for every R&D programme complete by then (started + duration <= t): whether it succeeded and its effect;
- the operating conditions seen in the years run so far: supply shortfalls, power prices and link
  availability (one value per item for the whole horizon in a future, so revealed after the first year);
and re-optimises the rest: every decision of year t on is free again, every decision before t is kept,
in the model of the *revealed* instance (the nominal one with the revealed values, point estimates for the
rest), with the whole budget and the enabled policy rules (the money already committed, at its revealed
price, counts against the budget; the yearly caps of the years gone by no longer bind). A year with
nothing new revealed keeps the plan (the same problem would give the same plan). A re-plan that finds no
plan within the money and the rules is retried without the policy rules; failing that the plan is kept.

The policy's final plan (the decisions as made, year by year) and the static plan are then measured in the
whole future by the same code (``reeplan.uncertainty.stress.evaluate_futures``). The value of flexibility
is their mean difference in target-year HPO, with a 95 % interval (paired, normal approximation).
Re-plans solve stage 1 only (most target-year HPO): the tie-break chain would multiply their time by
about twenty (``solve()`` 8.65 s against 0.37 s for stage 1 in benchmarks/README.md).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from reeplan.errors import UsageError
from reeplan.instance.policy_rules import RULES
from reeplan.instance.schema import Instance
from reeplan.models.data import model_data
from reeplan.models.investment import build_model
from reeplan.models.stochastic import FIRST_STAGE
from reeplan.options import SolveOptions
from reeplan.parallel import Pool
from reeplan.result.result import Status, atomic_write, json_safe
from reeplan.solving import highs
from reeplan.solving.compile import gc_paused
from reeplan.solving.pipeline import BuiltModel, solve_built
from reeplan.uncertainty.futures import apply_future, sample_futures
from reeplan.uncertainty.stress import Plan, evaluate_futures, plan_from_result, summarise, target_words, targets_odds

REPLAN_OPTIONS = SolveOptions(threads=1, mip_gap=1e-6, tie_break=False, marginals=False, why=False, diagnose=False,
                              check=False)
# Inputs revealed once the first year has run (one value per item for the whole horizon in a future).
OPERATING_INPUTS = ("supply_shortfall", "power_price", "link_availability")


def _item_of(name: str, index: tuple) -> tuple[str, int]:
    """(future column item 'kind:name', start year) of a first-stage decision entry."""
    key, year = index
    if name == "Project_Begun":
        return key, year
    return f"site:{key}", year


def started_items(nominal: Instance, plan: Plan, before: int) -> set[str]:
    """The items ('kind:name') the plan has started before year ``before``; committed projects are under way."""
    out = {f"committed:{c.name}" for c in nominal.committed}
    for (name, index), value in plan.items():
        if value >= 0.5:
            item, year = _item_of(name, index)
            if year < before:
                out.add(item)
    return out


def revealed(nominal: Instance, plan: Plan, future: dict, year: int) -> dict:
    """The part of ``future`` known at the start of ``year`` under ``plan`` (module docstring)."""
    if year <= nominal.horizon.start_year:
        return {}
    started = started_items(nominal, plan, year)
    durations = {r.name: r.duration_yr for r in nominal.rd_programmes}
    begun: dict[str, int] = {}  # programme -> its start year in the plan
    for (name, (key, t)), v in plan.items():
        if name == "Project_Begun" and v >= 0.5 and key.startswith("programme:"):
            programme = key.split(":", 1)[1]
            begun[programme] = min(begun.get(programme, t), t)
    out = {}
    for column, value in future.items():
        if "[" not in column:
            continue  # a shared factor's own column: its effect is already in the items' columns
        kind_of_input, item = column[:-1].split("[", 1)
        if kind_of_input in OPERATING_INPUTS:
            out[column] = value
        elif kind_of_input in ("capex_overrun", "construction_delay_yr") and item in started:
            out[column] = value
        elif kind_of_input in ("rd_success", "rd_effect"):
            programme = item.split(":", 1)[1]
            if programme in begun and begun[programme] + durations[programme] <= year:
                out[column] = value
    return out


def replan(nominal: Instance, plan: Plan, known: dict, year: int) -> Plan | None:
    """The best plan (stage 1) in the revealed instance with every decision before ``year`` kept; None if there
    is none, with or without the policy rules."""
    instance = apply_future(nominal, known)
    # the yearly caps of the years gone by are history: what was committed then, at its revealed price, is spent
    caps = {y: v for y, v in instance.budget.yearly_cap_bn_rub.items() if y >= year}
    instance = instance.model_copy(update={"budget": instance.budget.model_copy(update={"yearly_cap_bn_rub": caps})})
    for policy in (instance.policy, instance.policy.model_copy(update={name: None for name in RULES})):
        candidate = instance.model_copy(update={"policy": policy})
        tick = time.perf_counter()
        with gc_paused():
            data = model_data(candidate, index_from=nominal)
            m = build_model(candidate, "max-hpo", data=data)
            for name in FIRST_STAGE:
                for index, var in getattr(m, name).items():
                    if index[1] < year:
                        var.fix(plan.get((name, index), 0.0))
        built = BuiltModel(candidate, "max-hpo", data, m, highs.HighsModel(m), time.perf_counter() - tick)
        result = solve_built(built, REPLAN_OPTIONS)
        if result.has_plan:
            return plan_from_result(nominal, result)
    return None


def adapt_future(nominal: Instance, plan: Plan, future: dict) -> tuple[Plan, dict]:
    """The adaptive policy's final plan in one future, and what it did (re-plans, decisions changed)."""
    current = dict(plan)
    last_known: dict | None = None
    replans = failed = 0
    changed_years: list[int] = []
    for year in nominal.years[1:]:
        known = revealed(nominal, current, future, year)
        if known == last_known or not known:
            continue
        last_known = known
        new = replan(nominal, current, known, year)
        replans += 1
        if new is None:
            failed += 1
            continue
        if any(abs(new.get(k, 0.0) - current.get(k, 0.0)) > 0.5 for k in set(new) | set(current)):
            changed_years.append(year)
        current = new
    changes = sum(abs(current.get(k, 0.0) - plan.get(k, 0.0)) > 0.5 for k in set(current) | set(plan))
    return current, {"replans": replans, "replans_failed": failed, "decisions_changed": int(changes),
                     "years_changed": ",".join(map(str, changed_years))}


def _adapt_chunk(nominal: Instance, plan: Plan, chunk: list[tuple[int, dict]]) -> list[dict]:
    """Worker entry point: per (index, future), the static and the adaptive outcome rows."""
    static = evaluate_futures(nominal, plan, [f for _, f in chunk], numbers=[i for i, _ in chunk])
    rows = []
    for (i, future), static_row in zip(chunk, static):
        final, info = adapt_future(nominal, plan, future)
        adaptive_row = (static_row if final == plan else
                        evaluate_futures(nominal, final, [future], batch=1, parametric=False)[0])
        rows.append({"sample": i, "static": static_row, "adaptive": adaptive_row, **info})
    return rows


@dataclass
class AdaptReport:
    """The adaptive policy beside the static plan on the same futures."""

    instance_name: str
    plan_label: str
    samples: pd.DataFrame  # one row per future: static_* and adaptive_* outcomes, re-plans
    comparison: pd.DataFrame  # one row per measure, columns static / adaptive
    targets: pd.DataFrame  # per policy rule: probability met, static and adaptive
    summary: dict
    seconds: dict = field(default_factory=dict)
    per_plan: dict = field(default_factory=dict)  # "static" / "adaptive" -> the stress test's summary and odds

    def text(self) -> str:
        """The report in plain words."""
        return describe(self)

    def outcome_views(self) -> dict:
        """Static plan and adaptive policy as the stress report's chart reads them (``samples`` with ``hpo_t``,
        ``summary``, ``targets``): ``reeplan.report.stress_charts.outcome_chart(report.outcome_views())``."""
        return {label: SimpleNamespace(samples=pd.DataFrame({"hpo_t": self.samples[f"{prefix}_hpo_t"]}),
                                       summary=self.per_plan[prefix]["summary"], targets=self.per_plan[prefix]["odds"])
                for label, prefix in (("plan kept", "static"), ("re-planned each year", "adaptive"))}

    def write(self, out_dir: str | Path) -> list[Path]:
        """samples, comparison and targets as CSV and Parquet, summary.json."""
        from reeplan.result.exports import write_tables  # defers pyarrow

        out = Path(out_dir)
        paths = write_tables(out, {"adapt_samples": self.samples, "adapt_comparison": self.comparison.reset_index(),
                                   "adapt_targets": self.targets})
        meta = {"plan": self.plan_label, "instance": self.instance_name, "summary": self.summary,
                "seconds": self.seconds, "text": self.text()}
        paths.append(atomic_write(out / "adapt_summary.json", json.dumps(json_safe(meta), indent=2, default=str)))
        return paths


def adapt_plan(instance: Instance, plan: Plan, *, samples: int = 200, seed: int = 0, workers: int = 1,
               scheduler: str | None = None, plan_label: str = "plan", pool: Pool | None = None,
               on_progress: Callable[[int, int], None] | None = None) -> AdaptReport:
    """Simulate ``samples`` futures (seeded, the stress test's) year by year with re-planning; same seed,
    same numbers, whatever the workers."""
    if samples < 1:
        raise UsageError(f"--samples must be at least 1, got {samples}")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    clock = time.perf_counter()
    futures = sample_futures(instance, samples, seed).to_dict("records")
    jobs = list(enumerate(futures))
    done: dict[int, dict] = {}
    report = on_progress or (lambda d, t: None)

    def collect(rows: list[dict]) -> None:
        for row in rows:
            done[row["sample"]] = row
        report(len(done), samples)

    own = pool is None
    pool = Pool(workers, scheduler) if pool is None else pool
    try:
        per = 1 if pool.local else max(2, pool.slots())
        size = max(1, math.ceil(len(jobs) / (4 * per))) if per > 1 else len(jobs)
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        stats = pool.map(partial(_adapt_chunk, instance, plan), chunks, collect, name="adapt batch")
    finally:
        if own:
            pool.close()
    rows = [done[i] for i in range(samples)]
    static = pd.DataFrame([r["static"] for r in rows])
    adaptive = pd.DataFrame([r["adaptive"] for r in rows])
    info = pd.DataFrame([{k: r[k] for k in ("replans", "replans_failed", "decisions_changed", "years_changed")}
                         for r in rows])
    table = pd.concat([pd.DataFrame({"sample": range(samples)}), static.add_prefix("static_"),
                       adaptive.add_prefix("adaptive_"), info], axis=1)
    nominal_row = evaluate_futures(instance, plan, [{}])[0]
    summaries = {label: summarise(instance, frame, nominal_row, samples=samples, seed=seed)
                 for label, frame in (("static", static), ("adaptive", adaptive))}
    comparison = pd.DataFrame({label: {
        "mean HPO, t": s["hpo_mean_t"], "P10 HPO, t": s["hpo_p10_t"], "P50 HPO, t": s["hpo_p50_t"],
        "P90 HPO, t": s["hpo_p90_t"], "expected spend, bn RUB": s["expected_spend_bn_rub"],
        "expected overrun, bn RUB": s["expected_overrun_bn_rub"], "P(overrun)": s["p_overrun"]}
        for label, s in summaries.items()})
    comparison.index.name = "measure"
    odds = {label: targets_odds(instance, frame, nominal_row) for label, frame in (("static", static),
                                                                                 ("adaptive", adaptive))}
    targets = odds["static"][["rule", "year", "target", "unit"]].copy()
    targets["static_probability_met"] = odds["static"]["probability_met"]
    targets["adaptive_probability_met"] = odds["adaptive"]["probability_met"]
    gain = adaptive["hpo_t"].astype(float) - static["hpo_t"].astype(float)
    half = 1.96 * float(gain.std(ddof=1)) / math.sqrt(samples) if samples > 1 else float("nan")
    summary = {"samples": samples, "seed": seed, "target_year": instance.target_year,
               "planned_hpo_t": nominal_row["hpo_t"],
               "value_of_flexibility_t": float(gain.mean()), "value_of_flexibility_low_t": float(gain.mean()) - half,
               "value_of_flexibility_high_t": float(gain.mean()) + half,
               "futures_replanned": int((info["replans"] > 0).sum()),
               "futures_changed": int((info["decisions_changed"] > 0).sum()),
               "replans": int(info["replans"].sum()), "replans_failed": int(info["replans_failed"].sum()),
               "failed_samples": int((adaptive["status"] != Status.OPTIMAL.value).sum()),
               **{f"{label}_{k}": v for label, s in summaries.items() for k, v in s.items()
                  if k.startswith(("hpo_", "p_", "expected_"))}}
    seconds = {"total": time.perf_counter() - clock, "workers": stats.slots, "tasks": stats.tasks}
    per_plan = {label: {"summary": summaries[label], "odds": odds[label]} for label in summaries}
    return AdaptReport(instance.name, plan_label, table, comparison, targets, summary, seconds, per_plan)


def describe(report: AdaptReport) -> str:
    """Plain-words summary of the adaptive policy against the static plan."""
    s, c = report.summary, report.comparison
    year = s["target_year"]
    lines = [
        f"{report.plan_label}: in {s['samples']:,} sampled futures (seed {s['seed']}), re-planned each year as the "
        f"future reveals itself, HPO in {year} averages {c.loc['mean HPO, t', 'adaptive']:,.0f} t (P10 "
        f"{c.loc['P10 HPO, t', 'adaptive']:,.0f}, P90 {c.loc['P90 HPO, t', 'adaptive']:,.0f}) against "
        f"{c.loc['mean HPO, t', 'static']:,.0f} t (P10 {c.loc['P10 HPO, t', 'static']:,.0f}, P90 "
        f"{c.loc['P90 HPO, t', 'static']:,.0f}) for the plan kept as it is.",
        f"  - value of flexibility: {s['value_of_flexibility_t']:+,.0f} t HPO on average (95 % interval "
        f"{s['value_of_flexibility_low_t']:+,.0f} to {s['value_of_flexibility_high_t']:+,.0f} t); "
        f"{s['futures_changed']:,} of {s['samples']:,} futures changed the plan ({s['replans']:,} re-plans, "
        f"{s['replans_failed']:,} found no plan within the money and the rules and kept the plan).",
    ]
    over = (c.loc["expected overrun, bn RUB", "adaptive"], c.loc["expected overrun, bn RUB", "static"])
    if s["value_of_flexibility_t"] < 0 and over[0] < over[1]:
        lines.append(f"  - re-planning keeps to the budget at the prices revealed (expected overrun {over[0]:,.1f} "
                     f"against {over[1]:,.1f} bn RUB): it gives up builds the static plan pays for by overrunning, "
                     "and each re-plan again assumes point estimates for what is not yet known.")
    for row in report.targets.itertuples():
        lines.append(f"  - {row.rule} {target_words(row)} by {row.year}: met in {row.adaptive_probability_met:.0%} "
                     "of futures "
                     f"adapting, {row.static_probability_met:.0%} static.")
    lines.append(f"  - expected overrun: {c.loc['expected overrun, bn RUB', 'adaptive']:,.1f} bn RUB adapting, "
                 f"{c.loc['expected overrun, bn RUB', 'static']:,.1f} static (P(overrun) "
                 f"{c.loc['P(overrun)', 'adaptive']:.0%} and {c.loc['P(overrun)', 'static']:.0%}).")
    return "\n".join(lines)


