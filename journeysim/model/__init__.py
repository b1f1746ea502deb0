"""The journey model as frozen data and its formulas.

Scenario, channels, touchpoints and personas (:mod:`.scenario`), distributions, run
settings, the paid-media response (:mod:`.media`), staffing schedules (:mod:`.staffing`),
BG/NBD loyalty (:mod:`.loyalty`) and the compiled arrays engines read (:mod:`.compiled`).
Imports nothing above it: no config reader, engine or plot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "Advocacy": "journeysim.model.scenario",
    "budget_table": "journeysim.model.media",
    "Channel": "journeysim.model.scenario",
    "ChannelBudget": "journeysim.model.scenario",
    "compile_scenario": "journeysim.model.compiled",
    "CompiledScenario": "journeysim.model.compiled",
    "Distribution": "journeysim.model.distributions",
    "effective_friction": "journeysim.model.scenario",
    "Loyalty": "journeysim.model.scenario",
    "Persona": "journeysim.model.scenario",
    "response_curve": "journeysim.model.media",
    "RunSettings": "journeysim.model.settings",
    "Scenario": "journeysim.model.scenario",
    "staff_table": "journeysim.model.staffing",
    "Touchpoint": "journeysim.model.scenario",
}

if TYPE_CHECKING:
    from journeysim.model.compiled import CompiledScenario, compile_scenario
    from journeysim.model.distributions import Distribution
    from journeysim.model.media import budget_table, response_curve
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

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
