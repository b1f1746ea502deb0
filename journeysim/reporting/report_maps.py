"""The journey maps of the HTML report, as plain data its templates lay out.

A map is drawn per persona, stages as columns and channels as swimlanes: each touchpoint
cell shows who reaches it, what happens there (advance, stay, drop, lost to friction) and
how it feels, with the emotion curve across the stages below, and the pain points marked.
:func:`run_maps` builds them from a run's ``journey_map.csv``; :func:`comparison_maps`
builds the current and future maps of a study side by side from its drop-off table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from journeysim.analysis.journey_maps import stage_emotion
from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import CURRENT, FUTURE
from journeysim.reporting.report_data import Outline

# The emotion curve's drawing: one column of this width per stage, emotion -1..1 over the height.
CURVE_COLUMN, CURVE_HEIGHT = 100, 70
_EMOTION = colormaps["RdYlGn"]
_CHANGE = colormaps["RdBu_r"]


def emotion_colour(value: float) -> str:
    """A background for an emotion in [-1, 1]: red (bad) through yellow to green (good)."""
    if not np.isfinite(value):
        return "#eeeeee"
    return to_hex(_EMOTION(0.5 + 0.4 * float(np.clip(value, -1.0, 1.0))))


def change_colour(value: float, extent: float) -> str:
    """A background for a change in lost customers: blue (fewer lost) to red (more)."""
    if not np.isfinite(value) or extent <= 0:
        return "#ffffff"
    return to_hex(_CHANGE(0.5 + 0.45 * float(np.clip(value / extent, -1.0, 1.0))))


def percent(value: float, digits: int = 0) -> str:
    return "-" if not np.isfinite(value) else f"{100 * value:.{digits}f}%"


def title(name: str) -> str:
    return name.replace("_", " ")


def emotion_curve(values: Sequence[float]) -> dict[str, Any]:
    """The emotion curve under a map: an SVG polyline over one column per stage (gaps where
    nobody touched), the zero line, and the values as text."""
    points = [((i + 0.5) * CURVE_COLUMN, CURVE_HEIGHT / 2 * (1 - 0.9 * float(np.clip(v, -1, 1)))) for i, v in enumerate(values) if np.isfinite(v)]
    return {
        "width": CURVE_COLUMN * len(values),
        "height": CURVE_HEIGHT,
        "zero": CURVE_HEIGHT / 2,
        "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
        "dots": [{"x": f"{x:.1f}", "y": f"{y:.1f}"} for x, y in points],
        "values": [{"text": "-" if not np.isfinite(v) else f"{v:+.2f}", "colour": emotion_colour(v)} for v in values],
    }


def pain_ranks(pain_points: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """(persona, stage, channel) -> rank of the touchpoint pain points; (all, '', channel) -> of queues."""
    ranks = {}
    for row in pain_points.itertuples():
        if row.kind == "touchpoint":
            ranks[(str(row.persona), str(row.stage), str(row.channel))] = int(row.rank)
        elif row.kind == "queue":
            ranks[(ALL, "", str(row.channel))] = int(row.rank)
    return ranks


def run_maps(journey_map: pd.DataFrame, funnel: pd.DataFrame, pain_points: pd.DataFrame, outline: Outline) -> list[dict[str, Any]]:
    """One map per persona of the run: stage reach (funnel), a swimlane per channel with a
    cell per stage (None where the persona's map has no touchpoint), the emotion curve."""
    stages = list(outline.journey_stages)
    ranks = pain_ranks(pain_points)
    curves = stage_emotion(journey_map, stages)
    reach = funnel.set_index(["persona", "stage"])["share_of_arrivals"]
    maps = []
    for persona in [p for p in outline.personas if p in set(journey_map["persona"])]:
        table = journey_map.loc[journey_map["persona"] == persona].set_index(["stage", "channel"])
        channels = [c for c in outline.channels if c in set(table.index.get_level_values("channel"))]
        lanes = []
        for channel in channels:
            cells = [_run_cell(table.loc[(stage, channel)], ranks.get((persona, stage, channel)), ranks.get((ALL, "", channel)))
                     if (stage, channel) in table.index else None for stage in stages]
            lanes.append({"label": outline.label(channel), "cells": cells})
        curve = curves.loc[curves["persona"] == persona, "mean_emotion"].to_numpy(dtype=float)
        maps.append({
            "persona": persona, "title": title(persona), "description": outline.personas.get(persona, ""),
            "stages": [{"title": title(s), "reach": percent(float(reach.get((persona, s), np.nan)))} for s in stages],
            "lanes": lanes, "curve": emotion_curve(curve),
        })  # fmt: skip
    return maps


def _run_cell(row: pd.Series, rank: int | None, queue_rank: int | None) -> dict[str, Any]:
    shares = {k: float(row[f"{k}_share"]) if np.isfinite(row[f"{k}_share"]) else 0.0 for k in ("advance", "stay", "drop", "friction_loss")}
    lost_waiting = int(row["lost_waiting"])
    friction = float(row["effective_friction"])
    return {
        "reach": percent(float(row["reach"])),
        "reach_width": f"{100 * min(max(float(row['reach']) if np.isfinite(row['reach']) else 0.0, 0.0), 1.0):.1f}",
        "bars": [{"kind": k, "width": f"{100 * v:.1f}"} for k, v in shares.items() if v > 0],
        "outcomes": f"adv {percent(shares['advance'])} · drop {percent(shares['drop'])} · friction {percent(shares['friction_loss'], 1)}",
        "touches": f"{int(row['touches']):,} touches",
        "emotion": "-" if not np.isfinite(row["mean_emotion"]) else f"{float(row['mean_emotion']):+.2f}",
        "emotion_colour": emotion_colour(float(row["mean_emotion"])),
        "friction": f"friction {float(row['friction']):.0%} (effective {friction:.0%})" if friction > 0 else "",
        "lost_waiting": f"{lost_waiting:,} lost waiting" if lost_waiting else "",
        "rank": rank if rank is not None else (queue_rank if lost_waiting else None),
        "pain": friction > 0 or lost_waiting > 0,
    }


def comparison_maps(dropoff: pd.DataFrame, emotion: pd.DataFrame, outline: Outline) -> list[dict[str, Any]]:
    """Per persona (and all personas), the current and future maps side by side: per
    touchpoint, touches and customers lost (to friction: in brackets) per 100 arrivals in
    each state, the future's cells coloured by the change in customers lost."""
    stages = [s for s in outline.journey_stages if s in set(dropoff["stage"])]
    personas = [p for p in outline.personas if p in set(dropoff["persona"])] + [ALL]
    extent = float(np.nanmax(np.abs(dropoff["lost_per_arrival_difference"].to_numpy(dtype=float)))) if len(dropoff) else 0.0
    maps = []
    for persona in personas:
        table = dropoff.loc[dropoff["persona"] == persona].set_index(["stage", "channel"])
        channels = [c for c in outline.channels if c in set(table.index.get_level_values("channel"))]
        channels += sorted(set(table.index.get_level_values("channel")) - set(channels))  # a channel only the future state has
        states = []
        for state in (CURRENT, FUTURE):
            lanes = []
            for channel in channels:
                cells = [_comparison_cell(table.loc[(stage, channel)], state, extent) if (stage, channel) in table.index else None for stage in stages]
                lanes.append({"label": outline.label(channel), "cells": cells})
            curve = emotion.loc[(emotion["persona"] == persona) & (emotion["state"] == state)].set_index("stage")["mean_emotion"]
            states.append({"state": state, "lanes": lanes, "curve": emotion_curve([float(curve.get(s, np.nan)) for s in stages])})
        maps.append({"persona": persona, "title": "all personas" if persona == ALL else title(persona),
                     "description": outline.personas.get(persona, ""), "stages": [title(s) for s in stages], "states": states})
    return maps


def _comparison_cell(row: pd.Series, state: str, extent: float) -> dict[str, Any]:
    touches, lost, friction = (float(row[f"{state}_{k}_per_arrival"]) for k in ("touches", "lost", "friction_lost"))
    change = float(row["lost_per_arrival_difference"])
    return {
        "touches": f"{100 * touches:.1f} touches",
        "lost": f"{100 * lost:.2f} lost ({100 * friction:.2f} to friction)",
        "change": f"{100 * change:+.2f} lost" if state == FUTURE and abs(change) >= 5e-5 else "",
        "colour": change_colour(change, extent) if state == FUTURE else "#ffffff",
    }
