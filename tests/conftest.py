"""Shared scenario builders for the tests: small, readable, and valid unless a test breaks them."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import journeysim as js
from journeysim.cli.job import run_job


def tiny_scenario_data() -> dict[str, Any]:
    """Three stages, two channels, fixed delays and 0/1 probabilities: a deterministic journey."""
    fixed = lambda days: {"dist": "fixed", "value": days}  # noqa: E731
    return {
        "name": "tiny",
        "stages": ["awareness", "interest", "purchase"],
        "arrival_rate_per_day": 1.0,
        "channels": {
            "social": {"mode": "online", "cost_per_contact": 1.0},
            "website": {"mode": "online", "cost_per_contact": 2.0, "sells": True},
        },
        "touchpoints": {
            "awareness": {"social": {"delay_days": fixed(1.0), "advance": 1.0, "emotion": 0.5}},
            "interest": {"website": {"delay_days": fixed(2.0), "advance": 1.0, "emotion": 0.2}},
            "purchase": {"website": {"delay_days": fixed(0.5), "advance": 1.0, "emotion": 0.4}},
        },
        "personas": {
            "buyer": {"share": 0.5, "affinity": {"social": 1.0, "website": 1.0}, "order_value": fixed(50.0)},
            "blocked": {
                "share": 0.5,
                "affinity": {"social": 1.0, "website": 1.0},
                "order_value": fixed(80.0),
                # Payment friction that stops every would-be purchase of this persona.
                "touchpoints": {"purchase": {"website": {"friction": 1.0}}},
            },
        },
    }


def funnel_scenario_data() -> dict[str, Any]:
    """A stochastic journey with friction, shortcuts and two contrasting personas."""
    exp = lambda mean: {"dist": "exponential", "mean": mean}  # noqa: E731
    return {
        "name": "funnel",
        "stages": ["awareness", "interest", "consideration", "purchase", "loyalty"],
        "arrival_rate_per_day": 400.0,
        "channels": {
            "social": {"mode": "online", "cost_per_contact": 0.3},
            "search": {"mode": "online", "cost_per_contact": 0.8},
            "website": {"mode": "online", "cost_per_contact": 0.02, "sells": True},
            "store": {"mode": "offline", "cost_per_contact": 4.0, "sells": True},
        },
        "touchpoints": {
            "awareness": {
                "social": {"delay_days": exp(1.0), "advance": 0.4, "drop": 0.3, "emotion": 0.2},
                "search": {"delay_days": {"dist": "gamma", "mean": 2.0, "cv": 0.5}, "advance": 0.5, "drop": 0.1, "target": "consideration"},
            },
            "interest": {
                "website": {"delay_days": exp(1.5), "advance": 0.5, "drop": 0.2, "emotion": 0.1, "friction": 0.1},
                "store": {"delay_days": {"dist": "uniform", "low": 1.0, "high": 5.0}, "advance": 0.6, "drop": 0.1, "emotion": 0.4},
            },
            "consideration": {
                "website": {"delay_days": exp(1.0), "advance": 0.5, "drop": 0.15, "friction": 0.3, "emotion": 0.1},
                "store": {"delay_days": {"dist": "triangular", "low": 0.5, "mode": 2.0, "high": 4.0}, "advance": 0.6, "drop": 0.1, "friction": 0.2},
            },
            "purchase": {
                "website": {"delay_days": exp(0.5), "advance": 0.7, "drop": 0.1, "friction": 0.4, "emotion": 0.2},
                "store": {"delay_days": {"dist": "lognormal", "mean": 1.0, "cv": 0.8}, "advance": 0.8, "drop": 0.05, "friction": 0.1},
            },
        },
        "personas": {
            "online": {
                "share": 0.6,
                "friction_sensitivity": 2.0,
                "affinity": {"social": 3.0, "search": 1.0, "website": 4.0, "store": 1.0},
                "order_value": {"dist": "lognormal", "mean": 40.0, "cv": 0.5},
            },
            "offline": {
                "share": 0.4,
                "friction_sensitivity": 0.5,
                "affinity": {"social": 1.0, "search": 2.0, "website": 1.0, "store": 4.0},
                "order_value": {"dist": "gamma", "mean": 90.0, "cv": 0.4},
                "touchpoints": {"consideration": {"store": {"advance": 0.7, "friction": 0.35}}},
            },
        },
    }


@pytest.fixture
def tiny_data() -> dict[str, Any]:
    return copy.deepcopy(tiny_scenario_data())


@pytest.fixture
def funnel_data() -> dict[str, Any]:
    return copy.deepcopy(funnel_scenario_data())


# -- report tests (tests/reporting): one small run written with its report -----------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """The default scenario (queues, loyalty, paid media, emotion carry-over) over 20 days at a
    low arrival rate, two replications (so the KPIs have intervals), with its report."""
    folder = tmp_path_factory.mktemp("report") / "run"
    scenario = js.load_scenario(changes={"arrival_rate_per_day": 30})
    run_job(scenario, js.RunSettings(seed=5, horizon_days=20, replications=2, progress=False), folder, figures=False)
    return folder


# -- tutorials (tests/tutorials) --------------------------------------------------------
# The tutorials (docs/tutorials/*.py, jupytext "percent" scripts) run as a reader runs them:
# each as a script in a fresh Python process, with ``JOURNEYSIM_TUTORIAL_QUICK=1`` (small
# horizons and few replications), in a temporary working directory. The test then evaluates
# expressions in the script's namespace and asserts on the numbers a reader would read.
# (One conftest for the whole suite: a second one would shadow this module's name for the
# tests that import scenario builders from it.)

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"

# Runs the script as __main__, then prints one JSON line of the requested expressions.
RUNNER = """
import json, runpy, sys
namespace = runpy.run_path(sys.argv[1], run_name="__main__")
values = {name: eval(expression, namespace) for name, expression in json.loads(sys.argv[2]).items()}
print("TUTORIAL-VALUES " + json.dumps(values))
"""


def run_tutorial_script(name: str, expressions: dict[str, str], tmp_path: Path) -> tuple[str, dict]:
    """Run ``docs/tutorials/NAME`` quickly; return its output and the expressions' values."""
    env = {**os.environ, "JOURNEYSIM_TUTORIAL_QUICK": "1", "MPLBACKEND": "Agg", "TMPDIR": str(tmp_path)}
    finished = subprocess.run(
        [sys.executable, "-c", RUNNER, str(TUTORIALS / name), json.dumps(expressions)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    output, _, values = finished.stdout.rpartition("TUTORIAL-VALUES ")
    return output, json.loads(values)


@pytest.fixture
def run_tutorial(tmp_path):
    """``run_tutorial(NAME, {name: expression})`` -> (printed output, values), in ``tmp_path``."""
    return lambda name, expressions: run_tutorial_script(name, expressions, tmp_path)

