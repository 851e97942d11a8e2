"""The planning instance: pydantic models, one per entity, every field with unit and description.

(About 460 lines: the whole instance format in one file, ranges included, so that it reads as the reference it is.)

Money is in bn RUB, material in t REO (rare-earth oxide content) per year, energy in GWh,
time in whole calendar years. Field-level sense (signs, fractions, finite numbers within the
range of their kind, no booleans for numbers, clean names) is checked here; cross-references and
horizon checks live in ``validate.py`` so that *all* problems are collected before anything is raised.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_serializer, model_validator
from pydantic_core import PydanticCustomError

# Where money goes: the brief's four decision areas, with deposit expansions (mining, not transport)
# shown as their own line so that no money is mislabelled. Opex is reported beside them.
INVESTMENT_AREAS = ("plants", "power", "logistics", "mining", "rd")

# The range of every numeric input, by kind. Every number must be finite (no .inf, no .nan, no 1e400)
# and a number (a boolean is refused, not read as 0 or 1). The upper bounds are far above any real
# programme - Russia's GDP is about 2e5 bn RUB, world REO output about 4e5 t/yr, world electricity
# about 3e7 GWh/yr, the equator 4e4 km - and low enough that the model's coefficients stay well
# inside what HiGHS computes reliably (it treats 1e20 as infinite and loses digits far before;
# the build-time check of reeplan.solving.numerics refuses any coefficient or bound of 1e15 or more).
MAX_MONEY_BN_RUB = 1e6  # money: capex, costs, budgets, caps [bn RUB, bn RUB/yr]
MAX_TONNAGE_T = 1e9  # material: supply, capacities, output targets, feed [t REO/yr]
MAX_ENERGY_GWH = 1e9  # energy: spare energy, new generation, connection capacity [GWh/yr]
MAX_DISTANCE_KM = 1e5  # route lengths [km]
MAX_TARIFF = 1e9  # tariffs and unit costs: RUB/MWh, RUB/(t*km), m RUB/t
MAX_INTENSITY_MWH_PER_T = 1e6  # electricity per t of feed [MWh/t]
MAX_COUNT = 10**6  # counts: modules, plants, jobs
MAX_FACTOR = 1e6  # values of uncertainty distributions (factors, fractions, years), either sign
MAX_NAME_LENGTH = 100  # characters in a name


def _not_a_boolean(value: object) -> object:
    """YAML ``true`` where a number is expected is a mistake, not 1 (pydantic would take it as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, got a boolean")
    return value


def _clean_name(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_name", "a name must not be blank")
    for position, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise PydanticCustomError("name_control_character",
                                      "a name must not contain control characters (found {char} at position {position})",
                                      {"char": repr(char), "position": position})
    return value


_NUMBER = BeforeValidator(_not_a_boolean)


Money = Annotated[float, Field(ge=0, le=MAX_MONEY_BN_RUB, allow_inf_nan=False), _NUMBER]
Tonnage = Annotated[float, Field(ge=0, le=MAX_TONNAGE_T, allow_inf_nan=False), _NUMBER]
Energy = Annotated[float, Field(ge=0, le=MAX_ENERGY_GWH, allow_inf_nan=False), _NUMBER]
Distance = Annotated[float, Field(ge=0, le=MAX_DISTANCE_KM, allow_inf_nan=False), _NUMBER]
Tariff = Annotated[float, Field(ge=0, le=MAX_TARIFF, allow_inf_nan=False), _NUMBER]
Intensity = Annotated[float, Field(ge=0, le=MAX_INTENSITY_MWH_PER_T, allow_inf_nan=False), _NUMBER]
Jobs = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False), _NUMBER]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), _NUMBER]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False), _NUMBER]
Factor = Annotated[float, Field(ge=-MAX_FACTOR, le=MAX_FACTOR, allow_inf_nan=False), _NUMBER]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT), _NUMBER]
PositiveCount = Annotated[int, Field(ge=1, le=MAX_COUNT), _NUMBER]
Year = Annotated[int, Field(ge=1900, le=2200), _NUMBER]
LeadTime = Annotated[int, Field(ge=0, le=100), _NUMBER]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_clean_name)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), _NUMBER]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), _NUMBER]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Located(_Strict):
    """An entity with optional coordinates (for the report's map only: the model never reads them).

    Coordinates left out are left out of the dump too, so an instance without them keeps its content hash."""

    @model_serializer(mode="wrap")
    def _drop_missing_coordinates(self, handler):
        data = handler(self)
        if isinstance(data, dict):
            for key in ("lat", "lon"):
                if key in data and data[key] is None:
                    del data[key]
        return data


