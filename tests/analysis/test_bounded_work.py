"""Bounded work: sweeps, bisection and generated instances have limits checked before any work starts; a
mistyped --param is refused before a point is solved; a sweep whose every point fails still gives a table;
`runs rm` can say what it would delete; local workers die with their parent, SIGKILL included.

The new API is imported inside the tests, so that each test fails on its own before it exists."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from reeplan.analysis.sweep import run_sweep, threshold_budget
from reeplan.analysis.sweep_plan import POINTS_DIR, make_plan, parse_values
from reeplan.errors import InstanceError, UsageError

from tests.conftest import DATA, ROOT

TWO = str(DATA / "two_sites.yaml")
NO_POLICY = "policy.plants_online.enabled=false"


# ---------------------------------------------------------------------------------- sweep points


def test_a_huge_range_is_refused_before_the_list_is_built():
    """0:1e9:1 would be a billion points: refused at once, in a process that could not even hold the list."""
    code = textwrap.dedent("""
        import resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        from reeplan.analysis.sweep_plan import parse_values
        from reeplan.errors import UsageError
        tick = time.perf_counter()
        try:
            parse_values("0:1e9:1")
        except UsageError as exc:
            print(f"{time.perf_counter() - tick:.3f}", exc, sep="\\n")
            sys.exit(0)
        sys.exit(3)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seconds, message = proc.stdout.split("\n", 1)
    assert float(seconds) < 0.5
    assert "1,000,000,001 points" in message and "10,000" in message and "REEPLAN_MAX_SWEEP_POINTS" in message


def test_sweep_point_limit_and_its_override(monkeypatch):
    from reeplan.analysis.sweep_plan import MAX_SWEEP_POINTS

    assert MAX_SWEEP_POINTS == 10_000
    assert len(parse_values("0:9999:1")) == 10_000  # the limit itself is allowed
    with pytest.raises(UsageError, match="10,001 points"):
        parse_values("0:10000:1")
    with pytest.raises(UsageError, match="points"):
        parse_values(",".join(["1"] * 10_001))  # a comma list is counted too
    monkeypatch.setenv("REEPLAN_MAX_SWEEP_POINTS", "50")
    with pytest.raises(UsageError, match="51 points"):
        parse_values("0:50:1")
    assert len(parse_values("0:49:1")) == 50
    monkeypatch.setenv("REEPLAN_MAX_SWEEP_POINTS", "20000")
    assert len(parse_values("0:10000:1")) == 10_001
    for bad in ("lots", "0", "-5", "1e3"):
        monkeypatch.setenv("REEPLAN_MAX_SWEEP_POINTS", bad)
        with pytest.raises(UsageError, match="REEPLAN_MAX_SWEEP_POINTS"):
            parse_values("1,2")


def test_a_grid_is_counted_as_a_whole(monkeypatch):
    monkeypatch.setenv("REEPLAN_MAX_SWEEP_POINTS", "100")
    make_plan(TWO, ["budget.total_bn_rub", "technology.recovery_today"], ["1:10:1", "0.1:1:0.1"])  # 10 x 10
    with pytest.raises(UsageError, match="110 points"):
        make_plan(TWO, ["budget.total_bn_rub", "technology.recovery_today"], ["0:10:1", "0.1:1:0.1"])  # 11 x 10


def test_values_that_are_not_finite_are_refused():
    for bad in ("0:inf:1", "0:1:nan", "nan:1:0.1", "inf", "1,nan", "-inf:0:1", "0:1:1e-320"):
        with pytest.raises(UsageError):
            parse_values(bad)


def test_value_bounds_reads_a_range_without_building_it():
    from reeplan.analysis.sweep_plan import value_bounds

    assert value_bounds("0:1e9:1") == (0.0, 1e9)  # the bisection needs only the ends
    assert value_bounds("3,1,2") == (1.0, 3.0)
    with pytest.raises(UsageError):
        value_bounds("0:inf:1")


# ---------------------------------------------------------------------------------- bisection


