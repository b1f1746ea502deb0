"""Studies built from simulations: current vs future comparisons, experiments, incrementality
(attribution against the simulated truth), designs and sensitivity, and budget planning
(:mod:`.budget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "write_observed_folder": "journeysim.studies.observed_run",
    "media_incrementality": "journeysim.studies.media_truth",
    "TrackingStudy": "journeysim.studies.tracking",
    "attribution_under_tracking": "journeysim.studies.tracking",
    "attribution_vs_truth": "journeysim.studies.incrementality",
    "AttributionStudy": "journeysim.studies.incrementality",
    "channel_incrementality": "journeysim.studies.incrementality",
    "channel_removal_changes": "journeysim.studies.removal",
    "confirm_pain_points": "journeysim.studies.pain_points",
    "find_pain_points": "journeysim.studies.pain_points",
    "pain_point_table": "journeysim.studies.pain_points",
    "PainPoint": "journeysim.studies.pain_points",
    "screen_pain_points": "journeysim.studies.pain_points",
    "without_pain_point": "journeysim.studies.pain_points",
    "check_against_simulation": "journeysim.studies.calibration",
    "compare": "journeysim.studies.comparison",
    "compare_options": "journeysim.studies.options",
    "Comparison": "journeysim.studies.comparison",
    "OptionsComparison": "journeysim.studies.options",
    "Precision": "journeysim.studies.precision",
    "design_points": "journeysim.studies.design",
    "Experiment": "journeysim.studies.experiment",
    "fitted_scenario_data": "journeysim.studies.calibration",
    "friction_incrementality": "journeysim.studies.incrementality",
    "friction_removal_changes": "journeysim.studies.removal",
    "future_state": "journeysim.studies.comparison",
    "journey_measures": "journeysim.studies.calibration",
    "load_experiment": "journeysim.studies.experiment",
    "parse_parameter": "journeysim.studies.design",
    "run_experiment": "journeysim.studies.experiment",
    "ScenarioKpi": "journeysim.studies.design",
    "sensitivity_analysis": "journeysim.studies.design",
    "simulated_touch_log": "journeysim.studies.calibration",
    "fit": "journeysim.studies.fitting",
    "Calibration": "journeysim.studies.fitting",
}
SUBPACKAGES = ('budget',)

if TYPE_CHECKING:
    from journeysim.studies.calibration import (
        check_against_simulation,
        fitted_scenario_data,
        journey_measures,
        simulated_touch_log,
    )
    from journeysim.studies.comparison import (
        Comparison,
        compare,
        future_state,
    )
    from journeysim.studies.design import (
        ScenarioKpi,
        design_points,
        parse_parameter,
        sensitivity_analysis,
    )
    from journeysim.studies.experiment import (
        Experiment,
        load_experiment,
        run_experiment,
    )
    from journeysim.studies.fitting import Calibration, fit
    from journeysim.studies.incrementality import (
        AttributionStudy,
        attribution_vs_truth,
        channel_incrementality,
        friction_incrementality,
    )
    from journeysim.studies.media_truth import media_incrementality
    from journeysim.studies.observed_run import write_observed_folder
    from journeysim.studies.options import OptionsComparison, compare_options
    from journeysim.studies.pain_points import (
        PainPoint,
        confirm_pain_points,
        find_pain_points,
        pain_point_table,
        screen_pain_points,
        without_pain_point,
    )
    from journeysim.studies.precision import Precision
    from journeysim.studies.removal import (
        channel_removal_changes,
        friction_removal_changes,
    )
    from journeysim.studies.tracking import TrackingStudy, attribution_under_tracking

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS, SUBPACKAGES)
