"""The vectorised engine's channel choice: ``bisect_right(cumulative[row], u)`` for many
customers at once, by table lookup (exact: a uniform's bin decides unless a cumulative
boundary falls inside it, then the comparison is made exactly)."""

from __future__ import annotations

import numpy as np

_CHOICE_BINS = 1 << 12
_MAX_LOOKUP_ROWS = 4096  # 16 MiB of lookup table; beyond (long retargeted horizons) compare exactly


class ChannelChoice:
    """``bisect_right(cumulative[row], u)`` for many rows at once, by table lookup."""

    def __init__(self, cumulative: np.ndarray) -> None:
        self.cumulative = cumulative
        self.lookup = channel_lookup(cumulative) if len(cumulative) <= _MAX_LOOKUP_ROWS else None

    def __call__(self, row: np.ndarray, u: np.ndarray) -> np.ndarray:
        if self.lookup is None:
            return (self.cumulative[row] <= u[:, None]).sum(axis=1)
        bins = (u * _CHOICE_BINS).astype(np.intp)  # exact: the bin count is a power of two
        channel = self.lookup[row * _CHOICE_BINS + bins].astype(np.intp)
        unsure = np.flatnonzero(channel < 0)
        if unsure.size:  # a cumulative boundary falls inside the bin: compare exactly
            channel[unsure] = (self.cumulative[row[unsure]] <= u[unsure, None]).sum(axis=1)
        return channel


def channel_lookup(cumulative: np.ndarray) -> np.ndarray:
    """[row * bins + bin] -> the channel chosen for every u in the bin, or -1 when a cumulative
    boundary lies inside the bin (then the choice is made by exact comparison)."""
    rows, _ = cumulative.shape
    edges = np.arange(_CHOICE_BINS + 1) / _CHOICE_BINS
    table = np.empty((rows, _CHOICE_BINS), dtype=np.int8)
    for r in range(rows):
        at_low = np.searchsorted(cumulative[r], edges[:-1], side="right")  # entries <= bin start
        below_high = np.searchsorted(cumulative[r], edges[1:], side="left")  # entries < bin end
        table[r] = np.where(below_high > at_low, -1, at_low)
    return table.reshape(-1)
