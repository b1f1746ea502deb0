"""Running satisfaction over event logs against a plain-Python reference of the formula."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from journeysim.analysis import experience
from journeysim.analysis.experience import running_satisfaction


def reference(replication, customer_id, time_days, experience, emotion, weight) -> list[float]:
    """The formula moment by moment: walk each customer's rows in (time, row) order and
    keep the list of experienced emotions so far."""
    out = [math.nan] * len(time_days)
    customers = sorted(set(zip(replication, customer_id)))
    for key in customers:
        rows = sorted((i for i in range(len(time_days)) if (replication[i], customer_id[i]) == key), key=lambda i: (time_days[i], i))
        felt: list[float] = []
        for i in rows:
            if experience[i]:
                felt.append(float(emotion[i]))
            if felt:
                mean = sum(felt) / len(felt)
                peak = max(reversed(felt), key=abs)  # the latest of the most intense
                out[i] = (1 - weight) * mean + weight * (peak + felt[-1]) / 2
    return out


def test_a_known_timeline():
    # One customer: an ad seen (exposure), a bad service moment, a so-so one, a good
    # purchase, then churn (not a moment: satisfaction stays).
    time = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    lived = np.array([False, True, True, True, False])
    emotion = np.array([0.9, -0.8, 0.1, 0.4, 0.0])
    ids = np.zeros(5)

    def at(weight):
        return running_satisfaction(ids, ids, time, lived, emotion, weight)

    # After the purchase: mean -0.1; peak -0.8 and end 0.4 give (peak + end) / 2 = -0.2.
    np.testing.assert_allclose(at(0.0), [np.nan, -0.8, -0.35, -0.1, -0.1])
    np.testing.assert_allclose(at(1.0), [np.nan, -0.8, -0.35, -0.2, -0.2])
    np.testing.assert_allclose(at(0.5), [np.nan, -0.8, -0.35, -0.15, -0.15])


def test_ties_in_intensity_go_to_the_latest_moment_and_ties_in_time_to_the_row_order():
    # |+0.6| = |-0.6|: the later one is the peak. Rows 1 and 2 happen at the same instant.
    time = np.array([0.0, 1.0, 1.0])
    got = running_satisfaction(np.zeros(3), np.zeros(3), time, np.ones(3, dtype=bool), np.array([0.6, -0.6, 0.0]), 1.0)
    np.testing.assert_allclose(got, [0.6, -0.6, (-0.6 + 0.0) / 2])


def test_an_empty_log():
    assert running_satisfaction(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0), 0.5).shape == (0,)


emotions = st.sampled_from([-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0]) | st.floats(-1, 1, allow_nan=False)
rows = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 3), st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0, 10), st.booleans(), emotions),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(rows=rows, weight=st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0, 1))
def test_matches_the_plain_reference_in_any_row_order(rows, weight):
    replication, customer, time, lived, emotion = (list(column) for column in zip(*rows)) if rows else ([], [], [], [], [])
    got = running_satisfaction(np.array(replication, dtype=np.int16), np.array(customer, dtype=np.int32), np.array(time, dtype=float),
                               np.array(lived, dtype=bool), np.array(emotion, dtype=np.float32), weight)
    expected = reference(replication, customer, time, lived, np.array(emotion, dtype=np.float32).tolist(), weight)
    np.testing.assert_allclose(got, np.array(expected, dtype=float), rtol=0, atol=1e-9)
    assert np.all(np.isnan(got) | (np.abs(got) <= 1 + 1e-9))  # a blend of emotions stays on their scale


@settings(max_examples=150, deadline=None)
@given(rows=rows, weight=st.sampled_from([0.0, 0.5, 1.0]), block=st.integers(1, 6))
def test_blocks_of_whole_customers_give_the_same_numbers(rows, weight, block):
    """Worked a few rows at a time (each block ends where a customer does), the log gives
    exactly the numbers it gives in one block."""
    replication, customer, time, lived, emotion = (np.array(column) for column in zip(*rows)) if rows else (np.zeros(0),) * 5
    arrays = (replication.astype(np.int16), customer.astype(np.int32), time.astype(float), lived.astype(bool), emotion.astype(np.float32))
    whole = running_satisfaction(*arrays, weight)
    saved = experience.BLOCK_ROWS
    experience.BLOCK_ROWS = block
    try:
        blocked = running_satisfaction(*arrays, weight)
    finally:
        experience.BLOCK_ROWS = saved
    np.testing.assert_array_equal(blocked, whole)


def test_a_customer_longer_than_a_block_and_its_search_window_stays_whole():
    n = 10_000  # one customer with more rows than the boundary search looks at once, then another
    customer = np.r_[np.zeros(n, dtype=np.int32), np.ones(3, dtype=np.int32)]
    time = np.arange(n + 3, dtype=float)
    lived = np.ones(n + 3, dtype=bool)
    emotion = np.r_[np.full(n, 0.5), [-1.0, -1.0, -1.0]]
    saved = experience.BLOCK_ROWS
    experience.BLOCK_ROWS = 100
    try:
        got = running_satisfaction(np.zeros(n + 3), customer, time, lived, emotion, 0.5)
    finally:
        experience.BLOCK_ROWS = saved
    np.testing.assert_allclose(got[:n], 0.5)  # mean, peak and end 0.5 all along
    np.testing.assert_allclose(got[n:], -1.0)  # the second customer starts afresh
