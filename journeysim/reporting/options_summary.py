"""The terminal report of a study of several options: what its ``summary.txt`` says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from journeysim.analysis.metrics import ALL
from journeysim.config.changes import leaves
from journeysim.config.durations import format_duration
from journeysim.reporting.comparison_figures import SECONDARY_KPIS
from journeysim.reporting.comparison_summary import (
    MARKER,
    change_lines,
    format_difference,
    format_value,
    setting_text,
    stopping_text,
)

if TYPE_CHECKING:
    from journeysim.studies.options import OptionsComparison


def options_text(study: OptionsComparison) -> str:
    """The report printed in the terminal and written to ``summary.txt``: the options' changes,
    how the replications were chosen, and per KPI every option's difference from the current
    state with its adjusted interval and Holm's test."""
    title = f"journeysim experiment - {study.title}"
    settings = study.settings
    parts = [title, "=" * max(40, len(title))]
    if study.question:
        parts.append(f"Question: {study.question}")
    if study.notes:
        parts.append("Warnings (read before acting on the numbers below):")
        parts += [f"  ! {note}" for note in study.notes]
    for name, comparison in study.options.items():
        parts.append(f"Option {name} (current -> {name}):")
        parts += [f"  {line}" for line in change_lines(study.current, comparison.changes, study.change_origins)] or ["  (no changes)"]
    if study.assumptions:
        parts.append("Assumed in every state:")
        parts += [f"  {path}: {setting_text(path, value)}" for path, value in leaves(study.assumptions)]
    parts.append(
        f"{study.replications} paired replications of {len(study.options)} options against the current state (common random numbers), "
        f"seed {settings.seed}, horizon {format_duration(settings.horizon_days)}; scenario {study.current.name!r}."
    )
    parts.append(stopping_text(study.stopping, study.engines))
    parts.append(
        f"Adjusted for {len(study.options)} options: intervals by Bonferroni ({study.confidence:.0%} together, "
        f"{study.interval_confidence:.2%} each), tests by Holm ({MARKER} = different from the current state at {1 - study.confidence:.0%})."
    )
    table = study.table.loc[study.table["persona"] == ALL]
    moved = table.groupby("kpi", sort=False)["difference"].transform(lambda d: (d != 0).any()) & table["current"].notna()
    shown = table.loc[moved & ~table["kpi"].isin(SECONDARY_KPIS)]
    order = {kpi: i for i, kpi in enumerate(pd.unique(shown["kpi"]))}
    shown = shown.sort_values("kpi", key=lambda k: k.map(order), kind="stable")  # each KPI's options together
    parts += ["", "KPIs, all personas (means over replications):", _table_text(shown)]
    return "\n".join(parts) + "\n"


def _table_text(table: pd.DataFrame) -> str:
    lines = []
    for row in table.itertuples():
        interval = f"[{format_difference(row.kpi, row.ci_low)}, {format_difference(row.kpi, row.ci_high)}]"
        change = "-" if pd.isna(row.relative_change) else f"{row.relative_change:+.1%}"
        p_value = "-" if pd.isna(row.p_value_holm) else f"{row.p_value_holm:.3g}"
        lines.append((row.kpi.removesuffix("_days").replace("_", " "), row.option, format_value(row.kpi, row.current), format_value(row.kpi, row.future),
                      format_difference(row.kpi, row.difference), interval, change, p_value, MARKER if row.significant else ""))
    header = ("KPI", "option", "current", "option value", "difference", "interval", "change", "p (Holm)", "")
    widths = [max(len(str(line[i])) for line in lines + [header]) for i in range(len(header))]
    render = lambda line: "  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(line, widths)))
    return "\n".join([render(header)] + [render(line) for line in lines])


__all__ = ["options_text"]
