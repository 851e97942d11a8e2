"""Validation that collects *every* problem: field types and ranges (pydantic), then
cross-references and horizon sense (tolerant of rows that failed the first pass).

(About 410 lines: one pass per kind of problem over the raw data; they share the row and source helpers.)"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, SupportsIndex, SupportsInt

from pydantic import BaseModel, ValidationError
from reeplan.errors import InstanceError, Problem
from reeplan.instance.schema import ENTITY_TABLES, UNCERTAIN_INPUTS, Distribution, Instance
from reeplan.instance.source import Source

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

MAX_RD_PROGRAMMES = 12  # technology levels are enumerated: 2**12 subsets at most


def validate_raw(data: dict, source: Source) -> Instance:
    """Return the validated Instance, or raise InstanceError listing every problem."""
    problems = (_field_problems(data, source) + _reference_problems(data, source) + _horizon_problems(data, source)
                + _uncertainty_problems(data, source))
    if problems:
        raise InstanceError(_dedupe(problems))
    return Instance.model_validate(data)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.file, p.entity, p.row, p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model owning the last element of an error location, if known."""
    model: type[BaseModel] | None = Instance
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        ann = info.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            args = [a for c in candidates for a in getattr(c, "__args__", ())]
            model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return model


def _hint(loc: tuple, error_type: str) -> str:
    owner = _model_at(loc)
    fieldname = str(loc[-1]) if loc else ""
    if owner is None:
        return ""
    if error_type == "extra_forbidden":
        close = difflib.get_close_matches(fieldname, list(owner.model_fields), n=1)
        return f"unknown field; did you mean {close[0]!r}?" if close else f"unknown field; known: {', '.join(owner.model_fields)}"
    info = owner.model_fields.get(fieldname)
    return info.description or "" if info else ""


def _field_problems(data: dict, source: Source) -> list[Problem]:
    try:
        Instance.model_validate(data)
    except ValidationError as exc:
        return [_problem_from_error(err, data, source) for err in exc.errors()]
    return []


def _problem_from_error(err: ErrorDetails, data: dict, source: Source) -> Problem:
    loc = tuple(err["loc"])
    entity = str(loc[0]) if loc else ""
    row, rest = "", loc[1:]
    if entity in ENTITY_TABLES and rest and isinstance(rest[0], int):
        rows = data.get(entity) or []
        raw_row = rows[rest[0]] if rest[0] < len(rows) else None
        row, rest = source.row_label(entity, rest[0], raw_row), rest[1:]
    value = err.get("input") if err["type"] != "missing" else None
    if isinstance(value, dict):
        value = "{...}"
    return Problem(source.file_of(entity), entity, row, ".".join(map(str, rest)), value,
                   err["msg"], _hint(loc, err["type"]))


