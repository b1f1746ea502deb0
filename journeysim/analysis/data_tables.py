"""The one reader of users' data files (touch logs, transactions, spend panels).

:func:`read_table` takes a CSV or Parquet file (by suffix) or a DataFrame, renames the
user's columns to ours, checks the columns a fit needs are there and parses each by its kind:

- ``ID``: an identifier, kept as text (``00042`` stays ``00042``);
- ``TIME``: dates and times (parsed by pandas, time zones converted to UTC) or numbers
  meaning days; whole numbers written ``yyyymmdd`` (``19970101``) are read as dates, and
  whole numbers above 1e9, 1e11 or 1e14 as Unix time in seconds, milliseconds or
  microseconds (GA4's ``event_timestamp``);
- ``NUMBER``: a finite number >= 0;
- ``TEXT``: text.

Every problem is a :class:`~journeysim.errors.DataError` naming the file, the line (1-based,
the header is line 1; Parquet files and frames number rows from 1) or the column, and the bad
value. Required columns may not have empty cells (nor ``NA``, ``NaN``, ``null``...);
optional ones may (a purchase's ``value`` in a touch log). The returned frame has our column
names, in the order asked, and its index is the line (or row) each row came from, so later
checks can name it (:func:`error_at`).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from journeysim.errors import DataError

ID, TIME, NUMBER, TEXT = "id", "time", "number", "text"
KINDS = (ID, TIME, NUMBER, TEXT)
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")
PARQUET_SUFFIXES = (".parquet", ".pq")
# Cells that mean "no value" (besides empty ones), as spreadsheets, R and databases write them.
MISSING_MARKERS = frozenset({"NA", "N/A", "NaN", "nan", "null", "NULL", "None"})


def read_table(
    source: str | Path | pd.DataFrame,
    *,
    required: Mapping[str, str],
    optional: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """A checked, typed table from a CSV or Parquet file or a DataFrame.

    ``required`` and ``optional`` map our column names to their kinds (``ID``, ``TIME``,
    ``NUMBER``, ``TEXT``); ``columns`` maps our names to the user's (``{"customer_id":
    "user_pseudo_id"}``); ``name`` is what messages call the source (default: the file's
    path, or ``data`` for a frame). Raises DataError on any problem."""
    optional = dict(optional or {})
    columns = dict(columns or {})
    kinds = {**dict(required), **optional}
    for column, kind in kinds.items():
        if kind not in KINDS:
            raise ValueError(f"column {column!r}: unknown kind {kind!r}; kinds are {', '.join(KINDS)}")
    label = name or (str(source) if not isinstance(source, pd.DataFrame) else "data")
    raw, where = _load(source, label)
    unknown = sorted(set(columns) - set(kinds))
    if unknown:
        raise DataError(label, f"the column mapping names {', '.join(map(repr, unknown))}, which this table does not use; it uses {', '.join(kinds)}")
    raw = raw.rename(columns=lambda c: str(c).strip())
    for ours in required:
        theirs = columns.get(ours, ours)
        if theirs not in raw.columns:
            raise DataError(label, _missing_column_message(ours, theirs, list(raw.columns)))
    if len(raw) == 0:
        raise DataError(label, "has a header but no rows")
    table = pd.DataFrame(index=_line_numbers(len(raw), where))
    for ours, kind in kinds.items():
        theirs = columns.get(ours, ours)
        if theirs in raw.columns:
            values = raw[theirs].set_axis(table.index)
            table[ours] = _parse(values, kind, required=ours in required, file=label, column=theirs, where=where)
    table.attrs.update(source=label, where=where)
    return table


def error_at(table: pd.DataFrame, label: object, message: str, column: str | None = None) -> DataError:
    """A DataError at row ``label`` of a table from :func:`read_table` (its line or row)."""
    return DataError(table.attrs.get("source", "data"), message, line=int(label), column=column, where=table.attrs.get("where", "row"))


def _load(source: str | Path | pd.DataFrame, label: str) -> tuple[pd.DataFrame, str]:
    """The raw frame and how its rows are numbered (``line`` for CSV, ``row`` otherwise).
    A CSV is read as text, so ids keep their leading zeros and each kind parses its own."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True), "row"
    path = Path(source)
    if not path.is_file():
        raise DataError(label, "no such file")
    if path.name.lower().endswith(PARQUET_SUFFIXES):
        try:
            frame = pd.read_parquet(path)
        except Exception as error:  # pyarrow raises several types for a damaged file
            raise DataError(label, f"cannot read it as Parquet ({error})") from None
        if frame.columns.size == 0:
            raise DataError(label, "is empty (no columns)")
        return frame, "row"
    if not path.name.lower().endswith(CSV_SUFFIXES):
        raise DataError(label, f"cannot tell its format from the suffix {path.suffix!r}: use .csv or .parquet")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(label, "is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(label, f"cannot read it as CSV ({error})") from None
    return frame, "line"


def _line_numbers(rows: int, where: str) -> pd.Index:
    first = 2 if where == "line" else 1  # the header is line 1
    return pd.RangeIndex(first, first + rows, name=where)


def _missing_column_message(ours: str, theirs: str, present: list[str]) -> str:
    message = f"has no column {theirs!r}" + (f" (our {ours!r})" if theirs != ours else "")
    close = [c for c in present if c.lower() == theirs.lower()] or difflib.get_close_matches(theirs, present, n=3, cutoff=0.5)
    message += f"; its columns are {', '.join(map(repr, present)) or 'none'}"
    if close:
        message += f"; did you mean {' or '.join(map(repr, close))}?"
    return message + f" (map a column of yours to it with columns={{{ours!r}: 'your_name'}}, or --column {ours}=your_name)"


def _parse(values: pd.Series, kind: str, *, required: bool, file: str, column: str, where: str) -> pd.Series:
    missing = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype(str).str.strip()
        missing |= (text == "") | text.isin(MISSING_MARKERS)
    if required and missing.any():
        raise DataError(file, "is empty; every row needs a value here", line=int(missing.idxmax()), column=column, where=where)
    if kind in (ID, TEXT):
        if pd.api.types.is_float_dtype(values) and bool((values.dropna() == values.dropna().round()).all()):
            values = values.astype("Int64")  # ids read as floats (a column with gaps): 42.0 -> 42
        return values.astype(str).str.strip().where(~missing)
    if kind == NUMBER:
        return _numbers(values, missing, file=file, column=column, where=where)
    return _times(values, missing, file=file, column=column, where=where)


def _numbers(values: pd.Series, missing: pd.Series, *, file: str, column: str, where: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = numbers.isna() & ~missing
    if bad.any():
        line = int(bad.idxmax())
        raise DataError(file, f"cannot read {values[line]!r} as a number", line=line, column=column, where=where)
    wrong = ~np.isfinite(numbers) & ~missing | (numbers < 0)
    if wrong.any():
        line = int(wrong.idxmax())
        raise DataError(file, f"must be a finite number >= 0, got {values[line]!r}", line=line, column=column, where=where)
    return numbers


def _times(values: pd.Series, missing: pd.Series, *, file: str, column: str, where: str) -> pd.Series:
    """Datetimes (naive, UTC for zoned ones) or float days; ``yyyymmdd`` whole numbers are dates."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return _naive(values)
    if not _first_is_number(values, missing):
        return _dates(values, missing, None, file=file, column=column, where=where)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & ~missing
    if bad.any():
        line = int(bad.idxmax())
        raise DataError(file, f"cannot read {values[line]!r} as a number of days (the column starts with numbers)", line=line, column=column, where=where)
    present = numbers[~missing]
    if _looks_like_yyyymmdd(present):
        return _dates(values.where(missing, numbers.astype("Int64").astype(str)), missing, "%Y%m%d", file=file, column=column, where=where)
    wrong = ~np.isfinite(present.astype(float)) | (present < 0)
    if wrong.any():
        line = int(wrong.idxmax())
        raise DataError(file, f"times in days must be finite numbers >= 0, got {values[line]!r}", line=line, column=column, where=where)
    try:
        unit = _epoch_unit(present)
    except ValueError:
        line = int(present.idxmax())
        raise DataError(file, f"cannot read '{values[line]}' as days (that is over 270,000 years) nor, beside {present.min():.0f}, "
                        "as Unix time in seconds, milliseconds or microseconds", line=line, column=column, where=where) from None
    if unit is not None:  # Unix time (GA4's event_timestamp is microseconds), not days
        return pd.to_datetime(numbers.where(~missing).round(), unit=unit)
    return numbers.astype(float)


# Unix times of the years 2001-2286 in seconds, milliseconds or microseconds start above
# these; a count of days never does (1e8 days are 270,000 years).
EPOCH_UNITS = ((1e14, "us"), (1e11, "ms"), (1e9, "s"))


def _epoch_unit(numbers: pd.Series) -> str | None:
    """``us``, ``ms`` or ``s`` when whole numbers are Unix times (all above 1e9, 1e11 or 1e14),
    else None (days)."""
    values = numbers.to_numpy(dtype=float)
    if values.size == 0 or not np.all(values == np.round(values)):
        return None
    for floor, unit in EPOCH_UNITS:
        if values.min() >= floor:
            return unit
    if values.max() >= 1e8:
        raise ValueError  # handled by the caller's message
    return None


def _first_is_number(values: pd.Series, missing: pd.Series) -> bool:
    """Whether the column holds numbers (days) rather than dates, judged by its first value."""
    if pd.api.types.is_numeric_dtype(values) or missing.all():
        return True
    try:
        float(values[~missing].iloc[0])
    except (TypeError, ValueError):
        return False
    return True


def _looks_like_yyyymmdd(numbers: pd.Series) -> bool:
    values = numbers.to_numpy(dtype=float)
    return values.size > 0 and bool(np.all((values == np.round(values)) & (values >= 1900_01_01) & (values <= 2200_12_31)))


def _dates(values: pd.Series, missing: pd.Series, format: str | None, *, file: str, column: str, where: str) -> pd.Series:
    text = values.astype(str).str.strip().where(~missing)
    parsed = pd.to_datetime(text, errors="coerce", format=format, utc=True)
    bad = parsed.isna() & ~missing
    if bad.any() and format is None:  # the format pandas inferred from the first value does not fit all
        parsed[bad] = pd.to_datetime(text[bad], errors="coerce", format="mixed", utc=True)
        bad = parsed.isna() & ~missing
    if bad.any():
        line = int(bad.idxmax())
        raise DataError(file, f"cannot read {values[line]!r} as a date or a number of days", line=line, column=column, where=where)
    return _naive(parsed)


def _naive(values: pd.Series) -> pd.Series:
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values
