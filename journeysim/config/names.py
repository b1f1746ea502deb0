"""Names in a configuration: "did you mean" for a misspelt one, and the entries a typo creates.

A misspelt persona, channel or stage in a change or an override
(``+scenario.personas.digital_natve.share=0.5``) does not change the entry meant: it creates a
new one, which then lacks the fields every entry needs. Reported field by field that reads
``order_value: is required but missing``; :func:`misspelt_entries` reports the name instead,
with the close existing one (:func:`unknown_name`), before the scenario is typed.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any, Iterable, Mapping

from omegaconf import MISSING

from journeysim.config.schemas import (
    ChannelBudgetSchema,
    PersonaSchema,
    TouchpointSchema,
)
from journeysim.errors import Problem

# The kind of name each table of a scenario is keyed by, from the table's dotted path (also
# under experiment.changes, experiment.assumptions or a comparison's changes).
_ENTRY_KINDS = (
    (r"personas", "persona"),
    (r"channels", "channel"),
    (r"touchpoints", "stage"),
    (r"touchpoints\.[^.]+", "channel"),
    (r"budget", "channel"),
    (r"affinity", "channel"),
    (r"handoff(\.[^.]+)?", "channel"),
    (r"audience", "persona"),
)


def suggestion(name: Any, known: Iterable[Any], plural: str) -> str:
    """``did you mean 'website'?`` when a known name is close to ``name``, else the known names."""
    known = [str(k) for k in known]
    close = difflib.get_close_matches(str(name), known, n=2, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(repr(c) for c in close)}?"
    return f"{plural} are {', '.join(known)}" if known else f"there are no {plural}"


def unknown_name(kind: str, name: Any, known: Iterable[Any], plural: str | None = None) -> str:
    """``unknown channel 'websit'; did you mean 'website'?`` (or ``...; channels are a, b``)."""
    return f"unknown {kind} {name!r}; {suggestion(name, known, plural or kind + 's')}"


def entry_kind(table_path: str) -> str:
    """What the keys of the table at ``table_path`` name: persona, channel, stage, or key."""
    for pattern, kind in _ENTRY_KINDS:
        if re.search(rf"(^|\.){pattern}$", table_path):
            return kind
    return "key"


def misspelt_entries(data: Mapping[str, Any], path: str = "scenario") -> list[Problem]:
    """Entries of a scenario's tables that lack required fields because their name is new:
    a persona, a touchpoint at an unknown stage or channel, a budget for an unknown channel;
    and a channel no touchpoint uses whose name is close to another channel's.

    Only plain data of the right shape is looked at; anything else is left to the schemas."""
    stages = [s for s in data.get("stages") or () if isinstance(s, str)] if isinstance(data.get("stages"), list) else []
    channels = _table(data, "channels")
    personas = _table(data, "personas")
    problems = []
    complete = [name for name, spec in personas.items() if not _missing(PersonaSchema, spec)]
    for name, spec in personas.items():
        missing = _missing(PersonaSchema, spec)
        if missing:
            others = [other for other in complete if other != name]
            needs = f"unknown persona {name!r} (a new persona needs {', '.join(missing)})"
            problems.append(Problem(f"{path}.personas.{name}", f"{needs}; {suggestion(name, others, 'personas')}"))
    used = set()
    for stage, row in _table(data, "touchpoints").items():
        for channel, cell in (row if isinstance(row, Mapping) else {}).items():
            used.add(channel)
            if not _missing(TouchpointSchema, cell):
                continue
            if stages and stage not in stages:
                problems.append(Problem(f"{path}.touchpoints.{stage}", unknown_name("stage", stage, stages)))
            elif channels and channel not in channels:
                problems.append(Problem(f"{path}.touchpoints.{stage}.{channel}", unknown_name("channel", channel, channels)))
    for name, spec in _table(data, "budget").items():
        used.add(name)
        if channels and name not in channels and _missing(ChannelBudgetSchema, spec):
            problems.append(Problem(f"{path}.budget.{name}", unknown_name("channel", name, channels)))
    for spec in personas.values():
        for row in _table(spec, "touchpoints").values():
            used.update(row if isinstance(row, Mapping) else ())
    for name in channels:
        close = difflib.get_close_matches(str(name), [str(c) for c in channels if c != name], n=1, cutoff=0.8)
        if name not in used and name != data.get("word_of_mouth_channel") and close:
            problems.append(Problem(f"{path}.channels.{name}", f"channel {name!r} is used by no touchpoint; did you mean {close[0]!r}?"))
    return problems


def _table(data: Any, key: str) -> Mapping[str, Any]:
    table = data.get(key) if isinstance(data, Mapping) else None
    return table if isinstance(table, Mapping) else {}


def _missing(schema: type, spec: Any) -> list[str]:
    """The required fields of ``schema`` that the mapping ``spec`` does not set."""
    if not isinstance(spec, Mapping):
        return []
    required = [f.name for f in dataclasses.fields(schema) if f.default == MISSING]
    return [name for name in required if name not in spec]
