"""Budget scenarios and the per-channel budget report.

A budget scenario is a *change* to the current scenario's ``budget`` node, the same plain
data an experiment file's ``changes`` holds, so it works everywhere a change does::

    changes = shift(scenario, "search", "social", 0.20)   # move 20 % of search to social
    future = scenario.with_changes(changes)               # or compare(scenario, changes)
    as_overrides(changes)   # ['scenario.budget.search.spend_per_day=480.0', ...] for the CLI

:func:`shift`, :func:`cut_total` and :func:`scale` act on a channel's whole spend: its
``spend_per_day`` and every period of its ``plan``, so a planned burst moves with it. What
spend does to the journey (adstock, Hill exposure, paid prospects, retargeting) is
:mod:`journeysim.media`'s; nothing here re-implements it.

:func:`channel_table` attributes customers to the channel that brought them (a paid
prospect to its paid channel, the others to ``organic`` or ``referral``) and reports per
channel: prospects, new customers, conversions, loyal customers, revenue, costs, cost per
acquisition and return on spend. :func:`channel_comparison` does it for both states of a
comparison, with paired intervals.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from journeysim.errors import ConfigError, Problem
from journeysim.scenario import Scenario
from journeysim.settings import RunSettings

if TYPE_CHECKING:
    from journeysim.compare import Comparison

ORGANIC_LABEL, REFERRAL_LABEL, ALL_CHANNELS = "organic", "referral", "all"
CHANNEL_MEASURES = {
    "prospects": "customers the channel brought into the journey",
    "new_customers": "of those, customers who bought (first purchase)",
    "conversions": "purchases of those customers, first and repeat",
    "conversion_rate": "new customers / prospects",
    "loyal_customers": "new customers who became loyal",
    "revenue": "order value of their purchases",
    "media_spend": "the channel's paid-media spend (0 for organic and referral)",
    "contact_cost": "cost per contact of their touches on unpaid channels",
    "staff_cost": "their share of staff costs (channels with staff, by served contacts)",
    "total_cost": "media spend + contact cost + staff cost",
    "cost_per_acquisition": "total cost / new customers",
    "return_on_spend": "revenue / total cost",
}


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
    last period covering a day wins (as :func:`journeysim.media.daily_spend` reads a plan)."""

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


# -- the per-channel report ----------------------------------------------------------------


def customer_channels(customers: pd.DataFrame, scenario: Scenario, events: pd.DataFrame | None = None) -> pd.Series:
    """The channel that brought each customer: a paid prospect's paid channel (its first
    touch in the event log; from its prospect number when it had no touch before the
    horizon, or without an event log), else ``organic`` or ``referral``."""
    from journeysim.arrivals import PAID_INDEX_OFFSET

    labels = pd.Series(np.where(customers["source"].astype(str) == "referral", REFERRAL_LABEL, ORGANIC_LABEL), index=customers.index, dtype=object)
    paid = (customers["source"] == "paid").to_numpy()
    if not paid.any():
        return labels
    # Paid prospects of channel c are numbered from PAID_INDEX_OFFSET * (c + 1) (journeysim.arrivals).
    index = customers.loc[paid, "persona_customer"].to_numpy(dtype=np.int64) // PAID_INDEX_OFFSET - 1
    labels[paid] = np.asarray(scenario.channel_names, dtype=object)[index]
    if events is not None and len(events):
        touches = events.loc[events["event"] == "touch", ["replication", "customer_id", "channel"]]
        first = touches.drop_duplicates(["replication", "customer_id"]).set_index(["replication", "customer_id"])["channel"].astype(str)
        keys = pd.MultiIndex.from_arrays([customers.loc[paid, "replication"], customers.loc[paid, "customer_id"]])
        first_touch = first.reindex(keys).to_numpy(dtype=object)
        known = pd.notna(first_touch)
        labels.loc[labels.index[paid][known]] = first_touch[known]
    return labels


