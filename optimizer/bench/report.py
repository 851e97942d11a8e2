"""What a benchmark writes: the machine it ran on, the runs (each checked: ``wrong``), summary, the Mittelmann-style
table (table.md), profile (CSV, PNG, SVG), disagreements, wrong answers, meta.json."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
from reeplan.bench.child import json_default
from reeplan.bench.stats import (
    disagreements,
    mark_wrong,
    mittelmann_table,
    performance_profile,
    performance_ratios,
    profile_taus,
    profile_times,
    summarize,
)
from reeplan.version import __version__


def machine_info() -> dict:
    """CPU, cores, memory, platform and versions, for every table's header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gb = float("nan")

    versions: dict[str, str | None] = {}
    for pkg in ("highspy", "pyomo", "pyscipopt", "ortools", "gurobipy", "cplex", "xpress", "numpy", "pandas"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "platform": platform.platform(),
            "python": platform.python_version(), "reeplan": __version__, "versions": versions}


@dataclass
class BenchReport:
    """What ``run_bench`` wrote: the output folder, the tables, notes, the files and the machine."""

    out: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    disagreements: pd.DataFrame
    notes: list[str]
    files: list[Path]
    machine: dict
    wrong: pd.DataFrame | None = None  # the runs whose claimed answer is wrong (stats.mark_wrong)
    table: str = ""  # the Mittelmann-style table (Markdown), also in table.md


def write_bench_report(runs: pd.DataFrame, out: Path, *, machine: dict, notes: list[str], gap: float,
                       metric: str = "total_s", plots: bool = True, settings: dict | None = None) -> BenchReport:
    """Write runs (CSV, Parquet), summary, table.md, profile (CSV, PNG, SVG), disagreements, wrong.csv and meta.json."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    tol = gap / (1 - gap) + 1e-6  # solvers divide their gap by the incumbent: within gap g, |z - z*| / |z*| <= g / (1 - g)
    runs = mark_wrong(runs, tol)
    runs.to_csv(out / "runs.csv", index=False)
    files.append(out / "runs.csv")
    try:
        text = ("options", "solver_options", "message", "check_message", "wrong_reason", "solver_version")
        runs.assign(**{c: runs[c].fillna("").astype(str) for c in text if c in runs},
                    wrong=runs["wrong"].astype(bool)).to_parquet(out / "runs.parquet", index=False)
        files.append(out / "runs.parquet")
    except ImportError:
        notes.append("runs.parquet not written: install pyarrow")
    summary = summarize(runs, metric)
    summary.to_csv(out / "summary.csv", index=False)
    files.append(out / "summary.csv")
    disagree = disagreements(runs, tol)
    disagree.to_csv(out / "disagreements.csv", index=False)
    files.append(out / "disagreements.csv")
    wrong = runs[runs["wrong"]][["run_id", "instance", "config", "repeat", "status", "objective", "wrong_reason"]
                                if "run_id" in runs else ["instance", "config", "status", "objective", "wrong_reason"]]
    wrong.to_csv(out / "wrong.csv", index=False)
    files.append(out / "wrong.csv")
    table = mittelmann_table(runs, summary, metric)
    (out / "table.md").write_text(f"# reeplan bench: {machine['cpu']}, {machine['cores']} cores, "
                                  f"{machine.get('memory_gb')} GB, Python {machine['python']}\n\n" + table)
    files.append(out / "table.md")
    limited = sorted(set(runs.loc[runs["status"].eq("edition_limit"), "config"])) if not runs.empty else []
    if limited:  # a free edition that could not run every instance is neither a loser nor a winner on those
        notes.append(f"left out of the performance profile (edition limit on some instances): {', '.join(limited)}")
    profiled = runs[~runs["config"].isin(limited)] if limited else runs
    if not profiled.empty:
        ratios = performance_ratios(profile_times(profiled, metric))
        profile = performance_profile(ratios, profile_taus(ratios))
        profile.to_csv(out / "profile.csv")
        files.append(out / "profile.csv")
        if plots:
            title = (f"Performance profile ({metric}; {len(ratios)} instances; {machine['cpu']}, "
                     f"{machine['cores']} cores)")
            try:
                files += plot_profile(profile, out / "profile", title)
            except ImportError:
                notes.append("profile.png/svg not written: install matplotlib")
    meta = {"machine": machine, "settings": settings or {}, "notes": notes, "metric": metric,
            "disagreement_tolerance": tol, "written_at": datetime.now(UTC).isoformat(timespec="seconds")}
    (out / "meta.json").write_text(json.dumps(meta, indent=2, default=json_default))
    files.append(out / "meta.json")
    return BenchReport(out, runs, summary, disagree, notes, files, machine, wrong, table)


def plot_profile(profile: pd.DataFrame, path_stem: Path, title: str) -> list[Path]:
    """Write the performance profile as PNG and SVG (matplotlib); returns the files written."""
    import matplotlib  # defers matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # defers matplotlib

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for config in profile.columns:
        ax.step(profile.index, profile[config], where="post", label=config)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1, max(2.0, float(profile.index.max())))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau: time / best time on the instance (log2)")
    ax.set_ylabel("share of instances within tau")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return save_png_svg(fig, path_stem, dpi=120)


def save_png_svg(fig, path_stem: Path, dpi: int = 120) -> list[Path]:
    """Write a matplotlib figure as PNG and SVG next to each other, close it, return both paths."""
    import matplotlib.pyplot as plt  # defers matplotlib

    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        path = path_stem.with_suffix(f".{ext}")
        fig.savefig(path, dpi=dpi)
        out.append(path)
    plt.close(fig)
    return out
