"""Uncertain futures: the documented default distributions, seeded sampling, and applying a future.

A *future* is one value per uncertain item (a column such as ``capex_overrun[site:Krasnoyarsk]``);
``apply_future`` turns the nominal Instance into the Instance of that future. Everything here is
plain numpy / pydantic, so samples are reproducible from (instance, n, seed) alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from reeplan.errors import UsageError
from reeplan.instance.schema import (
    INVESTMENT_AREAS,
    UNCERTAIN_INPUTS,
    Distribution,
    Instance,
    SharedFactors,
    UncertainInput,
    Uncertainty,
)


def _tri(low: float, mode: float, high: float) -> Distribution:
    return Distribution(kind="triangular", low=low, mode=mode, high=high)


# Defaults drawn from the ranges of the data sheet (../shared/design/data-sheet.md, section 8 and the
# deposit notes); see docs/UNCERTAINTY.md for the reasoning behind each.
DEFAULT_UNCERTAINTY = Uncertainty(
    capex_overrun=UncertainInput(default=_tri(0.95, 1.10, 1.50), by_group={"rd": _tri(0.90, 1.00, 1.30)}),
    construction_delay_yr=UncertainInput(
        default=Distribution(kind="discrete", values=[0, 1, 2], probabilities=[0.55, 0.30, 0.15])),
    rd_success=UncertainInput(default=Distribution(kind="bernoulli", p=0.8)),
    rd_effect=UncertainInput(default=_tri(0.60, 1.00, 1.10)),
    supply_shortfall=UncertainInput(default=_tri(0.0, 0.05, 0.30)),
    power_price=UncertainInput(default=_tri(0.85, 1.00, 1.35)),
    link_availability=UncertainInput(default=_tri(0.85, 1.00, 1.00), by_group={
        "winter_road": _tri(0.50, 0.90, 1.00), "river": _tri(0.70, 0.95, 1.00)}),
)


# Shared factors (docs/UNCERTAINTY.md, "Correlated risks"); off unless the instance switches them on.
DEFAULT_FACTORS = SharedFactors(
    area_capex=_tri(0.95, 1.00, 1.15),       # one area's contractors, labour and materials market
    region_capex=_tri(0.95, 1.00, 1.20),     # data sheet: cold-climate remote site x1.2-1.5, shared by a region
    region_delay_yr=Distribution(kind="discrete", values=[0, 1], probabilities=[0.8, 0.2]),  # a harsh season
    sanctions_capex=_tri(0.95, 1.00, 1.30),  # seed articles: Western export controls cut off mining equipment
)
CAPEX_AREA = {"site": "plants", "connection": "power", "power_expansion": "power", "link_upgrade": "logistics",
              "deposit_expansion": "mining", "programme": "rd"}


@dataclass(frozen=True)
class UncertainItem:
    """One sampled quantity: an input applied to one named item."""

    column: str  # "input[kind:name]"
    input: str
    kind: str
    name: str
    distribution: Distribution
    nominal: float


def resolved_uncertainty(instance: Instance) -> Uncertainty:
    """The instance's uncertainty section, each missing input filled with its default."""
    own = instance.uncertainty or Uncertainty()
    filled = {key: getattr(own, key) if key in own.model_fields_set else getattr(DEFAULT_UNCERTAINTY, key)
              for key in UNCERTAIN_INPUTS}
    return Uncertainty(enabled=own.enabled, factors=resolved_factors(instance), **filled)


def resolved_factors(instance: Instance) -> SharedFactors:
    """The instance's shared factors, each missing field filled with its default (``DEFAULT_FACTORS``)."""
    own = (instance.uncertainty.factors if instance.uncertainty else None) or SharedFactors()
    return SharedFactors(**{key: getattr(own, key) if key in own.model_fields_set else getattr(DEFAULT_FACTORS, key)
                            for key in SharedFactors.model_fields})


def region_key(region: str) -> str:
    """A region as the factors group it: the part before the first comma or parenthesis ('Irkutsk oblast,
    Nizhneudinsk district' and 'Irkutsk oblast (southern grid)' -> 'Irkutsk oblast'); '' when unknown."""
    return region.split(",")[0].split("(")[0].strip()


