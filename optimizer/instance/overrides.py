"""``--set dotted.path=value`` overrides on raw instance data, before validation.

Paths walk mappings by key and entity lists by row ``name`` (or 0-based index), e.g.
``budget.total_bn_rub=500``, ``policy.plants_online.enabled=false``,
``sites.Ust-Ilimsk.capex_bn_rub_per_module=9``.
"""

from __future__ import annotations

import copy
import difflib

import yaml

from optimizer.errors import InstanceError, Problem
from optimizer.instance.io import Source

OVERRIDE_FILE = "--set"


def parse_override(text: str) -> tuple[str, object]:
    """Split ``path=value`` and parse the value as a YAML scalar."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise InstanceError([Problem(OVERRIDE_FILE, "", "", text, text, "expected PATH=VALUE",
                                     "e.g. --set budget.total_bn_rub=500")])
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
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
                node[part] = value  # a new optional field; the schema will judge it
                break
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
