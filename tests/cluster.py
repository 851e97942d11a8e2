"""A real Dask cluster for the tests: ``dask scheduler`` and ``dask worker`` processes started from the command
line on 127.0.0.1, each in its own empty temporary directory and its own process group, stopped by their ids."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REEPLAN_")}  # the workers know no store
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    return env


@dataclass
class Cluster:
    """The processes of one local cluster (each the leader of its own process group)."""

    root: Path
    port: int = field(default_factory=free_port)
    scheduler: subprocess.Popen | None = None
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=_env(), start_new_session=True)

    def start(self, workers: int = 2, timeout: float = 60) -> Cluster:
        self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard", "--no-show"])
        for i in range(workers):
            self.add_worker(f"worker{i + 1}")
        self.wait_for_workers(workers, timeout)
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        proc = self._start(name, ["worker", self.address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                  "--name", name, "--local-directory", str(self.root / name / "dask-scratch")])
        self.workers[name] = proc
        return proc

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=30, set_as_default=False)

    def wait_for_workers(self, n: int, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while True:
            try:
                with self.client() as client:  # connecting at all: the scheduler is up
                    if n > 0:
                        client.wait_for_workers(n, timeout=max(1.0, deadline - time.time()))
                return
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def kill(self, proc: subprocess.Popen | None) -> None:
        """SIGKILL a process's whole group (a worker's nanny and its worker process), by its id."""
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.workers.values():
            self.kill(proc)
        self.kill(self.scheduler)

    def files_left(self) -> list[Path]:
        """Files in the processes' working directories, dask's own scratch space left out."""
        found = []
        for folder in [self.root / "scheduler", *(self.root / n for n in self.workers)]:
            found += [p for p in folder.rglob("*") if p.is_file() and "dask-scratch" not in p.parts]
        return found
