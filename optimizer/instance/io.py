"""Read and write instances: one YAML file, or a folder of CSV tables plus ``scalars.yaml``."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import yaml
from reeplan.errors import InstanceError, Problem
from reeplan.instance.overrides import apply_overrides
from reeplan.instance.schema import ENTITY_TABLES, SCALAR_SECTIONS, Instance
from reeplan.instance.source import SCALARS_FILE, Source
from reeplan.instance.validate import validate_raw

LIST_SEPARATOR = ";"  # for list cells in CSV (R&D prerequisites)
LIST_FIELDS = {"prerequisites"}
MAP_FIELDS = {"capex_remaining_bn_rub"}  # year:value pairs in CSV cells, e.g. "2025:3.5;2026:3.5"


def _problem(source_path: Path, message: str, hint: str = "", value: object = None) -> InstanceError:
    return InstanceError([Problem(str(source_path), "", "", "", value, message, hint)])


def _read_yaml_mapping(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(path, f"cannot read file: {exc.__class__.__name__}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise _problem(path, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                       "check indentation and quoting") from None
    if not isinstance(data, dict):
        raise _problem(path, "expected a mapping of sections (name, horizon, budget, ...)",
                       "see `reeplan schema`", type(data).__name__)
    return data


def _read_csv_table(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = []
        for row in csv.DictReader(fh):
            clean: dict = {}
            for key, cell in row.items():
                if key is None or cell is None or cell.strip() == "":
                    continue  # empty cell: field default applies
                key = key.strip()
                cell = cell.strip()
                if key in LIST_FIELDS:
                    clean[key] = [c.strip() for c in cell.split(LIST_SEPARATOR) if c.strip()]
                elif key in MAP_FIELDS:
                    # a malformed pair is kept as text so that validation names the cell
                    pairs = [c.split(":", 1) for c in cell.split(LIST_SEPARATOR) if c.strip()]
                    clean[key] = {k.strip(): v.strip() for k, v in pairs} if all(len(p) == 2 for p in pairs) else cell
                else:
                    clean[key] = cell
            rows.append(clean)
        return rows


def read_raw(path: str | Path) -> tuple[dict, Source]:
    """Read an instance file or folder into plain data, without validating it."""
    path = Path(path)
    if not path.exists():
        raise _problem(path, "no such file or folder", "give a .yaml instance or a folder of CSV tables")
    if path.is_dir():
        scalars = path / SCALARS_FILE
        if not scalars.exists():
            raise _problem(path, f"folder has no {SCALARS_FILE}",
                           f"a CSV instance is {SCALARS_FILE} plus one CSV per entity")
        data = _read_yaml_mapping(scalars)
        for entity in ENTITY_TABLES:
            table = path / f"{entity}.csv"
            if table.exists():
                try:
                    data[entity] = _read_csv_table(table)
                except (OSError, UnicodeDecodeError, csv.Error) as exc:
                    raise _problem(table, f"cannot read CSV: {exc}") from None
        return data, Source(path, "csv")
    if path.suffix.lower() not in {".yaml", ".yml", ".json"}:
        raise _problem(path, "unknown instance file type", "use .yaml/.yml/.json or a CSV folder", path.suffix)
    return _read_yaml_mapping(path), Source(path, "yaml")


def load_instance(path: str | Path, overrides: list[str] | dict | None = None) -> Instance:
    """Load, apply ``--set`` overrides, validate and return an ``Instance`` (or raise InstanceError)."""

    data, source = read_raw(path)
    if overrides:
        data = apply_overrides(data, overrides, source)
    return validate_raw(data, source)


def instance_sha256(instance: Instance) -> str:
    """Content hash of the validated instance (canonical JSON), independent of file format."""
    canonical = json.dumps(instance.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_yaml(instance: Instance, path: str | Path) -> Path:
    """Write an instance as one YAML file."""
    path = Path(path)
    path.write_text(yaml.safe_dump(instance.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
    return path


def write_csv_folder(instance: Instance, folder: str | Path) -> Path:
    """Write an instance as ``scalars.yaml`` plus one CSV per entity table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = instance.model_dump(mode="json")
    scalars = {k: data[k] for k in SCALAR_SECTIONS if k in data}
    (folder / SCALARS_FILE).write_text(yaml.safe_dump(scalars, sort_keys=False, allow_unicode=True))
    for entity, model in ENTITY_TABLES.items():
        columns = list(model.model_fields)
        with (folder / f"{entity}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in data[entity]:
                writer.writerow({k: LIST_SEPARATOR.join(v) if isinstance(v, list) else
                                 LIST_SEPARATOR.join(f"{y}:{x}" for y, x in v.items()) if isinstance(v, dict) else
                                 ("" if v is None else v) for k, v in row.items()})
    return folder
