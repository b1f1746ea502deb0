"""Runs that would not fit in memory are refused at once, with the estimate and the way out.
(Issue 15: arrival_rate_per_day=1e9 died after allocating; horizon_days=1e9 and
replications=1e9 grew for minutes with no output.)"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import journeysim as js
from journeysim.model.compiled import compile_scenario
from journeysim.simulation.footprint import check_footprint, estimate_footprint


@pytest.mark.parametrize("override", ["scenario.arrival_rate_per_day=1e9", "run.horizon_days=1e9", "run.replications=1000000000"])
def test_the_command_refuses_a_run_that_cannot_fit_within_seconds(tmp_path, override):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "journeysim.cli.main", override, f"hydra.run.dir={tmp_path / 'run'}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 10
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "run: this run would simulate about" in done.stderr and "GiB is available" in done.stderr and "run.force=true" in done.stderr
    assert not (tmp_path / "run" / "run.json").exists()


def test_the_estimate_bounds_a_real_run_from_above_without_overshooting_far():
    scenario = js.load_scenario(changes={"arrival_rate_per_day": 60})
    settings = js.RunSettings(seed=2, horizon_days=60, replications=2, progress=False)
    footprint = estimate_footprint(compile_scenario(scenario), settings)
    result = js.simulate(scenario, settings)
    assert 1.0 <= footprint.customers / len(result.customers) <= 3.0
    assert 1.0 <= footprint.events / len(result.events) <= 3.0


def test_force_runs_past_the_guard_and_the_guard_scales_with_memory():
    compiled = compile_scenario(js.load_scenario(changes={"arrival_rate_per_day": 60}))
    settings = js.RunSettings(horizon_days=30)
    with pytest.raises(js.ConfigError, match="set run.force=true"):
        check_footprint(compiled, settings, available=1e6)  # a machine with a megabyte
    assert check_footprint(compiled, js.RunSettings(horizon_days=30, force=True), available=1e6).customers > 0
    assert check_footprint(compiled, settings, available=64 * 2**30).events > 0
    without_events = estimate_footprint(compiled, settings, keep_events=False)
    assert without_events.peak_bytes < estimate_footprint(compiled, settings).peak_bytes
    assert estimate_footprint(compiled, settings, engine="vectorised").peak_bytes < estimate_footprint(compiled, settings).peak_bytes


def test_workers_beyond_the_cores_are_not_started_and_each_started_one_counts(monkeypatch):
    """(Issue 15: "run.workers=64 run.replications=64 reaches 8 GB".) 64 workers on a 2-core
    machine start 2 processes; on 64 cores the estimate carries 64 interpreters."""
    from journeysim.simulation import processes
    from journeysim.simulation.footprint import (
        WORKER_PROCESS_BYTES,
        WORKING_BYTES_PER_EVENT,
    )

    monkeypatch.setattr(processes, "usable_cores", lambda: 2)
    assert [processes.worker_processes(w, t) for w, t in [(64, 64), (64, 1), (1, 64), (0, 5), (2, 8)]] == [2, 1, 1, 1, 2]
    compiled = compile_scenario(js.load_scenario())
    settings = lambda workers: js.RunSettings(seed=1, horizon_days=30, replications=64, workers=workers, progress=False)  # noqa: E731
    on_two = estimate_footprint(compiled, settings(64)).peak_bytes
    assert on_two == estimate_footprint(compiled, settings(2)).peak_bytes
    monkeypatch.setattr(processes, "usable_cores", lambda: 64)
    on_sixty_four = estimate_footprint(compiled, settings(64)).peak_bytes
    single = estimate_footprint(compiled, settings(1)).peak_bytes
    events = estimate_footprint(compiled, settings(1)).events_per_replication
    # 63 more working sets than one process, and 64 interpreters.
    assert on_sixty_four - single == pytest.approx(63 * events * WORKING_BYTES_PER_EVENT["simpy"] + 64 * WORKER_PROCESS_BYTES, rel=1e-9)
