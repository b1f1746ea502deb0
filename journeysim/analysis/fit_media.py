"""Paid media response from a spend panel: adstock, Hill saturation and reach per channel.

A panel has one row per channel and period (a day or a week): ``period`` (a date, or a number
of days), ``channel``, ``spend`` in the period and ``arrivals``: the prospects the channel's
spend brought in the period (paid sessions, leads). :func:`fit_media_response` fits, per channel, the
response journeysim simulates (:mod:`journeysim.model.media`):

    adstock[d]  = spend[d] + adstock_decay * adstock[d - 1]              (day d)
    arrivals[d] = max_arrivals_per_day * adstock[d]^s / (adstock[d]^s + half_saturation^s)

with spend spread evenly over the days of its period, and a period's expected arrivals the sum
over its days. Before the panel, spend is taken to have been steady at the first period's
level (``history="steady"``), or absent (``history="none"``: a channel launched with the panel,
or a journeysim run, whose horizon starts without adstock).

**Why a Poisson likelihood.** Arrivals are counts whose spread grows with their level; least
squares would give the busiest periods most of the say, a Poisson likelihood weighs each
period by its own noise and is the maximum-likelihood fit for counts (for large counts the
two agree). It is maximised with SLSQP in (log max arrivals, log half-saturation, log Hill
shape, decay), with the analytic gradient and bounds, from a small grid of starts (a Hill
curve's likelihood can have several local optima).

**Intervals** come from a moving-block bootstrap over periods (blocks of ``block_length``
periods, by default n^(1/3), the classic order for variance estimates): the adstock is
computed on the whole spend path and the resamples reweigh whole blocks of periods, so
periods next to each other, whose errors are correlated when the model misses a weekly
rhythm or a trend, stay together. The fit refuses nothing the data allow, and returns plain
warnings where the data do not identify a parameter (:data:`MIN_SPEND_CV`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import optimize, signal, special

from journeysim.analysis.data_tables import NUMBER, TEXT, TIME, error_at, read_table
from journeysim.errors import DataError
from journeysim.model.media import hill

PARAMETERS = ("max_arrivals_per_day", "half_saturation", "hill_shape", "adstock_decay")
# Below this coefficient of variation of the adstocked daily spend, saturation is not identified.
MIN_SPEND_CV = 0.1
MAX_DECAY = 0.99
HILL_SHAPE_RANGE = (0.2, 10.0)
HISTORIES = ("steady", "none")


@dataclass(frozen=True, eq=False)
class ChannelResponse:
    """One channel's fitted response: the four parameters, the mean daily spend observed, the
    maximised log-likelihood, the periods used and their length, the spend history assumed
    before the panel, the bootstrap estimates (one row per resample, columns as
    :data:`PARAMETERS`) and plain-language warnings."""

    channel: str
    max_arrivals_per_day: float
    half_saturation: float
    hill_shape: float
    adstock_decay: float
    spend_per_day: float
    log_likelihood: float
    n_periods: int
    period_days: int
    history: str
    bootstrap: np.ndarray
    warnings: tuple[str, ...] = field(default=())

    @property
    def parameters(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in PARAMETERS}

    def expected_arrivals(self, spend: np.ndarray) -> np.ndarray:
        """The fitted response's expected arrivals in each period of a spend path (spend per
        period, periods of ``period_days``), as the fit models the panel."""
        spend = np.asarray(spend, dtype=float)
        theta = np.array([np.log(self.max_arrivals_per_day), np.log(self.half_saturation), np.log(self.hill_shape), self.adstock_decay])
        return _Response(spend, np.zeros(spend.size), self.period_days, self.history).expected(theta)


@dataclass(frozen=True, eq=False)
class MediaFit:
    """Every fitted channel (by name), the period length in days, and the warnings about
    channels that could not be fitted at all."""

    channels: Mapping[str, ChannelResponse]
    period_days: int
    skipped: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [*self.skipped, *(w for fit in self.channels.values() for w in fit.warnings)]

    def parameters(self, level: float = 0.95) -> pd.DataFrame:
        """One row per fitted setting, named by its config path (``budget.search.hill_shape``):
        estimate, bootstrap percentile interval (NaN without a bootstrap), periods used."""
        tail = 100 * (1 - level) / 2
        rows = []
        for channel, fit in self.channels.items():
            bounds = np.percentile(fit.bootstrap, [tail, 100 - tail], axis=0) if len(fit.bootstrap) else np.full((2, len(PARAMETERS)), np.nan)
            for index, name in enumerate(PARAMETERS):
                rows.append({"field": f"budget.{channel}.{name}", "estimate": getattr(fit, name), "low": bounds[0, index], "high": bounds[1, index], "n": fit.n_periods})
        return pd.DataFrame(rows, columns=["field", "estimate", "low", "high", "n"])


def budget_fields(fit: MediaFit) -> dict[str, dict[str, float]]:
    """The scenario's ``budget`` settings, per channel: the fitted response, and the mean daily
    spend of the panel as ``spend_per_day`` (change it for a what-if)."""
    return {channel: {"spend_per_day": f.spend_per_day, **f.parameters} for channel, f in fit.channels.items()}


def fit_media_response(
    panel: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    period_days: int | None = None,
    history: str = "steady",
    n_boot: int = 200,
    seed: int | np.random.Generator | None = 0,
    block_length: int | None = None,
    name: str | None = None,
) -> MediaFit:
    """Fit every channel of a spend panel (a CSV or Parquet file or a frame with ``period``,
    ``channel``, ``spend``, ``arrivals``; ``columns`` maps ours to yours). ``period_days``:
    1 for daily rows, 7 for weekly ones (default: the smallest gap between periods). Raises
    DataError for a malformed panel: a duplicated or missing period of a channel."""
    if history not in HISTORIES:
        raise ValueError(f"history must be one of {', '.join(HISTORIES)}, got {history!r}")
    table = read_table(panel, required={"period": TIME, "channel": TEXT, "spend": NUMBER, "arrivals": NUMBER}, columns=columns, name=name)
    if pd.api.types.is_datetime64_any_dtype(table["period"]):
        table["day"] = (table["period"] - table["period"].min().normalize()) / pd.Timedelta(days=1)
    else:
        table["day"] = table["period"].astype(float)
    period_days = _period_days(table, period_days)
    rng = np.random.default_rng(seed)
    channels, skipped = {}, []
    for channel, rows in table.groupby("channel", sort=True):
        rows = _checked_periods(rows.sort_values("day", kind="stable"), period_days, table)
        spend, arrivals = rows["spend"].to_numpy(float), rows["arrivals"].to_numpy(float)
        if not (spend > 0).any() or not (arrivals > 0).any():
            skipped.append(f"{channel}: not fitted, the panel has no {'spend' if not (spend > 0).any() else 'arrivals'} on it")
            continue
        channels[channel] = _fit_channel(str(channel), spend, arrivals, period_days, history, n_boot, rng, block_length)
    return MediaFit(channels, period_days, tuple(skipped))


def _period_days(table: pd.DataFrame, given: int | None) -> int:
    if given is not None:
        if int(given) != given or given < 1:
            raise ValueError(f"period_days must be a whole number of days >= 1, got {given!r}")
        return int(given)
    gaps = np.diff(np.unique(table["day"].to_numpy()))
    if gaps.size == 0:
        return 1
    smallest = float(gaps.min())
    if smallest != round(smallest):
        raise DataError(table.attrs["source"], f"periods must be whole days apart; the closest two are {smallest:g} days apart", column="period")
    return int(smallest)


def _checked_periods(rows: pd.DataFrame, period_days: int, table: pd.DataFrame) -> pd.DataFrame:
    """One row per period, every period present: the adstock needs the whole spend path.
    Problems name the line in ``table`` (the whole panel) of the offending row."""
    channel = rows["channel"].iloc[0]
    duplicated = rows["day"].duplicated()
    if duplicated.any():
        raise error_at(table, rows.index[duplicated.argmax()], f"channel {channel!r} already has a row for this period", column="period")
    gaps = np.diff(rows["day"].to_numpy())
    if (gaps != period_days).any():
        at = int(np.argmax(gaps != period_days))
        gap = gaps[at]
        problem = (f"has no row for the {gap / period_days - 1:g} period(s) before this one" if gap > period_days and gap % period_days == 0
                   else f"has a row {gap:g} day(s) after the previous one, and periods are {period_days} day(s) long")
        raise error_at(table, rows.index[at + 1], f"channel {channel!r} {problem}; a panel needs every period, with spend 0 where nothing was spent", column="period")
    return rows


class _Response:
    """The expected arrivals of one channel's panel and their gradient, for the optimiser."""

    def __init__(self, spend: np.ndarray, arrivals: np.ndarray, period_days: int, history: str) -> None:
        self.daily = np.repeat(spend / period_days, period_days)
        self.arrivals = arrivals
        self.period_days = period_days
        self.before = self.daily[0] if history == "steady" else 0.0

    def adstock(self, decay: float) -> tuple[np.ndarray, np.ndarray]:
        """Adstock of every day and its derivative in the decay (the same recursion as
        :func:`journeysim.model.media.adstock`, run by scipy's linear filter)."""
        carried = self.before / (1 - decay)  # steady state before the panel
        level = signal.lfilter([1.0], [1.0, -decay], self.daily, zi=[decay * carried])[0]
        previous = np.concatenate([[carried], level[:-1]])
        slope = signal.lfilter([1.0], [1.0, -decay], previous, zi=[decay * self.before / (1 - decay) ** 2])[0]
        return level, slope

    def expected(self, theta: np.ndarray) -> np.ndarray:
        maximum, half, shape, decay = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2]), theta[3]
        daily = maximum * hill(self.adstock(decay)[0], half, shape)
        return daily.reshape(-1, self.period_days).sum(axis=1)

    def negative_log_likelihood(self, theta: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
        maximum, half, shape, decay = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2]), theta[3]
        level, slope = self.adstock(decay)
        h = hill(level, half, shape)
        positive = level > 0
        log_ratio = np.where(positive, np.log(np.where(positive, level, 1.0) / half), 0.0)
        core = maximum * shape * h * (1 - h)
        daily = np.stack([maximum * h, -core, core * log_ratio, np.where(positive, core * slope / np.where(positive, level, 1.0), 0.0)])
        per_period = daily.reshape(4, -1, self.period_days).sum(axis=2)
        mean = np.maximum(per_period[0], 1e-12)
        y = self.arrivals
        value = float(np.dot(weights, mean - y * np.log(mean)))
        gradient = per_period @ (weights * (1 - y / mean))
        return value, gradient


