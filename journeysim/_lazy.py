"""Names a package re-exports but imports only on first use.

``import journeysim`` (and the ``journeysim`` command, and every Hydra job) should not pay for
plotting, statistics and optimisation modules it may never touch, so the package index and
the rooms' namespaces list their public names with the module that defines each, and import
that module when a name is first looked up. No namespace exports a name that is also one of
its submodules (tests/architecture checks it): importing that submodule would rebind the name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], submodules: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``exports[name]`` (the module
    defining ``name``) on first use; ``submodules`` are subpackages reachable as attributes
    (``journeysim.analysis``) without an import statement."""
    namespace = sys.modules[package]

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(namespace, name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(namespace), *exports, *submodules})

    return __getattr__, __dir__
