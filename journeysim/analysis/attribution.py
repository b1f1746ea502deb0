"""Channel attribution: how much of the conversions each channel gets credit for.

Every model reads a path table (see :mod:`journeysim.analysis.paths`) and returns one tidy row per
channel with the columns ``channel``, ``model``, ``conversions`` and ``value`` (credited
conversions and conversion value), sorted by channel; every channel seen in a path gets a
row, with zero credit when the model gives it none. Models: the rule-based heuristics
(first touch, last touch, last non-direct, linear, time decay, position based), the Markov
removal-effect model solved exactly as an absorbing chain, and the Shapley value of the
"conversions whose channels are all present" game.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.paths import join_path, path_channels

START_STATE, CONVERSION_STATE, NULL_STATE = "(start)", "(conversion)", "(null)"
MODEL_NAMES = (
    "first_touch", "last_touch", "last_non_direct", "linear",
    "time_decay", "position_based", "markov", "shapley",
)
# Bound on the (sample x distinct channel set x channel) block of permutation sampling.
_SAMPLING_BLOCK_CELLS = 4_000_000


def _credit_table(model: str, channels: Sequence[str], conversions, value) -> pd.DataFrame:
    table = pd.DataFrame({
        "channel": pd.array(list(channels), dtype="str"),
        "model": model,
        "conversions": np.asarray(conversions, dtype=float),
        "value": np.asarray(value, dtype=float),
    })
    return table.sort_values("channel", kind="stable", ignore_index=True)


# ---------------------------------------------------------------- rule-based heuristics


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
    return _credit_table(model, credited.index, credited["conversions"], credited["value"])


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


# ---------------------------------------------------------------- Markov removal effects


@dataclass(frozen=True)
class MarkovAttribution:
    """The fitted chain and its attribution.

    ``transition_matrix`` is square over all states ("(start)", the channel states, then
    "(conversion)" and "(null)", which are absorbing); ``conversion_probability`` is the
    probability of reaching "(conversion)" from "(start)"; ``removal_effects`` has one row
    per channel (channel, removal_effect, share, value_removal_effect, value_share);
    ``credits`` is the common credit table with model "markov".
    """

    transition_matrix: pd.DataFrame
    conversion_probability: float
    removal_effects: pd.DataFrame
    credits: pd.DataFrame


def _collapse_repeats(channels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(channel for index, channel in enumerate(channels) if index == 0 or channel != channels[index - 1])


def _walk_states(channels: tuple[str, ...], order: int) -> list[tuple[str, ...]]:
    # The state after touch i remembers the last `order` channels; the first states of a
    # path remember fewer, so that order 1 is the plain channel chain.
    return [channels[max(0, index - order + 1): index + 1] for index in range(len(channels))]


@dataclass(frozen=True)
class _FittedChain:
    """Transition probabilities of the transient states; state 0 is "(start)" (the empty tuple)."""

    states: list[tuple[str, ...]]
    probabilities: np.ndarray  # transient x (transient, conversion, null)
    rewards: np.ndarray  # transient x (chance to convert next step, value converted next step)

    def reach_from_start(self, kept: np.ndarray) -> np.ndarray:
        """P(conversion) and expected value from "(start)" when only ``kept`` states remain:
        transitions into the other states are lost, i.e. go to "(null)"."""
        if not self.probabilities[0].any():
            return np.zeros(2)
        block = self.probabilities[np.ix_(kept, kept)]
        return np.linalg.solve(np.eye(len(kept)) - block, self.rewards[kept])[0]


def _fit_chain(
    channel_lists: list[tuple[str, ...]], conversions: np.ndarray, nulls: np.ndarray,
    values: np.ndarray, order: int, collapse_repeats: bool,
) -> _FittedChain:
    origins: list[tuple[str, ...]] = []
    targets: list[tuple[str, ...] | str] = []
    weights: list[float] = []
    for channels, converted, null, value in zip(channel_lists, conversions, nulls, values):
        if converted + null <= 0:
            continue
        if collapse_repeats:
            channels = _collapse_repeats(channels)
        walk = [(), *_walk_states(channels, order)]
        origins += walk[:-1]
        targets += walk[1:]
        weights += [converted + null] * (len(walk) - 1)
        # "value" is bookkeeping, not a state: the value converted on leaving the last state.
        for target, weight in ((CONVERSION_STATE, converted), (NULL_STATE, null), ("value", value)):
            if weight > 0:
                origins.append(walk[-1])
                targets.append(target)
                weights.append(weight)
    states = [(), *sorted({state for state in origins if state}, key=join_path)]
    n_states = len(states)
    column = {state: position for position, state in enumerate(states)}
    column.update({CONVERSION_STATE: n_states, NULL_STATE: n_states + 1, "value": n_states + 2})
    counts = np.zeros((n_states, n_states + 3))
    np.add.at(
        counts,
        (np.array([column[state] for state in origins], dtype=np.int64),
         np.array([column[target] for target in targets], dtype=np.int64)),
        np.asarray(weights, dtype=float),
    )
    leaving = counts[:, : n_states + 2].sum(axis=1, keepdims=True)
    per_step = counts / np.where(leaving > 0, leaving, 1.0)
    return _FittedChain(states, per_step[:, : n_states + 2], per_step[:, [n_states, n_states + 2]])


def markov_removal_effects(
    path_table: pd.DataFrame, order: int = 1, include_null: bool = True, collapse_repeats: bool = True
) -> MarkovAttribution:
    """Markov-chain attribution by removal effects, solved exactly (no simulation).

    Each path is a walk "(start)" -> its states -> "(conversion)" (weight total_conversions)
    or "(null)" (weight total_null, only when ``include_null``); transition probabilities
    are the weighted transition counts normalised per state. Removing a channel sends every
    transition into a state that contains it to "(null)"; its removal effect is
    1 - P(conversion | removed) / P(conversion). Conversions are credited in proportion to
    the removal effects. Value is credited in proportion to value removal effects, computed
    the same way for the expected conversion value, where a conversion from a state is worth
    the mean value of the conversions observed from it.

    With ``include_null=False`` only converting paths are used, so P(conversion) is 1 and a
    removal effect is the share of converting walks that the removal cuts off.
    """
    if not (isinstance(order, int) and order >= 1):
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    channel_lists = path_channels(path_table)
    conversions = path_table["total_conversions"].to_numpy(dtype=float)
    values = path_table["total_conversion_value"].to_numpy(dtype=float)
    nulls = path_table["total_null"].to_numpy(dtype=float) if include_null else np.zeros(len(path_table))
    channel_names = sorted({channel for channels in channel_lists for channel in channels})
    reserved = {START_STATE, CONVERSION_STATE, NULL_STATE} & set(channel_names)
    if reserved:
        raise ValueError(f"channel names {sorted(reserved)} are reserved for Markov chain states")
    chain = _fit_chain(channel_lists, conversions, nulls, values, order, collapse_repeats)

    base = chain.reach_from_start(np.arange(len(chain.states)))
    effects = np.zeros((len(channel_names), 2))
    for position, channel in enumerate(channel_names):
        kept = np.array(
            [index for index, state in enumerate(chain.states) if channel not in state], dtype=np.int64
        )
        without = chain.reach_from_start(kept)
        effects[position] = np.where(base > 0, 1.0 - without / np.where(base > 0, base, 1.0), 0.0)
    # Removal only cuts walks off, so effects lie in [0, 1]; clip the solver's rounding.
    effects = np.clip(effects, 0.0, 1.0)
    effect_totals = effects.sum(axis=0)
    shares = effects / np.where(effect_totals > 0, effect_totals, 1.0)

    labels = [START_STATE, *(join_path(state) for state in chain.states[1:]), CONVERSION_STATE, NULL_STATE]
    matrix = np.zeros((len(labels), len(labels)))
    matrix[: len(chain.states)] = chain.probabilities
    matrix[-2, -2] = matrix[-1, -1] = 1.0
    transition_matrix = pd.DataFrame(
        matrix, index=pd.Index(labels, name="from_state"), columns=pd.Index(labels, name="to_state")
    )
    removal_effects = pd.DataFrame({
        "channel": pd.array(channel_names, dtype="str"),
        "removal_effect": effects[:, 0],
        "share": shares[:, 0],
        "value_removal_effect": effects[:, 1],
        "value_share": shares[:, 1],
    })
    credits = _credit_table(
        "markov", channel_names, shares[:, 0] * conversions.sum(), shares[:, 1] * values.sum()
    )
    return MarkovAttribution(transition_matrix, float(base[0]), removal_effects, credits)


def markov(path_table: pd.DataFrame, order: int = 1, include_null: bool = True, collapse_repeats: bool = True) -> pd.DataFrame:
    """The credit table of :func:`markov_removal_effects`."""
    return markov_removal_effects(path_table, order, include_null, collapse_repeats).credits


# ---------------------------------------------------------------- Shapley values


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
    return _credit_table("shapley", all_channels, credited[:, 0], credited[:, 1])


# ---------------------------------------------------------------- all models side by side


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
        markov(path_table, order, include_null, collapse_repeats),
        shapley(path_table, max_exact_channels, samples, rng),
    ]
    combined = pd.concat(tables, ignore_index=True)
    model_total = combined.groupby("model", sort=False)["conversions"].transform("sum").to_numpy()
    combined["share"] = np.where(model_total > 0, combined["conversions"] / np.where(model_total > 0, model_total, 1.0), 0.0)
    return combined
