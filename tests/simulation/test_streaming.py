"""``simulate_to_parquet`` streams the same run ``simulate`` returns: arrivals (organic and
paid), customers, media spend and KPIs, whatever the chunk size."""

from __future__ import annotations

import pandas as pd
import pytest

import journeysim as js
from journeysim.simulation.engines.vectorised import journey_only
from journeysim.simulation.streaming import simulate_to_parquet


@pytest.fixture(scope="module")
def paid_media_journey():
    """The default scenario's journey (paid search, social and video; loyalty kept) on the
    vectorised engine, small enough to run twice."""
    scenario = js.with_changes(journey_only(js.load_scenario(), keep_loyalty=True), {"arrival_rate_per_day": 40.0})
    assert scenario.budget, "the default scenario spends on paid media"
    return scenario


def test_streamed_run_equals_simulate_with_paid_media(paid_media_journey, tmp_path):
    settings = js.RunSettings(seed=8, horizon_days=30, replications=2, progress=False, engine="vectorised")
    expected = js.simulate(paid_media_journey, settings)
    streamed = simulate_to_parquet(paid_media_journey, settings, tmp_path, chunk_customers=700)

    assert (expected.customers["source"] == "paid").any(), "paid media brings prospects in"
    customers = pd.read_parquet(streamed.customers_path)
    order = ["replication", "customer_id"]
    pd.testing.assert_frame_equal(
        customers.sort_values(order, ignore_index=True), expected.customers.sort_values(order, ignore_index=True)
    )
    events = pd.read_parquet(streamed.events_path)
    events_order = ["replication", "customer_id", "time_days"]
    pd.testing.assert_frame_equal(
        events.sort_values(events_order, kind="stable", ignore_index=True),
        expected.events.sort_values(events_order, kind="stable", ignore_index=True),
    )
    # Media spend enters the KPIs exactly as in simulate's table.
    pd.testing.assert_frame_equal(streamed.metrics, expected.metrics())
    assert streamed.metrics.set_index("persona").loc["all", "media_spend"] == pytest.approx(
        settings.replications * expected.spend["spend"].sum()
    )
    assert expected.spend["spend"].sum() > 0
