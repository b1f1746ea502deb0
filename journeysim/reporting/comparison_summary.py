"""The terminal report of a comparison: what ``summary.txt`` of an experiment folder says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from journeysim.analysis.metrics import ALL
from journeysim.analysis.paired import CURRENT, FUTURE, is_constant
from journeysim.config.changes import leaves, value_at
from journeysim.config.durations import duration_days, format_duration, is_duration_path
from journeysim.model.scenario import Scenario
from journeysim.reporting.comparison_figures import SECONDARY_KPIS

if TYPE_CHECKING:
    from journeysim.studies.comparison import Comparison

MARKER = "*"
# Survey scores: CSAT in % of respondents, NPS from -100 to 100, CES on its 1-7 scale.
SURVEY_POINTS = {"csat": "{:.1f}%", "nps": "{:+.1f}", "ces": "{:.2f}"}


def _is_share(kpi: str) -> bool:
    return kpi.endswith(("_rate", "_share", "_probability"))


def _is_duration(kpi: str) -> bool:
    return kpi.endswith("_days")


def format_value(kpi: str, value: float) -> str:
    if pd.isna(value):
        return "-"
    if _is_duration(kpi):
        return format_duration(value)
    if _is_share(kpi):
        return f"{value:.2%}"
    if kpi.endswith("satisfaction"):
        return f"{value:+.3f}"
    if kpi in SURVEY_POINTS:
        return SURVEY_POINTS[kpi].format(value)
    if kpi == "return_on_spend":
        return f"{value:.3f}x"
    return f"{value:,.2f}" if abs(value) < 1e5 else f"{value:,.0f}"


def format_difference(kpi: str, value: float) -> str:
    if pd.isna(value):
        return "-"
    if _is_duration(kpi):
        return format_duration(value, signed=True)
    if _is_share(kpi):
        return f"{100 * value:+.2f} pp"
    if kpi.endswith("satisfaction"):
        return f"{value:+.3f}"
    if kpi in ("csat", "nps"):
        return f"{value:+.1f} pts"
    return f"{value:+,.3f}" if abs(value) < 10 else f"{value:+,.1f}"


def _table_text(table: pd.DataFrame, label: str, key: str) -> str:
    lines = []
    for row in table.itertuples():
        kpi = row.kpi
        name = getattr(row, key).replace("_", " ")
        interval = f"[{format_difference(kpi, row.ci_low)}, {format_difference(kpi, row.ci_high)}]"
        change = "-" if pd.isna(row.relative_change) else f"{row.relative_change:+.1%}"
        lines.append((name, format_value(kpi, row.current), format_value(kpi, row.future), format_difference(kpi, row.difference),
                      interval, MARKER if row.excludes_zero else "", change))
    header = (label, CURRENT, FUTURE, "difference", "95% interval", "", "change")
    widths = [max(len(str(line[i])) for line in lines + [header]) for i in range(len(header))]
    render = lambda line: "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(line, widths)))
    return "\n".join([render(header)] + [render(line) for line in lines])


def comparison_text(comparison: Comparison) -> str:
    """The report printed in the terminal and written to ``summary.txt``."""
    table = comparison.table
    title = f"journeysim experiment - {comparison.title}"
    settings = comparison.settings
    parts = [title, "=" * max(40, len(title))]
    if comparison.question:
        parts.append(f"Question: {comparison.question}")
    if comparison.notes:
        parts.append("Warnings (read before acting on the numbers below):")
        parts += [f"  ! {note}" for note in comparison.notes]
    parts.append("Changes (current -> future" + (", [where each comes from]):" if comparison.change_origins else "):"))
    parts += [f"  {line}" for line in change_lines(comparison.current, comparison.changes, comparison.change_origins)] or ["  (none)"]
    if comparison.removed_changes:
        parts.append("Changes of the study file not applied:")
        parts += [f"  - {path}: {setting_text(path, value)}" for path, value in comparison.removed_changes.items()]
    if comparison.assumptions:
        parts.append("Assumed in both states:")
        parts += [f"  {path}: {setting_text(path, value)}" for path, value in leaves(comparison.assumptions)]
    pairing = "independent streams (offset seed)" if comparison.independent else "common random numbers"
    parts.append(
        f"{comparison.replications} paired replications ({pairing}), seed {settings.seed}, horizon {format_duration(settings.horizon_days)}"
        + (f", arrivals over the first {format_duration(settings.arrival_days)}" if settings.arrival_days is not None else "")
        + f"; scenario {comparison.current.name!r}."
    )
    parts.append(stopping_text(comparison.stopping, comparison.engines))
    pooled = table.loc[table["persona"] == ALL]
    constant = pooled.loc[is_constant(pooled), "kpi"].tolist()
    shown = [k for k in comparison.kpis if k not in SECONDARY_KPIS and k not in constant]
    # A KPI neither state measured (the survey KPIs of a study without surveys) is left out.
    measured = pooled["current"].notna() | pooled["future"].notna()
    main = pooled.loc[pooled["kpi"].isin(shown) & measured].copy()
    main["label"] = main["kpi"].str.removesuffix("_days")  # durations carry their unit
    parts += ["", f"KPIs, all personas (means over replications; {MARKER} = the {comparison.confidence:.0%} interval of the paired difference excludes zero)",
              _table_text(main, "KPI", "label")]
    if constant:
        parts.append(f"(the same in every replication of both states, not shown: {', '.join(constant)})")
    conversion = table.loc[(table["kpi"] == "conversion_rate")]
    if not conversion.empty:
        parts += ["", _table_text(conversion, "conversion by persona", "persona")]
    if not comparison.dropoff.empty:
        drop = comparison.dropoff.loc[comparison.dropoff["persona"] == ALL].copy()
        drop = drop.reindex(drop["lost_per_arrival_difference"].abs().sort_values(ascending=False).index).head(5)
        drop = drop.loc[drop["lost_per_arrival_difference"].abs() > 0]
        if not drop.empty:
            parts += ["", "Largest changes in drop-off (lost customers per 100 arrivals, all personas):"]
            stage_width, channel_width = drop["stage"].str.len().max(), drop["channel"].str.len().max()
            parts += [f"  {r.stage:<{stage_width}}  {r.channel:<{channel_width}}  {100 * r.current_lost_per_arrival:6.2f} -> {100 * r.future_lost_per_arrival:6.2f}  ({100 * r.lost_per_arrival_difference:+.2f})"
                      for r in drop.itertuples()]
        mix = comparison.channel_mix
        mix = mix.loc[(mix["persona"] == ALL) & (mix["share_difference"].abs() >= 0.005)]
        if not mix.empty:
            parts += ["", "Channel mix shifts of at least 0.5 pp (all personas):"]
            channel_width = mix["channel"].str.len().max()
            parts += [f"  {r.measure:<9}  {r.channel:<{channel_width}}  {r.current_share:6.1%} -> {r.future_share:6.1%}  ({100 * r.share_difference:+.1f} pp)"
                      for r in mix.sort_values(["measure", "share_difference"], ascending=[False, False]).itertuples()]
    return "\n".join(parts) + "\n"


def stopping_text(stopping: Mapping[str, Any], engines: Mapping[str, str]) -> str:
    """How many replications a study ran and why, and on which engines: "Precision: target
    half-width reached after 6 replications (half-width of conversion_rate [all] = 0.09 pp,
    target 0.50 pp)" or "Fixed: 20 replications"."""
    on = ", ".join(f"{state} {engine}" for state, engine in engines.items())
    engines_text = f" Engines: {on}." if on else ""
    if stopping.get("mode") != "precision":
        return f"Fixed: {stopping.get('replications', '?')} replications.{engines_text}"
    kpi = stopping["kpi"]
    return (
        f"Precision: {stopping['stopped_because']} after {stopping['replications']} replications "
        f"(half-width of {kpi} [{stopping['persona']}] = {format_difference(kpi, stopping['reached_half_width']).lstrip('+')}, "
        f"target {format_difference(kpi, stopping['target_half_width']).lstrip('+')}).{engines_text}"
    )


def change_lines(current: Scenario, changes: Mapping[str, Any], origins: Mapping[str, str] | None = None) -> list[str]:
    """``path: old -> new`` for each changed value, followed by ``[study file]`` or
    ``[command line]`` where ``origins`` says where it comes from."""
    lines = []
    for path, value in leaves(changes):
        old = value_at(current.source, path)
        origin = f"  [{origins[path]}]" if origins and path in origins else ""
        lines.append(f"{path}: {'(none)' if old is None else setting_text(path, old)} -> {setting_text(path, value)}{origin}")
    return lines


def setting_text(path: str, value: Any) -> str:
    """A scenario value as a person reads it: a duration (``0.0833`` days, ``"2h"``) in its
    unit (``2 h``), a distribution of durations with its parameters so, anything else as it is."""
    if not is_duration_path(path):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {setting_text(f'{path}.{key}', v)}" for key, v in value.items() if v is not None) + "}"
    try:
        return format_duration(duration_days(value))
    except ValueError:
        return str(value)
