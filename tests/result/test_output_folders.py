"""Output folders that cannot escape or destroy: sanitised default names, a check before the solve, a
result folder replaced whole (old or new, never a mix), the user's own files kept, no symlink followed.

The new API is imported inside the tests, so that each test fails on its own before it exists."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from reeplan.errors import UsageError
from reeplan.instance.io import load_instance
from reeplan.result.result import Status, atomic_write, read_result
from reeplan.solving.pipeline import solve

from tests.conftest import DATA, ROOT

TWO = DATA / "two_sites.yaml"
HOSTILE = ["../../x", "/etc/passwd", "..", ".", "...", ".hidden", "a/../../b", "a\\..\\..\\b", "C:\\Windows\\x",
           "name\x00with\x1bcontrol\n", "CON", "nul.txt", "Lpt1", "  ", "", "\u202egnp.exe", "x" * 500,
           "\U0001f600" * 300, "~", "~/x", "reeplan-out/../..", "a\tb"]


@pytest.fixture(scope="module")
def results():
    """Two different plans of the two-site instance (budget 10 and 5), and the infeasible one (diagnosis)."""
    inst = load_instance(TWO)
    big, small = solve(inst), solve(load_instance(TWO, ["budget.total_bn_rub=5",
                                                        "policy.plants_online.enabled=false"]))
    bad = solve(load_instance(TWO, ["policy.plants_online.min_count=3"]), why=False)
    assert big.status == small.status == Status.OPTIMAL and bad.status == Status.INFEASIBLE
    return inst, big, small, bad


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes); symlinks as their target text."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = b"->" + os.readlink(path).encode()
        elif path.is_file():
            found[rel] = path.read_bytes()
    return found


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


# ---------------------------------------------------------------------------------- default names


def test_safe_folder_name_is_one_harmless_component():
    from reeplan.result.folders import safe_folder_name

    for name in HOSTILE:
        safe = safe_folder_name(name)
        assert safe and safe == safe.strip(), repr(name)
        assert "/" not in safe and "\\" not in safe and ":" not in safe and ".." not in safe, (name, safe)
        assert not safe.startswith((".", "~", "-")), (name, safe)
        assert all(ch.isprintable() and ch not in "\u202e" for ch in safe), (name, safe)
        assert len(safe) <= 100 and len(safe.encode()) <= 200, (name, safe)
        assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "LPT1", "COM1"}, (name, safe)
    assert safe_folder_name("") == safe_folder_name("  ") == safe_folder_name("..") == "instance"
    assert safe_folder_name("siberia-2030") == "siberia-2030"  # an ordinary name is kept as it is
    assert safe_folder_name("Сибирь 2030") == "Сибирь 2030"  # and so are letters of any script
    assert safe_folder_name("x" * 500) != safe_folder_name("x" * 499)  # a cut name keeps a trace of the rest


def test_default_out_dir_stays_under_reeplan_out(tmp_path, monkeypatch):
    from reeplan.result.folders import default_out_dir

    monkeypatch.chdir(tmp_path)
    base = (tmp_path / "reeplan-out").resolve()
    for name in HOSTILE:
        for kind in ("", "-stress", "-robust", "/../../evil"):
            path = default_out_dir(name, kind)
            assert path.parent == Path("reeplan-out"), (name, kind, path)
            assert path.resolve().parent == base, (name, kind, path)
    assert default_out_dir("two-sites") == Path("reeplan-out/two-sites")
    assert default_out_dir("two-sites", "-stress") == Path("reeplan-out/two-sites-stress")


# ---------------------------------------------------------------------------------- the check before a solve


def test_check_out_dir_refuses_an_existing_file_even_with_force(tmp_path):
    from reeplan.result.folders import check_out_dir

    victim = tmp_path / "plan.txt"
    victim.write_text("mine")
    for force in (False, True):
        with pytest.raises(UsageError) as exc:
            check_out_dir(victim, force)
        assert exc.value.exit_code == 2 and str(victim) in str(exc.value) and "--out" in str(exc.value)
    with pytest.raises(UsageError):
        check_out_dir(victim / "below", True)  # a file on the way is refused too
    assert victim.read_text() == "mine"


def test_check_out_dir_refuses_a_folder_reeplan_did_not_write_unless_forced(tmp_path):
    from reeplan.result.folders import check_out_dir

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError) as exc:
        check_out_dir(mine, False)
    text = str(exc.value)
    assert str(mine) in text and "--force" in text and "--out" in text
    assert check_out_dir(mine, True) == mine.resolve()
    assert (mine / "thesis.tex").read_text() == "years of work"  # a check never touches anything
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_out_dir(empty, False) == empty.resolve()  # nothing to lose
    assert check_out_dir(tmp_path / "new" / "deep", False) == (tmp_path / "new" / "deep").resolve()
    assert not (tmp_path / "new").exists()


def test_a_written_result_folder_is_marked_and_can_be_written_again(results, tmp_path):
    from reeplan.result.folders import MARKER, check_out_dir, is_result_folder

    inst, big, small, _ = results
    out = tmp_path / "plan"
    written = big.write(out, inst)
    assert is_result_folder(out) and (out / MARKER).is_file()
    assert MARKER not in {p.name for p in written} and all(p.parent == out for p in written)
    assert json.loads((out / MARKER).read_text())["reeplan"]  # says which reeplan wrote it
    assert check_out_dir(out, False) == out.resolve()
    small.write(out, inst)  # no --force needed for reeplan's own folder
    assert read_result(out).objective == pytest.approx(small.objective)


def test_prepare_out_dir_creates_and_marks_a_folder_for_other_writers(tmp_path):
    from reeplan.result.folders import check_out_dir, is_result_folder, prepare_out_dir

    out = prepare_out_dir(tmp_path / "stress", False)
    assert out.is_dir() and is_result_folder(out)
    (out / "samples.csv").write_text("a\n1\n")
    assert check_out_dir(out, False) == out  # the next run may write there


# ---------------------------------------------------------------------------------- Result.write


def test_write_refuses_a_folder_reeplan_did_not_write(results, tmp_path):
    inst, big, _, _ = results
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.json").write_text("my own summary")
    (mine / "plants.csv").write_text("my own plants")
    before = _snapshot(mine)
    with pytest.raises(UsageError) as exc:
        big.write(mine, inst)
    assert "--force" in str(exc.value)
    assert _snapshot(mine) == before and _siblings(mine) == []


def test_write_refuses_an_existing_file(results, tmp_path):
    inst, big, _, _ = results
    victim = tmp_path / "out"
    victim.write_text("mine")
    for force in (False, True):
        with pytest.raises(UsageError):
            big.write(victim, inst, force=force)
    assert victim.read_text() == "mine" and _siblings(victim) == []


def test_force_replaces_reeplans_files_and_keeps_every_other_file(results, tmp_path):
    """With --force, files named like reeplan's are replaced; everything else (files, folders, links) is kept."""
    inst, big, _, _ = results
    mine = tmp_path / "mine"
    (mine / "notes" / "deep").mkdir(parents=True)
    (mine / "thesis.tex").write_text("years of work")
    (mine / "notes" / "deep" / "a.txt").write_text("a")
    (mine / "plants.csv").write_text("my own plants")
    os.symlink("thesis.tex", mine / "link")
    big.write(mine, inst, force=True)
    after = _snapshot(mine)
    assert after["thesis.tex"] == b"years of work" and after["notes/deep/a.txt"] == b"a"
    assert after["link"] == b"->thesis.tex"
    assert after["plants.csv"] != b"my own plants" and read_result(mine).objective == pytest.approx(big.objective)
    assert _siblings(mine) == []


