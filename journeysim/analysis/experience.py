"""Satisfaction as it runs: a customer's satisfaction right after each event of the log.

:mod:`journeysim.model.experience` defines satisfaction over a customer's experienced moments
e_1 .. e_n in time order: (1 - w) * mean(e) + w * (peak + end) / 2, with ``peak`` the moment
of largest |e| (the latest on ties) and ``end`` = e_n. Engines report it once per customer, at
the end; surveys ask customers in the middle of their journey, so they need it at every moment.
:func:`running_satisfaction` computes it for every row of an event log at once (a pure
function of arrays, vectorised), whatever order the rows come in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def running_satisfaction(
    replication: np.ndarray,
    customer_id: np.ndarray,
    time_days: np.ndarray,
    experience: np.ndarray,
    emotion: np.ndarray,
    peak_end_weight: float,
) -> np.ndarray:
    """Each event's customer's satisfaction right after the event (the event included if it
    is experienced), in the rows' own order; NaN before the customer's first experienced moment.

    Rows are put in time order per (replication, customer) by a stable sort (none when they
    come that way, as simulate gives them), so events at the same instant count in the order
    they were recorded. The running mean is a grouped cumulative sum; the running peak is the
    last row whose |e| equals the running maximum of |e| (a later moment as intense takes
    over), carried forward like the end. Customers are worked through a block of about
    :data:`BLOCK_ROWS` rows at a time, so the temporaries stay in cache and small.
    """
    n = len(time_days)
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    replication, customer_id, time_days = np.asarray(replication), np.asarray(customer_id), np.asarray(time_days)
    experience, emotion = np.asarray(experience, dtype=bool), np.asarray(emotion)
    order = _customer_time_order(replication, customer_id, time_days)
    out = np.empty(n, dtype=np.float64)
    start = 0
    while start < n:
        stop = _customer_boundary(replication, customer_id, order, min(n, start + BLOCK_ROWS))
        rows = slice(start, stop) if order is None else order[start:stop]
        out[rows] = _running(replication[rows], customer_id[rows], experience[rows], emotion[rows], peak_end_weight)
        start = stop
    return out


# Rows of the log worked through at a time (whole customers: a block ends where one does).
BLOCK_ROWS = 1 << 17


def _running(rep: np.ndarray, cust: np.ndarray, lived: np.ndarray, emotion: np.ndarray, peak_end_weight: float) -> np.ndarray:
    """:func:`running_satisfaction` of rows in (replication, customer, time) order, whole customers."""
    n = len(rep)
    felt = np.where(lived, emotion.astype(np.float64, copy=False), 0.0)
    starts = np.ones(n, dtype=bool)
    starts[1:] = (rep[1:] != rep[:-1]) | (cust[1:] != cust[:-1])
    group = np.cumsum(starts) - 1
    first_row = np.flatnonzero(starts)[group]  # each row's customer's first row
    total = pd.Series(felt).groupby(group).cumsum().to_numpy()
    lived_so_far = np.cumsum(lived)
    count = lived_so_far - (lived_so_far - lived)[first_row]
    intensity = np.where(lived, np.abs(felt), -1.0)  # exposures never hold the peak
    running_max = pd.Series(intensity).groupby(group).cummax().to_numpy()
    peak = _carried(felt, lived & (intensity == running_max), first_row)
    end = _carried(felt, lived, first_row)
    mean = np.divide(total, count, out=np.full(n, np.nan), where=count > 0)
    weight = float(peak_end_weight)
    return (1.0 - weight) * mean + weight * (peak + end) / 2.0


def _customer_time_order(replication: np.ndarray, customer_id: np.ndarray, time_days: np.ndarray) -> np.ndarray | None:
    """The stable permutation to (replication, customer, time) order, or None for a log in that
    order already (as simulate gives it: grouped by customer, in time order): one pass, no sort."""
    same_replication = replication[1:] == replication[:-1]
    same_customer = same_replication & (customer_id[1:] == customer_id[:-1])
    in_order = (replication[1:] >= replication[:-1]) & (~same_replication | (customer_id[1:] >= customer_id[:-1])) & (
        ~same_customer | (time_days[1:] >= time_days[:-1]))
    if bool(in_order.all()):
        return None
    return np.lexsort((time_days, customer_id, replication))


def _customer_boundary(replication: np.ndarray, customer_id: np.ndarray, order: np.ndarray | None, at: int) -> int:
    """The first position at or after ``at`` (of the sorted rows: ``order``, or as they are)
    where another customer's rows begin, or the number of rows."""
    n = len(customer_id)
    while at < n:
        positions = np.arange(at - 1, min(n, at + 4096))
        rows = positions if order is None else order[positions]
        rep, cust = replication[rows], customer_id[rows]
        change = np.flatnonzero((rep[1:] != rep[:-1]) | (cust[1:] != cust[:-1]))
        if change.size:
            return at + int(change[0])
        at = int(positions[-1]) + 1
    return n


def _carried(values: np.ndarray, marked: np.ndarray, first_row: np.ndarray) -> np.ndarray:
    """At each row, the value of the latest marked row of the same customer at or before it
    (NaN when there is none): a forward fill within groups by a running maximum of indices."""
    index = np.where(marked, np.arange(len(values)), -1)
    last = np.maximum.accumulate(index)
    return np.where(last >= first_row, values[np.maximum(last, 0)], np.nan)
