"""Every policy target of the instance against what a plan achieves (enforced or not)."""

from __future__ import annotations

import pandas as pd
from reeplan.instance.policy_rules import RULES
from reeplan.instance.schema import PLANT_ONLINE_MIN_FEED_T, Instance, TargetAtYear
from reeplan.result.tables import TABLES, conform

COLUMNS = TABLES["targets"].names


def new_plants_online(instance: Instance, plants: pd.DataFrame, year: int) -> int:
    """New plants producing in ``year``: sites with no existing module, with a module online and at least
    the rule's minimum feed processed (``policy.plants_online.min_feed_t_per_yr``, default 500 t/yr)."""
    rule = instance.policy.plants_online
    min_feed = rule.min_feed_t_per_yr if rule is not None else PLANT_ONLINE_MIN_FEED_T
    new = {s.name for s in instance.sites if s.existing_modules == 0}
    rows = plants[plants["year"] == year]
    return int(sum(site in new and online > 0 and feed >= min_feed * (1 - 1e-6)
                   for site, online, feed in zip(rows["site"], rows["modules_online"], rows["feed_t"])))


def plants_online_note(instance: Instance, year: int) -> str:
    """How many new plants can produce by ``year``: committed ones, ones a decision can still add, and why not more."""
    start = instance.horizon.start_year
    committed = {c.item for c in instance.committed if c.kind == "module" and c.ready_year <= year}
    new = [s for s in instance.sites if s.existing_modules == 0]
    committed_new = [s.name for s in new if s.name in committed]
    addable = [s.name for s in new if s.name not in committed and s.max_modules > 0 and start + s.lead_time_yr <= year]
    parts = [f"{len(committed_new)} committed new plant(s) produce by {year}"
             + (f" ({', '.join(committed_new)})" if committed_new else ""),
             f"{len(addable)} more can be added"]
    if not addable and new:
        lead = min(s.lead_time_yr for s in new if s.name not in committed) if len(new) > len(committed_new) else None
        if lead is not None:
            parts.append(f"why not more: the shortest lead time of a new site is {lead} yr, so a module started in "
                         f"{start} produces from {start + lead}")
    return "; ".join(parts)


def targets_table(instance: Instance, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per policy rule present in the instance: target, achieved and shortfall (>= 0)."""
    policy = instance.policy
    out = tables["output"].set_index("year")
    plants = tables["plants"]
    rows = []

    def add(rule: str, spec: TargetAtYear, target: float, achieved: float, unit: str, note: str = "") -> None:
        rows.append(dict(rule=rule, year=spec.year, enforced=spec.enabled, target=target, achieved=achieved,
                         shortfall=max(0.0, target - achieved), unit=unit, note=note))

    if policy.plants_online:
        online = new_plants_online(instance, plants, policy.plants_online.year)
        add("plants_online", policy.plants_online, policy.plants_online.min_count, float(online), RULES["plants_online"].unit,
            plants_online_note(instance, policy.plants_online.year))
    if policy.jobs:
        add("jobs", policy.jobs, policy.jobs.min_jobs, float(out.loc[policy.jobs.year, "jobs"]), RULES["jobs"].unit)
    if policy.reo_output:
        r = policy.reo_output
        add("reo_output", r, r.min_t_per_yr, float(out.loc[r.year, "reo_t"]), RULES["reo_output"].unit)
    if policy.hpo_output:
        r = policy.hpo_output
        add("hpo_output", r, r.min_t_per_yr, float(out.loc[r.year, "hpo_t"]), RULES["hpo_output"].unit)
    if policy.hp_share:
        share = policy.hp_share
        reo, hpo = out.loc[share.year, "reo_t"], out.loc[share.year, "hpo_t"]
        # an empty year does not meet the floor: its share counts as 0 (not "undefined, so met")
        produced = reo >= share.min_output_t_per_yr * (1 - 1e-6) and reo > 0
        add("hp_share", share, share.min_share, float(hpo / reo) if produced else 0.0, RULES["hp_share"].unit)
    return conform("targets", pd.DataFrame(rows, columns=COLUMNS))
