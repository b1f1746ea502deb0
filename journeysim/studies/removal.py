"""Scenario changes that take something out of the journey: a channel, or a stage's friction.

These are what :mod:`journeysim.studies.incrementality` simulates to measure what a channel or
a friction really adds, and are useful on their own for what-if studies (``compare(scenario,
channel_removal_changes(scenario, "social"))``). Each function returns changes for
:func:`journeysim.with_changes` (or ``compare``), never a scenario.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

from journeysim.model.scenario import LOSE, Scenario


def candidate_channels(scenario: Scenario) -> tuple[str, ...]:
    """Channels some persona can choose at some journey stage, and the word-of-mouth channel
    when some persona recommends."""
    used = set()
    for name, persona in scenario.personas.items():
        for (stage, channel) in scenario.persona_touchpoints(name):
            if stage in scenario.journey_stages and persona.affinity.get(channel, 0.0) > 0:
                used.add(channel)
    if scenario.word_of_mouth_channel is not None and any(p.advocacy is not None for p in scenario.personas.values()):
        used.add(scenario.word_of_mouth_channel)
    return tuple(c for c in scenario.channel_names if c in used)


def stranded_personas(scenario: Scenario, channel: str) -> dict[str, tuple[str, ...]]:
    """Personas left without a usable channel at some journey stage once ``channel`` is gone:
    persona -> those stages (no channel there with positive affinity, or none they can leave by)."""
    stranded: dict[str, tuple[str, ...]] = {}
    for name, persona in scenario.personas.items():
        table = scenario.persona_touchpoints(name)
        stages = []
        for stage in scenario.journey_stages:
            cells = [tp for (s, c), tp in table.items() if s == stage and c != channel and persona.affinity.get(c, 0.0) > 0]
            total = sum(persona.affinity[tp.channel] for tp in cells)
            leave = sum(persona.affinity[tp.channel] / total * (tp.advance + tp.drop) for tp in cells) if cells else 0.0
            if not cells or leave <= 0:
                stages.append(stage)
        if stages:
            stranded[name] = tuple(stages)
    return stranded


def channel_removal_changes(scenario: Scenario, channel: str, keep_for: Sequence[str] = ()) -> dict[str, Any]:
    """Changes (for :meth:`journeysim.with_changes`) that take ``channel`` away from the journey.

    Its touchpoints become unavailable at every stage, in the base map and in persona
    overrides, except for the personas in ``keep_for``, who keep their own touchpoints; a
    paid channel's spend is paused. The
    word-of-mouth channel is the way referred prospects come in, so removing it means nobody
    recommends (advocacy probability 0) and nobody chooses it (affinity 0, except for
    ``keep_for``); its touchpoints stay, as validation requires.
    """
    source = scenario.source
    if channel == scenario.word_of_mouth_channel:
        personas_: dict[str, Any] = {}
        for name, persona in scenario.personas.items():
            change: dict[str, Any] = {} if name in keep_for else {"affinity": {channel: 0.0}}
            if persona.advocacy is not None:
                change["advocacy"] = {"probability": 0.0}
            if change:
                personas_[name] = change
        return {"personas": personas_}
    touchpoints = {stage: {channel: {"available": False}} for stage, row in source["touchpoints"].items() if channel in row}
    personas: dict[str, Any] = {}
    for name, spec in source["personas"].items():
        rows = spec.get("touchpoints") or {}
        if name in keep_for:
            own = _own_touchpoints(source, name, channel)
            if own:
                personas[name] = {"touchpoints": own}
            continue
        removed = {stage: {channel: {"available": False}} for stage, row in rows.items() if channel in row}
        if removed:
            personas[name] = {"touchpoints": removed}
    changes: dict[str, Any] = {"touchpoints": touchpoints}
    if personas:
        changes["personas"] = personas
    if channel in scenario.budget:  # a paid channel taken away: its spend is paused too
        changes["budget"] = {channel: {"spend_per_day": 0.0, "plan": []}}
    return changes


def _own_touchpoints(source: Mapping[str, Any], persona: str, channel: str) -> dict[str, Any]:
    """Full touchpoint specs of ``channel`` in a persona's map, as persona overrides, so that they
    survive the removal of the base touchpoints."""
    base_rows, own_rows = source["touchpoints"], source["personas"][persona].get("touchpoints") or {}
    cells: dict[str, Any] = {}
    for stage in dict.fromkeys([*base_rows, *own_rows]):
        base = (base_rows.get(stage) or {}).get(channel)
        override = (own_rows.get(stage) or {}).get(channel)
        if override is not None and override.get("available") is False:
            continue
        if override is None and (base is None or base.get("available", True) is False):
            continue
        spec = {k: copy.deepcopy(v) for k, v in (base or {}).items() if k != "available"}
        spec.update({k: copy.deepcopy(v) for k, v in (override or {}).items() if v is not None and k != "available"})
        if spec:
            cells.setdefault(stage, {})[channel] = {**spec, "available": True}
    return cells


def removal_note(scenario: Scenario, channel: str, stranded: Mapping[str, tuple[str, ...]]) -> str:
    """What the removal of ``channel`` assumed: nobody recommending (word of mouth), its
    customers lost (the ``lose`` removal policy), personas left with no way on."""
    notes = []
    if channel == scenario.word_of_mouth_channel:
        notes.append("word-of-mouth channel: removed as nobody recommending (advocacy probability 0)")
    elif scenario.removal.policy == LOSE:
        notes.append("removal.policy=lose: customers who would have chosen it are lost there")
    if stranded:
        where = ", ".join(f"{p} (at {' and '.join(s)})" for p, s in stranded.items())
        notes.append(f"essential for {where}: no usable channel left there, so all their conversions count as incremental")
    return "; ".join(notes)


def friction_removal_changes(scenario: Scenario, stage: str) -> dict[str, Any]:
    """Changes that set every touchpoint's friction at ``stage`` to 0, persona overrides included."""
    source = scenario.source
    changes: dict[str, Any] = {}
    row = source["touchpoints"].get(stage) or {}
    if row:
        changes["touchpoints"] = {stage: {channel: {"friction": 0.0} for channel in row}}
    personas = {}
    for name, spec in source["personas"].items():
        cells = (spec.get("touchpoints") or {}).get(stage) or {}
        own = {channel: {"friction": 0.0} for channel, cell in cells.items() if cell.get("friction") is not None}
        if own:
            personas[name] = {"touchpoints": {stage: own}}
    if personas:
        changes["personas"] = personas
    return changes


def frictions_at(scenario: Scenario, stage: str) -> int:
    """Touchpoints (over all personas' maps) with friction > 0 at ``stage``."""
    return sum(
        1
        for name in scenario.personas
        for (s, _), touchpoint in scenario.persona_touchpoints(name).items()
        if s == stage and touchpoint.friction > 0
    )
