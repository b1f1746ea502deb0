"""Calendar effects in arrivals: periods of constant rate found in daily counts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import journeysim as js
from journeysim.analysis.fit_arrivals import arrival_periods

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_fit_touches import ROUND_TRIP_STAGES, round_trip_data, touch_log_of  # noqa: E402


def test_a_steady_rate_stays_one_period():
    """200 steady 60-day series at 50 a day: the BIC-style penalty (2 log 60 = 8.2 in
    log-likelihood) keeps chance splits out; at most 2 of 200 may split (1 %)."""
    rng = np.random.default_rng(7)
    splits = sum(len(arrival_periods(rng.poisson(50, 60))) > 1 for _ in range(200))
    assert splits <= 2


@pytest.mark.parametrize("rate", [200, 1000])
def test_day_to_day_variation_beyond_poisson_is_no_calendar_effect(rate):
    """Daily rates varying 10 % around their level (gamma-Poisson, as weekdays and weather
    make them): at most 2 of 200 steady series may split."""
    rng = np.random.default_rng(rate)
    series = (rng.poisson(rng.gamma(100, rate / 100, 60)) for _ in range(200))
    assert sum(len(arrival_periods(counts)) > 1 for counts in series) <= 2


def test_a_campaign_stands_out_of_overdispersed_days():
    rng = np.random.default_rng(5)
    level = np.r_[np.full(20, 1000.0), np.full(14, 1800.0), np.full(26, 1000.0)]
    counts = rng.poisson(level * rng.gamma(100, 0.01, 60))
    assert [(a, b) for a, b, _ in arrival_periods(counts)] == [(0, 20), (20, 34), (34, 60)]


def test_a_campaign_is_found_where_it_was():
    rng = np.random.default_rng(3)
    counts = np.concatenate([rng.poisson(50, 20), rng.poisson(90, 14), rng.poisson(50, 26)])
    periods = arrival_periods(counts)
    assert [(a, b) for a, b, _ in periods] == [(0, 20), (20, 34), (34, 60)]
    assert periods[1][2] == pytest.approx(counts[20:34].mean())


def test_the_fitter_recovers_a_scenario_campaign():
    """The scroller's arrivals are 1.8 times as many on days 20-34 (a calendar entry): the
    fit finds that period (to within 2 days) and its multiplier within the bootstrap interval."""
    data = round_trip_data()
    data["calendar"] = [{"name": "spring push", "from_day": 20, "to_day": 34, "multiplier": 1.8, "personas": ["scroller"]}]
    result = js.simulate(js.scenario_from_dict(data), seed=4, horizon_days=60, engine="vectorised", progress=False)
    fit = js.fit_touch_log(touch_log_of(result), ROUND_TRIP_STAGES, end_days=60.0, bootstrap=60, seed=3)
    calendar = fit.calendar.set_index("persona")
    assert set(calendar.index) == {"scroller"}
    row = calendar.loc["scroller"]
    assert row["from_day"] == pytest.approx(20, abs=2) and row["to_day"] == pytest.approx(34, abs=2)
    assert row["multiplier_ci_low"] <= 1.8 <= row["multiplier_ci_high"]
    scenario = js.scenario_from_dict(js.fitted_scenario_data(fit))
    assert [c.personas for c in scenario.calendar] == [("scroller",)]
