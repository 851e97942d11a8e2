"""Fuzz every input reeplan reads, bounded in time: instance YAML files, CSV folders, scenario files,
``--set`` values and command options (hypothesis).

Properties, for every generated input:

- the command ends with an exit code of the README's table other than 1, i.e. one of {0, 2, 3, 4, 5, 6}
  (1 is "internal error", a bug, never the answer to bad input), within a time limit, and prints no
  Python traceback;
- nothing outside the working folder (the command's cwd, which holds every ``--out``) is created,
  changed or deleted: a sentinel file beside the working folder and a pre-existing user folder (the
  inputs, a CSV instance, a solved result folder, a FIFO, a plain folder) are the same afterwards,
  byte for byte, and no file the user had is gone.

How a case runs: ``main(argv)`` in a child forked from a warm server process (this file run with
``--serve``: reeplan and its heavy packages imported once, HiGHS never started there, so a fork is
safe), with cwd = a fresh working folder, stdin from /dev/null, stdout and stderr to files with
Python's own encoding error handlers (stdout strict, stderr backslashreplace, as on a terminal), an
address-space limit and a hard timeout. A hang, a crash or a memory blow-up is a failure of that input,
never of the suite, and the pytest process itself never solves.

Commands are shown with placeholders for the arena's paths: @TWO@ a copy of tests/data/two_sites.yaml in the
user's folder, @RICH@ the same with yearly caps, a committed project and an uncertainty section, @CSV@ it as a
CSV folder, @RESULT@ a folder written by ``solve --out`` (run 1 of @STORE@; run 2 is its stress test; @WSTORE@ a
copy of that store in the working folder), @FIFO@ a named pipe, @DIR@ a plain
folder, @FILE@ a text file, @MISSING@ nothing; in the working folder: @OUT@ (not there yet), @WFILE@ a file,
@WDIR@ a folder with a file, @WFIFO@ a named pipe, @WNESTED@ a path two folders deep, @WUNDERFILE@ a path under
a file; @IN@ the folder of the generated input files (in the user's folder); _REL variants are relative to the
working folder.

Time: ``REEPLAN_FUZZ_SECONDS`` (default 62) is split over the tests by weight; an example that starts
after its test's share does nothing (a failure being shrunk gets a few seconds more; every test tries at
least ``MIN_CASES`` inputs), so the file takes about that long plus the warm-up (about 10 s) on two cores,
whatever the code under it does. The number of inputs tried, and every
failing input grouped by cause, are written to the terminal at the end of the module (also without
``-s``) and to ``$TMPDIR/reeplan-fuzz-failures.jsonl`` (``REEPLAN_FUZZ_LOG`` to choose).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import faulthandler
import functools
import gc
import hashlib
import io
import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context

ROOT = Path(__file__).resolve().parents[1]
TWO_SITES = ROOT / "tests" / "data" / "two_sites.yaml"
ALLOWED_EXIT_CODES = {0, 2, 3, 4, 5, 6}
TOTAL_SECONDS = float(os.environ.get("REEPLAN_FUZZ_SECONDS", "62"))
MIN_CASES = 3  # inputs every test tries, even past its share of the time
SHRINK_SECONDS = 2.5  # extra time a failing test may spend shrinking past its share
MEMORY_HEADROOM_MB = 3000  # address space a case may add to the warm server's
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+, in ")
# pytest keeps only the newest basetemps, and other runs prune them: the record of failures lives beside them
FAILURE_LOG = Path(os.environ.get("REEPLAN_FUZZ_LOG", str(Path(tempfile.gettempdir()) / "reeplan-fuzz-failures.jsonl")))
SQLITE_TRANSIENT = ("-wal", "-shm", "-journal")  # beside a store while a connection is open
SENTINEL_TEXT = "beside the working folder: never touched\n"
ROOT_LEFTOVERS = ("reeplan-out", "generated", "bench-out", "reeplan-runs.sqlite", ".hypothesis")

# ----------------------------------------------------------------------------------------------
# the warm server and its forked children (this file run as a script: python tests/test_fuzz.py --serve)
# ----------------------------------------------------------------------------------------------


def _warm_up() -> None:
    """Import what the commands import lazily and build one model, without ever starting HiGHS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import reeplan.analysis.compare
    import reeplan.analysis.sweep
    import reeplan.cli.app
    import reeplan.generate
    import reeplan.report.compare_plots
    import reeplan.report.html
    import reeplan.report.stress_charts
    import reeplan.solving.export
    import reeplan.solving.pipeline
    import reeplan.sources
    import reeplan.store.runs
    import reeplan.uncertainty.robust
    import reeplan.uncertainty.stress  # noqa: F401 - imported to be warm in every child
    from reeplan.instance.io import load_instance
    from reeplan.models.investment import build_model

    build_model(load_instance(TWO_SITES), "max-hpo")
    # Typer builds the click command from the signatures at every call (60 ms): build it once here
    import typer.main

    built: dict[int, object] = {}
    make = typer.main.get_command

    def get_command(typer_instance):
        if id(typer_instance) not in built:
            built[id(typer_instance)] = make(typer_instance)
        return built[id(typer_instance)]

    typer.main.get_command = get_command
    get_command(reeplan.cli.app.app)
    fig, ax = plt.subplots()
    ax.set_title("warm")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


_STACK_FILE = None


def _child(req: dict) -> int:
    """In the forked child: run ``main(args)`` as the shell would; return its exit code."""
    os.setpgid(0, 0)
    try:
        import resource

        vm_kb = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                     if line.startswith("VmSize:"))
        soft = (vm_kb + MEMORY_HEADROOM_MB * 1024) * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    except (OSError, ValueError, StopIteration):
        pass
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(req[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = open(os.devnull, encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="strict")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    global _STACK_FILE
    _STACK_FILE = open(req["stack"], "w", encoding="utf-8")  # faulthandler writes here on a time-out
    faulthandler.register(signal.SIGUSR1, file=_STACK_FILE, all_threads=True)
    os.chdir(req["cwd"])
    for key, value in req["env"].items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    from reeplan.cli.app import main

    code, internal = 0, None
    try:
        main(list(req["args"]))
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:  # sys.exit("text"): the interpreter prints it and exits 1
            print(exc.code, file=sys.stderr)
            code = 1
        context = exc.__context__
        if code == 1 and context is not None and not isinstance(context, SystemExit):
            internal = "".join(traceback.format_exception(context))
    except BaseException as exc:  # noqa: BLE001 - escaped main: the interpreter prints the traceback, exit 1
        internal = "".join(traceback.format_exception(exc))
        sys.stderr.write(internal)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - what could not be written is lost, as on a terminal
            pass
    if internal is not None:
        Path(req["internal"]).write_text(internal, encoding="utf-8", errors="backslashreplace")
    return code


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _run_forked(req: dict) -> dict:
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            code = _child(req)
        except BaseException:  # noqa: BLE001 - the child must never return into the server loop
            pass
        finally:
            os._exit(code & 0xFF)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child did it first, or has exited
    timed_out, delay = False, 0.001
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() - start > req["timeout"]:
            timed_out = True
            try:
                os.kill(pid, signal.SIGUSR1)  # faulthandler writes where each thread of the child is stuck
                time.sleep(0.3)
            except ProcessLookupError:
                pass
            break
        time.sleep(delay)
        delay = min(2 * delay, 0.005)
    _kill_group(pid)  # the child on a time-out, and any worker process it left behind (the zombie holds the id)
    _, status = os.waitpid(pid, 0)
    return {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) and not timed_out else None,
            "timed_out": timed_out, "seconds": time.monotonic() - start}


def _serve() -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # nothing the server or a library prints can corrupt the protocol
    _warm_up()
    gc.collect()
    gc.freeze()  # the warm heap stays shared with the children: their collector never touches (copies) it
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        protocol.write(json.dumps(_run_forked(json.loads(line))) + "\n")


class Server:
    """The warm server, seen from the pytest process: one request and one answer per case."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REEPLAN_")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MALLOC_ARENA_MAX="2",
                   MPLBACKEND="Agg", PYTHONHASHSEED="0", COLUMNS="120")
        log = open(self.folder / f"server-{self.starts}.err", "wb")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log, cwd=self.folder, env=env, text=True,
                                     encoding="utf-8", bufsize=1)
        self.starts += 1
        reply = self._read(180)
        if not reply or not reply.get("ready"):
            raise RuntimeError(f"the fuzz server did not start; see {log.name}")

    def _read(self, timeout: float) -> dict | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def run(self, req: dict) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:  # the server died after its last answer: a new one takes this case
            self.close()
            self.start()
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
        reply = self._read(req["timeout"] + 60)
        if reply is None:  # the server itself is stuck: replace it
            self.close()
            return {"code": None, "signal": None, "timed_out": True, "seconds": req["timeout"]}
        return reply

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # the server process this class started, by its handle
            self.proc.wait()
        self.proc = None


# ----------------------------------------------------------------------------------------------
# the arena: a working folder beside a sentinel and a user folder; what a case may and may not touch
# ----------------------------------------------------------------------------------------------


def _snapshot(top: Path, skip: set[Path]) -> dict[str, tuple]:
    """Every entry under ``top`` (not following symlinks, not under ``skip``): kind, size, content hash."""
    found: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        for name in dirnames + filenames:
            path = here / name
            if path in skip:
                continue
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                entry: tuple = ("file", info.st_size, info.st_mtime_ns, hashlib.sha1(path.read_bytes()).hexdigest())
            elif stat.S_ISLNK(info.st_mode):
                entry = ("symlink", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                entry = ("dir",)
            elif stat.S_ISFIFO(info.st_mode):
                entry = ("fifo",)
            else:
                entry = ("other", stat.S_IFMT(info.st_mode))
            found[str(path.relative_to(top))] = entry
    return {k: v for k, v in found.items() if not k.endswith(SQLITE_TRANSIENT)}


def _content(snap: dict[str, tuple]) -> dict[str, tuple]:
    """A snapshot without modification times: what a copy keeps."""
    return {k: (v[0], v[1], v[3]) if v[0] == "file" else v for k, v in snap.items()}


def _tail(text: str, lines: int = 6, width: int = 300) -> str:
    kept = [line[:width] for line in text.rstrip().splitlines()[-lines:]]
    return "\n".join(kept)


_FAILURE_TYPES: dict[str, type] = {}


class FuzzFailure(AssertionError):
    """A property failed; one subclass per cause, so that hypothesis shrinks and reports each cause apart."""


def failure_type(cause: str) -> type:
    if cause not in _FAILURE_TYPES:
        slug = re.sub(r"\W+", "_", cause).strip("_")[:80] or "failure"
        _FAILURE_TYPES[cause] = type(f"Fuzz_{slug}", (FuzzFailure,), {})
    return _FAILURE_TYPES[cause]


def internal_cause(tb: str) -> str:
    """'ExcType at file:line (function)' of an internal error's traceback (innermost reeplan frame)."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', tb)
    ours = [f for f in frames if "/optimizer/" in f[0] or "/models/" in f[0]]
    where = ""
    if ours or frames:
        file, line, func = (ours or frames)[-1]
        for marker in ("/optimizer/", "/models/", "site-packages/"):
            if marker in file:
                file = marker.strip("/") + "/" + file.split(marker, 1)[1]
                break
        where = f" at {file}:{line} ({func})"
    names = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Failure|alloc))\b", tb, re.MULTILINE)
    return f"internal error {names[-1] if names else 'exit 1'}{where}"


