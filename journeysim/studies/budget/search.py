"""How the budget optimiser searches: a smooth surrogate, then a pattern search.

Stage 1 fits, per outcome, an intercept plus a quadratic in each free channel's mean
exposure over the horizon (adstock + Hill, exact from :mod:`journeysim.model.media`) to a few
simulated splits, and maximises it with SciPy (SLSQP) under the bounds, the total and an
optional CPA ceiling. Stage 2 moves spend between channels on the simulated objective
itself, halving the step. The problem (:class:`~journeysim.studies.budget.problem.BudgetProblem`: free channels,
bounds, total) and the simulated objective
(:class:`~journeysim.studies.budget.objective.SplitObjective`) come from their own modules;
:mod:`journeysim.studies.budget.optimiser` drives both stages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from journeysim.analysis.metrics import profit, total_cost
from journeysim.errors import ConfigError, Problem
from journeysim.model.media import exposure_of
from journeysim.model.media import horizon_days as whole_days
from journeysim.model.scenario import Scenario
from journeysim.studies.budget.objective import SplitObjective
from journeysim.studies.budget.problem import BudgetProblem, is_number

# -- stage 1: the surrogate ------------------------------------------------------------------


class _Surrogate:
    """Per outcome: intercept + per channel a quadratic in its mean exposure over the horizon."""

    def __init__(self, scenario: Scenario, problem: BudgetProblem, horizon_days: float, arrival_days: float) -> None:
        self.problem = problem
        days = whole_days(arrival_days)
        fraction = np.minimum(1.0, np.maximum(0.0, arrival_days - np.arange(days)))
        self._weights = fraction / fraction.sum()
        self._budgets = [scenario.budget[c] for c in problem.free]
        # Adstock of a constant daily spend s on day d: s * (1 - decay^(d+1)) / (1 - decay).
        self._gain = [(1 - b.adstock_decay ** (np.arange(days) + 1)) / (1 - b.adstock_decay) for b in self._budgets]
        # Media spend is paid over the whole horizon (journeysim.model.media.budget_table).
        self._spend_days = float(np.clip(horizon_days - np.arange(whole_days(horizon_days)), 0.0, 1.0).sum())
        self.coefficients: dict[str, np.ndarray] = {}

    def exposure(self, x: np.ndarray) -> np.ndarray:
        return np.array([float(exposure_of(b, s * g) @ self._weights) for b, s, g in zip(self._budgets, x, self._gain)])

    def features(self, x: np.ndarray) -> np.ndarray:
        e = self.exposure(x)
        return np.concatenate([[1.0], e, e**2])

    def fit(self, points: list[np.ndarray], outcomes: list[pd.Series]) -> None:
        """One least-squares fit per outcome (the index of the ``outcomes`` Series)."""
        design = np.array([self.features(p) for p in points])
        for name in outcomes[0].index:
            y = np.array([o[name] for o in outcomes])
            self.coefficients[name] = np.linalg.lstsq(design, y, rcond=None)[0]

    def predict(self, x: np.ndarray, name: str) -> float:
        """The surrogate's value of one outcome; costs and profit by the KPI definitions."""
        if name == "media_spend":  # exact: constant daily spend over the horizon
            return (sum(self.problem.fixed.values()) + float(np.sum(x))) * self._spend_days
        if name == "total_cost":
            return total_cost(self.predict(x, "contact_cost"), self.predict(x, "media_spend"), self.predict(x, "staff_cost"))
        if name == "profit":
            return profit(self.predict(x, "revenue"), self.predict(x, "total_cost"))
        return float(self.features(x) @ self.coefficients[name])

    def within_cpa(self, x: np.ndarray, max_cpa: float) -> float:
        """max_cpa x conversions - total cost: >= 0 where the split's CPA is within the ceiling."""
        return max_cpa * self.predict(x, "conversions") - self.predict(x, "total_cost")

    def best(self, problem: BudgetProblem, objective: str, starts: list[np.ndarray], max_cpa: float | None = None) -> np.ndarray:
        """Maximise the surrogate objective over the split (SLSQP from several starts)."""
        high = np.minimum(problem.high, problem.movable)
        constraints = [{"type": "eq", "fun": lambda x: np.sum(x) - problem.movable}]
        if max_cpa is not None:
            constraints.append({"type": "ineq", "fun": lambda x: self.within_cpa(x, max_cpa) / max(problem.movable, 1.0)})
        scale = max(problem.movable, 1.0)
        best, best_value = problem.project(starts[0]), -math.inf
        for start in starts:
            solution = optimize.minimize(
                lambda x: -self.predict(x, objective) / scale, problem.project(start), method="SLSQP",
                bounds=list(zip(problem.low, high)), constraints=constraints, options={"maxiter": 200, "ftol": 1e-10},
            )
            candidate = problem.project(solution.x)
            value = self.predict(candidate, objective)
            feasible = max_cpa is None or self.within_cpa(candidate, max_cpa) >= 0
            if feasible and value > best_value:
                best, best_value = candidate, value
        return best


def _surrogate(evaluator: SplitObjective, problem: BudgetProblem, base: np.ndarray, levels: int = 4) -> _Surrogate:
    settings = evaluator.settings
    surrogate = _Surrogate(evaluator.scenario, problem, settings.horizon_days, settings.arrival_window_days)
    points = [base]
    top = np.minimum(problem.high, problem.movable - (problem.low.sum() - problem.low))
    for i in range(len(problem.free)):
        for level in np.linspace(problem.low[i], top[i], levels):
            point = base.copy()
            point[i] = level
            points.append(point)
    evaluator.stage = "surrogate"
    outcomes = [evaluator.outcomes(problem.full(p)).mean() for p in points]
    evaluator.stage = "search"
    surrogate.fit(points, outcomes)
    return surrogate


