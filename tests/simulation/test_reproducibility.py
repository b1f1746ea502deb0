"""One seed in, identical tables out; another seed, different tables; replications independent."""

import pandas.testing as pdt
import pytest

import journeysim as js


def _run(data, **kwargs):
    scenario = js.scenario_from_dict(data)
    return js.simulate(scenario, horizon_days=30, progress=False, **kwargs)


def test_same_seed_identical_tables(funnel_data):
    a = _run(funnel_data, seed=11, replications=2)
    b = _run(funnel_data, seed=11, replications=2)
    pdt.assert_frame_equal(a.events, b.events)
    pdt.assert_frame_equal(a.customers, b.customers)
    assert a.metadata == b.metadata


def test_other_seed_differs(funnel_data):
    a = _run(funnel_data, seed=11)
    b = _run(funnel_data, seed=12)
    assert len(a.customers) != len(b.customers) or not a.customers["arrival_days"].equals(b.customers["arrival_days"])
    assert not a.customers["outcome"].reset_index(drop=True).equals(b.customers["outcome"].reset_index(drop=True))


def test_replication_is_independent_of_the_number_of_replications(funnel_data):
    one = _run(funnel_data, seed=5, replications=1)
    three = _run(funnel_data, seed=5, replications=3)
    first = three.customers[three.customers["replication"] == 0].reset_index(drop=True)
    pdt.assert_frame_equal(one.customers, first)
    second = three.customers[three.customers["replication"] == 1]
    assert not second["arrival_days"].reset_index(drop=True).equals(first["arrival_days"].iloc[: len(second)])


def test_whole_journey_is_reproducible():
    """Queues, schedules, loyalty, referrals and the calendar of the default scenario."""
    scenario = js.load_scenario()
    runs = [js.simulate(scenario, seed=8, horizon_days=40, progress=False) for _ in range(2)]
    pdt.assert_frame_equal(runs[0].events, runs[1].events)
    pdt.assert_frame_equal(runs[0].customers, runs[1].customers)
    pdt.assert_frame_equal(runs[0].queues, runs[1].queues)
    assert runs[0].customers["reneges"].sum() > 0 and runs[0].customers["repeat_purchases"].sum() > 0
    other = js.simulate(scenario, seed=9, horizon_days=40, progress=False)
    assert len(other.customers) != len(runs[0].customers) or not other.customers["outcome"].equals(runs[0].customers["outcome"])


def test_no_global_random_state_is_touched(funnel_data):
    import random

    import numpy as np

    np.random.seed(0)
    random.seed(0)
    before = (np.random.random(), random.random())
    np.random.seed(0)
    random.seed(0)
    _run(funnel_data, seed=3)
    assert (np.random.random(), random.random()) == before


def test_config_hash_tracks_the_scenario(funnel_data):
    a = _run(funnel_data, seed=1)
    funnel_data["touchpoints"]["purchase"]["website"]["friction"] = 0.0
    b = _run(funnel_data, seed=1)
    assert a.metadata["config_hash"] != b.metadata["config_hash"]


def test_later_replications_can_be_run_separately(funnel_data):
    """Replications 2-4 run on their own equal replications 2-4 of one run of five, events
    and customers alike: the default scenario (queues, loyalty, referrals: SimPy engine) and
    the funnel scenario on the vectorised engine."""
    from journeysim.errors import ConfigError

    for scenario, engine in ((js.load_scenario(), "simpy"), (js.scenario_from_dict(funnel_data), "vectorised")):
        whole = js.simulate(scenario, seed=3, horizon_days=20, replications=5, progress=False, engine=engine)
        later = js.simulate(scenario, seed=3, horizon_days=20, replications=3, first_replication=2, progress=False, engine=engine)
        assert sorted(later.customers["replication"].unique()) == [2, 3, 4]
        for name in ("events", "customers"):
            tail = getattr(whole, name)
            tail = tail[tail["replication"] >= 2].reset_index(drop=True)
            pdt.assert_frame_equal(getattr(later, name), tail)
        assert later.metadata["first_replication"] == 2
    with pytest.raises(ConfigError, match="first_replication.*-1"):
        js.simulate(scenario, first_replication=-1)


def test_workers_give_the_same_tables_as_one_process(funnel_data):
    """Replications in two worker processes: events, customers and queues equal the
    one-process run, for the SimPy engine (the default scenario's queues) and the vectorised one."""
    for scenario in (js.load_scenario(changes={"arrival_rate_per_day": 30}), js.scenario_from_dict(funnel_data)):
        one = js.simulate(scenario, seed=9, horizon_days=15, replications=3, progress=False)
        two = js.simulate(scenario, js.RunSettings(workers=2), seed=9, horizon_days=15, replications=3, progress=False)
        for name in ("events", "customers", "queues"):
            pdt.assert_frame_equal(getattr(two, name), getattr(one, name), obj=name)
        pdt.assert_frame_equal(two.metrics(by=("replication",)), one.metrics(by=("replication",)))
