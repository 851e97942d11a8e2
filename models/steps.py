"""Cumulative ("step") decision variables: the monotone rows and the expressions read off them.

Generic construction helpers for the components (models/components/); they compute no model
quantity of their own: each component names what it builds with them (FORMULATION.md, section 2).
"""

from __future__ import annotations

import pyomo.core as pyo


def years_by_key(index: list[tuple[str, int]]) -> dict[str, list[int]]:
    """The years of each key of a sparse (key, year) index, in index order."""
    years_of: dict[str, list[int]] = {}
    for k, t in index:
        years_of.setdefault(k, []).append(t)
    return years_of


def add_monotone(m: pyo.Block, var, index: list[tuple[str, int]], name: str) -> None:
    """Add ``var[k,t'] <= var[k,t]`` for consecutive years t' < t of each key, as constraint ``name``."""
    years_of = years_by_key(index)
    pairs = [(k, years[i]) for k, years in years_of.items() for i in range(1, len(years))]
    prev = {(k, years[i]): years[i - 1] for k, years in years_of.items() for i in range(1, len(years))}
    m.add_component(name, pyo.Constraint(pairs, rule=lambda m, k, t: var[k, prev[k, t]] <= var[k, t]))


def step_difference(var, years_of: dict[str, list[int]], key: str, year: int):
    """The increase of a cumulative variable in ``year`` (what starts in that year)."""
    years = years_of[key]
    i = years.index(year)
    return var[key, year] - var[key, years[i - 1]] if i else var[key, year]


def step_value_by(var, years_of: dict[str, list[int]], key: str, year: int, lead: int):
    """The cumulative variable at the last year t with t + lead <= ``year`` (0 if none)."""
    eligible = [t for t in years_of.get(key, []) if t + lead <= year]
    return var[key, eligible[-1]] if eligible else 0
