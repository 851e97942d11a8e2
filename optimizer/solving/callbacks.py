"""Live progress of a long HiGHS solve, and Ctrl-C that stops the solve but keeps the best plan found.

``attach_progress(highs, on_update)`` subscribes to highspy's MIP callbacks (``cbMipImprovingSolution``
for every new incumbent, ``cbMipInterrupt`` / ``cbMipLogging`` for periodic progress) and calls
``on_update(dict)`` with ``elapsed`` (s, HiGHS's clock of the current run), ``incumbent`` and ``bound``
(objective units, None until known), ``gap`` (relative, None until both are known), ``nodes`` and
``event`` ("incumbent" or "progress"). Periodic updates are throttled to ``min_interval`` seconds.

``interrupt_on_sigint(highs)``: while active, the first Ctrl-C asks HiGHS to stop at its next callback
(the model status becomes ``kInterrupt`` and the incumbent is kept, like a time limit); a second Ctrl-C
quits at once (exit status 130).

``ProgressLine`` renders the updates as one live line on the terminal (rich), after ``delay`` seconds,
and only when stderr is a terminal. It writes to a duplicate of the original stderr descriptor, so it
stays visible while Pyomo captures the solver's output (``capture_output(capture_fd=True)``).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.text import Text


def _finite(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _snapshot(event, kind: str) -> dict:
    d = event.data_out
    incumbent, bound = _finite(d.mip_primal_bound), _finite(d.mip_dual_bound)
    gap = _finite(d.mip_gap) if incumbent is not None and bound is not None else None
    return {"event": kind, "elapsed": float(d.running_time), "incumbent": incumbent, "bound": bound, "gap": gap,
            "nodes": int(d.mip_node_count)}


@dataclass
class ProgressHandle:
    """What ``attach_progress`` subscribed; ``detach()`` (or leaving the ``with`` block) removes it."""

    highs: object
    subscriptions: list = field(default_factory=list)
    last: dict | None = None
    error: BaseException | None = None  # the first exception raised by on_update (never passed into HiGHS)

    def detach(self) -> None:
        for callback_event, fn in self.subscriptions:
            try:
                callback_event.unsubscribe(fn)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.subscriptions.clear()

    def __enter__(self) -> ProgressHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.detach()


def attach_progress(highs, on_update: Callable[[dict], None], *, min_interval: float = 0.25) -> ProgressHandle:
    """Call ``on_update`` with incumbent, bound, gap and elapsed time while ``highs`` (a ``highspy.Highs``) solves a MIP.

    For Pyomo's persistent interface ``opt``, ``highs`` is ``opt._solver_model`` (it exists after
    ``opt.set_instance(model)``). Exceptions raised by ``on_update`` are kept in ``handle.error`` and
    stop further updates; they never propagate into HiGHS."""
    handle = ProgressHandle(highs)
    last_emit = [-math.inf]
    lock = threading.Lock()

    def emit(event, kind: str, force: bool) -> None:
        if handle.error is not None:
            return
        now = time.monotonic()
        with lock:
            if not force and now - last_emit[0] < min_interval:
                return
            last_emit[0] = now
        try:
            update = _snapshot(event, kind)
            handle.last = update
            on_update(update)
        except Exception as exc:  # noqa: BLE001 - a renderer bug must not kill the solve
            handle.error = exc

    def on_improving(event) -> None:
        emit(event, "incumbent", True)

    def on_tick(event) -> None:
        emit(event, "progress", False)

    for callback_event, fn in ((highs.cbMipImprovingSolution, on_improving), (highs.cbMipInterrupt, on_tick),
                               (highs.cbMipLogging, on_tick)):
        callback_event.subscribe(fn)
        handle.subscriptions.append((callback_event, fn))
    return handle


@dataclass
class InterruptState:
    requested: bool = False  # Ctrl-C pressed: HiGHS stops at its next interrupt callback
    at: float | None = None  # time.monotonic() of the request
    presses: int = 0


@contextmanager
def interrupt_on_sigint(highs, on_request: Callable[[], None] | None = None,
                        hard_exit: Callable[[], None] | None = None) -> Iterator[InterruptState]:
    """First Ctrl-C: stop HiGHS at its next callback and keep its incumbent; second: quit at once (exit 130).

    While HiGHS runs, the main thread is inside C++ and Python signal handlers only run when HiGHS calls
    back into Python. So the presses are counted by a watchdog thread reading ``signal.set_wakeup_fd``
    (written by the C-level handler immediately); the interrupt itself is raised from the simplex, IPM
    and MIP interrupt callbacks. ``hard_exit`` (default ``os._exit(130)``) is what the second press does.
    No-op off the main thread."""
    state = InterruptState()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def check(event) -> None:
        if state.requested:
            event.interrupt()

    def press() -> None:
        state.presses += 1
        if state.presses == 1:
            state.requested, state.at = True, time.monotonic()
            if on_request is not None:
                try:
                    on_request()
                except Exception:  # noqa: BLE001 - cosmetic only
                    pass
        elif state.presses == 2:
            if err_fd is not None:  # the real stderr: Pyomo may be capturing descriptor 2 meanwhile
                try:
                    os.write(err_fd, b"\ninterrupted twice: quitting without the plan\n")
                except OSError:
                    pass
            (hard_exit or (lambda: os._exit(130)))()

    try:
        err_fd = os.dup(2)
    except OSError:
        err_fd = None
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:
                return
            for byte in data:
                if byte == signal.SIGINT and not stop.is_set():
                    press()

    subscriptions = [(cb, check) for cb in (highs.cbMipInterrupt, highs.cbSimplexInterrupt, highs.cbIpmInterrupt)]
    for cb, fn in subscriptions:
        cb.subscribe(fn)
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)  # counted by the watchdog instead
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watchdog = threading.Thread(target=watch, name="reeplan-sigint", daemon=True)
    watchdog.start()
    try:
        yield state
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGINT, previous)
        stop.set()
        try:
            os.write(write_fd, b"\0")
        except OSError:
            pass
        watchdog.join(timeout=1.0)
        for fd in (write_fd, read_fd, err_fd):
            if fd is not None:
                os.close(fd)
        for cb, fn in subscriptions:
            try:
                cb.unsubscribe(fn)
            except Exception:  # noqa: BLE001
                pass


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


def _num(x: float | None, unit: str = "") -> str:
    if x is None:
        return "–"
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"
    return f"{text} {unit}".rstrip()


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
        u = self.last or {}
        elapsed = time.monotonic() - self.start
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{self.stage} ", style="bold")
        line.append(f"{elapsed:.1f}s", style="cyan")
        line.append(f" · {self.label} {_num(u.get('incumbent'), self.unit)}")
        line.append(f" · bound {_num(u.get('bound'))}")
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
