"""Read and write instances: one YAML file, or a folder of CSV tables plus ``scalars.yaml``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import yaml
from reeplan.errors import InstanceError, Problem
from reeplan.instance.overrides import apply_overrides
from reeplan.instance.safe_yaml import read_text_file, read_yaml_file
from reeplan.instance.schema import ENTITY_TABLES, SCALAR_SECTIONS, Instance
from reeplan.instance.source import SCALARS_FILE, Source
from reeplan.instance.validate import validate_raw

LIST_SEPARATOR = ";"  # for list cells in CSV (R&D prerequisites)
LIST_FIELDS = {"prerequisites"}
MAP_FIELDS = {"capex_remaining_bn_rub"}  # year:value pairs in CSV cells, e.g. "2025:3.5;2026:3.5"
YAML_SUFFIXES = {".yaml", ".yml", ".json"}


def _problem(source_path: Path, message: str, hint: str = "", value: object = None) -> InstanceError:
    return InstanceError([Problem(str(source_path), "", "", "", value, message, hint)])


def _read_yaml_mapping(path: Path) -> dict:
    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise _problem(path, "expected a mapping of sections (name, horizon, budget, ...)",
                       "see `reeplan schema`", type(data).__name__)
    return data


def _read_csv_table(path: Path, problems: list[Problem]) -> list[dict]:
    """The rows of one CSV table as raw cells; a row with more cells than the header, or a header naming
    a column twice, adds a Problem (line and cells named) to ``problems``."""
    text = read_text_file(path)  # regular file, size bounded, UTF-8 with the BOM Excel writes dropped
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    for column in sorted({h for h in header if h and header.count(h) > 1}):
        problems.append(Problem(str(path), path.stem, "line 1", column, column, "column named twice in the header",
                                "each field has one column"))
    rows = []
    for cells in reader:
        if not cells:
            continue  # a blank line
        if len(cells) > len(header):
            extra = cells[len(header):]
            name = cells[header.index("name")].strip() if "name" in header else ""
            problems.append(Problem(
                str(path), path.stem, f"line {reader.line_num}" + (f" {name!r}" if name else ""), "", extra,
                f"{len(extra)} more cell{'s' if len(extra) != 1 else ''} than the header has columns ({len(header)})",
                "remove the extra cells, or quote a cell that contains a comma"))
        clean: dict = {}
        for key, cell in zip(header, cells):
            if cell.strip() == "":
                continue  # empty cell: field default applies
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
    """Read an instance file or folder into plain data, without validating it.

    Files are read through ``reeplan.instance.safe_yaml``: regular files only, size bounded, the strict
    YAML loader (no aliases, no repeated keys, YAML 1.2-agreeing numbers)."""
    path = Path(path)
    if not path.exists():
        raise _problem(path, "no such file or folder", "give a .yaml instance or a folder of CSV tables")
    if path.is_dir():
        scalars = path / SCALARS_FILE
        if not scalars.exists():
            hint = (f"{path.name} is a folder; a CSV instance is {SCALARS_FILE} plus one CSV per entity"
                    if path.suffix.lower() in YAML_SUFFIXES else f"a CSV instance is {SCALARS_FILE} plus one CSV per entity")
            raise _problem(path, f"folder has no {SCALARS_FILE}", hint)
        data = _read_yaml_mapping(scalars)
        problems: list[Problem] = []
        for entity in ENTITY_TABLES:
            table = path / f"{entity}.csv"
            if table.exists() or table.is_symlink():
                try:
                    data[entity] = _read_csv_table(table, problems)
                except csv.Error as exc:
                    problems.append(Problem(str(table), "", "", "", None, f"cannot read CSV: {exc}"))
                except InstanceError as exc:
                    problems += exc.problems
        if problems:
            raise InstanceError(problems)
        return data, Source(path, "csv")
    if path.suffix.lower() not in YAML_SUFFIXES:
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
    path.write_text(yaml_text(instance), encoding="utf-8")
    return path


def yaml_text(instance: Instance) -> str:
    """The instance as the text of one YAML file."""
    return _dump(instance.model_dump(mode="json"))


class _PlainDumper(yaml.SafeDumper):
    """safe_dump without anchors or aliases (the loader refuses them), should a list appear twice."""

    def ignore_aliases(self, data) -> bool:
        return True


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def write_csv_folder(instance: Instance, folder: str | Path) -> Path:
    """Write an instance as ``scalars.yaml`` plus one CSV per entity table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in csv_folder_files(instance):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def csv_folder_files(instance: Instance) -> list[tuple[str, str]]:
    """(file name, text) of the CSV-folder form: ``scalars.yaml`` plus one CSV per entity table."""
    data = instance.model_dump(mode="json")
    files = [(SCALARS_FILE, _dump({k: data[k] for k in SCALAR_SECTIONS if k in data}))]
    for entity, model in ENTITY_TABLES.items():
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(model.model_fields))
        writer.writeheader()
        for row in data[entity]:
            writer.writerow({k: LIST_SEPARATOR.join(v) if isinstance(v, list) else
                             LIST_SEPARATOR.join(f"{y}:{x}" for y, x in v.items()) if isinstance(v, dict) else
                             ("" if v is None else v) for k, v in row.items()})
        files.append((f"{entity}.csv", buffer.getvalue()))
    return files
