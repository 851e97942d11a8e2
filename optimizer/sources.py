"""What the user pointed at -> data: an instance file, ``file@path=value``, a scenario file, a result
folder or a run id of the store. The one home of that resolution for compare, stress, report and runs."""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import yaml
from reeplan.analysis.compare import Scenario
from reeplan.errors import InstanceError, Problem, UsageError
from reeplan.instance.io import load_instance
from reeplan.instance.safe_yaml import read_yaml_file
from reeplan.options import SolveOptions
from reeplan.result.result import INSTANCE_FILE, Result, read_result
from reeplan.store import runs


class ReportInputError(UsageError):
    """The report source is neither a run id of the store nor a folder of a written result."""


def parse_scenario(spec: str, store=None) -> Scenario:
    """A scenario from its command-line spelling: file, file@overrides, scenario file, result folder,
    or a run id of the run store (``7`` or ``run:7``)."""
    run_text = spec.removeprefix("run:")
    path_text, *overrides = spec.split("@")
    path = Path(path_text)
    if run_text.isdigit() and not path.exists():
        run_id = int(run_text)
        return Scenario(f"run {run_id}", runs.load_run_instance(store, run_id), runs.load_result(store, run_id), source=spec)
    if path.is_dir() and (path / "summary.json").exists():
        inst = None
        if (path / INSTANCE_FILE).exists():
            inst = load_instance(path / INSTANCE_FILE)
        return Scenario(path.name, inst, read_result(path), source=spec)
    if path.suffix.lower() in {".yaml", ".yml"} and path.exists() and not overrides:
        data = read_yaml_file(path)  # the strict loader of instances: duplicate keys, aliases, ... refused
        if isinstance(data, dict) and "base" in data:
            return _scenario_file(path, data)
    inst = load_instance(path, overrides)
    label = path.stem + "".join(f"@{o}" for o in overrides)
    return Scenario(label, inst, source=spec)


SCENARIO_KEYS = ("base", "name", "overrides")  # what a scenario file may hold


def _scenario_file(path: Path, data: dict) -> Scenario:
    unknown = [k for k in data if k not in SCENARIO_KEYS]
    if unknown:  # a misspelt key would otherwise solve the unchanged base case
        raise InstanceError([Problem(str(path), "scenario", "", str(k), data[k], "unknown key in a scenario file",
                                     _did_you_mean(str(k), SCENARIO_KEYS)) for k in unknown])
    base = path.parent / str(data["base"])
    overrides = data.get("overrides") or {}
    if isinstance(overrides, dict):
        overrides = [f"{k}={_yaml_scalar(v)}" for k, v in overrides.items()]
    elif not isinstance(overrides, list):
        raise InstanceError([Problem(str(path), "scenario", "", "overrides", overrides,
                                     "expected a mapping path: value or a list of path=value")])
    inst = load_instance(base, [str(o) for o in overrides])
    return Scenario(str(data.get("name") or path.stem), inst, source=str(path))


def _did_you_mean(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"did you mean {close[0]!r}? A scenario file holds {', '.join(known)}" if close else \
        f"a scenario file holds {', '.join(known)}"


def _yaml_scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def read_result_dir(folder: str | Path) -> Result:
    """A ``Result`` from a folder written by ``Result.write`` (summary.json + CSV tables), checked."""
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        raise ReportInputError(f"{folder} has no summary.json (expected a folder written by `reeplan solve --out`)")
    try:
        result = read_result(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise ReportInputError(f"cannot read the result in {folder}: {exc.__class__.__name__}: {exc}") from None
    return result


def resolve_source(source, store=None, instance=None) -> tuple[Result, object, str]:
    """(result, instance or None, description of the source) for a Result, a run id or a result folder."""
    if isinstance(source, Result):
        return source, instance, "result in memory"
    text = str(source)
    path = Path(text)
    if path.is_dir():
        result = read_result_dir(path)
        inst = instance
        if inst is None and (path / INSTANCE_FILE).is_file():
            inst = load_instance(path / INSTANCE_FILE)
        if inst is None and result.instance_sha256:
            store_path = Path(store) if store is not None and not isinstance(store, runs.Store) else None
            candidate = store if isinstance(store, runs.Store) else (store_path or runs.default_store_path())
            if isinstance(candidate, runs.Store) or candidate.is_file():
                try:
                    inst = runs.find_instance(candidate, result.instance_sha256)
                except runs.StoreError:
                    inst = None
        return result, inst, f"folder {path}"
    if isinstance(source, int) or text.lstrip("#").isdigit():
        run_id = int(text.lstrip("#"))
        st = store if isinstance(store, runs.Store) else runs.open_store(store, create=False)
        return runs.load_result(st, run_id), instance or runs.load_run_instance(st, run_id), f"run {run_id}"
    raise ReportInputError(f"{source!r} is neither a run id (see `reeplan runs list`) nor a folder with summary.json")


def write_report(source, html_path: str | Path, png_dir: str | Path | None = None, *, instance=None,
                 store=None) -> dict:
    """Write the HTML report of ``source``: a ``Result`` (pass ``instance=`` for the assumptions and lead
    times), a run id of the store (``store``: path or ``Store``; default as ``open_store``), or a folder
    written by ``Result.write``. Returns {"html": path, "png": [paths], "charts": [names]}."""
    from reeplan.report.html import write_plan_report  # defers matplotlib

    result, inst, where = resolve_source(source, store=store, instance=instance)
    return write_plan_report(result, html_path, png_dir, instance=inst, where=where)


def rerun(store: runs.Store | str | Path | None, run_id: int, **option_overrides) -> Result:
    """Solve the stored instance again with the stored options (``option_overrides`` replace some of them,
    e.g. ``time_limit=60``); return the new ``Result`` (not recorded: call ``record_run`` for that)."""
    from reeplan.solving.pipeline import solve  # defers Pyomo and HiGHS

    store = runs.as_store(store)
    run = runs.get_run(store, run_id)
    known = {f.name for f in dataclasses.fields(SolveOptions)}
    stored = {k: v for k, v in run["options"].items() if k in known}
    return solve(runs.load_run_instance(store, run_id), SolveOptions(**{**stored, **option_overrides}))
