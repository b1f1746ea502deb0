"""Exact event sequences on a deterministic scenario (fixed delays, probabilities 0 or 1)."""

import math

import pandas as pd
import pytest

import journeysim as js

ARRIVALS = pd.DataFrame({"persona": ["buyer", "blocked", "buyer"], "time_days": [0.0, 1.0, 8.5]})


def tiny_run(tiny_data, sort_by_time: bool) -> js.SimulationResult:
    tiny_data["channels"]["social"]["experience"] = False  # posts seen: exposure, not experience
    scenario = js.scenario_from_dict(tiny_data)
    return js.simulate(scenario, seed=1, horizon_days=10.0, arrivals=ARRIVALS, progress=False, sort_by_time=sort_by_time)


@pytest.fixture
def result(tiny_data):
    """The run with its events in time order (``run.sort_by_time``): a timeline to read."""
    return tiny_run(tiny_data, sort_by_time=True)


def event_sequence(events: pd.DataFrame) -> list[tuple]:
    return [
        (row.time_days, row.customer_id, row.event, None if pd.isna(row.stage) else row.stage,
         None if pd.isna(row.channel) else row.channel, None if pd.isna(row.outcome) else row.outcome)
        for row in events.itertuples()
    ]


def test_exact_event_sequence(result, tiny_data):
    events = result.events
    got = event_sequence(events)
    expected = [
        (0.0, 0, "arrival", "awareness", None, None),
        (1.0, 0, "touch", "awareness", "social", "advance"),
        (1.0, 1, "arrival", "awareness", None, None),
        (2.0, 1, "touch", "awareness", "social", "advance"),
        (3.0, 0, "touch", "interest", "website", "advance"),
        (3.5, 0, "touch", "purchase", "website", "advance"),
        (3.5, 0, "purchase", "purchase", "website", None),
        (4.0, 1, "touch", "interest", "website", "advance"),
        (4.5, 1, "touch", "purchase", "website", "friction_drop"),
        (4.5, 1, "friction_loss", "purchase", "website", None),
        (8.5, 2, "arrival", "awareness", None, None),
        (9.5, 2, "touch", "awareness", "social", "advance"),
    ]
    assert got == expected
    # Experienced moments: website touches, the purchase and the loss to friction; not the
    # social posts (exposure) nor the arrivals.
    assert events["experience"].tolist() == [False, False, False, False, True, True, True, True, True, True, False, False]
    # By default the same rows come grouped by customer, each customer's in time order.
    by_customer = tiny_run(tiny_data, sort_by_time=False).events
    assert event_sequence(by_customer) == sorted(expected, key=lambda e: e[1])
    assert by_customer["experience"].tolist() == [False, False, True, True, True] * 2 + [False, False]


def test_values_costs_and_emotions(result):
    events = result.events
    purchase = events[events["event"] == "purchase"]
    assert purchase["value"].tolist() == [50.0]
    touches = events[events["event"] == "touch"]
    assert touches["cost"].tolist() == [1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 1.0]
    # Friction 1 at purchase for 'blocked' lowers that touch's emotion by f_eff = 1.
    blocked = touches[touches["customer_id"] == 1]
    assert blocked["emotion"].tolist() == pytest.approx([0.5, 0.2, 0.4 - 1.0])


def test_customers_table(result):
    c = result.customers.set_index("customer_id")
    assert c["outcome"].tolist() == ["converted", "lost", "open"]
    assert c["final_stage"].tolist() == ["purchase", "purchase", "interest"]
    assert c["final_channel"].tolist() == ["website", "website", "social"]
    assert c["touches"].tolist() == [3, 3, 1]
    assert c["lost_to_friction"].tolist() == [False, True, False]
    assert c.loc[0, "time_to_convert_days"] == 3.5
    assert math.isnan(c.loc[1, "time_to_convert_days"]) and math.isnan(c.loc[2, "time_to_convert_days"])
    assert c["revenue"].tolist() == [50.0, 0.0, 0.0]
    assert c["contact_cost"].tolist() == [5.0, 5.0, 1.0]
    # Satisfaction = 0.5 * mean + 0.5 * (peak + end) / 2 over experienced moments (social is
    # exposure): the buyer felt website 0.2, 0.4 and the purchase 0.5 (peak and end); the
    # blocked customer website 0.2, 0.4 - 1 (friction) and the loss -1 (peak and end); the
    # open one only saw a post: no experience, no satisfaction.
    assert c["experiences"].tolist() == [3, 3, 0]
    expected = [0.5 * (0.2 + 0.4 + 0.5) / 3 + 0.5 * 0.5, 0.5 * (0.2 - 0.6 - 1.0) / 3 + 0.5 * -1.0]
    assert c["satisfaction"].tolist()[:2] == pytest.approx(expected, rel=1e-6) and math.isnan(c.loc[2, "satisfaction"])


def test_touch_exactly_at_horizon_is_not_made(tiny_data):
    scenario = js.scenario_from_dict(tiny_data)
    arrivals = pd.DataFrame({"persona": ["buyer"], "time_days": [9.0]})
    result = js.simulate(scenario, seed=1, horizon_days=10.0, arrivals=arrivals, progress=False)
    # Awareness touch at 9 + 1 = 10 = horizon: censored, the journey is open with no touch.
    assert result.events["event"].tolist() == ["arrival"]
    assert result.customers["outcome"].tolist() == ["open"]
    assert result.customers["touches"].tolist() == [0]


def test_shortcut_target_skips_stages(tiny_data):
    tiny_data["touchpoints"]["awareness"]["social"]["target"] = "purchase"
    scenario = js.scenario_from_dict(tiny_data)
    arrivals = pd.DataFrame({"persona": ["buyer"], "time_days": [0.0]})
    events = js.simulate(scenario, seed=1, horizon_days=10.0, arrivals=arrivals, progress=False).events
    touches = events[events["event"] == "touch"]
    assert list(zip(touches["time_days"], touches["stage"])) == [(1.0, "awareness"), (1.5, "purchase")]


def test_channel_switch_friction_applies_only_on_a_switch(tiny_data):
    # social -> website is a switch at interest; with switch friction 1 every such touch is lost.
    tiny_data["channel_switch"] = {"friction": 1.0}
    scenario = js.scenario_from_dict(tiny_data)
    arrivals = pd.DataFrame({"persona": ["buyer"], "time_days": [0.0]})
    events = js.simulate(scenario, seed=1, horizon_days=10.0, arrivals=arrivals, progress=False).events
    touches = events[events["event"] == "touch"]
    assert touches["outcome"].tolist() == ["advance", "friction_drop"]
    # between_modes_only: both channels are online, so no switch counts.
    tiny_data["channel_switch"] = {"friction": 1.0, "between_modes_only": True}
    scenario = js.scenario_from_dict(tiny_data)
    events = js.simulate(scenario, seed=1, horizon_days=10.0, arrivals=arrivals, progress=False).events
    assert events[events["event"] == "touch"]["outcome"].tolist() == ["advance"] * 3
