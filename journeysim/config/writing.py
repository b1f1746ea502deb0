"""Scenarios written as YAML files that journeysim reads back unchanged."""

from __future__ import annotations

from typing import Any, Mapping

import yaml

from journeysim.config.changes import plain_data


def scenario_yaml(data: Mapping[str, Any], header: str = "") -> str:
    """A scenario's plain data as YAML, fields in the order given, under ``header`` (each of
    its lines becomes a comment). Floats keep their full precision, so reading the file
    back gives the same scenario (and the same config hash)."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + yaml.safe_dump(plain_data(data), sort_keys=False, allow_unicode=True, width=120)
