"""A simple media-mix regression: what an analyst would fit to a media-mix panel.

The model most media-mix tools share (Jin et al. 2017, "Bayesian methods for media mix
modeling with carryover and shape effects"; pymc-marketing, Meridian and Robyn are variants),
fitted by non-linear least squares (:func:`scipy.optimize.least_squares`). Per period t and
paid channel c, with spend x[c, t]:

    y[t] = base + sum_k gamma_k * control[k, t]
                + sum_c effect_c * A[c, t]^s_c / (A[c, t]^s_c + half_c^s_c)

where y is the target (conversions or revenue per period), ``effect_c`` the target per period
at full saturation, ``half_c`` the carried-over spend A per period at half of it and ``s_c``
the Hill shape (journeysim's own curve, :func:`journeysim.model.media.hill`). The carry-over
A is one of Jin et al.'s two:

* ``geometric`` (the default, journeysim's own :func:`~journeysim.model.media.adstock` run on
  periods): A[t] = x[t] + decay * A[t-1], the effect strongest in the period of the spend;
* ``delayed``: A[t] = sum_l w_l x[t-l] / sum_l w_l over lags l < ``max_lag``, with
  w_l = decay^((l - peak)^2), the effect strongest ``peak`` periods after the spend, as when
  journeys take weeks from the first contact to the purchase.

A channel's contribution is the target it adds over the panel: its term summed over periods,
which is what switching its spend off would remove in the model. Compared with
``mmm_truth.csv`` (:func:`journeysim.studies.media_truth.media_incrementality`), it says how far the
regression's story is from what the spend really did.

Several replications of a run are several independent panels with the same spend: their
rows are fitted together (each keeps its own carry-over) and contributions are per replication.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, signal

from journeysim.model.media import hill

DECAY_BOUNDS = (0.0, 0.95)
SHAPE_BOUNDS = (0.5, 3.0)
ADSTOCKS = ("geometric", "delayed")


@dataclass(frozen=True, eq=False)
class MediaMixFit:
    """A fitted media-mix regression: per channel ``effect``, ``half_saturation`` (spend per
    period), ``hill_shape``, ``adstock_decay`` and, for the delayed carry-over, ``adstock_peak``
    (periods); ``base``, the ``controls``' coefficients, the residual standard deviation, and
    the optimiser's message."""

    target: str
    channels: tuple[str, ...]
    effect: dict[str, float]
    half_saturation: dict[str, float]
    hill_shape: dict[str, float]
    adstock_decay: dict[str, float]
    base: float
    controls: dict[str, float] = field(default_factory=dict)
    adstock: str = "geometric"
    adstock_peak: dict[str, float] = field(default_factory=dict)
    max_lag: int = 8
    residual_sd: float = np.nan
    message: str = ""

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Per channel, the target its spend adds over ``panel`` in the fitted model (mean per
        replication): ``channel``, ``contribution`` and ``spend``, with ``per_spend``."""
        data = _PanelArrays(panel, self.channels, tuple(self.controls))
        replications = data.spend.shape[0]
        rows = []
        for index, channel in enumerate(self.channels):
            added = self._response(index, data.spend[:, :, index]).sum() / replications
            spend = data.spend[:, :, index].sum() / replications
            rows.append({"channel": channel, "contribution": float(added), "spend": float(spend)})
        table = pd.DataFrame(rows, columns=["channel", "contribution", "spend"])
        table["per_spend"] = table["contribution"] / table["spend"].where(table["spend"] > 0)
        return table

    def predict(self, panel: pd.DataFrame) -> np.ndarray:
        """The fitted target of every row of ``panel`` (in its row order)."""
        data = _PanelArrays(panel, self.channels, tuple(self.controls))
        return data.predict(self.base, np.array(list(self.controls.values())), [self._response(i, data.spend[:, :, i]) for i in range(len(self.channels))])

    def _response(self, index: int, spend: np.ndarray) -> np.ndarray:
        channel = self.channels[index]
        level = carried_over(spend, self.adstock_decay[channel], self.adstock_peak.get(channel), self.max_lag)
        return self.effect[channel] * hill(level, self.half_saturation[channel], self.hill_shape[channel])


def carried_over(spend: np.ndarray, decay: float, peak: float | None = None, max_lag: int = 8) -> np.ndarray:
    """The carry-over A of spend along its last axis (periods), every replication at once:
    geometric when ``peak`` is None (:func:`journeysim.model.media.adstock`'s recursion, run by
    scipy's linear filter), else delayed (weights decay^((l - peak)^2), normalised)."""
    if peak is None:
        return signal.lfilter([1.0], [1.0, -decay], spend, axis=-1)
    weights = np.power(decay, (np.arange(max_lag) - peak) ** 2) if decay > 0 else (np.arange(max_lag) == round(peak)).astype(float)
    weights = weights / weights.sum()
    return signal.lfilter(weights, [1.0], spend, axis=-1)


class _PanelArrays:
    """A panel as arrays: spend [replication, period, channel], the controls and the target by
    row, and where each (replication, period) sits among the rows."""

    def __init__(self, panel: pd.DataFrame, channels: Sequence[str], controls: Sequence[str], target: str | None = None) -> None:
        replication = panel["replication"].to_numpy() if "replication" in panel.columns else np.zeros(len(panel), dtype=np.int64)
        period = panel["period"].to_numpy() if "period" in panel.columns else np.arange(len(panel))
        self.labels, rep_index = np.unique(replication, return_inverse=True)
        periods, period_index = np.unique(period, return_inverse=True)
        if len(self.labels) * len(periods) != len(panel) or len(np.unique(rep_index * len(periods) + period_index)) != len(panel):
            raise ValueError("panel: needs one row per (replication, period), every period in every replication")
        self.rows = (rep_index, period_index)
        self.spend = np.zeros((len(self.labels), len(periods), len(channels)))
        for index, channel in enumerate(channels):
            self.spend[rep_index, period_index, index] = panel[f"spend_{channel}"].to_numpy(float)
        self.controls = panel[list(controls)].to_numpy(float) if controls else np.zeros((len(panel), 0))
        self.y = panel[target].to_numpy(float) if target is not None else None

    def predict(self, base: float, gamma: np.ndarray, responses: Sequence[np.ndarray]) -> np.ndarray:
        media = np.sum(responses, axis=0)[self.rows] if len(responses) else 0.0
        return base + self.controls @ gamma + media


def fit_media_mix(
    panel: pd.DataFrame,
    target: str = "conversions",
    channels: Sequence[str] | None = None,
    controls: Sequence[str] = (),
    *,
    adstock: str = "geometric",
    max_lag: int = 8,
    warm_up: int = 0,
    starts: int = 6,
    seed: int = 0,
) -> MediaMixFit:
    """Fit the regression of the module docstring to a media-mix panel (the columns of
    ``mmm_panel.csv``: ``spend_<channel>`` per channel, the ``target`` and the ``controls``).

    ``channels`` defaults to every ``spend_`` column; ``adstock`` is ``geometric`` or
    ``delayed`` (over ``max_lag`` periods). The first ``warm_up`` periods of each
    replication carry spend into the adstock but are left out of the fit: a simulated run
    starts empty, so sales ramp up over the weeks journeys take (as a brand's first weeks of
    data would not). The base is held >= 0. The least-squares fit starts from ``starts``
    points (the first at middling values, the others drawn with ``seed``) and keeps the best:
    a Hill curve's error surface can have several valleys."""
    channels = tuple(channels) if channels is not None else tuple(c.removeprefix("spend_") for c in panel.columns if c.startswith("spend_"))
    missing = [name for name in [target, *(f"spend_{c}" for c in channels), *controls] if name not in panel.columns]
    if missing:
        raise ValueError(f"panel: missing column(s) {', '.join(missing)}; it has {', '.join(map(str, panel.columns))}")
    if adstock not in ADSTOCKS:
        raise ValueError(f"adstock must be one of {', '.join(ADSTOCKS)}, got {adstock!r}")
    delayed = adstock == "delayed"
    data = _PanelArrays(panel, channels, tuple(controls), target)
    y = data.y
    fitted_rows = data.rows[1] >= warm_up
    if not fitted_rows.any():
        raise ValueError(f"warm_up={warm_up} leaves no period to fit")
    scale = {c: float(np.median(panel.loc[panel[f"spend_{c}"] > 0, f"spend_{c}"])) if (panel[f"spend_{c}"] > 0).any() else 1.0 for c in channels}
    span = float(np.ptp(y)) or 1.0
    # Parameters: base, gamma per control, then per channel log(effect / span), log(half / scale),
    # shape, decay (and the peak's lag, delayed).
    width = 5 if delayed else 4
    channel_low = (np.log(1e-6), np.log(1e-3), SHAPE_BOUNDS[0], DECAY_BOUNDS[0], 0.0)[:width]
    channel_high = (np.log(1e3), np.log(1e3), SHAPE_BOUNDS[1], DECAY_BOUNDS[1], max_lag - 1.0)[:width]
    low = [0.0, *(-np.inf for _ in controls), *(channel_low * len(channels))]
    high = [np.inf, *(np.inf for _ in controls), *(channel_high * len(channels))]
    k = 1 + len(controls)

    def unpack(theta: np.ndarray) -> MediaMixFit:
        per = theta[k:].reshape(len(channels), width)
        return MediaMixFit(
            target, channels,
            effect={c: float(span * np.exp(p[0])) for c, p in zip(channels, per)},
            half_saturation={c: float(scale[c] * np.exp(p[1])) for c, p in zip(channels, per)},
            hill_shape={c: float(p[2]) for c, p in zip(channels, per)},
            adstock_decay={c: float(p[3]) for c, p in zip(channels, per)},
            base=float(theta[0]), controls={name: float(g) for name, g in zip(controls, theta[1:k])},
            adstock=adstock, adstock_peak={c: float(p[4]) for c, p in zip(channels, per)} if delayed else {}, max_lag=max_lag,
        )  # fmt: skip

    def residuals(theta: np.ndarray) -> np.ndarray:
        per = theta[k:].reshape(len(channels), width)
        responses = [span * np.exp(p[0]) * hill(carried_over(data.spend[:, :, i], p[3], p[4] if delayed else None, max_lag), scale[c] * np.exp(p[1]), p[2])
                     for i, (c, p) in enumerate(zip(channels, per))]  # fmt: skip
        return (data.predict(theta[0], theta[1:k], responses) - y)[fitted_rows]

    rng = np.random.default_rng(seed)
    best = None
    for attempt in range(max(1, starts)):
        per_channel = [np.log(0.5 / max(1, len(channels))), 0.0, 1.0, 0.3, 1.0][:width] if attempt == 0 else [
            rng.uniform(np.log(0.05), np.log(2.0)), rng.uniform(np.log(0.2), np.log(5.0)), rng.uniform(*SHAPE_BOUNDS), rng.uniform(0.0, 0.8),
            rng.uniform(0.0, max_lag - 1.0)][:width]
        start = np.array([max(0.0, float(np.min(y[fitted_rows]))), *(0.0 for _ in controls), *(per_channel * len(channels))])
        found = optimize.least_squares(residuals, np.clip(start, low, high), bounds=(low, high), method="trf", x_scale="jac")
        if best is None or found.cost < best.cost:
            best = found
    assert best is not None
    fitted = unpack(best.x)
    residual_sd = float(np.sqrt(2 * best.cost / max(1, int(fitted_rows.sum()) - len(best.x))))
    return replace(fitted, residual_sd=residual_sd, message=str(best.message))
