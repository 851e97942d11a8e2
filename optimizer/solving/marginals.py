"""What one more unit of each limit is worth: integer marginals, and "why not more?" ranked.

Marginals from the LP with every integer fixed are zero wherever money buys whole modules and
projects, which is everywhere in this model. The *integer marginal* of a rule is instead the change
in the primary objective when the rule is relaxed by a stated step, re-solved on the model already
handed to HiGHS (warm-started from the plan, which stays feasible). "Why not more?" ranks every
limit of the primary objective by that gain, so that the units agree: the budget rules and policy
rules from their marginals, and two physical limits (reachable concentrate, lead times) from cold
solves of a relaxed instance. See FORMULATION.md, section 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pyomo.core as pyo
from reeplan.instance.policy_rules import RULES
from reeplan.instance.schema import Instance
from reeplan.options import OBJECTIVE_UNITS
from reeplan.result.tables import TABLES, conform
from reeplan.solving import highs

if TYPE_CHECKING:
    from pyomo.core.base.param import ParamData

MONEY_STEP_BN_RUB = 10.0  # relaxation of each budget rule (about the cost of one plant module)
POLICY_STEP_SHARE = 0.10  # output and jobs targets are lowered by 10 %
HP_SHARE_STEP = 0.05  # the HP-share floor is lowered by 5 percentage points
SUPPLY_STEP = 0.10  # reachable concentrate: every deposit's supply and link's capacity +10 %
LEAD_STEP_YR = 1  # lead times: every build and programme one year shorter

MARGINAL_COLUMNS = TABLES["marginals"].names
LIMIT_COLUMNS = TABLES["limits"].names


@dataclass(frozen=True)
class Relaxation:
    """One rule of the model, relaxed by ``step`` (in ``unit``) through its mutable parameter."""

    rule: str  # the row name of the constraints table (budget_total, policy_jobs, ...)
    year: int | None
    label: str  # in business words
    param: ParamData  # the mutable Pyomo parameter holding the limit (a scalar Param or one entry of an indexed one)
    step: float  # added to the limit (money) or taken off the target (policy)
    unit: str


def relaxations(m: pyo.ConcreteModel, instance: Instance) -> list[Relaxation]:
    """Every budget rule and enforced policy rule of a built model, with its relaxation step."""
    out = [Relaxation("budget_total", None, "total budget", m.total_budget_bn_rub, MONEY_STEP_BN_RUB, "bn RUB"),
           Relaxation("budget_rd", None, "R&D envelope", m.rd_envelope_bn_rub, MONEY_STEP_BN_RUB, "bn RUB")]
    out += [Relaxation("budget_yearly", t, f"spending cap {t}", m.yearly_cap_bn_rub[t], MONEY_STEP_BN_RUB, "bn RUB")
            for t in m.CAP_YEARS]
    policy = instance.policy
    for name in getattr(m, "POLICY_RULES", []):
        if name == "hp_share_output":
            continue  # "some output" is not a limit a planner relaxes
        spec = getattr(policy, name)
        if name == "hp_share":
            out.append(Relaxation("policy_hp_share", spec.year, f"HP-share floor {spec.year}", m.hp_share_floor,
                                  -min(HP_SHARE_STEP, spec.min_share), "share"))
        elif name == "plants_online":
            out.append(Relaxation("policy_plants_online", spec.year, f"new plants by {spec.year}",
                                  m.policy_target[name], -min(1.0, spec.min_count), RULES[name].unit))
        else:
            target = float(pyo.value(m.policy_target[name]))
            unit = RULES[name].unit
            what = {"jobs": "jobs target", "reo_output": "REO target", "hpo_output": "HPO target"}[name]
            out.append(Relaxation(f"policy_{name}", spec.year, f"{what} {spec.year}", m.policy_target[name],
                                  -POLICY_STEP_SHARE * target, unit))
    return [r for r in out if r.step != 0]


def objective_unit(objective: str) -> str:
    """Unit of the primary objective."""
    return OBJECTIVE_UNITS[objective]


def integer_marginals(hm: highs.HighsModel, instance: Instance, objective: str, z1: float, *,
                      mip_gap: float, threads: int | None, options: dict, time_limit: float | None,
                      lp_duals: dict | None = None, progress=None) -> pd.DataFrame:
    """Gain in the primary objective from relaxing each rule by its step (re-solve of stage 1, warm-started).

    The gain is ``z(relaxed) - z`` for the output objectives and ``z - z(relaxed)`` (budget saved) for
    ``min-cost``; both are >= 0 because the plan stays feasible. The model is left as it was: every
    parameter restored and the plan's values reloaded."""
    m = hm.model
    values = [(v, v.value) for v in m.component_data_objects(pyo.Var, active=True)]
    maximise = m.stage1_objective.sense == pyo.maximize
    unit = objective_unit(objective)
    rows = []
    try:
        for r in relaxations(m, instance):
            if hasattr(progress, "set_stage"):
                progress.set_stage(f"marginal: {r.label}")
            base = float(pyo.value(r.param))
            con = _constraint_of(m, r)
            used = float(pyo.value(con.body)) if con is not None else float("nan")
            r.param.set_value(base + r.step)
            highs.push_changes_with_start(hm)
            run = highs.run(hm, time_limit=time_limit, mip_gap=mip_gap, threads=threads, options=options,
                            changes_pushed=True, progress=progress)
            r.param.set_value(base)
            after = run.incumbent if run.has_plan else None
            gain = None if after is None else max(0.0, (after - z1) if maximise else (z1 - after))
            dual = (lp_duals or {}).get(con.name) if con is not None else None
            rows.append(dict(rule=r.rule, year=r.year, limit=r.label, used=used, step=abs(r.step), unit=r.unit,
                             objective_after=after, gain=gain, gain_unit=unit,
                             gain_per_unit=None if gain is None else gain / abs(r.step), lp_dual=dual))
            for v, val in values:  # the next relaxation starts from the plan again
                v.set_value(val, skip_validation=True)
    finally:
        highs.push_changes_with_start(hm)
        for v, val in values:
            v.set_value(val, skip_validation=True)
    return conform("marginals", pd.DataFrame(rows, columns=MARGINAL_COLUMNS))


