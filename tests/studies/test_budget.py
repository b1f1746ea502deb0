"""Budget scenarios as changes (shift, cut, scale), the per-channel report, and the ready
budget-shift study from the command line."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.channels import channel_table, customer_channels
from journeysim.analysis.metrics import kpi_table
from journeysim.config import with_changes
from journeysim.model.media import budget_table, daily_spend
from journeysim.studies.budget.by_channel import channel_comparison
from journeysim.studies.budget.changes import (
    as_overrides,
    cut_total,
    scale,
    set_spend,
    shift,
)
from journeysim.studies.comparison import compare, future_state
from journeysim.studies.experiment import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["run.horizon_days=20", "scenario.arrival_rate_per_day=30", "experiment.replications=3", "run.progress=false"]


@pytest.fixture(scope="module")
def retail():
    return js.load_scenario()


def planned(retail):
    """Search with a burst on days 10-20, social with a quiet spell on days 15-30."""
    return with_changes(retail, {
        "budget.search.plan": [{"from_day": 10, "to_day": 20, "spend_per_day": 1000.0}],
        "budget.social.plan": [{"from_day": 15, "to_day": 30, "spend_per_day": 100.0}],
    })


def days_of_spend(scenario, days=40):
    return {name: daily_spend(budget, days) for name, budget in scenario.budget.items()}


def test_shift_moves_a_share_of_the_daily_spend_and_of_the_plan(retail):
    scenario = planned(retail)
    before = days_of_spend(scenario)
    after = days_of_spend(with_changes(scenario, shift(scenario, "search", "social", 0.25)))
    np.testing.assert_allclose(after["search"], 0.75 * before["search"])
    np.testing.assert_allclose(after["social"], before["social"] + 0.25 * before["search"])  # day by day, burst included
    np.testing.assert_allclose(after["video"], before["video"])
    np.testing.assert_allclose(sum(after.values()), sum(before.values()))


def test_the_shipped_shift_study_is_the_shift_helper(retail):
    changes = shift(retail, "search", "social", 0.20)
    assert changes == {"budget": {"search": {"spend_per_day": 480.0}, "social": {"spend_per_day": 520.0}}}
    experiment, _ = load_experiment("budget_shift_search_to_social")
    assert dict(experiment.changes) == changes and experiment.question.endswith("?")
    assert as_overrides(changes) == ["scenario.budget.search.spend_per_day=480.0", "scenario.budget.social.spend_per_day=520.0"]
    # The same changes work as an experiment's future state and as Scenario.with_changes.
    assert future_state(retail, changes).budget["social"].spend_per_day == with_changes(retail, changes).budget["social"].spend_per_day == 520.0


def test_cut_total_and_scale(retail):
    scenario = planned(retail)
    before = days_of_spend(scenario)
    cut = days_of_spend(with_changes(scenario, cut_total(scenario, 0.10)))
    for name in before:
        np.testing.assert_allclose(cut[name], 0.9 * before[name])
    doubled = with_changes(scenario, scale(scenario, "social", 2.0))
    np.testing.assert_allclose(days_of_spend(doubled)["social"], 2 * before["social"])
    assert budget_table(doubled, 40).groupby("channel")["spend"].sum()["social"] == pytest.approx(2 * before["social"].sum())
    plan_override = [line for line in as_overrides(scale(scenario, "social", 2.0)) if ".plan=" in line]
    assert plan_override == ["scenario.budget.social.plan=[{from_day: 15.0, to_day: 30.0, spend_per_day: 200.0}]"]


BAD = [
    (lambda s: shift(s, "search", "tiktok", 0.2), "shift.to_channel", "unknown channel 'tiktok'; channels with a budget are search, social, video"),
    (lambda s: shift(s, "email", "social", 0.2), "shift.from_channel", "channel 'email' has no budget (paid channels: search, social, video)"),
    (lambda s: shift(s, "search", "search", 0.2), "shift.to_channel", "must differ from from_channel"),
    (lambda s: shift(s, "search", "social", 1.5), "shift.share", "must be <= 1, got 1.5"),
    (lambda s: shift(s, "search", "social", -0.1), "shift.share", "must be >= 0, got -0.1"),
    (lambda s: cut_total(s, 1.2), "cut_total.share", "must be <= 1, got 1.2"),
    (lambda s: scale(s, "social", -2), "scale.factor", "must be >= 0, got -2 (a negative spend)"),
    (lambda s: scale(s, "store", 2), "scale.channel", "channel 'store' has no budget"),
    (lambda s: scale(s, "social", float("nan")), "scale.factor", "must be a finite number, got nan"),
    (lambda s: set_spend(s, {"social": -50}), "spend.social", "must be >= 0, got -50 (a negative spend)"),
    (lambda s: future_state(s, {"budget": {"search": {"spend_per_day": -50}}}, path="experiment.changes"),
     "experiment.changes.budget.search.spend_per_day", "must be >= 0, got -50"),
    (lambda s: future_state(s, {"budget": {"tiktok": {"spend_per_day": 50, "max_arrivals_per_day": 9, "half_saturation": 9}}}, path="experiment.changes"),
     "experiment.changes.budget.tiktok", "unknown channel 'tiktok'"),
]


@pytest.mark.parametrize("make, path, words", BAD, ids=[f"{b[1]}:{b[2][:24]}" for b in BAD])
def test_bad_budget_changes_name_the_path_and_value(retail, make, path, words):
    with pytest.raises(js.ConfigError) as info:
        make(retail)
    assert any(str(p).startswith(path + ":") and words in str(p) for p in info.value.problems), info.value.problems


def test_a_shift_that_would_leave_a_negative_plan_is_refused(retail):
    """A plan period with negative spend cannot come from valid input; a cut of more than
    everything can: the message names the period that would go negative."""
    scenario = planned(retail)
    with pytest.raises(js.ConfigError, match=r"scale.factor: must be >= 0, got -1"):
        scale(scenario, "search", -1)
    from journeysim.studies.budget import changes as budget

    with pytest.raises(js.ConfigError) as info:
        budget._scaled(scenario, "search", -0.5, "scale by -0.5")
    assert [p.path for p in info.value.problems] == ["budget.search.spend_per_day", "budget.search.plan[0].spend_per_day"]
    assert "scale by -0.5 gives -300, must be >= 0" in str(info.value)


# -- the per-channel report ------------------------------------------------------------------


def test_channel_table_attributes_customers_to_the_channel_that_brought_them(retail):
    small = with_changes(retail, {"arrival_rate_per_day": 20.0, "channels.store.staff_cost_per_hour": 24.0})
    result = js.simulate(small, seed=5, horizon_days=20, replications=2, progress=False)
    customers, events = result.customers, result.events
    labels = customer_channels(customers, small, events)
    paid = customers["source"] == "paid"
    first_touch = events.loc[events["event"] == "touch"].drop_duplicates(["replication", "customer_id"]).set_index(["replication", "customer_id"])["channel"].astype(str)
    touched = pd.MultiIndex.from_frame(customers.loc[paid, ["replication", "customer_id"]]).isin(first_touch.index)
    keys = pd.MultiIndex.from_frame(customers.loc[paid, ["replication", "customer_id"]])[touched]
    assert (labels[paid][touched].to_numpy() == first_touch.reindex(keys).to_numpy()).all()
    # Without the event log the prospect's number gives the same channel.
    assert customer_channels(customers, small).equals(labels)
    assert set(labels[~paid]) <= {"organic", "referral"} and set(labels[paid]) == {"search", "social", "video"}

    table = channel_table(customers, result.spend, small, events, result.staff)
    pooled = table.loc[table["channel"] == "all"].set_index("replication")
    kpis = kpi_table(customers, events, by=("replication",), spend=result.spend, staff=result.staff).query("persona == 'all'").set_index("replication")
    assert (pooled["staff_cost"] > 0).all()
    for mine, theirs in (("prospects", "arrivals"), ("new_customers", "converted"), ("revenue", "revenue"), ("total_cost", "total_cost"), ("media_spend", "media_spend"), ("staff_cost", "staff_cost")):
        np.testing.assert_allclose(pooled[mine].to_numpy(dtype=float), kpis[theirs].to_numpy(dtype=float), err_msg=mine)
    parts = table.loc[table["channel"] != "all"].groupby("replication")[["prospects", "new_customers", "revenue", "staff_cost", "total_cost"]].sum()
    np.testing.assert_allclose(parts.to_numpy(dtype=float), pooled[["prospects", "new_customers", "revenue", "staff_cost", "total_cost"]].to_numpy(dtype=float))
    search = table.loc[(table["channel"] == "search") & (table["replication"] == 0)].iloc[0]
    assert search["media_spend"] == pytest.approx(600.0 * 20)
    assert search["cost_per_acquisition"] == pytest.approx(search["total_cost"] / search["new_customers"])
    assert search["return_on_spend"] == pytest.approx(search["revenue"] / search["total_cost"])


def test_moving_budget_to_the_channel_with_the_better_funnel_raises_conversions(funnel_data):
    """Online shoppers reached through search skip the interest stage (search's shortcut to
    consideration); through social they must pass it, with its website friction. Moving 60 %
    of social's budget (aimed at online shoppers) to search converts more of them: the paired
    comparison's interval excludes zero, and the per-channel report shows where it comes from."""
    funnel_data["arrival_rate_per_day"] = 20.0
    online = {"audience": {"online": 1.0}}
    funnel_data["budget"] = {
        "social": {"spend_per_day": 300.0, "max_arrivals_per_day": 200, "half_saturation": 300, **online},
        "search": {"spend_per_day": 100.0, "max_arrivals_per_day": 200, "half_saturation": 300, **online},
    }
    current = js.scenario_from_dict(funnel_data)
    comparison = compare(current, shift(current, "social", "search", 0.6), replications=5, seed=11, horizon_days=30, details=False)
    converted = comparison.row("converted", "online")
    assert converted["difference"] > 0 and converted["ci_low"] > 0 and converted["excludes_zero"]
    assert comparison.row("converted")["excludes_zero"]
    assert comparison.row("media_spend")["current"] == pytest.approx(400.0 * 30)  # media spend enters the comparison
    cpa = comparison.row("cost_per_acquisition")
    assert cpa["ci_high"] < 0  # same spend, more customers: cheaper acquisition

    by_channel = channel_comparison(comparison).set_index(["channel", "measure"])
    assert by_channel.loc[("search", "new_customers"), "ci_low"] > 0 and by_channel.loc[("social", "new_customers"), "ci_high"] < 0
    assert by_channel.loc[("search", "media_spend"), "difference"] == pytest.approx(180.0 * 30)
    assert by_channel.loc[("all", "new_customers"), "difference"] == pytest.approx(comparison.row("converted")["difference"])  # the same runs
    assert by_channel.loc[("organic", "new_customers"), "ci_high"] == 0.0  # no retargeting: organic customers are untouched (common random numbers)
    # The table comes from the comparison's own runs; re-running both states gives the same.
    rerun = channel_comparison(dataclasses.replace(comparison, by_channel=pd.DataFrame())).set_index(["channel", "measure"])
    pd.testing.assert_frame_equal(by_channel, rerun)


