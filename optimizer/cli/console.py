"""What every command shares: the two consoles and the common arguments."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from reeplan.options import OBJECTIVES
from rich.console import Console

out_console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, highlight=False)

# The objective choice of every command, built from THE list of objectives (reeplan.options).
# mypy reads an Enum's members only from literals, so here it knows the class but none of its members.
Objective = Enum("Objective", {name.replace("-", "_"): name for name in OBJECTIVES}, type=str)  # type: ignore[misc]

InstanceArg = Annotated[Path, typer.Argument(help="Instance: a .yaml file or a folder of CSV tables")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a scalar: dotted.path=value (repeatable)")]
