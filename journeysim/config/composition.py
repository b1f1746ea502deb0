"""Errors Hydra raises while composing a job's configuration, as the user's mistake.

Hydra reports a bad override (``run.nosuch=3``, ``scenario=nosuch``,
``run.horizon_days=${oops``) in several lines ending with "Set the environment variable
HYDRA_FULL_ERROR=1". :func:`composition_error` turns such an error into a
:class:`~journeysim.errors.ConfigError`: one problem naming the key and the override, with
the close name or the valid ones (``scenario.personas.bargin_hunter: unknown persona
'bargin_hunter' in scenario.personas.bargin_hunter.share=0.3; personas are ...``).
"""

from __future__ import annotations

import re

from hydra import errors as hydra_errors
from omegaconf import errors as oc_errors

from journeysim.config.loading import problem_from_omegaconf
from journeysim.config.names import entry_kind, suggestion
from journeysim.errors import ConfigError, Problem

_OVERRIDE = re.compile(r"use \+(?P<override>\S+)")
_QUOTED_KEY = re.compile(r"'(?P<key>[^']+)'")
_HYDRA_HINTS = re.compile(r"^(See https://hydra\.cc|Config search path|\s+provider=)")


def composition_error(error: BaseException) -> ConfigError | None:
    """The mistake in the configuration behind ``error``, raised while Hydra composed a job
    (an override it cannot read, a config group option or a key that does not exist, a value
    of the wrong type, an interpolation it cannot resolve); None for any other error."""
    if isinstance(error, ConfigError):
        return error
    if isinstance(error, hydra_errors.OverrideParseException):
        key = error.override.lstrip("+~").partition("=")[0] or error.override
        return ConfigError(Problem(key, f"cannot read the override {error.override!r}: {_first_line(error.message)}"))
    if isinstance(error, hydra_errors.MissingConfigException):
        return ConfigError(_missing_option(error))
    if isinstance(error, hydra_errors.ConfigCompositionException):
        cause = error.__cause__
        if isinstance(cause, (oc_errors.ConfigKeyError, oc_errors.ConfigAttributeError)) and cause.full_key:
            return ConfigError(_unknown_key(cause, error))
        if isinstance(cause, oc_errors.OmegaConfBaseException):
            return ConfigError(problem_from_omegaconf(cause))
        return ConfigError(_composition_problem(str(error)))
    if isinstance(error, hydra_errors.SearchPathException):
        return ConfigError(Problem("--config-dir", _first_line(str(error))))
    if isinstance(error, oc_errors.OmegaConfBaseException):
        return ConfigError(problem_from_omegaconf(error))
    return None


def _unknown_key(cause: oc_errors.OmegaConfBaseException, error: Exception) -> Problem:
    """``run.nosuch=3``: no key ``nosuch`` in ``run``; Hydra's message says which override."""
    table, _, key = cause.full_key.rpartition(".")
    kind = entry_kind(table)
    parent = cause.parent_node
    known = [str(k) for k in parent.keys()] if hasattr(parent, "keys") else []
    match = _OVERRIDE.search(str(error))
    override = f" in {match['override']}" if match else ""
    new = f" (a new {kind}: + before the override, and every field it needs)" if re.search(r"(^|\.)(personas|channels)$", table) else ""
    return Problem(cause.full_key, f"unknown {kind} {key!r}{override}{new}; {suggestion(key, known, kind + 's')}")


def _missing_option(error: hydra_errors.MissingConfigException) -> Problem:
    """``scenario=nosuch``: no such config in the group; the close option or all of them."""
    group, _, name = (error.missing_cfg_file or "").rpartition("/")
    options = list(error.options or [])
    if not group:
        return Problem("--config-name", f"no config {name!r} on the search path")
    return Problem(group, f"no {group} named {name!r} ({group}={name}); {suggestion(name, options, f'{group} options')}")


def _composition_problem(text: str) -> Problem:
    """Hydra's own composition errors (``~run.nosuch``: nothing to delete; ``+run.seed=3``:
    the key exists already) in one line, at the key the message quotes."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not _HYDRA_HINTS.match(line)]
    match = _QUOTED_KEY.search(text)
    return Problem(match["key"] if match else "command line", " ".join(lines))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
