"""Staffing of capacity-limited channels: servers on duty over time, staffed hours and their cost.

A channel with ``capacity`` has that many servers (store staff, call-centre agents). Its
optional :class:`~journeysim.model.scenario.Schedule` turns this into a piecewise-constant number
of servers over the horizon (closed outside opening hours and on closed weekdays; periods
with their own staffing). The SimPy resource that follows these segments lives with the engine
(:mod:`journeysim.simulation.engines.staffed_channel`).
"""

from __future__ import annotations

import math

import numpy as np

from journeysim.model.scenario import Channel


def staffing_segments(channel: Channel, horizon_days: float) -> list[tuple[float, int]]:
    """(start day, servers on duty) for each stretch of constant staffing over [0, horizon)."""
    assert channel.capacity is not None
    schedule = channel.schedule
    if schedule is None:
        return [(0.0, channel.capacity)]
    times = {0.0}
    for day in range(int(math.ceil(horizon_days)) + 1):
        times.add(float(day))
        if schedule.open_hours is not None:
            times.update((day + schedule.open_hours[0] / 24, day + schedule.open_hours[1] / 24))
    for period in schedule.periods:
        times.update((period.from_day, period.to_day))
    segments: list[tuple[float, int]] = []
    for start in sorted(t for t in times if 0 <= t < horizon_days):
        servers = servers_on_duty(channel, start)
        if not segments or segments[-1][1] != servers:
            segments.append((start, servers))
    return segments


def servers_on_duty(channel: Channel, day: float) -> int:
    """Servers working at time ``day`` (day 0 is a Monday at midnight)."""
    assert channel.capacity is not None
    schedule = channel.schedule
    if schedule is None:
        return channel.capacity
    if int(math.floor(day)) % 7 in schedule.closed_weekdays:
        return 0
    if schedule.open_hours is not None:
        hour = round((day - math.floor(day)) * 24, 9)  # 4 + 20/24 must read as 20:00, not 19:59:59.99
        if not schedule.open_hours[0] <= hour < schedule.open_hours[1]:
            return 0
    servers = channel.capacity
    for period in schedule.periods:
        if period.from_day <= day < period.to_day:
            servers = period.servers
    return servers


def server_days(segments: list[tuple[float, int]], horizon_days: float) -> float:
    """Server time available over the horizon (the denominator of utilisation)."""
    starts = [s for s, _ in segments] + [horizon_days]
    return float(sum((starts[i + 1] - starts[i]) * servers for i, (_, servers) in enumerate(segments)))


def open_days(segments: list[tuple[float, int]], until_days: float) -> float:
    """Time in [0, until_days) with at least one server on duty: when the channel takes visits
    (a touch that falls while it is closed moves into its next open stretch)."""
    starts = [s for s, _ in segments] + [until_days]
    return float(sum(min(starts[i + 1], until_days) - start for i, (start, servers) in enumerate(segments) if servers > 0 and start < until_days))


STAFF_COLUMNS = ["channel", "staffed_hours", "staff_cost_per_hour", "staff_cost"]


def staff_table(scenario, horizon_days: float):
    """Per channel with staff: server hours on duty over [0, horizon) and what they cost, for
    ONE replication (the schedule is the same in every replication).

    Staff are paid for the hours on duty, busy or idle; a channel without
    ``staff_cost_per_hour`` still gets a row (cost 0) so the hours can be read.
    """
    import pandas as pd

    rows = []
    for name, channel in scenario.channels.items():
        if channel.capacity is None:
            continue
        # Rounded to a microhour: opening hours as fractions of a day leave float dust.
        hours = round(server_days(staffing_segments(channel, horizon_days), horizon_days) * 24.0, 6)
        rows.append({"channel": name, "staffed_hours": hours, "staff_cost_per_hour": channel.staff_cost_per_hour, "staff_cost": hours * channel.staff_cost_per_hour})
    return pd.DataFrame(rows, columns=STAFF_COLUMNS)


def segments_table(segments: list[tuple[float, int]], horizon_days: float) -> np.ndarray:
    """Segments as an array of (start, end, servers) rows, for plots and tests."""
    starts = [s for s, _ in segments] + [horizon_days]
    return np.array([(starts[i], starts[i + 1], servers) for i, (_, servers) in enumerate(segments)])