def stack_cause(stack: str) -> str:
    """'hang at file:line (function)': the innermost reeplan frame of the main thread in faulthandler's dump."""
    main = stack.split("\n\n")[-1] if "Current thread" not in stack else stack[stack.index("Current thread"):]
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', main)
    ours = [f for f in frames if "/optimizer/" in f[0] or "/models/" in f[0]]
    if not ours:
        return "hang: no exit within the time limit"
    file, line, func = ours[0]  # faulthandler lists the most recent call first
    marker = "/optimizer/" if "/optimizer/" in file else "/models/"
    return f"hang at {marker.strip('/')}/{file.split(marker, 1)[1]}:{line} ({func})"


class Budget:
    """Absolute deadlines per test, from weights: time a test leaves unused goes to the next ones."""

    def __init__(self, weights: dict[str, float], total: float):
        self.start = time.monotonic()
        self.deadline: dict[str, float] = {}
        acc, whole = 0.0, sum(weights.values())
        for name, weight in weights.items():
            acc += weight
            self.deadline[name] = self.start + total * acc / whole
        self.failing: set[str] = set()
        self.hung: set[str] = set()

    def open(self, test: str, done: int) -> bool:
        if current_build_context().is_final:
            return True  # hypothesis replays the minimal failing example: it must fail again
        if done < MIN_CASES:
            return True  # every test tries a few inputs, however late it starts
        extra = SHRINK_SECONDS if test in self.failing else 0.0
        return time.monotonic() < self.deadline[test] + extra


@dataclass
class Outcome:
    args: list
    code: int | None
    stdout: str
    stderr: str
    internal: str
    timed_out: bool
    signal: int | None
    seconds: float


