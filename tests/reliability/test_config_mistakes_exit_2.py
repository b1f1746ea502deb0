"""A mistake in the configuration, at any level, is one message and exit status 2.

At composition (Hydra: an override it cannot read, an unknown key, a config group option that
does not exist), in the job's validation (a misspelt persona, channel or stage that created a
new entry), in a multirun too: one message naming the key and the value, with the close name
("did you mean") or the valid ones. A bug inside the job still exits 1 with Hydra's
traceback, and HYDRA_FULL_ERROR=1 still gets Hydra's full one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

import journeysim as js
from journeysim.config import (
    composition_error,
    config_dir,
    register_resolvers,
    register_schemas,
    with_changes,
)
from journeysim.errors import ConfigError

PERSONAS = "digital_native, store_loyal, time_poor_professional"
QUICK = ["run.horizon_days=2", "run.progress=false", "output.figures=false", "output.events=false"]


def journeysim(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["scenario.personas.bargin_hunter.share=0.3"],
         "scenario.personas.bargin_hunter: unknown persona 'bargin_hunter' in scenario.personas.bargin_hunter.share=0.3 "
         f"(a new persona: + before the override, and every field it needs); personas are {PERSONAS}"),
        (["+scenario.personas.digital_natve.share=0.3"],
         "scenario.personas.digital_natve: unknown persona 'digital_natve' (a new persona needs order_value); did you mean 'digital_native'?"),
        (["run.horizon_days=${oops"], "run.horizon_days: cannot read the override 'run.horizon_days=${oops': mismatched input '{' expecting <EOF>"),
        (["scenario=retail_omnichanel"], "scenario: no scenario named 'retail_omnichanel' (scenario=retail_omnichanel); did you mean 'retail_omnichannel'?"),
        (["-m", "run.seed=1,2", "scenario=retail_omnichannel,nosuch"],
         "scenario: no scenario named 'nosuch' (scenario=nosuch); scenario options are last_touch_trap, retail_omnichannel"),
        (["run.seed=${nosuch}"], "run.seed: Interpolation key 'nosuch' not found"),
    ],
    ids=["persona typo", "new persona typo", "override grammar", "config group option", "multirun", "interpolation in the job"],
)
def test_a_configuration_mistake_is_one_message_and_status_2(tmp_path, arguments, message):
    done = journeysim(*arguments, *QUICK, f"hydra.run.dir={tmp_path / 'run'}", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, f"journeysim: invalid configuration\n{message}\n")
    assert not list(tmp_path.rglob("metrics.csv"))  # no job ran


def test_a_bug_inside_the_job_still_exits_1_with_hydras_traceback(tmp_path):
    # An OmegaConf error raised inside the job is the job's bug, not a configuration mistake.
    buggy = (
        "import sys\n"
        "from omegaconf import OmegaConf\n"
        "import journeysim.cli.resume as resume\n"
        "def load_job(cfg):\n"
        "    return OmegaConf.create({}, flags={'struct': True}).nosuch\n"
        "resume.load_job = load_job\n"
        "from journeysim.cli.main import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", buggy, *QUICK, f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ConfigAttributeError: Key 'nosuch' is not in struct" in done.stderr
    assert "Set the environment variable HYDRA_FULL_ERROR=1" in done.stderr and "invalid configuration" not in done.stderr


def test_hydra_full_error_still_gets_the_full_traceback(tmp_path):
    env = {**os.environ, "HYDRA_FULL_ERROR": "1"}
    done = journeysim("run.nosuch=3", *QUICK, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "hydra.errors.ConfigCompositionException: Could not override 'run.nosuch'" in done.stderr


@pytest.fixture(scope="module")
def composed():
    """compose(overrides) -> the composed config, or the ConfigError the command would report."""
    register_schemas()
    register_resolvers()

    def compose_or_mistake(*overrides: str):
        try:
            with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
                return compose("config", overrides=list(overrides))
        except Exception as error:
            mistake = composition_error(error)
            assert mistake is not None, error
            return mistake

    return compose_or_mistake


@pytest.mark.parametrize(
    "override, problem",
    [
        ("run.nosuch=3", "run.nosuch: unknown key 'nosuch' in run.nosuch=3; keys are seed, horizon_days, arrival_days, replications, progress, engine, workers, backend, force, sort_by_time"),
        ("run.seeed=3", "run.seeed: unknown key 'seeed' in run.seeed=3; did you mean 'seed'?"),
        ("scenario.channels.webiste.mode=online",
         "scenario.channels.webiste: unknown channel 'webiste' in scenario.channels.webiste.mode=online "
         "(a new channel: + before the override, and every field it needs); did you mean 'website'?"),
        ("scenario.touchpoints.purchse.website.advance=0.3", "scenario.touchpoints.purchse: unknown stage 'purchse' in scenario.touchpoints.purchse.website.advance=0.3; did you mean 'purchase'?"),
        ("scenario.touchpoints.purchase.websit.advance=0.3",
         "scenario.touchpoints.purchase.websit: unknown channel 'websit' in scenario.touchpoints.purchase.websit.advance=0.3; did you mean 'website'?"),
        ("scenario.budget.socal.spend_per_day=3", "scenario.budget.socal: unknown channel 'socal' in scenario.budget.socal.spend_per_day=3; did you mean 'social'?"),
        ("experiment=one_click_chekout", "experiment: no experiment named 'one_click_chekout' (experiment=one_click_chekout); did you mean 'one_click_checkout'?"),
        ("~run.nosuch", "run.nosuch: Could not delete from config. 'run.nosuch' does not exist."),
        ("run.seed=[1,", "run.seed: cannot read the override 'run.seed=[1,': no viable alternative at input '[1,'"),
    ],
)
def test_composition_mistakes_name_the_key_the_override_and_the_close_name(composed, override, problem):
    mistake = composed(override)
    assert isinstance(mistake, ConfigError) and [str(p) for p in mistake.problems] == [problem]


def test_a_misspelt_name_that_creates_an_incomplete_entry_is_reported_as_the_name(tiny_data):
    scenario = js.scenario_from_dict(tiny_data)
    cases = [
        ({"personas.buyr.share": 0.5}, "scenario.personas.buyr", "unknown persona 'buyr' (a new persona needs order_value); did you mean 'buyer'?"),
        ({"touchpoints.purchase.websit.advance": 0.3}, "scenario.touchpoints.purchase.websit", "unknown channel 'websit'; did you mean 'website'?"),
        ({"touchpoints.purchse.website.advance": 0.3}, "scenario.touchpoints.purchse", "unknown stage 'purchse'; did you mean 'purchase'?"),
        ({"budget.socal.spend_per_day": 3}, "scenario.budget.socal", "unknown channel 'socal'; did you mean 'social'?"),
        ({"channels.webiste.mode": "online"}, "scenario.channels.webiste", "channel 'webiste' is used by no touchpoint; did you mean 'website'?"),
        # Complete entries at a misspelt name: the meaning checks say the name, and the close one.
        ({"personas.buyer.affinity.webste": 1.0}, "scenario.personas.buyer.affinity.webste", "unknown channel 'webste'; did you mean 'website'?"),
        ({"personas.buyer.touchpoints.purchse.website.available": False}, "scenario.personas.buyer.touchpoints.purchse.website", "unknown stage 'purchse'; did you mean 'purchase'?"),
        ({"personas.buyer.touchpoints.purchase.webste.available": False}, "scenario.personas.buyer.touchpoints.purchase.webste", "unknown channel 'webste'; did you mean 'website'?"),
    ]
    for changes, path, message in cases:
        with pytest.raises(ConfigError) as info:
            with_changes(scenario, changes)
        assert [str(p) for p in info.value.problems] == [f"{path}: {message}"], changes


def test_a_new_entry_that_is_complete_is_not_a_typo(tiny_data):
    buyer = tiny_data["personas"]["buyer"]
    scenario = js.scenario_from_dict({**tiny_data, "personas": {"buyer": buyer, "buyer2": dict(buyer)}})
    assert scenario.persona_names == ("buyer", "buyer2")


def test_an_unknown_top_level_key_of_a_job_is_reported():
    from journeysim.cli.resume import load_job

    with pytest.raises(ConfigError) as info:
        load_job({"scenaro": {"arrival_rate_per_day": 3}, "run": {}, "output": {}, "scenario": dict(js.load_scenario().source)})
    assert [str(p) for p in info.value.problems] == ["scenaro: unknown key 'scenaro'; did you mean 'scenario'?"]
