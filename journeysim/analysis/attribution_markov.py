"""Markov removal-effect attribution, solved exactly as an absorbing chain.

A channel's credit is its removal effect: the share of conversions lost when the chain can no
longer pass through it, normalised over channels (ChannelAttribution's definition).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.analysis.attribution_rules import credit_table
from journeysim.analysis.paths import PathDataError, join_path, path_channels

START_STATE, CONVERSION_STATE, NULL_STATE = "(start)", "(conversion)", "(null)"


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


# Each channel's removal solves a dense linear system over the chain's states: about
# channels x states^3 / 3 operations, on a states^2 matrix. 600 channels at order 1 (4e10)
# take ~10 s; the reference data at order 3 (12 channels, 790 states, 2e9) a fifth of a second.
MAX_OPERATIONS = 1e11
MAX_MATRIX_BYTES = 2**30


def markov_removal_effects(
    path_table: pd.DataFrame, order: int = 1, include_null: bool = True, collapse_repeats: bool = True,
    max_operations: float = MAX_OPERATIONS,
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

    A chain whose exact solution would take more than ``max_operations`` (or a matrix over
    1 GiB) is refused with its cost (PathDataError) before anything is built: the work grows
    with the channels times the cube of the chain's states.
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
    _check_size(channel_lists, conversions + nulls, order, collapse_repeats, len(channel_names), max_operations)
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
    credits = credit_table(
        "markov", channel_names, shares[:, 0] * conversions.sum(), shares[:, 1] * values.sum()
    )
    return MarkovAttribution(transition_matrix, float(base[0]), removal_effects, credits)


def markov(
    path_table: pd.DataFrame, order: int = 1, include_null: bool = True, collapse_repeats: bool = True,
    max_operations: float = MAX_OPERATIONS,
) -> pd.DataFrame:
    """The credit table of :func:`markov_removal_effects`."""
    return markov_removal_effects(path_table, order, include_null, collapse_repeats, max_operations).credits


def _check_size(channel_lists, weights: np.ndarray, order: int, collapse_repeats: bool, channels: int, max_operations: float) -> None:
    states = {()}
    for channel_tuple, weight in zip(channel_lists, weights):
        if weight > 0:
            states.update(_walk_states(_collapse_repeats(channel_tuple) if collapse_repeats else channel_tuple, order))
    operations, matrix_bytes = channels * len(states) ** 3 / 3, len(states) ** 2 * 8
    if operations > max_operations or matrix_bytes > MAX_MATRIX_BYTES:
        raise PathDataError(
            f"path table: the Markov chain would have {len(states):,} states ({channels:,} channels, order {order}); "
            f"solving it exactly takes about {operations:.1g} operations (~{operations / 1e10:,.0f} s) and a "
            f"{matrix_bytes / 2**30:.2g} GiB matrix, beyond max_operations={max_operations:.0e} or 1 GiB. "
            f"Group rare channels into one, lower the order, or pass max_operations={operations:.1e} to run it anyway"
        )
