"""Batches of scenarios: solve many scenarios (in this process, local workers or a Dask cluster), keep every
result as it finishes, and compare them all at the end.

A scenario is what ``reeplan.sources.parse_scenario`` makes of what the user pointed at (an instance file,
``file@path=value``, a scenario file with ``base:`` and ``overrides:``, a result folder, a run id). Each
unsolved scenario is one task, carrying its validated ``Instance`` and the options; a task returns the
``Result`` and writes nothing. This process alone writes, as each task finishes:

- ``<out>/scenarios/<NN>-<label>/`` the scenario's result folder (``Result.write``, instance included),
- ``<out>/batch.json`` the checkpoint: per scenario its label, instance hash, options and status,
- a row in the run store (``record``).

``resume`` keeps the scenarios already solved under ``<out>`` with the same instance and options and
solves the rest. Tasks are submitted largest instance first (a plain longest-first balance).
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from reeplan.analysis.compare import Comparison, Scenario, compare, make_labels_unique
from reeplan.errors import NoSolutionError, ReeplanError, UsageError
from reeplan.instance.io import instance_sha256
from reeplan.instance.schema import Instance
from reeplan.options import SolveOptions
from reeplan.parallel import Pool, RunStats
from reeplan.result.folders import prepare_out_dir, safe_folder_name
from reeplan.result.result import Result, atomic_write, read_result

SCENARIOS_DIR = "scenarios"
CHECKPOINT = "batch.json"


@dataclass
class BatchOutcome:
    """What a batch did: every scenario (solved ones carry their result), the errors, the comparison."""

    scenarios: list[Scenario]
    errors: dict[str, str]  # label -> error of a scenario whose solve raised
    comparison: Comparison | None  # of the solved scenarios, when at least two are
    folders: dict[str, Path] = field(default_factory=dict)  # label -> its result folder
    run_ids: dict[str, int | None] = field(default_factory=dict)
    resumed: list[str] = field(default_factory=list)  # labels kept from an earlier run of the batch
    stats: RunStats = field(default_factory=RunStats)


def solve_task(options: SolveOptions, task: tuple[int, Instance]) -> tuple[int, Result | None, str, float]:
    """A worker's part: solve one scenario's instance; (its number, the Result or None, error text, seconds)."""
    from reeplan.solving.pipeline import solve  # defers pyomo and highspy

    number, instance = task
    tick = time.perf_counter()
    try:
        return number, solve(instance, options), "", time.perf_counter() - tick
    except ReeplanError as exc:
        return number, None, f"{exc.__class__.__name__}: {exc}", time.perf_counter() - tick
    except Exception as exc:  # noqa: BLE001 - one failing scenario is recorded, the batch goes on
        return number, None, f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=3)}", \
            time.perf_counter() - tick


def _folder_name(number: int, label: str) -> str:
    return safe_folder_name(f"{number:02d}-{label}")[:80]


def _options_key(options: SolveOptions) -> dict:
    """The options that decide the answer (threads only decide how fast: a resume may use other workers)."""
    return json.loads(json.dumps({k: v for k, v in asdict(options).items() if k != "threads"}, default=str))


def run_batch(scenarios: list[Scenario], out_dir: str | Path, *, options: SolveOptions | None = None,
              workers: int = 1, scheduler: str | None = None, resume: bool = False, force: bool = False,
              record: Callable | None = None, on_progress: Callable[[int, int, int], None] | None = None,
              pool: Pool | None = None) -> BatchOutcome:
    """Solve every scenario without a result, write and record each as it finishes, compare them all.

    ``record(result, instance, "batch", [], options, label=...)`` is called here for each new solve (e.g. the
    run store's ``record_run_quietly`` bound to a path). ``on_progress(done, failed, total)``. Raises
    ``NoSolutionError`` when no scenario could be solved at all (every error is in ``batch.json``)."""
    if not scenarios:
        raise UsageError("give at least one scenario")
    make_labels_unique(scenarios)  # two files named base.yaml in other folders: outcomes are keyed by label
    missing = [sc.label for sc in scenarios if sc.instance is None and sc.result is None]
    if missing:
        raise UsageError(f"nothing to solve or compare for {', '.join(missing)}")
    local = pool is None and scheduler is None and workers <= 1
    opts = options or SolveOptions()
    if not local and opts.threads is None:  # parallelism comes from the workers
        opts = SolveOptions(**{**asdict(opts), "threads": 1})
    out = prepare_out_dir(out_dir, force, kind="batch")
    (out / SCENARIOS_DIR).mkdir(exist_ok=True)
    numbers = {i: sc for i, sc in enumerate(scenarios, start=1)}
    entries: dict[str, dict] = {}
    old: dict[str, dict] = {}
    if resume and (out / CHECKPOINT).is_file():
        try:
            old = {e["folder"]: e for e in json.loads((out / CHECKPOINT).read_text())["scenarios"]}
        except (ValueError, KeyError, TypeError):
            old = {}
    outcome = BatchOutcome(scenarios, {}, None)
    todo: list[tuple[int, Instance]] = []
    for number, sc in numbers.items():
        folder = _folder_name(number, sc.label)
        sha = instance_sha256(sc.instance) if sc.instance is not None else None
        entry = {"number": number, "label": sc.label, "source": sc.source, "folder": folder, "instance_sha256": sha,
                 "options": _options_key(opts), "status": "given" if sc.result is not None else "pending"}
        prior = old.get(folder)
        if sc.result is None and prior and prior.get("instance_sha256") == sha and prior.get("options") == entry["options"] \
                and prior.get("status") not in ("pending", "error") and (out / SCENARIOS_DIR / folder / "summary.json").is_file():
            sc.result = read_result(out / SCENARIOS_DIR / folder)
            entry.update(status=prior["status"], run_id=prior.get("run_id"), seconds=prior.get("seconds"))
            outcome.resumed.append(sc.label)
            outcome.folders[sc.label] = out / SCENARIOS_DIR / folder
        elif sc.result is None:
            assert sc.instance is not None  # checked above: no result, so an instance
            todo.append((number, sc.instance))
        entries[folder] = entry

    def save() -> None:
        atomic_write(out / CHECKPOINT, json.dumps({"scenarios": list(entries.values())}, indent=2, default=str))

    save()
    total = len(scenarios)
    report = on_progress or (lambda d, f, t: None)

    def progress() -> None:
        done = sum(1 for e in entries.values() if e["status"] != "pending")
        report(done, len(outcome.errors), total)

    def collect(answer: tuple[int, Result | None, str, float]) -> None:
        number, result, error, seconds = answer
        sc = numbers[number]
        entry = entries[_folder_name(number, sc.label)]
        entry["seconds"] = seconds
        if result is None:
            entry.update(status="error", error=error)
            outcome.errors[sc.label] = error
        else:
            sc.result = result
            folder = out / SCENARIOS_DIR / entry["folder"]
            result.write(folder, sc.instance, force=True)
            outcome.folders[sc.label] = folder
            entry["status"] = result.status.value
            if record is not None:
                entry["run_id"] = outcome.run_ids[sc.label] = record(result, sc.instance, "batch", [], opts,
                                                                     label=sc.label)
        save()
        progress()

    progress()
    todo.sort(key=lambda t: -len(t[1].model_dump_json()))  # largest instance first
    own = pool is None
    pool = Pool(workers, scheduler) if pool is None else pool
    try:
        outcome.stats = pool.map(partial(solve_task, opts), todo, collect, name="scenario")
    finally:
        if own:
            pool.close()
    solved = [sc for sc in scenarios if sc.result is not None]
    if not solved:
        first = next(iter(outcome.errors.values()), "")
        raise NoSolutionError(f"no scenario of the batch could be solved (first error: {first.splitlines()[0]}); "
                              f"the errors are in {out / CHECKPOINT}")
    if len(solved) >= 2:
        outcome.comparison = compare(solved)
    return outcome