def test_bisection_stops_on_its_iteration_bound_and_says_so():
    steps = []
    found = threshold_budget(TWO, 700, 0, 20, tolerance=1e-300, base_overrides=(NO_POLICY,), max_iterations=5,
                             on_step=lambda v, h: steps.append(v))
    assert found["reachable"] and found["stopped_on_bound"] and found["iterations"] == 5
    assert len(steps) == 2 + 5  # the two ends, then five halvings
    assert found["not_enough"] <= 7.0 <= found["value"] and "iteration" in found["message"]
    ok = threshold_budget(TWO, 700, 0, 20, tolerance=0.5, base_overrides=(NO_POLICY,))
    assert not ok["stopped_on_bound"] and ok["iterations"] <= 6 and 7.0 <= ok["value"] <= 7.5


def test_bisection_default_bound_ends_a_search_the_tolerance_cannot():
    from reeplan.analysis.sweep_plan import MAX_BISECTION_STEPS

    steps = []
    found = threshold_budget(TWO, 700, 0, 20, tolerance=1e-300, base_overrides=(NO_POLICY,),
                             on_step=lambda v, h: steps.append(v))
    assert MAX_BISECTION_STEPS == 60 and found["iterations"] <= MAX_BISECTION_STEPS
    assert found["stopped"] in ("iterations", "precision") and found["message"]
    assert len(steps) <= 2 + MAX_BISECTION_STEPS and abs(found["value"] - 7.0) < 1e-5  # 7 bn, to the solver's tolerance


def test_bisection_refuses_a_tolerance_or_range_it_cannot_use():
    for tolerance in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(UsageError, match="tolerance"):
            threshold_budget(TWO, 700, 0, 20, tolerance=tolerance)
    for low, high in ((5, 1), (0, math.inf), (math.nan, 1)):
        with pytest.raises(UsageError):
            threshold_budget(TWO, 700, low, high)
    with pytest.raises(UsageError):
        threshold_budget(TWO, 700, 0, 20, max_iterations=0)


# ---------------------------------------------------------------------------------- --param checked first


@pytest.fixture
def no_solves(monkeypatch):
    """Fail the test if any point is solved."""
    import reeplan.analysis.sweep as sweep

    def solved(*args, **kwargs):
        raise AssertionError("a point was solved before the sweep was checked")

    monkeypatch.setattr(sweep, "solve_point", solved)


@pytest.mark.parametrize("param, says", [
    ("budget.total_bn_rubb", "total_bn_rub"),  # a typo: with the close name
    ("budgett.total_bn_rub", "budget"),
    ("budget", "section"),  # a section, not a scalar
    ("name", "numeric"),  # a scalar, but text
    ("policy.jobs.enabled", "numeric"),  # a switch, not a number
    ("sites.Nowhere.max_modules", "Nowhere"),
])
def test_a_mistyped_param_is_refused_before_any_point_is_solved(tmp_path, no_solves, param, says):
    plan = make_plan(TWO, [param], ["1,2"])
    with pytest.raises((UsageError, InstanceError)) as exc:
        run_sweep(plan, tmp_path / "s")
    assert param in str(exc.value) and says in str(exc.value)
    assert not list((tmp_path / "s" / POINTS_DIR).glob("*.json")) if (tmp_path / "s").exists() else True


def test_bisection_checks_its_param_first(no_solves):
    with pytest.raises((UsageError, InstanceError), match="total_bn_rubb"):
        threshold_budget(TWO, 700, 0, 20, param="budget.total_bn_rubb")


def test_a_bad_value_is_not_a_bad_param(tmp_path):
    """A value the instance rejects fails its points (recorded), it does not refuse the sweep."""
    plan = make_plan(TWO, ["technology.recovery_today"], ["1.5,0.5"], base_overrides=(NO_POLICY,))
    df = run_sweep(plan, tmp_path / "s")
    assert list(df["status"]) == ["error", "optimal"]


