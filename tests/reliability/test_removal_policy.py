"""Closing a touchpoint says what happens to its customers, and can lose them.
(Issue 15: "Removing a channel re-routes its customers to the remaining channels at no cost
... the assumption is not stated, and there is no option to lose those customers instead.")

A two-stage journey with closed forms: awareness (social, always advances) then purchase,
where a persona chooses website (weight 1) or store (weight 3). Each purchase touch on the
website advances with a = 0.5, drops with d = 0.2 and otherwise stays; the store is closed.

- reroute: every purchase touch is on the website: conversion a / (a + d) = 5/7.
- lose: a touch is the website with 1/4 (then a, d as before) or the closed store with 3/4
  (always lost): conversion (a/4) / (a/4 + d/4 + 3/4) = 0.125 / 0.925 = 5/37.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import journeysim as js
from journeysim.analysis.exact import solve
from journeysim.studies.change_notes import change_notes

Z99 = 2.576
A, D = 0.5, 0.2
CONVERSION = {"reroute": A / (A + D), "lose": (A / 4) / (A / 4 + D / 4 + 3 / 4)}


def closed_store_data(policy: str, capacity: bool = False) -> dict:
    fixed = lambda days: {"dist": "fixed", "value": days}  # noqa: E731
    store = {"mode": "offline", "cost_per_contact": 4.0, "sells": True}
    if capacity:
        store.update(capacity=1, service_time_days={"dist": "fixed", "value": 0.01})
    return {
        "name": "closed_store",
        "stages": ["awareness", "purchase", "loyalty"],
        "arrival_rate_per_day": 200.0,
        "removal": {"policy": policy, "emotion": -0.8},
        "channels": {
            "social": {"mode": "online", "cost_per_contact": 0.5},
            "website": {"mode": "online", "cost_per_contact": 0.1, "sells": True},
            "store": store,
        },
        "touchpoints": {
            "awareness": {"social": {"delay_days": fixed(1.0), "advance": 1.0}},
            "purchase": {
                "website": {"delay_days": {"dist": "exponential", "mean": 1.0}, "advance": A, "drop": D, "emotion": 0.3},
                "store": {"delay_days": {"dist": "exponential", "mean": 2.0}, "advance": 0.9, "drop": 0.05, "available": False},
            },
        },
        "personas": {
            "shopper": {
                "share": 1.0,
                "affinity": {"social": 1.0, "website": 1.0, "store": 3.0},
                "order_value": fixed(40.0),
                "loyalty": {"purchase_rate_per_day": 0.2, "churn_probability": 0.05},
            },
        },
    }


@pytest.mark.parametrize("policy", ["reroute", "lose"])
def test_the_exact_solver_gives_the_closed_form_of_each_policy(policy):
    row = solve(js.scenario_from_dict(closed_store_data(policy))).summary.set_index("persona").loc["shopper"]
    assert row["conversion_probability"] == pytest.approx(CONVERSION[policy], abs=1e-12)


@pytest.fixture(scope="module")
def runs():
    run = dict(seed=7, horizon_days=400, arrival_days=20, progress=False)
    return {
        (policy, engine): js.simulate(js.scenario_from_dict(closed_store_data(policy)), engine=engine, **run)
        for policy in ("reroute", "lose")
        for engine in ("simpy", "vectorised")
    }


@pytest.mark.parametrize("policy", ["reroute", "lose"])
def test_both_engines_agree_draw_for_draw_and_with_the_closed_form(runs, policy):
    """Identical tables from both engines; conversion within the 99 % binomial interval
    z sqrt(p (1 - p) / n) of the closed form (n ~ 4 000, half-width ~ 0.02)."""
    simpy, vectorised = runs[(policy, "simpy")], runs[(policy, "vectorised")]
    for name in ("customers", "events"):
        left, right = getattr(simpy, name), getattr(vectorised, name)
        floats = left.select_dtypes("floating").columns
        assert left.drop(columns=floats).equals(right.drop(columns=floats))
        np.testing.assert_allclose(left[floats].to_numpy(float), right[floats].to_numpy(float), rtol=1e-9)
    customers = simpy.customers
    assert (customers["outcome"] != "open").all()
    n, p = len(customers), CONVERSION[policy]
    converted = (customers["outcome"] == "converted").mean()
    assert abs(converted - p) <= Z99 * np.sqrt(p * (1 - p) / n), (converted, p, n)


def test_lose_records_the_attempt_as_a_free_drop_and_repeat_purchases_reroute(runs):
    events = runs[("lose", "simpy")].events
    at_store = events.loc[events["channel"] == "store"]
    touches = at_store.loc[at_store["event"] == "touch"]
    assert len(touches) > 1000
    assert set(touches["outcome"]) == {"drop"} and set(touches["stage"]) == {"purchase"}
    assert (touches["cost"] == 0).all() and np.allclose(touches["emotion"], -0.8)
    assert set(at_store["event"]) == {"touch"}  # no purchase, and no repeat purchase, in a closed store
    repeats = events.loc[events["event"] == "repeat_purchase"]
    assert len(repeats) > 100 and set(repeats["channel"]) == {"website"}
    rerouted = runs[("reroute", "simpy")].events
    assert "store" not in set(rerouted.loc[rerouted["event"] == "touch", "channel"])


def test_a_closed_capacity_channel_queues_nobody():
    scenario = js.scenario_from_dict(closed_store_data("lose", capacity=True))
    result = js.simulate(scenario, seed=3, horizon_days=30, arrival_days=5, progress=False)
    assert (result.events["channel"] == "store").sum() > 100
    assert result.queues.empty or "store" not in set(result.queues["channel"])


def test_a_study_that_closes_touchpoints_states_the_policy():
    data = closed_store_data("reroute")
    data["touchpoints"]["purchase"]["store"]["available"] = True
    current = js.scenario_from_dict(data)
    closing = {"touchpoints": {"purchase": {"store": {"available": False}}}}
    notes = change_notes(current, js.with_changes(current, closing), closing)
    assert any("closed touchpoints: store at purchase. removal.policy=reroute" in note for note in notes)
    losing = {**closing, "removal": {"policy": "lose"}}
    notes = change_notes(current, js.with_changes(current, losing), losing)
    assert any("store at purchase. removal.policy=lose: customers who would have chosen them are lost" in note for note in notes)


@pytest.mark.parametrize("field, value, message", [
    ("policy", "vanish", "removal.policy: must be one of reroute, lose, got 'vanish'"),
    ("emotion", 2.0, "removal.emotion: must be in [-1, 1], got 2"),
])
def test_a_bad_policy_is_named(field, value, message):
    data = closed_store_data("lose")
    data["removal"][field] = value
    with pytest.raises(js.ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        js.scenario_from_dict(data)


def test_the_run_summary_states_the_policy(tmp_path):
    import subprocess
    import sys

    scenario_dir = tmp_path / "configs" / "scenario"
    scenario_dir.mkdir(parents=True)
    import yaml

    data = copy.deepcopy(closed_store_data("lose"))
    (scenario_dir / "closed_store.yaml").write_text(yaml.safe_dump(data))
    done = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.main", "--config-dir", str(tmp_path / "configs"), "scenario=closed_store",
         "run.horizon_days=10", "output.figures=false", "output.events=false", f"hydra.run.dir={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "Closed touchpoints: store at purchase. removal.policy=lose" in summary
