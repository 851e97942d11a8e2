"""Run independent chunks of work in spawned local processes or on a Dask cluster (sweeps, stress tests)."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from reeplan.errors import UsageError


def map_chunks(fn: Callable[[Any], Any], chunks: list, collect: Callable[[Any], None], *, workers: int = 2,
               scheduler: str | None = None, poll: Callable[[], None] | None = None) -> None:
    """Call ``fn(chunk)`` for every chunk (``fn`` must be picklable) and ``collect`` each result as it finishes.

    ``scheduler``: a Dask scheduler address (else ``workers`` spawned processes); ``poll``: called
    about twice a second while local workers run (to report progress they write elsewhere)."""
    if scheduler is not None:
        _map_dask(fn, chunks, collect, scheduler)
        return

    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(chunks))), mp_context=mp.get_context("spawn")) as pool:
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
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = [client.submit(fn, chunk, pure=False) for chunk in chunks]
        for fut in dask_completed(futures):
            collect(fut.result())
    finally:
        client.close()
