"""The budget optimiser's tables: the split and the channels' response curves.

Pure functions of the scenario and the problem; they run no simulation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from journeysim.model.media import response_curve
from journeysim.model.scenario import Scenario
from journeysim.studies.budget.problem import BudgetProblem


def split_table(scenario: Scenario, current: Mapping[str, float], recommended: Mapping[str, float], problem: BudgetProblem) -> pd.DataFrame:
    rows = []
    bounds = {c: (lo, hi) for c, lo, hi in zip(problem.free, problem.low, problem.high)}
    for channel in scenario.budget:
        low, high = bounds.get(channel, (current[channel], current[channel]))
        rows.append({
            "channel": channel,
            "current_spend_per_day": current[channel],
            "recommended_spend_per_day": recommended[channel],
            "change_per_day": recommended[channel] - current[channel],
            "current_share": current[channel] / max(sum(current.values()), 1e-9),
            "recommended_share": recommended[channel] / max(sum(recommended.values()), 1e-9),
            "min_spend_per_day": low,
            "max_spend_per_day": None if not np.isfinite(high) else high,
            "held_fixed": channel in problem.fixed,
        })
    return pd.DataFrame(rows)


def response_table(scenario: Scenario, max_spend_per_day: float, points: int = 81) -> pd.DataFrame:
    """Each paid channel's steady-state response curve: paid prospects per day at constant
    daily spend (:func:`journeysim.model.media.response_curve`)."""
    levels = np.linspace(0.0, max_spend_per_day, points)
    frames = [pd.DataFrame({"channel": c, "spend_per_day": levels, "paid_prospects_per_day": response_curve(b, levels)}) for c, b in scenario.budget.items()]
    return pd.concat(frames, ignore_index=True)
