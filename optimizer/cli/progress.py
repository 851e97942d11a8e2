"""The live progress line of a long solve: stage, elapsed time, incumbent, bound, gap, nodes (rich).

It shows after ``delay`` seconds, and only when stderr is a terminal. It writes to a duplicate of the
original stderr descriptor, so it stays visible while Pyomo captures the solver's output
(``capture_output(capture_fd=True)``). Feed it from ``reeplan.solving.callbacks.attach_progress``.
"""

from __future__ import annotations

import math
import os
import sys
import time

from reeplan.numbers import adaptive
from rich.console import Console
from rich.live import Live
from rich.text import Text


def _terminal_console() -> Console | None:
    """A console on a duplicate of the real stderr descriptor, or None when stderr is not a terminal."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    if not os.isatty(fd):
        return None
    stream = os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")
    return Console(file=stream, force_terminal=True, highlight=False)


class ProgressLine:
    """One live terminal line: stage, elapsed time, incumbent, best bound, gap, nodes.

    Use as ``on_update`` of ``attach_progress``; ``close()`` (or leaving the ``with`` block) removes the
    line. Nothing is shown before ``delay`` seconds, nor when stderr is not a terminal (CI, pipes,
    ``--quiet``: pass ``enabled=False``)."""

    def __init__(self, *, console: Console | None = None, delay: float = 1.0, label: str = "HPO", unit: str = "t",
                 refresh: float = 0.1, enabled: bool = True):
        self._own_console = console is None
        self.console = (console if console is not None else _terminal_console()) if enabled else None
        self.delay, self.label, self.unit, self.refresh = delay, label, unit, refresh
        self.stage = "solving"
        self.start = time.monotonic()
        self.last: dict | None = None
        self.interrupted = False
        self._live: Live | None = None
        self._shown_at = -math.inf

    @property
    def enabled(self) -> bool:
        """Whether the line is drawn (a terminal, not disabled)."""
        return self.console is not None

    def set_stage(self, stage: str, label: str | None = None, unit: str | None = None) -> None:
        """E.g. ``set_stage("tie-break", "cost", "bn RUB")`` before the lexicographic second stage."""
        self.stage = stage
        self.label = label if label is not None else self.label
        self.unit = unit if unit is not None else self.unit
        self.last = None

    def mark_interrupted(self) -> None:
        """Called on Ctrl-C: the line says the solve is stopping with the best plan so far."""
        self.interrupted = True
        self._draw(force=True)

    def text(self) -> Text:
        """The line as it would be drawn now."""
        u = self.last or {}
        elapsed = time.monotonic() - self.start
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{self.stage} ", style="bold")
        line.append(f"{elapsed:.1f}s", style="cyan")
        line.append(f" · {self.label} {adaptive(u.get('incumbent'), self.unit)}")
        line.append(f" · bound {adaptive(u.get('bound'))}")
        gap = u.get("gap")
        line.append(" · gap ")
        line.append("–" if gap is None else f"{gap:.2%}", style="yellow" if gap else "green")
        if u.get("nodes"):
            line.append(f" · {u['nodes']:,} nodes")
        if self.interrupted:
            line.append(" · stopping, keeping the best plan (Ctrl-C again: quit)", style="bold yellow")
        else:
            line.append(" · Ctrl-C: stop, keep best plan", style="dim")
        return line

    def __call__(self, update: dict) -> None:
        """Take one update of ``attach_progress`` and redraw (throttled)."""
        self.last = update
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if self.console is None:
            return
        now = time.monotonic()
        if now - self.start < self.delay and not force:
            return
        if not force and now - self._shown_at < self.refresh:
            return
        self._shown_at = now
        if self._live is None:
            self._live = Live(self.text(), console=self.console, auto_refresh=False, transient=True,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        self._live.update(self.text(), refresh=True)

    def close(self) -> None:
        """Remove the line from the terminal."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._own_console and self.console is not None:
            try:
                self.console.file.close()
            except OSError:
                pass
            self.console = None

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
