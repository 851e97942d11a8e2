"""The instance schema documents every field: a description and a unit."""

from __future__ import annotations

from reeplan.instance.schema_json import instance_schema


def _properties(node, path=""):
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")


def test_every_field_has_description_and_unit():
    missing = [p for p, v in _properties(instance_schema()) if "description" not in v or "unit" not in v]
    assert missing == []


def test_public_api_names_are_the_functions():
    """``from reeplan import solve`` must give the function even after its module was imported."""
    import reeplan.solving.diagnose  # noqa: F401 - imports that used to shadow the names
    import reeplan.solving.pipeline  # noqa: F401
    from reeplan import diagnose, load_instance, solve

    assert callable(solve) and solve.__name__ == "solve"
    assert callable(diagnose) and diagnose.__name__ == "diagnose"
    assert load_instance.__name__ == "load_instance"
