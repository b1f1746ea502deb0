"""Figures drawn from metric tables (never from an engine).

Uses matplotlib's object API (``Figure``) so nothing touches pyplot's global state and any
backend works headless.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.analysis.metrics import ALL

PERSONA_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def plain_text(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw with mathtext off: every label is plain text, so a ``$`` in a persona, channel or
    stage name is a dollar sign, not the start of a formula matplotlib fails to parse."""

    @functools.wraps(draw)
    def drawn(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn


@plain_text
def funnel_figure(funnel: pd.DataFrame, title: str = "Journey funnel") -> Figure:
    """One centred-bar funnel per persona (and pooled): share of arrivals reaching each stage."""
    personas = [p for p in funnel["persona"].unique() if p != ALL] + ([ALL] if ALL in set(funnel["persona"]) else [])
    # Post-purchase stages nobody reached (no loyalty model in the run) would only add empty rows.
    reached = funnel.groupby("stage", sort=False)["customers"].sum()
    stages = [s for s in funnel["stage"].unique() if reached[s] > 0]
    columns = min(4, len(personas))
    rows = int(np.ceil(len(personas) / columns))
    figure = Figure(figsize=(4.2 * columns, 0.55 * len(stages) * rows + 1.4), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, persona in enumerate(personas):
        ax = axes[index // columns][index % columns]
        table = funnel.loc[funnel["persona"] == persona].set_index("stage").reindex(stages)
        share = table["share_of_arrivals"].fillna(0).to_numpy()
        y = np.arange(len(stages))[::-1]
        colour = "#444444" if persona == ALL else PERSONA_COLOURS[index % len(PERSONA_COLOURS)]
        ax.barh(y, share, left=(1 - share) / 2, color=colour, alpha=0.85)
        for yi, value, count in zip(y, share, table["customers"].fillna(0).astype(int)):
            ax.text(0.5, yi, f"{value:.1%}  (n={count:,})", ha="center", va="center", fontsize=8, color="white" if value > 0.35 else "black")
        ax.set_yticks(y, [s.replace("_", " ") for s in stages])
        ax.set_xlim(0, 1)
        ax.set_xticks([])
        ax.set_title(persona.replace("_", " "), fontsize=10)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    for index in range(len(personas), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.suptitle(f"{title}: share of arrivals reaching each stage")
    return figure


@plain_text
def journey_map_figure(touchpoints: pd.DataFrame, stages: Sequence[str], channels: Sequence[str], persona: str = ALL) -> Figure:
    """Stage x channel heatmaps: touches, drop-off rate (friction share noted) and mean emotion."""
    table = touchpoints.loc[touchpoints["persona"] == persona]
    stages = [s for s in stages if s in set(table["stage"])]
    channels = [c for c in channels if c in set(table["channel"])]

    def grid(column: str) -> np.ndarray:
        pivot = table.pivot_table(index="stage", columns="channel", values=column, aggfunc="sum", observed=True)
        return pivot.reindex(index=stages, columns=channels).to_numpy(dtype=float)

    touches = grid("touches")
    drop_rate = grid("lost") / np.where(touches > 0, touches, np.nan)
    friction = grid("friction_drop") / np.where(grid("lost") > 0, grid("lost"), np.nan)
    emotion = table.pivot_table(index="stage", columns="channel", values="mean_emotion", aggfunc="mean", observed=True)
    emotion = emotion.reindex(index=stages, columns=channels).to_numpy(dtype=float)

    figure = Figure(figsize=(3.0 + 2.1 * len(channels), 2.2 + 0.75 * len(stages)), layout="constrained")
    axes = figure.subplots(1, 3, sharey=True)
    panels = [
        (touches, "Touches", "Blues", None, lambda v, r, c: f"{v:,.0f}"),
        (drop_rate, "Drop-off per touch (friction share)", "Reds", (0, max(0.05, np.nanmax(drop_rate) if np.isfinite(drop_rate).any() else 1)),
         lambda v, r, c: f"{v:.0%}" + (f"\n({friction[r, c]:.0%} fr.)" if np.isfinite(friction[r, c]) and friction[r, c] > 0 else "")),
        (emotion, "Mean emotion", "RdYlGn", (-1, 1), lambda v, r, c: f"{v:+.2f}"),
    ]
    for ax, (values, title, cmap, limits, label) in zip(axes, panels):
        masked = np.ma.masked_invalid(values)
        kwargs = {"vmin": limits[0], "vmax": limits[1]} if limits else {}
        image = ax.imshow(masked, cmap=cmap, aspect="auto", **kwargs)
        for r in range(len(stages)):
            for c in range(len(channels)):
                if np.isfinite(values[r, c]):
                    shade = image.norm(values[r, c])
                    dark = shade > 0.65 if cmap != "RdYlGn" else (shade < 0.15 or shade > 0.85)
                    ax.text(c, r, label(values[r, c], r, c), ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(len(channels)), [c.replace("_", " ") for c in channels], rotation=45, ha="right")
        ax.set_yticks(range(len(stages)), stages)
        ax.set_title(title, fontsize=10)
        figure.colorbar(image, ax=ax, shrink=0.8)
    figure.suptitle(f"Journey map ({persona.replace('_', ' ')}): where touches happen, where customers are lost, how they feel")
    return figure


def save(figure: Figure, path: str | Path, dpi: int = 120) -> None:
    """Write ``figure`` to ``path`` (PNG)."""
    figure.savefig(path, dpi=dpi)


@plain_text
def queue_figure(visits: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """Per capacity channel: distribution of waits, and waits and abandonment by hour of day."""
    channels = summary["channel"].tolist()
    figure = Figure(figsize=(12, 3.6 * len(channels)), layout="constrained")
    axes = figure.subplots(len(channels), 2, squeeze=False)
    for row, channel in enumerate(channels):
        table = visits.loc[visits["channel"] == channel]
        stats = summary.set_index("channel").loc[channel]
        waits = table.loc[table["served"], "wait_days"] * 1440
        ax = axes[row][0]
        ax.hist(waits.clip(upper=max(1.0, waits.quantile(0.99) if len(waits) else 1.0)), bins=40, color="#1f77b4", alpha=0.8)
        ax.axvline(stats["target_wait_minutes"], color="#d62728", linestyle="--", label=f"target {stats['target_wait_minutes']:.0f} min")
        ax.set_yscale("log")
        ax.set_xlabel("wait before service (minutes)")
        ax.set_ylabel("served visits")
        ax.set_title(
            f"{channel.replace('_', ' ')}: P(wait) {stats['probability_of_waiting']:.0%}, service level {stats['service_level']:.0%}, "
            f"abandonment {stats['abandonment_rate']:.1%}, utilisation {stats['utilisation']:.0%}",
            fontsize=9,
        )
        ax.legend(fontsize=8)
        ax = axes[row][1]
        hour = ((table["arrival_days"] % 1) * 24).astype(int)
        by_hour = table.assign(hour=hour, wait=table["wait_days"] * 1440, abandoned=~table["served"]).groupby("hour")
        visits_by_hour = by_hour.size().reindex(range(24), fill_value=0)
        ax.bar(range(24), visits_by_hour, color="#cccccc", label="visits")
        ax.set_xlabel("hour of day")
        ax.set_ylabel("visits")
        twin = ax.twinx()
        twin.plot(range(24), by_hour["wait"].mean().reindex(range(24)), color="#1f77b4", marker="o", label="mean wait (min)")
        twin.plot(range(24), by_hour["abandoned"].mean().reindex(range(24)) * 100, color="#d62728", marker="x", label="abandoned (%)")
        twin.set_ylabel("minutes / %")
        twin.legend(fontsize=8, loc="upper left")
        ax.set_title("when customers come, wait and give up", fontsize=9)
    figure.suptitle("Queues at capacity channels")
    return figure


@plain_text
def loyalty_figure(timeline: pd.DataFrame) -> Figure:
    """Customers over time: acquired, still active, loyal, advocates; and cumulative repeat purchases."""
    figure = Figure(figsize=(12, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    for column, colour in (("customers", "#444444"), ("active_customers", "#2ca02c"), ("loyal_customers", "#1f77b4"), ("advocates", "#ff7f0e")):
        left.plot(timeline["day"], timeline[column], color=colour, label=column.replace("_", " "))
    left.set_xlabel("day")
    left.set_ylabel("customers (cumulative; active = not churned)")
    left.legend(fontsize=8)
    left.set_title("Customers acquired, active, loyal and advocating", fontsize=10)
    right.plot(timeline["day"], timeline["repeat_purchases"], color="#9467bd", label="repeat purchases")
    right.plot(timeline["day"], timeline["referrals"], color="#8c564b", label="referrals made")
    right.set_xlabel("day")
    right.set_ylabel("cumulative count")
    right.legend(fontsize=8)
    right.set_title("Repeat purchases and recommendations", fontsize=10)
    figure.suptitle("Loyalty over the horizon")
    return figure
