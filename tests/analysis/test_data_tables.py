"""The one reader of users' data files: typed columns, renamed columns, and every problem a
DataError naming the file, the line or column and the bad value."""

import pickle

import numpy as np
import pandas as pd
import pytest

from journeysim.analysis.data_tables import ID, NUMBER, TEXT, TIME, error_at, read_table
from journeysim.errors import ConfigError, DataError

TRANSACTIONS = {"customer_id": ID, "date": TIME}


def write(tmp_path, text, name="transactions.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_columns_are_renamed_typed_and_numbered_by_line(tmp_path):
    path = write(tmp_path, "user, day ,amount,channel\n007,2024-01-02,3.5,web\n012,2024-01-05 10:30,,store\n")
    table = read_table(path, required=TRANSACTIONS, optional={"value": NUMBER, "channel": TEXT}, columns={"customer_id": "user", "date": "day", "value": "amount"})
    assert list(table.columns) == ["customer_id", "date", "value", "channel"]
    assert table["customer_id"].tolist() == ["007", "012"]  # ids keep their leading zeros
    assert table["date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-05 10:30")]
    assert table["value"].iloc[0] == 3.5 and np.isnan(table["value"].iloc[1])  # optional: may be empty
    assert table.index.tolist() == [2, 3]  # the header is line 1
    assert table.attrs == {"source": str(path), "where": "line"}


def test_numbers_are_days_and_yyyymmdd_numbers_are_dates(tmp_path):
    days = read_table(write(tmp_path, "customer_id,date\na,0.5\nb,12\n"), required=TRANSACTIONS)
    assert days["date"].dtype == float and days["date"].tolist() == [0.5, 12.0]
    dates = read_table(write(tmp_path, "customer_id,date\na,19970101\nb,19980630\n"), required=TRANSACTIONS)
    assert dates["date"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30")]


def test_parquet_and_frames_are_read_with_rows_numbered_from_one(tmp_path):
    frame = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-03-01 12:00", "2024-03-02 00:30"]).tz_localize("Europe/Paris")})
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet", required=TRANSACTIONS)
    assert table["customer_id"].tolist() == ["1", "2"]
    assert table["date"].tolist() == [pd.Timestamp("2024-03-01 11:00"), pd.Timestamp("2024-03-01 23:30")]  # zoned -> UTC
    assert table.index.tolist() == [1, 2] and table.attrs["where"] == "row"
    with pytest.raises(DataError) as error:
        read_table(frame.assign(customer_id=[1.0, np.nan]), required=TRANSACTIONS, name="my frame")
    assert str(error.value) == "my frame: row 2, column customer_id: is empty; every row needs a value here"


@pytest.mark.parametrize(
    "text, message",
    [
        ("customer_id,date\na,2024-01-02\nb,2024-13-45\n", "line 3, column date: cannot read '2024-13-45' as a date or a number of days"),
        ("customer_id,date,value\na,2024-01-02,3\nb,2024-01-03,-4\n", "line 3, column value: must be a finite number >= 0, got '-4'"),
        ("customer_id,date,value\na,2024-01-02,3\nb,2024-01-03,abc\n", "line 3, column value: cannot read 'abc' as a number"),
        ("customer_id,date,value\na,2024-01-02,inf\n", "line 2, column value: must be a finite number >= 0, got 'inf'"),
        ("customer_id,date\na,2024-01-02\n,2024-01-03\n", "line 3, column customer_id: is empty; every row needs a value here"),
        ("customer_id,date\na,NA\n", "line 2, column date: is empty; every row needs a value here"),
        ("customer_id,date\na,3\nb,yesterday\n", "line 3, column date: cannot read 'yesterday' as a number of days (the column starts with numbers)"),
        ("customer_id,date\na,-3\n", "line 2, column date: times in days must be finite numbers >= 0, got '-3'"),
        ("", "is empty"),
        ("customer_id,date\n", "has a header but no rows"),
    ],
)
def test_each_bad_value_names_the_file_line_column_and_value(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as error:
        read_table(path, required=TRANSACTIONS, optional={"value": NUMBER})
    assert str(error.value) == f"{path}: {message}"
    assert isinstance(error.value, ConfigError)  # the command line exits with status 2


def test_a_missing_column_lists_the_columns_and_suggests_close_ones(tmp_path):
    path = write(tmp_path, "Customer_ID,dates,amount\na,2024-01-02,3\n")
    with pytest.raises(DataError) as error:
        read_table(path, required=TRANSACTIONS, name="transactions.csv")
    assert str(error.value) == (
        "transactions.csv: has no column 'customer_id'; its columns are 'Customer_ID', 'dates', 'amount'; did you mean 'Customer_ID'? "
        "(map a column of yours to it with columns={'customer_id': 'your_name'}, or --column customer_id=your_name)"
    )
    with pytest.raises(DataError, match=r"has no column 'date'; .* did you mean 'dates'\?"):
        read_table(path, required=TRANSACTIONS, columns={"customer_id": "Customer_ID"})
    with pytest.raises(DataError, match=r"has no column 'user_id' \(our 'customer_id'\)"):
        read_table(path, required=TRANSACTIONS, columns={"customer_id": "user_id"})


def test_files_that_cannot_be_read_and_mappings_of_unknown_columns(tmp_path):
    with pytest.raises(DataError, match="missing.csv: no such file"):
        read_table(tmp_path / "missing.csv", required=TRANSACTIONS, name="missing.csv")
    with pytest.raises(DataError, match=r"cannot tell its format from the suffix '\.xlsx': use \.csv or \.parquet"):
        read_table(write(tmp_path, "x", "t.xlsx"), required=TRANSACTIONS)
    with pytest.raises(DataError, match=r"cannot read it as Parquet"):
        read_table(write(tmp_path, "not parquet", "t.parquet"), required=TRANSACTIONS)
    with pytest.raises(DataError, match=r"the column mapping names 'custmer_id', which this table does not use; it uses customer_id, date"):
        read_table(write(tmp_path, "customer_id,date\na,1\n"), required=TRANSACTIONS, columns={"custmer_id": "user"})


def test_later_checks_name_the_line_a_row_came_from(tmp_path):
    path = write(tmp_path, "customer_id,date\na,2024-01-05\na,2024-01-02\n")
    table = read_table(path, required=TRANSACTIONS, name="touches.csv")
    error = error_at(table, table.index[1], "goes back in time", column="date")
    assert str(error) == "touches.csv: line 3, column date: goes back in time"
    copy = pickle.loads(pickle.dumps(error))  # errors cross worker processes intact
    assert type(copy) is DataError and str(copy) == str(error) and copy.line == 3


@pytest.mark.parametrize("scale", [1, 1_000, 1_000_000])
def test_unix_times_in_seconds_milliseconds_or_microseconds_are_times_not_days(scale):
    """GA4 exports event_timestamp as microseconds since 1970: 1777593374 s is
    2026-04-30 23:56:14 UTC whatever the unit it is written in."""
    frame = pd.DataFrame({"c": ["a", "b"], "t": [1777593374 * scale, 1777593400 * scale]})
    table = read_table(frame, required={"c": ID, "t": TIME})
    assert list(table["t"]) == [pd.Timestamp("2026-04-30 23:56:14"), pd.Timestamp("2026-04-30 23:56:40")]


def test_a_number_too_large_for_days_and_too_small_for_unix_time_is_refused():
    frame = pd.DataFrame({"c": ["a", "b"], "t": [5, 300_000_000]})
    with pytest.raises(DataError, match="row 2, column t: cannot read '300000000' as days"):
        read_table(frame, required={"c": ID, "t": TIME})
