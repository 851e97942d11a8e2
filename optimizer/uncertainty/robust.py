"""Robust plans: the two-stage stochastic model over K sampled futures, and its comparison with the
deterministic plan on fresh futures (value of the stochastic solution)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd
import pyomo.core as pyo
from reeplan.errors import UsageError
from reeplan.instance.io import instance_sha256
from reeplan.instance.schema import Instance
from reeplan.models.stochastic import (
    FIRST_STAGE,
    BudgetRule,
    NoBigMError,
    Risk,
    build_extensive_form,
    first_stage_values,
    scenario_spend_values,
)
from reeplan.options import SolveOptions
from reeplan.parallel import Pool
from reeplan.result.result import Result, Status, mip_gap
from reeplan.solving import highs
from reeplan.solving.compile import gc_paused
from reeplan.solving.pipeline import build, kpis_of, run_chain, solve_built
from reeplan.uncertainty.budget_rules import overrun_rows, overrun_statistics
from reeplan.uncertainty.futures import apply_future, sample_futures
from reeplan.uncertainty.stress import StressReport, evaluate_futures, plan_from_result, stress_test


def parse_risk(text: str) -> Risk:
    """``mean`` (expected HPO), ``cvar:ALPHA`` (mean of the worst 1-ALPHA share) or ``cvar:ALPHA:WEIGHT``
    (WEIGHT x CVaR + (1 - WEIGHT) x mean)."""
    parts = text.strip().lower().split(":")
    try:
        if parts == ["mean"]:
            return Risk()
        if parts[0] == "cvar" and len(parts) in (2, 3):
            alpha, weight = float(parts[1]), float(parts[2]) if len(parts) == 3 else 1.0
            if 0 <= alpha < 1 and 0 <= weight <= 1:
                return Risk(alpha, weight)
    except ValueError:
        pass
    raise UsageError(f"--risk {text!r}: use mean, cvar:ALPHA or cvar:ALPHA:WEIGHT with 0 <= ALPHA < 1, "
                     "0 <= WEIGHT <= 1 (e.g. cvar:0.9)")


# Without --time-limit a robust solve stops after this many seconds (build, warm start, HiGHS, extraction), with
# the best plan found and the gap HiGHS proves (docs/plans-under-uncertainty.md, "Many futures").
DEFAULT_ROBUST_TIME_LIMIT_S = 600.0
# From this K on, the default warm start is the plan of the first K // WARM_START_DIVISOR futures. Measured at K = 200
# (benchmarks/results/robust_scale.csv, expected:5, 600 s): K0 = 25 gap 1.23 %, K0 = 50 1.53 %, cold 4.34 %.
AUTO_WARM_START_FROM_K = 100
WARM_START_DIVISOR = 8
WARM_START_SHARE = 1 / 3  # of the time limit, at most, for the small-K solve behind the warm start
EVALUATE_START_SHARE = 1 / 6  # of the time limit, at most, to complete that plan into a start of the K-future model
# The small model keeps the budget rule at this share of its level (alpha or X): a plan that uses the whole
# allowance over K0 futures breaks it over K about half the time (sampling error), and then gives no start.
WARM_START_RULE_MARGIN = 0.5


def tightened(rule: BudgetRule, share: float) -> BudgetRule:
    """The rule at ``share`` of its level: chance alpha x share, expected and CVaR limits x share."""
    if rule.kind == "chance":
        return replace(rule, alpha=rule.alpha * share)
    if rule.kind in ("expected", "cvar"):
        return replace(rule, limit_bn_rub=rule.limit_bn_rub * share)
    return rule


def warm_start_size(scenarios: int, warm_start_scenarios: int | None) -> int:
    """Futures of the small model whose plan warm-starts the K-future one (0: none). ``None``: K // 8 from
    K = ``AUTO_WARM_START_FROM_K`` on, none below; else 0 <= value < ``scenarios``."""
    if warm_start_scenarios is None:
        return scenarios // WARM_START_DIVISOR if scenarios >= AUTO_WARM_START_FROM_K else 0
    if not 0 <= warm_start_scenarios < scenarios:
        raise UsageError(f"--warm-start-scenarios must be 0 (none) or fewer than --scenarios ({scenarios}), "
                         f"got {warm_start_scenarios}")
    return warm_start_scenarios


def extraction_reserve_s(scenarios: int) -> float:
    """Seconds kept back from HiGHS for the plan's tables and in-sample outcomes (measured: 23 s at K = 200)."""
    return 10.0 + 0.15 * scenarios


