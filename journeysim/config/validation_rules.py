"""Meaning checks shared by the validators, and those of the whole-journey dynamics.

:class:`Collector` gathers problems (dotted path + message) and checks numbers,
probabilities and distributions; the ``build_*`` functions here validate the parts of a
scenario beyond the touchpoint table: staffing schedules and queue policies of capacity
channels, loyalty and advocacy of personas, word of mouth, the finite market and the
campaign calendar.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Mapping

from journeysim.config.durations import duration_days
from journeysim.config.names import unknown_name
from journeysim.errors import ConfigError, Problem

# Money (order values, costs, spend) is summed over customers, days and replications into
# 32-bit and 64-bit columns: a trillion per amount keeps every total finite.
MAX_MONEY = 1e12
from journeysim.model.distributions import Distribution, DistributionError
from journeysim.model.scenario import (
    Advocacy,
    Campaign,
    ChannelBudget,
    Loyalty,
    Market,
    QueuePolicy,
    Schedule,
    SpendPeriod,
    StaffingPeriod,
)


class Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._not_durations: set[str] = set()

    def add(self, path: str, message: str) -> None:
        if path not in self._not_durations:  # already said what is wrong there
            self.problems.append(Problem(path, message))

    def duration(self, path: str, value: Any) -> float:
        """A duration in days (a number, or a string with a unit: ``10min``, ``2h``); a value
        that is no duration at all is reported once, here, and becomes NaN, which the range
        checks after this one then skip silently."""
        try:
            return duration_days(value)
        except ValueError as error:
            self.add(path, str(error))
            self._not_durations.add(path)
            return math.nan

    def number(self, path: str, value: Any, low: float | None = None, high: float | None = None, *, low_open: bool = False) -> bool:
        """Check a finite number within [low, high] (or (low, high] with ``low_open``)."""
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            self.add(path, f"must be a finite number, got {value!r}")
            return False
        if low is not None and (value < low or (low_open and value == low)):
            self.add(path, f"must be {'>' if low_open else '>='} {low:g}, got {value:g}")
            return False
        if high is not None and value > high:
            self.add(path, f"must be <= {high:g}, got {value:g}")
            return False
        return True

    def probability(self, path: str, value: Any) -> bool:
        if not self.number(path, value):
            return False
        if not 0.0 <= value <= 1.0:
            self.add(path, f"must be a probability in [0, 1], got {value:g}")
            return False
        return True

    def period(self, at: str, spec: Mapping[str, Any]) -> None:
        """``from_day`` >= 0 and ``to_day`` after it (staffing periods, campaigns, spend plans)."""
        if self.number(f"{at}.from_day", spec["from_day"], 0.0) and self.number(f"{at}.to_day", spec["to_day"]):
            if spec["to_day"] <= spec["from_day"]:
                self.add(f"{at}.to_day", f"must be after from_day ({spec['from_day']:g}), got {spec['to_day']:g}")

    def distribution(self, path: str, spec: Mapping[str, Any] | None, *, money: bool = False) -> Distribution | None:
        """A validated distribution; ``money`` bounds it to amounts result tables can hold."""
        if spec is None:
            return None
        parameters = {k: v for k, v in spec.items() if k != "dist"}
        try:
            distribution = Distribution.from_parameters(spec["dist"], parameters)
        except DistributionError as error:
            self.add(f"{path}.{error.field}", str(error))
            return None
        if money:
            for name, value in parameters.items():
                if name != "cv" and isinstance(value, (int, float)) and value > MAX_MONEY:
                    self.add(f"{path}.{name}", f"must be at most {MAX_MONEY:g} (an amount of money result tables can hold), got {value:g}")
                    return None
        return distribution

    def money(self, path: str, value: Any) -> bool:
        """A finite amount of money >= 0 and small enough to add up in result tables."""
        return self.number(path, value, 0.0, MAX_MONEY)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


def as_number(value: Any) -> float:
    """A duration field's value (typed Any: days, or a string with a unit) as a float for the
    model object being built; NaN for one that is no number (``{}``, null), which the check
    that saw it has reported, so the scenario is never built from it."""
    return float(value) if isinstance(value, (int, float)) else math.nan


def build_schedule(check: Collector, where: str, spec: Mapping[str, Any] | None, capacity: int | None) -> Schedule | None:
    if spec is None:
        return None
    if capacity is None:
        check.add(where, "a schedule needs capacity (servers) on the channel; set capacity or remove the schedule")
    hours = spec.get("open_hours")
    if hours is not None:
        if len(hours) != 2:
            check.add(f"{where}.open_hours", f"must be [opening hour, closing hour], got {list(hours)}")
            hours = None
        elif not (0 <= hours[0] < hours[1] <= 24):
            check.add(f"{where}.open_hours", f"must satisfy 0 <= open < close <= 24, got {list(hours)}")
    for index, day in enumerate(spec["closed_weekdays"]):
        if not 0 <= day <= 6:
            check.add(f"{where}.closed_weekdays[{index}]", f"must be a weekday 0 (Monday) to 6 (Sunday), got {day}")
    periods = []
    for index, period in enumerate(spec["periods"]):
        at = f"{where}.periods[{index}]"
        check.period(at, period)
        if period["servers"] < 0:
            check.add(f"{at}.servers", f"must be >= 0, got {period['servers']}")
        periods.append(StaffingPeriod(as_number(period["from_day"]), as_number(period["to_day"]), int(period["servers"])))
    return Schedule(tuple(hours) if hours else None, tuple(int(d) for d in spec["closed_weekdays"]), tuple(periods))


def build_queue(check: Collector, where: str, spec: Mapping[str, Any]) -> QueuePolicy:
    check.probability(f"{where}.renege_loss_probability", spec["renege_loss_probability"])
    if check.number(f"{where}.renege_emotion", spec["renege_emotion"]) and not -1 <= spec["renege_emotion"] <= 1:
        check.add(f"{where}.renege_emotion", f"must be in [-1, 1], got {spec['renege_emotion']:g}")
    check.number(f"{where}.target_wait_days", spec["target_wait_days"], 0.0)
    return QueuePolicy(float(spec["renege_loss_probability"]), float(spec["renege_emotion"]), as_number(spec["target_wait_days"]))


def build_loyalty(check: Collector, where: str, spec: Mapping[str, Any] | None) -> Loyalty | None:
    if spec is None:
        return None
    check.number(f"{where}.purchase_rate_per_day", spec["purchase_rate_per_day"], 0.0)
    check.probability(f"{where}.churn_probability", spec["churn_probability"])
    if spec.get("rate_shape") is not None:
        check.number(f"{where}.rate_shape", spec["rate_shape"], 0.0, low_open=True)
        if spec["purchase_rate_per_day"] == 0:
            check.add(f"{where}.rate_shape", "needs purchase_rate_per_day > 0 (the gamma's mean)")
    if spec.get("churn_concentration") is not None:
        check.number(f"{where}.churn_concentration", spec["churn_concentration"], 0.0, low_open=True)
        if not 0 < spec["churn_probability"] < 1:
            check.add(f"{where}.churn_concentration", f"needs 0 < churn_probability < 1 (the beta's mean), got {spec['churn_probability']:g}")
    check.number(f"{where}.satisfaction_churn_slope", spec["satisfaction_churn_slope"])
    if spec["loyal_after_repeats"] < 0:
        check.add(f"{where}.loyal_after_repeats", f"must be >= 0, got {spec['loyal_after_repeats']}")
    return Loyalty(
        purchase_rate_per_day=float(spec["purchase_rate_per_day"]),
        churn_probability=float(spec["churn_probability"]),
        rate_shape=None if spec.get("rate_shape") is None else float(spec["rate_shape"]),
        churn_concentration=None if spec.get("churn_concentration") is None else float(spec["churn_concentration"]),
        satisfaction_churn_slope=float(spec["satisfaction_churn_slope"]),
        loyal_after_repeats=int(spec["loyal_after_repeats"]),
    )


def build_advocacy(check: Collector, where: str, spec: Mapping[str, Any] | None) -> Advocacy | None:
    if spec is None:
        return None
    check.probability(f"{where}.probability", spec["probability"])
    check.number(f"{where}.referral_rate_per_day", spec["referral_rate_per_day"], 0.0)
    if check.number(f"{where}.satisfaction_threshold", spec["satisfaction_threshold"]) and not -1 <= spec["satisfaction_threshold"] <= 1:
        check.add(f"{where}.satisfaction_threshold", f"must be in [-1, 1], got {spec['satisfaction_threshold']:g}")
    return Advocacy(float(spec["probability"]), float(spec["referral_rate_per_day"]), float(spec["satisfaction_threshold"]))


def build_feedback(check: Collector, data: Mapping[str, Any], path: str, channels, stages, touchpoints, personas):
    """Word of mouth, the finite market and the campaign calendar (scenario level)."""
    channel = data.get("word_of_mouth_channel")
    if channel is not None:
        if channel not in channels:
            check.add(f"{path}.word_of_mouth_channel", unknown_name("channel", channel, channels))
        elif stages and (stages[0], channel) not in touchpoints:
            check.add(
                f"{path}.word_of_mouth_channel",
                f"referred prospects enter through {channel!r} at {stages[0]!r}, but there is no touchpoints.{stages[0]}.{channel}",
            )
    advocates = [name for name, p in data["personas"].items() if p.get("advocacy") is not None]
    if advocates and channel is None:
        check.add(f"{path}.word_of_mouth_channel", f"is required when personas recommend (advocacy set for {', '.join(advocates)})")
    market = None
    if data.get("market") is not None:
        spec = data["market"]
        if spec["size"] < 1:
            check.add(f"{path}.market.size", f"must be >= 1 potential customer, got {spec['size']}")
        check.number(f"{path}.market.external_rate_per_day", spec["external_rate_per_day"], 0.0)
        own_rates = [n for n, p in data["personas"].items() if p.get("arrival_rate_per_day") is not None]
        if own_rates:
            check.add(f"{path}.market", f"a finite market splits by persona share; personas {', '.join(own_rates)} set their own arrival_rate_per_day")
        market = Market(int(spec["size"]), float(spec["external_rate_per_day"]))
    calendar = []
    for index, campaign in enumerate(data["calendar"]):
        at = f"{path}.calendar[{index}]"
        check.period(at, campaign)
        check.number(f"{at}.multiplier", campaign["multiplier"], 0.0)
        for name in campaign["personas"]:
            if name not in personas:
                check.add(f"{at}.personas", unknown_name("persona", name, personas))
        calendar.append(Campaign(campaign["name"], as_number(campaign["from_day"]), as_number(campaign["to_day"]), float(campaign["multiplier"]), tuple(campaign["personas"])))
    return channel, market, tuple(calendar)


def build_budget(check: Collector, specs: Mapping[str, Any], path: str, channels, stages, touchpoints, personas) -> dict[str, ChannelBudget]:
    """Paid media per channel; a paid channel needs a first-stage touchpoint for its prospects."""
    budgets = {}
    for name, spec in specs.items():
        where = f"{path}.budget.{name}"
        if name not in channels:
            check.add(where, unknown_name("channel", name, channels))
            continue
        spends = [spec["spend_per_day"], *(p["spend_per_day"] for p in spec["plan"])]
        brings_prospects = spec["max_arrivals_per_day"] != 0 and any(s != 0 for s in spends)
        if brings_prospects and stages and (stages[0], name) not in touchpoints:
            check.add(where, f"paid prospects enter through {name!r} at {stages[0]!r}, but there is no touchpoints.{stages[0]}.{name}")
        check.money(f"{where}.spend_per_day", spec["spend_per_day"])
        check.number(f"{where}.max_arrivals_per_day", spec["max_arrivals_per_day"], 0.0)
        check.number(f"{where}.half_saturation", spec["half_saturation"], 0.0, low_open=True)
        check.number(f"{where}.hill_shape", spec["hill_shape"], 0.0, low_open=True)
        if check.number(f"{where}.adstock_decay", spec["adstock_decay"], 0.0) and spec["adstock_decay"] >= 1:
            check.add(f"{where}.adstock_decay", f"must be < 1 (carry-over that never fades), got {spec['adstock_decay']:g}")
        check.number(f"{where}.retargeting_lift", spec["retargeting_lift"], 0.0)
        for persona, share in spec["audience"].items():
            if persona not in personas:
                check.add(f"{where}.audience.{persona}", unknown_name("persona", persona, personas))
            else:
                check.number(f"{where}.audience.{persona}", share, 0.0)
        if spec["audience"] and sum(v for v in spec["audience"].values() if isinstance(v, (int, float)) and v > 0) <= 0:
            check.add(f"{where}.audience", "must give some persona a positive share")
        plan = []
        for index, period in enumerate(spec["plan"]):
            at = f"{where}.plan[{index}]"
            check.period(at, period)
            check.money(f"{at}.spend_per_day", period["spend_per_day"])
            plan.append(SpendPeriod(as_number(period["from_day"]), as_number(period["to_day"]), float(period["spend_per_day"])))
        budgets[name] = ChannelBudget(
            channel=name,
            spend_per_day=float(spec["spend_per_day"]),
            max_arrivals_per_day=float(spec["max_arrivals_per_day"]),
            half_saturation=float(spec["half_saturation"]),
            hill_shape=float(spec["hill_shape"]),
            adstock_decay=float(spec["adstock_decay"]),
            retargeting_lift=float(spec["retargeting_lift"]),
            audience=MappingProxyType({k: float(v) for k, v in spec["audience"].items()}),
            plan=tuple(plan),
            saturation=bool(spec["saturation"]),
        )
    return budgets
