"""The vectorised engine: draw-for-draw equal to the SimPy engine (journeys, repeat purchases
and churn, paid media), exact against the absorbing chain and BG/NBD, reproducible,
chunk-size independent when streamed, and refusing what it cannot run."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.exact import solve
from journeysim.config import with_changes
from journeysim.model.compiled import compile_scenario
from journeysim.model.loyalty import bgnbd_expected_repeats, bgnbd_probability_no_repeat
from journeysim.simulation.engines import vectorised
from journeysim.simulation.engines.vectorised import journey_only, unsupported_features
from journeysim.simulation.records import canonical_order
from journeysim.simulation.streaming import simulate_to_parquet

Z99 = 2.5758293035489


def every_delay_data() -> dict:
    """Every delay distribution, shortcuts, a zero-affinity channel, persona overrides and its
    own arrival rate, and channel-switch friction between online and offline."""
    return {
        "name": "every_delay",
        "stages": ["awareness", "interest", "consideration", "purchase"],
        "channel_switch": {"friction": 0.3, "between_modes_only": True},
        "channels": {
            "social": {"mode": "online", "cost_per_contact": 0.3},
            "search": {"mode": "online", "cost_per_contact": 0.9},
            "website": {"mode": "online", "cost_per_contact": 0.02, "sells": True},
            "store": {"mode": "offline", "cost_per_contact": 4.0, "sells": True},
            "phone": {"mode": "offline", "cost_per_contact": 6.0, "sells": True},
        },
        "touchpoints": {
            "awareness": {
                "social": {"delay_days": {"dist": "weibull", "shape": 1.5, "scale": 2.0}, "advance": 0.3, "drop": 0.2, "emotion": 0.2},
                "search": {"delay_days": {"dist": "fixed", "value": 1.0}, "advance": 0.4, "drop": 0.1, "target": "consideration"},
                "store": {"delay_days": {"dist": "gamma", "mean": 4.0, "cv": 0.6}, "advance": 0.5, "drop": 0.1, "emotion": 0.3},
            },
            "interest": {
                "website": {"delay_days": {"dist": "uniform", "low": 0.5, "high": 3.0}, "advance": 0.4, "drop": 0.2, "friction": 0.2},
                "store": {"delay_days": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, "advance": 0.5, "drop": 0.1},
                "phone": {"delay_days": {"dist": "exponential", "mean": 2.0}, "advance": 0.6, "drop": 0.2, "emotion": -0.2},
            },
            "consideration": {
                "website": {"delay_days": {"dist": "lognormal", "mean": 1.5, "cv": 1.2}, "advance": 0.4, "drop": 0.15, "friction": 0.3},
                "store": {"delay_days": {"dist": "gamma", "mean": 3.0, "cv": 0.3}, "advance": 0.6, "drop": 0.1, "friction": 0.1},
                "phone": {"delay_days": {"dist": "fixed", "value": 0.5}, "advance": 0.5, "drop": 0.1, "target": "purchase"},
            },
            "purchase": {
                "website": {"delay_days": {"dist": "exponential", "mean": 0.5}, "advance": 0.7, "drop": 0.1, "friction": 0.4, "emotion": 0.2},
                "store": {"delay_days": {"dist": "lognormal", "mean": 1.0, "cv": 0.5}, "advance": 0.8, "drop": 0.05, "friction": 0.2},
                "phone": {"delay_days": {"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 1.0}, "advance": 0.6, "drop": 0.2},
            },
        },
        "personas": {
            "online": {
                "arrival_rate_per_day": 70.0,
                "friction_sensitivity": 2.0,
                # phone has no affinity: never chosen, though its touchpoints exist
                "affinity": {"social": 3.0, "search": 1.0, "website": 4.0, "store": 1.0, "phone": 0.0},
                "order_value": {"dist": "gamma", "mean": 40.0, "cv": 0.5},
            },
            "offline": {
                "arrival_rate_per_day": 50.0,
                "friction_sensitivity": 0.5,
                "affinity": {"social": 1.0, "search": 2.0, "website": 1.0, "store": 4.0, "phone": 2.0},
                "order_value": {"dist": "triangular", "low": 20.0, "mode": 60.0, "high": 200.0},
                "touchpoints": {
                    "consideration": {"store": {"advance": 0.7, "friction": 0.35, "delay_days": {"dist": "uniform", "low": 0.0, "high": 2.0}}},
                    "purchase": {"phone": {"advance": 0.75, "friction": 0.0}},
                },
            },
        },
    }


def scenarios() -> dict[str, js.Scenario]:
    from conftest import funnel_scenario_data

    every = every_delay_data()
    without_switch = copy.deepcopy(every)
    without_switch["channel_switch"] = {"friction": 0.0}
    funnel = funnel_scenario_data()
    funnel["channel_switch"] = {"friction": 0.15}  # any change of channel
    funnel["arrival_rate_per_day"] = 120.0
    return {
        "default": with_changes(journey_only(js.load_scenario()), {"arrival_rate_per_day": 100.0}),
        "every_delay": js.scenario_from_dict(every),
        "every_delay_no_switch": js.scenario_from_dict(without_switch),
        "funnel_switch": js.scenario_from_dict(funnel),
    }


SCENARIOS = scenarios()


def assert_same_tables(a: js.SimulationResult, b: js.SimulationResult) -> None:
    """Customers and events equal: floats to round-off (rtol 1e-9), everything else exactly.
    (Split because pandas compares categoricals element by element when not exact: slow.)"""
    for name in ("customers", "events"):
        left, right = getattr(a, name), getattr(b, name)
        floats = left.select_dtypes("floating").columns
        pd.testing.assert_frame_equal(left.drop(columns=floats), right.drop(columns=floats), check_exact=True)
        pd.testing.assert_frame_equal(left[floats], right[floats], check_exact=False, rtol=1e-9)


def assert_event_order(events: pd.DataFrame, sort_by_time: bool) -> None:
    """Replications one after another; within each, rows by time (``sort_by_time``) or by
    customer, each customer's in time order."""
    replication, customer, time_days = (events[c].to_numpy() for c in ("replication", "customer_id", "time_days"))
    assert (np.diff(replication) >= 0).all()
    same_replication = replication[1:] == replication[:-1]
    if sort_by_time:
        assert (np.diff(time_days)[same_replication] >= 0).all()
    else:
        assert (np.diff(customer)[same_replication] >= 0).all()
        assert (np.diff(time_days)[same_replication & (customer[1:] == customer[:-1])] >= 0).all()


