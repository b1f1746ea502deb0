"""The sections of a run's HTML report besides its maps, as plain data for the templates:
KPIs per persona (with intervals over replications), pain points ranked by worth, the
service blueprint of capacity channels, and a day in the life of sampled customers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from journeysim.analysis.blueprint import WEEKDAYS
from journeysim.analysis.metrics import ALL
from journeysim.reporting.comparison_summary import format_value
from journeysim.reporting.report_data import Outline, RunReportData
from journeysim.reporting.report_figures import data_uri, pain_point_figure
from journeysim.reporting.report_maps import (
    change_colour,
    emotion_colour,
    percent,
    title,
)
from journeysim.reporting.report_svg import blueprint_charts, timeline

# KPI -> what the report calls it, in report order; survey KPIs only when the run measured them.
KPI_ROWS = {
    "arrivals": "arrivals",
    "conversion_rate": "conversion",
    "bounce_rate": "bounce (lost at the first touch)",
    "friction_loss_rate": "lost to friction",
    "touches_to_convert": "contacts before purchase",
    "time_to_convert_days": "time to convert",
    "satisfaction": "satisfaction (true, -1..1)",
    "csat": "CSAT (% satisfied)",
    "nps": "NPS",
    "revenue": "revenue",
    "revenue_per_arrival": "revenue per arrival",
    "cost_per_acquisition": "cost per acquisition (CPA)",
    "return_on_spend": "return on spend (ROI: revenue / cost)",
}
SURVEY_KPIS = ("csat", "nps")
COUNT_KPIS = ("arrivals",)
PAIN_POINT_ROWS = 12


def kpi_section(data: RunReportData) -> dict[str, Any]:
    """KPI rows x persona columns: the pooled value of one replication, or with several the
    mean over replications and its interval."""
    metrics = data.metrics.set_index("persona")
    personas = [p for p in data.outline.personas if p in metrics.index] + [ALL]
    kpis = [k for k in KPI_ROWS if k in metrics.columns and (k not in SURVEY_KPIS or metrics[k].notna().any())]
    intervals = data.intervals.set_index(["kpi", "persona"]) if data.intervals is not None else None
    rows = []
    for kpi in kpis:
        show = (lambda value: f"{value:,.0f}") if kpi in COUNT_KPIS else (lambda value, kpi=kpi: format_value(kpi, value))
        cells = []
        for persona in personas:
            if intervals is not None and (kpi, persona) in intervals.index:
                row = intervals.loc[(kpi, persona)]
                cells.append({"value": show(row["mean"]), "interval": f"{show(row['ci_low'])} to {show(row['ci_high'])}" if np.isfinite(row["ci_low"]) else ""})
            else:
                cells.append({"value": show(metrics.at[persona, kpi]), "interval": ""})
        rows.append({"kpi": KPI_ROWS[kpi], "cells": cells})
    replications = int(data.facts.get("replications", 1))
    return {"personas": [title(p) if p != ALL else "all personas" for p in personas], "rows": rows, "replications": replications,
            "per_replication": intervals is not None}


def pain_point_label(row: Mapping[str, Any], outline: Outline) -> str:
    """What a strategist calls a pain point: where it is and for whom."""
    if row["kind"] == "touchpoint":
        return f"{title(str(row['stage']))} · {outline.label(str(row['channel']))} ({title(str(row['persona']))})"
    if row["kind"] == "channel switch":
        return "switching channels (all personas)"
    return f"giving up in the {outline.label(str(row['channel']))} queue (all personas)"


def pain_point_section(pain_points: pd.DataFrame, outline: Outline) -> dict[str, Any]:
    """The ranked table (first rows), its figure, and how it was computed."""
    if pain_points.empty:
        return {"rows": [], "figure": None, "more": 0, "screens": [], "confirmation": None}
    rows = []
    for _, row in pain_points.head(PAIN_POINT_ROWS).iterrows():
        confirmed = bool(row["confirmed"])
        rows.append({
            "rank": int(row["rank"]), "label": pain_point_label(row, outline),
            "friction": f"{float(row['friction']):.0%}" if np.isfinite(row["friction"]) else "",
            "gain": f"{100 * float(row['conversion_probability_gain']):+.2f} pp" if np.isfinite(row["conversion_probability_gain"]) else "-",
            "conversions": f"{float(row['conversions_gained']):+,.0f}", "revenue": f"{float(row['revenue_gained']):+,.0f}",
            "simulated": f"{float(row['simulated_conversions_gained']):+,.0f}" if confirmed else "",
            "interval": f"{float(row['simulated_conversions_gained_ci_low']):+,.0f} to {float(row['simulated_conversions_gained_ci_high']):+,.0f}"
            if confirmed else "",
            "simulated_revenue": f"{float(row['simulated_revenue_gained']):+,.0f}" if confirmed else "",
            "screen": str(row["screen"]),
        })  # fmt: skip
    figure = pain_point_figure(pain_points, lambda r: pain_point_label(r, outline))
    confirmed = pain_points.loc[pain_points["confirmed"].astype(bool)]
    confirmation = None
    if len(confirmed):
        first = confirmed.iloc[0]
        confirmation = {"count": len(confirmed), "replications": int(first["confirmation_replications"]),
                        "arrivals": f"{float(first['confirmation_arrivals']):,.0f}"}
    return {"rows": rows, "figure": data_uri(figure), "more": max(len(pain_points) - PAIN_POINT_ROWS, 0),
            "screens": sorted(set(pain_points["screen"].astype(str))), "confirmation": confirmation}


def blueprint_section(data: RunReportData) -> list[dict[str, Any]]:
    """Per capacity channel: the queue's summary, the by-hour figure, and weekday x hour
    heat maps of utilisation and of the share giving up (hours the channel is open)."""
    if data.blueprint is None or data.blueprint.empty or data.queues is None:
        return []
    queues = data.queues.set_index("channel")
    sections = []
    for channel in [c for c in data.outline.capacity_channels if c in queues.index]:
        table = data.blueprint.loc[data.blueprint["channel"] == channel]
        stats = queues.loc[channel]
        label = data.outline.label(channel)
        open_hours = sorted(set(table.loc[table["servers_on_duty"] > 0, "hour"]))
        visits = table["visits"].sum()
        emotion = float((table["mean_emotion"].fillna(0.0) * table["visits"]).sum() / visits) if visits > 0 else float("nan")
        sections.append({
            "label": label,
            "front": [("visits per day", f"{stats['visits_per_day']:,.1f}"), ("waited at all", percent(stats["probability_of_waiting"])),
                      ("mean wait", f"{stats['mean_wait_minutes']:.1f} min"), ("served within target", percent(stats["service_level"])),
                      ("gave up waiting", percent(stats["abandonment_rate"], 1)), ("emotion there", f"{emotion:+.2f}")],
            "back": [("servers", f"{int(stats['servers'])}"), ("utilisation", percent(stats["utilisation"])),
                     ("staff hours", f"{stats['staffed_hours']:,.0f}"), ("customers lost waiting", f"{int(stats['customers_lost_to_waiting']):,}"),
                     ("conversions lost (est.)", f"{stats['expected_conversions_lost']:,.0f}")],
            "emotion_colour": emotion_colour(emotion),
            "charts": blueprint_charts(table),
            "hours": open_hours,
            "heatmaps": [_heatmap(table, open_hours, "utilisation", "utilisation of the servers on duty"),
                         _heatmap(table, open_hours, "abandonment_rate", "share of visits giving up waiting")],
        })  # fmt: skip
    return sections


def _heatmap(table: pd.DataFrame, hours: list[int], column: str, caption: str) -> dict[str, Any]:
    grid = table.set_index(["weekday", "hour"])[column]
    extent = max(float(np.nanmax(grid.to_numpy(dtype=float))) if grid.notna().any() else 0.0, 1e-9)
    rows = []
    for weekday, name in enumerate(WEEKDAYS):
        cells = []
        for hour in hours:
            value = float(grid.get((weekday, hour), np.nan))
            cells.append({"text": percent(value), "colour": change_colour(value, extent) if np.isfinite(value) else "#f3f3f3"})
        rows.append({"weekday": name, "cells": cells})
    return {"caption": caption, "rows": rows}


def day_section(days: pd.DataFrame, outline: Outline) -> dict[str, Any]:
    """Per sampled customer: who, which story, a sentence, and the timeline of their touches."""
    stories = []
    for (persona, story), life in days.groupby(["persona", "story"], sort=False):
        touches = life.loc[life["event"] == "touch"]
        span = float(life["days_since_arrival"].max())
        last = touches.iloc[-1] if len(touches) else None
        if story == "converted":
            bought = life.loc[life["event"] == "purchase"]
            where = outline.label(str(bought["channel"].iloc[0])) if len(bought) else "-"
            text = f"bought on {where} after {_touches(len(touches))}, {float(bought['days_since_arrival'].iloc[0]) if len(bought) else span:.1f} days after arriving"
        elif story == "lost to friction":
            at = life.loc[life["outcome"] == "friction_drop"].iloc[-1] if (life["outcome"] == "friction_drop").any() else last
            where = f"{title(str(at['stage']))} on {outline.label(str(at['channel']))}" if at is not None else "-"
            text = f"lost to friction at {where} after {_touches(len(touches))}, day {span:.1f}"
        else:
            where = f"{title(str(last['stage']))}" if last is not None else "their first touch"
            text = f"still on the way at the horizon: {_touches(len(touches))} so far, at {where}"
        stories.append({"persona": title(str(persona)), "story": story, "text": text, "timeline": timeline(life, outline.label)})
    return {"stories": stories}


def _touches(count: int) -> str:
    return f"{count} touch" if count == 1 else f"{count} touches"
