"""A run's folder holds its complete result or the one before it, never a mix, whatever stops
the run: a hard kill at any step of the final move, SIGTERM, Ctrl-C, another run in the same
second. (Issue 15, "Data loss".)"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import journeysim as js
from journeysim.cli.job import run_job

SMALL = ["run.horizon_days=10", "scenario.arrival_rate_per_day=20", "run.progress=false"]


def scenario():
    return js.load_scenario(changes={"arrival_rate_per_day": 20})


def settings(seed: int) -> js.RunSettings:
    return js.RunSettings(seed=seed, horizon_days=10, progress=False)


def staging_left(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(f".{folder.name}.partial-*"))


def result_seed(folder: Path) -> int:
    """The seed of the folder's result, after checking that every file run.json lists is there."""
    meta = json.loads((folder / "run.json").read_text())
    for name in meta["files"]:
        assert (folder / name).is_file(), f"run.json lists {name}, which is missing"
    return meta["seed"]


@pytest.fixture(scope="module")
def expected_metrics(tmp_path_factory):
    """metrics.csv of seed 1 and of seed 2, each written alone."""
    out = {}
    for seed in (1, 2):
        folder = tmp_path_factory.mktemp(f"seed{seed}") / "run"
        run_job(scenario(), settings(seed), folder, figures=False, report=False)
        out[seed] = (folder / "metrics.csv").read_bytes()
    assert out[1] != out[2]
    return out


def test_a_rerun_with_fewer_outputs_leaves_none_of_the_earlier_files(tmp_path):
    folder = tmp_path / "run"
    run_job(scenario(), settings(1), folder, write_events=True, figures=True)
    assert (folder / "events.parquet").is_file() and list(folder.glob("*.png"))
    (folder / "my_notes.txt").write_text("mine")  # the user's own file
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "config.yaml").write_text("run: {}\n")  # Hydra's, written at job start
    run_job(scenario(), settings(2), folder, write_events=False, figures=False, report=False)
    assert result_seed(folder) == 2
    assert not (folder / "events.parquet").exists() and not list(folder.glob("*.png")), "files of the earlier result went with it"
    assert not (folder / "report.html").exists(), "the earlier result's report went with it"
    assert (folder / "my_notes.txt").read_text() == "mine" and (folder / ".hydra" / "config.yaml").is_file()
    assert staging_left(folder) == []


CHILD = """
import os, signal, sys
import journeysim as js
from journeysim import outputs
from journeysim.cli.job import run_job

step = sys.argv[2]
real = {"carry_over": outputs._carry_over, "exchange": outputs._exchange}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def carry_over(*args, **kwargs):
    if step == "before_carry_over":
        die()
    real["carry_over"](*args, **kwargs)
    if step == "after_carry_over":
        die()

def exchange(*args, **kwargs):
    if step == "before_exchange":
        die()
    real["exchange"](*args, **kwargs)
    if step == "after_exchange":
        die()

outputs._carry_over, outputs._exchange = carry_over, exchange
scenario = js.load_scenario(changes={"arrival_rate_per_day": 20})
run_job(scenario, js.RunSettings(seed=2, horizon_days=10, progress=False), sys.argv[1], figures=False, report=False)
"""


@pytest.mark.parametrize("step, survivor", [
    ("before_carry_over", 1), ("after_carry_over", 1), ("before_exchange", 1), ("after_exchange", 2),
])
def test_a_hard_kill_at_each_step_of_the_final_move_leaves_one_whole_result(tmp_path, expected_metrics, step, survivor):
    folder = tmp_path / "run"
    run_job(scenario(), settings(1), folder, figures=False, report=False)
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), step], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert result_seed(folder) == survivor
    assert (folder / "metrics.csv").read_bytes() == expected_metrics[survivor], "the tables are those of the run.json beside them"
    # A hard kill cannot clean up: its staging folder stays hidden beside the result, and the
    # next run into the folder is not disturbed by it.
    run_job(scenario(), settings(1), folder, figures=False, report=False)
    assert result_seed(folder) == 1 and (folder / "metrics.csv").read_bytes() == expected_metrics[1]


TERMINATED_WHILE_WRITING = """
import os, signal, sys
import journeysim as js
from journeysim import outputs
from journeysim.cli import main as command
from journeysim.cli.job import run_job

signal.signal(signal.SIGTERM, command._terminated)
real = outputs.AtomicOutput.write_csv

def write_then_stop(self, frame, name):
    real(self, frame, name)
    if name == "funnel.csv":  # half-way through writing the result
        os.kill(os.getpid(), signal.SIGTERM)

outputs.AtomicOutput.write_csv = write_then_stop
scenario = js.load_scenario(changes={"arrival_rate_per_day": 20})
run_job(scenario, js.RunSettings(seed=2, horizon_days=10, progress=False), sys.argv[1], figures=False, report=False)
"""


