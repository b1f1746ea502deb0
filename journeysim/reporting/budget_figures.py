"""Budget figures, drawn from the optimiser's tables only (never from an engine).

* :func:`response_curve_figure`: each paid channel's response curve (paid prospects per day
  vs spend per day) with the current and the recommended spend marked;
* :func:`marginal_return_figure`: objective per extra EUR/day per channel, at the current and
  the recommended split, with intervals;
* :func:`split_figure`: current vs recommended daily spend per channel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.reporting.figures import plain_text

CURRENT_COLOUR, RECOMMENDED_COLOUR = "#7f7f7f", "#1f77b4"


def _label(name: str) -> str:
    return name.replace("_", " ")


@plain_text
def response_curve_figure(response: pd.DataFrame, split: pd.DataFrame) -> Figure:
    """``response``: channel, spend_per_day, paid_prospects_per_day. ``split``: channel,
    current_spend_per_day, recommended_spend_per_day."""
    channels = list(dict.fromkeys(response["channel"]))
    figure = Figure(figsize=(4.0 * len(channels), 3.6), layout="constrained")
    axes = figure.subplots(1, len(channels), squeeze=False)[0]
    marks = split.set_index("channel")
    for ax, channel in zip(axes, channels):
        curve = response.loc[response["channel"] == channel]
        x, y = curve["spend_per_day"].to_numpy(), curve["paid_prospects_per_day"].to_numpy()
        ax.plot(x, y, color="#444444", linewidth=1.5)
        for column, colour, label, marker in (
            ("current_spend_per_day", CURRENT_COLOUR, "current", "o"),
            ("recommended_spend_per_day", RECOMMENDED_COLOUR, "recommended", "D"),
        ):
            spend = float(marks.loc[channel, column])
            ax.plot([spend], [np.interp(spend, x, y)], marker=marker, color=colour, markersize=8, linestyle="none", label=f"{label}: {spend:,.0f}")
            ax.axvline(spend, color=colour, linewidth=0.8, linestyle=":")
        ax.set_title(_label(channel))
        ax.set_xlabel("spend (EUR/day)")
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
        ax.legend(fontsize=8, loc="lower right")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel("paid prospects per day (steady state)")
    figure.suptitle("Response curves: spend -> adstock -> Hill exposure -> paid prospects")
    return figure


@plain_text
def marginal_return_figure(marginal: pd.DataFrame, objective: str) -> Figure:
    """``marginal``: split (current/recommended), channel, marginal_return, ci_low, ci_high."""
    channels = list(dict.fromkeys(marginal["channel"]))
    splits = list(dict.fromkeys(marginal["split"]))
    figure = Figure(figsize=(6.5, 0.9 * len(channels) + 1.6), layout="constrained")
    ax = figure.subplots()
    height = 0.8 / len(splits)
    y = np.arange(len(channels))[::-1]
    for k, split in enumerate(splits):
        table = marginal.loc[marginal["split"] == split].set_index("channel").reindex(channels)
        value = table["marginal_return"].to_numpy(dtype=float)
        error = np.vstack([value - table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float) - value])
        colour = RECOMMENDED_COLOUR if split == "recommended" else CURRENT_COLOUR
        offset = (len(splits) - 1) / 2 - k
        ax.barh(y + offset * height, value, height=height * 0.9, xerr=np.nan_to_num(error), color=colour, alpha=0.85, label=f"at the {split} split", capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [_label(c) for c in channels])
    ax.set_xlabel(f"{_label(objective)} per extra EUR/day (95% interval)")
    ax.legend(fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("Marginal return per channel")
    return figure


@plain_text
def split_figure(split: pd.DataFrame, objective: str) -> Figure:
    """``split``: channel, current_spend_per_day, recommended_spend_per_day, held_fixed."""
    channels = split["channel"].tolist()
    figure = Figure(figsize=(1.6 * len(channels) + 3.0, 3.8), layout="constrained")
    ax = figure.subplots()
    x = np.arange(len(channels))
    width = 0.38
    for offset, column, colour, label in ((-width / 2, "current_spend_per_day", CURRENT_COLOUR, "current"),
                                          (width / 2, "recommended_spend_per_day", RECOMMENDED_COLOUR, "recommended")):
        values = split[column].to_numpy(dtype=float)
        bars = ax.bar(x + offset, values, width * 0.95, color=colour, label=label)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=8, padding=2)
    names = [_label(c) + (" (fixed)" if fixed else "") for c, fixed in zip(channels, split["held_fixed"])]
    ax.set_xticks(x, names)
    ax.set_ylabel("spend (EUR/day)")
    ax.legend(fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    total_current, total_recommended = split["current_spend_per_day"].sum(), split["recommended_spend_per_day"].sum()
    ax.set_title(f"Daily spend split for {_label(objective)}: total {total_current:,.0f} -> {total_recommended:,.0f} EUR/day")
    return figure
