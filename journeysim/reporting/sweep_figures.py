"""Figures of sweeps and sensitivity analyses, drawn from their tables (never from an engine)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.reporting.figures import PERSONA_COLOURS, plain_text


def short_label(key: str) -> str:
    """``scenario.touchpoints.purchase.website.friction`` -> ``purchase.website.friction``."""
    for prefix in ("scenario.touchpoints.", "scenario."):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


@plain_text
def sensitivity_figure(indices: pd.DataFrame, *, method: str, kpi: str) -> Figure:
    """Tornado-style bars, most influential parameter on top.

    Sobol: total (ST) and first-order (S1) indices with their confidence intervals.
    Morris: mu* with its confidence interval, and sigma (interactions, non-linearity).
    """
    if method == "sobol":
        bars = [("ST", "ST_conf", "total effect ST", "#1f77b4"), ("S1", "S1_conf", "first order S1", "#ff7f0e")]
        xlabel = f"Sobol index of {kpi} (share of its variance)"
    else:
        bars = [("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", "#1f77b4"), ("sigma", None, "sigma (spread of effects)", "#7f7f7f")]
        xlabel = f"effect on {kpi} of a parameter's whole range"
    labels = [short_label(key) for key in indices["parameter"]]
    y = np.arange(len(labels))[::-1]
    height = 0.8 / len(bars)
    figure = Figure(figsize=(8, 1.2 + 0.55 * len(labels) * len(bars)), layout="constrained")
    ax = figure.subplots()
    for offset, (column, error, label, colour) in enumerate(bars):
        values = indices[column].to_numpy(dtype=float)
        errors = indices[error].to_numpy(dtype=float) if error else None
        ax.barh(y + (len(bars) / 2 - offset - 0.5) * height, values, height=height, xerr=errors, color=colour, alpha=0.85, label=label, capsize=3)
    ax.set_yticks(y, labels)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower right", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"What drives {kpi}: {'Sobol indices' if method == 'sobol' else 'Morris screening'}")
    return figure


@plain_text
def response_figure(summary: pd.DataFrame, x: str, *, group: str | None = None, kpi: str = "KPI", title: str | None = None) -> Figure:
    """A response curve with error bars: ``summary`` as :func:`journeysim.analysis.sweeps.response_summary` gives.

    With ``group``, one curve per value, each nudged sideways a little so that the error
    bars of curves at the same x stay apart.
    """
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    ax = figure.subplots()
    groups = [(None, summary)] if group is None else list(summary.groupby(group, sort=True))
    xs = pd.to_numeric(summary[x], errors="coerce")
    span = float(xs.max() - xs.min()) if xs.notna().any() and xs.max() > xs.min() else 1.0
    for index, (value, rows) in enumerate(groups):
        rows = rows.sort_values(x)
        mean = rows["mean"].to_numpy(dtype=float)
        errors = np.vstack([mean - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - mean])
        nudge = 0.012 * span * (index - (len(groups) - 1) / 2)
        label = None if group is None else f"{short_label(group)} = {value:g}" if isinstance(value, (int, float)) else f"{short_label(group)} = {value}"
        colour = PERSONA_COLOURS[index % len(PERSONA_COLOURS)]
        ax.errorbar(rows[x] + nudge, mean, yerr=np.nan_to_num(errors), marker="o", capsize=4, color=colour, label=label)
    ax.set_xlabel(short_label(x))
    ax.set_ylabel(kpi)
    if group is not None:
        ax.legend(fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or f"{kpi} against {short_label(x)}: mean and confidence interval", fontsize=10)
    return figure
