"""Python ``logging`` for reeplan: a rich handler on the terminal and a per-run log file written with the result.

Every module logs to ``logging.getLogger("reeplan...")``. ``setup_console_logging`` (called once by the CLI)
puts a ``rich.logging.RichHandler`` on stderr at WARNING (``REEPLAN_LOG_LEVEL=INFO`` or ``DEBUG`` for more);
``RunLog`` records everything (DEBUG and up) that one command logs, and its ``text()`` is written into
``--out`` as ``reeplan.log`` beside the result.
"""

from __future__ import annotations

import io
import logging
import os

LOGGER = "reeplan"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def get_logger(name: str = "") -> logging.Logger:
    """The reeplan logger (``name``: a child, e.g. ``"cli.solve"``)."""
    return logging.getLogger(f"{LOGGER}.{name}" if name else LOGGER)


def setup_console_logging(level: str | int | None = None) -> None:
    """One rich handler on stderr for reeplan's logger (idempotent); level from ``REEPLAN_LOG_LEVEL``, default WARNING."""
    logger = get_logger()
    if any(getattr(h, "_reeplan_console", False) for h in logger.handlers):
        return
    from rich.console import Console  # defers rich
    from rich.logging import RichHandler  # defers rich

    handler = RichHandler(console=Console(stderr=True, highlight=False, emoji=False), show_path=False,
                          markup=False, rich_tracebacks=False)
    handler._reeplan_console = True  # type: ignore[attr-defined]
    handler.setLevel(level or os.environ.get("REEPLAN_LOG_LEVEL", "WARNING").upper())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


class RunLog:
    """Collect what reeplan logs during one command (a context manager); ``text()`` is the log file's content."""

    def __init__(self, level: int = logging.DEBUG):
        self._buffer = io.StringIO()
        self._handler = logging.StreamHandler(self._buffer)
        self._handler.setFormatter(logging.Formatter(FORMAT))
        self._handler.setLevel(level)

    def __enter__(self) -> RunLog:
        logger = get_logger()
        logger.addHandler(self._handler)
        if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> None:
        get_logger().removeHandler(self._handler)

    def text(self) -> str:
        """Everything logged so far."""
        self._handler.flush()
        return self._buffer.getvalue()
