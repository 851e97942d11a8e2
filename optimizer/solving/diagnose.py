"""Infeasibility diagnosis: re-solve with elastic slack on every policy and budget rule and
report, ranked, which rules must give and by how much."""

from __future__ import annotations

import pandas as pd
import pyomo.core as pyo
from reeplan.instance.policy_rules import RULES, rule_target
from reeplan.instance.schema import Instance
from reeplan.models.components.elastic import elastic_slacks
from reeplan.models.components.policy import enabled_rules
from reeplan.models.data import ModelData, model_data
from reeplan.models.investment import build_model
from reeplan.result.tables import TABLES, conform
from reeplan.solving import highs

COLUMNS = TABLES["diagnosis"].names


def diagnose(instance: Instance, time_limit: float | None = None, data: ModelData | None = None) -> pd.DataFrame:
    """Rules that must give (policy shortfalls, budget overruns), largest relative change first."""
    data = data or model_data(instance)
    m = build_model(instance, elastic=True, data=data)
    hm = highs.HighsModel(m)
    run = highs.run(hm, time_limit=time_limit, mip_gap=1e-6, threads=None, options={"random_seed": 0})
    if not run.has_plan:
        return conform("diagnosis", pd.DataFrame(
            [dict(rule="(none)", message=f"elastic re-solve found no plan ({run.status.value})")], columns=COLUMNS))
    hm.load_plan()
    rows = [row for (kind, label), var in elastic_slacks(m).items()
            if (row := _row(instance, data, m, kind, label, float(var.value or 0.0))) is not None]
    df = conform("diagnosis", pd.DataFrame(rows, columns=COLUMNS))
    return df.sort_values("relative", ascending=False, ignore_index=True)


def _row(instance: Instance, data: ModelData, m, kind: str, label: str, slack: float) -> dict | None:
    budget = instance.budget
    if kind == "Overrun_Budget":
        if label == "total":
            rule, year, limit, what = "budget_total", None, budget.total_bn_rub, "total budget"
        elif label == "rd":
            rule, year, limit, what = "budget_rd", None, budget.rd_envelope_bn_rub, "R&D envelope"
        else:
            year = int(label.split()[1])
            rule, limit, what = "budget_yearly", budget.yearly_cap_bn_rub[year], f"spending cap {year}"
        if slack <= 1e-6 * max(1.0, limit):
            return None
        return dict(rule=rule, year=year, required=limit + slack, reachable=limit, gives_by=slack, unit="bn RUB",
                    relative=slack / max(1.0, limit),
                    message=f"{what}: over by {slack:,.1f} bn RUB ({limit:,.1f} -> {limit + slack:,.1f})")
    spec = enabled_rules(data)["hp_share" if label == "hp_share_output" else label]
    year = spec.year
    if label == "hp_share_output":
        required = spec.min_output_t_per_yr
        if slack <= 1e-6 * max(1.0, required):
            return None
        return dict(rule="policy_hp_share_output", year=year, required=required, reachable=required - slack,
                    gives_by=slack, unit="t/yr REO", relative=slack / max(1.0, required),
                    message=f"HP share in {year} counts only a year with output: no plan meeting the other rules "
                            f"produces {required:,.0f} t REO that year (reachable {required - slack:,.0f})")
    if label == "hp_share":
        reo, hpo = pyo.value(m.REO_Output[year]), pyo.value(m.HPO_Output[year])
        reached = hpo / reo if reo > 1e-9 else 0.0
        if spec.min_share - reached <= 1e-6 and slack <= 1e-6:
            return None
        return dict(rule="policy_hp_share", year=year, required=spec.min_share, reachable=reached,
                    gives_by=spec.min_share - reached, unit="fraction", relative=spec.min_share - reached,
                    message=f"HP share in {year}: reaches {reached:.1%}, short of {spec.min_share:.0%} "
                            f"(needs {slack:,.0f} t more HPO)" if slack >= 10 else
                            f"HP share in {year}: reaches {reached:.1%}, short of {spec.min_share:.0%} at any output")
    required = rule_target(label, spec)
    if slack <= 1e-6 * max(1.0, required):
        return None
    unit = RULES[label].unit
    what = {"plants_online": f"new plants online by {year}", "jobs": f"new jobs in {year}",
            "reo_output": f"REO output in {year}", "hpo_output": f"HPO output in {year}"}[label]
    return dict(rule=f"policy_{label}", year=year, required=required, reachable=required - slack, gives_by=slack,
                unit=unit, relative=slack / max(1.0, required),
                message=f"{what}: short by {slack:,.0f} {unit} (need {required:,.0f}, reachable {required - slack:,.0f})")
