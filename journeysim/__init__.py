"""journeysim: simulate customer journeys across stages and channels.

Quick use::

    import journeysim as js
    scenario = js.load_scenario("retail_omnichannel")
    result = js.simulate(scenario, seed=1, horizon_days=60)
    js.kpi_table(result.customers, result.events)
"""

from journeysim.config import load_config, load_scenario, run_settings_from_dict, scenario_from_dict
from journeysim.distributions import Distribution
from journeysim.errors import ConfigError, Problem
from journeysim.scenario import Channel, Persona, Scenario, Touchpoint, effective_friction
from journeysim.settings import RunSettings
from journeysim.simulation import SimulationResult, simulate

__all__ = [
    "Channel",
    "ConfigError",
    "Distribution",
    "Persona",
    "Problem",
    "RunSettings",
    "Scenario",
    "SimulationResult",
    "Touchpoint",
    "effective_friction",
    "load_config",
    "load_scenario",
    "run_settings_from_dict",
    "scenario_from_dict",
    "simulate",
]
__version__ = "0.1.0"
