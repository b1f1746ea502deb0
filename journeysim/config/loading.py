"""Configuration loading: YAML or plain data -> validated, frozen model objects.

Data is merged onto the schemas (:mod:`journeysim.config.schemas`), which catches unknown
fields, wrong types and missing values; :mod:`journeysim.config.validation` then checks the
meaning (ranges, references, shares) and builds the frozen
:class:`~journeysim.model.scenario.Scenario`. Every error names its dotted config path and
the bad value.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path
from typing import Any, Mapping, Union, get_args, get_origin, get_type_hints

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf import errors as oc_errors

from journeysim.config.changes import apply_changes
from journeysim.config.files import config_dir, named_configs, read_mapping
from journeysim.config.names import misspelt_entries, suggestion
from journeysim.config.schemas import (
    SCHEMAS,
    OutputSchema,
    RunSchema,
    ScenarioSchema,
    TouchpointOverrideSchema,
    TouchpointSchema,
)
from journeysim.config.validation import build_run_settings, build_scenario
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.model.settings import OutputSettings, RunSettings


def scenario_from_dict(data: Mapping[str, Any], path: str = "scenario") -> Scenario:
    """Validate plain data (as in the YAML files) into a frozen :class:`Scenario`."""
    data = plain_container(data)
    misspelt = misspelt_entries(data, path) if isinstance(data, Mapping) else []
    if misspelt:  # the fields such an entry lacks would only hide the typo
        raise ConfigError(misspelt)
    normalised = _typed_container(ScenarioSchema, data, path)
    normalised["touchpoints"] = _type_touchpoint_table(TouchpointSchema, normalised["touchpoints"], f"{path}.touchpoints")
    for name, persona in normalised["personas"].items():
        persona["touchpoints"] = _type_touchpoint_table(
            TouchpointOverrideSchema, persona["touchpoints"], f"{path}.personas.{name}.touchpoints"
        )
    return build_scenario(normalised, path=path)


def _type_touchpoint_table(schema: type, table: Any, path: str) -> dict[str, dict[str, Any]]:
    if not isinstance(table, Mapping):
        raise ConfigError(Problem(path, f"must map stages to channels, got {table!r}"))
    typed: dict[str, dict[str, Any]] = {}
    for stage, row in table.items():
        if not isinstance(row, Mapping):
            raise ConfigError(Problem(f"{path}.{stage}", f"must map channels to touchpoints, got {row!r}"))
        typed[str(stage)] = {str(channel): _typed_container(schema, cell, f"{path}.{stage}.{channel}") for channel, cell in row.items()}
    return typed


def run_settings_from_dict(data: Mapping[str, Any] | None = None, path: str = "run") -> RunSettings:
    """Validate plain data (a ``run`` node) into :class:`~journeysim.model.settings.RunSettings`; missing fields take its defaults."""
    normalised = _typed_container(RunSchema, {} if data is None else data, path)
    return build_run_settings(normalised, path=path)


def output_settings_from_dict(data: Mapping[str, Any] | None = None, path: str = "output") -> OutputSettings:
    """Validate the ``output`` node (unknown switches and non-boolean values are errors)."""
    normalised = _typed_container(OutputSchema, {} if data is None else data, path)
    return OutputSettings(**normalised)


def plain_container(cfg: Any) -> Any:
    """A composed Hydra config (or any node of one) as plain dicts and lists, resolved; plain
    data passes through. The command line hands its config to the rest of the package so.
    An interpolation that cannot be resolved (``run.seed=${nosuch}``) is a :class:`ConfigError`."""
    if isinstance(cfg, (DictConfig, ListConfig)):
        try:
            return OmegaConf.to_container(cfg, resolve=True)
        except oc_errors.OmegaConfBaseException as error:
            raise ConfigError(problem_from_omegaconf(error)) from None
    return cfg


def load_scenario(name_or_path: str | Path = "retail_omnichannel", changes: Mapping[str, Any] | None = None) -> Scenario:
    """Load a scenario by name (``configs/scenario/NAME.yaml``) or from a YAML file path.

    ``changes`` maps dotted paths inside the scenario to new values, e.g.
    ``{"personas.digital_native.share": 0.5}``.
    """
    candidate = Path(name_or_path)
    if candidate.suffix not in (".yaml", ".yml"):
        candidate = config_dir() / "scenario" / f"{name_or_path}.yaml"
    if not candidate.is_file():
        raise ConfigError(
            Problem("scenario", f"no scenario file {str(candidate)!r}; named scenarios: {', '.join(named_configs('scenario'))}")
        )
    loaded = read_mapping(candidate, resolve=True, what="scenario")
    if changes:
        loaded = apply_changes(loaded, changes)
    return scenario_from_dict(loaded)


def with_changes(scenario: Scenario, changes: Mapping[str, Any], *, path: str = "scenario") -> Scenario:
    """A new validated scenario: ``scenario`` with ``changes`` deep-merged in.

    ``changes`` is a nested partial scenario (``{"touchpoints": {"purchase": {"website":
    {"friction": 0.05}}}}``) or dotted paths (``{"touchpoints.purchase.website.friction":
    0.05}``). The scenario was valid, so any problem comes from the changes: problems are
    reported under ``path`` (``scenario.touchpoints.purchase.website.friction: ...``; a
    comparison's future state uses ``changes``).
    """
    if not isinstance(changes, Mapping):
        raise ConfigError(Problem(path, f"must map scenario fields to new values, got {changes!r}"))
    try:
        merged = apply_changes(dict(scenario.source), changes)
    except ConfigError as error:
        raise ConfigError([Problem(f"{path}.{p.path}", p.message) for p in error.problems]) from None
    return scenario_from_dict(merged, path=path)


def load_config(cfg: DictConfig | Mapping[str, Any]) -> tuple[Scenario, RunSettings]:
    """Validate a composed Hydra config (with ``scenario`` and ``run`` nodes)."""
    container = plain_container(cfg)
    problems: list[Problem] = []
    scenario = settings = None
    try:
        scenario = scenario_from_dict(container.get("scenario") or {}, path="scenario")
    except ConfigError as error:
        problems += error.problems
    try:
        settings = run_settings_from_dict(container.get("run") or {}, path="run")
    except ConfigError as error:
        problems += error.problems
    if problems:
        raise ConfigError(problems)
    assert scenario is not None and settings is not None
    return scenario, settings


def _typed_container(schema: type, data: Any, path: str) -> dict[str, Any]:
    """Merge ``data`` onto ``schema`` and return plain containers, translating OmegaConf errors."""
    data = plain_container(data)
    if not isinstance(data, Mapping):
        raise ConfigError(Problem(path, f"must be a mapping of fields, got {data!r}"))
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), data)
        typed = OmegaConf.to_container(merged, resolve=True, throw_on_missing=True)
    except oc_errors.OmegaConfBaseException as error:
        raise ConfigError(problem_from_omegaconf(error, path)) from None
    misplaced = _containers_for_scalars(schema, typed, path)
    if misplaced:
        raise ConfigError(misplaced)
    return typed


_SCALARS = {float: "a number", int: "a whole number", bool: "true or false", str: "text"}


def _containers_for_scalars(hint: Any, value: Any, path: str) -> list[Problem]:
    """Mappings and lists where ``hint`` wants a scalar: OmegaConf's merge lets one into an
    item of a typed container (``audience: {digital_native: {}}`` under ``Dict[str, float]``,
    ``open_hours: [[9], 20]``) without the check it makes of a field, so this walk makes it."""
    if get_origin(hint) is Union:  # Optional[X]
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    if hint in _SCALARS:
        return [Problem(path, f"must be {_SCALARS[hint]}, got {value!r}")] if isinstance(value, (dict, list)) else []
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        hints = _field_types(hint)
        return [p for name, item in value.items() if name in hints for p in _containers_for_scalars(hints[name], item, f"{path}.{name}")]
    if get_origin(hint) is dict and isinstance(value, dict):
        return [p for key, item in value.items() for p in _containers_for_scalars(get_args(hint)[1], item, f"{path}.{key}")]
    if get_origin(hint) is list and isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _containers_for_scalars(get_args(hint)[0], item, f"{path}[{index}]")]
    return []


@cache
def _field_types(schema: type) -> dict[str, Any]:
    return get_type_hints(schema)


_CONVERSION = re.compile(r"Value '(?P<value>.*?)'(?: of type '\w+')? could not be converted to (?P<type>\w+)")
_NOT_BOOL = re.compile(r"Value '(?P<value>.*?)' is not a valid bool")
_NOT_IN = re.compile(r"Key '(?P<key>[^']*)' not in '(?P<schema>\w+)'")


def problem_from_omegaconf(error: oc_errors.OmegaConfBaseException, path: str = "") -> Problem:
    """The user's mistake behind an OmegaConf error, at ``path`` + the error's key (a dotted
    path from the config's root when ``path`` is empty)."""
    full_key = getattr(error, "full_key", None) or ""
    where = ".".join(part for part in (path, full_key) if part) or "config"
    text = str(getattr(error, "msg", None) or error).splitlines()[0]
    if isinstance(error, oc_errors.MissingMandatoryValue):
        return Problem(where, "is required but missing")
    if "is not Optional" in text:
        return Problem(where, "is required and cannot be null")
    match = _CONVERSION.search(text)
    if match:
        wanted = {"Float": "a number", "Integer": "a whole number", "Boolean": "true or false", "String": "text"}
        return Problem(where, f"must be {wanted.get(match['type'], match['type'])}, got {match['value']!r}")
    match = _NOT_BOOL.search(text)
    if match:
        return Problem(where, f"must be true or false, got {match['value']!r}")
    match = _NOT_IN.search(text)
    if match:
        schema = {cls.__name__: cls for cls in SCHEMAS}.get(match["schema"])
        known = f"; {suggestion(match['key'], schema.__dataclass_fields__, 'known fields')}" if schema else ""
        return Problem(where, f"unknown field {match['key']!r}{known}")
    if "Cannot assign" in text or "is not a subclass" in text or "Invalid type" in text:
        return Problem(where, f"has the wrong kind of value: {text}")
    return Problem(where, text)
