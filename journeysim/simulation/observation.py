"""Observation of a run: the events a brand records, drawn after the journey from the truth.

:func:`observe` applies an observation model (:mod:`journeysim.model.observation`: consent,
recording per channel, identity loss, matching of offline sales) to a run's true event log
and returns the observed events: one row per recorded touch or purchase, under the
pseudonymous id the brand would see. The truth is read, never changed: observation draws from
its own key (:func:`journeysim.simulation.random_streams.measurement_key` with
``OBSERVATION_MEASUREMENT``), never from the journey's, so the events, customers and KPIs of
a run are the same whatever the observation settings.

Every number is a hash of (that key, the customer's persona and arrival number, the event's
rank among the customer's touches and purchases, a purpose): the same customer's same event
gets the same draws in any run with the same seed, whoever else is in the run, in any chunk
of a streamed run, and in both states of a comparison (common random numbers). With a lower
consent rate the customers who refused at a higher one still refuse (one uniform per customer
compared with the rate), so a sweep over the rate removes customers, never reshuffles them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeysim.model.observation import FULL_VISIBILITY, Observation
from journeysim.model.scenario import ONLINE, Scenario
from journeysim.simulation import random_streams as rs

OBSERVED_EVENTS = ("touch", "purchase", "repeat_purchase")
# Purposes of the observation's draws (keyed by the customer and the event's rank).
CONSENT, RECORD, MATCH, RESET, IDENTITY = range(5)
# Counter offset of the ids of offline sales matched to no journey (one id each).
UNMATCHED_SALE = 1 << 40
OBSERVED_COLUMNS = ("replication", "observed_id", "time_days", "stage", "channel", "event", "value", "consent", "true_customer_id")


def observe(scenario: Scenario, events: pd.DataFrame, customers: pd.DataFrame, seed: int, observation: Observation | None = None) -> pd.DataFrame:
    """The observed events of a run: what ``observation`` (default: the scenario's, else full
    visibility) records of the true ``events``.

    ``events`` and ``customers`` are a run's tables (or a chunk of whole customers of a
    streamed run, with their ``customer_id``), ``seed`` the run's seed. Only ``replication``,
    ``customer_id``, ``persona``, ``time_days``, ``stage``, ``channel``, ``event`` and
    ``value`` are read, and of the events only touches, purchases and repeat purchases; each
    customer's events must come in time order (both engines and streamed files give them so).

    Columns: ``replication``, ``observed_id`` (a 63-bit pseudonymous id: a customer's id
    until an identity reset; an unmatched offline sale has one of its own), ``time_days``,
    ``stage`` (the kind of interaction, which analytics events name), ``channel``, ``event``,
    ``value`` (order value of purchases), ``consent`` (the customer accepted tracking: what an
    analytics tag may see) and ``true_customer_id`` (the link to the truth, for scoring; the
    exports leave both out). Rows are grouped by customer, in time order.
    With full visibility every touch and purchase is kept, one id per customer.
    """
    observation = observation if observation is not None else scenario.observation or FULL_VISIBILITY
    rows = np.flatnonzero(events["event"].isin(OBSERVED_EVENTS).to_numpy(dtype=bool)) if len(events) else np.zeros(0, dtype=np.int64)
    rows, customer_index, starts = _grouped_by_customer(events, rows)
    time = events["time_days"].to_numpy(dtype=np.float64)[rows]
    ckeys = _customer_keys(events, customers, rows[starts], seed)
    key = ckeys[customer_index]
    rank = np.arange(len(rows)) - starts[customer_index]
    kind = np.asarray(events["event"].array.take(rows).codes)
    categories = list(events["event"].cat.categories)
    is_touch = kind == categories.index("touch")
    channel = np.asarray(events["channel"].array.take(rows).codes)
    online, share = _channel_arrays(scenario, observation, list(events["channel"].cat.categories))
    consent = rs.touch_uniforms(ckeys, 0, CONSENT) < observation.consent_rate
    online_row = online[channel]

    recorded_touch = is_touch & (~online_row | consent[customer_index]) & (rs.touch_uniforms(key, rank, RECORD) < share[channel])
    sale = ~is_touch
    matched_sale = sale & (online_row | (rs.touch_uniforms(key, rank, MATCH) < observation.offline_purchase_match))
    on_timeline = recorded_touch | matched_sale
    segment = _identity_segments(on_timeline, customer_index, time, key, rank, observation.identity_loss_per_day)
    observed_id = np.where(
        on_timeline,
        rs.touch_hashes(key, segment, IDENTITY),
        rs.touch_hashes(key, np.uint64(UNMATCHED_SALE) + rank.astype(np.uint64), IDENTITY),
    )
    kept = on_timeline | sale
    take = rows[kept]
    return pd.DataFrame({
        "replication": events["replication"].to_numpy()[take],
        "observed_id": (observed_id[kept] >> np.uint64(1)).astype(np.int64),
        "time_days": time[kept],
        "stage": events["stage"].array.take(take),
        "channel": events["channel"].array.take(take),
        "event": pd.Categorical(events["event"].array.take(take)).set_categories(list(OBSERVED_EVENTS)),
        "value": events["value"].to_numpy(dtype=np.float32)[take],
        "consent": consent[customer_index][kept],
        "true_customer_id": events["customer_id"].to_numpy()[take],
    })


def _grouped_by_customer(events: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rows`` reordered so each customer's rows are together, in time order; each row's
    customer number (0, 1, ... in that order) and the position where each customer starts."""
    replication = events["replication"].to_numpy()[rows].astype(np.int64)
    customer = events["customer_id"].to_numpy()[rows].astype(np.int64)
    group = (replication << 32) | customer
    if len(group) > 1 and bool(np.any(group[1:] < group[:-1])):
        order = np.argsort(group, kind="stable")  # a time-ordered log: each customer's rows keep their order
        rows, group = rows[order], group[order]
    time = events["time_days"].to_numpy(dtype=np.float64)[rows]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = group[1:] != group[:-1]
    if len(rows) > 1 and bool(np.any((time[1:] < time[:-1]) & ~new[1:])):
        order = np.lexsort((time, group))  # not in time order within a customer: sort by time too
        rows, group = rows[order], group[order]
        new = np.ones(len(rows), dtype=bool)
        new[1:] = group[1:] != group[:-1]
    customer_index = np.cumsum(new) - 1
    return rows, customer_index, np.flatnonzero(new)


