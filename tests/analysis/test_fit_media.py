"""Paid media response fitted to a spend panel: recovery of a panel simulated through
journeysim's own media response, the identifiability warnings, bad panels, and the budget
settings it writes."""

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.fit_media import budget_fields, fit_media_response
from journeysim.errors import DataError
from journeysim.model import media
from journeysim.model.scenario import ChannelBudget, SpendPeriod

TRUE = {
    "search": {"max_arrivals_per_day": 120.0, "half_saturation": 1500.0, "hill_shape": 1.6, "adstock_decay": 0.5},
    "social": {"max_arrivals_per_day": 60.0, "half_saturation": 400.0, "hill_shape": 1.0, "adstock_decay": 0.7},
}
LEVELS = {"search": [300, 800, 1500, 3000], "social": [100, 250, 500, 1200]}


def flighted(channel: str, rng: np.random.Generator, days: int = 364) -> ChannelBudget:
    """Two weeks on (at a level drawn from four), one week off, over and over."""
    plan = []
    for start in range(0, days, 21):
        plan += [SpendPeriod(start, start + 14, float(rng.choice(LEVELS[channel]))), SpendPeriod(start + 14, start + 21, 0.0)]
    return ChannelBudget(channel=channel, spend_per_day=0.0, plan=tuple(plan), **TRUE[channel])


def simulated_panel(seed: int, days: int = 364) -> pd.DataFrame:
    """Daily arrivals: Poisson around journeysim's own response to the spend (adstock, Hill)."""
    rng = np.random.default_rng(seed)
    frames = []
    for channel in TRUE:
        budget = flighted(channel, rng, days)
        mean = budget.max_arrivals_per_day * media.daily_exposure(budget, days)
        dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(days), unit="D")
        frames.append(pd.DataFrame({"period": dates, "channel": channel, "spend": media.daily_spend(budget, days), "arrivals": rng.poisson(mean)}))
    return pd.concat(frames, ignore_index=True)


def test_the_fit_models_the_response_journeysim_simulates():
    """Expected arrivals under the fitted form are journeysim's: max x Hill(adstock(spend))."""
    budget = flighted("social", np.random.default_rng(1), 63)
    fit = fit_media_response(simulated_panel(0, 63), history="none", n_boot=0).channels["social"]
    fitted = ChannelBudget(channel="social", spend_per_day=0.0, plan=budget.plan, **fit.parameters)
    spend = media.daily_spend(budget, 63)
    assert spend.std() > 0 and fit.half_saturation != TRUE["social"]["half_saturation"]
    assert fit.expected_arrivals(spend) == pytest.approx(fit.max_arrivals_per_day * media.daily_exposure(fitted, 63), rel=1e-12)


def test_a_simulated_daily_panel_gives_its_parameters_back():
    """A year of daily spend and arrivals on two channels: every parameter's 95 % interval
    (moving-block bootstrap) holds the truth. (Over 30 seeds, measured once while writing the fitter, 93 % of the intervals did; the suite runs this one.)"""
    fit = fit_media_response(simulated_panel(0), history="none", n_boot=200, seed=0)
    assert fit.period_days == 1 and fit.warnings == []
    table = fit.parameters()
    assert len(table) == 8 and (table["n"] == 364).all()
    for row in table.itertuples():
        _, channel, name = row.field.split(".")
        assert row.low <= TRUE[channel][name] <= row.high, row


def test_a_weekly_panel_is_fitted_day_by_day():
    """The same panel summed by week (spend spread evenly over a week's days): the period is
    found to be 7 days and the daily response is recovered within its intervals."""
    daily = simulated_panel(2)
    daily["period"] = daily["period"].dt.to_period("W-SUN").dt.start_time
    weekly = daily.groupby(["period", "channel"], as_index=False)[["spend", "arrivals"]].sum()
    fit = fit_media_response(weekly, history="none", n_boot=200, seed=1)
    assert fit.period_days == 7 and fit.channels["search"].n_periods == 52
    for row in fit.parameters().itertuples():
        _, channel, name = row.field.split(".")
        assert row.low <= TRUE[channel][name] <= row.high, row


def test_constant_spend_is_warned_about():
    """Search spends 1,000 a day all year: its saturation is not identified (social, flighted,
    is fitted without a warning)."""
    panel = simulated_panel(3)
    search = panel["channel"] == "search"
    steady = TRUE["search"]["max_arrivals_per_day"] * media.hill(1000.0 / (1 - 0.5), 1500.0, 1.6)
    panel.loc[search, "spend"] = 1000.0
    panel.loc[search, "arrivals"] = np.random.default_rng(3).poisson(steady, int(search.sum()))
    fit = fit_media_response(panel, history="steady", n_boot=20, seed=0)
    assert fit.warnings[0].startswith("search: spend hardly varied (its adstocked spend's coefficient of variation is 0.000, below 0.1), so the data cannot tell")
    assert all(warning.startswith("search: ") for warning in fit.warnings)


def test_spend_far_below_saturation_is_warned_about():
    """Spend up to 80 a day against a half-saturation of 2,000: only the straight start of the
    curve is seen, and the maximum runs to the end of its range."""
    rng = np.random.default_rng(3)
    spend = rng.choice([0.0, 20.0, 50.0, 80.0], 200)
    arrivals = rng.poisson(500 * media.hill(media.adstock(spend, 0.3), 2000.0, 1.0))
    fit = fit_media_response(pd.DataFrame({"period": np.arange(200), "channel": "tv", "spend": spend, "arrivals": arrivals}), history="none", n_boot=20)
    first, second = fit.warnings
    assert first.startswith("tv: the fitted half_saturation (") and "is more than twice the largest adstocked spend observed" in first
    assert second.startswith("tv: max_arrivals_per_day stopped at the upper end of its range")


def test_bad_panels_name_the_line(tmp_path):
    panel = simulated_panel(4, 28)
    path = tmp_path / "spend.csv"
    panel.iloc[[0, 1, 1, 2]].to_csv(path, index=False)
    with pytest.raises(DataError, match=r"spend.csv: line 4, column period: channel 'search' already has a row for this period"):
        fit_media_response(path, n_boot=0, name="spend.csv")
    panel.iloc[[0, 1, 4, 5]].to_csv(path, index=False)
    with pytest.raises(DataError, match=r"spend.csv: line 4, column period: channel 'search' has no row for the 2 period\(s\) before this one"):
        fit_media_response(path, n_boot=0, name="spend.csv")
    with pytest.raises(DataError, match=r"spend.csv: line 3, column period: channel 'search' has a row 1 day\(s\) after the previous one, and periods are 7 day\(s\) long"):
        fit_media_response(path, period_days=7, n_boot=0, name="spend.csv")
    idle = panel.assign(spend=np.where(panel["channel"] == "social", 0.0, panel["spend"]))
    fit = fit_media_response(idle, n_boot=0)
    assert list(fit.channels) == ["search"] and fit.warnings == ["social: not fitted, the panel has no spend on it"]


def test_budget_fields_are_a_scenario_budget():
    fit = fit_media_response(simulated_panel(5), history="none", n_boot=0)
    fields = budget_fields(fit)
    assert set(fields) == {"search", "social"}
    assert fields["search"]["spend_per_day"] == pytest.approx(simulated_panel(5).query("channel == 'search'")["spend"].mean())
    scenario = js.config.with_changes(js.load_scenario("retail_omnichannel"), {"budget": fields})
    for channel, values in fields.items():
        budget = scenario.budget[channel]
        assert {name: getattr(budget, name) for name in values} == values
