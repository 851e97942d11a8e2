"""The instance schema documents every field: a description and a unit."""

from __future__ import annotations

from optimizer.instance.schema_json import instance_schema


def _properties(node, path=""):
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")


def test_every_field_has_description_and_unit():
    missing = [p for p, v in _properties(instance_schema()) if "description" not in v or "unit" not in v]
    assert missing == []
