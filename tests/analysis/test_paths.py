"""Path tables: building them from event and touch logs, and reading/writing their files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from journeysim.analysis.path_files import (
    read_path_table,
    read_touch_log,
    write_path_table,
)
from journeysim.analysis.paths import (
    CUSTOMER_PATH_COLUMNS,
    PATH_TABLE_COLUMNS,
    PathDataError,
    aggregate_paths,
    customer_paths,
    join_path,
    paths_from_events,
    split_path,
    validate_path_table,
)

REFERENCE_NAME = "channelattribution_paths.csv"
HEADER = "path;total_conversions;total_conversion_value;total_null\n"


def reference_file_location() -> Path | None:
    candidates = [Path(__file__).resolve().parents[3] / "shared/reference" / REFERENCE_NAME]
    if os.environ.get("JOURNEYSIM_REFERENCE_DIR"):
        candidates.insert(0, Path(os.environ["JOURNEYSIM_REFERENCE_DIR"]) / REFERENCE_NAME)
    return next((candidate for candidate in candidates if candidate.is_file()), None)


@pytest.fixture(scope="session")
def reference_paths_file(tmp_path_factory) -> Path:
    """The ChannelAttribution example file (GPL: read in place), or a stand-in of the same shape."""
    location = reference_file_location()
    if location is not None:
        return location
    rng = np.random.default_rng(20240601)
    channels = np.array(["alpha", "beta", "eta", "iota", "theta", "lambda"])
    lines = [HEADER]
    for _ in range(10_000):
        path = " > ".join(channels[rng.integers(0, len(channels), rng.integers(1, 8))])
        conversions = int(rng.integers(0, 4))
        value = round(conversions * rng.random() * 5, 3)
        shown = str(int(value)) if value == int(value) else repr(value)  # whole numbers without ".0", as ChannelAttribution
        lines.append(f"{path};{conversions};{shown};{int(rng.integers(0, 9))}\n")
    stand_in = tmp_path_factory.mktemp("reference") / REFERENCE_NAME
    stand_in.write_text("".join(lines), encoding="utf-8")
    return stand_in


# ---------------------------------------------------------------- paths as channel sequences


def test_split_and_join_path_normalise_spacing_and_reject_empty_channels():
    assert split_path("a>b >  c") == ("a", "b", "c")
    assert join_path(split_path(" a>b ")) == "a > b"
    for bad in ("", "   ", "a >  > b", "a > ", "> a"):
        with pytest.raises(ValueError):
            split_path(bad)


def test_validate_path_table_names_the_row_and_value():
    table = pd.DataFrame({"path": ["a", "b"], "total_conversions": [1.0, -2.0],
                          "total_conversion_value": [0.0, 0.0], "total_null": [0.0, 0.0]})
    with pytest.raises(PathDataError, match=r"row 2: column 'total_conversions'.*-2"):
        validate_path_table(table)
    with pytest.raises(PathDataError, match="missing column.*total_null"):
        validate_path_table(table.drop(columns="total_null"))


# ---------------------------------------------------------------- paths from the event log


def tiny_event_log() -> pd.DataFrame:
    rows = [
        # replication, customer, persona, time, channel, event, value
        (0, 1, "young", 0.0, None, "arrival", 0.0),
        (0, 2, "older", 0.2, None, "arrival", 0.0),
        (0, 2, "older", 0.5, "social", "touch", 0.0),
        (0, 1, "young", 1.0, "search", "touch", 0.0),
        (0, 3, "older", 1.5, None, "arrival", 0.0),  # never touches: excluded
        (0, 1, "young", 2.0, "social", "touch", 0.0),
        (0, 1, "young", 2.0, None, "purchase", 30.0),
        (0, 2, "older", 3.0, "social", "touch", 0.0),
        (0, 4, "young", 3.5, None, "arrival", 0.0),
        (0, 4, "young", 3.6, None, "purchase", 8.0),  # buys without a touch: excluded
        (0, 1, "young", 4.0, None, "referral", 0.0),  # unknown event kind: ignored
        (0, 1, "young", 5.0, "email", "touch", 0.0),  # after the purchase: not in the path
        (0, 1, "young", 6.0, None, "purchase", 99.0),  # repeat purchase: not the conversion value
        (1, 1, "older", 0.0, None, "arrival", 0.0),  # same id, other replication: other customer
        (1, 1, "older", 0.1, "email", "touch", 0.0),
        (1, 1, "older", 0.2, None, "purchase", 12.5),
    ]
    frame = pd.DataFrame(rows, columns=["replication", "customer_id", "persona", "time_days", "channel", "event", "value"])
    return frame.assign(
        persona=pd.Categorical(frame["persona"], categories=["young", "older"]),
        stage=pd.Categorical(["awareness"] * len(frame)),
        channel=pd.Categorical(frame["channel"], categories=["search", "social", "email", "store"]),
        event=pd.Categorical(frame["event"], categories=["arrival", "touch", "purchase", "referral"]),
        outcome=pd.Categorical(["advance"] * len(frame)),
        emotion=np.zeros(len(frame), dtype=np.float32),
        value=frame["value"].astype(np.float32),
        cost=np.zeros(len(frame), dtype=np.float32),
    )


def test_customer_paths_on_a_hand_built_event_log():
    customers = customer_paths(tiny_event_log())
    expected = pd.DataFrame({
        "replication": [0, 0, 1],
        "customer_id": [1, 2, 1],
        "persona": pd.Categorical(["young", "older", "older"], categories=["young", "older"]),
        "path": pd.array(["search > social", "social > social", "email"], dtype="str"),
        "converted": [True, False, True],
        "conversion_value": [30.0, 0.0, 12.5],
        "n_touches": np.array([2, 2, 1], dtype=np.int64),
        "first_touch_days": [1.0, 0.5, 0.1],
        "last_touch_days": [2.0, 3.0, 0.1],
    })
    assert_frame_equal(customers, expected, check_exact=False, rtol=1e-6)


def test_paths_from_events_aggregates_customers_by_path():
    expected = pd.DataFrame({
        "path": pd.array(["email", "search > social", "social > social"], dtype="str"),
        "total_conversions": [1.0, 1.0, 0.0],
        "total_conversion_value": [12.5, 30.0, 0.0],
        "total_null": [0.0, 0.0, 1.0],
    })
    assert_frame_equal(paths_from_events(tiny_event_log()), expected)


def test_an_event_log_without_touches_gives_empty_tables_with_the_right_columns():
    events = tiny_event_log()
    customers = customer_paths(events[events["event"] != "touch"])
    assert len(customers) == 0 and list(customers.columns) == list(CUSTOMER_PATH_COLUMNS)
    table = paths_from_events(events.iloc[:0])
    assert len(table) == 0 and list(table.columns) == list(PATH_TABLE_COLUMNS)


def naive_customer_paths(events: pd.DataFrame) -> dict[tuple[int, int], tuple[str, bool, float]]:
    """The path rules written as a plain loop over customers, to check the vectorised code."""
    result = {}
    for key, rows in events.groupby(["replication", "customer_id"], sort=False):
        rows = rows.sort_values("time_days", kind="stable")
        purchases = rows[rows["event"] == "purchase"]
        cutoff = purchases["time_days"].iloc[0] if len(purchases) else np.inf
        touches = rows[(rows["event"] == "touch") & (rows["time_days"] <= cutoff)]
        if len(touches):
            value = float(purchases["value"].iloc[0]) if len(purchases) else 0.0
            result[key] = (" > ".join(touches["channel"].astype(str)), bool(len(purchases)), value)
    return result


def test_customer_paths_agrees_with_a_plain_loop_on_a_random_interleaved_log():
    rng = np.random.default_rng(11)
    n_events = 3000
    events = pd.DataFrame({
        "replication": rng.integers(0, 3, n_events),
        "customer_id": rng.integers(0, 150, n_events),
        "persona": pd.Categorical(rng.choice(["p", "q"], n_events)),
        "time_days": np.round(rng.random(n_events) * 50, 1),  # ties on purpose
        "event": pd.Categorical(rng.choice(["arrival", "touch", "touch", "touch", "purchase"], n_events)),
        "value": rng.random(n_events).astype(np.float32) * 100,
    })
    events["channel"] = pd.Categorical(np.where(events["event"] == "touch", rng.choice(["a", "b", "c"], n_events), None))
    events = events.sort_values("time_days", kind="stable", ignore_index=True)
    customers = customer_paths(events)
    expected = naive_customer_paths(events)
    assert len(customers) == len(expected) > 100
    for row in customers.itertuples():
        path, converted, value = expected[(row.replication, row.customer_id)]
        assert (row.path, row.converted) == (path, converted)
        assert row.conversion_value == pytest.approx(value)
        assert row.n_touches == len(path.split(" > "))


def test_aggregate_paths_counts_conversions_value_and_nulls():
    customers = pd.DataFrame({
        "path": ["b", "a > b", "b", "b"],
        "converted": [True, False, True, False],
        "conversion_value": [2.0, 0.0, 3.0, 0.0],
    })
    table = aggregate_paths(customers)
    assert table["path"].tolist() == ["a > b", "b"]
    assert table[list(PATH_TABLE_COLUMNS[1:])].to_numpy().tolist() == [[0.0, 0.0, 1.0], [2.0, 5.0, 1.0]]


# ---------------------------------------------------------------- reading and writing files


def test_reference_file_reads_all_rows(reference_paths_file):
    table = read_path_table(reference_paths_file)
    assert len(table) == 10_000
    assert list(table.columns) == list(PATH_TABLE_COLUMNS)
    assert all(table[column].dtype == np.float64 for column in PATH_TABLE_COLUMNS[1:])
    assert (table[list(PATH_TABLE_COLUMNS[1:])] >= 0).all().all()
    first_line = reference_paths_file.read_text(encoding="utf-8").splitlines()[1].split(";")
    assert table["path"].iloc[0] == first_line[0]
    assert table.iloc[0, 1:].tolist() == [float(field) for field in first_line[1:]]


def test_write_then_read_is_identical(reference_paths_file, tmp_path):
    table = read_path_table(reference_paths_file)
    target = tmp_path / "paths.csv"
    write_path_table(table, target)
    assert_frame_equal(read_path_table(target), table)
    assert os.listdir(tmp_path) == ["paths.csv"]  # no temporary file left behind


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_round_trip_with_every_separator_and_awkward_names(tmp_path, separator):
    table = pd.DataFrame({
        "path": pd.array(["shop; online > tv, radio", "a \"quoted\" > b", "c"], dtype="str"),
        "total_conversions": [1.0, 0.0, 2.5],
        "total_conversion_value": [0.1 + 0.2, 0.0, 1e-17],
        "total_null": [3.0, 1.0, 0.0],
    })
    target = tmp_path / "paths.csv"
    target.write_text("old content", encoding="utf-8")
    write_path_table(table, target, sep=separator)
    assert target.read_text(encoding="utf-8").startswith(separator.join(PATH_TABLE_COLUMNS))
    assert_frame_equal(read_path_table(target), table)
    assert_frame_equal(read_path_table(target, sep=separator), table)


def write_lines(tmp_path: Path, *lines: str, name: str = "paths.csv") -> Path:
    target = tmp_path / name
    target.write_text("".join(lines), encoding="utf-8")
    return target


MALFORMED_FILES = {
    "bad separator": ((HEADER.replace(";", "|"), "a|1|2|3\n"), r"line 1: no column separator"),
    "inconsistent separator": ((HEADER, "a;1;2;3\n", "b,1,2,3\n"), r"line 3: expected 4 fields .* found 1 .*inconsistent separator"),
    "negative count": ((HEADER, "a;1;2;3\n", "b;1;2;-1\n"), r"line 3: column 'total_null' must be >= 0.*'-1'"),
    "empty path": ((HEADER, ";1;2;3\n"), r"line 2: column 'path': empty path"),
    "non-numeric value": ((HEADER, "a;1;2;3\n", "b;1;2;3\n", "c;__import__('os');2;3\n"), r"line 4: column 'total_conversions' is not a number: \"__import__\('os'\)\""),
    "not finite": ((HEADER, "a;1;inf;3\n"), r"line 2: column 'total_conversion_value' must be a finite number, got 'inf'"),
    "nan": ((HEADER, "a;nan;1;3\n"), r"line 2: column 'total_conversions' must be a finite number, got 'nan'"),
    "huge line": ((HEADER, "a;1;2;3\n", "x" * 100_001 + ";1;2;3\n"), r"line 3: longer than the limit of 100000 characters"),
    "missing column": (("path;total_conversions;total_conversion_value\n", "a;1;2\n"), r"line 1: missing column\(s\) total_null; expected columns path, total_conversions, total_conversion_value, total_null"),
    "unexpected column": ((HEADER.rstrip("\n") + ";cost\n",), r"line 1: unexpected column\(s\) 'cost'"),
    "empty file": (("",), r"line 1: the file is empty"),
    "blank file": (("\n  \n",), r"the file is empty"),
    "empty channel": ((HEADER, "a;1;2;3\n", "a >  > b;1;2;3\n"), r"line 3: column 'path': empty channel name in path 'a >  > b'"),
    "blank lines still counted": ((HEADER, "\n", "a;1;2;3\n", "\n", "b;x;2;3\n"), r"line 5: column 'total_conversions' is not a number"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_FILES))
def test_malformed_file_gives_one_clear_message(tmp_path, case):
    lines, message = MALFORMED_FILES[case]
    target = write_lines(tmp_path, *lines)
    with pytest.raises(PathDataError, match=message) as caught:
        read_path_table(target)
    assert str(caught.value).startswith(f"{target}: ")
    # No chained traceback: neither a cause nor an unsuppressed context from a parser error.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_the_header_must_use_the_separator_asked_for(tmp_path):
    target = write_lines(tmp_path, HEADER, "a;1;2;3\n")
    with pytest.raises(PathDataError, match=r"line 1: header is separated by ';', not by the separator ','"):
        read_path_table(target, sep=",")


def test_line_limit_is_configurable(tmp_path):
    target = write_lines(tmp_path, HEADER, "a" * 60 + ";1;2;3\n", "a" * 61 + ";1;2;3\n")
    assert len(read_path_table(target, max_line_chars=67)) == 2
    with pytest.raises(PathDataError, match="line 3: longer than the limit of 66"):
        read_path_table(target, max_line_chars=66)


def test_header_only_file_is_an_empty_table(tmp_path):
    table = read_path_table(write_lines(tmp_path, HEADER))
    assert list(table.columns) == list(PATH_TABLE_COLUMNS) and len(table) == 0


def test_write_refuses_invalid_tables_and_leaves_the_target_untouched(tmp_path):
    target = write_lines(tmp_path, "keep me")
    bad = pd.DataFrame({"path": ["a >  > b"], "total_conversions": [1.0],
                        "total_conversion_value": [0.0], "total_null": [0.0]})
    with pytest.raises(PathDataError, match="empty channel"):
        write_path_table(bad, target)
    assert target.read_text(encoding="utf-8") == "keep me"
    assert os.listdir(tmp_path) == ["paths.csv"]


# ---------------------------------------------------------------- touch logs


def test_touch_log_with_iso_dates_orders_touches_and_stops_at_conversion(tmp_path):
    target = write_lines(
        tmp_path,
        "customer,timestamp,channel,converted,value\n",
        "u1,2024-03-02T10:00:00,search,0,\n",
        "u2,2024-03-01,social,false,0\n",
        "u1,2024-03-01T09:00:00,social,0,\n",  # earlier than the line above: comes first
        "u1,2024-03-03,store,1,40.5\n",
        "u1,2024-03-04,email,0,\n",  # after the conversion: dropped
        "u2,2024-03-05,email,FALSE,\n",
        "u3,2024-03-02,email,True,12\n",
        name="touches.csv",
    )
    expected = pd.DataFrame({
        "path": pd.array(["email", "social > email", "social > search > store"], dtype="str"),
        "total_conversions": [1.0, 0.0, 1.0],
        "total_conversion_value": [12.0, 0.0, 40.5],
        "total_null": [0.0, 1.0, 0.0],
    })
    assert_frame_equal(read_touch_log(target), expected)


def test_touch_log_with_numeric_timestamps(tmp_path):
    target = write_lines(
        tmp_path, "customer;channel;timestamp;converted;value\n",
        "7;b;2.5;0;0\n", "7;a;1;0;0\n", "8;a;1e1;1;3\n",
        name="touches.csv",
    )
    table = read_touch_log(target)
    assert table["path"].tolist() == ["a", "a > b"]
    assert table["total_conversions"].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("line, message", [
    ("u2,2024-01-01,search,maybe,0\n", r"line 3: column 'converted' must be 0, 1, true or false, got 'maybe'"),
    ("u2,5,search,0,0\n", r"line 3: column 'timestamp' is not an ISO date like the first timestamp: '5'"),
    ("u2,2024-01-01,a > b,0,0\n", r"line 3: column 'channel' must be a non-empty name without '>'"),
    ("u2,2024-01-01,search,1,-3\n", r"line 3: column 'value' must be >= 0"),
])
def test_touch_log_errors_name_the_line(tmp_path, line, message):
    target = write_lines(tmp_path, "customer,timestamp,channel,converted,value\n", "u1,2024-01-01,search,0,0\n", line, name="touches.csv")
    with pytest.raises(PathDataError, match=message):
        read_touch_log(target)
