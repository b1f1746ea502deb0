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
   channel's mean exposure over the horizon (adstock + Hill, :mod:`journeysim.media`, exact),
   maximised with SciPy (SLSQP) under the bounds and the total;
2. a pattern search on the simulated objective itself from the surrogate's answer: move
   ``step`` EUR/day from one free channel to another while that improves it, halving the step
   down to ``resolution`` x the total.

Both stages live in :mod:`journeysim.budget_search`.

With ``fast=True`` both stages simulate :func:`journeysim.engine_vectorised.journey_only`
(no capacity queues, no advocacy; loyalty kept) on the vectorised engine. The answer is then
re-checked on the full scenario by a paired comparison, current vs recommended
(:func:`journeysim.compare.compare`), which gives the expected gain with its interval.
Marginal returns (objective per extra EUR/day, central differences with common random numbers)
are reported at the current and the recommended split.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from journeysim.budget import check_paid_channel, set_spend
from journeysim.budget_search import _best_split, _number, _total_search, pattern_search  # noqa: F401  (pattern_search is public here too)
from journeysim.errors import ConfigError, Problem
from journeysim.optimiser_report import response_table, split_table
from journeysim.scenario import Scenario
from journeysim.settings import RunSettings

OBJECTIVES: dict[str, str] = {
    "conversions": "new customers (first purchases) per replication",
    "revenue": "revenue per replication (first and repeat purchases)",
    "profit": "revenue - total cost (contact cost + media spend) per replication",
    "loyal_customers": "customers who became loyal, per replication",
}
# Objectives that grow with spend: the target mode searches the least total that reaches one.
GROWING = ("conversions", "revenue", "loyal_customers")
OUTCOMES = ["conversions", "revenue", "contact_cost", "media_spend", "loyal_customers"]
FIXED_TOTAL, TARGET, CPA_CEILING = "fixed_total", "target", "cpa_ceiling"


@dataclass(frozen=True)
class ChannelBounds:
    min_spend_per_day: float = 0.0
    max_spend_per_day: float | None = None


# -- the simulated objective ---------------------------------------------------------------


class SplitObjective:
    """Outcomes of a daily spend split per replication, simulated with one seed: a
    deterministic function of the split (cached). ``fast`` simulates the journey-only
    scenario (no queues, no advocacy) on the vectorised engine."""

    def __init__(self, scenario: Scenario, objective: str, settings: RunSettings, fast: bool = True) -> None:
        if fast:
            from journeysim.engine_vectorised import journey_only

            scenario = journey_only(scenario, keep_loyalty=True)
        self.scenario = scenario
        self.objective = objective
        self.settings = replace(settings, progress=False)
        self.fast = fast
        self.history: list[dict[str, Any]] = []
        self.stage = "search"  # what the simulated splits are for, recorded in the trace
        self._cache: dict[tuple, pd.DataFrame] = {}

    def variant(self, spend: Mapping[str, float]) -> Scenario:
        """The scenario with these channels' ``spend_per_day``. Built by replacing the frozen
        budget entries (validating through the config layer costs far more than a run); the
        optimiser validates the split once, up front, and the answer again at the end."""
        budget = dict(self.scenario.budget)
        source = dict(self.scenario.source)
        source["budget"] = {name: dict(spec) for name, spec in source.get("budget", {}).items()}
        for channel, value in spend.items():
            budget[channel] = replace(budget[channel], spend_per_day=float(value))
            source["budget"][channel]["spend_per_day"] = float(value)
        return replace(self.scenario, budget=MappingProxyType(budget), source=MappingProxyType(source))

    def outcomes(self, spend: Mapping[str, float]) -> pd.DataFrame:
        """Per replication: conversions, revenue, contact cost, media spend, loyal customers."""
        key = tuple(sorted((c, round(float(v), 6)) for c, v in spend.items()))
        if key not in self._cache:
            from journeysim.simulation import simulate

            result = simulate(self.variant(spend), self.settings, keep_events=False)
            self._cache[key] = outcomes_per_replication(result.customers, result.spend, self.settings.replications)
            self.history.append({"stage": self.stage, **dict(spend), self.objective: objective_values(self._cache[key], self.objective).mean()})
        return self._cache[key]

    def value(self, spend: Mapping[str, float]) -> float:
        return float(objective_values(self.outcomes(spend), self.objective).mean())

    def cost_per_acquisition(self, spend: Mapping[str, float]) -> float:
        table = self.outcomes(spend)
        conversions = table["conversions"].sum()
        return float((table["contact_cost"].sum() + table["media_spend"].sum()) / conversions) if conversions else math.inf

    @property
    def evaluations(self) -> int:
        return len(self._cache)


