"""Assembling result tables: customer order of event rows, and replications' tables joined
column by column exactly as ``pd.concat`` joins them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from journeysim.simulation.records import canonical_order
from journeysim.simulation.tables import concat_tables, customer_order


@settings(max_examples=200, deadline=None)
@given(arrays(np.int32, st.integers(0, 60), elements=st.integers(0, 6)), st.data())
def test_customer_order_is_a_stable_sort_by_customer_then_time(customer, data):
    time_days = data.draw(arrays(np.float64, len(customer), elements=st.sampled_from([0.0, 0.5, 1.0, 2.5])))  # many ties
    order = customer_order(customer, time_days)
    expected = np.lexsort((time_days, customer))  # stable: ties keep their input order
    if order is None:  # only when the rows are in that order already
        np.testing.assert_array_equal(expected, np.arange(len(customer)))
    else:
        np.testing.assert_array_equal(order, expected)


def test_rows_in_customer_order_are_left_as_they_are():
    customer = np.repeat(np.arange(1000, dtype=np.int32), 4)
    time_days = np.tile([0.0, 1.0, 1.0, 3.0], 1000)  # ties within a customer are allowed
    assert customer_order(customer, time_days) is None
    time_days[5] = 9.0  # customer 1's second row after its third: a sort is needed
    order = customer_order(customer, time_days)
    np.testing.assert_array_equal(order[4:8], [4, 6, 7, 5])


def test_the_time_order_sorts_the_customer_order_back():
    rng = np.random.default_rng(3)
    customer = np.repeat(np.arange(500, dtype=np.int32), rng.integers(1, 6, 500))
    time_days = np.floor(rng.uniform(0, 30, len(customer)) * 4) / 4  # ties across customers
    grouped = customer_order(customer, time_days)
    customer, time_days = customer[grouped], time_days[grouped]
    by_time = canonical_order(time_days, customer)
    np.testing.assert_array_equal(by_time, np.lexsort((customer, time_days)))


def replication(r: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(r)
    return pd.DataFrame({
        "replication": np.full(n, r, dtype=np.int16),
        "customer_id": np.arange(n, dtype=np.int32),
        "stage": pd.Categorical.from_codes(rng.integers(-1, 3, n), categories=["awareness", "interest", "purchase"]),
        "time_days": rng.uniform(0, 9, n),
        "lost": rng.random(n) < 0.3,
    })  # fmt: skip


def test_concat_tables_equals_pd_concat():
    tables = [replication(r, n) for r, n in enumerate([50, 0, 120, 7])]
    joined = concat_tables(tables)
    pd.testing.assert_frame_equal(joined, pd.concat(tables, ignore_index=True), check_exact=True)
    assert concat_tables(tables[:1]) is tables[0] and concat_tables([]).empty


def test_concat_tables_falls_back_where_columns_differ():
    a, b = replication(0, 20), replication(1, 30)
    # The same categories in another order: equal dtypes to pandas, but other codes.
    b["stage"] = b["stage"].cat.reorder_categories(["purchase", "interest", "awareness"])
    joined = concat_tables([a, b])
    pd.testing.assert_frame_equal(joined, pd.concat([a, b], ignore_index=True))
    assert list(joined["stage"][20:]) == list(b["stage"])
    answers = [a.assign(csat=pd.array([1] * 20, dtype="Int8")), b.assign(csat=pd.array([None] * 30, dtype="Int8"))]
    pd.testing.assert_frame_equal(concat_tables(answers), pd.concat(answers, ignore_index=True))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), written=st.dictionaries(st.sampled_from(["reneges", "churned", "referrals", "lost_to_friction", "revenue", "source"]),
                                                     st.integers(0, 39), max_size=4))
def test_customer_columns_from_lists_equal_those_from_arrays(n, written):
    """The SimPy engine's per-customer lists, untouched (all at their default, taken by a
    count) or written at one customer, give the columns numpy would convert them to."""
    from journeysim.simulation.records import customers_table

    values = {"reneges": 2, "churned": True, "referrals": 3, "lost_to_friction": True, "revenue": 12.5, "source": 1}
    defaults = {"reneges": 0, "churned": False, "referrals": 0, "lost_to_friction": False, "revenue": 0.0, "source": 0}
    lists = {"arrival_days": [0.5] * n, "persona": [0] * n, "final_stage": [1] * n, "final_channel": [0] * n, "outcome": [2] * n,
             **{name: [default] * n for name, default in defaults.items()}}  # fmt: skip
    for name, customer in written.items():
        if customer < n:
            lists[name][customer] = values[name]
    labels = (("a", "b"), ("web", "store"), ("p",))
    from_lists = customers_table(lists, 0, *labels)
    from_arrays = customers_table({name: np.asarray(column) for name, column in lists.items()}, 0, *labels)
    pd.testing.assert_frame_equal(from_lists, from_arrays)
    for name, customer in written.items():
        if customer < n:  # the written value arrived (source 1 is "referral")
            assert from_lists[name].iloc[customer] == ("referral" if name == "source" else values[name])
