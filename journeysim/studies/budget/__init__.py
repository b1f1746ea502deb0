"""Budget planning: budget scenarios as changes, the per-channel report, and the optimiser.

``changes`` (shift, cut, scale spend), ``by_channel`` (a comparison per paid channel),
``problem`` / ``objective`` / ``search`` / ``optimiser`` (the best split of a budget) and
``tables`` (the optimiser's split and response curves).
"""

from journeysim.studies.budget.by_channel import channel_comparison, channel_runs
from journeysim.studies.budget.changes import as_overrides, cut_total, scale, set_spend, shift, spend_per_day, total_spend_per_day
from journeysim.studies.budget.objective import SplitObjective, marginal_returns
from journeysim.studies.budget.optimiser import BudgetOptimisation, optimise_budget, recheck
from journeysim.studies.budget.problem import OBJECTIVES, BudgetProblem, ChannelBounds

__all__ = [
    "OBJECTIVES",
    "BudgetOptimisation",
    "BudgetProblem",
    "ChannelBounds",
    "SplitObjective",
    "as_overrides",
    "channel_comparison",
    "channel_runs",
    "cut_total",
    "marginal_returns",
    "optimise_budget",
    "recheck",
    "scale",
    "set_spend",
    "shift",
    "spend_per_day",
    "total_spend_per_day",
]
