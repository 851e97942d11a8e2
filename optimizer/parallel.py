"""Run independent chunks of work in spawned local processes or on a Dask cluster (sweeps, stress tests).

Local workers never outlive the process that started them, SIGKILL included: each worker's first act
(``die_with_parent``, the pool's initializer) asks Linux to SIGKILL it when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); where that is unavailable a daemon thread polls ``os.getppid()`` and ends
the worker once it has been orphaned. With the workers gone, multiprocessing's resource tracker (a child
of the parent too) sees its pipe close and exits by itself.

``work_limit`` reads a bound on how much work one command may ask for (sweep points, generated sizes):
a default, or a positive integer from an environment variable.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from reeplan.errors import UsageError

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def work_limit(env: str, default: int) -> int:
    """``$env`` as a positive integer if set (UsageError if it is not one), else ``default``."""
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{env}={text!r}: give a whole number of at least 1 (or unset it for {default:,})")
    return value


def _set_pdeathsig() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)  # orphaned: nobody would collect what this worker does


def die_with_parent(parent_pid: int, interval: float = 0.5) -> None:
    """End this process when ``parent_pid`` (its parent) dies: the kernel's parent-death signal, or a watchdog
    thread polling ``os.getppid()`` every ``interval`` seconds. A parent already gone ends it at once."""
    armed = _set_pdeathsig()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed (or before we started)
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid, interval), name="reeplan-parent-watch",
                         daemon=True).start()


def map_chunks(fn: Callable[[Any], Any], chunks: list, collect: Callable[[Any], None], *, workers: int = 2,
               scheduler: str | None = None, poll: Callable[[], None] | None = None) -> None:
    """Call ``fn(chunk)`` for every chunk (``fn`` must be picklable) and ``collect`` each result as it finishes.

    ``scheduler``: a Dask scheduler address (else ``workers`` spawned processes); ``poll``: called
    about twice a second while local workers run (to report progress they write elsewhere)."""
    if scheduler is not None:
        _map_dask(fn, chunks, collect, scheduler)
        return

    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(chunks))), mp_context=mp.get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(fn, chunk) for chunk in chunks}
        while futures:
            finished, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in finished:
                collect(fut.result())
            if poll is not None and futures:
                poll()


def _map_dask(fn: Callable[[Any], Any], chunks: list, collect: Callable[[Any], None], address: str) -> None:
    try:
        from distributed import Client  # defers distributed
        from distributed import as_completed as dask_completed  # defers distributed
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'reeplan[dask]'") from None
    try:
        client = Client(address, timeout=10)
    except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address at all ("::::")
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = [client.submit(fn, chunk, pure=False) for chunk in chunks]
        for fut in dask_completed(futures):
            collect(fut.result())
    finally:
        client.close()
