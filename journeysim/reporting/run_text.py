"""Readable text summaries of metric tables for the terminal and ``summary.txt``."""

from __future__ import annotations

from typing import Callable

import pandas as pd

from journeysim.analysis.metrics import ALL
from journeysim.config.durations import format_duration


def _minutes(value: float) -> str:
    """A wait given in minutes, in the unit a person would use (``45 s``, ``4.2 min``, ``1.5 h``)."""
    return format_duration(value / 1440)


SUMMARY_KPIS = {
    "arrivals": ("arrivals", "{:,.0f}"),
    "conversion_rate": ("conversion", "{:.1%}"),
    "bounce_rate": ("bounce", "{:.1%}"),
    "friction_loss_rate": ("lost to friction", "{:.1%}"),
    "open_share": ("open at horizon", "{:.1%}"),
    "touches_to_convert": ("touches to convert", "{:.1f}"),
    "time_to_convert_days": ("time to convert", format_duration),
    "satisfaction": ("satisfaction", "{:+.2f}"),
    "revenue": ("revenue", "{:,.0f}"),
    "cost_per_acquisition": ("cost per acquisition", "{:,.2f}"),
    "return_on_spend": ("return on spend", "{:.2f}x"),
    "profit": ("revenue less costs", "{:,.0f}"),
    "renege_rate": ("gave up in a queue", "{:.1%}"),
    "repeat_purchase_rate": ("bought again", "{:.1%}"),
    "purchases_per_customer": ("purchases per customer", "{:.2f}"),
    "active_share_at_horizon": ("active at horizon", "{:.1%}"),
    "loyalty_rate": ("loyal", "{:.1%}"),
    "revenue_per_customer": ("revenue per customer", "{:,.0f}"),
    "word_of_mouth_share": ("acquired by word of mouth", "{:.1%}"),
}
# Shown when the scenario runs surveys: what they measured, and the truth beside it.
SURVEY_SUMMARY_KPIS = {
    "survey_invitations": ("survey invitations", "{:,.0f}"),
    "response_rate": ("survey response rate", "{:.1%}"),
    "csat": ("CSAT (% answering 4-5)", "{:.1f}"),
    "nps": ("NPS", "{:+.1f}"),
    "ces": ("CES (1-7, 7 easy)", "{:.2f}"),
    "invited_satisfaction": ("true satisfaction, invited", "{:+.2f}"),
    "respondent_satisfaction": ("true satisfaction, respondents", "{:+.2f}"),
}
QUEUE_COLUMNS = {
    "servers": ("servers", "{:.0f}"),
    "offered_load_erlangs": ("offered load (Erlang)", "{:.2f}"),
    "utilisation": ("utilisation", "{:.0%}"),
    "probability_of_waiting": ("P(wait)", "{:.0%}"),
    "mean_wait_minutes": ("mean wait", _minutes),
    "p90_wait_minutes": ("p90 wait", _minutes),
    "service_level": ("service level", "{:.0%}"),
    "abandonment_rate": ("abandonment", "{:.1%}"),
    "customers_lost_to_waiting": ("customers lost", "{:,.0f}"),
    "expected_conversions_lost": ("conversions lost (est.)", "{:,.0f}"),
    "staffed_hours": ("staff hours", "{:,.0f}"),
    "staff_cost": ("staff cost", "{:,.0f}"),
}


def _format(value: float, pattern: str | Callable[[float], str]) -> str:
    """``pattern`` is a format string, or a function (durations: :func:`format_duration`)."""
    if pd.isna(value):
        return "-"
    return pattern(value) if callable(pattern) else pattern.format(value)


def kpi_text(metrics: pd.DataFrame) -> str:
    """KPIs as rows, personas as columns (the survey KPIs too when the run had surveys)."""
    table = metrics.set_index("persona")
    columns = [p for p in table.index if p != ALL] + [ALL]
    surveyed = "survey_invitations" in table and table["survey_invitations"].notna().any()
    shown = {**SUMMARY_KPIS, **(SURVEY_SUMMARY_KPIS if surveyed else {})}
    out = pd.DataFrame(
        {persona: [_format(table.at[persona, k], fmt) for k, (_, fmt) in shown.items()] for persona in columns},
        index=[label for label, _ in shown.values()],
    )
    out.columns = [c.replace("_", " ") for c in out.columns]
    return out.to_string()


def funnel_text(funnel: pd.DataFrame) -> str:
    """Stage reach (share of arrivals), stages as rows, personas as columns."""
    pivot = funnel.pivot_table(index="stage", columns="persona", values="share_of_arrivals", sort=False, observed=True)
    reached = funnel.groupby("stage", sort=False)["customers"].sum()
    pivot = pivot.loc[[s for s in pivot.index if reached[s] > 0]]
    columns = [p for p in pivot.columns if p != ALL] + ([ALL] if ALL in pivot.columns else [])  # none: a run without arrivals
    pivot = pivot[columns].map(lambda v: _format(v, "{:.1%}"))
    pivot.columns = [c.replace("_", " ") for c in pivot.columns]
    pivot.index.name = None
    return pivot.to_string()


def queue_text(queues: pd.DataFrame) -> str:
    table = queues.set_index("channel")
    # Staff cost only when some channel prices its staff hours.
    shown = {k: v for k, v in QUEUE_COLUMNS.items() if k in table and (k != "staff_cost" or (table[k] > 0).any())}
    out = pd.DataFrame(
        {channel.replace("_", " "): [_format(table.at[channel, k], fmt) for k, (_, fmt) in shown.items()] for channel in table.index},
        index=[label for label, _ in shown.values()],
    )
    return out.to_string()


def run_summary(title: str, metrics: pd.DataFrame, funnel: pd.DataFrame, notes: list[str] | None = None, queues: pd.DataFrame | None = None) -> str:
    """The main job's printed summary (and ``summary.txt``): title, notes, funnel, KPIs per persona and queues."""
    rule = "=" * max(40, len(title))
    parts = [title, rule, "", "Funnel (share of arrivals reaching each stage)", funnel_text(funnel), "", "KPIs", kpi_text(metrics)]
    if queues is not None and len(queues):
        parts += ["", "Capacity channels", queue_text(queues)]
    if notes:
        parts += [""] + notes
    return "\n".join(parts) + "\n"
