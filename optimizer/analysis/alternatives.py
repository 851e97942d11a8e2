"""Near-optimal alternatives: plans within a slack of the optimum that fund as different a set of
sites, connections, links, expansions and programmes as possible (maximum Hamming distance to the
plans found so far, with a no-good cut against each), each then made as cheap as it can be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pyomo.core as pyo
from reeplan.check import check_plan
from reeplan.errors import InfeasibleError, NoSolutionError
from reeplan.instance.schema import Instance
from reeplan.options import SolveOptions
from reeplan.result.result import Status
from reeplan.solving import highs
from reeplan.solving.extract import extract_tables
from reeplan.solving.pipeline import build, kpis_of, solve_built

if TYPE_CHECKING:
    from pyomo.core.base.var import VarData


@dataclass
class Alternative:
    """One plan: the funded decisions, KPIs, tables and the checker's verdict."""

    rank: int
    funded: dict[str, int]
    objective: float
    kpis: dict
    tables: dict[str, pd.DataFrame]
    violations: list
    distance_to_previous: int


def funded_decisions(m: pyo.ConcreteModel) -> dict[str, VarData]:
    """'Which' decisions as binary variables: site opened / project started at all within the horizon."""
    out: dict[str, VarData] = {}
    for s, t in m.NEW_SITE_START:  # years in order: each key ends on its last start year
        out[f"site:{s}"] = m.Site_Open_By[s, t]
    for k, t in m.PROJECT_START:
        out[k] = m.Project_Begun[k, t]
    return out


def _hamming(decisions: dict[str, VarData], plan: dict[str, int]):
    return sum(var if plan[key] == 0 else 1 - var for key, var in decisions.items())


def find_alternatives(instance: Instance, count: int = 5, slack: float = 0.02, objective: str = "max-hpo",
                      time_limit: float | None = None, mip_gap: float = 1e-4, on_found=None) -> list[Alternative]:
    """Up to ``count`` plans (the optimum first) within ``slack`` (relative) of the optimal objective."""
    if objective == "min-cost":
        raise ValueError("alternatives are defined for the output objectives (max-hpo, max-cumulative-hpo)")
    built = build(instance, objective)
    opts = SolveOptions(objective=objective, time_limit=time_limit, mip_gap=mip_gap, marginals=False, diagnose=False)
    first = solve_built(built, opts)
    if first.status == Status.INFEASIBLE:
        raise InfeasibleError("the instance is infeasible: no alternatives", first.diagnosis)
    if not first.has_plan:
        raise NoSolutionError(first.message)
    m, hm = built.model, built.highs
    z_star = first.objective
    assert z_star is not None, "a result with a plan has an objective value"
    decisions = funded_decisions(m)
    plans = [{k: int(round(pyo.value(v))) for k, v in decisions.items()}]
    found = [_alternative(instance, built, 1, plans[0], first.objective, None, objective)]
    if on_found:
        on_found(found[-1])

    m.lex_bound.set_value(z_star - slack * abs(z_star))
    m.lexicographic_constraint.activate()
    m.alt_no_good = pyo.ConstraintList()
    for rank in range(2, count + 1):
        m.alt_no_good.add(_hamming(decisions, plans[-1]) >= 1)
        # Stage A: the most different funded set among near-optimal plans.
        _set_objective(m, "alt_diversity", sum(_hamming(decisions, p) for p in plans), pyo.maximize)
        run = highs.run(hm, time_limit=time_limit, mip_gap=mip_gap, threads=None, options={"random_seed": 0})
        if not run.has_plan:
            break
        hm.load_plan()
        plan = {k: int(round(pyo.value(v))) for k, v in decisions.items()}
        # Stage B: the cheapest plan with exactly that funded set and output within the slack.
        fix = pyo.Constraint(list(decisions), rule=lambda m, key, plan=plan: decisions[key] == plan[key])
        m.add_component(f"alt_fix_{rank}", fix)  # a fresh component per plan: HiGHS adds its rows, and the
        # rows of earlier plans' fixings stay, deactivated (free rows)
        _set_objective(m, "alt_cost", m.Total_Cost, pyo.minimize)
        cheap = highs.run(hm, time_limit=time_limit, mip_gap=mip_gap, threads=None, options={"random_seed": 0})
        if cheap.has_plan:
            hm.load_plan()
        fix.deactivate()
        distance = min(sum(plan[k] != p[k] for k in plan) for p in plans)
        plans.append(plan)
        found.append(_alternative(instance, built, rank, plan, float(pyo.value(m.Primary)), distance, objective))
        if on_found:
            on_found(found[-1])
    return found


def _set_objective(m: pyo.ConcreteModel, name: str, expr, sense) -> None:
    for obj in m.component_objects(pyo.Objective, active=True):
        obj.deactivate()
    if hasattr(m, name):
        m.del_component(name)
    m.add_component(name, pyo.Objective(expr=expr, sense=sense))


def _alternative(instance, built, rank, plan, objective_value, distance, objective) -> Alternative:
    tables = extract_tables(built.model, built.data)
    violations = check_plan(instance, tables, objective, objective_value)
    return Alternative(rank, plan, objective_value, kpis_of(instance, tables, objective_value), tables, violations,
                       distance if distance is not None else 0)


def alternatives_table(alternatives: list[Alternative]) -> pd.DataFrame:
    """Side by side: one column per plan, rows = KPIs then every decision funded in at least one plan."""
    cols = {}
    for alt in alternatives:
        k = alt.kpis
        area = k["spend_by_area_bn_rub"]
        col = {"objective": alt.objective, "hpo_t": k["hpo_t"], "reo_t": k["reo_t"], "spend_bn_rub": k["spend_bn_rub"],
               **{f"spend_{a}_bn_rub": v for a, v in area.items()}, "new_plants_online": k["new_plants_online"],
               "distance_to_nearest_previous": alt.distance_to_previous,
               "checker": "ok" if not alt.violations else f"{len(alt.violations)} violations"}
        funded = {key: ("yes" if v else "") for key, v in alt.funded.items()}
        cols[f"plan {alt.rank}"] = {**col, **funded}
    df = pd.DataFrame(cols)
    decision_rows = [r for r in df.index if ":" in str(r)]
    keep = [r for r in df.index if r not in decision_rows] + [r for r in decision_rows if (df.loc[r] == "yes").any()]
    df = df.loc[keep]
    df.index.name = "row"
    return df
