"""What a benchmark runs on: reeplan instances and MPS files, found in files and folders, with known optima."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reeplan.errors import UsageError

# Known optimal objectives (minimisation) of the MIPLIB 3 instances in benchmarks/miplib/.
KNOWN_OPTIMA = {"egout": 568.1007, "flugpl": 1201500.0, "rgn": 82.19999924}
OPTIMA_FILE = "optima.csv"  # file,objective next to .mps files adds or overrides known optima


@dataclass(frozen=True)
class BenchInstance:
    """One input: its name in the tables, its file or folder, ``kind`` "reeplan" or "mps"."""

    name: str
    path: Path
    kind: str  # "reeplan" or "mps"
    known_optimum: float | None = None


def _is_mps(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".mps") or name.endswith(".mps.gz")


def _mps_stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".mps", ".MPS"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _read_optima(folder: Path) -> dict[str, float]:
    """Known optima from ``folder/optima.csv`` (columns file,objective), by MPS file stem; {} without it."""
    import pandas as pd  # defers pandas

    table = folder / OPTIMA_FILE
    if not table.exists():
        return {}
    try:
        df = pd.read_csv(table)
        return {_mps_stem(Path(str(f))): float(v) for f, v in zip(df["file"], df["objective"])}
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot read {table}: {exc}; expected columns file,objective") from None


def collect_instances(paths: Sequence[str | Path]) -> list[BenchInstance]:
    """Expand files and folders: .mps(.gz) files, .yaml/.yml/.json instances, CSV-instance folders.

    A folder holding ``scalars.yaml`` is one instance; any other folder contributes its .mps and
    .yaml files and its CSV-instance sub-folders."""
    found: list[BenchInstance] = []

    def add(path: Path) -> None:
        if _is_mps(path):
            stem = _mps_stem(path)
            optima = {**KNOWN_OPTIMA, **_read_optima(path.parent)}
            found.append(BenchInstance(stem, path, "mps", optima.get(stem)))
        elif path.is_dir() and (path / "scalars.yaml").exists():
            found.append(BenchInstance(path.name, path, "reeplan"))
        elif path.suffix.lower() in (".yaml", ".yml", ".json") and path.name != "scalars.yaml":
            found.append(BenchInstance(path.stem, path, "reeplan"))

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        if path.is_dir() and not (path / "scalars.yaml").exists():
            before = len(found)
            for child in sorted(path.iterdir()):
                if child.is_file() or (child / "scalars.yaml").exists():
                    add(child)
            if len(found) == before:
                raise UsageError(f"{path} holds no .mps file, .yaml instance or CSV-instance folder")
        else:
            before = len(found)
            add(path)
            if len(found) == before:
                raise UsageError(f"cannot benchmark {path}: give a .mps file, a .yaml instance or a CSV folder")
    names: dict[str, int] = {}
    unique = []
    for inst in found:  # two inputs with one name: keep both, tell them apart
        n = names.get(inst.name, 0)
        names[inst.name] = n + 1
        unique.append(inst if n == 0 else BenchInstance(f"{inst.name}~{n + 1}", inst.path, inst.kind,
                                                        inst.known_optimum))
    return unique
