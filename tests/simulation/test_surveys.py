"""Surveys on hand-built event logs: which moments invite, the answers' closed forms, the
non-response bias, and draws that belong to one customer's moment only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from journeysim.analysis.metrics import kpi_table
from journeysim.config import scenario_from_dict
from journeysim.model.surveys import (
    answer_probabilities,
    expected_ces,
    expected_csat,
    expected_nps,
)
from journeysim.simulation.records import EVENT_TYPES, customers_table, events_table
from journeysim.simulation.surveys import SURVEY_COLUMNS, survey_table
from tests.conftest import tiny_scenario_data

Z99 = stats.norm.ppf(0.995)


def scenario_with(**surveys):
    """The tiny scenario, its website staffed (so touching it is a service contact), with ``surveys``."""
    data = tiny_scenario_data()
    data["channels"]["website"].update(capacity=2, service_time_days={"dist": "fixed", "value": 0.01})
    data["experience"] = {"peak_end_weight": 0.5}
    data["surveys"] = {"response_probability": {"neutral": 1.0, "extreme": 1.0}, **surveys}
    return scenario_from_dict(data)


def tables(scenario, rows, replication=0):
    """Events and customers from rows (customer, persona, time, stage, channel, event, emotion,
    experienced); stage and channel None where they do not apply. Customer i is its persona's
    arrival number i."""
    customer, persona, time, stage, channel, event, emotion, lived = (list(column) for column in zip(*rows))
    code = lambda names, values: np.array([-1 if v is None else names.index(v) for v in values], dtype=np.int8)  # noqa: E731
    labels = (scenario.stages, scenario.channel_names, scenario.persona_names)
    personas = code(scenario.persona_names, persona)
    columns = {
        "customer_id": np.array(customer, dtype=np.int32), "persona": personas, "time_days": np.array(time, dtype=float),
        "stage": code(scenario.stages, stage), "channel": code(scenario.channel_names, channel),
        "event": code(EVENT_TYPES, event), "outcome": np.full(len(rows), -1, dtype=np.int8),
        "emotion": np.array(emotion, dtype=np.float32), "experience": np.array(lived, dtype=bool),
        "value": np.zeros(len(rows), dtype=np.float32), "cost": np.zeros(len(rows), dtype=np.float32),
    }  # fmt: skip
    events = events_table(columns, replication, *labels)
    n = max(customer) + 1
    of = dict(zip(customer, personas))
    customers = customers_table(
        {"persona": np.array([of[i] for i in range(n)], dtype=np.int8), "persona_customer": np.arange(n), "arrival_days": np.zeros(n),
         "final_stage": np.zeros(n, dtype=np.int8), "final_channel": np.zeros(n, dtype=np.int8)},
        replication, *labels,
    )  # fmt: skip
    return events, customers


def buyers(scenario, satisfaction, n, first=0, persona="buyer"):
    """``n`` customers who feel ``satisfaction`` at a website touch and at their purchase."""
    rows = []
    for i in range(first, first + n):
        rows += [(i, persona, 1.0, "interest", "social", "touch", satisfaction, True),
                 (i, persona, 2.0, "purchase", "website", "purchase", satisfaction, True)]  # fmt: skip
    return rows


def test_each_trigger_invites_at_its_moment_with_the_satisfaction_felt_then():
    scenario = scenario_with(after=["purchase", "repeat_purchase", "service", "churn", "friction_loss"])
    rows = [
        (0, "buyer", 0.0, "awareness", None, "arrival", 0.0, False),
        (0, "buyer", 1.0, "awareness", "social", "touch", 0.9, False),  # an ad seen: exposure
        (0, "buyer", 5.0, None, None, "churn", 0.0, False),  # rows come in any order
        (0, "buyer", 2.0, "interest", "website", "touch", -0.5, True),  # service (capacity)
        (0, "buyer", 3.0, "purchase", "website", "purchase", 0.5, True),
        (0, "buyer", 4.0, "purchase", "website", "repeat_purchase", 0.25, True),
        (1, "blocked", 0.5, "interest", "website", "touch", 0.0, False),  # staffed, yet nothing felt: no survey
        (1, "blocked", 1.5, "purchase", "website", "touch", -0.25, True),
        (1, "blocked", 1.5, "purchase", "website", "friction_loss", -1.0, True),
    ]
    events, customers = tables(scenario, rows)
    surveys = survey_table(scenario, events, customers, seed=1, replication=0)
    assert list(surveys.columns) == list(SURVEY_COLUMNS)
    assert surveys[["customer_id", "trigger", "time_days"]].astype({"trigger": str}).values.tolist() == [
        [1, "service", 1.5], [1, "friction_loss", 1.5], [0, "service", 2.0], [0, "purchase", 3.0], [0, "repeat_purchase", 4.0], [0, "churn", 5.0],
    ]  # fmt: skip
    # w = 0.5. Customer 0: -0.5; then mean 0, peak -0.5 (|0.5| ties, the later +0.5 wins), end 0.5.
    peak_end = lambda mean, peak, end: 0.5 * mean + 0.5 * (peak + end) / 2  # noqa: E731
    expected = [-0.25, peak_end(-0.625, -1.0, -1.0), -0.5, peak_end(0.0, 0.5, 0.5), peak_end(0.25 / 3, 0.5, 0.25), peak_end(0.25 / 3, 0.5, 0.25)]
    np.testing.assert_allclose(surveys["satisfaction"], expected)
    assert surveys["stage"].astype(str).tolist()[:4] == ["purchase", "purchase", "interest", "purchase"]
    assert surveys["responded"].all() and surveys[["csat", "nps", "ces"]].notna().all().all()


def test_only_the_listed_moments_and_only_staffed_channels_invite():
    rows = buyers(scenario_with(), 0.5, 3)
    assert (survey_table(scenario_with(after=["purchase"]), *tables(scenario_with(), rows), seed=1, replication=0)["trigger"] == "purchase").sum() == 3
    # Social has no capacity: its touches are no service contact; there is no churn here.
    service = survey_table(scenario_with(after=["service", "churn"]), *tables(scenario_with(), rows), seed=1, replication=0)
    assert service.empty and list(service.columns) == list(SURVEY_COLUMNS)


def test_a_scenario_without_surveys_gives_an_empty_table_with_its_columns():
    data = tiny_scenario_data()
    scenario = scenario_from_dict(data)
    events, customers = tables(scenario, buyers(scenario, 0.5, 2))
    table = survey_table(scenario, events, customers, seed=1, replication=0)
    assert table.empty and list(table.columns) == list(SURVEY_COLUMNS)
    assert kpi_table(customers, events)[["survey_invitations", "csat", "nps"]].isna().all().all()


@pytest.mark.statistical
@pytest.mark.parametrize("satisfaction", [0.5, -0.25])
def test_answers_match_their_closed_forms_at_a_fixed_satisfaction(satisfaction):
    n, noise = 40_000, 0.3
    scenario = scenario_with(after=["purchase"], noise=noise, response_probability={"neutral": 0.2, "extreme": 0.6})
    events, customers = tables(scenario, buyers(scenario, satisfaction, n))
    surveys = survey_table(scenario, events, customers, seed=7, replication=0)
    kpis = kpi_table(customers, events, surveys=surveys).set_index("persona").loc["all"]
    assert kpis["survey_invitations"] == n
    p = 0.2 + 0.4 * abs(satisfaction)
    assert abs(kpis["response_rate"] - p) <= Z99 * np.sqrt(p * (1 - p) / n)
    respondents = int(kpis["survey_responses"])
    # NPS: each answer scores +100 (9-10), 0 or -100 (0-6); the mean is the NPS.
    answers = answer_probabilities("nps", satisfaction, noise)
    promoters, detractors = answers[9:].sum(), answers[:7].sum()
    nps = expected_nps(satisfaction, noise)
    assert nps == pytest.approx(100 * (promoters - detractors))
    variance = 100**2 * (promoters + detractors) - nps**2
    assert abs(kpis["nps"] - nps) <= Z99 * np.sqrt(variance / respondents)
    csat = expected_csat(satisfaction, noise) / 100
    assert abs(kpis["csat"] / 100 - csat) <= Z99 * np.sqrt(csat * (1 - csat) / respondents)
    points = np.arange(1, 8)
    ces_sd = np.sqrt(answer_probabilities("ces", satisfaction, noise) @ points**2 - expected_ces(satisfaction, noise) ** 2)
    assert abs(kpis["ces"] - expected_ces(satisfaction, noise)) <= Z99 * ces_sd / np.sqrt(respondents)


@pytest.mark.statistical
def test_non_response_bias_matches_its_closed_form_on_two_groups():
    # Unhappy (s1) and lukewarm (s2) customers; the unhappy answer far more often.
    (n1, s1), (n2, s2) = (20_000, -0.75), (30_000, 0.125)
    neutral, extreme = 0.05, 0.5
    scenario = scenario_with(after=["purchase"], response_probability={"neutral": neutral, "extreme": extreme})
    events, customers = tables(scenario, buyers(scenario, s1, n1, persona="blocked") + buyers(scenario, s2, n2, first=n1))
    surveys = survey_table(scenario, events, customers, seed=2, replication=0)
    kpis = kpi_table(customers, events, surveys=surveys).set_index("persona")
    p1, p2 = neutral + (extreme - neutral) * abs(s1), neutral + (extreme - neutral) * abs(s2)
    for persona, n, p in (("blocked", n1, p1), ("buyer", n2, p2)):
        assert abs(kpis.at[persona, "response_rate"] - p) <= Z99 * np.sqrt(p * (1 - p) / n)
    invited = (n1 * s1 + n2 * s2) / (n1 + n2)
    assert kpis.at["all", "invited_satisfaction"] == pytest.approx(invited, abs=1e-12)
    # Respondents' mean: the groups weighted by their expected respondents n p.
    biased = (n1 * p1 * s1 + n2 * p2 * s2) / (n1 * p1 + n2 * p2)
    variance = ((s1 - biased) ** 2 * n1 * p1 * (1 - p1) + (s2 - biased) ** 2 * n2 * p2 * (1 - p2)) / (n1 * p1 + n2 * p2) ** 2
    assert abs(kpis.at["all", "respondent_satisfaction"] - biased) <= Z99 * np.sqrt(variance)
    assert biased < invited - 0.2  # the bias is far larger than the interval: the test can tell


def test_the_same_seed_gives_the_same_answers_and_each_moment_its_own_draws():
    scenario = scenario_with(after=["purchase", "service"], noise=0.5, invitation_probability=0.7,
                             response_probability={"neutral": 0.4, "extreme": 0.8})  # fmt: skip
    rows = buyers(scenario, 0.25, 300) + buyers(scenario, -0.5, 300, first=300, persona="blocked")
    events, customers = tables(scenario, rows, replication=2)
    first = survey_table(scenario, events, customers, seed=5, replication=2)
    pd.testing.assert_frame_equal(first, survey_table(scenario, events, customers, seed=5, replication=2))
    assert 0.6 < len(first) / 600 < 0.8 and 0 < first["responded"].mean() < 1
    # The same customers in another order, half of the others gone: the rest answer the same.
    kept = events.loc[events["customer_id"] % 2 == 0].iloc[::-1]
    alone = survey_table(scenario, kept, customers, seed=5, replication=2)
    pd.testing.assert_frame_equal(alone, first.loc[first["customer_id"] % 2 == 0].reset_index(drop=True))
    other = survey_table(scenario, events, customers, seed=6, replication=2)
    assert not first["nps"].equals(other["nps"])


def test_asking_fewer_questions_or_inviting_fewer_moments_moves_no_other_draw():
    rows = buyers(scenario_with(), 0.25, 2000)
    events, customers = tables(scenario_with(), rows)
    everything = survey_table(scenario_with(after=["purchase"], invitation_probability=0.6), events, customers, seed=3, replication=0)
    only_nps = survey_table(scenario_with(after=["purchase"], invitation_probability=0.6, questions=["nps"]), events, customers, seed=3, replication=0)
    pd.testing.assert_series_equal(everything["nps"], only_nps["nps"])
    assert only_nps[["csat", "ces"]].isna().all().all()
    fewer = survey_table(scenario_with(after=["purchase"], invitation_probability=0.3), events, customers, seed=3, replication=0)
    # Common random numbers: invited at 0.3 means invited at 0.6, with the same answers.
    merged = fewer.merge(everything, on="customer_id", suffixes=("", "_at_0.6"))
    assert len(merged) == len(fewer) and (merged["nps"] == merged["nps_at_0.6"]).all()


@settings(max_examples=40, deadline=None)
@given(
    feelings=st.lists(st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=4), min_size=1, max_size=12),
    neutral=st.floats(0, 1), extreme=st.floats(0, 1), noise=st.floats(0, 2), seed=st.integers(0, 2**32),
)
def test_any_survey_gives_kpis_on_their_scales(feelings, neutral, extreme, noise, seed):
    scenario = scenario_with(after=["purchase", "service"], noise=noise, response_probability={"neutral": neutral, "extreme": extreme})
    rows = []
    for customer, emotions in enumerate(feelings):  # service contacts on the staffed website, then a purchase
        rows += [(customer, "buyer", float(t), "interest", "website", "touch", e, True) for t, e in enumerate(emotions[:-1])]
        rows.append((customer, "buyer", float(len(emotions)), "purchase", "website", "purchase", emotions[-1], True))
    events, customers = tables(scenario, rows)
    surveys = survey_table(scenario, events, customers, seed=seed, replication=0)
    assert len(surveys) == len(rows)  # every moment invites: each follows an experienced one
    kpis = kpi_table(customers, events, surveys=surveys).set_index("persona").loc["all"]
    assert 0 <= kpis["survey_responses"] <= kpis["survey_invitations"] == len(rows)
    assert surveys.loc[~surveys["responded"], ["csat", "nps", "ces"]].isna().all().all()
    answered = surveys.loc[surveys["responded"]]
    assert answered["csat"].between(1, 5).all() and answered["nps"].between(0, 10).all() and answered["ces"].between(1, 7).all()
    if kpis["survey_responses"]:
        assert 0 <= kpis["csat"] <= 100 and -100 <= kpis["nps"] <= 100 and 1 <= kpis["ces"] <= 7
    else:
        assert np.isnan(kpis["csat"]) and np.isnan(kpis["nps"])
