"""Path tables: the journeys of customers as channel sequences, and their files.

A path table is the standard input of channel attribution (the format read by the R package
ChannelAttribution): one row per distinct path, with the columns ``path`` (channels joined by
``" > "``), ``total_conversions``, ``total_conversion_value`` and ``total_null`` (journeys
on that path that did not convert). This module owns paths as channel
sequences and building path tables from the simulator's event log; reading and writing
them as files (with one clear, line-numbered error per problem) is
:mod:`journeysim.analysis.path_files`'s.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pa_compute

PATH_TABLE_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
TOUCH_LOG_COLUMNS = ("customer", "timestamp", "channel", "converted", "value")
CUSTOMER_PATH_COLUMNS = (
    "replication", "customer_id", "persona", "path", "converted",
    "conversion_value", "n_touches", "first_touch_days", "last_touch_days",
)
CHANNEL_SEPARATOR = " > "
FIELD_SEPARATORS = (";", ",", "\t")
MAX_LINE_CHARS = 100_000



class PathDataError(ValueError):
    """A path table or touch log is malformed; the message names the place and the bad value."""


# ---------------------------------------------------------------- paths as channel sequences


def split_path(path: str) -> tuple[str, ...]:
    """The channels of a path, in order (``"a > b"`` -> ``("a", "b")``); raises ValueError."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"empty path {path!r}")
    channels = tuple(channel.strip() for channel in path.split(">"))
    for channel in channels:
        if not channel:
            raise ValueError(f"empty channel name in path {path!r}")
        if any(character in channel for character in "\r\n"):
            raise ValueError(f"line break inside channel name in path {path!r}")
    return channels


def join_path(channels: Iterable[str]) -> str:
    """The canonical path text of a channel sequence (``("a", "b")`` -> ``"a > b"``)."""
    return CHANNEL_SEPARATOR.join(channels)


def path_channels(path_table: pd.DataFrame, source: str = "path table") -> list[tuple[str, ...]]:
    """The channels of every path of a table, after checking its columns and values.

    Raises PathDataError naming the row and the bad value.
    """
    _check_columns(path_table, source)
    channel_lists = []
    for row_number, path in enumerate(path_table["path"], start=1):
        try:
            channel_lists.append(split_path(path))
        except ValueError as problem:
            raise PathDataError(f"{source}: row {row_number}: {problem}") from None
    return channel_lists


# A path :func:`split_path` refuses: blank, an empty channel (at either end or between two
# separators) or a line break in a name.
_BAD_PATH = r"^\s*$|(?:^|>)\s*(?:>|$)|[\r\n]"


def canonical_path_texts(path_table: pd.DataFrame, source: str = "path table") -> np.ndarray:
    """The canonical text of every path of a table (``join_path(split_path(path))``, channels
    joined by ``" > "``) after the checks of :func:`path_channels`, as whole-column string
    operations: a table of a million paths in a fraction of a second. Raises PathDataError
    naming the row and the bad value, as :func:`path_channels` does."""
    _check_columns(path_table, source)
    paths = path_table["path"]
    if isinstance(paths.dtype, pd.StringDtype):
        all_text = not paths.isna().any()
    else:
        all_text = all(isinstance(path, str) for path in paths.array)
    texts = None
    if all_text:  # Arrow-backed text goes over without a copy
        texts = pa.array(paths.array if isinstance(paths.dtype, pd.StringDtype) else paths.to_numpy(dtype=object)).cast(pa.large_string())
    if texts is None or pa_compute.any(pa_compute.match_substring_regex(texts, _BAD_PATH)).as_py():
        path_channels(path_table, source)  # raises, naming the first bad row
    canonical = pa_compute.replace_substring_regex(pa_compute.utf8_trim_whitespace(texts), r"\s*>\s*", CHANNEL_SEPARATOR)
    return np.asarray(canonical.to_numpy(zero_copy_only=False), dtype=object)