# Both event orders: the engines record differently (the SimPy engine as time passes, the
# vectorised one customer by customer), so each order is a comparison of its own.
@pytest.mark.parametrize(("seed", "sort_by_time"), [(11, False), (12, True)])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_tables_as_simpy(name, seed, sort_by_time):
    scenario = SCENARIOS[name]
    run = dict(seed=seed, horizon_days=25, replications=2, progress=False, sort_by_time=sort_by_time)
    simpy = js.simulate(scenario, engine="simpy", **run)
    vectorised = js.simulate(scenario, engine="vectorised", **run)
    assert vectorised.metadata["engine"] == "vectorised"
    assert len(simpy.customers) > 4000 and set(simpy.customers["replication"]) == {0, 1}
    # Every outcome occurs, so the comparison covers converting, lost and open journeys.
    assert set(simpy.customers["outcome"]) == {"converted", "lost", "open"}
    assert_event_order(simpy.events, sort_by_time)
    assert_same_tables(simpy, vectorised)


def test_simultaneous_events_in_the_same_order_as_simpy():
    """Given arrivals at the same instants and fixed delays: many events share a time, so the
    tie-breaking (customer, then recording order) is compared too."""
    data = every_delay_data()
    for stage in data["touchpoints"].values():
        for touchpoint in stage.values():
            touchpoint["delay_days"] = {"dist": "fixed", "value": 1.0}
    data["touchpoints"]["purchase"]["phone"]["delay_days"] = {"dist": "fixed", "value": 0.0}
    scenario = js.scenario_from_dict(data)
    arrivals = pd.DataFrame({"persona": ["online", "offline"] * 300, "time_days": np.repeat([0.0, 0.5, 2.0], 200)})
    for sort_by_time in (False, True):
        run = dict(seed=5, horizon_days=8, arrivals=arrivals, progress=False, sort_by_time=sort_by_time)
        simpy = js.simulate(scenario, engine="simpy", **run)
        vectorised = js.simulate(scenario, engine="vectorised", **run)
        assert simpy.events["time_days"].duplicated().mean() > 0.9
        assert_event_order(simpy.events, sort_by_time)
        assert_same_tables(simpy, vectorised)


