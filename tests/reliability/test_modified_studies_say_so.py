"""A ready study run with other changes says so: its report, ``run.json`` and title name every
change and where it came from. (Issue 15: ``journeysim experiment=one_click_checkout
+experiment.changes...`` merged the new changes into the study's and still reported "one
click checkout", the study's own changes included.)"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from journeysim.config import load_scenario
from journeysim.studies.experiment import (
    change_origins,
    experiment_title,
    load_experiment,
    prepare_states,
    removed_changes,
    run_experiment,
)

SMALL_RUN = {"horizon_days": 10, "progress": False}
SMALL = ["run.horizon_days=10", "scenario.arrival_rate_per_day=20", "experiment.replications=2", "run.progress=false", "output.figures=false"]
CONSIDERATION = {"touchpoints": {"consideration": {"website": {"friction": 0.0}}}}
STUDY_CHANGES = {"touchpoints.purchase.website.friction": 0.05, "touchpoints.purchase.mobile_app.friction": 0.02}


def journeysim(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    folder = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "journeysim.cli.main", "experiment=one_click_checkout", *SMALL, f"hydra.run.dir={folder}", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done, folder


def test_a_study_as_its_file_says_carries_its_own_title():
    experiment, _ = load_experiment("one_click_checkout")
    assert experiment_title(experiment) == "One-click checkout"
    assert change_origins(experiment) == {path: "study file" for path in STUDY_CHANGES}
    assert removed_changes(experiment) == {}


def test_added_changes_are_marked_and_named_in_the_title():
    experiment, settings = load_experiment("one_click_checkout", run=SMALL_RUN)
    modified = replace(experiment, replications=2).modified(CONSIDERATION)
    assert change_origins(modified) == {**{path: "study file" for path in STUDY_CHANGES}, "touchpoints.consideration.website.friction": "caller"}
    assert experiment_title(modified) == "One-click checkout, modified: + touchpoints.consideration.website.friction=0"
    comparison = run_experiment(load_scenario(changes={"arrival_rate_per_day": 20}), settings, modified)
    summary = comparison.summary()
    assert summary.startswith("journeysim experiment - One-click checkout, modified: + touchpoints.consideration.website.friction=0\n")
    assert "  touchpoints.purchase.website.friction: 0.3 -> 0.05  [study file]\n" in summary
    assert "  touchpoints.consideration.website.friction: 0.25 -> 0.0  [caller]\n" in summary
    meta = comparison.metadata()
    assert meta["title"] == comparison.title and meta["removed_changes"] == {}
    assert meta["change_origins"]["touchpoints.consideration.website.friction"] == "caller"


def test_replaced_changes_leave_the_study_files_out_and_say_so():
    experiment, _ = load_experiment("one_click_checkout")
    replaced = experiment.modified(CONSIDERATION, replace_changes=True)
    assert removed_changes(replaced) == STUDY_CHANGES
    assert experiment_title(replaced) == ("One-click checkout, modified: + touchpoints.consideration.website.friction=0; "
                                          "- touchpoints.purchase.website.friction; - touchpoints.purchase.mobile_app.friction")
    both = experiment.modified({"touchpoints": {"consideration": {"website": {"friction": 0.0}, "mobile_app": {"friction": 0.0}}}}, replace_changes=True)
    assert experiment_title(both).endswith("+ touchpoints.consideration.mobile_app.friction=0; - touchpoints.purchase.website.friction; and 1 more")
    current, future = prepare_states(load_scenario(), replaced)
    assert future.touchpoints[("purchase", "website")].friction == 0.3  # the study's change is gone, not merged
    assert future.touchpoints[("consideration", "website")].friction == 0.0
    # A title of one's own is the title.
    assert experiment_title(replace(replaced, title="Consideration only")) == "Consideration only"


def test_the_command_line_adds_to_a_study_and_the_report_says_which_changes_came_from_where(tmp_path):
    done, folder = journeysim(tmp_path, "+experiment.changes.touchpoints.consideration.website.friction=0")
    title = "journeysim experiment - One-click checkout, modified: + touchpoints.consideration.website.friction=0"
    summary = (folder / "summary.txt").read_text()
    assert summary.startswith(title + "\n") and done.stdout.startswith(title + "\n")
    assert "  touchpoints.purchase.mobile_app.friction: 0.15 -> 0.02  [study file]\n" in summary
    assert "  touchpoints.consideration.website.friction: 0.25 -> 0  [command line]\n" in summary
    meta = json.loads((folder / "run.json").read_text())
    assert meta["title"] == title.removeprefix("journeysim experiment - ")
    assert meta["change_origins"] == {**{path: "study file" for path in STUDY_CHANGES}, "touchpoints.consideration.website.friction": "command line"}
    assert meta["changes"]["touchpoints"]["consideration"] == {"website": {"friction": 0}}


def test_the_command_line_replaces_a_studys_changes_and_gives_its_title(tmp_path):
    """The documented way to replace instead of add: delete the node, then add it anew."""
    _, folder = journeysim(tmp_path, "~experiment.changes", "+experiment.changes={touchpoints: {consideration: {website: {friction: 0}}}}",
                           "experiment.title=Consideration only")
    meta = json.loads((folder / "run.json").read_text())
    assert meta["changes"] == {"touchpoints": {"consideration": {"website": {"friction": 0}}}}
    assert meta["change_origins"] == {"touchpoints.consideration.website.friction": "command line"}
    assert meta["removed_changes"] == STUDY_CHANGES
    assert meta["title"] == "Consideration only"
    summary = (folder / "summary.txt").read_text()
    assert summary.startswith("journeysim experiment - Consideration only\n")
    assert "Changes of the study file not applied:\n  - touchpoints.purchase.website.friction: 0.05\n  - touchpoints.purchase.mobile_app.friction: 0.02\n" in summary
