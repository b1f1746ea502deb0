"""Durations in configurations: a number of days, or a number with a unit (``10min``, ``2h``, ``3d``, ``2w``).

The model computes in days, so a ten-minute wait used to be written ``0.0069``. Every duration
of a scenario or run (the fields listed in :data:`SCENARIO_DURATIONS` and
:data:`RUN_DURATIONS`) now takes either form; validation converts it to days with
:func:`duration_days` before any other check, so the frozen model objects and a scenario's
``source`` hold days as floats (``2h`` and ``0.08333333333333333`` are the same scenario, with
the same config hash). :func:`format_duration` says a number of days back in the unit a person
would use, for the text reports.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any, Callable, Mapping

from journeysim.errors import ConfigError, Problem

# unit -> (multiplier, divisor) from that unit to days: exact for whole numbers of each unit
# (10min -> 10 / 1440, the float one gets by writing 10 / 1440).
_UNIT_NAMES = {
    ("s", "sec", "secs", "second", "seconds"): (1.0, 86400.0),
    ("min", "mins", "minute", "minutes"): (1.0, 1440.0),
    ("h", "hr", "hrs", "hour", "hours"): (1.0, 24.0),
    ("d", "day", "days"): (1.0, 1.0),
    ("w", "wk", "wks", "week", "weeks"): (7.0, 1.0),
}
_TO_DAYS = {name: factor for names, factor in _UNIT_NAMES.items() for name in names}
UNITS = ("s", "min", "h", "d", "w")  # the short names the messages and docs use
_CALENDAR_UNITS = ("mo", "month", "months", "y", "yr", "yrs", "year", "years")
_DURATION = re.compile(r"\s*(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(?P<unit>[a-z]*)\s*", re.IGNORECASE)
_EXPECTED = "must be a duration: a number of days, or a number with a unit (s, min, h, d, w) such as 10min, 2h, 3d"

# Where a scenario holds durations ("*" any key, "[]" every item of a list). At a
# distribution, its time-valued parameters are durations; cv and a Weibull shape are ratios.
SCENARIO_DURATIONS = (
    "channels.*.service_time_days",
    "channels.*.queue.target_wait_days",
    "channels.*.schedule.periods[].from_day",
    "channels.*.schedule.periods[].to_day",
    "touchpoints.*.*.delay_days",
    "personas.*.patience_days",
    "personas.*.detraction.talk_days",
    "personas.*.touchpoints.*.*.delay_days",
    "calendar[].from_day",
    "calendar[].to_day",
    "budget.*.plan[].from_day",
    "budget.*.plan[].to_day",
    "observation.session_timeout_days",
)
RUN_DURATIONS = ("horizon_days", "arrival_days")
TIME_PARAMETERS = ("value", "mean", "low", "mode", "high", "scale")


def duration_days(value: Any) -> float:
    """A duration in days: numbers are days already; ``"10min"``, ``"1.5 h"``, ``"3D"``, ``"2w"``,
    ``"30s"`` are converted (case and spaces do not matter). Raises ValueError with a message for
    a user otherwise: an unknown or ambiguous unit (``m``: minutes or months?), a negative
    duration with a unit, anything that is not a number or such a string."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{_EXPECTED}; got {value!r}")
    number, unit = float(match["number"]), match["unit"].lower()
    if unit == "":
        return number
    if unit == "m":
        raise ValueError(f"unit 'm' could mean minutes or months: write min for minutes (e.g. {match['number']}min), or the days for months; got {value!r}")
    if unit in _CALENDAR_UNITS:
        raise ValueError(f"months and years differ in length, so they are not a unit: write days or weeks (e.g. 30d, 52w); got {value!r}")
    if unit not in _TO_DAYS:
        raise ValueError(f"unknown unit {match['unit']!r}: use s, min, h, d or w (e.g. 10min, 2h, 3d); got {value!r}")
    if number < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    multiplier, divisor = _TO_DAYS[unit]
    return number * multiplier / divisor