def _f(unit: str, description: str, **kw):
    """A Field carrying its unit both in the description and in the JSON Schema."""
    return Field(description=f"{description} [{unit}]", json_schema_extra={"unit": unit}, **kw)


class Horizon(_Strict):
    """The planning horizon: first and last planning year, and the year whose HPO output is maximised."""

    start_year: Year = _f("year", "First planning year (decisions can start in it)")
    end_year: Year = _f("year", "Last planning year (inclusive)")
    target_year: Year | None = _f(
        "year", "Year whose HPO output is maximised; defaults to end_year", default=None
    )


class Budget(_Strict):
    """Money rules: total budget and R&D envelope (bn RUB), optional yearly caps (bn RUB/yr), what counts against them."""

    total_bn_rub: Money = _f("bn RUB", "Total capital budget over the horizon, R&D included")
    rd_envelope_bn_rub: Money = _f("bn RUB", "Most that may be committed to R&D programmes")
    yearly_cap_bn_rub: dict[Year, Money] = _f(
        "bn RUB/yr", "Optional cap on money committed per year (phasing)", default_factory=dict
    )
    opex_counts: bool = _f(
        "-", "Whether operating cost (processing, power, transport) counts against the budget",
        default=False,
    )
    committed_counts: bool = _f(
        "-", "Whether the capex still to be spent on committed projects counts against the budget (total, "
        "yearly caps, and the R&D envelope for programmes)", default=True,
    )


class Technology(_Strict):
    """Refining technology: recovery and high-purity share today (fractions) and their ceilings after R&D."""

    recovery_today: Fraction = _f("fraction", "Refining recovery today (REO out / REO in feed)")
    hp_share_today: Fraction = _f("fraction", "Share of oxide output that is high-purity today")
    purity_today_pct: Percent = _f("%", "Best purity reached today (informational)", default=99.2)
    max_recovery: Fraction = _f("fraction", "Physical ceiling on recovery after R&D", default=0.95)
    max_hp_share: Fraction = _f("fraction", "Ceiling on the high-purity share after R&D", default=1.0)


class TargetAtYear(_Strict):
    """A policy rule that can be switched on as a hard constraint in one year."""

    enabled: bool = _f("-", "Enforce this rule as a hard constraint", default=False)
    year: Year = _f("year", "Year in which the rule applies (omitted: the target year)")


# A new plant counts as online only when it processes at least this much feed in the rule's year:
# a third of the smallest module in the base case (Solikamsk's 1,300 t/yr lines), so a plant
# that is built but idle, or runs a token batch, does not count (FORMULATION.md, section 8).
PLANT_ONLINE_MIN_FEED_T = 500.0


class PlantsOnlineRule(TargetAtYear):
    """Policy rule: at least a number of new plants producing in a year, each processing a minimum feed (t REO/yr)."""

    min_count: Count = _f("plants", "Least number of new plants (sites with no existing module) producing in the year")
    min_feed_t_per_yr: Tonnage = _f(
        "t REO/yr", "Feed a new plant must process in the year to count as online", default=PLANT_ONLINE_MIN_FEED_T)


class JobsRule(TargetAtYear):
    """Policy rule: at least a number of new jobs at new modules online in a year."""

    min_jobs: Jobs = _f("jobs", "Least number of new jobs at new modules online in the year")


