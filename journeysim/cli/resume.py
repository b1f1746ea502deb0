"""Resume: does a job's folder already hold the complete result of this very job?

A re-run sweep (``output.resume=true``) calls :func:`skip_completed_job` first in every job
and skips the ones whose ``run.json`` records the same configuration and lists every file
the job would write. Main jobs compare the validated scenario's config hash and the run
settings; experiment jobs compare both states' config hashes and the study's request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journeysim.config import (
    config_hash,
    load_config,
    output_settings_from_dict,
    plain_container,
    plain_data,
    read_experiment_file,
    unknown_name,
)
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.model.settings import OutputSettings, RunSettings
from journeysim.outputs import COMPLETE_MARKER, package_version

# What a complete job folder holds besides run.json: a main job's KPIs per replication; an
# experiment job's (journeysim experiment=NAME) both states per replication and the paired comparison.
JOB_METRICS = "metrics_by_replication.csv"
EXPERIMENT_METRICS = "comparison_by_replication.csv"
EXPERIMENT_COMPARISON = "comparison.csv"
JOB_NODES = ("scenario", "run", "output", "experiment")  # what a composed job config holds
# What a main job with output.observed=true writes besides (docs/observation.md).
OBSERVED_PATHS, OBSERVED_MEDIA_TRUTH = "observed/paths.csv", "observed/mmm_truth.csv"


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def matching_result(folder: str | Path, scenario: Scenario, settings: RunSettings, *, write_events: bool = True, figures: bool = True, observed: bool = False) -> dict[str, Any] | None:
    """``run.json`` of ``folder`` when it holds a complete main-job result of this very run, else None.

    Same scenario (config hash of the validated scenario), seed, replications, horizon,
    arrival window, engine and package version, the order of the event rows when it writes
    them, and every file this run would write.
    """

    expected = {
        "scenario": scenario.name,
        "config_hash": config_hash(dict(scenario.source)),
        "seed": settings.seed,
        "replications": settings.replications,
        **({"sort_by_time": settings.sort_by_time} if write_events else {}),
    }
    needed = {"metrics.csv", JOB_METRICS} | ({"events.parquet"} if write_events else set()) | ({"funnel.png"} if figures else set())
    needed |= {OBSERVED_PATHS, OBSERVED_MEDIA_TRUTH} if observed else set()
    return _complete_result(Path(folder), expected, settings, needed)


def matching_experiment_result(folder: str | Path, current: Scenario, settings: RunSettings, experiment: Any, *, figures: bool = True) -> dict[str, Any] | None:
    """``run.json`` of ``folder`` when it holds a complete result of this very experiment, else None.

    Same states (config hashes of the current state with the assumptions, and of the future
    state, or of every option), the same request (name, replications or precision rule,
    options, pairing, confidence), seed,
    horizon, arrival window, engine and package version, and every table it writes.
    """

    from journeysim.studies.experiment import (  # see _experiment
        experiment_request,
        state_hashes,
    )

    expected = {
        **state_hashes(current, experiment),
        "request": experiment_request(experiment),
        "seed": settings.seed,
    }
    needed = {EXPERIMENT_COMPARISON, EXPERIMENT_METRICS} | ({"forest.png"} if figures else set())
    return _complete_result(Path(folder), expected, settings, needed)


def _complete_result(folder: Path, expected: Mapping[str, Any], settings: RunSettings, needed: set[str]) -> dict[str, Any] | None:
    """``run.json`` of ``folder`` if it records ``expected``, the run's horizon, arrival window,
    engine (unless ``auto``) and this package version, and lists every ``needed`` file, all present."""

    try:
        meta = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    expected = {**expected, "horizon_days": settings.horizon_days, "arrival_days": settings.arrival_window_days, "journeysim_version": package_version()}
    if any(key not in meta or not same_value(meta[key], value) for key, value in expected.items()):
        return None
    if settings.engine != "auto" and meta.get("engine") != settings.engine:
        return None
    files = set(meta.get("files") or ())
    if not needed <= files or not all((folder / name).is_file() for name in files):
        return None
    return meta


@dataclass(frozen=True)
class Job:
    """A composed job config, validated: the scenario, run settings, what to write, and the
    experiment (``None`` for a main job)."""

    scenario: Scenario
    settings: RunSettings
    output: OutputSettings
    experiment: Any = None


def load_job(cfg: Any) -> Job:
    """Validate a composed job config (a Hydra config or plain data); raises one
    :class:`ConfigError` naming every problem of every node, and any other top-level key
    (``+scenaro.arrival_rate_per_day=3`` would otherwise change nothing, silently)."""
    container = plain_container(cfg)
    problems = [Problem(str(key), unknown_name("key", key, JOB_NODES)) for key in container if key not in JOB_NODES]
    loaded: dict[str, Any] = {}
    checks = (
        ("model", lambda: load_config(container)),
        ("output", lambda: output_settings_from_dict(container.get("output"))),
        ("experiment", lambda: None if container.get("experiment") is None else _experiment(container["experiment"])),
    )
    for name, check in checks:
        try:
            loaded[name] = check()
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    scenario, settings = loaded["model"]
    return Job(scenario, settings, loaded["output"], loaded["experiment"])


def _experiment(data: Any) -> Any:
    # The studies (and scipy.stats) load only for experiment jobs: the sweep callback imports
    # this module in the process that runs ``journeysim`` itself.
    from dataclasses import replace

    from journeysim.studies.experiment import StudyFile, experiment_from_dict

    experiment = experiment_from_dict(data, path="experiment")
    study = study_file_of_job()
    if study is None:
        return experiment
    own = StudyFile(plain_data(study.get("changes") or {}), study.get("title") or "", by="command line", futures=plain_data(study.get("futures") or {}))
    return replace(experiment, study=own)


def study_file_of_job() -> dict[str, Any] | None:
    """The ``experiment`` node of the study file Hydra composed this job from
    (``experiment=NAME``: the first ``experiment/NAME.yaml`` on its search path), as the file
    says it, before the command line's overrides; None outside a Hydra job or without one."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    runtime = HydraConfig.get().runtime
    name = runtime.choices.get("experiment")
    if not name:
        return None
    for source in runtime.config_sources:
        candidate = Path(source.path) / "experiment" / f"{name}.yaml"
        if source.schema == "file" and candidate.is_file():
            return read_experiment_file(candidate).get("experiment") or {}
    return None


def skip_completed_job(cfg: Any, folder: str | Path, job: Job | None = None) -> bool:
    """True (and says so) when ``output.resume`` is set and ``folder`` already holds this job's result.

    ``job`` is :func:`load_job` of ``cfg`` when the caller has it already (the command line
    validates once); otherwise it is loaded here, and an invalid configuration is never
    skipped (the job reports the problems). Main jobs and experiment jobs alike.
    """
    try:
        job = job if job is not None else load_job(cfg)
    except ConfigError:
        return False
    if not job.output.resume:
        return False
    if job.experiment is None:
        meta = matching_result(folder, job.scenario, job.settings, write_events=job.output.events, figures=job.output.figures, observed=job.output.observed)
    else:
        meta = matching_experiment_result(folder, job.scenario, job.settings, job.experiment, figures=job.output.figures)
    if meta is None:
        return False
    print(f"journeysim: skipped, {folder} already holds a complete result of this configuration (output.resume=true)")
    return True
