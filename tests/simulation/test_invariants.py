"""Hypothesis: invariants that hold for any valid scenario."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeysim as js
from journeysim.analysis.exact import solve

STAGE_NAMES = ["awareness", "interest", "consideration", "purchase"]
CHANNELS = ["a", "b", "c"]
DELAYS = st.one_of(
    st.builds(lambda v: {"dist": "fixed", "value": v}, st.floats(0.0, 3.0)),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.05, 5.0)),
    st.builds(lambda m, cv: {"dist": "gamma", "mean": m, "cv": cv}, st.floats(0.05, 5.0), st.floats(0.2, 2.0)),
    st.builds(lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w}, st.floats(0.0, 2.0), st.floats(0.0, 3.0)),
)


@st.composite
def scenarios(draw):
    n_stages = draw(st.integers(2, 4))
    stages = STAGE_NAMES[-n_stages:]
    touchpoints = {}
    for stage in stages:
        used = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True))
        row = {}
        for channel in used:
            advance = draw(st.floats(0.0, 1.0))
            drop = draw(st.floats(0.0, 1.0 - advance))
            if advance + drop < 0.05:
                advance = 0.05  # every stage must be leavable
            row[channel] = {
                "delay_days": draw(DELAYS),
                "advance": advance,
                "drop": drop,
                "emotion": draw(st.floats(-1.0, 1.0)),
                "friction": draw(st.floats(0.0, 1.0)),
            }
        touchpoints[stage] = row
    personas = {}
    shares = [0.5, 0.5] if draw(st.booleans()) else [1.0]
    for index, share in enumerate(shares):
        personas[f"p{index}"] = {
            "share": share,
            "friction_sensitivity": draw(st.floats(0.0, 3.0)),
            "affinity": {c: draw(st.floats(0.1, 5.0)) for c in CHANNELS},
            "order_value": {"dist": "lognormal", "mean": draw(st.floats(1.0, 200.0)), "cv": 0.5},
        }
    data = {
        "name": "generated",
        "stages": stages,
        "arrival_rate_per_day": draw(st.floats(1.0, 20.0)),
        "channels": {c: {"sells": True, "cost_per_contact": draw(st.floats(0.0, 3.0))} for c in CHANNELS},
        "touchpoints": touchpoints,
        "personas": personas,
        "channel_switch": {"friction": draw(st.floats(0.0, 0.5))},
    }
    return js.scenario_from_dict(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), horizon=st.floats(1.0, 30.0))
def test_journey_invariants(scenario, seed, horizon):
    result = js.simulate(scenario, seed=seed, horizon_days=horizon, progress=False)
    customers, events = result.customers, result.events
    metrics = result.metrics().set_index("persona")

    # Each customer exactly once, with exactly one outcome.
    assert customers["customer_id"].is_unique
    assert customers["outcome"].notna().all()
    assert metrics.loc["all", "converted"] <= metrics.loc["all", "arrivals"]
    assert (metrics["converted"] + metrics["lost"] + metrics["open"] == metrics["arrivals"]).all()

    # Times non-negative, within the horizon, ordered per customer; arrival first.
    assert (events["time_days"] >= 0).all() and (events["time_days"] < horizon).all()
    per_customer = events.groupby("customer_id", sort=False)
    assert per_customer["time_days"].apply(lambda t: bool(np.all(np.diff(t.to_numpy()) >= 0))).all()
    assert (per_customer["event"].first() == "arrival").all()

    # Touch counts, purchases and conversions agree between the two tables.
    touches = events[events["event"] == "touch"].groupby("customer_id").size()
    assert touches.reindex(customers["customer_id"], fill_value=0).to_numpy().tolist() == customers["touches"].tolist()
    purchases = events[events["event"] == "purchase"]
    assert purchases["customer_id"].is_unique
    assert set(purchases["customer_id"]) == set(customers.loc[customers["outcome"] == "converted", "customer_id"])
    assert (customers["time_to_convert_days"].dropna() >= 0).all()
    assert ((customers["satisfaction"].dropna() >= -1) & (customers["satisfaction"].dropna() <= 1)).all()
    lost_events = events[events["outcome"].isin(["drop", "friction_drop"])]
    assert set(lost_events["customer_id"]) == set(customers.loc[customers["outcome"] == "lost", "customer_id"])


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios())
def test_exact_solution_is_a_probability_distribution(scenario):
    exact = solve(scenario)
    for persona, row in exact.summary.set_index("persona").iterrows():
        loss = exact.loss_by_stage.query("persona == @persona")["probability"]
        assert (loss >= -1e-12).all()
        assert 0.0 <= row["conversion_probability"] <= 1.0 + 1e-12
        assert abs(row["conversion_probability"] + loss.sum() - 1.0) < 1e-9
        assert row["expected_touches"] >= 1.0 - 1e-12
        if row["conversion_probability"] > 1e-9:
            assert row["expected_touches_to_convert"] >= 1.0 - 1e-9