def test_rerun_per_channel_report_shares_staff_costs_as_the_comparison_did(retail):
    """With staff priced, the re-run path must share staff costs by served contacts, as the
    comparison's own runs do (it used to drop the event log and share them equally)."""
    priced = with_changes(retail, {"arrival_rate_per_day": 15.0, "channels.store.staff_cost_per_hour": 24.0})
    comparison = compare(priced, shift(priced, "search", "social", 0.5), replications=2, seed=4, horizon_days=10, details=False)
    kept = channel_comparison(comparison).set_index(["channel", "measure"])
    assert kept.loc[("all", "staff_cost"), "current"] > 0
    rerun = channel_comparison(dataclasses.replace(comparison, by_channel=pd.DataFrame())).set_index(["channel", "measure"])
    pd.testing.assert_frame_equal(kept, rerun)


# -- the ready study from the command line -------------------------------------------------


def test_budget_shift_study_runs_from_the_command_line_and_reports_per_channel(tmp_path, retail):
    run_dir = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "journeysim.cli.main", "experiment=budget_shift_search_to_social", *SMALL, f"hydra.run.dir={run_dir}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    comparison = pd.read_csv(run_dir / "comparison.csv").query("persona == 'all'").set_index("kpi")
    assert comparison.loc["media_spend", "current"] == pytest.approx(1300.0 * 20)  # 600 + 400 + 300 EUR/day for 20 days
    assert comparison.loc["media_spend", "difference"] == pytest.approx(0.0)  # a shift keeps the total
    assert comparison.loc["total_cost", "current"] > 1300.0 * 20
    assert {"cost_per_acquisition", "return_on_spend", "converted", "revenue"} <= set(comparison.index)
    assert (run_dir / "summary.txt").read_text().count("budget.search.spend_per_day: 600.0 -> 480.0") == 1
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["changes"] == shift(retail, "search", "social", 0.2) and meta["replications"] == 3

    # The per-channel report of the same study, through the Python API at the same size.
    experiment, settings = load_experiment("budget_shift_search_to_social", run={"horizon_days": 20, "progress": False})
    small = with_changes(retail, {"arrival_rate_per_day": 30.0})
    from dataclasses import replace

    same = run_experiment(small, settings, replace(experiment, replications=3))
    pd.testing.assert_series_equal(same.table["difference"], pd.read_csv(run_dir / "comparison.csv")["difference"], check_names=False, rtol=1e-6)
    by_channel = channel_comparison(same)
    assert set(by_channel["channel"]) >= {"search", "social", "video", "organic", "all"}
    spend = by_channel.set_index(["channel", "measure"])["difference"]
    assert spend["search", "media_spend"] == pytest.approx(-120.0 * 20) and spend["social", "media_spend"] == pytest.approx(120.0 * 20)
    assert spend["search", "prospects"] < 0 < spend["social", "prospects"]
