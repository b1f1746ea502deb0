"""journeysim: simulate customer journeys across stages and channels.

Quick use::

    import journeysim as js
    scenario = js.load_scenario("retail_omnichannel")
    result = js.simulate(scenario, seed=1, horizon_days=60)
    result.metrics()                                   # KPIs per persona
    js.compare(scenario, {"touchpoints": {"purchase": {"website": {"friction": 0.0}}}}, replications=10)

The names a notebook needs are here (docs/api.md); the rooms are namespaces too:
``js.model``, ``js.config``, ``js.analysis``, ``js.simulation``, ``js.studies``,
``js.reporting``, ``js.cli``. Nothing is imported until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "Observation": "journeysim.model.observation",
    "media_incrementality": "journeysim.studies.media_truth",
    "attribution_under_tracking": "journeysim.studies.tracking",
    "attribution_vs_truth": "journeysim.studies.incrementality",
    "AttributionStudy": "journeysim.studies.incrementality",
    "BudgetOptimisation": "journeysim.studies.budget.optimiser",
    "Channel": "journeysim.model.scenario",
    "channel_comparison": "journeysim.studies.budget.by_channel",
    "channel_incrementality": "journeysim.studies.incrementality",
    "compare": "journeysim.studies.comparison",
    "compare_options": "journeysim.studies.options",
    "Comparison": "journeysim.studies.comparison",
    "OptionsComparison": "journeysim.studies.options",
    "Precision": "journeysim.studies.precision",
    "ConfigError": "journeysim.errors",
    "cut_total": "journeysim.studies.budget.changes",
    "Distribution": "journeysim.model.distributions",
    "effective_friction": "journeysim.model.scenario",
    "ExactSolution": "journeysim.analysis.exact",
    "fit_touch_log": "journeysim.analysis.fit_touches",
    "fitted_scenario_data": "journeysim.studies.calibration",
    "friction_incrementality": "journeysim.studies.incrementality",
    "future_state": "journeysim.studies.comparison",
    "kpi_table": "journeysim.analysis.metrics",
    "load_config": "journeysim.config",
    "load_experiment": "journeysim.studies.experiment",
    "load_scenario": "journeysim.config",
    "optimise_budget": "journeysim.studies.budget.optimiser",
    "Persona": "journeysim.model.scenario",
    "Problem": "journeysim.errors",
    "read_journey_log": "journeysim.analysis.touch_logs",
    "ReplicationRunner": "journeysim.simulation.replications",
    "run_experiment": "journeysim.studies.experiment",
    "run_settings_from_dict": "journeysim.config",
    "RunSettings": "journeysim.model.settings",
    "scale": "journeysim.studies.budget.changes",
    "Scenario": "journeysim.model.scenario",
    "scenario_from_dict": "journeysim.config",
    "shift": "journeysim.studies.budget.changes",
    "simulate": "journeysim.simulation.runner",
    "simulate_to_parquet": "journeysim.simulation.streaming",
    "SimulationResult": "journeysim.simulation.runner",
    "solve": "journeysim.analysis.exact",
    "Touchpoint": "journeysim.model.scenario",
    "with_changes": "journeysim.config",
    "fit": "journeysim.studies.fitting",
    "Calibration": "journeysim.studies.fitting",
}
SUBPACKAGES = ('model', 'config', 'analysis', 'simulation', 'studies', 'reporting', 'cli')

if TYPE_CHECKING:
    from journeysim.analysis.exact import ExactSolution, solve
    from journeysim.analysis.fit_touches import fit_touch_log
    from journeysim.analysis.metrics import kpi_table
    from journeysim.analysis.touch_logs import read_journey_log
    from journeysim.config import (
        load_config,
        load_scenario,
        run_settings_from_dict,
        scenario_from_dict,
        with_changes,
    )
    from journeysim.errors import ConfigError, Problem
    from journeysim.model.distributions import Distribution
    from journeysim.model.observation import Observation
    from journeysim.model.scenario import (
        Channel,
        Persona,
        Scenario,
        Touchpoint,
        effective_friction,
    )
    from journeysim.model.settings import RunSettings
    from journeysim.simulation.replications import ReplicationRunner
    from journeysim.simulation.runner import SimulationResult, simulate
    from journeysim.simulation.streaming import simulate_to_parquet
    from journeysim.studies.budget.by_channel import channel_comparison
    from journeysim.studies.budget.changes import cut_total, scale, shift
    from journeysim.studies.budget.optimiser import BudgetOptimisation, optimise_budget
    from journeysim.studies.calibration import fitted_scenario_data
    from journeysim.studies.comparison import (
        Comparison,
        compare,
        future_state,
    )
    from journeysim.studies.experiment import load_experiment, run_experiment
    from journeysim.studies.fitting import Calibration, fit
    from journeysim.studies.incrementality import (
        AttributionStudy,
        attribution_vs_truth,
        channel_incrementality,
        friction_incrementality,
    )
    from journeysim.studies.media_truth import media_incrementality
    from journeysim.studies.options import OptionsComparison, compare_options
    from journeysim.studies.precision import Precision
    from journeysim.studies.tracking import attribution_under_tracking

__all__ = sorted(EXPORTS)
_exported, __dir__ = lazy_exports(__name__, EXPORTS, SUBPACKAGES)


def __getattr__(name: str) -> object:
    if name == "__version__":
        # One source: pyproject.toml's version as installed, which every run.json records too.
        from journeysim.outputs import package_version

        return package_version()
    return _exported(name)