class OutputRule(TargetAtYear):
    """Policy rule: at least this much REO or HPO output (t/yr) in a year."""

    min_t_per_yr: Tonnage = _f("t/yr", "Least output in the year")


class ShareRule(TargetAtYear):
    """Policy rule: at least a high-purity share (fraction) of REO output in a year."""

    min_share: Fraction = _f("fraction", "Least high-purity share of REO output in the year")
    min_output_t_per_yr: Tonnage = _f(
        "t/yr REO", "The floor counts only in a year with at least this REO output (an empty year is not met)",
        default=1.0)


class Policy(_Strict):
    """The switchable policy targets: plants online, jobs, REO and HPO output, HP share (each off unless enabled)."""

    plants_online: PlantsOnlineRule | None = _f("-", "At least N plants online by a year", default=None)
    jobs: JobsRule | None = _f("-", "At least J new jobs by a year", default=None)
    reo_output: OutputRule | None = _f("-", "At least R t/yr REO output in a year", default=None)
    hpo_output: OutputRule | None = _f("-", "At least H t/yr HPO output in a year", default=None)
    hp_share: ShareRule | None = _f("-", "At least a given HP share of REO output in a year", default=None)


class Deposit(_Located):
    """A deposit of rare-earth concentrate: supply per year (t REO/yr), where and from when."""

    name: Name = _f("-", "Unique name of the deposit")
    region: str = _f("-", "Region (informational)", default="")
    lat: Latitude | None = _f("degrees N", "Latitude (WGS 84), for the report's map", default=None)
    lon: Longitude | None = _f("degrees E", "Longitude (WGS 84), for the report's map", default=None)
    supply_t_per_yr: Tonnage = _f("t REO/yr", "Concentrate supply available today, REO content")
    available_from_year: Year | None = _f(
        "year", "First year the existing supply is available (mine start)", default=None
    )


class DepositExpansion(_Strict):
    """A step that adds supply to a deposit (t REO/yr) after a lead time (yr), for a capital cost (bn RUB)."""

    name: Name = _f("-", "Unique name of the expansion step")
    deposit: Name = _f("-", "Deposit expanded")
    capex_bn_rub: Money = _f("bn RUB", "Capital cost of the expansion step")
    lead_time_yr: LeadTime = _f("yr", "Years from start until the added supply is available")
    supply_added_t_per_yr: Tonnage = _f("t REO/yr", "Supply added once complete")


class Site(_Located):
    """A refinery site, candidate or existing: feed-capacity modules (t REO/yr each), their costs (bn RUB), opex, power, jobs."""

    name: Name = _f("-", "Unique name of the plant site")
    region: str = _f("-", "Region (informational)", default="")
    lat: Latitude | None = _f("degrees N", "Latitude (WGS 84), for the report's map", default=None)
    lon: Longitude | None = _f("degrees E", "Longitude (WGS 84), for the report's map", default=None)
    existing_modules: Count = _f("modules", "Modules already producing at the start", default=0)
    max_modules: Count = _f("modules", "Most modules the site can hold, existing included")
    module_capacity_t_per_yr: Tonnage = _f("t REO/yr", "Feed capacity of one module")
    capex_bn_rub_per_module: Money = _f("bn RUB/module", "Capital cost of one new module")
    development_cost_bn_rub: Money = _f(
        "bn RUB", "Fixed cost of opening the site (zero-cost if already open)", default=0.0
    )
    lead_time_yr: LeadTime = _f("yr", "A module started in year t produces from year t + lead time")
    opex_m_rub_per_t: Tariff = _f("m RUB/t", "Processing cost per t of feed, power and transport excluded")
    electricity_mwh_per_t: Intensity = _f("MWh/t", "Electricity per t of feed processed")
    jobs_per_module: Jobs = _f("jobs/module", "Jobs created by one new module online")


