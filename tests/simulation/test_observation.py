"""Observation: what a brand records of the truth (consent, recording, identity loss, sales
matching), drawn after the run from its own random stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import funnel_scenario_data
from pandas.testing import assert_frame_equal

import journeysim as js
from journeysim.model.observation import Observation
from journeysim.simulation.observation import OBSERVED_COLUMNS, OBSERVED_EVENTS, observe

OBSERVED_KINDS = list(OBSERVED_EVENTS)


@pytest.fixture(scope="module")
def funnel_run():
    scenario = js.scenario_from_dict({**funnel_scenario_data(), "arrival_rate_per_day": 150.0})
    return scenario, js.simulate(scenario, seed=11, horizon_days=30.0, replications=2, progress=False)


def true_touches_and_sales(events: pd.DataFrame) -> pd.DataFrame:
    """The truth's touches and purchases, grouped by customer in time order."""
    rows = events.loc[events["event"].isin(OBSERVED_KINDS)]
    return rows.iloc[np.lexsort((np.arange(len(rows)), rows["time_days"].to_numpy(), rows["customer_id"].to_numpy(), rows["replication"].to_numpy()))]


def test_full_visibility_records_every_touch_and_sale_under_one_id_per_customer(funnel_run):
    scenario, run = funnel_run
    observed = observe(scenario, run.events, run.customers, seed=11)
    truth = true_touches_and_sales(run.events).reset_index(drop=True)
    assert list(observed.columns) == list(OBSERVED_COLUMNS)
    assert len(observed) == len(truth)
    for column in ("replication", "time_days", "stage", "channel", "value"):
        assert (observed[column].to_numpy() == truth[column].to_numpy()).all() or np.allclose(observed[column], truth[column], equal_nan=True), column
    assert list(observed["event"].astype(str)) == list(truth["event"].astype(str))
    assert (observed["true_customer_id"].to_numpy() == truth["customer_id"].to_numpy()).all()
    ids = observed.groupby(["replication", "true_customer_id"])["observed_id"].nunique()
    assert (ids == 1).all()  # one id per customer...
    owners = observed.groupby("observed_id")[["replication", "true_customer_id"]].nunique()
    assert (owners == 1).all().all()  # ...and one customer per id
    assert observed["consent"].all()


def test_consent_zero_makes_online_touches_vanish_and_keeps_sales_and_offline_contacts(funnel_run):
    scenario, run = funnel_run
    observed = observe(scenario, run.events, run.customers, seed=11, observation=Observation(consent_rate=0.0))
    online = [name for name, channel in scenario.channels.items() if channel.mode == "online"]
    touches = observed.loc[observed["event"] == "touch"]
    assert not touches["channel"].isin(online).any()
    truth = run.events
    assert len(touches) == int(((truth["event"] == "touch") & truth["channel"].isin(["store"])).sum()) > 0
    assert int((observed["event"] != "touch").sum()) == int(truth["event"].isin(["purchase", "repeat_purchase"]).sum())
    assert not observed["consent"].any()


def test_a_lower_consent_rate_removes_customers_never_reshuffles_them(funnel_run):
    scenario, run = funnel_run
    tracked = {}
    for rate in (0.3, 0.7):
        observed = observe(scenario, run.events, run.customers, seed=11, observation=Observation(consent_rate=rate))
        tracked[rate] = set(map(tuple, observed.loc[observed["consent"], ["replication", "true_customer_id"]].drop_duplicates().to_numpy()))
    customers = len(run.customers)
    assert tracked[0.3] < tracked[0.7]
    # Shares of consenting customers within binomial noise (4 standard deviations).
    for rate, who in tracked.items():
        seen = run.events.loc[run.events["event"].isin(OBSERVED_KINDS), ["replication", "customer_id"]].drop_duplicates()
        assert abs(len(who) / len(seen) - rate) < 4 * np.sqrt(rate * (1 - rate) / len(seen)), (rate, len(who), customers)


