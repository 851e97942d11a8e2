"""Every policy target of the instance against what a plan achieves (enforced or not)."""

from __future__ import annotations

import pandas as pd

from optimizer.instance.schema import Instance

COLUMNS = ["rule", "year", "enforced", "target", "achieved", "shortfall", "unit"]


def new_plants_online(instance: Instance, plants: pd.DataFrame, year: int) -> int:
    """Sites with at least one new (not pre-existing) module producing in ``year``."""
    existing = {s.name: s.existing_modules for s in instance.sites}
    rows = plants[plants["year"] == year]
    return int(sum(online > existing[site] for site, online in zip(rows["site"], rows["modules_online"])))


def targets_table(instance: Instance, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per policy rule present in the instance: target, achieved and shortfall (>= 0)."""
    policy = instance.policy
    out = tables["output"].set_index("year")
    plants = tables["plants"]
    rows = []

    def add(rule: str, spec, target: float, achieved: float, unit: str) -> None:
        rows.append(dict(rule=rule, year=spec.year, enforced=spec.enabled, target=target, achieved=achieved,
                         shortfall=max(0.0, target - achieved), unit=unit))

    if policy.plants_online:
        online = new_plants_online(instance, plants, policy.plants_online.year)
        add("plants_online", policy.plants_online, policy.plants_online.min_count, float(online), "new plants")
    if policy.jobs:
        add("jobs", policy.jobs, policy.jobs.min_jobs, float(out.loc[policy.jobs.year, "jobs"]), "jobs")
    if policy.reo_output:
        r = policy.reo_output
        add("reo_output", r, r.min_t_per_yr, float(out.loc[r.year, "reo_t"]), "t/yr REO")
    if policy.hpo_output:
        r = policy.hpo_output
        add("hpo_output", r, r.min_t_per_yr, float(out.loc[r.year, "hpo_t"]), "t/yr HPO")
    if policy.hp_share:
        r = policy.hp_share
        reo, hpo = out.loc[r.year, "reo_t"], out.loc[r.year, "hpo_t"]
        add("hp_share", r, r.min_share, float(hpo / reo) if reo > 0 else 0.0, "fraction")
    return pd.DataFrame(rows, columns=COLUMNS)
