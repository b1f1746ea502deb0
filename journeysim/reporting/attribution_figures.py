"""The attribution-versus-truth report: its figure and its text summary, from the study's tables only.

The figure uses matplotlib's object API (``Figure``), never pyplot, so it works headless.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.analysis.attribution import MODEL_NAMES
from journeysim.config.durations import format_duration
from journeysim.reporting.figures import plain_text

MODEL_LABELS = {
    "first_touch": "first touch",
    "last_touch": "last touch",
    "last_non_direct": "last non-direct",
    "linear": "linear",
    "time_decay": "time decay",
    "position_based": "position based",
    "markov": "Markov",
    "shapley": "Shapley",
}
MODEL_COLOURS = {
    "first_touch": "#9ecae1",
    "last_touch": "#d62728",
    "last_non_direct": "#ff9896",
    "linear": "#bcbd22",
    "time_decay": "#ff7f0e",
    "position_based": "#9467bd",
    "markov": "#1f77b4",
    "shapley": "#2ca02c",
}
TRUTH_COLOUR = "#222222"


def truth_share_interval(credits: pd.DataFrame) -> pd.DataFrame:
    """Per channel: truth share and the share interval from the incremental-conversion interval
    (bounds clipped at 0, divided by the same total as the share; the total is taken as fixed)."""
    truth = credits.groupby("channel", sort=False)[["true_incremental_conversions", "truth_ci_low", "truth_ci_high", "truth_share"]].first()
    total = truth["true_incremental_conversions"].clip(lower=0).sum()
    scale = 1.0 / total if total > 0 else np.nan
    truth["share_low"] = truth["truth_ci_low"].clip(lower=0) * scale
    truth["share_high"] = truth["truth_ci_high"].clip(lower=0) * scale
    return truth


@plain_text
def attribution_truth_figure(credits: pd.DataFrame, scores: pd.DataFrame, title: str = "Attribution versus simulated truth") -> Figure:
    """Left: credit share per channel for each model, next to the simulated truth (black, with
    its 95 % interval). Right: each model's misallocated share of credit."""
    models = [m for m in MODEL_NAMES if m in set(credits["model"])]
    truth = truth_share_interval(credits)
    channels = list(truth.index)
    shares = credits.pivot(index="channel", columns="model", values="credit_share").reindex(index=channels, columns=models)

    figure = Figure(figsize=(max(11.0, 1.45 * len(channels) + 5.5), 6.2), layout="constrained")
    grid = figure.add_gridspec(1, 2, width_ratios=[max(3.0, len(channels) / 2.2), 1.3])
    bars, ranking = figure.add_subplot(grid[0]), figure.add_subplot(grid[1])

    groups = len(models) + 1
    width = 0.86 / groups
    x = np.arange(len(channels))
    offsets = (np.arange(groups) - (groups - 1) / 2) * width
    share = truth["truth_share"].to_numpy(dtype=float)
    error = np.vstack([np.clip(share - truth["share_low"], 0, None), np.clip(truth["share_high"] - share, 0, None)])
    bars.bar(x + offsets[0], share, width, color=TRUTH_COLOUR, label="TRUTH (simulated removal)", zorder=3,
             yerr=np.nan_to_num(error), error_kw={"ecolor": "#888888", "capsize": 3, "lw": 1.2})
    for offset, model in zip(offsets[1:], models):
        bars.bar(x + offset, shares[model].fillna(0).to_numpy(), width, color=MODEL_COLOURS.get(model), label=MODEL_LABELS.get(model, model), zorder=2)
    top = float(np.nanmax([np.nanmax(shares.to_numpy(dtype=float)), np.nanmax(truth["share_high"].to_numpy(dtype=float)), 0.1]))
    labels = []
    for channel, row in truth.iterrows():
        label = channel.replace("_", " ")
        if row["true_incremental_conversions"] < 0:
            label += "\n(truth < 0)"
        elif not row["truth_share"] > 0.005:
            label += "\n(truth ≈ 0)"
        labels.append(label)
    bars.set_xticks(x, labels)
    bars.set_xlim(-0.55, len(channels) - 0.45)
    bars.set_ylim(0, min(1.15, top * 1.3))  # headroom for the legend
    bars.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    bars.set_ylabel("share of credited conversions")
    bars.grid(axis="y", color="#dddddd", zorder=0)
    bars.set_title("Credit share per channel: models against the truth (black, 95% interval)\n"
                   "truth < 0: removing the channel raises conversions", fontsize=10)
    bars.legend(ncols=5, fontsize=8, loc="upper right", frameon=True, framealpha=0.9)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)

    ordered = scores.set_index("model").reindex(models).sort_values("misallocated_share", ascending=False)
    y = np.arange(len(ordered))
    values = ordered["misallocated_share"].to_numpy(dtype=float)
    ranking.barh(y, np.nan_to_num(values), color=[MODEL_COLOURS.get(m) for m in ordered.index], zorder=2)
    for yi, value, rho in zip(y, values, ordered["spearman"]):
        label = "n/a" if np.isnan(value) else f"{value:.0%}" + ("" if pd.isna(rho) else f"  (ρ {rho:+.2f})")
        ranking.text(min(np.nan_to_num(value), 1.0) + 0.02, yi, label, va="center", fontsize=8)
    ranking.set_yticks(y, [MODEL_LABELS.get(m, m) for m in ordered.index])
    ranking.set_xlim(0, 1.35)
    ranking.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ranking.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ranking.grid(axis="x", color="#dddddd", zorder=0)
    ranking.set_title("Misallocated credit\n(0 = truth's split; ρ: rank correlation)", fontsize=10)
    for side in ("top", "right"):
        ranking.spines[side].set_visible(False)
    figure.suptitle(title)
    return figure


