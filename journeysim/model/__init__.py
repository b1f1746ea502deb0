"""The journey model as frozen data and its formulas.

Scenario, channels, touchpoints and personas (:mod:`.scenario`), distributions, run
settings, the paid-media response (:mod:`.media`), staffing schedules (:mod:`.staffing`),
BG/NBD loyalty (:mod:`.loyalty`), the experience model (:mod:`.experience`: experienced
moments, satisfaction, emotion carry-over, detraction), surveys and their answer scales (:mod:`.surveys`) and the
compiled arrays engines read (:mod:`.compiled`).
Imports nothing above it: no config reader, engine or plot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "Observation": "journeysim.model.observation",
    "Advocacy": "journeysim.model.scenario",
    "answer_probabilities": "journeysim.model.surveys",
    "budget_table": "journeysim.model.media",
    "Channel": "journeysim.model.scenario",
    "ChannelBudget": "journeysim.model.scenario",
    "compile_scenario": "journeysim.model.compiled",
    "CompiledScenario": "journeysim.model.compiled",
    "Detraction": "journeysim.model.experience",
    "Distribution": "journeysim.model.distributions",
    "EmotionCarryover": "journeysim.model.experience",
    "effective_friction": "journeysim.model.scenario",
    "expected_nps": "journeysim.model.surveys",
    "Experience": "journeysim.model.experience",
    "Loyalty": "journeysim.model.scenario",
    "Persona": "journeysim.model.scenario",
    "response_curve": "journeysim.model.media",
    "RunSettings": "journeysim.model.settings",
    "satisfaction": "journeysim.model.experience",
    "Scenario": "journeysim.model.scenario",
    "staff_table": "journeysim.model.staffing",
    "Surveys": "journeysim.model.surveys",
    "Touchpoint": "journeysim.model.scenario",
}

if TYPE_CHECKING:
    from journeysim.model.compiled import CompiledScenario, compile_scenario
    from journeysim.model.distributions import Distribution
    from journeysim.model.experience import (
        Detraction,
        EmotionCarryover,
        Experience,
        satisfaction,
    )
    from journeysim.model.media import budget_table, response_curve
    from journeysim.model.observation import Observation
    from journeysim.model.scenario import (
        Advocacy,
        Channel,
        ChannelBudget,
        Loyalty,
        Persona,
        Scenario,
        Touchpoint,
        effective_friction,
    )
    from journeysim.model.settings import RunSettings
    from journeysim.model.staffing import staff_table
    from journeysim.model.surveys import Surveys, answer_probabilities, expected_nps

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
