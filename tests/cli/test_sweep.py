"""Sweeps: the sweep table a multirun leaves behind, resume, and results that survive a crash."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from journeysim import outputs
from journeysim.analysis.metrics import KPI_DESCRIPTIONS
from journeysim.analysis.sweeps import response_summary
from journeysim.cli.job import run_job
from journeysim.cli.resume import matching_result, skip_completed_job
from journeysim.cli.sweep import IncompleteSweepWarning, collect_main, collect_sweep
from journeysim.config import config_dir, load_config

TINY = [
    "run.horizon_days=10",
    "scenario.arrival_rate_per_day=20",
    "run.replications=2",
    "run.progress=false",
    "output.events=false",
    "output.figures=false",
    "output.report=false",  # the sweep's tables are what these tests read; reports: tests/reporting
]
PURCHASE = "scenario.touchpoints.purchase.website.friction"
CONSIDERATION = "scenario.touchpoints.consideration.website.friction"
SWEEP = [f"{PURCHASE}=0,0.3", f"{CONSIDERATION}=0.1,0.4", "run.seed=1,2", *TINY]
PERSONAS = ["digital_native", "store_loyal", "time_poor_professional", "all"]


def journeysim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "journeysim.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def job_overrides(folder: Path) -> list[str]:
    import yaml

    return yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text())


def single_run(overrides: list[str], folder: Path) -> pd.DataFrame:
    """The same job run singly (compose the config, validate, run_job): its per-replication KPIs."""
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    scenario, settings = load_config(cfg)
    run_job(scenario, settings, folder, write_events=False, figures=False)
    return pd.read_csv(folder / "metrics_by_replication.csv")


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """A 2 x 2 frictions x 2 seeds sweep (8 jobs, 2 replications each), run once for the module."""
    root = tmp_path_factory.mktemp("sweep")
    done = journeysim("-m", *SWEEP, f"hydra.sweep.dir={root / 'sweep'}", cwd=root)
    assert "Sweep table: 64 rows from 8 jobs" in done.stdout
    return root / "sweep"


@pytest.fixture
def sweep_copy(sweep_dir, tmp_path) -> Path:
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy)  # copy2: modification times are kept
    return copy


def test_the_callback_writes_one_row_per_job_replication_and_persona(sweep_dir):
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    from_csv = pd.read_csv(sweep_dir / "sweep.csv")
    assert len(table) == 8 * 2 * 4 and len(from_csv) == len(table)
    parameters = [PURCHASE, CONSIDERATION, "run.horizon_days", "scenario.arrival_rate_per_day", "run.replications"]
    assert list(table.columns) == ["job", "job_dir", *parameters, "seed", "replication", "persona", *KPI_DESCRIPTIONS]
    assert list(from_csv.columns) == list(table.columns)
    # Typed as Hydra reads the overrides: 0 and 0.3 make a float column; seeds and jobs are integers.
    assert table[PURCHASE].dtype == "float64" and table[CONSIDERATION].dtype == "float64"
    assert table["seed"].dtype == "int64" and table["job"].dtype == "int64" and table["run.replications"].dtype == "int64"
    assert sorted(table["job"].unique()) == list(range(8))
    assert table["job_dir"].tolist() == [str(job) for job in table["job"]]
    combos = table[[PURCHASE, CONSIDERATION, "seed"]].drop_duplicates()
    assert len(combos) == 8 and set(combos[PURCHASE]) == {0.0, 0.3} and set(combos[CONSIDERATION]) == {0.1, 0.4} and set(combos["seed"]) == {1, 2}
    for _, rows in table.groupby("job"):
        assert sorted(rows["replication"].unique()) == [0, 1]
        assert rows.groupby("replication")["persona"].apply(list).tolist() == [PERSONAS, PERSONAS]
    # The columns come from each job's own record, not from the order of the sweep.
    for job, rows in table.groupby("job"):
        meta = json.loads((sweep_dir / str(job) / "run.json").read_text())
        assert set(rows["seed"]) == {meta["seed"]}
        assert f"{PURCHASE}={rows[PURCHASE].iloc[0]:g}" in job_overrides(sweep_dir / str(job))


def test_sweep_kpis_equal_the_same_runs_done_singly(sweep_dir, tmp_path):
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    kpis = list(KPI_DESCRIPTIONS)
    for job in (0, 5, 7):
        single = single_run(job_overrides(sweep_dir / str(job)), tmp_path / f"single{job}")
        rows = table.loc[table["job"] == job, ["replication", "persona", *kpis]].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, single[["replication", "persona", *kpis]], check_dtype=False, rtol=1e-12)
    # The swept frictions matter: the table is not the same run eight times.
    pooled = table.loc[table["persona"] == "all"].groupby(PURCHASE)["friction_loss_rate"].mean()
    assert pooled.loc[0.3] > pooled.loc[0.0]


def test_resume_reruns_only_the_job_whose_result_is_gone(sweep_copy, tmp_path):
    before = pd.read_parquet(sweep_copy / "sweep.parquet")
    (sweep_copy / "5" / "run.json").unlink()
    stamps = {job: (sweep_copy / str(job) / "metrics.csv").stat().st_mtime_ns for job in range(8)}
    done = journeysim("-m", *SWEEP, "output.resume=true", f"hydra.sweep.dir={sweep_copy}", cwd=tmp_path)
    skipped = [line for line in done.stdout.splitlines() if line.startswith("journeysim: skipped")]
    assert len(skipped) == 7 and not any(f"{sweep_copy / '5'} already" in line for line in skipped)
    assert done.stdout.count("Results written to") == 1 and f"Results written to {sweep_copy / '5'}" in done.stdout
    after = {job: (sweep_copy / str(job) / "metrics.csv").stat().st_mtime_ns for job in range(8)}
    assert [job for job in range(8) if after[job] != stamps[job]] == [5]
    # The re-run job reproduces its lost result exactly, and the table is whole again.
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_copy / "sweep.parquet"), before)


def test_resume_needs_the_same_configuration(tmp_path, capsys):
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[*TINY, "run.seed=3", "output.resume=true"])
        other_seed = compose("config", overrides=[*TINY, "run.seed=4", "output.resume=true"])
        other_friction = compose("config", overrides=[*TINY, "run.seed=3", f"{PURCHASE}=0.9", "output.resume=true"])
        with_figures = compose("config", overrides=[*TINY, "run.seed=3", "output.figures=true", "output.resume=true"])
        no_resume = compose("config", overrides=[*TINY, "run.seed=3"])
    folder = tmp_path / "job"
    assert not skip_completed_job(cfg, folder)  # nothing there yet
    scenario, settings = load_config(cfg)
    run_job(scenario, settings, folder, write_events=False, figures=False)
    assert matching_result(folder, scenario, settings, write_events=False, figures=False)["seed"] == 3
    assert skip_completed_job(cfg, folder)
    assert "journeysim: skipped" in capsys.readouterr().out
    for different in (other_seed, other_friction, with_figures, no_resume):
        assert not skip_completed_job(different, folder)
    (folder / "metrics_by_replication.csv").unlink()  # a result with a file missing is not complete
    assert not skip_completed_job(cfg, folder)


def test_incomplete_and_unstarted_jobs_are_named_and_left_out(sweep_copy, capsys):
    (sweep_copy / "3" / "run.json").unlink()
    shutil.rmtree(sweep_copy / "6")
    (sweep_copy / "sweep.parquet").unlink()
    with pytest.warns(IncompleteSweepWarning) as caught:
        collection = collect_sweep(sweep_copy)
    message = str(caught[0].message)
    assert "2 jobs of" in message and "(6 of 8 planned are)" in message
    assert "#3 (" in message and "no run.json" in message and "#6 (" in message and "not started" in message
    assert sorted(collection.table["job"].unique()) == [0, 1, 2, 4, 5, 7]
    assert pd.read_parquet(sweep_copy / "sweep.parquet")["job"].nunique() == 6
    # The console script says the same on stderr and still writes the table.
    assert collect_main([str(sweep_copy)]) == 0
    err = capsys.readouterr().err
    assert "#3" in err and "#6" in err


def test_a_result_left_by_another_sweep_is_not_collected(sweep_copy):
    # Job 1's result copied over job 0's: job 0's folder now holds a run of seed 2, not 1.
    for name in ("run.json", "metrics_by_replication.csv"):
        shutil.copy2(sweep_copy / "1" / name, sweep_copy / "0" / name)
    collection = collect_sweep(sweep_copy, write=False, warn=False)
    assert [job.number for job in collection.missing] == [0]
    assert "seed" in collection.missing[0].reason
    assert 0 not in set(collection.table["job"])


def test_output_only_overrides_do_not_make_a_job_foreign(sweep_copy):
    """A resume that was itself interrupted: the sweep's plan now carries output.resume=true
    (and asks for reports and observed exports), the jobs it did not reach yet do not; their
    results still belong to the sweep."""
    import yaml

    multirun = yaml.safe_load((sweep_copy / "multirun.yaml").read_text())
    multirun["hydra"]["overrides"]["task"] += ["output.resume=true", "output.report=true", "output.observed=true", "run.backend=local"]
    (sweep_copy / "multirun.yaml").write_text(yaml.safe_dump(multirun))
    collection = collect_sweep(sweep_copy, write=False, warn=False)
    assert not collection.missing and collection.planned == 8 and len(collection.table) == 64
    # A model parameter that differs from the plan does make it foreign.
    multirun["hydra"]["overrides"]["task"] += ["scenario.arrival_rate_per_day=21"]
    multirun["hydra"]["overrides"]["task"].remove("scenario.arrival_rate_per_day=20")
    (sweep_copy / "multirun.yaml").write_text(yaml.safe_dump(multirun))
    collection = collect_sweep(sweep_copy, write=False, warn=False)
    assert len(collection.missing) == 8 and all("another sweep" in job.reason for job in collection.missing)


def test_a_job_killed_while_writing_keeps_its_earlier_result_and_reads_as_that(sweep_copy, monkeypatch, tmp_path):
    """A re-run of job 2 with another seed, hard-killed just before its result would replace
    the earlier one: the folder still holds the earlier, complete result, which the sweep
    collects; the re-run's configuration finds no result of its own there."""
    folder = sweep_copy / "2"
    before = collect_sweep(sweep_copy, write=False, warn=False).table
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=[*job_overrides(folder), "run.seed=99"])
    scenario, settings = load_config(cfg)

    class Killed(BaseException):  # a hard kill: no exception handling, no cleanup
        pass

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(outputs, "_exchange", die)
    monkeypatch.setattr(outputs.shutil, "rmtree", lambda *args, **kwargs: None)
    with pytest.raises(Killed):
        run_job(scenario, settings, folder, write_events=False, figures=False)
    monkeypatch.undo()

    assert list(folder.parent.glob(".2.partial-*")), "the kill left its staging folder behind, hidden beside the job"
    collection = collect_sweep(sweep_copy, write=False, warn=False)
    assert not collection.missing and len(collection.table) == 64
    pd.testing.assert_frame_equal(collection.table, before)
    assert matching_result(folder, scenario, settings, write_events=False, figures=False) is None


