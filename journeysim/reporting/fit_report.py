"""The fit report: what the data gave, what was fixed, and how the fitted scenario replays it.

:func:`fit_report_text` is ``fit_report.txt``; :func:`fit_check_figure` draws each journey
measure observed in the data (a dot) against the fitted scenario's simulated 95 % band (a
bar), red where the data fall outside.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.reporting.figures import plain_text

MEASURE_TITLES = {
    "funnel": "Funnel: share of customers reaching each stage",
    "conversion": "Conversion by persona",
    "touches_before_purchase": "Touches before purchase (converters)",
    "days_to_convert": "Days from first touch to purchase",
    "channel_mix": "Channel mix of journey touches",
    "path_length": "Journey length (touches per customer)",
}
INSIDE, OUTSIDE = "#1f77b4", "#d62728"


def fit_report_text(
    title: str,
    data_lines: Sequence[str],
    notes: Sequence[str],
    parameters: pd.DataFrame,
    check: pd.DataFrame | None,
    warnings: Sequence[str] = (),
    *,
    repeat: Any = None,
    media: Any = None,
) -> str:
    """The report: the data, what was fixed rather than fitted, the parameters, repeat
    buying and media when fitted, and the observed measures against the simulated bands."""
    parts = [title, "=" * max(40, len(title)), "", "Data:"] + [f"  {line}" for line in data_lines]
    if warnings:
        parts += ["", "Warnings (read before trusting the numbers below):"] + [f"  ! {w}" for w in warnings]
    parts += ["", "Fixed rather than fitted (the data cannot tell):"] + [f"  - {n}" for n in notes]
    with_interval = parameters["ci_low"].notna().sum()
    parts += ["", f"{len(parameters)} parameters fitted ({with_interval} with a 95 % bootstrap interval): parameters.csv"]
    if repeat is not None:
        parts += ["", *_repeat_lines(repeat)]
    if media is not None:
        parts += ["", "Media response (Poisson likelihood, per channel):"]
        for channel, fit in media.channels.items():
            parts.append(f"  {channel}: max {fit.max_arrivals_per_day:.1f} arrivals a day, half-saturation {fit.half_saturation:,.0f} a day, "
                         f"Hill shape {fit.hill_shape:.2f}, adstock decay {fit.adstock_decay:.2f} (mean spend {fit.spend_per_day:,.0f} a day)")
    if check is not None and len(check):
        inside = int(check["inside"].sum())
        parts += ["", f"The fitted scenario, simulated over the data's span: {inside} of {len(check)} measures of the data lie inside its 95 % band.",
                  f"  {'measure':<24} {'key':<18} {'data':>9} {'simulated':>9}   95 % band"]
        for row in check.itertuples(index=False):
            mark = " " if row.inside else "!"
            parts.append(f"{mark} {row.measure:<24} {str(row.key):<18} {_number(row.observed):>9} {_number(row.simulated):>9}   [{_number(row.band_low)}, {_number(row.band_high)}]")
    return "\n".join(parts) + "\n"


def _repeat_lines(repeat: Any) -> list[str]:
    fit = repeat.repeat_buying
    table = fit.intervals() if len(fit.bootstrap) else None
    lines = [f"Repeat buying (BG/NBD, maximum likelihood, time in {fit.time_unit}; {fit.n_customers:,} customers, log-likelihood {fit.log_likelihood:,.2f}):"]
    for name, value in fit.parameters.items():
        interval = ""
        if table is not None:
            row = table.set_index("parameter").loc[name]
            interval = f"  [{row['low']:.4g}, {row['high']:.4g}]"
        lines.append(f"  {name:<6} {value:.4g}{interval}")
    if repeat.order_value is not None:
        spec = repeat.order_value.spec
        lines.append(f"  order value: {spec['dist']} ({', '.join(f'{k} {v:.4g}' for k, v in spec.items() if k != 'dist')})")
    return lines


def _number(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


@plain_text
def fit_check_figure(check: pd.DataFrame) -> Figure:
    """One panel per measure: the data (dots) within the fitted scenario's simulated 95 %
    bands (bars); a measure outside its band is red."""
    measures = [m for m in MEASURE_TITLES if m in set(check["measure"])]
    columns = 2
    rows = int(np.ceil(len(measures) / columns))
    figure = Figure(figsize=(11, 3.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, measure in enumerate(measures):
        ax = axes[index // columns][index % columns]
        table = check.loc[check["measure"] == measure]
        x = np.arange(len(table))
        low, high = table["band_low"].to_numpy(float), table["band_high"].to_numpy(float)
        ax.bar(x, high - low, bottom=low, width=0.6 if len(table) > 1 else 0.25, color="#cccccc", label="fitted scenario, 95 % band")
        ax.set_xlim(-0.75, len(table) - 0.25)
        colours = np.where(table["inside"].to_numpy(bool), INSIDE, OUTSIDE)
        ax.scatter(x, table["observed"].to_numpy(float), color=colours, zorder=3, s=22, label="data")
        ax.set_xticks(x, [str(k).replace("_", " ") for k in table["key"]], rotation=30 if len(table) > 4 else 0, ha="right" if len(table) > 4 else "center", fontsize=8)
        ax.set_title(MEASURE_TITLES[measure], fontsize=10)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if index == 0:
            ax.legend(fontsize=8, frameon=False)
    for index in range(len(measures), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.suptitle("The data against the fitted scenario (red: outside the band)")
    return figure


@plain_text
def repeat_tracking_figure(tracking: pd.DataFrame, time_unit: str, calibration_end: float | None = None) -> Figure:
    """Cumulative repeat purchases, observed and as the fitted BG/NBD expects (FHL 2005,
    Figure 2): the calibration period and the holdout after it (from ``calibration_end``, in
    the tracking's ``time``) on one curve."""
    figure = Figure(figsize=(8, 4.2), layout="constrained")
    ax = figure.subplots()
    if calibration_end is not None and calibration_end < tracking["time"].max():
        ax.axvline(calibration_end, color="#999999", linewidth=1)
        ax.text(calibration_end, 0, "  holdout", color="#666666", va="bottom")
    ax.plot(tracking["time"], tracking["actual"], color="#222222", label="observed")
    ax.plot(tracking["time"], tracking["expected"], color=INSIDE, linestyle="--", label="BG/NBD fit")
    ax.set_xlabel(f"{time_unit} since the first purchase")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Repeat buying: observed and fitted")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(frameon=False)
    return figure
