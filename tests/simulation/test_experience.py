"""The experience model: experienced moments, satisfaction, emotion carry-over, detractors.

Exact checks replay each customer's own uniforms (the random streams are a pure function of
seed, customer and touch), so they assert the outcome of every single draw, not averages.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeysim as js
from journeysim.analysis.exact import NotApplicable, solve
from journeysim.config import with_changes
from journeysim.simulation import random_streams as rs
from journeysim.simulation.engines.vectorised import journey_only

FIXED = lambda days: {"dist": "fixed", "value": days}  # noqa: E731
STRENGTH, DECAY = 1.5, 0.5
BAD, WEB = -0.8, 0.3  # the first moment's emotion, then every interest touch's


def carryover_data(strength: float = STRENGTH) -> dict:
    """A bad first experience (-0.8), then daily interest touches on the website (emotion
    +0.3) that advance with 0.1, drop with 0.2 and otherwise stay: the mood before interest
    touch j is m_1 = -0.8, m_j = 0.5 m_(j-1) + 0.3."""
    return {
        "name": "carryover",
        "stages": ["awareness", "interest", "purchase"],
        "arrival_rate_per_day": 1.0,
        "channels": {"helpdesk": {"mode": "online"}, "website": {"mode": "online", "sells": True}},
        "touchpoints": {
            "awareness": {"helpdesk": {"delay_days": FIXED(1.0), "advance": 1.0, "emotion": BAD}},
            "interest": {"website": {"delay_days": FIXED(1.0), "advance": 0.1, "drop": 0.2, "emotion": WEB}},
            "purchase": {"website": {"delay_days": FIXED(1.0), "advance": 1.0}},
        },
        "personas": {
            "moody": {"share": 1.0, "affinity": {"helpdesk": 1.0, "website": 1.0}, "order_value": FIXED(10.0),
                      "emotion_carryover": {"strength": strength, "decay": DECAY}},
        },
    }


def interest_probabilities(touch: int) -> tuple[float, float]:
    """(advance, drop) at the customer's ``touch``-th touch (1 = first interest touch), by hand:
    d' = 1 / (1 + exp(-(logit 0.2 - strength * m))), advance and stay share 1 - d'."""
    mood = BAD
    for _ in range(touch - 1):
        mood = DECAY * mood + WEB
    drop = 1.0 / (1.0 + math.exp(-(math.log(0.2 / 0.8) - STRENGTH * mood)))
    return 0.1 * (1.0 - drop) / 0.8, drop


@pytest.fixture(scope="module")
def carried():
    scenario = js.scenario_from_dict(carryover_data())
    arrivals = pd.DataFrame({"persona": ["moody"] * 3000, "time_days": np.zeros(3000)})
    return js.simulate(scenario, seed=5, horizon_days=40.0, arrivals=arrivals, engine="vectorised", progress=False)


def test_every_draw_meets_the_carried_over_drop_probability(carried):
    """Replays each customer's outcome uniforms: touch k's outcome is advance below a_k, drop
    below a_k + d_k, stay above, with (a_k, d_k) from the closed form of the mood."""
    key = rs.replication_key(5, 0)
    touches = carried.events[carried.events["event"] == "touch"]
    persona_customer = carried.customers.set_index("customer_id")["persona_customer"]
    checked = 0
    for customer, rows in touches.groupby("customer_id"):
        customer_key = rs.customer_key(key, 0, int(persona_customer[customer]))
        for touch, outcome in enumerate(rows.sort_values("time_days")["outcome"].astype(str)):
            u = rs.touch_uniform(customer_key, touch, rs.OUTCOME)
            if touch == 0:
                assert outcome == "advance"
                continue
            advance, drop = interest_probabilities(touch) if rows["stage"].iloc[touch] == "interest" else (1.0, 0.0)
            assert outcome == ("advance" if u < advance else "drop" if u < advance + drop else "stay"), (customer, touch, u)
            checked += 1
    assert checked > 9_000


@pytest.mark.statistical
def test_drop_hazard_after_a_bad_moment_matches_the_closed_form(carried):
    """The share of customers dropping at interest touch k, among those who reach it, lies in
    the 99 % binomial interval around d_k: highest right after the bad moment, then lower."""
    touches = carried.events[(carried.events["event"] == "touch") & (carried.events["stage"] == "interest")].copy()
    touches["k"] = touches.groupby("customer_id").cumcount() + 1
    for k in (1, 2, 3, 4):
        outcomes = touches.loc[touches["k"] == k, "outcome"].astype(str)
        n, drops = len(outcomes), int((outcomes == "drop").sum())
        low, high = stats.binom.interval(0.99, n, interest_probabilities(k)[1])
        assert low <= drops <= high, (k, n, drops, interest_probabilities(k)[1])
    assert interest_probabilities(1)[1] > 0.4 > 0.2 > interest_probabilities(4)[1]


def test_both_engines_agree_with_carryover():
    scenario = js.scenario_from_dict(carryover_data())
    run = dict(seed=9, horizon_days=30.0, arrival_days=20.0, progress=False)
    simpy, vectorised = (js.simulate(scenario, engine=engine, **run) for engine in ("simpy", "vectorised"))
    for name in ("customers", "events"):
        pd.testing.assert_frame_equal(getattr(simpy, name), getattr(vectorised, name), check_exact=False, rtol=1e-9)


def test_without_strength_the_mood_changes_nothing():
    plain = js.scenario_from_dict(carryover_data(strength=0.0))
    run = dict(seed=9, horizon_days=30.0, progress=False)
    off = js.simulate(plain, **run).customers
    on = js.simulate(js.scenario_from_dict(carryover_data()), **run).customers
    assert (off["outcome"] != on["outcome"]).any()  # the mood does change journeys when on
    assert solve(plain).summary.loc[0, "conversion_probability"] == pytest.approx(0.1 / 0.3)


def test_the_exact_solver_says_carryover_is_beyond_it():
    scenario = js.scenario_from_dict(carryover_data())
    with pytest.raises(NotApplicable, match="moody.*path-dependent"):
        solve(scenario)
    screen = scenario.without_carryover()
    assert not screen.has_carryover and screen.source != scenario.source
    assert solve(screen).summary.loc[0, "conversion_probability"] == pytest.approx(0.1 / 0.3)


def test_emotion_moves_conversion_on_the_default_scenario():
    """The complaint of issue 14: every touchpoint at -1 used to leave conversion unchanged."""
    current = journey_only(js.load_scenario())
    gloomy = {f"touchpoints.{stage}.{channel}.emotion": -1.0 for (stage, channel) in current.touchpoints}
    future = with_changes(current, gloomy)
    run = dict(seed=3, horizon_days=60.0, arrival_days=30.0, progress=False)
    before, after = (js.simulate(s, **run).metrics().set_index("persona").loc["all"] for s in (current, future))
    assert after["conversion_rate"] < before["conversion_rate"] - 0.02
    assert after["bounce_rate"] == before["bounce_rate"]  # the first touch has no mood before it
    assert after["loss_rate"] > before["loss_rate"] + 0.02


def test_satisfaction_counts_experiences_not_exposure():
    """On the default scenario (seed 3, 90 days) converted customers are more satisfied than
    lost ones, and customers lost to friction least of all."""
    result = js.simulate(js.load_scenario(), seed=3, horizon_days=90.0, progress=False)
    c = result.customers
    converted = c.loc[c["outcome"] == "converted", "satisfaction"].mean()
    lost = c.loc[c["outcome"] == "lost", "satisfaction"].mean()
    friction = c.loc[c["lost_to_friction"], "satisfaction"].mean()
    assert converted > lost > friction
    assert converted > 0 > friction
    events = result.events
    seen = events.loc[(events["event"] == "touch") & events["channel"].isin(["social", "search", "video", "email"])]
    assert len(seen) and not seen["experience"].any()
    assert events.loc[events["event"].isin(["purchase", "renege", "friction_loss", "repeat_purchase"]), "experience"].all()


def complaints_data() -> dict:
    """Every journey is lost to friction at purchase (satisfaction -5/6, below -0.3), and every
    such customer becomes a detractor who complains 0.5 a day for 10 days; a prospect who hears
    a complaint (strength 1) never advances at the first stage."""
    return {
        "name": "complaints",
        "stages": ["awareness", "purchase"],
        "arrival_rate_per_day": 5.0,
        "channels": {"helpdesk": {"mode": "online"}, "website": {"mode": "online", "sells": True}},
        "touchpoints": {
            "awareness": {"helpdesk": {"delay_days": FIXED(1.0), "advance": 1.0}},
            "purchase": {"website": {"delay_days": FIXED(1.0), "advance": 1.0, "friction": 1.0}},
        },
        "personas": {
            "unhappy": {"share": 1.0, "affinity": {"helpdesk": 1.0, "website": 1.0}, "order_value": FIXED(10.0),
                        "detraction": {"probability": 1.0, "referral_rate_per_day": 0.5, "satisfaction_threshold": -0.3,
                                       "strength": 1.0, "talk_days": 10}},
        },
    }


@pytest.fixture(scope="module")
def complained():
    return js.simulate(js.scenario_from_dict(complaints_data()), seed=4, horizon_days=60.0, arrival_days=40.0, progress=False)


def test_each_complaint_reaches_the_next_prospect_who_has_not_arrived(complained):
    c = complained.customers.set_index("customer_id")
    events = complained.events
    assert c.loc[c["lost_to_friction"], "detractor"].all() and not c.loc[~c["lost_to_friction"], "detractor"].any()
    assert c.loc[c["lost_to_friction"], "satisfaction"].to_numpy() == pytest.approx(0.5 * -2 / 3 + 0.5 * -1.0)
    complaints = events.loc[events["event"] == "negative_referral"].sort_values(["time_days", "customer_id"], kind="stable")
    reached, arrival = set(), c["arrival_days"]
    for when in complaints["time_days"]:
        waiting = arrival[(arrival > when) & ~arrival.index.isin(reached)]
        if len(waiting):
            reached.add(int(waiting.index[0]))
    assert reached == set(c.index[c["heard_negative"]]) and len(reached) > 100
    # Put off at the first stage (strength 1): lost there by a plain drop, never a detractor.
    put_off = c.loc[c["heard_negative"]]
    assert (put_off["outcome"] == "lost").all() and (put_off["touches"] == 1).all() and not put_off["lost_to_friction"].any()
    assert int(c["negative_referrals"].sum()) == len(complaints)
    verdicts = events.loc[events["event"] == "detractor"].set_index("customer_id")["time_days"]
    after = complaints["time_days"].to_numpy() - verdicts.loc[complaints["customer_id"]].to_numpy()
    assert after.min() > 0 and after.max() < 10


@pytest.mark.statistical
def test_complaints_per_detractor_are_poisson(complained):
    """Detractors whose 10 talking days end before the horizon complain Poisson(0.5 x 10 = 5)
    times: the mean lies in its 99 % interval."""
    c = complained.customers.set_index("customer_id")
    verdicts = complained.events.loc[complained.events["event"] == "detractor"].set_index("customer_id")["time_days"]
    whole = verdicts[verdicts + 10.0 < 60.0].index
    counts = c.loc[whole, "negative_referrals"].to_numpy()
    half_width = stats.norm.ppf(0.995) * math.sqrt(5.0 / len(counts))
    assert abs(counts.mean() - 5.0) < half_width, (counts.mean(), len(counts))


def test_detractors_are_reported(complained):
    row = complained.metrics().set_index("persona").loc["all"]
    c = complained.customers
    assert row["detractors"] == c["detractor"].sum() > 0
    assert row["negative_referrals"] == c["negative_referrals"].sum() > 0
    assert row["put_off"] == c["heard_negative"].sum()
