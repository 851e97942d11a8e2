"""The one home of parallel work (sweeps, batches, stress tests, robust evaluations): a ``Pool`` runs
independent, idempotent tasks in this process, in spawned local processes or on a Dask cluster, and hands
each result back to the calling process as it finishes. Tasks carry what they need (the validated instance
or its content, never a path to read) and return plain data; only the caller writes checkpoints, files and
run-store rows, so a cluster's workers need no shared disk and leave nothing behind.

On a cluster a task whose worker dies is re-run elsewhere by the scheduler (``RunStats.retried`` counts
them); a scheduler that cannot be reached, has no worker, or is lost mid-run is a ``ClusterError`` naming
how much finished (that part is kept by the caller, so ``--resume`` goes on from there).

Local workers never outlive the process that started them, SIGKILL included: each worker's first act
(``die_with_parent``, the pool's initializer) asks Linux to SIGKILL it when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); where that is unavailable a daemon thread polls ``os.getppid()`` and ends
the worker once it has been orphaned. With the workers gone, multiprocessing's resource tracker (a child
of the parent too) sees its pipe close and exits by itself.

``work_limit`` reads a bound on how much work one command may ask for (sweep points, generated sizes):
a default, or a positive integer from an environment variable.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
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


# --------------------------------------------------------------------------------------------
# one pool for a whole command: spawned local processes or a Dask cluster
# --------------------------------------------------------------------------------------------

QUIET_LOGGERS = ("distributed.client", "distributed.comm", "distributed.core", "distributed.batched")


class ClusterError(UsageError):
    """The Dask scheduler cannot be reached, has no workers, or was lost mid-run, or a local worker process
    died (exit code 2). Whatever
    finished before is kept by the caller (checkpoints, store rows), so the same command with ``--resume``
    goes on from there."""


@dataclass
class RunStats:
    """What one ``Pool.map`` did: tasks run, tasks re-run after their worker was lost, where, how long."""

    tasks: int = 0
    retried: int | None = 0  # None: the scheduler would not say
    slots: int = 1
    where: str = "in-process"
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the user: how many tasks, where, how many were retried."""
        retried = "retries unknown" if self.retried is None else f"{self.retried} retried after a lost worker"
        return f"{self.tasks} task(s) on {self.where} ({self.slots} slot(s)), {retried}"


def _suspicious(dask_scheduler=None, keys=()) -> dict:  # runs on the scheduler (Client.run_on_scheduler)
    tasks = dask_scheduler.tasks if dask_scheduler is not None else {}
    return {k: int(getattr(tasks[k], "suspicious", 0)) for k in keys if k in tasks}


