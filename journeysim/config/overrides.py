"""Command-line override values typed as Hydra types them."""

from __future__ import annotations

from typing import Any


def hydra_value(token: str) -> Any:
    """A command-line value typed as Hydra types it (``0.1`` -> float, ``true`` -> bool, ...)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create().parse_override(f"k={token}").value()
