"""``journeysim-report FOLDER`` draws a folder's report again from its tables; ``output.report=false``
writes none of it; a missing or foreign folder is one line and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import journeysim as js
from journeysim.cli.job import run_job

REPORT_FILES = ["report.html", "scenario.json", "journey_map.csv", "pain_points.csv", "day_in_the_life.csv", "blueprint.csv"]


def journeysim_report(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.report", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "run"
    run_job(js.load_scenario(changes={"arrival_rate_per_day": 20}), js.RunSettings(seed=1, horizon_days=10, progress=False), folder,
            write_events=False, figures=False)
    return folder


def test_the_report_is_rebuilt_from_the_folder_as_the_job_wrote_it(run_folder, tmp_path):
    written = (run_folder / "report.html").read_bytes()
    (run_folder / "report.html").unlink()
    done = journeysim_report(str(run_folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Report written to {run_folder / 'report.html'}"
    assert (run_folder / "report.html").read_bytes() == written


def test_a_missing_folder_is_one_line_and_status_2(tmp_path):
    done = journeysim_report(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"journeysim-report: {tmp_path / 'nowhere'}: no such folder\n"


def test_a_foreign_folder_is_one_line_and_status_2(tmp_path):
    (tmp_path / "notes.txt").write_text("not a run")
    done = journeysim_report(str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"journeysim-report: {tmp_path}: is not a journeysim run or experiment folder (no run.json)\n"
    assert not (tmp_path / "report.html").exists()


def test_output_report_false_writes_none_of_it_and_the_command_says_what_is_missing(tmp_path):
    run_dir = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "journeysim.cli.main", "run.horizon_days=10", "scenario.arrival_rate_per_day=20",
                           "run.progress=false", "output.figures=false", "output.report=false", f"hydra.run.dir={run_dir}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (run_dir / "metrics.csv").is_file()
    assert [name for name in REPORT_FILES if (run_dir / name).exists()] == []
    rebuilt = journeysim_report(str(run_dir), cwd=tmp_path)
    assert rebuilt.returncode == 2
    assert rebuilt.stderr.startswith(f"journeysim-report: {run_dir / 'scenario.json'}: missing: the folder was written without its report")
    assert "output.report=true" in rebuilt.stderr and len(rebuilt.stderr.splitlines()) == 1
