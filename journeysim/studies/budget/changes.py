"""Budget scenarios as changes: shift, cut or scale what channels spend.

A budget scenario is a *change* to the current scenario's ``budget`` node, the same plain
data an experiment file's ``changes`` holds, so it works everywhere a change does::

    changes = shift(scenario, "search", "social", 0.20)   # move 20 % of search to social
    future = with_changes(scenario, changes)               # or compare(scenario, changes)
    as_overrides(changes)   # ['scenario.budget.search.spend_per_day=480.0', ...] for the CLI

:func:`shift`, :func:`cut_total` and :func:`scale` act on a channel's whole spend: its
``spend_per_day`` and every period of its ``plan``, so a planned burst moves with it. What
spend does to the journey (adstock, Hill exposure, paid prospects, retargeting) is
:mod:`journeysim.model.media`'s; nothing here re-implements it.

The per-channel report of what a budget does is :mod:`journeysim.analysis.channels`
(one run) and :mod:`journeysim.studies.budget.by_channel` (both states of a comparison).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario

# -- budget scenarios as changes --------------------------------------------------------------


def paid_channels(scenario: Scenario) -> tuple[str, ...]:
    return tuple(scenario.budget)


def spend_per_day(scenario: Scenario) -> dict[str, float]:
    """Each paid channel's ``spend_per_day`` (plans aside)."""
    return {name: budget.spend_per_day for name, budget in scenario.budget.items()}


def check_paid_channel(scenario: Scenario, channel: Any, path: str) -> None:
    """Raise a :class:`ConfigError` at ``path`` unless ``channel`` has a budget."""
    paid = ", ".join(scenario.budget) or "none"
    if channel not in scenario.channels:
        raise ConfigError(Problem(path, f"unknown channel {channel!r}; channels with a budget are {paid}"))
    if channel not in scenario.budget:
        raise ConfigError(Problem(path, f"channel {channel!r} has no budget (paid channels: {paid}); give it budget.{channel} first"))


def scale(scenario: Scenario, channel: str, factor: float) -> dict[str, Any]:
    """Changes multiplying one channel's spend (daily and in its plan) by ``factor``:
    ``scale(s, "social", 2)`` doubles social."""
    check_paid_channel(scenario, channel, "scale.channel")
    _check_number("scale.factor", factor, low=0.0)
    return {"budget": {channel: _scaled(scenario, channel, factor, f"scale by {factor:g}")}}


def cut_total(scenario: Scenario, share: float) -> dict[str, Any]:
    """Changes cutting every paid channel's spend by ``share`` (0.1: 10 % less everywhere)."""
    if not scenario.budget:
        raise ConfigError(Problem("budget", "the scenario has no paid channel; there is no budget to cut"))
    _check_number("cut_total.share", share, low=0.0, high=1.0)
    return {"budget": {name: _scaled(scenario, name, 1.0 - share, f"cut by {share:.0%}") for name in scenario.budget}}


def shift(scenario: Scenario, from_channel: str, to_channel: str, share: float) -> dict[str, Any]:
    """Changes moving ``share`` of ``from_channel``'s spend to ``to_channel``, day by day:
    on every day, share x the from-channel's spend of that day leaves it and joins the
    to-channel's spend of that day (plans included, so the total of each day is kept)."""
    check_paid_channel(scenario, from_channel, "shift.from_channel")
    check_paid_channel(scenario, to_channel, "shift.to_channel")
    if from_channel == to_channel:
        raise ConfigError(Problem("shift.to_channel", f"must differ from from_channel, got {to_channel!r} for both"))
    _check_number("shift.share", share, low=0.0, high=1.0)
    source = scenario.budget[from_channel]
    target = scenario.budget[to_channel]
    moved = _SpendPlan.of(source).times(share)
    changes = {
        from_channel: _scaled(scenario, from_channel, 1.0 - share, f"move {share:.0%} to {to_channel}"),
        to_channel: _SpendPlan.of(target).plus(moved).as_change(),
    }
    return {"budget": changes}


def set_spend(scenario: Scenario, spend: Mapping[str, float], path: str = "spend") -> dict[str, Any]:
    """Changes setting channels' constant daily spend (a channel with a plan keeps its plan's
    periods: use :func:`scale` for those)."""
    out: dict[str, Any] = {}
    for channel, value in spend.items():
        check_paid_channel(scenario, channel, f"{path}.{channel}")
        _check_number(f"{path}.{channel}", value, low=0.0)
        out[channel] = {"spend_per_day": float(value)}
    return {"budget": out}