def parse_duration(value: Any, path: str = "duration") -> float:
    """:func:`duration_days`, with a bad value reported as a :class:`ConfigError` at ``path``."""
    try:
        return duration_days(value)
    except ValueError as error:
        raise ConfigError(Problem(path, str(error))) from None


def with_durations_in_days(data: Mapping[str, Any], patterns: tuple[str, ...], convert: Callable[[str, Any], Any], path: str) -> dict[str, Any]:
    """A deep copy of ``data`` with ``convert(dotted path, value)`` in place of each duration
    the ``patterns`` name (a distribution there: each time-valued parameter). Absent and null
    values stay as they are."""
    out = copy.deepcopy(dict(data))
    for pattern in patterns:
        _convert_at(out, pattern.split("."), path, convert)
    return out


def _convert_at(node: Any, tokens: list[str], where: str, convert: Callable[[str, Any], Any]) -> None:
    head, rest = tokens[0], tokens[1:]
    key = head.removesuffix("[]")
    if not isinstance(node, dict):
        return
    for name in list(node) if key == "*" else [key] if key in node else []:
        at, child = f"{where}.{name}", node[name]
        if head.endswith("[]"):
            for index, item in enumerate(child if isinstance(child, list) else []):
                _convert_at(item, rest, f"{at}[{index}]", convert)
        elif rest:
            _convert_at(child, rest, at, convert)
        elif isinstance(child, dict):  # a distribution of durations
            for parameter in TIME_PARAMETERS:
                if child.get(parameter) is not None:
                    child[parameter] = convert(f"{at}.{parameter}", child[parameter])
        elif child is not None:
            node[name] = convert(at, child)


def is_duration_path(path: str) -> bool:
    """Whether a dotted path inside a scenario (``touchpoints.purchase.website.delay_days.mean``)
    holds a duration: one of :data:`SCENARIO_DURATIONS`, or a time-valued parameter of one."""
    keys = path.split(".")
    return any(_matches(pattern.split("."), keys) for pattern in SCENARIO_DURATIONS)


def _matches(tokens: list[str], keys: list[str]) -> bool:
    if not tokens:
        return keys == [] or (len(keys) == 1 and keys[0] in TIME_PARAMETERS)  # the field, or a parameter of it
    if not keys:
        return False
    head = tokens[0]
    if head.endswith("[]"):  # ``periods[0]`` is one key of a dotted path
        return re.fullmatch(re.escape(head[:-2]) + r"\[\d+\]", keys[0]) is not None and _matches(tokens[1:], keys[1:])
    return head in ("*", keys[0]) and _matches(tokens[1:], keys[1:])


def format_duration(days: float, *, signed: bool = False) -> str:
    """A number of days in the unit a person would use: ``45 s``, ``10 min``, ``2.5 h``,
    ``3.2 days``, ``2 weeks`` (whole weeks only); ``-`` for a missing value. ``signed`` puts
    ``+`` before a positive amount (a difference)."""
    if days is None or math.isnan(days):
        return "-"
    sign = "-" if days < 0 else "+" if signed else ""
    size = abs(days)
    if math.isinf(size):
        return f"{sign}inf days"
    weeks = size / 7
    if size >= 7 and weeks == round(weeks):
        amount, unit = weeks, "week" if weeks == 1 else "weeks"
    elif size >= 1:
        amount, unit = size, "day" if size == 1 else "days"
    elif size >= 1 / 24:
        amount, unit = size * 24, "h"
    elif size >= 1 / 1440:
        amount, unit = size * 1440, "min"
    elif size > 0:
        amount, unit = size * 86400, "s"
    else:
        amount, unit = 0.0, "min"
    return f"{sign}{_amount(amount)} {unit}"


def _amount(x: float) -> str:
    """Three significant figures below 100 (``2.5``, ``14.4``, ``0.0833``), whole numbers above."""
    if x >= 100:
        return f"{x:,.0f}"
    return (f"{x:.3g}" if x < 10 else f"{x:.1f}").removesuffix(".0")
