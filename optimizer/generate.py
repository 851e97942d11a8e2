"""Synthetic planning instances of any size, shaped like the base case ``instances/siberia-2030.yaml``.

(About 460 lines, one module on purpose: each section of an instance is drawn from the ones before it
with one random stream, so splitting it would pass the stream and half-built rows between files.)

``generate_instance(sites, deposits, power_sources, programmes, years, seed)`` draws a valid
``Instance`` deterministically from ``numpy.random.default_rng(seed)``: deposits and plant sites on
a map (so link lengths and modes follow geography), capex, capacities, lead times, tariffs and
gains drawn around the base case's figures (the ranges quoted in its comments), every site with at
least one existing power connection and at least one inbound link, every deposit with at least
one outbound link, lead times clipped to the horizon.

Every structure the schema allows and the base case has is emitted (in every instance, or in a
share of seeds): a brownfield site with existing modules and room for more (site 0 always), existing
power feeders, new lines and generation expansions, producing deposits, *committed* mines whose
supply starts in a later year (``available_from_year``), prospects that need a mine (deposit
expansion), links with capacity 0 that only their upgrade opens, other link upgrades, an R&D chain
(``rd-01`` requires ``rd-00``) and optional programmes with one or two prerequisites, yearly budget
caps for all years (half the seeds), some years (a third) or none, ``opex_counts`` true in about
three seeds in ten, and lead times of 1-5 years by kind (brownfield lines and berths 1-2, greenfield
modules 2-4, roads 2-4, mines 2-5, generation 3-5; all clipped to the horizon).

Transit by mode and distance (GEO 2/5 of the base case): road, rail and multimodal road + rail
links run all year and winter roads under 300 km carry a year's output within one season (as the
base case's Chuktukon-Kodinsk), ``transit_yr`` 0. Deposit 0 (producing from the start; its chain has capacity
today) and about a quarter of the other deposits also have a *seasonal chain* to the nearest or to
another site, 1.5-2.5x the straight-line distance: a winter road to a river port (the year's output
moves on the next winter's ice road), a river route stockpiled for the summer navigation, or a sea
route on the Northern Sea Route. A chain delivers a year later (``transit_yr`` 1), two years later
when it is longer than 4,000 km and needs two navigation seasons (horizons of 5 years and more).
Every deposit also has a year-round link, so every instance has a deposit whose links have two
different transit times: a year can receive last year's shipment on the slow link plus this
year's on the fast one.

The instances are feasible by construction: the zero plan meets every budget rule (it commits no
money; operating cost comes only from feed, so it is zero too when ``opex_counts`` is true), and the
only enabled policy rule is a jobs target that a first-year build at the cheapest sites reaches
within the first year's cap (modules online count as jobs whether or not they are fed, so the build
spends no operating money). The plants-online, REO-output, HPO-output and HP-share rules are
emitted but disabled.

Named families (``FAMILIES``) go from the base case's size to more than 100x its variables.
``write_generated`` writes YAML for a ``.yaml`` path, otherwise the CSV-folder format.

Bounded work: sites, deposits and power sources are at most ``MAX_GENERATED`` (2,000) each, which
``$REEPLAN_MAX_GENERATED`` raises or lowers; years at most ``MAX_YEARS`` (60), programmes at most
``MAX_PROGRAMMES``. A size beyond them is a UsageError before anything is drawn (the distance matrices
alone grow with sites x deposits).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from reeplan.errors import UsageError
from reeplan.instance.io import csv_folder_files, yaml_text
from reeplan.instance.schema import Instance
from reeplan.parallel import work_limit
from reeplan.result.folders import check_out_dir, write_folder, write_new_file

Row = dict[str, Any]  # one raw table row (field -> value of mixed types), as Instance.model_validate reads it

MAX_PROGRAMMES = 8  # technology levels are enumerated (2**R subsets); validation caps at 12
MAX_GENERATED = 2000  # sites, deposits and power sources, each (the environment variable overrides)
GENERATED_ENV = "REEPLAN_MAX_GENERATED"
MAX_YEARS = 60
START_YEAR = 2025
MAP_KM = (4000.0, 2500.0)  # map extent: Urals to Zabaykalsky, Arctic to the southern border
MAP_ORIGIN = (51.0, 60.0)  # (lat, lon) of the map's south-west corner: the km grid placed on Siberia


def _lat_lon(xy) -> dict[str, float]:
    """Plausible coordinates of a point of the km map (x east, y north from MAP_ORIGIN), for the report's map."""
    lat = MAP_ORIGIN[0] + float(xy[1]) / 111.2
    lon = MAP_ORIGIN[1] + float(xy[0]) / (111.3 * math.cos(math.radians(lat)))
    return {"lat": round(lat, 3), "lon": round(min(lon, 179.9), 3)}


