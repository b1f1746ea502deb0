"""Probability distributions for delays, service times, patience and order values.

A :class:`Distribution` is plain data (a kind and its parameters), validated once.
Sampling is by inverse transform: a uniform number in (0, 1) maps to a value through the
quantile function. That keeps common random numbers exact (the same uniform gives the same
delay in both states of a comparison) and lets every engine share the same draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Mapping

import numpy as np
from scipy import special

# Each kind names its parameters in the order they are stored in ``Distribution.params``.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "gamma": ("mean", "cv"),
    "lognormal": ("mean", "cv"),
    "weibull": ("shape", "scale"),
}
KIND_CODES: dict[str, int] = {kind: code for code, kind in enumerate(PARAMETERS)}


class DistributionError(ValueError):
    """A distribution's kind or parameters are invalid; ``field`` names the bad parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Distribution:
    """A non-negative distribution, e.g. ``Distribution("exponential", (2.0,))``."""

    kind: str
    params: tuple[float, ...]

    @classmethod
    def from_parameters(cls, kind: str, parameters: Mapping[str, float | None]) -> "Distribution":
        """Build from named parameters, rejecting missing, extra and out-of-range ones."""
        if kind not in PARAMETERS:
            raise DistributionError(
                "dist", f"unknown distribution {kind!r}; choose one of {', '.join(PARAMETERS)}"
            )
        expected = PARAMETERS[kind]
        for name, value in parameters.items():
            if value is not None and name not in expected:
                raise DistributionError(
                    name, f"is not a parameter of {kind!r} (it takes {', '.join(expected)}), got {value!r}"
                )
        values = []
        for name in expected:
            value = parameters.get(name)
            if value is None:
                raise DistributionError(name, f"is required by {kind!r} distributions")
            if not math.isfinite(float(value)):
                raise DistributionError(name, f"must be a finite number, got {value!r}")
            values.append(float(value))
        distribution = cls(kind, tuple(values))
        distribution.validate()
        return distribution

    @classmethod
    def fixed(cls, value: float) -> "Distribution":
        return cls.from_parameters("fixed", {"value": value})

    @classmethod
    def exponential(cls, mean: float) -> "Distribution":
        return cls.from_parameters("exponential", {"mean": mean})

    def named_parameters(self) -> dict[str, float]:
        return dict(zip(PARAMETERS[self.kind], self.params))

    def validate(self) -> None:
        p = self.named_parameters()
        kind = self.kind
        if kind == "fixed" and p["value"] < 0:
            raise DistributionError("value", f"must be >= 0, got {p['value']:g}")
        if kind in ("exponential", "gamma", "lognormal") and p["mean"] <= 0:
            raise DistributionError("mean", f"must be > 0, got {p['mean']:g}")
        if kind in ("gamma", "lognormal") and p["cv"] <= 0:
            raise DistributionError("cv", f"must be > 0, got {p['cv']:g}")
        if kind in ("uniform", "triangular"):
            if p["low"] < 0:
                raise DistributionError("low", f"must be >= 0, got {p['low']:g}")
            if p["high"] < p["low"]:
                raise DistributionError("high", f"must be >= low ({p['low']:g}), got {p['high']:g}")
        if kind == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
            raise DistributionError(
                "mode", f"must lie in [low, high] = [{p['low']:g}, {p['high']:g}], got {p['mode']:g}"
            )
        if kind == "weibull":
            for name in ("shape", "scale"):
                if p[name] <= 0:
                    raise DistributionError(name, f"must be > 0, got {p[name]:g}")
        try:
            mean = self.mean
        except OverflowError:  # the gamma function of a Weibull's 1 + 1 / shape
            mean = math.inf
        if not math.isfinite(mean):  # every use of a distribution (the exact solver first) needs its mean
            name = {"weibull": "shape", "uniform": "high", "triangular": "high"}[kind]
            raise DistributionError(name, f"gives an infinite mean, {self.describe()}; got {p[name]:g}")

    @property
    def mean(self) -> float:
        p = self.named_parameters()
        if self.kind == "fixed":
            return p["value"]
        if self.kind in ("exponential", "gamma", "lognormal"):
            return p["mean"]
        if self.kind == "uniform":
            return (p["low"] + p["high"]) / 2
        if self.kind == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3
        return p["scale"] * math.gamma(1 + 1 / p["shape"])  # weibull

    @property
    def always_zero(self) -> bool:
        """Is every draw 0 (``fixed`` 0, or ``uniform``/``triangular`` with high 0)? A delay
        that is always 0 lets no time pass; the continuous kinds are positive."""
        p = self.named_parameters()
        return p.get("value", p.get("high", math.inf)) == 0.0

    def quantile(self, uniforms: np.ndarray | float) -> np.ndarray:
        """Values at the given probabilities (inverse CDF), vectorised."""
        u = np.asarray(uniforms, dtype=np.float64)
        codes = np.full(u.shape, KIND_CODES[self.kind], dtype=np.int8)
        params = np.broadcast_to(self.padded_params(), u.shape + (3,))
        return quantile_table(codes, params, u)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        return self.quantile(rng.random(size))

    def padded_params(self) -> np.ndarray:
        """Parameters as a length-3 array, the layout of compiled parameter tables."""
        out = np.zeros(3)
        out[: len(self.params)] = self.params
        return out

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v:g}" for k, v in self.named_parameters().items())
        return f"{self.kind}({inner})"