class PowerSource(_Located):
    """A hydro plant or grid node: spare energy per year (GWh/yr) and its tariff (RUB/MWh)."""

    name: Name = _f("-", "Unique name of the power source")
    region: str = _f("-", "Region (informational)", default="")
    lat: Latitude | None = _f("degrees N", "Latitude (WGS 84), for the report's map", default=None)
    lon: Longitude | None = _f("degrees E", "Longitude (WGS 84), for the report's map", default=None)
    spare_energy_gwh_per_yr: Energy = _f("GWh/yr", "Uncommitted energy available per year")
    tariff_rub_per_mwh: Tariff = _f("RUB/MWh", "Price of energy drawn")


class PowerExpansion(_Strict):
    """New generation at a power source: energy added (GWh/yr) after a lead time (yr), for a capital cost (bn RUB)."""

    name: Name = _f("-", "Unique name of the generation expansion")
    source: Name = _f("-", "Power source expanded (new generation)")
    capex_bn_rub: Money = _f("bn RUB", "Capital cost of the new generation")
    lead_time_yr: LeadTime = _f("yr", "Years from start until the energy is available")
    energy_added_gwh_per_yr: Energy = _f("GWh/yr", "Energy added once complete")


class PowerConnection(_Strict):
    """A power connection from a source to a plant site (GWh/yr), existing or to be built."""

    name: Name = _f("-", "Unique name of the power connection")
    source: Name = _f("-", "Power source")
    site: Name = _f("-", "Plant site supplied")
    capacity_gwh_per_yr: Energy = _f("GWh/yr", "Most energy the connection carries per year")
    exists: bool = _f("-", "Already in service (no decision, no cost)", default=False)
    capex_bn_rub: Money = _f("bn RUB", "Capital cost of building it", default=0.0)
    lead_time_yr: LeadTime = _f("yr", "Years from start until in service", default=0)


class Link(_Strict):
    """A transport link from a deposit to a plant site: mode, length (km), tariff (RUB/(t*km)) and capacity (t REO/yr)."""

    name: Name = _f("-", "Unique name of the transport link")
    deposit: Name = _f("-", "Origin deposit")
    site: Name = _f("-", "Destination plant site")
    mode: Literal["rail", "road", "river", "winter_road", "sea", "multimodal"] = _f("-", "Transport mode")
    distance_km: Distance = _f("km", "Route length")
    tariff_rub_per_t_km: Tariff = _f("RUB/(t*km)", "Transport tariff")
    capacity_t_per_yr: Tonnage = _f(
        "t REO/yr", "Usable capacity today (seasonal windows included); 0 if it must be built"
    )
    transit_yr: LeadTime = _f(
        "yr", "Years concentrate spends in transit (multi-season chains)", default=0
    )


class LinkUpgrade(_Strict):
    """A build or upgrade of a transport link: capacity added (t REO/yr) after a lead time (yr), for a capital cost (bn RUB)."""

    name: Name = _f("-", "Unique name of the link upgrade")
    link: Name = _f("-", "Link upgraded or built")
    capex_bn_rub: Money = _f("bn RUB", "Capital cost")
    lead_time_yr: LeadTime = _f("yr", "Years from start until the capacity is usable")
    capacity_added_t_per_yr: Tonnage = _f("t REO/yr", "Capacity added once complete")


class RdProgramme(_Strict):
    """An R&D programme: cost (bn RUB), duration (yr), prerequisites, and the recovery and HP-share gains once complete."""

    name: Name = _f("-", "Unique name of the R&D programme")
    cost_bn_rub: Money = _f("bn RUB", "Cost of the programme, committed when it starts")
    duration_yr: LeadTime = _f("yr", "Years from start to completion; effect from start + duration")
    prerequisites: list[Name] = _f("-", "Programmes that must be complete before it starts", default_factory=list)
    recovery_gain: Fraction = _f("fraction", "Added to refining recovery once complete", default=0.0)
    hp_share_gain: Fraction = _f("fraction", "Added to the high-purity share once complete", default=0.0)


