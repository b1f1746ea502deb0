"""Repeat purchases and churn against the BG/NBD closed forms (Fader, Hardie & Lee 2005)."""

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.fit_transactions import fit_repeat_buying, loyalty_fields
from journeysim.datasets import load_cdnow_sample
from journeysim.model.loyalty import (
    bgnbd_expected_repeats,
    bgnbd_probability_no_repeat,
    churn_given_satisfaction,
    expected_repeats,
)

FIXED = lambda days: {"dist": "fixed", "value": days}  # noqa: E731
Z99 = 2.5758293035489

# CDNOW estimates of FHL (2005), weeks: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
# In days lambda ~ Gamma(r, 7 alpha): mean rate r / (7 alpha); p ~ Beta(a, b).
R, ALPHA_DAYS, A, B = 0.243, 4.414 * 7, 0.793, 2.426


def instant_buyers(loyalty: dict, n: int, emotion: float = 0.0) -> tuple[js.Scenario, pd.DataFrame]:
    """Everyone arrives at time 0 and buys at once; then only the loyalty process runs."""
    scenario = js.scenario_from_dict({
        "name": "loyalty",
        "stages": ["awareness", "purchase", "loyalty"],
        "arrival_rate_per_day": 1.0,
        "channels": {"shop": {"sells": True, "cost_per_contact": 1.0}},
        "touchpoints": {
            "awareness": {"shop": {"delay_days": FIXED(0.0), "advance": 1.0, "emotion": emotion}},
            "purchase": {"shop": {"delay_days": FIXED(0.0), "advance": 1.0, "emotion": emotion}},
        },
        "personas": {"buyer": {"share": 1.0, "affinity": {"shop": 1.0}, "order_value": FIXED(20.0), "loyalty": loyalty}},
    })
    return scenario, pd.DataFrame({"persona": ["buyer"] * n, "time_days": np.zeros(n)})


@pytest.mark.statistical
def test_bgnbd_expected_repeats_and_no_repeat_share():
    """20,000 customers with the CDNOW parameters, followed 52 weeks; at 13, 26, 39 and 52
    weeks the mean repeat count and the share with none lie within 99 % intervals of the
    closed forms (customers are independent: CLT for the mean, binomial for the share)."""
    loyalty = {"purchase_rate_per_day": R / ALPHA_DAYS, "rate_shape": R, "churn_probability": A / (A + B), "churn_concentration": A + B}
    scenario, arrivals = instant_buyers(loyalty, 20_000)
    result = js.simulate(scenario, seed=2005, horizon_days=365, arrivals=arrivals, progress=False)
    repeats = result.events[result.events["event"] == "repeat_purchase"]
    n = len(result.customers)
    assert (result.customers["outcome"] == "converted").all()
    for weeks in (13, 26, 39, 52):
        t = weeks * 7.0
        counts = repeats[repeats["time_days"] <= t].groupby("customer_id").size().reindex(range(n), fill_value=0).to_numpy()
        expected = float(bgnbd_expected_repeats(t, R, ALPHA_DAYS, A, B))
        half = Z99 * counts.std(ddof=1) / np.sqrt(n)
        assert abs(counts.mean() - expected) <= half, (weeks, counts.mean(), expected, half)
        p0 = float(bgnbd_probability_no_repeat(t, R, ALPHA_DAYS))
        share = float((counts == 0).mean())
        assert abs(share - p0) <= Z99 * np.sqrt(p0 * (1 - p0) / n), (weeks, share, p0)


def test_published_cdnow_parameters_carry_into_a_persona_in_days():
    """FHL (2005) fitted CDNOW's first 39 weeks with r = 0.243, alpha = 4.414, a = 0.793 and
    b = 2.426 (time in weeks). Fitting the shipped data gives them to every published digit;
    written into a persona's loyalty (days: alpha x 7), the closed form the engines are
    checked against gives the weekly model's expected repeats at 13, 39 and 78 weeks."""
    fit = fit_repeat_buying(load_cdnow_sample(), "1997-09-30", n_boot=0).repeat_buying
    assert [round(v, 3) for v in (fit.r, fit.alpha, fit.a, fit.b)] == [0.243, 4.414, 0.793, 2.426]
    scenario, _ = instant_buyers(loyalty_fields(fit), 1)
    loyalty = scenario.personas["buyer"].loyalty
    for weeks in (13, 39, 78):
        assert expected_repeats(7.0 * weeks, loyalty) == pytest.approx(float(fit.expected_repeats(weeks)), rel=1e-9)
    # The module's constants are the published parameters in days.
    assert (R, ALPHA_DAYS / 7, A, B) == pytest.approx((fit.r, fit.alpha, fit.a, fit.b), rel=2e-3)


def test_homogeneous_process_matches_numerical_expectation():
    loyalty = {"purchase_rate_per_day": 0.05, "churn_probability": 0.3}
    scenario, arrivals = instant_buyers(loyalty, 6000)
    result = js.simulate(scenario, seed=4, horizon_days=60, arrivals=arrivals, progress=False)
    counts = result.customers["repeat_purchases"].to_numpy()
    expected = expected_repeats(60.0, scenario.personas["buyer"].loyalty)
    assert abs(counts.mean() - expected) <= Z99 * counts.std(ddof=1) / np.sqrt(len(counts))


def test_loyalty_stage_revenue_and_churn_bookkeeping():
    loyalty = {"purchase_rate_per_day": 0.2, "churn_probability": 0.4, "loyal_after_repeats": 2}
    scenario, arrivals = instant_buyers(loyalty, 500)
    result = js.simulate(scenario, seed=1, horizon_days=40, arrivals=arrivals, progress=False)
    c = result.customers
    assert (c["loyal"] == (c["repeat_purchases"] >= 2)).all()
    assert (c.loc[c["loyal"], "final_stage"] == "loyalty").all()
    assert (c["revenue"] == 20.0 * (1 + c["repeat_purchases"])).all()
    churn_events = result.events[result.events["event"] == "churn"]
    assert set(churn_events["customer_id"]) == set(c.loc[c["churned"], "customer_id"])
    assert (c.loc[c["churned"], "repeat_purchases"] >= 1).all()  # BG/NBD: no churn before a repeat
    assert (c["active_at_horizon"] == ~c["churned"]).all()
    kpis = result.metrics().set_index("persona").loc["all"]
    assert kpis["purchases_per_customer"] == pytest.approx(1 + c["repeat_purchases"].mean())
    assert kpis["active_share_at_horizon"] == pytest.approx(1 - c["churned"].mean())


def test_unhappy_customers_churn_more():
    loyalty = {"purchase_rate_per_day": 0.1, "churn_probability": 0.3, "satisfaction_churn_slope": 3.0}
    churned = {}
    for emotion in (-0.8, 0.8):
        scenario, arrivals = instant_buyers(loyalty, 3000, emotion=emotion)
        result = js.simulate(scenario, seed=9, horizon_days=120, arrivals=arrivals, progress=False)
        c = result.customers
        churned[emotion] = c.loc[c["repeat_purchases"] > 0, "churned"].mean()
    assert churned[-0.8] > churned[0.8] + 0.2
    assert churn_given_satisfaction(0.3, 0.0, 3.0) == pytest.approx(0.3)
    assert churn_given_satisfaction(0.3, -0.5, 3.0) > 0.3 > churn_given_satisfaction(0.3, 0.5, 3.0)
