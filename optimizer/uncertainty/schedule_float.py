"""Schedule float of a plan: per build, the years of delay it absorbs before target-year HPO falls.

Each item of the plan (a site's module starts, each project begun, each committed project under way) is
delayed alone by d = 1, 2, ... years (``construction_delay_yr[<kind>:<name>]``, everything else at its
point estimate) until its readiness passes the target year, where it can no longer move target-year HPO.
Every (item, delay) future is one row of ``reeplan.uncertainty.stress.evaluate_futures``: the plan keeps
what it builds and when it starts, only operation re-optimises, so the float is exact for single-item
delays (delays of several items at once interact and are the stress test's business).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd
from reeplan.errors import UsageError
from reeplan.instance.schema import Instance
from reeplan.models.data import model_data
from reeplan.options import SolveOptions
from reeplan.result.result import Status
from reeplan.uncertainty.stress import Plan, StressReport, evaluate_futures

# Target-year HPO is solved to a relative MIP gap of 1e-6 per future; a fall smaller than this is noise.
HPO_FALL_RELATIVE = 1e-5
DELAY_COLUMN = "construction_delay_yr[{kind}:{name}]"
FLOAT_COLUMNS = ["kind", "name", "start_year", "ready_year", "detail", "delay_column", "float_yr", "absorbs_all",
                 "critical", "hpo_lost_t_per_yr", "hpo_lost_at_target_t", "max_delay_yr", "hpo_planned_t"]
BY_DELAY_COLUMNS = ["kind", "name", "delay_yr", "ready_year", "status", "hpo_t", "hpo_lost_t"]


@dataclass(frozen=True)
class FloatItem:
    """One first-stage item of a plan that a delay can move."""

    kind: str  # site, connection, power_expansion, link_upgrade, deposit_expansion, programme, committed
    name: str
    start_year: int | None  # None: under way before the horizon (a committed project)
    ready_year: int  # planned: first year it produces or is usable (a site: when its last modules produce)
    detail: str  # what the item covers, in words
    delayable: bool  # futures can delay it (an R&D programme's duration is not uncertain: no)
    first_ready_year: int | None = None  # a site: when its first modules produce (else as ready_year)

    @property
    def earliest_ready_year(self) -> int:
        """The first year any part of the item is ready."""
        return self.ready_year if self.first_ready_year is None else self.first_ready_year

    @property
    def delay_column(self) -> str | None:
        """The futures column that delays this item, or None."""
        return DELAY_COLUMN.format(kind=self.kind, name=self.name) if self.delayable else None


def _first_year(plan: Plan, variable: str, key: str) -> int | None:
    years = [idx[1] for (name, idx), v in plan.items() if name == variable and idx[0] == key and v >= 0.5]
    return min(years) if years else None


def float_items(instance: Instance, plan: Plan) -> list[FloatItem]:
    """The items of ``plan`` whose delay can matter, in this order: each site with modules started (one item: a
    site's delay lengthens its lead time, so it moves every module the plan starts there; the opening itself
    has no lead time), each project begun, each committed project."""
    data = model_data(instance)
    items = []
    for site in instance.sites:
        built = sorted((t, v) for (name, (s, t)), v in plan.items() if name == "Modules_Built_By" and s == site.name)
        starts, before = [], 0
        for t, total in built:
            n = int(round(total)) - before
            if n > 0:
                starts.append((t, n))
            before = int(round(total))
        if not starts:
            continue
        lead = data.site_lead(site.name)
        opened = _first_year(plan, "Site_Open_By", site.name)
        modules = ", ".join(f"{n} in {t} (ready {t + lead})" for t, n in starts)
        detail = (f"opened {opened}; " if opened is not None else "") + f"modules started: {modules}"
        items.append(FloatItem("site", site.name, starts[0][0], starts[-1][0] + lead, detail, True,
                               starts[0][0] + lead))
    for key, project in data.projects.items():
        start = _first_year(plan, "Project_Begun", key)
        if start is None:
            continue
        what = "R&D programme (its duration is not an uncertain input: no float computed)" \
            if project.kind == "programme" else project.kind.replace("_", " ")
        items.append(FloatItem(project.kind, project.name, start, start + project.lead_time_yr, what,
                               project.kind != "programme"))
    for c in instance.committed:
        items.append(FloatItem("committed", c.name, None, c.ready_year, f"under way: {c.kind} {c.item}", True))
    return items


def delay_futures(instance: Instance, items: list[FloatItem]) -> list[tuple[int, int, dict]]:
    """(item index, delay yr, future) for every delayable item and every delay from 1 year to the first that
    puts its readiness past the target year."""
    return [(i, d, {item.delay_column: float(d)}) for i, item in enumerate(items) if item.delay_column
            for d in range(1, max_delay_yr(instance, item) + 1)]


def max_delay_yr(instance: Instance, item: FloatItem) -> int:
    """The delay that puts all of the item's readiness past the target year (at least one year)."""
    return max(1, instance.target_year - item.earliest_ready_year + 1)


def float_by_delay(items: list[FloatItem], futures: list[tuple[int, int, dict]], rows: list[dict],
                   nominal: dict) -> pd.DataFrame:
    """Target-year HPO and HPO lost, one row per (item, delay) including delay 0 (the plan as planned);
    ``rows``: the outcome rows of ``futures``, ``nominal``: the point-estimate future's."""
    out = [dict(kind=it.kind, name=it.name, delay_yr=0, ready_year=it.ready_year, status=nominal.get("status"),
                hpo_t=nominal["hpo_t"]) for it in items if it.delayable]
    for (i, d, _), row in zip(futures, rows, strict=True):
        out.append(dict(kind=items[i].kind, name=items[i].name, delay_yr=d, ready_year=items[i].ready_year + d,
                        status=row.get("status"), hpo_t=row.get("hpo_t", float("nan"))))
    table = pd.DataFrame(out, columns=BY_DELAY_COLUMNS[:-1])
    table["hpo_lost_t"] = nominal["hpo_t"] - table["hpo_t"].astype(float)
    order = {(it.kind, it.name): k for k, it in enumerate(items)}
    table["order"] = [order[(k, n)] for k, n in zip(table["kind"], table["name"])]
    return table.sort_values(["order", "delay_yr"], ignore_index=True).drop(columns="order")


