"""What every command shares: the two consoles and the common arguments."""

from __future__ import annotations

import math
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from reeplan.options import OBJECTIVES
from reeplan.text import shown

if TYPE_CHECKING:
    import pandas as pd
from rich.console import Console
from rich.table import Table

# markup is ours (styles), never the user's: every name, path, value or message goes in through
# reeplan.text.shown(); emoji codes are off, so "300:100:50" never prints as "300💯50"
out_console = Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, highlight=False, emoji=False)

# The objective choice of every command, built from THE list of objectives (reeplan.options).
# mypy reads an Enum's members only from literals, so here it knows the class but none of its members.
Objective = Enum("Objective", {name.replace("-", "_"): name for name in OBJECTIVES}, type=str)  # type: ignore[misc]

InstanceArg = Annotated[Path, typer.Argument(help="Instance: a .yaml file or a folder of CSV tables")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a scalar: dotted.path=value (repeatable)")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Run store file [default: $REEPLAN_STORE or "
                                                               "./reeplan-runs.sqlite]")]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="Do not record solves in the run store")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Write into --out even if it is a folder reeplan did not write "
                                        "(files named like reeplan's are replaced; all others are kept)")]


def record_quietly(store, result, instance, command: str, label: str) -> None:
    """Record a run in the store; a store problem is a warning, never a failed command (the files are written)."""
    from reeplan.store.runs import StoreError, record_run  # defers pandas

    try:
        record_run(store, result, instance, command, label=label)
    except StoreError as exc:
        err_console.print(f"[yellow]not recorded in the run store: {shown(exc)}[/]")


def frame_table(df: pd.DataFrame, title: str, max_rows: int = 40) -> Table:
    """A pandas table as a rich table (the first ``max_rows`` rows; the caption says how many more).

    Column names and cells are data (shown as written); ``title`` is markup: escape user text in it."""
    table = Table(title=title)
    for col in df.columns:
        table.add_column(shown(col), overflow="fold")
    for _, row in df.head(max_rows).iterrows():
        table.add_row(*[_cell(v) for v in row])
    if len(df) > max_rows:
        table.caption = f"{len(df) - max_rows} more rows in the CSV"
    return table


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):  # fewer decimals as the value grows: a table of mixed sizes stays readable
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    return shown(v)
