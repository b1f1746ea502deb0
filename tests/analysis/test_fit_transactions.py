"""Repeat buying (BG/NBD) and order values fitted to transactions: the published CDNOW fit,
its holdout forecast, the mapping to a persona's settings, and a simulation round trip."""

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.bgnbd import bgnbd_log_likelihood, fit_bgnbd
from journeysim.analysis.fit_transactions import (
    customer_summary,
    expected_repeats_after,
    fit_repeat_buying,
    loyalty_fields,
    read_purchases,
    repeat_tracking,
    repeats_between,
)
from journeysim.datasets import load_cdnow_sample
from journeysim.errors import ConfigError, DataError

FIXED = lambda days: {"dist": "fixed", "value": days}  # noqa: E731
CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"  # FHL: weeks 1-39 and 40-78


@pytest.fixture(scope="module")
def cdnow():
    return fit_repeat_buying(load_cdnow_sample(), CALIBRATION_END, n_boot=200, seed=2005)


def test_cdnow_summary_follows_fader_hardie_lee():
    """Same-day purchases are one transaction; T runs from the first purchase to 30 Sept 1997:
    38.86 weeks for a customer who first bought on 1 January, as in FHL's data."""
    data = load_cdnow_sample()
    summary = customer_summary(read_purchases(data), CALIBRATION_END)
    assert len(summary) == 2357 and summary["x"].sum() == 2457
    assert summary.loc["1", ["x", "t_x", "T"]].tolist() == pytest.approx([2, 213 / 7, 272 / 7])  # 2, 30.43, 38.86
    assert summary.loc["2", ["x", "t_x", "T"]].tolist() == pytest.approx([1, 12 / 7, 272 / 7])  # 1, 1.71, 38.86
    unmerged = customer_summary(read_purchases(data, merge_same_day=False), CALIBRATION_END)
    assert unmerged["x"].sum() == 2603  # 146 calibration records share a day with another


def test_cdnow_fit_reproduces_the_published_parameters(cdnow):
    """FHL (2005) report r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (weeks) and a
    log-likelihood of -9582.4; the fit gives them to every published digit."""
    fit = cdnow.repeat_buying
    assert [round(v, 3) for v in (fit.r, fit.alpha, fit.a, fit.b)] == [0.243, 4.414, 0.793, 2.426]
    assert round(fit.log_likelihood, 1) == -9582.4
    assert fit.converged and fit.at_bound() == [] and fit.n_customers == 2357 and fit.time_unit == "weeks"
    summary = cdnow.summary
    assert bgnbd_log_likelihood(fit.r, fit.alpha, fit.a, fit.b, summary["x"], summary["t_x"], summary["T"]).sum() == pytest.approx(fit.log_likelihood, abs=1e-9)
    table = fit.intervals()
    assert (table["low"] < table["estimate"]).all() and (table["estimate"] < table["high"]).all()
    assert np.isfinite(fit.standard_errors).all() and fit.bootstrap.shape == (200, 4)


def test_cdnow_holdout_forecast(cdnow):
    """Weeks 40-78: 1,882 repeat transactions observed; the model forecasts 1,666.7 (11.4 %
    fewer). FHL's Figure 2 shows the cumulative curve tracked closely: from week 19 on the
    expected cumulative repeat transactions stay within 5 % of the actual ones (4,160.6
    against 4,339 at week 78, -4.1 %; 2,494.0 against 2,457 at week 39)."""
    fit, summary = cdnow.repeat_buying, cdnow.summary
    actual = repeats_between(cdnow.purchases, CALIBRATION_END, HOLDOUT_END)
    assert actual.sum() == 1882 and len(actual) == 2357
    forecast = expected_repeats_after(fit, summary, 39.0)
    assert forecast == pytest.approx(1666.65, abs=0.05)
    tracking = repeat_tracking(fit, cdnow.purchases, summary, HOLDOUT_END)
    assert len(tracking) == 78 and tracking["time"].iloc[-1] == pytest.approx(545 / 7)
    week39, week78 = tracking.iloc[38], tracking.iloc[77]
    assert (week39["actual"], week78["actual"]) == (2457, 4339)
    assert week39["expected"] == pytest.approx(fit.expected_repeats(summary["T"].to_numpy()).sum())
    assert week78["expected"] - week39["expected"] == pytest.approx(forecast)
    later = tracking[tracking["period"] >= 19]
    assert (abs(later["expected"] / later["actual"] - 1) < 0.05).all()