def _fit_channel(channel: str, spend: np.ndarray, arrivals: np.ndarray, period_days: int, history: str, n_boot: int, rng: np.random.Generator, block_length: int | None) -> ChannelResponse:
    response = _Response(spend, arrivals, period_days, history)
    daily_peak = float(response.daily.max())
    bounds = [
        (np.log(1e-9), np.log(1e3 * arrivals.max() / period_days + 1.0)),
        (np.log(1e-4 * daily_peak), np.log(1e4 * daily_peak / (1 - MAX_DECAY))),
        tuple(np.log(HILL_SHAPE_RANGE)),
        (0.0, MAX_DECAY),
    ]
    weights = np.ones(arrivals.size)
    best = min((_maximise(response, start, weights, bounds) for start in _starts(response, bounds)), key=lambda fit: fit.fun)
    draws = np.array([_natural(_maximise(response, best.x, w, bounds).x) for w in _block_weights(arrivals.size, n_boot, block_length, rng)]).reshape(-1, len(PARAMETERS))
    estimate = [float(v) for v in _natural(best.x)]  # plain floats: they go into configs
    log_likelihood = -best.fun - float(np.sum(special.gammaln(arrivals + 1)))
    warnings = _warnings(channel, response, best.x, bounds)
    return ChannelResponse(
        channel, *estimate, spend_per_day=float(response.daily.mean()), log_likelihood=log_likelihood, n_periods=int(arrivals.size),
        period_days=period_days, history=history, bootstrap=draws, warnings=tuple(warnings),
    )


