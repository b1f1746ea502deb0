"""Which of journeysim's distributions fits a sample best, by maximum likelihood.

:func:`fit_distribution` fits every candidate family to positive values (delays, order
values), optionally weighted (a bootstrap's customer weights), and picks the family with
the smallest AIC (2 x parameters - 2 x log-likelihood). Every fit is a weighted maximum
likelihood estimate, in closed form or one-dimensional root finding, so a bootstrap of
hundreds of resamples stays cheap:

- exponential: mean = weighted mean;
- gamma: shape by Minka's (2002) approximation refined by Newton steps on
  log k - digamma(k) = log(mean) - mean(log x); mean = weighted mean;
- lognormal: mu and sigma^2 are the weighted mean and variance of log x;
- weibull: shape solves sum w x^k log x / sum w x^k - 1/k = mean(log x) (increasing in k:
  Newton's method from the shape the spread of log x implies);
- uniform: low and high are the smallest and largest value.

(The triangular family is not a candidate: its likelihood has no such closed form.)

The result is the config spec journeysim reads (``{"dist": "gamma", "mean": ..., "cv": ...}``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import special

FAMILIES = ("exponential", "gamma", "lognormal", "weibull", "uniform")
PARAMETER_COUNT = {"exponential": 1, "gamma": 2, "lognormal": 2, "weibull": 2, "uniform": 2}


@dataclass(frozen=True)
class DistributionFit:
    """The chosen family's config spec, and every candidate's fit (``family``, ``spec``,
    ``log_likelihood``, ``aic``), best first."""

    spec: dict[str, Any]
    candidates: pd.DataFrame

    @property
    def family(self) -> str:
        return str(self.spec["dist"])

    @property
    def mean(self) -> float:
        return spec_mean(self.spec)


def spec_mean(spec: dict[str, Any]) -> float:
    """The mean of a fitted spec."""
    if spec["dist"] == "weibull":
        return spec["scale"] * math.gamma(1 + 1 / spec["shape"])
    if spec["dist"] == "uniform":
        return (spec["low"] + spec["high"]) / 2
    return float(spec["mean"])


def fit_distribution(values: Sequence[float] | np.ndarray, weights: np.ndarray | None = None, families: Sequence[str] = FAMILIES) -> DistributionFit:
    """The best family for ``values`` (> 0) by AIC; ``weights`` (>= 0) weigh each value.

    Raises ValueError with too few distinct positive values to tell families apart (fewer
    than two: then only the exponential is fitted)."""
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = w > 0
    x, w = x[keep], w[keep]
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("fit_distribution needs finite values > 0")
    if np.unique(x).size < 2:
        families = ("exponential",)
    rows = []
    for family in families:
        spec, log_likelihood = _FITTERS[family](x, w)
        rows.append({"family": family, "spec": spec, "log_likelihood": log_likelihood, "aic": 2 * PARAMETER_COUNT[family] - 2 * log_likelihood})
    table = pd.DataFrame(rows).sort_values("aic", kind="stable").reset_index(drop=True)
    return DistributionFit(spec=table["spec"].iloc[0], candidates=table)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """sum(a * b) in one elementwise pass (BLAS's dot starts threads: ten times slower on a
    busy two-core machine at the sizes a bootstrap refits)."""
    return float((a * b).sum())


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    return _dot(values, w) / float(w.sum())


def _exponential(x: np.ndarray, w: np.ndarray) -> tuple[dict[str, Any], float]:
    mean = _weighted_mean(x, w)
    return {"dist": "exponential", "mean": mean}, float(-(w.sum()) * (math.log(mean) + 1.0))


def _gamma(x: np.ndarray, w: np.ndarray) -> tuple[dict[str, Any], float]:
    mean, log_x = _weighted_mean(x, w), np.log(x)
    s = math.log(mean) - _weighted_mean(log_x, w)
    if s <= 0:  # all values equal (to round-off): the gamma degenerates
        s = 1e-12
    k = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(20):
        step = (math.log(k) - special.digamma(k) - s) / (1 / k - special.polygamma(1, k))
        k = max(k - step, k / 10)
        if abs(step) < 1e-12 * k:
            break
    theta = mean / k
    log_likelihood = float(_dot(w, (k - 1) * log_x - x / theta) - w.sum() * (k * math.log(theta) + special.gammaln(k)))
    return {"dist": "gamma", "mean": mean, "cv": 1 / math.sqrt(k)}, log_likelihood


def _lognormal(x: np.ndarray, w: np.ndarray) -> tuple[dict[str, Any], float]:
    log_x = np.log(x)
    mu = _weighted_mean(log_x, w)
    variance = max(_weighted_mean((log_x - mu) ** 2, w), 1e-24)
    log_likelihood = float(-_dot(w, log_x) - w.sum() * (0.5 * math.log(2 * math.pi * variance) + 0.5))
    return {"dist": "lognormal", "mean": math.exp(mu + variance / 2), "cv": math.sqrt(math.expm1(variance))}, log_likelihood


def _weibull(x: np.ndarray, w: np.ndarray) -> tuple[dict[str, Any], float]:
    log_x = np.log(x)
    mean_log = _weighted_mean(log_x, w)
    centred = log_x - log_x.max()  # x^k / max(x)^k: no overflow for large k
    spread = math.sqrt(max(_weighted_mean((log_x - mean_log) ** 2, w), 1e-24))
    # Newton on g(k) = E_k[log x] - 1/k - mean(log x), E_k under weights w x^k; g is
    # increasing (g' = Var_k[log x] + 1/k^2), and the log of a Weibull has sd pi / (k sqrt 6).
    k = math.pi / (math.sqrt(6) * spread)
    for _ in range(100):
        power = w * np.exp(k * centred)
        total = power.sum()
        first = float(_dot(power, log_x) / total)
        second = float(_dot(power, log_x * log_x) / total)
        g = first - 1 / k - mean_log
        step = g / (second - first * first + 1 / k**2)
        k = k - step if k - step > 0 else k / 2
        if abs(step) < 1e-12 * k:
            break
    scale = math.exp(log_x.max()) * (_weighted_mean(np.exp(k * centred), w)) ** (1 / k)
    z = (x / scale) ** k
    log_likelihood = float(_dot(w, math.log(k) - k * math.log(scale) + (k - 1) * log_x - z))
    return {"dist": "weibull", "shape": k, "scale": scale}, log_likelihood


def _uniform(x: np.ndarray, w: np.ndarray) -> tuple[dict[str, Any], float]:
    low, high = float(x.min()), float(x.max())
    return {"dist": "uniform", "low": low, "high": high}, float(-w.sum() * math.log(max(high - low, 1e-300)))


_FITTERS = {"exponential": _exponential, "gamma": _gamma, "lognormal": _lognormal, "weibull": _weibull, "uniform": _uniform}
