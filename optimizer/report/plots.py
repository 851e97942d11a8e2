"""Charts of a plan: each function takes result tables and returns a ``Chart`` (PNG bytes).

Every chart has a title, axis units and a legend; labels are placed so that they do not overlap
(constrained layout, rotated or wrapped tick labels, row heights that grow with the number of rows).
The look (size, colours, style) is ``reeplan.report.chart_style``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from reeplan.report.chart_style import (
    AREA_COLORS,
    AREA_LABELS,
    GRID,
    INK,
    TARGET_COLOR,
    Chart,
    PlanInputs,
    figure,
    render,
    styled,
)
from reeplan.text import plain


def _fmt_t(x: float) -> str:
    return f"{x:,.0f}"


def _wrap(text: str, width: int = 34) -> str:
    """A label (a name: drawn as written, control characters escaped) wrapped to lines of ``width``."""
    return "\n".join(textwrap.wrap(plain(text), width)) or plain(text)


# --------------------------------------------------------------------------------------------
# Gantt charts
# --------------------------------------------------------------------------------------------


@dataclass
class _Bar:
    label: str
    group: str  # a key of AREA_COLORS
    start: int
    ready: int  # first year producing / in effect
    text: str


def plant_bars(plants: pd.DataFrame, lead_times: dict[str, int]) -> list[_Bar]:
    """One bar per site and start year: modules started -> first year online."""
    bars = []
    for site, rows in plants.groupby("site", sort=False):
        rows = rows.sort_values("year")
        opened = rows.loc[rows["opened"].astype(bool), "year"]
        batch = 0
        for year, n in zip(rows["year"], rows["modules_started"]):
            if n <= 0:
                continue
            batch += 1
            lead = lead_times.get(site)
            if lead is None:  # infer: first year the online count rises after the start
                later = rows[rows["year"] > year]
                base = int(rows.loc[rows["year"] == year, "modules_online"].iloc[0])
                up = later.loc[later["modules_online"] > base, "year"]
                lead = int(up.iloc[0] - year) if len(up) else 1
            if batch > 1:
                label = f"{site} (batch {batch})"
            elif len(opened):
                label = f"{site} (new site, opened {int(opened.iloc[0])})"
            else:
                label = f"{site} (expansion)"
            bars.append(_Bar(label, "plants", int(year), int(year) + int(lead),
                             f"{int(n)} module{'s' if n != 1 else ''}"))
    return bars


def rd_bars(rd: pd.DataFrame) -> list[_Bar]:
    """One Gantt bar per R&D programme started, start to completion."""
    return [_Bar(f"R&D: {r.programme}", "rd", int(r.start_year), int(r.completion_year), f"{r.cost_bn_rub:,.0f} bn RUB")
            for r in rd.sort_values(["start_year", "completion_year"]).itertuples()]


def project_bars(projects: pd.DataFrame) -> list[_Bar]:
    """Power, logistics and mining projects (connections, generation, link upgrades, deposit expansions)."""
    kinds = {"connection": "grid connection", "power_expansion": "new generation", "link_upgrade": "transport link",
             "deposit_expansion": "mine / supply"}
    rows = projects[projects["area"].isin(["power", "logistics", "mining"])]
    order = {"power": 0, "logistics": 1, "mining": 2}
    rows = rows.assign(order=rows["area"].map(order)).sort_values(["order", "start_year", "project"])
    return [_Bar(r.project, r.area, int(r.start_year), int(r.ready_year),
                 f"{kinds.get(r.kind, r.kind)} · {r.capex_bn_rub:,.1f} bn RUB")
            for r in rows.itertuples()]


def _bottom_legend(fig, handles: list[Artist], ncols: int | None = None) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols or len(handles), frameon=False)


@styled
def gantt_chart(bars: list[_Bar], inputs: PlanInputs, name: str, title: str, groups: list[str]) -> Chart | None:
    """Horizontal bars from start year to ready year; a diamond where the item is in service."""
    if not bars:
        return None
    start = min([inputs.years[0]] + [b.start for b in bars])
    end = max([inputs.years[-1] + 1] + [b.ready for b in bars])
    height = 1.7 + 0.36 * len(bars)
    fig, ax = figure(height)
    for i, b in enumerate(bars):
        color = AREA_COLORS[b.group]
        width = max(b.ready - b.start, 0.15)
        ax.barh(i, width, left=b.start, height=0.62, color=color, alpha=0.9, edgecolor="white")
        ax.plot(b.ready, i, marker="D", color=INK, markersize=6, zorder=3)
        inside = width >= 1.6
        ax.text(b.start + 0.08 if inside else b.ready + 0.18, i, b.text, va="center", ha="left", fontsize=8.5,
                color="white" if inside else INK, zorder=4)
    ax.set_yticks(range(len(bars)), [_wrap(b.label, 44) for b in bars], fontsize=9)
    ax.set_ylim(len(bars) - 0.5, -0.5)
    ax.set_xlim(start, end + 0.25)
    ax.set_xticks([y + 0.5 for y in range(start, end)], [str(y) for y in range(start, end)])
    ax.tick_params(axis="x", length=0)
    ax.tick_params(axis="y", length=0)
    for y in range(start, end + 1):
        ax.axvline(y, color=GRID, lw=0.8, zorder=0)
    ax.axvspan(inputs.target_year, inputs.target_year + 1, color="#fefcbf", zorder=-1)
    ax.set_xlabel("year")
    ax.set_title(title, loc="left")
    handles: list[Artist] = [Patch(color=AREA_COLORS[g], label=AREA_LABELS[g]) for g in groups]
    handles += [Line2D([], [], marker="D", color=INK, lw=0, label="in service from the start of that year"),
                Patch(color="#fefcbf", label=f"target year {inputs.target_year}")]
    _bottom_legend(fig, handles)
    alt = f"{title}: " + "; ".join(f"{b.label} {b.text} {b.start}->{b.ready}" for b in bars)
    return render(fig, name, title, alt)


# --------------------------------------------------------------------------------------------
# spend
# --------------------------------------------------------------------------------------------


@styled
def spend_chart(allocation: pd.DataFrame, output: pd.DataFrame, inputs: PlanInputs) -> Chart:
    """Stacked bars of money committed by area and year against the yearly caps; totals against the budget."""
    years = inputs.years
    pivot = allocation.pivot_table(index="year", columns="area", values="bn_rub", aggfunc="sum", fill_value=0.0)
    pivot = pivot.reindex(index=years, fill_value=0.0)
    data = {a: (pivot[a].to_numpy(dtype=float) if a in pivot.columns else np.zeros(len(years)))
            for a in AREA_LABELS if a != "opex"}
    out = output.set_index("year").reindex(years)
    counted_opex = (out["spend_bn_rub"] - out["capex_bn_rub"]).clip(lower=0).fillna(0.0).to_numpy(dtype=float)
    if counted_opex.sum() > 1e-6:
        data["opex"] = counted_opex
    fig, (ax, ax2) = figure(4.9, ncols=2, width_ratios=[3.3, 1])
    x = np.arange(len(years))
    bottom = np.zeros(len(years))
    for key, values in data.items():
        ax.bar(x, values, bottom=bottom, color=AREA_COLORS[key], width=0.62)
        bottom += values
    top = max([*bottom, *inputs.yearly_caps.values(), 1.0])
    for i, y in enumerate(years):
        cap = inputs.yearly_caps.get(y)
        if cap is not None:
            ax.hlines(cap, i - 0.42, i + 0.42, color=TARGET_COLOR, lw=2.4, zorder=4)
        if bottom[i] <= 0:
            continue
        if bottom[i] > 0.12 * top:  # total inside the top of the bar, clear of the cap line
            ax.text(i, bottom[i] - top * 0.015, f"{bottom[i]:,.0f}", ha="center", va="top", fontsize=9,
                    color="white", fontweight="bold", zorder=5)
        else:
            ax.text(i, bottom[i] + top * 0.015, f"{bottom[i]:,.0f}", ha="center", va="bottom", fontsize=9, color=INK)
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_ylim(0, top * 1.08)
    ax.set_ylabel("bn RUB committed in the year")
    ax.set_xlabel("year")
    ax.set_title("By year, against the yearly caps", loc="left")
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)

    totals = {k: float(v.sum()) for k, v in data.items()}
    total = sum(totals.values())
    level = 0.0
    for key, value in totals.items():
        ax2.bar(0, value, bottom=level, color=AREA_COLORS[key], width=0.55)
        level += value
    rd = totals.get("rd", 0.0)
    ax2.bar(1, rd, color=AREA_COLORS["rd"], width=0.55)
    limits = [v for v in (inputs.total_budget, inputs.rd_envelope) if v is not None]
    if inputs.total_budget is not None:
        ax2.hlines(inputs.total_budget, -0.4, 0.4, color=TARGET_COLOR, lw=2.4)
    if inputs.rd_envelope is not None:
        ax2.hlines(inputs.rd_envelope, 0.6, 1.4, color=TARGET_COLOR, lw=2.4)

    def of(value, limit):
        return f"{value:,.0f}" + (f"\nof {limit:,.0f}" if limit is not None else "")

    ax2.set_xticks([0, 1], [f"all areas\n{of(total, inputs.total_budget)}", f"R&D\n{of(rd, inputs.rd_envelope)}"])
    ax2.set_xlim(-0.55, 1.55)
    ax2.set_ylim(0, max(limits + [total, 1.0]) * 1.08)
    ax2.set_ylabel("bn RUB, whole horizon")
    ax2.set_title("Total vs budget", loc="left")
    ax2.grid(axis="y", color=GRID)
    ax2.set_axisbelow(True)
    handles: list[Artist] = [Patch(color=AREA_COLORS[k], label=AREA_LABELS[k]) for k in data]
    handles.append(Line2D([], [], color=TARGET_COLOR, lw=2.4, label="cap / budget / R&D envelope"))
    _bottom_legend(fig, handles)
    fig.suptitle("Money committed by area (bn RUB)", x=0.01, ha="left", fontweight="bold", fontsize=13)
    alt = "Spend by year: " + ", ".join(f"{y}: {b:,.1f} bn RUB" for y, b in zip(years, bottom))
    return render(fig, "spend", "Money committed by area and year, against the yearly caps and the budget", alt)


# --------------------------------------------------------------------------------------------
# output trajectory
# --------------------------------------------------------------------------------------------


def _target(targets: pd.DataFrame | None, rule: str):
    if targets is None or targets.empty:
        return None
    rows = targets[targets["rule"] == rule]
    return None if rows.empty else rows.iloc[0]


@styled
def output_chart(output: pd.DataFrame, targets: pd.DataFrame | None, inputs: PlanInputs) -> Chart:
    """REO and HPO t/yr (HPO is the high-purity part of REO), recovery and HP share, against the targets."""
    out = output.sort_values("year")
    years = out["year"].astype(int).to_list()
    x = np.arange(len(years))
    fig, (ax, ax2) = figure(4.9, ncols=2, width_ratios=[1.3, 1])
    reo, hpo = out["reo_t"].to_numpy(dtype=float), out["hpo_t"].to_numpy(dtype=float)
    ax.bar(x, reo, width=0.7, color="#bee3f8", edgecolor="#2b6cb0", lw=1, label="REO output (all oxide)")
    ax.bar(x, hpo, width=0.42, color="#805ad5", label="HPO output (high-purity part)")
    ymax = float(max(reo.max(initial=0.0), 1.0))
    handles = []
    for rule, name in (("reo_output", "REO"), ("hpo_output", "HPO")):
        t = _target(targets, rule)
        if t is None or int(t["year"]) not in years:
            continue
        i = years.index(int(t["year"]))
        value = float(t["target"])
        ymax = max(ymax, value)
        enforced = "enforced" if bool(t["enforced"]) else "not enforced"
        ax.hlines(value, i - 0.45, i + 0.45, color=TARGET_COLOR, lw=2.4, ls="--" if rule == "reo_output" else "-",
                  zorder=5)
        handles.append(Line2D([], [], color=TARGET_COLOR, lw=2.4, ls="--" if rule == "reo_output" else "-",
                              label=f"{name} target {value:,.0f} t in {int(t['year'])} ({enforced})"))
    for i in range(len(years)):
        if reo[i] > 0.5:
            ax.text(i, reo[i] + ymax * 0.012, _fmt_t(reo[i]), ha="center", va="bottom", fontsize=8.5, color="#2b6cb0")
        if hpo[i] <= 0.5:
            continue
        if reo[i] - hpo[i] > 0.09 * ymax:  # room above the HPO bar inside the REO bar
            ax.text(i, hpo[i] + ymax * 0.012, _fmt_t(hpo[i]), ha="center", va="bottom", fontsize=8.5,
                    color="#553c9a", fontweight="bold")
        else:
            ax.text(i + 0.23, hpo[i] * 0.5, _fmt_t(hpo[i]), ha="left", va="center", fontsize=8.5, color="#553c9a",
                    fontweight="bold", rotation=90)
    ax.set_ylim(0, ymax * 1.1)
    ax.set_xticks(x, [str(y) for y in years])
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel("t/yr of oxide")
    ax.set_xlabel("year")
    ax.set_title("Output: REO and high-purity oxide (HPO)", loc="left")
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)
    h, _ = ax.get_legend_handles_labels()
    ax.legend(handles=h + handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8.5)

    ax2.step(x, out["recovery"] * 100, where="mid", marker="o", color="#2f855a", lw=2.2, label="refining recovery")
    ax2.step(x, out["hp_share"] * 100, where="mid", marker="o", color="#805ad5", lw=2.2, label="HP share of REO")
    if inputs.max_recovery is not None:
        ax2.axhline(inputs.max_recovery * 100, color="#2f855a", ls=":", lw=1.3,
                    label=f"recovery ceiling {inputs.max_recovery:.0%}")
    if inputs.max_hp_share is not None:
        ax2.axhline(inputs.max_hp_share * 100, color="#805ad5", ls=":", lw=1.3,
                    label=f"HP-share ceiling {inputs.max_hp_share:.0%}")
    t = _target(targets, "hp_share")
    if t is not None and int(t["year"]) in years:
        i = years.index(int(t["year"]))
        enforced = "enforced" if bool(t["enforced"]) else "not enforced"
        ax2.hlines(float(t["target"]) * 100, i - 0.4, i + 0.4, color=TARGET_COLOR, lw=2.4, zorder=5,
                   label=f"HP-share target {float(t['target']):.0%} ({enforced})")
    last = out.iloc[-1]
    for col, color, dy in (("recovery", "#2f855a", -9), ("hp_share", "#805ad5", 9)):
        ax2.annotate(f"{float(last[col]):.0%}", (x[-1], float(last[col]) * 100), xytext=(8, dy if abs(
            float(last["recovery"]) - float(last["hp_share"])) < 0.06 else 0), textcoords="offset points",
            va="center", fontsize=8.5, color=color, fontweight="bold")
    ax2.set_ylim(0, 105)
    ax2.set_xlim(-0.5, len(years) - 0.2)
    ax2.set_xticks(x, [str(y) if len(years) <= 8 or i % 2 == 0 else "" for i, y in enumerate(years)])
    ax2.set_ylabel("%")
    ax2.set_xlabel("year")
    ax2.set_title("Technology: recovery and HP share", loc="left")
    ax2.grid(axis="y", color=GRID)
    ax2.set_axisbelow(True)
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8.5)
    alt = "Output by year: " + ", ".join(f"{y}: REO {r:,.0f} t, HPO {h:,.0f} t" for y, r, h in zip(years, reo, hpo))
    return render(fig, "output", "Output trajectory against the targets", alt)


# --------------------------------------------------------------------------------------------
# flows
# --------------------------------------------------------------------------------------------


@styled
def flows_chart(flows: pd.DataFrame) -> Chart | None:
    """Deposit x site matrix of concentrate shipped over the horizon (t REO)."""
    if flows is None or flows.empty or flows["t"].sum() <= 1e-6:
        return None
    matrix = flows.pivot_table(index="deposit", columns="site", values="t", aggfunc="sum", fill_value=0.0)
    matrix = matrix.loc[matrix.sum(axis=1) > 0.5, matrix.sum(axis=0) > 0.5]
    matrix = matrix.loc[matrix.sum(axis=1).sort_values(ascending=False).index,
                        matrix.sum(axis=0).sort_values(ascending=False).index]
    n_rows, n_cols = matrix.shape
    height = max(3.2, 1.9 + 0.42 * n_rows)
    fig, ax = figure(height)
    values = matrix.to_numpy(dtype=float)
    shown = np.where(values > 0.5, values, np.nan)
    im = ax.imshow(shown, cmap="Blues", aspect="auto", vmin=0, vmax=float(np.nanmax(shown)))
    vmax = float(np.nanmax(shown))
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i, j]
            if v > 0.5:
                ax.text(j, i, _fmt_t(v), ha="center", va="center", fontsize=8.5,
                        color="white" if v > 0.55 * vmax else INK)
    ax.set_xticks(range(n_cols), [_wrap(c, 14) for c in matrix.columns], fontsize=9)
    ax.set_yticks(range(n_rows), [_wrap(r, 30) for r in matrix.index], fontsize=9)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("plant site (receiving)")
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("deposit (shipping)")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
    ax.grid(which="minor", color="white", lw=2)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.01)
    bar.set_label("t REO shipped, all years")
    bar.ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title("Concentrate flows: deposit → plant site (t REO, summed over the horizon)", loc="left", pad=12)
    alt = "Flows: " + "; ".join(f"{d} -> {s}: {_fmt_t(v)} t" for (d, s), v in matrix.stack().items() if v > 0.5)
    return render(fig, "flows", "Concentrate flows deposit → site", alt)


# --------------------------------------------------------------------------------------------
# all charts of a plan
# --------------------------------------------------------------------------------------------


def plan_charts(tables: dict[str, pd.DataFrame], targets: pd.DataFrame | None, inputs: PlanInputs) -> list[Chart]:
    """Every chart of a plan, in report order (charts without data are left out)."""
    charts = [
        gantt_chart(plant_bars(tables["plants"], inputs.lead_times) + rd_bars(tables["rd"]), inputs, "gantt",
                    "Plant construction and R&D programmes", ["plants", "rd"]),
        spend_chart(tables["allocation"], tables["output"], inputs),
        output_chart(tables["output"], targets, inputs),
        flows_chart(tables.get("flows")),
        gantt_chart(project_bars(tables["projects"]), inputs, "projects", "Power, logistics and mining projects",
                    ["power", "logistics", "mining"]),
    ]
    return [c for c in charts if c is not None]