def _item_regions(instance: Instance) -> dict[tuple[str, str], str]:
    """(kind, name) -> region of every build: a site's own, a connection's site, a power expansion's source, a
    link upgrade's and a deposit expansion's deposit; a committed project's item's; R&D has none."""
    site = {s.name: region_key(s.region) for s in instance.sites}
    deposit = {d.name: region_key(d.region) for d in instance.deposits}
    source = {p.name: region_key(p.region) for p in instance.power_sources}
    link = {ln.name: deposit.get(ln.deposit, "") for ln in instance.links}
    out = {("site", s): r for s, r in site.items()}
    out |= {("connection", c.name): site.get(c.site, "") for c in instance.power_connections}
    out |= {("power_expansion", x.name): source.get(x.source, "") for x in instance.power_expansions}
    out |= {("link_upgrade", u.name): link.get(u.link, "") for u in instance.link_upgrades}
    out |= {("deposit_expansion", e.name): deposit.get(e.deposit, "") for e in instance.deposit_expansions}
    by_name = {name: r for (_, name), r in out.items()}
    out |= {("committed", c.name): by_name.get(c.item, "") for c in instance.committed}
    return {key: r for key, r in out.items() if r}


@dataclass(frozen=True)
class SharedFactor:
    """One shared factor: its column in the sample table and the item columns it moves."""

    column: str  # "factor:<kind>[<group>]" or "factor:sanctions_capex"
    distribution: Distribution
    nominal: float  # 1 for a capex factor, 0 for a delay
    items: tuple[str, ...]  # the item columns it multiplies (capex) or adds to (delay)

    @property
    def scale(self) -> float:
        """A capex factor is its draw divided by the distribution's mean (mean 1: it correlates the items it
        covers without changing their expected capex); a delay adds its draw as it is."""
        return 1.0 if self.nominal == 0.0 else 1.0 / mean_of(self.distribution)


def mean_of(dist: Distribution) -> float:
    """The mean of a distribution."""
    if dist.kind == "fixed":
        return float(_given(dist.value))
    if dist.kind == "uniform":
        return (_given(dist.low) + _given(dist.high)) / 2
    if dist.kind == "triangular":
        return (_given(dist.low) + _given(dist.mode) + _given(dist.high)) / 3
    if dist.kind == "bernoulli":
        return float(_given(dist.p))
    return float(np.dot(dist.values, dist.probabilities) / np.sum(dist.probabilities))


def shared_factors(instance: Instance) -> list[SharedFactor]:
    """The shared factors of an instance, in a fixed order (the sampling order): per area, per region, the
    region delays, then sanctions; each only if it covers an uncertain item. Empty when factors are off."""
    spec = resolved_factors(instance)
    if not spec.enabled:
        return []
    items = uncertain_items(instance)
    regions = _item_regions(instance)
    area_of = {c.name: c.area for c in instance.committed}
    capex = [it for it in items if it.input == "capex_overrun"]
    delay = [it for it in items if it.input == "construction_delay_yr"]

    def area(it: UncertainItem) -> str:
        return area_of[it.name] if it.kind == "committed" else CAPEX_AREA[it.kind]

    out = []
    if spec.area_capex is not None:
        for a in INVESTMENT_AREAS:
            cols = tuple(it.column for it in capex if area(it) == a)
            if cols:
                out.append(SharedFactor(f"factor:area_capex[{a}]", spec.area_capex, 1.0, cols))
    names = sorted({r for r in regions.values()})
    for key, dist, pool, nominal in (("region_capex", spec.region_capex, capex, 1.0),
                                     ("region_delay_yr", spec.region_delay_yr, delay, 0.0)):
        if dist is None:
            continue
        for r in names:
            cols = tuple(it.column for it in pool if regions.get((it.kind, it.name)) == r)
            if cols:
                out.append(SharedFactor(f"factor:{key}[{r}]", dist, nominal, cols))
    if spec.sanctions_capex is not None:
        cols = tuple(it.column for it in capex if area(it) in spec.sanctions_areas)
        if cols:
            out.append(SharedFactor("factor:sanctions_capex", spec.sanctions_capex, 1.0, cols))
    return out


def factor_columns(instance: Instance) -> list[str]:
    """Columns of the shared factors in the sample table (none when factors are off)."""
    return [f.column for f in shared_factors(instance)]