@dataclass(frozen=True)
class GeneratorSize:
    """Entity counts of one generated instance (and the budget as a share of the full build-out)."""

    sites: int
    deposits: int
    power_sources: int
    programmes: int
    years: int
    budget_share: float = 0.5

    def name(self, seed: int) -> str:
        """Instance name of this size and seed, e.g. ``gen-s9-d10-p9-r5-y6-seed0``."""
        return (f"gen-s{self.sites}-d{self.deposits}-p{self.power_sources}-r{self.programmes}"
                f"-y{self.years}-seed{seed}")


# Named benchmark families. "small" is the base case's size (9 sites, 10 deposits, 9 power
# sources, 5 programmes, 6 years; the base case has 613 variables), "xl" more than 100x its
# variables; the model sizes (seed 0) are in benchmarks/README.md. The families' budget is loose
# (4x the full build-out), so that output is limited by supply, capacity, power and lead times and
# HiGHS proves the optimum at every size: with a binding budget (share 0.35-1) the generated MILPs
# become hard beyond the base case's size (medium: 106 s; xl: 1.6 % gap after 900 s), which suits
# solver benchmarks (``--budget-share``) but would hide the modelling layer's cost in a scaling study.
FAMILY_BUDGET_SHARE = 4.0
FAMILIES: dict[str, GeneratorSize] = {
    "small": GeneratorSize(sites=9, deposits=10, power_sources=9, programmes=5, years=6,
                           budget_share=FAMILY_BUDGET_SHARE),
    "medium": GeneratorSize(sites=50, deposits=50, power_sources=25, programmes=5, years=10,
                            budget_share=FAMILY_BUDGET_SHARE),
    "large": GeneratorSize(sites=160, deposits=160, power_sources=80, programmes=6, years=12,
                           budget_share=FAMILY_BUDGET_SHARE),
    "xl": GeneratorSize(sites=500, deposits=500, power_sources=250, programmes=6, years=15,
                        budget_share=FAMILY_BUDGET_SHARE),
}