def test_canonical_order_equals_lexsort():
    rng = np.random.default_rng(0)
    time_days = rng.integers(0, 50, 20_000).astype(float)  # many ties
    customer = rng.integers(0, 300, 20_000).astype(np.int32)
    expected = np.lexsort((customer, time_days))
    np.testing.assert_array_equal(canonical_order(time_days, customer), expected)
    ordered = np.sort(rng.uniform(0, 9, 1000))
    np.testing.assert_array_equal(canonical_order(ordered, np.zeros(1000, np.int32)), np.arange(1000))


def test_progress_counts_every_customer_once():
    scenario = SCENARIOS["every_delay"]
    compiled = compile_scenario(scenario)
    from journeysim.simulation.arrivals import draw_arrivals
    from journeysim.simulation.engines.vectorised import VectorisedJourneyEngine

    arrivals = draw_arrivals(compiled, 1, 0, 20.0)
    reported = []
    VectorisedJourneyEngine(compiled).run(arrivals, 123, 20.0, reported.append)
    assert sum(reported) == len(arrivals) and len(reported) > 3


# -- exact agreement -------------------------------------------------------------------


@pytest.fixture(scope="module")
def exact_runs():
    """Arrivals over 20 days, journeys followed for 4000 days so all end. Vectorised: rate
    10 000/day, n ~ 120 000 (online) and ~ 80 000 (offline) customers; SimPy: rate 1000/day,
    n ~ 12 000 and ~ 8 000."""
    from conftest import funnel_scenario_data

    data = funnel_scenario_data()
    data["channel_switch"] = {"friction": 0.2}
    scenario = js.scenario_from_dict(data)
    run = dict(seed=2025, horizon_days=4000, arrival_days=20, progress=False)
    return {
        "vectorised": js.simulate(with_changes(scenario, {"arrival_rate_per_day": 10_000.0}), engine="vectorised", **run),
        "simpy": js.simulate(with_changes(scenario, {"arrival_rate_per_day": 1000.0}), engine="simpy", **run),
        "exact": solve(scenario).summary.set_index("persona"),
    }


@pytest.mark.parametrize("engine", ["vectorised", "simpy"])
@pytest.mark.parametrize("persona", ["online", "offline"])
def test_agrees_with_absorbing_chain(exact_runs, engine, persona):
    """99 % intervals: conversion p_hat within z * sqrt(p (1 - p) / n) of the exact p (binomial,
    normal approximation); mean touches within z * s / sqrt(n) of the exact expectation (CLT,
    s the sample standard deviation); z = 2.576. For the vectorised run (n ~ 80 000-120 000)
    the conversion half-width is about 0.004, for SimPy (n ~ 8 000-12 000) about 0.013."""
    customers = exact_runs[engine].customers
    assert (customers["outcome"] != "open").all()
    mine = customers[customers["persona"] == persona]
    n = len(mine)
    assert n > (50_000 if engine == "vectorised" else 5_000)
    row = exact_runs["exact"].loc[persona]
    p = row["conversion_probability"]
    converted = (mine["outcome"] == "converted").mean()
    half = Z99 * np.sqrt(p * (1 - p) / n)
    assert abs(converted - p) <= half, f"{engine} {persona}: conversion {converted:.4f} vs exact {p:.4f} +- {half:.4f} (n={n})"
    touches = mine["touches"].to_numpy(float)
    half = Z99 * touches.std(ddof=1) / np.sqrt(n)
    expected = row["expected_touches"]
    assert abs(touches.mean() - expected) <= half, f"{engine} {persona}: touches {touches.mean():.4f} vs exact {expected:.4f} +- {half:.4f}"


# -- reproducibility and streaming -----------------------------------------------------


def test_reproducible_from_one_seed():
    scenario = SCENARIOS["funnel_switch"]
    first = js.simulate(scenario, seed=8, horizon_days=20, engine="vectorised", progress=False)
    again = js.simulate(scenario, seed=8, horizon_days=20, engine="vectorised", progress=False)
    other = js.simulate(scenario, seed=9, horizon_days=20, engine="vectorised", progress=False)
    pd.testing.assert_frame_equal(first.customers, again.customers, check_exact=True)
    pd.testing.assert_frame_equal(first.events, again.events, check_exact=True)
    assert len(first.customers) != len(other.customers) or not first.customers["arrival_days"].equals(other.customers["arrival_days"])
    assert not first.customers["touches"].equals(other.customers["touches"].iloc[: len(first.customers)])


