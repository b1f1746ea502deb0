"""Putting result tables together at numpy speed: the order of the event rows, and a run's
tables joined replication after replication, column by column.

A run's event log comes in one of two orders, the same rows either way:

* **customer order** (the default): grouped by replication and customer, each customer's
  events in time order (:func:`customer_order`). It is the order the vectorised engine
  records in, so it costs one pass to check; a journey reads top to bottom.
* **time order** (``run.sort_by_time``): by replication, then time, then customer
  (:func:`journeysim.simulation.records.canonical_order`), for a global timeline.

Events at the same time of the same customer keep their recording order in both, and both
engines record those alike, so the two engines give equal tables in either order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def customer_order(customer_id: np.ndarray, time_days: np.ndarray) -> np.ndarray | None:
    """The permutation to customer order: by customer, then time, then recording order (a
    stable sort); None when the rows are in that order already (checked in O(n))."""
    customer_id, time_days = np.asarray(customer_id), np.asarray(time_days)
    if len(customer_id) < 2:
        return None
    same = customer_id[1:] == customer_id[:-1]
    if bool((customer_id[1:] >= customer_id[:-1]).all()) and not bool((same & (time_days[1:] < time_days[:-1])).any()):
        return None
    return np.lexsort((time_days, customer_id))


def concat_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``tables`` one after another, as ``pd.concat(tables, ignore_index=True)``
    gives them. Tables with the same columns and dtypes (replications of one run) are joined
    column by column: numpy arrays concatenated, categoricals from their concatenated codes,
    several times faster than ``pd.concat`` on categoricals and with no block consolidation."""
    if not tables:
        return pd.DataFrame()
    if len(tables) == 1:
        return tables[0]
    first = tables[0]
    if not first.columns.is_unique or not all(_same_columns(first, table) for table in tables[1:]):
        return pd.concat(tables, ignore_index=True)
    columns: dict[str, object] = {}
    for name, dtype in first.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            codes = np.concatenate([table[name].array.codes for table in tables])
            columns[name] = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)  # codes of valid tables
        else:
            columns[name] = np.concatenate([table[name].to_numpy() for table in tables])
    return pd.DataFrame(columns, columns=first.columns, copy=False)


def _same_columns(first: pd.DataFrame, other: pd.DataFrame) -> bool:
    """Whether ``other`` has ``first``'s columns with the same numpy or categorical dtypes,
    categories in the same order (unordered categoricals compare equal in any order, but
    their codes would not mean the same)."""
    if not other.columns.equals(first.columns):
        return False
    for a, b in zip(first.dtypes, other.dtypes):
        if isinstance(a, pd.CategoricalDtype):
            if not (isinstance(b, pd.CategoricalDtype) and a.ordered == b.ordered and a.categories.equals(b.categories)):
                return False
        elif not (isinstance(a, np.dtype) and a == b):
            return False
    return True
