"""The truth a media-mix model estimates, the regression an analyst fits, and attribution as
tracking degrades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import funnel_scenario_data

import journeysim as js
from journeysim.analysis.exact import conversion_from_states
from journeysim.analysis.media_mix import MediaMixFit, fit_media_mix
from journeysim.model import media
from journeysim.studies.media_truth import (
    COMPOUND_POISSON,
    PAIRED_REPLICATIONS,
    media_incrementality,
)


def one_paid_channel() -> js.Scenario:
    """The funnel scenario with paid social: a spend plan with a burst and a pause, carry-over
    and an S-shaped Hill curve, no retargeting (paid prospects change nobody else's journey)."""
    data = funnel_scenario_data()
    data["arrival_rate_per_day"] = 50.0
    data["budget"] = {"social": {
        "spend_per_day": 300.0, "max_arrivals_per_day": 200.0, "half_saturation": 400.0, "hill_shape": 1.5, "adstock_decay": 0.5,
        "plan": [{"from_day": 5, "to_day": 12, "spend_per_day": 1200.0}, {"from_day": 20, "to_day": 25, "spend_per_day": 0.0}],
    }}  # fmt: skip
    return js.scenario_from_dict(data)


@pytest.mark.statistical
def test_one_paid_channel_truth_matches_the_hill_response_closed_form():
    """Switching paid social off removes exactly its prospects (common random numbers): their
    expected number is sum over days of max_arrivals x Hill(adstock(spend)), and each converts
    with the absorbing chain's probability from a first touch on social. The closed form lies
    in the reported 99 % interval, and revenue likewise (times the mean order value)."""
    scenario = one_paid_channel()
    settings = js.RunSettings(seed=5, horizon_days=80.0, arrival_days=30.0, replications=3, progress=False)
    truth = media_incrementality(scenario, settings, confidence=0.99).set_index("channel").loc["social"]
    budget = scenario.budget["social"]
    prospects = budget.max_arrivals_per_day * media.daily_exposure(budget, 30).sum()
    convert = conversion_from_states(scenario)
    shares = budget.audience_shares(scenario)
    conversions = prospects * sum(share * convert[(persona, "awareness", "social")] for persona, share in shares.items())
    revenue = prospects * sum(share * convert[(persona, "awareness", "social")] * scenario.personas[persona].order_value.mean for persona, share in shares.items())
    assert truth["interval"] == COMPOUND_POISSON
    assert truth["incremental_conversions_ci_low"] < conversions < truth["incremental_conversions_ci_high"]
    assert truth["incremental_revenue_ci_low"] < revenue < truth["incremental_revenue_ci_high"]
    assert truth["incremental_conversions_ci_high"] - truth["incremental_conversions_ci_low"] < 0.2 * conversions
    assert truth["spend"] == pytest.approx(media.daily_spend(budget, 80).sum())
    assert truth["incremental_roas"] == pytest.approx(truth["incremental_revenue"] / truth["spend"])


def test_interacting_customers_get_the_paired_replication_interval():
    scenario = js.load_scenario()  # queues and referrals: customers interact
    settings = js.RunSettings(seed=1, horizon_days=6.0, replications=1, progress=False)
    truth = media_incrementality(scenario, settings, channels=["video"])
    assert truth.loc[0, "interval"] == PAIRED_REPLICATIONS
    assert np.isnan(truth.loc[0, "incremental_conversions_ci_low"]) and "2 replications" in truth.loc[0, "note"]
    with pytest.raises(js.ConfigError, match="not paid channels: 'store'"):
        media_incrementality(scenario, settings, channels=["store"])


def synthetic_panel(noise: float, rng: np.random.Generator) -> tuple[pd.DataFrame, MediaMixFit]:
    truth = MediaMixFit(
        "conversions", ("a", "b"), effect={"a": 300.0, "b": 150.0}, half_saturation={"a": 1000.0, "b": 500.0},
        hill_shape={"a": 1.5, "b": 1.0}, adstock_decay={"a": 0.4, "b": 0.2}, base=200.0, controls={"campaign_x": 50.0},
    )  # fmt: skip
    weeks = 52
    spend = {c: rng.choice([0.0, 500.0, 1000.0, 2500.0], weeks) for c in truth.channels}
    frames = [pd.DataFrame({"replication": r, "period": np.arange(weeks), "campaign_x": (np.arange(weeks) % 13 == 0).astype(float),
                            **{f"spend_{c}": spend[c] for c in truth.channels}}) for r in range(3)]  # fmt: skip
    panel = pd.concat(frames, ignore_index=True)
    panel["conversions"] = truth.predict(panel) + noise * rng.standard_normal(len(panel))
    return panel, truth


def test_media_mix_regression_recovers_a_panel_drawn_from_its_own_model():
    panel, truth = synthetic_panel(noise=0.0, rng=np.random.default_rng(1))
    fit = fit_media_mix(panel, controls=["campaign_x"])
    found = fit.contributions(panel).set_index("channel")["contribution"]
    expected = truth.contributions(panel).set_index("channel")["contribution"]
    assert found.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-3)
    assert fit.residual_sd < 1e-3 and fit.base == pytest.approx(200.0, rel=1e-3)
    # With noise the fit still explains the panel to its noise level.
    noisy, _ = synthetic_panel(noise=10.0, rng=np.random.default_rng(2))
    assert fit_media_mix(noisy, controls=["campaign_x"]).residual_sd == pytest.approx(10.0, rel=0.25)


def test_media_mix_regression_needs_its_columns():
    with pytest.raises(ValueError, match="missing column.*spend_tv"):
        fit_media_mix(pd.DataFrame({"conversions": [1.0, 2.0]}), channels=["tv"])


def test_attribution_under_tracking_scores_every_model_at_every_consent_rate():
    from journeysim.reporting.observation_figures import tracking_error_figure
    from journeysim.studies.tracking import attribution_under_tracking

    data = funnel_scenario_data()
    data["arrival_rate_per_day"] = 80.0
    scenario = js.scenario_from_dict(data)
    study = attribution_under_tracking(scenario, consent_rates=(1.0, 0.5, 0.0), replications=2, horizon_days=30.0)
    scores = study.scores
    assert set(scores["consent_rate"]) == {1.0, 0.5, 0.0}
    assert scores.groupby("consent_rate")["model"].nunique().eq(8).all()
    seen = scores.groupby("consent_rate")["observed_conversions"].first()
    assert seen[1.0] == scores["true_conversions"].iloc[0] > seen[0.5] > seen[0.0] > 0  # the store's paths stay
    online = study.credits.loc[(study.credits["consent_rate"] == 0.0) & study.credits["channel"].isin(["social", "search", "website"])]
    assert (online["credit_share"] == 0).all()  # invisible online: no model credits an online channel
    # At full consent the scores are those of the attribution study on the true paths.
    full = js.attribution_vs_truth(scenario, replications=2, horizon_days=30.0, include_friction=False).scores.set_index("model")
    at_one = scores.loc[scores["consent_rate"] == 1.0].set_index("model")
    assert at_one["misallocated_share"].to_numpy() == pytest.approx(full.loc[at_one.index, "misallocated_share"].to_numpy())
    figure = tracking_error_figure(scores)
    assert len(figure.axes[0].lines) == 8