def _starts(problem: BudgetProblem, base: np.ndarray) -> list[np.ndarray]:
    n = len(problem.free)
    starts = [base, np.full(n, problem.movable / n)]
    for i in range(n):
        lean = np.full(n, 0.1 * problem.movable / max(n - 1, 1))
        lean[i] = 0.9 * problem.movable
        starts.append(lean)
    return [problem.project(s) for s in starts]


# -- stage 2: pattern search on the simulated objective ------------------------------------


def pattern_search(score: Callable[[np.ndarray], Any], problem: BudgetProblem, start: np.ndarray, initial_step: float, resolution: float) -> np.ndarray:
    """Move ``step`` from one free channel to another (within the bounds) while the best such
    move raises ``score``; then halve the step, down to ``resolution`` (EUR/day)."""
    x, best = start.copy(), score(start)
    step = initial_step
    n = len(x)
    resolution = max(resolution, 1e-6)  # a zero total leaves nothing to move
    while step >= resolution and n > 1:
        while True:
            moves = []
            for i in range(n):
                for j in range(n):
                    amount = min(step, x[i] - problem.low[i], problem.high[j] - x[j]) if i != j else 0.0
                    if amount > 1e-9:
                        y = x.copy()
                        y[i] -= amount
                        y[j] += amount
                        moves.append((score(y), y))
            candidate = max(moves, key=lambda m: m[0], default=None)
            if candidate is None or not candidate[0] > best:
                break
            best, x = candidate
        step /= 2
    return x


# -- the two stages, driven for one problem ----------------------------------------------


def best_split(evaluator, problem, current, initial_step, resolution, surrogate, max_cpa=None) -> np.ndarray:
    base = problem.project(np.array([current[c] for c in problem.free], dtype=float))
    start = base
    if surrogate and len(problem.free) > 1:
        start = _surrogate(evaluator, problem, base).best(problem, evaluator.objective, _starts(problem, base), max_cpa)
    if max_cpa is None:
        score = lambda x: evaluator.value(problem.full(x))
    else:
        # Feasible splits beat infeasible ones; among infeasible ones, the lower CPA wins.
        def score(x):
            cpa = evaluator.cost_per_acquisition(problem.full(x))
            return (1, evaluator.value(problem.full(x))) if cpa <= max_cpa else (0, -cpa)

        if score(base) > score(start):
            start = base
    return pattern_search(score, problem, start, initial_step * problem.total, resolution * problem.total)


def total_search(evaluator, problem, current, ok, max_total, initial_step, resolution, surrogate, max_cpa=None):
    """The split at the total where ``ok(total, split)`` switches (it must be monotone in the
    total), on its ok side: false at the bottom and true at the top (a target) gives the least
    total that is ok, true at the bottom and false at the top (a CPA ceiling) the largest.

    Bisection on the total with the surrogate's best split at each total; then the split at
    that total refined by the pattern search; then a second bisection along the refined
    split's shares. Returns (problem at the total, split, feasible)."""
    fixed = sum(problem.fixed.values())
    bottom = fixed + problem.low.sum()
    if max_total is None:
        max_total = problem.total if max_cpa is not None else 3.0 * max(sum(current.values()), 1.0)
    if not is_number(max_total) or max_total < bottom:
        raise ConfigError(Problem("optimiser.max_total_spend_per_day", f"must be >= {bottom:g} (fixed channels plus the minimum bounds), got {max_total!r}"))
    max_total = min(max_total, fixed + problem.high.sum())  # no more than the maximum bounds allow
    top = problem.at_total(max_total)
    base = top.project(np.array([current[c] for c in problem.free], dtype=float))
    model = _surrogate(evaluator, top, base) if surrogate and len(problem.free) > 1 else None

    def surrogate_split(total: float) -> np.ndarray:
        at = problem.at_total(total)
        guess = at.project(base * (at.movable / max(base.sum(), 1e-9)))
        return model.best(at, evaluator.objective, [guess, *_starts(at, guess)[1:]], max_cpa) if model is not None else guess

    def holds(total: float, split_at) -> bool:
        return ok(problem.at_total(total).full(split_at(total)))

    def boundary(split_at, low: float, high: float) -> float:
        low_holds = holds(low, split_at)
        while high - low > resolution * max_total:
            middle = (low + high) / 2
            low, high = (middle, high) if holds(middle, split_at) == low_holds else (low, middle)
        return low if low_holds else high

    bottom_holds, top_holds = holds(bottom, surrogate_split), holds(max_total, surrogate_split)
    if bottom_holds == top_holds:  # no switch: everything is ok (take the top) or nothing is
        lowest = problem.at_total(bottom)
        at = (lowest if top_holds else top) if max_cpa is None else (top if top_holds else lowest)
        x = best_split(evaluator, at, at.full(surrogate_split(at.total)), initial_step, resolution, False, max_cpa)
        return at, x, bool(top_holds) and ok(at.full(x))
    total = boundary(surrogate_split, bottom, max_total)
    at = problem.at_total(total)
    refined = best_split(evaluator, at, at.full(surrogate_split(total)), initial_step, resolution, False, max_cpa)
    shares = refined / max(refined.sum(), 1e-9)
    scaled = lambda t: problem.at_total(t).project(shares * problem.at_total(t).movable)
    if ok(at.full(refined)):
        total = boundary(scaled, bottom, total) if not bottom_holds else boundary(scaled, total, max_total)
        return problem.at_total(total), scaled(total), True
    return at, refined, False
