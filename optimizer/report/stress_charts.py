"""Charts of stress tests: the outcome chart (HPO spread and odds of each target) and the tornado."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from reeplan.instance.policy_rules import RULES
from reeplan.report.chart_style import INK, Chart, figure, render, styled
from reeplan.text import plain

PLAN_COLORS = ("#2b6cb0", "#dd6b20", "#2f855a", "#805ad5")


@styled
def outcome_chart(reports: dict) -> Chart:
    """Left: spread of target-year HPO over the futures, per plan; right: odds of meeting each target."""
    fig, (left, right) = figure(4.6, ncols=2, width_ratios=[1.5, 1])
    first = next(iter(reports.values()))
    year = first.summary["target_year"]
    hpo_all = np.concatenate([r.samples["hpo_t"].to_numpy(float) for r in reports.values()])
    bins = np.linspace(0, max(1.0, hpo_all.max(), *(r.summary["planned_hpo_t"] for r in reports.values())) * 1.02, 31)
    for (label, rep), color in zip(reports.items(), PLAN_COLORS):
        s = rep.summary
        left.hist(rep.samples["hpo_t"], bins=bins, histtype="step", linewidth=2, color=color,
                  weights=np.full(len(rep.samples), 100.0 / len(rep.samples)),
                  label=f"{plain(label)}: mean {s['hpo_mean_t']:,.0f} t, P10 {s['hpo_p10_t']:,.0f}")
        left.axvline(s["planned_hpo_t"], color=color, linestyle=":", linewidth=1.5)
    left.set_xlabel(f"HPO in {year} (t/yr); dotted: value in the point-estimate future")
    left.set_ylabel("share of futures (%)")
    left.set_title(f"HPO in {year} over {len(first.samples):,} futures")
    left.legend(loc="upper left")
    rules = list(first.targets["rule"])
    y = np.arange(len(rules))
    height = 0.8 / max(1, len(reports))
    for i, ((label, rep), color) in enumerate(zip(reports.items(), PLAN_COLORS)):
        odds = rep.targets.set_index("rule")["probability_met"].reindex(rules).fillna(0) * 100
        bars = right.barh(y + i * height, odds, height=height, color=color, label=plain(label))
        right.bar_label(bars, labels=[f"{v:.0f}%" for v in odds], padding=2, fontsize=8, color=INK)
    right.set_yticks(y + height * (len(reports) - 1) / 2,
                     [f"{RULES[r].label if r in RULES else r} {_goal(first, r)}" for r in rules])
    right.invert_yaxis()
    right.set_xlim(0, 115)
    right.set_xlabel("probability the target is met (%)")
    right.set_title("Odds of each target")
    alt = "; ".join(f"{label}: mean HPO {r.summary['hpo_mean_t']:,.0f} t" for label, r in reports.items())
    return render(fig, "stress_outcomes", f"Plans under uncertainty, {year}", alt)


def _goal(report, rule: str) -> str:
    row = report.targets.set_index("rule").loc[rule]
    target = f"{row['target']:.0%}" if row["unit"] == "fraction" else f"{row['target']:,.0f}"
    return f"{target} ({int(row['year'])})"


@styled
def tornado_chart(report) -> Chart:
    """HPO with each uncertain input at its P10 and P90 (others at point estimates), widest swing on top."""
    df = report.tornado.dropna(subset=["hpo_low_t", "hpo_high_t"])
    fig, ax = figure(1.2 + 0.45 * max(1, len(df)))
    base = report.nominal["hpo_t"]
    y = np.arange(len(df))
    for i, row in enumerate(df.itertuples()):
        for value, color, label in ((row.hpo_low_t, "#c05621", "input at P10"), (row.hpo_high_t, "#2b6cb0",
                                                                                  "input at P90")):
            ax.barh(i, value - base, left=base, color=color, height=0.6, label=label if i == 0 else None)
    ax.axvline(base, color=INK, linewidth=1)
    ax.set_yticks(y, [plain(v) for v in df["input"]])
    ax.invert_yaxis()
    ax.set_xlabel(f"HPO in {report.summary['target_year']} (t/yr); line: point-estimate future ({base:,.0f} t)")
    ax.set_title("What drives the HPO outcome (one input at a time)")
    ax.legend(loc="lower right")
    return render(fig, "stress_tornado", "Tornado of HPO sensitivities", "bars: HPO with one input at P10 / P90")


def write_stress_charts(report, out: Path) -> list[Path]:
    """The outcome chart and the tornado of one stress test as PNG files in ``out`` (written atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    return [_write_png(out / f"{chart.name}.png", chart.png)
            for chart in (outcome_chart({report.plan_label: report}), tornado_chart(report))]


def _write_png(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
