"""Experiments: a named current-vs-future study, validated and run as a paired comparison.

A named experiment (``configs/experiment/NAME.yaml``) sets an ``experiment`` node: ``name``,
``question`` (the business question), ``changes`` (a partial scenario deep-merged onto the
current one) or ``futures`` (several options, each its own changes, compared with the one
current state: :mod:`journeysim.studies.options`), optional ``assumptions`` (a partial
scenario merged onto EVERY state first: what the study takes as given but does not test,
such as staff costs), ``replications`` (a fixed number; by default as many as ``precision``
needs: :mod:`journeysim.studies.precision`) and an optional ``title``. :func:`run_experiment`
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from journeysim.config import (
    apply_changes,
    config_hash,
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
    Comparison,
    compare,
    future_state,
)
from journeysim.studies.options import OptionsComparison, compare_options, option_states
from journeysim.studies.precision import Precision

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
    # A study of several options: what the file says of each (name -> changes).
    futures: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """A future state defined as changes to the current one (or several: ``futures``, name ->
    changes), and how to measure it: ``replications`` pairs, or (None) as many as
    ``precision`` needs (None: :class:`~journeysim.studies.precision.Precision`'s defaults)."""

    name: str
    question: str = ExperimentSchema.question
    changes: Mapping[str, Any] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    replications: int | None = ExperimentSchema.replications
    precision: Precision | None = None
    futures: Mapping[str, Any] = field(default_factory=dict)
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
        study = self.study or StudyFile(plain_data(self.changes), self.title, futures=plain_data(self.futures))
        new = plain_data(changes) if replace_changes else apply_changes(plain_data(self.changes), changes)
        return replace(self, changes=new, study=study)


def experiment_from_dict(data: Mapping[str, Any], path: str = "experiment") -> Experiment:
    """Validate the ``experiment`` node (plain data); every problem names its path."""
    if not isinstance(data, Mapping):
        raise ConfigError(Problem(path, f"must be a mapping of experiment fields, got {data!r}"))
    known = [name for name in Experiment.__dataclass_fields__ if name != "study"]
    problems = [Problem(f"{path}.{key}", _unknown_field(key, known)) for key in data if key not in known]
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(f"{path}.name", f"is required text, got {name!r}"))
    for text in ("question", "title"):
        if not isinstance(data.get(text, ""), str):
            problems.append(Problem(f"{path}.{text}", f"must be text, got {data.get(text)!r}"))
    changes = data.get("changes") or {}
    if not isinstance(changes, Mapping):
        problems.append(Problem(f"{path}.changes", f"must map scenario fields to new values, got {changes!r}"))
    futures = data.get("futures") or {}
    if not isinstance(futures, Mapping):
        problems.append(Problem(f"{path}.futures", f"must map option names to their changes, got {futures!r}"))
    elif futures and changes:
        problems.append(Problem(f"{path}.futures", "give changes (one future state) or futures (several options), not both"))
    assumptions = data.get("assumptions") or {}
    if not isinstance(assumptions, Mapping):
        problems.append(Problem(f"{path}.assumptions", f"must map scenario fields to values for every state, got {assumptions!r}"))
    replications = data.get("replications", ExperimentSchema.replications)
    if replications is not None and (not isinstance(replications, int) or isinstance(replications, bool) or replications < 2):
        problems.append(Problem(f"{path}.replications", f"must be a whole number >= 2, or null for as many as the precision needs, got {replications!r}"))
    confidence = data.get("confidence", ExperimentSchema.confidence)
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        problems.append(Problem(f"{path}.confidence", f"must be a number in (0, 1), got {confidence!r}"))
    if not isinstance(data.get("independent", False), bool):
        problems.append(Problem(f"{path}.independent", f"must be true or false, got {data.get('independent')!r}"))
    elif data.get("independent") and futures:
        problems.append(Problem(f"{path}.independent", "a study of several options always pairs them with common random numbers"))
    precision = None
    if data.get("precision") is not None:
        try:
            precision = Precision.from_dict(data["precision"], path=f"{path}.precision")
        except (ConfigError, TypeError) as error:
            problems += error.problems if isinstance(error, ConfigError) else [Problem(f"{path}.precision", str(error))]
    if problems:
        raise ConfigError(problems)
    return Experiment(
        name=name,
        question=data.get("question", ""),
        changes=dict(changes),
        assumptions=dict(assumptions),
        replications=replications,
        precision=precision,
        futures=plain_data(futures),
        independent=bool(data.get("independent", False)),
        confidence=float(confidence),
        title=data.get("title") or "",
    )


def _unknown_field(key: str, known: list[str]) -> str:
    if key == "adaptive":  # the rule's name before precision became the default
        return f"unknown field 'adaptive': the stopping rule is now 'precision' (fields: {', '.join(Precision.__dataclass_fields__)}), on by default"
    return f"unknown field {key!r} (known fields: {', '.join(known)})"


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
    study = StudyFile(plain_data(experiment.changes), experiment.title, futures=plain_data(experiment.futures))
    return replace(experiment, study=study), settings


