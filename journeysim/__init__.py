"""journeysim: simulate customer journeys across stages and channels.

Quick use::

    import journeysim as js
    scenario = js.load_scenario("retail_omnichannel")
    result = js.simulate(scenario, seed=1, horizon_days=60)
    result.metrics()                                   # KPIs per persona
    js.compare(scenario, {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}}, replications=10)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# The public names and the modules that define them. They are imported on first use, so
# ``import journeysim`` (and the ``journeysim`` command, and every Hydra job) does not pay
# for plotting, statistics and optimisation modules it may never touch.
_EXPORTS = {
    "Adaptive": "journeysim.compare",
    "AttributionStudy": "journeysim.attribution_truth",
    "Channel": "journeysim.scenario",
    "Comparison": "journeysim.compare",
    "ConfigError": "journeysim.errors",
    "Distribution": "journeysim.distributions",
    "ExactSolution": "journeysim.exact",
    "Persona": "journeysim.scenario",
    "Problem": "journeysim.errors",
    "RunSettings": "journeysim.settings",
    "Scenario": "journeysim.scenario",
    "SimulationResult": "journeysim.simulation",
    "Touchpoint": "journeysim.scenario",
    "attribution_vs_truth": "journeysim.attribution_truth",
    "channel_comparison": "journeysim.budget",
    "channel_incrementality": "journeysim.attribution_truth",
    "compare": "journeysim.compare",
    "cut_total": "journeysim.budget",
    "effective_friction": "journeysim.scenario",
    "friction_incrementality": "journeysim.attribution_truth",
    "future_state": "journeysim.compare",
    "load_config": "journeysim.config",
    "load_scenario": "journeysim.config",
    "optimise_budget": "journeysim.optimiser",
    "run_settings_from_dict": "journeysim.config",
    "scale": "journeysim.budget",
    "scenario_from_dict": "journeysim.config",
    "shift": "journeysim.budget",
    "simulate": "journeysim.simulation",
    "simulate_to_parquet": "journeysim.streaming",
    "solve": "journeysim.exact",
}

if TYPE_CHECKING:
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

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'journeysim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule journeysim.compare binds it as the package's attribute
        # ``compare``; keep that name for the exported function, as an eager import would.
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
