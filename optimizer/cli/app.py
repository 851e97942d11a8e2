"""The ``reeplan`` command line: each command parses options, calls one API function, renders, exits.

Exit codes: 0 ok (a plan, possibly time-limited), 1 internal error, 2 usage error,
3 invalid instance, 4 infeasible (diagnosis printed), 5 no plan within the limits.
"""

from __future__ import annotations

import os
import sys

import typer
from reeplan.cli import adapt, batch, bench, compare, runs, solve, uncertainty
from reeplan.cli.console import err_console
from reeplan.errors import InfeasibleError, ReeplanError
from reeplan.text import shown

try:  # typer >= 0.20 vendors click; older typer uses click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException  # type: ignore[assignment]  # the other class of that name

app = typer.Typer(help="reeplan: split a capital budget across plant sites, hydro power, logistics and R&D "
                       "to get the most high-purity rare-earth oxide.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
for _module in (solve, compare, batch, bench, runs, uncertainty, adapt):  # the order of ``reeplan --help``
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn reeplan errors into a message and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("REEPLAN_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    try:
        app(args=args, standalone_mode=False)
    except ReeplanError as exc:
        err_console.print(f"[bold red]error:[/] {shown(exc)}", soft_wrap=True)
        if isinstance(exc, InfeasibleError):
            err_console.print("[red]infeasible:[/] the diagnosis above names the rules that must give")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except ClickException as exc:  # usage errors: bad option, missing argument, no such file
        exc.show(file=sys.stderr)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a path that cannot be created, read or written (under a file, a folder, too long)
        err_console.print(f"[bold red]error:[/] {shown(exc)}", soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug: short message, traceback only under --debug
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {exc.__class__.__name__}: {shown(exc)} "
                          "(run with --debug for the traceback, and please report it)", soft_wrap=True)
        sys.exit(1)
