"""What a sweep is: its points (parsed from --values, bounded), the parameters (checked before any solve),
and the instance content that travels to the workers (``InstanceData``: read once by the client)."""


from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reeplan.errors import InstanceError, UsageError
from reeplan.parallel import work_limit

if TYPE_CHECKING:
    from reeplan.instance.source import Source

POINTS_DIR = "points"
MAX_SWEEP_POINTS = 10_000  # points of one sweep (a grid counts as a whole); the environment variable overrides
SWEEP_POINTS_ENV = "REEPLAN_MAX_SWEEP_POINTS"
MAX_BISECTION_STEPS = 60  # halvings of threshold_budget's interval (2**-60 of it: far below any useful tolerance)


@dataclass(frozen=True)
class SweepPlan:
    """What to sweep: an instance, fixed overrides, and the parameter values of every point."""

    instance_path: str
    params: tuple[str, ...]
    points: tuple[tuple[float, ...], ...]
    base_overrides: tuple[str, ...] = ()
    objective: str = "max-hpo"
    time_limit: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = 1  # one thread per point: parallelism comes from workers
    reuse: bool = True
    extra: dict = field(default_factory=dict)

    def overrides_at(self, index: int) -> list[str]:
        """``--set`` strings of one point."""
        return [*self.base_overrides, *(f"{p}={_fmt(v)}" for p, v in zip(self.params, self.points[index]))]


@dataclass(frozen=True)
class InstanceData:
    """An instance file's content as the client read it (plain data, where it came from, a content hash):
    what a task carries to a worker, which applies a point's overrides and validates there, exactly as
    ``load_instance`` would from the file, without reading any file of its own."""

    data: dict
    source: Source  # names the file in error messages, never opened
    sha256: str

    @classmethod
    def read(cls, path: str | Path) -> InstanceData:
        """Read (not validate) an instance file or CSV folder; its errors are ``load_instance``'s."""
        from reeplan.instance.io import read_raw  # defers pydantic and yaml

        data, source = read_raw(path)
        text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return cls(data, source, hashlib.sha256(text.encode()).hexdigest())

    def load(self, overrides: list[str] | None = None):
        """The validated ``Instance`` with ``overrides`` applied (InstanceError as ``load_instance`` gives)."""
        from reeplan.instance.overrides import apply_overrides  # defers pydantic and yaml
        from reeplan.instance.validate import validate_raw  # defers pydantic

        data = apply_overrides(self.data, overrides, self.source) if overrides else copy.deepcopy(self.data)
        return validate_raw(data, self.source)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def max_sweep_points() -> int:
    """The most points one sweep may have: ``$REEPLAN_MAX_SWEEP_POINTS`` if set, else ``MAX_SWEEP_POINTS``."""
    return work_limit(SWEEP_POINTS_ENV, MAX_SWEEP_POINTS)


def _too_many(count: int, limit: int, what: str) -> UsageError:
    return UsageError(f"{what} would make {count:,} points, more than the limit of {limit:,} per sweep: use a larger "
                      f"STEP or a narrower range, or set {SWEEP_POINTS_ENV} to raise the limit")


def _bad_values(text: str) -> UsageError:
    return UsageError(f"bad --values {text!r}: use START:STOP:STEP (finite numbers, STEP > 0, START <= STOP) or a "
                      "comma list like 300,500,700")


def _range(text: str) -> tuple[float, float, float, int] | None:
    """(start, stop, step, number of points) of ``START:STOP:STEP``; None for a comma list. Builds nothing."""
    if ":" not in text:
        return None
    try:
        parts = [float(x) for x in text.split(":")]
    except ValueError:
        raise _bad_values(text) from None
    if len(parts) != 3 or not all(math.isfinite(x) for x in parts) or parts[2] <= 0 or parts[1] < parts[0]:
        raise _bad_values(text)
    start, stop, step = parts
    span = (stop - start) / step + 1e-9
    if not math.isfinite(span) or start + step == start:  # a step below the precision of START: no progress
        raise _bad_values(text)
    return start, stop, step, int(math.floor(span)) + 1