def test_collect_command_rebuilds_the_table_and_refuses_a_missing_folder(sweep_copy, tmp_path, capsys):
    (sweep_copy / "sweep.csv").unlink()
    assert collect_main([str(sweep_copy)]) == 0
    assert len(pd.read_csv(sweep_copy / "sweep.csv")) == 64
    assert "64 rows from 8 jobs" in capsys.readouterr().out
    assert collect_main([str(tmp_path / "nowhere")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert collect_main([str(empty)]) == 2  # no multirun.yaml: not a sweep folder
    (empty / "multirun.yaml").write_text((sweep_copy / "multirun.yaml").read_text())
    assert collect_main([str(empty)]) == 1 and not (empty / "sweep.csv").exists()  # a sweep none of whose jobs finished


def test_response_summary_pools_seeds_and_replications(sweep_dir):
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    summary = response_summary(table, PURCHASE, "conversion_rate", by=[CONSIDERATION])
    assert len(summary) == 4 and set(summary["n"]) == {4}  # 2 seeds x 2 replications per point
    rows = table.loc[(table["persona"] == "all") & (table[PURCHASE] == 0.3) & (table[CONSIDERATION] == 0.1), "conversion_rate"]
    point = summary.loc[(summary[PURCHASE] == 0.3) & (summary[CONSIDERATION] == 0.1)].iloc[0]
    assert point["mean"] == pytest.approx(rows.mean())
    assert point["ci_low"] <= point["mean"] <= point["ci_high"]


def test_the_callback_module_imports_nothing_heavy():
    """Hydra instantiates the callback in the process that runs ``journeysim``: it may use
    what the command line imports anyway, nothing more."""
    code = (
        "import sys, journeysim.cli.main; before = set(sys.modules); import journeysim.cli.sweep; "
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
        "{'matplotlib', 'SALib', 'ray', 'submitit', 'joblib', 'scipy'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_invalid_job_does_not_stop_the_sweep_but_fails_the_command(tmp_path):
    """Job 1 asks for a friction of 1.5: job 0 and job 2 still run, the table holds them, job 1
    is named with its problem, and the command exits with status 2 as a single invalid run does."""
    sweep = tmp_path / "sweep"
    command = [sys.executable, "-m", "journeysim.cli.main", "-m", f"{PURCHASE}=0.2,1.5,0.3", *TINY, f"hydra.sweep.dir={sweep}"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "job 1 has an invalid configuration" in done.stderr
    assert "scenario.touchpoints.purchase.website.friction" in done.stderr and "1.5" in done.stderr
    assert "Sweep table: 16 rows from 2 jobs" in done.stdout  # 2 jobs x 2 replications x 4 personas
    assert sorted(pd.read_parquet(sweep / "sweep.parquet")["job"].unique()) == [0, 2]
    assert not (sweep / "1" / "run.json").exists()
    assert "friction" in (sweep / "1" / outputs.INVALID_CONFIG_FILE).read_text()
    collection = collect_sweep(sweep, write=False, warn=False)
    assert [(job.number, job.reason.split(":")[0]) for job in collection.missing] == [(1, "invalid configuration")]
    assert [job.number for job in collection.invalid] == [1]
    # A smaller sweep in the same folder: job 1's note belongs to the earlier sweep, so this
    # sweep has no invalid job (and succeeds).
    smaller = subprocess.run([*[part.replace("0.2,1.5,0.3", "0.2") for part in command], "output.resume=true"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert smaller.returncode == 0, smaller.stderr[-3000:]
    assert "#1" in smaller.stderr and "another sweep" in smaller.stderr and "invalid configuration" not in smaller.stderr
    # Fixed and re-run in the same folder with resume: the two good jobs are skipped, the
    # fixed one runs, and its stale problem note is gone.
    fixed = [part.replace("1.5", "0.25") for part in command]
    again = subprocess.run([*fixed, "output.resume=true"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("journeysim: skipped") == 2
    assert "Sweep table: 24 rows from 3 jobs" in again.stdout
    assert not (sweep / "1" / outputs.INVALID_CONFIG_FILE).exists()


EXPERIMENT_FRICTION = "experiment.changes.touchpoints.purchase.website.friction"
EXPERIMENT_TINY = ["experiment=one_click_checkout", "experiment.replications=2", "run.horizon_days=10",
                   "scenario.arrival_rate_per_day=20", "run.progress=false", "output.figures=false", "output.report=false"]  # fmt: skip


def test_an_experiment_sweep_collects_both_states_and_the_paired_comparisons(tmp_path):
    """2 future-state frictions x 2 seeds of the one-click study: sweep.parquet holds both
    states per replication, sweep_comparison.parquet every job's comparison.csv; a re-run
    with resume skips every job, and one job whose result is gone runs alone."""
    sweep = tmp_path / "sweep"
    args = ["-m", f"{EXPERIMENT_FRICTION}=0.05,0.2", "run.seed=1,2", *EXPERIMENT_TINY, f"hydra.sweep.dir={sweep}"]
    done = journeysim(*args, cwd=tmp_path)
    assert "Sweep table: 64 rows from 4 jobs" in done.stdout  # 4 jobs x 2 states x 2 replications x 4 personas
    table = pd.read_parquet(sweep / "sweep.parquet")
    parameters = [EXPERIMENT_FRICTION, "experiment", "experiment.replications", "run.horizon_days", "scenario.arrival_rate_per_day"]
    assert list(table.columns[:10]) == ["job", "job_dir", *parameters, "seed", "state", "replication"]
    assert table.groupby(["job", "state"]).size().eq(8).all() and set(table["state"]) == {"current", "future"}
    assert set(table["experiment"]) == {"one_click_checkout"} and table[EXPERIMENT_FRICTION].dtype == "float64"

    paired = pd.read_parquet(sweep / "sweep_comparison.parquet")
    for job in range(4):
        own = pd.read_csv(sweep / str(job) / "comparison.csv")
        mine = paired.loc[paired["job"] == job, own.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, own, check_dtype=False)
    # The current state is the same in every job of a seed: only the future state moves.
    current = table[(table["state"] == "current") & (table["persona"] == "all")].pivot_table(index="seed", columns=EXPERIMENT_FRICTION, values="converted")
    assert (current[0.05] == current[0.2]).all()
    gain = paired[(paired["kpi"] == "conversion_rate") & (paired["persona"] == "all")].set_index(["seed", EXPERIMENT_FRICTION])["difference"]
    assert (gain.xs(0.05, level=1) > gain.xs(0.2, level=1)).all()  # less checkout friction, more gain (paired)

    again = journeysim(*args, "output.resume=true", cwd=tmp_path)
    assert again.stdout.count("journeysim: skipped") == 4
    (sweep / "2" / "run.json").unlink()
    third = journeysim(*args, "output.resume=true", cwd=tmp_path)
    assert third.stdout.count("journeysim: skipped") == 3 and (sweep / "2" / "run.json").is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "sweep_comparison.parquet"), paired)


def test_every_output_setting_and_where_a_job_runs_are_output_only():
    from journeysim.cli.sweep import output_only

    assert all(output_only(k) for k in ("output.report", "+output.observed", "~output.name", "run.workers", "run.backend", "run.force"))
    assert not any(output_only(k) for k in ("run.seed", "run.horizon_days", "run.sort_by_time", "scenario.output", "experiment.changes"))