def outcomes_per_replication(customers: pd.DataFrame, spend: pd.DataFrame, replications: int) -> pd.DataFrame:
    converted = customers["outcome"] == "converted"
    frame = pd.DataFrame(
        {
            "replication": customers["replication"].to_numpy(),
            "conversions": converted.to_numpy(dtype=np.int64),
            "revenue": customers["revenue"].to_numpy(dtype=np.float64),
            "contact_cost": customers["contact_cost"].to_numpy(dtype=np.float64),
            "loyal_customers": (converted & customers["loyal"]).to_numpy(dtype=np.int64),
        }
    )
    table = frame.groupby("replication").sum().reindex(range(replications), fill_value=0)
    table["media_spend"] = float(spend["spend"].sum()) if len(spend) else 0.0
    return table[OUTCOMES].astype(np.float64)


def objective_values(outcomes: pd.DataFrame, objective: str) -> pd.Series:
    """The objective per replication from a table with the :data:`OUTCOMES` columns."""
    if objective == "profit":
        return outcomes["revenue"] - outcomes["contact_cost"] - outcomes["media_spend"]
    return outcomes[objective]


# -- the problem: channels, bounds, total ----------------------------------------------------


@dataclass(frozen=True)
class _Problem:
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

    def at_total(self, total: float) -> _Problem:
        return replace(self, total=float(total))

    def project(self, x: np.ndarray) -> np.ndarray:
        """The nearest split (Euclidean) within the bounds whose free spend sums to ``movable``."""
        high = np.minimum(self.high, self.movable)
        if len(x) == 1:
            return np.array([self.movable])
        gap = lambda shift: float(np.clip(x + shift, self.low, high).sum() - self.movable)
        span = self.movable + float(np.abs(x).sum()) + 1.0
        return np.clip(x + optimize.brentq(gap, -span, span, xtol=1e-9), self.low, high)


def _problem(scenario: Scenario, total: float | None, bounds: Mapping[str, Any] | None, fixed: Iterable[str], fixed_total: bool = True) -> _Problem:
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
        if not _number(low) or low < 0:
            problems.append(Problem(f"{where}.min_spend_per_day", f"must be a number >= 0, got {low!r}"))
        elif high is not None and (not _number(high) or high < low):
            problems.append(Problem(f"{where}.max_spend_per_day", f"must be a number >= min_spend_per_day ({low:g}), got {high!r}"))
        else:
            parsed[channel] = ChannelBounds(float(low), None if high is None else float(high))
    current_total = sum(b.spend_per_day for b in scenario.budget.values())
    total = current_total if total is None else total
    if not _number(total) or total < 0:
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
    return _Problem(tuple(free), fixed_spend, low, high, float(total))


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


# -- marginal returns --------------------------------------------------------------------