def test_streamed_tables_do_not_depend_on_chunk_size(tmp_path):
    scenario = SCENARIOS["every_delay"]
    settings = js.RunSettings(seed=4, horizon_days=70, replications=2, progress=False)
    small = simulate_to_parquet(scenario, settings, tmp_path / "small", chunk_customers=1000)
    simulate_to_parquet(scenario, settings, tmp_path / "large", chunk_customers=7000)
    assert (small.customers.groupby("replication").size() > 7000).all()  # several chunks per replication in both runs
    for name in ("events.parquet", "customers.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "small" / name), pd.read_parquet(tmp_path / "large" / name), check_exact=True)
    # The same tables as an in-memory run, in the same order (by customer); sorted by time,
    # the events are those of a run with sort_by_time.
    memory = js.simulate(scenario, settings, engine="vectorised")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "small" / "customers.parquet"), memory.customers)
    events = pd.read_parquet(tmp_path / "small" / "events.parquet")
    pd.testing.assert_frame_equal(events, memory.events)
    order = np.lexsort((events["customer_id"], events["time_days"], events["replication"]))
    by_time = js.simulate(scenario, settings, engine="vectorised", sort_by_time=True)
    pd.testing.assert_frame_equal(events.iloc[order].reset_index(drop=True), by_time.events)
    pd.testing.assert_frame_equal(small.metrics, memory.metrics())
    # Written atomically: only the finished files, no staging folder left behind.
    assert sorted(p.name for p in (tmp_path / "small").iterdir()) == ["customers.parquet", "events.parquet", "metrics.csv", "run.json"]
    assert json.loads((tmp_path / "small" / "run.json").read_text())["events"] == len(events) == small.events_rows


def test_streaming_without_events(tmp_path):
    run = simulate_to_parquet(SCENARIOS["every_delay"], js.RunSettings(seed=1, horizon_days=5, progress=False), tmp_path, 500, keep_events=False)
    assert not (tmp_path / "events.parquet").exists() and run.events_path is None
    assert len(pd.read_parquet(tmp_path / "customers.parquet")) == len(run.customers) > 500


