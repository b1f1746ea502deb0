"""journeysim: simulate customer journeys across stages and channels.

Quick use::

    import journeysim as js
    scenario = js.load_scenario("retail_omnichannel")
    result = js.simulate(scenario, seed=1, horizon_days=60)
    result.metrics()                                   # KPIs per persona
    js.compare(scenario, {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}}, replications=10)
"""

from journeysim.attribution_truth import (
    AttributionStudy,
    attribution_vs_truth,
    channel_incrementality,
    friction_incrementality,
)
from journeysim.budget import channel_comparison, cut_total, scale, shift
from journeysim.compare import Adaptive, Comparison, compare, future_state
from journeysim.config import (
    load_config,
    load_scenario,
    run_settings_from_dict,
    scenario_from_dict,
)
from journeysim.distributions import Distribution
from journeysim.errors import ConfigError, Problem
from journeysim.exact import ExactSolution, solve
from journeysim.optimiser import optimise_budget
from journeysim.scenario import (
    Channel,
    Persona,
    Scenario,
    Touchpoint,
    effective_friction,
)
from journeysim.settings import RunSettings
from journeysim.simulation import SimulationResult, simulate
from journeysim.streaming import simulate_to_parquet

__all__ = [
    "Adaptive",
    "AttributionStudy",
    "Channel",
    "Comparison",
    "ConfigError",
    "Distribution",
    "ExactSolution",
    "Persona",
    "Problem",
    "RunSettings",
    "Scenario",
    "SimulationResult",
    "Touchpoint",
    "attribution_vs_truth",
    "channel_comparison",
    "channel_incrementality",
    "compare",
    "cut_total",
    "effective_friction",
    "friction_incrementality",
    "future_state",
    "load_config",
    "optimise_budget",
    "load_scenario",
    "run_settings_from_dict",
    "scale",
    "scenario_from_dict",
    "shift",
    "simulate",
    "simulate_to_parquet",
    "solve",
]
__version__ = "0.1.0"