def test_sigterm_while_writing_discards_the_staging_folder_and_keeps_the_earlier_result(tmp_path, expected_metrics):
    folder = tmp_path / "run"
    run_job(scenario(), settings(1), folder, figures=False, report=False)
    done = subprocess.run([sys.executable, "-c", TERMINATED_WHILE_WRITING, str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 143, done.stderr
    assert staging_left(folder) == []
    assert result_seed(folder) == 1 and (folder / "metrics.csv").read_bytes() == expected_metrics[1]


def start(cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sent, status, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_the_command_stops_on_a_signal_with_one_line(tmp_path, sent, status, word):
    long_run = start(tmp_path, "run.horizon_days=400", "scenario.arrival_rate_per_day=400", "run.progress=false", f"hydra.run.dir={tmp_path / 'run'}")
    deadline = time.monotonic() + 60
    while not (tmp_path / "run" / ".hydra-pending").is_dir() and time.monotonic() < deadline:  # the job has started
        time.sleep(0.2)
    time.sleep(1.0)
    long_run.send_signal(sent)
    _, err = long_run.communicate(timeout=120)
    assert long_run.returncode == status
    assert "Traceback" not in err and f"journeysim: {word}" in err
    assert not (tmp_path / "run" / "run.json").exists() and staging_left(tmp_path / "run") == []


def test_two_runs_started_together_get_two_folders(tmp_path):
    runs = [start(tmp_path, *SMALL, "output.events=false", "output.figures=false", "output.report=false", *(["output.name=second"] if i else [])) for i in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err
    folders = sorted(p.parent for p in (tmp_path / "outputs").glob("*/*/run.json"))
    assert len(folders) == 2, folders
    assert sum(f.name.split("-")[-2] == "second" for f in folders) == 1  # output.name labels its folder
    for folder in folders:
        assert result_seed(folder) == 42 and pd.read_csv(folder / "metrics.csv")["arrivals"].iloc[-1] > 0


def hydra_record(folder: Path) -> tuple[int, list[str]]:
    import yaml

    config = yaml.safe_load((folder / ".hydra" / "config.yaml").read_text())
    return config["run"]["seed"], yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text())


def test_hydra_record_changes_only_with_the_result_it_describes(tmp_path):
    """An invalid re-run and a stopped re-run leave .hydra/ describing the result beside it;
    a completed re-run replaces both together. (Issue 15: "An invalid or interrupted re-run
    rewrites the folder's .hydra/ so it no longer matches the results.")"""
    folder = tmp_path / "run"
    common = [*SMALL, "output.events=false", "output.figures=false", "output.report=false", f"hydra.run.dir={folder}"]
    first = subprocess.run([sys.executable, "-m", "journeysim.cli.main", *common, "run.seed=1"], capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr
    assert hydra_record(folder)[0] == 1 == result_seed(folder) and not (folder / ".hydra-pending").exists()

    invalid = subprocess.run([sys.executable, "-m", "journeysim.cli.main", *common, "run.seed=2", "run.horizon_days=-3"], capture_output=True, text=True, timeout=240)
    assert invalid.returncode == 2
    assert hydra_record(folder) == (1, [*common[:-1], "run.seed=1"]) and result_seed(folder) == 1

    stopped = start(tmp_path, *common[:-1], "run.horizon_days=400", "scenario.arrival_rate_per_day=400", f"hydra.run.dir={folder}", "run.seed=3")
    deadline = time.monotonic() + 60
    while hydra_seed_pending(folder) != 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    stopped.send_signal(signal.SIGTERM)
    stopped.communicate(timeout=120)
    assert stopped.returncode == 143
    assert hydra_record(folder)[0] == 1 == result_seed(folder)

    again = subprocess.run([sys.executable, "-m", "journeysim.cli.main", *common, "run.seed=4"], capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    assert hydra_record(folder)[0] == 4 == result_seed(folder) and not (folder / ".hydra-pending").exists()


def hydra_seed_pending(folder: Path) -> int | None:
    import yaml

    try:
        return yaml.safe_load((folder / ".hydra-pending" / "config.yaml").read_text())["run"]["seed"]
    except (OSError, TypeError, KeyError):
        return None
