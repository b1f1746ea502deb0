"""Channel attribution: how much of the conversions each channel gets credit for.

Every model reads a path table (see :mod:`journeysim.analysis.paths`) and returns one tidy row per
channel with the columns ``channel``, ``model``, ``conversions`` and ``value`` (credited
conversions and conversion value), sorted by channel; every channel seen in a path gets a
row, with zero credit when the model gives it none. Models: the rule-based heuristics
(:mod:`.attribution_rules`: first touch, last touch, last non-direct, linear, time decay,
position based), the Markov removal-effect model solved exactly as an absorbing chain
(:mod:`.attribution_markov`), and the Shapley value of the "conversions whose channels are
all present" game (:mod:`.attribution_shapley`). :func:`attribute_all` runs them all.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.attribution_markov import MAX_OPERATIONS, markov
from journeysim.analysis.attribution_rules import (
    first_touch,
    last_non_direct,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from journeysim.analysis.attribution_shapley import shapley

MODEL_NAMES = (
    "first_touch", "last_touch", "last_non_direct", "linear",
    "time_decay", "position_based", "markov", "shapley",
)


def attribute_all(
    path_table: pd.DataFrame,
    *,
    direct_channels: Sequence[str] = ("direct",),
    half_life_touches: float = 1.0,
    first: float = 0.4,
    last: float = 0.4,
    order: int = 1,
    include_null: bool = True,
    collapse_repeats: bool = True,
    max_exact_channels: int = 15,
    max_operations: float = MAX_OPERATIONS,
    samples: int = 2000,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Every model's credits in one table (channel, model, conversions, value, share), where
    ``share`` is the channel's part of the model's credited conversions."""
    tables = [
        first_touch(path_table),
        last_touch(path_table),
        last_non_direct(path_table, direct_channels),
        linear(path_table),
        time_decay(path_table, half_life_touches),
        position_based(path_table, first, last),
        markov(path_table, order, include_null, collapse_repeats, max_operations),
        shapley(path_table, max_exact_channels, samples, rng),
    ]
    combined = pd.concat(tables, ignore_index=True)
    model_total = combined.groupby("model", sort=False)["conversions"].transform("sum").to_numpy()
    combined["share"] = np.where(model_total > 0, combined["conversions"] / np.where(model_total > 0, model_total, 1.0), 0.0)
    return combined
