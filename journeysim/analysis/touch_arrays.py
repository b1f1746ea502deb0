"""A touch log as arrays: what each touch led to, read from what the customer did next.

:func:`log_arrays` sorts a clean touch log by customer and time, cuts each journey at its
first purchase and labels every touch (see :mod:`journeysim.analysis.fit_touches` for the
rules), with the index arrays every bootstrap resample of the fit reuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import pandas as pd

ADVANCE, STAY, LAST, FRICTION = 0, 1, 2, 3
ALL_CUSTOMERS = "all_customers"


@dataclass(frozen=True)
class LogArrays:
    """The log as arrays, one row per touch in customer and time order."""

    customer: np.ndarray  # int, 0..n_customers-1
    persona: np.ndarray  # int per touch
    stage: np.ndarray
    channel: np.ndarray
    outcome: np.ndarray  # ADVANCE, STAY, LAST, FRICTION
    next_stage: np.ndarray  # the stage advanced to (-1: a purchase, or none)
    backward: np.ndarray  # bool: the next touch is at an earlier stage
    gap_before: np.ndarray  # days since the customer's previous touch (nan for a first touch)
    gap_to_end: np.ndarray  # days from the touch to the end of the data
    # The channel was chosen early enough that the touch shows in the log whatever its wait
    # (chosen before the end less the 99.5th percentile of the gaps): choices and waits
    # near the end would otherwise favour channels with short waits.
    complete: np.ndarray
    personas: tuple[str, ...]
    channels: tuple[str, ...]
    n_customers: int
    customer_persona: np.ndarray
    first_at_entry: np.ndarray  # per customer: first touch at the first stage, and its time
    first_time: np.ndarray
    purchase_customer: np.ndarray  # one row per first purchase with a value
    purchase_value: np.ndarray
    start_days: float
    end_days: float
    has_reason: bool
    n_stages: int
    survival: np.ndarray = field(default_factory=lambda: np.zeros((2, 0)))  # [advanced, stayed] per last touch (see survival_of_next_gap)
    layout: dict[str, np.ndarray] = field(default_factory=dict)  # index arrays every resample reuses (see layout_of)


def log_arrays(log: pd.DataFrame, stages: Sequence[str], end_days: float | None = None) -> LogArrays:
    """Arrays of a clean touch log: columns customer_id, time_days, stage, channel, and
    optionally persona, event (``touch`` or ``purchase``), value, reason. Stages are the
    journey stages in order, the purchase stage last."""
    stage_index = {name: i for i, name in enumerate(stages)}
    frame = log.reset_index(drop=True)
    frame = frame.assign(_order=np.arange(len(frame)))
    if "persona" not in frame:
        frame["persona"] = ALL_CUSTOMERS
    if "event" not in frame:
        frame["event"] = "touch"
    frame = frame.sort_values(["customer_id", "time_days", "_order"], kind="stable")
    customer_codes, customer_names = pd.factorize(frame["customer_id"], sort=False)
    frame["_customer"] = customer_codes
    # The journey ends at the first purchase: later events are repeat buying.
    purchase = frame["event"].eq("purchase").to_numpy()
    first_purchase_time = pd.Series(frame["time_days"].to_numpy()[purchase], index=customer_codes[purchase]).groupby(level=0).min()
    cutoff = first_purchase_time.reindex(np.arange(len(customer_names))).to_numpy()
    limit = cutoff[customer_codes]
    in_journey = np.isnan(limit) | (frame["time_days"].to_numpy() <= limit)
    touches = frame.loc[in_journey & ~purchase].copy()
    bought = frame.loc[purchase].drop_duplicates("_customer")

    personas = tuple(pd.unique(frame["persona"].astype(str)))
    channels = tuple(pd.unique(touches["channel"].astype(str)))
    persona_of = {name: i for i, name in enumerate(personas)}
    customer = touches["_customer"].to_numpy()
    stage = touches["stage"].map(stage_index).to_numpy(np.int64)
    time = touches["time_days"].to_numpy(np.float64)
    end = float(frame["time_days"].max()) if end_days is None else float(end_days)
    same_next = np.append(customer[1:] == customer[:-1], False)
    same_previous = np.insert(customer[1:] == customer[:-1], 0, False)
    following = np.append(stage[1:], -1)
    converted = np.zeros(len(customer_names), dtype=bool)
    converted[bought["_customer"].to_numpy()] = True
    outcome = np.where(same_next, np.where(following > stage, ADVANCE, STAY), np.where(converted[customer], ADVANCE, LAST))
    has_reason = "reason" in touches
    if has_reason:
        reason = touches["reason"].fillna("").astype(str).str.strip().to_numpy() != ""
        outcome = np.where((outcome == LAST) & reason, FRICTION, outcome)
    gap_before = np.where(same_previous, time - np.insert(time[:-1], 0, np.nan), np.nan)
    observed_gaps = gap_before[np.isfinite(gap_before)]
    longest = float(np.quantile(observed_gaps, 0.995)) if observed_gaps.size else 0.0
    chosen_at = np.where(same_previous, np.insert(time[:-1], 0, np.nan), time)
    customer_persona = np.zeros(len(customer_names), dtype=np.int64)
    customer_persona[frame["_customer"].to_numpy()] = frame["persona"].astype(str).map(persona_of).to_numpy()
    first_rows = ~same_previous
    first_at_entry = np.zeros(len(customer_names), dtype=bool)
    first_time = np.full(len(customer_names), np.nan)
    first_at_entry[customer[first_rows]] = stage[first_rows] == 0
    first_time[customer[first_rows]] = time[first_rows]
    values = bought["value"].to_numpy(np.float64) if "value" in bought else np.array([])
    valued = np.isfinite(values) & (values > 0) if values.size else np.zeros(0, dtype=bool)
    prepared = LogArrays(
        customer=customer,
        persona=customer_persona[customer],
        stage=stage,
        channel=touches["channel"].astype(str).map({c: i for i, c in enumerate(channels)}).to_numpy(np.int64),
        outcome=outcome,
        next_stage=np.where(same_next & (following > stage), following, -1),
        backward=same_next & (following < stage),
        gap_before=gap_before,
        gap_to_end=end - time,
        complete=chosen_at <= end - longest,
        personas=personas,
        channels=channels,
        n_customers=len(customer_names),
        customer_persona=customer_persona,
        first_at_entry=first_at_entry,
        first_time=first_time,
        purchase_customer=bought["_customer"].to_numpy()[valued] if values.size else np.zeros(0, dtype=np.int64),
        purchase_value=values[valued] if values.size else values,
        start_days=float(frame["time_days"].min()),
        end_days=end,
        has_reason=has_reason,
        n_stages=len(stages),
    )
    return replace(prepared, survival=survival_of_next_gap(prepared), layout=layout_of(prepared))


def layout_of(prep: LogArrays) -> dict[str, np.ndarray]:
    """What does not change between bootstrap resamples: each touch's cell (persona, stage,
    channel), outcome counting keys, the channels each persona was offered at each stage,
    the choices (with the previous touch's channel, for the hand-off) and the waits grouped
    by touchpoint."""
    n_channels = len(prep.channels)
    cell = (prep.persona * prep.n_stages + prep.stage) * n_channels + prep.channel
    offered = np.zeros((len(prep.personas), prep.n_stages, n_channels), dtype=bool)
    offered[prep.persona, prep.stage, prep.channel] = True
    waits = np.flatnonzero(np.isfinite(prep.gap_before) & prep.complete)
    waits = waits[np.argsort(cell[waits], kind="stable")]
    gaps = prep.gap_before[waits]
    positive = gaps[gaps > 0]
    # Same-instant touches: half the log's resolution, so every family's density exists.
    gaps = np.maximum(gaps, positive.min() / 2 if positive.size else 1e-6)
    wait_keys, wait_starts = np.unique(cell[waits], return_index=True)
    last = np.flatnonzero(prep.outcome == LAST)
    choices = np.flatnonzero(prep.complete)
    same_previous = np.insert(prep.customer[1:] == prep.customer[:-1], 0, False)
    previous = np.where(same_previous, np.insert(prep.channel[:-1], 0, -1), -1)  # -1: the first touch
    after_key = ((prep.persona * (n_channels + 1) + previous + 1) * prep.n_stages + prep.stage) * n_channels + prep.channel
    return {"cell": cell, "outcome_key": cell * 4 + prep.outcome, "offered": offered, "last": last,
            "choices": choices, "choice_after_key": after_key[choices], "waits": waits, "wait_values": gaps,
            "wait_keys": wait_keys, "wait_bounds": np.append(wait_starts, waits.size)}


def survival_of_next_gap(prep: LogArrays) -> np.ndarray:
    """For each last touch, [how it goes on, last touch]: the probability that the next touch,
    had there been one, would come after the end of the data, if the touch advanced (row 0)
    or stayed (row 1). Each is the empirical survival of the persona's waits after touches
    at that stage that advanced (to a later stage: a purchase-stage advance is a sale, with
    no next touch) or stayed, counting only touches early enough (by the end less the
    99.5th percentile of all waits) that their next touch shows in the log whatever its
    wait: later ones would favour short waits."""
    last = np.flatnonzero(prep.outcome == LAST)
    survival = np.zeros((2, last.size))
    same_next = np.append(prep.customer[1:] == prep.customer[:-1], False)
    gap_after = np.append(prep.gap_before[1:], np.nan)
    observed = gap_after[same_next]
    longest = float(np.quantile(observed, 0.995)) if observed.size else 0.0
    early = same_next & (prep.gap_to_end >= longest)
    group = prep.persona * prep.n_stages + prep.stage
    how = (prep.next_stage >= 0, (prep.outcome == STAY) | prep.backward)  # advanced to a later stage; stayed
    for key in np.unique(group[last]):
        mine = group[last] == key
        for row, went in enumerate(how):
            gaps = np.sort(gap_after[early & went & (group == key)])
            if gaps.size:
                survival[row, mine] = 1.0 - np.searchsorted(gaps, prep.gap_to_end[last][mine], side="right") / gaps.size
    return survival
