"""Small charts of the HTML report as geometry its templates draw as inline SVG.

The day-in-the-life timelines and the blueprint's hour-of-day charts are simple shapes
(lines, bars, markers): laid out here as numbers and strings, written as SVG by the
templates (autoescaped like every other text on the page). Drawing them with matplotlib
would take most of the report's time for no better picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from journeysim.reporting.report_maps import emotion_colour, title

TIMELINE_WIDTH, TIMELINE_HEIGHT, TIMELINE_MARGIN = 960, 74, 20
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 960, 150, 48, 22
# A touch's marker by its outcome: an SVG path around (0, 0), and what it means.
OUTCOME_SHAPES = {
    "advance": ("M0,-6 L6,5 L-6,5 Z", "advanced"),
    "stay": ("M-5,0 A5,5 0 1,0 5,0 A5,5 0 1,0 -5,0 Z", "stayed"),
    "drop": ("M-5,-5 L5,5 M5,-5 L-5,5", "dropped"),
    "friction_drop": ("M-6,-6 L6,6 M6,-6 L-6,6", "lost to friction"),
}
# Other moments of a journey, marked below the line.
MOMENT_SHAPES = {
    "purchase": ("M0,-7 L2,-2 L7,-2 L3,1 L5,7 L0,3 L-5,7 L-3,1 L-7,-2 L-2,-2 Z", "#1a9850", "bought"),
    "repeat_purchase": ("M0,-5 L1.5,-1.5 L5,-1.5 L2,1 L3.5,5 L0,2.5 L-3.5,5 L-2,1 L-5,-1.5 L-1.5,-1.5 Z", "#66bd63", "bought again"),
    "renege": ("M-5,-4 L5,-4 L0,5 Z", "#d73027", "gave up waiting"),
    "referral": ("M-5,0 L5,0 M0,-5 L0,5", "#4575b4", "recommended"),
}


def ticks(low: float, high: float, count: int = 8) -> list[float]:
    """Round tick values covering [low, high]."""
    return [float(t) for t in MaxNLocator(count).tick_values(low, high) if low - 1e-9 <= t <= high + 1e-9]


def _number(value: float) -> str:
    return f"{value:g}" if abs(value - round(value)) > 1e-9 else f"{int(round(value))}"


def timeline(life: pd.DataFrame, label: Callable[[str], str]) -> dict[str, Any]:
    """One customer's journey on a line: each touch a marker at its day since arrival,
    shaped by its outcome and filled by its emotion, its channel named above (two rows of
    names, alternating, so that close touches stay readable); other moments below."""
    end = max(float(life["days_since_arrival"].max()), 1.0)
    span = TIMELINE_WIDTH - 2 * TIMELINE_MARGIN

    def x(days: float) -> str:
        return f"{TIMELINE_MARGIN + span * float(days) / end:.1f}"

    touches, marks = [], []
    for index, row in enumerate(life.loc[life["event"] == "touch"].itertuples()):
        shape, meaning = OUTCOME_SHAPES.get(str(row.outcome), OUTCOME_SHAPES["stay"])
        emotion = float(row.emotion)
        touches.append({"x": x(row.days_since_arrival), "path": shape, "fill": emotion_colour(emotion), "label": label(str(row.channel)),
                        "label_y": 16 if index % 2 == 0 else 6, "lines": str(row.outcome) in ("drop", "friction_drop"),
                        "title": f"day {row.days_since_arrival:.1f}: {title(str(row.stage))} on {label(str(row.channel))}, {meaning}, emotion {emotion:+.2f}"})
    for row in life.loc[life["event"].isin(list(MOMENT_SHAPES))].itertuples():
        shape, colour, meaning = MOMENT_SHAPES[str(row.event)]
        marks.append({"x": x(row.days_since_arrival), "path": shape, "colour": colour, "title": f"day {row.days_since_arrival:.1f}: {meaning}"})
    return {
        "width": TIMELINE_WIDTH, "height": TIMELINE_HEIGHT, "line_y": 34, "marks_y": 50, "axis_y": 68,
        "start": TIMELINE_MARGIN, "end": TIMELINE_WIDTH - TIMELINE_MARGIN, "touches": touches, "marks": marks,
        "ticks": [{"x": x(t), "text": _number(t)} for t in ticks(0.0, end)],
    }  # fmt: skip


def hourly_chart(bars: Sequence[float], lines: Sequence[tuple[str, str, Sequence[float]]], bar_colour: str, steps: Sequence[float] | None = None) -> dict[str, Any]:
    """A 24-hour chart: ``bars`` (one per hour) on the left scale, ``lines`` (label, colour,
    values) on a right scale of their own, ``steps`` (a staircase, e.g. servers on duty) on
    the bars' scale. NaN values leave gaps."""
    bars = np.nan_to_num(np.asarray(bars, dtype=float))
    left_top = max(float(bars.max()) if len(bars) else 0.0, float(np.nanmax(steps)) if steps is not None and np.isfinite(steps).any() else 0.0, 1e-9)
    values = [np.asarray(v, dtype=float) for _, _, v in lines]
    right_top = max([float(np.nanmax(v)) for v in values if np.isfinite(v).any()] + [1e-9])
    width, height = CHART_WIDTH - CHART_LEFT - 40, CHART_HEIGHT - CHART_BOTTOM - 8
    column = width / 24

    def y(value: float, top: float) -> float:
        return 8 + height * (1 - value / top)

    chart = {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT, "right": CHART_LEFT + width, "top": 8, "bottom": 8 + height,
        "bars": [{"x": f"{CHART_LEFT + h * column + 2:.1f}", "y": f"{y(v, left_top):.1f}", "w": f"{column - 4:.1f}",
                  "h": f"{8 + height - y(v, left_top):.1f}", "title": f"{h}h: {v:,.2f}"} for h, v in enumerate(bars) if v > 0],
        "bar_colour": bar_colour,
        "hours": [{"x": f"{CHART_LEFT + (h + 0.5) * column:.1f}", "text": f"{h}"} for h in range(0, 24, 2)],
        "left_ticks": [{"y": f"{y(t, left_top):.1f}", "text": _number(t)} for t in ticks(0.0, left_top, 4)],
        "right_ticks": [{"y": f"{y(t, right_top):.1f}", "text": _number(t)} for t in ticks(0.0, right_top, 4)],
        "lines": [], "steps": "",
    }  # fmt: skip
    for (label, colour, _), series in zip(lines, values):
        points = " ".join(f"{CHART_LEFT + (h + 0.5) * column:.1f},{y(v, right_top):.1f}" for h, v in enumerate(series) if np.isfinite(v))
        chart["lines"].append({"label": label, "colour": colour, "points": points})
    if steps is not None:
        path = []
        for h, v in enumerate(np.nan_to_num(np.asarray(steps, dtype=float))):
            path += [f"{CHART_LEFT + h * column:.1f},{y(v, left_top):.1f}", f"{CHART_LEFT + (h + 1) * column:.1f},{y(v, left_top):.1f}"]
        chart["steps"] = " ".join(path)
    return chart