class Arena:
    """The folders a case runs among, the server, the budget and the record of what was tried."""

    def __init__(self, root: Path, budget: Budget):
        self.root = root
        self.arena = root / "arena"
        self.user = self.arena / "user"
        self.work = self.arena / "work"
        self.store_dir = self.arena / "store"
        self.store = self.store_dir / "runs.sqlite"
        self.inputs = self.user / "in"
        self.capture = root / "capture"
        self.pristine = root / "pristine"
        self.budget = budget
        self.counts: Counter = Counter()
        self.spent: Counter = Counter()
        self.failures: list[dict] = []
        self.capture.mkdir(parents=True)
        self.server = Server(self.capture)
        self.tokens: dict[str, str] = {}
        self.pristine_user: dict[str, tuple] = {}
        self.pristine_store: dict[str, tuple] = {}

    # -- setup ---------------------------------------------------------------------------------
    def setup(self) -> None:
        from reeplan.instance.io import load_instance, write_csv_folder

        self.arena.mkdir()
        (self.arena / "sentinel.txt").write_text(SENTINEL_TEXT)
        self.user.mkdir()
        (self.user / "keep.txt").write_text("a file the user had: never touched\n")
        (self.user / "folder").mkdir()
        (self.user / "folder" / "inner.txt").write_text("inside a plain folder of the user\n")
        shutil.copy(TWO_SITES, self.user / "two_sites.yaml")
        (self.user / "rich.yaml").write_text(dump(RICH_BASE, "block"), encoding="utf-8")
        write_csv_folder(load_instance(TWO_SITES), self.user / "csv")
        os.mkfifo(self.user / "pipe")
        self.inputs.mkdir()
        self.store_dir.mkdir()
        self.tokens = {
            "@TWO@": str(self.user / "two_sites.yaml"), "@TWO_REL@": "../user/two_sites.yaml",
            "@RICH@": str(self.user / "rich.yaml"), "@CSV@": str(self.user / "csv"), "@RESULT@": str(self.user / "result"),
            "@RESULT_REL@": "../user/result", "@FIFO@": str(self.user / "pipe"), "@DIR@": str(self.user / "folder"),
            "@FILE@": str(self.user / "keep.txt"), "@MISSING@": str(self.user / "missing.yaml"),
            "@IN@": str(self.inputs), "@IN_REL@": "../user/in", "@STORE@": str(self.store),
            "@OUT@": str(self.work / "out"), "@WFILE@": str(self.work / "existing.txt"), "@WDIR@": str(self.work / "dir"),
            "@WFIFO@": str(self.work / "pipe"), "@WNESTED@": str(self.work / "a" / "b"),
            "@WUNDERFILE@": str(self.work / "existing.txt" / "sub"), "@WORK@": str(self.work),
            "@USER@": str(self.user), "@ARENA@": str(self.arena), "@WSTORE@": str(self.work / "runs.sqlite"),
        }
        self.server.start()
        # the solved plan every later case may read: a result folder in the user folder, run 1 in the store
        self.reset_work()
        outcome = self.server.run(self._request(["solve", "@TWO@", "--out", "@RESULT@", "--store", "@STORE@", "--quiet",
                                                 "--no-why"], 120, {}))
        if outcome["code"] != 0:
            raise RuntimeError(f"could not solve two_sites for the fuzz arena: {outcome}")
        self.reset_work()  # run 2: a stress test of that plan
        outcome = self.server.run(self._request(["stress", "@RESULT@", "--samples", "2", "--workers", "1", "--store",
                                                 "@STORE@", "--out", "@OUT@", "--quiet"], 120, {}))
        if outcome["code"] != 0:
            raise RuntimeError(f"could not stress-test two_sites for the fuzz arena: {outcome}")
        shutil.copytree(self.user, self.pristine / "user", symlinks=True, ignore=shutil.ignore_patterns("pipe", "in"))
        self.pristine_user = _content(_snapshot(self.pristine / "user", set()))
        transient = shutil.ignore_patterns(*(f"*{t}" for t in SQLITE_TRANSIENT))
        shutil.copytree(self.store_dir, self.pristine / "store", ignore=transient)
        self.pristine_store = _content(_snapshot(self.pristine / "store", set()))

    def close(self) -> None:
        self.server.close()

    # -- one case ------------------------------------------------------------------------------
    def begin(self, test: str) -> bool:
        """Whether this example runs (its test's time is not up); if so, with an empty inputs folder."""
        if not self.budget.open(test, self.counts[test]):
            return False
        shutil.rmtree(self.inputs, ignore_errors=True)
        self.inputs.mkdir(exist_ok=True)
        return True

    def subst(self, text: str) -> str:
        for token in sorted(self.tokens, key=len, reverse=True):
            text = text.replace(token, self.tokens[token])
        return text

    def write_input(self, name: str, data: bytes | str) -> Path:
        path = self.inputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        path.write_bytes(self.subst(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape"))
        return path

    def reset_work(self) -> None:
        if self.work.exists() or self.work.is_symlink():
            shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        (self.work / "existing.txt").write_text("a file in the working folder\n")
        (self.work / "dir").mkdir()
        (self.work / "dir" / "inner.txt").write_text("x\n")
        os.mkfifo(self.work / "pipe")

    def _request(self, args: list, timeout: float, env: dict) -> dict:
        case = self.capture / "case"
        return {"args": [self.subst(str(a)) for a in args], "cwd": str(self.work), "timeout": timeout,
                "env": {"REEPLAN_STORE": str(self.work / "reeplan-runs.sqlite"), "REEPLAN_DEBUG": None,
                        "REEPLAN_MAX_INPUT_MB": None, **env},
                "stdout": str(case) + ".out", "stderr": str(case) + ".err", "internal": str(case) + ".tb",
                "stack": str(case) + ".stack"}

    def run(self, test: str, args: list, *, timeout: float = 10.0, env: dict | None = None, what: str = "") -> Outcome:
        """Run one case and check every property; raise a FuzzFailure subclass (one per cause) if any fails."""
        clock = time.monotonic()
        try:
            if test in self.budget.hung:
                timeout = min(timeout, 4.0)  # this test has hung already: a hang is told apart in 4 s
            self.reset_work()
            if any("@WSTORE@" in str(x) for x in [*args, *(env or {}).values()]):
                shutil.copy(self.store, self.work / "runs.sqlite")
            req = self._request(args, timeout, {k: self.subst(v) if v else v for k, v in (env or {}).items()})
            for key in ("stdout", "stderr", "internal", "stack"):
                Path(req[key]).unlink(missing_ok=True)
            skip = {self.work, self.capture, self.pristine}  # the store is checked too: reading it must not change it
            before = _snapshot(self.root, skip)
            reply = self.server.run(req)
            after = _snapshot(self.root, skip)
            self.counts[test] += 1

            def text(key: str) -> str:
                path = Path(req[key])
                return path.read_bytes().decode("utf-8", "backslashreplace") if path.exists() else ""

            outcome = Outcome(args, reply["code"], text("stdout"), text("stderr"),
                              text("stack") if reply["timed_out"] else text("internal"), reply["timed_out"],
                              reply["signal"], reply["seconds"])
            problems = self._judge(outcome, before, after, timeout)
        finally:
            self._tidy()
            self.spent[test] += time.monotonic() - clock
        if problems:
            cause, detail = problems[0]
            if outcome.timed_out:
                self.budget.hung.add(test)
            self.budget.failing.add(test)
            self._record(test, outcome, problems, what)
            message = (f"{cause}\n  command: reeplan {' '.join(map(str, args))}\n  exit code: {outcome.code}"
                       + "".join(f"\n  {c}: {d}" for c, d in problems)
                       + (f"\n  input: {what}" if what else "")
                       + (f"\n  stderr (last lines):\n{_tail(outcome.stderr)}" if outcome.stderr.strip() else "")
                       + (f"\n  {'stack of the hung child' if outcome.timed_out else 'traceback'} (last lines):\n"
                          f"{_tail(outcome.internal, 8) if not outcome.timed_out else outcome.internal[:1500]}"
                          if outcome.internal else ""))
            raise failure_type(cause)(message)
        return outcome

    def _judge(self, o: Outcome, before: dict, after: dict, timeout: float) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if o.timed_out:
            problems.append((stack_cause(o.internal), f"killed after {timeout:g} s"))
        elif o.signal is not None:
            problems.append((f"crash: killed by signal {o.signal}", signal.Signals(o.signal).name))
        elif o.code == 1:
            cause = internal_cause(o.internal) if o.internal else "exit 1 (internal error)"
            message = next((ln for ln in (o.stderr + o.stdout).splitlines() if "internal error" in ln), o.stderr[-300:])
            problems.append((cause, message.strip()[:500]))
        elif o.code not in ALLOWED_EXIT_CODES:
            problems.append((f"exit code {o.code} (not in the README's table)", _tail(o.stderr, 2)))
        shown = o.stdout + o.stderr
        if TRACEBACK.search(shown) and not (o.code == 1 and not o.internal):
            match = TRACEBACK.search(shown)
            assert match is not None
            problems.append(("a Python traceback is printed", shown[max(0, match.start() - 100):match.start() + 300]))
        created = sorted(set(after) - set(before))
        deleted = sorted(set(before) - set(after))
        changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
        if deleted:
            problems.append(("deleted a user file", ", ".join(deleted[:8])))
        if changed:
            problems.append(("changed a file outside the working folder", ", ".join(changed[:8])))
        if created:
            problems.append(("created a file outside the working folder", ", ".join(created[:8])))
        return problems

    def _tidy(self) -> None:
        """Empty the inputs folder; put back anything a failing case changed outside the working folder."""
        shutil.rmtree(self.inputs, ignore_errors=True)
        self.inputs.mkdir(exist_ok=True)
        if not self.store.is_file() or _content(_snapshot(self.store_dir, set())) != self.pristine_store:
            shutil.rmtree(self.store_dir, ignore_errors=True)
            shutil.copytree(self.pristine / "store", self.store_dir)
        for top, expected in ((self.root, {"arena", "capture", "pristine"}),
                              (self.arena, {"user", "work", "store", "sentinel.txt"})):
            for entry in top.iterdir():
                if entry.name not in expected:
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry, ignore_errors=True)
                    else:
                        entry.unlink(missing_ok=True)
        sentinel = self.arena / "sentinel.txt"
        if not sentinel.is_file() or sentinel.is_symlink() or sentinel.read_text() != SENTINEL_TEXT:
            if sentinel.is_dir() and not sentinel.is_symlink():
                shutil.rmtree(sentinel, ignore_errors=True)
            sentinel.unlink(missing_ok=True)
            sentinel.write_text(SENTINEL_TEXT)
        pipe = self.user / "pipe"
        if _content(_snapshot(self.user, {self.inputs, pipe})) != self.pristine_user:
            shutil.rmtree(self.user, ignore_errors=True)
            shutil.copytree(self.pristine / "user", self.user, symlinks=True)
            self.inputs.mkdir(exist_ok=True)
        if not (pipe.is_fifo() and not pipe.is_symlink()):
            if pipe.is_dir() and not pipe.is_symlink():
                shutil.rmtree(pipe, ignore_errors=True)
            pipe.unlink(missing_ok=True)
            os.mkfifo(pipe)

    def _record(self, test: str, o: Outcome, problems: list, what: str) -> None:
        try:
            final = current_build_context().is_final
        except Exception:  # noqa: BLE001 - outside a hypothesis test
            final = False
        self.failures.append({"test": test, "cause": problems[0][0], "problems": problems, "final": final,
                              "command": "reeplan " + " ".join(map(str, o.args)), "input": what, "exit_code": o.code,
                              "stderr_tail": _tail(o.stderr),
                              "traceback_tail": o.internal[:1500] if o.timed_out else _tail(o.internal, 10),
                              "seconds": round(o.seconds, 2)})


WEIGHTS = {
    "yaml_leaves": 12, "yaml_text": 6, "yaml_solve": 9, "csv": 7, "scenario_parse": 5, "scenario_compare": 5,
    "set": 6, "solve_options": 6, "sweep_options": 5, "stress_options": 5, "generate_options": 3,
    "runs_options": 3, "report_options": 4, "export_options": 3,
}


@pytest.fixture(scope="module")
def arena(tmp_path_factory, request):
    root_before = {name for name in ROOT_LEFTOVERS if (ROOT / name).exists()}
    cwd_before = {name for name in ROOT_LEFTOVERS if (Path.cwd() / name).exists()}
    started = time.monotonic()
    a = Arena(tmp_path_factory.mktemp("fuzz"), Budget(WEIGHTS, 1.0))
    try:
        a.setup()
        a.budget = Budget(WEIGHTS, TOTAL_SECONDS)  # the clock starts once the server is warm
        yield a
    finally:
        a.close()
        _summary(a, request, FAILURE_LOG, time.monotonic() - started)
    root_after = {name for name in ROOT_LEFTOVERS if (ROOT / name).exists()}
    cwd_after = {name for name in ROOT_LEFTOVERS if (Path.cwd() / name).exists()}
    assert root_after <= root_before and cwd_after <= cwd_before, "the fuzz cases wrote into the repository or the cwd"


def _summary(a: Arena, request, log: Path, seconds: float) -> None:
    with log.open("w", encoding="utf-8") as fh:
        for rec in a.failures:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    lines = [f"fuzz: {sum(a.counts.values())} inputs tried in {seconds:.1f} s ("
             + ", ".join(f"{k} {v} in {a.spent[k]:.1f} s" for k, v in a.counts.items()) + ")"]
    groups: dict[str, list[dict]] = defaultdict(list)
    for rec in a.failures:
        groups[rec["cause"]].append(rec)
    if groups:
        lines.append(f"fuzz: {len(a.failures)} failing inputs in {len(groups)} causes (all in {log}; placeholders: "
                     + ", ".join(f"{k}={v}" for k, v in a.tokens.items() if k in {"@TWO@", "@OUT@", "@WORK@"}) + "):")
    for cause, recs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        best = min(recs, key=lambda r: (not r["final"], len(r["command"]) + len(r["input"])))
        lines.append(f"  [{len(recs)}x, {', '.join(sorted({r['test'] for r in recs}))}] {cause}")
        lines.append(f"      e.g. {best['command'][:400]}" + (f"  input: {best['input'][:400]}" if best["input"] else ""))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        if reporter is not None:
            reporter.write("\n")  # after the progress dots
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:
                print(line)


def fuzz_settings(max_examples: int):
    return settings(max_examples=max_examples, deadline=None, database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck),
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink))


# ----------------------------------------------------------------------------------------------
# values: weird text, numbers in every spelling, raw YAML
# ----------------------------------------------------------------------------------------------