def marginal_returns(evaluator: SplitObjective, spend: Mapping[str, float], step: float, confidence: float = 0.95) -> pd.DataFrame:
    """Objective per extra EUR/day of each channel at ``spend``: the difference between
    ``spend + step`` and ``spend - step`` (from 0 when the spend is below ``step``; the
    ``spend_difference`` column) over the same replications, so the noise of who arrives
    cancels; the interval is the t-interval over replications."""
    base = objective_values(evaluator.outcomes(spend), evaluator.objective)
    rows = []
    for channel, value in spend.items():
        low = max(0.0, value - step)
        up = objective_values(evaluator.outcomes({**spend, channel: value + step}), evaluator.objective)
        down = base if low == value else objective_values(evaluator.outcomes({**spend, channel: low}), evaluator.objective)
        per_replication = (up - down).to_numpy() / (value + step - low)
        n = len(per_replication)
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * per_replication.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan
        mean = float(per_replication.mean())
        rows.append({"channel": channel, "spend_per_day": value, "marginal_return": mean, "ci_low": mean - half, "ci_high": mean + half, "spend_difference": value + step - low})
    return pd.DataFrame(rows)


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

    def summary(self) -> str:
        from journeysim.optimiser_report import summary_text

        return summary_text(self)

    def figures(self) -> dict[str, Any]:
        from journeysim.budget_plots import (
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
    confidence: float = 0.95,
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
    full scenario with a paired comparison of ``check_replications`` (default
    ``replications``) replications.
    """
    from journeysim.config import run_settings_from_dict

    problems = []
    if objective not in OBJECTIVES:
        problems.append(Problem("optimiser.objective", f"unknown objective {objective!r}; objectives are {', '.join(OBJECTIVES)}"))
    if target is not None and max_cost_per_acquisition is not None:
        problems.append(Problem("optimiser.target", "give either target or max_cost_per_acquisition, not both"))
    if target is not None and (not _number(target) or objective not in GROWING):
        problems.append(Problem("optimiser.target", f"needs a number and an objective that grows with spend ({', '.join(GROWING)}), got {target!r} for {objective!r}"))
    if max_cost_per_acquisition is not None and (not _number(max_cost_per_acquisition) or max_cost_per_acquisition <= 0):
        problems.append(Problem("optimiser.max_cost_per_acquisition", f"must be a number > 0, got {max_cost_per_acquisition!r}"))
    elif max_cost_per_acquisition is not None and objective not in GROWING:
        problems.append(Problem("optimiser.max_cost_per_acquisition", f"needs an objective that grows with spend ({', '.join(GROWING)}), got {objective!r}"))
    if problems:
        raise ConfigError(problems)
    settings = run_settings_from_dict({"seed": seed, "replications": replications, "horizon_days": horizon_days, "arrival_days": arrival_days, "engine": engine, "progress": False})
    problem = _problem(scenario, total_spend_per_day, bounds, fixed, fixed_total=target is None and max_cost_per_acquisition is None)
    scenario.with_changes(set_spend(scenario, {c: 1.0 for c in problem.free}))  # every free channel may spend: validate once
    evaluator = SplitObjective(scenario, objective, settings, fast=fast)
    current = {c: b.spend_per_day for c, b in scenario.budget.items()}
    notes = []
    if fast:
        notes.append("searched on the journey-only scenario (no capacity queues, no advocacy; loyalty kept) on the vectorised engine; re-checked on the full scenario")

    mode = TARGET if target is not None else CPA_CEILING if max_cost_per_acquisition is not None else FIXED_TOTAL
    feasible = True
    if mode == TARGET:
        reaches = lambda spend: evaluator.value(spend) >= target
        problem, x, feasible = _total_search(evaluator, problem, current, reaches, max_total_spend_per_day, initial_step, resolution, surrogate)
        if not feasible:
            notes.append(f"the target {target:g} is not reached even at {problem.total:g} EUR/day: showing the best split there")
    elif mode == CPA_CEILING:
        within = lambda spend: evaluator.cost_per_acquisition(spend) <= max_cost_per_acquisition
        problem, x, feasible = _total_search(evaluator, problem, current, within, max_total_spend_per_day, initial_step, resolution, surrogate, max_cost_per_acquisition)
        if not feasible:
            notes.append(f"no split of {problem.total:g} EUR/day or more keeps the cost per acquisition at or below {max_cost_per_acquisition:g}: showing the lowest one found")
    else:
        x = _best_split(evaluator, problem, current, initial_step, resolution, surrogate)
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
        result.comparison, result.gain = recheck(scenario, changes, objective, settings, check_replications or replications, confidence)
    return result


def recheck(scenario: Scenario, changes: Mapping[str, Any], objective: str, settings: RunSettings, replications: int, confidence: float = 0.95):
    """Paired comparison current vs recommended on the full scenario: the objective's mean
    difference per replication and its t-interval."""
    from journeysim.compare import CURRENT, FUTURE, compare, paired_statistics

    comparison = compare(scenario, changes, replications=max(2, replications), settings=settings, confidence=confidence,
                         name=f"recommended split ({objective})", details=False)
    pooled = comparison.per_replication.loc[comparison.per_replication["persona"] == "all"]
    values = {}
    for state in (CURRENT, FUTURE):
        table = pooled.loc[pooled["state"] == state].sort_values("replication")
        values[state] = kpi_objective(table, objective).to_numpy(dtype=np.float64)
    return comparison, {"objective": objective, **paired_statistics(values[CURRENT], values[FUTURE], confidence)}


def kpi_objective(kpis: pd.DataFrame, objective: str) -> pd.Series:
    """The objective from :func:`journeysim.metrics.kpi_table` rows."""
    if objective == "conversions":
        return kpis["converted"].astype(np.float64)
    if objective == "revenue":
        return kpis["revenue"].astype(np.float64)
    if objective == "profit":
        # Includes staff costs, which a budget split does not change: the paired difference
        # is the optimiser's profit difference.
        return kpis["profit"].astype(np.float64)
    return (kpis["loyalty_rate"].fillna(0.0) * kpis["converted"]).round().astype(np.float64)
