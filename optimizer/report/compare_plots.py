"""Charts of a comparison: spend by area per scenario, output trajectories (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from reeplan.report.chart_style import literal_text  # noqa: E402
from reeplan.result.result import AREA_KEYS  # noqa: E402
from reeplan.text import plain  # noqa: E402


@literal_text
def compare_charts(comparison, out: Path) -> list[Path]:
    """Write spend_by_area.png and output_trajectory.png; return their paths."""
    return [_spend_by_area(comparison, out / "spend_by_area.png"),
            _output_trajectory(comparison, out / "output_trajectory.png")]


def _spend_by_area(comparison, path: Path) -> Path:
    labels = [sc.label for sc in comparison.scenarios]
    kpis = comparison.kpis
    width = 0.8 / max(1, len(labels))
    x = np.arange(len(AREA_KEYS))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, label in enumerate(labels):
        values = [float(kpis.loc[f"spend_{a}_bn_rub", label] or 0.0) for a in AREA_KEYS]
        ax.bar(x + (i - (len(labels) - 1) / 2) * width, values, width, label=plain(label))
    ax.set_xticks(x, ["plant sites", "hydro power", "logistics", "mining", "R&D"])
    ax.set_ylabel("capital committed, bn RUB")
    ax.set_title("Spend by investment area per scenario")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _output_trajectory(comparison, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    out = comparison.output
    for label in [sc.label for sc in comparison.scenarios]:
        rows = out[out["scenario"] == label] if not out.empty else out
        if len(rows):
            ax.plot(rows["year"], rows["hpo_t"], marker="o", label=f"{plain(label)}: HPO")
            ax.plot(rows["year"], rows["reo_t"], linestyle="--", alpha=0.6, label=f"{plain(label)}: REO")
    return _save_output_chart(fig, ax, "year", "Output trajectories (HPO solid, REO dashed)", path)


@literal_text
def sweep_curve(df, param: str, path: Path) -> Path:
    """HPO (and REO) against a swept parameter, e.g. the budget-output curve."""
    ok = df[df["status"].isin(["optimal", "time_limit"])].sort_values(param)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(ok[param], ok["hpo_t"], marker="o", label="HPO in the target year")
    if "reo_t" in ok:
        ax.plot(ok[param], ok["reo_t"], linestyle="--", marker=".", alpha=0.6, label="REO in the target year")
    failed = df[~df["status"].isin(["optimal", "time_limit"])]
    for x in failed[param]:
        ax.axvline(x, color="red", alpha=0.3)
    title = f"Optimal output against {plain(param)}" + (" (red: failed points)" if len(failed) else "")
    return _save_output_chart(fig, ax, plain(param) + (" (bn RUB)" if "bn_rub" in param else ""), title, path)


def _save_output_chart(fig, ax, xlabel: str, title: str, path: Path) -> Path:
    """Label an output (t/yr) chart, add grid and legend, write it as PNG and close it."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel("output, t/yr")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
