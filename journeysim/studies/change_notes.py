"""What a study's changes will not do, said before anyone acts on the result.

A change can be shadowed (a persona keeps its own value of the field), do nothing (the field
already has that value), or add a channel nobody uses (no persona has an affinity for it).
:func:`change_notes` finds each case; the comparison prints them in its summary and warns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeysim.config.changes import leaves, value_at
from journeysim.config.durations import duration_days, is_duration_path
from journeysim.model.scenario import LOSE, Scenario


def change_notes(current: Scenario, future: Scenario, changes: Mapping[str, Any]) -> list[str]:
    """One line per change that is shadowed or a no-op, and per unused channel of the future state."""
    notes = []
    for path, value in leaves(changes):
        old = value_at(current.source, path)
        if _already(path, old, value):
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
    newly_closed = {cell: personas for cell, personas in chosen_closed_touchpoints(future).items() if personas != chosen_closed_touchpoints(current).get(cell)}
    if newly_closed or future.removal != current.removal and chosen_closed_touchpoints(future):
        notes.append(closure_note(future, newly_closed or chosen_closed_touchpoints(future)))
    return notes


def _already(path: str, old: Any, value: Any) -> bool:
    """Whether a change sets what the scenario already has; a duration (``"1d"``) is compared
    in days, the unit the scenario's source holds it in."""
    if old == value:
        return True
    if not isinstance(old, (int, float)) or not is_duration_path(path):
        return False
    try:
        return duration_days(value) == old
    except ValueError:
        return False


def chosen_closed_touchpoints(scenario: Scenario) -> dict[tuple[str, str], tuple[str, ...]]:
    """(stage, channel) -> personas who would choose that touchpoint (affinity > 0) but find it
    unavailable, at journey stages: the customers the removal policy decides about."""
    closed: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, persona in scenario.personas.items():
        for (stage, channel) in scenario.persona_closed_touchpoints(name):
            if stage in scenario.journey_stages and persona.affinity.get(channel, 0.0) > 0:
                closed[(stage, channel)] = closed.get((stage, channel), ()) + (name,)
    return closed


def closure_note(scenario: Scenario, closed: Mapping[tuple[str, str], tuple[str, ...]]) -> str:
    """What happens to the customers of closed touchpoints, in words, with the setting that decides it."""
    everyone = len(scenario.personas)
    cells = ", ".join(
        f"{channel} at {stage}" + ("" if len(personas) == everyone else f" (for {', '.join(personas)})")
        for (stage, channel), personas in closed.items()
    )
    if scenario.removal.policy == LOSE:
        return (f"closed touchpoints: {cells}. removal.policy=lose: customers who would have chosen them are lost there "
                f"(emotion {scenario.removal.emotion:g}); set removal.policy=reroute to send them to the remaining channels")
    return (f"closed touchpoints: {cells}. removal.policy=reroute: customers who would have chosen them choose among the "
            "remaining channels by affinity, at no cost and with nobody lost; set removal.policy=lose to lose them instead")


def unused_channels(scenario: Scenario) -> list[str]:
    """Channels with touchpoints that no persona would ever choose (zero affinity everywhere)
    and no paid media brings prospects through."""
    with_touchpoints = {channel for _, channel in scenario.touchpoints}
    chosen = {channel for persona in scenario.personas.values() for channel, weight in persona.affinity.items() if weight > 0}
    return sorted(with_touchpoints - chosen - set(scenario.budget) - {scenario.word_of_mouth_channel})
