"""Figures of a current-vs-future comparison, drawn from its tables only.

Each function takes a table of :class:`journeysim.studies.comparison.Comparison` (``funnels``,
``table``, ``dropoff``, ``emotion``) and returns a matplotlib ``Figure`` (object API, no
pyplot), so they work headless and in notebooks alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from journeysim.analysis.metrics import ALL
from journeysim.reporting.figures import plain_text

STATE_COLOURS = {"current": "#8c8c8c", "future": "#1f77b4"}
# KPIs that repeat another one on another scale (a count next to its rate, a sum next to its
# mean); the forest plot and the terminal table leave them out, every other KPI shows.
SECONDARY_KPIS = frozenset({
    "arrivals", "converted", "lost", "open", "loss_rate", "touches_per_customer",
    "median_time_to_convert_days", "revenue", "average_order_value", "contact_cost",
})  # fmt: skip
EFFECT_COLOURS = {True: "#1f77b4", False: "#9a9a9a"}


def _personas(table: pd.DataFrame) -> list[str]:
    names = [str(p) for p in pd.unique(table["persona"])]
    return [p for p in names if p != ALL] + ([ALL] if ALL in names else [])


def _label(name: str) -> str:
    return name.replace("_", " ")


def _grid(figure: Figure, count: int, columns: int, **kwargs):
    columns = max(1, min(columns, count))
    rows = int(np.ceil(count / columns))
    axes = figure.subplots(rows, columns, squeeze=False, **kwargs).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return axes[:count], rows, columns


@plain_text
def funnels_figure(funnels: pd.DataFrame, title: str = "Future state", stages: Sequence[str] | None = None) -> Figure:
    """Per persona, the share of arrivals reaching each stage: current and future side by side.

    ``stages`` orders the rows (e.g. journey stages, ``converted``, then post-purchase
    stages); stages nobody reached in either state are left out."""
    personas = _personas(funnels)
    reached = funnels.groupby("stage", sort=False)["customers"].sum()
    order = list(stages) if stages is not None else list(pd.unique(funnels["stage"]))
    stages = [s for s in order if s in reached.index and reached[s] > 0]
    columns = min(2, len(personas))
    rows = int(np.ceil(len(personas) / columns))
    figure = Figure(figsize=(6.4 * columns, 0.62 * len(stages) * rows + 1.6), layout="constrained")
    axes, _, _ = _grid(figure, len(personas), columns, sharex=True)
    height = 0.4
    for ax, persona in zip(axes, personas):
        y = np.arange(len(stages))[::-1]
        for offset, state in ((height / 2, "current"), (-height / 2, "future")):
            rows_ = funnels.loc[(funnels["persona"] == persona) & (funnels["state"] == state)].set_index("stage").reindex(stages)
            share = rows_["share_of_arrivals"].fillna(0.0).to_numpy()
            ax.barh(y + offset, share, height=height, color=STATE_COLOURS[state], label=state)
            if state == "current":
                before = share
            for yi, value, old in zip(y + offset, share, before):
                change = 100 * (value - old)
                note = f"  ({change:+.1f} pp)" if state == "future" and abs(change) >= 0.05 else ""
                ax.text(value + 0.01, yi, f"{value:.1%}{note}", va="center", fontsize=7.5, fontweight="bold" if note else None)
        ax.set_yticks(y, [_label(s) for s in stages])
        ax.set_xlim(0, 1.22)
        ax.set_xticks(np.linspace(0, 1, 6))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_title("all personas" if persona == ALL else _label(persona), fontsize=10, fontweight="bold" if persona == ALL else None)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].legend(loc="lower right", fontsize=8, frameon=False)
    figure.suptitle(f"{title}: share of arrivals reaching each stage, current vs future")
    return figure


@plain_text
def forest_figure(table: pd.DataFrame, persona: str = ALL, title: str = "Future state", confidence: float = 0.95,
                  kpis: Sequence[str] | None = None) -> Figure:
    """Each KPI's change in % of its current value, with the interval of the paired difference.

    The interval is the difference's interval divided by the current mean. KPIs whose
    interval excludes zero are drawn in colour. ``kpis`` defaults to every KPI but the
    secondary ones and those that took one value throughout (nothing to compare).
    """
    constant = (table["current_sd"] == 0) & (table["future_sd"] == 0) & (table["difference"] == 0)
    chosen = table["kpi"].isin(kpis) if kpis is not None else ~table["kpi"].isin(SECONDARY_KPIS) & ~constant
    rows = table.loc[(table["persona"] == persona) & np.isfinite(table["relative_change"].astype(float)) & chosen].copy()
    rows = rows.loc[rows["current"].abs() > 0]
    scale = 100.0 / rows["current"].abs()
    rows["change"] = rows["difference"] * scale
    rows["low"] = rows["ci_low"] * scale
    rows["high"] = rows["ci_high"] * scale
    rows = rows.iloc[::-1]  # first KPI on top
    figure = Figure(figsize=(8.0, 0.34 * len(rows) + 1.6), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(rows))
    for yi, row in zip(y, rows.itertuples()):
        colour = EFFECT_COLOURS[bool(row.excludes_zero)]
        if np.isfinite(row.low) and np.isfinite(row.high):
            ax.plot([row.low, row.high], [yi, yi], color=colour, linewidth=2.2, solid_capstyle="butt")
        ax.plot(row.change, yi, "o", color=colour, markersize=5)
    ax.axvline(0, color="black", linewidth=0.8)
    labels = [f"{_label(k).replace(' days', ' (days)')}  {c}" for k, c in zip(rows["kpi"], rows["change"].map(lambda v: f"({v:+.1f}%)"))]
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(f"change vs current state (%), with {confidence:.0%} interval of the paired difference")
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    who = "all personas" if persona == ALL else _label(persona)
    figure.suptitle(f"{title}: KPI changes ({who}); coloured = interval excludes zero", fontsize=11)
    return figure


@plain_text
def dropoff_figure(dropoff: pd.DataFrame, stages: Sequence[str], channels: Sequence[str], title: str = "Future state") -> Figure:
    """Stage x channel heatmaps (pooled and per persona) of the change in lost customers per
    100 arrivals: blue = fewer lost in the future state, red = more."""
    personas = [ALL] + [p for p in _personas(dropoff) if p != ALL]
    stages = [s for s in stages if s in set(dropoff["stage"])]
    channels = [c for c in channels if c in set(dropoff["channel"])]
    grids = {}
    for persona in personas:
        table = dropoff.loc[dropoff["persona"] == persona]
        pivot = table.pivot_table(index="stage", columns="channel", values="lost_per_arrival_difference", aggfunc="sum", observed=True)
        grids[persona] = 100 * pivot.reindex(index=stages, columns=channels).to_numpy(dtype=float)
    extent = max([np.nanmax(np.abs(g)) for g in grids.values() if np.isfinite(g).any()] + [0.05])
    columns = min(2, len(personas))
    rows = int(np.ceil(len(personas) / columns))
    figure = Figure(figsize=(1.0 + 4.6 * columns * max(1.0, len(channels) / 7), 0.6 * len(stages) * rows + 1.8), layout="constrained")
    axes, _, _ = _grid(figure, len(personas), columns)
    norm = TwoSlopeNorm(vmin=-extent, vcenter=0.0, vmax=extent)
    image = None
    for ax, persona in zip(axes, personas):
        values = grids[persona]
        ax.set_facecolor("#dcdcdc")  # cells without a touchpoint
        image = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu_r", norm=norm, aspect="auto")
        for r in range(len(stages)):
            for c in range(len(channels)):
                if np.isfinite(values[r, c]):
                    strong = abs(values[r, c]) > 0.6 * extent
                    text = "0" if round(values[r, c], 2) == 0 else f"{values[r, c]:+.2f}"
                    colour = "white" if strong else ("#9a9a9a" if text == "0" else "black")
                    ax.text(c, r, text, ha="center", va="center", fontsize=7.5, color=colour)
        ax.set_xticks(range(len(channels)), [_label(c) for c in channels], rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(stages)), [_label(s) for s in stages], fontsize=8)
        ax.set_title("all personas" if persona == ALL else _label(persona), fontsize=10, fontweight="bold" if persona == ALL else None)
    if image is not None:
        figure.colorbar(image, ax=list(axes), shrink=0.8, label="change in lost customers per 100 arrivals")
    figure.suptitle(f"{title}: change in drop-off, future - current (blue = fewer lost; grey = no touchpoint)")
    return figure


@plain_text
def emotion_lane_figure(emotion: pd.DataFrame, stages: Sequence[str], title: str = "Future state") -> Figure:
    """The journey map's emotion lane: mean emotion of the experiences at each stage, per
    persona, current vs future."""
    personas = _personas(emotion)
    stages = [s for s in stages if s in set(emotion.loc[emotion["experiences"] > 0, "stage"])]
    columns = min(4, len(personas))
    rows = int(np.ceil(len(personas) / columns))
    figure = Figure(figsize=(3.6 * columns, 3.0 * rows + 0.9), layout="constrained")
    axes, _, _ = _grid(figure, len(personas), columns, sharey=True)
    x = np.arange(len(stages))
    values = emotion["mean_emotion"].astype(float)
    low = min(-0.1, np.nanmin(values) - 0.08) if values.notna().any() else -1.0
    high = max(0.1, np.nanmax(values) + 0.08) if values.notna().any() else 1.0
    for ax, persona in zip(axes, personas):
        ax.axhspan(low, 0, color="#f4d4d4", alpha=0.5, zorder=0)
        ax.axhspan(0, high, color="#d8efd8", alpha=0.5, zorder=0)
        for state, style in (("current", "--"), ("future", "-")):
            rows_ = emotion.loc[(emotion["persona"] == persona) & (emotion["state"] == state)].set_index("stage").reindex(stages)
            ax.plot(x, rows_["mean_emotion"].to_numpy(dtype=float), style, marker="o", color=STATE_COLOURS[state], label=state, linewidth=2)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, [_label(s) for s in stages], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(low, high)
        ax.set_title("all personas" if persona == ALL else _label(persona), fontsize=10, fontweight="bold" if persona == ALL else None)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("mean emotion of experiences")
    axes[0].legend(fontsize=8, frameon=False, loc="lower left")
    figure.suptitle(f"{title}: emotion along the journey, current vs future")
    return figure
