"""The budget optimiser: the daily spend split of the paid channels that does best.

Modes (:func:`optimise_budget`):

* **fixed total** (default): maximise an objective (:data:`OBJECTIVES`) over the split of
  a fixed total daily spend, with per-channel bounds and channels held fixed;
* **target**: the least total daily spend (and its split) whose objective reaches ``target``;
* **CPA ceiling**: the best split whose cost per acquisition stays at or below
  ``max_cost_per_acquisition``, spending at most the total (less when the ceiling binds).

The objective is *simulated*. With a fixed seed and replications, a split's objective is a
deterministic function of the split: every split meets the same customers with the same
random numbers (common random numbers; paid prospects are thinned from one candidate stream
per channel, so more spend keeps a superset of them). The search has two stages:

1. a smooth surrogate, fitted to a few simulated splits: per channel, a quadratic in the
   channel's mean exposure over the horizon (adstock + Hill, :mod:`journeysim.model.media`, exact),
   maximised with SciPy (SLSQP) under the bounds and the total;
2. a pattern search on the simulated objective itself from the surrogate's answer: move
   ``step`` EUR/day from one free channel to another while that improves it, halving the step
   down to ``resolution`` x the total.

The problem is :mod:`journeysim.studies.budget.problem`'s, the simulated objective
:mod:`journeysim.studies.budget.objective`'s and both search stages
:mod:`journeysim.studies.budget.search`'s.

With ``fast=True`` both stages simulate :func:`journeysim.simulation.engines.vectorised.journey_only`
(no capacity queues, no advocacy; loyalty kept) on the vectorised engine. The answer is then
re-checked on the full scenario by a paired comparison, current vs recommended
(:func:`journeysim.studies.comparison.compare`), which gives the expected gain with its interval.
Marginal returns (objective per extra EUR/day, central differences with common random numbers)
are reported at the current and the recommended split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from journeysim.analysis.paired import CURRENT, FUTURE, paired_statistics
from journeysim.config import run_settings_from_dict, with_changes
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.studies.budget.changes import set_spend
from journeysim.studies.budget.objective import (
    SplitObjective,
    kpi_objective,
    marginal_returns,
)
from journeysim.studies.budget.problem import (
    CPA_CEILING,
    FIXED_TOTAL,
    GROWING,
    OBJECTIVES,
    TARGET,
    budget_problem,
    is_number,
)
from journeysim.studies.budget.search import best_split, total_search
from journeysim.studies.budget.tables import response_table, split_table
from journeysim.studies.comparison import compare
from journeysim.studies.precision import Precision

# -- the result ---------------------------------------------------------------------------


@dataclass
class BudgetOptimisation:
    """What :func:`optimise_budget` found. Tables: ``split`` (per channel: current and
    recommended spend per day, bounds, held fixed), ``marginal`` (objective per extra EUR/day
    per channel at the current and the recommended split), ``response`` (paid prospects per
    day vs spend per day, the channels' response curves), ``trace`` (every simulated split).
    ``gain`` is the re-check: the paired difference recommended - current of the objective on
    the full scenario, with its interval (``comparison`` holds the whole comparison)."""

    objective: str
    mode: str
    current: dict[str, float]
    recommended: dict[str, float]
    changes: dict[str, Any]
    value_current: float
    value_recommended: float
    feasible: bool
    cost_per_acquisition_current: float
    cost_per_acquisition_recommended: float
    split: pd.DataFrame = field(repr=False)
    marginal: pd.DataFrame = field(repr=False)
    response: pd.DataFrame = field(repr=False)
    trace: pd.DataFrame = field(repr=False)
    gain: dict[str, Any] = field(default_factory=dict)
    comparison: Any = field(default=None, repr=False)
    settings: RunSettings | None = None
    notes: list[str] = field(default_factory=list)
    evaluations: int = 0

    @property
    def verdict(self) -> str:
        """What to do, from the re-check's paired interval: move only when the whole interval
        of the gain is above zero."""
        if not self.gain:
            return "not re-checked on the full scenario: treat the recommended split as a lead, not a decision"
        low, high = self.gain["ci_low"], self.gain["ci_high"]
        if not (np.isfinite(low) and np.isfinite(high)):
            return "keep the current split: the re-check has too few replications for an interval"
        if low > 0:
            return f"move to the recommended split: the {self.objective} gain's interval is above zero"
        if high < 0:
            return "keep the current split: the recommended one does worse on the full scenario"
        return "keep the current split: no gain beyond noise (the re-check's interval includes zero)"

    def summary(self) -> str:
        from journeysim.reporting.budget_text import summary_text

        return summary_text(self)

    def figures(self) -> dict[str, Any]:
        from journeysim.reporting.budget_figures import (
            marginal_return_figure,
            response_curve_figure,
            split_figure,
        )

        return {
            "budget_response_curves.png": response_curve_figure(self.response, self.split),
            "budget_marginal_return.png": marginal_return_figure(self.marginal, self.objective),
            "budget_split.png": split_figure(self.split, self.objective),
        }


def optimise_budget(
    scenario: Scenario,
    objective: str = "conversions",
    *,
    total_spend_per_day: float | None = None,
    bounds: Mapping[str, Any] | None = None,
    fixed: Iterable[str] = (),
    target: float | None = None,
    max_cost_per_acquisition: float | None = None,
    max_total_spend_per_day: float | None = None,
    seed: int = 42,
    replications: int = 5,
    horizon_days: float = 90.0,
    arrival_days: float | None = None,
    fast: bool = True,
    engine: str = "auto",
    resolution: float = 0.0025,
    initial_step: float = 0.08,
    surrogate: bool = True,
    marginal_step: float = 0.04,
    check: bool = True,
    check_replications: int | None = None,
    check_precision: Precision | Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    workers: int = 1,
    backend: str = "local",
) -> BudgetOptimisation:
    """Optimise the daily spend split of ``scenario``'s paid channels.

    ``total_spend_per_day`` (default: the current total) is split among the channels not in
    ``fixed``, each within ``bounds[channel] = (min, max)`` EUR/day. ``target`` asks for the
    least total reaching that objective value instead (searched up to
    ``max_total_spend_per_day``, default 3 x the current total, and the maximum bounds);
    ``max_cost_per_acquisition`` for the best split whose cost per acquisition stays at
    or below it, spending at most the total (``max_total_spend_per_day``, default
    ``total_spend_per_day``): as spend saturates, each extra customer costs more, so under a
    tight ceiling the answer spends less than the total.
    ``resolution`` and ``initial_step`` of the pattern search and ``marginal_step`` (the
    finite-difference step) are shares of the total. ``check`` re-checks the answer on the
    full scenario with a paired comparison: ``check_replications`` pairs, or by default as
    many as ``check_precision`` needs (:func:`check_precision_default`: the objective's gain
    to +-0.5 % of its current value, 5 to 40 pairs), in ``workers`` processes or on the
    cluster of ``backend`` (``run.workers``, ``run.backend``: the same answer).
    """
    problems = []
    if objective not in OBJECTIVES:
        problems.append(Problem("optimiser.objective", f"unknown objective {objective!r}; objectives are {', '.join(OBJECTIVES)}"))
    if target is not None and max_cost_per_acquisition is not None:
        problems.append(Problem("optimiser.target", "give either target or max_cost_per_acquisition, not both"))
    if target is not None and (not is_number(target) or objective not in GROWING):
        problems.append(Problem("optimiser.target", f"needs a number and an objective that grows with spend ({', '.join(GROWING)}), got {target!r} for {objective!r}"))
    if max_cost_per_acquisition is not None and (not is_number(max_cost_per_acquisition) or max_cost_per_acquisition <= 0):
        problems.append(Problem("optimiser.max_cost_per_acquisition", f"must be a number > 0, got {max_cost_per_acquisition!r}"))
    elif max_cost_per_acquisition is not None and objective not in GROWING:
        problems.append(Problem("optimiser.max_cost_per_acquisition", f"needs an objective that grows with spend ({', '.join(GROWING)}), got {objective!r}"))
    if problems:
        raise ConfigError(problems)
    settings = run_settings_from_dict({"seed": seed, "replications": replications, "horizon_days": horizon_days, "arrival_days": arrival_days, "engine": engine,
                                       "progress": False, "workers": workers, "backend": backend})
    problem = budget_problem(scenario, total_spend_per_day, bounds, fixed, fixed_total=target is None and max_cost_per_acquisition is None)
    with_changes(scenario, set_spend(scenario, {c: 1.0 for c in problem.free}))  # every free channel may spend: validate once
    evaluator = SplitObjective(scenario, objective, settings, fast=fast)
    current = {c: b.spend_per_day for c, b in scenario.budget.items()}
    notes = []
    if fast:
        notes.append("searched on the journey-only scenario (no capacity queues, no advocacy; loyalty kept) on the vectorised engine; re-checked on the full scenario")

    mode = TARGET if target is not None else CPA_CEILING if max_cost_per_acquisition is not None else FIXED_TOTAL
    feasible = True
    if mode == TARGET:
        reaches = lambda spend: evaluator.value(spend) >= target
        problem, x, feasible = total_search(evaluator, problem, current, reaches, max_total_spend_per_day, initial_step, resolution, surrogate)
        if not feasible:
            notes.append(f"the target {target:g} is not reached even at {problem.total:g} EUR/day: showing the best split there")
    elif mode == CPA_CEILING:
        within = lambda spend: evaluator.cost_per_acquisition(spend) <= max_cost_per_acquisition
        problem, x, feasible = total_search(evaluator, problem, current, within, max_total_spend_per_day, initial_step, resolution, surrogate, max_cost_per_acquisition)
        if not feasible:
            notes.append(f"no split of {problem.total:g} EUR/day or more keeps the cost per acquisition at or below {max_cost_per_acquisition:g}: showing the lowest one found")
    else:
        x = best_split(evaluator, problem, current, initial_step, resolution, surrogate)
    recommended = {c: round(v, 2) for c, v in problem.full(x).items()}
    recommended = {c: recommended[c] for c in current}
    changes = set_spend(scenario, {c: v for c, v in recommended.items() if v != current[c]}) if recommended != current else {"budget": {}}

    step = max(1.0, marginal_step * max(problem.total, sum(current.values())))
    evaluator.stage = "marginal"
    marginal = pd.concat([
        marginal_returns(evaluator, current, step, confidence).assign(split="current"),
        marginal_returns(evaluator, recommended, step, confidence).assign(split="recommended"),
    ], ignore_index=True)[["split", "channel", "spend_per_day", "marginal_return", "ci_low", "ci_high", "spend_difference"]]
    result = BudgetOptimisation(
        objective=objective, mode=mode, current=current, recommended=recommended, changes=changes,
        value_current=evaluator.value(current), value_recommended=evaluator.value(recommended), feasible=feasible,
        cost_per_acquisition_current=evaluator.cost_per_acquisition(current), cost_per_acquisition_recommended=evaluator.cost_per_acquisition(recommended),
        split=split_table(scenario, current, recommended, problem),
        marginal=marginal,
        response=response_table(scenario, max(max(current.values()), max(recommended.values())) * 2.0),
        trace=pd.DataFrame(evaluator.history), settings=settings, notes=notes, evaluations=evaluator.evaluations,
    )
    if check and changes["budget"]:
        result.comparison, result.gain = recheck(scenario, changes, objective, settings, check_replications, confidence, check_precision)
    return result


def check_precision_default(objective: str) -> Precision:
    """The re-check's default stopping rule: pairs until the interval of the objective's gain
    is within +-0.5 % of the current split's objective, at least 5 and at most 40."""
    return Precision(kpi=objective, half_width=0.005, relative=True, min_replications=5, batch=2, max_replications=40)


def recheck(scenario: Scenario, changes: Mapping[str, Any], objective: str, settings: RunSettings, replications: int | None = None,
            confidence: float = 0.95, precision: Precision | Mapping[str, Any] | None = None):
    """Paired comparison current vs recommended on the full scenario: the objective's mean
    difference per replication and its t-interval (and how many pairs it took:
    ``replications`` of them, else as many as ``precision`` needs, by default
    :func:`check_precision_default`)."""
    plan: dict[str, Any] = {"replications": max(2, replications)} if replications is not None else {"precision": precision or check_precision_default(objective)}
    comparison = compare(scenario, changes, settings=settings, confidence=confidence, name=f"recommended split ({objective})", details=False,
                         headline=lambda table: [objective_pairs(table, objective)], **plan)
    return comparison, {"objective": objective, **paired_statistics(*objective_pairs(comparison.per_replication, objective), confidence),
                        "stopped_because": comparison.stopping.get("stopped_because", "a fixed number")}


def objective_pairs(per_replication: pd.DataFrame, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """The objective per replication of the current and the recommended split (all personas),
    from a comparison's per-replication table."""
    pooled = per_replication.loc[per_replication["persona"] == "all"]
    values = [kpi_objective(pooled.loc[pooled["state"] == state].sort_values("replication"), objective).to_numpy(dtype=np.float64) for state in (CURRENT, FUTURE)]
    return values[0], values[1]