def float_table(instance: Instance, items: list[FloatItem], by_delay: pd.DataFrame, nominal: dict) -> pd.DataFrame:
    """One row per item: its float and the HPO lost per year of delay beyond it (see ``describe_float``)."""
    hpo0 = float(nominal["hpo_t"])
    fall = HPO_FALL_RELATIVE * max(1.0, abs(hpo0))
    rows = []
    for it in items:
        row = dict(kind=it.kind, name=it.name, start_year=it.start_year, ready_year=it.ready_year, detail=it.detail,
                   delay_column=it.delay_column, float_yr=None, absorbs_all=None, critical=None,
                   hpo_lost_t_per_yr=None, hpo_lost_at_target_t=None, max_delay_yr=None, hpo_planned_t=hpo0)
        if it.delayable:
            mine = by_delay[(by_delay["kind"] == it.kind) & (by_delay["name"] == it.name)].set_index("delay_yr")
            worst = max_delay_yr(instance, it)
            solved = (mine["status"] == Status.OPTIMAL.value).all()
            lost = mine["hpo_lost_t"].astype(float)
            falls = [d for d in range(1, worst + 1) if lost[d] > fall]
            if solved:
                first = falls[0] if falls else None
                row.update(float_yr=(first - 1) if first else worst, absorbs_all=first is None,
                           critical=first == 1, hpo_lost_t_per_yr=max(0.0, float(lost[first])) if first else 0.0,
                           hpo_lost_at_target_t=max(0.0, float(lost[worst])), max_delay_yr=worst)
        rows.append(row)
    table = pd.DataFrame(rows, columns=FLOAT_COLUMNS)
    for col in ("start_year", "float_yr", "max_delay_yr"):
        table[col] = table[col].astype("Int64")
    for col in ("absorbs_all", "critical"):
        table[col] = table[col].astype("boolean")
    for col in ("hpo_lost_t_per_yr", "hpo_lost_at_target_t"):
        table[col] = table[col].astype(float)
    return table


@dataclass
class ScheduleFloat:
    """A plan's schedule float: one row per item (``table``) and the HPO at every delay tried (``by_delay``)."""

    table: pd.DataFrame
    by_delay: pd.DataFrame
    target_year: int
    seconds: float

    def text(self) -> str:
        """The float in plain words."""
        return describe_float(self.table, self.target_year)


def schedule_float(instance: Instance, plan: Plan, *, options: SolveOptions | None = None,
                   batch: int = 25) -> ScheduleFloat:
    """The float of every item of ``plan``: all (item, delay) futures in one ``evaluate_futures`` call, the
    point-estimate future first (its HPO is the planned one)."""
    if batch < 1:
        raise UsageError(f"batch must be at least 1, got {batch}")
    clock = time.perf_counter()
    items = float_items(instance, plan)
    futures = delay_futures(instance, items)
    rows = evaluate_futures(instance, plan, [{}] + [f for _, _, f in futures], batch=batch, options=options)
    by_delay = float_by_delay(items, futures, rows[1:], rows[0])
    return ScheduleFloat(float_table(instance, items, by_delay, rows[0]), by_delay, instance.target_year,
                         time.perf_counter() - clock)


def with_schedule_float(report: StressReport, instance: Instance, plan: Plan, **kwargs) -> StressReport:
    """``report`` with the plan's schedule float added (its tables, its lines in the text, its seconds)."""
    found = schedule_float(instance, plan, **kwargs)
    return replace(report, float_table=found.table, float_by_delay=found.by_delay, float_text=found.text(),
                   seconds={**report.seconds, "float": found.seconds})


def describe_float(table: pd.DataFrame, target_year: int) -> str:
    """The float table in plain words: which items have no float, which absorb any delay."""
    if table.empty:
        return "Schedule float: the plan builds nothing that a delay can move."
    known = table[table["float_yr"].notna()]
    critical = known[known["critical"].astype(bool)]
    spare = known[known["absorbs_all"].astype(bool)]
    names = "; ".join(f"{r.name} ({r.kind.replace('_', ' ')}, ready {r.ready_year}, -{r.hpo_lost_t_per_yr:,.0f} t)"
                      for r in critical.itertuples())
    lines = [f"Schedule float (one item delayed at a time, all else at point estimates): {len(critical)} of "
             f"{len(known)} items have no float, a year's delay of any of them cuts {target_year} HPO"
             + (f": {names}." if len(critical) else ".")]
    slack = known[~known["critical"].astype(bool) & ~known["absorbs_all"].astype(bool)]
    low, high = (int(slack["float_yr"].min()), int(slack["float_yr"].max())) if len(slack) else (0, 0)
    years = f"{low}" if low == high else f"{low}-{high}"
    extra = [f"{len(slack)} absorb {years} year{'s' if high > 1 else ''} of delay" if len(slack) else "",
             f"{len(spare)} can slip past {target_year} without HPO falling" if len(spare) else "",
             f"{len(table) - len(known)} take no delay input (R&D programmes)" if len(table) > len(known) else ""]
    extra = [e for e in extra if e]
    if extra:
        lines.append("  Of the others, " + "; ".join(extra) + ".")
    return "\n".join(lines)
