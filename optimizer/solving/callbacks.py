"""Live progress of a long HiGHS solve, and Ctrl-C that stops the solve but keeps the best plan found.

``attach_progress(highs, on_update)`` subscribes to highspy's MIP callbacks (``cbMipImprovingSolution``
for every new incumbent, ``cbMipInterrupt`` / ``cbMipLogging`` for periodic progress) and calls
``on_update(dict)`` with ``elapsed`` (s, HiGHS's clock of the current run), ``incumbent`` and ``bound``
(objective units, None until known), ``gap`` (relative, None until both are known), ``nodes`` and
``event`` ("incumbent" or "progress"). Periodic updates are throttled to ``min_interval`` seconds.

``interrupt_on_sigint(highs)``: while active, the first Ctrl-C asks HiGHS to stop at its next callback
(the model status becomes ``kInterrupt`` and the incumbent is kept, like a time limit); a second Ctrl-C
quits at once (exit status 130).

``reeplan.cli.progress.ProgressLine`` renders the updates on the terminal.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reeplan.numbers import finite_or_none as _finite


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
        """Unsubscribe from every HiGHS callback this handle subscribed to."""
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

    For a ``reeplan.solving.highs.HighsModel`` ``hm``, ``highs`` is ``hm.highs``. Exceptions raised by
    ``on_update`` are kept in ``handle.error`` and stop further updates; they never propagate into HiGHS."""
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
    """Whether Ctrl-C asked the solve to stop, and when."""

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
