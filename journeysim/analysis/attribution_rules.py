"""Rule-based attribution: first touch, last touch, last non-direct, linear, time decay and
position based, each a fixed rule for sharing a converting path's credit among its touches.

Every model reads a path table (see :mod:`journeysim.analysis.paths`) and returns one tidy row
per channel (:func:`credit_table`): ``channel``, ``model``, ``conversions`` and ``value``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.paths import path_channels


def credit_table(model: str, channels: Sequence[str], conversions, value) -> pd.DataFrame:
    """One model's credits as the tidy table every model returns, sorted by channel."""
    table = pd.DataFrame({
        "channel": pd.array(list(channels), dtype="str"),
        "model": model,
        "conversions": np.asarray(conversions, dtype=float),
        "value": np.asarray(value, dtype=float),
    })
    return table.sort_values("channel", kind="stable", ignore_index=True)


def _touches(path_table: pd.DataFrame) -> pd.DataFrame:
    """One row per touch: its path's row, channel, position and the path's length."""
    channel_lists = path_channels(path_table)
    lengths = np.fromiter((len(channels) for channels in channel_lists), dtype=np.int64, count=len(channel_lists))
    row = np.repeat(np.arange(len(channel_lists)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pd.DataFrame({
        "row": row,
        "channel": [channel for channels in channel_lists for channel in channels],
        "position": np.arange(len(row)) - starts,
        "length": lengths[row],
    })


def _heuristic(
    path_table: pd.DataFrame, model: str, touch_weight: Callable[[pd.DataFrame], np.ndarray]
) -> pd.DataFrame:
    """Split each path's conversions and value over its touches by ``touch_weight``.

    ``touch_weight`` returns a weight per touch; weights are normalised within each path so
    that every path hands out exactly its own conversions and value.
    """
    touches = _touches(path_table)
    weight = np.asarray(touch_weight(touches), dtype=float)
    path_total = np.bincount(touches["row"], weights=weight, minlength=len(path_table))
    share = weight / path_total[touches["row"]]
    conversions = path_table["total_conversions"].to_numpy(dtype=float)[touches["row"]] * share
    value = path_table["total_conversion_value"].to_numpy(dtype=float)[touches["row"]] * share
    credited = (
        pd.DataFrame({"channel": touches["channel"], "conversions": conversions, "value": value})
        .groupby("channel", sort=True).sum()
    )
    return credit_table(model, credited.index, credited["conversions"], credited["value"])


def first_touch(path_table: pd.DataFrame) -> pd.DataFrame:
    """All credit to the first channel of each path: the channel that started the journey."""
    return _heuristic(path_table, "first_touch", lambda touches: touches["position"] == 0)


def last_touch(path_table: pd.DataFrame) -> pd.DataFrame:
    """All credit to the last channel before conversion: the channel that closed the sale."""
    return _heuristic(
        path_table, "last_touch", lambda touches: touches["position"] == touches["length"] - 1
    )


def last_non_direct(path_table: pd.DataFrame, direct_channels: Sequence[str] = ("direct",)) -> pd.DataFrame:
    """All credit to the last channel that is not direct (typed-in visits are assumed to be
    caused by earlier marketing); a path of direct channels only credits its last touch."""
    direct = set(direct_channels)

    def weight(touches: pd.DataFrame) -> np.ndarray:
        candidate = np.where(~touches["channel"].isin(direct), touches["position"], -1)
        last_candidate = pd.Series(candidate).groupby(touches["row"]).transform("max").to_numpy()
        credited = np.where(last_candidate >= 0, last_candidate, touches["length"] - 1)
        return touches["position"].to_numpy() == credited

    return _heuristic(path_table, "last_non_direct", weight)


def linear(path_table: pd.DataFrame) -> pd.DataFrame:
    """Equal credit to every touch of a path (a channel touched twice gets two shares)."""
    return _heuristic(path_table, "linear", lambda touches: np.ones(len(touches)))


def time_decay(path_table: pd.DataFrame, half_life_touches: float = 1.0) -> pd.DataFrame:
    """Credit halving every ``half_life_touches`` touches back from the conversion: touch i of
    a path of n gets a weight 2 ** (-(n - 1 - i) / half_life_touches), normalised per path."""
    if not half_life_touches > 0:
        raise ValueError(f"half_life_touches must be > 0, got {half_life_touches!r}")
    return _heuristic(
        path_table, "time_decay",
        lambda touches: np.exp2(-(touches["length"] - 1 - touches["position"]) / half_life_touches),
    )


def position_based(path_table: pd.DataFrame, first: float = 0.4, last: float = 0.4) -> pd.DataFrame:
    """The U-shaped model: ``first`` to the first touch, ``last`` to the last one, the rest
    shared equally by the touches in between. A one-touch path gives it everything; a
    two-touch path splits in proportion first : last (50/50 with the defaults)."""
    if not (0 <= first <= 1 and 0 <= last <= 1 and first + last <= 1):
        raise ValueError(f"first and last must be in [0, 1] with first + last <= 1, got {first!r}, {last!r}")
    first_of_two = first / (first + last) if first + last > 0 else 0.5

    def weight(touches: pd.DataFrame) -> np.ndarray:
        position, length = touches["position"].to_numpy(), touches["length"].to_numpy()
        is_first, is_last = position == 0, position == length - 1
        middle = (1.0 - first - last) / np.maximum(length - 2, 1)
        long_path = np.where(is_first, first, np.where(is_last, last, middle))
        two_touch = np.where(is_first, first_of_two, 1.0 - first_of_two)
        return np.where(length == 1, 1.0, np.where(length == 2, two_touch, long_path))

    return _heuristic(path_table, "position_based", weight)