def study_text(credits: pd.DataFrame, scores: pd.DataFrame, channels: pd.DataFrame, friction: pd.DataFrame | None, meta: dict) -> str:
    """A readable text report of an attribution-versus-truth study from its tables."""
    lines = [
        f"Attribution versus simulated truth - {meta.get('scenario', '')}",
        "=" * 60,
        f"seed {meta.get('seed')}, {meta.get('replications')} paired replications; arrivals over "
        f"{format_duration(meta.get('arrival_days', float('nan')))}, followed to day {meta.get('horizon_days', float('nan')):g}; "
        f"per replication {meta.get('customers_per_replication', 0):,.0f} customers, "
        f"{meta.get('conversions_per_replication', 0):,.1f} conversions.",
        "",
        "Truth: conversions lost per replication when a channel is removed (full - without), 95% interval",
    ]
    truth = channels
    shown = pd.DataFrame({
        "channel": truth["channel"],
        "incremental": truth["incremental_conversions"].map("{:,.1f}".format),
        "95% interval": [f"[{lo:,.1f}, {hi:,.1f}]" for lo, hi in zip(truth["incremental_conversions_ci_low"], truth["incremental_conversions_ci_high"])],
        "removal effect": truth["removal_effect"].map("{:+.1%}".format),
        "truth share": truth["share_of_incremental"].map(lambda v: "-" if pd.isna(v) else f"{v:.1%}"),
    })
    if "incremental_revenue" in truth:
        shown["revenue"] = truth["incremental_revenue"].map("{:+,.0f}".format)
    if "incremental_loyal" in truth:
        shown["loyal customers"] = truth["incremental_loyal"].map("{:+,.1f}".format)
    lines += [shown.to_string(index=False)]
    lines += [f"  note, {channel}: {note}" for channel, note in zip(truth["channel"], truth["note"]) if isinstance(note, str) and note]
    lines += [""]
    shares = credits.pivot(index="channel", columns="model", values="credit_share")
    shares = shares[[c for c in MODEL_NAMES if c in shares.columns]]
    shares["TRUTH"] = credits.groupby("channel")["truth_share"].first()
    shares = shares.reindex(credits["channel"].drop_duplicates())
    lines += ["Credit share per channel by model (TRUTH: share of the positive incremental conversions)",
              shares.map(lambda v: "-" if pd.isna(v) else f"{v:.0%}").to_string(), ""]
    scores = scores.sort_values("misallocated_share")
    lines += ["Scores: misallocated share of credit (0 = right split, 1 = all wrong) and rank correlation with the truth",
              scores.to_string(index=False, formatters={"misallocated_share": "{:.1%}".format, "spearman": "{:+.2f}".format}), ""]
    if friction is not None:
        f = friction
        shown = pd.DataFrame({
            "stage": f["stage"],
            "frictions": f["frictions_removed"],
            "conversions gained": f["incremental_conversions"].map("{:,.1f}".format),
            "95% interval": [f"[{lo:,.1f}, {hi:,.1f}]" for lo, hi in zip(f["incremental_conversions_ci_low"], f["incremental_conversions_ci_high"])],
            "lost to friction there": f["lost_to_friction_at_stage"].map("{:,.1f}".format),
            "recovered": f["recovered_share"].map(lambda v: "-" if pd.isna(v) else f"{v:.0%}"),
        })
        lines += ["Friction: conversions gained per replication by removing all friction at a stage", shown.to_string(index=False), ""]
    return "\n".join(lines)
