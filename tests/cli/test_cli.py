"""The ``journeysim`` command: the main job's files, overrides, and clean errors (exit 2)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SMALL = ["run.horizon_days=20", "scenario.arrival_rate_per_day=40", "run.progress=false"]


def journeysim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_main_job_writes_tables_figures_and_summary(tmp_path):
    run_dir = tmp_path / "run"
    done = journeysim(*SMALL, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ["events.parquet", "customers.parquet", "metrics.csv", "funnel.png", "journey_map.png", "summary.txt", "run.json", "funnel.csv", "touchpoints.csv", "exact.csv"]:
        assert (run_dir / name).is_file(), name
    metrics = pd.read_csv(run_dir / "metrics.csv")
    assert metrics["persona"].tolist() == ["digital_native", "store_loyal", "time_poor_professional", "all"]
    assert {"conversion_rate", "bounce_rate", "cost_per_acquisition", "return_on_spend", "touches_to_convert"} <= set(metrics.columns)
    customers = pd.read_parquet(run_dir / "customers.parquet")
    assert metrics.set_index("persona").loc["all", "arrivals"] == len(customers)
    assert customers["persona"].dtype == "category"
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["seed"] == 42 and meta["scenario"] == "retail_omnichannel" and len(meta["config_hash"]) == 16
    assert "Results written to" in done.stdout and "conversion" in done.stdout
    assert not list(run_dir.parent.glob(f".{run_dir.name}.partial-*"))


def test_overrides_reach_the_run(tmp_path):
    run_dir = tmp_path / "run"
    done = journeysim(*SMALL, "run.seed=7", "scenario.personas.digital_native.share=0.5", "scenario.personas.store_loyal.share=0.25",
                      "output.events=false", "output.figures=false", "output.report=false", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((run_dir / "run.json").read_text())["seed"] == 7
    assert not (run_dir / "events.parquet").exists() and not (run_dir / "funnel.png").exists()
    customers = pd.read_parquet(run_dir / "customers.parquet")
    share = (customers["persona"] == "digital_native").mean()
    assert 0.4 < share < 0.6


@pytest.mark.parametrize(
    "override, message",
    [
        ("scenario.touchpoints.purchase.website.advance=1.5", "scenario.touchpoints.purchase.website.advance: must be a probability in [0, 1], got 1.5"),
        ("scenario.personas.digital_native.share=0.9", "scenario.personas: shares must sum to 1, got 1.45"),
        ("run.horizon_days=-5", "run.horizon_days: must be > 0, got -5"),
        ("scenario.touchpoints.awareness.social.advance=lots", "scenario.touchpoints.awareness.social.advance: must be a number, got 'lots'"),
        ("output.events=maybe", "output.events: must be true or false, got 'maybe'"),
        ("run.seed=abc", "run.seed: must be a whole number, got 'abc'"),
    ],
)
def test_invalid_values_exit_2_without_traceback(tmp_path, override, message):
    run_dir = tmp_path / "run"
    done = journeysim(*SMALL, override, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (run_dir / "metrics.csv").exists()


def test_failed_run_leaves_earlier_results_untouched(tmp_path, monkeypatch):
    import journeysim as js
    from journeysim.cli import job

    scenario = js.load_scenario(changes={"arrival_rate_per_day": 20})
    settings = js.RunSettings(seed=1, horizon_days=10, progress=False)
    folder = tmp_path / "out"
    job.run_job(scenario, settings, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(job, "journey_map_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        job.run_job(scenario, js.RunSettings(seed=2, horizon_days=10, progress=False), folder)
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before
    assert not list(folder.parent.glob(f".{folder.name}.partial-*"))


def test_a_config_of_ones_own_can_type_its_nodes_with_the_registered_schemas(tmp_path):
    """``journeysim --config-path DIR``: the command registers journeysim_schema/* in Hydra's
    ConfigStore, so a user's config that lists journeysim_schema/run is typed at composition."""
    own = tmp_path / "conf"
    (own / "scenario").mkdir(parents=True)
    from journeysim.config import config_dir

    (own / "scenario" / "retail_omnichannel.yaml").write_text((config_dir() / "scenario" / "retail_omnichannel.yaml").read_text())
    (own / "config.yaml").write_text(
        "defaults:\n  - journeysim_schema/run@run\n  - journeysim_schema/output@output\n  - scenario: retail_omnichannel\n  - _self_\n"
        "run:\n  horizon_days: 10\n  progress: false\noutput:\n  figures: false\n"
    )
    run_dir = tmp_path / "run"
    done = journeysim("--config-path", str(own), "scenario.arrival_rate_per_day=20", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["horizon_days"] == 10 and meta["seed"] == 42  # the schema's default seed filled in
    assert not (run_dir / "funnel.png").exists()
    typed = journeysim("--config-path", str(own), "run.seed=abc", f"hydra.run.dir={tmp_path / 'bad'}", cwd=tmp_path)
    assert (typed.returncode, typed.stderr) == (2, "journeysim: invalid configuration\nrun.seed: must be a whole number, got 'abc'\n")


def test_help_is_ours_and_short_and_version_is_journeysims(tmp_path):
    import journeysim as js

    done = journeysim("--help", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("usage: journeysim")
    assert len(done.stdout.splitlines()) < 40 and "one_click_checkout" in done.stdout and "--hydra-help" in done.stdout
    version = journeysim("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"journeysim {js.__version__}"
    assert not (tmp_path / "outputs").exists()  # neither runs a job
