"""Calendar effects in arrivals: periods whose daily arrivals differ from the usual rate.

:func:`arrival_periods` splits daily counts into periods of constant rate by binary
segmentation: a period is split where the split raises the log-likelihood most, if by more
than ``penalty`` (2 log(days), the BIC of the two parameters a split adds, doubled to keep
chance splits rare) and leaving at least ``min_days`` on each side. Real daily arrivals
vary more than Poisson counts do (weekdays, weather), so the likelihood is the
quasi-Poisson one: the Poisson log-likelihood divided by the dispersion
(:func:`dispersion`, at least 1), measured from day-to-day differences so that the steps
being looked for do not inflate it. The fitter turns the periods into a base rate and
``calendar`` multipliers (:mod:`journeysim.analysis.fit_touches`).
"""

from __future__ import annotations

import math

import numpy as np

MIN_PERIOD_DAYS = 7


def _log_likelihood(total: float, days: float) -> float:
    """Poisson log-likelihood of ``total`` arrivals over ``days`` at its MLE rate (constant
    terms left out): n log(n / d) - n."""
    return total * math.log(total / days) - total if total > 0 else 0.0


def dispersion(counts: np.ndarray) -> float:
    """Variance over mean of daily counts, at least 1 (Poisson), from the spread of
    day-to-day differences (1.4826 x their median absolute deviation, squared, is twice the
    variance for a steady series; a few steps barely move it)."""
    counts = np.asarray(counts, dtype=float)
    if counts.size < 3 or counts.mean() <= 0:
        return 1.0
    steps = np.diff(counts)
    spread = 1.4826 * np.median(np.abs(steps - np.median(steps)))
    return max(1.0, spread**2 / 2 / counts.mean())


def arrival_periods(counts: np.ndarray, min_days: int = MIN_PERIOD_DAYS, penalty: float | None = None) -> list[tuple[int, int, float]]:
    """Periods ``(first day, day after the last, arrivals per day)`` of constant rate covering
    ``counts`` (arrivals per day, in day order), by binary segmentation (module docstring)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.size
    if n == 0:
        return []
    penalty = (2 * math.log(max(n, 2)) if penalty is None else penalty) * dispersion(counts)
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    splits = [0, n]
    pending = [(0, n)]
    while pending:
        start, stop = pending.pop()
        whole = _log_likelihood(cumulative[stop] - cumulative[start], stop - start)
        best, where = 0.0, None
        for k in range(start + min_days, stop - min_days + 1):
            gain = (_log_likelihood(cumulative[k] - cumulative[start], k - start)
                    + _log_likelihood(cumulative[stop] - cumulative[k], stop - k) - whole)
            if gain > best:
                best, where = gain, k
        if where is not None and best > penalty:
            splits.append(where)
            pending += [(start, where), (where, stop)]
    edges = sorted(splits)
    return [(a, b, (cumulative[b] - cumulative[a]) / (b - a)) for a, b in zip(edges[:-1], edges[1:])]
