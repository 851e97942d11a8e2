"""solve(instance) -> Result: build via models/, hand to HiGHS in memory, tie-break, extract, time each phase."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd
import pyomo.core as pyo
from reeplan.check import check_plan
from reeplan.errors import UsageError
from reeplan.instance.io import instance_sha256
from reeplan.instance.schema import Instance
from reeplan.models.components.budget import MUTABLE_BUDGET_FIELDS, set_budget
from reeplan.models.components.objective import objective_chain
from reeplan.models.data import AREAS, ModelData, model_data
from reeplan.models.investment import build_model
from reeplan.options import SolveOptions
from reeplan.result.result import Kpis, Result, Status, mip_gap
from reeplan.result.tables import clean_solver_noise
from reeplan.result.targets import new_plants_online, targets_table
from reeplan.solving import highs
from reeplan.solving.compile import gc_paused
from reeplan.solving.extract import extract_tables, rule_constraints

# Relative gap of the chain's stages after the primary (at most the user's gap): the stages make
# the reported plan unique, which a 1e-4 gap on, say, capital (0.06 bn RUB in the base case) would not.
CHAIN_GAP = 1e-7
# The least time a stage is given once --time-limit is nearly spent (HiGHS needs a positive limit);
# a later stage with less left than this is skipped, and the result says so.
MIN_STAGE_S = 0.5
# Each chain stage starts from the previous stage's plan (feasible, often optimal), so HiGHS's
# improvement heuristics mostly search in vain: on the base case they took 2/3 of each stage's time
# (sub-MIPs), and switching them off halved the chain (measured: benchmarks/README.md). User options win.
CHAIN_HIGHS_OPTIONS = {"mip_heuristic_effort": 0.0, "mip_heuristic_run_rins": False,
                       "mip_heuristic_run_rens": False, "mip_heuristic_run_root_reduced_cost": False}


@dataclass
class BuiltModel:
    """An instance's Pyomo model and the HiGHS object it was compiled to, for solves and re-solves in place."""

    instance: Instance
    objective: str
    data: ModelData
    model: pyo.ConcreteModel
    highs: highs.HighsModel
    build_seconds: float  # Pyomo build, compilation to arrays and transfer to HiGHS
    solves: int = 0


def check_objective_fits(instance: Instance, objective: str) -> None:
    """``min-cost`` answers "the least budget for an output target": refuse it without one (UsageError)."""
    policy = instance.policy
    if objective == "min-cost" and not any(r is not None and r.enabled for r in (policy.hpo_output, policy.reo_output)):
        raise UsageError(
            "min-cost needs an enforced output target (the least budget for what?): without one the cheapest "
            "plan produces nothing. Switch one on, e.g. --set policy.hpo_output.enabled=true "
            "--set policy.hpo_output.min_t_per_yr=20000 (or policy.reo_output)")


def build(instance: Instance, objective: str = "max-hpo") -> BuiltModel:
    """Build the model of ``instance`` and hand it to HiGHS (no solve yet); InstanceError if HiGHS could not
    trust its numbers (``reeplan.solving.numerics``)."""
    check_objective_fits(instance, objective)
    tick = time.perf_counter()
    with gc_paused():
        data = model_data(instance)
        m = build_model(instance, objective, data=data)
    return BuiltModel(instance, objective, data, m, highs.HighsModel(m), time.perf_counter() - tick)


def _structure_key(instance: Instance) -> dict:
    """The instance without the values held in mutable parameters."""
    dump = instance.model_dump(mode="json")
    budget = {k: v for k, v in dump["budget"].items() if k not in MUTABLE_BUDGET_FIELDS}
    budget["capped_years"] = sorted(dump["budget"]["yearly_cap_bn_rub"])  # the years, not the values
    dump["budget"] = budget
    return dump


def can_reuse(built: BuiltModel, instance: Instance) -> bool:
    """Whether ``instance`` differs from the built one only in mutable parameters (budget values)."""
    return _structure_key(built.instance) == _structure_key(instance)


def retarget(built: BuiltModel, instance: Instance) -> None:
    """Point a built model at another instance that differs only in mutable parameters."""
    if not can_reuse(built, instance):
        raise ValueError("instance differs in more than the mutable budget parameters; rebuild instead")
    set_budget(built.model, instance.budget)
    built.instance = instance


