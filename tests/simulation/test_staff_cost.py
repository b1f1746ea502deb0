"""Staff costs: hours on duty from the schedule, shared out by served contacts, in total cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_queues import queue_scenario

import journeysim as js
from journeysim.analysis.metrics import staff_cost_per_customer
from journeysim.analysis.queues import queue_table
from journeysim.config import with_changes
from journeysim.errors import ConfigError
from journeysim.model.staffing import staff_table
from journeysim.studies.experiment import experiment_from_dict, run_experiment


def test_staffed_hours_follow_the_schedule():
    # 6 servers open 9-20 (11 h), closed on Sundays, over two weeks: 12 open days.
    shop = queue_scenario(servers=6, schedule={"open_hours": [9, 20], "closed_weekdays": [6]})
    shop = with_changes(shop, {"channels.call.staff_cost_per_hour": 24.0})
    table = staff_table(shop, 14.0)
    assert table.to_dict("records") == [{"channel": "call", "staffed_hours": 6 * 11 * 12, "staff_cost_per_hour": 24.0, "staff_cost": 6 * 11 * 12 * 24.0}]
    # A period with 10 servers on days 7-9 (Monday and Tuesday of week two) adds 4 x 11 x 2 hours.
    busy = with_changes(shop, {"channels.call.schedule.periods": [{"from_day": 7, "to_day": 9, "servers": 10}]})
    assert staff_table(busy, 14.0)["staffed_hours"].item() == 6 * 11 * 12 + 4 * 11 * 2
    # No schedule: always on duty; a partial last day counts its hours.
    assert staff_table(queue_scenario(servers=2), 3.5)["staffed_hours"].item() == pytest.approx(2 * 24 * 3.5)
    # Channels without staff have no row.
    assert staff_table(js.scenario_from_dict(_no_capacity()), 10.0).empty


def _no_capacity() -> dict:
    from conftest import tiny_scenario_data

    return tiny_scenario_data()


def test_staff_cost_is_shared_by_served_contacts():
    """Replication 0: customer 0 was served twice at the store, customer 1 once, customer 2
    only online; replication 1: nobody at the store, so its cost is shared equally."""
    customers = pd.DataFrame({"replication": [0, 0, 0, 1, 1], "customer_id": [0, 1, 2, 0, 1]})
    events = pd.DataFrame(
        {
            "replication": [0, 0, 0, 0, 0, 1],
            "customer_id": [0, 0, 1, 2, 1, 0],
            "channel": pd.Categorical(["store", "store", "store", "web", "call", "web"]),
            "event": pd.Categorical(["touch", "touch", "touch", "touch", "renege", "touch"]),
        }
    )
    staff = pd.DataFrame({"channel": ["store", "call"], "staff_cost": [300.0, 50.0]})
    cost = staff_cost_per_customer(customers, events, staff)
    # The call centre served nobody (customer 1 gave up in its queue): equal shares in both replications.
    np.testing.assert_allclose(cost, [200 + 50 / 3, 100 + 50 / 3, 50 / 3, 150 + 25, 150 + 25])
    # Without the event log every replication's cost is shared equally.
    np.testing.assert_allclose(staff_cost_per_customer(customers, None, staff), [350 / 3] * 3 + [175] * 2)


@settings(max_examples=40, deadline=None)
@given(
    touches=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5), st.sampled_from(["store", "call", "web"])), max_size=40),
    costs=st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)),
)
def test_shares_add_up_to_each_replications_staff_cost(touches, costs):
    customers = pd.DataFrame({"replication": np.repeat([0, 1, 2], 6), "customer_id": np.tile(np.arange(6), 3)})
    events = pd.DataFrame(touches, columns=["replication", "customer_id", "channel"]).assign(event="touch")
    staff = pd.DataFrame({"channel": ["store", "call"], "staff_cost": list(costs)})
    cost = staff_cost_per_customer(customers, events, staff)
    assert (cost >= 0).all()
    per_replication = pd.Series(cost).groupby(customers["replication"]).sum()
    np.testing.assert_allclose(per_replication.to_numpy(), [sum(costs)] * 3, rtol=1e-9, atol=1e-6)


def test_kpis_carry_staff_cost_in_total_cost():
    scenario = with_changes(js.load_scenario(), {"channels.store.staff_cost_per_hour": 24.0, "channels.call_centre.staff_cost_per_hour": 21.0})
    result = js.simulate(scenario, seed=4, horizon_days=21, replications=2, progress=False)
    one_replication = staff_table(scenario, 21.0)
    # Store: 6 x 11 h on 18 open days; call centre: 2 agents x 12 h on 18 days.
    assert one_replication.set_index("channel")["staffed_hours"].to_dict() == {"store": 6 * 11 * 18, "call_centre": 2 * 12 * 18}
    kpis = result.metrics().set_index("persona")
    expected = 2 * (6 * 11 * 18 * 24.0 + 2 * 12 * 18 * 21.0)
    assert kpis.at["all", "staff_cost"] == pytest.approx(expected)
    assert kpis.drop(index="all")["staff_cost"].sum() == pytest.approx(expected)
    assert (kpis["total_cost"] == kpis["contact_cost"] + kpis["media_spend"] + kpis["staff_cost"]).all()
    assert (kpis["profit"] == kpis["revenue"] - kpis["total_cost"]).all()
    assert kpis.at["all", "cost_per_acquisition"] == pytest.approx(kpis.at["all", "total_cost"] / kpis.at["all", "converted"])
    # Store-loyal customers use the store most, so they carry the largest share per arrival.
    per_arrival = kpis["staff_cost"] / kpis["arrivals"]
    assert per_arrival.drop(index="all").idxmax() == "store_loyal"
    by_replication = result.metrics(by=("replication",))
    pooled = by_replication.loc[by_replication["persona"] == "all", "staff_cost"]
    np.testing.assert_allclose(pooled, [expected / 2] * 2)
    table = queue_table(result.queues, result.events, scenario, 21.0, 2).set_index("channel")
    assert table.at["store", "staffed_hours"] == pytest.approx(2 * 6 * 11 * 18)
    assert table.at["store", "staff_cost"] == pytest.approx(2 * 6 * 11 * 18 * 24.0)


def test_without_staff_costs_nothing_changes():
    result = js.simulate(js.load_scenario(), seed=4, horizon_days=10, progress=False)
    kpis = result.metrics()
    assert (kpis["staff_cost"] == 0).all()
    assert (kpis["total_cost"] == kpis["contact_cost"] + kpis["media_spend"]).all()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"channels.website.staff_cost_per_hour": 20.0}, "channels.website.staff_cost_per_hour: needs staff: set capacity"),
        ({"channels.store.staff_cost_per_hour": -5.0}, "channels.store.staff_cost_per_hour: must be >= 0, got -5"),
        ({"channels.store.staff_cost_per_hour": "lots"}, "channels.store.staff_cost_per_hour"),
    ],
)
def test_bad_staff_costs_are_named(changes, message):
    with pytest.raises(ConfigError) as caught:
        with_changes(js.load_scenario(), changes)
    assert message in caught.value.render()


def test_experiment_assumptions_apply_to_both_states():
    """The staffing study prices staff in both states: the staff cost difference is exactly
    the extra hours (2 assistants x 11 h, 1 agent x 12 h, per open day) times their rates."""
    experiment = experiment_from_dict(
        {
            "name": "staff",
            "replications": 2,
            "assumptions": {"channels": {"store": {"staff_cost_per_hour": 24.0}, "call_centre": {"staff_cost_per_hour": 21.0}}},
            "changes": {"channels": {"store": {"capacity": 8}, "call_centre": {"capacity": 3}}},
        }
    )
    current = js.load_scenario(changes={"arrival_rate_per_day": 40})
    settings = js.RunSettings(horizon_days=14, progress=False)
    comparison = run_experiment(current, settings, experiment)
    assert comparison.current.channels["store"].staff_cost_per_hour == comparison.future.channels["store"].staff_cost_per_hour == 24.0
    row = comparison.row("staff_cost")
    open_days = 12
    assert row["difference"] == pytest.approx(open_days * (2 * 11 * 24.0 + 1 * 12 * 21.0))
    assert comparison.metadata()["assumptions"] == experiment.assumptions
    assert "Assumed in both states:" in comparison.summary() and "channels.store.staff_cost_per_hour: 24.0" in comparison.summary()
    with pytest.raises(ConfigError, match=r"experiment\.assumptions\.channels\.store\.staff_cost_per_hour: must be >= 0"):
        run_experiment(current, settings, experiment_from_dict({"name": "bad", "assumptions": {"channels": {"store": {"staff_cost_per_hour": -1}}}}))