def test_rewrite_drops_stale_tables_and_keeps_other_files(results, tmp_path):
    inst, big, _, bad = results
    out = tmp_path / "plan"
    bad.write(out, inst)
    assert (out / "diagnosis.csv").exists()
    (out / "comparison").mkdir()  # e.g. what `solve --robust` writes beside its plan
    (out / "comparison" / "comparison.csv").write_text("x\n")
    (out / "my-notes.md").write_text("why this run")
    big.write(out, inst)
    assert not (out / "diagnosis.csv").exists()  # a stale table of an earlier run would mislead
    assert (out / "my-notes.md").read_text() == "why this run"
    assert (out / "comparison" / "comparison.csv").read_text() == "x\n"
    assert read_result(out).status == Status.OPTIMAL and _siblings(out) == []


def test_write_into_an_empty_folder_and_a_missing_one(results, tmp_path):
    inst, big, _, _ = results
    (tmp_path / "empty").mkdir()
    big.write(tmp_path / "empty", inst)
    big.write(tmp_path / "a" / "b" / "c", inst)
    for out in (tmp_path / "empty", tmp_path / "a" / "b" / "c"):
        assert read_result(out).objective == pytest.approx(big.objective)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]  # no temporary folder left


def test_write_through_a_symlink_replaces_the_folder_it_names(results, tmp_path):
    inst, big, small, _ = results
    real = tmp_path / "runs" / "7"
    big.write(real, inst)
    os.symlink(real, tmp_path / "latest")
    small.write(tmp_path / "latest", inst)
    assert (tmp_path / "latest").is_symlink()  # the link is kept, the folder it names holds the new result
    assert read_result(real).objective == pytest.approx(small.objective)


