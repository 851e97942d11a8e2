"""The policy rules an instance may switch on: each rule's target field, unit and label, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyRule:
    """One policy rule: the field of its section that holds the target, the target's unit, a short label."""

    name: str
    target_field: str
    unit: str
    label: str


RULES: dict[str, PolicyRule] = {r.name: r for r in (
    PolicyRule("plants_online", "min_count", "new plants", "plants online"),
    PolicyRule("jobs", "min_jobs", "jobs", "jobs"),
    PolicyRule("reo_output", "min_t_per_yr", "t/yr REO", "REO output"),
    PolicyRule("hpo_output", "min_t_per_yr", "t/yr HPO", "HPO output"),
    PolicyRule("hp_share", "min_share", "fraction", "HP share"),
)}


def rule_target(name: str, section: object) -> float:
    """The target of rule ``name`` in its instance section (``instance.policy.<name>``)."""
    return float(getattr(section, RULES[name].target_field))
