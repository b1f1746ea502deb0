"""Budget planning: budget scenarios as changes, the per-channel report, and the optimiser.

``changes`` (shift, cut, scale spend), ``by_channel`` (a comparison per paid channel),
``problem`` / ``objective`` / ``search`` / ``optimiser`` (the best split of a budget) and
``tables`` (the optimiser's split and response curves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "as_overrides": "journeysim.studies.budget.changes",
    "BudgetOptimisation": "journeysim.studies.budget.optimiser",
    "BudgetProblem": "journeysim.studies.budget.problem",
    "channel_comparison": "journeysim.studies.budget.by_channel",
    "channel_runs": "journeysim.studies.budget.by_channel",
    "ChannelBounds": "journeysim.studies.budget.problem",
    "cut_total": "journeysim.studies.budget.changes",
    "marginal_returns": "journeysim.studies.budget.objective",
    "OBJECTIVES": "journeysim.studies.budget.problem",
    "optimise_budget": "journeysim.studies.budget.optimiser",
    "recheck": "journeysim.studies.budget.optimiser",
    "scale": "journeysim.studies.budget.changes",
    "set_spend": "journeysim.studies.budget.changes",
    "shift": "journeysim.studies.budget.changes",
    "spend_per_day": "journeysim.studies.budget.changes",
    "SplitObjective": "journeysim.studies.budget.objective",
    "total_spend_per_day": "journeysim.studies.budget.changes",
}

if TYPE_CHECKING:
    from journeysim.studies.budget.by_channel import channel_comparison, channel_runs
    from journeysim.studies.budget.changes import (
        as_overrides,
        cut_total,
        scale,
        set_spend,
        shift,
        spend_per_day,
        total_spend_per_day,
    )
    from journeysim.studies.budget.objective import SplitObjective, marginal_returns
    from journeysim.studies.budget.optimiser import (
        BudgetOptimisation,
        optimise_budget,
        recheck,
    )
    from journeysim.studies.budget.problem import (
        OBJECTIVES,
        BudgetProblem,
        ChannelBounds,
    )

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
