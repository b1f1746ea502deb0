"""Griffe extensions for the API pages: the names each room exports lazily, and Sphinx roles.

A room's ``__init__.py`` lists its public names in an ``EXPORTS`` dict (name -> defining
module) and sets ``__all__ = sorted(EXPORTS)``, which static analysis cannot evaluate, so
mkdocstrings would render the rooms' docstrings without their names. This extension reads
the dict literal and declares its keys as the module's exports; the names then render with
the docstrings and signatures of their definitions. Nothing of journeysim is imported.

The docstrings cross-reference with Sphinx roles (``:func:`~journeysim.x.f```), which Markdown
would print as they are; :class:`SphinxRoles` turns each into inline code naming the object
(``f``, or the full path without ``~``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe


class LazyExports(griffe.Extension):
    """Set a module's exports (its ``__all__``) to the keys of its ``EXPORTS`` dict."""

    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        exports = mod.members.get("EXPORTS")
        if exports is None or exports.is_alias or exports.value is None:
            return
        mod.exports = sorted(ast.literal_eval(str(exports.value)), key=str.lower)


ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj|exc):`(~?)([^`]+)`")


class SphinxRoles(griffe.Extension):
    """Render ``:role:`target``` as inline code: the last part of a ``~`` target, else all of it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code, obj.docstring.value)


def _code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"