def solve(instance: Instance, options: SolveOptions | None = None, *, progress=None, interruptible: bool = False,
          **overrides) -> Result:
    """Solve one instance; never raises for infeasibility or limits (see ``Result.status``).

    ``progress``: called during the solve with incumbent, bound, gap and elapsed time (e.g. an
    ``reeplan.cli.progress.ProgressLine``); ``interruptible``: Ctrl-C stops the solve and keeps the best
    plan found (status ``interrupted``; a second Ctrl-C quits at once) - for the CLI, not notebooks."""
    opts = replace(options or SolveOptions(), **overrides)
    return solve_built(build(instance, opts.objective), opts, progress=progress, interruptible=interruptible)


def solve_built(built: BuiltModel, options: SolveOptions | None = None, *, progress=None, interruptible: bool = False,
                **overrides) -> Result:
    """Solve (or re-solve, warm-started from the previous plan) a built model (``progress``, ``interruptible``:
    see ``solve``)."""
    opts = replace(options or SolveOptions(objective=built.objective), **overrides)
    if opts.objective != built.objective:
        raise UsageError(f"model was built for {built.objective}, not {opts.objective}")
    clock = time.perf_counter()
    instance, data, m, hm = built.instance, built.data, built.model, built.highs
    seconds = {"build": built.build_seconds if built.solves == 0 else 0.0}
    solver_info = {"name": "highs", "version": highs.solver_version(), "options": {
        "time_limit": opts.time_limit, "mip_rel_gap": opts.mip_gap, "threads": opts.threads, **opts.highs_options()}}
    skipped: list[str] = []  # stages the time limit left no room for

    def left() -> float | None:
        """Seconds of --time-limit still unspent: it bounds the whole solve, build included."""
        if opts.time_limit is None:
            return None
        return opts.time_limit - seconds["build"] - (time.perf_counter() - clock)

    warm = built.solves > 0
    if warm:
        highs.push_changes_with_start(hm)
    built.solves += 1
    stage1_limit = left()
    first = highs.run(hm, time_limit=None if stage1_limit is None else max(MIN_STAGE_S, stage1_limit),
                      mip_gap=opts.mip_gap, threads=opts.threads,
                      options=opts.highs_options(), changes_pushed=warm, progress=progress,
                      interruptible=interruptible)
    solve_seconds, nodes = first.seconds, first.nodes
    result = Result(instance.name, opts.objective, first.status, first.has_plan, best_bound=first.bound,
                    solver=solver_info, instance_sha256=instance_sha256(instance), nodes=nodes)

    if not first.has_plan:
        seconds["solve"] = solve_seconds
        result.best_bound = None
        result.message = _no_plan_message(first.status)
        if first.status == Status.INFEASIBLE and opts.diagnose:
            from reeplan.solving.diagnose import diagnose  # defers pyomo and highspy

            tick = time.perf_counter()
            remaining = left()
            result.diagnosis = diagnose(instance, time_limit=None if remaining is None else max(MIN_STAGE_S, remaining),
                                        data=data)
            seconds["diagnose"] = time.perf_counter() - tick
        seconds["total"] = seconds["build"] + time.perf_counter() - clock
        result.seconds = seconds
        return result

    hm.load_plan()
    round_integers(m)
    result.tie_break = "skipped (stage 1 not optimal)" if opts.tie_break else "off (stage 1 only)"
    remaining = left()
    if opts.tie_break and first.status == Status.OPTIMAL and remaining is not None and remaining < MIN_STAGE_S:
        result.tie_break = "skipped (the time limit was spent by stage 1)"
        skipped.append("the objective chain")
    elif opts.tie_break and first.status == Status.OPTIMAL:
        chain = run_chain(hm, opts, float(pyo.value(m.Primary)), remaining, progress, interruptible)
        solve_seconds += chain.seconds
        seconds["chain"] = chain.seconds
        result.tie_break, result.chain = chain.note, chain.stages

    tick = time.perf_counter()
    duals = {}
    remaining = left()
    if opts.marginals and remaining is not None and remaining < MIN_STAGE_S:
        skipped.append("the LP marginals")
    elif opts.marginals:
        duals = highs.lp_duals(hm, [c for _, _, c in rule_constraints(m)], time_limit=remaining,
                               threads=opts.threads)
        seconds["marginals"] = time.perf_counter() - tick
    tick = time.perf_counter()
    result.tables = extract_tables(m, data, duals)
    result.objective = float(clean_solver_noise([pyo.value(m.Primary)])[0])
    result.mip_gap = mip_gap(result.objective, result.best_bound)
    result.targets = targets_table(instance, result.tables)
    result.kpis = kpis_of(instance, result.tables, result.objective)
    seconds["extract"] = time.perf_counter() - tick
    if opts.check:
        # every plan reported has passed the independent checker (pandas only, re-derives every rule)
        tick = time.perf_counter()
        result.check_violations = [str(v) for v in check_plan(instance, result.tables, opts.objective,
                                                               result.objective)]
        seconds["check"] = time.perf_counter() - tick
    remaining = left()
    if opts.why and first.status == Status.OPTIMAL and remaining is not None and remaining < MIN_STAGE_S:
        skipped.append("'why not more?'")
    elif opts.why and first.status == Status.OPTIMAL and result.status == Status.OPTIMAL:
        tick = time.perf_counter()
        # only a stage-aware progress display follows the re-solves (a plain callback sees stage 1 and the chain)
        assert first.incumbent is not None  # stage 1 is optimal
        _why_not_more(built, opts, first.incumbent, result, duals, remaining,
                      progress if hasattr(progress, "set_stage") else None)
        seconds["why_not_more"] = time.perf_counter() - tick
    seconds["solve"] = solve_seconds
    seconds["total"] = seconds["build"] + time.perf_counter() - clock
    result.seconds = seconds
    if skipped:
        result.message = f"time limit: no time left for {', '.join(skipped)}"
    if result.status == Status.TIME_LIMIT:
        result.message = f"time limit reached: best plan found, gap {result.mip_gap}"
    elif result.status == Status.INTERRUPTED:
        result.message = f"interrupted (Ctrl-C): best plan found so far, gap {result.mip_gap}"
    return result