def _starts(response: _Response, bounds: list[tuple[float, float]]) -> list[np.ndarray]:
    """A grid over decay and shape; the half-saturation at the median adstocked spend, the
    maximum then at its best value for these (the Poisson likelihood's closed form)."""
    starts = []
    for decay in (0.0, 0.3, 0.6, 0.9):
        level = response.adstock(decay)[0]
        half = float(np.median(level[level > 0])) if (level > 0).any() else float(response.daily.mean())
        for shape in (1.0, 2.0):
            unit = response.expected(np.array([0.0, np.log(half), np.log(shape), decay]))
            maximum = response.arrivals.sum() / max(unit.sum(), 1e-12)
            theta = np.array([np.log(maximum), np.log(half), np.log(shape), decay])
            starts.append(np.clip(theta, [b[0] for b in bounds], [b[1] for b in bounds]))
    return starts


def _maximise(response: _Response, start: np.ndarray, weights: np.ndarray, bounds: list[tuple[float, float]]) -> optimize.OptimizeResult:
    return optimize.minimize(response.negative_log_likelihood, start, args=(weights,), jac=True, method="SLSQP", bounds=bounds, options={"ftol": 1e-12, "maxiter": 500})


def _natural(theta: np.ndarray) -> np.ndarray:
    return np.array([np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2]), theta[3]])


