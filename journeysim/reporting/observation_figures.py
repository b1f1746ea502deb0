"""Figures of the analyst's tools against the truth: attribution as tracking degrades, and a
media-mix regression's channel contributions beside each channel's true incremental effect.

Drawn from the studies' tables only, with matplotlib's object API (``Figure``), never pyplot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.analysis.attribution import MODEL_NAMES
from journeysim.reporting.attribution_figures import (
    MODEL_COLOURS,
    MODEL_LABELS,
    TRUTH_COLOUR,
)
from journeysim.reporting.figures import plain_text


@plain_text
def tracking_error_figure(scores: pd.DataFrame, title: str = "Attribution error as tracking consent falls") -> Figure:
    """Left: each attribution model's misallocated share of credit (0.5 x sum |credit share -
    true share|) against the consent rate, from a :class:`~journeysim.studies.tracking.TrackingStudy`'s
    ``scores``. Right: the share of true conversions the observed paths still show."""
    figure = Figure(figsize=(11.5, 5.0), layout="constrained")
    error, seen = figure.subplots(1, 2, width_ratios=[2.2, 1.0])
    for model in [m for m in MODEL_NAMES if m in set(scores["model"])]:
        rows = scores.loc[scores["model"] == model].sort_values("consent_rate")
        error.plot(rows["consent_rate"], rows["misallocated_share"], marker="o", color=MODEL_COLOURS.get(model), label=MODEL_LABELS.get(model, model))
    error.set_xlabel("consent rate (share of customers who accept tracking)")
    error.set_ylabel("misallocated share of credit (0 = the truth's split)")
    error.set_ylim(bottom=0)
    error.invert_xaxis()
    error.grid(alpha=0.3)
    error.legend(fontsize=8, ncols=2)
    visible = scores.groupby("consent_rate")[["observed_conversions", "true_conversions"]].first().sort_index()
    share = visible["observed_conversions"] / visible["true_conversions"].where(visible["true_conversions"] > 0)
    seen.plot(visible.index, share, marker="o", color=TRUTH_COLOUR)
    seen.set_xlabel("consent rate")
    seen.set_ylabel("conversions on observed paths / true conversions")
    seen.set_ylim(0, max(1.05, float(np.nanmax(share.to_numpy())) * 1.05) if len(share) else 1.05)
    seen.invert_xaxis()
    seen.grid(alpha=0.3)
    figure.suptitle(title)
    return figure


@plain_text
def media_mix_figure(comparison: pd.DataFrame, title: str = "Media-mix regression versus the simulated truth") -> Figure:
    """Per paid channel: each regression's contribution (a bar per ``contribution_<model>``
    column, or one ``contribution``) beside the true incremental effect with its interval
    (black), from a table with ``channel``, the contributions, and ``incremental_<measure>``
    with its ``_ci_low`` and ``_ci_high``."""
    measure = next(c for c in comparison.columns if c.startswith("incremental_") and not c.endswith(("_ci_low", "_ci_high")))
    models = [c for c in comparison.columns if c == "contribution" or c.startswith("contribution_")]
    channels = list(comparison["channel"])
    x = np.arange(len(channels))
    width = 0.8 / (len(models) + 1)
    figure = Figure(figsize=(max(6.0, 1.9 * len(channels) + 2.5), 4.8), layout="constrained")
    ax = figure.subplots()
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
    for index, model in enumerate(models):
        label = "media-mix regression" + ("" if model == "contribution" else f" ({model.removeprefix('contribution_')} adstock)")
        ax.bar(x + (index - len(models) / 2) * width, comparison[model], width=width, color=colours[index % len(colours)], label=label)
    truth = comparison[measure].to_numpy(float)
    low, high = comparison[f"{measure}_ci_low"].to_numpy(float), comparison[f"{measure}_ci_high"].to_numpy(float)
    at = x + (len(models) / 2) * width
    ax.bar(at, truth, width=width, color=TRUTH_COLOUR, label="truth: spend switched off (95 % interval)")
    ax.errorbar(at, truth, yerr=[np.nan_to_num(truth - low), np.nan_to_num(high - truth)], fmt="none", ecolor="#888888", capsize=4)
    ax.set_xticks(x, channels)
    ax.set_ylabel(measure.removeprefix("incremental_") + " added per replication")
    ax.axhline(0, color="#444444", linewidth=0.8)
    ax.legend(fontsize=8)
    ax.set_title(title)
    return figure
