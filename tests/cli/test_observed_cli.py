"""``output.observed=true``: the run folder's ``observed/`` exports, from the job, the command
line and a streamed run; and the observation section's mistakes as one message, status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import funnel_scenario_data
from pandas.testing import assert_frame_equal

import journeysim as js
from journeysim.cli.job import run_job
from journeysim.cli.resume import matching_result
from journeysim.simulation.observed_exports import EXPORT_FILES

OBSERVED_FILES = {f"observed/{name}" for name in (*EXPORT_FILES, "mmm_truth.csv")}


@pytest.fixture(scope="module")
def paid_funnel():
    data = funnel_scenario_data()
    data["arrival_rate_per_day"] = 40.0
    data["budget"] = {"social": {"spend_per_day": 300.0, "max_arrivals_per_day": 60.0, "half_saturation": 300.0}}
    return js.scenario_from_dict(data)


def test_the_job_writes_every_observed_file_and_lists_them_in_run_json(tmp_path, paid_funnel):
    settings = js.RunSettings(seed=4, horizon_days=14.0, replications=2, progress=False)
    job = run_job(paid_funnel, settings, tmp_path / "run", figures=False, observed=True)
    folder = tmp_path / "run"
    meta = json.loads((folder / "run.json").read_text())
    assert OBSERVED_FILES <= set(meta["files"]) and all((folder / name).is_file() for name in OBSERVED_FILES)
    assert meta["observed"]["observation"] == "full visibility" and meta["observed"]["mmm_truth_channels"] == ["social"]
    assert (folder / "observed/paths.csv").read_bytes() == (folder / "observed/paths_truth.csv").read_bytes()
    panel = pd.read_csv(folder / "observed/mmm_panel.csv")
    assert set(panel["replication"]) == {0, 1} and len(panel) == 4  # two weeks a replication
    assert panel["conversions"].sum() == (job.result.events["event"] == "purchase").sum()
    assert panel.groupby("replication")["spend_social"].sum().tolist() == pytest.approx([300.0 * 14] * 2)
    truth = pd.read_csv(folder / "observed/mmm_truth.csv")
    assert truth["channel"].tolist() == ["social"] and truth.loc[0, "incremental_conversions"] > 0
    summary = pd.read_csv(folder / "observed/sessions_summary.csv").set_index("source")
    assert summary.loc["all", "journey_bounce_rate"] == pytest.approx(job.metrics.set_index("persona").loc["all", "bounce_rate"])
    assert "Observed (full visibility)" in (folder / "summary.txt").read_text()
    # The truth is the same with the observed exports as without them.
    again = run_job(paid_funnel, settings, tmp_path / "plain", figures=False)
    assert_frame_equal(again.metrics, job.metrics)
    assert not (tmp_path / "plain" / "observed").exists()
    # A re-run sweep (output.resume=true) skips a job only when its folder has the exports it asks for.
    assert matching_result(folder, paid_funnel, settings, figures=False, observed=True) is not None
    assert matching_result(tmp_path / "plain", paid_funnel, settings, figures=False, observed=True) is None


def test_a_streamed_run_writes_the_same_exports_chunk_by_chunk(tmp_path, paid_funnel):
    settings = js.RunSettings(seed=4, horizon_days=14.0, replications=2, progress=False)
    streamed = js.simulate_to_parquet(paid_funnel, settings, tmp_path / "streamed", chunk_customers=150, observed=True)
    run_job(paid_funnel, settings, tmp_path / "memory", figures=False, observed=True)
    assert streamed.metadata["observed"]["event_log_rows"] > 0
    for name in ("paths.csv", "paths_truth.csv", "mmm_panel.csv", "sessions_summary.csv"):
        assert (tmp_path / "streamed/observed" / name).read_bytes() == (tmp_path / "memory/observed" / name).read_bytes(), name
    for name in ("event_log.csv", "ga4_events.csv", "sessions.csv"):  # the same rows, in another order
        left, right = (pd.read_csv(tmp_path / folder / "observed" / name) for folder in ("streamed", "memory"))
        assert_frame_equal(left.sort_values(list(left.columns), ignore_index=True), right.sort_values(list(right.columns), ignore_index=True))
    assert not (tmp_path / "streamed/observed/mmm_truth.csv").exists()


def run_command(*overrides: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "journeysim.cli.main", "run.horizon_days=3", "run.progress=false", "output.figures=false",
         f"hydra.run.dir={tmp_path / 'run'}", *overrides],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_bad_observation_settings_are_one_message_each_and_status_2(tmp_path):
    done = run_command("+scenario.observation={consent_rate: 1.5, identity_loss_per_day: -1, recorded_share: {stor: 0.2}}", "output.observed=true", tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == "journeysim: invalid configuration"
    assert "scenario.observation.consent_rate: must be a probability in [0, 1], got 1.5" in done.stderr
    assert "scenario.observation.identity_loss_per_day: must be >= 0, got -1" in done.stderr
    assert "scenario.observation.recorded_share.stor: unknown channel 'stor'; did you mean 'store'?" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "run" / "run.json").exists()
    typo = run_command("+scenario.observation.consent_rat=0.5", tmp_path=tmp_path)
    assert typo.returncode == 2 and "scenario.observation.consent_rat: unknown field 'consent_rat'; did you mean 'consent_rate'?" in typo.stderr


def test_the_command_line_writes_observed_through_the_scenario_s_observation(tmp_path):
    done = run_command("+scenario.observation={consent_rate: 0.5, recorded_share: {store: 0.2}}", "output.observed=true", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["observed"]["observation"] == "the scenario's"
    assert (tmp_path / "run/observed/paths.csv").read_bytes() != (tmp_path / "run/observed/paths_truth.csv").read_bytes()
