"""Paid media: spend -> adstock -> Hill exposure -> paid prospects and retargeting."""

import numpy as np
import pytest

import journeysim as js
from journeysim.model.media import (
    adstock,
    budget_table,
    daily_exposure,
    hill,
    response_curve,
)

Z99 = 2.5758293035489


def with_budget(tiny_data, **budget):
    spec = {"spend_per_day": 100.0, "max_arrivals_per_day": 40.0, "half_saturation": 100.0, **budget}
    tiny_data["budget"] = {"social": spec}
    tiny_data["arrival_rate_per_day"] = 5.0
    return js.scenario_from_dict(tiny_data)


def paid_count(scenario, seed=1, horizon=60.0, replications=4):
    result = js.simulate(scenario, seed=seed, horizon_days=horizon, replications=replications, progress=False)
    return result, int((result.customers["source"] == "paid").sum())


def test_adstock_and_hill_closed_forms():
    assert adstock(np.array([10.0, 0.0, 0.0]), 0.5).tolist() == [10.0, 5.0, 2.5]
    assert hill(100.0, 100.0, 2.0) == pytest.approx(0.5)
    assert hill(300.0, 100.0, 2.0) == pytest.approx(9 / 10)
    assert hill(0.0, 100.0, 1.0) == 0.0


def test_linear_response_doubling_spend_doubles_paid_arrivals(tiny_data):
    """No saturation: 40 prospects/day per unit exposure; spend 100 -> 40/day, 200 -> 80/day.
    Over 4 x 60 days the counts are Poisson(9600) and Poisson(19200): 99 % intervals."""
    counts = {}
    for spend in (100.0, 200.0):
        scenario = with_budget(tiny_data, spend_per_day=spend, saturation=False)
        _, counts[spend] = paid_count(scenario)
    for spend, expected in ((100.0, 40 * 60 * 4), (200.0, 80 * 60 * 4)):
        assert abs(counts[spend] - expected) <= Z99 * np.sqrt(expected), (spend, counts[spend], expected)
    ratio = counts[200.0] / counts[100.0]
    assert abs(ratio - 2.0) <= Z99 * 2.0 * np.sqrt(1 / counts[100.0] + 1 / counts[200.0])


@pytest.mark.parametrize("spend", [50.0, 100.0, 300.0])
def test_saturating_response_follows_the_hill_curve(tiny_data, spend):
    """Hill with K = 100, shape 2, carry-over 0.5: steady state after a few days; paid
    prospects per day = 40 x hill(spend / 0.5). Counted over days 10-60 of 4 replications."""
    scenario = with_budget(tiny_data, spend_per_day=spend, adstock_decay=0.5, hill_shape=2.0)
    result, _ = paid_count(scenario)
    paid = result.customers[(result.customers["source"] == "paid") & (result.customers["arrival_days"] >= 10)]
    expected = float(response_curve(scenario.budget["social"], np.array([spend]))[0]) * 50 * 4
    assert abs(len(paid) - expected) <= Z99 * np.sqrt(expected), (len(paid), expected)


def test_more_spend_keeps_the_same_prospects(tiny_data):
    """Thinning of one candidate stream: a bigger budget adds prospects, never swaps them."""
    low = js.simulate(with_budget(tiny_data, spend_per_day=50.0), seed=3, horizon_days=20, progress=False).customers
    high = js.simulate(with_budget(tiny_data, spend_per_day=150.0), seed=3, horizon_days=20, progress=False).customers
    ids = lambda c: set(zip(c.loc[c["source"] == "paid", "persona"], c.loc[c["source"] == "paid", "persona_customer"]))  # noqa: E731
    assert ids(low) < ids(high)
    organic = lambda c: c.loc[c["source"] == "organic", ["persona", "arrival_days", "outcome"]].reset_index(drop=True)  # noqa: E731
    assert organic(low).equals(organic(high))