# Kinds of decision a committed project can be, and the investment area its money counts against.
COMMITTED_KINDS: dict[str, str] = {
    "module": "plants", "site_opening": "plants", "connection": "power", "power_expansion": "power",
    "link_upgrade": "logistics", "deposit_expansion": "mining", "programme": "rd",
}


class CommittedProject(_Strict):
    """A project already under way: started before or during the horizon, not a decision of the model."""

    name: Name = _f("-", "Unique name of the committed project")
    kind: Literal["module", "site_opening", "connection", "power_expansion", "link_upgrade", "deposit_expansion",
                  "programme"] = _f("-", "Kind of decision it fixes")
    item: Name = _f("-", "What it builds: the site (module, site_opening) or the name of the connection, "
                    "expansion, upgrade or programme in its table")
    modules: PositiveCount = _f("modules", "Modules it adds (kind module only)", default=1)
    ready_year: Year = _f("year", "First year its effect is available (modules produce, capacity usable, "
                          "programme complete)")
    capex_remaining_bn_rub: dict[Year, Money] = _f(
        "bn RUB/yr", "Capital still to be spent, by year (inside the horizon)", default_factory=dict)
    source: str = _f("-", "Where the project and its figures come from", default="")

    @property
    def area(self) -> str:
        """Investment area its remaining capex counts against (plants, power, logistics, mining, rd)."""
        return COMMITTED_KINDS[self.kind]

    @property
    def key(self) -> str:
        """The decision it fixes, as the model names it ("kind:item"; modules: "module:site")."""
        return f"{self.kind}:{self.item}"


class Distribution(_Strict):
    """A probability distribution of one uncertain input (which parameters apply depends on ``kind``)."""

    kind: Literal["fixed", "uniform", "triangular", "discrete", "bernoulli"] = _f(
        "-", "fixed: value; uniform: low, high; triangular: low, mode, high; discrete: values, probabilities; "
        "bernoulli: p (1 with probability p, else 0)")
    value: Factor | None = _f("input unit", "The one value of a fixed distribution", default=None)
    low: Factor | None = _f("input unit", "Least value (uniform, triangular)", default=None)
    mode: Factor | None = _f("input unit", "Most likely value (triangular)", default=None)
    high: Factor | None = _f("input unit", "Greatest value (uniform, triangular)", default=None)
    values: list[Factor] = _f("input unit", "Values of a discrete distribution", default_factory=list)
    probabilities: list[Fraction] = _f("fraction", "Probability of each discrete value (sum 1)", default_factory=list)
    p: Fraction | None = _f("fraction", "Probability of 1 (bernoulli)", default=None)

    @model_validator(mode="after")
    def _parameters_fit_kind(self):
        needed = {"fixed": ("value",), "uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                  "bernoulli": ("p",), "discrete": ()}[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(missing)}")
        if self.kind in ("uniform", "triangular"):
            mode = self.mode if self.kind == "triangular" else self.low
            if not self.low <= mode <= self.high:
                raise ValueError(f"needs low <= mode <= high, got low={self.low}, mode={mode}, high={self.high}")
        if self.kind == "discrete":
            if not self.values or len(self.values) != len(self.probabilities):
                raise ValueError("a discrete distribution needs values and as many probabilities")
            if abs(sum(self.probabilities) - 1.0) > 1e-6:
                raise ValueError(f"probabilities must sum to 1, got {sum(self.probabilities):g}")
        return self


class UncertainInput(_Strict):
    """One uncertain input: a default distribution, overridden per group and per item (by name)."""

    default: Distribution | None = _f("-", "Distribution of every item; null: no uncertainty", default=None)
    by_group: dict[str, Distribution] = _f(
        "-", "Override per group (area: plants, power, logistics, mining, rd; or link mode)", default_factory=dict)
    by_item: dict[str, Distribution] = _f("-", "Override per item name (site, project, deposit, ...)",
                                          default_factory=dict)


