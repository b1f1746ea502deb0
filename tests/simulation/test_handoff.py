"""The channel hand-off: the next channel depends on the previous one (a persona's weights
multiply affinity). Closed form, both engines draw for draw, and the exact solver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.exact import solve
from journeysim.config import with_changes
from journeysim.simulation.engines.vectorised import journey_only

Z99 = 2.576


def two_step_data(handoff: dict | None) -> dict:
    """awareness: social (affinity 3) or search (1), always advancing; purchase: website
    (advance 0.8, else drop) or store (0.4). After social, website is 3 times as likely
    (weights website 3, store 1: P = 3/4); after search, store is (P(website) = 1/4).
    Conversion = 3/4 (3/4 0.8 + 1/4 0.4) + 1/4 (1/4 0.8 + 3/4 0.4) = 0.525 + 0.125 = 0.65;
    without the hand-off 1/2 0.8 + 1/2 0.4 = 0.6."""
    fixed = {"dist": "fixed", "value": 1.0}
    persona = {"share": 1.0, "affinity": {"social": 3, "search": 1, "website": 1, "store": 1}, "order_value": {"dist": "fixed", "value": 10.0}}
    if handoff is not None:
        persona["handoff"] = handoff
    return {
        "name": "handoff", "stages": ["awareness", "purchase"], "arrival_rate_per_day": 2000.0,
        "channels": {"social": {}, "search": {}, "website": {"sells": True}, "store": {"sells": True, "mode": "offline"}},
        "touchpoints": {
            "awareness": {"social": {"delay_days": fixed, "advance": 1.0}, "search": {"delay_days": fixed, "advance": 1.0}},
            "purchase": {"website": {"delay_days": fixed, "advance": 0.8, "drop": 0.2}, "store": {"delay_days": fixed, "advance": 0.4, "drop": 0.6}},
        },
        "personas": {"shopper": persona},
    }


HANDOFF = {"social": {"website": 3.0}, "search": {"store": 3.0}}


@pytest.mark.parametrize("handoff, conversion", [(None, 0.6), (HANDOFF, 0.65)])
def test_the_exact_solver_gives_the_closed_form(handoff, conversion):
    summary = solve(js.scenario_from_dict(two_step_data(handoff))).summary.set_index("persona")
    assert summary.loc["shopper", "conversion_probability"] == pytest.approx(conversion, abs=1e-12)


@pytest.mark.parametrize("engine", ["simpy", "vectorised"])
def test_simulated_choices_follow_the_previous_channel(engine):
    """Purchase-stage channel shares after each awareness channel within their 99 % binomial
    intervals of 3/4 and 1/4 (n ~ 5 000 each side), and conversion within that of 0.65."""
    scenario = js.scenario_from_dict(two_step_data(HANDOFF))
    result = js.simulate(scenario, seed=9, horizon_days=20, arrival_days=5, engine=engine, progress=False)
    touches = result.events.loc[result.events["event"] == "touch"].sort_values(["customer_id", "time_days"])
    first = touches.groupby("customer_id")["channel"].first().astype(str)
    second = touches.loc[touches["stage"] == "purchase"].groupby("customer_id")["channel"].first().astype(str)
    pairs = pd.DataFrame({"first": first, "second": second}).dropna()
    for previous, expected in (("social", 0.75), ("search", 0.25)):
        shares = pairs.loc[pairs["first"] == previous, "second"]
        n = len(shares)
        assert n > 2000 and abs((shares == "website").mean() - expected) <= Z99 * np.sqrt(expected * (1 - expected) / n)
    customers = result.customers
    n = len(customers)
    assert abs((customers["outcome"] == "converted").mean() - 0.65) <= Z99 * np.sqrt(0.65 * 0.35 / n)


def test_both_engines_agree_draw_for_draw_with_a_handoff_and_retargeting():
    """The default scenario's journey (paid media retargets) with a hand-off for one persona."""
    scenario = with_changes(journey_only(js.load_scenario()), {
        "arrival_rate_per_day": 60.0,
        "personas": {"digital_native": {"handoff": {"social": {"mobile_app": 4.0, "store": 0.2}, "search": {"website": 2.5}}}},
    })
    run = dict(seed=21, horizon_days=30, progress=False)
    simpy, vectorised = js.simulate(scenario, engine="simpy", **run), js.simulate(scenario, engine="vectorised", **run)
    for name in ("customers", "events"):
        left, right = getattr(simpy, name), getattr(vectorised, name)
        floats = left.select_dtypes("floating").columns
        assert left.drop(columns=floats).equals(right.drop(columns=floats))
        np.testing.assert_allclose(left[floats].to_numpy(float), right[floats].to_numpy(float), rtol=1e-9)
    plain = js.simulate(journey_only(with_changes(js.load_scenario(), {"arrival_rate_per_day": 60.0})), engine="vectorised", **run)
    assert not plain.events.equals(vectorised.events)  # the hand-off changed the choices


@pytest.mark.parametrize("handoff, message", [
    ({"tiktok": {"website": 2.0}}, "personas.shopper.handoff.tiktok: unknown channel 'tiktok'"),
    ({"social": {"website": -1.0}}, "personas.shopper.handoff.social.website: must be >= 0"),
    ({"social": {"shop": 1.0}}, "personas.shopper.handoff.social.shop: unknown channel 'shop'"),
])
def test_a_bad_handoff_is_named(handoff, message):
    with pytest.raises(js.ConfigError, match=message):
        js.scenario_from_dict(two_step_data(handoff))