def run_experiment(current: Scenario, settings: RunSettings, experiment: Experiment, *, progress: bool | None = None) -> Comparison | OptionsComparison:
    """Apply the assumptions to ``current``, validate the future state (problems named
    ``experiment.assumptions.*`` or ``experiment.changes.*``) and compare; with ``futures``,
    compare every option (:func:`journeysim.studies.options.compare_options`, problems named
    ``experiment.futures.NAME.*``)."""
    # A fixed number of replications, when given, replaces the precision rule.
    precision = experiment.precision if experiment.replications is None else None
    if precision is not None:
        precision.check("experiment.precision", scenario=current)  # a persona the scenario has
    common = {"replications": experiment.replications, "precision": precision, "settings": settings, "confidence": experiment.confidence,
              "name": experiment.name, "question": experiment.question, "progress": settings.progress if progress is None else progress}
    if experiment.futures:
        if experiment.assumptions:
            current = future_state(current, experiment.assumptions, path="experiment.assumptions")
        study: Comparison | OptionsComparison = compare_options(current, experiment.futures, path="experiment.futures", **common)
    else:
        current, future = prepare_states(current, experiment)
        study = compare(current, future, independent=experiment.independent, changes=experiment.changes, **common)
    study.assumptions = plain_data(experiment.assumptions)
    study.request = experiment_request(experiment)
    study.heading = experiment_title(experiment)
    study.change_origins = change_origins(experiment)
    study.removed_changes = removed_changes(experiment)
    return study


def experiment_request(experiment: Experiment) -> dict[str, Any]:
    """What an experiment asks for besides its scenarios (recorded in ``run.json``)."""
    return plain_data(
        {
            "name": experiment.name,
            "replications": experiment.replications,
            "precision": (experiment.precision or Precision()).record() if experiment.replications is None else None,
            "options": list(experiment.futures),
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
    own = dict(leaves(_file_changes(experiment)))
    return {path: STUDY_FILE if path in own and own[path] == value else experiment.study.by for path, value in leaves(_applied_changes(experiment))}


def removed_changes(experiment: Experiment) -> dict[str, Any]:
    """The study file's changes (dotted path -> value) that are not applied: removed on the
    command line (``~experiment.changes.PATH``) or replaced with other changes."""
    if experiment.study is None:
        return {}
    applied = {path for path, _ in leaves(_applied_changes(experiment))}
    return {path: value for path, value in leaves(_file_changes(experiment)) if path not in applied}


def _applied_changes(experiment: Experiment) -> Mapping[str, Any]:
    """The changes an experiment applies: its ``changes``, or its ``futures`` (paths then
    start with the option's name)."""
    return experiment.futures or experiment.changes


def _file_changes(experiment: Experiment) -> Mapping[str, Any]:
    """What its study file says of the same: the file's ``changes``, or its ``futures``."""
    assert experiment.study is not None
    return experiment.study.futures or experiment.study.changes


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
    differences = [f"+ {path}={_short(value)}" for path, value in leaves(_applied_changes(experiment)) if origins[path] != STUDY_FILE]
    differences += [f"- {path}" for path in removed_changes(experiment)]
    if not differences:
        return own
    more = f"; and {len(differences) - TITLE_CHANGES} more" if len(differences) > TITLE_CHANGES else ""
    return f"{own}, modified: {'; '.join(differences[:TITLE_CHANGES])}{more}"


def _short(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_short(v)}" for key, v in value.items() if v is not None) + "}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def prepare_states(current: Scenario, experiment: Experiment) -> tuple[Scenario, Scenario | dict[str, Scenario]]:
    """Every validated state of an experiment: ``current`` with the assumptions, and the future
    state, or with ``futures`` every option's (name -> scenario); problems are named
    ``experiment.assumptions.*``, ``experiment.changes.*`` or ``experiment.futures.NAME.*``."""
    if experiment.assumptions:
        current = future_state(current, experiment.assumptions, path="experiment.assumptions")
    if experiment.futures:
        return current, option_states(current, experiment.futures, path="experiment.futures")[0]
    return current, future_state(current, experiment.changes, path="experiment.changes")


def state_hashes(current: Scenario, experiment: Experiment) -> dict[str, Any]:
    """The config hashes ``run.json`` records of an experiment's states (the current state with
    its assumptions; the future state, or every option's): what a re-run must match."""
    assumed, future = prepare_states(current, experiment)
    if isinstance(future, Scenario):
        return {"current_config_hash": config_hash(dict(assumed.source)), "future_config_hash": config_hash(dict(future.source))}
    return {"current_config_hash": config_hash(dict(assumed.source)), "option_config_hashes": {name: config_hash(dict(s.source)) for name, s in future.items()}}


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
    "state_hashes",
]
