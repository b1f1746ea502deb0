"""OmegaConf resolvers the command line's config uses.

``${journeysim_unique:NAME}`` gives ``NAME-3f9a1c`` (or ``3f9a1c`` without a name): a short
random suffix, so two runs started in the same second never share a default folder. It is
cached, like Hydra's ``now``: every job of a sweep, and every later look-up, sees the same
value (Hydra copies the resolver cache into each job's config).
"""

from __future__ import annotations

import os
import re

from omegaconf import OmegaConf

# What a folder name may carry from output.name: letters, digits, dot, dash, underscore.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def unique_folder_name(name: str = "") -> str:
    """``name`` (made safe for a path) and a random six-hex-digit suffix."""
    suffix = os.urandom(3).hex()
    safe = _UNSAFE.sub("_", str(name or "")).strip("._")
    return f"{safe}-{suffix}" if safe else suffix


def register_resolvers() -> None:
    """Register ``journeysim_unique`` (idempotent)."""
    if not OmegaConf.has_resolver("journeysim_unique"):
        OmegaConf.register_new_resolver("journeysim_unique", unique_folder_name, use_cache=True)
