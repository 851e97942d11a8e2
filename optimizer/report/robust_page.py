"""The report page of a ``solve --robust`` folder: the budget rule the robust plan keeps (the rule, its in-sample
level, both plans' out-of-sample overrun odds, expected overrun and CVaR with their 95 % intervals) and the
optimality HiGHS proves, above the stress page of the two plans in the same fresh futures (``stress_html``).

Reads ``comparison/robust.json`` (the robust plan's figures, written by ``solve --robust``), ``comparison/
comparison.csv`` (both plans on the same fresh futures, intervals from ``reeplan.uncertainty.budget_rules``)
and the two stress folders under ``comparison/``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from reeplan.errors import UsageError
from reeplan.report.page import esc, num, pct, section, table
from reeplan.report.pages import folder_kind, stress_html, stress_report_from_folder

ROBUST_FILE = "robust.json"  # in comparison/: the robust plan's kpis["robust"] (rule, in-sample overrun, gap)


def rule_in_words(label: str, scenarios: int | None = None) -> str:
    """A ``--budget-rule`` label as a planner reads it: what the robust plan keeps to."""
    parts = label.split(":")
    of = f"the {scenarios} futures it was built on" if scenarios else "the futures it was built on"
    try:
        if parts[0] == "chance":
            return f"the robust plan overruns the budget in at most {float(parts[1]):.0%} of {of}"
        if parts[0] == "expected":
            return f"the robust plan's mean overrun over {of} is at most {float(parts[1]):,.1f} bn RUB"
        if parts[0] == "cvar":
            return (f"the robust plan's mean overrun in the worst {1 - float(parts[1]):.0%} of {of} (CVaR) is at "
                    f"most {float(parts[2]):,.1f} bn RUB")
    except (IndexError, ValueError):
        return label
    return "the budget binds the robust plan at point estimates only; overruns in the futures are not limited"


def _in_sample_level(label: str, stats: dict) -> tuple[str, str]:
    """(what the rule limits, its in-sample value) for the rule's own measure."""
    kind = label.split(":")[0]
    if kind == "expected":
        return "expected overrun", num(stats.get("expected_overrun_bn_rub"), 2, "bn RUB")
    if kind == "cvar":
        return f"CVaR{stats.get('cvar_alpha', 0.8):.0%} of overrun".replace("%", ""), num(
            stats.get("cvar_overrun_bn_rub"), 2, "bn RUB")
    return "overrun frequency", pct(stats.get("overrun_frequency"), 1)


def _measures(col: pd.Series, *names: str) -> list[float]:
    """The comparison table's measures of one plan (NaN where a row is missing)."""
    return [float(col[n]) if n in col.index and pd.notna(col[n]) else math.nan for n in names]


def _interval(measures: list[float], digits: int, as_pct: bool) -> str:
    """``value (low–high)`` of [value, low, high]."""
    value, low, high = measures
    show = (lambda x: pct(x, digits)) if as_pct else (lambda x: num(x, digits))
    return f"{show(value)} ({show(low)}–{show(high)})"


def budget_rule_section(robust: dict | None, comparison: pd.DataFrame) -> str:
    """The budget rule, its in-sample level and both plans' out-of-sample overruns with 95 % intervals."""
    cmp = comparison.set_index("measure")
    cvar_rows = [m for m in cmp.index if m.startswith("CVaR") and m.endswith(" of overrun, bn RUB")]
    cvar = cvar_rows[0][:-len(", bn RUB")] if cvar_rows else "CVaR of overrun"  # e.g. "CVaR80 of overrun"
    rows = []
    for plan in cmp.columns:
        col = cmp[plan]
        rows.append([esc(plan),
                     _interval(_measures(col, "P(overrun)", "P(overrun), 95% low (Wilson)",
                                          "P(overrun), 95% high (Wilson)"), 1, True),
                     _interval(_measures(col, "expected overrun, bn RUB", "expected overrun, 95% low (CLT), bn RUB",
                                          "expected overrun, 95% high (CLT), bn RUB"), 1, False),
                     _interval(_measures(col, f"{cvar}, bn RUB", f"{cvar}, 95% low (bootstrap), bn RUB",
                                          f"{cvar}, 95% high (bootstrap), bn RUB"), 1, False),
                     num(_measures(col, "planned spend, bn RUB")[0], 1), num(_measures(col, "mean HPO, t")[0], 0)])
    out = table([("plan", False), ("P(overrun), 95 % interval (Wilson)", True),
                 ("expected overrun, bn RUB (95 %, CLT)", True), (f"{cvar}, bn RUB (95 %, bootstrap)", True),
                 ("planned spend, bn RUB", True), ("mean HPO, t", True)], rows)
    if robust is None:
        lead = ("<p>This folder does not record the robust plan's budget rule (written before "
                f"<code>comparison/{ROBUST_FILE}</code> existed); the out-of-sample overruns below are measured.</p>")
    else:
        label = str(robust.get("budget_rule", "nominal"))
        k = robust.get("scenarios")
        stats = robust.get("in_sample_overrun") or {}
        what, level = _in_sample_level(label, stats)
        also = "" if what == "expected overrun" else (
            f", expected overrun {num(stats.get('expected_overrun_bn_rub'), 2, 'bn RUB')}")
        lead = (f"<p>Budget rule <code>{esc(label)}</code>: {esc(rule_in_words(label, k))}. "
                f"In sample ({num(k, 0)} futures) its {esc(what)} is {level}; it overruns in "
                f"{pct(stats.get('overrun_frequency'), 1)} of them{also}.</p>")
        if robust.get("gap_statement"):
            lead += f'<p class="note">{esc(robust["gap_statement"])}</p>'
    return section("Budget rule: does the plan keep to the money?",
                   "Both plans in the same fresh futures, never those the robust plan was built on: how often they "
                   "overrun the budget, by how much on average and in the worst 20 % (95 % intervals).",
                   lead + out, "budget-rule")


def robust_html(folder: str | Path) -> str:
    """The page of a ``solve --robust`` folder: the budget rule section, then both plans' stress results."""
    folder = Path(folder)
    cmp_dir = folder / "comparison"
    reports = {sub.name: stress_report_from_folder(sub) for sub in sorted(cmp_dir.iterdir())
               if sub.is_dir() and folder_kind(sub) == "stress"} if cmp_dir.is_dir() else {}
    if not reports:
        raise UsageError(f"{folder}/comparison holds no stress results; give --plan for the robust plan's page")
    robust = json.loads((cmp_dir / ROBUST_FILE).read_text()) if (cmp_dir / ROBUST_FILE).is_file() else None
    preface = ""
    if (cmp_dir / "comparison.csv").is_file():
        preface = budget_rule_section(robust, pd.read_csv(cmp_dir / "comparison.csv"))
    return stress_html(reports, f"folder {folder} (solve --robust; the robust plan: --plan)",
                       "Robust and deterministic plans in the same futures", preface=preface)
