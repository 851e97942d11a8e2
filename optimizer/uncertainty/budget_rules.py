"""Budget rules for the robust plan (``--budget-rule``) and the overrun statistics of a plan over futures.

The rules themselves are built in ``reeplan.models.stochastic`` (``BudgetRule``, ``add_budget_rule``);
this module parses the option and measures overrun frequency, expected overrun and CVaR of overrun
with confidence intervals (pure numpy), for the in-sample and the out-of-sample reports.
"""

from __future__ import annotations

import math

import numpy as np
from reeplan.errors import UsageError
from reeplan.models.stochastic import BudgetRule

# The rule `reeplan solve --robust` applies unless told otherwise (docs/UNCERTAINTY.md, "Budget rules").
DEFAULT_BUDGET_RULE = "chance:0.2"
OVERRUN_TOL_BN_RUB = 1e-6  # an overrun below this (solver round-off) is no overrun
Z_95 = 1.959963984540054  # two-sided 95% normal quantile


def parse_budget_rule(text: str) -> BudgetRule:
    """``nominal``, ``expected:X`` (X bn RUB), ``chance:ALPHA`` or ``cvar:ALPHA:X``; anything else is a
    UsageError naming the option and the value."""
    parts = text.strip().lower().split(":")
    try:
        if parts == ["nominal"]:
            return BudgetRule()
        if parts[0] == "expected" and len(parts) == 2:
            limit = float(parts[1])
            if 0 <= limit < math.inf:
                return BudgetRule("expected", limit_bn_rub=limit)
        if parts[0] == "chance" and len(parts) == 2:
            alpha = float(parts[1])
            if 0 <= alpha < 1:
                return BudgetRule("chance", alpha=alpha)
        if parts[0] == "cvar" and len(parts) == 3:
            alpha, limit = float(parts[1]), float(parts[2])
            if 0 <= alpha < 1 and 0 <= limit < math.inf:
                return BudgetRule("cvar", alpha=alpha, limit_bn_rub=limit)
    except ValueError:
        pass
    raise UsageError(f"--budget-rule {text!r}: use nominal, expected:X, chance:ALPHA or cvar:ALPHA:X with X in bn RUB "
                     "(X >= 0) and 0 <= ALPHA < 1 (e.g. chance:0.2, expected:10, cvar:0.8:20)")


def cvar(values: np.ndarray, alpha: float) -> float:
    """CVaR_alpha of a loss over equally likely outcomes (Rockafellar-Uryasev): min_eta eta + E[(L - eta)+]/(1 - alpha),
    i.e. the mean of the worst (1 - alpha) share, the boundary outcome counted in part."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    n = len(v)
    if n == 0:
        return math.nan
    tail = (1 - alpha) * n  # outcomes in the tail, fractional
    whole = int(math.floor(tail + 1e-12))
    total = v[:whole].sum() + (tail - whole) * (v[whole] if whole < n else 0.0)
    return float(total / tail) if tail > 0 else float(v[0])


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if successes == 0 else low, 1.0 if successes == n else high)  # exact at the edges


def overrun_statistics(overruns, alpha: float = 0.8, *, boot: int = 2000, seed: int = 0) -> dict:
    """Overrun frequency (Wilson 95% interval), expected overrun (CLT 95% interval) and CVaR_alpha of the
    overrun (percentile bootstrap 95% interval, ``boot`` resamples, seeded) over equally likely futures."""
    v = np.asarray(overruns, dtype=float)
    n = len(v)
    hits = int((v > OVERRUN_TOL_BN_RUB).sum())
    low, high = wilson(hits, n)
    mean = float(v.mean()) if n else math.nan
    half = Z_95 * float(v.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    rng = np.random.default_rng(seed)
    draws = [cvar(v[rng.integers(0, n, n)], alpha) for _ in range(boot)] if n > 1 else [math.nan]
    return {"n": n, "overrun_frequency": hits / n if n else math.nan, "overrun_frequency_low": low,
            "overrun_frequency_high": high, "expected_overrun_bn_rub": mean,
            "expected_overrun_low_bn_rub": max(0.0, mean - half), "expected_overrun_high_bn_rub": mean + half,
            "cvar_alpha": alpha, "cvar_overrun_bn_rub": cvar(v, alpha),
            "cvar_overrun_low_bn_rub": float(np.percentile(draws, 2.5)),
            "cvar_overrun_high_bn_rub": float(np.percentile(draws, 97.5))}


def overrun_rows(overruns, alpha: float = 0.8) -> dict[str, float]:
    """The comparison table's overrun measures beside ``P(overrun)`` and ``expected overrun``: their 95% intervals
    and the CVaR of the overrun with its interval (``overrun_statistics``)."""
    st = overrun_statistics(overruns, alpha)
    pct = f"{alpha:.0%}".replace("%", "")
    return {"P(overrun), 95% low (Wilson)": st["overrun_frequency_low"],
            "P(overrun), 95% high (Wilson)": st["overrun_frequency_high"],
            "expected overrun, 95% low (CLT), bn RUB": st["expected_overrun_low_bn_rub"],
            "expected overrun, 95% high (CLT), bn RUB": st["expected_overrun_high_bn_rub"],
            f"CVaR{pct} of overrun, bn RUB": st["cvar_overrun_bn_rub"],
            f"CVaR{pct} of overrun, 95% low (bootstrap), bn RUB": st["cvar_overrun_low_bn_rub"],
            f"CVaR{pct} of overrun, 95% high (bootstrap), bn RUB": st["cvar_overrun_high_bn_rub"]}