def _constraint_of(m, r: Relaxation):
    if r.rule == "budget_yearly":
        return m.budget_yearly_constraint[r.year]
    return getattr(m, f"{r.rule}_constraint", None)


# ------------------------------------------------------------------------------------------------
# Physical limits: relaxed instances, solved cold


def more_concentrate(instance: Instance, step: float = SUPPLY_STEP) -> Instance:
    """Every deposit's supply (and expansion) and every link's capacity (and upgrade) larger by ``step``."""
    data = instance.model_dump(mode="python")
    grow = 1.0 + step
    for d in data["deposits"]:
        d["supply_t_per_yr"] *= grow
    for e in data["deposit_expansions"]:
        e["supply_added_t_per_yr"] *= grow
    for ln in data["links"]:
        ln["capacity_t_per_yr"] *= grow
    for u in data["link_upgrades"]:
        u["capacity_added_t_per_yr"] *= grow
    return Instance.model_validate(data)


def shorter_lead_times(instance: Instance, years: int = LEAD_STEP_YR) -> Instance:
    """Every site's module lead time, project lead time and programme duration shorter by ``years`` (>= 0)."""
    data = instance.model_dump(mode="python")
    for table, key in (("sites", "lead_time_yr"), ("power_connections", "lead_time_yr"),
                       ("power_expansions", "lead_time_yr"), ("link_upgrades", "lead_time_yr"),
                       ("deposit_expansions", "lead_time_yr"), ("rd_programmes", "duration_yr")):
        for row in data[table]:
            row[key] = max(0, row[key] - years)
    return Instance.model_validate(data)


