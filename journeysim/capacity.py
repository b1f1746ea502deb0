"""Capacity-limited channels: staffing schedules and the SimPy resource that follows them.

A channel with ``capacity`` has that many servers (store staff, call-centre agents). Its
optional :class:`~journeysim.scenario.Schedule` turns this into a piecewise-constant number
of servers over the horizon (closed outside opening hours and on closed weekdays; periods
with their own staffing). The resource has as many servers as the schedule ever needs;
*blocker* requests with top priority take servers out of service when fewer are on duty.
Staff going off duty finish the customer in service first (no pre-emption); customers
already queued when the channel closes wait for it to open, or renege. A customer whose
touch falls while the channel is closed does not queue at a closed door: the visit moves to
a random moment of the next open stretch (:meth:`StaffedChannel.next_visit_time`).
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np
import simpy

from journeysim.scenario import Channel

BLOCKER_PRIORITY = -1
CUSTOMER_PRIORITY = 0


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


class StaffedChannel:
    """A priority resource whose servers on duty follow the channel's staffing segments."""

    def __init__(self, env: simpy.Environment, channel: Channel, horizon_days: float) -> None:
        self.channel = channel
        self.segments = staffing_segments(channel, horizon_days)
        self.max_servers = max(1, max(servers for _, servers in self.segments))
        self.resource = simpy.PriorityResource(env, capacity=self.max_servers)
        self.available_server_days = server_days(self.segments, horizon_days)
        self._starts = [start for start, _ in self.segments]
        if any(servers < self.max_servers for _, servers in self.segments):
            env.process(self._follow_schedule(env))

    def request(self) -> simpy.resources.resource.PriorityRequest:
        return self.resource.request(priority=CUSTOMER_PRIORITY)

    def next_visit_time(self, now: float, uniform: float) -> float:
        """``now`` if servers are on duty, else a moment of the next stretch with servers
        (``uniform`` places it within that stretch); ``inf`` if none is left."""
        starts = self._starts
        index = bisect_right(starts, now) - 1
        if self.segments[index][1] > 0:
            return now
        for following in range(index + 1, len(self.segments)):
            if self.segments[following][1] > 0:
                start = starts[following]
                end = starts[following + 1] if following + 1 < len(starts) else start + 1.0
                return start + uniform * (end - start)
        return math.inf

    def _follow_schedule(self, env: simpy.Environment):
        off_duty: list[simpy.Event] = []
        for start, servers in self.segments:
            if start > env.now:
                yield env.timeout(start - env.now)
            wanted = self.max_servers - servers
            while len(off_duty) < wanted:
                release = env.event()
                off_duty.append(release)
                env.process(self._block(release))
            while len(off_duty) > wanted:
                off_duty.pop().succeed()

    def _block(self, release: simpy.Event):
        request = self.resource.request(priority=BLOCKER_PRIORITY)
        result = yield request | release
        if request not in result:
            request.cancel()  # back on duty before ever leaving
            return
        yield release
        self.resource.release(request)


def segments_table(segments: list[tuple[float, int]], horizon_days: float) -> np.ndarray:
    """Segments as an array of (start, end, servers) rows, for plots and tests."""
    starts = [s for s, _ in segments] + [horizon_days]
    return np.array([(starts[i], starts[i + 1], servers) for i, (_, servers) in enumerate(segments)])
