"""mkdocs hook: pages generated at build time, so they never drift from the code.

- ``cli.md``: the command-line reference, walked from the Typer app (every command, argument and option);
- ``tables.md``: the result-table reference, from the table contract (``reeplan.result.tables``).
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
API_SRC = ROOT / "build" / "docs-src"  # mkdocstrings' path: reeplan/ -> optimizer/ (the import name's folder)


def _link_sources() -> None:
    """The import name ``reeplan`` is the folder ``optimizer/`` (pyproject.toml): give griffe a folder of that name."""
    API_SRC.mkdir(parents=True, exist_ok=True)
    for name, target in (("reeplan", ROOT / "optimizer"),):
        link = API_SRC / name
        if not link.is_symlink():
            os.symlink(target, link, target_is_directory=True)


_link_sources()  # at load: before mkdocstrings reads its paths

# typer >= 0.20 vendors click: the objects are read by their attributes, not by click's classes


def _type_name(param) -> str:
    import enum
    import typing

    kind = getattr(param, "type", None)
    if kind is not None:  # click
        return ", ".join(map(str, kind.choices)) if getattr(kind, "choices", None) else str(kind.name).lower()
    annotation = param.type_descriptor.annotation  # typer's own parameters
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args:
        annotation = args[0] if typing.get_origin(annotation) is not list else annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(str(m.value) for m in annotation)
    if typing.get_origin(annotation) is list:
        inner = typing.get_args(annotation)[0]
        return f"list of {getattr(inner, '__name__', inner)}"
    return getattr(annotation, "__name__", str(annotation)).lower()


def _escape(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _command_md(name: str, cmd, depth: int) -> list[str]:
    lines = [f"{'#' * depth} `reeplan {name}`", ""]
    if cmd.help:
        lines += [cmd.help.strip().replace("\b", ""), ""]
    rows = []
    for p in cmd.params:
        if p.param_type_name == "argument":
            label = (p.metavar or p.name or "").upper()
            rows.append(f"| `{label}` (argument) | {_type_name(p)} | {'required' if p.required else ''} | "
                        f"{_escape(getattr(p, 'help', '') or '')} |")
        elif p.param_type_name == "option" and not p.hidden:
            opts = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            default = "" if p.default in (None, False, ()) or p.is_flag else f"`{p.default}`"
            rows.append(f"| {opts} | {'flag' if p.is_flag else _type_name(p)} | {_escape(default)} | "
                        f"{_escape(p.help or '')} |")
    if rows:
        lines += ["| argument or option | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    if hasattr(cmd, "commands"):
        for sub_name, sub in cmd.commands.items():
            lines += _command_md(f"{name} {sub_name}", sub, depth + 1)
    return lines


def cli_markdown() -> str:
    """The CLI reference as Markdown, from the Typer app."""
    import typer
    from reeplan.cli.app import app

    group = typer.main.get_command(app)
    lines = ["# Command line", "", "Generated from the Typer app (`reeplan.cli.app`) when the docs are built.", "",
             (group.help or "").strip(), "", "`reeplan --version` prints the version. Exit codes: 0 ok, 1 internal "
             "error, 2 usage error, 3 invalid instance, 4 infeasible, 5 no plan within the limits.", ""]
    for name, cmd in group.commands.items():
        lines += _command_md(name, cmd, 2)
    return "\n".join(lines) + "\n"


def on_files(files, config):
    """Add the generated pages."""
    from reeplan.result.tables import tables_markdown

    for name, text in (("cli.md", cli_markdown()), ("tables.md", tables_markdown() + "\n")):
        files.append(File.generated(config, name, content=text))
    return files
