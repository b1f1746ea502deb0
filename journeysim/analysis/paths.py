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
    channel_lists = []
    for row_number, path in enumerate(path_table["path"], start=1):
        try:
            channel_lists.append(split_path(path))
        except ValueError as problem:
            raise PathDataError(f"{source}: row {row_number}: {problem}") from None
    return channel_lists


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
    pieces = channel_names.copy()
    not_first = np.ones(len(pieces), dtype=bool)
    not_first[starts] = False
    pieces[not_first] = CHANNEL_SEPARATOR + pieces[not_first]
    # Concatenating object arrays of str per segment builds every path in one C-level pass.
    paths = np.add.reduceat(pieces, starts) if len(starts) else np.zeros(0, dtype=object)

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


def aggregate_paths(customer_paths_table: pd.DataFrame) -> pd.DataFrame:
    """The path table (sorted by path) of a customer table from :func:`customer_paths`."""
    converted = customer_paths_table["converted"].to_numpy(dtype=bool)
    per_customer = pd.DataFrame({
        "path": customer_paths_table["path"].astype("str").to_numpy(),
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
