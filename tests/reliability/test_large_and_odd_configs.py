"""Valid configurations that used to crash after the whole simulation had run: more than 127
channels or personas (8-bit codes), replication 32768 (a 16-bit column), a `$` in a name
(read as a formula by matplotlib); and amounts of money too large to add up. (Issue 15.)"""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from conftest import tiny_scenario_data

import journeysim as js
from journeysim.cli.job import run_job


def many_channels(count: int) -> dict:
    data = copy.deepcopy(tiny_scenario_data())
    fixed = {"dist": "fixed", "value": 1.0}
    for i in range(count):
        data["channels"][f"ad_{i}"] = {"mode": "online", "cost_per_contact": 0.5}
        data["touchpoints"]["awareness"][f"ad_{i}"] = {"delay_days": fixed, "advance": 1.0}
    for persona in data["personas"].values():
        persona["affinity"].update({f"ad_{i}": 1.0 for i in range(count)})
    data["arrival_rate_per_day"] = 20.0
    return data


def many_personas(count: int) -> dict:
    data = copy.deepcopy(tiny_scenario_data())
    buyer = data["personas"]["buyer"]
    data["personas"] = {f"segment_{i}": {**copy.deepcopy(buyer), "share": 1.0 / count} for i in range(count)}
    data["arrival_rate_per_day"] = 2.0 * count
    return data


@pytest.mark.parametrize("engine", ["simpy", "vectorised"])
@pytest.mark.parametrize("build, what", [(many_channels, "channel"), (many_personas, "persona")])
def test_more_than_127_channels_or_personas_run_to_their_tables(build, what, engine):
    scenario = js.scenario_from_dict(build(140))
    result = js.simulate(scenario, seed=3, horizon_days=6, engine=engine, progress=False)
    names = set(result.events[what].dropna().astype(str))  # arrivals have no channel
    assert any(name.endswith(("_139", "_138", "_137", "_136", "_135", "_130", "_128")) for name in names), "codes above 127 came through"
    assert names <= set(scenario.channel_names if what == "channel" else scenario.persona_names)
    assert result.customers[what if what == "persona" else "final_channel"].dtype == "category"


def test_both_engines_agree_beyond_127_channels():
    scenario = js.scenario_from_dict(many_channels(140))
    tables = {engine: js.simulate(scenario, seed=5, horizon_days=6, engine=engine, progress=False).events for engine in ("simpy", "vectorised")}
    pd.testing.assert_frame_equal(tables["simpy"], tables["vectorised"])


def test_replication_numbers_beyond_16_bits():
    scenario = js.load_scenario(changes={"arrival_rate_per_day": 5})
    result = js.simulate(scenario, seed=1, horizon_days=3, replications=2, first_replication=32767, progress=False)
    assert sorted(result.customers["replication"].unique()) == [32767, 32768]
    again = js.simulate(scenario, seed=1, horizon_days=3, replications=1, first_replication=32768, progress=False)
    first = result.customers.loc[result.customers["replication"] == 32768].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, again.customers, check_dtype=False)  # replication r is the same wherever it runs


def test_a_dollar_in_names_is_a_dollar_in_the_figures(tmp_path):
    data = copy.deepcopy(tiny_scenario_data())
    data["personas"]["$big$ spender"] = data["personas"].pop("buyer")
    data["channels"]["$ocial"] = data["channels"].pop("social")
    data["touchpoints"]["awareness"]["$ocial"] = data["touchpoints"]["awareness"].pop("social")
    for persona in data["personas"].values():
        persona["affinity"]["$ocial"] = persona["affinity"].pop("social")
    data["arrival_rate_per_day"] = 10.0
    job = run_job(js.scenario_from_dict(data), js.RunSettings(seed=1, horizon_days=8, progress=False), tmp_path / "run")
    assert (tmp_path / "run" / "funnel.png").stat().st_size > 0 and (tmp_path / "run" / "journey_map.png").stat().st_size > 0
    assert "$big$ spender" in set(job.metrics["persona"])


@pytest.mark.parametrize("change, path", [
    ({"personas.digital_native.order_value.mean": 1e308}, "scenario.personas.digital_native.order_value.mean"),
    ({"channels.social.cost_per_contact": 1e20}, "scenario.channels.social.cost_per_contact"),
    ({"budget.search.spend_per_day": 1e15}, "scenario.budget.search.spend_per_day"),
])
def test_amounts_of_money_too_large_to_add_up_are_invalid(change, path):
    with pytest.raises(js.ConfigError) as error:
        js.load_scenario(changes=change)
    assert error.value.paths == [path] and "1e+12" in str(error.value)


def test_a_run_without_arrivals_writes_its_folder(tmp_path):
    """A horizon too short for anyone to arrive is a valid run: its tables and text report say
    0 arrivals (the summary used to fail on the missing pooled column of an empty funnel)."""
    data = copy.deepcopy(tiny_scenario_data())
    data["arrival_rate_per_day"] = 1e-9
    run_job(js.scenario_from_dict(data), js.RunSettings(horizon_days=1.0, progress=False), tmp_path / "run", figures=False)
    metrics = pd.read_csv(tmp_path / "run" / "metrics.csv").set_index("persona")
    assert metrics.loc["all", "arrivals"] == 0
    assert "arrivals" in (tmp_path / "run" / "summary.txt").read_text()
