"""solve(instance) -> Result: build via models/, hand to HiGHS in memory, tie-break, extract, time each phase."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import pandas as pd
import pyomo.environ as pyo

from models.components.objective import OBJECTIVES
from models.components.sets import AREAS, ModelData, model_data
from models.investment import build_model
from optimizer import highs
from optimizer.errors import UsageError
from optimizer.extract import extract_tables, rule_constraints
from optimizer.instance.io import instance_sha256
from optimizer.instance.schema import Instance
from optimizer.result import Result, Status, mip_gap
from optimizer.targets import new_plants_online, targets_table


@dataclass(frozen=True)
class SolveOptions:
    """Solver and model options; the defaults are what ``reeplan solve`` uses."""

    objective: str = "max-hpo"
    time_limit: float | None = None  # seconds, whole solve
    mip_gap: float = 1e-4  # relative
    threads: int | None = None  # None: HiGHS decides
    seed: int = 0
    lex_tolerance: float = 1e-9  # stage 2 keeps the primary objective within this relative tolerance
    tie_break: bool = True
    marginals: bool = True
    diagnose: bool = True
    solver_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise UsageError(f"unknown objective {self.objective!r}; choose one of: {', '.join(OBJECTIVES)}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise UsageError(f"time limit must be positive, got {self.time_limit}")
        if not 0 <= self.mip_gap < 1:
            raise UsageError(f"relative gap must be in [0, 1), got {self.mip_gap}")
        if self.threads is not None and self.threads < 1:
            raise UsageError(f"threads must be >= 1, got {self.threads}")

    def highs_options(self) -> dict:
        """Options passed to HiGHS besides time limit, gap and threads."""
        return {"random_seed": self.seed, **self.solver_options}


@dataclass
class BuiltModel:
    """An instance's Pyomo model already handed to a persistent HiGHS interface, for re-solves."""

    instance: Instance
    objective: str
    data: ModelData
    model: pyo.ConcreteModel
    solver: object
    build_seconds: float
    solves: int = 0


def build(instance: Instance, objective: str = "max-hpo") -> BuiltModel:
    """Build the model of ``instance`` (no solve yet)."""
    tick = time.perf_counter()
    data = model_data(instance)
    m = build_model(instance, objective, data=data)
    return BuiltModel(instance, objective, data, m, highs.new_solver(), time.perf_counter() - tick)


def _structure_key(instance: Instance) -> dict:
    """The instance without the values held in mutable parameters."""
    dump = instance.model_dump(mode="json")
    budget = dict(dump["budget"])
    budget.pop("total_bn_rub")
    budget.pop("rd_envelope_bn_rub")
    budget["yearly_cap_bn_rub"] = sorted(budget["yearly_cap_bn_rub"])  # the years, not the values
    dump["budget"] = budget
    return dump


def can_reuse(built: BuiltModel, instance: Instance) -> bool:
    """Whether ``instance`` differs from the built one only in mutable parameters (budget values)."""
    return _structure_key(built.instance) == _structure_key(instance)


def retarget(built: BuiltModel, instance: Instance) -> None:
    """Point a built model at another instance that differs only in mutable parameters."""
    if not can_reuse(built, instance):
        raise ValueError("instance differs in more than the mutable budget parameters; rebuild instead")
    m, budget = built.model, instance.budget
    m.total_budget_bn_rub.set_value(budget.total_bn_rub)
    m.rd_envelope_bn_rub.set_value(budget.rd_envelope_bn_rub)
    for year in m.CAP_YEARS:
        m.yearly_cap_bn_rub[year].set_value(budget.yearly_cap_bn_rub[year])
    built.instance = instance


