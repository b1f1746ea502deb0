"""Experiments: a named current-vs-future study, validated and run as a paired comparison.

A named experiment (``configs/experiment/NAME.yaml``) sets an ``experiment`` node: ``name``,
``question`` (the business question), ``changes`` (a partial scenario deep-merged onto the
current one), optional ``assumptions`` (a partial scenario merged onto BOTH states first:
what the study takes as given but does not test, such as staff costs), ``replications`` and
optional ``adaptive`` settings. :func:`run_experiment`
is what ``journeysim experiment=NAME`` runs (:mod:`journeysim.cli.experiment_job` writes
its folder); :func:`load_experiment` reads the same file for notebooks and scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from journeysim.config import (
    default_run_node,
    plain_data,
    read_experiment_file,
    run_settings_from_dict,
)
from journeysim.config.schemas import ExperimentSchema
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.studies.comparison import (
    Adaptive,
    Comparison,
    compare,
    future_state,
)


@dataclass(frozen=True)
class Experiment:
    """A future state defined as changes to the current one, and how to measure it."""

    name: str
    question: str = ExperimentSchema.question
    changes: Mapping[str, Any] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    replications: int = ExperimentSchema.replications
    adaptive: Adaptive | None = None
    independent: bool = ExperimentSchema.independent
    confidence: float = ExperimentSchema.confidence


def experiment_from_dict(data: Mapping[str, Any], path: str = "experiment") -> Experiment:
    """Validate the ``experiment`` node (plain data); every problem names its path."""
    if not isinstance(data, Mapping):
        raise ConfigError(Problem(path, f"must be a mapping of experiment fields, got {data!r}"))
    known = set(Experiment.__dataclass_fields__)
    problems = [Problem(f"{path}.{key}", f"unknown field {key!r} (known fields: {', '.join(Experiment.__dataclass_fields__)})") for key in data if key not in known]
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(f"{path}.name", f"is required text, got {name!r}"))
    if not isinstance(data.get("question", ExperimentSchema.question), str):
        problems.append(Problem(f"{path}.question", f"must be text, got {data.get('question')!r}"))
    changes = data.get("changes") or {}
    if not isinstance(changes, Mapping):
        problems.append(Problem(f"{path}.changes", f"must map scenario fields to new values, got {changes!r}"))
    assumptions = data.get("assumptions") or {}
    if not isinstance(assumptions, Mapping):
        problems.append(Problem(f"{path}.assumptions", f"must map scenario fields to values for both states, got {assumptions!r}"))
    replications = data.get("replications", ExperimentSchema.replications)
    if not isinstance(replications, int) or isinstance(replications, bool) or replications < 2:
        problems.append(Problem(f"{path}.replications", f"must be a whole number >= 2, got {replications!r}"))
    confidence = data.get("confidence", ExperimentSchema.confidence)
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        problems.append(Problem(f"{path}.confidence", f"must be a number in (0, 1), got {confidence!r}"))
    if not isinstance(data.get("independent", False), bool):
        problems.append(Problem(f"{path}.independent", f"must be true or false, got {data.get('independent')!r}"))
    adaptive = None
    if data.get("adaptive") is not None:
        if not isinstance(data["adaptive"], Mapping):
            problems.append(Problem(f"{path}.adaptive", f"must be a mapping of adaptive settings, got {data['adaptive']!r}"))
        else:
            try:
                adaptive = Adaptive.from_dict(data["adaptive"], path=f"{path}.adaptive")
                adaptive.check(f"{path}.adaptive")
            except (ConfigError, TypeError) as error:
                problems += error.problems if isinstance(error, ConfigError) else [Problem(f"{path}.adaptive", str(error))]
    if problems:
        raise ConfigError(problems)
    return Experiment(
        name=name,
        question=data.get("question", ""),
        changes=dict(changes),
        assumptions=dict(assumptions),
        replications=replications,
        adaptive=adaptive,
        independent=bool(data.get("independent", False)),
        confidence=float(confidence),
    )


def load_experiment(name_or_path: str | Path, run: Mapping[str, Any] | None = None) -> tuple[Experiment, RunSettings]:
    """Read a named experiment (or a YAML path): the experiment and the run settings the CLI
    would use (``configs/config.yaml``'s ``run`` node, the experiment's ``run`` overrides,
    then ``run``).

    The files are plain YAML (Hydra's ``# @package _global_`` header is a comment), read
    without composing so that scripts and notebooks run the same study as the CLI.
    """
    data = read_experiment_file(name_or_path)
    settings = run_settings_from_dict({**default_run_node(), **(data.get("run") or {}), **dict(run or {})})
    return experiment_from_dict(data.get("experiment") or {}), settings


def run_experiment(current: Scenario, settings: RunSettings, experiment: Experiment, *, progress: bool | None = None) -> Comparison:
    """Apply the assumptions to ``current``, validate the future state (problems named
    ``experiment.assumptions.*`` or ``experiment.changes.*``) and compare."""
    current, future = prepare_states(current, experiment)
    if experiment.adaptive is not None:
        experiment.adaptive.check("experiment.adaptive", scenario=current)
    comparison = compare(
        current,
        future,
        replications=experiment.replications,
        settings=settings,
        independent=experiment.independent,
        adaptive=experiment.adaptive,
        confidence=experiment.confidence,
        name=experiment.name,
        question=experiment.question,
        progress=settings.progress if progress is None else progress,
        changes=experiment.changes,
    )
    comparison.assumptions = plain_data(experiment.assumptions)
    comparison.request = experiment_request(experiment)
    return comparison


def experiment_request(experiment: Experiment) -> dict[str, Any]:
    """What an experiment asks for besides its scenarios (recorded in ``run.json``)."""
    return plain_data(
        {
            "name": experiment.name,
            "replications": experiment.replications,
            "adaptive": None if experiment.adaptive is None else asdict(experiment.adaptive),
            "independent": experiment.independent,
            "confidence": experiment.confidence,
        }
    )


def prepare_states(current: Scenario, experiment: Experiment) -> tuple[Scenario, Scenario]:
    """Both validated states of an experiment: ``current`` with the assumptions, and the future
    state (problems named ``experiment.assumptions.*`` or ``experiment.changes.*``)."""
    if experiment.assumptions:
        current = future_state(current, experiment.assumptions, path="experiment.assumptions")
    return current, future_state(current, experiment.changes, path="experiment.changes")


__all__ = ["Experiment", "experiment_from_dict", "load_experiment", "run_experiment", "experiment_request", "prepare_states"]
