"""The ready launcher configs run sweeps: joblib (with a design file), Ray on a local instance,
submitit's local executor. Each sweep is tiny; each ends in a complete sweep table whose KPIs
equal the same job run singly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir

from journeysim.analysis.metrics import KPI_DESCRIPTIONS
from journeysim.cli.job import run_job
from journeysim.config import config_dir, load_config

TINY = ["run.horizon_days=5", "scenario.arrival_rate_per_day=10", "run.progress=false", "output.events=false", "output.figures=false", "output.report=false"]
SHARES = ["scenario.personas.digital_native.share", "scenario.personas.store_loyal.share"]


def multirun(sweep_dir: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.main", "-m", *args, *TINY, f"hydra.sweep.dir={sweep_dir}"],
        cwd=sweep_dir.parent, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def assert_matches_single_run(sweep_dir: Path, table: pd.DataFrame, job: int, scratch: Path) -> None:
    overrides = yaml.safe_load((sweep_dir / str(job) / ".hydra" / "overrides.yaml").read_text())
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        scenario, settings = load_config(compose("config", overrides=overrides))
    run_job(scenario, settings, scratch, write_events=False, figures=False)
    single = pd.read_csv(scratch / "metrics_by_replication.csv")
    kpis = ["replication", "persona", *KPI_DESCRIPTIONS]
    pd.testing.assert_frame_equal(table.loc[table["job"] == job, kpis].reset_index(drop=True), single[kpis], check_dtype=False, rtol=1e-12)


def test_joblib_runs_a_design_file_crossed_with_seeds_in_parallel(tmp_path):
    design = tmp_path / "shares.csv"
    design.write_text(f"{SHARES[0]},{SHARES[1]}\n0.45,0.30\n0.70,0.05\n")
    sweep_dir = tmp_path / "sweep"
    done = multirun(sweep_dir, "hydra/launcher=joblib_local", "hydra.launcher.n_jobs=2", "hydra/sweeper=design", f"hydra.sweeper.design={design}", "run.seed=1,2")
    assert "Joblib.Parallel(n_jobs=2" in done.stderr + done.stdout
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert (sweep_dir / "design.csv").read_text() == design.read_text()
    assert sorted(table["job"].unique()) == [0, 1, 2, 3] and len(table) == 4 * 4
    assert table[SHARES[0]].dtype == "float64"
    jobs = table.drop_duplicates("job").set_index("job")
    # Design rows change slowest; the command line's grid (the seeds) crosses each row.
    assert jobs[SHARES[0]].tolist() == [0.45, 0.45, 0.70, 0.70] and jobs[SHARES[1]].tolist() == [0.30, 0.30, 0.05, 0.05]
    assert jobs["seed"].tolist() == [1, 2, 1, 2]
    assert_matches_single_run(sweep_dir, table, 2, tmp_path / "single")


@pytest.mark.cluster
def test_ray_launcher_on_a_local_ray_instance(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = multirun(sweep_dir, "hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus=2", "run.seed=1,2")
    assert "Ray Launcher is launching 2 jobs" in done.stderr + done.stdout
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert sorted(table["job"].unique()) == [0, 1] and len(table) == 2 * 4
    assert_matches_single_run(sweep_dir, table, 1, tmp_path / "single")


@pytest.mark.cluster
def test_submitit_local_launcher(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = multirun(sweep_dir, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10", "run.seed=1,2")
    assert "Submitit 'local' sweep output dir" in done.stderr + done.stdout
    assert (sweep_dir / ".submitit").is_dir()
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert sorted(table["job"].unique()) == [0, 1] and len(table) == 2 * 4
    assert_matches_single_run(sweep_dir, table, 0, tmp_path / "single")


def test_slurm_and_ray_cluster_configs_compose():
    """The cluster configs cannot run here; they must at least compose into the launchers' schemas."""
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        slurm = compose("config", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=cpu"], return_hydra_config=True)
        ray = compose("config", overrides=["hydra/launcher=ray_cluster"], return_hydra_config=True)
    assert slurm.hydra.launcher._target_.endswith("SlurmLauncher") and slurm.hydra.launcher.partition == "cpu"
    assert slurm.hydra.launcher.cpus_per_task == 1
    assert ray.hydra.launcher._target_.endswith("RayLauncher") and ray.hydra.launcher.ray.remote.num_cpus == 1