def test_a_sweep_whose_every_point_fails_still_has_its_columns(tmp_path):
    from reeplan.report.compare_plots import sweep_curve

    plan = make_plan(TWO, ["technology.recovery_today"], ["1.5,2"])
    df = run_sweep(plan, tmp_path / "s")
    assert set(df["status"]) == {"error"}
    for column in ("index", "technology.recovery_today", "status", "objective", "hpo_t", "reo_t", "spend_bn_rub",
                   "spend_plants_bn_rub", "marginal_total_hpo_per_bn_rub", "error", "seconds"):
        assert column in df.columns, column
    assert df["hpo_t"].isna().all()
    sweep_curve(df, "technology.recovery_today", tmp_path / "curve.png")  # no KeyError: 'hpo_t'


def test_cli_sweep_whose_every_point_fails_reports_instead_of_crashing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reeplan", "sweep", TWO, "--param", "technology.recovery_today",
                           "--values", "1.5,2", "--no-store", "--out", str(tmp_path / "s")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert "KeyError" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 5, proc.stderr[-2000:]  # NoSolutionError: no plan at any point (README, exit codes)
    assert "every one of the 2 sweep point(s) failed" in proc.stderr and "recovery_today" in proc.stderr
    assert (tmp_path / "s" / "sweep.csv").exists()


def test_a_sweep_will_not_take_over_a_folder_reeplan_did_not_write(tmp_path, no_solves):
    mine = tmp_path / "mine"
    (mine / POINTS_DIR).mkdir(parents=True)
    (mine / POINTS_DIR / "1.json").write_text("my own data")
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["1,2"])
    with pytest.raises(UsageError, match="--force"):
        run_sweep(plan, mine)
    assert (mine / POINTS_DIR / "1.json").read_text() == "my own data"


