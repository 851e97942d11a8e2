"""The benchmark's statistics: correctness, shifted geometric mean, per-configuration summary, performance profile,
disagreements, and the Mittelmann-style table.

Correctness first (``mark_wrong``): a run that claims a proven answer is *wrong* when its objective is off
the known optimum, when the independent checker finds its plan violates a rule, or (no known optimum) when another run found a
better plan (a checked one, on reeplan instances) beyond the tolerance; a claim of infeasibility is
wrong when the instance has a known optimum or another run found a plan. A run is solved when it
has a proven answer (optimal, infeasible, unbounded) that is not wrong; an unsolved run, a wrong one
included, counts at the time limit, so a wrong answer is never averaged in as a fast one. A run above a
free edition's size limit (``edition_limit``) is neither solved nor failed: the instance is left out of
that configuration's figures. Per instance x configuration the median over repeats is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

SOLVED = ("optimal", "infeasible", "unbounded")  # a proven answer
TIMEOUTS = ("time_limit", "killed")
FAILURES = ("error", "crashed")
EDITION_LIMIT = "edition_limit"
SHIFT_SECONDS = 10.0


def _sense_of(group: pd.DataFrame) -> str:
    senses = group["objective_sense"].dropna() if "objective_sense" in group else pd.Series(dtype=object)
    return str(senses.iloc[0]) if len(senses) else "min"


def mark_wrong(runs: pd.DataFrame, rel_tol: float) -> pd.DataFrame:
    """``runs`` with ``wrong`` (bool) and ``wrong_reason`` per run (module docstring); ``rel_tol`` relative."""
    df = runs.copy()
    df["wrong"] = False
    df["wrong_reason"] = None
    if df.empty:
        return df
    obj = pd.to_numeric(df["objective"], errors="coerce")
    known = pd.to_numeric(df["known_optimum"], errors="coerce") if "known_optimum" in df else pd.Series(np.nan, df.index)
    checked = pd.to_numeric(df["check_violations"], errors="coerce") if "check_violations" in df else \
        pd.Series(np.nan, df.index)
    kind = df["kind"] if "kind" in df else pd.Series("mps", df.index)
    has = df["has_solution"].astype("boolean").fillna(False).astype(bool) if "has_solution" in df else obj.notna()
    # a plan to hold others against: on reeplan instances one the independent checker passed; an MPS plan is never
    # checked, so without a known optimum a better MPS objective is a disagreement (disagreements.csv), not proof
    trusted = has & obj.notna() & (kind == "reeplan") & (checked == 0)
    for _inst, group in df.groupby("instance", sort=False):
        maximize = _sense_of(group) == "max"
        good = obj[group.index][trusted[group.index]]
        best = (good.max() if maximize else good.min()) if len(good) else np.nan
        best_cfg = df.loc[good.idxmax() if maximize else good.idxmin(), "config"] if len(good) else ""
        for i in group.index:
            status, z, reasons = df.at[i, "status"], obj[i], []
            if status == "optimal" and np.isfinite(known[i]) and np.isfinite(z) and \
                    abs(z - known[i]) / max(1.0, abs(known[i])) > rel_tol:
                reasons.append(f"optimal {z:.10g} but the known optimum is {known[i]:.10g}")
            if status in SOLVED and checked[i] > 0:
                msg = df.at[i, "check_message"] if "check_message" in df else ""
                reasons.append(f"the independent checker finds {int(checked[i])} violation(s)"
                               + (f": {msg}" if isinstance(msg, str) and msg else ""))
            if status == "optimal" and np.isfinite(z) and np.isfinite(best) and not np.isfinite(known[i]):
                better = best - z if maximize else z - best
                if better / max(1.0, abs(best)) > rel_tol:
                    reasons.append(f"optimal {z:.10g} but {best_cfg} found a {'checked ' if kind[i] == 'reeplan' else ''}"
                                   f"plan with {best:.10g}")
            if status == "infeasible" and np.isfinite(known[i]):
                reasons.append(f"infeasible, but the known optimum is {known[i]:.10g}")
            elif status == "infeasible" and np.isfinite(best):
                reasons.append(f"infeasible, but {best_cfg} found a plan with {best:.10g}")
            if reasons:
                df.at[i, "wrong"] = True
                df.at[i, "wrong_reason"] = "; ".join(reasons)
    return df


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
    wrong = df["wrong"].astype("boolean").fillna(False).astype(bool) if "wrong" in df else False
    df["solved"] = df["status"].isin(SOLVED) & ~wrong
    measured = pd.to_numeric(df[metric], errors="coerce")
    limit = pd.to_numeric(df["time_limit"], errors="coerce") if "time_limit" in df else pd.Series(np.nan, df.index)
    slowest = float(measured.max()) if measured.notna().any() else 0.0
    limit = limit.fillna(slowest)
    df["time"] = np.where(df["solved"] & measured.notna(), measured, limit)
    return df


def instance_times(runs: pd.DataFrame, metric: str = "total_s") -> pd.DataFrame:
    """Per instance x configuration over repeats: median time, solved if at least half the repeats were."""
    df = run_times(runs[~runs["status"].eq(EDITION_LIMIT)], metric)
    return (df.groupby(["instance", "config"], sort=False)
              .agg(time=("time", "median"), solved=("solved", lambda s: s.mean() >= 0.5), runs=("time", "size"))
              .reset_index())


def summarize(runs: pd.DataFrame, metric: str = "total_s", shift: float = SHIFT_SECONDS) -> pd.DataFrame:
    """Per configuration: instances, runs, solved instances, time-outs, failures, wrong answers, runs above the
    free edition's limits, shifted geometric mean (over the instances the configuration could run)."""
    if runs.empty:
        return pd.DataFrame(columns=["config", "solver", "instances", "runs", "solved", "timeouts", "failures",
                                     "wrong", "edition_limit", "sgm_s", "mean_nodes", "mean_peak_rss_mb"])
    per = instance_times(runs, metric)
    rows = []
    for config, group in runs.groupby("config", sort=False):
        p = per[per["config"] == config]
        rows.append(dict(
            config=config, solver=group["solver"].iloc[0], instances=int(p["instance"].nunique()),
            runs=len(group), solved=int(p["solved"].sum()), timeouts=int(group["status"].isin(TIMEOUTS).sum()),
            failures=int(group["status"].isin(FAILURES).sum()),
            wrong=int(group["wrong"].astype("boolean").fillna(False).sum()) if "wrong" in group else 0,
            edition_limit=int(group["status"].eq(EDITION_LIMIT).sum()), sgm_s=shifted_geometric_mean(p["time"], shift),
            mean_nodes=float(pd.to_numeric(group.get("nodes"), errors="coerce").mean()) if "nodes" in group else np.nan,
            mean_peak_rss_mb=float(pd.to_numeric(group["peak_rss_mb"], errors="coerce").mean())
            if "peak_rss_mb" in group else np.nan,
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


def mittelmann_table(runs: pd.DataFrame, summary: pd.DataFrame, metric: str = "total_s",
                     shift: float = SHIFT_SECONDS) -> str:
    """The summary as the Mittelmann MILP tables print it (Markdown): per configuration the shifted geometric
    mean (shift 10 s, unsolved at the time limit), its ratio to the fastest (among the configurations that ran
    every instance: a free edition's mean covers only those within its limits), solved / time-outs / failures /
    wrong / edition-limit counts; then per instance the median time, ``t/o``, ``fail``, ``WRONG`` or ``ed.``."""
    if summary.empty:
        return "(no runs)\n"
    limit = pd.to_numeric(runs["time_limit"], errors="coerce").max()
    full = summary[summary["edition_limit"] == 0]
    best = (full if len(full) else summary)["sgm_s"].min()  # a free edition's SGM covers fewer instances
    order = summary.sort_values(["solved", "sgm_s"], ascending=[False, True])
    lines = [f"Shifted geometric mean of {metric} (shift {shift:g} s; unsolved, failed and wrong runs at the "
             f"time limit of {limit:g} s; per instance the median over repeats)", "",
             "| configuration | version | instances | solved | time-outs | failures | wrong | edition limit | "
             "SGM s | ratio |", "|---|---|---|---|---|---|---|---|---|---|"]
    versions = runs.groupby("config")["solver_version"].first() if "solver_version" in runs else {}
    for r in order.itertuples(index=False):
        wrong = f"**{r.wrong}**" if r.wrong else "0"
        lines.append(f"| {r.config} | {versions.get(r.config, '') if len(versions) else ''} | {r.instances} | "
                     f"{r.solved} | {r.timeouts} | {r.failures} | {wrong} | {r.edition_limit} | {r.sgm_s:.3g} | "
                     + ("– |" if r.edition_limit else f"{r.sgm_s / best if best > 0 else 1:.2f} |"))
    lines += ["", "| instance | " + " | ".join(order["config"]) + " |", "|---|" + "---|" * len(order)]
    df = run_times(runs, metric)
    for inst, group in df.groupby("instance", sort=False):
        cells = []
        for config in order["config"]:
            g = group[group["config"] == config]
            if g.empty:
                cells.append("–")
            elif g["status"].eq(EDITION_LIMIT).all():
                cells.append("ed.")
            elif "wrong" in g and g["wrong"].astype("boolean").fillna(False).any():
                cells.append("WRONG")
            elif g["solved"].mean() >= 0.5:
                cells.append(f"{g.loc[g['solved'], 'time'].median():.3g}")
            elif g["status"].isin(TIMEOUTS).any():
                cells.append("t/o")
            else:
                cells.append("fail")
        lines.append(f"| {inst} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
