"""What a study's changes will not do, said before anyone acts on the result.

A change can be shadowed (a persona keeps its own value of the field), do nothing (the field
already has that value), or add a channel nobody uses (no persona has an affinity for it).
:func:`change_notes` finds each case; the comparison prints them in its summary and warns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeysim.config.changes import leaves, value_at
from journeysim.model.scenario import Scenario


def change_notes(current: Scenario, future: Scenario, changes: Mapping[str, Any]) -> list[str]:
    """One line per change that is shadowed or a no-op, and per unused channel of the future state."""
    notes = []
    for path, value in leaves(changes):
        old = value_at(current.source, path)
        if old == value:
            notes.append(f"{path}: already {value!r}; this change does nothing")
        parts = path.split(".")
        if len(parts) == 4 and parts[0] == "touchpoints":
            _, stage, channel, field = parts
            for persona, spec in (current.source.get("personas") or {}).items():
                own = value_at(spec, f"touchpoints.{stage}.{channel}.{field}")
                if own is not None and value_at(changes, f"personas.{persona}.touchpoints.{stage}.{channel}.{field}") is None:
                    notes.append(
                        f"{path}: persona {persona} keeps its own {field} {own!r} (personas.{persona}.touchpoints."
                        f"{stage}.{channel}.{field}), so the change does not reach it"
                    )
    for channel in unused_channels(future):
        if channel not in unused_channels(current):
            notes.append(f"channels.{channel}: has touchpoints, but no persona has an affinity for it and no budget buys it: nobody will use it")
    return notes


def unused_channels(scenario: Scenario) -> list[str]:
    """Channels with touchpoints that no persona would ever choose (zero affinity everywhere)
    and no paid media brings prospects through."""
    with_touchpoints = {channel for _, channel in scenario.touchpoints}
    chosen = {channel for persona in scenario.personas.values() for channel, weight in persona.affinity.items() if weight > 0}
    return sorted(with_touchpoints - chosen - set(scenario.budget) - {scenario.word_of_mouth_channel})
