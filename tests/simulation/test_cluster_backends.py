"""``run.backend=ray`` and ``run.backend=dask``: a run's and a study's replications on a
cluster (a local Ray instance, a local Dask cluster) give the tables ``run.workers`` gives;
a backend whose package is missing is one message naming the extra, status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import journeysim as js
from journeysim.simulation.processes import in_processes
from journeysim.studies.comparison import compare

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"arrival_rate_per_day": 15.0}
RUN = dict(seed=5, horizon_days=8.0, progress=False)
CHANGE = {"touchpoints": {"purchase": {"website": {"friction": 0.05}}}}


def assert_same_run(a: js.SimulationResult, b: js.SimulationResult) -> None:
    for name in ("events", "customers", "queues"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


@pytest.fixture(scope="module")
def scenario() -> js.Scenario:
    return js.load_scenario(changes=SMALL)


@pytest.fixture(scope="module")
def local(scenario):
    """The reference: replications and a comparison in local worker processes."""
    settings = js.RunSettings(workers=2, **RUN)
    return js.simulate(scenario, settings, replications=3), compare(scenario, CHANGE, settings=settings, replications=3)


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.mark.cluster
def test_ray_runs_replications_and_a_study_with_the_same_tables(ray_instance, scenario, local):
    # Builtins: Ray's workers import a task's module, and this test module is not installed.
    assert list(in_processes(pow, [(x, 2) for x in range(6)], 2, backend="ray")) == [x * x for x in range(6)]
    assert os.getpid() not in set(in_processes(os.getpid, [()] * 4, 1, backend="ray"))  # on Ray's workers
    run, comparison = local
    settings = js.RunSettings(backend="ray", **RUN)
    assert_same_run(js.simulate(scenario, settings, replications=3), run)
    on_ray = compare(scenario, CHANGE, settings=settings, replications=3)
    pd.testing.assert_frame_equal(on_ray.per_replication, comparison.per_replication)
    pd.testing.assert_frame_equal(on_ray.dropoff, comparison.dropoff)


@pytest.mark.cluster
def test_dask_runs_replications_and_a_study_with_the_same_tables(dask_client, scenario, local):
    assert list(in_processes(pow, [(x, 2) for x in range(6)], 2, backend="dask")) == [x * x for x in range(6)]
    assert os.getpid() not in set(in_processes(os.getpid, [()] * 4, 2, backend="dask"))
    run, comparison = local
    settings = js.RunSettings(backend="dask", workers=2, **RUN)
    assert_same_run(js.simulate(scenario, settings, replications=3), run)
    on_dask = compare(scenario, CHANGE, settings=settings, replications=3)
    pd.testing.assert_frame_equal(on_dask.per_replication, comparison.per_replication)
    pd.testing.assert_frame_equal(on_dask.channel_mix, comparison.channel_mix)


@pytest.mark.parametrize("backend, module, package", [("ray", "ray.util.joblib", "ray"), ("dask", "distributed", "distributed")])
def test_a_missing_backend_package_is_one_message_naming_the_extra(monkeypatch, scenario, backend, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # importing it now fails, as when it is not installed
    message = rf"run.backend: {backend} needs the '{package}' package, which is not installed: pip install \"journeysim\[cluster\]\""
    with pytest.raises(js.ConfigError, match=message):
        js.simulate(scenario, js.RunSettings(backend=backend, **RUN), replications=2)


def test_the_command_line_exits_2_without_the_backend_package(tmp_path):
    program = (
        "import sys; sys.modules['ray.util.joblib'] = None; from journeysim.cli.main import main; "
        f"sys.argv = ['journeysim', 'run.backend=ray', 'run.replications=2', 'run.horizon_days=2', 'run.progress=false', "
        f"'scenario.arrival_rate_per_day=5', 'hydra.run.dir={tmp_path / 'run'}']; main()"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "journeysim: invalid configuration",
        "run.backend: ray needs the 'ray' package, which is not installed: pip install \"journeysim[cluster]\"",
    ]