def _check_columns(path_table: pd.DataFrame, source: str) -> None:
    """The path-table columns are there, and the counts and values finite numbers >= 0 whose
    sums a float holds."""
    missing = [column for column in PATH_TABLE_COLUMNS if column not in path_table.columns]
    if missing:
        raise PathDataError(
            f"{source}: missing column(s) {', '.join(missing)}; "
            f"expected columns {', '.join(PATH_TABLE_COLUMNS)}"
        )
    for column in PATH_TABLE_COLUMNS[1:]:
        numbers = pd.to_numeric(path_table[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(numbers) | (numbers < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = path_table[column].iloc[row]
            raise PathDataError(
                f"{source}: row {row + 1}: column {column!r} must be a finite number >= 0, got {value!r}"
            )
        with np.errstate(over="ignore"):
            total = numbers.sum()
        if not np.isfinite(total):
            row = int(np.argmax(numbers))
            raise PathDataError(
                f"{source}: column {column!r} adds up to more than a number can hold (row {row + 1} has {numbers[row]:.3g}); "
                "counts and values must be ordinary amounts: scale them down"
            )


def validate_path_table(path_table: pd.DataFrame, source: str = "path table") -> None:
    """Raise PathDataError unless the table has the path-table columns and valid values."""
    path_channels(path_table, source)


# ---------------------------------------------------------------- building paths from journeys


def _channel_names(channel: pd.Series) -> np.ndarray:
    """Channel names as an object array of str, sharing one str object per distinct channel."""
    if channel.isna().any():
        raise ValueError("events: a touch row has no channel")
    if not isinstance(channel.dtype, pd.CategoricalDtype):
        channel = channel.astype("category")
    names = np.asarray([str(name) for name in channel.cat.categories], dtype=object)
    if any(">" in name for name in names):
        raise ValueError("events: channel names must not contain '>' (it separates path channels)")
    return names[channel.cat.codes.to_numpy()]


def customer_paths(events: pd.DataFrame) -> pd.DataFrame:
    """One row per customer with at least one touch: its channel path up to its first purchase.

    A customer (``replication``, ``customer_id``) converts when it has a ``purchase`` event;
    its path is the ordered channels of its ``touch`` events at or before the time of that
    first purchase (all touches when it never purchased), and its conversion value is that
    purchase's ``value`` (0.0 when it did not convert). Other event kinds are ignored.
    """
    required = ("replication", "customer_id", "persona", "time_days", "channel", "event", "value")
    missing = [column for column in required if column not in events.columns]
    if missing:
        raise ValueError(f"events: missing column(s) {', '.join(missing)}")
    is_touch = (events["event"] == "touch").to_numpy(dtype=bool, na_value=False)
    is_purchase = (events["event"] == "purchase").to_numpy(dtype=bool, na_value=False)
    relevant = np.flatnonzero(is_touch | is_purchase)
    replication = events["replication"].to_numpy()[relevant]
    customer = events["customer_id"].to_numpy()[relevant]
    time_days = events["time_days"].to_numpy(dtype=float)[relevant]
    if not _grouped_in_time_order(replication, customer, time_days):
        # Stable sort, so events at the same time keep the order in which they were logged.
        order = np.lexsort((relevant, time_days, customer, replication))
        relevant, replication, customer, time_days = (
            relevant[order], replication[order], customer[order], time_days[order]
        )
    is_touch, is_purchase = is_touch[relevant], is_purchase[relevant]
    new_customer = np.ones(len(relevant), dtype=bool)
    new_customer[1:] = (replication[1:] != replication[:-1]) | (customer[1:] != customer[:-1])
    customer_index = np.cumsum(new_customer) - 1
    n_customers = int(new_customer.sum())

    purchase_rows = np.flatnonzero(is_purchase)
    purchase_customer = customer_index[purchase_rows]
    first_purchase = np.ones(len(purchase_rows), dtype=bool)
    first_purchase[1:] = purchase_customer[1:] != purchase_customer[:-1]
    purchase_time = np.full(n_customers, np.inf)
    purchase_value = np.zeros(n_customers)
    converted = np.zeros(n_customers, dtype=bool)
    first_rows = purchase_rows[first_purchase]
    purchase_time[customer_index[first_rows]] = time_days[first_rows]
    purchase_value[customer_index[first_rows]] = (
        events["value"].iloc[relevant[first_rows]].to_numpy(dtype=float, na_value=np.nan)
    )
    converted[customer_index[first_rows]] = True

    touch_rows = np.flatnonzero(is_touch & (time_days <= purchase_time[customer_index]))
    channel_names = _channel_names(events["channel"].iloc[relevant[touch_rows]])
    touch_customer = customer_index[touch_rows]
    starts = np.flatnonzero(np.diff(touch_customer, prepend=-1) != 0)
    ends = np.r_[starts[1:], len(touch_rows)][: len(starts)]
    # Each customer's channels as one list, joined by Arrow in C++: every path in one pass.
    touches = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(touch_rows)], type=pa.int64()), pa.array(channel_names, type=pa.large_string()))
    paths = pa_compute.binary_join(touches, pa.scalar(CHANNEL_SEPARATOR, type=pa.large_string()))

    first_touch_rows = relevant[touch_rows[starts]]
    kept_customers = touch_customer[starts]
    return pd.DataFrame({
        "replication": events["replication"].iloc[first_touch_rows].to_numpy(),
        "customer_id": events["customer_id"].iloc[first_touch_rows].to_numpy(),
        "persona": events["persona"].iloc[first_touch_rows].reset_index(drop=True),
        "path": pd.array(paths, dtype="str"),
        "converted": converted[kept_customers],
        "conversion_value": purchase_value[kept_customers],
        "n_touches": (ends - starts).astype(np.int64),
        "first_touch_days": time_days[touch_rows[starts]],
        "last_touch_days": time_days[touch_rows[ends - 1]],
    })


def _grouped_in_time_order(replication: np.ndarray, customer: np.ndarray, time_days: np.ndarray) -> bool:
    """Are the rows grouped by (replication, customer) in increasing order, each customer's in
    time order? (An event log in customer order is: the sort can then be skipped.)"""
    if len(customer) < 2:
        return True
    same_replication = replication[1:] == replication[:-1]
    if np.any(replication[1:] < replication[:-1]) or np.any(same_replication & (customer[1:] < customer[:-1])):
        return False
    same_customer = same_replication & (customer[1:] == customer[:-1])
    return not np.any(same_customer & (time_days[1:] < time_days[:-1]))


def aggregate_paths(customer_paths_table: pd.DataFrame) -> pd.DataFrame:
    """The path table (sorted by path) of a customer table from :func:`customer_paths`."""
    converted = customer_paths_table["converted"].to_numpy(dtype=bool)
    per_customer = pd.DataFrame({
        "path": customer_paths_table["path"].astype("str").array,  # kept as text: no per-row objects
        "total_conversions": converted.astype(float),
        "total_conversion_value": np.where(
            converted, customer_paths_table["conversion_value"].to_numpy(dtype=float), 0.0
        ),
        "total_null": (~converted).astype(float),
    })
    table = per_customer.groupby("path", sort=True).sum().reset_index()
    table["path"] = table["path"].astype("str")
    return table[list(PATH_TABLE_COLUMNS)]


def paths_from_events(events: pd.DataFrame) -> pd.DataFrame:
    """The path table of a simulated event log (see :func:`customer_paths` for the rules)."""
    return aggregate_paths(customer_paths(events))
