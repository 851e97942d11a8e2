"""``--set dotted.path=value`` overrides on raw instance data, before validation.

Paths walk mappings by key and entity lists by row ``name`` (or 0-based index), e.g.
``budget.total_bn_rub=500``, ``policy.plants_online.enabled=false``,
``sites.Ust-Ilimsk.capex_bn_rub_per_module=9``.
"""

from __future__ import annotations

import copy
import difflib
import typing

import yaml
from pydantic import BaseModel
from reeplan.errors import InstanceError, Problem
from reeplan.instance.safe_yaml import RefusedYamlError, load_yaml
from reeplan.instance.schema import Instance
from reeplan.instance.source import Source

OVERRIDE_FILE = "--set"


def parse_override(text: str) -> tuple[str, object]:
    """Split ``path=value`` and parse the value with the instance files' YAML loader
    (``reeplan.instance.safe_yaml``: ``1:30`` stays text, ``true`` is a boolean). Text that is not
    YAML at all is kept as text; what that loader refuses (an alias, a repeated key) is an error."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise InstanceError([Problem(OVERRIDE_FILE, "", "", text, text, "expected PATH=VALUE",
                                     "e.g. --set budget.total_bn_rub=500")])
    try:
        parsed = load_yaml(value) if value.strip() else None
    except RefusedYamlError as exc:
        raise InstanceError([Problem(OVERRIDE_FILE, "", "", path.strip(), value, str(exc.problem),
                                     "give a plain value, e.g. --set budget.total_bn_rub=500")]) from None
    except yaml.YAMLError:
        parsed = value
    return path.strip(), parsed


def _step(node: object, key: str) -> tuple[object, object] | None:
    """The container key for ``key`` in ``node`` (dict key, or list index by name/number)."""
    if isinstance(node, dict):
        for k in node:
            if str(k) == key:
                return k, node[k]
        return None
    if isinstance(node, list):
        for i, row in enumerate(node):
            if isinstance(row, dict) and str(row.get("name")) == key:
                return i, row
        if key.isdigit() and int(key) < len(node):
            return int(key), node[int(key)]
    return None


def _choices(node: object) -> list[str]:
    if isinstance(node, dict):
        return [str(k) for k in node]
    if isinstance(node, list):
        return [str(r.get("name")) for r in node if isinstance(r, dict)]
    return []


def _schema_fields(parts: list[str]) -> list[str] | None:
    """Field names the schema allows under a dotted path (None when not a fixed-schema section)."""
    model: type[BaseModel] = Instance
    expect_row = False
    for part in parts:
        if expect_row:
            expect_row = False
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        inner = _model_in(info.annotation)
        if inner is None:
            return None
        expect_row = typing.get_origin(info.annotation) is list
        model = inner
    return None if expect_row else list(model.model_fields)


def _is_section(parts: list[str]) -> bool:
    """Whether the dotted path names an optional section (a pydantic model, not a table) of the schema."""
    known = _schema_fields(parts[:-1])
    if known is None or parts[-1] not in known:
        return False
    return _schema_fields(parts) is not None


def _model_in(annotation) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``X``, ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def apply_overrides(data: dict, overrides: list[str] | dict, source: Source | None = None) -> dict:
    """Return a copy of ``data`` with every override applied; raise InstanceError listing bad ones."""
    data = copy.deepcopy(data)
    items = list(overrides.items()) if isinstance(overrides, dict) else [parse_override(o) for o in overrides]
    problems = []
    for path, value in items:
        parts = path.split(".")
        node: object = data
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            found = _step(node, part)
            if found is None and last and isinstance(node, dict):
                known = _schema_fields(parts[:-1])
                if known is not None and part not in known:
                    close = difflib.get_close_matches(part, known, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"known here: {', '.join(known)}"
                    problems.append(Problem(OVERRIDE_FILE, parts[0], "", path, value, f"no field {part!r} here", hint))
                else:
                    node[part] = value  # an optional field absent from the file
                break
            if found is None and not last and isinstance(node, dict) and _is_section(parts[:depth + 1]):
                node[part] = {}  # an optional section absent from the file, e.g. policy.hpo_output
                found = (part, node[part])
            if found is None:
                close = difflib.get_close_matches(part, _choices(node), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known here: {', '.join(_choices(node)[:12]) or 'nothing'}"
                problems.append(Problem(OVERRIDE_FILE, parts[0], "", path, value, f"no {part!r} at this path", hint))
                break
            key, child = found
            if last:
                if isinstance(child, (dict, list)):
                    problems.append(Problem(OVERRIDE_FILE, parts[0], "", path, value,
                                            "path names a section, not a scalar", "add the field name"))
                else:
                    node[key] = value  # type: ignore[index]
            node = child
    if problems:
        raise InstanceError(problems)
    return data
