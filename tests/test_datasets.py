"""The data shipped with journeysim load as documented tidy frames."""

import pandas as pd

from journeysim.datasets import load_cdnow_sample


def test_cdnow_sample_is_the_published_file():
    """Fader, Hardie & Lee's (2005) CDNOW sample: 2,357 customers who first bought in the first
    quarter of 1997, followed to the end of June 1998 (6,919 records)."""
    data = load_cdnow_sample()
    assert list(data.columns) == ["customer_id", "date", "quantity", "value"]
    assert len(data) == 6919 and data["customer_id"].nunique() == 2357
    assert pd.api.types.is_string_dtype(data["customer_id"]) and pd.api.types.is_datetime64_any_dtype(data["date"])
    assert data["quantity"].dtype == "int64" and data["value"].dtype == "float64"
    assert sorted(data["customer_id"].astype(int).unique()) == list(range(1, 2358))
    assert data["date"].min() == pd.Timestamp("1997-01-01") and data["date"].max() == pd.Timestamp("1998-06-30")
    assert data.groupby("customer_id")["date"].min().max() == pd.Timestamp("1997-03-25")  # the cohort: first quarter
    # The first records, as in the file: customer 1 (00004 in the master file) bought 4 times.
    assert data.head(4).to_dict("list") == {
        "customer_id": ["1"] * 4,
        "date": list(pd.to_datetime(["1997-01-01", "1997-01-18", "1997-08-02", "1997-12-12"])),
        "quantity": [2, 2, 1, 2],
        "value": [29.33, 29.73, 14.96, 26.48],
    }
    # Totals of the file's last two columns (a check that every record was read, as written).
    assert data["quantity"].sum() == 16479 and round(data["value"].sum(), 2) == 244091.94
    assert (data["value"] == 0).sum() == 8


def test_the_example_touch_log_is_what_its_scenario_and_seed_make():
    import journeysim as js
    from journeysim.datasets import example_touch_log_truth, load_example_touch_log
    from journeysim.studies.calibration import simulated_touch_log

    log, truth = load_example_touch_log(), example_touch_log_truth()
    assert list(log.columns) == ["customer_id", "timestamp", "channel", "stage", "persona", "event", "value", "reason"]
    assert len(log) == 20571 and pd.api.types.is_datetime64_any_dtype(log["timestamp"])
    assert set(log["event"]) == {"touch", "purchase"} and log.loc[log["event"] == "purchase", "value"].gt(0).all()
    assert set(log["reason"]) == {"", "friction"} and log["timestamp"].is_monotonic_increasing
    again = simulated_touch_log(js.scenario_from_dict(truth["scenario"]), seed=truth["seed"], horizon_days=truth["horizon_days"], start=truth["start"])
    again["timestamp"] = pd.to_datetime(again["timestamp"], format="%Y-%m-%d %H:%M:%S.%f")
    pd.testing.assert_frame_equal(log, again.reset_index(drop=True), check_dtype=False)
