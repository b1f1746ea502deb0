"""Shapley attribution: each channel's Shapley value in the game "conversions whose channels
are all present", exact for few channels and by permutation sampling beyond."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd

from journeysim.analysis.attribution_rules import credit_table
from journeysim.analysis.paths import path_channels

# Bound on the (sample x distinct channel set x channel) block of permutation sampling.
_SAMPLING_BLOCK_CELLS = 4_000_000


def _shapley_exact(memberships: np.ndarray, worth: np.ndarray) -> np.ndarray:
    """Shapley values by enumerating all coalitions as bitmasks (n players, 2**n coalitions).

    v(S) = sum of ``worth`` over channel sets contained in S: a subset-sum (zeta) transform
    of the worth per exact set, one pass per player.
    """
    n_players = memberships.shape[1]
    masks = memberships.astype(np.int64) @ (np.int64(1) << np.arange(n_players, dtype=np.int64))
    coalition_worth = np.zeros((2 ** n_players, worth.shape[1]))
    np.add.at(coalition_worth, masks, worth)
    for player in range(n_players):
        halves = coalition_worth.reshape(-1, 2, 2 ** player, worth.shape[1])
        halves[:, 1] += halves[:, 0]
    sizes = np.zeros(2 ** n_players, dtype=np.int64)
    for player in range(n_players):
        sizes.reshape(-1, 2, 2 ** player)[:, 1] += 1
    # Weight of a coalition S of size s joined by a player: s! (n - 1 - s)! / n!.
    size_weight = np.array([1.0 / (n_players * comb(n_players - 1, size)) for size in range(n_players)])
    values = np.zeros((n_players, worth.shape[1]))
    for player in range(n_players):
        halves = coalition_worth.reshape(-1, 2, 2 ** player, worth.shape[1])
        without = sizes.reshape(-1, 2, 2 ** player)[:, 0]
        values[player] = np.einsum("ab,abk->k", size_weight[without], halves[:, 1] - halves[:, 0])
    return values


def _shapley_sampled(
    memberships: np.ndarray, worth: np.ndarray, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Shapley values estimated from ``samples`` random orderings of the players.

    In an ordering, a channel set's worth is added when its last member arrives, so the
    marginal contributions are credited to that member.
    """
    n_sets, n_players = memberships.shape
    totals = np.zeros((n_players, worth.shape[1]))
    block = max(1, _SAMPLING_BLOCK_CELLS // max(1, n_sets * n_players))
    remaining = samples
    while remaining > 0:
        size = min(block, remaining)
        arrival = rng.permuted(np.tile(np.arange(n_players), (size, 1)), axis=1)
        arrival_of_member = np.where(memberships[None, :, :], arrival[:, None, :], -1)
        completing = arrival_of_member.argmax(axis=2)
        for column in range(worth.shape[1]):
            totals[:, column] += np.bincount(
                completing.ravel(), weights=np.tile(worth[:, column], size), minlength=n_players
            )
        remaining -= size
    return totals / samples


def shapley(
    path_table: pd.DataFrame,
    max_exact_channels: int = 15,
    samples: int = 2000,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Shapley-value attribution (Dalessandro et al. 2012; Zhao et al. 2018).

    The worth of a channel coalition S is the conversions (and, separately, the value) of
    the converting paths whose set of channels is contained in S. Computed exactly when at
    most ``max_exact_channels`` channels appear on converting paths, otherwise estimated from
    ``samples`` random channel orderings drawn with ``rng`` (required then). Credits sum to
    the total conversions and value; a channel on no converting path gets nothing.
    """
    channel_lists = path_channels(path_table)
    all_channels = sorted({channel for channels in channel_lists for channel in channels})
    worth_table = pd.DataFrame({
        "channel_set": [frozenset(channels) for channels in channel_lists],
        "conversions": path_table["total_conversions"].to_numpy(dtype=float),
        "value": path_table["total_conversion_value"].to_numpy(dtype=float),
    })
    worth_table = worth_table[(worth_table["conversions"] > 0) | (worth_table["value"] > 0)]
    worth_table = worth_table.groupby("channel_set", sort=False).sum()
    players = sorted({channel for channel_set in worth_table.index for channel in channel_set})
    player_index = {channel: position for position, channel in enumerate(players)}
    memberships = np.zeros((len(worth_table), len(players)), dtype=bool)
    for row, channel_set in enumerate(worth_table.index):
        memberships[row, [player_index[channel] for channel in channel_set]] = True
    worth = worth_table[["conversions", "value"]].to_numpy(dtype=float)

    if not players:
        player_values = np.zeros((0, 2))
    elif len(players) <= max_exact_channels:
        player_values = _shapley_exact(memberships, worth)
    else:
        if rng is None:
            raise ValueError(
                f"{len(players)} channels are more than max_exact_channels={max_exact_channels}: "
                "Shapley values are then sampled, which needs an explicit rng=numpy.random.Generator"
            )
        if samples < 1:
            raise ValueError(f"samples must be >= 1, got {samples!r}")
        player_values = _shapley_sampled(memberships, worth, samples, rng)
    credited = np.zeros((len(all_channels), 2))
    for channel, credit in zip(players, player_values):
        credited[all_channels.index(channel)] = credit
    return credit_table("shapley", all_channels, credited[:, 0], credited[:, 1])