# Each uncertain input: (least, greatest) value it may take (None: unbounded), whether whole numbers,
# its value in the point-estimate future, and the items it applies to.
UNCERTAIN_INPUTS: dict[str, tuple[float | None, float | None, bool, float, tuple[str, ...]]] = {
    "capex_overrun": (0.0, None, False, 1.0, ("site", "connection", "power_expansion", "link_upgrade",
                                              "deposit_expansion", "programme", "committed")),
    "construction_delay_yr": (0.0, 100.0, True, 0.0, ("site", "connection", "power_expansion", "link_upgrade",
                                                       "deposit_expansion", "committed")),
    "rd_success": (0.0, 1.0, True, 1.0, ("programme",)),
    "rd_effect": (0.0, None, False, 1.0, ("programme",)),
    "supply_shortfall": (0.0, 1.0, False, 0.0, ("deposit",)),
    "power_price": (0.0, None, False, 1.0, ("source",)),
    "link_availability": (0.0, 1.0, False, 1.0, ("link",)),
}


def _support_values(dist: Distribution) -> list[float]:
    """The least and greatest values a distribution can draw (all values of a discrete one)."""
    if dist.kind == "fixed":
        return [dist.value] if dist.value is not None else []
    if dist.kind == "bernoulli":
        return [0.0, 1.0]
    if dist.kind == "discrete":
        return list(dist.values)
    return [v for v in (dist.low, dist.high) if v is not None]


class SharedFactors(_Strict):
    """Risks shared by many items, drawn once per future on top of each item's own draw (docs/UNCERTAINTY.md).

    A capex factor, scaled to mean 1 (its draw over its mean: it correlates items without raising their expected
    capex), multiplies the sampled ``capex_overrun`` of every item it covers; a delay factor adds whole
    years to the sampled ``construction_delay_yr`` of every build in its region. Items whose input is not
    uncertain (e.g. fixed by ``by_item``: a fixed-price contract) are left alone. Missing fields take defaults."""

    enabled: bool = _f("-", "Draw the shared factors at all (false: items independent, as before)", default=False)
    area_capex: Distribution | None = _f(
        "factor", "Capex factor per investment area (plants, power, logistics, mining, rd)", default=None)
    region_capex: Distribution | None = _f(
        "factor", "Capex factor per region (the part of an item's region before the first comma)", default=None)
    region_delay_yr: Distribution | None = _f(
        "yr", "Whole years added to every build of a region (a harsh season, a slow permit office)", default=None)
    sanctions_capex: Distribution | None = _f(
        "factor", "Programme-wide capex factor on every imported-equipment item (sanctions_areas)", default=None)
    sanctions_areas: list[Literal["plants", "power", "logistics", "mining", "rd"]] = _f(
        "-", "Areas whose builds rely on imported equipment", default_factory=lambda: ["plants", "mining"])

    @model_validator(mode="after")
    def _values_fit(self):
        for name in ("area_capex", "region_capex", "sanctions_capex", "region_delay_yr"):
            dist = getattr(self, name)
            if dist is None:
                continue
            values = _support_values(dist)
            if any(v < 0 for v in values):
                raise ValueError(f"{name}: a factor draws no negative value, got {min(values)}")
            if name != "region_delay_yr" and not any(v > 0 for v in values):
                raise ValueError(f"{name}: a capex factor is scaled to mean 1, so it needs a positive value")
            if name == "region_delay_yr" and (dist.kind in ("uniform", "triangular") or
                                              any(float(v) != int(v) for v in values)):
                raise ValueError(f"{name}: delays are whole years (use fixed, discrete or bernoulli)")
        return self


