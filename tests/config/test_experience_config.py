"""The experience model's fields: defaults, and bad input as one message per problem naming
the path and the value (status 2 from the command line)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import journeysim as js
from journeysim.model.experience import Detraction, EmotionCarryover, Experience

DEFAULT_PERSONA = "personas.digital_native"


def test_defaults_and_the_default_scenario(tiny_data):
    bare = js.scenario_from_dict(tiny_data)  # says nothing of the experience model
    assert bare.experience == Experience(0.5, 0.5, -1.0)
    assert bare.personas["buyer"].emotion_carryover == EmotionCarryover(0.0, 0.5) and bare.personas["buyer"].detraction is None
    assert not bare.has_carryover and bare.channels["social"].experience
    default = js.load_scenario()
    assert default.personas["digital_native"].emotion_carryover == EmotionCarryover(1.5, 0.5)
    assert default.personas["store_loyal"].detraction == Detraction(0.3, 0.06, -0.3, 0.5, 14.0)
    assert not default.channels["social"].experience and default.channels["website"].experience
    # Buying is always experienced; exposure elsewhere unless a touchpoint says otherwise.
    assert default.is_experience("purchase", "website") and not default.is_experience("awareness", "social")
    sold_on_social = js.load_scenario(changes={"touchpoints.interest.social.experience": True})
    assert sold_on_social.is_experience("interest", "social", sold_on_social.touchpoints[("interest", "social")])


def test_talk_days_take_units():
    scenario = js.load_scenario(changes={f"{DEFAULT_PERSONA}.detraction.talk_days": "2w"})
    assert scenario.personas["digital_native"].detraction.talk_days == 14.0


@pytest.mark.parametrize(
    "changes, problems",
    [
        ({"experience.peak_end_weight": 1.5},
         ["scenario.experience.peak_end_weight: must be in [0, 1] (0: the plain mean, 1: the peak-end rule alone), got 1.5"]),
        ({"experience.purchase_emotion": 2, "experience.friction_loss_emotion": -3},
         ["scenario.experience.purchase_emotion: must be in [-1, 1], got 2", "scenario.experience.friction_loss_emotion: must be in [-1, 1], got -3"]),
        ({f"{DEFAULT_PERSONA}.emotion_carryover.decay": 1.0},
         ["scenario.personas.digital_native.emotion_carryover.decay: must be in [0, 1) (the share of the mood kept from one touch to the next), got 1"]),
        ({f"{DEFAULT_PERSONA}.emotion_carryover.strength": -1},
         ["scenario.personas.digital_native.emotion_carryover.strength: must be >= 0, got -1"]),
        ({f"{DEFAULT_PERSONA}.detraction.satisfaction_threshold": -2, f"{DEFAULT_PERSONA}.detraction.strength": 1.5},
         ["scenario.personas.digital_native.detraction.satisfaction_threshold: must be in [-1, 1], got -2",
          "scenario.personas.digital_native.detraction.strength: must be a probability in [0, 1], got 1.5"]),
        ({f"{DEFAULT_PERSONA}.detraction.talk_days": "3 fortnights"},
         ["scenario.personas.digital_native.detraction.talk_days: unknown unit 'fortnights': use s, min, h, d or w (e.g. 10min, 2h, 3d); "
          "got '3 fortnights'"]),
    ],
    ids=["weight", "moment emotions", "decay", "strength", "detraction", "talk days"],
)
def test_bad_input_names_the_path_and_the_value(changes, problems):
    with pytest.raises(js.ConfigError) as caught:
        js.load_scenario(changes=changes)
    assert [str(problem) for problem in caught.value.problems] == problems


def test_the_command_line_says_so_once_with_status_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.main", "scenario.experience.peak_end_weight=2",
         f"scenario.{DEFAULT_PERSONA}.emotion_carryover.decay=1.5", "run.horizon_days=2", "run.progress=false",
         "output.figures=false", f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("journeysim: invalid configuration\n2 problems in the configuration:\n")
    assert "scenario.experience.peak_end_weight: must be in [0, 1]" in done.stderr
    assert "scenario.personas.digital_native.emotion_carryover.decay: must be in [0, 1)" in done.stderr
    assert "Traceback" not in done.stderr and not list(tmp_path.rglob("metrics.csv"))
