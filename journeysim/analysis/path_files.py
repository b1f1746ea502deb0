"""Path tables and touch logs as files: read with one clear, line-numbered error per problem,
written atomically.

The path-table format is ChannelAttribution's (see :mod:`journeysim.analysis.paths`); a touch
log is one row per touch (customer, timestamp, channel, converted, value).
"""

from __future__ import annotations

import csv
import math
import os
import re
from datetime import datetime, timezone
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.paths import (
    FIELD_SEPARATORS,
    MAX_LINE_CHARS,
    PATH_TABLE_COLUMNS,
    TOUCH_LOG_COLUMNS,
    PathDataError,
    canonical_path_texts,
    join_path,
    paths_from_events,
    split_path,
)
from journeysim.outputs import FORMULA_STARTS, replacing, safe_cell

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_TRUE_WORDS = ("1", "true")
_FALSE_WORDS = ("0", "false")


class _LineSource:
    """The physical lines of an open text file, bounded in length, counting line numbers."""

    def __init__(self, handle, file_name: str, max_line_chars: int) -> None:
        self.handle, self.file_name, self.max_line_chars = handle, file_name, max_line_chars
        self.line_number = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            # Bounded read: a runaway line is reported without ever being held whole in memory.
            line = self.handle.readline(self.max_line_chars + 2)
        except UnicodeDecodeError:
            raise PathDataError(f"{self.file_name}: line {self.line_number + 1}: not valid UTF-8 text") from None
        if not line:
            raise StopIteration
        self.line_number += 1
        content = line.rstrip("\r\n")
        if len(content) > self.max_line_chars:
            raise PathDataError(
                f"{self.file_name}: line {self.line_number}: longer than the limit of "
                f"{self.max_line_chars} characters (starts with {content[:40]!r})"
            )
        return line


def _split_header(header: str, separator: str) -> list[str]:
    return [field.strip() for field in next(csv.reader([header], delimiter=separator))]


def _detect_separator(
    header: str, expected: Sequence[str], separator: str | None, where: str
) -> tuple[str, list[str]]:
    """The field separator and column names of a header line; ``where`` is "file: line n"."""
    expected_text = ", ".join(expected)
    candidates = FIELD_SEPARATORS if separator is None else (separator,)
    splits = {candidate: _split_header(header, candidate) for candidate in FIELD_SEPARATORS + tuple(candidates)}
    for candidate in candidates:
        if sorted(splits[candidate]) == sorted(expected):
            return candidate, splits[candidate]
    if separator is not None:
        for other in FIELD_SEPARATORS:
            if other != separator and sorted(splits[other]) == sorted(expected):
                raise PathDataError(
                    f"{where}: header is separated by {other!r}, not by the "
                    f"separator {separator!r} that was asked for"
                )
    best = max(candidates, key=lambda candidate: len(splits[candidate]))
    fields = splits[best]
    if len(fields) == 1:
        raise PathDataError(
            f"{where}: no column separator found in header {header.strip()[:80]!r}; "
            f"expected the columns {expected_text} separated by one of ';', ',' or a tab"
        )
    missing = [column for column in expected if column not in fields]
    unexpected = [column for column in fields if column not in expected]
    duplicated = sorted({column for column in fields if fields.count(column) > 1})
    details = []
    if missing:
        details.append(f"missing column(s) {', '.join(missing)}")
    if unexpected:
        details.append(f"unexpected column(s) {', '.join(repr(column) for column in unexpected)}")
    if duplicated:
        details.append(f"repeated column(s) {', '.join(duplicated)}")
    raise PathDataError(f"{where}: {'; '.join(details)}; expected columns {expected_text}")


