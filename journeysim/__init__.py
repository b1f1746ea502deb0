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
    "Adaptive": "journeysim.studies.comparison",
    "AttributionStudy": "journeysim.studies.incrementality",
    "Channel": "journeysim.model.scenario",
    "Comparison": "journeysim.studies.comparison",
    "ConfigError": "journeysim.errors",
    "Distribution": "journeysim.model.distributions",
    "ExactSolution": "journeysim.analysis.exact",
    "Persona": "journeysim.model.scenario",
    "Problem": "journeysim.errors",
    "RunSettings": "journeysim.model.settings",
    "Scenario": "journeysim.model.scenario",
    "SimulationResult": "journeysim.simulation.runner",
    "Touchpoint": "journeysim.model.scenario",
    "attribution_vs_truth": "journeysim.studies.incrementality",
    "channel_comparison": "journeysim.studies.budget.by_channel",
    "channel_incrementality": "journeysim.studies.incrementality",
    "compare": "journeysim.studies.comparison",
    "cut_total": "journeysim.studies.budget.changes",
    "effective_friction": "journeysim.model.scenario",
    "friction_incrementality": "journeysim.studies.incrementality",
    "future_state": "journeysim.studies.comparison",
    "load_config": "journeysim.config",
    "load_scenario": "journeysim.config",
    "optimise_budget": "journeysim.studies.budget.optimiser",
    "run_settings_from_dict": "journeysim.config",
    "scale": "journeysim.studies.budget.changes",
    "scenario_from_dict": "journeysim.config",
    "shift": "journeysim.studies.budget.changes",
    "simulate": "journeysim.simulation.runner",
    "simulate_to_parquet": "journeysim.simulation.streaming",
    "solve": "journeysim.analysis.exact",
    "with_changes": "journeysim.config",
}

if TYPE_CHECKING:
    from journeysim.studies.incrementality import (
        AttributionStudy,
        attribution_vs_truth,
        channel_incrementality,
        friction_incrementality,
    )
    from journeysim.studies.budget.by_channel import channel_comparison
    from journeysim.studies.budget.changes import cut_total, scale, shift
    from journeysim.studies.comparison import Adaptive, Comparison, compare, future_state
    from journeysim.config import (
        load_config,
        load_scenario,
        run_settings_from_dict,
        scenario_from_dict,
        with_changes,
    )
    from journeysim.model.distributions import Distribution
    from journeysim.errors import ConfigError, Problem
    from journeysim.analysis.exact import ExactSolution, solve
    from journeysim.studies.budget.optimiser import optimise_budget
    from journeysim.model.scenario import (
        Channel,
        Persona,
        Scenario,
        Touchpoint,
        effective_friction,
    )
    from journeysim.model.settings import RunSettings
    from journeysim.simulation.runner import SimulationResult, simulate
    from journeysim.simulation.streaming import simulate_to_parquet

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
        # Importing the submodule journeysim.studies.comparison binds it as the package's attribute
        # ``compare``; keep that name for the exported function, as an eager import would.
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