def test_a_failing_swap_leaves_the_old_result_intact_and_complete(results, tmp_path, monkeypatch):
    """Simulated crash mid-write: the step that swaps the new folder in raises; the old folder is untouched."""
    import reeplan.result.folders as folders

    inst, big, small, _ = results
    out = tmp_path / "plan"
    big.write(out, inst)
    (out / "mine.txt").write_text("keep me")
    before = _snapshot(out)

    def crash(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(folders, "_swap", crash)
    with pytest.raises(OSError, match="disk gone"):
        small.write(out, inst)
    assert _snapshot(out) == before
    assert read_result(out).objective == pytest.approx(big.objective)
    assert _siblings(out) == []  # the half-built new folder was removed


def test_a_failing_table_leaves_the_old_result_intact(results, tmp_path, monkeypatch):
    inst, big, small, _ = results
    out = tmp_path / "plan"
    big.write(out, inst)
    before = _snapshot(out)
    broken = small.tables["plants"].copy()
    monkeypatch.setattr(broken, "to_csv", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        dataclasses.replace(small, tables={**small.tables, "plants": broken}).write(out, inst)
    assert _snapshot(out) == before and _siblings(out) == []


def test_without_an_atomic_exchange_the_fallback_still_replaces_the_folder(results, tmp_path, monkeypatch):
    """Where the kernel cannot exchange two folders atomically, the old one is renamed aside first."""
    import reeplan.result.folders as folders

    inst, big, small, _ = results
    out = tmp_path / "plan"
    big.write(out, inst)
    (out / "mine.txt").write_text("keep me")
    monkeypatch.setattr(folders, "_exchange", lambda a, b: False)
    small.write(out, inst)
    assert read_result(out).objective == pytest.approx(small.objective)
    assert (out / "mine.txt").read_text() == "keep me" and _siblings(out) == []


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path

    import reeplan.result.folders as folders
    from reeplan.instance.io import load_instance
    from reeplan.result.result import read_result

    stage, source, target = sys.argv[1:4]
    real = {"swap": folders._swap, "carry": folders._carry_over, "remove": folders._remove_old}

    def killed(*args, **kwargs):
        if stage == "after":
            real["swap"](*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    if stage in ("swap", "after"):
        folders._swap = killed
    elif stage == "carry":
        folders._carry_over = killed
    elif stage == "remove":
        folders._remove_old = killed
    read_result(source).write(target, load_instance(Path(source) / "instance.yaml"))
""")


@pytest.mark.parametrize("stage", ["carry", "swap", "after", "remove"])
def test_a_kill_at_any_step_leaves_the_old_or_the_new_result_complete(results, tmp_path, stage):
    """SIGKILL inside the write (no clean-up runs): the folder is the old result or the new one, whole, with
    the user's file; beside it at most one folder whose name says it is temporary."""
    inst, big, small, _ = results
    new_src, ref, out = tmp_path / "src", tmp_path / "ref", tmp_path / "box" / "plan"
    small.write(new_src, inst)
    read_result(new_src).write(ref, load_instance(new_src / "instance.yaml"))  # what the killed write writes
    big.write(out, inst)
    (out / "mine.txt").write_text("keep me")
    old, expected_new = _snapshot(out), {**_snapshot(ref), "mine.txt": b"keep me"}
    proc = subprocess.run([sys.executable, "-c", KILLER, stage, str(new_src), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    now = _snapshot(out)
    assert now["mine.txt"] == b"keep me"
    assert now == old or now == expected_new, sorted(set(now) ^ set(old))
    if stage in ("after", "remove"):
        assert now == expected_new
    else:
        assert now == old
    left = _siblings(out)
    assert len(left) <= 1 and all("tmp" in name and name.startswith(".") for name in left), left
    read_result(out)  # complete: it loads


# ---------------------------------------------------------------------------------- atomic_write


def test_atomic_write_never_follows_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / ".summary.json.tmp")  # the fixed temporary name of earlier versions
    atomic_write(out / "summary.json", "{}\n")
    assert victim.read_text() == "precious"
    assert (out / "summary.json").read_text() == "{}\n" and not (out / "summary.json").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == [".summary.json.tmp", "summary.json"]  # no new leftover


def test_atomic_write_temporary_names_are_random_and_exclusive(tmp_path, monkeypatch):
    """Even a symlink planted at the very name atomic_write picks is not followed: it picks another."""
    import reeplan.result.folders as folders

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(folders, "random_token", lambda: next(names))
    os.symlink(victim, tmp_path / ".x.csv.aaaa.tmp")
    atomic_write(tmp_path / "x.csv", "a\n")
    assert victim.read_text() == "precious" and (tmp_path / "x.csv").read_text() == "a\n"
    assert not (tmp_path / ".x.csv.bbbb.tmp").exists()


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    (tmp_path / "dir.csv").mkdir()  # the final rename cannot replace a folder
    with pytest.raises(OSError):
        atomic_write(tmp_path / "dir.csv", "a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.csv"]


def test_atomic_write_keeps_ordinary_permissions(tmp_path):
    path = atomic_write(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# ---------------------------------------------------------------------------------- the run store's export


def test_export_run_refuses_a_foreign_folder_unless_forced(results, tmp_path):
    from reeplan.store.runs import export_run, open_store, record_run

    inst, big, _, _ = results
    store = open_store(tmp_path / "runs.sqlite")
    run_id = record_run(store, big, inst, "solve")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError):
        export_run(store, run_id, mine)
    export_run(store, run_id, mine, force=True)
    assert (mine / "thesis.tex").read_text() == "years of work" and (mine / "instance.yaml").exists()


def test_the_working_folder_is_never_replaced(results, tmp_path, monkeypatch):
    from reeplan.result.folders import check_out_dir

    inst, big, _, _ = results
    work = tmp_path / "project"
    (work / "src").mkdir(parents=True)
    (work / "src" / "main.py").write_text("print()")
    monkeypatch.chdir(work / "src")
    for out in (work, work / "src", Path(".")):
        with pytest.raises(UsageError, match="working folder"):
            check_out_dir(out, True)
        with pytest.raises(UsageError, match="working folder"):
            big.write(out, inst, force=True)
    assert (work / "src" / "main.py").read_text() == "print()" and _siblings(work) == []


def test_keeping_too_many_files_is_refused_before_the_swap(results, tmp_path, monkeypatch):
    import reeplan.result.folders as folders

    inst, big, _, _ = results
    out = tmp_path / "mine"
    (out / "many").mkdir(parents=True)
    for i in range(6):
        (out / "many" / f"{i}.txt").write_text(str(i))
    before = _snapshot(out)
    monkeypatch.setattr(folders, "MAX_KEPT_ENTRIES", 5)
    with pytest.raises(UsageError, match="more than 5"):
        big.write(out, inst, force=True)
    assert _snapshot(out) == before and _siblings(out) == []


def test_a_file_on_the_way_is_a_usage_error(results, tmp_path):
    inst, big, _, _ = results
    (tmp_path / "plan.txt").write_text("mine")
    with pytest.raises(UsageError, match="file"):
        big.write(tmp_path / "plan.txt" / "out", inst)
    assert (tmp_path / "plan.txt").read_text() == "mine"