def _section(data: dict, key: str) -> dict:
    """A top-level mapping of the raw data; {} where it is missing or not a mapping (the field pass reports that)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _rows(data: dict, entity: str) -> Iterator[tuple[int, dict]]:
    rows = data.get(entity)
    if isinstance(rows, list):
        for i, row in enumerate(rows):
            if isinstance(row, dict):
                yield i, row


COMMITTED_TARGETS = {"module": "sites", "site_opening": "sites", "connection": "power_connections",
                     "power_expansion": "power_expansions", "link_upgrade": "link_upgrades",
                     "deposit_expansion": "deposit_expansions", "programme": "rd_programmes"}


def _committed_problems(data: dict, source: Source, names: dict[str, set]) -> list[Problem]:
    """A committed project names an item of its kind, at most once (modules: within the site's room),
    is ready no earlier than the horizon's start, and spends inside the horizon."""
    problems: list[Problem] = []
    horizon = _section(data, "horizon")
    start, end = _as_int(horizon.get("start_year")), _as_int(horizon.get("end_year"))
    sites = {_name(r.get("name")): r for _, r in _rows(data, "sites")}
    fixed: set = set()
    room: dict[str, int] = {}
    for i, row in _rows(data, "committed"):
        kind, item = row.get("kind"), _name(row.get("item"))
        label = source.row_label("committed", i, row)
        here = source.file_of("committed")
        target = COMMITTED_TARGETS.get(kind) if kind is not None else None
        if target is None or item is None:
            continue  # reported by the field check
        known = item in names.get(target, set())
        if not known:
            problems.append(_unknown_ref(source, "committed", i, row, "item", item, target, names.get(target, set())))
        if known and kind == "connection" and any(_name(c.get("name")) == item and c.get("exists") is True
                                        for _, c in _rows(data, "power_connections")):
            problems.append(Problem(here, "committed", label, "item", item, "this connection already exists",
                                    "drop the committed entry, or set exists: false"))
        if not known:
            pass
        elif kind != "module":
            if (kind, item) in fixed:
                problems.append(Problem(here, "committed", label, "item", item, f"{kind} {item!r} is committed twice",
                                        "a one-off project can be committed once"))
            fixed.add((kind, item))
        else:
            site = sites.get(item) or {}
            most, existing = _as_int(site.get("max_modules")), _as_int(site.get("existing_modules")) or 0
            room[item] = room.get(item, 0) + (_as_int(row.get("modules")) or 1)
            if most is not None and existing + room[item] > most:
                problems.append(Problem(here, "committed", label, "modules", row.get("modules", 1),
                                        f"site {item!r} holds {most} modules, {existing} exist and {room[item]} are "
                                        "committed", "raise max_modules or commit fewer"))
        ready = _as_int(row.get("ready_year"))
        if ready is not None and start is not None and ready < start:
            problems.append(Problem(here, "committed", label, "ready_year", ready,
                                    "ready before the horizon starts: that is an existing asset",
                                    "describe it as existing (existing_modules, exists: true, today's supply)"))
        spend = row.get("capex_remaining_bn_rub")
        for year in spend if isinstance(spend, dict) else []:
            y = _as_int(year)
            if y is not None and start is not None and end is not None and not start <= y <= end:
                problems.append(Problem(here, "committed", label, "capex_remaining_bn_rub", y,
                                        "spending year outside the horizon", f"between {start} and {end}"))
    return problems


def _reference_problems(data: dict, source: Source) -> list[Problem]:
    problems: list[Problem] = []
    names: dict[str, set] = {}
    for entity in ENTITY_TABLES:
        seen: set = set()
        for i, row in _rows(data, entity):
            name = _name(row.get("name"))
            if name is None:
                continue  # a missing or malformed name is reported by the field check
            if name in seen:
                problems.append(Problem(source.file_of(entity), entity, source.row_label(entity, i, row), "name",
                                        name, "duplicate name", f"names must be unique among {entity}"))
            seen.add(name)
        names[entity] = seen

    references = [  # (entity, field, target entity)
        ("deposit_expansions", "deposit", "deposits"),
        ("power_expansions", "source", "power_sources"),
        ("power_connections", "source", "power_sources"),
        ("power_connections", "site", "sites"),
        ("links", "deposit", "deposits"),
        ("links", "site", "sites"),
        ("link_upgrades", "link", "links"),
    ]
    for entity, fieldname, target in references:
        for i, row in _rows(data, entity):
            ref = _name(row.get(fieldname))
            if ref is not None and ref not in names[target]:
                problems.append(_unknown_ref(source, entity, i, row, fieldname, ref, target, names[target]))
    problems += _committed_problems(data, source, names)

    named = ((_name(row.get("name")), row) for _, row in _rows(data, "rd_programmes"))
    requires = {name: _prerequisites(row) for name, row in named if name is not None}
    on_cycle = _programmes_on_cycles(requires)
    for i, row in _rows(data, "rd_programmes"):
        name = _name(row.get("name"))
        for ref in _prerequisites(row):
            if ref not in requires:
                problems.append(_unknown_ref(source, "rd_programmes", i, row, "prerequisites", ref,
                                             "rd_programmes", set(requires)))
            elif name in on_cycle and ref in on_cycle:
                problems.append(Problem(source.file_of("rd_programmes"), "rd_programmes",
                                        source.row_label("rd_programmes", i, row), "prerequisites", ref,
                                        "prerequisites form a cycle", "a programme cannot (indirectly) require itself"))
    programmes = requires
    if len(programmes) > MAX_RD_PROGRAMMES:
        problems.append(Problem(source.file_of("rd_programmes"), "rd_programmes", "", "", len(programmes),
                                f"more than {MAX_RD_PROGRAMMES} R&D programmes",
                                "technology levels are enumerated; merge programmes into fewer, larger ones"))
    return problems


def _prerequisites(row: dict) -> list[str]:
    prereqs = row.get("prerequisites")
    if not isinstance(prereqs, list):
        return []
    return [n for n in (_name(p) for p in prereqs) if n is not None]


def _programmes_on_cycles(requires: dict[str, list[str]]) -> set[str]:
    """Programmes that lie on a prerequisite cycle (strongly connected components, Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cyclic: set[str] = set()
    counter = 0
    for root in requires:
        if root in index:
            continue
        work = [(root, iter(requires.get(root, [])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in requires), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(requires.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in requires.get(node, []):
                    cyclic.update(component)
    return cyclic


def _unknown_ref(source, entity, i, row, fieldname, ref, target, known) -> Problem:
    close = difflib.get_close_matches(str(ref), [str(k) for k in known], n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"must name one of the {target}"
    return Problem(source.file_of(entity), entity, source.row_label(entity, i, row), fieldname, ref,
                   f"refers to unknown {target[:-1].replace('_', ' ')}", hint)


def _as_int(value: object) -> int | None:
    """``int(value)``, or None where int() refuses it (missing, a word, a list, an infinite float)."""
    if not isinstance(value, (str, bytes, bytearray, SupportsInt, SupportsIndex)):
        return None  # int() raises TypeError
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _name(value: object) -> str | None:
    """A row's name or reference as a hashable string; None for missing or non-scalar values."""
    if isinstance(value, (str, int, float, bool)):
        return str(value)
    return None


def _horizon_problems(data: dict, source: Source) -> list[Problem]:
    horizon = _section(data, "horizon")
    start, end = _as_int(horizon.get("start_year")), _as_int(horizon.get("end_year"))
    if start is None or end is None:
        return []
    here = source.file_of("horizon")
    if end < start:
        return [Problem(here, "horizon", "", "end_year", end, "end_year is before start_year", f"start_year is {start}")]
    problems = []
    span = end - start
    target = _as_int(horizon.get("target_year"))
    if horizon.get("target_year") is not None and target is not None and not start <= target <= end:
        problems.append(Problem(here, "horizon", "", "target_year", target, "target year outside the horizon",
                                f"between {start} and {end}"))
    lead_fields = {"sites": "lead_time_yr", "deposit_expansions": "lead_time_yr", "power_expansions": "lead_time_yr",
                   "power_connections": "lead_time_yr", "link_upgrades": "lead_time_yr",
                   "rd_programmes": "duration_yr", "links": "transit_yr"}
    for entity, fieldname in lead_fields.items():
        for i, row in _rows(data, entity):
            lead = _as_int(row.get(fieldname))
            if lead is not None and lead > span and not row.get("exists"):
                problems.append(Problem(source.file_of(entity), entity, source.row_label(entity, i, row), fieldname,
                                        lead, f"longer than the horizon ({span} years from {start} to {end})",
                                        "it could never take effect; shorten it or extend the horizon"))
    for i, row in _rows(data, "sites"):
        existing, most = _as_int(row.get("existing_modules")), _as_int(row.get("max_modules"))
        if existing is not None and most is not None and existing > most:
            problems.append(Problem(source.file_of("sites"), "sites", source.row_label("sites", i, row),
                                    "existing_modules", existing, f"more than max_modules ({most})",
                                    "max_modules counts existing modules too"))
    policy = _section(data, "policy")
    for rule, spec in policy.items():
        year = _as_int(spec.get("year")) if isinstance(spec, dict) else None
        if year is not None and not start <= year <= end:
            problems.append(Problem(source.file_of("policy"), "policy", rule, "year", year,
                                    "rule year outside the horizon", f"between {start} and {end}"))
    budget = _section(data, "budget")
    caps = budget.get("yearly_cap_bn_rub") or {}
    for year in caps if isinstance(caps, dict) else []:
        y = _as_int(year)
        if y is not None and not start <= y <= end:
            problems.append(Problem(source.file_of("budget"), "budget", "", f"yearly_cap_bn_rub.{year}", y,
                                    "cap for a year outside the horizon", f"between {start} and {end}"))
    tech = _section(data, "technology")
    try:
        if float(tech["recovery_today"]) > float(tech.get("max_recovery", 0.95)):
            problems.append(Problem(source.file_of("technology"), "technology", "", "recovery_today",
                                    tech["recovery_today"], "above max_recovery", "raise max_recovery"))
    except (KeyError, TypeError, ValueError):
        pass
    return problems


def _support(dist: Distribution) -> list[float]:
    """The values a distribution can take (its end points for continuous ones)."""
    support: dict[str, list[float | None]] = {
        "fixed": [dist.value], "uniform": [dist.low, dist.high], "triangular": [dist.low, dist.high],
        "bernoulli": [0.0, 1.0], "discrete": list(dist.values)}
    return [v for v in support[dist.kind] if v is not None]  # none is: Distribution validates its kind's parameters


def _uncertainty_problems(data: dict, source: Source) -> list[Problem]:
    """Distributions whose values an input cannot take, and overrides naming items that do not exist."""
    section = data.get("uncertainty")
    if not isinstance(section, dict):
        return []
    items, groups = _uncertain_items_by_kind(data)
    here = source.file_of("uncertainty")
    problems = []
    for key, spec in section.items():
        if key not in UNCERTAIN_INPUTS or not isinstance(spec, dict):
            continue  # unknown keys and wrong types are reported by the field pass
        low, high, whole, _, kinds = UNCERTAIN_INPUTS[key]
        known_items = set().union(*(items.get(k, set()) for k in kinds))
        known_groups = set().union(*(groups.get(k, set()) for k in kinds))
        entries = [("default", spec.get("default"))]
        for part in ("by_group", "by_item"):
            entries += [(f"{part}.{k}", v) for k, v in (spec.get(part) or {}).items()] \
                if isinstance(spec.get(part), dict) else []
        for where, raw in entries:
            if raw is None:
                continue
            part, _, label = where.partition(".")
            if part == "by_item" and label not in known_items:
                problems.append(Problem(here, "uncertainty", key, where, label,
                                        f"no {'/'.join(kinds)} has this name", _suggest(label, known_items)))
            if part == "by_group" and label not in known_groups:
                problems.append(Problem(here, "uncertainty", key, where, label, f"no {key} item is in this group",
                                        "one of: " + ", ".join(sorted(known_groups))))
            try:
                dist = Distribution.model_validate(raw)
            except ValidationError:
                continue  # reported by the field pass
            for value in _support(dist):
                if (low is not None and value < low) or (high is not None and value > high) or \
                        (whole and float(value) != int(value)):
                    span = f"[{low}, {'inf' if high is None else high}]" + (" whole numbers" if whole else "")
                    problems.append(Problem(here, "uncertainty", key, where, value,
                                            f"outside what {key} can take", f"values in {span}"))
                    break
    return problems


_KIND_ENTITY = {"site": ("sites", "plants"), "connection": ("power_connections", "power"),
                "power_expansion": ("power_expansions", "power"), "link_upgrade": ("link_upgrades", "logistics"),
                "deposit_expansion": ("deposit_expansions", "mining"), "programme": ("rd_programmes", "rd"),
                "deposit": ("deposits", "mining"), "source": ("power_sources", "power"), "link": ("links", None)}


def _uncertain_items_by_kind(data: dict) -> tuple[dict[str, set], dict[str, set]]:
    """Item names and groups (area, or mode for links) of each kind of uncertain item."""
    items, groups = {}, {}
    for kind, (entity, group) in _KIND_ENTITY.items():
        rows = [row for _, row in _rows(data, entity)]
        items[kind] = {_name(row.get("name")) for row in rows} - {None}
        groups[kind] = {group} if group else {str(row.get("mode")) for row in rows}
    return items, groups


def _suggest(name: str, known: set) -> str:
    close = difflib.get_close_matches(name, [k for k in known if k], n=1)
    return f"did you mean {close[0]!r}?" if close else "use the name of a site, project, deposit, source or link"
