"""Where raw instance data came from: the file and row labels every error message names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reeplan.instance.schema import ENTITY_TABLES

SCALARS_FILE = "scalars.yaml"  # the scalar sections of a CSV folder


@dataclass(frozen=True)
class Source:
    """Where raw instance data came from, to name files and rows in error messages."""

    path: Path
    kind: str  # "yaml" or "csv"

    def file_of(self, entity: str) -> str:
        """The file holding an entity (or a scalar section)."""
        if self.kind == "csv":
            name = f"{entity}.csv" if entity in ENTITY_TABLES else SCALARS_FILE
            return str(self.path / name)
        return str(self.path)

    def row_label(self, entity: str, index: int, raw_row: object) -> str:
        """A human label of one entity row: CSV line number or list position, plus its name."""
        name = raw_row.get("name") if isinstance(raw_row, dict) else None
        pos = f"line {index + 2}" if self.kind == "csv" else f"#{index + 1}"
        return f"{pos} {name!r}" if name else pos