def _block_weights(n: int, n_boot: int, block_length: int | None, rng: np.random.Generator):
    """Moving-block bootstrap: each resample is ceil(n / L) blocks of L consecutive periods
    with random starts, cut to n periods, given as the number of times each period is drawn."""
    length = max(1, min(n, int(block_length) if block_length else int(np.ceil(n ** (1 / 3)))))
    blocks = int(np.ceil(n / length))
    for _ in range(n_boot):
        drawn = (rng.integers(0, n - length + 1, blocks)[:, None] + np.arange(length)).ravel()[:n]
        yield np.bincount(drawn, minlength=n).astype(float)


def _warnings(channel: str, response: _Response, theta: np.ndarray, bounds: list[tuple[float, float]]) -> list[str]:
    """Plain-language notes where the data do not pin a parameter down."""
    maximum, half, shape, decay = _natural(theta)
    level = response.adstock(decay)[0]
    notes = []
    variation = float(level.std() / level.mean()) if level.mean() > 0 else 0.0
    if variation < MIN_SPEND_CV:
        notes.append(f"{channel}: spend hardly varied (its adstocked spend's coefficient of variation is {variation:.3f}, below {MIN_SPEND_CV}), "
                     "so the data cannot tell max_arrivals_per_day, half_saturation and hill_shape apart; vary the spend (on and off periods, "
                     "different levels) or fix them by judgement")
    elif half > 2 * level.max():
        notes.append(f"{channel}: the fitted half_saturation ({half:.4g} per day) is more than twice the largest adstocked spend observed "
                     f"({level.max():.4g}): the data show only the rising part of the curve, so max_arrivals_per_day and half_saturation "
                     "are poorly identified (see their intervals)")
    elif half < 0.5 * level[level > 0].min():
        notes.append(f"{channel}: the fitted half_saturation ({half:.4g} per day) is below half the smallest adstocked spend observed "
                     f"({level[level > 0].min():.4g}): spend was always in saturation, so the shape of the curve below it is a guess")
    for index, (name, value, (low, high)) in enumerate(zip(PARAMETERS, theta, bounds)):
        if min(value - low, high - value) <= 1e-6 * max(1.0, abs(value)):
            side, end = ("lower", low) if value - low < high - value else ("upper", high)
            shown = end if name == "adstock_decay" else np.exp(end)
            notes.append(f"{channel}: {name} stopped at the {side} end of its range ({shown:.4g}): the data push it there, so treat its value as a bound, not an estimate")
    return notes