def solve(instance: Instance, options: SolveOptions | None = None, *, progress=None, interruptible: bool = False,
          **overrides) -> Result:
    """Solve one instance; never raises for infeasibility or limits (see ``Result.status``).

    ``progress``: called during the solve with incumbent, bound, gap and elapsed time (e.g. an
    ``optimizer.progress.ProgressLine``); ``interruptible``: Ctrl-C stops the solve and keeps the best
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
    instance, data, m, opt = built.instance, built.data, built.model, built.solver
    seconds = {"build": built.build_seconds if built.solves == 0 else 0.0}
    solver_info = {"name": "highs", "version": highs.solver_version(opt), "options": {
        "time_limit": opts.time_limit, "mip_rel_gap": opts.mip_gap, "threads": opts.threads, **opts.highs_options()}}
    warm = built.solves > 0
    if warm:
        highs.push_changes_with_start(opt, m)
    built.solves += 1
    first = highs.run(opt, m, time_limit=opts.time_limit, mip_gap=opts.mip_gap, threads=opts.threads,
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
            from optimizer.diagnosis import diagnose

            tick = time.perf_counter()
            result.diagnosis = diagnose(instance, time_limit=opts.time_limit, data=data)
            seconds["diagnose"] = time.perf_counter() - tick
        seconds["total"] = seconds["build"] + time.perf_counter() - clock
        result.seconds = seconds
        return result

    first.results.solution_loader.load_vars()
    result.tie_break = "skipped (stage 1 not optimal)"
    if opts.tie_break and first.status == Status.OPTIMAL:
        remaining = None if opts.time_limit is None else max(1.0, opts.time_limit - (time.perf_counter() - clock))
        if hasattr(progress, "set_stage"):
            progress.set_stage("tie-break", *(("HPO", "t") if opts.objective == "min-cost" else ("cost", "bn RUB")))
        second, ok = tie_break(opt, m, opts, first.incumbent, remaining, progress, interruptible)
        solve_seconds += second.seconds
        result.tie_break = tie_break_note(second, ok, "cheapest plan within tolerance")

    tick = time.perf_counter()
    duals = {}
    if opts.marginals:
        duals = highs.lp_duals(m, [c for _, _, c in rule_constraints(m)], time_limit=opts.time_limit,
                               threads=opts.threads)
        seconds["marginals"] = time.perf_counter() - tick
    tick = time.perf_counter()
    result.tables = extract_tables(m, data, duals)
    result.objective = float(pyo.value(m.Primary))
    result.mip_gap = mip_gap(result.objective, result.best_bound)
    result.targets = targets_table(instance, result.tables)
    result.kpis = kpis_of(instance, result.tables, result.objective)
    seconds["extract"] = time.perf_counter() - tick
    seconds["solve"] = solve_seconds
    seconds["total"] = seconds["build"] + time.perf_counter() - clock
    result.seconds = seconds
    if result.status == Status.TIME_LIMIT:
        result.message = f"time limit reached: best plan found, gap {result.mip_gap}"
    elif result.status == Status.INTERRUPTED:
        result.message = f"interrupted (Ctrl-C): best plan found so far, gap {result.mip_gap}"
    return result


def tie_break(opt, m: pyo.ConcreteModel, opts: SolveOptions, z1: float, time_limit: float | None, progress=None,
               interruptible: bool = False):
    """Stage 2: among plans within tolerance of the stage-1 optimum, the tie-break objective's best."""
    values = [(v, v.value) for v in m.component_data_objects(pyo.Var, active=True)]
    slack = opts.lex_tolerance * max(1.0, abs(z1))
    maximise = m.stage1_objective.sense == pyo.maximize
    m.lex_bound.set_value(z1 - slack if maximise else z1 + slack)
    m.stage1_objective.deactivate()
    m.stage2_objective.activate()
    m.lexicographic_constraint.activate()
    highs.push_changes_with_start(opt, m)
    second = highs.run(opt, m, time_limit=time_limit, mip_gap=opts.mip_gap, threads=opts.threads,
                       options=opts.highs_options(), changes_pushed=True, progress=progress,
                       interruptible=interruptible)
    ok = second.has_plan
    if ok:
        second.results.solution_loader.load_vars()
    else:
        for v, val in values:
            v.set_value(val, skip_validation=True)
    m.lexicographic_constraint.deactivate()
    m.stage2_objective.deactivate()
    m.stage1_objective.activate()
    return second, ok


def tie_break_note(second, ok: bool, done: str) -> str:
    """What the stage-2 solve achieved, in words (``done`` when it closed its gap)."""
    if not ok:
        return f"stage 2 {second.status.value}: stage-1 plan kept"
    if second.status == Status.INTERRUPTED:
        return "stage 2 interrupted (Ctrl-C): the cheapest plan found so far"
    if second.status != Status.OPTIMAL:
        return f"stage 2 {second.status.value}: the cheapest plan found so far"
    return done


def _no_plan_message(status: Status) -> str:
    return {
        Status.INFEASIBLE: "no plan satisfies every rule; see the diagnosis for the rules that must give",
        Status.TIME_LIMIT: "time limit reached before any plan was found",
        Status.INTERRUPTED: "interrupted (Ctrl-C) before any plan was found",
        Status.UNBOUNDED: "the model is unbounded (a data error: some output has no limit)",
    }.get(status, "the solver stopped with an error before finding a plan")


def kpis_of(instance: Instance, tables: dict[str, pd.DataFrame], objective: float) -> dict:
    """Headline figures of a plan from its tables (target year: HPO, REO, jobs; totals; marginals)."""
    out = tables["output"].set_index("year")
    target = instance.target_year
    alloc = tables["allocation"]
    by_area = {a: float(alloc.loc[alloc["area"] == a, "bn_rub"].sum()) for a in AREAS}
    cons = tables["constraints"]
    marginals = {(r if pd.isna(y) else f"{r} {int(y)}"): float(mv)
                 for r, y, mv in zip(cons["rule"], cons["year"], cons["marginal"]) if r.startswith("budget")}
    return {
        "objective": objective,
        "hpo_t": float(out.loc[target, "hpo_t"]),
        "reo_t": float(out.loc[target, "reo_t"]),
        "cumulative_hpo_t": float(out["hpo_t"].sum()),
        "spend_bn_rub": float(out["spend_bn_rub"].sum()),
        "spend_by_area_bn_rub": by_area,
        "total_cost_bn_rub": float(out["capex_bn_rub"].sum() + out["opex_bn_rub"].sum()),
        "new_plants_online": new_plants_online(instance, tables["plants"], target),
        "jobs": float(out.loc[target, "jobs"]),
        "marginals": marginals,
    }