@dataclass
class ChainOutcome:
    """What the stages after the primary objective did: one row per stage, and a note in words."""

    stages: list[dict]
    note: str
    seconds: float


def run_chain(hm: highs.HighsModel, opts: SolveOptions, z1: float, time_limit: float | None, progress=None,
              interruptible: bool = False) -> ChainOutcome:
    """The lexicographic chain after stage 1 (FORMULATION.md, section 9): each stage optimises its own
    objective with every earlier one held within ``lex_tolerance`` of its value, warm-started from the
    plan so far. A stage that finds no plan keeps the previous plan and ends the chain."""
    m = hm.model
    chain = objective_chain(m)
    (_, primary_obj, _, _) = chain[0]
    rows = [dict(stage="primary", sense=_sense(primary_obj), value=z1, status="optimal", gap=None, seconds=0.0)]
    seconds, note, previous = 0.0, "", (chain[0], z1)
    gap = min(opts.mip_gap, CHAIN_GAP)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for stage in chain[1:]:
        (_, prev_obj, prev_bound, prev_con), z = previous
        slack = opts.lex_tolerance * max(1.0, abs(z))
        prev_bound.set_value(z - slack if prev_obj.sense == pyo.maximize else z + slack)
        prev_con.activate()
        prev_obj.deactivate()
        name, obj, _, _ = stage
        obj.activate()
        values = [(v, v.value) for v in m.component_data_objects(pyo.Var, active=True)]
        highs.push_changes_with_start(hm)
        if hasattr(progress, "set_stage"):
            progress.set_stage(name, *{"output": ("HPO", "t"), "timing": ("committed", "bn RUB x yr")}.get(
                name, ("cost", "bn RUB")))
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and remaining < MIN_STAGE_S:  # the time limit bounds the chain too
            obj.deactivate()
            note = f"stopped before {name}: the time limit was spent (the plan is optimal up to the earlier stages)"
            break
        if opts.stage_time_limit is not None:  # a cap per stage, on top of the whole solve's limit
            remaining = opts.stage_time_limit if remaining is None else min(remaining, opts.stage_time_limit)
        run = highs.run(hm, time_limit=remaining, mip_gap=gap, threads=opts.threads,
                        options={**CHAIN_HIGHS_OPTIONS, **opts.highs_options()}, changes_pushed=True, progress=progress,
                        interruptible=interruptible)
        seconds += run.seconds
        if not run.has_plan:
            for v, val in values:
                v.set_value(val, skip_validation=True)
            obj.deactivate()
            note = f"stage {name} {run.status.value}: plan of the stages before kept"
            rows.append(dict(stage=name, sense=_sense(obj), value=None, status=run.status.value, gap=None,
                             seconds=run.seconds))
            break
        hm.load_plan()
        round_integers(m)
        value = float(pyo.value(obj.expr))
        rows.append(dict(stage=name, sense=_sense(obj), value=value, status=run.status.value,
                         gap=mip_gap(run.incumbent, run.bound), seconds=run.seconds))
        if run.status != Status.OPTIMAL:
            obj.deactivate()
            stage_gap = rows[-1]["gap"]
            note = (f"stage {name} {run.status.value} at gap {'unknown' if stage_gap is None else f'{stage_gap:.2g}'}: "
                    "best plan found so far, later stages not run")
            break
        previous = (stage, value)
    else:
        previous[0][1].deactivate()
    for _, _, _, con in chain:
        con.deactivate()
    primary_obj.activate()
    if not note:
        note = "full chain optimal: " + ", ".join(str(r["stage"]) for r in rows[1:]) if len(rows) > 1 else "no chain"
    return ChainOutcome(rows, note, seconds)