def with_factors(table: pd.DataFrame, factors: list[SharedFactor], values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Item columns moved by the factors' ``values`` (capex multiplied, delays added), factor columns appended."""
    moved = {col: table[col].to_numpy(dtype=float, copy=True) for col in table.columns}
    for f in factors:
        v = np.asarray(values[f.column], dtype=float)
        for col in f.items:
            moved[col] = moved[col] + v if f.nominal == 0.0 else moved[col] * v
    columns = {**moved, **{f.column: np.asarray(values[f.column], dtype=float) for f in factors}}
    return pd.DataFrame(columns, index=table.index)


def _items_of(instance: Instance) -> list[tuple[str, str, str]]:
    """(kind, name, group) of every item an input can apply to."""
    rows = [("site", s.name, "plants") for s in instance.sites]
    rows += [("connection", c.name, "power") for c in instance.power_connections if not c.exists]
    rows += [("power_expansion", x.name, "power") for x in instance.power_expansions]
    rows += [("link_upgrade", u.name, "logistics") for u in instance.link_upgrades]
    rows += [("deposit_expansion", e.name, "mining") for e in instance.deposit_expansions]
    rows += [("programme", r.name, "rd") for r in instance.rd_programmes]
    rows += [("deposit", d.name, "mining") for d in instance.deposits]
    rows += [("source", p.name, "power") for p in instance.power_sources]
    rows += [("link", ln.name, ln.mode) for ln in instance.links]
    rows += [("committed", c.name, c.area) for c in instance.committed]
    return rows


def uncertain_items(instance: Instance) -> list[UncertainItem]:
    """Every item with a non-degenerate distribution, in a fixed order (the sampling order)."""
    spec = resolved_uncertainty(instance)
    if not spec.enabled:
        return []
    items = []
    for key, (_, _, _, nominal, kinds) in UNCERTAIN_INPUTS.items():
        source: UncertainInput | None = getattr(spec, key)
        if source is None:
            continue
        for kind, name, group in _items_of(instance):
            if kind not in kinds:
                continue
            dist = source.by_item.get(name) or source.by_group.get(group) or source.default
            if dist is None or (dist.kind == "fixed" and dist.value == nominal):
                continue
            items.append(UncertainItem(f"{key}[{kind}:{name}]", key, kind, name, dist, nominal))
    return items


def _given(parameter: float | None) -> float:
    """A parameter of a distribution that its kind needs: ``Distribution`` does not validate without it."""
    assert parameter is not None, "Distribution's validator requires every parameter its kind needs"
    return parameter


def draw(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws of one distribution."""
    if dist.kind == "fixed":
        return np.full(n, float(_given(dist.value)))
    if dist.kind == "uniform":
        return rng.uniform(_given(dist.low), _given(dist.high), n)
    if dist.kind == "triangular":
        if dist.low == dist.high:
            return np.full(n, float(_given(dist.low)))
        return rng.triangular(_given(dist.low), _given(dist.mode), _given(dist.high), n)
    if dist.kind == "bernoulli":
        return (rng.random(n) < _given(dist.p)).astype(float)
    p = np.asarray(dist.probabilities, dtype=float)  # validated to sum to 1 within 1e-6; numpy wants ~1e-8
    return rng.choice(np.asarray(dist.values, dtype=float), size=n, p=p / p.sum())


def quantile(dist: Distribution, q: float) -> float:
    """The ``q``-quantile (0..1) of a distribution (inverse CDF; lower quantile for discrete ones)."""
    if dist.kind == "fixed":
        return float(_given(dist.value))
    if dist.kind == "uniform":
        low, high = _given(dist.low), _given(dist.high)
        return low + q * (high - low)
    if dist.kind == "triangular":
        a, c, b = _given(dist.low), _given(dist.mode), _given(dist.high)
        if b == a:
            return float(a)
        split = (c - a) / (b - a)
        if q <= split:
            return a + float(np.sqrt(q * (b - a) * (c - a)))
        return b - float(np.sqrt((1 - q) * (b - a) * (b - c)))
    if dist.kind == "bernoulli":
        return 0.0 if q < 1 - _given(dist.p) else 1.0
    order = np.argsort(dist.values)
    cdf = np.cumsum(np.asarray(dist.probabilities)[order])
    return float(np.asarray(dist.values)[order][min(int(np.searchsorted(cdf, q - 1e-12)), len(cdf) - 1)])


def sample_futures(instance: Instance, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` futures, one row each, one column per uncertain item; same (instance, n, seed), same table."""
    if not 0 <= seed < 2**63:
        raise UsageError(f"the sampling seed must be a whole number in [0, 2**63), got {seed}")
    rng = np.random.default_rng(seed)
    items = uncertain_items(instance)
    table = pd.DataFrame({item.column: draw(item.distribution, rng, n) for item in items}, index=range(n))
    factors = shared_factors(instance)
    if factors:  # their own stream: the items' draws are those of independent sampling, whatever the factors
        frng = np.random.default_rng([FACTOR_STREAM, seed])
        table = with_factors(table, factors, {f.column: draw(f.distribution, frng, n) * f.scale for f in factors})
    table.index.name = "sample"
    return table


FACTOR_STREAM = 1  # seeds the shared factors' generator as default_rng([FACTOR_STREAM, seed])


def factor_tornado_futures(instance: Instance, quantiles: tuple[float, float]) -> list[tuple[tuple[str, str], dict]]:
    """One-at-a-time futures of the shared factors: one factor at its low / high quantile, every item at its point
    estimate moved by that factor alone (the items it covers: nominal x factor, or nominal + years)."""
    out = []
    for f in shared_factors(instance):
        nominal = {it.column: it.nominal for it in uncertain_items(instance) if it.column in f.items}
        for side, q in zip(("low", "high"), quantiles):
            v = quantile(f.distribution, q) * f.scale
            moved = {c: (x + v if f.nominal == 0.0 else x * v) for c, x in nominal.items()}
            out.append(((f.column, side), {**moved, f.column: v}))
    return out


def apply_future(instance: Instance, future: Mapping[str, float]) -> Instance:
    """The Instance of one future; items missing from ``future`` keep their point estimate."""
    def get(key: str, kind: str, name: str) -> float:
        return float(future.get(f"{key}[{kind}:{name}]", UNCERTAIN_INPUTS[key][3]))

    def capex(kind: str, name: str) -> float:
        return get("capex_overrun", kind, name)

    def delay(kind: str, name: str) -> int:
        return int(round(get("construction_delay_yr", kind, name)))

    shortfall = {d.name: get("supply_shortfall", "deposit", d.name) for d in instance.deposits}
    available = {ln.name: get("link_availability", "link", ln.name) for ln in instance.links}
    update = {
        "sites": [s.model_copy(update={
            "capex_bn_rub_per_module": s.capex_bn_rub_per_module * capex("site", s.name),
            "development_cost_bn_rub": s.development_cost_bn_rub * capex("site", s.name),
            "lead_time_yr": s.lead_time_yr + delay("site", s.name)}) for s in instance.sites],
        "power_connections": [c if c.exists else c.model_copy(update={
            "capex_bn_rub": c.capex_bn_rub * capex("connection", c.name),
            "lead_time_yr": c.lead_time_yr + delay("connection", c.name)}) for c in instance.power_connections],
        "power_expansions": [x.model_copy(update={
            "capex_bn_rub": x.capex_bn_rub * capex("power_expansion", x.name),
            "lead_time_yr": x.lead_time_yr + delay("power_expansion", x.name)}) for x in instance.power_expansions],
        "link_upgrades": [u.model_copy(update={
            "capex_bn_rub": u.capex_bn_rub * capex("link_upgrade", u.name),
            "lead_time_yr": u.lead_time_yr + delay("link_upgrade", u.name),
            "capacity_added_t_per_yr": u.capacity_added_t_per_yr * available[u.link]}) for u in instance.link_upgrades],
        "deposit_expansions": [e.model_copy(update={
            "capex_bn_rub": e.capex_bn_rub * capex("deposit_expansion", e.name),
            "lead_time_yr": e.lead_time_yr + delay("deposit_expansion", e.name),
            "supply_added_t_per_yr": e.supply_added_t_per_yr * (1 - shortfall[e.deposit])})
            for e in instance.deposit_expansions],
        "rd_programmes": [r.model_copy(update={
            "cost_bn_rub": r.cost_bn_rub * capex("programme", r.name),
            "recovery_gain": r.recovery_gain * _rd_factor(get, r.name),
            "hp_share_gain": r.hp_share_gain * _rd_factor(get, r.name)}) for r in instance.rd_programmes],
        "deposits": [d.model_copy(update={"supply_t_per_yr": d.supply_t_per_yr * (1 - shortfall[d.name])})
                     for d in instance.deposits],
        "power_sources": [p.model_copy(update={
            "tariff_rub_per_mwh": p.tariff_rub_per_mwh * get("power_price", "source", p.name)})
            for p in instance.power_sources],
        "links": [ln.model_copy(update={"capacity_t_per_yr": ln.capacity_t_per_yr * available[ln.name]})
                  for ln in instance.links],
        # a project under way can still slip and overrun: its ready year moves, its remaining capex grows
        "committed": [c.model_copy(update={
            "ready_year": c.ready_year + delay("committed", c.name),
            "capex_remaining_bn_rub": {y: v * capex("committed", c.name) for y, v in c.capex_remaining_bn_rub.items()}})
            for c in instance.committed],
    }
    return instance.model_copy(update=update)


def _rd_factor(get, name: str) -> float:
    """A programme's gains are scaled by its effect size, and lost if it fails."""
    return get("rd_success", "programme", name) * get("rd_effect", "programme", name)


def nominal_future(instance: Instance) -> dict[str, float]:
    """The point-estimate future: every item at its nominal value."""
    return {item.column: item.nominal for item in uncertain_items(instance)}
