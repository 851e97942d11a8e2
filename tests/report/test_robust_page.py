"""The report page of a ``solve --robust`` folder shows the budget rule: the rule, its in-sample level, and both plans'
out-of-sample overrun odds with their Wilson 95 % intervals, read back from the generated HTML and checked against
the stress samples the command wrote (an independent count and interval formula)."""

from __future__ import annotations

import html
import json
import math
import re

import pandas as pd
import pytest
from reeplan.report.robust_page import budget_rule_section, rule_in_words

from tests.conftest import ROOT
from tests.report.conftest import invoke

TINY = ROOT / "instances" / "tiny.yaml"
BUDGET_BN_RUB = 7.0  # tiny.yaml's total budget


def _wilson(hits: int, n: int) -> tuple[float, float]:
    """Wilson score interval, z = 1.96 (written out here, not reeplan's)."""
    z = 1.959964
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if hits == 0 else centre - half, 1.0 if hits == n else centre + half)


def _text(page: str) -> str:
    inline = re.sub(r"</?code>", "", page)  # inline tags join their words; the others separate cells
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))


@pytest.fixture(scope="module")
def robust_page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("robust")
    out = tmp / "robust"
    invoke("solve", TINY, "--robust", "--scenarios", 4, "--eval-samples", 40, "--workers", 1, "--budget-rule",
           "chance:0.5", "--out", out, "--no-store", "--quiet")
    invoke("report", out, "--html", tmp / "robust.html")
    return out, (tmp / "robust.html").read_text()


def test_page_states_the_rule_and_its_in_sample_level(robust_page):
    out, page = robust_page
    text = _text(page[page.index('id="budget-rule"'):])
    assert "Budget rule chance:0.5: the robust plan overruns the budget in at most 50% of the 4 futures it was built on."\
        in text
    scenarios = pd.read_csv(out / "scenarios.csv")
    hits = int((scenarios["spend_in_model_bn_rub"] > BUDGET_BN_RUB + 1e-6).sum())
    assert f"In sample (4 futures) its overrun frequency is {hits / 4:.1%}" in text
    assert hits <= 2  # the rule held in sample
    saved = json.loads((out / "comparison" / "robust.json").read_text())
    assert saved["budget_rule"] == "chance:0.5" and "proven by HiGHS's bound" in saved["gap_statement"]
    assert saved["gap_statement"] in text


@pytest.mark.parametrize("plan", ["deterministic", "robust"])
def test_page_gives_each_plans_out_of_sample_overrun_odds_with_interval(robust_page, plan):
    out, page = robust_page
    text = _text(page[page.index('id="budget-rule"'):])
    samples = pd.read_csv(out / "comparison" / plan / "samples.csv")
    overrun = samples["spend_bn_rub"] - BUDGET_BN_RUB
    hits, n = int((overrun > 1e-6).sum()), len(samples)
    assert n == 40
    low, high = _wilson(hits, n)
    mean = float(overrun.clip(lower=0).mean())
    row = re.search(rf"{plan} (\S+) \((\S+)–(\S+)\) (\S+) \(", text)
    assert row, text[:600]
    assert row.group(1) == f"{hits / n:.1%}" and row.group(2) == f"{low:.1%}" and row.group(3) == f"{high:.1%}"
    assert float(row.group(4)) == pytest.approx(mean, abs=0.051)  # shown to 0.1 bn RUB


def test_rule_in_words():
    assert rule_in_words("expected:5", 200) == ("the robust plan's mean overrun over the 200 futures it was built on "
                                                "is at most 5.0 bn RUB")
    assert rule_in_words("cvar:0.8:20").startswith("the robust plan's mean overrun in the worst 20% of the futures")
    assert "point estimates only" in rule_in_words("nominal")


def test_a_folder_without_the_rule_says_so():
    table = pd.DataFrame({"measure": ["P(overrun)"], "deterministic": [0.25], "robust": [0.1]})
    section = budget_rule_section(None, table)
    assert "does not record the robust plan's budget rule" in section and "25.0%" in section