def test_streaming_refuses_to_sort_by_time(tmp_path):
    """A file written chunk by chunk cannot be in global time order: one clear error, no folder."""
    with pytest.raises(js.ConfigError, match="run.sort_by_time"):
        simulate_to_parquet(SCENARIOS["every_delay"], js.RunSettings(horizon_days=5, progress=False, sort_by_time=True), tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- refusal ---------------------------------------------------------------------------


def test_refuses_capacity_queues_and_auto_falls_back():
    data = every_delay_data()
    data["channels"]["store"].update({"capacity": 2, "service_time_days": {"dist": "exponential", "mean": 0.01}})
    data["personas"]["online"]["patience_days"] = {"dist": "exponential", "mean": 0.01}
    scenario = js.scenario_from_dict(data)
    with pytest.raises(js.ConfigError) as error:
        js.simulate(scenario, seed=1, horizon_days=5, engine="vectorised", progress=False)
    assert "capacity queues at channel 'store'" in str(error.value) and "run.engine" in str(error.value)
    assert js.simulate(scenario, seed=1, horizon_days=5, engine="auto", progress=False).metadata["engine"] == "simpy"
    # Patience alone (no capacity anywhere) is no obstacle: auto picks the vectorised engine.
    data["channels"]["store"] = {"mode": "offline", "cost_per_contact": 4.0, "sells": True}
    assert unsupported_features(compile_scenario(js.scenario_from_dict(data))) == []
    assert js.simulate(js.scenario_from_dict(data), seed=1, horizon_days=5, engine="auto", progress=False).metadata["engine"] == "vectorised"


def test_refuses_advocacy_of_the_default_scenario_but_not_its_loyalty():
    default = js.load_scenario()
    reasons = unsupported_features(compile_scenario(default))
    assert any("advocacy and referrals of persona 'digital_native'" in reason for reason in reasons)
    assert any("capacity queues at channel 'store'" in reason for reason in reasons)
    assert not any("loyalty" in reason for reason in reasons)
    with pytest.raises(js.ConfigError) as error:
        js.simulate(default, seed=1, horizon_days=3, engine="vectorised", progress=False)
    assert "advocacy and referrals of persona" in str(error.value) and "run.engine" in str(error.value)
    # Without queues: advocacy alone is refused, and auto falls back to SimPy for it.
    advocates = with_changes(without_queues_and_advocacy(default), 
        {"word_of_mouth_channel": "word_of_mouth", "personas.store_loyal.advocacy": {"probability": 0.3, "referral_rate_per_day": 0.05}}
    )
    assert unsupported_features(compile_scenario(advocates)) == ["advocacy and referrals of persona 'store_loyal'"]
    assert js.simulate(advocates, seed=1, horizon_days=3, engine="auto", progress=False).metadata["engine"] == "simpy"
    # journey_only strips loyalty by default (the pre-purchase journey), keeps it on request.
    assert all(p.loyalty is None for p in journey_only(default).personas.values())
    kept = journey_only(default, keep_loyalty=True)
    assert all(p.loyalty is not None and p.advocacy is None for p in kept.personas.values())
    assert unsupported_features(compile_scenario(journey_only(default))) == unsupported_features(compile_scenario(kept)) == []


def test_auto_picks_the_vectorised_engine_for_loyalty_and_paid_media():
    for name in ("loyalty_after_2", "paid_media"):
        result = js.simulate(POST_PURCHASE_SCENARIOS[name], seed=1, horizon_days=10, engine="auto", progress=False)
        assert result.metadata["engine"] == "vectorised", name
        assert result.metadata["engine_choice"] == "auto chose vectorised"


# -- after the first purchase, and paid media ------------------------------------------


def with_loyalty(loyal_after: tuple[int, int], post_purchase_stages: bool = True) -> dict:
    """every_delay with repeat purchases: ``online`` heterogeneous in rate and churn (gamma,
    beta) with churn rising as satisfaction falls, ``offline`` gamma rates and one churn
    probability, and a third persona without loyalty. ``loyal_after`` per loyal persona."""
    data = every_delay_data()
    if post_purchase_stages:
        data["stages"] = data["stages"] + ["loyalty", "advocacy"]
    online, offline = loyal_after
    data["personas"]["online"]["loyalty"] = {
        "purchase_rate_per_day": 0.15, "rate_shape": 0.8, "churn_probability": 0.3, "churn_concentration": 2.5,
        "satisfaction_churn_slope": 3.0, "loyal_after_repeats": online,
    }  # fmt: skip
    data["personas"]["offline"]["loyalty"] = {"purchase_rate_per_day": 0.1, "rate_shape": 2.0, "churn_probability": 0.25, "loyal_after_repeats": offline}
    data["personas"]["browser"] = {**copy.deepcopy(data["personas"]["offline"]), "arrival_rate_per_day": 20.0}
    del data["personas"]["browser"]["loyalty"]
    return data


def with_paid_media() -> dict:
    """every_delay with paid media on two channels: social (retargeting, carry-over, a spend
    plan; the offline persona never picks social itself) and store (a selling channel, so
    buyers' repeat purchases there cost nothing per contact), and loyalty."""
    data = with_loyalty((1, 2))
    data["personas"]["offline"]["affinity"]["social"] = 0.0
    data["budget"] = {
        "social": {
            "spend_per_day": 80.0, "max_arrivals_per_day": 60.0, "half_saturation": 100.0, "hill_shape": 1.5,
            "adstock_decay": 0.5, "retargeting_lift": 4.0, "plan": [{"from_day": 6.0, "to_day": 13.0, "spend_per_day": 400.0}],
        },
        "store": {"spend_per_day": 50.0, "max_arrivals_per_day": 20.0, "half_saturation": 60.0, "retargeting_lift": 1.5, "audience": {"offline": 1.0}},
    }  # fmt: skip
    return data


def paid_only_channel_data() -> dict:
    """A paid channel nobody picks by affinity, whose first touch has the journey's only
    exponential delay: paid prospects alone reach it."""
    from conftest import tiny_scenario_data

    data = tiny_scenario_data()
    data["channels"]["video"] = {"mode": "online", "cost_per_contact": 0.5}
    data["touchpoints"]["awareness"]["video"] = {"delay_days": {"dist": "exponential", "mean": 2.0}, "advance": 0.6, "drop": 0.2, "emotion": 0.3}
    data["arrival_rate_per_day"] = 60.0
    data["budget"] = {"video": {"spend_per_day": 100.0, "max_arrivals_per_day": 100.0, "half_saturation": 50.0}}
    return data


def without_queues_and_advocacy(scenario: js.Scenario) -> js.Scenario:
    """``scenario`` with capacity channels made plain (no servers, schedules or service times)
    and no advocacy, detraction or word-of-mouth channel; loyalty, emotion carry-over, surveys,
    calendar and budget unchanged."""
    changes: dict = {"word_of_mouth_channel": None}
    for name, channel in scenario.channels.items():
        if channel.capacity is not None:
            changes.update({f"channels.{name}.{key}": None for key in ("capacity", "service_time_days", "schedule")})
    for name, persona in scenario.personas.items():
        for key in ("advocacy", "detraction"):
            if getattr(persona, key) is not None:
                changes[f"personas.{name}.{key}"] = None
    return with_changes(scenario, changes)


POST_PURCHASE_SCENARIOS = {
    "loyalty_after_2": js.scenario_from_dict(with_loyalty((2, 0))),
    "loyalty_after_0": js.scenario_from_dict(with_loyalty((0, 1), post_purchase_stages=False)),
    "paid_media": js.scenario_from_dict(with_paid_media()),
    "paid_only_channel": js.scenario_from_dict(paid_only_channel_data()),
    "default_without_queues_and_advocacy": with_changes(without_queues_and_advocacy(js.load_scenario()), {"arrival_rate_per_day": 60.0}),
}


def same_instant_sequences(events: pd.DataFrame) -> set[tuple[str, ...]]:
    """Post-purchase events of one customer at one instant, in table order."""
    instants = events[events["event"].isin(["purchase", "repeat_purchase", "loyal", "churn"])]
    return set(instants.groupby(["replication", "customer_id", "time_days"], observed=True)["event"].agg(tuple))


@pytest.mark.parametrize(("seed", "sort_by_time"), [(11, False), (12, True)])
@pytest.mark.parametrize("name", list(POST_PURCHASE_SCENARIOS))
def test_post_purchase_and_paid_media_same_tables_as_simpy(name, seed, sort_by_time):
    """Also events at one instant, in SimPy's recording order: purchase then loyal (loyal
    after 0 repeats); repeat purchase, loyal, churn (churn at the repeat that makes loyal).
    The SimPy engine records a buyer's repeat purchases at the first purchase, ahead of time:
    both orders sort them into place."""
    scenario = POST_PURCHASE_SCENARIOS[name]
    run = dict(seed=seed, horizon_days=60, replications=2, progress=False, sort_by_time=sort_by_time)
    simpy = js.simulate(scenario, engine="simpy", **run)
    vectorised = js.simulate(scenario, engine="vectorised", **run)
    assert_event_order(simpy.events, sort_by_time)
    assert vectorised.metadata["engine"] == "vectorised" and set(simpy.customers["replication"]) == {0, 1}
    events, customers = simpy.events, simpy.customers
    counts = events["event"].value_counts()
    if any(p.loyalty is not None for p in scenario.personas.values()):
        # The comparison covers repeat purchases, loyalty, and churn before and after loyalty.
        assert counts["repeat_purchase"] > 100 and counts["loyal"] > 20 and counts["churn"] > 20, counts
        churn_stages = set(events.loc[events["event"] == "churn", "stage"])
        assert churn_stages == ({"purchase", "loyalty"} if "loyalty" in scenario.stages else {"purchase"})
        assert customers["churned"].any() and (customers["active_at_horizon"] & (customers["repeat_purchases"] > 0)).any()
        sequences = same_instant_sequences(events)
        loyal_after = {p.loyalty.loyal_after_repeats for p in scenario.personas.values() if p.loyalty is not None}
        assert (("purchase", "loyal") in sequences) == (0 in loyal_after)
        assert ("repeat_purchase", "loyal", "churn") in sequences
    if scenario.budget:
        assert (customers["source"] == "paid").sum() > 500 and (customers["source"] == "organic").sum() > 500
    assert_same_tables(simpy, vectorised)


def test_paid_media_changes_choices_through_retargeting():
    """The paid-media comparison is sensitive to retargeting: without the lift the organic
    customers' journeys change (and paid prospects start on their channel either way)."""
    data = with_paid_media()
    run = dict(seed=11, horizon_days=30, engine="vectorised", progress=False)
    lifted = js.simulate(js.scenario_from_dict(data), **run)
    for budget in data["budget"].values():
        budget["retargeting_lift"] = 0.0
    flat = js.simulate(js.scenario_from_dict(data), **run)
    organic = lambda c: c.loc[c["source"] == "organic", ["touches", "final_channel"]].reset_index(drop=True)  # noqa: E731
    assert not organic(lifted.customers).equals(organic(flat.customers))
    events, customers = lifted.events, lifted.customers
    first = events[events["event"] == "touch"].groupby("customer_id").first()
    paid = customers.loc[customers["source"] == "paid", "customer_id"]
    assert set(first.loc[first.index.isin(paid), "channel"]) == {"social", "store"}
    assert (events.loc[events["channel"].isin(["social", "store"]) & events["event"].isin(["touch", "repeat_purchase"]), "cost"] == 0).all()


def test_streamed_loyalty_tables_do_not_depend_on_chunk_size(tmp_path):
    scenario = POST_PURCHASE_SCENARIOS["loyalty_after_2"]
    settings = js.RunSettings(seed=4, horizon_days=40, progress=False)
    small = simulate_to_parquet(scenario, settings, tmp_path / "small", chunk_customers=900)
    simulate_to_parquet(scenario, settings, tmp_path / "large", chunk_customers=5000)
    for name in ("events.parquet", "customers.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "small" / name), pd.read_parquet(tmp_path / "large" / name), check_exact=True)
    memory = js.simulate(scenario, settings, engine="vectorised")
    pd.testing.assert_frame_equal(small.customers, memory.customers)
    events = pd.read_parquet(tmp_path / "small" / "events.parquet")
    assert (events["event"] == "repeat_purchase").sum() > 50
    pd.testing.assert_frame_equal(events, memory.events)


@pytest.mark.statistical
def test_repeat_purchases_agree_with_bgnbd():
    """200 000 customers arrive at 0 and buy at once (the setup of test_loyalty), with the
    CDNOW parameters of FHL (2005) in days, followed 78 weeks by the vectorised engine. At
    13, 26, 52 and 78 weeks the mean repeat count lies within a 99 % interval of E[X(t)]
    (CLT: z * s / sqrt(n), about 0.02 at 78 weeks) and the share without a repeat within
    z * sqrt(p0 (1 - p0) / n) of P(X(t) = 0) (binomial, about 0.002)."""
    from test_loyalty import ALPHA_DAYS, A, B, R, instant_buyers

    loyalty = {"purchase_rate_per_day": R / ALPHA_DAYS, "rate_shape": R, "churn_probability": A / (A + B), "churn_concentration": A + B}
    scenario, arrivals = instant_buyers(loyalty, 200_000)
    result = js.simulate(scenario, seed=2005, horizon_days=546, arrivals=arrivals, engine="auto", progress=False)
    assert result.metadata["engine"] == "vectorised"
    customers, n = result.customers, len(result.customers)
    assert (customers["outcome"] == "converted").all() and n == 200_000
    repeats = result.events[result.events["event"] == "repeat_purchase"]
    for weeks in (13, 26, 52, 78):
        t = weeks * 7.0
        counts = np.bincount(repeats.loc[repeats["time_days"] <= t, "customer_id"], minlength=n)
        expected = float(bgnbd_expected_repeats(t, R, ALPHA_DAYS, A, B))
        half = Z99 * counts.std(ddof=1) / np.sqrt(n)
        assert abs(counts.mean() - expected) <= half, (weeks, counts.mean(), expected, half)
        p0 = float(bgnbd_probability_no_repeat(t, R, ALPHA_DAYS))
        assert abs((counts == 0).mean() - p0) <= Z99 * np.sqrt(p0 * (1 - p0) / n), (weeks, (counts == 0).mean(), p0)
    np.testing.assert_array_equal(counts, customers["repeat_purchases"].to_numpy())


@pytest.mark.parametrize("name", ["paid_media", "loyalty_after_0"])
def test_tables_do_not_depend_on_the_blocks_of_customers(name, monkeypatch):
    """The engine runs customers in blocks (independent journeys); blocks of 997 customers,
    paid prospects and buyers in every one, give the tables of one block."""
    scenario = POST_PURCHASE_SCENARIOS[name]
    run = dict(seed=3, horizon_days=40, replications=2, progress=False, engine="vectorised")
    whole = js.simulate(scenario, **run)
    monkeypatch.setattr(vectorised, "_BLOCK_CUSTOMERS", 997)
    blocks = js.simulate(scenario, **run)
    assert whole.customers.groupby("replication").size().min() > 3 * 997
    for name in ("customers", "events"):
        pd.testing.assert_frame_equal(getattr(blocks, name), getattr(whole, name), check_exact=True)
