"""The ``surveys`` section: its defaults, and bad input as one message per problem naming the
path and the value (status 2 from the command line)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import journeysim as js
from journeysim.model.surveys import ResponseProbability, Surveys


def surveys_of(section):
    """The surveys of the default scenario with its own section replaced by ``section``."""
    return js.with_changes(UNSURVEYED, {"surveys": section}).surveys


UNSURVEYED = js.with_changes(js.load_scenario(), {"surveys": None})


def test_absent_means_no_surveys_and_an_empty_section_takes_the_defaults():
    assert UNSURVEYED.surveys is None
    assert js.load_scenario().surveys == Surveys(after=("purchase", "service", "churn"))  # the default scenario's
    assert surveys_of({}) == Surveys()
    assert surveys_of({"after": ["service", "churn"], "response_probability": {"extreme": 0.6}, "questions": ["nps"]}) == Surveys(
        after=("service", "churn"), response_probability=ResponseProbability(0.1, 0.6), questions=("nps",)
    )


@pytest.mark.parametrize(
    "section, problems",
    [
        ({"after": ["purchse"]}, ["scenario.surveys.after[0]: unknown trigger moment 'purchse'; did you mean 'purchase' or 'repeat_purchase'?"]),
        ({"after": ["churn", "at_random"]},
         ["scenario.surveys.after[1]: unknown trigger moment 'at_random'; trigger moments are purchase, repeat_purchase, service, churn, friction_loss"]),
        ({"after": ["churn", "churn"]}, ["scenario.surveys.after[1]: trigger moment 'churn' is listed twice"]),
        ({"after": []}, ["scenario.surveys.after: must list at least one trigger moment (purchase, repeat_purchase, service, churn, friction_loss), "
                         "or leave the surveys section out"]),
        ({"response_probability": {"neutral": -0.1, "extreme": 1.5}},
         ["scenario.surveys.response_probability.neutral: must be a probability in [0, 1], got -0.1",
          "scenario.surveys.response_probability.extreme: must be a probability in [0, 1], got 1.5"]),
        ({"invitation_probability": 2}, ["scenario.surveys.invitation_probability: must be a probability in [0, 1], got 2"]),
        ({"noise": -0.2}, ["scenario.surveys.noise: must be >= 0, got -0.2"]),
        ({"noise": float("nan")}, ["scenario.surveys.noise: must be a finite number, got nan"]),
        ({"questions": ["nsp"]}, ["scenario.surveys.questions[0]: unknown question 'nsp'; did you mean 'nps'?"]),
        ({"responses": 0.2}, ["scenario.surveys.responses: unknown field 'responses'; known fields are after, invitation_probability, "
                              "response_probability, noise, questions"]),
    ],
    ids=["trigger typo", "unknown trigger", "trigger twice", "no trigger", "response probabilities", "invitation", "negative noise",
         "nan noise", "question typo", "unknown field"],
)
def test_bad_input_names_the_path_and_the_value(section, problems):
    with pytest.raises(js.ConfigError) as caught:
        surveys_of(section)
    assert [str(problem) for problem in caught.value.problems] == problems


def test_the_command_line_says_so_once_with_status_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.main", "scenario.surveys.after=[purchase,at_churn]",
         "scenario.surveys.response_probability.extreme=1.2", "run.horizon_days=2", "run.progress=false",
         "output.figures=false", f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        2,
        "journeysim: invalid configuration\n2 problems in the configuration:\n"
        "  - scenario.surveys.after[1]: unknown trigger moment 'at_churn'; did you mean 'churn'?\n"
        "  - scenario.surveys.response_probability.extreme: must be a probability in [0, 1], got 1.2\n",
    )
    assert not list(tmp_path.rglob("metrics.csv"))