class Pool:
    """Where a command's parallel work runs, opened once and reused by every ``map`` of that command.

    ``scheduler``: a Dask scheduler address (``tcp://HOST:8786``); else ``workers`` spawned local processes
    (started on the first ``map`` and kept, so a worker keeps what it cached, e.g. a built model); with
    ``workers <= 1`` and no scheduler, tasks run in this process. Tasks get everything they need as
    arguments and return plain data: nothing they do depends on the worker's directory or disk."""

    def __init__(self, workers: int = 1, scheduler: str | None = None, *, connect_timeout: float = 10.0,
                 lost_after: float = 20.0) -> None:
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self.lost_after = lost_after  # seconds without the scheduler before the run is given up
        self._executor: ProcessPoolExecutor | None = None
        self._client: Any = None
        self.totals = RunStats(0, 0, 1, "in-process")
        self._quieted: dict[str, int] = {}
        if scheduler is not None:
            self._client = _connect(scheduler, connect_timeout)
            for logger in QUIET_LOGGERS:  # a lost scheduler is said once, by ClusterError, not in tracebacks
                self._quieted[logger] = logging.getLogger(logger).level
                logging.getLogger(logger).setLevel(logging.CRITICAL)
            self.totals.where = f"the Dask cluster at {scheduler}"
        elif self.workers > 1:
            self.totals.where = f"{self.workers} local processes"

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the local workers (or disconnect from the cluster)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close(timeout=5)
            self._client = None
            for name, level in self._quieted.items():
                logging.getLogger(name).setLevel(level)
            self._quieted = {}

    @property
    def local(self) -> bool:
        """Tasks run in this process (no pool at all)."""
        return self._client is None and self.workers <= 1

    def slots(self) -> int:
        """How many tasks can run at once: the cluster's threads summed over its workers, else ``workers``."""
        if self._client is None:
            return self.workers
        try:
            threads = self._client.nthreads()
        except Exception as exc:  # noqa: BLE001 - the connection went away
            raise ClusterError(f"lost the Dask scheduler at {self.scheduler}: {exc}") from None
        return max(1, sum(threads.values()))

    def map(self, fn: Callable[[Any], Any], tasks: list, collect: Callable[[Any], None], *,
            poll: Callable[[], None] | None = None, name: str = "task") -> RunStats:
        """Call ``fn(task)`` for every task (``fn`` picklable, idempotent) and ``collect`` each result in this
        process as it finishes (in completion order). ``poll`` is called about twice a second meanwhile."""
        tick = time.perf_counter()
        stats = RunStats(len(tasks), 0, 1, self.totals.where)
        if not tasks:
            return stats
        if self._client is not None:
            stats.slots = self.slots()
            with self._client.as_current():  # distributed's helpers look for "the" client
                stats.retried = self._map_dask(fn, tasks, collect, poll, name)
        elif self.workers <= 1:
            for task in tasks:
                collect(fn(task))
                if poll is not None:
                    poll()
        else:
            stats.slots = self.workers
            if self._executor is None:
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                                     initializer=die_with_parent, initargs=(os.getpid(),))
            futures = {self._executor.submit(fn, task) for task in tasks}
            done_count = 0
            try:
                while futures:
                    finished, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        collect(fut.result())
                        done_count += 1
                    if poll is not None and futures:
                        poll()
            except BrokenProcessPool:
                self._executor = None  # unusable now; its processes are gone
                raise ClusterError(f"a local worker process died (killed, or out of memory?): {done_count} of "
                                   f"{len(tasks)} {name}(s) finished and are kept; rerun the same command with "
                                   "--resume, with fewer --workers if memory is short") from None
        stats.seconds = time.perf_counter() - tick
        self.totals.tasks += stats.tasks
        self.totals.slots = max(self.totals.slots, stats.slots)
        self.totals.seconds += stats.seconds
        if self.totals.retried is not None:
            self.totals.retried = None if stats.retried is None else self.totals.retried + stats.retried
        return stats

    def _map_dask(self, fn, tasks: list, collect, poll, name: str) -> int | None:
        from distributed import as_completed  # defers distributed

        client = self._client
        prefix = f"reeplan-{name}-{uuid.uuid4().hex[:10]}"
        keys = [f"{prefix}-{i}" for i in range(len(tasks))]
        try:
            futures = [client.submit(fn, task, key=key, pure=False) for key, task in zip(keys, tasks)]
        except Exception as exc:  # noqa: BLE001 - the connection went away before anything ran
            raise ClusterError(f"lost the Dask scheduler at {self.scheduler} before any task ran: {exc}") from None
        stream = as_completed(futures)
        pending = set(futures)
        done_count = retried = 0
        unknown = False
        gone_since: float | None = None
        try:
            while pending:
                finished = stream.next_batch(block=False) if stream.has_ready() else []
                if not finished:
                    time.sleep(0.1)
                pending.difference_update(finished)
                ok = [fut for fut in finished if fut.status == "finished"]
                if ok:  # asked while the scheduler still holds these tasks
                    counts = self._retries_of([fut.key for fut in ok])
                    if counts is None:
                        unknown = True
                    else:
                        retried += sum(1 for fut in ok if counts.get(fut.key, 0) > 0)
                for fut in finished:
                    if fut.status == "finished":
                        collect(fut.result())
                        done_count += 1
                    elif fut.status == "error":
                        error = fut.exception()
                        if error.__class__.__name__ == "KilledWorker":
                            raise ClusterError(f"a {name} was running on every worker that died ({error}); "
                                               f"{done_count} of {len(tasks)} finished and are kept") from None
                        raise error
                    else:  # cancelled or lost: the scheduler went away
                        raise _lost(self.scheduler, done_count, len(tasks), name)
                if client.status != "running":
                    gone_since = gone_since or time.monotonic()
                    if time.monotonic() - gone_since > self.lost_after or client.status in ("closed", "closing"):
                        raise _lost(self.scheduler, done_count, len(tasks), name)
                else:
                    gone_since = None
                if poll is not None and pending:
                    poll()
        except ClusterError:
            raise
        except (OSError, CancelledError) as exc:
            raise _lost(self.scheduler, done_count, len(tasks), name, exc) from None
        except Exception as exc:
            if exc.__class__.__name__ in ("CommClosedError", "FutureCancelledError", "CancelledError"):
                raise _lost(self.scheduler, done_count, len(tasks), name, exc) from None
            raise
        finally:
            with contextlib.suppress(Exception):
                client.cancel(futures)
        return None if unknown else retried

    def _retries_of(self, keys: list[str]) -> dict[str, int] | None:
        """How many times a worker running each task was lost (the scheduler's count; 0 for most), or None
        where the scheduler will not say."""
        try:
            return self._client.run_on_scheduler(_suspicious, keys=keys)
        except Exception:  # noqa: BLE001 - an older or locked-down scheduler
            return None


