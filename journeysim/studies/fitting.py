"""One call from a brand's data to a fitted scenario: :func:`fit` (``js.fit``), which the
``journeysim-fit`` command runs.

Any of three inputs: a touch log (journeys: :mod:`journeysim.analysis.fit_touches`),
transactions (repeat buying and order value: :mod:`journeysim.analysis.fit_transactions`),
a spend panel (media response: :mod:`journeysim.analysis.fit_media`). The touch log's fit is
the scenario; without one the other fits go into a base scenario. The result holds the
scenario's plain data, every parameter with its interval, and, with a touch log, the data's
journey measures against the fitted scenario re-simulated over the data's span.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.fit_media import MediaFit, fit_media_response
from journeysim.analysis.fit_touches import TouchLogFit, fit_touch_log
from journeysim.analysis.fit_transactions import RepeatBuyingFit, fit_repeat_buying
from journeysim.analysis.touch_logs import JourneyLog, read_journey_log
from journeysim.config import load_scenario, plain_data, scenario_from_dict
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.studies.calibration import (
    check_against_simulation,
    fitted_scenario_data,
    journey_measures,
    parameter_table,
    with_media,
    with_repeat_buying,
)

DEFAULT_STAGES = ("awareness", "interest", "consideration", "purchase")
MIN_RESAMPLES = 20  # bootstrap resamples or simulations below which a 95 % range is noise
# The columns each kind of file has (ours): ``columns`` keys, optionally ``touches.``-prefixed.
FILE_COLUMNS = {
    "touches": ("customer_id", "timestamp", "channel", "stage", "event", "persona", "value", "reason"),
    "transactions": ("customer_id", "date", "value"),
    "spend": ("period", "channel", "spend", "arrivals"),
}
Source = str | Path | pd.DataFrame


@dataclass(frozen=True, eq=False)
class Calibration:
    """What :func:`fit` found: ``data`` (the scenario's plain data; ``scenario`` validated),
    ``parameters`` (every fitted parameter: config path, estimate, 95 % interval, n),
    ``check`` (the data against the re-simulated scenario, with a touch log), the fits
    themselves, and the ``notes`` (fixed rather than fitted) and ``warnings`` to read."""

    data: dict[str, Any]
    scenario: Scenario
    parameters: pd.DataFrame
    check: pd.DataFrame | None = None
    log: JourneyLog | None = None
    touches: TouchLogFit | None = None
    repeat_buying: RepeatBuyingFit | None = None
    media: MediaFit | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def fit(
    touches: Source | None = None,
    transactions: Source | None = None,
    spend: Source | None = None,
    *,
    stages: Sequence[str] = DEFAULT_STAGES,
    columns: Mapping[str, str] | None = None,
    events: Mapping[str, str] | None = None,
    purchase_events: Sequence[str] = ("purchase",),
    calibration_end: Any = None,
    channel_modes: Mapping[str, str] | None = None,
    base: str = "retail_omnichannel",
    name: str = "fitted",
    bootstrap: int = 200,
    replications: int = 20,
    seed: int = 0,
) -> Calibration:
    """Fit a scenario to any of a touch log, transactions and a spend panel (files or
    frames). ``columns`` maps our column names to yours (``customer_id: user_pseudo_id`` in
    every file that has it, ``touches.customer_id: ...`` in one); ``events`` maps a touch
    log's event names to ``stages``; without a touch log the fits go into scenario ``base``.
    ``bootstrap`` resamples give the intervals, ``replications`` simulations the check.
    Bad data raise :class:`~journeysim.errors.DataError` naming the file, line and column."""
    if touches is None and transactions is None and spend is None:
        raise ConfigError(Problem("fit", "give data to fit: touches, transactions and/or spend"))
    mapping = column_mappings(columns or {})
    modes = dict(channel_modes or {})
    for channel, mode in modes.items():
        if mode not in ("online", "offline"):
            raise ConfigError(Problem(f"channel_modes.{channel}", f"must be online or offline, got {mode!r}"))
    stages = list(stages)
    if len(stages) < 2 or len(set(stages)) != len(stages):
        raise ConfigError(Problem("stages", f"must list at least two distinct stages, the purchase stage last, got {stages!r}"))
    if calibration_end is not None and transactions is None:
        raise ConfigError(Problem("calibration_end", "applies to transactions, and none were given"))
    for option, count, least in (("bootstrap", bootstrap, MIN_RESAMPLES), ("replications", replications, MIN_RESAMPLES)):
        if count and count < least:
            raise ConfigError(Problem(option, f"must be 0 (none) or at least {least} for a 95 % interval or band to mean anything, got {count}"))
    parts, warnings, notes = [], [], []
    log = touch_fit = repeat = media = None
    if touches is not None:
        log = read_journey_log(touches, stages, columns=mapping["touches"], events=events, purchase_events=tuple(purchase_events), name=_label(touches))
        warnings += _log_warnings(log, purchase_events)
    channels = set(log.frame["channel"]) if log is not None else set(load_scenario(base).channel_names)
    if spend is not None:  # fitted (quickly) and checked before the touch log's bootstrap
        media = fit_media_response(spend, columns=mapping["spend"], n_boot=bootstrap, seed=seed, name=_label(spend))
        unknown = sorted(set(media.channels) - channels)
        if unknown:
            raise ConfigError(Problem(_label(spend) or "spend", f"channels {', '.join(map(repr, unknown))} of the spend panel are not channels of the "
                                      f"{'touch log' if log is not None else f'scenario {base!r}'} ({', '.join(sorted(channels))})"))
    if log is not None:
        touch_fit = fit_touch_log(log.frame, stages, end_days=log.end_days, bootstrap=bootstrap, seed=seed)
        data = fitted_scenario_data(touch_fit, name=name, channel_modes=modes)
        parts.append(parameter_table(touch_fit, data))
        notes += touch_fit.notes
    else:
        data = {**plain_data(load_scenario(base).source), "name": name}
        notes.append(f"the journey (touchpoints, affinity, arrivals) is scenario {base!r}'s, not fitted")
    if transactions is not None:
        repeat = fit_repeat_buying(transactions, calibration_end, columns=mapping["transactions"], n_boot=bootstrap, seed=seed, name=_label(transactions))
        # A touch log's first purchases give each persona its own order value: kept.
        data, rows, repeat_notes = with_repeat_buying(data, repeat, keep_order_values=touch_fit is not None and len(touch_fit.order_values) > 0)
        parts.append(rows)
        notes += repeat_notes
    if media is not None:
        data, rows, media_warnings = with_media(data, media, touch_fit)
        parts.append(rows)
        warnings += media_warnings
    scenario = scenario_from_dict(data)  # what is written is a valid scenario
    check = None
    if log is not None and replications:
        check = check_against_simulation(journey_measures(log.frame, stages), scenario, log.end_days, replications=replications, seed=seed)
    return Calibration(data, scenario, pd.concat(parts, ignore_index=True), check, log, touch_fit, repeat, media, tuple(notes), tuple(warnings))


def _log_warnings(log: JourneyLog, purchase_events: Sequence[str]) -> list[str]:
    """What a user should know before trusting a fit of this log: no purchase in it, or
    times of day missing."""
    frame, warnings = log.frame, []
    if not (frame["event"] == "purchase").any():
        warnings.append(f"the touch log has no purchase (events named {', '.join(map(repr, purchase_events))}): every journey is fitted as "
                        "never buying; name your purchase event (--purchase-event)")
    touches = frame.sort_values(["customer_id", "time_days"])
    gaps = touches.groupby("customer_id")["time_days"].diff().dropna().to_numpy()
    if log.start is not None and gaps.size and np.all(np.isclose(gaps, np.round(gaps))):
        warnings.append("the log's times are whole days: waits within a day read as half a day, so delays and the time to convert are rough")
    return warnings


def column_mappings(columns: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Our-to-your column names per file: ``customer_id`` maps the column in every file that
    has one, ``touches.customer_id`` in that file only. Raises ConfigError for a name no
    file has."""
    out: dict[str, dict[str, str]] = {name: {} for name in FILE_COLUMNS}
    for ours, theirs in columns.items():
        prefix, _, column = ours.rpartition(".")
        if prefix and prefix not in FILE_COLUMNS:
            raise ConfigError(Problem(f"columns.{ours}", f"{prefix!r} is not a file; prefix a column with {', '.join(FILE_COLUMNS)}"))
        targets = [prefix] if prefix else [name for name, names in FILE_COLUMNS.items() if column in names]
        if not targets or any(column not in FILE_COLUMNS[t] for t in targets):
            known = sorted({c for names in FILE_COLUMNS.values() for c in names})
            raise ConfigError(Problem(f"columns.{ours}", f"{column!r} is not a column of {prefix or 'any file'}; columns are {', '.join(known)}"))
        for target in targets:
            out[target][column] = theirs
    return out


def _label(source: Source) -> str | None:
    return None if isinstance(source, pd.DataFrame) else os.path.basename(str(source))
