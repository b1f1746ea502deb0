"""Ground truth by simulation (channel and friction removal with common random numbers) and
attribution models scored against it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.analysis.attribution_scores import misallocated_share
from journeysim.analysis.exact import solve
from journeysim.analysis.metrics import loyal_customers
from journeysim.analysis.path_files import read_path_table
from journeysim.cli.attribution import main
from journeysim.config import with_changes
from journeysim.studies.incrementality import (
    attribution_vs_truth,
    channel_incrementality,
    friction_incrementality,
    paired_differences,
)
from journeysim.studies.removal import (
    channel_removal_changes,
    friction_removal_changes,
    stranded_personas,
)

RUN = {"replications": 5, "seed": 3, "horizon_days": 60.0, "arrival_days": 30.0}


def exp(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def opener_scenario_data() -> dict[str, Any]:
    """Two openers (``ads`` good, ``organic`` poor) and, at interest, ``email`` and its identical
    twin ``newsletter``: removing the twin only moves customers to an identical touchpoint."""
    twin = {"delay_days": exp(2.0), "advance": 0.5, "drop": 0.2, "emotion": 0.1}
    return {
        "name": "openers",
        "stages": ["awareness", "interest", "purchase"],
        "arrival_rate_per_day": 60.0,
        "channels": {
            "ads": {"cost_per_contact": 0.5},
            "organic": {},
            "email": {},
            "newsletter": {},
            "website": {"sells": True},
            "store": {"mode": "offline", "sells": True},
        },
        "touchpoints": {
            "awareness": {
                "ads": {"delay_days": exp(1.0), "advance": 0.6, "drop": 0.05},
                "organic": {"delay_days": exp(1.0), "advance": 0.1, "drop": 0.6},
            },
            "interest": {"email": dict(twin), "newsletter": dict(twin)},
            "purchase": {
                "website": {"delay_days": exp(0.5), "advance": 0.7, "drop": 0.1, "friction": 0.2},
                "store": {"delay_days": exp(1.0), "advance": 0.8, "drop": 0.05},
            },
        },
        "personas": {
            "online": {
                "share": 0.6,
                "affinity": {"ads": 2.0, "organic": 1.0, "email": 1.0, "newsletter": 2.0, "website": 1.0},
                "order_value": {"dist": "fixed", "value": 50.0},
            },
            "shopper": {
                "share": 0.4,
                "affinity": {"ads": 1.0, "organic": 1.0, "email": 1.0, "newsletter": 1.0, "store": 1.0},
                "order_value": {"dist": "fixed", "value": 80.0},
            },
        },
    }


@pytest.fixture(scope="module")
def openers() -> js.Scenario:
    return js.scenario_from_dict(opener_scenario_data())


@pytest.fixture(scope="module")
def opener_truth(openers) -> pd.DataFrame:
    return channel_incrementality(openers, **RUN).set_index("channel")


def test_an_identical_twin_channel_has_no_effect(opener_truth):
    twin = opener_truth.loc["newsletter"]
    assert twin["incremental_conversions_ci_low"] <= 0 <= twin["incremental_conversions_ci_high"]
    # Same touchpoint, same random numbers: every customer's journey is unchanged.
    assert twin["incremental_conversions"] == 0 and twin["incremental_revenue"] == 0
    assert twin["baseline_conversions"] > 100


def test_the_good_opener_matters_and_the_poor_one_hurts(openers, opener_truth):
    ads, organic = opener_truth.loc["ads"], opener_truth.loc["organic"]
    assert ads["incremental_conversions_ci_low"] > 0  # without ads everyone enters through organic
    assert organic["incremental_conversions_ci_high"] < 0  # without organic everyone gets the ads
    assert opener_truth["incremental_conversions"].idxmax() == "ads" and organic["share_of_incremental"] == 0
    # The size agrees with the exact chain: arrivals x (P(convert) - P(convert without ads)).
    without_ads = with_changes(openers, channel_removal_changes(openers, "ads"))
    exact_drop = solve(openers).summary.set_index("persona").loc["all", "conversion_probability"] - (
        solve(without_ads).summary.set_index("persona").loc["all", "conversion_probability"]
    )
    expected = openers.arrival_rate_per_day * RUN["arrival_days"] * exact_drop
    half_width = ads["incremental_conversions_ci_high"] - ads["incremental_conversions"]
    assert abs(ads["incremental_conversions"] - expected) < 2.5 * half_width
    assert ads["incremental_revenue"] > 50 * ads["incremental_conversions"] - 1e-9


@pytest.mark.parametrize("engine", ["simpy", "vectorised"])
def test_removing_nothing_gives_exactly_zero_in_every_replication(openers, engine):
    same = with_changes(openers, {})  # rebuilt from its source: a distinct but equal scenario
    table = paired_differences(openers, same, engine=engine, **RUN)
    assert table["replication"].tolist() == list(range(RUN["replications"]))
    assert (table["conversions"] > 0).all()
    assert (table["incremental_conversions"] == 0).all() and (table["incremental_revenue"] == 0).all()
    assert (table["variant_conversions"] == table["conversions"]).all()


def test_an_essential_channel_counts_all_conversions_of_the_personas_that_need_it():
    data = opener_scenario_data()
    data["personas"]["shopper"]["affinity"]["website"] = 0.0  # shoppers never use the website...
    scenario = js.scenario_from_dict(data)
    assert stranded_personas(scenario, "website") == {"online": ("purchase",)}  # ...online buyers need it
    assert stranded_personas(scenario, "store") == {"shopper": ("purchase",)}
    truth = channel_incrementality(scenario, channels=["website", "newsletter"], **RUN).set_index("channel")
    website = truth.loc["website"]
    assert "essential" in website["note"] and "online" in website["note"] and "shopper" not in website["note"]
    online = js.simulate(scenario, progress=False, keep_events=False, **RUN).customers
    online_conversions = ((online["persona"] == "online") & (online["outcome"] == "converted")).sum() / RUN["replications"]
    # Shoppers do not choose the website, so for them nothing changes: the whole effect is the online persona's.
    assert website["incremental_conversions"] == pytest.approx(online_conversions)
    assert website["removed_conversions"] == pytest.approx(website["baseline_conversions"] - online_conversions)
    assert truth.loc["newsletter", "note"] == ""


def test_a_channel_essential_for_everyone_takes_every_conversion():
    data = opener_scenario_data()
    del data["touchpoints"]["purchase"]["store"]
    data["personas"]["shopper"]["affinity"]["website"] = 1.0
    scenario = js.scenario_from_dict(data)
    row = channel_incrementality(scenario, channels=["website"], **RUN).iloc[0]
    assert row["incremental_conversions"] == row["baseline_conversions"] > 0
    assert row["removed_conversions"] == 0 and "essential for online (at purchase), shopper (at purchase)" in row["note"]


def test_removal_and_friction_changes_reach_persona_overrides():
    scenario = js.load_scenario("retail_omnichannel")  # time_poor_professional overrides purchase.mobile_app
    for channel in scenario.channel_names:
        variant = with_changes(scenario, channel_removal_changes(scenario, channel))
        for name, persona in variant.personas.items():
            if channel == scenario.word_of_mouth_channel:  # kept for validation, but nobody recommends or picks it
                assert persona.affinity.get(channel, 0.0) == 0 and (persona.advocacy is None or persona.advocacy.probability == 0)
            else:
                assert all(c != channel for (_, c) in variant.persona_touchpoints(name)), (channel, name)
    frictionless = with_changes(scenario, friction_removal_changes(scenario, "purchase"))
    for persona in frictionless.personas:
        cells = frictionless.persona_touchpoints(persona)
        assert all(tp.friction == 0 for (s, _), tp in cells.items() if s == "purchase")
        assert any(tp.friction > 0 for (s, _), tp in cells.items() if s == "consideration")


def test_friction_removed_at_purchase_turns_exactly_its_friction_losses_into_sales(openers):
    table = friction_incrementality(openers, **RUN).set_index("stage")
    # Without channel-switch friction, a friction drop at purchase is a draw that would have bought.
    purchase = table.loc["purchase"]
    assert purchase["lost_to_friction_at_stage"] > 10
    assert purchase["incremental_conversions"] == pytest.approx(purchase["lost_to_friction_at_stage"])
    assert purchase["recovered_share"] == pytest.approx(1.0)
    assert table.loc["awareness", "incremental_conversions"] == 0 and "no friction" in table.loc["awareness", "note"]


def test_misallocated_share_and_loyal_customers():
    assert misallocated_share([0.5, 0.5, 0.0], [0.0, 0.0, 1.0]) == 1.0
    assert misallocated_share([0.2, 0.8], [0.2, 0.8]) == 0.0
    assert misallocated_share([0.6, 0.4], [0.5, 0.5]) == pytest.approx(0.1)
    kpis = pd.DataFrame({"converted": [10, 0, 3], "loyalty_rate": [0.3, np.nan, 1 / 3]})
    assert loyal_customers(kpis).tolist() == [3.0, 0.0, 1.0]  # a count: 1/3 of 3 is one customer


@pytest.fixture(scope="module")
def trap_study():
    trap = js.load_scenario("last_touch_trap", changes={"arrival_rate_per_day": 30.0})
    return attribution_vs_truth(trap, replications=3, seed=1, horizon_days=60.0, arrival_days=40.0, include_friction=False)


def test_last_touch_falls_into_the_trap_and_markov_less_so(trap_study):
    truth = trap_study.channels.set_index("channel")
    # By construction: display is the real driver, the two closers are interchangeable.
    assert truth["incremental_conversions"].idxmax() == "display"
    assert truth.loc["display", "incremental_conversions_ci_low"] > 0
    assert truth.loc["website", "incremental_conversions"] == 0 == truth.loc["mobile_app", "incremental_conversions"]
    scores = trap_study.scores.set_index("model")["misallocated_share"]
    assert scores["last_touch"] == pytest.approx(1.0)  # all its credit goes to channels with no effect
    assert scores["markov"] < scores["last_touch"] - 0.2
    credits = trap_study.credits
    assert set(credits.columns) >= {"channel", "model", "credited_conversions", "credit_share", "true_incremental_conversions",
                                    "truth_ci_low", "truth_ci_high", "truth_share"}
    assert np.allclose(credits.groupby("model")["credit_share"].sum(), 1.0)
    # Credits are per replication, on the scale of the truth.
    per_model = credits.groupby("model")["credited_conversions"].sum()
    assert np.allclose(per_model, trap_study.metadata["conversions_per_replication"])


def test_the_figure_draws_every_model_and_the_truth(trap_study):
    figure = trap_study.figure()
    bars, ranking = figure.axes[:2]
    labels = [text.get_text() for text in bars.get_legend().get_texts()]
    assert labels[0].startswith("TRUTH") and len(labels) == 9
    assert len(ranking.patches) == 8


def run_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.attribution", *args], capture_output=True, text=True, timeout=300)


def test_command_writes_every_file(tmp_path):
    out = tmp_path / "study"
    done = run_command("--scenario", "last_touch_trap", "--replications", "2", "--arrival-rate", "15",
                       "--horizon-days", "40", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    for name in ["attribution_credits.csv", "attribution_scores.csv", "channel_incrementality.csv",
                 "friction_incrementality.csv", "paths.csv", "attribution_vs_truth.png", "run.json"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    scores = pd.read_csv(out / "attribution_scores.csv")
    assert sorted(scores["model"]) == sorted(["first_touch", "last_touch", "last_non_direct", "linear", "time_decay",
                                               "position_based", "markov", "shapley"])
    assert read_path_table(out / "paths.csv")["total_conversions"].sum() > 0
    assert json.loads((out / "run.json").read_text())["scenario"] == "last_touch_trap"
    assert "misallocated" in done.stdout and "display" in done.stdout
    assert not list(out.parent.glob(f".{out.name}.partial-*"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scenario", "no_such_scenario"], "no scenario file"),
        (["--replications", "0"], "replications must be > 0"),
        (["--horizon-days", "ten"], "horizon-days must be a number"),
        (["--horizon-days", "20", "--arrival-days", "30"], "--arrival-days: must be <= --horizon-days"),
    ],
)
def test_command_rejects_bad_arguments_with_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "study"
    try:
        status = main([*args, "--out", str(out)])
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_a_bad_scenario_name_exits_2_from_the_shell(tmp_path):
    done = run_command("--scenario", "no_such_scenario", "--out", str(tmp_path / "study"))
    assert done.returncode == 2 and "no scenario file" in done.stderr and "Traceback" not in done.stderr


def test_loyalty_and_word_of_mouth_in_the_default_scenario():
    retail = js.load_scenario("retail_omnichannel", changes={"arrival_rate_per_day": 15.0})
    table = channel_incrementality(retail, replications=2, seed=0, horizon_days=40.0, channels=["word_of_mouth", "mobile_app"])
    table = table.set_index("channel")
    assert {"incremental_loyal", "incremental_loyal_ci_low", "incremental_loyal_ci_high"} <= set(table.columns)
    assert np.isfinite(table[["incremental_conversions", "incremental_revenue", "incremental_loyal"]].to_numpy()).all()
    assert "nobody recommending" in table.loc["word_of_mouth", "note"]
