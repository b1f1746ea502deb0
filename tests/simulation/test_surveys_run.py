"""Surveys in whole runs: they measure without changing the truth, reproducibly, on both
engines and streamed; their NPS agrees with its closed form; comparisons and the main job
report them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeysim as js
from journeysim.analysis.experience import running_satisfaction
from journeysim.analysis.metrics import KPI_DESCRIPTIONS
from journeysim.analysis.survey_metrics import SURVEY_KPI_DESCRIPTIONS
from journeysim.cli.job import run_job
from journeysim.config import scenario_from_dict
from journeysim.model.surveys import answer_probabilities, expected_nps
from journeysim.simulation.engines.vectorised import journey_only
from journeysim.simulation.streaming import simulate_to_parquet
from tests.conftest import tiny_scenario_data

EVERY_MOMENT = {"after": ["purchase", "repeat_purchase", "service", "churn", "friction_loss"], "noise": 0.4,
                "response_probability": {"neutral": 0.2, "extreme": 0.7}}  # fmt: skip


@pytest.fixture(scope="module")
def default_with_surveys():
    return js.load_scenario(changes={"surveys": EVERY_MOMENT})


@pytest.fixture(scope="module")
def surveyed_run(default_with_surveys):
    return js.simulate(default_with_surveys, seed=3, horizon_days=30, replications=2, progress=False)


def test_surveys_leave_the_true_tables_unchanged(default_with_surveys, surveyed_run):
    unsurveyed = js.with_changes(js.load_scenario(), {"surveys": None})  # the default scenario has surveys: take them out
    plain = js.simulate(unsurveyed, seed=3, horizon_days=30, replications=2, progress=False)
    assert len(surveyed_run.surveys) > 1000 and plain.surveys.empty
    for table in ("events", "customers", "queues"):
        pd.testing.assert_frame_equal(getattr(surveyed_run, table), getattr(plain, table))
    truth = [k for k in KPI_DESCRIPTIONS if k not in SURVEY_KPI_DESCRIPTIONS]
    pd.testing.assert_frame_equal(surveyed_run.metrics()[truth], plain.metrics()[truth])
    assert plain.metrics()["nps"].isna().all() and surveyed_run.metrics()["nps"].notna().all()


def test_every_trigger_fires_and_the_satisfaction_is_the_running_one(default_with_surveys, surveyed_run):
    surveys, events = surveyed_run.surveys, surveyed_run.events
    assert set(surveys["trigger"].astype(str)) == set(EVERY_MOMENT["after"])
    service = surveys.loc[surveys["trigger"] == "service", "channel"].astype(str)
    assert set(service) <= {name for name, channel in default_with_surveys.channels.items() if channel.has_queue}
    # A customer's running satisfaction after their last event is the customers table's.
    running = running_satisfaction(events["replication"].to_numpy(), events["customer_id"].to_numpy(), events["time_days"].to_numpy(),
                                   events["experience"].to_numpy(), events["emotion"].to_numpy(), default_with_surveys.experience.peak_end_weight)
    order = np.lexsort((np.arange(len(events)), events["time_days"], events["customer_id"], events["replication"]))
    last = events.assign(running=running).iloc[order].groupby(["replication", "customer_id"])["running"].last()
    truth = surveyed_run.customers.set_index(["replication", "customer_id"])["satisfaction"].astype(np.float64)
    np.testing.assert_allclose(last.reindex(truth.index).to_numpy(), truth.to_numpy(), atol=1e-6)  # float32 in the table


def test_the_same_seed_gives_the_same_surveys_and_replication_r_is_the_same_anywhere(default_with_surveys, surveyed_run):
    again = js.simulate(default_with_surveys, seed=3, horizon_days=30, replications=2, progress=False)
    pd.testing.assert_frame_equal(again.surveys, surveyed_run.surveys)
    second = js.simulate(default_with_surveys, seed=3, horizon_days=30, replications=1, first_replication=1, progress=False)
    expected = surveyed_run.surveys.loc[surveyed_run.surveys["replication"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(second.surveys, expected)


def test_a_streamed_run_has_the_same_surveys_whatever_the_chunk(tmp_path):
    scenario = js.with_changes(journey_only(js.load_scenario(), keep_loyalty=True), {"arrival_rate_per_day": 30.0, "surveys": EVERY_MOMENT})
    settings = js.RunSettings(seed=4, horizon_days=20, replications=2, progress=False, engine="vectorised")
    expected = js.simulate(scenario, settings)
    streamed = simulate_to_parquet(scenario, settings, tmp_path, chunk_customers=250)
    assert len(expected.surveys) > 100
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "surveys.parquet"), streamed.surveys)
    order = ["replication", "time_days", "customer_id"]
    pd.testing.assert_frame_equal(streamed.surveys.sort_values(order, kind="stable", ignore_index=True),
                                  expected.surveys.sort_values(order, kind="stable", ignore_index=True))  # fmt: skip
    pd.testing.assert_frame_equal(streamed.metrics, expected.metrics())


def one_emotion_scenario(emotion: float, surveys: dict) -> js.Scenario:
    """The tiny deterministic journey, one persona, where every experienced moment feels ``emotion``."""
    data = tiny_scenario_data()
    data["arrival_rate_per_day"] = 2000.0
    data["personas"] = {"buyer": {**data["personas"]["buyer"], "share": 1.0}}
    for row in data["touchpoints"].values():
        for touchpoint in row.values():
            touchpoint["emotion"] = emotion
    data["experience"] = {"purchase_emotion": emotion}
    data["surveys"] = surveys
    return scenario_from_dict(data)


@pytest.mark.statistical
def test_simulated_nps_matches_its_closed_form_when_satisfaction_is_fixed():
    emotion, noise = 0.625, 0.35
    scenario = one_emotion_scenario(emotion, {"after": ["purchase"], "noise": noise, "questions": ["nps"],
                                              "response_probability": {"neutral": 0.3, "extreme": 0.7}})  # fmt: skip
    result = js.simulate(scenario, seed=12, horizon_days=10, progress=False)
    surveys = result.surveys
    assert (surveys["satisfaction"] == emotion).all()  # every moment felt the same
    kpis = result.metrics().set_index("persona").loc["all"]
    respondents = int(kpis["survey_responses"])
    assert respondents > 5000 and kpis["survey_invitations"] == int(kpis["converted"])
    answers = answer_probabilities("nps", emotion, noise)
    promoters, detractors = answers[9:].sum(), answers[:7].sum()
    nps = expected_nps(emotion, noise)  # 100 (P(9-10) - P(0-6)) from the normal CDF
    half_width = stats.norm.ppf(0.995) * np.sqrt((100**2 * (promoters + detractors) - nps**2) / respondents)
    assert abs(kpis["nps"] - nps) <= half_width
    p = 0.3 + 0.4 * emotion
    assert abs(kpis["response_rate"] - p) <= stats.norm.ppf(0.995) * np.sqrt(p * (1 - p) / kpis["survey_invitations"])
    assert kpis[["csat", "ces"]].isna().all()  # not asked


def test_comparisons_and_the_main_job_report_the_survey_kpis(tmp_path):
    scenario = one_emotion_scenario(0.5, {"after": ["purchase"]})
    comparison = js.compare(scenario, {"experience": {"purchase_emotion": -0.5}}, replications=2, seed=1, horizon_days=5)
    nps = comparison.row("nps")
    assert nps["future"] < nps["current"] and comparison.row("invited_satisfaction")["difference"] < 0
    summary = comparison.summary()
    assert "nps" in summary and "respondent satisfaction" in summary
    plain = js.compare(one_emotion_scenario(0.5, None), {"experience": {"purchase_emotion": -0.5}}, replications=2, seed=1, horizon_days=5)
    assert "nps" not in plain.summary() and plain.row("nps")[["current", "future"]].isna().all()

    job = run_job(scenario, js.RunSettings(seed=1, horizon_days=5, progress=False), tmp_path / "run", write_events=False, figures=False)
    written = pd.read_csv(tmp_path / "run" / "surveys.csv")
    assert len(written) == len(job.result.surveys) and list(written.columns) == list(job.result.surveys.columns)
    assert "NPS" in job.summary and "true satisfaction, respondents" in job.summary
    bare = run_job(one_emotion_scenario(0.5, None), js.RunSettings(seed=1, horizon_days=5, progress=False), tmp_path / "bare",
                   write_events=False, figures=False)  # fmt: skip
    assert "NPS" not in bare.summary and not (tmp_path / "bare" / "surveys.csv").exists()
