"""A sweep whose table cannot be written says so and fails; the collector refuses what is not
a sweep with one line. (Issue 15: `-m run.seed=1,99999999999999999999999` used to exit 0
without sweep.parquet, and journeysim-collect answered with a traceback.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import journeysim as js
from journeysim.cli import sweep
from journeysim.cli.job import run_job


def test_a_seed_beyond_64_bits_is_an_invalid_configuration():
    with pytest.raises(js.ConfigError, match=r"run.seed: must be a whole number from 0 to 9223372036854775807, got 99999999999999999999999"):
        js.run_settings_from_dict({"seed": 99999999999999999999999})
    assert js.run_settings_from_dict({"seed": 2**63 - 1}).seed == 2**63 - 1


def test_the_callback_fails_the_command_when_the_table_cannot_be_written(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise OverflowError("cannot be cast to int64")

    monkeypatch.setattr(sweep, "collect_sweep", broken)
    config = SimpleNamespace(hydra=SimpleNamespace(sweep=SimpleNamespace(dir=str(tmp_path))))
    with pytest.raises(SystemExit) as stop:
        sweep.CollectSweep().on_multirun_end(config)
    assert stop.value.code == sweep.EXIT_COLLECT_FAILED != 0
    err = capsys.readouterr().err
    assert "table could not be written (OverflowError: cannot be cast to int64)" in err and f"journeysim-collect {tmp_path}" in err


def test_collect_refuses_a_folder_of_single_runs_with_one_line(tmp_path, capsys):
    run_job(js.load_scenario(changes={"arrival_rate_per_day": 10}), js.RunSettings(seed=1, horizon_days=5, progress=False), tmp_path / "outputs" / "a", figures=False)
    assert sweep.collect_main([str(tmp_path / "outputs")]) == 2
    err = capsys.readouterr().err
    assert "is not a sweep folder (no multirun.yaml)" in err and len(err.strip().splitlines()) == 1


def test_collect_reports_a_failure_in_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    monkeypatch.setattr(sweep, "collect_sweep", lambda *a, **k: (_ for _ in ()).throw(ValueError("bad table")))
    assert sweep.collect_main([str(tmp_path)]) == sweep.EXIT_COLLECT_FAILED
    assert capsys.readouterr().err.strip() == f"journeysim-collect: cannot build the table of {str(tmp_path)!r} (ValueError: bad table)"