def test_paid_prospects_start_on_the_channel_and_spend_is_the_cost(tiny_data):
    scenario = with_budget(tiny_data)
    result = js.simulate(scenario, seed=2, horizon_days=15, progress=False)
    events, customers = result.events, result.customers
    first = events[events["event"] == "touch"].groupby("customer_id").first()
    paid = customers.loc[customers["source"] == "paid", "customer_id"]
    assert (first.loc[first.index.isin(paid), "channel"] == "social").all()
    assert (events.loc[(events["event"] == "touch") & (events["channel"] == "social"), "cost"] == 0).all()
    kpis = result.metrics().set_index("persona")
    assert kpis.loc["all", "media_spend"] == pytest.approx(100.0 * 15)
    assert kpis.loc["all", "total_cost"] == pytest.approx(kpis.loc["all", "contact_cost"] + 1500.0)
    table = budget_table(scenario, 15)
    assert table["spend"].sum() == pytest.approx(1500.0)


def test_zero_spend_removes_paid_effects_not_the_organic_role(tiny_data):
    scenario = with_budget(tiny_data, spend_per_day=0.0, retargeting_lift=2.0)
    result = js.simulate(scenario, seed=2, horizon_days=15, progress=False)
    assert (result.customers["source"] != "paid").all()
    assert (result.events.loc[result.events["event"] == "touch", "channel"] == "social").any()
    assert daily_exposure(scenario.budget["social"], 15).max() == 0.0


def test_retargeting_raises_the_channel_share_in_later_stages(funnel_data):
    funnel_data["budget"] = {"website": {"spend_per_day": 1000.0, "max_arrivals_per_day": 0.0, "half_saturation": 100.0, "retargeting_lift": 3.0}}
    funnel_data["touchpoints"]["awareness"]["website"] = {"delay_days": {"dist": "exponential", "mean": 1.0}, "advance": 0.3}
    funnel_data["arrival_rate_per_day"] = 200.0
    share = {}
    for lift in (0.0, 3.0):
        funnel_data["budget"]["website"]["retargeting_lift"] = lift
        events = js.simulate(js.scenario_from_dict(funnel_data), seed=4, horizon_days=20, progress=False).events
        later = events[(events["event"] == "touch") & (events["stage"] != "awareness")]
        share[lift] = (later["channel"] == "website").mean()
    assert share[3.0] > share[0.0] + 0.1


BAD = [
    ({"budget": {"tiktok": {"spend_per_day": 1, "max_arrivals_per_day": 1, "half_saturation": 1}}}, "scenario.budget.tiktok", "unknown channel 'tiktok'"),
    ({"budget": {"social": {"spend_per_day": -5, "max_arrivals_per_day": 1, "half_saturation": 1}}}, "scenario.budget.social.spend_per_day", "must be >= 0, got -5"),
    ({"budget": {"social": {"spend_per_day": 5, "max_arrivals_per_day": 1, "half_saturation": 1, "adstock_decay": 1.0}}}, "scenario.budget.social.adstock_decay", "must be < 1"),
    ({"budget": {"website": {"spend_per_day": 5, "max_arrivals_per_day": 1, "half_saturation": 1}}}, "scenario.budget.website", "no touchpoints.awareness.website"),
    ({"budget": {"social": {"spend_per_day": 5, "max_arrivals_per_day": 1, "half_saturation": 0}}}, "scenario.budget.social.half_saturation", "must be > 0, got 0"),
    ({"budget": {"social": {"spend_per_day": 5, "max_arrivals_per_day": 1, "half_saturation": 1, "audience": {"ghost": 1.0}}}}, "scenario.budget.social.audience.ghost", "unknown persona 'ghost'"),
]


@pytest.mark.parametrize("changes, path, words", BAD)
def test_bad_budgets(tiny_data, changes, path, words):
    tiny_data.update(changes)
    with pytest.raises(js.ConfigError) as info:
        js.scenario_from_dict(tiny_data)
    assert any(str(p).startswith(path + ":") and words in str(p) for p in info.value.problems), info.value.problems