def blueprint_charts(table: pd.DataFrame) -> dict[str, Any]:
    """One capacity channel's hour-of-day charts (weekdays pooled): the front stage (visits
    per hour; mean wait in minutes and % giving up) and the back stage (servers on duty as a
    staircase, busy servers as bars; utilisation in %)."""
    weights = table["hours_in_horizon"].astype(float)
    pooled = table.assign(
        waited=table["mean_wait_minutes"].fillna(0.0) * table["visits"],
        abandoned=table["abandonment_rate"].fillna(0.0) * table["visits"],
        on_duty=table["servers_on_duty"].fillna(0.0) * weights,
        busy=table["utilisation"].fillna(0.0) * table["servers_on_duty"].fillna(0.0) * weights,
        slots=weights,
    ).groupby("hour")[["visits", "waited", "abandoned", "on_duty", "busy", "slots"]].sum().reindex(range(24), fill_value=0.0)
    slots = pooled["slots"].where(pooled["slots"] > 0)
    visits = pooled["visits"].where(pooled["visits"] > 0)
    on_duty, busy = pooled["on_duty"] / slots, pooled["busy"] / slots
    front = hourly_chart(pooled["visits"] / slots, [("mean wait (min)", "#2171b5", pooled["waited"] / visits),
                                                    ("gave up (%)", "#cb181d", 100 * pooled["abandoned"] / visits)], "#d9d9d9")
    back = hourly_chart(busy, [("utilisation (%)", "#08519c", 100 * busy / on_duty.where(on_duty > 0))], "#9ecae1", steps=on_duty)
    return {"front": front, "back": back}