def _read_records(
    file_path: str | os.PathLike, expected: Sequence[str], separator: str | None, max_line_chars: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, fields by column) for each data line, header validated first."""
    file_name = str(file_path)
    if separator is not None and separator not in FIELD_SEPARATORS:
        raise PathDataError(f"{file_name}: separator {separator!r} is not one of ';', ',' or a tab")
    with open(file_path, encoding="utf-8-sig", newline="") as handle:
        lines = _LineSource(handle, file_name, max_line_chars)
        header = next((line for line in lines if line.strip()), None)
        if header is None:
            raise PathDataError(f"{file_name}: line 1: the file is empty (expected a header line)")
        separator, columns = _detect_separator(
            header, expected, separator, f"{file_name}: line {lines.line_number}"
        )
        reader = csv.reader(lines, delimiter=separator, strict=True)
        try:
            for fields in reader:
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                if len(fields) != len(columns):
                    shown = separator.join(fields)[:80]
                    others = [other for other in FIELD_SEPARATORS if other != separator and other in shown]
                    raise PathDataError(
                        f"{file_name}: line {lines.line_number}: expected {len(columns)} fields "
                        f"separated by {separator!r}, found {len(fields)} in {shown!r}"
                        + (f" (inconsistent separator: it contains {others[0]!r})" if others else "")
                    )
                yield lines.line_number, dict(zip(columns, fields))
        except csv.Error as problem:
            raise PathDataError(f"{file_name}: line {lines.line_number}: {problem}") from None


def _parse_amount(text: str, column: str, where: str, allow_empty: bool = False) -> float:
    """A finite number >= 0 from a CSV field; nothing is evaluated, only this grammar accepted."""
    text = text.strip()
    if not text and allow_empty:
        return 0.0
    if _NOT_FINITE.fullmatch(text):
        raise PathDataError(f"{where}: column {column!r} must be a finite number, got {text!r}")
    if not _NUMBER.fullmatch(text):
        raise PathDataError(f"{where}: column {column!r} is not a number: {text[:60]!r}")
    number = float(text)
    if not math.isfinite(number):
        raise PathDataError(f"{where}: column {column!r} must be a finite number, got {text!r}")
    if number < 0:
        raise PathDataError(f"{where}: column {column!r} must be >= 0, got the negative value {text!r}")
    return number


def _parse_path(text: str, where: str) -> str:
    try:
        return join_path(split_path(text))
    except ValueError as problem:
        raise PathDataError(f"{where}: column 'path': {problem}") from None


def read_path_table(
    file_path: str | os.PathLike, sep: str | None = None, max_line_chars: int = MAX_LINE_CHARS
) -> pd.DataFrame:
    """Read a path-table CSV (separator ``;``, ``,`` or tab, detected from the header when None).

    Paths are returned in canonical form (channels joined by ``" > "``), counts as floats,
    rows in file order (repeated paths are kept). Raises PathDataError naming the file, the
    line (the header is line 1) and the bad value.
    """
    columns: dict[str, list] = {column: [] for column in PATH_TABLE_COLUMNS}
    for line_number, record in _read_records(file_path, PATH_TABLE_COLUMNS, sep, max_line_chars):
        where = f"{file_path}: line {line_number}"
        columns["path"].append(_parse_path(record["path"], where))
        for column in PATH_TABLE_COLUMNS[1:]:
            columns[column].append(_parse_amount(record[column], column, where))
    return pd.DataFrame({
        "path": pd.array(columns["path"], dtype="str"),
        **{column: np.asarray(columns[column], dtype=float) for column in PATH_TABLE_COLUMNS[1:]},
    })


def write_path_table(path_table: pd.DataFrame, file_path: str | os.PathLike, sep: str = ";") -> None:
    """Write a path table as CSV, atomically: readers never see a half-written file.

    Numbers are written as ChannelAttribution's files write them: whole numbers without a
    decimal point (``3``), others in their shortest exact form (``0.244``), so
    :func:`read_path_table` gives back an identical table for any table in canonical form (as
    read or aggregated here).
    """
    if sep not in FIELD_SEPARATORS:
        raise ValueError(f"sep must be one of ';', ',' or a tab, got {sep!r}")
    texts = canonical_path_texts(path_table)
    formula = np.fromiter((text.startswith(FORMULA_STARTS) for text in texts), dtype=bool, count=len(texts))
    texts[formula] = [safe_cell(text) for text in texts[formula]]
    numbers = [_number_texts(path_table[column].to_numpy(dtype=float)) for column in PATH_TABLE_COLUMNS[1:]]
    with replacing(file_path) as staged, open(staged, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=sep, lineterminator="\n")
        writer.writerow(PATH_TABLE_COLUMNS)
        writer.writerows(zip(texts, *numbers))
        handle.flush()
        os.fsync(handle.fileno())


def _number_texts(values: np.ndarray) -> np.ndarray:
    """``3`` for a whole number (below 2**53, where floats are still exact integers), the
    shortest text that reads back as the same float otherwise (``0.244``, ``1e-17``)."""
    whole = (values == np.round(values)) & (np.abs(values) < 2**53)
    texts = np.empty(len(values), dtype=object)
    texts[whole] = values[whole].astype(np.int64).astype(str)
    texts[~whole] = [repr(float(value)) for value in values[~whole]]
    return texts


def _parse_timestamp(text: str, numeric: bool, where: str) -> float:
    """A timestamp in days: numbers are taken as days already, ISO dates as days since 1970."""
    text = text.strip()
    if numeric:
        if not _NUMBER.fullmatch(text):
            raise PathDataError(f"{where}: column 'timestamp' is not a number like the first timestamp: {text[:60]!r}")
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PathDataError(f"{where}: column 'timestamp' is not an ISO date like the first timestamp: {text[:60]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp() / 86_400.0


def _parse_flag(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise PathDataError(f"{where}: column 'converted' must be 0, 1, true or false, got {text[:60]!r}")


def read_touch_log(
    file_path: str | os.PathLike, sep: str | None = None, max_line_chars: int = MAX_LINE_CHARS
) -> pd.DataFrame:
    """The path table of a raw touch log CSV (customer, timestamp, channel, converted, value).

    Each line is one touch. ``converted`` marks the touch at which the customer converted and
    ``value`` its order value (empty means 0). A customer's path is its touches ordered by
    timestamp (ties keep file order) up to its first converting touch, exactly as
    :func:`journeysim.analysis.paths.customer_paths` treats a purchase. Timestamps are all numbers or all ISO dates.
    """
    customers: list[str] = []
    times: list[float] = []
    channels: list[str] = []
    conversions: list[bool] = []
    values: list[float] = []
    numeric_times: bool | None = None
    for line_number, record in _read_records(file_path, TOUCH_LOG_COLUMNS, sep, max_line_chars):
        where = f"{file_path}: line {line_number}"
        customer = record["customer"].strip()
        if not customer:
            raise PathDataError(f"{where}: column 'customer' is empty")
        channel = record["channel"].strip()
        if not channel or ">" in channel:
            raise PathDataError(f"{where}: column 'channel' must be a non-empty name without '>', got {channel!r}")
        if numeric_times is None:
            numeric_times = bool(_NUMBER.fullmatch(record["timestamp"].strip()))
        times.append(_parse_timestamp(record["timestamp"], numeric_times, where))
        customers.append(customer)
        channels.append(channel)
        conversions.append(_parse_flag(record["converted"], where))
        values.append(_parse_amount(record["value"], "value", where, allow_empty=True))
    converted = np.asarray(conversions, dtype=bool)
    customer_codes = pd.factorize(pd.Series(customers, dtype=object))[0]
    touches = pd.DataFrame({
        "replication": 0, "customer_id": customer_codes, "persona": pd.NA,
        "time_days": times, "channel": channels, "event": "touch", "value": 0.0,
    })
    # A conversion is a purchase event just after the touch that carried it.
    purchases = touches.loc[converted].assign(event="purchase", value=np.asarray(values)[converted])
    events = pd.concat([touches, purchases]).sort_index(kind="stable").reset_index(drop=True)
    return paths_from_events(events)
