"""CLI commands for 'bench' (registered on the main app by optimizer/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the reeplan app."""