def _supply_detail(instance: Instance, tables: dict[str, pd.DataFrame]) -> str:
    """Deposits shipping all they can, and links full, in the target year's arrivals."""
    year = instance.target_year
    flows = tables["flows"]
    arriving = flows[flows["arrival_year"] == year]
    ready = tables["projects"]
    ready = ready[ready["ready_year"] <= year] if len(ready) else ready
    done = set(ready["project"]) if len(ready) else set()
    full_deposits, full_links = [], []
    for d in instance.deposits:
        for ship_year in sorted(set(arriving.loc[arriving["deposit"] == d.name, "ship_year"])):
            base = d.supply_t_per_yr if ship_year >= (d.available_from_year or ship_year) else 0.0
            cap = base + sum(e.supply_added_t_per_yr for e in instance.deposit_expansions
                             if e.deposit == d.name and e.name in done)
            shipped = flows.loc[(flows["deposit"] == d.name) & (flows["ship_year"] == ship_year), "t"].sum()
            if cap > 0 and shipped >= cap * (1 - 1e-6):
                full_deposits.append(d.name)
                break
    for ln in instance.links:
        rows = arriving[arriving["link"] == ln.name]
        cap = ln.capacity_t_per_yr + sum(u.capacity_added_t_per_yr for u in instance.link_upgrades
                                         if u.link == ln.name and u.name in done)
        if len(rows) and cap > 0 and rows["t"].sum() >= cap * (1 - 1e-6):
            full_links.append(ln.name)
    parts = []
    if full_deposits:
        parts.append(f"deposits at their supply limit: {', '.join(full_deposits)}")
    if full_links:
        parts.append(f"links at capacity: {', '.join(full_links)}")
    return "; ".join(parts) or "no deposit or link at its limit"


def _lead_detail(instance: Instance, tables: dict[str, pd.DataFrame]) -> str:
    """Items started in the first year (as early as possible), whose effect the lead time holds back."""
    start = instance.horizon.start_year
    alloc = tables["allocation"]
    first = sorted(set(alloc.loc[(alloc["year"] == start) & (alloc["kind"] != "committed"), "item"]))
    if not first:
        return "nothing had to start in the first year"
    shown = ", ".join(first[:8]) + (f" and {len(first) - 8} more" if len(first) > 8 else "")
    return f"started in their first possible year ({start}): {shown}"


def limits_table(instance: Instance, objective: str, z1: float, tables: dict[str, pd.DataFrame],
                 marginals: pd.DataFrame, solve_relaxed) -> pd.DataFrame:
    """What limits the primary objective, ranked by the gain from relaxing each limit by its step.

    ``solve_relaxed(instance, label) -> float | None`` returns the stage-1 optimum of a relaxed instance."""
    maximise = objective != "min-cost"
    unit = objective_unit(objective)
    rows = []
    for label, relaxed, relaxation, detail in (
            ("reachable concentrate", more_concentrate(instance), f"+{SUPPLY_STEP:.0%} supply and link capacity",
             _supply_detail(instance, tables)),
            ("lead times", shorter_lead_times(instance), f"every lead time {LEAD_STEP_YR} yr shorter",
             _lead_detail(instance, tables))):
        after = solve_relaxed(relaxed, label)
        gain = None if after is None else max(0.0, (after - z1) if maximise else (z1 - after))
        rows.append(dict(limit=label, relaxation=relaxation, gain=gain, gain_unit=unit, detail=detail))
    for r in marginals.itertuples():
        sign = "+" if r.rule.startswith("budget") else "-"
        step = f"{r.step:,.0f}" if r.unit != "share" else f"{r.step:.0%}".replace("%", " points")
        rows.append(dict(limit=r.limit, relaxation=f"{sign}{step} {'' if r.unit == 'share' else r.unit}".strip(),
                         gain=r.gain, gain_unit=unit, detail=_rule_detail(r)))
    df = pd.DataFrame(rows, columns=LIMIT_COLUMNS[1:])
    df = df.sort_values("gain", ascending=False, na_position="last", kind="stable", ignore_index=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return conform("limits", df)


def _rule_detail(r) -> str:
    if r.unit == "bn RUB":
        return f"uses {r.used:,.1f} bn RUB"
    if r.unit == "share":
        return ""
    return f"the plan reaches {r.used:,.0f} {r.unit}"


def limits_sentence(limits: pd.DataFrame, top: int = 3) -> str:
    """The binding limits in one line, e.g. for a sweep target that is out of reach."""
    binding = limits[limits["gain"].fillna(0) > 1e-6].head(top)
    if binding.empty:
        return "no single limit relaxed by its step raises the objective"
    return "; ".join(f"{r.limit} ({r.relaxation}: +{r.gain:,.0f} {r.gain_unit})" for r in binding.itertuples())
