"""The forest plot of a study of several options, drawn from its tidy table only.

:func:`options_forest_figure` takes :attr:`journeysim.studies.options.OptionsComparison.table`
(one row per option x KPI x persona, with the Bonferroni-adjusted intervals and Holm's tests)
and returns a matplotlib ``Figure`` (object API, no pyplot).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from journeysim.analysis.metrics import ALL
from journeysim.reporting.comparison_figures import SECONDARY_KPIS
from journeysim.reporting.figures import PERSONA_COLOURS, plain_text


def _label(name: str) -> str:
    return name.replace("_", " ")


@plain_text
def options_forest_figure(table: pd.DataFrame, persona: str = ALL, title: str = "Options", confidence: float = 0.95,
                          kpis: Sequence[str] | None = None) -> Figure:
    """Each KPI's change in % of the current value, one marker per option with its interval
    (Bonferroni-adjusted for the number of options); a filled marker when Holm's test finds
    the difference, a hollow one when it does not. ``kpis`` defaults to every KPI but the
    secondary ones and those no option changed."""
    rows = table.loc[(table["persona"] == persona) & (table["current"].abs() > 0) & np.isfinite(table["relative_change"].astype(float))].copy()
    moved = rows.groupby("kpi", sort=False)["difference"].transform(lambda d: (d != 0).any())
    rows = rows.loc[rows["kpi"].isin(kpis) if kpis is not None else ~rows["kpi"].isin(SECONDARY_KPIS) & moved]
    scale = 100.0 / rows["current"].abs()
    rows["change"], rows["low"], rows["high"] = rows["difference"] * scale, rows["ci_low"] * scale, rows["ci_high"] * scale
    options = list(pd.unique(rows["option"])) or list(pd.unique(table["option"]))
    names = list(pd.unique(rows["kpi"]))[::-1]  # first KPI on top
    figure = Figure(figsize=(8.5, 0.22 * len(names) * max(len(options), 2) + 2.0), layout="constrained")
    ax = figure.subplots()
    spread = 0.7 / max(len(options), 1)
    for index, option in enumerate(options):
        colour = PERSONA_COLOURS[index % len(PERSONA_COLOURS)]
        chosen = rows.loc[rows["option"] == option].set_index("kpi").reindex(names)
        y = np.arange(len(names)) + 0.35 - spread * (index + 0.5)
        for yi, row in zip(y, chosen.itertuples()):
            if not np.isfinite(row.change):
                continue
            if np.isfinite(row.low) and np.isfinite(row.high):
                ax.plot([row.low, row.high], [yi, yi], color=colour, linewidth=2.0, solid_capstyle="butt")
            ax.plot(row.change, yi, "o", color=colour, markersize=5, markerfacecolor=colour if row.significant else "white")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(names)), [_label(k).replace(" days", " (days)") for k in names], fontsize=8.5)
    ax.set_ylim(-0.6, len(names) - 0.4)
    adjusted = table["interval_confidence"].iloc[0] if len(table) else confidence
    ax.set_xlabel(f"change vs current state (%); {confidence:.0%} simultaneous intervals (Bonferroni: {adjusted:.2%} each)")
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], color=PERSONA_COLOURS[i % len(PERSONA_COLOURS)], marker="o", label=_label(o)) for i, o in enumerate(options)]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="best")
    who = "all personas" if persona == ALL else _label(persona)
    figure.suptitle(f"{title}: KPI changes by option ({who}); filled = different from current (Holm)", fontsize=11)
    return figure


__all__ = ["options_forest_figure"]
