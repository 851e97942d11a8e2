"""The tightened big-M coefficients of models/data.py remove no plan (FORMULATION.md, 6.1).

Checked two ways: a hand-solved case that mixes transit times (the bound that once cut it off), and
a property test: on random small generated instances (mixed transit years, existing assets,
expansions, upgrades, prerequisites, yearly caps), the optimum with the tightened bounds equals the
optimum with raw capacities as big-Ms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from reeplan.generate import generate_instance
from reeplan.instance.io import load_instance
from reeplan.models.data import model_data
from reeplan.models.investment import build_model
from reeplan.solving import highs
from reeplan.solving.pipeline import BuiltModel, solve_built

from tests.conftest import DATA


def _optimum(instance, objective: str, tight: bool) -> float:
    data = model_data(instance, tight_bounds=tight)
    m = build_model(instance, objective, data=data)
    res = solve_built(BuiltModel(instance, objective, data, m, highs.HighsModel(m), 0.0),
                      tie_break=False, marginals=False, diagnose=False, mip_gap=1e-9)
    assert res.status.value == "optimal", res.message
    return res.objective


def test_mixed_transit_hand_case():
    """Two years' supply (2025 by the slow link, 2026 by the fast one) arrive in 2026:
    2,000 t x 0.5 x 0.5 = 500 t HPO. The old bound (each deposit's supply once) gave 250 t."""
    inst = load_instance(DATA / "mixed_transit.yaml")
    data = model_data(inst)
    assert data.feed_max_by_year == {2025: 1000.0, 2026: 2000.0}
    for tight in (True, False):
        assert math.isclose(_optimum(inst, "max-hpo", tight), 500.0, rel_tol=1e-9)


def _random_instances(count: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield generate_instance(
            sites=int(rng.integers(1, 4)), deposits=int(rng.integers(1, 4)), power_sources=int(rng.integers(1, 3)),
            programmes=int(rng.integers(0, 3)), years=int(rng.integers(3, 6)), seed=int(rng.integers(1 << 30)),
            budget_share=float(rng.choice([0.2, 0.5, 1.0, 4.0])))


def _check_same_optimum(instances, objectives=("max-hpo", "max-cumulative-hpo")):
    checked = 0
    for inst in instances:
        for objective in objectives:
            tight, raw = _optimum(inst, objective, True), _optimum(inst, objective, False)
            assert math.isclose(tight, raw, rel_tol=1e-6, abs_tol=1e-6), (inst.name, objective, tight, raw)
            checked += 1
    return checked


def test_tight_bounds_keep_the_optimum_on_random_instances():
    insts = list(_random_instances(40, seed=2026))
    assert any(len({ln.transit_yr for ln in inst.links if ln.deposit == d.name}) > 1
               for inst in insts for d in inst.deposits), "the sample must mix transit years"
    assert _check_same_optimum(insts) == 80


@pytest.mark.slow
def test_tight_bounds_keep_the_optimum_on_hundreds_of_instances():
    assert _check_same_optimum(_random_instances(300, seed=7)) == 600
