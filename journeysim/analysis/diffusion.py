"""The Bass diffusion model: closed forms for adoption driven by advertising and word of mouth."""

from __future__ import annotations

import numpy as np


def bass_cumulative(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """F(t): share of the market that has adopted by time t (external influence p, internal q)."""
    t = np.asarray(t, dtype=float)
    decay = np.exp(-(p + q) * t)
    return (1 - decay) / (1 + (q / p) * decay)


def bass_density(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """f(t) = dF/dt: adoptions per unit time as a share of the market."""
    t = np.asarray(t, dtype=float)
    decay = np.exp(-(p + q) * t)
    return ((p + q) ** 2 / p) * decay / (1 + (q / p) * decay) ** 2


def bass_peak_time(p: float, q: float) -> float:
    """Time of peak adoptions, ln(q/p) / (p + q) (zero when p >= q)."""
    return float(max(0.0, np.log(q / p) / (p + q)))