def quantile_table(codes: np.ndarray, params: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Inverse CDFs of many distributions at once.

    ``codes[i]`` is a kind code (see ``KIND_CODES``), ``params[i]`` its padded parameters and
    ``uniforms[i]`` the probability; returns the value for each element.
    """
    u = np.asarray(uniforms, dtype=np.float64)
    out = np.empty(u.shape, dtype=np.float64)
    for kind, code in KIND_CODES.items():
        mask = codes == code
        if not mask.any():
            continue
        a, b, c = params[mask, 0], params[mask, 1], params[mask, 2]
        out[mask] = kind_quantile(kind, a, b, c, u[mask])
    return out


def kind_quantile(kind: str, a: np.ndarray, b: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
    if kind == "fixed":
        return a.copy()
    if kind == "exponential":
        return -a * np.log1p(-u)
    if kind == "uniform":
        return a + u * (b - a)
    if kind == "triangular":
        low, mode, high = a, b, c
        width = high - low
        split = np.divide(mode - low, width, out=np.ones_like(width), where=width > 0)
        left = low + np.sqrt(u * width * (mode - low))
        right = high - np.sqrt((1 - u) * width * (high - mode))
        return np.where(u < split, left, right)
    if kind == "gamma":
        shape = 1.0 / (b * b)
        return a / shape * special.gammaincinv(shape, u)
    if kind == "lognormal":
        sigma2 = np.log1p(b * b)
        return np.exp(np.log(a) - sigma2 / 2 + np.sqrt(sigma2) * special.ndtri(u))
    if kind == "weibull":
        return b * (-np.log1p(-u)) ** (1.0 / a)
    raise AssertionError(kind)


def scalar_quantile(code: int, a: float, b: float, c: float, u: float) -> float:
    """One inverse-CDF value with plain floats: the event-by-event engine's fast path.

    Agrees with :func:`quantile_table` to floating-point round-off.
    """
    if code == _FIXED:
        return a
    if code == _EXPONENTIAL:
        return -a * math.log1p(-u)
    if code == _UNIFORM:
        return a + u * (b - a)
    if code == _GAMMA:
        shape = 1.0 / (b * b)
        return a / shape * float(special.gammaincinv(shape, u))
    if code == _LOGNORMAL:
        sigma2 = math.log1p(b * b)
        return math.exp(math.log(a) - sigma2 / 2 + math.sqrt(sigma2) * _NORMAL.inv_cdf(u))
    if code == _TRIANGULAR:
        width = c - a
        split = (b - a) / width if width > 0 else 1.0
        if u < split:
            return a + math.sqrt(u * width * (b - a))
        return c - math.sqrt((1 - u) * width * (c - b))
    return b * (-math.log1p(-u)) ** (1.0 / a)  # weibull


_FIXED, _EXPONENTIAL, _UNIFORM, _TRIANGULAR, _GAMMA, _LOGNORMAL = (
    KIND_CODES[k] for k in ("fixed", "exponential", "uniform", "triangular", "gamma", "lognormal")
)
_NORMAL = NormalDist()