def _comma_values(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise _bad_values(text) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise _bad_values(text)
    return values


def parse_values(text: str, limit: int | None = None) -> list[float]:
    """``start:stop:step`` (inclusive, like numpy.arange with the stop added) or ``a,b,c``.

    More than ``limit`` points (default: ``max_sweep_points()``) is a UsageError saying how many it would be,
    raised before the list is built."""
    limit = max_sweep_points() if limit is None else limit
    found = _range(text)
    if found is None:
        count = sum(1 for x in text.split(",") if x.strip())
        if count > limit:
            raise _too_many(count, limit, f"--values {text[:40]!r}" + ("..." if len(text) > 40 else ""))
        return _within_range(_comma_values(text), text)
    start, _, step, n = found
    if n > limit:
        raise _too_many(n, limit, f"--values {text!r}")
    return _within_range([round(start + i * step, 10) for i in range(n)], text)


def value_bounds(text: str) -> tuple[float, float]:
    """The least and the greatest value of ``--values`` (for a bisection, which needs only the ends), without
    building the list: ``0:1e9:1`` is fine here."""
    found = _range(text)
    if found is not None:
        start, _, step, n = found
        low, high = start, (round(start + (n - 1) * step, 10) if n > 1 else start)
    else:
        values = _comma_values(text)
        low, high = min(values), max(values)
    _within_range([low, high], text)
    return low, high


MAX_PARAMETER_MAGNITUDE = 1e12  # above every field's range in the schema: a swept value beyond it is a typo


def _within_range(values: list[float], text: str) -> list[float]:
    if any(abs(v) > MAX_PARAMETER_MAGNITUDE for v in values):
        raise UsageError(f"--values {text[:40]!r}: a value beyond ±{MAX_PARAMETER_MAGNITUDE:.0e} is no instance "
                         "parameter (see the value ranges in the README's instance format)")
    return values


def make_plan(instance_path: str | Path, params: list[str], values: list[str], **kw) -> SweepPlan:
    """A sweep over one parameter or the grid of two (``values[i]`` belongs to ``params[i]``)."""
    if not params or len(params) != len(values):
        raise UsageError("give one --values per --param")
    if len(params) > 2:
        raise UsageError("at most two --param (a grid)")
    limit = max_sweep_points()
    grids = [parse_values(v, limit) for v in values]
    count = math.prod(len(g) for g in grids)
    if count > limit:
        raise _too_many(count, limit, "the grid " + " x ".join(f"{len(g):,}" for g in grids))
    points = tuple(itertools.product(*grids))
    return SweepPlan(str(instance_path), tuple(params), points, **kw)


def _lookup(data: object, parts: list[str]) -> tuple[bool, object]:
    """(found, value) of a dotted path in an instance's data (mappings by key, entity lists by name or index)."""
    node = data
    for part in parts:
        if isinstance(node, dict):
            match = [v for k, v in node.items() if str(k) == part]
        elif isinstance(node, list):
            match = [r for r in node if isinstance(r, dict) and str(r.get("name")) == part]
            if not match and part.isdigit() and int(part) < len(node):
                match = [node[int(part)]]
        else:
            match = []
        if not match:
            return False, None
        node = match[0]
    return True, node


def check_params(plan: SweepPlan, source: InstanceData | None = None) -> None:
    """Refuse (UsageError) a swept path that is not a numeric scalar of the instance, before any point is solved.

    Applies the first point's overrides once: a path the overrides cannot place (a typo, a section, an
    unknown row) is refused with the override's own hint; a path holding text or a switch is refused too. A
    value the instance rejects is not a bad path: that point fails and is recorded like any other."""
    from reeplan.instance.overrides import OVERRIDE_FILE  # defers pydantic and yaml

    read = InstanceData.read(plan.instance_path) if source is None else source
    base = read.load(list(plan.base_overrides))  # a bad file or --set: its own error
    try:
        first = read.load(plan.overrides_at(0))
    except InstanceError as exc:
        bad = [p for p in exc.problems if p.file == OVERRIDE_FILE and p.field in plan.params]
        if bad:
            raise UsageError("; ".join(f"--param {p.field}: {p.message}" + (f" ({p.hint})" if p.hint else "")
                                       for p in bad)) from None
        first = base  # the first value is rejected (its point will say why): judge the path on the instance as given
    data = first.model_dump(mode="python")
    for param in plan.params:
        allowed = _schema_types(type(first), param.split("."))
        found, value = _lookup(data, param.split("."))
        if allowed is not None:
            numeric = bool(allowed) and allowed <= {int, float}
            kind = "a switch (true/false)" if bool in allowed else " or ".join(sorted(t.__name__ for t in allowed))
        else:  # a path the schema does not fix (e.g. a free mapping): judge by the value found there
            numeric = not found or value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
            kind = "a switch (true/false)" if isinstance(value, bool) else type(value).__name__
        if not numeric:
            raise UsageError(f"--param {param} is not a numeric scalar of the instance: it holds {kind}; sweep a "
                             "number such as budget.total_bn_rub or sites.NAME.max_modules")


def _schema_types(model: type, parts: list[str]) -> set[type] | None:
    """The types (None left out) the schema allows at a dotted path; None where the schema does not say."""

    def flat(annotation) -> list:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return flat(typing.get_args(annotation)[0])
        if origin in (typing.Union, types.UnionType):
            return [leaf for arg in typing.get_args(annotation) for leaf in flat(arg)]
        return [annotation]

    def walk(annotation, rest: list[str]) -> set[type] | None:
        options = [a for a in flat(annotation) if a is not type(None)]
        if not rest:
            found = {typing.get_origin(a) or a for a in options}
            return found if all(isinstance(t, type) for t in found) else None
        for option in options:
            fields = getattr(option, "model_fields", None)
            if isinstance(option, type) and fields is not None:
                info = fields.get(rest[0])
                return None if info is None else walk(info.annotation, rest[1:])
            if typing.get_origin(option) is list:  # an entity table: the next part names a row
                return walk(typing.get_args(option)[0], rest[1:])
            if typing.get_origin(option) is dict:  # a mapping such as year -> cap: the next part is a key
                return walk(typing.get_args(option)[1], rest[1:])
        return None

    return walk(model, parts)