def _warm_start(instance: Instance, small_futures: list[Instance], risk: Risk, budget: BudgetRule,
                hm: highs.HighsModel, opts: SolveOptions, limit_s: float) -> dict:
    """Solve the extensive form of ``small_futures`` (the first K0 of the K futures) under ``budget`` tightened by
    ``WARM_START_RULE_MARGIN``, fix its first stage in the K-future model ``hm``, solve the recourse there and hand
    the completed solution to HiGHS as a MIP start.

    Returns what happened: the small model's status and gap, the start's objective in the K-future model
    (None: that plan is infeasible there, e.g. it breaks the budget rule over the K futures; no start given)."""
    tick = time.perf_counter()
    with gc_paused():
        small = build_extensive_form(instance, small_futures, risk, tightened(budget, WARM_START_RULE_MARGIN))
    shm = highs.HighsModel(small)
    run = highs.run(shm, time_limit=max(1.0, limit_s * WARM_START_SHARE), mip_gap=opts.mip_gap, threads=opts.threads,
                    options=opts.highs_options())
    info: dict = {"scenarios": len(small_futures), "small_rule": tightened(budget, WARM_START_RULE_MARGIN).label,
                  "small_status": run.status.value, "small_objective": run.incumbent,
                  "small_bound": run.bound, "small_gap": mip_gap(run.incumbent, run.bound),
                  "small_seconds": time.perf_counter() - tick, "start_objective": None, "start_status": None}
    if not run.has_plan:
        return {**info, "seconds": time.perf_counter() - tick}
    shm.load_plan()
    plan = first_stage_values(small)
    del small, shm
    m = hm.model
    first_stage = [(name, idx, var) for name in FIRST_STAGE for idx, var in getattr(m, name).items()]
    for name, idx, var in first_stage:  # the copies follow through the non-anticipativity rows
        var.fix(plan.get((name, idx), 0.0))
    hm.update(bounds=True)
    fixed = highs.run(hm, time_limit=max(1.0, limit_s * EVALUATE_START_SHARE), mip_gap=opts.mip_gap,
                      threads=opts.threads, options=opts.highs_options(), changes_pushed=True)
    start = hm.highs.getSolution()  # read before the bounds move: a changed model drops HiGHS's solution
    for _, _, var in first_stage:
        var.unfix()
    hm.update(bounds=True)
    info["start_status"] = fixed.status.value
    if fixed.has_plan and start.value_valid:
        hm.highs.setSolution(start)
        info["start_objective"] = fixed.incumbent
    return {**info, "seconds": time.perf_counter() - tick}


def gap_statement(result: Result) -> str:
    """The robust plan's optimality in words: its gap, proven by HiGHS's bound over the K futures (or none)."""
    k = result.kpis.get("robust", {})
    n = k.get("scenarios")
    what = "expected HPO" if k.get("risk", "mean") == "mean" else f"the {k['risk']} measure of HPO"
    head = (f"{what[0].upper()}{what[1:]} {result.objective:,.1f} t over the {n} futures"
            if result.objective is not None else "No plan")
    if result.mip_gap is None or result.best_bound is None:
        return f"{head}; no bound: the gap is unknown (HiGHS proved nothing)"
    words = (f"{head}; gap {result.mip_gap:.3%} proven by HiGHS's bound: no plan over these {n} futures has {what} "
             f"above {result.best_bound:,.1f} t ({result.status.value})")
    start = k.get("warm_start")
    if start and start.get("start_objective") is not None:
        words += (f". The warm start, the plan of the first {start['scenarios']} futures, is worth "
                  f"{start['start_objective']:,.1f} t over all {n}: a feasible plan, it proves no bound by itself")
    elif start:
        words += (f". The warm start from the first {start['scenarios']} futures gave no start "
                  f"(small model {start['small_status']}, its plan in the {n}-future model {start['start_status']})")
    return words + ". The bound holds for these sampled futures, not for the true distribution."