def round_integers(m: pyo.ConcreteModel) -> None:
    """Snap integer variables of a loaded plan to whole numbers.

    HiGHS accepts integers within 1e-6, and a stage's value read off such a plan (capital: 15 bn RUB
    x 0.9999996 modules) can sit below every truly integer plan; held as the next stage's bound, it
    would cut off the plans the chain is meant to choose among. The chain reads every stage's value
    at the snapped plan instead."""
    for v in m.component_data_objects(pyo.Var, active=True):
        if v.is_integer() and v.value is not None:
            v.set_value(float(round(v.value)), skip_validation=True)


def _sense(obj) -> str:
    return "max" if obj.sense == pyo.maximize else "min"


def _why_not_more(built: BuiltModel, opts: SolveOptions, z1: float, result: Result, duals: dict,
                  time_limit: float | None, progress=None) -> None:
    """Integer marginals of every rule (re-solves on the built model) and the ranked limits (FORMULATION.md, 10)."""
    from reeplan.solving.marginals import integer_marginals, limits_table  # defers pyomo and highspy

    marginals = integer_marginals(built.highs, built.instance, opts.objective, z1,
                                  mip_gap=opts.mip_gap, threads=opts.threads,
                                  options=opts.highs_options(), time_limit=time_limit, lp_duals=duals,
                                  progress=progress)
    relaxed_opts = replace(opts, tie_break=False, marginals=False, why=False, diagnose=False)

    def solve_relaxed(instance: Instance, label: str) -> float | None:
        if hasattr(progress, "set_stage"):
            progress.set_stage(f"why not more: {label}")
        res = solve(instance, relaxed_opts, progress=progress)
        return res.objective if res.status == Status.OPTIMAL else None

    result.tables["marginals"] = marginals
    result.tables["limits"] = limits_table(built.instance, opts.objective, z1, result.tables, marginals,
                                           solve_relaxed)


def _no_plan_message(status: Status) -> str:
    return {
        Status.INFEASIBLE: "no plan satisfies every rule; see the diagnosis for the rules that must give",
        Status.TIME_LIMIT: "time limit reached before any plan was found",
        Status.INTERRUPTED: "interrupted (Ctrl-C) before any plan was found",
        Status.UNBOUNDED: "the model is unbounded (a data error: some output has no limit)",
    }.get(status, "the solver stopped with an error before finding a plan")


def kpis_of(instance: Instance, tables: dict[str, pd.DataFrame], objective: float) -> Kpis:
    """Headline figures of a plan from its tables (target year: HPO, REO, jobs; totals; marginals)."""
    out = tables["output"].set_index("year")
    target = instance.target_year
    alloc = tables["allocation"]
    by_area = {a: float(alloc.loc[alloc["area"] == a, "bn_rub"].sum()) for a in AREAS}
    cons = tables["constraints"]
    marginals = {(r if pd.isna(y) else f"{r} {int(y)}"): float(mv)
                 for r, y, mv in zip(cons["rule"], cons["year"], cons["marginal"]) if r.startswith("budget")}
    return Kpis(
        objective=objective,
        hpo_t=float(out.loc[target, "hpo_t"]),
        reo_t=float(out.loc[target, "reo_t"]),
        cumulative_hpo_t=float(out["hpo_t"].sum()),
        spend_bn_rub=float(out["spend_bn_rub"].sum()),
        spend_by_area_bn_rub=by_area,
        # capital of projects already under way vs capital the plan decides (bn RUB, whole horizon)
        committed_capex_bn_rub=float(alloc.loc[alloc["kind"] == "committed", "bn_rub"].sum()),
        new_capex_bn_rub=float(alloc.loc[alloc["kind"] != "committed", "bn_rub"].sum()),
        total_cost_bn_rub=float(out["capex_bn_rub"].sum() + out["opex_bn_rub"].sum()),
        new_plants_online=new_plants_online(instance, tables["plants"], target),
        jobs=float(out.loc[target, "jobs"]),
        marginals=marginals,
    )
