"""Capacity channels: exact small queues, Erlang C agreement, patience, staffing schedules."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeysim as js
from journeysim.analysis.queueing import erlang_c, mmc_mean_wait
from journeysim.analysis.queues import queue_table
from journeysim.model.staffing import servers_on_duty, staffing_segments

FIXED = lambda days: {"dist": "fixed", "value": days}  # noqa: E731


def queue_scenario(servers=1, service=FIXED(1.0), patience=None, schedule=None, renege_loss=1.0, rate=1.0):
    """Everyone calls first (no delay), then buys on the web one day later."""
    persona = {"share": 1.0, "affinity": {"call": 1.0, "web": 1.0}, "order_value": FIXED(10.0)}
    if patience is not None:
        persona["patience_days"] = patience
    call = {"mode": "offline", "capacity": servers, "service_time_days": service, "queue": {"renege_loss_probability": renege_loss, "renege_emotion": -0.8}}
    if schedule is not None:
        call["schedule"] = schedule
    return js.scenario_from_dict({
        "name": "queue",
        "stages": ["awareness", "purchase"],
        "arrival_rate_per_day": rate,
        "channels": {"call": call, "web": {"sells": True}},
        "touchpoints": {
            "awareness": {"call": {"delay_days": FIXED(0.0), "advance": 1.0, "emotion": 0.5}},
            "purchase": {"web": {"delay_days": FIXED(1.0), "advance": 1.0}},
        },
        "personas": {"caller": persona},
    })


def run(scenario, times, horizon=10.0):
    arrivals = pd.DataFrame({"persona": ["caller"] * len(times), "time_days": times})
    return js.simulate(scenario, seed=1, horizon_days=horizon, arrivals=arrivals, progress=False)


def test_two_customers_one_server_fixed_times():
    result = run(queue_scenario(), [0.0, 0.5])
    q = result.queues.sort_values("customer_id")
    assert q["wait_days"].tolist() == [0.0, 0.5]
    assert q["served"].tolist() == [True, True]
    touches = result.events[result.events["event"] == "touch"]
    # Served 0-1 and 1-2; each call touch happens when service ends, the web purchase a day later.
    # Events are ordered by time, then customer.
    assert list(zip(touches["customer_id"], touches["time_days"], touches["channel"])) == [
        (0, 1.0, "call"), (0, 2.0, "web"), (1, 2.0, "call"), (1, 3.0, "web")]
    assert result.customers["outcome"].tolist() == ["converted", "converted"]


def test_impatient_customer_reneges_at_patience_and_is_lost():
    result = run(queue_scenario(patience=FIXED(0.3)), [0.0, 0.5])
    events = result.events
    renege = events[events["event"] == "renege"]
    assert renege["customer_id"].tolist() == [1] and renege["time_days"].tolist() == [pytest.approx(0.8)]
    assert renege["outcome"].tolist() == ["friction_drop"] and renege["emotion"].tolist() == [pytest.approx(-0.8)]
    c = result.customers.set_index("customer_id")
    assert c.loc[1, "outcome"] == "lost" and c.loc[1, "lost_to_friction"] and c.loc[1, "reneges"] == 1
    # Two experienced moments: the renege (-0.8) and the loss to friction (-1, its own event).
    loss = events[events["event"] == "friction_loss"]
    assert loss["customer_id"].tolist() == [1] and loss["channel"].tolist() == ["call"] and loss["emotion"].tolist() == [-1.0]
    # Satisfaction = 0.5 * mean + 0.5 * (peak + end) / 2 = 0.5 * -0.9 + 0.5 * -1 (peak-end weight 0.5).
    assert c.loc[1, "touches"] == 0 and c.loc[1, "experiences"] == 2 and c.loc[1, "satisfaction"] == pytest.approx(-0.95)
    assert c.loc[0, "outcome"] == "converted"


def test_renege_and_come_back():
    # Never lost after reneging: customer 1 gives up at 0.8, calls again right away (delay 0)
    # and waits 0.2 for the server, which frees at 1.0: within its patience of 0.3.
    result = run(queue_scenario(patience=FIXED(0.3), renege_loss=0.0), [0.0, 0.5])
    q = result.queues.sort_values(["customer_id", "arrival_days"])
    assert q[q["customer_id"] == 1][["arrival_days", "wait_days", "served"]].values.tolist() == [
        [0.5, pytest.approx(0.3), False], [pytest.approx(0.8), pytest.approx(0.2), True]]
    assert result.customers["outcome"].tolist() == ["converted", "converted"]


def test_visits_while_closed_move_into_opening_hours():
    schedule = {"open_hours": [9, 17]}
    scenario = queue_scenario(schedule=schedule, service=FIXED(1 / 24))
    result = run(scenario, [8 / 24, 20 / 24])  # one calls at 08:00, one at 20:00: both closed
    visits = result.queues.sort_values("customer_id")
    assert visits["wait_days"].tolist() == [0.0, 0.0]
    first, second = visits["arrival_days"].tolist()
    assert 9 / 24 <= first < 17 / 24  # moved into that day's opening hours
    assert 1 + 9 / 24 <= second < 1 + 17 / 24  # the next day's
    touches = result.events[(result.events["event"] == "touch") & (result.events["channel"] == "call")]
    assert touches["time_days"].tolist() == pytest.approx([first + 1 / 24, second + 1 / 24])


def test_queued_customers_wait_through_closing():
    # Served 16:00-17:30 by the only agent; the next caller (16:30) waits past closing until
    # 09:00 the next day (patience unlimited).
    scenario = queue_scenario(schedule={"open_hours": [9, 17]}, service=FIXED(1.5 / 24))
    result = run(scenario, [16 / 24, 16.5 / 24])
    assert result.queues.sort_values("customer_id")["wait_days"].tolist() == pytest.approx([0.0, 1 + 9 / 24 - 16.5 / 24])


def test_staffing_segments():
    scenario = queue_scenario(servers=4, schedule={"open_hours": [9, 17], "closed_weekdays": [6], "periods": [{"from_day": 2, "to_day": 3, "servers": 7}]})
    call = scenario.channels["call"]
    assert servers_on_duty(call, 0 + 10 / 24) == 4
    assert servers_on_duty(call, 0 + 20 / 24) == 0
    assert servers_on_duty(call, 2 + 12 / 24) == 7
    assert servers_on_duty(call, 6 + 12 / 24) == 0  # day 6 is a Sunday
    # Over a long horizon every change falls exactly on an opening or closing hour
    # (no floating-point drift turning 17:00 into 16:59:59).
    long_run = staffing_segments(call, 365.0)
    assert {round((start % 1) * 24, 6) for start, _ in long_run[1:]} == {9.0, 17.0}
    assert len(long_run) == 1 + 2 * (365 - 52)
    segments = staffing_segments(call, 3.0)
    assert segments == [(0.0, 0), (9 / 24, 4), (17 / 24, 0), (1 + 9 / 24, 4), (1 + 17 / 24, 0), (2 + 9 / 24, 7), (2 + 17 / 24, 0)]


def test_schedule_reduces_servers_in_the_simulation():
    # One server on duty from day 1 instead of two: the second customer waits.
    scenario = queue_scenario(servers=2, schedule={"periods": [{"from_day": 1, "to_day": 10, "servers": 1}]})
    result = run(scenario, [1.5, 1.5])
    assert sorted(result.queues["wait_days"].tolist()) == [0.0, 1.0]
    before = run(scenario, [0.2, 0.2])
    assert before.queues["wait_days"].tolist() == [0.0, 0.0]


@pytest.mark.statistical
def test_mmc_queue_matches_erlang_c():
    """M/M/3 with lambda = 250/day, mu = 100/day (a = 2.5 Erlang, rho = 0.83).

    Erlang C: P(wait) = 0.7022, mean wait = 0.01404 days. 160 days (~40,000 calls) after a
    2-day warm-up, cut into 20 batches of 8 days; batch means give 99 % t-intervals
    (batches make the autocorrelated waits nearly independent).
    """
    servers, arrival_rate, service_rate = 3, 250.0, 100.0
    scenario = queue_scenario(servers=servers, service={"dist": "exponential", "mean": 1 / service_rate}, rate=arrival_rate)
    result = js.simulate(scenario, seed=7, horizon_days=162.5, arrival_days=162.0, progress=False)
    visits = result.queues[(result.queues["arrival_days"] >= 2.0) & (result.queues["arrival_days"] < 162.0)]
    batch = ((visits["arrival_days"] - 2.0) // 8).astype(int)
    waited = visits["wait_days"].gt(0).groupby(batch).mean()
    mean_wait = visits["wait_days"].groupby(batch).mean()
    assert len(waited) == 20
    t99 = stats.t.ppf(0.995, len(waited) - 1)
    expected_wait_probability = erlang_c(servers, arrival_rate / service_rate)
    expected_mean_wait = mmc_mean_wait(servers, arrival_rate, service_rate)
    assert expected_wait_probability == pytest.approx(0.7022, abs=1e-4)
    for sample, expected in ((waited, expected_wait_probability), (mean_wait, expected_mean_wait)):
        half = t99 * sample.std(ddof=1) / np.sqrt(len(sample))
        assert abs(sample.mean() - expected) <= half, (sample.mean(), expected, half)

    table = queue_table(result.queues, result.events, scenario, 162.5, arrival_days=162.0).set_index("channel")
    assert table.loc["call", "offered_load_erlangs"] == pytest.approx(2.5, rel=0.03)
    assert table.loc["call", "utilisation"] == pytest.approx(2.5 / 3, rel=0.03)
    assert table.loc["call", "abandonment_rate"] == 0.0


def test_patience_moves_abandonment_the_right_way():
    """Shorter patience: more abandonment, shorter waits of those served, fewer conversions."""
    base = dict(servers=2, service={"dist": "exponential", "mean": 0.01}, rate=180.0)
    rows = []
    for patience in (None, 0.05, 0.01):
        spec = None if patience is None else {"dist": "exponential", "mean": patience}
        scenario = queue_scenario(patience=spec, **base)
        result = js.simulate(scenario, seed=3, horizon_days=30, progress=False)
        table = queue_table(result.queues, result.events, scenario, 30).set_index("channel").loc["call"]
        rows.append((table["abandonment_rate"], table["mean_wait_minutes"], (result.customers["outcome"] == "converted").mean()))
    (a0, w0, c0), (a1, w1, c1), (a2, w2, c2) = rows
    assert a0 == 0.0 < a1 < a2
    assert w0 > w1 > w2
    assert c0 > c1 > c2


def offered_load_interval(rate: float, mean_service: float, window_days: float, open_days: float, level: float = 0.999) -> tuple[float, float]:
    """Where ``visits x E[S] / open time`` falls with probability ``level`` when the visits
    are the Poisson(rate x window) arrivals of the window: the Poisson count's quantiles."""
    count = stats.poisson(rate * window_days)
    tail = (1 - level) / 2
    return count.ppf(tail) * mean_service / open_days, count.ppf(1 - tail) * mean_service / open_days