def test_a_sweep_folder_is_marked_and_resumable(tmp_path):
    from reeplan.result.folders import check_out_dir, is_result_folder

    plan = make_plan(TWO, ["budget.total_bn_rub"], ["5,10"], base_overrides=(NO_POLICY,))
    run_sweep(plan, tmp_path / "s")
    assert is_result_folder(tmp_path / "s") and check_out_dir(tmp_path / "s", False)
    df = run_sweep(plan, tmp_path / "s", resume=True)
    assert list(df["status"]) == ["optimal", "optimal"]
    assert not [p for p in (tmp_path / "s" / POINTS_DIR).iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------- generate


def test_generated_sizes_are_capped(monkeypatch):
    from reeplan.generate import MAX_GENERATED, generate_instance

    assert MAX_GENERATED == 2000
    for kwargs in (dict(sites=2001), dict(deposits=2001), dict(power_sources=2001), dict(sites=100_000)):
        size = {**dict(sites=3, deposits=3, power_sources=2, programmes=2, years=4), **kwargs}
        tick = time.perf_counter()
        with pytest.raises(UsageError, match="REEPLAN_MAX_GENERATED"):
            generate_instance(**size, seed=0)
        assert time.perf_counter() - tick < 0.5
    with pytest.raises(UsageError, match="60"):
        generate_instance(3, 3, 2, 2, 61, seed=0)
    monkeypatch.setenv("REEPLAN_MAX_GENERATED", "5")
    generate_instance(5, 5, 5, 2, 4, seed=0)
    with pytest.raises(UsageError, match="sites"):
        generate_instance(6, 3, 2, 2, 4, seed=0)
    monkeypatch.setenv("REEPLAN_MAX_GENERATED", "many")
    with pytest.raises(UsageError, match="REEPLAN_MAX_GENERATED"):
        generate_instance(3, 3, 2, 2, 4, seed=0)


def test_generated_seed_must_be_a_usable_number():
    from reeplan.generate import generate_instance

    with pytest.raises(UsageError, match="seed"):
        generate_instance(3, 3, 2, 2, 4, seed=-1)


# ---------------------------------------------------------------------------------- runs rm


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    from reeplan.instance.io import load_instance
    from reeplan.solving.pipeline import solve
    from reeplan.store.runs import open_store, record_run

    store = open_store(tmp_path_factory.mktemp("store") / "runs.sqlite")
    inst = load_instance(TWO)
    res = solve(inst)
    return store, [record_run(store, res, inst, "solve", label="first"), record_run(store, res, inst, "solve")]


def test_remove_run_dry_run_says_what_it_would_remove_and_removes_nothing(two_runs):
    from reeplan.store.runs import get_run, list_runs, remove_run

    store, (a, b) = two_runs
    before = list(list_runs(store)["id"])
    plan = remove_run(store, a, dry_run=True)
    assert list(list_runs(store)["id"]) == before
    assert plan["id"] == a and plan["label"] == "first" and plan["command"] == "solve"
    assert plan["instance_name"] == "two-sites" and "plants" in plan["tables"]
    assert plan["instance_removed"] is False and plan["removed"] is False  # run b still uses the instance
    done = remove_run(store, a)
    assert done["removed"] is True and {k: v for k, v in done.items() if k != "removed"} == \
        {k: v for k, v in plan.items() if k != "removed"}
    with pytest.raises(Exception, match="no run"):
        get_run(store, a)
    last = remove_run(store, b, dry_run=True)
    assert last["instance_removed"] is True  # the last run of that instance takes it along
    assert get_run(store, b)["id"] == b


def test_remove_runs_is_all_or_nothing(two_runs):
    from reeplan.store.runs import list_runs, remove_runs

    store, (_, b) = two_runs
    before = list(list_runs(store)["id"])
    with pytest.raises(Exception, match="no run 999"):
        remove_runs(store, [b, 999])
    assert list(list_runs(store)["id"]) == before
    assert [r["id"] for r in remove_runs(store, [b], dry_run=True)] == [b]


# ---------------------------------------------------------------------------------- no orphans


def _pgroup_members(pgid: int) -> dict[int, str]:
    """pid -> command line of every live process in process group ``pgid`` (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
    return found


def _children(pid: int) -> dict[int, str]:
    kids = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
                if ppid == pid:
                    kids[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ValueError, StopIteration):
                continue
    return kids


def _wait_gone(pgid: int, seconds: float) -> dict[int, str]:
    deadline = time.time() + seconds
    left = _pgroup_members(pgid)
    while left and time.time() < deadline:
        time.sleep(0.1)
        left = _pgroup_members(pgid)
    return left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_sigkill_of_a_sweep_leaves_no_worker_and_no_resource_tracker(tmp_path):
    cmd = [sys.executable, "-m", "reeplan", "sweep", TWO, "--param", "budget.total_bn_rub", "--values", "0:40:1",
           "--workers", "2", "--no-store", "--out", str(tmp_path / "s")]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    pgid = proc.pid  # a new session: its leader's pid is the group id
    try:
        deadline = time.time() + 120
        workers: dict[int, str] = {}
        while time.time() < deadline and proc.poll() is None:
            workers = {p: c for p, c in _children(proc.pid).items() if "spawn_main" in c}
            if len(workers) >= 2 and list((tmp_path / "s" / POINTS_DIR).glob("*.json")):
                break  # both workers are up and at least one has solved a point
            time.sleep(0.05)
        assert proc.poll() is None and len(workers) >= 2, "the sweep ended before its workers could be seen"
        assert any("resource_tracker" in c for c in _children(proc.pid).values())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        left = _wait_gone(pgid, 10)
        assert left == {}, left
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)  # whatever the test started and is still there
        except ProcessLookupError:
            pass


WATCHED = textwrap.dedent("""
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(__import__("os").getpid())])
    print(child.pid, flush=True)
    time.sleep(120)
""")
CHILD = textwrap.dedent("""
    import sys, time
    import reeplan.parallel as parallel
    parallel._set_pdeathsig = lambda: False  # as where prctl is unavailable: the watchdog thread must act
    parallel.die_with_parent(int(sys.argv[1]), interval=0.1)
    time.sleep(120)
""")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_the_watchdog_ends_a_worker_whose_parent_died_without_prctl():
    proc = subprocess.Popen([sys.executable, "-c", WATCHED, CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        child = int(proc.stdout.readline())
        time.sleep(1.5)  # the child is up and watching
        assert child in _pgroup_members(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _wait_gone(proc.pid, 10) == {}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    code = "import reeplan.parallel as p, time; p.die_with_parent(1); time.sleep(30)"  # pid 1 is not our parent
    tick = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode != 0 and time.perf_counter() - tick < 20