def test_recorded_share_and_offline_sale_matching_keep_their_rates(funnel_run):
    scenario, run = funnel_run
    observation = Observation(recorded_share={"store": 0.25}, offline_purchase_match=0.4)
    observed = observe(scenario, run.events, run.customers, seed=11, observation=observation)
    truth = run.events
    store_touches = int(((truth["event"] == "touch") & (truth["channel"] == "store")).sum())
    seen = int(((observed["event"] == "touch") & (observed["channel"] == "store")).sum())
    assert abs(seen / store_touches - 0.25) < 4 * np.sqrt(0.25 * 0.75 / store_touches)
    # Every sale is recorded; an unmatched store sale has an id of its own, with nothing else on it.
    store_sales = observed.loc[(observed["event"] != "touch") & (observed["channel"] == "store")]
    alone = observed.groupby("observed_id").size().reindex(store_sales["observed_id"]).to_numpy() == 1
    has_own_id = store_sales["observed_id"].to_numpy() != observed.loc[observed["event"] == "touch"].groupby("true_customer_id")["observed_id"].first().reindex(store_sales["true_customer_id"]).to_numpy()
    unmatched = alone & has_own_id
    assert abs(unmatched.mean() - 0.6) < 4 * np.sqrt(0.24 / len(store_sales))


@pytest.mark.statistical
def test_identity_loss_splits_journeys_into_the_poisson_closed_form_number_of_ids():
    """Resets at rate r a day split a customer's recorded timeline t_1 < ... < t_n: each gap g
    holds one reset at least with probability p = 1 - exp(-r g), so the customer's ids number
    1 + sum of independent Bernoulli(p). Over all customers, the count of ids is within the
    99 % normal interval of that sum (mean sum p, variance sum p (1 - p))."""
    data = funnel_scenario_data()
    data["arrival_rate_per_day"] = 400.0
    scenario = js.scenario_from_dict(data)
    run = js.simulate(scenario, seed=3, horizon_days=30.0, progress=False)
    rate = 0.3
    observed = observe(scenario, run.events, run.customers, seed=3, observation=Observation(identity_loss_per_day=rate))
    truth = true_touches_and_sales(run.events)
    gaps = truth.groupby("customer_id")["time_days"].diff().dropna().to_numpy()
    p = -np.expm1(-rate * gaps)
    expected = truth["customer_id"].nunique() + p.sum()
    half = 2.5758 * np.sqrt((p * (1 - p)).sum())
    ids = observed["observed_id"].nunique()
    assert abs(ids - expected) < half, (ids, expected, half)
    assert p.sum() > 2000  # enough resets for the interval to mean something
    # Without identity loss: one id per customer, the same ones a run of this seed always gives.
    again = observe(scenario, run.events, run.customers, seed=3, observation=Observation())
    assert again["observed_id"].nunique() == truth["customer_id"].nunique()


def test_observation_never_changes_the_truth_nor_the_kpis(tmp_path):
    """The same seed with and without an observation section: the same events, customers and
    KPIs, and observing leaves the tables it reads as they were."""
    data = funnel_scenario_data()
    plain = js.scenario_from_dict(data)
    watched = js.scenario_from_dict({**data, "observation": {"consent_rate": 0.3, "identity_loss_per_day": 0.5, "recorded_share": {"store": 0.1}}})
    first = js.simulate(plain, seed=5, horizon_days=10.0, progress=False)
    second = js.simulate(watched, seed=5, horizon_days=10.0, progress=False)
    assert_frame_equal(first.events, second.events)
    assert_frame_equal(first.customers, second.customers)
    assert_frame_equal(first.metrics(), second.metrics())
    before = pd.util.hash_pandas_object(second.events, index=True).sum(), pd.util.hash_pandas_object(second.customers, index=True).sum()
    observe(watched, second.events, second.customers, seed=5)
    assert (pd.util.hash_pandas_object(second.events, index=True).sum(), pd.util.hash_pandas_object(second.customers, index=True).sum()) == before


def test_observation_draws_do_not_depend_on_the_row_order_or_chunking_of_the_tables(funnel_run):
    scenario, run = funnel_run
    observation = Observation(consent_rate=0.6, identity_loss_per_day=0.2, recorded_share={"store": 0.5}, offline_purchase_match=0.5)
    whole = observe(scenario, run.events, run.customers, seed=11, observation=observation)
    # The same rows in time order (ties as recorded), given a replication at a time.
    by_time = run.events.sort_values("time_days", kind="stable")
    pieces = []
    for replication in (0, 1):
        events = by_time.loc[by_time["replication"] == replication]
        pieces.append(observe(scenario, events, run.customers.loc[run.customers["replication"] == replication], seed=11, observation=observation))
    assert_frame_equal(pd.concat(pieces, ignore_index=True), whole)


def test_an_empty_observation_section_is_full_visibility():
    data = funnel_scenario_data()
    assert js.scenario_from_dict({**data, "observation": {}}).observation == Observation()
    assert Observation().is_full and not Observation(consent_rate=0.9).is_full
    assert js.scenario_from_dict({**data, "observation": {"session_timeout_days": "1h"}}).observation.session_timeout_days == 1 / 24
