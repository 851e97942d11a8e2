"""The benchmark's statistics: shifted geometric mean, per-configuration summary, performance profile, disagreements.

A run is solved when it has a proven answer (optimal, infeasible, unbounded); an unsolved run counts
at the time limit. Per instance x configuration the median over repeats is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

SOLVED = ("optimal", "infeasible", "unbounded")  # a proven answer
TIMEOUTS = ("time_limit", "killed")
FAILURES = ("error", "crashed")
SHIFT_SECONDS = 10.0


def shifted_geometric_mean(values: Iterable[float], shift: float = SHIFT_SECONDS) -> float:
    """exp(mean(log(t + shift))) - shift; NaN for no values."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return float("nan")
    return float(np.exp(np.mean(np.log(arr + shift))) - shift)


def run_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Per run: ``solved`` (a proven answer) and ``time``: the metric if solved, else the time limit.

    A run without a time limit that did not finish counts at the slowest time measured."""
    df = runs.copy()
    df["solved"] = df["status"].isin(SOLVED)
    measured = pd.to_numeric(df[metric], errors="coerce")
    limit = pd.to_numeric(df["time_limit"], errors="coerce") if "time_limit" in df else pd.Series(np.nan, df.index)
    slowest = float(measured.max()) if measured.notna().any() else 0.0
    limit = limit.fillna(slowest)
    df["time"] = np.where(df["solved"] & measured.notna(), measured, limit)
    return df


def instance_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Per instance x configuration over repeats: median time, solved if at least half the repeats were."""
    df = run_times(runs, metric)
    return (df.groupby(["instance", "config"], sort=False)
              .agg(time=("time", "median"), solved=("solved", lambda s: s.mean() >= 0.5), runs=("time", "size"))
              .reset_index())


def summarize(runs: pd.DataFrame, metric: str = "total_s", shift: float = SHIFT_SECONDS) -> pd.DataFrame:
    """Per configuration: instances, runs, solved instances, time-outs, failures, shifted geometric mean."""
    if runs.empty:
        return pd.DataFrame(columns=["config", "solver", "instances", "runs", "solved", "timeouts", "failures",
                                     "sgm_s", "mean_nodes", "mean_peak_rss_mb"])
    per = instance_times(runs, metric)
    rows = []
    for config, group in runs.groupby("config", sort=False):
        p = per[per["config"] == config]
        rows.append(dict(
            config=config, solver=group["solver"].iloc[0], instances=int(p["instance"].nunique()),
            runs=len(group), solved=int(p["solved"].sum()), timeouts=int(group["status"].isin(TIMEOUTS).sum()),
            failures=int(group["status"].isin(FAILURES).sum()), sgm_s=shifted_geometric_mean(p["time"], shift),
            mean_nodes=float(pd.to_numeric(group["nodes"], errors="coerce").mean()),
            mean_peak_rss_mb=float(pd.to_numeric(group["peak_rss_mb"], errors="coerce").mean()),
        ))
    return pd.DataFrame(rows)


def performance_ratios(times: pd.DataFrame) -> pd.DataFrame:
    """Dolan-More ratios r[p, s] = t[p, s] / min_s t[p, s] (rows instances, columns configurations).

    A NaN or inf time (not solved) gives an infinite ratio; so does every configuration on an
    instance that none solved. Times are floored at 1 microsecond so that a zero time divides."""
    t = times.astype(float).fillna(np.inf).clip(lower=1e-6)
    best = t.min(axis=1)
    return t.div(best, axis=0).fillna(np.inf)  # inf / inf (nobody solved it) -> inf


def performance_profile(ratios: pd.DataFrame, taus: Sequence[float]) -> pd.DataFrame:
    """rho_s(tau) = share of instances whose ratio is at most tau; rows tau, columns configurations."""
    n = len(ratios)
    data = {c: [float((ratios[c] <= tau).sum()) / n if n else float("nan") for tau in taus] for c in ratios.columns}
    return pd.DataFrame(data, index=pd.Index(list(taus), name="tau"))


def profile_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Instance x configuration table of solved times (inf where unsolved), for the profile."""
    per = instance_times(runs, metric)
    per["t"] = np.where(per["solved"], per["time"], np.inf)
    return per.pivot(index="instance", columns="config", values="t")


def profile_taus(ratios: pd.DataFrame, points: int = 200) -> list[float]:
    """The profile's tau grid: ``points`` geometric steps from 1 past the largest finite ratio, and every ratio."""
    finite = ratios.to_numpy()[np.isfinite(ratios.to_numpy())]
    top = max(2.0, float(finite.max()) * 1.05) if finite.size else 2.0
    grid = np.unique(np.concatenate([np.geomspace(1.0, top, points), finite if finite.size else []]))
    return [float(x) for x in grid]


def disagreements(runs: pd.DataFrame, rel_tol: float) -> pd.DataFrame:
    """Instances whose optimal runs disagree (spread above ``rel_tol`` relative), or miss the known optimum."""
    cols = ["instance", "what", "configs", "min_objective", "max_objective", "rel_spread", "tolerance"]
    rows = []
    ok = runs[runs["status"].eq("optimal") & pd.to_numeric(runs["objective"], errors="coerce").notna()]
    for inst, group in ok.groupby("instance", sort=False):
        obj = pd.to_numeric(group["objective"])
        by_config = obj.groupby(group["config"]).median()
        lo, hi = float(by_config.min()), float(by_config.max())
        spread = (hi - lo) / max(1.0, abs(hi), abs(lo))
        if len(by_config) > 1 and spread > rel_tol:
            rows.append(dict(instance=inst, what="configurations disagree", configs=", ".join(
                f"{c}={v:.10g}" for c, v in by_config.items()), min_objective=lo, max_objective=hi,
                rel_spread=spread, tolerance=rel_tol))
        known = pd.to_numeric(group.get("known_optimum"), errors="coerce").dropna()
        if len(known):
            k = float(known.iloc[0])
            wrong = {c: v for c, v in by_config.items() if abs(v - k) / max(1.0, abs(k)) > rel_tol}
            if wrong:
                vals = [*wrong.values(), k]
                rows.append(dict(instance=inst, what="differs from the known optimum", configs=", ".join(
                    f"{c}={v:.10g}" for c, v in wrong.items()) + f" (known {k:.10g})", min_objective=min(vals),
                    max_objective=max(vals), rel_spread=max(abs(v - k) / max(1.0, abs(k)) for v in wrong.values()),
                    tolerance=rel_tol))
    return pd.DataFrame(rows, columns=cols)