def channel_table(
    customers: pd.DataFrame, spend: pd.DataFrame, scenario: Scenario, events: pd.DataFrame | None = None, staff: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per replication and channel (paid channels, ``organic``, ``referral`` when there are
    referrals, and ``all``): the measures of :data:`CHANNEL_MEASURES`.

    ``spend`` is the media spend of ONE replication (``SimulationResult.spend``); each
    replication pays it; so is ``staff`` (``SimulationResult.staff``), shared out as in
    :func:`journeysim.metrics.staff_cost_per_customer`. The ``all`` row equals
    :func:`journeysim.metrics.kpi_table`'s totals given the same tables.
    """
    from journeysim.metrics import staff_cost_per_customer

    channel = customer_channels(customers, scenario, events)
    converted = (customers["outcome"] == "converted").to_numpy()
    frame = pd.DataFrame(
        {
            "replication": customers["replication"].to_numpy() if "replication" in customers else 0,
            "channel": channel.to_numpy(dtype=object),
            "prospects": 1,
            "new_customers": converted.astype(np.int64),
            "conversions": converted.astype(np.int64) + customers["repeat_purchases"].to_numpy(dtype=np.int64),
            "loyal_customers": (converted & customers["loyal"].to_numpy(dtype=bool)).astype(np.int64),
            "revenue": customers["revenue"].to_numpy(dtype=np.float64),
            "contact_cost": customers["contact_cost"].to_numpy(dtype=np.float64),
            "staff_cost": staff_cost_per_customer(customers, events, staff),
        }
    )
    labels = [*scenario.budget, ORGANIC_LABEL] + ([REFERRAL_LABEL] if (channel == REFERRAL_LABEL).any() else [])
    replications = sorted(pd.unique(frame["replication"])) or [0]
    grid = pd.MultiIndex.from_product([replications, labels], names=["replication", "channel"])
    sums = frame.groupby(["replication", "channel"]).sum().reindex(grid, fill_value=0)
    pooled = frame.drop(columns="channel").groupby("replication").sum().reindex(replications, fill_value=0)
    pooled.index = pd.MultiIndex.from_product([replications, [ALL_CHANNELS]], names=["replication", "channel"])
    table = pd.concat([sums, pooled]).sort_index(level="replication", sort_remaining=False).reset_index()
    media = spend.groupby("channel")["spend"].sum() if len(spend) else pd.Series(dtype=float)
    table["media_spend"] = table["channel"].map(lambda c: float(media.sum()) if c == ALL_CHANNELS else float(media.get(c, 0.0)))
    table["total_cost"] = table["media_spend"] + table["contact_cost"] + table["staff_cost"]
    table["conversion_rate"] = _ratio(table["new_customers"], table["prospects"])
    table["cost_per_acquisition"] = _ratio(table["total_cost"], table["new_customers"])
    table["return_on_spend"] = _ratio(table["revenue"], table["total_cost"])
    return table[["replication", "channel", *CHANNEL_MEASURES]]


def channel_comparison(comparison: Comparison, confidence: float | None = None) -> pd.DataFrame:
    """Per channel and measure: both states' means over the comparison's replications, the
    mean paired difference and its t-interval (the layout of ``comparison.csv``, with a
    ``channel`` column instead of ``persona``).

    Uses the per-channel tables the comparison kept from its own runs; a comparison
    without them is re-run for both states with its settings (same seed and replication
    numbers, so the same customers)."""
    from journeysim.compare import CURRENT, FUTURE, future_seed

    confidence = comparison.confidence if confidence is None else confidence
    kept = comparison.by_channel
    if len(kept) and set(kept["state"]) == {CURRENT, FUTURE}:
        states = {state: kept.loc[kept["state"] == state].drop(columns="state").reset_index(drop=True) for state in (CURRENT, FUTURE)}
        return paired_channel_table(states[CURRENT], states[FUTURE], confidence)
    tables = {}
    for state, scenario in ((CURRENT, comparison.current), (FUTURE, comparison.future)):
        seed = comparison.settings.seed if state == CURRENT else future_seed(comparison.settings.seed, comparison.independent)
        tables[state] = channel_runs(scenario, comparison.settings, seed=seed)
    return paired_channel_table(tables[CURRENT], tables[FUTURE], confidence)


def channel_runs(scenario: Scenario, settings: RunSettings, seed: int | None = None) -> pd.DataFrame:
    """:func:`channel_table` of ``simulate(scenario, settings)`` without keeping the event log."""
    from journeysim.simulation import simulate

    result = simulate(scenario, settings, seed=seed, progress=False, keep_events=False)
    return channel_table(result.customers, result.spend, scenario, staff=result.staff)


def paired_channel_table(current: pd.DataFrame, future: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Pair two :func:`channel_table` results by replication: one row per channel and measure."""
    from journeysim.compare import COMPARISON_COLUMNS, paired_statistics

    channels = list(dict.fromkeys([*current["channel"], *future["channel"]]))
    replications = sorted(set(current["replication"]) | set(future["replication"]))
    grid = pd.MultiIndex.from_product([channels, replications], names=["channel", "replication"])
    states = [table.set_index(["channel", "replication"]).reindex(grid) for table in (current, future)]
    rows = []
    for channel in channels:
        for measure in CHANNEL_MEASURES:
            before, after = (state.loc[channel, measure].to_numpy(dtype=np.float64) for state in states)
            if measure in _COUNTS:  # a channel nobody came through in one state counts zero there
                before, after = np.nan_to_num(before), np.nan_to_num(after)
            rows.append({"channel": channel, "measure": measure, **paired_statistics(before, after, confidence)})
    return pd.DataFrame(rows)[["channel", "measure", *[c for c in COMPARISON_COLUMNS if c not in ("kpi", "persona")]]]


_COUNTS = {"prospects", "new_customers", "conversions", "loyal_customers", "revenue", "media_spend", "contact_cost", "total_cost"}


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    numerator, denominator = numerator.astype(np.float64), denominator.astype(np.float64)
    return numerator.div(denominator.where(denominator != 0))
