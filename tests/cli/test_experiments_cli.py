"""``journeysim experiment=NAME``: every shipped study runs in one command; bad changes exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from journeysim.config import experiment_names
from journeysim.studies.experiment import (
    experiment_from_dict,
    load_experiment,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["run.horizon_days=20", "scenario.arrival_rate_per_day=30", "experiment.replications=3", "run.progress=false"]
SHIPPED = ["one_click_checkout", "social_commerce", "personalised_consideration", "omnichannel_consistency", "more_store_staff", "budget_shift_search_to_social"]
COLUMNS = ["kpi", "persona", "current", "future", "difference", "relative_change", "ci_low", "ci_high", "excludes_zero", "replications"]
FIGURES = ["funnels.png", "forest.png", "dropoff_difference.png", "emotion_lane.png"]


def journeysim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_the_shipped_experiments_are_the_documented_ones():
    assert sorted(SHIPPED) == experiment_names()
    readme = (ROOT / "experiments" / "README.md").read_text()
    for name in SHIPPED:
        experiment, settings = load_experiment(name)
        assert settings.seed == 42 and settings.horizon_days > 0
        assert experiment.name == name and experiment.question.endswith("?") and experiment.changes
        assert f"journeysim experiment={name}" in readme


@pytest.mark.parametrize("name", SHIPPED)
def test_experiment_runs_from_the_command_line(tmp_path, name):
    run_dir = tmp_path / "run"
    done = journeysim(f"experiment={name}", *SMALL, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comparison = pd.read_csv(run_dir / "comparison.csv")
    assert list(comparison.columns[: len(COLUMNS)]) == COLUMNS
    assert {"conversion_rate", "bounce_rate", "satisfaction", "revenue_per_arrival", "cost_per_acquisition", "return_on_spend"} <= set(comparison["kpi"])
    assert set(comparison["persona"]) == {"digital_native", "store_loyal", "time_poor_professional", "all"}
    assert (comparison.loc[comparison["kpi"] == "arrivals", "replications"] == 3).all()
    by_replication = pd.read_csv(run_dir / "comparison_by_replication.csv")
    assert set(by_replication["state"]) == {"current", "future"} and sorted(by_replication["replication"].unique()) == [0, 1, 2]
    for table in ("dropoff_difference.csv", "channel_mix.csv", "summary.txt"):
        assert (run_dir / table).stat().st_size > 0
    for figure in FIGURES:
        assert (run_dir / figure).read_bytes()[:4] == b"\x89PNG", figure
    meta = json.loads((run_dir / "run.json").read_text())
    experiment, _ = load_experiment(name)
    assert meta["experiment"] == name and meta["seed"] == 42 and meta["replications"] == 3
    assert meta["changes"] == json.loads(json.dumps(dict(experiment.changes)))
    assert len(meta["current_config_hash"]) == 16 and meta["current_config_hash"] != meta["future_config_hash"]
    assert "conversion by persona" in done.stdout and experiment.question in done.stdout
    assert not list(run_dir.parent.glob(f".{run_dir.name}.partial-*"))


def test_experiment_run_overrides_and_the_main_job_stay_apart(tmp_path):
    """Without ``experiment=`` the plain job runs (no comparison files)."""
    run_dir = tmp_path / "plain"
    done = journeysim("run.horizon_days=5", "scenario.arrival_rate_per_day=20", "run.progress=false", "output.figures=false", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (run_dir / "metrics.csv").is_file() and not (run_dir / "comparison.csv").exists()


@pytest.mark.parametrize(
    "override, message",
    [
        ("experiment.changes.touchpoints.purchase.website.friction=1.5", "experiment.changes.touchpoints.purchase.website.friction: must be a probability in [0, 1], got 1.5"),
        ("+experiment.changes.touchpoints.purchase.website.frixion=0.1", "experiment.changes.touchpoints.purchase.website.frixion: unknown field 'frixion'"),
        ("experiment.replications=1", "experiment.replications: must be a whole number >= 2, or null for as many as the precision needs, got 1"),
    ],
)
def test_bad_experiment_exits_2_naming_the_path(tmp_path, override, message):
    run_dir = tmp_path / "run"
    done = journeysim("experiment=one_click_checkout", *SMALL, override, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (run_dir / "comparison.csv").exists()


def test_experiment_node_is_validated():
    with pytest.raises(Exception, match=r"experiment.precision.max_replications: must be a whole number >= 2, got 1"):
        experiment_from_dict({"name": "x", "precision": {"max_replications": 1}})
    with pytest.raises(Exception, match=r"experiment.adaptive: unknown field 'adaptive': the stopping rule is now 'precision'"):
        experiment_from_dict({"name": "x", "adaptive": {"batch": 3}})
    with pytest.raises(Exception, match=r"experiment.chnages: unknown field 'chnages'"):
        experiment_from_dict({"name": "x", "chnages": {}})


def test_run_all_script_runs_a_study_through_the_python_api(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "run_all.py"), "omnichannel_consistency", "--replications", "2",
         "--arrival-rate", "20", "--horizon-days", "10", "--no-figures", "--out", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    comparison = pd.read_csv(tmp_path / "omnichannel_consistency" / "comparison.csv")
    assert (comparison["replications"].max(), json.loads((tmp_path / "omnichannel_consistency" / "run.json").read_text())["horizon_days"]) == (2, 10.0)
    assert "channel_switch.friction: 0.1 -> 0.02" in done.stdout


def test_crn_benchmark_reports_variances_and_ratios(capsys):
    from benchmarks import crn as bench_crn

    runs = pd.DataFrame({"replication": [0, 1, 2] * 2, "persona": ["all"] * 3 + ["x"] * 3, "conversion_rate": [0.1, 0.2, 0.4, 0, 0, 0]})
    shifted = runs.assign(conversion_rate=runs["conversion_rate"] + 0.05)
    noisy = runs.assign(conversion_rate=runs["conversion_rate"] + [0.0, 0.1, -0.1, 0, 0, 0])
    table = bench_crn.difference_variances(runs, shifted, noisy, ["conversion_rate"]).iloc[0]
    assert table["variance_crn"] == pytest.approx(0.0) and table["variance_independent"] == pytest.approx(0.01)
    assert table["ratio"] == float("inf") or table["ratio"] > 1e6

    assert bench_crn.main(["--replications", "3", "--horizon-days", "10", "--arrival-rate", "20", "--experiments", "one_click_checkout"]) == 0
    out = capsys.readouterr().out
    assert "independent / CRN" in out
    assert sum(line.split()[0] == "one_click_checkout" for line in out.splitlines() if line.strip()) == len(bench_crn.MAIN_KPIS)


def test_a_study_picks_its_replications_and_says_how_long_it_took(tmp_path):
    """Without experiment.replications the precision rule decides; the same command gives
    the same replications and tables."""
    rule = ["+experiment.precision.half_width=0.0001", "+experiment.precision.min_replications=2", "+experiment.precision.max_replications=3"]
    small = [item for item in SMALL if not item.startswith("experiment.replications")] + ["output.figures=false", "output.report=false"]  # tables are what it compares
    tables = []
    for run in ("first", "again"):
        done = journeysim("experiment=one_click_checkout", *small, *rule, f"hydra.run.dir={tmp_path / run}", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        meta = json.loads((tmp_path / run / "run.json").read_text())
        assert meta["stopping"]["mode"] == "precision" and meta["replications"] == 3 and meta["stopping"]["stopped_because"] == "max_replications reached"
        assert meta["engines"] == {"current": "simpy", "future": "simpy"}  # the default scenario has queues
        assert "Took " in done.stdout and "for 3 paired replications (max_replications reached)." in done.stdout
        tables.append((tmp_path / run / "comparison_by_replication.csv").read_text())
    assert tables[0] == tables[1]


def test_several_options_from_the_command_line(tmp_path):
    futures = "+experiment.futures={one_click: {touchpoints: {purchase: {website: {friction: 0.05}}}}, consistency: {channel_switch: {friction: 0.02}}}"
    run_dir = tmp_path / "run"
    done = journeysim("experiment=one_click_checkout", *SMALL, "~experiment.changes", futures, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(run_dir / "comparison.csv")
    assert list(table.columns[:3]) == ["option", "kpi", "persona"] and list(pd.unique(table["option"])) == ["one_click", "consistency"]
    assert (table["interval_method"] == "bonferroni").all() and (table["test_method"] == "holm").all()
    assert set(pd.read_csv(run_dir / "comparison_by_replication.csv")["state"]) == {"current", "one_click", "consistency"}
    assert set(pd.read_csv(run_dir / "dropoff_difference.csv")["option"]) == {"one_click", "consistency"}
    assert (run_dir / "forest.png").read_bytes()[:4] == b"\x89PNG"
    meta = json.loads((run_dir / "run.json").read_text())
    assert set(meta["option_config_hashes"]) == {"one_click", "consistency"} and meta["interval_confidence"] == pytest.approx(0.975)
    assert "Bonferroni" in done.stdout and "Holm" in done.stdout and "modified" in meta["title"]