def _customer_keys(events: pd.DataFrame, customers: pd.DataFrame, first_rows: np.ndarray, seed: int) -> np.ndarray:
    """The observation key of each customer (given by the row of its first event): a hash of
    the replication's observation key, the persona and the customer's arrival number within
    it, so a customer keeps its draws whatever else the run holds."""
    replication = events["replication"].to_numpy()[first_rows].astype(np.int64)
    customer = events["customer_id"].to_numpy()[first_rows].astype(np.int64)
    persona = np.asarray(events["persona"].array.take(first_rows).codes, dtype=np.int64)
    known = (customers["replication"].to_numpy().astype(np.int64) << 32) | customers["customer_id"].to_numpy().astype(np.int64)
    order = np.argsort(known, kind="stable")
    wanted = (replication << 32) | customer
    at = np.searchsorted(known, wanted, sorter=order)
    found = order[np.minimum(at, len(order) - 1)] if len(order) else at
    if len(wanted) and (len(order) == 0 or bool(np.any(known[found] != wanted))):
        raise ValueError("observe: an event's customer is not in the customers table (pass the same run's, or chunk's, tables)")
    number = customers["persona_customer"].to_numpy().astype(np.int64)[found] if len(wanted) else np.zeros(0, dtype=np.int64)
    keys = np.zeros(len(first_rows), dtype=np.uint64)
    for r in np.unique(replication):
        measurement = rs.measurement_key(seed, int(r), rs.OBSERVATION_MEASUREMENT)
        for p in np.unique(persona[replication == r]):
            mask = (replication == r) & (persona == p)
            keys[mask] = rs.customer_keys(measurement, int(p), number[mask])
    return keys


def _channel_arrays(scenario: Scenario, observation: Observation, channels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per channel code of the event log: is the channel online, and the share of its touches recorded."""
    online = np.array([scenario.channels[c].mode == ONLINE for c in channels], dtype=bool)
    share = np.array([observation.share_recorded(c) for c in channels], dtype=np.float64)
    return online, share


def _identity_segments(on_timeline: np.ndarray, customer_index: np.ndarray, time: np.ndarray, key: np.ndarray, rank: np.ndarray, rate: float) -> np.ndarray:
    """Each row's identity segment (0 for the customer's first id): resets come as a Poisson
    process at ``rate`` per day, seen at the customer's recorded events, so a gap of t days
    between two of them holds at least one reset with probability 1 - exp(-rate * t)."""
    segment = np.zeros(len(time), dtype=np.uint64)
    if rate == 0 or not on_timeline.any():
        return segment
    at = np.flatnonzero(on_timeline)
    owner = customer_index[at]
    follows = np.zeros(len(at), dtype=bool)
    follows[1:] = owner[1:] == owner[:-1]
    gap = np.zeros(len(at))
    gap[1:] = time[at[1:]] - time[at[:-1]]
    reset = follows & (rs.touch_uniforms(key[at], rank[at], RESET) < -np.expm1(-rate * gap))
    total = np.cumsum(reset)
    first = np.flatnonzero(~follows)
    before = np.repeat(total[first], np.diff(np.append(first, len(at))))
    segment[at] = (total - before).astype(np.uint64)
    # Unrecorded rows keep segment 0: their ids are never used.
    return segment
