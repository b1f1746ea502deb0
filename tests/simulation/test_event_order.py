"""The two orders of the event log (by customer, the default; by time, ``run.sort_by_time``)
hold the same rows, and every shipped analysis of an event log gives the same answers on
either: nothing downstream may rely on the rows coming in time order.

One small SimPy run of the default scenario (capacity queues, staff, loyalty, advocacy,
paid media) with surveys, in both orders. Integer, boolean and text results must be equal
exactly; floats too, up to the round-off of sums taken in another order (rtol 1e-9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis import metrics as m
from journeysim.analysis.attribution import attribute_all
from journeysim.analysis.blueprint import blueprint_table
from journeysim.analysis.channels import channel_table, customer_channels
from journeysim.analysis.event_logs import event_log_table
from journeysim.analysis.experience import running_satisfaction
from journeysim.analysis.fit_touches import fit_touch_log
from journeysim.analysis.journey_maps import (
    day_in_the_life,
    journey_map_table,
    stage_emotion,
)
from journeysim.analysis.media_panel import panel_parts
from journeysim.analysis.paths import customer_paths, paths_from_events
from journeysim.analysis.queues import queue_table
from journeysim.analysis.sessions import session_counts, web_sessions
from journeysim.simulation.observation import observe
from journeysim.simulation.tables import concat_tables, customer_order
from journeysim.studies.calibration import events_as_touch_log, journey_measures
from journeysim.studies.tallies import Tallies, experiences_table

SURVEYS = {"after": ["purchase", "repeat_purchase", "service", "churn", "friction_loss"], "noise": 0.4}
RUN = dict(seed=3, horizon_days=45, replications=2, progress=False, engine="simpy")


@pytest.fixture(scope="module")
def runs() -> tuple[js.Scenario, js.SimulationResult, js.SimulationResult]:
    scenario = js.load_scenario(changes={"arrival_rate_per_day": 40.0, "surveys": SURVEYS})
    by_customer = js.simulate(scenario, **RUN)
    by_time = js.simulate(scenario, **RUN, sort_by_time=True)
    return scenario, by_customer, by_time


def canonical(events: pd.DataFrame) -> pd.DataFrame:
    """The rows by replication, customer and time, ties in their given order (stable)."""
    order = np.lexsort((events["time_days"].to_numpy(), events["customer_id"].to_numpy(), events["replication"].to_numpy()))
    return events.iloc[order].reset_index(drop=True)


def assert_same_answer(a, b, name: str) -> None:
    """Equal tables (Series, arrays): floats to round-off, everything else exactly."""
    if isinstance(a, np.ndarray):
        a, b = pd.Series(a), pd.Series(b)
    if isinstance(a, pd.Series):
        a, b = a.to_frame(), b.to_frame()
    assert isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame), name
    floats = a.select_dtypes("floating").columns
    pd.testing.assert_frame_equal(a.drop(columns=floats), b.drop(columns=floats), check_exact=True, obj=name)
    pd.testing.assert_frame_equal(a[floats], b[floats], check_exact=False, rtol=1e-9, atol=0.0, obj=name)


def test_the_two_orders_hold_the_same_rows(runs):
    _, by_customer, by_time = runs
    a, b = by_customer.events, by_time.events
    assert a["event"].isin(["renege", "repeat_purchase", "churn", "referral"]).sum() > 20  # a rich log
    assert not a["customer_id"].equals(b["customer_id"])  # really two orders
    for _, rows in a.groupby("replication", observed=True):  # each replication's rows in customer order already
        assert customer_order(rows["customer_id"].to_numpy(), rows["time_days"].to_numpy()) is None
    pd.testing.assert_frame_equal(canonical(a), canonical(b), check_exact=True)
    assert list(a.dtypes) == list(b.dtypes)
    for name in ("customers", "queues", "surveys"):
        pd.testing.assert_frame_equal(getattr(by_customer, name), getattr(by_time, name), check_exact=True, obj=name)
    assert by_customer.metadata["sort_by_time"] is False and by_time.metadata["sort_by_time"] is True


def analyses(scenario: js.Scenario, result: js.SimulationResult) -> dict[str, object]:
    """Every shipped analysis that reads an event log, on ``result``'s."""
    events, customers, horizon, replications = result.events, result.customers, RUN["horizon_days"], RUN["replications"]
    paths = paths_from_events(events)
    log = events_as_touch_log(events)
    tallies = Tallies(details=True, channels=True)
    tallies.add_run(result, scenario)
    observed = observe(scenario, events, customers, seed=RUN["seed"])
    online = [name for name, channel in scenario.channels.items() if channel.mode == "online"]
    journey_map = journey_map_table(scenario, customers, events)
    order = np.lexsort((events["time_days"].to_numpy(), events["customer_id"].to_numpy(), events["replication"].to_numpy()))
    satisfaction = running_satisfaction(*(events[c].to_numpy() for c in ("replication", "customer_id", "time_days", "experience", "emotion")),
                                        scenario.experience.peak_end_weight)  # fmt: skip
    return {
        "kpi_table": result.metrics(by=("replication",)),
        "funnel": m.funnel(customers, events, scenario.stages, scenario.purchase_stage),
        "touchpoint_table": m.touchpoint_table(events),
        "loyalty_timeline": m.loyalty_timeline(events, horizon, replications),
        "staff_cost_per_customer": m.staff_cost_per_customer(customers, events, result.staff),
        "customer_paths": customer_paths(events),
        "paths_from_events": paths,
        "attribute_all": attribute_all(paths, rng=np.random.default_rng(0)),
        "customer_channels": customer_channels(customers, scenario, events),
        "channel_table": channel_table(customers, result.spend, scenario, events, result.staff),
        "queue_table": queue_table(result.queues, events, scenario, horizon, replications),
        "blueprint_table": blueprint_table(scenario, result.queues, events, horizon, replications),
        "running_satisfaction": satisfaction[order],  # compared row by row in one order
        "journey_map_table": journey_map,
        "stage_emotion": stage_emotion(journey_map, scenario.journey_stages),
        "day_in_the_life": day_in_the_life(customers, events, list(scenario.personas), np.random.default_rng(5)),
        "experiences_table": experiences_table(events, scenario),
        "tallies.touchpoints": tallies.touchpoints(),
        "tallies.experiences": tallies.experiences(),
        "tallies.purchases": tallies.purchases(),
        "tallies.funnel": tallies.funnel(),
        "tallies.by_channel": concat_tables(tallies.by_channel),
        "journey_measures": journey_measures(log, list(scenario.journey_stages)),
        "fit_touch_log": fit_touch_log(log, list(scenario.journey_stages), bootstrap=0).touchpoints,
        "observe": observed,
        "event_log_table": event_log_table(observed),
        "web_sessions": session_counts(web_sessions(observed, online, 30 / 1440)),
        "panel_parts": panel_parts(events, observed, list(scenario.budget), 7),
    }


def test_every_analysis_gives_the_same_answers_in_either_order(runs):
    scenario, by_customer, by_time = runs
    first, second = analyses(scenario, by_customer), analyses(scenario, by_time)
    differ = {}
    for name in first:
        try:
            assert_same_answer(first[name], second[name], name)
        except AssertionError as error:
            differ[name] = str(error).splitlines()[0]
    assert not differ, differ