def test_loyalty_fields_give_a_scenario_the_fitted_parameters_in_days(cdnow):
    fit = cdnow.repeat_buying
    fields = loyalty_fields(fit)
    persona = _buyer_scenario(fields, cdnow.order_value.spec).personas["buyer"]
    loyalty = persona.loyalty
    assert persona.order_value.mean == pytest.approx(cdnow.order_value.spec["mean"])
    assert loyalty.rate_shape == pytest.approx(fit.r, rel=1e-12)
    assert loyalty.gamma_rate == pytest.approx(7 * fit.alpha, rel=1e-12)  # alpha per week -> per day
    assert loyalty.beta_parameters == pytest.approx((fit.a, fit.b), rel=1e-12)
    table = cdnow.parameters().set_index("field")
    assert list(table.index) == ["loyalty.purchase_rate_per_day", "loyalty.rate_shape", "loyalty.churn_probability", "loyalty.churn_concentration", "order_value.mean", "order_value.cv"]
    assert table.loc["loyalty.rate_shape", "estimate"] == fit.r and table.loc["loyalty.rate_shape", "n"] == 2357
    assert (table["low"] < table["estimate"]).all() and (table["estimate"] < table["high"]).all()


def test_cdnow_order_values_are_lognormal(cdnow):
    """4,806 calibration transactions with a value > 0 (same-day ones added up; 8 records are
    0): the lognormal has the smallest AIC; its mean is the sample mean of the values."""
    values = cdnow.order_value
    assert values.spec["dist"] == "lognormal" and values.n_values == 4806
    assert list(values.candidates["family"])[0] == "lognormal"
    assert values.candidates["aic"].is_monotonic_increasing


def test_order_value_recovery_on_synthetic_data():
    """2,000 customers, 5 orders each, values lognormal with mean 40 and cv 0.8: the lognormal
    is chosen and both parameters' 95 % bootstrap intervals hold the truth."""
    rng = np.random.default_rng(7)
    sigma2 = np.log1p(0.8**2)
    customers = np.repeat(np.arange(2000), 5)
    frame = pd.DataFrame({
        "customer_id": customers,
        "date": np.tile(np.arange(5) * 10.0, 2000),
        "value": rng.lognormal(np.log(40.0) - sigma2 / 2, np.sqrt(sigma2), customers.size),
    })
    fit = fit_repeat_buying(frame, time_unit="days", n_boot=200, seed=1).order_value
    assert fit.spec["dist"] == "lognormal"
    intervals = fit.intervals().set_index("parameter")
    for name, truth in (("mean", 40.0), ("cv", 0.8)):
        assert intervals.loc[name, "low"] <= truth <= intervals.loc[name, "high"], (name, intervals.loc[name].to_dict())
    assert intervals.loc["mean", "high"] - intervals.loc["mean", "low"] < 2.5  # +-3 % of the mean