def solve_robust(instance: Instance, *, scenarios: int = 20, seed: int = 0, risk: Risk = Risk(),
                 options: SolveOptions | None = None, progress=None, budget: BudgetRule = BudgetRule(),
                 warm_start_scenarios: int | None = None) -> Result:
    """The plan maximising the risk measure of target-year HPO over ``scenarios`` sampled futures.

    The first stage obeys the instance's budget and enforced policy rules at point estimates (as the
    deterministic plan does, so that plan is always feasible here); each future re-optimises operation.
    Tables describe the plan in the point-estimate future; ``tables['scenarios']`` the in-sample outcomes.
    ``budget``: how the total budget binds the futures too (``BudgetRule``; default: point estimates only).
    ``warm_start_scenarios``: K0 < K; the plan of the first K0 futures, completed in the K-future model, is
    HiGHS's MIP start (``warm_start_size``: by default K // 8 from K = 100 on). The whole solve keeps to
    ``options.time_limit`` (default ``DEFAULT_ROBUST_TIME_LIMIT_S``); ``gap_statement`` says what it proves."""
    if scenarios < 1:
        raise UsageError(f"--scenarios must be at least 1, got {scenarios}")
    k0 = warm_start_size(scenarios, warm_start_scenarios)
    opts = options or SolveOptions()
    limit_s = opts.time_limit if opts.time_limit is not None else DEFAULT_ROBUST_TIME_LIMIT_S
    clock = time.perf_counter()
    deadline = clock + limit_s
    futures = sample_futures(instance, scenarios, seed)
    perturbed = [apply_future(instance, f) for f in futures.to_dict("records")]
    with gc_paused():
        try:
            m = build_extensive_form(instance, perturbed, risk, budget)
        except NoBigMError as exc:
            raise UsageError(f"--budget-rule {budget.label}: {exc}") from None
    seconds = {"build": time.perf_counter() - clock}
    tick = time.perf_counter()
    hm = highs.HighsModel(m)
    seconds["transfer"] = time.perf_counter() - tick
    warm: dict | None = None
    if k0:
        warm = _warm_start(instance, perturbed[:k0], risk, budget, hm, opts, limit_s)
        seconds["warm_start"] = warm["seconds"]
    stage1_limit = max(1.0, deadline - time.perf_counter() - extraction_reserve_s(scenarios))
    first = highs.run(hm, time_limit=stage1_limit, mip_gap=opts.mip_gap, threads=opts.threads,
                      options=opts.highs_options(), progress=progress, changes_pushed=warm is not None)
    name = f"robust-{risk.label}"  # the objective; the budget rule is in kpis["robust"]["budget_rule"]
    result = Result(instance.name, name, first.status, first.has_plan, best_bound=first.bound,
                    solver={"name": "highs", "version": highs.solver_version()},
                    instance_sha256=instance_sha256(instance), nodes=first.nodes)
    seconds["solve"] = first.seconds
    if not first.has_plan:
        result.message = f"no robust plan: {first.status.value}"
        result.seconds = {**seconds, "total": time.perf_counter() - clock}
        return result
    stage1_incumbent = first.incumbent
    hm.load_plan()
    result.tie_break = "skipped (stage 1 not optimal)"
    if opts.tie_break and first.status == Status.OPTIMAL:
        remaining = max(1.0, deadline - time.perf_counter() - extraction_reserve_s(scenarios))
        assert first.incumbent is not None, "an optimal run has an objective value"
        chain = run_chain(hm, opts, first.incumbent, remaining)
        seconds["solve"] += chain.seconds
        result.tie_break, result.chain = chain.note, chain.stages
    tick = time.perf_counter()
    # The plan's tables: the deterministic model with the first stage fixed at the robust plan, so that
    # operation, rules and marginals in the point-estimate future are those of this plan at its best.
    plan = first_stage_values(m)
    nominal_view = solve_fixed_plan(instance, plan, replace(opts, diagnose=False))
    result.tables = nominal_view.tables
    # In-sample outcomes from the stress model: each future run for the most HPO. (Under a pure CVaR
    # objective the futures above the value at risk do not count, and the cost tie-break throttles them.)
    in_sample = pd.DataFrame(evaluate_futures(instance, plan, futures.to_dict("records")))
    result.tables["scenarios"] = pd.concat([futures.reset_index(), in_sample], axis=1)
    spends = scenario_spend_values(m, scenarios)  # the copies' spend in the solved model
    result.tables["scenarios"]["spend_in_model_bn_rub"] = spends
    result.objective = float(pyo.value(m.Primary))
    result.mip_gap = mip_gap(result.objective, result.best_bound)
    result.targets = nominal_view.targets
    result.check_violations = nominal_view.check_violations  # the plan in the point-estimate future, checked
    result.kpis = kpis_of(instance, result.tables, result.objective)
    result.kpis["robust"] = {"risk": risk.label, "scenarios": scenarios, "seed": seed,
                             "expected_hpo_in_sample_t": float(in_sample["hpo_t"].mean()),
                             "cvar_hpo_in_sample_t": float(pyo.value(m.CVaR_HPO)) if risk.weight > 0 else None,
                             "hpo_point_estimate_t": nominal_view.kpis["hpo_t"], "budget_rule": budget.label,
                             "in_sample_overrun": overrun_statistics(
                                 [max(0.0, v - instance.budget.total_bn_rub) for v in spends],
                                 budget.alpha if budget.kind == "cvar" else 0.8, boot=200),
                             "time_limit_s": limit_s, "stage1_objective": stage1_incumbent,
                             "stage1_bound": first.bound, "stage1_gap": mip_gap(stage1_incumbent, first.bound),
                             "warm_start": warm}
    result.kpis["robust"]["gap_statement"] = gap_statement(result)
    seconds["extract"] = time.perf_counter() - tick
    result.seconds = {**seconds, "total": time.perf_counter() - clock}
    if first.status == Status.TIME_LIMIT:
        result.message = f"time limit reached: best robust plan found; {result.kpis['robust']['gap_statement']}"
    return result