def family_size(name: str) -> GeneratorSize:
    """The entity counts of a named family (UsageError for an unknown name)."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise UsageError(f"unknown family {name!r}; choose one of: {', '.join(FAMILIES)}") from None


def max_generated() -> int:
    """The most sites (deposits, power sources) a generated instance may have: ``$REEPLAN_MAX_GENERATED`` or
    ``MAX_GENERATED``."""
    return work_limit(GENERATED_ENV, MAX_GENERATED)


def _check_size(size: GeneratorSize) -> None:
    if size.sites < 1 or size.deposits < 1 or size.power_sources < 1:
        raise UsageError("need at least one site, one deposit and one power source")
    limit = max_generated()
    for what, count in (("sites", size.sites), ("deposits", size.deposits), ("power sources", size.power_sources)):
        if count > limit:
            raise UsageError(f"{what} must be at most {limit:,}, got {count:,} (a bound on the work: the instance "
                             f"and its model grow with sites x deposits); set {GENERATED_ENV} to raise it")
    if not 0 <= size.programmes <= MAX_PROGRAMMES:
        raise UsageError(f"programmes must be between 0 and {MAX_PROGRAMMES} "
                         "(technology levels are enumerated: 2**programmes subsets)")
    if not 2 <= size.years <= MAX_YEARS:
        raise UsageError(f"years must be between 2 and {MAX_YEARS}, got {size.years}")


def _r(x: float, digits: int = 2) -> float:
    """Round a drawn figure to something a data sheet would print."""
    return float(round(float(x), digits))


def generate_instance(sites: int, deposits: int, power_sources: int, programmes: int, years: int,
                      seed: int = 0, *, budget_share: float = 0.5, name: str | None = None) -> Instance:
    """A valid instance of the given size, deterministic by ``seed``.

    ``budget_share``: total budget as a share of what building every site out would cost
    (the base case's 700 bn is about half of it), so the budget binds at every size."""
    size = GeneratorSize(sites, deposits, power_sources, programmes, years)
    _check_size(size)
    if isinstance(seed, int | np.integer) and seed < 0:  # numpy's generators take none below 0
        raise UsageError(f"seed must be a whole number >= 0, got {seed!r}")
    if not 0 < budget_share <= 10:
        raise UsageError(f"budget share must be in (0, 10], got {budget_share}")
    rng = np.random.default_rng(seed)
    span = years - 1
    end_year = START_YEAR + span

    def lead(*choices: int) -> int:
        """A lead time drawn from ``choices``, clipped so it still takes effect inside the horizon."""
        return int(min(rng.choice(choices), max(1, span - 1) if span > 1 else span))

    # ---- map: deposits and sites as points (km); power sources near clusters of sites
    dep_xy = rng.uniform((0, 0), MAP_KM, size=(deposits, 2))
    site_xy = rng.uniform((0, 0), MAP_KM, size=(sites, 2))
    src_xy = rng.uniform((0, 0), MAP_KM, size=(power_sources, 2))

    # ---- sites (base case: one brownfield works, the rest greenfield 1,500-2,500 t modules);
    # a repeat line in a brownfield hall takes 1-2 years, a greenfield module 2-4 (base 3)
    site_rows: list[Row] = []
    for i in range(sites):
        brownfield = i == 0 or rng.random() < 0.1
        cap = float(rng.choice([1300, 1500, 2000, 2500])) if not brownfield else 1300.0
        m_rub_per_t = rng.uniform(2.4, 3.2) if brownfield else rng.uniform(5.0, 8.0)  # m RUB per t/yr
        existing = int(rng.integers(1, 3)) if brownfield else 0
        most = existing + int(rng.integers(2, 5)) if brownfield else int(rng.integers(2, 7))
        site_rows.append(dict(
            name=f"site-{i:04d}", region="generated", **_lat_lon(site_xy[i]), existing_modules=existing, max_modules=most,
            module_capacity_t_per_yr=cap, capex_bn_rub_per_module=_r(cap * m_rub_per_t / 1000),
            development_cost_bn_rub=0.0 if brownfield else _r(rng.uniform(5, 10), 1),
            lead_time_yr=lead(1, 2, 2) if brownfield else lead(2, 3, 3, 4),
            opex_m_rub_per_t=_r(rng.uniform(0.9, 1.3)), electricity_mwh_per_t=8.0,
            jobs_per_module=100.0 if brownfield else float(round(cap / 2000 * 250 * rng.uniform(0.8, 1.2))),
        ))

    # ---- deposits: about a quarter produce today (base: 2 of 10), some are committed mines whose
    # supply starts in a later year; the rest are prospects that need a mine (expansion, 2-5 years)
    dep_rows: list[Row] = []
    exp_rows: list[Row] = []
    for j in range(deposits):
        draw = rng.random()
        producing = j == 0 or draw < 0.25
        committed_mine = not producing and draw < 0.4
        row: Row = dict(name=f"deposit-{j:04d}", region="generated", **_lat_lon(dep_xy[j]),
                        supply_t_per_yr=float(round(rng.uniform(1000, 4000), -2)) if producing or committed_mine else 0.0)
        if committed_mine:
            row["available_from_year"] = START_YEAR + int(rng.integers(1, min(4, span) + 1))
        dep_rows.append(row)
        n_exp = int(rng.integers(0, 2)) if producing or committed_mine else 1
        for k in range(n_exp):
            added = float(round(min(15000.0, rng.lognormal(math.log(2500), 0.6)), -2))
            exp_rows.append(dict(
                name=f"deposit-{j:04d}-stage-{k + 1}", deposit=f"deposit-{j:04d}",
                capex_bn_rub=_r((6 + 3.5 * added / 1000) * rng.uniform(0.7, 1.3), 1),
                lead_time_yr=lead(2, 3, 4, 4, 5), supply_added_t_per_yr=max(added, 500.0)))

    # ---- power: spare energy 10-400 GWh/yr, tariffs 2,500-6,500 RUB/MWh; a quarter can expand
    src_rows: list[Row] = []
    pexp_rows: list[Row] = []
    for p in range(power_sources):
        src_rows.append(dict(name=f"power-{p:04d}", region="generated", **_lat_lon(src_xy[p]),
                             spare_energy_gwh_per_yr=float(round(rng.lognormal(math.log(80), 0.9), 0)) + 10.0,
                             tariff_rub_per_mwh=float(round(rng.uniform(2500, 6500), -2))))
        if rng.random() < 0.25:
            mw = float(rng.choice([10, 20, 40]))
            pexp_rows.append(dict(name=f"power-{p:04d}-generation-{int(mw)}mw", source=f"power-{p:04d}",
                                  capex_bn_rub=_r(0.35 * mw * rng.uniform(0.8, 1.2)), lead_time_yr=lead(3, 4, 4, 5),
                                  energy_added_gwh_per_yr=float(round(mw * 8.76 * 0.85))))

    # Every site: an existing feeder from its nearest source; often a new 220 kV line from it, and
    # sometimes a long line from the second nearest (line 15-40 m RUB/km + substation 1-3 bn).
    conn_rows: list[Row] = []
    d_src = np.hypot(*(site_xy[:, None, :] - src_xy[None, :, :]).transpose(2, 0, 1))
    for i, site in enumerate(site_rows):
        order = np.argsort(d_src[i], kind="stable")
        home = f"power-{order[0]:04d}"
        conn_rows.append(dict(name=f"{site['name']}-feeder", source=home, site=site["name"],
                              capacity_gwh_per_yr=float(round(rng.uniform(20, 80))), exists=True,
                              capex_bn_rub=0.0, lead_time_yr=0))
        if rng.random() < 0.7:
            km = rng.uniform(5, 40)
            conn_rows.append(dict(name=f"{site['name']}-220kv", source=home, site=site["name"],
                                  capacity_gwh_per_yr=float(rng.choice([100, 150, 200, 300, 400])), exists=False,
                                  capex_bn_rub=_r(km * rng.uniform(0.015, 0.04) + rng.uniform(1, 3)),
                                  lead_time_yr=lead(2)))
        if len(order) > 1 and rng.random() < 0.3:
            other = int(order[1])
            km = max(50.0, float(d_src[i, other]) * 1.2)
            conn_rows.append(dict(name=f"{site['name']}-line-{other:04d}", source=f"power-{other:04d}",
                                  site=site["name"], capacity_gwh_per_yr=float(rng.choice([100, 200])),
                                  exists=False, capex_bn_rub=_r(min(km, 600) * rng.uniform(0.015, 0.025) + 1.5),
                                  lead_time_yr=lead(2, 3)))

    # ---- links deposit -> site: each deposit to its 1-3 nearest sites, each site from >= 1 deposit.
    # Road, multimodal road + rail, rail and short winter roads (< 300 km, one season): transit 0.
    d_ds = np.hypot(*(dep_xy[:, None, :] - site_xy[None, :, :]).transpose(2, 0, 1))
    pairs: list[tuple[int, int]] = []
    for j in range(deposits):
        k = int(rng.integers(1, 4))
        pairs += [(j, int(i)) for i in np.argsort(d_ds[j], kind="stable")[:k]]
    linked = {i for _, i in pairs}
    pairs += [(int(np.argmin(d_ds[:, i])), i) for i in range(sites) if i not in linked]
    link_rows: list[Row] = []
    up_rows: list[Row] = []

    def add_upgrade(link: str, mode: str, km: float) -> None:
        if mode in ("river", "sea"):  # a berth or pier: 1.5-4 bn, 1-2 years (GEO 4)
            capex, lead_time = rng.uniform(1.5, 4.0), lead(1, 2)
        elif mode in ("road", "winter_road"):  # an all-season road: 40-100 m RUB/km, 2-4 years
            capex, lead_time = min(km, 600) * rng.uniform(0.04, 0.1) + 1.0, lead(2, 3, 4)
        else:
            capex, lead_time = min(km, 600) * rng.uniform(0.005, 0.015) + 1.0, lead(2, 3)
        up_rows.append(dict(name=f"{link}-upgrade", link=link, capex_bn_rub=_r(capex, 1), lead_time_yr=lead_time,
                            capacity_added_t_per_yr=float(rng.choice([3000, 5000, 8000, 15000, 20000]))))

    for j, i in pairs:
        km = max(50.0, float(d_ds[j, i]) * rng.uniform(1.1, 1.4))
        if km < 300:
            mode = "winter_road" if rng.random() < 0.3 else "road"
            tariff = 15.0 if mode == "winter_road" else 8.0
            capacity = float(rng.choice([0, 500, 1000, 2000]))
        elif km < 1500:
            mode, tariff = "multimodal", _r(rng.uniform(3.5, 6.3), 1)
            capacity = float(rng.choice([0, 1000]))
        else:
            mode, tariff, capacity = "rail", _r(rng.uniform(2.0, 2.1), 1), 10000.0
        link = f"deposit-{j:04d}-to-site-{i:04d}-{mode}"
        link_rows.append(dict(name=link, deposit=f"deposit-{j:04d}", site=f"site-{i:04d}", mode=mode,
                              distance_km=float(round(km)), tariff_rub_per_t_km=tariff,
                              capacity_t_per_yr=capacity, transit_yr=0))
        if capacity == 0 or (capacity < 10000 and rng.random() < 0.5):
            add_upgrade(link, mode, km)

    # ---- seasonal chains (module docstring): a second, slower route for deposit 0 (usable today) and
    # about a quarter of the others, to the nearest site or another one
    def add_chain(j: int, usable_today: bool) -> None:
        i = int(np.argmin(d_ds[j])) if rng.random() < 0.4 else int(rng.integers(sites))
        km = max(600.0, float(d_ds[j, i]) * rng.uniform(1.5, 2.5))
        if km < 1500:
            mode = "winter_road" if rng.random() < 0.5 else "river"
        elif km < 3000:
            mode = "river" if rng.random() < 0.6 else "sea"
        else:
            mode = str(rng.choice(["sea", "river", "winter_road"]))
        tariff = {"winter_road": rng.uniform(6.0, 9.0), "river": rng.uniform(3.5, 4.5),
                  "sea": rng.uniform(3.5, 5.2)}[mode]  # winter road 15 + river 4 mixed; river 4; NSR + river
        capacities = {"winter_road": [500, 1000, 2000], "river": [0, 1000, 2000, 3000],
                      "sea": [0, 0, 2000, 5000]}[mode]  # 0: the pier or berth is planned, not built
        capacity = float(rng.choice([c for c in capacities if c > 0] if usable_today else capacities))
        link = f"deposit-{j:04d}-to-site-{i:04d}-{mode}-chain"
        link_rows.append(dict(name=link, deposit=f"deposit-{j:04d}", site=f"site-{i:04d}", mode=mode,
                              distance_km=float(round(km)), tariff_rub_per_t_km=_r(tariff, 1),
                              capacity_t_per_yr=capacity, transit_yr=2 if km > 4000 and span >= 4 else 1))
        if capacity == 0 or rng.random() < 0.4:
            add_upgrade(link, mode, km)

    for j in range(deposits):
        if j == 0 or rng.random() < 0.25:
            add_chain(j, usable_today=j == 0)

    # ---- R&D: a 3N -> 4N chain like the base case, then optional programmes, two in five of them (a
    # fixed count, so that the number of technology levels, a large share of the variables, varies
    # little by seed) with one or two prerequisites
    optional = list(range(2, programmes))
    dependent = {int(r) for r in rng.choice(optional, size=round(0.4 * len(optional)), replace=False)} \
        if optional else set()
    rd_rows: list[Row] = []
    for r in range(programmes):
        if r == 0:
            row = dict(cost_bn_rub=_r(rng.uniform(10, 14), 1), prerequisites=[], recovery_gain=0.02, hp_share_gain=0.30)
        elif r == 1:
            row = dict(cost_bn_rub=_r(rng.uniform(15, 20), 1), prerequisites=["rd-00"], recovery_gain=0.01,
                       hp_share_gain=0.30)
        else:
            pre = []
            if r in dependent:
                n_pre = 2 if r >= 3 and rng.random() < 0.3 else 1
                pre = [f"rd-{q:02d}" for q in sorted(rng.choice(r, size=n_pre, replace=False))]
            row = dict(cost_bn_rub=_r(rng.uniform(10, 20), 1), prerequisites=pre,
                       recovery_gain=_r(rng.uniform(0.0, 0.08), 3), hp_share_gain=_r(rng.uniform(0.0, 0.10), 3))
        rd_rows.append(dict(name=f"rd-{r:02d}", duration_yr=lead(2, 3), **row))

    # ---- budget: a share of the full build-out; yearly caps front-loaded like the base case (sum 1.3x
    # over all years), for every year (half the seeds), some years (a third) or none
    build_out = sum(s["capex_bn_rub_per_module"] * (s["max_modules"] - s["existing_modules"])
                    + s["development_cost_bn_rub"] for s in site_rows)
    build_out += sum(e["capex_bn_rub"] for e in exp_rows) + sum(u["capex_bn_rub"] for u in up_rows)
    total = _r(budget_share * build_out, 0)
    rd_cost = sum(r["cost_bn_rub"] for r in rd_rows)
    rd_envelope = _r(0.8 * rd_cost, 0) if rd_rows else 0.0
    weights = np.array([max(0.25, 1.0 - 0.75 * t / max(1, span)) for t in range(years)])
    weights[min(1, span)] *= 1.25  # peak in the second year, as in the base case
    caps = {START_YEAR + t: _r(1.3 * total * w / weights.sum(), 0) for t, w in enumerate(weights)}
    phasing = rng.random()
    if phasing >= 0.85:
        caps = {}
    elif phasing >= 0.5:
        capped = {int(t) for t in rng.choice(years, size=int(rng.integers(1, years)), replace=False)}
        caps = {y: c for y, c in caps.items() if y - START_YEAR in capped}
    opex_counts = bool(rng.random() < 0.3)

    # ---- policy: a jobs target half of what the first year's cap buys at the best jobs per bn RUB
    money = min(total, caps.get(START_YEAR, total))
    reachable = 0.0
    for s in sorted(site_rows, key=lambda s: s["capex_bn_rub_per_module"] / max(s["jobs_per_module"], 1e-9)):
        if START_YEAR + s["lead_time_yr"] > end_year:
            continue
        room = s["max_modules"] - s["existing_modules"]
        if room <= 0 or money < s["development_cost_bn_rub"] + s["capex_bn_rub_per_module"]:
            continue
        money -= s["development_cost_bn_rub"]
        n = min(room, int(money // s["capex_bn_rub_per_module"]))
        money -= n * s["capex_bn_rub_per_module"]
        reachable += n * s["jobs_per_module"]
    policy = {
        "plants_online": dict(enabled=False, year=min(START_YEAR + 1, end_year), min_count=5),
        "jobs": dict(enabled=reachable > 0, year=end_year, min_jobs=float(math.floor(0.5 * reachable))),
        "reo_output": dict(enabled=False, year=end_year, min_t_per_yr=50000.0),
        "hpo_output": dict(enabled=False, year=end_year, min_t_per_yr=30000.0),
        "hp_share": dict(enabled=False, year=end_year, min_share=0.6),
    }

    committed, committed_counts = _committed_rows(seed, end_year, site_rows, conn_rows, up_rows, exp_rows,
                                                  pexp_rows, rd_rows)
    if committed_counts:  # the zero plan must still meet every money rule: room for what is under way
        for c in committed:
            for y, v in c["capex_remaining_bn_rub"].items():
                total = _r(total + v, 2)
                if y in caps:
                    caps[y] = _r(caps[y] + v, 2)
                if c["kind"] == "programme":
                    rd_envelope = _r(rd_envelope + v, 2)

    size_name = name or size.name(seed)
    return Instance.model_validate(dict(
        name=size_name,
        description=(f"Synthetic instance generated by reeplan (seed {seed}) with the structure and value ranges "
                     f"of siberia-2030: {sites} sites, {deposits} deposits, {power_sources} power sources, "
                     f"{programmes} R&D programmes, {years} years."),
        horizon=dict(start_year=START_YEAR, end_year=end_year, target_year=end_year),
        budget=dict(total_bn_rub=total, rd_envelope_bn_rub=rd_envelope, yearly_cap_bn_rub=caps,
                    opex_counts=opex_counts, committed_counts=committed_counts),
        technology=dict(recovery_today=0.65, hp_share_today=0.05, purity_today_pct=99.2, max_recovery=0.85,
                        max_hp_share=0.90),
        policy=policy,
        deposits=dep_rows, deposit_expansions=exp_rows, sites=site_rows, power_sources=src_rows,
        power_expansions=pexp_rows, power_connections=conn_rows, links=link_rows, link_upgrades=up_rows,
        rd_programmes=rd_rows, committed=committed,
    ))


def _committed_rows(seed: int, end_year: int, site_rows: list[Row], conn_rows: list[Row], up_rows: list[Row],
                    exp_rows: list[Row], pexp_rows: list[Row], rd_rows: list[Row]) -> tuple[list[Row], bool]:
    """Projects under way, each kind with probability 1/2: ready 1..span years after the start, with
    30-80 % of the item's capex still to spend before then. A separate stream of the seed, so that the
    rest of the instance is the same with or without them."""
    rng = np.random.default_rng([seed, 18])
    span = end_year - START_YEAR
    if span < 1:
        return [], False
    rows: list[Row] = []

    def add(kind: str, item: str, capex: float, **extra) -> None:
        ready = START_YEAR + int(rng.integers(1, span + 1))
        share = float(rng.uniform(0.3, 0.8))
        years = list(range(START_YEAR, ready))
        spend = {y: _r(capex * share / len(years), 2) for y in years}
        rows.append(dict(name=f"committed-{kind}-{item}", kind=kind, item=item, ready_year=ready,
                         capex_remaining_bn_rub=spend, source="generated", **extra))

    roomy = [s for s in site_rows if s["max_modules"] - s["existing_modules"] >= 2]
    if roomy and rng.random() < 0.5:
        s = roomy[int(rng.integers(len(roomy)))]
        add("module", s["name"], s["capex_bn_rub_per_module"], modules=1)
    fresh = [s for s in site_rows if s["existing_modules"] == 0 and s["name"] not in {r["item"] for r in rows}]
    if fresh and rng.random() < 0.5:
        s = fresh[int(rng.integers(len(fresh)))]
        add("site_opening", s["name"], s["development_cost_bn_rub"])
    for kind, table, cost in (("connection", [c for c in conn_rows if not c.get("exists")], "capex_bn_rub"),
                              ("link_upgrade", up_rows, "capex_bn_rub"),
                              ("deposit_expansion", exp_rows, "capex_bn_rub"),
                              ("power_expansion", pexp_rows, "capex_bn_rub"),
                              ("programme", [r for r in rd_rows if not r["prerequisites"]], "cost_bn_rub")):
        if table and rng.random() < 0.5:
            row = table[int(rng.integers(len(table)))]
            add(kind, row["name"], row[cost])
    return rows, bool(rng.random() < 0.6)


def generate_family(family: str, seed: int = 0, **kwargs) -> Instance:
    """The instance of a named family (see ``FAMILIES``) for one seed; ``kwargs`` override its fields."""
    spec = {**asdict(family_size(family)), **kwargs}
    return generate_instance(**spec, seed=seed, name=f"{family}-seed{seed}")


def write_generated(instance: Instance, path: str | Path, *, force: bool = False) -> Path:
    """Write YAML for a .yaml/.yml path, otherwise a CSV folder (scalars.yaml + one CSV per table), atomically.

    An existing file, or a non-empty folder reeplan did not write, is replaced only with ``force``
    (``UsageError`` otherwise, before anything is written); a CSV folder is replaced whole (see
    ``reeplan.result.folders.write_folder``: the user's other files in it are kept)."""
    path = Path(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        if path.is_dir():
            raise UsageError(f"--out {path} is a folder: give a .yaml file name that is not one, or a folder "
                             "name without .yaml for the CSV format")
        if path.exists() and not force:
            raise UsageError(f"--out {path} exists: give --force to replace it, or another --out")
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_new_file(path, yaml_text(instance), replace=True)
    check_out_dir(path, force)
    files = csv_folder_files(instance)
    write_folder(path, files, owned=[name for name, _ in files], force=force, kind="instance")
    return path