def as_overrides(changes: Mapping[str, Any], prefix: str = "scenario") -> list[str]:
    """Command-line overrides for ``changes`` (``scenario.budget.search.spend_per_day=480.0``);
    a plan becomes one override with a YAML flow list."""
    lines = []

    def walk(node: Mapping[str, Any], path: str) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{path}.{key}")
            elif isinstance(value, list):
                items = ", ".join("{" + ", ".join(f"{k}: {_number(v)}" for k, v in item.items()) + "}" for item in value)
                lines.append(f"{path}.{key}=[{items}]")
            else:
                lines.append(f"{path}.{key}={_number(value)}")

    walk(changes, prefix)
    return lines


def total_spend_per_day(scenario: Scenario) -> float:
    """The scenario's paid-media spend per day over all channels (``spend_per_day``, plans aside)."""
    return float(sum(spend_per_day(scenario).values()))


def _scaled(scenario: Scenario, channel: str, factor: float, how: str) -> dict[str, Any]:
    budget = scenario.budget[channel]
    result = _SpendPlan.of(budget).times(factor).as_change()
    problems = [Problem(f"budget.{channel}.spend_per_day", f"{how} gives {result['spend_per_day']:g}, must be >= 0")] if result["spend_per_day"] < 0 else []
    for index, period in enumerate(result.get("plan", [])):
        if period["spend_per_day"] < 0:
            problems.append(Problem(f"budget.{channel}.plan[{index}].spend_per_day", f"{how} gives {period['spend_per_day']:g}, must be >= 0"))
    if problems:
        raise ConfigError(problems)
    return result


def _check_number(path: str, value: Any, low: float | None = None, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(Problem(path, f"must be a finite number, got {value!r}"))
    if low is not None and value < low:
        raise ConfigError(Problem(path, f"must be >= {low:g}, got {value:g}" + (" (a negative spend)" if low == 0 else "")))
    if high is not None and value > high:
        raise ConfigError(Problem(path, f"must be <= {high:g}, got {value:g}"))


def _number(value: Any) -> str:
    return repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


class _SpendPlan:
    """A channel's daily spend as a step function: ``default`` outside the periods, and the
    last period covering a day wins (as :func:`journeysim.model.media.daily_spend` reads a plan)."""

    def __init__(self, default: float, periods: Sequence[tuple[float, float, float]]) -> None:
        self.default = float(default)
        self.periods = [(float(a), float(b), float(v)) for a, b, v in periods]

    @classmethod
    def of(cls, budget) -> _SpendPlan:
        return cls(budget.spend_per_day, [(p.from_day, p.to_day, p.spend_per_day) for p in budget.plan])

    def at(self, day: float) -> float:
        value = self.default
        for start, end, spend in self.periods:
            if start <= day < end:
                value = spend
        return value

    def times(self, factor: float) -> _SpendPlan:
        return _SpendPlan(self.default * factor, [(a, b, v * factor) for a, b, v in self.periods])

    def plus(self, other: _SpendPlan) -> _SpendPlan:
        """The day-by-day sum, as disjoint periods between the breakpoints of both plans."""
        edges = sorted({t for plan in (self, other) for a, b, _ in plan.periods for t in (a, b)})
        periods = []
        for start, end in itertools.pairwise(edges):
            covered = any(a <= start < b for plan in (self, other) for a, b, _ in plan.periods)
            if covered:
                periods.append((start, end, self.at(start) + other.at(start)))
        return _SpendPlan(self.default + other.default, _merge_adjacent(periods))

    def as_change(self) -> dict[str, Any]:
        change: dict[str, Any] = {"spend_per_day": self.default}
        if self.periods:
            change["plan"] = [{"from_day": a, "to_day": b, "spend_per_day": v} for a, b, v in self.periods]
        return change


def _merge_adjacent(periods: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    merged: list[tuple[float, float, float]] = []
    for start, end, value in periods:
        if merged and merged[-1][1] == start and merged[-1][2] == value:
            merged[-1] = (merged[-1][0], end, value)
        else:
            merged.append((start, end, value))
    return merged