def solve_fixed_plan(instance: Instance, plan: dict, options: SolveOptions | None = None) -> Result:
    """The deterministic model with the first-stage decisions fixed at ``plan``: the plan's best operation,
    rules and marginals in the point-estimate future (a ``Result`` like ``solve``'s)."""
    built = build(instance, "max-hpo")
    for (name, idx), value in plan.items():
        getattr(built.model, name)[idx].fix(value)
    built.highs.update(bounds=True)  # the fixings reach HiGHS as column bounds
    return solve_built(built, options)


@dataclass
class PlanComparison:
    """Plans stress-tested on the same fresh futures, side by side."""

    reports: dict[str, StressReport]
    table: pd.DataFrame  # one row per measure, one column per plan
    vss_t: float  # value of the stochastic solution: mean HPO, robust minus deterministic

    def text(self) -> str:
        """Plain-words comparison."""
        labels = list(self.reports)
        lines = [self.reports[label].text() for label in labels]
        why = (": here it gives less output, either the price of keeping to its budget rule in the futures or too "
               "few scenarios (K) behind it") if self.vss_t < 0 else ""
        lines.append(f"Value of the stochastic solution: {self.vss_t:+,.0f} t HPO on average "
                     f"({labels[-1]} minus {labels[0]}, on the same {len(self.reports[labels[0]].samples):,} "
                     f"fresh futures){why}.")
        return "\n\n".join(lines)


def compare_under_uncertainty(instance: Instance, plans: dict[str, Result], *, samples: int = 500, seed: int = 1,
                              workers: int = 1, scheduler: str | None = None, on_progress=None,
                              cvar_alpha: float = 0.8) -> PlanComparison:
    """Stress-test every plan on the same ``samples`` futures (seed ``seed``); the last plan is compared
    with the first (value of the stochastic solution when they are robust and deterministic). Overrun
    frequency, expected overrun and CVaR_``cvar_alpha`` of overrun come with 95% intervals (``overrun_rows``)."""
    reports = {}
    with Pool(workers, scheduler) as pool:  # one pool for every plan: the workers start once
        for label, result in plans.items():
            reports[label] = stress_test(instance, plan_from_result(instance, result), samples=samples, seed=seed,
                                         plan_label=label, on_progress=on_progress, pool=pool)
    rows = {}
    for label, rep in reports.items():
        s = rep.summary
        col = {"planned HPO (point estimate), t": s["planned_hpo_t"], "mean HPO, t": s["hpo_mean_t"],
               "P10 HPO, t": s["hpo_p10_t"], "P50 HPO, t": s["hpo_p50_t"], "P90 HPO, t": s["hpo_p90_t"],
               "P(HPO >= its plan)": s["p_hpo_at_least_planned"],
               "expected overrun, bn RUB": s["expected_overrun_bn_rub"], "P(overrun)": s["p_overrun"],
               "planned spend, bn RUB": s["planned_spend_bn_rub"]}
        for row in rep.targets.itertuples():
            col[f"P({row.rule} met)"] = row.probability_met
        col.update(overrun_rows(rep.samples["overrun_bn_rub"].to_numpy(), cvar_alpha))
        rows[label] = col
    table = pd.DataFrame(rows)
    table.index.name = "measure"
    labels = list(reports)
    vss = reports[labels[-1]].summary["hpo_mean_t"] - reports[labels[0]].summary["hpo_mean_t"]
    return PlanComparison(reports, table, vss)