def test_offered_load_is_measured_over_the_arrival_window():
    """A 10-Erlang M/M/12 channel (lambda = 1000/day, E[S] = 0.01 day) whose arrivals stop at
    day 9.15 of 10: the offered load is lambda x E[S] = 10 Erlang, not 9.15 (the visits spread
    over the whole horizon). Everyone calls at once, so the visits are the Poisson(9150)
    arrivals; the 99.9 % interval of visits x E[S] / 9.15 days is 10 +- 0.34."""
    rate, mean_service, window = 1000.0, 0.01, 9.15
    scenario = queue_scenario(servers=12, service={"dist": "exponential", "mean": mean_service}, rate=rate)
    result = js.simulate(scenario, seed=5, horizon_days=10.0, arrival_days=window, progress=False)
    row = queue_table(result.queues, result.events, scenario, 10.0, arrival_days=window).set_index("channel").loc["call"]
    low, high = offered_load_interval(rate, mean_service, window, window)
    assert low <= row["offered_load_erlangs"] <= high and (low, high) == pytest.approx((9.66, 10.34), abs=0.01)
    assert low / mean_service <= row["visits_per_day"] <= high / mean_service
    assert row["visits"] == len(result.customers)  # one visit per customer: nothing else is counted


def test_offered_load_is_measured_while_the_channel_is_open():
    """Open 09:00-17:00 only: the day's 300 callers (lambda = 300/day around the clock) are
    served in 8 hours, so while open the channel is offered 300 x 0.01 x 24 / 8 = 9 Erlang.
    Arrivals stop at day 7 (midnight); the evening's callers are served on day 7, before the
    horizon, so the visits are the Poisson(2100) arrivals and the open time is 7 x 8 hours."""
    rate, mean_service = 300.0, 0.01
    scenario = queue_scenario(servers=14, service={"dist": "exponential", "mean": mean_service}, rate=rate, schedule={"open_hours": [9, 17]})
    result = js.simulate(scenario, seed=6, horizon_days=8.0, arrival_days=7.0, progress=False)
    table = queue_table(result.queues, result.events, scenario, 8.0, arrival_days=7.0).set_index("channel")
    low, high = offered_load_interval(rate, mean_service, 7.0, 7 * 8 / 24)
    assert low <= table.loc["call", "offered_load_erlangs"] <= high and (low + high) / 2 == pytest.approx(9.0, abs=0.01)
    assert table.loc["call", "visits"] == len(result.customers)
