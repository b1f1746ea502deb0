"""``report.html``: one self-contained page per run and per study, for people who read maps.

The page is rendered with Jinja2 templates (``journeysim/reporting/templates/``) with
autoescaping on, so every name, label and description from a scenario is text, never
markup. Figures are embedded as base64 PNG images and the maps are HTML tables with a small
inline SVG emotion curve: the page loads nothing from anywhere and runs no script, so it
opens the same from an e-mail attachment.

A run's page (:func:`render_run_report`): the journey map per persona, pain points ranked by
their worth, KPIs per persona, the service blueprint of capacity channels, a day in the life
of sampled customers. A study's page (:func:`render_experiment_report`): per option (future
state), the headline changes, the forest plot of differences, the current and future maps
side by side, and where the change comes from. :func:`render_folder` rebuilds either from a
folder's tables (``journeysim-report``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from journeysim.analysis.metrics import ALL
from journeysim.outputs import package_version
from journeysim.reporting.comparison_figures import (
    dropoff_figure,
    emotion_lane_figure,
    forest_figure,
    funnels_figure,
)
from journeysim.reporting.comparison_summary import format_difference, format_value
from journeysim.reporting.report_data import (
    ExperimentReportData,
    OptionData,
    RunReportData,
    experiment_report_data,
    folder_kind,
    run_report_data,
)
from journeysim.reporting.report_figures import figure_uri
from journeysim.reporting.report_maps import comparison_maps, run_maps, title
from journeysim.reporting.report_sections import (
    blueprint_section,
    day_section,
    kpi_section,
    pain_point_section,
)

# The sections of each page, in order: (anchor, heading). Tests check every heading renders.
RUN_SECTIONS = (
    ("journey-map", "Journey map"),
    ("pain-points", "Pain points ranked by their worth"),
    ("kpis", "KPIs per persona"),
    ("blueprint", "Service blueprint"),
    ("day-in-the-life", "A day in the life"),
)
EXPERIMENT_SECTIONS = (
    ("headline", "What changes"),
    ("forest", "Forest plot of differences"),
    ("maps", "Current vs future journey maps"),
    ("sources", "Where the change comes from"),
)
HEADLINE_KPIS = ("conversion_rate", "converted", "bounce_rate", "friction_loss_rate", "touches_to_convert", "time_to_convert_days",
                 "satisfaction", "csat", "nps", "revenue", "cost_per_acquisition", "return_on_spend", "loyalty_rate")


@cache
def environment() -> Environment:
    """The templates, HTML-escaped by default (``.html.j2`` included)."""
    return Environment(
        loader=PackageLoader("journeysim.reporting", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_run_report(data: RunReportData) -> str:
    """The page of a run folder."""
    facts = data.facts
    context = {
        "page_title": f"journeysim report: {data.outline.name}",
        "outline": data.outline,
        "facts": _run_facts(facts),
        "sections": RUN_SECTIONS,
        "maps": run_maps(data.journey_map, data.funnel, data.pain_points, data.outline),
        "switch": _switch_note(data),
        "pain": pain_point_section(data.pain_points, data.outline),
        "kpis": kpi_section(data),
        "blueprints": blueprint_section(data),
        "day": day_section(data.day_in_the_life, data.outline),
        "version": package_version(),
    }
    return environment().get_template("run.html.j2").render(**context)


def render_experiment_report(data: ExperimentReportData) -> str:
    """The page of a study folder: each option (future state) against the current state."""
    facts = data.facts
    # A study of several options takes each option's intervals at an adjusted confidence.
    confidence = float(facts.get("interval_confidence", facts.get("confidence", 0.95)))
    context = {
        "page_title": f"journeysim study: {facts.get('title') or facts.get('experiment') or data.outline.name}",
        "outline": data.outline,
        "facts": _experiment_facts(facts),
        "question": str(facts.get("question") or ""),
        "sections": EXPERIMENT_SECTIONS,
        "adjustment": _adjustment(facts, len(data.options)),
        "options": [_option(option, data, confidence) for option in data.options],
        "version": package_version(),
    }
    return environment().get_template("experiment.html.j2").render(**context)


def render_folder(folder: str | Path) -> str:
    """The page of a run or experiment folder, from the tables it holds (nothing re-run)."""
    if folder_kind(folder) == "experiment":
        return render_experiment_report(experiment_report_data(folder))
    return render_run_report(run_report_data(folder))


def _option(option: OptionData, data: ExperimentReportData, confidence: float) -> dict[str, Any]:
    outline = data.outline
    table = option.table.loc[option.table["persona"] == ALL].set_index("kpi")
    headline = []
    for kpi in HEADLINE_KPIS:
        if kpi not in table.index or not np.isfinite(table.at[kpi, "current"]):
            continue
        row = table.loc[kpi]
        headline.append({
            "kpi": title(kpi), "current": format_value(kpi, row["current"]), "future": format_value(kpi, row["future"]),
            "difference": format_difference(kpi, row["difference"]),
            "interval": f"{format_difference(kpi, row['ci_low'])} to {format_difference(kpi, row['ci_high'])}",
            "clear": bool(row["significant"] if "significant" in row.index else row["excludes_zero"]),
        })  # fmt: skip
    stages = [*outline.journey_stages, "converted", *[s for s in outline.stages if s not in outline.journey_stages]]
    channels = list(dict.fromkeys([*outline.channels, *option.dropoff["channel"]]))
    mix = option.channel_mix.loc[(option.channel_mix["measure"] == "purchases") & (option.channel_mix["persona"] == ALL)]
    mix = mix.reindex(mix["share_difference"].abs().sort_values(ascending=False).index)
    return {
        "title": option.title,
        "changes": _change_lines(option.changes),
        "headline": headline,
        "confidence": f"{confidence:.0%}",
        # The folder's figure files where it has them (drawn once), else drawn from its tables.
        "forest": figure_uri(option.figures, "forest.png", lambda: forest_figure(option.table, persona=ALL, title=option.title, confidence=confidence)),
        "maps": comparison_maps(option.dropoff, option.emotion, outline),
        "emotion": figure_uri(option.figures, "emotion_lane.png", lambda: emotion_lane_figure(option.emotion, outline.stages, title=option.title)),
        "dropoff": figure_uri(option.figures, "dropoff_difference.png", lambda: dropoff_figure(option.dropoff, outline.stages, channels, title=option.title)),
        "funnels": figure_uri(option.figures, "funnels.png", lambda: funnels_figure(option.funnels, title=option.title, stages=stages)),
        "mix": [{"channel": outline.label(str(r.channel)), "current": f"{r.current_share:.1%}" if np.isfinite(r.current_share) else "-",
                 "future": f"{r.future_share:.1%}" if np.isfinite(r.future_share) else "-", "change": f"{100 * r.share_difference:+.1f} pp"}
                for r in mix.itertuples()],
    }


def _change_lines(changes: Any, prefix: str = "") -> list[str]:
    """Nested changes as ``dotted.path = value`` lines."""
    if isinstance(changes, dict) and changes:
        return [line for key, value in changes.items() for line in _change_lines(value, f"{prefix}.{key}" if prefix else str(key))]
    return [f"{prefix} = {changes}"] if prefix else []


def _run_facts(facts: dict[str, Any]) -> list[tuple[str, str]]:
    horizon, window = facts.get("horizon_days"), facts.get("arrival_days")
    return [(name, str(value)) for name, value in (
        ("scenario", facts.get("scenario", "")), ("seed", facts.get("seed", "")), ("replications", facts.get("replications", "")),
        ("horizon", f"{horizon} days"), ("arrivals over", f"{window} days"), ("engine", facts.get("engine", "")),
        ("config hash", facts.get("config_hash", "")),
    ) if value not in ("", None)]  # fmt: skip


def _experiment_facts(facts: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in (
        ("scenario", facts.get("scenario", "")), ("seed", facts.get("seed", "")), ("paired replications", facts.get("replications", "")),
        ("common random numbers", "yes" if facts.get("common_random_numbers", True) else "no (independent)"),
        ("horizon", f"{facts.get('horizon_days')} days"), ("confidence", f"{float(facts.get('confidence', 0.95)):.0%}"),
        ("engine", facts.get("engine", "")),
    ) if value not in ("", None)]  # fmt: skip


def _adjustment(facts: dict[str, Any], options: int) -> str:
    """How the intervals and tests of a study of several options are adjusted (empty for one)."""
    if options < 2:
        return ""
    method, test = str(facts.get("interval_method", "bonferroni")).capitalize(), str(facts.get("test_method", "holm")).capitalize()
    return (f"{options} options against one current state: each option's intervals are taken at {float(facts.get('interval_confidence', 0.95)):.2%} "
            f"({method}), so the {options} intervals of a KPI hold together with at least {float(facts.get('confidence', 0.95)):.0%}; "
            f"bold differences are significant by {test}'s step-down test on the paired t-tests.")


def _switch_note(data: RunReportData) -> str:
    rows = data.pain_points.loc[data.pain_points["kind"] == "channel switch"]
    if rows.empty:
        return ""
    row = rows.iloc[0]
    return (f"Switching channels (between online and offline, or any, as the scenario says) carries a friction of "
            f"{float(row['friction']):.0%} on the touch after the switch; pain point #{int(row['rank'])}.")
