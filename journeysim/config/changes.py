"""Changes to a validated scenario, and fingerprints of configurations.

A change is plain data (a partial scenario, or dotted paths): the same form an experiment
file's ``changes``, a budget shift and a channel removal take.
:func:`journeysim.config.loading.with_changes` applies one to a scenario and validates it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any, Mapping

from journeysim.errors import ConfigError, Problem


def apply_changes(data: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` with each dotted path set.

    Mappings merge into mappings, except a distribution of another kind (a mapping with a
    different ``dist``), which replaces the old one so stale parameters do not linger.
    """
    result = copy.deepcopy(dict(data))
    for dotted, value in changes.items():
        keys = dotted.split(".")
        node = result
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            if not isinstance(child, dict):
                raise ConfigError(Problem(".".join(keys[: depth + 1]), f"is a value, not a section; cannot set {dotted!r}"))
            node = child
        last = keys[-1]
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last] = _deep_merge(node[last], value)
        else:
            node[last] = copy.deepcopy(value)
    return result


def config_hash(data: Mapping[str, Any]) -> str:
    """A short stable fingerprint of a configuration (sorted-key JSON, SHA-256)."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    if "dist" in update and update["dist"] != base.get("dist"):
        return copy.deepcopy(dict(update))
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def plain_data(value: Any) -> Any:
    """Changes as plain dicts and lists (for run.json and deep copies)."""
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    return value


def leaves(changes: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Every changed value as (dotted path, value); a distribution counts as one value."""
    out = []
    for key, value in changes.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "dist" not in value:
            out += leaves(value, path + ".")
        else:
            out.append((path, value))
    return out


def value_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of plain data, or None where there is none."""
    node: Any = data
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node
