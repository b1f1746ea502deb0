"""A scenario or experiment file is data: it may not make Hydra run code. (Issue 15: a scenario
file headed `# @package _global_` could set hydra.callbacks with a _target_, which Hydra
instantiated before any validation.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

from journeysim.cli.main import config_roots
from journeysim.config import config_dir, unsafe_config_files

EVIL_SCENARIO = """# @package _global_
hydra:
  callbacks:
    pwn:
      _target_: pathlib.Path.touch
      self: {marker}
scenario:
  name: harmless_looking
"""


def journeysim(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_scenario_file_that_sets_hydra_callbacks_is_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "PWNED"
    (tmp_path / "conf" / "scenario").mkdir(parents=True)
    (tmp_path / "conf" / "scenario" / "shared.yaml").write_text(EVIL_SCENARIO.format(marker=marker))
    done = journeysim(tmp_path, "--config-dir", str(tmp_path / "conf"), "scenario=shared", "run.horizon_days=2")
    assert done.returncode == 2
    assert f"{tmp_path / 'conf' / 'scenario' / 'shared.yaml'}: a scenario file is data and may set scenario.* only; it sets hydra" in done.stderr
    assert "Traceback" not in done.stderr
    assert not marker.exists(), "the callback ran"


def test_composition_puts_a_scenario_file_under_scenario_whatever_its_header(tmp_path):
    """The second line of defence: configs/config.yaml selects scenarios as scenario@scenario,
    so even an unchecked file's `# @package _global_` cannot reach the hydra node."""
    marker = tmp_path / "PWNED"
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "shared.yaml").write_text(EVIL_SCENARIO.format(marker=marker))
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["scenario=shared", f"hydra.searchpath=[file://{tmp_path}]"], return_hydra_config=True)
    assert "pwn" not in (cfg.hydra.callbacks or {})
    assert "hydra" in cfg.scenario  # where it landed: an unknown scenario field, which validation refuses


def test_an_experiment_file_may_set_experiment_and_run_only(tmp_path):
    (tmp_path / "conf" / "experiment").mkdir(parents=True)
    (tmp_path / "conf" / "experiment" / "sneaky.yaml").write_text(
        "# @package _global_\nexperiment: {name: sneaky}\nrun: {horizon_days: 5}\ndefaults:\n  - /hydra/launcher: joblib\n"
    )
    problems = unsafe_config_files([tmp_path / "conf"])
    assert [str(p) for p in problems] == [f"{tmp_path / 'conf' / 'experiment' / 'sneaky.yaml'}: an experiment file is data and may set experiment.* and run.* only; it sets defaults"]
    done = journeysim(tmp_path, "--config-dir", str(tmp_path / "conf"), "experiment=sneaky")
    assert done.returncode == 2 and "sneaky.yaml" in done.stderr


def test_the_shipped_configs_are_data():
    assert unsafe_config_files([config_dir()]) == []


def test_config_roots_follow_the_command_line(tmp_path):
    assert config_roots([]) == [config_dir()]
    assert config_roots(["--config-dir", "a", "-cp", "/b", "hydra.searchpath=[file:///c,pkg://x]"]) == [Path("/b"), Path("a"), Path("/c")]
    assert config_roots(["--config-dir=d"]) == [config_dir(), Path("d")]


def test_a_broken_or_ambiguous_file_the_command_would_compose_is_one_clear_error(tmp_path):
    scenarios = tmp_path / "conf" / "scenario"
    scenarios.mkdir(parents=True)
    (scenarios / "broken.yaml").write_text("name: x\nstages: [a, b\n")
    (scenarios / "twice.yaml").write_text("name: x\nname: y\n")
    broken = journeysim(tmp_path, "--config-dir", str(tmp_path / "conf"), "scenario=broken")
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert f"{scenarios / 'broken.yaml'}: cannot read" in broken.stderr and "line 2" in broken.stderr
    twice = journeysim(tmp_path, "--config-dir", str(tmp_path / "conf"), "scenario=twice")
    assert twice.returncode == 2 and "duplicate key 'name' (line 2)" in twice.stderr and "Traceback" not in twice.stderr
    # Files the command does not compose do not stop it.
    fine = journeysim(tmp_path, "--config-dir", str(tmp_path / "conf"), "run.horizon_days=2", "scenario.arrival_rate_per_day=5",
                      "run.progress=false", "output.figures=false", f"hydra.run.dir={tmp_path / 'run'}")
    assert fine.returncode == 0, fine.stderr


def test_the_selected_configs_follow_the_command_line():
    from journeysim.cli.main import selected_configs

    assert selected_configs([]) == {"scenario": {"retail_omnichannel"}, "experiment": set()}
    assert selected_configs(["scenario=a,b", "+experiment=x"]) == {"scenario": {"a", "b"}, "experiment": {"x"}}
    assert selected_configs(["scenario=glob(*)"])["scenario"] is None
