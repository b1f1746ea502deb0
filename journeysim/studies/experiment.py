"""Experiments: a named current-vs-future study, validated and run as a paired comparison.

A named experiment (``configs/experiment/NAME.yaml``) sets an ``experiment`` node: ``name``,
``question`` (the business question), ``changes`` (a partial scenario deep-merged onto the
current one), optional ``assumptions`` (a partial scenario merged onto BOTH states first:
what the study takes as given but does not test, such as staff costs), ``replications``,
optional ``adaptive`` settings and an optional ``title``. :func:`run_experiment`
is what ``journeysim experiment=NAME`` runs (:mod:`journeysim.cli.experiment_job` writes
its folder); :func:`load_experiment` reads the same file for notebooks and scripts.

A study read from its file remembers what the file says (:class:`StudyFile`). Changes added
to it since, on the command line or with :meth:`Experiment.modified`, are told apart from the
file's in the report, ``run.json`` and the title (:func:`change_origins`,
:func:`removed_changes`, :func:`experiment_title`), so a modified study never reads as the
one its file describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from journeysim.config import (
    apply_changes,
    default_run_node,
    leaves,
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

# Where a change comes from when the study file sets it (otherwise: StudyFile.by).
STUDY_FILE = "study file"
# Differences from the study file named in a title, before "and N more".
TITLE_CHANGES = 3


@dataclass(frozen=True)
class StudyFile:
    """What the study file an experiment was read from says (its changes and title), and who
    changes it since: ``by`` is "command line" for ``journeysim experiment=NAME
    +experiment.changes.PATH=VALUE``, "caller" for :meth:`Experiment.modified`."""

    changes: Mapping[str, Any]
    title: str = ""
    by: str = "caller"


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
    title: str = ExperimentSchema.title
    # The study file it was read from (None: made in code, nothing to tell its changes from).
    study: StudyFile | None = None

    def modified(self, changes: Mapping[str, Any], *, replace_changes: bool = False) -> Experiment:
        """This study with ``changes`` merged into its own (``replace_changes=True``: instead
        of them), as ``+experiment.changes.PATH=VALUE`` (or ``~experiment.changes
        '+experiment.changes={...}'``) does on the command line. The study's own changes stay
        known, so the report, ``run.json`` and the title say what differs from them."""
        study = self.study or StudyFile(plain_data(self.changes), self.title)
        new = plain_data(changes) if replace_changes else apply_changes(plain_data(self.changes), changes)
        return replace(self, changes=new, study=study)


def experiment_from_dict(data: Mapping[str, Any], path: str = "experiment") -> Experiment:
    """Validate the ``experiment`` node (plain data); every problem names its path."""
    if not isinstance(data, Mapping):
        raise ConfigError(Problem(path, f"must be a mapping of experiment fields, got {data!r}"))
    known = [name for name in Experiment.__dataclass_fields__ if name != "study"]
    problems = [Problem(f"{path}.{key}", f"unknown field {key!r} (known fields: {', '.join(known)})") for key in data if key not in known]
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(f"{path}.name", f"is required text, got {name!r}"))
    for text in ("question", "title"):
        if not isinstance(data.get(text, ""), str):
            problems.append(Problem(f"{path}.{text}", f"must be text, got {data.get(text)!r}"))
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
        title=data.get("title") or "",
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
    experiment = experiment_from_dict(data.get("experiment") or {})
    return replace(experiment, study=StudyFile(plain_data(experiment.changes), experiment.title)), settings


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
    comparison.heading = experiment_title(experiment)
    comparison.change_origins = change_origins(experiment)
    comparison.removed_changes = removed_changes(experiment)
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
            "title": experiment_title(experiment),
            "change_origins": change_origins(experiment),
        }
    )


def change_origins(experiment: Experiment) -> dict[str, str]:
    """Where each applied change (dotted path) comes from: :data:`STUDY_FILE` when the study
    file sets that very value, else who changed it (``study.by``: "command line", "caller");
    empty for an experiment not read from a study file."""
    if experiment.study is None:
        return {}
    own = dict(leaves(experiment.study.changes))
    return {path: STUDY_FILE if path in own and own[path] == value else experiment.study.by for path, value in leaves(experiment.changes)}


def removed_changes(experiment: Experiment) -> dict[str, Any]:
    """The study file's changes (dotted path -> value) that are not applied: removed on the
    command line (``~experiment.changes.PATH``) or replaced with other changes."""
    if experiment.study is None:
        return {}
    applied = {path for path, _ in leaves(experiment.changes)}
    return {path: value for path, value in leaves(experiment.study.changes) if path not in applied}


def experiment_title(experiment: Experiment) -> str:
    """The report's title: ``title``, or the name's words. When the changes differ from the
    study file's it says so, "one click checkout, modified: + touchpoints.x.y.friction=0;
    - touchpoints.z.w.friction" (added or altered, removed), unless the title itself was
    given anew (differs from the study file's)."""
    own = experiment.title or experiment.name.replace("_", " ")
    study = experiment.study
    if study is None or (experiment.title and experiment.title != study.title):
        return own
    origins = change_origins(experiment)
    differences = [f"+ {path}={_short(value)}" for path, value in leaves(experiment.changes) if origins[path] != STUDY_FILE]
    differences += [f"- {path}" for path in removed_changes(experiment)]
    if not differences:
        return own
    more = f"; and {len(differences) - TITLE_CHANGES} more" if len(differences) > TITLE_CHANGES else ""
    return f"{own}, modified: {'; '.join(differences[:TITLE_CHANGES])}{more}"


def _short(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_short(v)}" for key, v in value.items() if v is not None) + "}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def prepare_states(current: Scenario, experiment: Experiment) -> tuple[Scenario, Scenario]:
    """Both validated states of an experiment: ``current`` with the assumptions, and the future
    state (problems named ``experiment.assumptions.*`` or ``experiment.changes.*``)."""
    if experiment.assumptions:
        current = future_state(current, experiment.assumptions, path="experiment.assumptions")
    return current, future_state(current, experiment.changes, path="experiment.changes")


__all__ = [
    "Experiment",
    "StudyFile",
    "change_origins",
    "experiment_from_dict",
    "experiment_request",
    "experiment_title",
    "load_experiment",
    "prepare_states",
    "removed_changes",
    "run_experiment",
]
