"""The JSON Schema of the instance format (what ``reeplan schema`` prints)."""

from __future__ import annotations

from reeplan.instance.schema import Instance


def instance_schema() -> dict:
    """JSON Schema of a planning instance, every field with its unit and description."""
    schema = Instance.model_json_schema()
    schema["title"] = "reeplan planning instance"
    schema["$comment"] = ("Money in bn RUB, material in t REO (oxide content) per year, energy in GWh, time in years. "
                          "A CSV-folder instance holds the scalar sections in scalars.yaml and one <entity>.csv per list.")
    return schema
