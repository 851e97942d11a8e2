"""Live progress from HiGHS's MIP callbacks, and Ctrl-C that stops the solve but keeps the best plan."""

from __future__ import annotations

import io
import os
import signal

from reeplan.cli.progress import ProgressLine
from reeplan.instance.io import load_instance
from reeplan.options import SolveOptions
from reeplan.result.result import Status
from reeplan.solving.callbacks import attach_progress
from reeplan.solving.pipeline import build, solve
from rich.console import Console

from tests.conftest import ROOT

BASE = ROOT / "instances" / "siberia-2030.yaml"
HARD = ROOT / "instances" / "variants" / "no-rd.yaml"  # max-cumulative-hpo: about a second of branch and bound


def test_updates_carry_incumbent_bound_gap():
    updates = []
    res = solve(load_instance(BASE), SolveOptions(threads=1, tie_break=False), progress=updates.append)
    assert res.status == Status.OPTIMAL
    incumbents = [u["incumbent"] for u in updates if u["event"] == "incumbent"]
    assert incumbents and incumbents == sorted(incumbents)  # maximising: each new incumbent is better
    assert abs(incumbents[-1] - res.objective) <= 1e-6 * res.objective
    for u in updates:
        assert set(u) == {"event", "elapsed", "incumbent", "bound", "gap", "nodes"} and u["elapsed"] >= 0
        if u["incumbent"] is not None and u["bound"] is not None:
            assert u["bound"] >= u["incumbent"] - 1e-6 * abs(u["incumbent"]) and u["gap"] >= 0


def test_detach_removes_the_callbacks():
    built = build(load_instance(BASE))
    h = built.highs.highs
    before = [len(c.callbacks) for c in h.callbacks]
    handle = attach_progress(h, lambda u: None)
    assert [len(c.callbacks) for c in h.callbacks] != before
    handle.detach()
    assert [len(c.callbacks) for c in h.callbacks] == before


def test_ctrl_c_keeps_the_best_plan():
    sent = []
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN when started in the background (CI)

    def on_update(u):  # Ctrl-C as soon as there is a plan
        if u["incumbent"] is not None and not sent:
            sent.append(u["incumbent"])
            os.kill(os.getpid(), signal.SIGINT)

    res = solve(load_instance(HARD), SolveOptions(objective="max-cumulative-hpo", threads=1, mip_gap=0.0),
                progress=on_update, interruptible=True)
    assert sent
    assert res.status == Status.INTERRUPTED and res.has_plan
    assert res.objective >= sent[0] - 1e-6 and res.best_bound >= res.objective
    assert "interrupted" in res.message and res.tie_break.startswith("skipped")
    assert signal.getsignal(signal.SIGINT) is handler_before  # handler restored


def test_progress_line_renders_one_line():
    buf = io.StringIO()
    line = ProgressLine(console=Console(file=buf, force_terminal=True, width=120), delay=0.0, refresh=0.0)
    line({"event": "incumbent", "elapsed": 1.0, "incumbent": 21870.0, "bound": 22001.0, "gap": 0.006, "nodes": 12})
    line.mark_interrupted()
    line.close()
    text = buf.getvalue()
    assert "HPO 21,870 t" in text and "bound 22,001" in text and "0.60%" in text and "12 nodes" in text
    assert "keeping the best plan" in text
    assert ProgressLine(enabled=False).enabled is False
