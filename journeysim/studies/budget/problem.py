"""What the budget optimiser searches over: objectives, paid channels, bounds and the total.

:func:`budget_problem` validates a request (every problem names its ``optimiser.*`` path)
into a :class:`BudgetProblem`: the free channels, those held fixed, their bounds and the
total daily spend to split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import optimize

from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.studies.budget.changes import check_paid_channel

OBJECTIVES: dict[str, str] = {
    "conversions": "new customers (first purchases) per replication",
    "revenue": "revenue per replication (first and repeat purchases)",
    "profit": "revenue - total cost (contact cost + media spend + staff cost) per replication",
    "loyal_customers": "customers who became loyal, per replication",
}
# Objectives that grow with spend: the target mode searches the least total that reaches one.
GROWING = ("conversions", "revenue", "loyal_customers")
OUTCOMES = ["conversions", "revenue", "contact_cost", "media_spend", "staff_cost", "total_cost", "profit", "loyal_customers"]
FIXED_TOTAL, TARGET, CPA_CEILING = "fixed_total", "target", "cpa_ceiling"


@dataclass(frozen=True)
class ChannelBounds:
    min_spend_per_day: float = 0.0
    max_spend_per_day: float | None = None


def is_number(value: Any) -> bool:
    """A real, finite number (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


@dataclass(frozen=True)
class BudgetProblem:
    free: tuple[str, ...]
    fixed: dict[str, float]
    low: np.ndarray
    high: np.ndarray  # inf when unbounded
    total: float  # total daily spend of all paid channels

    @property
    def movable(self) -> float:
        return self.total - sum(self.fixed.values())

    def full(self, x: np.ndarray) -> dict[str, float]:
        return {**self.fixed, **{c: float(v) for c, v in zip(self.free, x)}}

    def at_total(self, total: float) -> BudgetProblem:
        return replace(self, total=float(total))

    def project(self, x: np.ndarray) -> np.ndarray:
        """The nearest split (Euclidean) within the bounds whose free spend sums to ``movable``."""
        high = np.minimum(self.high, self.movable)
        if len(x) == 1:
            return np.array([self.movable])
        gap = lambda shift: float(np.clip(x + shift, self.low, high).sum() - self.movable)
        span = self.movable + float(np.abs(x).sum()) + 1.0
        return np.clip(x + optimize.brentq(gap, -span, span, xtol=1e-9), self.low, high)


def budget_problem(scenario: Scenario, total: float | None, bounds: Mapping[str, Any] | None, fixed: Iterable[str], fixed_total: bool = True) -> BudgetProblem:
    paid = list(scenario.budget)
    if not paid:
        raise ConfigError(Problem("budget", "the scenario has no paid channel; there is no split to optimise"))
    fixed = list(fixed)
    for channel in fixed:
        check_paid_channel(scenario, channel, f"optimiser.fixed.{channel}")
    problems = []
    parsed: dict[str, ChannelBounds] = {}
    for channel, spec in (bounds or {}).items():
        check_paid_channel(scenario, channel, f"optimiser.bounds.{channel}")
        low, high = _bounds_pair(spec, f"optimiser.bounds.{channel}")
        where = f"optimiser.bounds.{channel}"
        if not is_number(low) or low < 0:
            problems.append(Problem(f"{where}.min_spend_per_day", f"must be a number >= 0, got {low!r}"))
        elif high is not None and (not is_number(high) or high < low):
            problems.append(Problem(f"{where}.max_spend_per_day", f"must be a number >= min_spend_per_day ({low:g}), got {high!r}"))
        else:
            parsed[channel] = ChannelBounds(float(low), None if high is None else float(high))
    current_total = sum(b.spend_per_day for b in scenario.budget.values())
    total = current_total if total is None else total
    if not is_number(total) or total < 0:
        problems.append(Problem("optimiser.total_spend_per_day", f"must be a number >= 0, got {total!r}"))
    free = [c for c in paid if c not in fixed]
    if not free:
        problems.append(Problem("optimiser.fixed", f"holds every paid channel ({', '.join(paid)}): nothing left to split"))
    for channel in paid:
        budget = scenario.budget[channel]
        if channel in free and budget.plan:
            problems.append(Problem(f"budget.{channel}.plan", f"has {len(budget.plan)} period(s); the optimiser splits a constant daily spend: hold {channel} fixed or drop its plan"))
    if problems:
        raise ConfigError(problems)
    fixed_spend = {c: scenario.budget[c].spend_per_day for c in fixed}
    low = np.array([parsed.get(c, ChannelBounds()).min_spend_per_day for c in free])
    high = np.array([np.inf if parsed.get(c, ChannelBounds()).max_spend_per_day is None else parsed[c].max_spend_per_day for c in free])
    movable = total - sum(fixed_spend.values())
    if movable < low.sum() - 1e-9 or (fixed_total and movable > high.sum() + 1e-9):
        held = f" - {sum(fixed_spend.values()):g} held fixed ({', '.join(fixed)})" if fixed else ""
        raise ConfigError(
            Problem("optimiser.bounds", f"no split is feasible: the free channels ({', '.join(free)}) take {low.sum():g} to {high.sum():g} EUR/day together, "
                    f"but the total to split is {total:g}{held} = {movable:g} EUR/day")
        )
    return BudgetProblem(tuple(free), fixed_spend, low, high, float(total))


def _bounds_pair(spec: Any, path: str) -> tuple[Any, Any]:
    if isinstance(spec, ChannelBounds):
        return spec.min_spend_per_day, spec.max_spend_per_day
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"min_spend_per_day", "max_spend_per_day"}
        if unknown:
            raise ConfigError(Problem(f"{path}.{min(unknown)}", "unknown field; bounds take min_spend_per_day and max_spend_per_day"))
        return spec.get("min_spend_per_day", 0.0), spec.get("max_spend_per_day")
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return (0.0 if spec[0] is None else spec[0]), spec[1]
    raise ConfigError(Problem(path, f"must be (min, max) EUR/day or {{min_spend_per_day, max_spend_per_day}}, got {spec!r}"))
