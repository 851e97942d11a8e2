"""Write the exact model (as reeplan would solve it, stage 1) as MPS or LP for any other solver."""

from __future__ import annotations

from pathlib import Path

from reeplan.errors import UsageError
from reeplan.instance.schema import Instance
from reeplan.models.components.objective import stage1_only
from reeplan.models.investment import build_model


def export_model(instance: Instance, path: str | Path, objective: str = "max-hpo") -> Path:
    """Write the stage-1 model to ``path``; the format follows the suffix (.mps or .lp)."""
    path = Path(path)
    if path.suffix.lower() not in {".mps", ".lp"}:
        raise UsageError(f"cannot tell the format of {path}: use a .mps or .lp file name")
    m = build_model(instance, objective)
    stage1_only(m)  # the file is exactly the stage-1 model
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}-partial{path.suffix}")
    m.write(str(tmp), format=path.suffix.lower()[1:], io_options={"symbolic_solver_labels": True})
    tmp.replace(path)
    return path