def _lost(address: str | None, done: int, total: int, name: str, exc: BaseException | None = None) -> ClusterError:
    why = f" ({exc.__class__.__name__}: {exc})" if exc is not None else ""
    return ClusterError(f"lost the Dask scheduler at {address} mid-run{why}: {done} of {total} {name}(s) finished "
                        "and are kept; start the cluster again and rerun the same command with --resume")


def _connect(address: str, timeout: float):
    try:
        from distributed import Client  # defers distributed
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'reeplan[dask]'") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address at all ("::::")
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a timeout, or the scheduler gone meanwhile (CommClosedError)
        client.close()
        if not isinstance(exc, (OSError, TimeoutError)):
            raise ClusterError(f"lost the Dask scheduler at {address} while waiting for a worker: "
                               f"{exc.__class__.__name__}: {exc}") from None
        raise ClusterError(f"the Dask scheduler at {address} has no worker (waited {timeout:g} s): start some with "
                           f"`dask worker {address} --nthreads 1` ({exc.__class__.__name__})") from None
    return client


def map_chunks(fn: Callable[[Any], Any], chunks: list, collect: Callable[[Any], None], *, workers: int = 2,
               scheduler: str | None = None, poll: Callable[[], None] | None = None) -> RunStats:
    """Call ``fn(chunk)`` for every chunk (``fn`` must be picklable) and ``collect`` each result as it finishes,
    in a ``Pool`` opened for this call alone (``workers`` spawned processes, or the Dask ``scheduler``)."""
    with Pool(workers, scheduler) as pool:
        return pool.map(fn, chunks, collect, poll=poll)


def split_by_cost(items: list, costs: list[float], parts: int) -> list[list]:
    """``items`` in at most ``parts`` contiguous runs of about equal total cost (order kept: neighbours stay
    together, which is what a chain of re-solves wants)."""
    parts = max(1, min(parts, len(items)))
    total = float(sum(costs)) or 1.0
    out: list[list] = [[] for _ in range(parts)]
    acc = 0.0
    for item, cost in zip(items, costs):
        k = min(parts - 1, int((acc + cost / 2) / total * parts))
        out[k].append(item)
        acc += cost
    return [chunk for chunk in out if chunk]