def test_simulated_buyers_give_their_parameters_back():
    """3,000 customers simulated by journeysim's loyalty model (first purchases spread over 12
    weeks, followed to day 273) in continuous time: the fit's 95 % bootstrap intervals hold the
    true r, alpha (days), a and b, and the order value's mean and cv. (Over 40 seeds, measured once while writing the fitter, each
    parameter's interval held the truth in 95 % of them.)"""
    r, alpha, a, b = 0.8, 20.0, 0.8, 4.0
    fields = {"purchase_rate_per_day": r / alpha, "rate_shape": r, "churn_probability": a / (a + b), "churn_concentration": a + b}
    scenario = _buyer_scenario(fields, {"dist": "lognormal", "mean": 30.0, "cv": 0.6})
    rng = np.random.default_rng(4)
    arrivals = pd.DataFrame({"persona": "buyer", "time_days": np.sort(rng.uniform(0, 84, 3000))})
    events = js.simulate(scenario, seed=4, horizon_days=273, arrivals=arrivals, progress=False).events
    purchases = events[events["event"].isin(["purchase", "repeat_purchase"])]
    frame = pd.DataFrame({"customer_id": purchases["customer_id"], "date": purchases["time_days"], "value": purchases["value"]})
    fit = fit_repeat_buying(frame, 273.0, time_unit="days", merge_same_day=False, n_boot=200, seed=4)
    assert len(fit.summary) == 3000
    intervals = fit.repeat_buying.intervals().set_index("parameter")
    for name, truth in zip(("r", "alpha", "a", "b"), (r, alpha, a, b)):
        assert intervals.loc[name, "low"] <= truth <= intervals.loc[name, "high"], (name, intervals.loc[name].to_dict())
    values = fit.order_value.intervals().set_index("parameter")
    assert fit.order_value.spec["dist"] == "lognormal"
    for name, truth in (("mean", 30.0), ("cv", 0.6)):
        assert values.loc[name, "low"] <= truth <= values.loc[name, "high"], (name, values.loc[name].to_dict())


def test_data_that_cannot_be_fitted_say_why():
    once = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "2024-01-03"], "value": [5.0, 6.0]})
    with pytest.raises(DataError, match="no customer bought twice by the calibration end: the 2 customers' repeat buying cannot be fitted"):
        fit_repeat_buying(once, n_boot=0, name="transactions.csv")
    twice = pd.concat([once, once.assign(date=["2024-02-01", "2024-02-03"])])
    with pytest.raises(ConfigError, match=r"calibration_end: cannot read 'end of May' as a date"):
        fit_repeat_buying(twice, "end of May", n_boot=0)
    with pytest.raises(ConfigError, match=r"calibration_end: the data give dates, so this must be a date, got 273"):
        fit_repeat_buying(twice, 273, n_boot=0)
    with pytest.raises(ConfigError, match=r"calibration_end: no purchase in data is on or before it \('2023-06-01'\); the first is 2024-01-01"):
        fit_repeat_buying(twice, "2023-06-01", n_boot=0)
    with pytest.raises(ConfigError, match=r"calibration_end: the data give times in days, so this must be a number of days, got '2024-01-01'"):
        fit_repeat_buying(twice.assign(date=[0.0, 2.0, 31.0, 33.0]), "2024-01-01", n_boot=0)
    with pytest.raises(ConfigError, match=r"time_unit: must be one of days, weeks, got 'months'"):
        fit_repeat_buying(twice, time_unit="months", n_boot=0)
    with pytest.raises(ValueError, match="needs customers with repeat purchases"):
        fit_bgnbd(pd.DataFrame({"x": [0, 0], "t_x": [0.0, 0.0], "T": [3.0, 4.0]}))


def _buyer_scenario(loyalty: dict, order_value: dict) -> js.Scenario:
    """Customers who buy the moment they arrive; then only the loyalty process runs."""
    return js.scenario_from_dict({
        "name": "repeat_buyers",
        "stages": ["awareness", "purchase", "loyalty"],
        "arrival_rate_per_day": 1.0,
        "channels": {"shop": {"sells": True}},
        "touchpoints": {
            "awareness": {"shop": {"delay_days": FIXED(0.0), "advance": 1.0}},
            "purchase": {"shop": {"delay_days": FIXED(0.0), "advance": 1.0}},
        },
        "personas": {"buyer": {"share": 1.0, "affinity": {"shop": 1.0}, "order_value": order_value, "loyalty": loyalty}},
    })
