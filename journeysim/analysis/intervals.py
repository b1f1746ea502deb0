"""The t-interval, written once: every interval journeysim reports (paired differences,
replication summaries, incremental effects, marginal returns, sweep responses) uses it.

The t quantile comes from ``scipy.special.stdtrit`` (what ``scipy.stats.t.ppf`` computes):
``scipy.stats`` takes most of a second to import, and every simulation imports this module."""

from __future__ import annotations

import numpy as np
from scipy import special


def t_half_width(sd, n, confidence: float = 0.95):
    """Half-width of the t-interval of a mean: t(0.5 + confidence / 2, n - 1) x sd / sqrt(n);
    NaN where fewer than two values. ``sd`` and ``n`` may be numbers or arrays (Series)."""
    n_array = np.asarray(n, dtype=float)
    half = special.stdtrit(np.maximum(n_array - 1, 1), 0.5 + confidence / 2) * np.asarray(sd, dtype=float) / np.sqrt(n_array)
    half = np.where(n_array >= 2, half, np.nan)
    if hasattr(sd, "index"):  # a Series in, a Series out
        import pandas as pd

        return pd.Series(half, index=sd.index)
    return float(half) if np.ndim(half) == 0 else half
