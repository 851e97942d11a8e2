"""Shared (correlated) risk factors of the sampler: off, it is the independent sampler draw for draw; on, items
keep their own draws and the factors add exactly the correlation their distributions imply; the tornado shows them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reeplan.errors import InstanceError
from reeplan.instance.io import load_instance
from reeplan.solving.pipeline import solve
from reeplan.uncertainty.futures import (
    DEFAULT_FACTORS,
    draw,
    quantile,
    region_key,
    sample_futures,
    shared_factors,
    uncertain_items,
)
from reeplan.uncertainty.stress import plan_from_result, stress_test

from tests.conftest import ROOT

TINY = ROOT / "instances" / "tiny.yaml"
SIBERIA = ROOT / "instances" / "siberia-2030.yaml"
ON = ["uncertainty={'factors': {'enabled': true}}"]
N = 4000


def old_sampler(instance, n: int, seed: int) -> pd.DataFrame:
    """The sampler before shared factors (main at 010db7a), verbatim: one seeded stream, items in order."""
    rng = np.random.default_rng(seed)
    items = uncertain_items(instance)
    table = pd.DataFrame({item.column: draw(item.distribution, rng, n) for item in items}, index=range(n))
    table.index.name = "sample"
    return table


@pytest.fixture(scope="module")
def siberia_on():
    return load_instance(SIBERIA, ON)


@pytest.fixture(scope="module")
def table_on(siberia_on):
    return sample_futures(siberia_on, N, seed=3)


@pytest.mark.parametrize("overrides", [[], ["uncertainty={'factors': {'enabled': false}}"]], ids=["default", "off"])
@pytest.mark.parametrize("base", [TINY, SIBERIA], ids=["tiny", "siberia"])
def test_factors_off_reproduce_the_independent_sampler_exactly(base, overrides):
    inst = load_instance(base, overrides)
    assert shared_factors(inst) == []
    for seed in (0, 7):
        pd.testing.assert_frame_equal(sample_futures(inst, 50, seed), old_sampler(inst, 50, seed), check_exact=True)


def test_factors_on_keep_each_items_own_draw(siberia_on, table_on):
    """Dividing out the capex factors and subtracting the delay factors gives back the independent draws exactly
    (the factors have a stream of their own), and every factor column has the values its distribution can take."""
    base = old_sampler(siberia_on, N, 3)
    factors = shared_factors(siberia_on)
    assert factors and [c for c in table_on.columns if c.startswith("factor:")] == [f.column for f in factors]
    undone = table_on[list(base.columns)].copy()
    for f in factors:
        for col in f.items:
            undone[col] = undone[col] - table_on[f.column] if f.nominal == 0 else undone[col] / table_on[f.column]
    pd.testing.assert_frame_equal(undone, base, rtol=1e-12)
    mean = (0.95 + 1.00 + 1.30) / 3  # a capex factor is its draw over its mean
    assert table_on["factor:sanctions_capex"].between(0.95 / mean, 1.30 / mean).all()
    assert table_on["factor:sanctions_capex"].mean() == pytest.approx(1.0, abs=0.005)
    assert set(table_on[f"factor:region_delay_yr[{region_key('Irkutsk oblast, Nizhneudinsk district')}]"]) == {0, 1}
    pd.testing.assert_frame_equal(table_on, sample_futures(siberia_on, N, seed=3))  # seeded


def _tri_moments(d) -> tuple[float, float]:
    a, c, b = d.low, d.mode, d.high
    mean = (a + b + c) / 3
    return mean, (a * a + b * b + c * c - a * b - a * c - b * c) / 18 + mean * mean


def _product_moments(dists) -> tuple[float, float]:
    """E and E[.^2] of a product of independent triangular variables."""
    m1 = m2 = 1.0
    for d in dists:
        e, e2 = _tri_moments(d)
        m1, m2 = m1 * e, m2 * e2
    return m1, m2


def _implied_correlation(own_u, own_v, shared) -> float:
    """corr(U F, V F) for independent U, V, F: E[U] E[V] Var F / sqrt(Var(U F) Var(V F))."""
    eu, eu2 = _product_moments(own_u)
    ev, ev2 = _product_moments(own_v)
    ef, ef2 = _product_moments(shared)
    var_f = ef2 - ef * ef
    return eu * ev * var_f / math.sqrt((eu2 * ef2 - (eu * ef) ** 2) * (ev2 * ef2 - (ev * ef) ** 2))


def test_capex_correlations_are_those_the_factors_imply(siberia_on, table_on):
    """Site capex: item triangular(0.95, 1.10, 1.50) x area[plants] x region x sanctions (the defaults). Kodinsk and
    Krasnoyarsk share all three factors (Krasnoyarsk krai); Kodinsk and Bratsk (Irkutsk oblast) share area and
    sanctions only, each with its own region factor. A programme (area rd, no region, not imported) and a power
    connection (area power) share nothing: independent. Pearson within 0.05 of the implied value (N = 4,000: s.e.
    about 0.016), Spearman of the same sign and order."""
    item = uncertain_items(siberia_on)
    site = next(it.distribution for it in item if it.column == "capex_overrun[site:Kodinsk]")
    area, region, sanctions = DEFAULT_FACTORS.area_capex, DEFAULT_FACTORS.region_capex, DEFAULT_FACTORS.sanctions_capex
    same = _implied_correlation([site], [site], [area, region, sanctions])
    apart = _implied_correlation([site, region], [site, region], [area, sanctions])
    assert 0.3 < apart < same < 0.7
    col = {name: f"capex_overrun[site:{name}]" for name in ("Kodinsk", "Krasnoyarsk", "Bratsk")}
    pearson = table_on.corr()
    spearman = table_on.rank().corr()
    assert pearson.loc[col["Kodinsk"], col["Krasnoyarsk"]] == pytest.approx(same, abs=0.05)
    assert pearson.loc[col["Kodinsk"], col["Bratsk"]] == pytest.approx(apart, abs=0.05)
    assert spearman.loc[col["Kodinsk"], col["Krasnoyarsk"]] > spearman.loc[col["Kodinsk"], col["Bratsk"]] > 0.25
    rd = next(c for c in table_on.columns if c.startswith("capex_overrun[programme:"))
    power = next(c for c in table_on.columns if c.startswith("capex_overrun[connection:"))
    assert abs(spearman.loc[rd, power]) < 0.05
    # without factors the same pair of sites is independent
    off = old_sampler(siberia_on, N, 3).rank().corr()
    assert abs(off.loc[col["Kodinsk"], col["Krasnoyarsk"]]) < 0.05


def test_delays_of_one_region_move_together(siberia_on, table_on):
    """The region delay (0 or +1 yr, P(+1) = 0.2) is shared by every build of the region: two Krasnoyarsk-krai
    sites' delays correlate positively, with the implied Pearson Var(D) / (Var(own) + Var(D)); a site and a build in
    another region do not."""
    delay = {name: f"construction_delay_yr[site:{name}]" for name in ("Kodinsk", "Krasnoyarsk", "Bratsk")}
    own = np.array([0, 1, 2]), np.array([0.55, 0.30, 0.15])
    var_own = float((own[0] ** 2 * own[1]).sum() - (own[0] * own[1]).sum() ** 2)
    implied = 0.16 / (var_own + 0.16)
    corr = table_on.corr()
    assert corr.loc[delay["Kodinsk"], delay["Krasnoyarsk"]] == pytest.approx(implied, abs=0.05)
    assert abs(corr.loc[delay["Kodinsk"], delay["Bratsk"]]) < 0.05


def test_bad_factors_are_instance_errors():
    with pytest.raises(InstanceError, match="region_delay_yr"):
        load_instance(TINY, ["uncertainty={'factors': {'region_delay_yr': {'kind': 'uniform', 'low': 0, 'high': 1}}}"])
    with pytest.raises(InstanceError, match="sanctions_capex"):
        load_instance(TINY, ["uncertainty={'factors': {'sanctions_capex': {'kind': 'fixed', 'value': -1}}}"])


def test_tornado_shows_the_shared_factors():
    """tiny (no regions): area factors for plants (both sites), power, logistics, rd and the sanctions factor on
    plants. Sanctions triangular(0.95, 1, 1.3) has mean 3.25 / 3 = 1.08333 and P90 1.3 - sqrt(0.1 x 0.35 x 0.3) =
    1.19753, so the factor at its P90 is 1.19753 / 1.08333 = 1.10541: New Works costs 3 x 1.10541 = 3.3162 bn
    instead of 3 and the plan's 7 bn become 7.3162, an overrun of 0.3162 bn; at its P10 (on the lower leg, the
    mode's CDF being 0.05 / 0.35 > 0.1: 0.95 + sqrt(0.1 x 0.35 x 0.05) = 0.99183, / 1.08333 = 0.91554) it spends
    less than 7: no overrun. The sample table carries the factors' draws beside the items'."""
    inst = load_instance(TINY, ON)
    report = stress_test(inst, plan_from_result(inst, solve(inst, why=False)), samples=3, seed=0)
    rows = report.tornado.set_index("input")
    assert {"factor:sanctions_capex", "factor:area_capex[plants]", "factor:area_capex[rd]"} <= set(rows.index)
    high = quantile(DEFAULT_FACTORS.sanctions_capex, 0.9)
    assert high == pytest.approx(1.3 - math.sqrt(0.1 * 0.35 * 0.3))
    assert rows.loc["factor:sanctions_capex", "overrun_high_bn_rub"] == pytest.approx(3 * high / (3.25 / 3) - 3,
                                                                                      abs=1e-6)
    assert 3 * high / (3.25 / 3) - 3 == pytest.approx(0.3162, abs=1e-4)
    assert rows.loc["factor:sanctions_capex", "overrun_low_bn_rub"] == pytest.approx(0.0, abs=1e-9)
    assert quantile(DEFAULT_FACTORS.sanctions_capex, 0.1) == pytest.approx(0.95 + math.sqrt(0.1 * 0.35 * 0.05))
    assert {f.column for f in shared_factors(inst)} == {c for c in report.samples.columns if c.startswith("factor:")}
