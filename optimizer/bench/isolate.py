"""One benchmark run in a fresh process: the parent's side, with the wall limit, the kill and the peak memory.

The child (``python -m reeplan.bench.child --child SPEC RESULT``, its own session) is waited for
with ``os.wait4``, so its peak resident memory is its ``ru_maxrss``; at the wall limit its whole
process group is killed. A crash, a hang or a memory blow-up is a record, never an exception.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from reeplan.bench import child
from reeplan.solving.highs import status_name  # at the top: see run_isolated

CHILD_COMMAND = (sys.executable, "-m", child.__name__)  # run_isolated appends --child SPEC RESULT


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _name_highs_status(rec: dict) -> None:
    """The child hands up HiGHS's raw model status (an MPS run on highspy); name it as the HiGHS adapter does."""
    raw = rec.pop("highs_model_status", None)
    if raw is not None:
        rec["status"] = status_name(raw)


def run_isolated(spec: dict, wall_limit: float, log_path: Path | None = None, *,
                 command: Sequence[str] = CHILD_COMMAND) -> dict:
    """Run one spec in a fresh Python process; always return a record (status crashed/killed on failure).

    ``wall_s``: the child's whole life (Python start-up included); ``peak_rss_mb``: its ru_maxrss. On Linux
    that counts the parent's resident memory when the child started (kept across exec), so this module
    imports what it needs up front: the parent's imports do not change from one run to the next.
    ``command``: the child program, given ``--child SPEC RESULT``; it writes the record (JSON) to RESULT."""
    with tempfile.TemporaryDirectory(prefix="reeplan-run-") as tmp:
        spec_file, out_file = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_file.write_text(json.dumps(spec, default=child.json_default))
        log_path = log_path or Path(tmp) / "child.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": str(spec.get("threads") or 1)}
        with log_path.open("wb") as log:
            tick = time.perf_counter()
            proc = subprocess.Popen([*command, "--child", str(spec_file), str(out_file)], stdout=log,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)
            killed, status, usage = False, 0, None
            deadline = tick + wall_limit
            try:
                while True:
                    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                    if pid:
                        break
                    if time.perf_counter() > deadline:
                        killed = True
                        _kill_group(proc.pid)
                        _, status, usage = os.wait4(proc.pid, 0)
                        break
                    time.sleep(0.02)
            except BaseException:  # Ctrl-C in the parent: the child has its own session, stop it too
                _kill_group(proc.pid)
                proc.wait()
                raise
            wall = time.perf_counter() - tick
            proc.returncode = os.waitstatus_to_exitcode(status)
        if out_file.exists() and not killed:
            rec = json.loads(out_file.read_text())
            _name_highs_status(rec)
        else:
            rec = {"status": "killed" if killed else "crashed", "has_solution": False}
            if killed:
                rec["message"] = f"killed at the wall limit of {wall_limit:g} s"
            else:
                rec["message"] = f"child died with exit code {proc.returncode}: {_tail(log_path)}".rstrip(": ")
        rec.pop("peak_rss_mb_self", None)
        rec["wall_s"] = wall
        rec["exit_code"] = proc.returncode
        rec["peak_rss_mb"] = usage.ru_maxrss / 1024 if usage is not None else None
        if rec.get("status") == "error" and not rec.get("message"):
            rec["message"] = _tail(log_path)
    return rec