class Raw:
    """YAML text written verbatim where a value goes (``1e400``, ``&a 1``, ``[[[...``)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else f"{self.text[:30]}...({len(self.text)} chars)"
        return f"raw:{text!r}"

    def __eq__(self, other) -> bool:
        return isinstance(other, Raw) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


class Long(str):
    """A long string, shown short."""

    def __repr__(self) -> str:
        return f"<{len(self)} chars {str.__repr__(self[:12])}...>"


MARKUP = ["[/]", "[red]x", "[bold red]alarm[/bold red]", "[link=file:///etc/passwd]x[/link]", "[/red]", "[", "]",
          "[[x]]", "\\[x]", "[red]", "[dim", "[@click=app.bell]x[/]"]
EMOJI = [":100:", ":smile:", ":red_circle:", "::", ":"]
MATH = ["$", "$x^$", "$\\frac{$", "$$", "a$b", "$\\$", "%s", "{0}", "{}", "%(x)s"]
CONTROL = ["\x1b[31m", "\x00", "\x07", "\r", "\n", "\t", "\x7f", "\x9b31m", "\u202e", "\ufeff", "\u2028", "\ud800",
           "\x1b]0;title\x07", "\b"]
PATHLIKE = ["..", "../..", "../x", "../../x", "../../sentinel.txt", "a/b", "./x", "x/", "~", ".", "a\\b",
            "reeplan-out", "-", "--help", "*", "?", "@ARENA@/abs-target", "@ARENA@/../escaped", "con", "nul:",
            "x@budget.total_bn_rub=1", "run:1", "7", "#1"]
ATOMS = MARKUP + EMOJI + MATH + CONTROL + PATHLIKE + ["x", " ", "é", "漢字", "🙂", "\u0301", "null", "~", "yes", "no"]


# names that may become folder names (solve's default --out is reeplan-out/<name>): whatever they climb to
# stays inside the fuzz folder (no free text, which could spell "/" or "../../../..", as root)
SAFE_NAMES = PATHLIKE + MARKUP + EMOJI + MATH + CONTROL + ["x" * 100, "x" * 101, "[red]" * 20, "é" * 100, "🙂" * 30]


@functools.cache
def safe_names():
    return st.one_of(st.sampled_from(SAFE_NAMES),
                     st.lists(st.sampled_from(MARKUP + EMOJI + MATH + ["x", " ", "é"]), min_size=2, max_size=4).map("".join))


@functools.cache
def long_strings():
    return st.sampled_from([100, 101, 1000, 10_000, 100_000]).flatmap(
        lambda n: st.sampled_from(["x", "[red]", ":100:", "é", "\x1b", "$", "/"]).map(lambda s: Long((s * n)[:n])))


@functools.cache
def weird_text():
    return st.one_of(
        st.sampled_from(ATOMS),
        st.lists(st.sampled_from(ATOMS), min_size=2, max_size=5).map("".join),
        st.text(max_size=20),
        long_strings(),
    )


NUMBERS = [float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 2**63, 2**64, -(2**63) - 1, 10**400, -1, 0, -0.0,
           1e-320, 5e-324, 0.5, 1, 1e15, 1e20, 1e6, 1e9, 1e6 + 1, 1e9 + 1, 2**31, 3.0, 2025, 1899, 2201, True, False, None,
           0.999999999999, 1.0000001, 100, 101]
NUMBER_SPELLINGS = ["1e400", "-1e400", "1e308", "1e-400", "1:30", "0x10", "010", "0o7", "0b11", "1_000", ".inf", "-.inf",
                    ".nan", ".NaN", "NaN", "Infinity", "-Infinity", "inf", "nan", "yes", "no", "on", "off", "~", "null",
                    "1e5", "+1", "+.5", "1.", ".5", "2020-01-01", "2025-13-45", "12:30:45", '"1e400"', "'nan'",
                    '"Infinity"', "'-inf'", '"  5 "', "'١٢'", "'1_0'", '"0x10"', "9223372036854775808",
                    "1" + "0" * 400, "0." + "0" * 400 + "1", "-0", "--1", "1e", "e1", "1,5", "½"]
YAML_SYNTAX = ["[1, 2]", "{a: 1}", "[]", "{}", "[[]]", "{name: x}", "&a 1", "*a", "*undefined",
               "!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system", "!!binary aGVsbG8=",
               "!!float '1e400'", "!!int '0x10'", "!!str 5", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2001-12-14",
               "!custom x", "!!bool yes", "!!null x", "? complex", '"\\ud800"', '"\\x00"', '"\\e[31m"', "'", '"', "{",
               "[", "- a", "a: b", "#comment", "%", "@x", "`x", "{a: 1, a: 2}", "[&x 1, *x]", "{<<: {a: 1}}",
               "[" * 49 + "]" * 49, "[" * 51 + "]" * 51, "[" * 200 + "]" * 200, "[" * 10000 + "]" * 10000,
               "{a: " * 60 + "1" + "}" * 60, "[" * 100000, "!!map {a: 1}", "!!seq [1]", "|-", ">"]


@functools.cache
def number_values():
    return st.one_of(st.sampled_from(NUMBERS), st.sampled_from(NUMBER_SPELLINGS).map(Raw),
                     st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(2**70), max_value=2**70))


@functools.cache
def container_values():
    return st.sampled_from([[], {}, [1, 2], {"a": 1}, [[]], {"name": "x"}, [None], {None: 1}, {1: 2}, {True: "x"},
                            [{"name": "x"}], {"2025": "x"}, {2025: float("nan")}, {2025: -1}, {1e9: 1}, {-1: 1},
                            {"[red]": 1}])


@functools.cache
def any_value():
    return st.one_of(weird_text(), number_values(), st.sampled_from(YAML_SYNTAX).map(Raw), container_values())


# ----------------------------------------------------------------------------------------------
# instance documents: the base as a dict, mutated; serialised by hand so that raw YAML gets in
# ----------------------------------------------------------------------------------------------


def _load_base() -> dict:
    return yaml.safe_load(TWO_SITES.read_text(encoding="utf-8"))


def _rich_base() -> dict:
    d = _load_base()
    d["budget"]["yearly_cap_bn_rub"] = {2025: 8, 2026: 8, 2027: 8}
    d["policy"]["hp_share"] = {"enabled": False, "year": 2027, "min_share": 0.3}
    d["committed"] = [{"name": "c1", "kind": "module", "item": "New", "modules": 1, "ready_year": 2027,
                       "capex_remaining_bn_rub": {2025: 1}}]
    d["uncertainty"] = {"construction_delay_yr": {"by_item": {"New": {"kind": "discrete", "values": [0, 1],
                                                                      "probabilities": [0.5, 0.5]}}}}
    return d


BASE = _load_base()
RICH_BASE = _rich_base()


def _paths(node, prefix=()) -> tuple[list, list]:
    """(leaf paths, container paths) of a nested dict/list."""
    leaves, containers = [], []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        path = (*prefix, key)
        if isinstance(value, dict | list) and value:
            containers.append(path)
            sub_leaves, sub_containers = _paths(value, path)
            leaves += sub_leaves
            containers += sub_containers
        else:
            leaves.append(path)
    return leaves, containers


RICH_LEAVES, RICH_CONTAINERS = _paths(RICH_BASE)
ENTITY_LISTS = [k for k, v in RICH_BASE.items() if isinstance(v, list)]
NAME_FIELDS = {"sites": ["name"], "deposits": ["name"], "power_sources": ["name"], "links": ["name"],
               "power_connections": ["name"], "link_upgrades": ["name"], "rd_programmes": ["name"], "committed": ["name"]}
KEYS = sorted({str(p[-1]) for p in RICH_LEAVES + RICH_CONTAINERS if isinstance(p[-1], str)})


def _get(data, path):
    for key in path:
        data = data[key]
    return data


def _misspell(word: str, i: int) -> str:
    if not word:
        return "x"
    i %= len(word)
    return [word[:i] + word[i + 1:], word[:i] + word[i] + word[i:], word[:i] + "_" + word[i:],
            word.upper(), word + "s", word.replace("_", "-")][i % 6] or "x"


@dataclass(frozen=True)
class Op:
    """One mutation of the instance document."""

    kind: str  # set, del, add, rename
    path: tuple
    value: object = None
    key: object = None

    def __repr__(self) -> str:
        where = ".".join(map(str, self.path)) or "<root>"
        if self.kind == "set":
            return f"{where}={self.value!r}"
        if self.kind == "del":
            return f"del {where}"
        if self.kind == "add":
            return f"{where}.{self.key!r}+={self.value!r}"
        return f"rename {where}->{self.value!r} (refs too)"

    def apply(self, data) -> None:
        try:
            if self.kind == "set":
                if not self.path:
                    return
                _get(data, self.path[:-1])[self.path[-1]] = self.value
            elif self.kind == "del":
                parent = _get(data, self.path[:-1])
                del parent[self.path[-1]]
            elif self.kind == "add":
                target = _get(data, self.path)
                if isinstance(target, dict):
                    target[self.key] = self.value
                elif isinstance(target, list):
                    target.append(self.value)
            elif self.kind == "rename":
                old = _get(data, self.path)
                _get(data, self.path[:-1])[self.path[-1]] = self.value
                for rows in data.values():  # every reference to the old name follows
                    if isinstance(rows, list):
                        for row in rows:
                            if isinstance(row, dict):
                                for k, v in row.items():
                                    if v == old and k != "name":
                                        row[k] = self.value
                                    elif isinstance(v, list) and old in v:
                                        row[k] = [self.value if x == old else x for x in v]
        except (KeyError, IndexError, TypeError):
            pass  # an earlier op removed the place: this one does nothing


def mutation_ops(base: dict, leaves: list, containers: list):
    names = [p for p in leaves if p[-1] == "name"]
    return st.one_of(
        st.builds(Op, st.just("set"), st.sampled_from(leaves), any_value()),
        st.builds(Op, st.just("set"), st.sampled_from(leaves), number_values()),
        st.builds(Op, st.just("del"), st.sampled_from(leaves + containers)),
        st.builds(Op, st.just("set"), st.sampled_from(containers), any_value()),
        st.builds(Op, st.just("add"), st.sampled_from([(), *containers]), any_value(),
                  st.one_of(st.sampled_from(KEYS), st.builds(_misspell, st.sampled_from(KEYS), st.integers(0, 99)),
                            weird_text(), st.sampled_from([1, None, True, 2025, 1.5, "committed", "uncertainty"]))),
        st.builds(Op, st.just("rename"), st.sampled_from(names), weird_text()),
    )


RICH_OPS = mutation_ops(RICH_BASE, RICH_LEAVES, RICH_CONTAINERS)


def dump(data, fmt: str) -> str:
    """YAML (block or flow) or JSON of ``data``, with every Raw written verbatim in its place."""
    raws: list[str] = []

    def tok(obj):
        if isinstance(obj, Raw):
            raws.append(obj.text)
            return f"RAWTOKEN{len(raws) - 1}X"
        if isinstance(obj, Long):
            return str(obj)
        if isinstance(obj, dict):
            return {tok(k): tok(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [tok(v) for v in obj]
        return obj

    plain = tok(data)
    if fmt == "json":
        def key(k):
            return k if isinstance(k, str | int | float | bool) or k is None else str(k)

        def jsonable(obj):
            if isinstance(obj, dict):
                return {key(k): jsonable(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [jsonable(v) for v in obj]
            return obj

        text = json.dumps(jsonable(plain), ensure_ascii=False, allow_nan=True)
        for i, raw in enumerate(raws):
            text = text.replace(f'"RAWTOKEN{i}X"', raw)
    else:
        text = yaml.safe_dump(plain, allow_unicode=True, sort_keys=False, default_flow_style=fmt == "flow", width=100)
    for i, raw in enumerate(raws):
        text = text.replace(f"RAWTOKEN{i}X", raw)
    return text


_KEY_LINE = re.compile(r"^(\s*)(- )?([A-Za-z_]\w*): (\S.*)$")


@dataclass(frozen=True)
class TextOp:
    """A change to the file's text or bytes: what a dict cannot hold (repeated keys, aliases, bad bytes)."""

    kind: str
    n: int = 0

    def __repr__(self) -> str:
        return f"{self.kind}({self.n})" if self.n else self.kind

    def apply(self, text: str) -> bytes:
        lines = text.splitlines()
        keyed = [i for i, ln in enumerate(lines) if _KEY_LINE.match(ln)]
        k = self.kind
        if k == "dup-key" and keyed:
            i = keyed[self.n % len(keyed)]
            m = _KEY_LINE.match(lines[i])
            assert m is not None
            indent = m.group(1) + ("  " if m.group(2) else "")
            lines.insert(i + 1, f"{indent}{m.group(3)}: {m.group(4)}")
            return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
        if k == "dup-section":
            return (text + f"\n{['name', 'budget', 'sites', 'horizon'][self.n % 4]}: {{}}\n").encode("utf-8", "surrogatepass")
        if k in ("anchor-alias", "merge-key") and len(keyed) >= 2:
            i = keyed[self.n % len(keyed)]
            j = keyed[(self.n // 7 + 1) % len(keyed)]
            mi = _KEY_LINE.match(lines[i])
            assert mi is not None
            lines[i] = f"{mi.group(1)}{mi.group(2) or ''}{mi.group(3)}: &a {mi.group(4)}"
            if k == "anchor-alias" and j != i:
                mj = _KEY_LINE.match(lines[j])
                assert mj is not None
                lines[j] = f"{mj.group(1)}{mj.group(2) or ''}{mj.group(3)}: *a"
            else:
                lines.append("extra: {<<: {a: 1}, b: 2}")
            return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
        if k == "alias-bomb":
            bomb = "lol0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
                f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 2 + self.n % 5))
            return (bomb + text).encode("utf-8", "surrogatepass")
        data = text.encode("utf-8", "surrogatepass")
        if k == "bom":
            return b"\xef\xbb\xbf" + data
        if k == "double-bom":
            return b"\xef\xbb\xbf\xef\xbb\xbf" + data
        if k == "crlf":
            return data.replace(b"\n", b"\r\n")
        if k == "cr":
            return data.replace(b"\n", b"\r")
        if k == "tabs":
            return data.replace(b"  ", b"\t")
        if k == "truncate":
            return data[: self.n % (len(data) + 1)]
        if k == "nul":
            i = self.n % (len(data) + 1)
            return data[:i] + b"\x00" + data[i:]
        if k == "bad-utf8":
            i = self.n % (len(data) + 1)
            return data[:i] + [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"][self.n % 4] + data[i:]
        if k == "utf16":
            return text.encode("utf-16", "surrogatepass")
        if k == "empty":
            return b""
        if k == "blank":
            return b"   \n\n"
        if k == "doc-end":
            return b"---\n...\n"
        if k == "multi-doc":
            return data + b"---\nname: second\n"
        if k == "directive":
            return [b"%YAML 1.1\n---\n", b"%YAML 9.9\n---\n", b"%TAG ! tag:x,2000:\n---\n"][self.n % 3] + data
        if k == "top-level":
            return [b"- 1\n- 2\n", b"just text\n", b"42\n", b"~\n", b"[]\n", b"!!binary aGVsbG8=\n"][self.n % 6]
        if k == "deep":
            depth = [49, 51, 1000, 100_000][self.n % 4]
            return data + b"deep: " + b"[" * depth + b"]" * depth + b"\n"
        return data


TEXT_OPS = ["dup-key", "dup-section", "anchor-alias", "merge-key", "alias-bomb", "bom", "double-bom", "crlf", "cr",
            "tabs", "truncate", "nul", "bad-utf8", "utf16", "empty", "blank", "doc-end", "multi-doc", "directive",
            "top-level", "deep"]


@functools.cache
def text_ops():
    return st.builds(TextOp, st.sampled_from(TEXT_OPS), st.integers(0, 10**6))


@dataclass(frozen=True)
class YamlCase:
    """An instance file: the base document, a few mutations, a format, maybe a change to its text, a name."""

    ops: tuple
    fmt: str = "block"
    text_op: TextOp | None = None
    suffix: str = ".yaml"
    rich: bool = True

    def __repr__(self) -> str:
        parts = [", ".join(map(repr, self.ops)) or "no change"]
        if self.fmt != "block":
            parts.append(self.fmt)
        if self.text_op:
            parts.append(f"then {self.text_op!r}")
        if self.suffix != ".yaml":
            parts.append(f"file *{self.suffix}")
        return f"<{'; '.join(parts)}>"

    def render(self) -> bytes:
        data = copy.deepcopy(RICH_BASE if self.rich else BASE)
        for op in self.ops:
            op.apply(data)
        text = dump(data, self.fmt)
        return self.text_op.apply(text) if self.text_op else text.encode("utf-8", "surrogatepass")


SUFFIXES = [".yaml"] * 8 + [".yml", ".json", ".YAML", ".txt", "", ".yaml.bak"]


@st.composite
def yaml_leaf_cases(draw):
    ops = draw(st.lists(RICH_OPS, min_size=1, max_size=3))
    fmt = draw(st.sampled_from(["block"] * 6 + ["flow", "json"]))
    return YamlCase(tuple(ops), fmt, None, ".json" if fmt == "json" else draw(st.sampled_from(SUFFIXES)))


@st.composite
def yaml_text_cases(draw):
    ops = draw(st.lists(RICH_OPS, max_size=1))
    return YamlCase(tuple(ops), "block", draw(text_ops()), draw(st.sampled_from([".yaml"] * 6 + [".yml", ".json"])))


BASE_LEAVES, _ = _paths(BASE)
SOLVABLE_NUMBERS = [0, 1, 0.5, 1e-9, 1e6, 1e9, 999999, 2, 3, 100, 0.999, 1e-300, 2025, 2026, 2027]


@st.composite
def yaml_solvable_cases(draw):
    """Mutations that often keep the instance valid: names (paths, markup, long) and numbers at their edges."""
    names = [p for p in BASE_LEAVES if p[-1] == "name"]
    numeric = [p for p in BASE_LEAVES if isinstance(_get(BASE, p), int | float) and not isinstance(_get(BASE, p), bool)]
    first = [Op("set", ("name",), draw(safe_names()))] if draw(st.integers(0, 3)) else []  # the name of the out folder
    ops = first + draw(st.lists(st.one_of(
        st.builds(Op, st.just("rename"), st.sampled_from(names), safe_names()),
        st.builds(Op, st.just("set"), st.sampled_from(numeric), st.sampled_from(SOLVABLE_NUMBERS)),
        st.builds(Op, st.just("set"), st.sampled_from([("policy", "plants_online", "enabled")]), st.booleans()),
    ), min_size=0 if first else 1, max_size=2))
    return YamlCase(tuple(ops), "block", None, ".yaml", rich=False)


# ----------------------------------------------------------------------------------------------
# 1. instance YAML files
# ----------------------------------------------------------------------------------------------


@fuzz_settings(400)
@given(case=yaml_leaf_cases())
def test_instance_yaml_mutated_leaves_validate(arena, case):
    if not arena.begin("yaml_leaves"):
        return
    arena.write_input(f"instance{case.suffix}", case.render())
    arena.run("yaml_leaves", ["validate", f"@IN@/instance{case.suffix}"], what=repr(case))


@fuzz_settings(250)
@given(case=yaml_text_cases())
def test_instance_yaml_text_validate(arena, case):
    if not arena.begin("yaml_text"):
        return
    arena.write_input(f"instance{case.suffix}", case.render())
    arena.run("yaml_text", ["validate", f"@IN@/instance{case.suffix}"], what=repr(case))


@fuzz_settings(20)
@given(case=yaml_solvable_cases(), default_out=st.booleans())
def test_instance_yaml_solve(arena, case, default_out):
    """Solve a sample: names and numbers reach the printed tables, the CSVs and (without --out) the folder name."""
    if not arena.begin("yaml_solve"):
        return
    arena.write_input("instance.yaml", case.render())
    out = [] if default_out else ["--out", "@OUT@"]
    arena.run("yaml_solve", ["solve", "@IN@/instance.yaml", "--no-store", "--no-why", *out, "--time-limit", "5"], timeout=25,
              what=repr(case))


# ----------------------------------------------------------------------------------------------
# 2. CSV folders
# ----------------------------------------------------------------------------------------------

_CSV_TEMPLATE: dict[str, str] = {}


def csv_template() -> dict[str, str]:
    """two_sites written by reeplan's own CSV writer: file name -> text."""
    if not _CSV_TEMPLATE:
        from reeplan.instance.io import load_instance, write_csv_folder

        with tempfile.TemporaryDirectory() as tmp:
            folder = write_csv_folder(load_instance(TWO_SITES), Path(tmp) / "csv")
            for f in sorted(folder.iterdir()):
                _CSV_TEMPLATE[f.name] = f.read_text(encoding="utf-8")
    return _CSV_TEMPLATE


CSV_FILES = ["deposits.csv", "deposit_expansions.csv", "sites.csv", "power_sources.csv", "power_expansions.csv",
             "power_connections.csv", "links.csv", "link_upgrades.csv", "rd_programmes.csv", "committed.csv",
             "scalars.yaml"]
CELL_VALUES = ["inf", "-inf", "nan", "NaN", "1e400", "-1", "0", "1:30", "0x10", "010", "true", "false", "yes", "", " ", '"',
               "a;b", ";", "2025:3.5;x", "2025:", ":", "2025:1;2025:2", "=cmd|' /C calc'!A0", "+1", "1,5", "١٢", "1e308",
               "9223372036854775808", "1" * 400, "\x00", "\u202e", "\ud800", "a\nb", "a\rb", "New", "Old", "D", "[]", "{}",
               "*a", "&a 1"]


@dataclass(frozen=True)
class CsvOp:
    """One change to the CSV folder."""

    kind: str
    file: str
    row: int = 0
    col: int = 0
    value: object = None

    def __repr__(self) -> str:
        extra = f"={self.value!r}" if self.value is not None else ""
        return f"{self.kind} {self.file}[{self.row},{self.col}]{extra}"


def _rows(text: str) -> list[list[str]]:
    limit = csv.field_size_limit(2**31 - 1)  # a huge cell is one of the changes; the limit is the process's
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return [line.split(",") for line in text.splitlines()]
    finally:
        csv.field_size_limit(limit)


def _bytes(text: str) -> bytes:
    """Text back to bytes, lone surrogates included: those of bytes decoded with surrogateescape as those bytes,
    any other (a generated cell) as its invalid three-byte form."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _write_rows(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@dataclass(frozen=True)
class CsvCase:
    """A CSV instance folder: reeplan's own CSVs of two_sites, a few changes; passed as the folder or a file in it."""

    ops: tuple
    scalar_ops: tuple = ()
    how: str = "folder"

    def __repr__(self) -> str:
        parts = [", ".join(map(repr, self.ops))]
        if self.scalar_ops:
            parts.append("scalars.yaml: " + ", ".join(map(repr, self.scalar_ops)))
        if self.how != "folder":
            parts.append(f"given as {self.how}")
        return f"<{'; '.join(p for p in parts if p) or 'no change'}>"

    def write(self, arena: Arena) -> str:
        folder = arena.inputs / "csv"
        folder.mkdir()
        files: dict[str, bytes | None | str] = {k: v.encode("utf-8") for k, v in csv_template().items()}
        if self.scalar_ops:
            scalars = yaml.safe_load(csv_template()["scalars.yaml"])
            for op in self.scalar_ops:
                op.apply(scalars)
            files["scalars.yaml"] = dump(scalars, "block").encode("utf-8", "surrogatepass")
        for op in self.ops:
            data = files.get(op.file)
            text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else ""
            rows = _rows(text) if op.file.endswith(".csv") else []
            r = op.row % max(1, len(rows))
            if op.kind == "cell" and rows:
                row = rows[r]
                if row:
                    row[op.col % len(row)] = str(op.value)
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "extra-cells" and rows:
                rows[r] += ["x"] * (1 + op.col % 3)
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "short-row" and rows:
                rows[r] = rows[r][: op.col % max(1, len(rows[r]))]
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "dup-column" and rows and rows[0]:
                rows[0][op.col % len(rows[0])] = rows[0][(op.col + 1) % len(rows[0])]
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "rename-column" and rows and rows[0]:
                c = op.col % len(rows[0])
                rows[0][c] = _misspell(rows[0][c], op.row) if op.value is None else str(op.value)
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "dup-row" and len(rows) > 1:
                rows.insert(1, list(rows[1 + op.row % (len(rows) - 1)]))
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "del-row" and rows:
                del rows[r]
                files[op.file] = _bytes(_write_rows(rows))
            elif op.kind == "no-header" and rows:
                files[op.file] = _bytes(_write_rows(rows[1:]))
            elif op.kind == "text" and isinstance(op.value, TextOp):
                files[op.file] = op.value.apply(text)
            elif op.kind == "delete":
                files[op.file] = None
            elif op.kind in ("as-folder", "as-fifo", "dangling-link", "link-outside", "link-folder"):
                files[op.file] = op.kind
            elif op.kind == "unterminated-quote":
                files[op.file] = _bytes(text + '"abc,def\n')
            elif op.kind == "huge-cell" and rows:
                rows[r][op.col % max(1, len(rows[r]))] = "9" * 200_000
                files[op.file] = _bytes(_write_rows(rows))
        for name, data in files.items():
            target = folder / name
            if data is None:
                continue
            if data == "as-folder":
                target.mkdir()
            elif data == "as-fifo":
                os.mkfifo(target)
            elif data == "dangling-link":
                target.symlink_to(folder / "nowhere.csv")
            elif data == "link-outside":
                target.symlink_to(arena.arena / "sentinel.txt")
            elif data == "link-folder":
                target.symlink_to(arena.user / "folder", target_is_directory=True)
            else:
                assert isinstance(data, bytes)
                target.write_bytes(data)
        if self.how == "scalars file":
            return "@IN@/csv/scalars.yaml"
        if self.how == "trailing slash":
            return "@IN@/csv/"
        if self.how == "relative":
            return "@IN_REL@/csv"
        return "@IN@/csv"


SCALARS_BASE = yaml.safe_load(
    "name: two-sites\nhorizon: {start_year: 2025, end_year: 2027}\nbudget: {total_bn_rub: 10, rd_envelope_bn_rub: 2}\n"
    "technology: {recovery_today: 0.5, hp_share_today: 0.2}\n"
    "policy:\n  plants_online: {enabled: true, year: 2026, min_count: 1}\n")
SCALAR_LEAVES, SCALAR_CONTAINERS = _paths(SCALARS_BASE)
SCALAR_OPS = mutation_ops(SCALARS_BASE, SCALAR_LEAVES, SCALAR_CONTAINERS)


@functools.cache
def csv_ops():
    file = st.sampled_from(CSV_FILES[:-2])
    ints = st.integers(0, 10**6)
    return st.one_of(
        st.builds(CsvOp, st.just("cell"), file, ints, ints, st.one_of(st.sampled_from(CELL_VALUES), weird_text())),
        st.builds(CsvOp, st.sampled_from(["extra-cells", "short-row", "dup-column", "rename-column", "dup-row", "del-row",
                                          "no-header", "unterminated-quote", "huge-cell"]), file, ints, ints),
        st.builds(CsvOp, st.just("text"), st.sampled_from(CSV_FILES), ints, ints,
                  st.builds(TextOp, st.sampled_from(["bom", "double-bom", "crlf", "cr", "truncate", "nul", "bad-utf8",
                                                     "utf16", "empty", "blank", "tabs"]), ints)),
        st.builds(CsvOp, st.sampled_from(["delete", "as-folder", "as-fifo", "dangling-link", "link-outside",
                                          "link-folder"]), st.sampled_from(CSV_FILES)),
    )


@st.composite
def csv_cases(draw):
    ops = draw(st.lists(csv_ops(), min_size=1, max_size=3))
    scalar_ops = draw(st.lists(SCALAR_OPS, max_size=1))
    how = draw(st.sampled_from(["folder"] * 6 + ["scalars file", "trailing slash", "relative"]))
    return CsvCase(tuple(ops), tuple(scalar_ops), how)


@fuzz_settings(250)
@given(case=csv_cases())
def test_csv_folder_validate(arena, case):
    if not arena.begin("csv"):
        return
    path = case.write(arena)
    arena.run("csv", ["validate", path], what=repr(case))


# ----------------------------------------------------------------------------------------------
# 3. scenario files for compare
# ----------------------------------------------------------------------------------------------



def _dotted(path: tuple) -> list[str]:
    """The --set spellings of a leaf: by list index, and by row name."""
    out = [".".join(map(str, path))]
    if len(path) >= 2 and isinstance(path[1], int):
        row = BASE[path[0]][path[1]]
        if isinstance(row, dict) and "name" in row:
            out.append(".".join([str(path[0]), str(row["name"]), *map(str, path[2:])]))
    return out


REAL_SET_PATHS = sorted({d for p in BASE_LEAVES for d in _dotted(p)})
WEIRD_SET_PATHS = ["", ".", "..", "a..b", ".budget", "budget.", "sites.999.name", "sites.-1.name", "sites.Old.name.x",
                   "budget.total_bn_rub.x", "name.x", "[red]x", ":100:", "\x1b[31m", "sites.Old", "sites.0", "sites",
                   "budget", "policy", "policy.jobs.enabled", "policy.hpo_output.min_t_per_yr", "policy.nope.enabled",
                   "budget.yearly_cap_bn_rub.2025", "budget.yearly_cap_bn_rub.1e400", "budget.yearly_cap_bn_rub.-1",
                   "uncertainty.capex_overrun", "uncertainty.x.y", "committed.0.name", "__class__", "__dict__.x",
                   "sites.__len__", "sites.New.__class__", "horizon.start_year", "horizon.target_year", " budget . total_bn_rub ",
                   "BUDGET.TOTAL_BN_RUB", "sites.0.0.0", "links.D-Old.site", "rd_programmes.R1.prerequisites"]


@functools.cache
def set_paths():
    return st.one_of(st.sampled_from(REAL_SET_PATHS), st.sampled_from(WEIRD_SET_PATHS),
                     st.builds(_misspell, st.sampled_from(REAL_SET_PATHS), st.integers(0, 99)), weird_text())


@functools.cache
def set_value_texts():
    return st.one_of(st.sampled_from(NUMBER_SPELLINGS), st.sampled_from(YAML_SYNTAX), weird_text(),
                     st.sampled_from(NUMBERS).map(str))


@dataclass(frozen=True)
class ScenarioCase:
    """A scenario file: base, overrides, name (or misspelt keys), written as YAML; and how compare is given it."""

    doc: object
    text_op: TextOp | None = None
    spec: str = "path"
    suffix: str = ".yaml"

    def __repr__(self) -> str:
        extra = (f", then {self.text_op!r}" if self.text_op else "") + (f", given as {self.spec}" if self.spec != "path" else "")
        return f"<scenario{self.suffix} {self.doc!r}{extra}>"

    def write(self, arena: Arena) -> str:
        text = dump(self.doc, "block")
        arena.write_input(f"scenario{self.suffix}", self.text_op.apply(text) if self.text_op else text)
        path = f"@IN@/scenario{self.suffix}"
        shutil.copy(TWO_SITES, arena.inputs / "two_sites.yaml")
        if self.spec == "relative":
            return f"@IN_REL@/scenario{self.suffix}"
        if self.spec.startswith("@"):
            return path + self.spec
        if self.spec != "path":
            return self.spec
        return path


BASE_REFS = ["two_sites.yaml", "../two_sites.yaml", "@USER@/two_sites.yaml", "missing.yaml", ".", "..", "../..",
             "../../sentinel.txt", "", "../result", "../csv", "../pipe", "../folder", "scenario.yaml", "/", "~/x.yaml",
             "../keep.txt", "two_sites.yaml@budget.total_bn_rub=5", "[red]x.yaml", "\x00.yaml"]


@functools.cache
def scenario_docs(valid_base: bool = False):
    base = st.sampled_from(BASE_REFS[:3]) if valid_base else st.one_of(st.sampled_from(BASE_REFS), any_value())
    override_value = st.one_of(any_value(), st.sampled_from(SOLVABLE_NUMBERS))
    overrides = st.one_of(
        st.dictionaries(set_paths(), override_value, max_size=3),
        st.dictionaries(st.sampled_from(REAL_SET_PATHS), st.sampled_from(SOLVABLE_NUMBERS), max_size=2),
        st.lists(st.builds(lambda p, v: f"{p}={v}", set_paths(), set_value_texts()), max_size=3),
        st.lists(any_value(), max_size=2),
        any_value(), st.none())
    keys = st.sampled_from(["base", "overrides", "name", "overides", "Overrides", "bases", "Base", "nmae", "override",
                            "description", "objective", "base ", "BASE"])
    values = {"base": base, "overrides": overrides, "name": safe_names() if valid_base else st.one_of(weird_text(), any_value()),
              "override": overrides, "overides": overrides}

    @st.composite
    def doc(draw):
        d = {}
        if valid_base or draw(st.booleans()):
            d["base"] = draw(base)
        for k in draw(st.lists(keys, max_size=3, unique=True)):
            if valid_base and k in ("base", "base ", "BASE", "Base", "bases"):
                continue
            d[k] = draw(values.get(k, any_value()))
        if not valid_base and draw(st.integers(0, 9)) == 0:
            return draw(st.sampled_from([[d], "text", 5, None, [], Raw("&a {base: x}")]))
        return d

    return doc()


@st.composite
def scenario_cases(draw):
    text_op = draw(st.one_of(st.none(), st.none(), st.none(), text_ops()))
    spec = draw(st.sampled_from(["path"] * 8 + ["relative", "@budget.total_bn_rub=5", "@", "@@", "run:abc", "run:0",
                                                "run:99999999999999999999999", "run:-1", "99999", "", "@MISSING@"]))
    return ScenarioCase(draw(scenario_docs()), text_op, spec, draw(st.sampled_from([".yaml"] * 5 + [".yml", ".YAML"])))


@fuzz_settings(150)
@given(case=scenario_cases())
def test_scenario_file_parse(arena, case):
    """compare parses every scenario before it solves any: a missing second scenario stops it there (exit 3)."""
    if not arena.begin("scenario_parse"):
        return
    spec = case.write(arena)
    arena.run("scenario_parse", ["compare", spec, "@MISSING@", "--no-store", "--out", "@OUT@"],
              env={"REEPLAN_STORE": "@STORE@"}, what=repr(case))


@fuzz_settings(6)
@given(doc=scenario_docs(valid_base=True))
def test_scenario_file_compare(arena, doc):
    """A few real compares (one solve each) against the solved result folder."""
    if not arena.begin("scenario_compare"):
        return
    case = ScenarioCase(doc)
    spec = case.write(arena)
    arena.run("scenario_compare", ["compare", spec, "@RESULT@", "--no-store", "--out", "@OUT@", "--time-limit", "5"],
              timeout=30, what=repr(case))


# ----------------------------------------------------------------------------------------------
# 4. --set values
# ----------------------------------------------------------------------------------------------


def set_args():
    pair = st.builds(lambda p, v: f"{p}={v}", set_paths(), set_value_texts())
    odd = st.sampled_from(["", "=", "==", "=5", "budget.total_bn_rub", "budget.total_bn_rub==5", "budget.total_bn_rub=5=6",
                           "budget.total_bn_rub=", "=budget", "-", "--set", "@x=1"])
    return st.lists(st.one_of(pair, pair, pair, odd), min_size=1, max_size=3)


@fuzz_settings(250)
@given(sets=set_args(), target=st.sampled_from(["@TWO@", "@TWO@", "@RICH@", "@CSV@", "@TWO_REL@"]))
def test_set_values_validate(arena, sets, target):
    if not arena.begin("set"):
        return
    args = ["validate", target]
    for s in sets:
        args += ["--set", s]
    arena.run("set", args)


# ----------------------------------------------------------------------------------------------
# 5. command options
# ----------------------------------------------------------------------------------------------


FLAG = None  # an option without a value


def command(fixed, optional: dict, max_options: int = 3):
    """argv: ``fixed`` (strings, or lists of choices), then up to ``max_options`` of ``optional``
    (name -> list of values, or FLAG), each drawn at most once."""

    @st.composite
    def build(draw):
        args: list[str] = []
        for part in fixed:
            if isinstance(part, list):
                args += list(draw(st.sampled_from(part)))
            else:
                args.append(part)
        for name in draw(st.lists(st.sampled_from(sorted(optional)), max_size=max_options, unique=True)):
            values = optional[name]
            if values is FLAG:
                args.append(name)
            elif callable(values):
                args += draw(values())
            else:
                args += [name, str(draw(st.sampled_from(values)))]
        return args

    return build()


def one(name: str, values: list) -> list:
    """A fixed option whose value is drawn: a list of (name, value) choices for ``command``."""
    return [(name, str(v)) for v in values]


MOSTLY = [("--no-store",)] * 3 + [()]
BAD_FLOATS = ["nan", "inf", "-inf", "-1", "0", "1e400", "-1e400", "1e-300", "1e308", "abc", "", "1:30", "0x10", "5", "١٢"]
BAD_INTS = ["0", "-1", "100000", str(2**63), str(-(2**63) - 1), "x", "1e9", "1.5", "", "nan", "1"]
SEEDS = ["-1", "0", str(2**31), str(2**32), str(2**63), str(-(2**63) - 1), str(10**30), "x"]
OUT_PATHS = ["@OUT@", "@WFILE@", "@WFIFO@", "@WUNDERFILE@", "@WNESTED@", "@WDIR@", "", ".", "out/[red]x", "out/:100:"]
INSTANCES = ["@TWO@", "@TWO@", "@TWO_REL@", "@CSV@", "@FIFO@", "@DIR@", "@MISSING@", "@FILE@", "@RESULT@", "", "-"]
# --store of a command that records runs: a store it may create or change is in the working folder
# (@WSTORE@: a copy of @STORE@ made for the case)
STORES = ["@WSTORE@", "@DIR@", "@FIFO@", "@FILE@", "@WORK@/new.sqlite", "@WNESTED@/runs.sqlite", "@WDIR@", "@WFIFO@",
          "@RESULT@"]
# --store of a command that only reads it: a missing store in the user's folder must stay missing
READ_STORES = ["@STORE@", "@DIR@", "@FIFO@", "@FILE@", "@MISSING@", "@USER@/runs.sqlite", "@WDIR@", "@WFIFO@", "@RESULT@"]


def robust_options():
    """--robust with sizes that are tiny or refused (never the default 20 futures and 500 evaluations)."""
    return command(["--robust", one("--scenarios", ["0", "-1", "1", "1e9", "x"]),
                    one("--eval-samples", ["0", "-1", "1", "1e9"]), one("--workers", ["0", "-1", "1"])],
                   {"--risk": ["mean", "cvar:nan", "cvar:2", "cvar:0.9:-1", "::::", "cvar:", "[red]", "cvar:0.5:inf",
                               "cvar:0.5"], "--sample-seed": SEEDS, "--eval-seed": SEEDS}, max_options=1)


def solve_argv():
    return command(["solve", [(i,) for i in INSTANCES], MOSTLY, [("--no-why",)] * 3 + [()], [("--quiet",), ()]], {
        "--time-limit": BAD_FLOATS, "--gap": ["nan", "-1", "1", "2", "inf", "0", "1e-300", "x", "0.5"],
        "--threads": BAD_INTS, "--seed": SEEDS, "--objective": ["max-hpo", "min-cost", "max-cumulative-hpo", "bad", "[red]", ""],
        "--log": ["@WDIR@", "@WFIFO@", "@WNESTED@/log.txt", "@WUNDERFILE@", "@OUT@/log.txt", "", "log.txt"],
        "--out": OUT_PATHS, "--store": STORES, "--stage1-only": FLAG, "--robust": robust_options,
        "--set": ["budget.total_bn_rub=nan", "[red]=1", "budget.total_bn_rub=0"]})


@fuzz_settings(60)
@given(args=solve_argv())
def test_solve_options(arena, args):
    if not arena.begin("solve_options"):
        return
    arena.run("solve_options", args, timeout=12)


SWEEP_VALUES = ["0:1e9:1", "1:0:1", "0:10:0", "0:10:-1", "nan:1:1", "0:nan:1", "1:2:nan", "inf", "1e400", "0:inf:1",
                "-inf:0:1", "", ",", "5", "5,6", "a,b", "::::", "1:2:3:4", "-1e308:1e308:1e-308", "5:6:1", "8:10:2",
                "1e308,-1e308", "nan", "10,nan", "0:1e6:0.001", "1e-300:1e-299:1e-310", "-5", "5:5:1", "[red]"]
SWEEP_PARAMS = ["budget.total_bn_rub", "budget.total_bn_rub", "budget.rd_envelope_bn_rub", "budget.totl_bn_rub", "name",
                "sites.Old.max_modules", "horizon.end_year", "", "[red]", "sites", "policy.plants_online.enabled",
                "budget.yearly_cap_bn_rub.2025"]


def sweep_argv():
    def second_pair():
        return st.sampled_from([["--param", "budget.rd_envelope_bn_rub", "--values", "1,2"],
                                ["--param", "budget.total_bn_rub", "--values", "0:1e9:1"], ["--param", "name"],
                                ["--values", "5"]])

    return command(["sweep", [(i,) for i in INSTANCES[:6]], [("--param", p) for p in SWEEP_PARAMS],
                    [("--values", v) for v in SWEEP_VALUES], one("--out", ["@OUT@"] * 4 + OUT_PATHS[:6]),
                    "--time-limit", "5", MOSTLY], {
        "second": second_pair, "--workers": ["0", "-1", "1", "100000", "x", "2"], "--scheduler": ["::::", "tcp://", "[red]", ""],
        "--target-hpo": ["nan", "inf", "-1", "0", "1e400", "500", "1e9"],
        "--tolerance": ["0", "-1", "nan", "inf", "1e-300", "1", "100"], "--objective": ["max-hpo", "min-cost", "bad"],
        "--gap": ["nan", "-1", "2"], "--resume": FLAG, "--no-reuse": FLAG,
        "--set": ["budget.total_bn_rub=nan", "[red]=1", "budget.rd_envelope_bn_rub=1"]})


@fuzz_settings(40)
@given(args=sweep_argv())
def test_sweep_options(arena, args):
    if not arena.begin("sweep_options"):
        return
    arena.run("sweep_options", args, timeout=12)


PLANS = ["@RESULT@", "@RESULT_REL@", "1", "run:1", "#1", "0", "-1", "99999999999999999999", "@DIR@", "@MISSING@", "@FIFO@",
         "@TWO@", "@FILE@", "", "[red]", "@CSV@", "2"]


def stress_argv():
    return command(["stress", [(p,) for p in PLANS], one("--samples", ["0", "-1", "1", "2", "1e9", "nan", "x"]),
                    one("--workers", ["0", "-1", "1", "1", "1", "1", "100000", "2"]),
                    one("--out", ["@OUT@"] * 4 + OUT_PATHS[:6]), "--quiet", [("--no-store",), ()]], {
        "--seed": SEEDS, "--scheduler": ["::::", "tcp://", "[red]", ""],
        "--batch": ["0", "-1", "1", "25", "1000000", str(2**63)], "--store": STORES})


@fuzz_settings(30)
@given(args=stress_argv())
def test_stress_options(arena, args):
    if not arena.begin("stress_options"):
        return
    arena.run("stress_options", args, timeout=15, env={"REEPLAN_STORE": "@WSTORE@"})


def generate_argv():
    counts = ["-1", "0", "1", "2", "3", "x", "1e9", str(2**63)]
    outs = ["@OUT@/g.yaml", "@OUT@", "@WFILE@", "@WFIFO@", "@WDIR@", "@WUNDERFILE@", "", "@WORK@/g.yml", "@WORK@/g.json",
            "@WORK@/g.txt", "@WNESTED@/g.yaml", "@WFILE@/g.yaml"]
    return command(["generate", [("--out", o) for o in outs] + [()]], {
        "--sites": counts, "--deposits": counts, "--power-sources": counts, "--programmes": ["-1", "0", "1", "8", "9", "100"],
        "--years": ["-1", "0", "1", "2", "3", "61", str(2**63)], "--seed": SEEDS,
        "--family": ["small", "medium", "bad", "[red]", "", "../x", "xl "],
        "--budget-share": ["nan", "inf", "-1", "0", "1e-300", "0.5", "10", "11"]})


@fuzz_settings(60)
@given(args=generate_argv())
def test_generate_options(arena, args):
    if not arena.begin("generate_options"):
        return
    arena.run("generate_options", args, timeout=15)


RUN_IDS = ["1", "0", "-1", "2", str(10**30), str(2**63), "x", "1e3", "", "#1", "run:1"]


def runs_argv():
    store = {"--store": READ_STORES}
    return st.one_of(
        command(["runs", "list"], {**store, "--instance": ["[red]x", "two-sites", ":100:", "\x1b[31m", "%", "'"],
                                   "--status": ["optimal", "bad", ""], "--command": ["solve", "[/]", "'; DROP TABLE runs; --"],
                                   "--limit": ["0", "-1", "1", str(10**30), "x", "1e9", str(2**63)], "--json": FLAG}),
        command(["runs", "show", [(r,) for r in RUN_IDS]], store, 1),
        command(["runs", "export", [(r,) for r in RUN_IDS], one("--out", OUT_PATHS)], store, 1))


@fuzz_settings(80)
@given(args=runs_argv())
def test_runs_options(arena, args):
    if not arena.begin("runs_options"):
        return
    arena.run("runs_options", args, timeout=15, env={"REEPLAN_STORE": "@STORE@"})


def report_argv():
    html = ["@WORK@/r.html", "@WORK@/r.html", "@WDIR@", "@WFIFO@", "@WNESTED@/r.html", "@WUNDERFILE@", "", "@WORK@/r.txt",
            "r.html"]
    return command(["report", [(p,) for p in PLANS], one("--html", html)], {
        "--png": ["@WORK@/png", "@WFILE@", "@WFIFO@", "@WUNDERFILE@", "@WDIR@"], "--store": READ_STORES}, 2)


@fuzz_settings(30)
@given(args=report_argv())
def test_report_options(arena, args):
    if not arena.begin("report_options"):
        return
    arena.run("report_options", args, timeout=25, env={"REEPLAN_STORE": "@STORE@"})


def export_argv():
    files = ["@WORK@/m.mps", "@WORK@/m.lp", "@WORK@/m.txt", "@WDIR@", "@WFIFO@", "@WNESTED@/m.mps", "@WUNDERFILE@", "",
             "m.mps", "@WORK@/M.MPS"]
    return command(["export", [(i,) for i in INSTANCES], one("--mps", files) + [()]], {
        "--lp": files, "--objective": ["max-hpo", "min-cost", "bad"],
        "--set": ["budget.total_bn_rub=1e400", "budget.total_bn_rub=5", "[red]=1", "sites.Old.max_modules=1000000"]}, 2)


@fuzz_settings(60)
@given(args=export_argv())
def test_export_options(arena, args):
    if not arena.begin("export_options"):
        return
    arena.run("export_options", args, timeout=15)


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
