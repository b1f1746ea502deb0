"""The SimPy resource of a capacity-limited channel, following its staffing schedule.

The resource has as many servers as the schedule ever needs (:func:`journeysim.model.staffing.staffing_segments`);
*blocker* requests with top priority take servers out of service when fewer are on duty.
Staff going off duty finish the customer in service first (no pre-emption); customers
already queued when the channel closes wait for it to open, or renege. A customer whose
touch falls while the channel is closed does not queue at a closed door: the visit moves to
a random moment of the next open stretch (:meth:`StaffedChannel.next_visit_time`).
"""

from __future__ import annotations

import math
from bisect import bisect_right

import simpy

from journeysim.model.scenario import Channel
from journeysim.model.staffing import server_days, staffing_segments

BLOCKER_PRIORITY = -1
CUSTOMER_PRIORITY = 0


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