class Uncertainty(_Strict):
    """Distributions of the inputs a stress test samples; missing inputs take reeplan's documented defaults."""

    enabled: bool = _f("-", "Sample futures at all (false: every future is the point estimate)", default=True)
    factors: SharedFactors | None = _f(
        "-", "Shared (correlated) risk factors on top of each item's own draw; missing: defaults, off", default=None)
    capex_overrun: UncertainInput | None = _f(
        "factor", "Multiplier on the capital cost of each site and project (1 = as budgeted)", default=None)
    construction_delay_yr: UncertainInput | None = _f(
        "yr", "Whole years added to the lead time of each site and non-R&D project", default=None)
    rd_success: UncertainInput | None = _f(
        "0/1", "Whether each R&D programme delivers its gains (bernoulli)", default=None)
    rd_effect: UncertainInput | None = _f(
        "factor", "Multiplier on the recovery and HP-share gains of each R&D programme", default=None)
    supply_shortfall: UncertainInput | None = _f(
        "fraction", "Share of each deposit's supply (expansions included) that does not materialise", default=None)
    power_price: UncertainInput | None = _f("factor", "Multiplier on each power source's tariff", default=None)
    link_availability: UncertainInput | None = _f(
        "fraction", "Share of each transport link's capacity (upgrades included) usable", default=None)


class Instance(_Strict):
    """A whole planning instance; see each field's description for its unit."""

    name: Name = _f("-", "Instance name (used for output folders and reports)")
    description: str = _f("-", "What the instance represents and where its data comes from", default="")
    horizon: Horizon = _f("years", "Planning horizon")
    budget: Budget = _f("bn RUB", "Money rules")
    technology: Technology = _f("fractions", "Refining technology today and its ceilings")
    policy: Policy = _f("-", "Switchable policy targets", default_factory=Policy)
    deposits: list[Deposit] = _f("table", "Deposits supplying concentrate")
    deposit_expansions: list[DepositExpansion] = _f("table", "Supply expansion steps", default_factory=list)
    sites: list[Site] = _f("table", "Candidate and existing refinery sites")
    power_sources: list[PowerSource] = _f("table", "Hydro plants and grid nodes", default_factory=list)
    power_expansions: list[PowerExpansion] = _f("table", "New generation options", default_factory=list)
    power_connections: list[PowerConnection] = _f("table", "Source -> site connections", default_factory=list)
    links: list[Link] = _f("table", "Deposit -> site transport links")
    link_upgrades: list[LinkUpgrade] = _f("table", "Link builds and upgrades", default_factory=list)
    rd_programmes: list[RdProgramme] = _f("table", "R&D programmes", default_factory=list)
    committed: list[CommittedProject] = _f(
        "table", "Projects already under way (fixed, not decided); their remaining capex counts against the budget "
        "when budget.committed_counts", default_factory=list)
    uncertainty: Uncertainty | None = _f(
        "-", "Distributions for stress tests and robust plans; missing: the documented defaults", default=None)

    @model_validator(mode="before")
    @classmethod
    def _policy_year_defaults_to_target_year(cls, data):
        """A policy rule without ``year`` applies in the target year (so ``--set`` can switch one on)."""
        if not isinstance(data, dict) or not isinstance(data.get("policy"), dict):
            return data
        horizon = data.get("horizon") if isinstance(data.get("horizon"), dict) else {}
        year = horizon.get("target_year") or horizon.get("end_year")
        if year is None:
            return data
        policy = {name: ({**rule, "year": year} if isinstance(rule, dict) and rule.get("year") is None else rule)
                  for name, rule in data["policy"].items()}
        return {**data, "policy": policy}

    @property
    def years(self) -> list[int]:
        """Planning years, inclusive."""
        return list(range(self.horizon.start_year, self.horizon.end_year + 1))

    @property
    def target_year(self) -> int:
        """Year whose output the default objective maximises."""
        return self.horizon.target_year or self.horizon.end_year


# Entity lists in file order: the CSV-folder format has one table per entry.
ENTITY_TABLES: dict[str, type[_Strict]] = {
    "deposits": Deposit,
    "deposit_expansions": DepositExpansion,
    "sites": Site,
    "power_sources": PowerSource,
    "power_expansions": PowerExpansion,
    "power_connections": PowerConnection,
    "links": Link,
    "link_upgrades": LinkUpgrade,
    "rd_programmes": RdProgramme,
    "committed": CommittedProject,
}
SCALAR_SECTIONS = ("name", "description", "horizon", "budget", "technology", "policy", "uncertainty")
